"""Exact Bayesian influence functions: Gaussian and Gamma-type closed forms.

The oracles are independent: ridge regression's influence function (conjugate
least squares), sympy.limit to the influence function, finite differences of
the exact posterior mean in the data weight, and Gamma-function moments.
"""

import numpy as np
import pytest
import sympy as sp

import derivations
from theory import Model, zoo
from theory.conventions import convert

from .test_bif_series import _gamma_law_bif, _poisson_rate

BETA = sp.Symbol("beta", positive=True)


def _design(seed, n=6, d=3):
    rng = np.random.default_rng(seed)
    return rng.integers(-3, 4, size=(n, d)), rng.integers(-3, 4, size=n)


def _bayesian_linear_regression(X, y, tau):
    base = zoo.linear_regression(X, y)
    prior = -tau * sum(t**2 for t in base.params) / 2
    return Model(base.params, base.losses, log_prior=prior), base.params


@pytest.mark.claim("bif-conjugate-ridge")
@pytest.mark.parametrize("beta", [sp.Rational(1, 100), sp.Rational(2, 3), 7, 10**6])
def test_bif_of_conjugate_regression_is_the_ridge_influence_at_alpha_tau_over_beta(
    beta,
):
    X, y = _design(0)
    tau = sp.Integer(2)
    m, theta = _bayesian_linear_regression(X, y, tau)
    f = theta[0] + 2 * theta[1] - theta[2]

    exact = derivations.bif(m, f, beta)
    ridge = zoo.ridge_regression(X, y, tau / beta, params=theta)

    assert exact == derivations.influence(ridge, f)


def test_bif_of_conjugate_regression_is_not_the_damped_influence_at_theta_star():
    X, y = _design(0)
    m, theta = _bayesian_linear_regression(X, y, sp.Integer(2))
    f = theta[0]

    damped = derivations.influence(zoo.linear_regression(X, y), f, damping=2 / BETA)

    assert sp.simplify(derivations.bif(m, f, BETA)[0] - damped[0]) != 0


def test_localisation_acts_exactly_as_damping_gamma_over_beta_for_least_squares():
    X, y = _design(1)
    m = zoo.linear_regression(X, y)
    gamma = sp.Integer(3)
    f = m.params[0] - m.params[2]

    exact = derivations.bif(m, f, BETA, localization=gamma)
    damped = derivations.influence(m, f, damping=gamma / BETA)

    assert (exact - damped).applyfunc(sp.simplify) == sp.zeros(m.n, 1)


@pytest.mark.claim("bif-to-if")
@pytest.mark.parametrize(
    "build",
    [
        lambda: zoo.gaussian_mean([1, 2, 6], prior_precision=1),
        lambda: zoo.linear_regression(*_design(2, d=2)),
        lambda: zoo.ridge_regression(*_design(3, d=2), sp.Rational(1, 2)),
    ],
    ids=["gaussian_mean", "linear", "ridge"],
)
def test_bif_tends_to_the_influence_function_as_beta_grows(build):
    m = build()
    f = sum(m.params) ** 2

    exact = derivations.bif(m, f, BETA)

    limits = exact.applyfunc(lambda e: sp.limit(e, BETA, sp.oo))
    assert limits - derivations.influence(m, f) == sp.zeros(m.n, 1)


@pytest.mark.claim("bif-to-if")
def test_quadratic_observable_has_the_series_coefficient_as_exact_one_over_beta_term():
    m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)
    (mu,) = m.params
    c = derivations.bif_series(m, mu**2, order=1)

    exact = derivations.bif(m, mu**2, BETA)

    rate = (BETA * (exact - c[0])).applyfunc(lambda e: sp.limit(e, BETA, sp.oo))
    assert rate == c[1]


def test_bif_is_the_derivative_of_the_posterior_mean_in_the_data_weight():
    z = [1, 2, 6]
    b = sp.Symbol("b_w")
    beta = sp.Rational(3, 2)
    # Weight b on example 1, prior N(0, 1): the posterior mean by hand.
    precision = beta * (b + 2) + 1
    mean = beta * (b * z[0] + z[1] + z[2]) / precision
    m = zoo.gaussian_mean(z, prior_precision=1)
    exact = derivations.bif(m, m.params[0], beta)[0]

    def error(h):
        return (mean.subs(b, 1 + h) - mean.subs(b, 1 - h)) / (2 * h) - exact

    # Central differences are O(h^2): halving h divides the error by 4.
    ratio = error(sp.Rational(1, 100)) / error(sp.Rational(1, 200))
    assert abs(float(ratio) - 4) < 1e-3
    assert sp.simplify(sp.diff(mean, b).subs(b, 1) - exact) == 0


@pytest.mark.claim("bif-quartic-root-beta")
def test_quartic_bif_grows_like_root_beta_with_the_gamma_function_constant():
    w = sp.Symbol("w")
    m = Model([w], [w**4 / 4 + w, w**4 / 4 - w])

    exact = derivations.bif(m, w, BETA)

    constant = -sp.sqrt(2) * sp.gamma(sp.Rational(3, 4)) / sp.gamma(sp.Rational(1, 4))
    assert sp.simplify(exact[0] / sp.sqrt(BETA) - constant) == 0
    assert exact.rung == "closed form (Gamma)"


def test_derivative_form_converts_to_the_reported_covariance():
    m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)
    (mu,) = m.params
    beta = sp.Integer(2)

    exact = derivations.bif(m, mu, beta)
    reported = convert(exact, "sandbox", "bif-covariance", beta=beta)

    assert reported[0] * beta == exact[0]


def test_an_improper_posterior_is_refused_naming_the_flat_direction():
    m = Model(sp.symbols("a c"), [(1 - sp.Symbol("a") - sp.Symbol("c")) ** 2 / 2])

    with pytest.raises(derivations.ImproperPosteriorError, match="flat direction"):
        derivations.bif(m, m.params[0], BETA)


def test_a_model_without_closed_form_is_referred_to_the_series_and_quadrature():
    m = zoo.logistic_regression([[1.0], [-2.0], [0.5]], [1, -1, -1], alpha=1)

    with pytest.raises(NotImplementedError, match="bif_series.*numerics.bif"):
        derivations.bif(m, m.params[0], BETA)


def test_a_nonpositive_beta_is_refused():
    m = zoo.gaussian_mean([1, 2])

    with pytest.raises(ValueError, match="beta: need an inverse temperature > 0"):
        derivations.bif(m, m.params[0], -1)


@pytest.mark.claim("bif-conjugate-ridge")
@pytest.mark.parametrize("beta", [sp.Rational(1, 10), 7])
def test_quadratic_observable_adds_the_exact_trace_term_at_every_beta(beta):
    X, y = _design(5)
    tau = sp.Integer(3)
    m, theta = _bayesian_linear_regression(X, y, tau)
    f = theta[0] * theta[1] + theta[2] ** 2

    exact = derivations.bif(m, f, beta)

    ridge = zoo.ridge_regression(X, y, tau / beta, params=theta)
    R = sp.hessian(ridge.loss([1] * m.n), theta).inv()
    F = sp.hessian(f, theta)
    trace = [(sp.hessian(loss, theta) * R * F * R).trace() for loss in m.losses]
    expected = derivations.influence(ridge, f) - sp.Matrix(trace) / (2 * beta)
    assert (exact - expected).applyfunc(sp.cancel) == sp.zeros(m.n, 1)


@pytest.mark.parametrize("power", [1, 2])
def test_poisson_rate_has_the_gamma_law_bif_with_the_log_term_of_its_loss(power):
    counts, rates = [1, 3], [1, 2]
    m, theta = _poisson_rate(counts, rates)

    exact = derivations.bif(m, theta**power, BETA)

    expected = _gamma_law_bif(counts, rates, power, BETA)
    assert exact.rung == "closed form (Gamma)"
    assert [sp.cancel(e - x) for e, x in zip(exact, expected)] == [0, 0]
    limits = exact.applyfunc(lambda e: sp.limit(e, BETA, sp.oo))
    at = [sp.Rational(4, 3)]
    assert limits == derivations.influence(m, theta**power, at=at)
