"""SGLD estimates of the BIF against the exact value after the chain's known bias.

Oracles: the Gaussian closed form of numerics.bif (itself checked against the
exact SymPy BIF), SciPy's discrete Lyapunov solver for the stationary
covariance of the discretised chain, and the stationary variance of the scalar
autoregression with the Gaussian moments of its first-order bias.
"""

import numpy as np
import pytest
import scipy.linalg
import sympy as sp

import numerics
from numerics.sgld import sgld_bif, ula_stationary_covariance
from tests.tolerances import FLOAT_RTOL, MC_STDERRS, RATE_ATOL
from theory import Model, zoo


@pytest.mark.claim("sgld-bias")
def test_stationary_covariance_of_ula_solves_the_discrete_lyapunov_equation():
    rng = np.random.default_rng(0)
    B = rng.normal(size=(3, 3))
    P = B @ B.T + np.eye(3)
    step = 1.5 / np.linalg.eigvalsh(P)[-1]
    A = np.eye(3) - step / 2 * P

    C = ula_stationary_covariance(P, step)

    expected = scipy.linalg.solve_discrete_lyapunov(A, step * np.eye(3))
    np.testing.assert_allclose(C, expected, rtol=FLOAT_RTOL)


@pytest.mark.claim("sgld-bias")
def test_exact_stationary_bias_of_full_gradient_langevin_is_first_order_in_the_step():
    # Target N(m, 1/p): p = n + tau = 4, m = sum z / p = 9/4. The chain
    # x' = (1 - eps p/2) x + sqrt(eps) xi has stationary variance
    # eps / (1 - (1 - eps p/2)^2) = 1/p + eps/4 + O(eps^2). For X ~ N(m, C),
    # Cov(X^2, (X - z)^2/2) = 2 m C (m - z) + C^2, so at beta = 1 the bias is
    # -eps (2 m (m - z) + 2/p) / 4 + O(eps^2).
    m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)
    (mu,) = m.params
    z, p, mean = np.array([1.0, 2.0, 6.0]), 4.0, 9 / 4
    coefficient = -(2 * mean * (mean - z) + 2 / p) / 4
    steps = np.array([1e-3, 2e-3, 4e-3, 8e-3])
    exact = numerics.bif(m, mu**2, 1.0)

    # The stationary law is exact; the two-sample chains are never used.
    bias = np.array(
        [
            sgld_bif(m, mu**2, 1.0, step=s, steps=2, burn_in=0, seed=5).stationary
            - exact
            for s in steps
        ]
    )

    for column in bias.T:
        slope = np.polyfit(np.log(steps), np.log(np.abs(column)), 1)[0]
        np.testing.assert_allclose(slope, 1.0, atol=RATE_ATOL)
    # The coefficient holds to O(eps): its relative error has exponent 1.
    relative = np.abs(bias / steps[:, None] / coefficient - 1)
    assert np.all(relative[0] < 1e-2)
    for column in relative.T:
        slope = np.polyfit(np.log(steps), np.log(column), 1)[0]
        np.testing.assert_allclose(slope, 1.0, atol=RATE_ATOL)


@pytest.mark.claim("sgld-bias")
@pytest.mark.parametrize("step", [0.05, 0.2])
def test_sgld_is_within_3_5_standard_errors_of_the_exact_bif_after_its_bias(step):
    m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)
    (mu,) = m.params

    r = sgld_bif(m, mu**2, 1.0, step=step, steps=20_000, burn_in=1_000, seed=1)

    assert np.all(np.abs(r.values - r.exact - r.bias) <= MC_STDERRS * r.stderr)


@pytest.mark.claim("sgld-bias")
def test_the_larger_step_has_a_bias_far_beyond_the_standard_error():
    m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)
    (mu,) = m.params

    r = sgld_bif(m, mu**2, 1.0, step=0.2, steps=20_000, burn_in=1_000, seed=2)

    assert np.all(np.abs(r.values - r.exact) > 10 * r.stderr)


def test_localised_sgld_on_least_squares_matches_the_exact_bif_after_its_bias():
    m = zoo.linear_regression([[1, 0], [1, 1], [1, 3]], [1, 0, 4])
    f = m.params[0] + m.params[1] ** 2

    r = sgld_bif(m, f, 2.0, localization=3.0, steps=20_000, burn_in=1_000, seed=3)

    assert np.all(np.abs(r.values - r.exact - r.bias) <= MC_STDERRS * r.stderr)


def test_minibatch_sgld_reports_no_exact_bias():
    m = zoo.gaussian_mean([1, 2, 6, 0], prior_precision=1)

    r = sgld_bif(
        m, m.params[0], 1.0, step=0.02, steps=3_000, burn_in=500, batch_size=2, seed=4
    )

    assert r.bias is None and r.stationary is None
    assert r.values.shape == r.stderr.shape == (4,)


def test_chains_with_the_same_seed_repeat_and_different_seeds_differ():
    w = sp.Symbol("w")
    m = Model([w], [w**2 / 2 + w**4 / 8 - w / 3, w**2 / 2 + w / 3])
    kwargs = dict(step=0.05, steps=2_000, burn_in=200)

    a = sgld_bif(m, w, 1.0, seed=7, **kwargs)
    b = sgld_bif(m, w, 1.0, seed=7, **kwargs)
    c = sgld_bif(m, w, 1.0, seed=8, **kwargs)

    np.testing.assert_array_equal(a.chain_values, b.chain_values)
    assert not np.array_equal(a.chain_values, c.chain_values)
    assert a.exact is None


def test_a_step_beyond_the_stability_bound_is_refused_with_the_bound():
    m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)

    with pytest.raises(ValueError, match=r"step: .* 4 / p_max = 1\b.*got 2.0"):
        sgld_bif(m, m.params[0], 1.0, step=2.0)


def test_a_single_chain_is_refused():
    m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)

    with pytest.raises(ValueError, match="chains: need an integer >= 2"):
        sgld_bif(m, m.params[0], 1.0, chains=1)
