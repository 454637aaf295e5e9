"""The float64 minimiser of L(theta; b) against closed forms and SciPy."""

import numpy as np
import pytest
import scipy.optimize

import numerics
from tests.oracles import logistic_loss_grad_hess
from tests.tolerances import FLOAT_ATOL, RETRAIN_RTOL
from theory import zoo
from theory.errors import ConvergenceError

# SciPy's trust-exact is asked for a gradient max-norm below GTOL; near the
# minimum it may stop a little short of that, once float64 can no longer
# predict a decrease of the loss. Either way the loss is alpha-strongly convex,
# so its answer lies within |grad L(theta_ref)|_2 / alpha of the true
# minimiser, and that a-posteriori bound is the tolerance. A reference looser
# than REFERENCE_ATOL_MAX would make the comparison toothless.
GTOL = 1e-10
REFERENCE_ATOL_MAX = 1e-6


def _logistic_data(seed, n=20, d=3):
    """A seeded, non-separable logistic-regression data set, labels -1/+1."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, d - 1))])
    p = 1 / (1 + np.exp(-X @ rng.normal(size=d)))
    y = np.where(rng.random(n) < p, 1.0, -1.0)
    return X, y


def test_minimise_matches_the_ridge_closed_form():
    rng = np.random.default_rng(0)
    X, y, alpha = rng.normal(size=(10, 3)), rng.normal(size=10), 0.5
    m = zoo.ridge_regression(X, y, alpha)

    expected = np.linalg.solve(X.T @ X + alpha * np.eye(3), X.T @ y)

    np.testing.assert_allclose(numerics.minimise(m), expected, rtol=RETRAIN_RTOL)


def test_minimise_with_weights_matches_the_weighted_ridge_closed_form():
    rng = np.random.default_rng(1)
    X, y, alpha = rng.normal(size=(10, 3)), rng.normal(size=10), 0.5
    b = rng.uniform(0.0, 2.0, size=10)
    m = zoo.ridge_regression(X, y, alpha)

    expected = np.linalg.solve(
        X.T @ (b[:, None] * X) + alpha * np.eye(3), X.T @ (b * y)
    )

    np.testing.assert_allclose(
        numerics.minimise(m, weights=b), expected, rtol=RETRAIN_RTOL
    )


def test_logistic_minimiser_with_ridge_has_zero_gradient():
    X, y = _logistic_data(seed=2)
    alpha = 0.3
    m = zoo.logistic_regression(X, y, alpha=alpha)
    _, grad, _ = logistic_loss_grad_hess(X, y, alpha)

    theta = numerics.minimise(m)

    # The gradient is a sum of terms of size about |x_i|; its rounding floor
    # scales with their summed magnitude.
    scale = np.abs(X).sum(axis=0) + alpha * np.abs(theta)
    np.testing.assert_allclose(grad(theta), 0.0, atol=FLOAT_ATOL * scale.max())


def test_logistic_minimiser_with_ridge_matches_scipy_trust_exact():
    X, y = _logistic_data(seed=3)
    alpha = 0.3
    m = zoo.logistic_regression(X, y, alpha=alpha)
    loss, grad, hess = logistic_loss_grad_hess(X, y, alpha)

    reference = scipy.optimize.minimize(
        loss,
        np.zeros(3),
        jac=grad,
        hess=hess,
        method="trust-exact",
        options={"gtol": GTOL},
    )

    atol = np.linalg.norm(grad(reference.x)) / alpha
    assert atol < REFERENCE_ATOL_MAX, reference.message
    np.testing.assert_allclose(numerics.minimise(m), reference.x, rtol=0, atol=atol)


def test_logistic_regression_on_separable_data_without_ridge_raises():
    X = np.array([[1.0, -2.0], [1.0, -1.0], [1.0, 1.0], [1.0, 2.0]])
    m = zoo.logistic_regression(X, [-1, -1, 1, 1])

    with pytest.raises(ConvergenceError, match="add a regulariser"):
        numerics.minimise(m)


def test_weights_of_the_wrong_shape_raise():
    rng = np.random.default_rng(4)
    m = zoo.ridge_regression(rng.normal(size=(5, 2)), rng.normal(size=5), 1.0)

    with pytest.raises(ValueError, match=r"weights: need shape \(n,\) = \(5,\)"):
        numerics.minimise(m, weights=np.ones(4))
