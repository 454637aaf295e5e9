"""Gradient flow's influence against closed forms, and GD's convergence to it.

Oracles: the matrix exponential for a quadratic loss (started at the minimiser
and away from it, through the linear system of (theta, J)), the filter
(1 - exp(-t sigma))/sigma, and the exact solution of the quartic flow
theta' = -theta^3 with its tangent, whose response grows like 2 a t / 5.
"""

import numpy as np
import pytest
import scipy.linalg
import sympy as sp

import derivations
import numerics
from tests.tolerances import FLOAT_ATOL, RATE_ATOL
from theory import Model, zoo
from theory.errors import ConvergenceError

# The flow is integrated at rtol 1e-10, atol 1e-12; the error at the end of
# the interval is a small multiple of those.
FLOW_RTOL = 1e-8


def _ridge(seed, n=5, d=3, alpha=0.5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + rng.normal(size=n)
    c = rng.normal(size=d)
    m = zoo.ridge_regression(X, y, alpha)
    return m, sum(float(ci) * p for ci, p in zip(c, m.params)), c, X, y, alpha


def test_quadratic_flow_from_the_minimiser_is_the_matrix_exponential_formula():
    m, f, c, X, y, alpha = _ridge(0)
    H = X.T @ X + alpha * np.eye(3)
    theta_star = np.linalg.solve(H, X.T @ y)
    grads = -X * (y - X @ theta_star)[:, None]
    times = np.array([0.0, 0.3, 1.0, 4.0])

    expected = [
        -c @ (np.eye(3) - scipy.linalg.expm(-t * H)) @ np.linalg.solve(H, grads.T)
        for t in times
    ]

    np.testing.assert_allclose(
        numerics.flow(m, f, times, theta_star), expected, rtol=FLOW_RTOL, atol=1e-12
    )


def test_quadratic_flow_from_the_minimiser_applies_the_flow_filter_per_eigenvalue():
    m, f, c, X, y, alpha = _ridge(1)
    eigvals, P = np.linalg.eigh(X.T @ X + alpha * np.eye(3))
    theta_star = numerics.minimise(m)
    grads = -X * (y - X @ theta_star)[:, None]
    t = 2.5

    filtered = P @ np.diag(derivations.filters.flow_filter(eigvals, t)) @ P.T

    np.testing.assert_allclose(
        numerics.flow(m, f, [t], theta_star)[0],
        -c @ filtered @ grads.T,
        rtol=FLOW_RTOL,
    )


def test_quadratic_flow_from_elsewhere_solves_the_linear_system_of_theta_and_j():
    # theta' = -(H theta + q), J' = -H J - (H_i theta + q_i)_i: one linear ODE
    # in z = (theta, J, 1) with a constant matrix, solved by expm.
    m, f, c, X, y, alpha = _ridge(2, n=4)
    n, d = X.shape
    H = X.T @ X + alpha * np.eye(d)
    A = np.zeros((d + d * n + 1, d + d * n + 1))
    A[:d, :d], A[:d, -1] = -H, X.T @ y
    for i in range(n):
        rows = slice(d + i * d, d + (i + 1) * d)  # column i of J, stored by example
        A[rows, rows] = -H
        A[rows, :d] = -np.outer(X[i], X[i])
        A[rows, -1] = X[i] * y[i]
    init = np.array([1.0, -2.0, 0.5])
    z0 = np.r_[init, np.zeros(d * n), 1.0]
    times = np.array([0.5, 2.0])

    expected = []
    for t in times:
        z = scipy.linalg.expm(t * A) @ z0
        expected.append(c @ z[d : d + d * n].reshape(n, d).T)

    np.testing.assert_allclose(
        numerics.flow(m, f, times, init), expected, rtol=FLOW_RTOL
    )


def _quartic(a):
    """L = theta^4 / 4 from l_1 = theta^4/4 + a theta, l_2 = -a theta."""
    theta = sp.Symbol("theta")
    return Model([theta], [theta**4 / 4 + a * theta, -a * theta]), theta


def _quartic_response(t, a, theta0):
    r"""Exact d theta(t)/d b_i for theta' = -theta^3, from theta(0) = theta0.

    With u = 2t + c, c = theta0^{-2}: theta^2 = 1/u and
    J_2 = (a/5)(u - c^{5/2} u^{-3/2}),
    J_1 = -J_2 - (u^{-1/2} - c u^{-3/2})/2.
    """
    c = theta0**-2.0
    u = 2 * t + c
    J2 = a / 5 * (u - c**2.5 * u**-1.5)
    J1 = -J2 - (u**-0.5 - c * u**-1.5) / 2
    return np.stack([J1, J2], axis=-1)


def test_quartic_flow_response_matches_its_exact_solution():
    a, theta0 = 0.4, 1.5
    m, theta = _quartic(a)
    times = np.array([0.0, 0.5, 3.0, 40.0])

    np.testing.assert_allclose(
        numerics.flow(m, theta, times, [theta0]),
        _quartic_response(times, a, theta0),
        rtol=FLOW_RTOL,
        atol=FLOAT_ATOL,
    )


@pytest.mark.claim("unrolling-null-space-growth")
def test_quartic_minimum_response_grows_like_t_with_slope_two_a_over_five():
    a = 0.4
    m, theta = _quartic(a)
    times = np.array([1e3, 2e3])

    J = numerics.flow(m, theta, times, [1.0])[:, 1]

    slope = (J[1] - J[0]) / (times[1] - times[0])
    np.testing.assert_allclose(slope, 2 * a / 5, rtol=1e-6)


@pytest.mark.claim("unrolling-gd-to-flow")
def test_gradient_descent_tends_to_the_flow_at_rate_lr():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(8, 2))
    y = np.where(X[:, 0] + rng.normal(size=8) > 0, 1.0, -1.0)
    m = zoo.logistic_regression(X, y, alpha=0.2)
    f = m.params[0] + 2 * m.params[1]
    init, t = np.array([0.5, -0.5]), 2.0
    flow = numerics.flow(m, f, [t], init)[0]

    lrs = np.array([0.04, 0.02, 0.01, 0.005])
    errors = [
        np.abs(numerics.unrolled(m, f, int(round(t / lr)), lr, init) - flow).max()
        for lr in lrs
    ]
    slope = np.polyfit(np.log(lrs), np.log(errors), 1)[0]

    np.testing.assert_allclose(slope, 1.0, atol=RATE_ATOL)


def test_flow_output_has_one_row_per_time_and_zero_at_time_zero():
    m = zoo.gaussian_mean([1.0, 2.0, 6.0])

    out = numerics.flow(m, m.params[0], [0.0, 0.0, 1.0], [3.0])

    assert out.shape == (3, 3)
    np.testing.assert_array_equal(out[:2], 0.0)


@pytest.mark.parametrize(
    "times, init, match",
    [
        ([1.0, 0.5], [0.0], "times: need a one-dimensional, nondecreasing"),
        ([-1.0], [0.0], "times: need a one-dimensional, nondecreasing"),
        ([[1.0]], [0.0], "times: need a one-dimensional, nondecreasing"),
        ([1.0], [0.0, 1.0], r"init: need shape \(d,\) = \(1,\)"),
    ],
)
def test_bad_times_or_start_are_refused(times, init, match):
    m = zoo.gaussian_mean([1.0, 2.0, 6.0])

    with pytest.raises(ValueError, match=match):
        numerics.flow(m, m.params[0], times, init)


def test_a_flow_that_blows_up_in_finite_time_raises_a_convergence_error():
    # theta' = theta^3 from theta = 1 reaches infinity at t = 1/2.
    theta = sp.Symbol("theta")
    m = Model([theta], [-(theta**4) / 4])

    with pytest.raises(ConvergenceError, match=r"flow: the ODE solver \(DOP853"):
        numerics.flow(m, theta, [1.0], [1.0])
