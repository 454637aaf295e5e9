"""The product model at its degenerate minimum, derived exactly.

Oracles: the closed forms of the rank-one Hessian (r_i x_i / S for the
product, 2 a c r_i / (n |v|^2 + lambda) for a^2), the eigenbasis route
derivations.product.damped_influence against the general linear solve of
derivations.influence, and exact limits (sympy.limit) in the damping. The
retraining oracles for leave-one-out live in tests/numerics/test_damping.py.
"""

import pytest
import sympy as sp

import derivations
from derivations.product import (
    damped_influence,
    hessian_directions,
    hyperbola_point,
    leave_one_out_product,
    small_damping_terms,
)
from theory import Model, zoo
from theory.errors import SingularHessianError

z = sp.symbols("z_1:4", real=True)
w = sp.symbols("w_1:3", real=True)
t, lam = sp.symbols("t lambda", positive=True)
DATA = [1, 2, 6]  # mean 3, residuals (-2, -1, 3)


def _zero(M):
    return sp.Matrix(M).applyfunc(lambda e: sp.simplify(e)).is_zero_matrix


def _centred(values):
    mean = sum(values) / len(values)
    return sp.Matrix([v - mean for v in values])


# ------------------------------------------------------- the product a c


@pytest.mark.claim("product-pseudo-inverse")
def test_pseudo_inverse_influence_of_the_product_is_the_centred_datum_over_n():
    m = zoo.product_model(z)
    a, c = m.params

    values = derivations.influence(
        m, a * c, at=hyperbola_point(m, t), pseudo_inverse=True
    )

    assert _zero(values - _centred(z) / 3)


def test_damped_influence_of_the_product_depends_on_the_minimiser():
    m = zoo.product_model(DATA)
    a, c = m.params

    near = derivations.influence(m, a * c, damping=1, at=hyperbola_point(m, 1))
    far = derivations.influence(m, a * c, damping=1, at=hyperbola_point(m, 3))

    # n |v|^2 = 3 (1 + 9) = 30 at t = 1 and 3 (9 + 1) = 30 at t = 3: the same
    # |v|; t = 2 has |v|^2 = 4 + 9/4, so it differs.
    assert near == far
    middle = derivations.influence(m, a * c, damping=1, at=hyperbola_point(m, 2))
    assert middle != near


def test_damped_influence_of_the_product_is_r_v_squared_over_n_v_squared_plus_lambda():
    m = zoo.product_model(z)
    a, c = m.params
    at = hyperbola_point(m, t)
    v2 = t**2 + at[c] ** 2

    expected = _centred(z) * v2 / (3 * v2 + lam)

    assert _zero(derivations.influence(m, a * c, damping=lam, at=at) - expected)


@pytest.mark.claim("product-pseudo-inverse")
def test_exact_leave_one_out_of_the_product_is_minus_the_centred_datum_over_n_minus_1():
    m = zoo.product_model(z)

    assert _zero(leave_one_out_product(m) + _centred(z) / 2)


def test_leave_one_out_of_the_product_with_inputs_refits_the_slope_through_zero():
    X, Z = [1, 2, 3], [1, 2, 6]
    m = zoo.product_model(Z, X)
    s = sp.Rational(sum(x * y for x, y in zip(X, Z)), sum(x * x for x in X))

    expected = [sp.Rational(23 - X[i] * Z[i], 14 - X[i] ** 2) - s for i in range(3)]

    assert list(leave_one_out_product(m)) == expected


# ------------------------------------------- the eigenbasis route agrees


@pytest.mark.parametrize("observable", ["a*c", "a**2", "a + c**3"])
def test_general_damped_influence_equals_the_eigenbasis_formula(observable):
    m = zoo.product_model(z)
    f = sp.sympify(observable, locals=dict(zip("ac", m.params)))
    at = hyperbola_point(m, t)

    general = derivations.influence(m, f, damping=lam, at=at)

    assert _zero(general - damped_influence(m, f, damping=lam, at=at))


def test_general_pseudo_inverse_influence_equals_the_eigenbasis_formula():
    m = zoo.product_model(DATA, [1, 2, 3])
    a, c = m.params
    at = hyperbola_point(m, sp.Rational(1, 2))

    general = derivations.influence(m, a**2 - c, at=at, pseudo_inverse=True)

    assert _zero(general - damped_influence(m, a**2 - c, at=at, pseudo_inverse=True))


def test_tilted_damped_influence_equals_the_eigenbasis_formula():
    m = zoo.tilted_product_model(z, [w[0], w[1], -w[0] - w[1]])
    a, c = m.params
    at = hyperbola_point(m, t)

    general = derivations.influence(m, a**2, damping=lam, at=at)

    assert _zero(general - damped_influence(m, a**2, damping=lam, at=at))


# ------------------------------------------ the claim about a^2, and rates


@pytest.mark.claim("damped-a-squared-finite")
def test_damped_influence_on_a_squared_has_no_pole_at_zero_damping():
    m = zoo.product_model(z)
    a, _ = m.params

    pole, _ = small_damping_terms(m, a**2, hyperbola_point(m, t), damping=lam)

    assert pole == sp.zeros(3, 1)


@pytest.mark.claim("damped-a-squared-finite")
def test_zero_damping_limit_on_a_squared_is_two_s_r_over_n_v_squared():
    m = zoo.product_model(z)
    a, c = m.params
    at = hyperbola_point(m, t)
    s = sum(z) / 3

    _, finite = small_damping_terms(m, a**2, at, damping=lam)

    assert _zero(finite - 2 * s * _centred(z) / (3 * (t**2 + at[c] ** 2)))


@pytest.mark.claim("damped-a-squared-finite")
def test_zero_damping_limit_on_a_squared_differs_between_two_minimisers():
    m = zoo.product_model(DATA)
    a, _ = m.params

    _, at_one = small_damping_terms(m, a**2, hyperbola_point(m, 1))
    _, at_two = small_damping_terms(m, a**2, hyperbola_point(m, 2))

    # 2 s r_i / (n |v|^2) with s = 3, r = (-2, -1, 3): |v|^2 = 10 at t = 1,
    # 25/4 at t = 2.
    r = sp.Matrix([-2, -1, 3])
    assert at_one == 6 * r / 30
    assert at_two == 6 * r / sp.Rational(75, 4)


@pytest.mark.claim("damped-a-squared-finite")
def test_zero_damping_limit_equals_the_pseudo_inverse_influence():
    m = zoo.product_model(z)
    a, c = m.params
    at = hyperbola_point(m, t)

    _, finite = small_damping_terms(m, a**2 + a * c, at, damping=lam)

    pinv = derivations.influence(m, a**2 + a * c, at=at, pseudo_inverse=True)
    assert _zero(finite - pinv)


@pytest.mark.claim("damped-a-squared-finite")
def test_damped_influence_on_a_squared_approaches_its_limit_linearly_in_lambda():
    m = zoo.product_model(DATA)
    a, _ = m.params
    at = hyperbola_point(m, 1)
    _, finite = small_damping_terms(m, a**2, at, damping=lam)

    damped = derivations.influence(m, a**2, damping=lam, at=at)
    slope = [sp.limit((d - f0) / lam, lam, 0) for d, f0 in zip(damped, finite)]

    # d/d lambda of 2 s r_i / (n |v|^2 + lambda) at 0 is -2 s r_i / (n |v|^2)^2.
    assert slope == [sp.Rational(-6, 900) * r for r in (-2, -1, 3)]


@pytest.mark.claim("damped-a-squared-finite")
def test_tilted_influence_on_a_squared_diverges_like_minus_2_w_a_squared_over_lambda():
    tilts = [w[0], w[1], -w[0] - w[1]]
    m = zoo.tilted_product_model(z, tilts)
    a, _ = m.params

    pole, _ = small_damping_terms(m, a**2, hyperbola_point(m, t), damping=lam)

    assert _zero(pole - sp.Matrix([-2 * wi * t**2 for wi in tilts]))


def test_tilted_damped_influence_on_the_product_stays_finite():
    # grad(ab) = v is orthogonal to the flat direction u, so the tilt cannot
    # reach it: the divergence needs both the gradient and f to see u.
    m = zoo.tilted_product_model(z, [w[0], w[1], -w[0] - w[1]])
    a, c = m.params

    pole, _ = small_damping_terms(m, a * c, hyperbola_point(m, t), damping=lam)

    assert pole == sp.zeros(3, 1)


@pytest.mark.claim("damping-proximal")
def test_large_damping_influence_decays_like_minus_grad_f_dot_grad_l_over_lambda():
    m = zoo.product_model(z)
    a, c = m.params
    at = hyperbola_point(m, t)

    damped = derivations.influence(m, a**2, damping=lam, at=at)
    rate = [sp.limit(lam * d, lam, sp.oo) for d in damped]

    grads = [sp.diff(loss, a).xreplace(at) for loss in m.losses]
    assert _zero(sp.Matrix(rate) + sp.Matrix([2 * t * g for g in grads]))


@pytest.mark.claim("damping-proximal")
def test_regular_model_damped_influence_has_exact_limits_at_zero_and_infinity():
    m = zoo.gaussian_mean(z)
    (mu,) = m.params

    damped = derivations.influence(m, mu, damping=lam)

    at_zero = damped.applyfunc(lambda e: sp.limit(e, lam, 0))
    rate_at_infinity = damped.applyfunc(lambda e: sp.limit(lam * e, lam, sp.oo))
    assert _zero(at_zero - _centred(z) / 3)
    assert _zero(rate_at_infinity - _centred(z))


# ------------------------------------------------------------------ errors


def test_a_point_off_the_hyperbola_is_not_stationary():
    m = zoo.product_model(DATA)
    a, c = m.params

    with pytest.raises(ValueError, match=r"at: \{a: 1, c: 1\} is not a stationary"):
        derivations.influence(m, a * c, at={a: 1, c: 1}, pseudo_inverse=True)


def test_a_symbolic_point_off_the_hyperbola_is_not_stationary():
    m = zoo.product_model(z)
    a, c = m.params

    with pytest.raises(ValueError, match=r"is not a stationary point of L"):
        derivations.influence(m, a * c, damping=lam, at={a: t, c: 1})


def test_the_product_model_without_at_asks_for_a_minimiser():
    m = zoo.product_model(DATA)
    a, c = m.params

    with pytest.raises(SingularHessianError, match=r"pass at= to pick a minimiser"):
        derivations.influence(m, a * c)


def test_the_product_model_without_at_names_the_rescaling_direction_as_flat():
    m = zoo.product_model(DATA)
    a, c = m.params

    with pytest.raises(
        SingularHessianError, match=r"stationary points \{a: 3/c\}"
    ) as caught:
        derivations.influence(m, a * c)

    (direction,) = caught.value.flat_directions
    # Along the hyperbola (3/c, c) the flat direction is parallel to (a, -c).
    u = sp.Matrix([3 / c, -c])
    assert sp.simplify(direction[0] * u[1] - direction[1] * u[0]) == 0


def test_the_symbolic_product_model_without_at_names_the_rescaling_direction():
    m = zoo.product_model(z)
    a, c = m.params

    with pytest.raises(SingularHessianError, match=r"pass at= to pick a minimiser"):
        derivations.influence(m, a * c)


def test_a_numeric_search_stopped_at_a_saddle_is_an_error_not_a_flat_direction():
    a, c = sp.symbols("a c")
    # Stationary at the origin with Hessian diag(1, -1/2); no polynomial rung.
    m = Model([a, c], [a**2 / 2 + sp.cos(c) + c**2 / 4])

    with pytest.raises(ArithmeticError, match=r"stopped at the saddle point"):
        derivations.influence(m, a)


def test_pseudo_inverse_with_damping_is_refused_on_the_product_model():
    m = zoo.product_model(DATA)
    a, c = m.params

    with pytest.raises(ValueError, match=r"pseudo_inverse: cannot be combined"):
        derivations.influence(
            m, a * c, damping=lam, at=hyperbola_point(m, 1), pseudo_inverse=True
        )


def test_the_eigenbasis_formula_needs_a_point():
    m = zoo.product_model(DATA)

    with pytest.raises(ValueError, match=r"at: the product model has no isolated"):
        damped_influence(m, m.params[0], damping=1)


def test_the_eigenbasis_formula_refuses_zero_damping_without_the_pseudo_inverse():
    m = zoo.product_model(DATA)

    with pytest.raises(ValueError, match=r"damping: the null-space term needs"):
        damped_influence(m, m.params[0], at=hyperbola_point(m, 1))


def test_the_eigenbasis_formula_refuses_a_point_off_the_hyperbola():
    m = zoo.product_model(DATA)
    a, c = m.params

    with pytest.raises(ValueError, match=r"not on the minimum hyperbola a c = 3"):
        damped_influence(m, a, damping=1, at={a: 1, c: 2})


def test_hyperbola_point_refuses_a_equal_to_zero():
    with pytest.raises(ValueError, match=r"t: need a nonzero value of a, got 0"):
        hyperbola_point(zoo.product_model(DATA), 0)


# ------------------------------------------------- the drawn geometry


def test_the_null_direction_is_the_tangent_of_the_hyperbola():
    m = zoo.product_model(z)
    at = hyperbola_point(m, t)
    s = sum(z) / 3

    geometry = hessian_directions(m, at)

    tangent = sp.Matrix([1, -s / t**2])  # d/dt of (t, s/t)
    u = geometry["null"]
    assert sp.simplify(u[0] * tangent[1] - u[1] * tangent[0]) == 0


def test_the_per_example_gradients_are_minus_the_residual_times_the_range_direction():
    m = zoo.product_model(z)
    at = hyperbola_point(m, t)

    geometry = hessian_directions(m, at)

    v = geometry["range"]
    expected = sp.Matrix.vstack(*(-r * v.T for r in _centred(z)))
    assert _zero(geometry["gradients"] - expected)
    assert sp.simplify(geometry["eigenvalue"] - 3 * v.dot(v)) == 0


def test_the_saddle_at_the_origin_is_refused_as_a_minimiser():
    m = zoo.product_model(DATA)
    a, c = m.params

    with pytest.raises(ValueError, match=r"at: \{a: 0, c: 0\} is stationary but a"):
        derivations.influence(m, a * c, at=[0, 0], pseudo_inverse=True)
