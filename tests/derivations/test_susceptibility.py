"""Susceptibilities chi(f | psi) = beta Cov(f, psi); the fluctuation-response identity.

Oracles: SymPy's own differentiation of the ratio of integrals, evaluated by
sympy.integrate for a concrete Gaussian; Gaussian moments by hand; linearity
of the BIF in the direction.
"""

import sympy as sp

import derivations
from derivations.steps import CATALOG
from derivations.susceptibility import (
    bif_direction,
    fluctuation_response,
    susceptibility,
)
from theory import Model, zoo

BETA = sp.Symbol("beta", positive=True)


def test_narrated_derivative_of_the_ratio_is_beta_times_the_covariance():
    story = CATALOG["fluctuation-response"][1]()
    E = sp.Function("E")
    theta = sp.Symbol("theta", positive=True)
    f, psi = sp.Function("f")(theta), sp.Function("psi")(theta)

    moments = story[2][1]

    assert sp.expand(moments - BETA * (E(f * psi) - E(f) * E(psi))) == 0


def test_the_ratio_derivative_evaluated_by_integration_equals_the_closed_form():
    x = sp.Symbol("x", real=True)
    loss, f, psi = (x - 1) ** 2 / 2, x**2, x**3
    beta = sp.Integer(2)

    derivative, covariance = fluctuation_response(f, psi, loss, [x], beta)

    m = Model([x], [loss])
    closed = susceptibility(m, f, psi, beta)
    assert sp.simplify(derivative.doit() - closed) == 0
    assert sp.simplify(covariance.doit() - closed) == 0


def test_susceptibility_of_a_gaussian_mean_is_beta_times_the_posterior_moments():
    m = zoo.gaussian_mean([1, 3, 8])
    (mu,) = m.params
    # Posterior N(4, 1/(3 beta)): Cov(mu, mu^2) = 2 * 4 * Var.
    chi = susceptibility(m, mu, mu**2, BETA)

    assert sp.simplify(chi - BETA * 8 / (3 * BETA)) == 0


def test_susceptibility_is_symmetric_in_the_observable_and_the_field():
    rng_values = [[1, 0], [1, 1], [1, 3]]
    m = zoo.linear_regression(rng_values, [1, 0, 4])
    a, c = m.params
    f, psi = a * c + a, c**2 - a

    assert (
        sp.simplify(susceptibility(m, f, psi, BETA) - susceptibility(m, psi, f, BETA))
        == 0
    )


def test_a_direction_in_example_space_is_the_field_minus_sum_h_i_l_i():
    m = zoo.linear_regression([[1, 0], [1, 1], [1, 3]], [1, 0, 4])
    f = m.params[0] ** 2
    h = [2, -1, sp.Rational(1, 2)]

    through_field = bif_direction(m, f, h, BETA)

    assert sp.simplify(through_field - derivations.bif(m, f, BETA, direction=h)) == 0


def test_gamma_type_susceptibility_of_a_quartic_potential():
    w = sp.Symbol("w")
    m = Model([w], [w**4])
    # E[w^2] = Gamma(3/4) / (Gamma(1/4) sqrt(beta)), E[w^4] = 1 / (4 beta).
    chi = susceptibility(m, w**2, w**2, BETA)

    second = sp.gamma(sp.Rational(3, 4)) / sp.gamma(sp.Rational(1, 4)) / sp.sqrt(BETA)
    assert sp.simplify(chi - BETA * (1 / (4 * BETA) - second**2)) == 0
