r"""Benchmark: exact Shapley values of 16 ridge-regression examples.

The value of a subset S is a prediction of the ridge model retrained on S,
:math:`v(S) = c^\top \theta^*(1_S)` with
:math:`\theta^*(1_S) = (X_S^\top X_S + \alpha I)^{-1} X_S^\top y_S`, and the
Shapley value (Shapley, 1953) of example i is

.. math::

    \phi_i = \sum_{S \ni i} \frac{(|S|-1)!\,(n-|S|)!}{n!}\, v(S)
           - \sum_{S \not\ni i} \frac{|S|!\,(n-|S|-1)!}{n!}\, v(S).

``numerics.shapley`` is timed against a plain Python loop over all
:math:`2^n` subsets that solves each ridge system with ``numpy.linalg.solve``
and then applies the formula above. Goal: the warm library call takes under
2 s for n = 16. Run from the repository root with
``PYTHONPATH=. python benchmarks/shapley_ridge.py``.
"""

from math import factorial

import numpy as np
from _timing import best_of, once, show, verdict

import numerics
from theory import zoo

N, D, ALPHA, SEED = 16, 3, 1.0, 20261203
GOAL_SECONDS = 2.0
LIBRARY_REPEATS, BASELINE_REPEATS = 5, 3


def problem(seed=SEED):
    """A seeded ridge design: inputs (n, d), targets (n,), prediction point (d,)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    y = X @ rng.normal(size=D) + 0.5 * rng.normal(size=N)
    return X, y, rng.normal(size=D)


def subset_values(X, y, alpha, point):
    r"""Retrain on every subset in a Python loop; :math:`v(S)` indexed by bitmask S."""
    n, d = X.shape
    ridge = alpha * np.eye(d)
    values = np.empty(2**n)
    for mask in range(2**n):
        rows = [i for i in range(n) if mask >> i & 1]
        X_s, y_s = X[rows], y[rows]
        theta = np.linalg.solve(X_s.T @ X_s + ridge, X_s.T @ y_s)
        values[mask] = point @ theta
    return values


def shapley_from_values(values, n):
    """Shapley values from subset values indexed by bitmask, shape (2^n,) -> (n,)."""
    masks = np.arange(2**n)
    members = (masks[:, None] >> np.arange(n)) & 1 == 1
    sizes = members.sum(axis=1)
    # Weight of v(S) for a player in S (S = T + i) and for one outside it (S = T).
    inside = np.array([factorial(max(s - 1, 0)) * factorial(n - s) for s in sizes])
    outside = np.array([factorial(s) * factorial(max(n - s - 1, 0)) for s in sizes])
    coefficients = np.where(members, inside[:, None], -outside[:, None])
    return values @ coefficients / factorial(n)


def baseline(X, y, alpha, point):
    """Shapley values by looping over subsets with ``numpy.linalg.solve``."""
    return shapley_from_values(subset_values(X, y, alpha, point), X.shape[0])


def main():
    X, y, point = problem()
    print(f"exact Shapley values, ridge regression: n = {N}, d = {D}, alpha = {ALPHA}")

    seconds, m = once(lambda: zoo.ridge_regression(X, y, ALPHA))
    show("build the model (zoo.ridge_regression)", seconds, "s")
    f = sum(c * theta for c, theta in zip(point, m.params))

    first, phi = once(lambda: numerics.shapley(m, f))
    show("numerics.shapley, first call (compiles)", first, "s")
    warm, phi = best_of(lambda: numerics.shapley(m, f), LIBRARY_REPEATS)
    show(
        f"numerics.shapley, warm (best of {LIBRARY_REPEATS})",
        warm,
        "s",
        f"goal < {GOAL_SECONDS:g} s: {verdict(warm < GOAL_SECONDS)}",
    )
    loop, phi_loop = best_of(lambda: baseline(X, y, ALPHA, point), BASELINE_REPEATS)
    show(f"Python loop + linalg.solve (best of {BASELINE_REPEATS})", loop, "s")

    np.testing.assert_allclose(phi, phi_loop, rtol=1e-9, atol=0)
    print("agreement with the loop: within 1e-9 relative")
    show("ratio warm library / loop", warm / loop, "x")
    show("ratio first call / loop", first / loop, "x")


if __name__ == "__main__":
    main()
