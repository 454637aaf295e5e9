"""TracIn and SOURCE against exact unrolling: where they agree, and by how much not."""

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize
import sympy as sp

from numerics.source import source, source_filter, source_segments, source_sum
from numerics.tracin import tracin
from numerics.unrolling import batch_schedule, unrolled
from tests.tolerances import FLOAT_RTOL, RATE_ATOL
from theory import Model, zoo


def linear_loss_model(rng, n=6):
    """l_i = -y_i phi_i . theta (no Hessian, every Jacobian I), data x_1 and y."""
    w = sp.symbols("w_1 w_2")
    x1, x2, y = sp.symbols("x_1 x_2 y")
    data = {x1: rng.normal(size=n), x2: rng.normal(size=n), y: rng.normal(size=n)}
    m = Model.from_data(w, -y * (x1 * w[0] + sp.sin(x2) * w[1]), data)
    return m, data[x1], data[y]


def ridge(rng, n=6, d=2, alpha=0.5):
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    return zoo.ridge_regression(X, y, alpha), X, y, alpha


def linear_observable(m, c):
    return sum(ci * p for ci, p in zip(c, m.params))


def slope(errors, lrs):
    return np.polyfit(np.log(lrs), np.log(errors), 1)[0]


# ---------------------------------------------------------------- TracIn


@pytest.mark.claim("tracin-identity-jacobians")
def test_tracin_equals_exact_unrolling_when_every_step_jacobian_is_the_identity():
    rng = np.random.default_rng(0)
    m, _, _ = linear_loss_model(rng)
    f = linear_observable(m, rng.normal(size=2))
    init, steps = rng.normal(size=2), 9
    batches = batch_schedule(m.n, 2, steps, seed=1)
    for options in ({}, {"batches": batches}):
        exact = unrolled(m, f, steps, 0.1, init, **options)
        np.testing.assert_allclose(
            tracin(m, f, steps, 0.1, init, **options), exact, rtol=FLOAT_RTOL
        )
    # Constant gradients: sparse checkpoints that carry their steps' rates agree.
    exact = unrolled(m, f, steps, 0.1, init)
    got = tracin(m, f, steps, 0.1, init, every=4)
    np.testing.assert_allclose(got, exact, rtol=FLOAT_RTOL)


@pytest.mark.claim("tracin-identity-jacobians")
def test_tracin_also_freezes_the_observables_gradient_at_each_checkpoint():
    # Linear losses, f = w_1^2: theta_t = theta_0 - eta t sum_j g_j exactly, so
    # exact - TracIn = -2 eta g_i1 sum_t (w_1(T) - w_1(t)) = eta^2 T(T+1) g_i1 G_1.
    rng = np.random.default_rng(8)
    m, x1, y = linear_loss_model(rng)
    w1 = m.params[0]
    init, steps, lr = rng.normal(size=2), 7, 0.05
    g1 = -y * x1
    gap = unrolled(m, w1**2, steps, lr, init) - tracin(m, w1**2, steps, lr, init)
    expected = lr**2 * steps * (steps + 1) * g1 * g1.sum()
    np.testing.assert_allclose(gap, expected, rtol=FLOAT_RTOL)


@pytest.mark.claim("tracin-identity-jacobians")
def test_tracin_misses_the_propagation_by_eta_squared_t_choose_2_c_h_g():
    # Exact minus TracIn = eta^2 T(T-1)/2 c^T H g_i(theta_0) + O(eta^3).
    rng = np.random.default_rng(1)
    m, X, y, alpha = ridge(rng)
    c, init, steps = rng.normal(size=2), rng.normal(size=2), 5
    f = linear_observable(m, c)
    H = X.T @ X + alpha * np.eye(2)
    g0 = X * (X @ init - y)[:, None]
    leading = steps * (steps - 1) / 2 * (g0 @ (H @ c))

    lrs = np.array([0.01, 0.005, 0.0025])
    errors = []
    for lr in lrs:
        gap = unrolled(m, f, steps, lr, init) - tracin(m, f, steps, lr, init)
        errors.append(np.max(np.abs(gap / lr**2 - leading)) / np.max(np.abs(leading)))
    assert errors[-1] < 0.05
    assert abs(slope(errors, lrs) - 1) < RATE_ATOL


def test_tracin_reports_the_papers_positive_score_and_the_sandbox_its_negative():
    rng = np.random.default_rng(2)
    m, X, y, alpha = ridge(rng)
    c, init, steps, lr = rng.normal(size=2), rng.normal(size=2), 4, 0.05
    f = linear_observable(m, c)

    # TracInCP by hand: sum_t lr grad f(theta_t) . grad l_i(theta_t).
    theta, score = init.copy(), np.zeros(m.n)
    for _ in range(steps):
        score += lr * (X * (X @ theta - y)[:, None]) @ c
        theta = theta - lr * (X.T @ (X @ theta - y) + alpha * theta)

    reported = tracin(m, f, steps, lr, init, convention="tracin")
    np.testing.assert_allclose(reported, score, rtol=FLOAT_RTOL)
    np.testing.assert_allclose(tracin(m, f, steps, lr, init), -score, rtol=FLOAT_RTOL)


def test_a_checkpoint_spacing_below_one_raises():
    m, *_ = ridge(np.random.default_rng(3))
    with pytest.raises(ValueError, match=r"every: need an integer .* >= 1, got 0"):
        tracin(m, m.params[0], 3, 0.1, [0.0, 0.0], every=0)


# ---------------------------------------------------------------- SOURCE


def test_one_segment_from_the_minimiser_is_the_filtered_influence_function():
    rng = np.random.default_rng(4)
    m, X, y, alpha = ridge(rng)
    c = rng.normal(size=2)
    H = X.T @ X + alpha * np.eye(2)
    theta_star = np.linalg.solve(H, X.T @ y)
    g = X * (X @ theta_star - y)[:, None]
    time = 0.3
    # -c^T (I - e^{-tau H}) H^{-1} g_i, by scipy's matrix exponential.
    expected = -g @ np.linalg.solve(H, (np.eye(2) - scipy.linalg.expm(-time * H)) @ c)
    got = source(m, linear_observable(m, c), 10, time / 10, theta_star)
    np.testing.assert_allclose(got, expected, rtol=1e-9)


@pytest.mark.claim("source-flow-limit")
def test_one_segment_tends_to_exact_unrolling_in_the_flow_limit_at_rate_eta():
    # exact - SOURCE = -eta c^T U diag(tau sigma e^{-tau sigma} / 2) U^T g_i + O(eta^2)
    rng = np.random.default_rng(5)
    m, X, y, alpha = ridge(rng)
    c = rng.normal(size=2)
    f = linear_observable(m, c)
    H = X.T @ X + alpha * np.eye(2)
    theta_star = np.linalg.solve(H, X.T @ y)
    g = X * (X @ theta_star - y)[:, None]
    sigma, U = np.linalg.eigh(H)
    time = 1.0 / sigma[-1]
    leading = -g @ (U @ (time * sigma * np.exp(-time * sigma) / 2 * (U.T @ c)))

    steps = np.array([40, 80, 160])
    lrs = time / steps
    errors, coefficients = [], []
    for K, lr in zip(steps, lrs):
        gap = unrolled(m, f, int(K), lr, theta_star) - source(
            m, f, int(K), lr, theta_star
        )
        errors.append(np.max(np.abs(gap)))
        coefficients.append(
            np.max(np.abs(gap / lr - leading)) / np.max(np.abs(leading))
        )
    assert abs(slope(errors, lrs) - 1) < RATE_ATOL
    assert coefficients[-1] < 0.02
    assert abs(slope(coefficients, lrs) - 1) < RATE_ATOL


def two_phase_problem(steps_each, lr):
    """Least squares that two batches with non-commuting Hessians leave at 0.

    Each batch holds pairs of examples with the same input and opposite
    targets, so every batch gradient vanishes at theta = 0 while the
    per-example gradients do not: the run stays at 0, and each phase is
    exactly a fixed quadratic.
    """
    a = np.array([[1.0, 0.0], [0.0, 0.3]])
    turn = np.pi / 5
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    inputs = np.vstack([a, a @ rotation.T * 1.5])
    X = np.repeat(inputs, 2, axis=0)
    y = np.tile([0.8, -0.8], 4) * np.repeat([1.0, 2.0, 0.5, 1.5], 2)
    m = zoo.ridge_regression(X, y, 0.1)
    batches = [np.arange(4)] * steps_each + [np.arange(4, 8)] * steps_each
    H = [2 * X[b].T @ X[b] + 0.1 * np.eye(2) for b in (batches[0], batches[-1])]
    G = [
        np.where(np.isin(np.arange(8), b)[:, None], -2 * X * y[:, None], 0.0)
        for b in (batches[0], batches[-1])
    ]
    return m, batches, H, G


@pytest.mark.claim("source-flow-limit")
def test_two_segments_in_the_right_order_tend_to_exact_unrolling_and_reversed_do_not():
    time, c = 0.8, np.array([1.0, -0.4])
    steps_each = np.array([25, 50, 100])
    errors, reversed_errors = [], []
    for K in steps_each:
        lr = time / K
        m, batches, H, G = two_phase_problem(int(K), lr)
        f = linear_observable(m, c)
        assert np.linalg.norm(H[0] @ H[1] - H[1] @ H[0]) > 0.1
        total = 2 * int(K)
        exact = unrolled(m, f, total, lr, [0.0, 0.0], batches=batches)
        parts, theta = source_segments(
            m, total, lr, [0.0, 0.0], segments=[int(K), total], batches=batches
        )
        right = source_sum(c, parts)
        wrong = source_sum(c, parts[::-1])
        scale = np.max(np.abs(exact))
        errors.append(np.max(np.abs(right - exact)) / scale)
        reversed_errors.append(np.max(np.abs(wrong - exact)) / scale)

    # The right order: the later segment's e^{-tau H_B} acts on segment A.
    phi = [np.linalg.solve(h, np.eye(2) - scipy.linalg.expm(-time * h)) for h in H]
    carry = scipy.linalg.expm(-time * H[1])
    expected = -(G[0] @ (phi[0] @ carry @ c) + G[1] @ (phi[1] @ c))
    got = source(m, f, total, lr, [0.0, 0.0], segments=2, batches=batches)
    np.testing.assert_allclose(got, expected, rtol=1e-9)

    lrs = time / steps_each
    assert abs(slope(errors, lrs) - 1) < RATE_ATOL
    assert errors[-1] < 0.01
    assert min(reversed_errors) > 0.1
    assert max(reversed_errors) - min(reversed_errors) < 0.1 * min(reversed_errors)


def test_one_segment_per_step_tends_to_exact_unrolling_on_a_non_quadratic_loss():
    # A one-step segment replaces I - eta H by e^{-eta H}: O(eta^2) a step, O(eta)
    # over a fixed time. One segment for the whole run stays off by O(1).
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(8, 3)), np.where(rng.random(8) < 0.5, 1.0, -1.0)
    m = zoo.logistic_regression(X, y, alpha=0.3)
    f = linear_observable(m, rng.normal(size=3))
    init, time = rng.normal(size=3), 1.0
    steps = np.array([20, 40, 80])
    errors, single = [], []
    for K in steps:
        exact = unrolled(m, f, int(K), time / K, init)
        for out, segments in ((errors, int(K)), (single, 1)):
            got = source(m, f, int(K), time / K, init, segments=segments)
            out.append(np.max(np.abs(got - exact)) / np.max(np.abs(exact)))
    assert abs(slope(errors, time / steps) - 1) < RATE_ATOL
    assert errors[-1] < 0.01
    assert min(single) > 0.05


def test_source_reports_the_papers_downweighting_mean_loss_derivative():
    rng = np.random.default_rng(6)
    m, *_ = ridge(rng)
    f, init = m.params[0], rng.normal(size=2)
    sandbox = source(m, f, 6, 0.05, init, segments=2)
    reported = source(m, f, 6, 0.05, init, segments=2, convention="source")
    np.testing.assert_allclose(reported, -m.n * sandbox, rtol=FLOAT_RTOL)


@pytest.mark.claim("source-filter-damping")
def test_the_filter_is_within_1_2985_of_damping_one_over_time_for_positive_curvature():
    time = 2.0
    sigma = np.geomspace(1e-6, 1e3, 20001) / time
    ratio = source_filter(sigma, time) * (sigma + 1 / time)
    assert ratio.min() >= 1 - FLOAT_RTOL
    # The maximiser x = tau sigma solves e^x = 1 + x + x^2 (Brent's method).
    x = scipy.optimize.brentq(lambda x: np.exp(x) - 1 - x - x**2, 1.0, 3.0)
    peak = (1 - np.exp(-x)) * (1 + 1 / x)
    np.testing.assert_allclose(sigma[np.argmax(ratio)] * time, x, rtol=1e-3)
    np.testing.assert_allclose(ratio.max(), peak, rtol=1e-8)
    np.testing.assert_allclose([x, peak], [1.793, 1.2985], atol=5e-4)


@pytest.mark.claim("source-filter-damping")
def test_the_filter_grows_without_bound_for_negative_curvature():
    time = 0.5
    k = np.array([2.0, 4.0, 8.0, 16.0, 32.0])
    sigma = -k / time
    filtered = source_filter(sigma, time)
    np.testing.assert_allclose(filtered, time * np.expm1(k) / k, rtol=FLOAT_RTOL)
    # Against damping 1/(sigma + 1/tau), which changes sign at sigma = -1/tau:
    ratio = filtered * (sigma + 1 / time)
    np.testing.assert_allclose(ratio, -np.expm1(k) * (k - 1) / k, rtol=FLOAT_RTOL)
    assert np.all(np.diff(np.abs(ratio)) > 0) and abs(ratio[-1]) > 1e13


def test_the_filter_is_the_segment_time_at_zero_curvature_and_continuous_there():
    got = source_filter([0.0, 1e-9, -1e-9], 3.0)
    np.testing.assert_allclose(got, [3.0, 3.0 - 4.5e-9, 3.0 + 4.5e-9], rtol=1e-15)


@pytest.mark.parametrize(
    "segments, message",
    [
        (0, r"segments: need a number of segments in \[1, steps = 4\], got 0"),
        ([3, 2, 4], r"segments: need increasing step counts ending at steps = 4"),
        ([2], r"segments: need increasing .* got \[2\]"),
    ],
)
def test_bad_segments_raise_with_the_requirement(segments, message):
    m, *_ = ridge(np.random.default_rng(7))
    with pytest.raises(ValueError, match=message):
        source(m, m.params[0], 4, 0.1, [0.0, 0.0], segments=segments)


def test_source_of_a_run_without_steps_raises():
    m, *_ = ridge(np.random.default_rng(10))
    with pytest.raises(ValueError, match=r"steps: SOURCE needs a run of at least one"):
        source(m, m.params[0], 0, 0.1, [0.0, 0.0])
