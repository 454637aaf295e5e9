"""Influence over training time in the two-layer linear network.

The example: whitened inputs (+-1, +-1), modes of strength 3 and 0.5, test
example q = (1, -1). Labels that agree with the learned map are y = S x; the
disagreeing labels add the pattern x_1 x_2 to the second output, which leaves
Sigma_yx = S but flips the second label of the two examples with x_1 = -1
against the learned map.
"""

import numpy as np
import pytest
import scipy.integrate
import sympy as sp

import numerics
from derivations import deep_linear as dl
from numerics import deep_linear as nd
from tests.tolerances import FLOAT_RTOL, RATE_ATOL
from theory.deep_linear import (
    correlation_reweighted_network,
    deep_linear_network,
    two_mode_example,
)

X = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
S = np.array([3.0, 0.5])
AGREE = X * S
DISAGREE = AGREE + np.outer(X[:, 0] * X[:, 1], [0.0, 1.0])
Q = 1  # the test example
SELF, ORTHOGONAL, OPPOSITE, OTHER_ORTHOGONAL = 1, 0, 2, 3
INIT = 1e-4
# numerics.flow integrates at rtol 1e-10; the pair equations at 1e-12.
FLOW_ATOL = 1e-8


def half_height_times(init=INIT):
    return np.array([float(dl.half_height_time(s, init, 1)) for s in S])


def test_the_closed_form_sensitivities_match_the_sympy_derivation():
    times = np.array([0.0, 0.7, 1.9, 4.0, 9.0])
    G, dG_ds, dG_dc = nd.mode_sensitivities(S, INIT, times)
    for k, s in enumerate(S):
        for value, expr in [
            (G, dl.mode_strength(s, INIT, 1)),
            (dG_ds, dl.mode_sensitivity(s, INIT, 1)),
            (dG_dc, dl.variance_sensitivity(s, INIT, 1)),
        ]:
            exact = [float(expr.subs(dl.t, time)) for time in times]
            np.testing.assert_allclose(value[:, k], exact, rtol=FLOAT_RTOL, atol=1e-14)


def test_the_closed_forms_do_not_overflow_at_long_times():
    G, dG_ds, dG_dc = nd.mode_sensitivities(S, INIT, [1e4])
    np.testing.assert_allclose(G[0], S, rtol=FLOAT_RTOL)
    np.testing.assert_allclose(dG_ds[0], 1.0, rtol=FLOAT_RTOL)
    np.testing.assert_allclose(dG_dc[0], -S, rtol=FLOAT_RTOL)


@pytest.mark.claim("deep-linear-mode-formula")
@pytest.mark.parametrize("Y", [AGREE, DISAGREE], ids=["agree", "disagree"])
def test_the_mode_formula_matches_the_exact_tangent_over_the_whole_run(Y):
    times = np.linspace(0.0, 25.0, 126)
    exact = nd.influence_over_time(X, Y, X[Q], Y[Q], times, INIT, method="flow")
    modes = nd.influence_over_time(X, Y, X[Q], Y[Q], times, INIT, method="modes")

    assert np.abs(exact).max() > 1.0
    np.testing.assert_allclose(modes, exact, rtol=0, atol=FLOW_ATOL)


@pytest.mark.claim("deep-linear-mode-formula")
def test_the_mode_formula_holds_for_a_rotated_basis_and_a_larger_init():
    rng = np.random.default_rng(6)
    R, _ = np.linalg.qr(rng.normal(size=(2, 2)))
    Xr = X @ R.T  # still whitened
    Y = Xr @ np.array([[2.0, 0.4], [-0.3, 0.9]]).T
    times = np.linspace(0.0, 8.0, 33)
    exact = nd.influence_over_time(Xr, Y, Xr[0], Y[0], times, 0.05, method="flow")
    modes = nd.influence_over_time(Xr, Y, Xr[0], Y[0], times, 0.05, method="modes")
    np.testing.assert_allclose(modes, exact, rtol=0, atol=FLOW_ATOL)


def test_the_tangent_solves_its_own_finite_difference_of_training():
    # Retrain with example 0 upweighted by +-h: a check that needs no tangent.
    h, time = 1e-4, 3.0
    c = numerics.compiled(deep_linear_network(X, DISAGREE, hidden=2))
    s, U, V = nd.mode_basis(X, DISAGREE)
    theta0 = nd.aligned_init(U, V, INIT)

    def trained(weight):
        b = np.array([weight, 1.0, 1.0, 1.0])
        run = scipy.integrate.solve_ivp(
            lambda _, th: -c.total(th, b)[1],
            (0, time),
            theta0,
            method="DOP853",
            rtol=1e-12,
            atol=1e-14,
        )
        theta = run.y[:, -1]
        return theta[4:].reshape(2, 2) @ theta[:4].reshape(2, 2)

    central = (trained(1 + h) - trained(1 - h)) / (2 * h)
    dW = nd.tangent(X, DISAGREE, [time], INIT)[0, 0]
    np.testing.assert_allclose(dW, central, rtol=0, atol=1e-7)


@pytest.mark.claim("deep-linear-mode-formula")
def test_the_rotation_picture_misses_a_relaxation_of_order_a_power_of_init():
    # Its error is E_- sigma e^{-(s1 + s2) t} / (s1 + s2), largest near the first
    # transition where e^{-(s1+s2) t} = (G0/s1)^{(s1+s2)/(2 s1)}.
    inits = np.array([1e-4, 1e-6, 1e-8])
    errors = []
    for init in inits:
        times = half_height_times(init)[0] + np.linspace(-1.0, 1.0, 41)
        exact = nd.influence_over_time(
            X, AGREE, X[Q], AGREE[Q], times, init, "flow", correlation_only=True
        )
        rotation = nd.influence_over_time(
            X, AGREE, X[Q], AGREE[Q], times, init, "rotation", correlation_only=True
        )
        errors.append(np.abs(rotation - exact).max())
    slope = np.polyfit(np.log(inits), np.log(errors), 1)[0]

    np.testing.assert_allclose(slope, (S[0] + S[1]) / (2 * S[0]), atol=RATE_ATOL)
    assert errors[0] < 1e-3


@pytest.mark.claim("deep-linear-mode-formula")
def test_the_rotation_picture_is_exact_for_symmetric_perturbations():
    # Labels y_p = lambda_p x_p make every y_p x_p^T symmetric; three whitened
    # inputs at 120 degrees keep the perturbations off the diagonal.
    angles = 2 * np.pi * np.arange(3) / 3
    X3 = np.sqrt(2) * np.c_[np.cos(angles), np.sin(angles)]
    Y3 = X3 * np.array([[3.0], [1.0], [0.5]])
    times = np.linspace(0.0, 12.0, 49)
    args = (X3, Y3, X3[0], Y3[0], times, INIT)
    exact = nd.influence_over_time(*args, "flow", correlation_only=True)
    rotation = nd.influence_over_time(*args, "rotation", correlation_only=True)

    assert np.abs(exact).max() > 0.1
    np.testing.assert_allclose(rotation, exact, rtol=0, atol=FLOW_ATOL)


@pytest.mark.claim("deep-linear-sign-flips")
@pytest.mark.parametrize(
    "Y, example, signs",
    [
        (AGREE, ORTHOGONAL, [-1, 1, -1]),
        (AGREE, OPPOSITE, [-1]),
        (DISAGREE, ORTHOGONAL, [-1, 1, -1]),
        (DISAGREE, OPPOSITE, [-1, 1]),
        (DISAGREE, OTHER_ORTHOGONAL, [-1, 1]),
    ],
    ids=["agree-orthogonal", "agree-opposite", "disagree-orthogonal",
         "disagree-opposite", "disagree-other-orthogonal"],
)  # fmt: skip
def test_the_sign_changes_sit_between_the_transitions(Y, example, signs):
    t1, t2 = half_height_times()
    flips = nd.sign_changes(X, Y, X[Q], Y[Q], example, INIT, 40.0)
    ends = np.r_[0.0, flips, (flips[-1] if len(flips) else t1) + 2.0]
    middles = (ends[:-1] + ends[1:]) / 2
    modes = nd.influence_over_time(X, Y, X[Q], Y[Q], middles, INIT, "modes")

    assert len(flips) == len(signs) - 1
    np.testing.assert_array_equal(np.sign(modes[:, example]), signs)
    assert np.all((t1 < flips) & (flips < t2))


@pytest.mark.claim("deep-linear-sign-flips")
@pytest.mark.parametrize("Y", [AGREE, DISAGREE], ids=["agree", "disagree"])
def test_the_sign_changes_are_sign_changes_of_the_exact_influence(Y):
    flips = nd.sign_changes(X, Y, X[Q], Y[Q], ORTHOGONAL, INIT, 40.0)
    h = 1e-3
    times = np.sort(np.r_[flips - h, flips, flips + h])
    exact = nd.influence_over_time(X, Y, X[Q], Y[Q], times, INIT)[:, ORTHOGONAL]
    scale = np.abs(nd.influence_over_time(X, Y, X[Q], Y[Q], [3.0], INIT)).max()

    below, at, above = exact.reshape(-1, 3).T
    assert np.all(np.sign(below) == -np.sign(above))
    np.testing.assert_allclose(at, 0.0, atol=1e-8 * scale)


@pytest.mark.claim("deep-linear-sign-flips")
def test_the_sign_changes_close_in_on_the_transitions_as_the_init_shrinks():
    # t_k grows like log(1/G0) / (2 s_k); the first flip lags t_1 and the
    # second leads t_2 by times that grow far more slowly, so on the scale of
    # the transition times both flips converge onto the transitions.
    lags, leads = [], []
    for init in [1e-4, 1e-6, 1e-8, 1e-10]:
        t1, t2 = half_height_times(init)
        args = (X, AGREE, X[Q], AGREE[Q], ORTHOGONAL, init, t2 + 3.0)
        first, second = nd.sign_changes(*args)
        lags.append((first - t1) / t1)
        leads.append((t2 - second) / t2)

    assert np.all(np.array(lags) > 0) and np.all(np.diff(lags) < 0)
    assert np.all(np.array(leads) > 0) and np.all(np.diff(leads) < 0)


@pytest.mark.claim("deep-linear-sign-flips")
def test_the_influence_between_orthogonal_inputs_tends_to_zero_like_t_e_minus_2_s2_t():
    # The second mode settles like e^{-2 s_2 t}, and dG/ds - 1 carries a factor
    # t; corrections are O(1/t^2) in the slope and O(e^{-2 s_2 t}) in value.
    times = np.linspace(16.0, 24.0, 9)
    args = (X, DISAGREE, X[Q], DISAGREE[Q], times, INIT)
    values = nd.influence_over_time(*args, "modes")[:, ORTHOGONAL]
    slope = np.polyfit(times, np.log(np.abs(values) / times), 1)[0]

    np.testing.assert_allclose(slope, -2 * S[1], atol=RATE_ATOL)
    assert np.all(np.diff(np.abs(values)) < 0) and abs(values[-1]) < 1e-5


@pytest.mark.claim("deep-linear-sign-flips")
def test_the_influence_between_parallel_inputs_tends_to_that_of_least_squares():
    # At t = oo, dW/db_p = r_p x_p^T / n (Sigma_xx = I): influence -r_q.r_p x_p.x_q/n.
    modes = nd.influence_over_time(
        X, DISAGREE, X[Q], DISAGREE[Q], [60.0], INIT, "modes"
    )
    residuals = DISAGREE - X * S
    limit = -(residuals @ residuals[Q]) * (X @ X[Q]) / len(X)
    np.testing.assert_allclose(modes[0], limit, rtol=1e-9, atol=1e-12)
    assert limit[OPPOSITE] > 0 > limit[SELF]


def test_the_correlation_only_network_trains_like_the_mean_loss_network():
    rng = np.random.default_rng(2)
    theta = rng.normal(size=8)
    mean = numerics.compiled(deep_linear_network(X, DISAGREE)).total(theta)[1]
    split = numerics.compiled(correlation_reweighted_network(X, DISAGREE))
    np.testing.assert_allclose(split.total(theta)[1], mean, rtol=FLOAT_RTOL)
    m = correlation_reweighted_network(X, DISAGREE)
    W = sp.Matrix(2, 2, m.params[4:]) * sp.Matrix(2, 2, m.params[:4])
    expected = -(sp.Matrix(DISAGREE[0]).T * W * sp.Matrix(X[0]))[0] / 4
    assert sp.expand(m.losses[0] - expected) == 0


def test_inputs_that_are_not_whitened_are_refused():
    with pytest.raises(ValueError, match=r"X: the mode picture needs whitened"):
        nd.mode_basis(2 * X, AGREE)


def test_repeated_strengths_are_refused():
    with pytest.raises(ValueError, match=r"Y: the mode picture needs distinct"):
        nd.mode_basis(X, X)


def test_an_init_at_or_above_the_smallest_strength_is_refused():
    with pytest.raises(ValueError, match=r"init: need one initial mode strength"):
        nd.influence_over_time(X, AGREE, X[Q], AGREE[Q], [1.0], 0.5)


def test_the_rotation_picture_refuses_a_covariance_change():
    with pytest.raises(ValueError, match=r"correlation_only: the rotation picture"):
        nd.influence_over_time(X, AGREE, X[Q], AGREE[Q], [1.0], INIT, "rotation")


def test_an_unknown_method_and_a_misshapen_test_example_are_refused():
    with pytest.raises(ValueError, match=r"method: need one of"):
        nd.influence_over_time(X, AGREE, X[Q], AGREE[Q], [1.0], INIT, "svd")
    with pytest.raises(ValueError, match=r"x_test, y_test: need shape \(2,\)"):
        nd.influence_over_time(X, AGREE, X[Q][:1], AGREE[Q], [1.0], INIT)


def test_the_two_mode_example_is_the_data_these_tests_describe():
    for labels, Y in (("agree", AGREE), ("disagree", DISAGREE)):
        Xe, Ye = two_mode_example(labels)
        np.testing.assert_array_equal(Xe, X)
        np.testing.assert_array_equal(Ye, Y)
        s, U, V = nd.mode_basis(Xe, Ye)
        np.testing.assert_allclose(s, S, rtol=FLOAT_RTOL)
    assert np.all(np.sign(DISAGREE[2:, 1]) == -np.sign(S[1] * X[2:, 1]))
    with pytest.raises(ValueError, match=r"labels: need 'agree' or 'disagree'"):
        two_mode_example("noisy")
