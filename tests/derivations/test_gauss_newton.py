"""The Gauss-Newton Hessian, the gap H - G and the linearised PBRF, exactly.

Oracles: the Hessian of the composed loss computed by SymPy directly (G plus
the gap must equal it), the implicit function theorem applied to the explicit
proximal Bregman objective (its Hessian and its derivative in epsilon,
differentiated by SymPy), and derivations.influence where G = H.
"""

import pytest
import sympy as sp

import derivations
from derivations.gauss_newton import (
    OutputModel,
    bregman_divergence,
    gauss_newton_hessian,
    hessian_gap,
    pbrf_influence,
    pbrf_objective,
)
from theory.conventions import convert

a, c, w, y, y1, y2 = sp.symbols("a c w y y_1 y_2")
x = sp.symbols("x_1:4", real=True)
z = sp.symbols("z_1:4", real=True)
lam, eps = sp.symbols("lambda epsilon", positive=True)


def _zero(M):
    return sp.Matrix(M).applyfunc(sp.simplify).is_zero_matrix


def _squared(targets):
    return [(zi - y) ** 2 / 2 for zi in targets]


def _exponential():
    """f = exp(w x) on x = (0, 1, 2), z = (2, 6, 3): stationary at w = log 2."""
    xs, zs = (0, 1, 2), (2, 6, 3)
    return OutputModel([w], [sp.exp(w * xi) for xi in xs], _squared(zs), y)


def _two_outputs():
    """Two outputs per example, a coupled output loss, a ridge term."""
    phi = [
        (y1 - zi) ** 2 / 2 + (y1 - zi) * (y2 + zi) / 4 + (y2 + zi) ** 2
        for zi in (1, 2, 4)
    ]
    outputs = [[a * c * xi, a**3 + c * xi**2] for xi in (1, -1, 2)]
    return OutputModel([a, c], outputs, phi, [y1, y2], regularizer=(a**2 + c**2) / 5)


# ----------------------------------------------------------- G + gap = H


@pytest.mark.parametrize(
    "build, at",
    [
        (_exponential, {w: sp.Rational(1, 3)}),
        (_two_outputs, {a: sp.Rational(1, 2), c: -2}),
    ],
)
def test_gauss_newton_plus_gap_is_the_hessian_of_the_composed_loss(build, at):
    om = build()
    H = sp.hessian(om.model().loss([1] * om.n), om.params).xreplace(at)

    assert _zero(gauss_newton_hessian(om, at) + hessian_gap(om, at) - H)


def test_gauss_newton_with_weights_plus_gap_is_the_weighted_hessian():
    om = _two_outputs()
    weights = [sp.Rational(1, 2), 3, 1]
    at = {a: 1, c: sp.Rational(1, 3)}
    H = sp.hessian(om.model().loss(weights), om.params).xreplace(at)

    total = gauss_newton_hessian(om, at, weights) + hessian_gap(om, at, weights)

    assert _zero(total - H)


# ------------------------------------------------------ when G equals H


@pytest.mark.claim("gauss-newton-equals-hessian")
def test_gap_vanishes_everywhere_for_a_model_linear_in_its_parameters():
    om = OutputModel([a, c], [a + c * xi for xi in x], _squared(z), y)

    assert hessian_gap(om, [a, c]) == sp.zeros(2, 2)


@pytest.mark.claim("gauss-newton-equals-hessian")
def test_gap_vanishes_where_every_residual_vanishes():
    targets = [sp.exp(2 * xi) for xi in x]
    om = OutputModel([w], [sp.exp(w * xi) for xi in x], _squared(targets), y)

    assert hessian_gap(om, [2]) == sp.zeros(1, 1)


@pytest.mark.claim("gauss-newton-equals-hessian")
def test_gap_vanishes_at_the_product_minimum_although_residuals_do_not():
    om = OutputModel([a, c], [a * c] * 3, _squared(z), y)
    at = {a: 1, c: sum(z) / 3}

    residuals = [om.output_gradient(i).xreplace(at)[0] for i in range(3)]

    assert not all(sp.simplify(r) == 0 for r in residuals)
    assert _zero(hessian_gap(om, at))


@pytest.mark.claim("gauss-newton-equals-hessian")
def test_gap_vanishes_on_the_whole_hyperbola_of_the_product_model_with_inputs():
    # Outputs x_i g(theta) with g = a c: the gap is (dL/dg) grad^2 g, and
    # stationarity off the origin forces dL/dg = 0.
    t = sp.Symbol("t", positive=True)
    om = OutputModel([a, c], [a * c * xi for xi in x], _squared(z), y)
    s = sum(xi * zi for xi, zi in zip(x, z)) / sum(xi**2 for xi in x)
    at = {a: t, c: s / t}

    grad = sp.Matrix([sp.diff(om.model().loss([1] * 3), p) for p in (a, c)])

    assert _zero(grad.xreplace(at))
    assert _zero(hessian_gap(om, at))


@pytest.mark.claim("gauss-newton-equals-hessian")
def test_gauss_newton_differs_from_the_hessian_at_the_product_saddle():
    om = OutputModel([a, c], [a * c] * 3, _squared(z), y)
    s = sum(z)

    assert gauss_newton_hessian(om, [0, 0]) == sp.zeros(2, 2)
    assert _zero(hessian_gap(om, [0, 0]) - sp.Matrix([[0, -s], [-s, 0]]))


@pytest.mark.claim("gauss-newton-equals-hessian")
def test_gauss_newton_differs_from_the_hessian_at_a_minimum_of_exponential_regression():
    om = _exponential()
    at = {w: sp.log(2)}
    grad = sp.diff(om.model().loss([1, 1, 1]), w).xreplace(at)

    assert sp.simplify(grad) == 0
    assert gauss_newton_hessian(om, at) == sp.Matrix([[68]])
    assert hessian_gap(om, at) == sp.Matrix([[8]])


# ------------------------------------------------------------------- PBRF


def test_bregman_divergence_of_a_squared_loss_is_half_the_squared_distance():
    u, u0 = sp.symbols("u u_0")

    D = bregman_divergence((3 - y) ** 2 / 2, y, u, u0)

    assert sp.expand(D - (u - u0) ** 2 / 2) == 0


@pytest.mark.claim("pbrf-linearisation")
@pytest.mark.parametrize("normalization", ["sum", "mean"])
def test_pbrf_influence_is_the_ift_derivative_of_the_proximal_bregman_objective(
    normalization,
):
    om = _two_outputs()
    at = {a: sp.Rational(1, 2), c: -1}
    f = a * c + c**2
    damping = sp.Rational(1, 4)

    expected = []
    for i in range(om.n):
        J = pbrf_objective(om, i, eps, damping, at, normalization)
        grad = sp.Matrix([sp.diff(J, p) for p in om.params])
        hess = grad.jacobian(om.params).xreplace(at).xreplace({eps: 0})
        mixed = grad.diff(eps).xreplace(at).xreplace({eps: 0})
        response = -hess.LUsolve(mixed)
        grad_f = sp.Matrix([sp.diff(f, p) for p in om.params]).xreplace(at)
        expected.append((grad_f.T * response)[0])

    values = pbrf_influence(om, f, damping=damping, at=at, normalization=normalization)

    assert _zero(values - sp.Matrix(expected))


def test_pbrf_objective_is_stationary_at_the_anchor_without_the_example():
    om = _two_outputs()
    at = {a: sp.Rational(1, 2), c: -1}

    J = pbrf_objective(om, 0, 0, lam, at)

    grad = sp.Matrix([sp.diff(J, p) for p in om.params]).xreplace(at)
    assert _zero(grad)


def test_pbrf_influence_equals_the_damped_influence_function_when_g_equals_h():
    X = [[1, 2], [1, -1], [1, 3], [1, 0]]
    Z = [1, 2, 0, 5]
    om = OutputModel([a, c], [a * r[0] + c * r[1] for r in X], _squared(Z), y)

    pbrf = pbrf_influence(om, a + 2 * c, damping=lam)

    damped = derivations.influence(om.model(), a + 2 * c, damping=lam)
    assert _zero(pbrf - damped)


@pytest.mark.claim("pbrf-linearisation")
def test_mean_pbrf_influence_is_n_times_the_sum_influence_at_n_times_the_damping():
    om = _exponential()
    at = {w: sp.log(2)}

    mean = pbrf_influence(om, w, damping=lam, at=at, normalization="mean")
    total = pbrf_influence(om, w, damping=3 * lam, at=at)

    assert _zero(mean - 3 * total)


def test_mean_pbrf_influence_converts_to_the_sum_one_as_mean_upweighting():
    om = _exponential()
    at = {w: sp.log(2)}

    mean = pbrf_influence(om, w, damping=lam, at=at, normalization="mean")

    converted = convert(mean, "mean-upweighting", n=3)
    assert _zero(converted - pbrf_influence(om, w, damping=3 * lam, at=at))


# ------------------------------------------------------------------ errors


def test_an_unknown_normalization_is_an_error():
    with pytest.raises(
        ValueError, match=r"normalization: need one of \('sum', 'mean'\)"
    ):
        pbrf_influence(_exponential(), w, at={w: 0}, normalization="batch")


def test_a_singular_gauss_newton_hessian_without_damping_is_an_error():
    om = OutputModel([a, c], [a * c] * 3, _squared([1, 2, 6]), y)

    with pytest.raises(ValueError, match=r"damping: G \+ lambda I is singular"):
        pbrf_influence(om, a * c, at=[0, 0])


def test_outputs_of_the_wrong_length_are_an_error():
    with pytest.raises(ValueError, match=r"outputs\[0\]: need 2 output\(s\)"):
        OutputModel([a], [[a]], [(y1 - y2) ** 2], [y1, y2])


def test_one_output_loss_per_example_is_required():
    with pytest.raises(ValueError, match=r"output_losses: need one per example \(2\)"):
        OutputModel([a], [a, 2 * a], [(1 - y) ** 2], y)
