"""The zoo: each model's losses are the documented formula; bad shapes are errors."""

import pytest
import sympy as sp

from theory import Model, zoo

half = sp.Rational(1, 2)


def _is_zero(expr):
    return sp.simplify(expr) == 0


def _all_zero(exprs):
    return all(_is_zero(e) for e in exprs)


# ---------------------------------------------------------- gaussian mean


def test_gaussian_mean_losses_are_half_squared_deviations():
    z = [1, half, -3]
    mu = sp.Symbol("mu")

    m = zoo.gaussian_mean(z)

    assert m.params == (mu,)
    assert _all_zero(li - (zi - mu) ** 2 / 2 for li, zi in zip(m.losses, z))


def test_gaussian_mean_has_no_regularizer():
    assert zoo.gaussian_mean([1, 2]).regularizer == 0


def test_gaussian_mean_prior_is_a_gaussian_log_density():
    tau, m0 = sp.symbols("tau m_0", positive=True)
    mu = sp.Symbol("mu")

    m = zoo.gaussian_mean([1, 2], prior_precision=tau, prior_mean=m0)

    assert _is_zero(m.log_prior + tau * (mu - m0) ** 2 / 2)


def test_gaussian_mean_with_a_symbolic_prior_lists_its_symbols_as_constants():
    tau, m0 = sp.symbols("tau m_0", positive=True)

    m = zoo.gaussian_mean([1, 2], prior_precision=tau, prior_mean=m0)

    assert set(m.constants) == {tau, m0}


def test_gaussian_mean_accepts_symbolic_observations():
    u = sp.symbols("u_1:4")
    mu = sp.Symbol("mu")

    m = zoo.gaussian_mean(u)

    assert m.constants == u
    assert _all_zero(li - (ui - mu) ** 2 / 2 for li, ui in zip(m.losses, u))


def test_gaussian_mean_takes_a_named_parameter():
    nu = sp.Symbol("nu")

    assert zoo.gaussian_mean([1, 2], param=nu).params == (nu,)


# ------------------------------------------------------------ regression


def test_linear_regression_losses_are_half_squared_residuals():
    X = [[1, 2], [1, -half], [1, 0]]
    y = [3, half, -1]
    theta = sp.symbols("theta_1:3")

    m = zoo.linear_regression(X, y)

    expected = [
        (yi - xi[0] * theta[0] - xi[1] * theta[1]) ** 2 / 2 for xi, yi in zip(X, y)
    ]
    assert m.params == theta
    assert _all_zero(li - e for li, e in zip(m.losses, expected))


def test_linear_regression_has_no_regularizer():
    assert zoo.linear_regression([[1], [2]], [0, 1]).regularizer == 0


def test_linear_regression_takes_named_parameters():
    slope, intercept = sp.symbols("slope intercept")

    m = zoo.linear_regression([[2, 1], [3, 1]], [1, 0], params=[slope, intercept])

    assert _is_zero(m.losses[0] - (1 - 2 * slope - intercept) ** 2 / 2)


def test_linear_regression_accepts_symbolic_data():
    p, q = sp.symbols("p_1:3"), sp.symbols("q_1:3")
    (theta,) = sp.symbols("theta_1:2")

    m = zoo.linear_regression([[p[0]], [p[1]]], q)

    assert _all_zero(
        li - (qi - pi * theta) ** 2 / 2 for li, pi, qi in zip(m.losses, p, q)
    )


def test_linear_regression_lists_symbolic_data_as_constants():
    p, q = sp.symbols("p_1:3"), sp.symbols("q_1:3")

    m = zoo.linear_regression([[p[0]], [p[1]]], q)

    assert set(m.constants) == set(p) | set(q)


def test_symbolic_data_named_like_the_template_symbols_are_listed_as_constants():
    x, y = sp.symbols("x_1:3"), sp.symbols("y_1:3")

    m = zoo.linear_regression([[x[0]], [x[1]]], y)

    assert set(m.constants) == set(x) | set(y)


def test_subs_replaces_an_observation_named_like_the_template_symbol():
    z, w = sp.symbols("z w")
    mu = sp.Symbol("mu")

    m = zoo.gaussian_mean([z, w]).subs({z: 5})

    assert m.losses == ((5 - mu) ** 2 / 2, (w - mu) ** 2 / 2)


def test_ridge_regression_adds_half_alpha_times_the_squared_norm():
    alpha = sp.Symbol("alpha", positive=True)
    theta = sp.symbols("theta_1:3")

    m = zoo.ridge_regression([[1, 0], [0, 1], [1, 1]], [1, 2, 3], alpha)

    assert _is_zero(m.regularizer - alpha * (theta[0] ** 2 + theta[1] ** 2) / 2)


def test_ridge_regression_losses_are_the_least_squares_losses():
    alpha = sp.Symbol("alpha", positive=True)
    X, y = [[1, 0], [0, 1], [1, 1]], [1, 2, 3]

    ridge = zoo.ridge_regression(X, y, alpha)

    assert ridge.losses == zoo.linear_regression(X, y).losses


def test_ridge_regression_keeps_a_symbolic_alpha_as_a_constant():
    alpha = sp.Symbol("alpha", positive=True)

    m = zoo.ridge_regression([[1], [2]], [1, 2], alpha)

    assert m.constants == (alpha,)


def test_logistic_regression_losses_are_log_one_plus_exp_minus_margin():
    X = [[1, 2], [1, -half], [1, 0]]
    y = [1, -1, 1]
    theta = sp.symbols("theta_1:3")

    m = zoo.logistic_regression(X, y)

    expected = [
        sp.log(1 + sp.exp(-yi * (xi[0] * theta[0] + xi[1] * theta[1])))
        for xi, yi in zip(X, y)
    ]
    assert _all_zero(li - e for li, e in zip(m.losses, expected))


def test_logistic_regression_with_alpha_adds_a_ridge_term():
    theta = sp.symbols("theta_1:3")

    m = zoo.logistic_regression([[1, 0], [0, 1]], [1, -1], alpha=half)

    assert _is_zero(m.regularizer - (theta[0] ** 2 + theta[1] ** 2) / 4)


def test_logistic_regression_accepts_symbolic_labels():
    s = sp.Symbol("s")
    (theta,) = sp.symbols("theta_1:2")

    m = zoo.logistic_regression([[1], [3]], [1, s])

    assert _is_zero(m.losses[1] - sp.log(1 + sp.exp(-3 * s * theta)))


@pytest.mark.parametrize("label", [0, 2, half])
def test_logistic_regression_rejects_labels_other_than_plus_or_minus_one(label):
    with pytest.raises(ValueError, match=r"y\[1\]: labels must be -1 or \+1"):
        zoo.logistic_regression([[1], [2], [3]], [1, label, -1])


def test_from_losses_builds_the_same_model_as_the_constructor():
    a = sp.Symbol("a")
    losses = [(a - 1) ** 2, (a + 2) ** 2]

    m = zoo.from_losses([a], losses, regularizer=a**2)
    explicit = Model([a], losses, regularizer=a**2)

    assert (m.params, m.losses, m.regularizer) == (
        explicit.params,
        explicit.losses,
        explicit.regularizer,
    )


# ----------------------------------------------------------------- shapes


def _regression(name):
    if name == "ridge":
        return lambda X, y, **kw: zoo.ridge_regression(X, y, 1, **kw)
    return getattr(zoo, f"{name}_regression")


@pytest.mark.parametrize("name", ["linear", "ridge", "logistic"])
def test_one_dimensional_inputs_are_a_shape_error(name):
    with pytest.raises(
        ValueError, match=r"X: need a two-dimensional array of shape \(n, d\)"
    ):
        _regression(name)([1, 2, 3], [1, -1, 1])


@pytest.mark.parametrize("name", ["linear", "ridge", "logistic"])
def test_inputs_without_examples_are_a_shape_error(name):
    with pytest.raises(
        ValueError, match=r"X: need at least one example and one feature"
    ):
        _regression(name)([[]], [1])


@pytest.mark.parametrize("name", ["linear", "ridge", "logistic"])
def test_two_dimensional_targets_are_a_shape_error(name):
    with pytest.raises(ValueError, match=r"y: need shape \(n,\), got \(3, 1\)"):
        _regression(name)([[1], [2], [3]], [[1], [-1], [1]])


@pytest.mark.parametrize("name", ["linear", "ridge", "logistic"])
def test_targets_of_the_wrong_length_are_a_shape_error(name):
    with pytest.raises(
        ValueError, match=r"y: need one entry per row of X \(3\), got 2"
    ):
        _regression(name)([[1], [2], [3]], [1, -1])


@pytest.mark.parametrize("name", ["linear", "ridge", "logistic"])
def test_the_wrong_number_of_parameter_names_is_an_error(name):
    with pytest.raises(
        ValueError, match=r"params: need one symbol per column of X \(1\), got 2"
    ):
        _regression(name)([[1], [2], [3]], [1, -1, 1], params=sp.symbols("p q"))


def test_the_two_layer_linear_network_is_in_the_zoo_with_its_mean_loss():
    m = zoo.deep_linear_network([[1, 0], [0, 1]], [[2, 0], [0, 1]], hidden=2)
    W1 = sp.Matrix(2, 2, m.params[:4])
    W2 = sp.Matrix(2, 2, m.params[4:])
    residual = sp.Matrix([2, 0]) - W2 * W1 * sp.Matrix([1, 0])

    assert m.d == 8
    assert sp.expand(m.losses[0] - residual.dot(residual) / 4) == 0
