"""Exact unrolled influence: the spectral closed form against the composition.

Oracles: the exact step-by-step tangent recursion (integer T), matrix powers
of I - lr H for a start at the minimiser, direct iteration of gradient descent
at symbolic data weights, and float64 forward tangents for non-quadratic
models.
"""

import numpy as np
import pytest
import sympy as sp

import derivations
import numerics
from derivations.unrolling import MAX_RECURSION_STEPS
from tests.tolerances import FLOAT_RTOL
from theory import Model, zoo

T = sp.Symbol("T", integer=True, nonnegative=True)
half, quarter = sp.Rational(1, 2), sp.Rational(1, 4)


def _ridge():
    """Ridge with H = [[5/2, 1], [1, 5/2]]: eigenvalues 3/2 and 7/2."""
    X = [[1, 0], [0, 1], [1, 1]]
    return zoo.ridge_regression(X, [1, 2, -1], half)


def _gd(m, steps, lr, init, weights):
    """Exact GD iterates at given (possibly symbolic) data weights."""
    params = list(m.params)
    grad = sp.Matrix([sp.diff(m.loss(weights), p) for p in params])
    theta = sp.Matrix(init)
    for _ in range(steps):
        theta = (theta - lr * grad.xreplace(dict(zip(params, theta)))).expand()
    return theta


def test_symbolic_t_closed_form_equals_the_exact_recursion_at_each_t():
    m = _ridge()
    a, b = m.params
    f = a**2 + b
    init = [1, -2]

    closed = derivations.unrolled(m, f, T, quarter, init)

    for steps in range(5):
        recursion = derivations.unrolled(m, f, steps, quarter, init, method="recursion")
        assert sp.simplify(closed.subs(T, steps) - recursion) == sp.zeros(m.n, 1)


@pytest.mark.claim("unrolling-long-training-limit")
def test_closed_form_from_the_minimiser_is_minus_the_matrix_power_formula():
    m = _ridge()
    a, b = m.params
    f = 2 * a - b
    theta_star, _ = derivations.minimiser(m)
    init = [theta_star[a], theta_star[b]]
    H = sp.hessian(m.loss([1] * m.n), m.params)
    grads = sp.Matrix.hstack(
        *(sp.Matrix([sp.diff(loss, p) for p in m.params]) for loss in m.losses)
    ).xreplace(theta_star)
    steps = 6

    transfer = sp.eye(2) - (sp.eye(2) - quarter * H) ** steps
    expected = (-sp.Matrix([[2, -1]]) * transfer * H.inv() * grads).T

    assert derivations.unrolled(m, f, steps, quarter, init) == expected
    assert sp.simplify(derivations.unrolled(m, f, T, quarter, init).subs(T, steps)) == (
        expected
    )


@pytest.mark.claim("unrolling-long-training-limit")
def test_closed_form_tends_to_the_if_at_the_rate_max_abs_one_minus_lr_sigma():
    m = _ridge()
    a, b = m.params
    f = a + 3 * b
    theta_star, _ = derivations.minimiser(m)
    influence = derivations.influence(m, f)

    closed = derivations.unrolled(m, f, T, quarter, [0, 0])

    # |1 - lr sigma| = 5/8 on u = (1, -1) and 1/8 on (1, 1). A start away
    # from theta* adds a factor T: the gap is (c + o(1)) T (5/8)^T, c != 0.
    # Example 3 has x_3 = (1, 1), so it never touches the slow mode and its
    # gap decays at the fast rate 1/8.
    rates = [sp.Rational(5, 8), sp.Rational(5, 8), sp.Rational(1, 8)]
    for k, rate in enumerate(rates):
        assert sp.limit(closed[k], T, sp.oo) == influence[k]
        gap = closed[k] - influence[k]
        c = sp.limit(gap / (T * rate**T), T, sp.oo)
        assert c.is_finite and c != 0
    assert sp.limit((closed[2] - influence[2]) / sp.Rational(5, 8) ** T, T, sp.oo) == 0


@pytest.mark.claim("unrolling-long-training-limit")
def test_removal_is_the_weight_factor_one_minus_eps_at_eps_one():
    m = _ridge()
    a, b = m.params
    f = a - b
    eps = sp.Symbol("epsilon")
    steps, i = 3, 1
    U = derivations.unrolled(m, f, steps, quarter, [0, 0])

    weights = [1] * m.n
    weights[i] = 1 - eps
    theta = _gd(m, steps, quarter, [0, 0], weights)
    change = sp.expand((theta[0] - theta[1]) - (theta[0] - theta[1]).subs(eps, 0))
    removal = change.subs(eps, 1)

    assert change.coeff(eps, 1) == -U[i]
    assert change.coeff(eps, 2) != 0
    assert removal == sp.Poly(change, eps).eval(1)
    assert abs(removal + U[i]) < abs(removal + U[i] / m.n)


@pytest.mark.claim("unrolling-null-space-growth")
def test_singular_hessian_null_part_grows_like_lr_t_and_range_part_converges():
    u, v, c = sp.symbols("u v c")
    m = Model([u, v], [(u - 1) ** 2 / 2 + c * v, (u + 1) ** 2 / 2 - c * v])

    null = derivations.unrolled(m, v, T, quarter, [0, 3])
    range_part = derivations.unrolled(m, u, T, quarter, [0, 3])

    assert sp.simplify(null - sp.Matrix([-T * c / 4, T * c / 4])) == sp.zeros(2, 1)
    pinv = derivations.influence(m, u, at={u: 0, v: 3}, pseudo_inverse=True)
    expected = pinv * (1 - half**T)
    assert sp.simplify(range_part - expected) == sp.zeros(2, 1)


def test_symbolic_data_and_learning_rate_give_the_general_formula():
    z = sp.symbols("z_1:3")
    lr, theta0 = sp.symbols("eta theta_0", positive=True)
    m = zoo.gaussian_mean(z)
    (mu,) = m.params

    closed = derivations.unrolled(m, mu, 2, lr, [theta0])
    recursion = derivations.unrolled(m, mu, 2, lr, [theta0], method="recursion")

    assert sp.expand(closed - recursion) == sp.zeros(2, 1)


def test_non_quadratic_exact_composition_equals_float64_forward_tangents():
    theta = sp.Symbol("theta")
    zs = [sp.Rational(-1, 2), 1, 2]
    m = Model([theta], [(theta - z) ** 4 / 4 for z in zs], regularizer=theta**2 / 2)
    f = theta**2

    exact = derivations.unrolled(m, f, 4, sp.Rational(1, 10), [sp.Rational(3, 2)])

    np.testing.assert_allclose(
        np.array(exact, dtype=float).ravel(),
        numerics.unrolled(m, f, 4, 0.1, [1.5]),
        rtol=FLOAT_RTOL,
    )


def _cubic_ridge():
    """Ridge whose Hessian has an irreducible cubic characteristic polynomial."""
    X = [[1, 2, 0], [0, 1, -1], [2, 0, 1], [1, 1, 1]]
    m = zoo.ridge_regression(X, [1, 0, -1, 2], 1)
    H = sp.hessian(m.loss([1] * m.n), m.params)
    assert H.charpoly().is_irreducible
    return m


def test_an_integer_t_without_radical_eigenvalues_is_exact_by_composition():
    m = _cubic_ridge()
    f = m.params[0] - m.params[2]
    floats = zoo.ridge_regression(
        [[1.0, 2, 0], [0, 1, -1], [2, 0, 1], [1, 1, 1]], [1.0, 0, -1, 2], 1.0
    )
    f_float = floats.params[0] - floats.params[2]

    exact = derivations.unrolled(m, f, 40, sp.Rational(1, 20), [0, 0, 0])

    assert all(v.is_Rational for v in exact)
    np.testing.assert_allclose(
        np.array(exact, dtype=float).ravel(),
        numerics.unrolled(floats, f_float, 40, 0.05, np.zeros(3)),
        rtol=FLOAT_RTOL,
    )


def test_a_symbolic_t_without_radical_eigenvalues_is_refused():
    m = _cubic_ridge()

    with pytest.raises(ValueError, match="irreducible factor of degree 3"):
        derivations.unrolled(m, m.params[0], T, sp.Rational(1, 20), [0, 0, 0])


# ------------------------------------------------------------ bad input


def _quartic():
    theta = sp.Symbol("theta")
    return Model([theta], [(theta - 1) ** 4, (theta + 1) ** 4]), theta


def test_a_symbolic_t_for_a_non_quadratic_model_is_refused():
    m, theta = _quartic()

    with pytest.raises(ValueError, match="steps: a symbolic number of steps"):
        derivations.unrolled(m, theta, T, quarter, [0])


def test_too_many_steps_of_exact_composition_are_refused():
    m, theta = _quartic()

    with pytest.raises(ValueError, match=rf"limited to T <= {MAX_RECURSION_STEPS}"):
        derivations.unrolled(m, theta, MAX_RECURSION_STEPS + 1, quarter, [0])


def test_exact_composition_stops_when_the_expressions_grow_too_large():
    m, theta = _quartic()
    lr = sp.Symbol("eta")

    with pytest.raises(ValueError, match="operations \\(limit"):
        derivations.unrolled(m, theta, MAX_RECURSION_STEPS, lr, [sp.Symbol("s")])


@pytest.mark.parametrize(
    "steps, init, method, match",
    [
        (half, [0, 0], None, r"steps: need an integer T >= 0, got 1/2"),
        (-2, [0, 0], None, r"steps: need an integer T >= 0, got -2"),
        (sp.Symbol("t"), [0, 0], None, "steps: a symbolic T must be declared"),
        (3, [0], None, r"init: need one starting value per parameter \(2\)"),
        (3, [0, 0], "series", "method: need 'closed form' or 'recursion'"),
    ],
)
def test_bad_steps_start_or_method_are_refused(steps, init, method, match):
    m = _ridge()

    with pytest.raises(ValueError, match=match):
        derivations.unrolled(m, m.params[0], steps, quarter, init, method=method)


def test_the_closed_form_is_refused_for_a_non_quadratic_model():
    m, theta = _quartic()

    with pytest.raises(ValueError, match="method: the closed form needs a quadratic"):
        derivations.unrolled(m, theta, 2, quarter, [0], method="closed form")


# ------------------------------------------------------ narrated derivations


def test_the_narrated_recursion_agrees_with_the_explicit_iterate():
    story = derivations.unrolling_steps.recursion_steps()

    statement, difference = story[-1]

    assert "derivative in b" in statement
    assert difference == sp.zeros(1, 2)


def test_the_narrated_quadratic_limit_is_the_influence_function():
    story = dict(derivations.unrolling_steps.quadratic_steps())

    limits = [e for s, e in story.items() if s.startswith("As T -> oo")]
    compare = [e for s, e in story.items() if s.startswith("the influence function")]

    assert limits[0] == compare[0]


def test_the_narrated_stationarity_condition_of_the_ratio_holds():
    story = derivations.unrolling_steps.filter_steps()

    checks = [e for s, e in story if s.startswith("r'(x) x^2 e^x")]

    assert checks == [0]
