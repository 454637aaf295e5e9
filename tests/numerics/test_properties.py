"""Invariants of influence, leave-one-out and Shapley values, by hypothesis.

Each example draws a seed and builds its data from np.random.default_rng(seed).
Comparisons between two models that share a minimiser use RETRAIN_RTOL, since
each minimiser comes out of its own converged Newton iteration.
"""

import numpy as np
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import numerics
from tests.tolerances import FLOAT_ATOL, FLOAT_RTOL, RETRAIN_RTOL
from theory import Model, zoo

N = 6
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, database=None)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def _logistic_data(seed, n=N):
    """Seeded logistic-regression data: an intercept, one feature, labels -1/+1."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return X, y


def _scaled_logistic(X, y, scales):
    """Ridge logistic regression with example i's loss multiplied by scales[i]."""
    params = sp.symbols("a b")
    x, label, scale = sp.symbols("x label scale")
    margin = label * (params[0] + params[1] * x)
    return Model.from_data(
        params,
        scale * sp.log(1 + sp.exp(-margin)),
        {x: X[:, 1], label: y, scale: scales},
        regularizer=(params[0] ** 2 + params[1] ** 2) / 2,
    )


def _observable(params):
    a, b = params
    return a + sp.sin(b)


@PROPERTY_SETTINGS
@given(seed=seeds, order=st.permutations(range(N)))
def test_permuting_the_examples_permutes_the_influence(seed, order):
    X, y = _logistic_data(seed)
    order = np.array(order)
    m = zoo.logistic_regression(X, y, alpha=1.0)
    shuffled = zoo.logistic_regression(X[order], y[order], alpha=1.0)

    np.testing.assert_allclose(
        numerics.influence(shuffled, _observable(shuffled.params)),
        numerics.influence(m, _observable(m.params))[order],
        rtol=RETRAIN_RTOL,
        atol=FLOAT_ATOL,
    )


@PROPERTY_SETTINGS
@given(seed=seeds, order=st.permutations(range(N)))
def test_permuting_the_examples_permutes_leave_one_out(seed, order):
    X, y = _logistic_data(seed)
    order = np.array(order)
    m = zoo.logistic_regression(X, y, alpha=1.0)
    shuffled = zoo.logistic_regression(X[order], y[order], alpha=1.0)

    np.testing.assert_allclose(
        numerics.loo(shuffled, _observable(shuffled.params)),
        numerics.loo(m, _observable(m.params))[order],
        rtol=RETRAIN_RTOL,
        atol=FLOAT_ATOL,
    )


@PROPERTY_SETTINGS
@given(
    seed=seeds,
    a=st.floats(-10, 10),
    b=st.floats(-10, 10),
)
def test_influence_is_linear_in_the_direction(seed, a, b):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(N, 2)), rng.normal(size=N)
    h, k = rng.normal(size=(2, N))
    m = zoo.ridge_regression(X, y, 0.5)
    f = _observable(m.params)
    # Rounding in a sum of signed terms scales with the sum of their magnitudes.
    scale = (np.abs(a * h) + np.abs(b * k)) @ np.abs(numerics.influence(m, f))

    combined = numerics.influence(m, f, direction=a * h + b * k)
    separate = a * numerics.influence(m, f, direction=h) + b * numerics.influence(
        m, f, direction=k
    )

    np.testing.assert_allclose(combined, separate, rtol=0, atol=FLOAT_RTOL * scale)


def _split_models(seed, k):
    """The model, and the model with example k split into two halves (last two)."""
    X, y = _logistic_data(seed)
    original = _scaled_logistic(X, y, np.ones(N))
    keep = [i for i in range(N) if i != k]
    rows, labels = np.vstack([X[keep], X[k], X[k]]), np.r_[y[keep], y[k], y[k]]
    split = _scaled_logistic(rows, labels, np.r_[np.ones(N - 1), 0.5, 0.5])
    return original, split, keep


@PROPERTY_SETTINGS
@given(seed=seeds, k=st.integers(0, N - 1))
def test_splitting_an_example_into_halves_keeps_its_total_influence(seed, k):
    original, split, _ = _split_models(seed, k)

    halves = numerics.influence(split, _observable(split.params))[-2:]

    np.testing.assert_allclose(
        halves.sum(),
        numerics.influence(original, _observable(original.params))[k],
        rtol=RETRAIN_RTOL,
        atol=FLOAT_ATOL,
    )


@PROPERTY_SETTINGS
@given(seed=seeds, k=st.integers(0, N - 1))
def test_splitting_an_example_leaves_the_other_influences_unchanged(seed, k):
    original, split, keep = _split_models(seed, k)

    others = numerics.influence(split, _observable(split.params))[:-2]

    np.testing.assert_allclose(
        others,
        numerics.influence(original, _observable(original.params))[keep],
        rtol=RETRAIN_RTOL,
        atol=FLOAT_ATOL,
    )


@PROPERTY_SETTINGS
@given(seed=seeds, c=st.floats(-100, 100))
def test_shapley_of_a_scaled_game_is_the_scaled_shapley(seed, c):
    table = np.random.default_rng(seed).normal(size=2**5)
    bits = 1 << np.arange(5)

    def game(masks):
        return table[masks.astype(np.int64) @ bits]

    def scaled(masks):
        return c * game(masks)

    np.testing.assert_allclose(
        numerics.shapley(scaled, n=5, vectorized=True),
        c * numerics.shapley(game, n=5, vectorized=True),
        rtol=FLOAT_RTOL,
        atol=FLOAT_ATOL * max(abs(c), 1.0),
    )
