r"""Benchmark: influence over training time in the two-layer linear network.

The network of :mod:`theory.deep_linear` on n = 4000 whitened inputs (the four
points :math:`(\pm1, \pm1)`, each 1000 times) with noisy targets of singular
values about 3 and 0.5, from :math:`G_0 = 10^{-4}`: the influence of every
example on one test loss at 281 times up to t = 14. The mode formula
(``method="modes"``: closed forms plus two scalar pair equations) is timed
against the exact flow tangent (``method="flow"``: eight parameters and an
8 x n tangent integrated together), and the two are checked to agree. The
mode formula's cost hardly grows with n, the flow's grows linearly. Goal: the
mode formula is at least 20x faster at this n. Run from the repository root with
``PYTHONPATH=. python benchmarks/deep_linear_modes.py``.
"""

import numpy as np
from _timing import best_of, show, verdict

from numerics import deep_linear
from numerics.deep_linear import influence_over_time

N_COPIES, INIT, T_MAX, K = 1000, 1e-4, 14.0, 281
GOAL_SPEEDUP = 20.0
REPEATS, FLOW_REPEATS = 5, 2


def problem(seed=0):
    """Whitened inputs, noisy targets, and the test example."""
    rng = np.random.default_rng(seed)
    X = np.tile([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]], (N_COPIES, 1))
    Y = X * [3.0, 0.5] + 0.3 * rng.normal(size=X.shape)
    return X, Y, X[1], Y[1]


def main():
    X, Y, x_test, y_test = problem()
    times = np.linspace(0.0, T_MAX, K)
    print(f"two-layer linear network: n = {len(X)}, {K} times up to t = {T_MAX:g}")
    args = (X, Y, x_test, y_test, times, INIT)
    influence_over_time(*args, method="flow")  # compile

    def modes_uncached():
        # The pair equations are cached per (strengths, init, times): time a
        # first call, as a new data set would see it.
        deep_linear._covariance_responses.cache_clear()
        return influence_over_time(*args, "modes")

    modes, values = best_of(modes_uncached, REPEATS)
    show(f"mode formula (best of {REPEATS})", modes, "s")
    flow, expected = best_of(lambda: influence_over_time(*args, "flow"), FLOW_REPEATS)
    show(f"exact flow tangent (best of {FLOW_REPEATS})", flow, "s")
    np.testing.assert_allclose(values, expected, rtol=0, atol=1e-8)
    show(
        "speed-up of the mode formula over the flow",
        flow / modes,
        "x",
        f"goal >= {GOAL_SPEEDUP:g}x: {verdict(flow / modes >= GOAL_SPEEDUP)}",
    )


if __name__ == "__main__":
    main()
