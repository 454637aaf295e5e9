"""Float64 Bayesian influence: Gaussian closed form and double-exponential quadrature.

Oracles: 30-digit mpmath tanh-sinh quadrature (itself checked against the
Gamma-function closed form of a quartic potential), the exact SymPy closed form
of Bayesian linear regression, and the Laplace series of derivations.bif_series
for the rates.
"""

import numpy as np
import pytest
import sympy as sp

import derivations
import numerics
from tests.tolerances import (
    FLOAT_RTOL,
    QUADRATURE_RTOL,
    RATE_ATOL,
    ROUNDING_RTOL,
)
from theory import ConvergenceError, Model, zoo
from theory.conventions import convert, convert_beta

W = sp.Symbol("w")


def _anharmonic():
    # Tilts +-w/3 cancel in the total loss w^2 + w^3/6 + w^4/8: theta* = 0, H = 2.
    return Model([W], [W**2 / 2 + W**3 / 6 + W / 3, W**2 / 2 + W**4 / 8 - W / 3])


def _logistic():
    return zoo.logistic_regression([[1.0], [-2.0], [0.5]], [1, -1, -1], alpha=1)


def _quartic():
    return Model([W], [W**4 / 4 + W, W**4 / 4 - W])


def _series(m, f, order, **kwargs):
    c = derivations.bif_series(m, f, order=order, **kwargs)
    return [np.array(ck, dtype=float).ravel() for ck in c]


@pytest.mark.parametrize("beta", [1e-2, 1.0, 1e4, 1e8])
@pytest.mark.parametrize("build", [_logistic, _anharmonic], ids=["logistic", "cubic"])
def test_quadrature_agrees_with_30_digit_mpmath_from_beta_1e_minus_2_to_1e8(
    build, beta
):
    m = build()
    f = m.params[0] ** 2 + m.params[0]

    fast = numerics.bif(m, f, beta, full_output=True)
    reference = numerics.bif(m, f, beta, method="mpmath", dps=30, full_output=True)

    scale = np.max(np.abs(reference.values))
    np.testing.assert_allclose(
        fast.values, reference.values, atol=QUADRATURE_RTOL * scale
    )
    np.testing.assert_allclose(fast.mean, reference.mean, rtol=QUADRATURE_RTOL)
    assert np.all(fast.error <= QUADRATURE_RTOL * scale)
    assert fast.rung == "quadrature (double exponential)"


@pytest.mark.parametrize("beta", [1e-2, 1e8])
def test_mpmath_rule_reproduces_the_gamma_function_closed_form_of_a_quartic(beta):
    m = _quartic()
    beta_symbol = sp.Symbol("beta", positive=True)
    exact = derivations.bif(m, W**2 + W, beta_symbol).subs(beta_symbol, beta)

    reference = numerics.bif(m, W**2 + W, beta, method="mpmath", dps=30)

    np.testing.assert_allclose(
        reference, np.array(exact, float).ravel(), rtol=ROUNDING_RTOL
    )


@pytest.mark.claim("bif-quartic-root-beta")
def test_quartic_bif_grows_like_root_beta_with_the_gamma_function_constant():
    m = _quartic()
    betas = np.logspace(-2, 8, 6)
    constant = np.sqrt(2) * float(
        sp.gamma(sp.Rational(3, 4)) / sp.gamma(sp.Rational(1, 4))
    )

    first = np.array([numerics.bif(m, W, beta)[0] for beta in betas])

    slope = np.polyfit(np.log(betas), np.log(-first), 1)[0]
    assert abs(slope - 0.5) < RATE_ATOL
    np.testing.assert_allclose(first / np.sqrt(betas), -constant, rtol=QUADRATURE_RTOL)


@pytest.mark.claim("bif-to-if")
def test_beta_times_the_gap_to_the_influence_function_tends_to_c1_at_rate_c2():
    m = _anharmonic()
    c0, c1, c2, c3 = _series(m, W, order=3)
    np.testing.assert_allclose(c0, np.array(derivations.influence(m, W), float).ravel())

    for beta in [1e2, 1e3]:
        measured = beta * (numerics.bif(m, W, beta) - c0)
        # (measured - c1) * beta -> c2, with the remainder c3 / beta + O(beta^-2).
        np.testing.assert_allclose(
            beta * (measured - c1), c2 + c3 / beta, rtol=20 / beta**2
        )


@pytest.mark.claim("bif-to-if")
def test_localisation_gamma_acts_as_damping_gamma_over_beta_at_fixed_ratio():
    m = _anharmonic()
    beta_symbol = sp.Symbol("beta", positive=True)
    c = derivations.bif_series(
        m, W, order=2, localization=beta_symbol / 2, beta=beta_symbol
    )
    c0, c1, c2 = [np.array(ck, dtype=float).ravel() for ck in c]
    damped = derivations.influence(m, W, damping=sp.Rational(1, 2))
    np.testing.assert_allclose(c0, np.array(damped, float).ravel())

    for beta in [1e2, 1e3]:
        values = numerics.bif(m, W, beta, localization=beta / 2)
        gap = beta**2 * (values - c0 - c1 / beta)
        np.testing.assert_allclose(gap, c2, rtol=50 / beta)


def test_gaussian_closed_form_equals_the_exact_bif_of_localised_bayesian_regression():
    rng = np.random.default_rng(4)
    X, y = rng.integers(-3, 4, size=(6, 3)), rng.integers(-3, 4, size=6)
    base = zoo.linear_regression(X, y)
    theta = base.params
    m = Model(theta, base.losses, log_prior=-sum(t**2 for t in theta))
    f = theta[0] * theta[1] + theta[2]
    beta, gamma = sp.Rational(3, 10), sp.Rational(1, 2)

    exact = derivations.bif(m, f, beta, localization=gamma)
    result = numerics.bif(
        m, f, float(beta), localization=float(gamma), full_output=True
    )

    np.testing.assert_allclose(
        result.values, np.array(exact, float).ravel(), rtol=FLOAT_RTOL
    )
    assert result.rung == "closed form (Gaussian)"


def test_an_improper_posterior_is_refused_naming_the_flat_direction():
    a, c = sp.symbols("a c")
    m = Model([a, c], [(1 - a - c) ** 4, (a + c) ** 4])

    with pytest.raises(derivations.ImproperPosteriorError, match="flat direction"):
        numerics.bif(m, a, 1.0)


def test_a_curve_of_minima_with_a_flat_prior_is_reported_as_possibly_improper():
    # (z - a c)^2 is flat along the hyperbola a c = mean z but rises along every
    # straight line through a minimiser; the posterior mass per unit of a falls
    # only like 1/|a|, so no grid converges.
    m = zoo.product_model([1.0, 3.0])

    with pytest.raises(ConvergenceError, match=r"singular along .* improper"):
        numerics.bif(m, m.params[0], 1.0, rtol=1e-6)


def test_a_missed_tolerance_reports_the_achieved_error():
    m = _logistic()

    with pytest.raises(ConvergenceError, match="reached a relative error of"):
        numerics.bif(m, m.params[0], 1.0, rtol=1e-18)


def test_four_parameters_without_closed_form_point_to_the_series_and_sgld():
    rng = np.random.default_rng(5)
    m = zoo.logistic_regression(rng.normal(size=(5, 4)), [1, -1, 1, 1, -1], alpha=1)

    with pytest.raises(NotImplementedError, match="bif_series.*sgld_bif"):
        numerics.bif(m, m.params[0], 1.0)


def test_a_nonpositive_beta_is_refused():
    m = _logistic()

    with pytest.raises(ValueError, match=r"beta: need a finite value > 0, got -1.0"):
        numerics.bif(m, m.params[0], -1.0)


@pytest.mark.claim("bif-to-if")
def test_logistic_bif_approaches_the_influence_function_at_the_series_rate():
    m = _logistic()
    f = m.params[0]
    c0, c1, c2 = _series(m, f, order=2)

    gaps = []
    for beta in [1e2, 1e3]:
        measured = beta * (beta * (numerics.bif(m, f, beta) - c0) - c1)
        np.testing.assert_allclose(measured, c2, rtol=5 / beta)
        gaps.append(np.abs(measured - c2))

    # The remainder is c3 / beta: ten times smaller at ten times beta.
    np.testing.assert_array_less(5 * gaps[1], gaps[0])
    np.testing.assert_array_less(gaps[0], 20 * gaps[1])


def test_a_reported_covariance_at_n_beta_on_the_mean_loss_converts_to_the_sandbox():
    m = _anharmonic()
    f = W**2 + W
    n, nbeta = m.n, 6.0
    # The practitioner's posterior exp(-nbeta L_n), L_n the mean loss, reporting
    # -Cov(f, l_i): the sandbox BIF of the mean-loss model is -nbeta Cov(f, l_i / n).
    mean_model = Model(m.params, [loss / n for loss in m.losses])
    reported = numerics.bif(mean_model, f, nbeta) * n / nbeta

    converted = convert(reported, "bif-covariance-mean", n=n, beta=nbeta)

    beta = convert_beta(nbeta, "bif-covariance-mean", n=n)
    np.testing.assert_allclose(
        converted, numerics.bif(m, f, beta), rtol=QUADRATURE_RTOL
    )


@pytest.mark.parametrize("beta", [0.1, 10.0, 1e4])
@pytest.mark.parametrize("power", [2, 4], ids=["quadratic", "quartic"])
def test_quadrature_on_a_support_box_matches_the_incomplete_gamma_closed_form(
    power, beta
):
    # Total loss w^p on [0, 1], tilts +-w/2; at p = 4 the minimum is degenerate.
    m = Model([W], [W**power / 2 + W / 2, W**power / 2 - W / 2], support=[(0, 1)])
    beta_symbol = sp.Symbol("beta", positive=True)
    exact = derivations.bif(m, W, beta_symbol).subs(beta_symbol, beta)

    values = numerics.bif(m, W, beta)

    expected = np.array([complex(sp.N(e, 20)).real for e in exact])
    np.testing.assert_allclose(
        values, expected, atol=QUADRATURE_RTOL * np.max(np.abs(expected))
    )


def test_central_differences_of_the_posterior_mean_tend_to_the_bif_at_rate_h2():
    base = _anharmonic()
    f, beta = W + W**2, 3.0
    bif = numerics.bif(base, f, beta)[0]

    def error(h):
        means = [
            numerics.bif(
                Model([W], [b1 * base.losses[0], base.losses[1]]),
                f,
                beta,
                full_output=True,
            ).mean
            for b1 in (1 + h, 1 - h)
        ]
        return (means[0] - means[1]) / (2 * h) - bif

    # The fluctuation-response identity: the error is O(h^2), a quarter at h/2.
    ratio = error(0.02) / error(0.01)
    assert abs(ratio - 4) < 0.05


def test_splitting_an_example_in_two_halves_splits_its_bif():
    m = _anharmonic()
    halves = Model([W], [m.losses[0] / 2, m.losses[0] / 2, m.losses[1]])

    whole = numerics.bif(m, W, 5.0)
    split = numerics.bif(halves, W, 5.0)

    np.testing.assert_allclose(split[:2], whole[0] / 2, rtol=QUADRATURE_RTOL)
    np.testing.assert_allclose(split[2], whole[1], rtol=QUADRATURE_RTOL)


@pytest.mark.parametrize("beta", [0.1, 1e3])
def test_two_parameter_quadrature_with_a_quartic_direction_matches_the_gamma_form(
    beta,
):
    a, c = sp.symbols("a c")
    # Separable total loss (a^4 + c^2) / 2, degenerate along a; tilts cancel.
    total = (a**4 + c**2) / 2
    m = Model([a, c], [total / 2 + a + c, total / 2 - a - c])
    f = a * c + c**2 + a**2
    beta_symbol = sp.Symbol("beta", positive=True)
    exact = derivations.bif(m, f, beta_symbol).subs(beta_symbol, beta)

    values = numerics.bif(m, f, beta)

    expected = np.array([float(sp.N(e, 20)) for e in exact])
    np.testing.assert_allclose(
        values, expected, atol=QUADRATURE_RTOL * np.max(np.abs(expected))
    )


@pytest.mark.parametrize("beta", [0.1, 30.0])
def test_three_parameter_quadrature_matches_the_gaussian_form_for_a_cubic_observable(
    beta,
):
    rng = np.random.default_rng(6)
    X, y = rng.integers(-3, 4, size=(5, 3)), rng.integers(-3, 4, size=5)
    m = zoo.ridge_regression(X, y, 1)
    a, c, e = m.params
    # A cubic observable takes numerics.bif off its closed form, onto the grid.
    f = a * c * e + a**3
    exact = derivations.bif(m, f, sp.nsimplify(beta))

    result = numerics.bif(m, f, beta, full_output=True)

    expected = np.array(exact, float).ravel()
    assert result.rung == "quadrature (double exponential)"
    np.testing.assert_allclose(
        result.values, expected, atol=QUADRATURE_RTOL * np.max(np.abs(expected))
    )
