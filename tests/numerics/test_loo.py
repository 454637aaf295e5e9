"""Exact leave-one-out differences f(theta*_{-i}) - f(theta*) against refits."""

import numpy as np
import pytest
import scipy.optimize

import numerics
from tests.oracles import logistic_loss_grad_hess
from tests.tolerances import RATE_ATOL, RETRAIN_RTOL
from theory import zoo
from theory.errors import SingularHessianError

# SciPy's trust-exact is asked for a gradient max-norm below GTOL; near the
# minimum it may stop a little short of that, once float64 can no longer
# predict a decrease of the loss. The loss is alpha-strongly convex, so each
# refit lies within |grad L(theta_ref)|_2 / alpha of the true minimiser, and a
# linear observable c.theta within |c| times that; the tolerance adds the
# bounds of the two refits in a difference. A reference looser than
# REFERENCE_ATOL_MAX would make the comparison toothless.
GTOL = 1e-10
REFERENCE_ATOL_MAX = 1e-6


def _least_squares_refits(X, y, x_f, alpha):
    """c.theta*_{-i} - c.theta* by solving the normal equations without row i."""
    d = X.shape[1]

    def fit(Xs, ys):
        return np.linalg.solve(Xs.T @ Xs + alpha * np.eye(d), Xs.T @ ys)

    full = x_f @ fit(X, y)
    return np.array(
        [x_f @ fit(np.delete(X, i, 0), np.delete(y, i)) - full for i in range(len(y))]
    )


def _logistic_refit(X, y, alpha):
    """The ridge-logistic minimiser by SciPy, and a bound on its 2-norm error."""

    loss, grad, hess = logistic_loss_grad_hess(X, y, alpha)
    result = scipy.optimize.minimize(
        loss,
        np.zeros(X.shape[1]),
        jac=grad,
        hess=hess,
        method="trust-exact",
        options={"gtol": GTOL},
    )
    return result.x, np.linalg.norm(grad(result.x)) / alpha


def _logistic_sample(rng, n):
    """n draws of x ~ N(0, 1) with an intercept, y from a logistic link."""
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    p = 1 / (1 + np.exp(-(0.5 + 1.5 * x)))
    return X, np.where(rng.random(n) < p, 1.0, -1.0)


def test_loo_equals_explicit_refits_for_ridge_regression():
    rng = np.random.default_rng(0)
    X, y, x_f, alpha = rng.normal(size=(10, 3)), rng.normal(size=10), [1, -2, 0.5], 0.5
    m = zoo.ridge_regression(X, y, alpha)
    f = sum(c * t for c, t in zip(x_f, m.params))

    expected = _least_squares_refits(X, y, np.array(x_f), alpha)

    np.testing.assert_allclose(numerics.loo(m, f), expected, rtol=RETRAIN_RTOL)


def test_loo_equals_explicit_refits_for_least_squares():
    rng = np.random.default_rng(1)
    X, y, x_f = rng.normal(size=(10, 3)), rng.normal(size=10), [0.3, 1.0, -1.0]
    m = zoo.linear_regression(X, y)
    f = sum(c * t for c, t in zip(x_f, m.params))

    expected = _least_squares_refits(X, y, np.array(x_f), alpha=0.0)

    np.testing.assert_allclose(numerics.loo(m, f), expected, rtol=RETRAIN_RTOL)


def test_loo_equals_scipy_refits_for_logistic_regression_with_ridge():
    rng = np.random.default_rng(2)
    X, y = _logistic_sample(rng, 12)
    alpha, x_f = 1.0, np.array([1.0, 2.0])
    m = zoo.logistic_regression(X, y, alpha=alpha)
    f = x_f[0] * m.params[0] + x_f[1] * m.params[1]

    theta, error = _logistic_refit(X, y, alpha)
    refits = [
        _logistic_refit(np.delete(X, i, 0), np.delete(y, i), alpha) for i in range(12)
    ]
    expected = np.array([x_f @ (theta_i - theta) for theta_i, _ in refits])
    atol = np.linalg.norm(x_f) * (error + max(e for _, e in refits))

    assert atol < REFERENCE_ATOL_MAX
    np.testing.assert_allclose(numerics.loo(m, f), expected, rtol=0, atol=atol)


@pytest.mark.claim("leverage")
def test_loo_is_minus_influence_over_one_minus_leverage_for_least_squares():
    # For a linear observable of least squares, Sherman-Morrison gives
    # LOO_j = -I_j / (1 - h_j) exactly, with h_j the hat-matrix diagonal.
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(9, 3)), rng.normal(size=9)
    m = zoo.linear_regression(X, y)
    f = 2 * m.params[0] - m.params[1] + 0.5 * m.params[2]
    leverage = np.einsum("ij,ji->i", X, np.linalg.solve(X.T @ X, X.T))

    expected = -numerics.influence(m, f) / (1 - leverage)

    np.testing.assert_allclose(numerics.loo(m, f), expected, rtol=RETRAIN_RTOL)


def test_loo_raises_when_removing_an_example_leaves_a_flat_direction():
    rng = np.random.default_rng(4)
    m = zoo.linear_regression(rng.normal(size=(2, 2)), rng.normal(size=2))

    with pytest.raises(SingularHessianError, match="leaving out example 0: .*flat"):
        numerics.loo(m, m.params[0])


@pytest.mark.claim("loo-first-order")
def test_first_order_error_of_the_influence_function_shrinks_like_one_over_n():
    # Logistic regression with ridge alpha = n (so the penalty per example is
    # fixed): theta* tends to a population minimiser, H grows like n, I_j is
    # O(1/n) and LOO_j + I_j is O(1/n^2), so the relative error is O(1/n).
    # The median over examples ignores the few with I_j near zero. At each n,
    # 640 / n independent samples are pooled, so every median rests on 640
    # examples and its sampling noise is about the same at every n; with this
    # strong ridge the O(1/n^2) correction to the ratio is already small at
    # n = 20. Over seeds 5 to 16 the fitted slope stays within 0.03 of -1.
    rng = np.random.default_rng(5)
    sizes = np.array([20, 40, 80, 160, 320])
    medians = []
    for n in sizes:
        errors = []
        for _ in range(640 // n):
            m = zoo.logistic_regression(*_logistic_sample(rng, n), alpha=1.0 * n)
            f = m.params[0] + m.params[1]
            influence = numerics.influence(m, f)
            errors.append(np.abs(numerics.loo(m, f) + influence) / np.abs(influence))
        medians.append(np.median(np.concatenate(errors)))

    slope = np.polyfit(np.log(sizes), np.log(medians), 1)[0]

    np.testing.assert_allclose(slope, -1.0, atol=RATE_ATOL)
