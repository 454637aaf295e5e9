"""Shapley values of examples and of set functions, exact and by permutations.

The oracle is the defining sum over subsets,
phi_i = sum_{S not containing i} |S|! (n - |S| - 1)! / n! (v(S + i) - v(S)),
written out here with itertools.
"""

from itertools import combinations
from math import factorial

import numpy as np
import pytest

import numerics
from tests.tolerances import FLOAT_ATOL, FLOAT_RTOL, MC_STDERRS, RETRAIN_RTOL
from theory import zoo
from theory.errors import SingularHessianError


def _brute_force_shapley(value, n):
    """The Shapley sum over all subsets of a set function of frozensets."""
    phi = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for size in range(n):
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            for subset in combinations(others, size):
                S = frozenset(subset)
                phi[i] += weight * (value(S | {i}) - value(S))
    return phi


def _table(rng, n):
    """A random game: one value per subset, indexed by the subset's bit code."""
    return rng.normal(size=2**n)


def _code(S):
    return sum(1 << i for i in S)


def _ridge_value(X, y, x_f, alpha):
    """v(S) = x_f . theta*(1_S) for ridge, by solving the normal equations on S."""
    d = X.shape[1]

    def value(S):
        rows = sorted(S)
        Xs, ys = X[rows], y[rows]
        return x_f @ np.linalg.solve(Xs.T @ Xs + alpha * np.eye(d), Xs.T @ ys)

    return value


def _ridge_model(X, y, x_f, alpha):
    m = zoo.ridge_regression(X, y, alpha)
    return m, sum(c * t for c, t in zip(x_f, m.params))


# -------------------------------------------------------------- exact, models


def test_exact_shapley_of_ridge_equals_the_sum_over_all_subsets_of_refits():
    rng = np.random.default_rng(0)
    X, y, x_f, alpha = rng.normal(size=(5, 2)), rng.normal(size=5), [1.0, -1.0], 0.8
    m, f = _ridge_model(X, y, x_f, alpha)

    expected = _brute_force_shapley(_ridge_value(X, y, np.array(x_f), alpha), 5)

    np.testing.assert_allclose(numerics.shapley(m, f), expected, rtol=RETRAIN_RTOL)


@pytest.mark.claim("shapley-axioms")
def test_shapley_values_of_ridge_sum_to_the_full_value_minus_the_empty_value():
    # Ridge on no data has theta* = 0, so v(empty) = 0.
    rng = np.random.default_rng(1)
    X, y, x_f, alpha = rng.normal(size=(6, 2)), rng.normal(size=6), [0.5, 2.0], 1.0
    m, f = _ridge_model(X, y, x_f, alpha)
    full = np.array(x_f) @ np.linalg.solve(X.T @ X + alpha * np.eye(2), X.T @ y)

    np.testing.assert_allclose(numerics.shapley(m, f).sum(), full, rtol=RETRAIN_RTOL)


@pytest.mark.claim("shapley-axioms")
def test_two_identical_examples_get_equal_shapley_values():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(6, 2)), rng.normal(size=6)
    X[1], y[1] = X[0], y[0]
    m, f = _ridge_model(X, y, [1.0, 1.0], 0.5)

    phi = numerics.shapley(m, f)

    np.testing.assert_allclose(phi[1], phi[0], rtol=RETRAIN_RTOL)


@pytest.mark.claim("shapley-axioms")
def test_an_example_with_an_identically_zero_loss_gets_zero_shapley_value():
    # x = 0 and y = 0 make (y - x.theta)^2 / 2 vanish for every theta.
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(6, 2)), rng.normal(size=6)
    X[3], y[3] = 0.0, 0.0
    m, f = _ridge_model(X, y, [1.0, -0.5], 0.5)

    np.testing.assert_allclose(numerics.shapley(m, f)[3], 0.0, atol=FLOAT_ATOL)


def test_a_model_without_an_empty_set_retrain_raises_naming_the_subset():
    rng = np.random.default_rng(4)
    m = zoo.linear_regression(rng.normal(size=(4, 1)), rng.normal(size=4))

    with pytest.raises(SingularHessianError, match=r"the subset \[\]: .*flat"):
        numerics.shapley(m, m.params[0])


# ---------------------------------------------------------- exact, set games


def test_exact_shapley_of_a_random_game_equals_the_sum_over_all_subsets():
    table = _table(np.random.default_rng(5), 6)

    def game(S):
        return table[_code(S)]

    expected = _brute_force_shapley(game, 6)

    np.testing.assert_allclose(
        numerics.shapley(game, n=6), expected, rtol=FLOAT_RTOL, atol=FLOAT_ATOL
    )


@pytest.mark.claim("shapley-axioms")
def test_a_player_that_never_changes_the_value_gets_zero():
    table = _table(np.random.default_rng(6), 5)

    def game(S):
        return table[_code(S - {2})]

    np.testing.assert_allclose(numerics.shapley(game, n=5)[2], 0.0, atol=FLOAT_ATOL)


@pytest.mark.claim("shapley-axioms")
def test_shapley_is_linear_in_the_game():
    rng = np.random.default_rng(7)
    v, w = _table(rng, 5), _table(rng, 5)

    def combined(S):
        return 2.0 * v[_code(S)] - 3.0 * w[_code(S)]

    separate = 2.0 * numerics.shapley(lambda S: v[_code(S)], n=5) - 3.0 * (
        numerics.shapley(lambda S: w[_code(S)], n=5)
    )

    np.testing.assert_allclose(
        numerics.shapley(combined, n=5), separate, rtol=FLOAT_RTOL, atol=FLOAT_ATOL
    )


@pytest.mark.claim("overdetermination")
def test_overdetermination_gives_one_half_to_each_sufficient_cause():
    def outcome(S):
        return float(bool(S & {0, 1}))

    np.testing.assert_allclose(
        numerics.shapley(outcome, n=4), [0.5, 0.5, 0.0, 0.0], atol=FLOAT_ATOL
    )


def test_vectorized_game_agrees_with_the_frozenset_game():
    table = _table(np.random.default_rng(8), 6)
    bits = 1 << np.arange(6)

    def on_masks(masks):
        return table[masks.astype(np.int64) @ bits]

    np.testing.assert_allclose(
        numerics.shapley(on_masks, n=6, vectorized=True),
        numerics.shapley(lambda S: table[_code(S)], n=6),
        rtol=FLOAT_RTOL,
        atol=FLOAT_ATOL,
    )


def test_exact_shapley_with_21_players_raises_pointing_to_permutations():
    with pytest.raises(ValueError, match="method='permutation'"):
        numerics.shapley(lambda S: float(len(S)), n=21)


# ----------------------------------------------------------- permutations


def test_permutation_estimate_is_within_its_standard_errors_of_the_exact_values():
    table = _table(np.random.default_rng(9), 8)

    def game(S):
        return table[_code(S)]

    exact = _brute_force_shapley(game, 8)
    estimate = numerics.shapley(
        game, n=8, method="permutation", permutations=400, seed=90
    )

    assert estimate.permutations == 400
    np.testing.assert_array_less(
        np.abs(estimate.values - exact), MC_STDERRS * estimate.stderr
    )


def test_permutation_estimate_is_reproducible_with_the_same_seed():
    table = _table(np.random.default_rng(10), 8)

    def game(S):
        return table[_code(S)]

    first = numerics.shapley(game, n=8, method="permutation", permutations=50, seed=3)
    again = numerics.shapley(game, n=8, method="permutation", permutations=50, seed=3)

    np.testing.assert_array_equal(again.values, first.values)
    np.testing.assert_array_equal(again.stderr, first.stderr)


def test_permutation_estimate_without_a_seed_raises():
    with pytest.raises(ValueError, match="seed: .*needs an explicit seed"):
        numerics.shapley(lambda S: float(len(S)), n=3, method="permutation")
