r"""Benchmark: REPLAY's checkpoints and time for 10,000 steps of logistic regression.

Reverse mode through T steps of gradient descent needs the states in reverse
order. ``numerics.replay`` keeps a k-ary tree of checkpoints (Engstrom et al.,
2025): at most :math:`(k - 1)\lceil\log_k T\rceil + 1` states at once, paid for
by recomputing about :math:`(\lceil\log_k T\rceil - 1)(k - 1)T/k` steps. For
the ridge logistic regression of ``unroll_logistic.py`` (n = 100, d = 10) and
T = 10,000 it prints, for several k, the stored states against that bound,
the recomputed steps, the time, and the traced peak memory at the two ends
(k = 2 and k = T, which stores every state and recomputes nothing), and
checks every result against the forward recursion ``numerics.unrolled``
(1e-10 relative). Run from the repository root with
``PYTHONPATH=. python benchmarks/replay.py``.
"""

import math

import numpy as np
from _timing import once, peak_memory, show
from unroll_logistic import ALPHA, LR, problem

import numerics
from theory import zoo

STEPS = 10_000
ARITIES = (2, 10, 100, STEPS)
RTOL = 1e-10


def main():
    X, y, c = problem()
    m = zoo.logistic_regression(X, y, alpha=ALPHA)
    f = sum(ck * theta for ck, theta in zip(c, m.params))
    init = np.zeros(m.d)
    print(
        f"REPLAY, ridge logistic regression: n = {m.n}, d = {m.d}, lr = {LR}, "
        f"T = {STEPS}"
    )
    numerics.unrolled(m, f, 10, LR, init)  # compile once, outside the timings

    forward, expected = once(lambda: numerics.unrolled(m, f, STEPS, LR, init))
    show("numerics.unrolled, forward tangents (d x n)", forward, "s")
    for k in ARITIES:
        seconds, result = once(
            lambda k=k: numerics.replay(m, f, STEPS, LR, init, k=k, full_output=True)
        )
        np.testing.assert_allclose(result.values, expected, rtol=RTOL, atol=0)
        depth = math.ceil(math.log(STEPS, k) - 1e-12)
        bound = (k - 1) * depth + 1
        print(
            f"k = {k:>5}: stored states {result.stored_states:>5} "
            f"(bound (k-1) ceil(log_k T) + 1 = {bound}), recomputed steps "
            f"{result.recomputed_steps:>6} ({result.recomputed_steps / STEPS:.2f} T)"
        )
        show(f"  numerics.replay, k = {k}", seconds, "s")
    print(f"agreement with numerics.unrolled: within {RTOL:g} relative for every k")

    mib = 2.0**20
    for k in (ARITIES[0], ARITIES[-1]):
        peak = peak_memory(lambda k=k: numerics.replay(m, f, STEPS, LR, init, k=k))
        show(f"peak memory, numerics.replay, k = {k}", peak / mib, "MiB")


if __name__ == "__main__":
    main()
