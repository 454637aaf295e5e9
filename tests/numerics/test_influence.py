"""Float64 influence functions against SymPy derivations and NumPy closed forms.

The influence of example i on f is the upweighting derivative
-grad f^T (H + lambda I)^{-1} grad l_i at theta*, with H the Hessian of the
summed loss plus regulariser.
"""

import numpy as np
import pytest
import sympy as sp

import derivations
import numerics
from tests.tolerances import FLOAT_ATOL, FLOAT_RTOL
from theory import Model, zoo
from theory.errors import SingularHessianError


def _as_array(column):
    """A SymPy column (n, 1) as a float64 vector (n,)."""
    return np.array(column, dtype=float).ravel()


def _ridge_problem(seed, n=8, d=3, alpha=0.5):
    """A seeded ridge design, its minimiser and an observable direction."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + rng.normal(size=n)
    x_f = rng.normal(size=d)
    theta = np.linalg.solve(X.T @ X + alpha * np.eye(d), X.T @ y)
    return X, y, x_f, theta


def _ridge_closed_form(X, y, x_f, theta, curvature):
    r"""-x_f^T (X^T X + curvature I)^{-1} x_i * (-(y_i - x_i . theta)), all i."""
    d = X.shape[1]
    response = np.linalg.solve(X.T @ X + curvature * np.eye(d), X.T)
    residuals = y - X @ theta
    return -(x_f @ response) * -residuals


# ----------------------------------------------------- against derivations


def test_influence_equals_the_derivation_for_the_gaussian_mean():
    rng = np.random.default_rng(0)
    m = zoo.gaussian_mean(rng.normal(size=5))
    (mu,) = m.params
    f = mu**3 - mu

    expected = _as_array(derivations.influence(m, f))

    np.testing.assert_allclose(numerics.influence(m, f), expected, rtol=FLOAT_RTOL)


def test_influence_equals_the_derivation_for_least_squares():
    rng = np.random.default_rng(1)
    m = zoo.linear_regression(rng.normal(size=(6, 2)), rng.normal(size=6))
    f = m.params[0] - 3 * m.params[1]

    expected = _as_array(derivations.influence(m, f))

    np.testing.assert_allclose(numerics.influence(m, f), expected, rtol=FLOAT_RTOL)


def test_influence_equals_the_derivation_for_ridge_regression():
    rng = np.random.default_rng(2)
    m = zoo.ridge_regression(rng.normal(size=(6, 2)), rng.normal(size=6), 0.7)
    f = m.params[0] * m.params[1]

    expected = _as_array(derivations.influence(m, f))

    np.testing.assert_allclose(numerics.influence(m, f), expected, rtol=FLOAT_RTOL)


def test_influence_equals_the_derivation_for_logistic_regression_with_ridge():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 2))
    y = np.where(rng.random(6) < 0.5, -1, 1)
    m = zoo.logistic_regression(X, y, alpha=0.5)
    f = m.params[0] + 2 * m.params[1]

    expected = _as_array(derivations.influence(m, f))

    np.testing.assert_allclose(numerics.influence(m, f), expected, rtol=FLOAT_RTOL)


def test_influence_equals_the_derivation_for_a_model_given_loss_by_loss():
    # Poisson regression written out example by example: no closed-form
    # minimiser, so the derivation solves for it to 50 digits.
    rng = np.random.default_rng(4)
    a, b = sp.symbols("a b")
    x = rng.normal(size=5).round(3)
    counts = rng.poisson(2.0, size=5)
    losses = [
        sp.exp(a + b * sp.Float(xi)) - int(k) * (a + b * sp.Float(xi))
        for xi, k in zip(x, counts)
    ]
    m = Model([a, b], losses, regularizer=(a**2 + b**2) / 4)
    f = sp.exp(a + b)

    expected = _as_array(derivations.influence(m, f))

    np.testing.assert_allclose(numerics.influence(m, f), expected, rtol=FLOAT_RTOL)


# ---------------------------------------------------- against closed forms


def test_ridge_influence_equals_the_numpy_closed_form():
    alpha = 0.5
    X, y, x_f, theta = _ridge_problem(seed=5, alpha=alpha)
    m = zoo.ridge_regression(X, y, alpha)
    f = sum(c * t for c, t in zip(x_f, m.params))

    expected = _ridge_closed_form(X, y, x_f, theta, curvature=alpha)

    np.testing.assert_allclose(numerics.influence(m, f), expected, rtol=FLOAT_RTOL)


def test_damping_adds_lambda_to_the_hessian_but_leaves_the_minimiser():
    alpha, damping = 0.5, 2.0
    X, y, x_f, theta = _ridge_problem(seed=6, alpha=alpha)
    m = zoo.ridge_regression(X, y, alpha)
    f = sum(c * t for c, t in zip(x_f, m.params))

    expected = _ridge_closed_form(X, y, x_f, theta, curvature=alpha + damping)

    np.testing.assert_allclose(
        numerics.influence(m, f, damping=damping), expected, rtol=FLOAT_RTOL
    )


def test_direction_returns_the_float_h_dot_the_influences():
    alpha = 0.5
    X, y, x_f, theta = _ridge_problem(seed=7, alpha=alpha)
    m = zoo.ridge_regression(X, y, alpha)
    f = sum(c * t for c, t in zip(x_f, m.params))
    h = np.random.default_rng(70).normal(size=m.n)

    result = numerics.influence(m, f, direction=h)

    assert isinstance(result, float)
    expected = h @ _ridge_closed_form(X, y, x_f, theta, curvature=alpha)
    np.testing.assert_allclose(result, expected, rtol=FLOAT_RTOL)


def test_direction_is_linear_in_h():
    X, y, x_f, _ = _ridge_problem(seed=8)
    m = zoo.ridge_regression(X, y, 0.5)
    f = sum(c * t for c, t in zip(x_f, m.params))
    rng = np.random.default_rng(80)
    h, k = rng.normal(size=(2, m.n))

    combined = numerics.influence(m, f, direction=2.5 * h - 1.5 * k)
    separate = 2.5 * numerics.influence(m, f, direction=h) - 1.5 * numerics.influence(
        m, f, direction=k
    )

    np.testing.assert_allclose(combined, separate, rtol=FLOAT_RTOL)


def test_direction_of_the_wrong_length_raises():
    X, y, x_f, _ = _ridge_problem(seed=9)
    m = zoo.ridge_regression(X, y, 0.5)

    with pytest.raises(ValueError, match=r"direction: need shape \(n,\)"):
        numerics.influence(m, m.params[0], direction=np.ones(m.n + 1))


# ------------------------------------------------------------------ at=


def test_at_a_stationary_point_gives_the_influence_there():
    alpha = 0.5
    X, y, x_f, theta = _ridge_problem(seed=10, alpha=alpha)
    m = zoo.ridge_regression(X, y, alpha)
    f = sum(c * t for c, t in zip(x_f, m.params))

    expected = _ridge_closed_form(X, y, x_f, theta, curvature=alpha)

    np.testing.assert_allclose(
        numerics.influence(m, f, at=theta), expected, rtol=FLOAT_RTOL
    )


def test_at_a_point_that_is_not_stationary_raises():
    alpha = 0.5
    X, y, x_f, theta = _ridge_problem(seed=11, alpha=alpha)
    m = zoo.ridge_regression(X, y, alpha)

    with pytest.raises(ValueError, match="at: .* is not a stationary point"):
        numerics.influence(m, m.params[0], at=theta + 0.1)


@pytest.mark.claim("product-pseudo-inverse")
def test_pseudo_inverse_influence_on_the_product_model_is_the_centred_datum():
    # l_i = (z_i - a b)^2 / 2 has minima on the hyperbola a b = mean(z) and a
    # rank-one Hessian; the minimum-norm response of a b is (z_i - mean z) / n
    # at every point of the hyperbola.
    rng = np.random.default_rng(12)
    z = rng.normal(size=5)
    a, b = sp.symbols("a b")
    m = Model([a, b], [(zi - a * b) ** 2 / 2 for zi in z])
    point = np.array([2.0, z.mean() / 2.0])

    result = numerics.influence(m, a * b, at=point, pseudo_inverse=True)

    np.testing.assert_allclose(
        result, (z - z.mean()) / z.size, rtol=FLOAT_RTOL, atol=FLOAT_ATOL
    )


# -------------------------------------------------------- singular Hessians


def test_overparameterised_least_squares_raises_singular_hessian_error():
    rng = np.random.default_rng(13)
    m = zoo.linear_regression(rng.normal(size=(2, 3)), rng.normal(size=2))

    with pytest.raises(SingularHessianError, match="flat direction"):
        numerics.influence(m, m.params[0])


def test_singular_hessian_message_names_the_ways_out():
    rng = np.random.default_rng(14)
    m = zoo.linear_regression(rng.normal(size=(2, 3)), rng.normal(size=2))

    with pytest.raises(SingularHessianError, match="damping.*pseudo_inverse.*bif"):
        numerics.influence(m, m.params[0])


def test_flat_direction_of_overparameterised_least_squares_is_a_null_vector_of_x():
    rng = np.random.default_rng(15)
    X = rng.normal(size=(2, 3))
    m = zoo.linear_regression(X, rng.normal(size=2))

    with pytest.raises(SingularHessianError) as caught:
        numerics.influence(m, m.params[0])

    (flat,) = np.array(caught.value.flat_directions, dtype=float)
    np.testing.assert_allclose(np.linalg.norm(flat), 1.0, rtol=FLOAT_RTOL)
    np.testing.assert_allclose(X @ flat, 0.0, atol=FLOAT_ATOL)


def test_duplicated_column_gives_the_antisymmetric_flat_direction():
    rng = np.random.default_rng(16)
    x = rng.normal(size=6)
    m = zoo.linear_regression(np.column_stack([x, x]), rng.normal(size=6))

    with pytest.raises(SingularHessianError, match=r"\(theta_1, theta_2\)") as caught:
        numerics.influence(m, m.params[0])

    (flat,) = np.array(caught.value.flat_directions, dtype=float)
    np.testing.assert_allclose(
        flat * np.sign(flat[0]), [2**-0.5, -(2**-0.5)], rtol=FLOAT_RTOL
    )


def test_pseudo_inverse_gives_the_minimum_norm_response_of_numpy_pinv():
    # Rank-deficient design (third column = first + second) with n > d, so the
    # residuals, and hence the per-example gradients, do not vanish.
    rng = np.random.default_rng(17)
    base = rng.normal(size=(8, 2))
    X = np.column_stack([base, base.sum(axis=1)])
    y = rng.normal(size=8)
    x_f = rng.normal(size=3)
    m = zoo.linear_regression(X, y)
    f = sum(c * t for c, t in zip(x_f, m.params))
    theta = np.linalg.pinv(X) @ y

    grads = -(y - X @ theta)[:, None] * X
    expected = -grads @ np.linalg.pinv(X.T @ X) @ x_f

    np.testing.assert_allclose(
        numerics.influence(m, f, at=theta, pseudo_inverse=True),
        expected,
        rtol=FLOAT_RTOL,
        atol=FLOAT_ATOL,
    )


def test_pseudo_inverse_with_damping_raises():
    X, y, _, _ = _ridge_problem(seed=18)
    m = zoo.ridge_regression(X, y, 0.5)

    with pytest.raises(ValueError, match="pseudo_inverse: cannot be combined"):
        numerics.influence(m, m.params[0], damping=0.1, pseudo_inverse=True)


# ------------------------------------------------------------ bad symbols


def test_symbolic_constants_raise_naming_them_and_subs():
    rng = np.random.default_rng(19)
    alpha = sp.Symbol("alpha")
    m = zoo.ridge_regression(rng.normal(size=(4, 2)), rng.normal(size=4), alpha)

    with pytest.raises(ValueError, match=r"constants \['alpha'\].*m\.subs"):
        numerics.influence(m, m.params[0])


def test_observable_with_a_stray_symbol_raises():
    X, y, _, _ = _ridge_problem(seed=20)
    m = zoo.ridge_regression(X, y, 0.5)
    c = sp.Symbol("c")

    with pytest.raises(ValueError, match=r"f: .*free symbols \['c'\]"):
        numerics.influence(m, c * m.params[0])
