"""Mode dynamics of the two-layer linear network and first-order SVD perturbation."""

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import sympy as sp

import numerics
from derivations import deep_linear as dl
from derivations.steps import CATALOG
from tests.tolerances import FLOAT_RTOL, RATE_ATOL
from theory.deep_linear import deep_linear_network, network_parameters

s, G0, tau, t = dl.s, dl.G0, dl.tau, dl.t

# Tolerance of scipy's adaptive integrator at rtol = atol = 1e-11 over a run.
ODE_TOL = 1e-8


def test_the_mode_strength_solves_the_logistic_equation():
    G = dl.mode_strength()
    residual = tau * sp.diff(G, t) - 2 * G * (s - G)
    assert sp.simplify(residual) == 0
    assert sp.simplify(G.subs(t, 0)) == G0


def test_the_mode_strength_matches_a_numerical_solve_of_its_equation():
    strength, init, time_constant = 3.0, 1e-3, 2.0
    times = np.linspace(0, 6, 13)
    solved = scipy.integrate.solve_ivp(
        lambda _, g: 2 * g * (strength - g) / time_constant,
        (0, times[-1]),
        [init],
        t_eval=times,
        rtol=1e-11,
        atol=1e-14,
    )
    closed = sp.lambdify(t, dl.mode_strength(strength, init, time_constant))(times)
    np.testing.assert_allclose(closed, solved.y[0], rtol=ODE_TOL)


def test_the_half_height_time_is_when_the_strength_reaches_half_of_s():
    half = dl.half_height_time()
    assert sp.simplify(dl.mode_strength(time=half) - s / 2) == 0


def test_the_usual_transition_time_is_off_by_order_g0():
    # t_half - t_approx = tau/(2s) log(1 - G0/s) = -tau G0 / (2 s^2) + O(G0^2).
    inits = np.array([1e-2, 1e-3, 1e-4, 1e-5])
    gap = [
        float(dl.half_height_time(3, g, 1) - dl.transition_time(3, g, 1)) for g in inits
    ]
    slope = np.polyfit(np.log(inits), np.log(np.abs(gap)), 1)[0]
    np.testing.assert_allclose(slope, 1.0, atol=RATE_ATOL)
    np.testing.assert_allclose(gap[-1], -inits[-1] / (2 * 9), rtol=1e-4)


def test_the_sensitivity_is_the_derivative_of_the_strength_in_s():
    h = 1e-5
    G = sp.lambdify(s, dl.mode_strength(s, 1e-3, 1.0, 2.0))
    central = (G(3.0 + h) - G(3.0 - h)) / (2 * h)
    exact = float(dl.mode_sensitivity(3.0, 1e-3, 1.0, 2.0))
    np.testing.assert_allclose(central, exact, rtol=1e-8)


def test_the_sensitivity_rises_overshoots_and_settles_to_one():
    dG = sp.lambdify(t, dl.mode_sensitivity(3, sp.Rational(1, 1000), 1))
    times = np.linspace(0, 6, 601)
    values = dG(times)
    np.testing.assert_allclose(values[0], 0.0, atol=1e-12)
    assert values.max() > 1.5
    np.testing.assert_allclose(values[-1], 1.0, rtol=1e-6)
    assert sp.limit(dl.mode_sensitivity(3, sp.Rational(1, 1000), 1), t, sp.oo) == 1


def test_gradient_flow_of_the_network_follows_the_mode_strengths():
    X = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]], dtype=float)
    strengths = np.array([3.0, 0.5])
    Y = X @ np.diag(strengths)  # Sigma_yx = diag(3, 0.5), inputs whitened
    m = deep_linear_network(X, Y, hidden=2)
    init = 1e-3
    W1 = np.sqrt(init) * np.eye(2)
    W2 = np.sqrt(init) * np.eye(2)
    theta0 = np.concatenate([W1.ravel(), W2.ravel()])
    c = numerics.compiled(m)
    times = np.array([0.5, 1.0, 2.0, 3.0, 4.0])
    solved = scipy.integrate.solve_ivp(
        lambda _, th: -c.total(th)[1],
        (0, times[-1]),
        theta0,
        t_eval=times,
        rtol=1e-11,
        atol=1e-14,
    )
    for k, strength in enumerate(strengths):
        G = sp.lambdify(t, dl.mode_strength(strength, init, 1))(times)
        W = [th[4:].reshape(2, 2) @ th[:4].reshape(2, 2) for th in solved.y.T]
        np.testing.assert_allclose([w[k, k] for w in W], G, rtol=ODE_TOL)


@pytest.mark.claim("deep-linear-rotation-symmetric")
def test_the_generators_match_finite_difference_svds():
    rng = np.random.default_rng(4)
    W = rng.normal(size=(3, 3))
    E = rng.normal(size=(3, 3))
    U, S, Vt = np.linalg.svd(W)
    ds, A, B = dl.svd_generators(S, sp.Matrix(U.T @ E @ Vt.T))
    A, B = np.array(A, dtype=float), np.array(B, dtype=float)

    def aligned_svd(M):
        Um, Sm, Vtm = np.linalg.svd(M)
        signs = np.sign(np.sum(Um * U, axis=0))
        return Um * signs, Sm, (Vtm.T * signs)

    h = 1e-6
    Up, Sp, Vp = aligned_svd(W + h * E)
    Um, Sm, Vm = aligned_svd(W - h * E)
    np.testing.assert_allclose(
        (Sp - Sm) / (2 * h), np.array(ds, float).ravel(), rtol=1e-7
    )
    np.testing.assert_allclose((Up - Um) / (2 * h), U @ A, atol=1e-7)
    np.testing.assert_allclose((Vp - Vm) / (2 * h), Vt.T @ B, atol=1e-7)


@pytest.mark.claim("deep-linear-rotation-symmetric")
def test_the_familiar_rotation_form_needs_a_symmetric_perturbation():
    s1, s2 = sp.symbols("s_1 s_2", positive=True)
    e12, e21 = sp.symbols("E_12 E_21")
    _, A, _ = dl.svd_generators([s1, s2], sp.Matrix([[0, e12], [e21, 0]]))
    familiar = e12 / (s2 - s1)
    assert sp.simplify(A[0, 1].subs(e21, e12) - familiar) == 0
    assert sp.simplify(A[0, 1] - familiar) != 0


def test_repeated_singular_values_are_refused():
    with pytest.raises(ValueError, match="need distinct values"):
        dl.svd_generators([1, 1], sp.eye(2))


def test_the_network_loss_is_the_mean_square_error_over_two_n():
    W1, W2, params = network_parameters(2, 2, 2)
    m = deep_linear_network([[1, 2]], [[3, 4]], hidden=2)
    residual = sp.Matrix([3, 4]) - W2 * W1 * sp.Matrix([1, 2])
    assert m.params == params
    assert sp.expand(m.losses[0] - (residual.T * residual)[0] / 2) == 0


def test_mismatched_network_data_is_an_error():
    with pytest.raises(ValueError, match="same n"):
        deep_linear_network([[1, 2]], [[3], [4]])


def test_network_gradient_matches_sympy_to_float_precision():
    m = deep_linear_network([[1.0, 1.0], [1.0, -1.0]], [[2.0, 0.0], [0.0, 1.0]])
    theta = np.linspace(0.1, 0.8, 8)
    grad_expr = [sp.diff(m.loss([1, 1]), p) for p in m.params]
    exact = [float(g.subs(dict(zip(m.params, theta)))) for g in grad_expr]
    np.testing.assert_allclose(
        numerics.compiled(m).total(theta)[1], exact, rtol=FLOAT_RTOL
    )


def _ddt(expr):
    """Time derivative of an expression in G_j, G_k and t along the logistic flow."""
    rates = {dl.Gj: 2 * dl.Gj * (dl.sj - dl.Gj), dl.Gk: 2 * dl.Gk * (dl.sk - dl.Gk)}
    return sum(sp.diff(expr, G) * rate for G, rate in rates.items()) + sp.diff(expr, t)


def test_the_variance_sensitivity_is_g0_times_the_init_sensitivity_minus_g():
    G = dl.mode_strength()
    expected = G0 * sp.diff(G, G0) - G
    assert sp.simplify(dl.variance_sensitivity() - expected) == 0
    assert sp.limit(dl.variance_sensitivity(3, sp.Rational(1, 10), 1), t, sp.oo) == -3


def test_the_sensitivity_overshoot_at_half_height_has_a_closed_form():
    # q = 1 at t_half in G = s / (1 + q): dG/ds = 1/2 - s/(4(s - G0)) + log(...)/4.
    at_half = dl.mode_sensitivity(time=dl.half_height_time())
    expected = sp.Rational(1, 2) - s / (4 * (s - G0)) + sp.log((s - G0) / G0) / 4
    values = {s: 3, G0: sp.Rational(1, 1000), tau: 2}
    np.testing.assert_allclose(
        float(at_half.subs(values)), float(expected.subs(values)), rtol=FLOAT_RTOL
    )


@pytest.mark.claim("deep-linear-mode-formula")
def test_the_pair_equations_match_a_numerical_linearisation_of_the_balanced_flow():
    rng = np.random.default_rng(7)
    G, s_ = np.array([0.7, 0.2]), np.array([3.0, 0.5])
    Delta, F = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))

    def rate(W, source):
        R = np.diag(s_) - W + source  # Sigma_xx = I; the source moves R by F
        return scipy.linalg.sqrtm(W @ W.T) @ R + R @ scipy.linalg.sqrtm(W.T @ W)

    h = 1e-6
    base = np.diag(G)
    central = (rate(base + h * Delta, h * F) - rate(base - h * Delta, -h * F)) / (2 * h)
    D_jk, D_kj, F_jk, F_kj = sp.symbols("D_jk D_kj F_jk F_kj")
    values = {dl.Gj: G[0], dl.Gk: G[1], dl.sj: s_[0], dl.sk: s_[1]}
    values.update({D_jk: Delta[0, 1], D_kj: Delta[1, 0], F_jk: F[0, 1], F_kj: F[1, 0]})
    derived = [float(e.subs(values)) for e in dl.pair_equations()]
    np.testing.assert_allclose(derived, [central[0, 1], central[1, 0]], rtol=1e-7)


def test_the_symmetric_pair_rate_is_the_sum_of_targets_minus_twice_the_strengths():
    kappa_plus, _ = dl.pair_rates()
    assert sp.simplify(kappa_plus - (dl.sj + dl.sk - 2 * (dl.Gj + dl.Gk))) == 0


def test_the_correlation_responses_solve_the_pair_equations_from_zero():
    sigma = dl.Gj + dl.Gk
    for response, rate in zip(dl.pair_correlation_response(), dl.pair_rates()):
        assert sp.simplify(_ddt(response) - rate * response - sigma) == 0
        assert sp.simplify(response.subs({dl.Gk: dl.Gj, t: 0})) == 0


@pytest.mark.claim("deep-linear-mode-formula")
def test_the_rotation_picture_gives_the_symmetric_response_exactly():
    E = sp.Matrix(2, 2, sp.symbols("E_jj E_jk E_kj E_kk"))
    _, A, B = dl.svd_generators([dl.sj, dl.sk], E)
    G = sp.diag(dl.Gj, dl.Gk)
    rotated = A * G + G * B.T
    plus, minus = dl.pair_correlation_response()
    symmetric = (rotated[0, 1] + rotated[1, 0]).subs(E[1, 0], E[0, 1])
    antisymmetric = (rotated[0, 1] - rotated[1, 0]).subs(E[1, 0], -E[0, 1])
    assert sp.simplify(symmetric - 2 * E[0, 1] * plus) == 0
    relaxed = minus.subs(t, sp.oo)
    assert sp.simplify(antisymmetric - 2 * E[0, 1] * relaxed) == 0


def test_the_response_derivation_is_in_the_catalogue():
    story = CATALOG["deep-linear-response"][1]()
    assert len(story) == 6
    assert "relaxation" in str(story)


@pytest.mark.claim("deep-linear-rotation-symmetric")
def test_the_generators_solve_the_differentiated_svd():
    s1, s2 = sp.symbols("s_1 s_2", positive=True)
    e = sp.Matrix(2, 2, sp.symbols("E_11 E_12 E_21 E_22"))
    a, b = sp.symbols("A_12 B_12")
    equations = dl.rotation_equations(s1, s2, e)
    solved = sp.solve([lhs - rhs for lhs, rhs in equations], [a, b], dict=True)[0]
    _, A, B = dl.svd_generators([s1, s2], e)
    assert sp.simplify(solved[a] - A[0, 1]) == 0
    assert sp.simplify(solved[b] - B[0, 1]) == 0
    assert sp.simplify(A + A.T) == sp.zeros(2) and sp.simplify(B + B.T) == sp.zeros(2)
