"""Exact influence functions against derivatives of independently solved minimisers.

The oracle for a quadratic model solves the weighted normal equations
(X^T B X + alpha I) theta = X^T B y with B = diag(b_1, ..., b_n) symbolic, then
differentiates theta*(b) in b_i at b = 1 and applies the chain rule onto f. For
logistic regression the oracle is a central difference of the minimiser found
by mpmath's root finder at 60 digits.
"""

import mpmath
import numpy as np
import pytest
import sympy as sp

import derivations
from theory import Model, zoo
from theory.errors import SingularHessianError

#: Stationarity of the 50-digit root, in absolute terms.
ROOT_ATOL = 1e-45
#: Central difference at step 1e-20 with 60-digit arithmetic: O(step^2) error.
DIFFERENCE_STEP = mpmath.mpf("1e-20")
DIFFERENCE_ATOL = 1e-30

u, v = sp.symbols("u_1:4"), sp.symbols("v_1:4")
z = sp.symbols("z_1:4")
alpha, lam, t = sp.symbols("alpha lambda t", positive=True)
b = sp.symbols("b_1:4")


def _zero_matrix(M):
    return sp.Matrix(M).applyfunc(lambda e: sp.cancel(sp.together(e))).is_zero_matrix


def _weighted_least_squares(X, y, weights, alpha=0, damping=0, anchor=None):
    r"""Solve (X^T B X + (alpha + damping) I) theta = X^T B y + damping * anchor."""
    X, y = sp.Matrix(X), sp.Matrix(y)
    B = sp.diag(*weights)
    d = X.shape[1]
    A = X.T * B * X + (alpha + damping) * sp.eye(d)
    rhs = X.T * B * y
    if anchor is not None:
        rhs += damping * sp.Matrix(anchor)
    return A.adjugate() * rhs / A.det()


def _derivative_at_one(theta_b, params, f, weights):
    """Differentiate f(theta*(b)) in each weight, at all weights equal to one."""
    ones = dict.fromkeys(weights, 1)
    f_b = f.xreplace(dict(zip(params, theta_b)))
    return sp.Matrix([sp.diff(f_b, w).xreplace(ones) for w in weights])


def _least_squares_oracle(X, y, params, f, alpha=0, damping=0):
    n = len(y)
    weights = b[:n]
    anchor = None
    if damping != 0:
        anchor = _weighted_least_squares(X, y, [1] * n, alpha=alpha)
    theta_b = _weighted_least_squares(X, y, weights, alpha, damping, anchor)
    return _derivative_at_one(theta_b, params, f, weights)


# ------------------------------------------------------- quadratic models


def test_influence_of_the_mean_is_the_centred_observation_over_n():
    m = zoo.gaussian_mean(z)
    (mu,) = m.params

    mean = sum(z) / 3
    expected = sp.Matrix([(zi - mean) / 3 for zi in z])

    assert _zero_matrix(derivations.influence(m, mu) - expected)


def test_influence_of_the_mean_equals_the_derivative_of_the_solved_weighted_mean():
    m = zoo.gaussian_mean(z)
    (mu,) = m.params
    weighted = sum(bi * (zi - mu) ** 2 / 2 for bi, zi in zip(b, z))
    (mu_b,) = sp.solve(sp.diff(weighted, mu), mu)

    expected = _derivative_at_one([mu_b], [mu], mu, b)

    assert _zero_matrix(derivations.influence(m, mu) - expected)


def test_influence_on_a_nonlinear_observable_follows_the_chain_rule():
    m = zoo.gaussian_mean(z)
    (mu,) = m.params

    mean = sum(z) / 3
    expected = sp.Matrix([2 * mean * (zi - mean) / 3 for zi in z])

    assert _zero_matrix(derivations.influence(m, mu**2) - expected)


def test_influence_for_one_feature_least_squares_matches_the_normal_equations():
    X, y = [[ui] for ui in u], list(v)
    m = zoo.linear_regression(X, y)
    (theta,) = m.params

    expected = _least_squares_oracle(X, y, m.params, theta)

    assert _zero_matrix(derivations.influence(m, theta) - expected)


def test_influence_for_a_line_with_intercept_matches_the_normal_equations():
    X, y = [[1, ui] for ui in u], list(v)
    m = zoo.linear_regression(X, y)
    prediction = m.params[0] + t * m.params[1]

    expected = _least_squares_oracle(X, y, m.params, prediction)

    assert _zero_matrix(derivations.influence(m, prediction) - expected)


def test_influence_for_ridge_with_symbolic_alpha_matches_the_normal_equations():
    X, y = [[ui] for ui in u], list(v)
    m = zoo.ridge_regression(X, y, alpha)
    (theta,) = m.params

    expected = _least_squares_oracle(X, y, m.params, theta, alpha=alpha)

    assert _zero_matrix(derivations.influence(m, theta) - expected)


def test_influence_of_a_closed_form_model_reports_the_closed_form_rung():
    m = zoo.gaussian_mean(z)

    assert derivations.influence(m, m.params[0]).rung == "closed form"


def test_influence_carries_the_minimiser_it_was_evaluated_at():
    m = zoo.gaussian_mean([1, 2, 6])
    (mu,) = m.params

    assert derivations.influence(m, mu).theta_star == {mu: 3}


def test_response_has_one_row_per_parameter_and_one_column_per_example():
    m = zoo.linear_regression([[1, ui] for ui in u], list(v))

    assert derivations.response(m).shape == (2, 3)


def test_response_columns_are_the_derivatives_of_the_minimiser():
    X, y = [[1, 0], [1, 1], [1, 3]], [1, sp.Rational(1, 2), 4]
    m = zoo.linear_regression(X, y)
    theta_b = _weighted_least_squares(X, y, b)
    ones = dict.fromkeys(b, 1)

    expected = sp.Matrix(2, 3, lambda k, i: sp.diff(theta_b[k], b[i]).xreplace(ones))

    assert _zero_matrix(derivations.response(m) - expected)


def test_minimiser_with_symbolic_weights_solves_the_weighted_normal_equations():
    X, y = [[ui] for ui in u], list(v)
    m = zoo.linear_regression(X, y)
    (theta,) = m.params
    theta_b = _weighted_least_squares(X, y, m.weights)

    theta_star, rung = derivations.minimiser(m, weights="symbolic")

    assert rung == "closed form"
    assert sp.cancel(theta_star[theta] - theta_b[0]) == 0


# ------------------------------------------------------------------ damping


@pytest.mark.claim("damping-proximal")
def test_damped_influence_is_the_influence_of_the_proximal_objective():
    X, y = [[ui] for ui in u], list(v)
    m = zoo.linear_regression(X, y)
    (theta,) = m.params

    expected = _least_squares_oracle(X, y, m.params, theta, damping=lam)

    assert _zero_matrix(derivations.influence(m, theta, damping=lam) - expected)


@pytest.mark.claim("damping-proximal")
def test_damped_influence_tends_to_the_undamped_one_as_lambda_goes_to_zero():
    X, y = [[ui] for ui in u], list(v)
    m = zoo.linear_regression(X, y)
    (theta,) = m.params
    undamped = _least_squares_oracle(X, y, m.params, theta)

    damped = derivations.influence(m, theta, damping=lam)
    limit = damped.applyfunc(lambda e: sp.limit(e, lam, 0))

    assert _zero_matrix(limit - undamped)


def test_damped_influence_vanishes_as_lambda_goes_to_infinity():
    m = zoo.linear_regression([[ui] for ui in u], list(v))
    (theta,) = m.params

    damped = derivations.influence(m, theta, damping=lam)

    assert [sp.limit(e, lam, sp.oo) for e in damped] == [0, 0, 0]


def test_damped_influence_of_the_mean_shrinks_by_n_over_n_plus_lambda():
    m = zoo.gaussian_mean(z)
    (mu,) = m.params

    mean = sum(z) / 3
    expected = sp.Matrix([(zi - mean) / (3 + lam) for zi in z])

    assert _zero_matrix(derivations.influence(m, mu, damping=lam) - expected)


# ---------------------------------------------------------------- direction


def test_influence_in_a_direction_is_the_weighted_sum_of_the_influences():
    h = sp.symbols("h_1:4")
    m = zoo.gaussian_mean(z)
    (mu,) = m.params

    mean = sum(z) / 3
    expected = sum(hi * (zi - mean) / 3 for hi, zi in zip(h, z))

    assert sp.cancel(derivations.influence(m, mu, direction=h) - expected) == 0


def test_influence_in_a_direction_is_linear_in_the_direction():
    rng = np.random.default_rng(20240611)
    h = [sp.Rational(int(k), 7) for k in rng.integers(-20, 20, size=3)]
    k = [sp.Rational(int(j), 5) for j in rng.integers(-20, 20, size=3)]
    p, q = sp.Rational(3, 2), sp.Rational(-5, 3)
    m = zoo.linear_regression([[ui] for ui in u], list(v))
    (theta,) = m.params

    combined = derivations.influence(
        m, theta, direction=[p * hi + q * ki for hi, ki in zip(h, k)]
    )
    separate = p * derivations.influence(
        m, theta, direction=h
    ) + q * derivations.influence(m, theta, direction=k)

    assert sp.cancel(combined - separate) == 0


def test_a_direction_of_the_wrong_length_is_an_error():
    m = zoo.gaussian_mean([1, 2, 6])

    with pytest.raises(
        ValueError, match=r"direction: need one entry per example \(3\), got 2"
    ):
        derivations.influence(m, m.params[0], direction=[1, 0])


# -------------------------------------------------- numeric root (logistic)

_LOGISTIC_X = [
    [1, sp.Rational(1, 2)],
    [1, -1],
    [1, 2],
    [1, sp.Rational(-3, 10)],
]
_LOGISTIC_Y = [1, -1, -1, 1]
_LOGISTIC_ALPHA = sp.Rational(1, 10)


def _logistic_model():
    return zoo.logistic_regression(_LOGISTIC_X, _LOGISTIC_Y, alpha=_LOGISTIC_ALPHA)


def _exact(value):
    """An exact rational as an mpmath number at the working precision."""
    value = sp.Rational(value)
    return mpmath.mpf(value.p) / value.q


def _logistic_gradient(theta, weights):
    """Gradient of sum_i b_i log(1 + exp(-y_i x_i.theta)) + alpha |theta|^2 / 2."""
    grad = [_exact(_LOGISTIC_ALPHA) * th for th in theta]
    for weight, row, label in zip(weights, _LOGISTIC_X, _LOGISTIC_Y):
        xs = [_exact(xk) for xk in row]
        margin = label * sum(xk * th for xk, th in zip(xs, theta))
        sigma = 1 / (1 + mpmath.exp(margin))
        for k in range(len(theta)):
            grad[k] -= weight * label * xs[k] * sigma
    return grad


def _logistic_root(weights):
    return mpmath.findroot(lambda *theta: _logistic_gradient(theta, weights), [0, 0])


def test_influence_for_logistic_regression_reports_the_50_digit_rung():
    m = _logistic_model()

    assert derivations.influence(m, m.params[1]).rung == "50-digit root"


def test_the_50_digit_root_satisfies_the_stationarity_equation():
    m = _logistic_model()
    theta_star = derivations.influence(m, m.params[1]).theta_star

    with mpmath.workdps(60):
        theta = [mpmath.mpf(str(theta_star[p])) for p in m.params]
        residual = _logistic_gradient(theta, [1, 1, 1, 1])

    np.testing.assert_allclose(
        [float(r) for r in residual], 0.0, rtol=0, atol=ROOT_ATOL
    )


def test_logistic_influence_matches_a_central_difference_of_the_retrained_root():
    m = _logistic_model()
    values = derivations.influence(m, m.params[1])

    with mpmath.workdps(60):
        errors = []
        for i in range(4):
            up, down = [1] * 4, [1] * 4
            up[i] += DIFFERENCE_STEP
            down[i] -= DIFFERENCE_STEP
            rise = _logistic_root(up)[1] - _logistic_root(down)[1]
            slope = rise / (2 * DIFFERENCE_STEP)
            errors.append(float(slope - mpmath.mpf(str(values[i]))))

    np.testing.assert_allclose(errors, 0.0, rtol=0, atol=DIFFERENCE_ATOL)


# ------------------------------------------------------- degenerate minima

a, c = sp.symbols("a c")


def _flat_model():
    """Losses that see only a + c: the direction (1, -1) is flat."""
    return Model([a, c], [(1 - a - c) ** 2 / 2, (3 - a - c) ** 2 / 2])


def test_a_flat_direction_raises_a_singular_hessian_error():
    with pytest.raises(
        SingularHessianError, match=r"flat direction\(s\) \((-1, 1|1, -1)\)"
    ):
        derivations.influence(_flat_model(), a)


def test_the_singular_hessian_error_carries_the_flat_direction():
    with pytest.raises(SingularHessianError) as caught:
        derivations.influence(_flat_model(), a)

    (direction,) = caught.value.flat_directions
    assert direction[0] + direction[1] == 0
    assert direction[0] != 0


@pytest.mark.parametrize("way_out", ["damping", "pseudo_inverse", "bif"])
def test_the_singular_hessian_error_names_each_way_out(way_out):
    with pytest.raises(SingularHessianError, match=way_out):
        derivations.influence(_flat_model(), a)


def test_a_given_minimiser_reports_the_given_rung():
    I = derivations.influence(
        _flat_model(), a + c, at={a: 1, c: 1}, pseudo_inverse=True
    )

    assert I.rung == "given"


def test_pseudo_inverse_influence_on_the_sum_is_the_mean_influence():
    # The observable a + c is the mean of z = (1, 3): (z_i - 2) / 2.
    I = derivations.influence(
        _flat_model(), a + c, at={a: 1, c: 1}, pseudo_inverse=True
    )

    assert I.T == sp.Matrix([[-sp.Rational(1, 2), sp.Rational(1, 2)]])


def test_damped_influence_at_a_given_minimiser_uses_the_nonzero_eigenvalue():
    # H = 2 (1, 1)(1, 1)^T has eigenvalue 4 along (1, 1), which grad(a + c) spans.
    at = [sp.Rational(1, 2), sp.Rational(3, 2)]
    I = derivations.influence(_flat_model(), a + c, at=at, damping=lam)

    expected = sp.Matrix([-2 / (4 + lam), 2 / (4 + lam)])

    assert _zero_matrix(I - expected)


def test_pseudo_inverse_with_damping_is_an_error():
    m = zoo.gaussian_mean([1, 2, 6])

    with pytest.raises(
        ValueError, match=r"pseudo_inverse: cannot be combined with damping=1"
    ):
        derivations.influence(m, m.params[0], damping=1, pseudo_inverse=True)


def test_a_given_point_that_is_not_stationary_is_an_error():
    m = zoo.gaussian_mean([1, 2, 6])

    with pytest.raises(
        ValueError, match=r"at: \{mu: 2\} is not a stationary point of L"
    ):
        derivations.influence(m, m.params[0], at=[2])


def test_influence_of_a_combination_with_two_symbolic_features_stays_fast():
    # Every entry of the response shares the denominator det(H); tidying the
    # response first keeps the sums over parameters from exploding in cancel.
    p, q, y = sp.symbols("p_1:4"), sp.symbols("q_1:4"), sp.symbols("y_1:4")
    m = zoo.linear_regression([[p[i], q[i]] for i in range(3)], y)
    t1, t2 = m.params
    combined = derivations.influence(m, t1 + 2 * t2)
    separate = derivations.influence(m, t1) + 2 * derivations.influence(m, t2)
    assert sp.simplify(combined - separate) == sp.zeros(3, 1)


def test_a_quadratic_loss_without_a_minimum_is_refused():
    u, v = sp.symbols("u v")
    m = Model([u, v], [u**2 - v**2 + u, (u - 1) ** 2])
    with pytest.raises(ValueError, match="not positive definite"):
        derivations.influence(m, u)


@pytest.mark.parametrize(
    "damping", [-1, sp.Symbol("n", negative=True), sp.I], ids=["-1", "negative", "I"]
)
def test_a_negative_or_complex_damping_is_refused(damping):
    m = zoo.gaussian_mean([1, 2, 6])

    with pytest.raises(ValueError, match=r"damping: need lambda >= 0 .* got"):
        derivations.influence(m, m.params[0], damping=damping)


def test_a_symbolic_damping_without_a_sign_is_kept_as_a_symbol():
    m = zoo.gaussian_mean([1, 2, 6])
    lam = sp.Symbol("lambda")

    I = derivations.influence(m, m.params[0], damping=lam)

    assert sp.simplify(I[2] - 3 / (lam + 3)) == 0
