"""Spectral filters and early stopping as damping, with their rates.

Oracles: the SymPy forms against the float64 forms, a bounded scalar
maximisation of the ratio (SciPy, no use of the stationarity equation), exact
limits at 0 and infinity, and a Gibbs integral by quadrature for the
localisation filter.
"""

import numpy as np
import pytest
import scipy.integrate
import scipy.optimize
import sympy as sp

from derivations.filters import (
    damping_filter,
    early_stopping_peak,
    early_stopping_ratio,
    flow_filter,
    localization_filter,
    training_filter,
)
from tests.tolerances import FLOAT_RTOL, RATE_ATOL
from theory.claims import CLAIMS

# The bounds the literature states for the early-stopping ratio.
STATED_UPPER = 1.2985
STATED_PEAK_AT = 1.793
# Bounded maximisation to xtol 1e-10 locates a smooth maximum to about 1e-5 in x
# (the ratio is flat there), and its value to about 1e-10.
MAXIMISER_XTOL, PEAK_X_ATOL, PEAK_VALUE_RTOL = 1e-10, 1e-5, 1e-10


@pytest.mark.parametrize(
    "sigma, steps, lr",
    [(2.0, 3, 0.25), (1e-9, 50, 0.1), (0.0, 7, 0.3), (30.0, 5, 0.1), (5.0, 400, 0.01)],
)
def test_float_training_filter_equals_the_exact_one(sigma, steps, lr):
    exact = training_filter(sp.nsimplify(sigma), steps, sp.nsimplify(lr, rational=True))

    np.testing.assert_allclose(
        training_filter(sigma, steps, lr), float(exact), rtol=FLOAT_RTOL
    )


@pytest.mark.parametrize("sigma, time", [(2.0, 3.0), (1e-12, 2.0), (0.0, 4.0)])
def test_float_flow_filter_equals_the_exact_one(sigma, time):
    exact = flow_filter(sp.nsimplify(sigma), sp.nsimplify(time))

    np.testing.assert_allclose(flow_filter(sigma, time), float(exact), rtol=1e-15)


def test_training_filter_tends_to_the_flow_filter_with_coefficient_t_sigma_exp():
    # (1 - lr sigma)^(t/lr) = exp(-t sigma) (1 - lr t sigma^2 / 2 + O(lr^2)).
    sigma, t = 1.7, 2.0
    lrs = np.array([1e-3, 5e-4, 2.5e-4])

    gaps = [
        training_filter(sigma, int(round(t / lr)), lr) - flow_filter(sigma, t)
        for lr in lrs
    ]

    # The coefficient holds to O(lr): its relative error has exponent 1.
    coefficient = t * sigma * np.exp(-t * sigma) / 2
    relative = np.abs(np.array(gaps) / lrs / coefficient - 1)
    slope = np.polyfit(np.log(lrs), np.log(relative), 1)[0]
    assert relative[-1] < 1e-3
    np.testing.assert_allclose(slope, 1.0, atol=RATE_ATOL)


def test_training_filter_first_order_term_in_lr_is_exact():
    sigma, t, lr = sp.symbols("sigma t eta", positive=True)

    gd = (1 - (1 - lr * sigma) ** (t / lr)) / sigma
    series = sp.series(gd, lr, 0, 2).removeO()

    assert sp.simplify(series.coeff(lr, 0) - flow_filter(sigma, t)) == 0
    assert sp.simplify(series.coeff(lr, 1) - t * sigma * sp.exp(-t * sigma) / 2) == 0


@pytest.mark.claim("early-stopping-damping")
def test_early_stopping_ratio_is_the_flow_filter_over_damping_one_over_t():
    sigma = np.logspace(-3, 3, 13)
    t = 0.7

    np.testing.assert_allclose(
        early_stopping_ratio(t * sigma),
        flow_filter(sigma, t) / damping_filter(sigma, 1 / t),
        rtol=FLOAT_RTOL,
    )


@pytest.mark.claim("early-stopping-damping")
def test_early_stopping_ratio_lies_between_one_and_the_stated_bound():
    x = np.r_[0.0, np.logspace(-8, 4, 4001)]

    r = early_stopping_ratio(x)

    assert np.all(r >= 1.0)
    assert np.all(r <= STATED_UPPER)


@pytest.mark.claim("early-stopping-damping")
def test_early_stopping_ratio_tends_to_one_like_x_over_2_and_1_over_x():
    x = sp.Symbol("x", positive=True)
    r = early_stopping_ratio(x)

    assert sp.limit((r - 1) / x, x, 0) == sp.Rational(1, 2)
    assert sp.limit((r - 1) * x, x, sp.oo) == 1


@pytest.mark.claim("early-stopping-damping")
def test_early_stopping_peak_agrees_with_a_direct_maximisation():
    found = scipy.optimize.minimize_scalar(
        lambda x: -early_stopping_ratio(x),
        bounds=(0.5, 5.0),
        method="bounded",
        options={"xatol": MAXIMISER_XTOL},
    )

    x_star, r_star = early_stopping_peak()

    np.testing.assert_allclose(float(x_star), found.x, atol=PEAK_X_ATOL)
    np.testing.assert_allclose(float(r_star), -found.fun, rtol=PEAK_VALUE_RTOL)
    assert round(float(x_star), 3) == STATED_PEAK_AT
    assert float(r_star) <= STATED_UPPER


@pytest.mark.claim("early-stopping-damping")
def test_early_stopping_peak_is_the_root_of_exp_x_equal_1_plus_x_plus_x_squared():
    # e - 3 < 0 < e^3 - 13: the positive root lies in [1, 3].
    root = scipy.optimize.brentq(lambda x: np.expm1(x) - x - x**2, 1.0, 3.0, xtol=1e-15)
    ratio = -np.expm1(-root) * (1 + root) / root

    x_star, r_star = early_stopping_peak(digits=30)

    np.testing.assert_allclose(float(x_star), root, rtol=FLOAT_RTOL)
    np.testing.assert_allclose(float(r_star), ratio, rtol=FLOAT_RTOL)
    statement = CLAIMS["early-stopping-damping"].statement
    assert f"t sigma = {root:.5f}," in statement
    assert f"between 1 and {ratio:.5f} times" in statement
    assert (f"{root:.5f}", f"{ratio:.5f}") == ("1.79328", "1.29843")


@pytest.mark.claim("early-stopping-damping")
def test_early_stopping_peak_is_a_stationary_point_to_its_digits():
    x = sp.Symbol("x", positive=True)
    x_star, r_star = early_stopping_peak(digits=30)

    slope = sp.diff(early_stopping_ratio(x), x).subs(x, x_star)

    assert abs(sp.N(slope, 40)) < 1e-25
    assert abs(sp.N(early_stopping_ratio(x_star), 40) - r_star) < 1e-25


def test_localization_filter_is_the_gaussian_gibbs_bif():
    # Posterior p ~ exp(-beta sigma theta^2/2 - gamma theta^2/2), f = theta,
    # l_i = g theta + h theta^2/2: BIF = -beta Cov(theta, l_i).
    sigma, beta, gamma, g, h = 2.0, 3.0, 1.5, 0.8, 0.6

    def moment(k):
        def density(theta):
            return theta**k * np.exp(-(beta * sigma + gamma) * theta**2 / 2)

        return scipy.integrate.quad(density, -np.inf, np.inf, epsabs=1e-14)[0]

    z = moment(0)
    mean = moment(1) / z
    cov = g * (moment(2) / z - mean**2) + h / 2 * (moment(3) / z - mean * moment(2) / z)

    np.testing.assert_allclose(
        -beta * cov, -g * localization_filter(sigma, beta, gamma), rtol=1e-10
    )


def _gd_ratio_peak(steps, time):
    """Largest GD filter over damping 1/t, for lr sigma in (0, 1], lr T = t."""
    lr = time / steps

    def ratio(sigma):
        return training_filter(sigma, steps, lr) / damping_filter(sigma, 1 / time)

    found = scipy.optimize.minimize_scalar(
        lambda s: -ratio(s),
        bounds=(1e-6, 1 / lr),
        method="bounded",
        options={"xatol": 1e-12},
    )
    return -found.fun


@pytest.mark.claim("early-stopping-damping")
def test_gd_exceeds_the_flow_bound_by_order_one_over_t_steps():
    # The bound [1, 1.2985] is gradient flow's; T steps of GD with lr T = t
    # exceed it, by an amount that shrinks like 1/T.
    _, r_star = early_stopping_peak(digits=15)
    steps = np.array([100, 200, 400, 800])

    excess = np.array([_gd_ratio_peak(int(T), 10.0) for T in steps]) - float(r_star)
    slope = np.polyfit(np.log(steps), np.log(excess), 1)[0]

    assert _gd_ratio_peak(10, 10.0) > STATED_UPPER + 0.04
    assert np.all(excess > 0)
    np.testing.assert_allclose(slope, -1.0, atol=RATE_ATOL)
