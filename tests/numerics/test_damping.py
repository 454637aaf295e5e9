"""Damped and pseudo-inverse influence in float64, at regular and degenerate minima.

Oracles: central differences of real refits of the proximal objective
L(theta; b) + (lambda/2)|theta - theta*|^2 (Newton retraining), the exact
SymPy results of derivations.influence and derivations.product, and fitted
exponents for the rates as lambda goes to 0 or to infinity.
"""

import numpy as np
import pytest
import sympy as sp

import derivations
import numerics
from derivations.product import (
    hyperbola_point,
    leave_one_out_product,
    small_damping_terms,
)
from numerics.influence import damping_limits
from tests.tolerances import (
    DIFFERENCE_RTOL,
    FLOAT_ATOL,
    FLOAT_RTOL,
    RATE_ATOL,
    RETRAIN_RTOL,
)
from theory import Model, zoo
from theory.errors import SingularHessianError

DATA = [1, 2, 6]  # mean 3, residuals (-2, -1, 3)
STEP = 1e-4


def _proximal_refit_slope(m, f, damping, theta_star):
    """Central difference in each b_i of f at the refitted proximal minimiser."""
    anchor = sum((p - float(c)) ** 2 for p, c in zip(m.params, theta_star))
    proximal = Model(
        m.params, m.losses, regularizer=m.regularizer + damping * anchor / 2
    )
    value = sp.lambdify(m.params, f, "numpy")
    slopes = []
    for i in range(m.n):
        up, down = np.ones(m.n), np.ones(m.n)
        up[i] += STEP
        down[i] -= STEP
        high = numerics.minimise(proximal, weights=up, init=theta_star)
        low = numerics.minimise(proximal, weights=down, init=theta_star)
        slopes.append((value(*high) - value(*low)) / (2 * STEP))
    return np.array(slopes)


def _fitted_exponent(lambdas, values):
    return np.polyfit(np.log(lambdas), np.log(np.abs(values)), 1)[0]


# ------------------------------------- damping is the proximal objective


@pytest.mark.claim("damping-proximal")
def test_damped_influence_on_the_product_model_is_the_slope_of_proximal_refits():
    m = zoo.product_model(DATA)
    a, c = m.params
    theta = np.array([1.0, 3.0])

    expected = _proximal_refit_slope(m, a**2, 0.5, theta)

    np.testing.assert_allclose(
        numerics.influence(m, a**2, damping=0.5, at=theta),
        expected,
        rtol=DIFFERENCE_RTOL,
    )


@pytest.mark.claim("damping-proximal")
def test_damped_influence_on_logistic_regression_is_the_slope_of_proximal_refits():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(6, 2))
    y = np.where(rng.random(6) < 0.5, -1, 1)
    m = zoo.logistic_regression(X, y, alpha=0.3)
    f = m.params[0] - m.params[1]
    theta = numerics.minimise(m)

    expected = _proximal_refit_slope(m, f, 2.0, theta)

    np.testing.assert_allclose(
        numerics.influence(m, f, damping=2.0), expected, rtol=DIFFERENCE_RTOL
    )


@pytest.mark.claim("damping-proximal")
def test_damped_logistic_influence_leaves_its_limit_with_slope_grad_f_h_minus_2_g():
    # d/dlambda of -grad f^T (H + lambda I)^-1 g is grad f^T (H + lambda I)^-2 g,
    # so (I(lambda) - I(0)) / lambda = grad f^T H^-2 g + O(lambda).
    rng = np.random.default_rng(12)
    X = rng.normal(size=(6, 2))
    y = np.where(rng.random(6) < 0.5, -1, 1)
    alpha = 0.3
    m = zoo.logistic_regression(X, y, alpha=alpha)
    f = m.params[0] - m.params[1]
    theta = numerics.minimise(m)
    # Gradients and Hessian of log(1 + exp(-y x.theta)) + alpha |theta|^2 / 2.
    s = 1 / (1 + np.exp(y * (X @ theta)))
    grads = -(y * s)[:, None] * X
    H = (X.T * (s * (1 - s))) @ X + alpha * np.eye(2)
    slope_at_zero = grads @ np.linalg.solve(H, np.linalg.solve(H, [1.0, -1.0]))
    lambdas = np.array([1e-3, 5e-4, 2.5e-4, 1.25e-4])

    undamped = numerics.influence(m, f, at=theta)
    damped = [numerics.influence(m, f, damping=lam, at=theta) for lam in lambdas]

    # A wrong slope would leave a constant error, exponent 0.
    errors = (np.array(damped) - undamped) / lambdas[:, None] - slope_at_zero
    for column in errors.T:
        np.testing.assert_allclose(
            _fitted_exponent(lambdas, column), 1.0, atol=RATE_ATOL
        )


@pytest.mark.parametrize("t", [1, 2])
def test_damped_influence_in_float64_equals_the_exact_derivation(t):
    m = zoo.product_model(DATA)
    a, c = m.params
    at = hyperbola_point(m, t)

    exact = derivations.influence(m, a**2 + c, damping=sp.Rational(1, 3), at=at)

    np.testing.assert_allclose(
        numerics.influence(m, a**2 + c, damping=1 / 3, at=[float(at[a]), float(at[c])]),
        np.array(exact, dtype=float).ravel(),
        rtol=FLOAT_RTOL,
    )


# ------------------------------------------------- the product model


@pytest.mark.claim("damped-a-squared-finite")
@pytest.mark.parametrize("t", [0.5, 1.0, 2.0])
def test_pseudo_inverse_influence_on_a_squared_is_two_s_r_over_n_v_squared(t):
    m = zoo.product_model(DATA)
    a, _ = m.params
    r = np.array([-2.0, -1.0, 3.0])

    expected = 2 * 3 * r / (3 * (t**2 + (3 / t) ** 2))

    np.testing.assert_allclose(
        numerics.influence(m, a**2, at=[t, 3 / t], pseudo_inverse=True),
        expected,
        rtol=FLOAT_RTOL,
    )


@pytest.mark.claim("damped-a-squared-finite")
def test_damped_influence_on_a_squared_reaches_its_finite_limit_at_rate_lambda():
    m = zoo.product_model(DATA)
    a, _ = m.params
    theta = [1.0, 3.0]
    limit = numerics.influence(m, a**2, at=theta, pseudo_inverse=True)
    lambdas = np.array([1e-2, 1e-3, 1e-4])

    gaps = [numerics.influence(m, a**2, damping=lam, at=theta)[0] for lam in lambdas]

    exponent = _fitted_exponent(lambdas, np.array(gaps) - limit[0])
    np.testing.assert_allclose(exponent, 1.0, atol=RATE_ATOL)


@pytest.mark.claim("damped-a-squared-finite")
def test_tilted_damped_influence_on_a_squared_grows_like_one_over_lambda():
    m = zoo.tilted_product_model(DATA, [1, -2, 1])
    a, _ = m.params
    lambdas = np.array([1e-2, 1e-3, 1e-4])

    values = [
        numerics.influence(m, a**2, damping=lam, at=[1.0, 3.0])[1] for lam in lambdas
    ]

    np.testing.assert_allclose(_fitted_exponent(lambdas, values), -1.0, atol=RATE_ATOL)


@pytest.mark.claim("damped-a-squared-finite")
def test_tilted_damped_influence_times_lambda_tends_to_minus_two_w_a_squared():
    m = zoo.tilted_product_model(DATA, [1, -2, 1])
    a, _ = m.params
    lam = 1e-8

    scaled = lam * numerics.influence(m, a**2, damping=lam, at=[1.0, 3.0])

    # The finite part is O(1), so lambda I = c_{-1} + O(lambda).
    np.testing.assert_allclose(scaled, [-2.0, 4.0, -2.0], rtol=1e-7)


@pytest.mark.claim("damping-proximal")
def test_large_damping_influence_decays_like_minus_grad_f_dot_grad_l_over_lambda():
    m = zoo.product_model(DATA)
    a, _ = m.params
    lambdas = np.array([1e4, 1e5, 1e6])
    # grad(a^2) = (2, 0) at (1, 3); grad l_i = -r_i (3, 1).
    rate = -2.0 * -np.array([-2.0, -1.0, 3.0]) * 3.0

    values = np.array(
        [
            lam * numerics.influence(m, a**2, damping=lam, at=[1.0, 3.0])
            for lam in lambdas
        ]
    )

    # Exactly lambda I = rate * lambda / (n |v|^2 + lambda), n |v|^2 = 30.
    np.testing.assert_allclose(
        values, rate * (lambdas / (30 + lambdas))[:, None], rtol=FLOAT_RTOL
    )
    np.testing.assert_allclose(
        _fitted_exponent(lambdas, values[:, 0] - rate[0]), -1.0, atol=RATE_ATOL
    )


@pytest.mark.claim("product-pseudo-inverse")
def test_retrained_product_leave_one_out_is_minus_the_centred_datum_over_n_minus_1():
    m = zoo.product_model(DATA)
    a, c = m.params
    theta = np.array([1.0, 3.0])

    retrained = []
    for i in range(3):
        weights = np.ones(3)
        weights[i] = 0.0
        refit = numerics.minimise(m, weights=weights, init=theta)
        retrained.append(refit[0] * refit[1] - 3.0)

    np.testing.assert_allclose(retrained, [1.0, 0.5, -1.5], rtol=RETRAIN_RTOL)


def test_retrained_product_leave_one_out_with_inputs_equals_the_exact_derivation():
    X, Z = [1.0, 2.0, 3.0], [1.0, 2.0, 6.0]
    m = zoo.product_model(Z, X)
    s = 23 / 14
    theta = np.array([1.0, s])

    retrained = []
    for i in range(3):
        weights = np.ones(3)
        weights[i] = 0.0
        refit = numerics.minimise(m, weights=weights, init=theta)
        retrained.append(refit[0] * refit[1] - s)

    exact = leave_one_out_product(zoo.product_model([1, 2, 6], [1, 2, 3]))
    np.testing.assert_allclose(
        retrained, np.array(exact, dtype=float).ravel(), rtol=RETRAIN_RTOL
    )


def test_a_float_point_off_the_hyperbola_is_an_error():
    m = zoo.product_model(DATA)
    a, c = m.params

    with pytest.raises(ValueError, match=r"at: .* is not a stationary point of L"):
        numerics.influence(m, a * c, at=[1.0, 2.9], pseudo_inverse=True)


# ------------------------------------ both ends of the damping, in float64


@pytest.mark.parametrize("t", [1, 2])
def test_damping_limits_on_the_product_model_equal_the_exact_pole_and_limit(t):
    m = zoo.product_model(DATA)
    a, c = m.params
    at = hyperbola_point(m, t)
    pole, finite = small_damping_terms(m, a**2 + c, at)

    limits = damping_limits(m, a**2 + c, at=[float(at[a]), float(at[c])])

    np.testing.assert_allclose(limits["pole"], 0.0, atol=FLOAT_ATOL)
    np.testing.assert_allclose(
        limits["finite"], np.array(finite, dtype=float).ravel(), rtol=FLOAT_RTOL
    )


def test_damping_limits_of_the_tilted_model_find_the_pole_minus_two_w_a_squared():
    m = zoo.tilted_product_model(DATA, [1, -2, 1])
    a, c = m.params
    at = hyperbola_point(m, 2)
    pole, finite = small_damping_terms(m, a**2, at)

    limits = damping_limits(m, a**2, at=[2.0, 1.5])

    np.testing.assert_allclose(limits["pole"], [-8.0, 16.0, -8.0], rtol=FLOAT_RTOL)
    np.testing.assert_allclose(
        limits["pole"], np.array(pole, dtype=float).ravel(), rtol=FLOAT_RTOL
    )
    np.testing.assert_allclose(
        limits["finite"], np.array(finite, dtype=float).ravel(), rtol=FLOAT_RTOL
    )


def test_damping_limit_at_infinity_is_the_coefficient_of_one_over_lambda():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(5, 2))
    y = np.where(rng.random(5) < 0.5, -1, 1)
    m = zoo.logistic_regression(X, y, alpha=0.5)
    f = m.params[0] + 2 * m.params[1]
    lambdas = np.array([1e5, 1e6])

    limits = damping_limits(m, f)

    # lambda I(lambda) = c_oo + O(1/lambda): the gap shrinks tenfold per decade.
    gaps = [
        np.abs(lam * numerics.influence(m, f, damping=lam) - limits["infinity"])
        for lam in lambdas
    ]
    np.testing.assert_allclose(gaps[1] / gaps[0], 0.1, rtol=1e-3)
    np.testing.assert_allclose(
        limits["finite"], numerics.influence(m, f), rtol=FLOAT_RTOL
    )


def test_pseudo_inverse_with_damping_is_refused_in_float64():
    m = zoo.product_model(DATA)
    a, c = m.params

    with pytest.raises(ValueError, match=r"pseudo_inverse: cannot be combined"):
        numerics.influence(m, a * c, damping=0.1, at=[1.0, 3.0], pseudo_inverse=True)


def test_the_product_model_at_zero_damping_names_the_flat_direction_in_float64():
    m = zoo.product_model(DATA)
    a, c = m.params

    # u = (a, -c) / |u| = (1, -3) / sqrt(10) at (1, 3), up to sign.
    flat = r"flat direction\(s\) \(-?0\.3162, -?0\.9487\) in \(a, c\)"
    with pytest.raises(SingularHessianError, match=flat):
        numerics.influence(m, a * c, at=[1.0, 3.0])


def test_the_saddle_at_the_origin_is_refused_as_a_minimiser_in_float64():
    m = zoo.product_model(DATA)
    a, c = m.params

    with pytest.raises(ValueError, match=r"at: .* is stationary but a saddle"):
        numerics.influence(m, a * c, damping=1.0, at=[0.0, 0.0])


# ------------------------------------------- many dampings, one factorisation


def test_damping_path_equals_one_influence_call_per_damping():
    rng = np.random.default_rng(21)
    X = rng.normal(size=(7, 3))
    y = np.where(rng.random(7) < 0.5, -1, 1)
    m = zoo.logistic_regression(X, y, alpha=0.2)
    f = m.params[0] * m.params[2]
    lambdas = np.array([0.0, 0.01, 1.0, 100.0])

    path = numerics.damping_path(m, f, lambdas)

    expected = [numerics.influence(m, f, damping=lam) for lam in lambdas]
    np.testing.assert_allclose(path, expected, rtol=FLOAT_RTOL)


def test_damping_path_on_the_product_model_equals_the_exact_damped_influence():
    m = zoo.product_model(DATA)
    a, c = m.params
    lam = sp.Symbol("lambda", positive=True)
    exact = derivations.influence(m, a**2 + c, damping=lam, at=hyperbola_point(m, 2))
    lambdas = [sp.Rational(1, 100), 1, 50]

    path = numerics.damping_path(m, a**2 + c, [float(x) for x in lambdas], [2, 1.5])

    expected = [[float(e.xreplace({lam: x})) for e in exact] for x in lambdas]
    np.testing.assert_allclose(path, expected, rtol=FLOAT_RTOL)


def test_damping_path_through_zero_at_a_flat_minimum_is_an_error():
    m = zoo.product_model(DATA)
    a, c = m.params

    with pytest.raises(SingularHessianError, match=r"plus damping 0\.0 is singular"):
        numerics.damping_path(m, a * c, [1.0, 0.0], at=[1.0, 3.0])


def test_a_negative_damping_in_a_path_is_an_error():
    m = zoo.gaussian_mean(DATA)

    with pytest.raises(ValueError, match=r"dampings: need a one-dimensional array"):
        numerics.damping_path(m, m.params[0], [1.0, -1.0])
