r"""Least squares with leverage against Sherman-Morrison, derived by hand.

For L(theta; b) = sum_i b_i (y_i - x_i^T theta)^2 / 2 with H = X^T X, residual
r_j = y_j - x_j^T theta*, leverage h_j = x_j^T H^{-1} x_j and the upweighting
response d theta*/d b_j = H^{-1} x_j r_j, setting b_j = 1 - eps gives

    theta*(1 - eps) - theta* = -eps / (1 - eps h_j) * H^{-1} x_j r_j.

Every expected value below is built from X and y with these formulas; none
comes from the functions under test.
"""

import pytest
import sympy as sp

import derivations
from theory import zoo

u, v = sp.symbols("u_1:4"), sp.symbols("v_1:4")
eps = sp.Symbol("epsilon")

#: A line with intercept through four points, one of them far out in x.
_X = [[1, 0], [1, sp.Rational(1, 2)], [1, 1], [1, 4]]
_Y = [1, sp.Rational(1, 3), 2, sp.Rational(-5, 2)]


def _zero(expr):
    return sp.cancel(sp.together(expr)) == 0


class _Oracle:
    """Hat-matrix quantities of unweighted least squares, from X and y alone."""

    def __init__(self, X, y):
        self.X, self.y = sp.Matrix(X), sp.Matrix(y)
        self.H_inv = (self.X.T * self.X).inv()
        self.theta = self.H_inv * self.X.T * self.y

    def row(self, j):
        return self.X[j, :].T

    def leverage(self, j):
        return sp.cancel((self.row(j).T * self.H_inv * self.row(j))[0, 0])

    def response(self, j):
        residual = self.y[j] - (self.row(j).T * self.theta)[0, 0]
        return self.H_inv * self.row(j) * residual

    def sherman_morrison(self, j, eps):
        return -eps / (1 - eps * self.leverage(j)) * self.response(j)

    def without(self, j):
        keep = [i for i in range(self.X.rows) if i != j]
        X, y = self.X.extract(keep, list(range(self.X.cols))), self.y.extract(keep, [0])
        return (X.T * X).inv() * X.T * y


def _symbolic():
    X, y = [[ui] for ui in u], list(v)
    return zoo.linear_regression(X, y), _Oracle(X, y)


def _numeric():
    return zoo.linear_regression(_X, _Y), _Oracle(_X, _Y)


def _linear(m, coefficients):
    return sum(c * p for c, p in zip(coefficients, m.params))


_NUMERIC_F = (1, 3)


# --------------------------------------------------------- exact response


@pytest.mark.parametrize("j", [0, 2])
def test_reweighting_response_is_sherman_morrison_for_one_feature(j):
    m, oracle = _symbolic()
    (theta,) = m.params
    b_j = m.weights[j]

    response = derivations.reweighting_response(m, theta, j)

    expected = oracle.sherman_morrison(j, 1 - b_j)[0]
    assert _zero(response - expected)


@pytest.mark.parametrize("j", [0, 1, 2, 3])
def test_reweighting_response_is_sherman_morrison_for_a_line_with_intercept(j):
    m, oracle = _numeric()
    f = _linear(m, _NUMERIC_F)
    b_j = m.weights[j]

    response = derivations.reweighting_response(m, f, j)

    expected = (sp.Matrix([_NUMERIC_F]) * oracle.sherman_morrison(j, 1 - b_j))[0]
    assert _zero(response - expected)


@pytest.mark.claim("leverage")
def test_reweighting_response_is_rational_in_the_weight_with_one_pole():
    m, _ = _symbolic()
    b_1 = m.weights[0]

    response = derivations.reweighting_response(m, m.params[0], 0)
    _, denominator = sp.fraction(sp.cancel(response))

    assert response.is_rational_function(b_1)
    assert sp.degree(denominator, b_1) == 1


def test_the_pole_of_the_reweighting_response_is_at_one_minus_one_over_leverage():
    m, oracle = _numeric()
    b_4 = m.weights[3]

    response = derivations.reweighting_response(m, _linear(m, _NUMERIC_F), 3)
    _, denominator = sp.fraction(sp.cancel(response))

    assert sp.solve(denominator, b_4) == [1 - 1 / oracle.leverage(3)]


def test_reweighting_response_is_zero_at_the_trained_weight():
    m, _ = _numeric()

    response = derivations.reweighting_response(m, _linear(m, _NUMERIC_F), 1)

    assert response.subs(m.weights[1], 1) == 0


# ----------------------------------------------------------------- series


@pytest.mark.claim("leverage")
def test_series_coefficients_are_minus_influence_times_powers_of_leverage():
    m, oracle = _symbolic()
    (theta,) = m.params
    influence, h = oracle.response(1)[0], oracle.leverage(1)

    coefficients = derivations.reweighting_series(m, theta, 1, order=3)

    expected = [-influence * h ** (k - 1) for k in (1, 2, 3)]
    assert all(_zero(c - e) for c, e in zip(coefficients, expected))


def test_series_has_the_requested_number_of_coefficients():
    m, _ = _numeric()

    assert len(derivations.reweighting_series(m, m.params[0], 0, order=4)) == 4


@pytest.mark.claim("leverage")
def test_series_for_a_line_with_intercept_gains_one_leverage_per_term():
    m, oracle = _numeric()
    f = _linear(m, _NUMERIC_F)
    influence = (sp.Matrix([_NUMERIC_F]) * oracle.response(3))[0]
    h = oracle.leverage(3)

    coefficients = derivations.reweighting_series(m, f, 3, order=4)

    assert coefficients == [-influence * h ** (k - 1) for k in (1, 2, 3, 4)]


def test_series_order_below_one_is_an_error():
    m, _ = _numeric()

    with pytest.raises(ValueError, match=r"order: need a positive integer, got 0"):
        derivations.reweighting_series(m, m.params[0], 0, order=0)


# ---------------------------------------------------------- leave one out


@pytest.mark.claim("leverage")
@pytest.mark.parametrize("j", [0, 1, 2])
def test_leave_one_out_is_minus_influence_over_one_minus_leverage(j):
    m, oracle = _symbolic()
    (theta,) = m.params

    loo = derivations.reweighting_response(m, theta, j).subs(m.weights[j], 0)

    expected = -oracle.response(j)[0] / (1 - oracle.leverage(j))
    assert _zero(loo - expected)


@pytest.mark.parametrize("j", [0, 1, 2, 3])
def test_leave_one_out_from_the_response_equals_retraining_without_the_example(j):
    m, oracle = _numeric()
    f = sp.Matrix([_NUMERIC_F])

    loo = derivations.reweighting_response(m, _linear(m, _NUMERIC_F), j)

    expected = (f * (oracle.without(j) - oracle.theta))[0]
    assert loo.subs(m.weights[j], 0) == expected


# -------------------------------------------------------------- leverages


def test_leverages_are_the_diagonal_of_the_hat_matrix():
    m, oracle = _numeric()

    expected = sp.Matrix([oracle.leverage(j) for j in range(4)])

    assert derivations.leverages(m) == expected


def test_leverages_of_one_feature_are_squared_inputs_over_their_sum():
    m, _ = _symbolic()
    total = sum(ui**2 for ui in u)

    expected = sp.Matrix([ui**2 / total for ui in u])

    assert (derivations.leverages(m) - expected).applyfunc(sp.cancel).is_zero_matrix


def test_leverages_of_one_feature_sum_to_one():
    m, _ = _symbolic()

    assert sp.cancel(sum(derivations.leverages(m))) == 1


def test_leverages_of_a_line_with_intercept_sum_to_two():
    m, _ = _numeric()

    assert sum(derivations.leverages(m)) == 2


def test_ridge_leverages_include_the_regulariser_in_the_hessian():
    alpha = sp.Symbol("alpha", positive=True)
    m = zoo.ridge_regression([[ui] for ui in u], list(v), alpha)
    total = sum(ui**2 for ui in u) + alpha

    expected = sp.Matrix([ui**2 / total for ui in u])

    assert (derivations.leverages(m) - expected).applyfunc(sp.cancel).is_zero_matrix


# ----------------------------------------------------------------- errors


def _logistic():
    return zoo.logistic_regression([[1], [-2], [3]], [1, 1, -1], alpha=1)


def test_leverages_of_a_non_quadratic_model_are_an_error():
    with pytest.raises(
        ValueError, match=r"m: the leverage identities need a loss quadratic"
    ):
        derivations.leverages(_logistic())


def test_reweighting_response_of_a_non_quadratic_model_is_an_error():
    m = _logistic()

    with pytest.raises(
        ValueError, match=r"m: the leverage identities need a loss quadratic"
    ):
        derivations.reweighting_response(m, m.params[0], 0)


def test_reweighting_series_of_a_non_quadratic_model_is_an_error():
    m = _logistic()

    with pytest.raises(
        ValueError, match=r"m: the leverage identities need a loss quadratic"
    ):
        derivations.reweighting_series(m, m.params[0], 0)


@pytest.mark.parametrize("j", [3, -1, 1.0])
def test_an_example_index_out_of_range_is_an_error(j):
    m, _ = _symbolic()

    with pytest.raises(ValueError, match=r"j: need an example index in range\(3\)"):
        derivations.reweighting_response(m, m.params[0], j)
