"""Exact leave-one-out, Shapley values and influence curves.

The Shapley oracle averages marginal contributions over all n! orderings of the
players, a different formula from the subset sum under test.
"""

import itertools
from math import factorial

import numpy as np
import pytest
import sympy as sp
from sympy.stats import E, Normal, variance

import derivations

x, z = sp.symbols("x z")
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
E_F = sp.Function("E_F")


def _random_game(n, seed):
    """A set function with a random rational value on every subset."""
    rng = np.random.default_rng(seed)
    values = {}
    for k in range(n + 1):
        for S in itertools.combinations(range(n), k):
            p, q = rng.integers(-20, 21), rng.integers(1, 8)
            values[frozenset(S)] = sp.Rational(int(p), int(q))
    return values.__getitem__


def _shapley_by_orderings(value, n):
    phi = [sp.Integer(0)] * n
    for order in itertools.permutations(range(n)):
        before = frozenset()
        for i in order:
            phi[i] += value(before | {i}) - value(before)
            before = before | {i}
    return sp.Matrix([p / factorial(n) for p in phi])


# -------------------------------------------------------- overdetermination


@pytest.mark.claim("overdetermination")
def test_leave_one_out_credits_no_ingredient_of_the_overdetermination_game():
    loo = derivations.leave_one_out(derivations.overdetermination(), 4)

    assert loo == sp.zeros(4, 1)


@pytest.mark.claim("overdetermination")
def test_shapley_gives_each_sufficient_cause_one_half():
    phi = derivations.shapley(derivations.overdetermination(), 4)

    assert phi == sp.Matrix([sp.Rational(1, 2), sp.Rational(1, 2), 0, 0])


def test_overdetermination_game_is_one_exactly_when_a_cause_is_present():
    v = derivations.overdetermination(causes=(1, 3))
    subsets = [
        frozenset(S) for k in range(5) for S in itertools.combinations(range(4), k)
    ]

    assert [v(S) for S in subsets] == [int(bool(S & {1, 3})) for S in subsets]


# ---------------------------------------------------------------- shapley


@pytest.mark.parametrize("seed", [0, 1])
def test_shapley_equals_the_average_marginal_contribution_over_orderings(seed):
    v = _random_game(4, seed)

    assert derivations.shapley(v, 4) == _shapley_by_orderings(v, 4)


@pytest.mark.claim("shapley-axioms")
@pytest.mark.parametrize("seed", [2, 3])
def test_shapley_values_sum_to_the_value_of_everyone_minus_the_empty_set(seed):
    v = _random_game(5, seed)

    phi = derivations.shapley(v, 5)

    assert sum(phi) == v(frozenset(range(5))) - v(frozenset())


@pytest.mark.claim("shapley-axioms")
def test_shapley_gives_interchangeable_players_equal_values():
    w = _random_game(5, seed=4)
    swap = {0: 1, 1: 0}

    def v(S):
        swapped = frozenset(swap.get(i, i) for i in S)
        return w(frozenset(S)) + w(swapped)

    phi = derivations.shapley(v, 5)

    assert phi[0] == phi[1]


@pytest.mark.claim("shapley-axioms")
def test_shapley_gives_a_null_player_zero():
    w = _random_game(5, seed=5)

    def v(S):
        return w(frozenset(S) - {2})

    assert derivations.shapley(v, 5)[2] == 0


@pytest.mark.claim("shapley-axioms")
def test_shapley_is_linear_in_the_game():
    v, w = _random_game(4, seed=6), _random_game(4, seed=7)
    p, q = sp.Rational(2, 3), sp.Rational(-7, 5)

    combined = derivations.shapley(lambda S: p * v(S) + q * w(S), 4)
    separate = p * derivations.shapley(v, 4) + q * derivations.shapley(w, 4)

    assert combined == separate


def test_shapley_of_a_symbolic_game_is_exact():
    s = sp.Symbol("s")

    def v(S):
        return s * len(S) ** 2

    # Player i joins k others with weight 1/n for each k: mean of (2k + 1) s.
    expected = sp.Matrix([s * 3] * 3)

    assert derivations.shapley(v, 3) == expected


def test_shapley_above_sixteen_players_is_an_error():
    with pytest.raises(ValueError, match=r"n = 17 is above 16"):
        derivations.shapley(derivations.overdetermination(), 17)


@pytest.mark.parametrize("n", [0, -1, 2.0, True])
def test_a_number_of_players_that_is_not_a_positive_integer_is_an_error(n):
    with pytest.raises(
        ValueError, match=r"n: need a positive integer number of players"
    ):
        derivations.shapley(derivations.overdetermination(), n)


# ---------------------------------------------------------- leave one out


def test_leave_one_out_is_the_value_without_i_minus_the_value_of_everyone():
    v = _random_game(4, seed=8)
    everyone = frozenset(range(4))

    expected = sp.Matrix([v(everyone - {i}) - v(everyone) for i in range(4)])

    assert derivations.leave_one_out(v, 4) == expected


def test_leave_one_out_of_an_additive_game_is_minus_each_contribution():
    weights = [3, sp.Rational(-1, 2), 7]

    def v(S):
        return sum((weights[i] for i in S), sp.Integer(0))

    assert derivations.leave_one_out(v, 3) == -sp.Matrix(weights)


# -------------------------------------------------------- influence curves


@pytest.mark.claim("influence-curve-mean")
def test_influence_curve_of_the_mean_is_z_minus_the_mean():
    ic = derivations.influence_curve(lambda E: E(x), z)

    assert sp.simplify(ic - (z - E_F(x))) == 0


def test_influence_curve_of_the_variance_is_the_squared_deviation_minus_the_variance():
    ic = derivations.influence_curve(lambda E: E(x**2) - E(x) ** 2, z)

    expected = (z - E_F(x)) ** 2 - (E_F(x**2) - E_F(x) ** 2)

    assert sp.expand(ic - expected) == 0


def test_influence_curve_of_the_squared_mean_follows_the_chain_rule():
    ic = derivations.influence_curve(lambda E: E(x) ** 2, z)

    assert sp.expand(ic - 2 * E_F(x) * (z - E_F(x))) == 0


@pytest.mark.claim("influence-curve-mean")
def test_normal_influence_curve_of_the_mean_is_z_minus_mu():
    X = Normal("X", mu, sigma)

    ic = derivations.influence_curve(lambda E: E(x), z, distribution=X)

    assert sp.simplify(ic - (z - E(X))) == 0


def test_normal_influence_curve_of_the_variance_is_squared_deviation_minus_sigma_sq():
    X = Normal("X", mu, sigma)

    ic = derivations.influence_curve(lambda E: E(x**2) - E(x) ** 2, z, distribution=X)

    assert sp.simplify(ic - ((z - E(X)) ** 2 - variance(X))) == 0


def test_influence_curve_uses_the_given_variable():
    w = sp.Symbol("w")

    ic = derivations.influence_curve(lambda E: E(w**3), z, variable=w)

    assert sp.simplify(ic - (z**3 - E_F(w**3))) == 0
