r"""Benchmark: 200-temperature sweeps of the BIF at 1e-8 relative accuracy.

Two non-Gaussian models, :func:`numerics.bif` (double-exponential quadrature
at the mode, ``rtol=1e-8``) at 200 inverse temperatures from 1e-2 to 1e8:

* one parameter: :math:`\ell_{1,2} = w^2/2 + w^3/6 \pm w/3` and
  :math:`w^2/2 + w^4/8 \mp w/3`, observable :math:`f = w + w^2`;
* two parameters: ridge logistic regression on three points, :math:`f =
  \theta_1`.

Baseline in the same run: the mpmath tanh-sinh rule of
``numerics.bif(..., method="mpmath", dps=15)`` (15 digits is what 1e-8
needs), timed on every 20th temperature in one parameter and extrapolated to
200, and on one temperature in two parameters (stopped after
``BASELINE_LIMIT`` seconds, the ratio then a lower bound). Agreement is
checked relative to the largest entry. Goals: under 2 s and under 20 s, and
at least 100x faster than mpmath. Run from the repository root with
``PYTHONPATH=. python benchmarks/bif_sweep.py``.
"""

import signal

import numpy as np
import sympy as sp
from _timing import best_of, once, show, verdict

import numerics
from theory import Model, zoo

BETAS = np.logspace(-2, 8, 200)
RTOL, DPS = 1e-8, 15
GOALS = {1: 2.0, 2: 20.0}
GOAL_RATIO = 100.0
BASELINE_LIMIT = 60


def one_parameter():
    w = sp.Symbol("w")
    losses = [w**2 / 2 + w**3 / 6 + w / 3, w**2 / 2 + w**4 / 8 - w / 3]
    return Model([w], losses), w + w**2


def two_parameters():
    m = zoo.logistic_regression(
        [[1.0, 0.3], [-2.0, 1.0], [0.5, -1.0]], [1, -1, -1], alpha=1
    )
    return m, m.params[0]


class _Stopped(Exception):
    pass


def _alarm(signum, frame):
    raise _Stopped


def sweep(m, f):
    return np.array([numerics.bif(m, f, beta, rtol=RTOL) for beta in BETAS])


def measure(d, m, f):
    """Time one model's sweep and its mpmath baseline; print the lines."""
    seconds, values = best_of(lambda: sweep(m, f), 2)
    goal = GOALS[d]
    show(
        f"d = {d}: numerics.bif, 200 temperatures",
        seconds,
        "s",
        f"goal {goal:g} s {verdict(seconds < goal)}",
    )

    picks = np.arange(0, 200, 20) if d == 1 else np.array([100])
    signal.alarm(BASELINE_LIMIT)
    try:
        mp_seconds, reference = once(
            lambda: np.array(
                [numerics.bif(m, f, BETAS[k], method="mpmath", dps=DPS) for k in picks]
            )
        )
        signal.alarm(0)
    except _Stopped:
        per = BASELINE_LIMIT / len(picks)
        show(
            f"d = {d}: mpmath ({DPS} digits), per temperature",
            per,
            "s",
            "stopped unfinished: at least",
        )
        ratio = per * 200 / seconds
        show(
            f"d = {d}: ratio mpmath / numerics.bif (200)",
            ratio,
            "x",
            f"at least; goal {GOAL_RATIO:g}x {verdict(ratio >= GOAL_RATIO)}",
        )
        return
    per = mp_seconds / len(picks)
    error = np.max(np.abs(values[picks] - reference), axis=1) / np.max(
        np.abs(reference), axis=1
    )
    show(
        f"d = {d}: mpmath ({DPS} digits), per temperature",
        per,
        "s",
        f"max relative difference {error.max():.1e}",
    )
    ratio = per * 200 / seconds
    show(
        f"d = {d}: ratio mpmath / numerics.bif (200)",
        ratio,
        "x",
        f"goal {GOAL_RATIO:g}x {verdict(ratio >= GOAL_RATIO)}",
    )


def main():
    signal.signal(signal.SIGALRM, _alarm)
    for d, build in ((1, one_parameter), (2, two_parameters)):
        measure(d, *build())


if __name__ == "__main__":
    main()
