"""The Laplace series of the BIF against exact closed forms and the influence function.

Oracles, independent of the series engine: derivations.influence (c0), sympy.series
of the exact Gaussian BIF (the (2,2) terms), and the exact Gamma law of a Poisson
rate, whose potential theta - y log theta has nonzero third and fourth derivatives
(c1 and c2 with every non-Gaussian term, and the narrated general c1 formula).
"""

import numpy as np
import pytest
import sympy as sp

import derivations
from derivations.steps import CATALOG
from theory import Model, SingularHessianError, zoo

BETA = sp.Symbol("beta", positive=True)


def _anharmonic():
    # Tilts +-w/3 cancel in the total loss w^2 + w^3/6 + w^4/8: theta* = 0, H = 2.
    w = sp.Symbol("w")
    return Model([w], [w**2 / 2 + w**3 / 6 + w / 3, w**2 / 2 + w**4 / 8 - w / 3]), w


def _poisson_rate(counts, rates):
    """l_i = c_i theta - y_i log theta: the tempered posterior is a Gamma law."""
    theta = sp.Symbol("theta", positive=True)
    losses = [c * theta - y * sp.log(theta) for c, y in zip(rates, counts)]
    return Model([theta], losses, support=[(0, sp.oo)]), theta


def _gamma_law_bif(counts, rates, a, beta):
    """Exact -beta Cov(theta^a, l_i) under Gamma(shape k, rate r), by hand.

    E[theta^j] = k (k+1) ... (k+j-1) / r^j, and
    Cov(theta^a, log theta) = E[theta^a] (1/k + ... + 1/(k+a-1)).
    """
    k, r = beta * sum(counts) + 1, beta * sum(rates)

    def moment(j):
        return sp.rf(k, j) / r**j

    with_theta = moment(a + 1) - moment(a) * moment(1)
    with_log = moment(a) * sum(1 / (k + j) for j in range(a))
    return [-beta * (c * with_theta - y * with_log) for c, y in zip(rates, counts)]


@pytest.mark.claim("bif-to-if")
def test_leading_coefficient_is_the_influence_function_for_logistic_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4, 2)).round(2)
    m = zoo.logistic_regression(X, [1, -1, 1, -1], alpha=1)
    f = m.params[0] * m.params[1]

    c0 = derivations.bif_series(m, f, order=0)[0]

    expected = derivations.influence(m, f)
    np.testing.assert_allclose(
        np.array(c0, dtype=float), np.array(expected, dtype=float), rtol=1e-20
    )


@pytest.mark.claim("bif-to-if")
def test_series_matches_the_exact_gaussian_bif_to_second_order_with_a_prior():
    m = zoo.gaussian_mean([1, 2, 6], prior_precision=3)
    (mu,) = m.params
    c = derivations.bif_series(m, mu**2, order=2)

    exact = derivations.bif(m, mu**2, BETA)

    for e, *coefficients in zip(exact, *c):
        series = sp.series(e, BETA, sp.oo, 3).removeO()
        assert (
            sp.expand(series - sum(ck / BETA**k for k, ck in enumerate(coefficients)))
            == 0
        )


@pytest.mark.claim("bif-to-if")
def test_localised_series_starts_with_the_influence_damped_by_gamma_over_beta():
    X = [[1, 0], [1, 1], [1, 3]]
    m = zoo.linear_regression(X, [1, 0, 4])
    gamma = sp.Integer(5)
    f = m.params[0] ** 2 + m.params[1]

    c = derivations.bif_series(m, f, order=1, localization=gamma, beta=BETA)
    exact = derivations.bif(m, f, BETA, localization=gamma)

    assert (c[0] - derivations.influence(m, f, damping=gamma / BETA)).applyfunc(
        sp.simplify
    ) == sp.zeros(3, 1)
    assert (exact - c[0] - c[1] / BETA).applyfunc(sp.simplify) == sp.zeros(3, 1)


@pytest.mark.claim("bif-gaussian-correction-incomplete")
def test_gaussian_two_two_term_vanishes_for_a_linear_observable_but_c1_does_not():
    m, w = _anharmonic()

    c1 = derivations.bif_series(m, w, order=1)[1]

    # f'' = 0, so the Gaussian (2,2) term -f'' l_i'' / (2 H^2) is zero; the
    # narrated formula at H = 2, L_3 = 1, L_4 = 3 gives 1/24 and 1/12.
    assert c1 == sp.Matrix([sp.Rational(1, 24), sp.Rational(1, 12)])


@pytest.mark.claim("bif-to-if")
@pytest.mark.parametrize("power", [1, 2])
def test_series_matches_the_exact_gamma_law_of_a_poisson_rate_to_second_order(power):
    counts, rates = [1, 3], [1, 2]
    m, theta = _poisson_rate(counts, rates)
    c = derivations.bif_series(m, theta**power, order=2, at=[sp.Rational(4, 3)])

    exact = _gamma_law_bif(counts, rates, power, BETA)

    for e, *coefficients in zip(exact, *c):
        series = sp.series(sp.cancel(e), BETA, sp.oo, 3).removeO()
        terms = sum(ck / BETA**k for k, ck in enumerate(coefficients))
        assert sp.expand(series - terms) == 0


def test_narrated_c1_formula_gives_the_gamma_law_correction():
    # L = theta - log theta at theta* = 1: H = 1, L_3 = -2, L_4 = 6.
    counts, rates = [0, 1], [1, 0]
    formula = CATALOG["bif-series"][1]()[6][1]
    H, L3, L4 = sp.symbols("H L_3 L_4")
    f = {sp.Symbol(f"f_{k}"): int(k == 1) for k in range(1, 5)}
    theta = sp.Symbol("theta", positive=True)

    exact = _gamma_law_bif(counts, rates, 1, BETA)

    for loss, e in zip([theta, -sp.log(theta)], exact):
        g = {
            sp.Symbol(f"g_{k}"): sp.diff(loss, theta, k).subs(theta, 1)
            for k in (1, 2, 3, 4)
        }
        c1 = formula.subs({H: 1, L3: -2, L4: 6, **f, **g})
        c0 = sp.limit(e, BETA, sp.oo)
        assert sp.limit(BETA * (e - c0), BETA, sp.oo) == c1


def test_odd_orders_vanish_in_the_narrated_derivation():
    story = CATALOG["bif-series"][1]()

    assert story[3][1] == sp.Tuple(0, 0)


def test_the_series_is_refused_at_a_degenerate_minimum():
    w = sp.Symbol("w")
    m = Model([w], [w**4])

    with pytest.raises(SingularHessianError, match="nondegenerate minimum"):
        derivations.bif_series(m, w, order=1, at=[0])


def test_localisation_without_beta_is_refused():
    m = zoo.gaussian_mean([1, 2])

    with pytest.raises(ValueError, match="beta: localisation gamma enters"):
        derivations.bif_series(m, m.params[0], localization=1)
