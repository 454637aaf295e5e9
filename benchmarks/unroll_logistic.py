r"""Benchmark: 100,000 steps of unrolled influence for ridge logistic regression.

With labels :math:`y_i \in \{-1, +1\}`, :math:`\ell_i(\theta) = \log(1 +
e^{-y_i x_i^\top\theta})` and :math:`R(\theta) = \alpha|\theta|^2/2`,
gradient descent :math:`\theta_{t+1} = \theta_t - \eta\nabla L(\theta_t)`
carries the tangent :math:`J_t = \partial\theta_t/\partial b` (d, n) along as

.. math::

    J_{t+1} = J_t - \eta\,(H_t J_t + G_t^\top), \qquad
    G_t = -\bigl(y_i\,\sigma(-y_i x_i^\top\theta_t)\bigr)_i \odot X, \qquad
    H_t = X^\top \mathrm{diag}\bigl(s(1 - s)\bigr) X + \alpha I,

with :math:`s = \sigma(-y \odot X\theta_t)`, and the unrolled influence is
:math:`\nabla f(\theta_T)^\top J_T` for :math:`f = c^\top\theta`.
``numerics.unrolled`` on a ``from_data`` model (n = 100, d = 10) is timed
against this recursion written in NumPy for this one model (goal: within
2.5x), against autograd's reverse mode through the loop (goal: at least 10x
faster; timed on fewer steps and scaled linearly, since its tape grows with T),
and its traced peak memory is compared at two numbers of steps (goal: flat in
T). Run from the repository root with
``PYTHONPATH=. python benchmarks/unroll_logistic.py [--profile]``;
``--profile`` adds the functions where the library's steps spend their time.
"""

import cProfile
import io
import pstats
import sys

import numpy as np
from _timing import best_of, once, peak_memory, show, verdict
from scipy.special import expit

import numerics
from theory import zoo

N, D, ALPHA, LR, SEED = 100, 10, 1.0, 0.01, 20261204
STEPS = 100_000
REVERSE_STEPS = 500  # autograd's tape grows with T; time fewer steps and scale
MEMORY_STEPS = (1_000, 10_000)
GOAL_RATIO_NUMPY, GOAL_SPEEDUP_AUTOGRAD, GOAL_MEMORY_GROWTH = 2.5, 10.0, 1.5
RTOL = 1e-9


def problem(seed=SEED):
    """Seeded data: inputs (n, d), labels +-1 (n,), observable coefficients (d,)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    theta_true = rng.normal(size=D) / np.sqrt(D)
    y = np.where(rng.random(N) < expit(X @ theta_true), 1.0, -1.0)
    return X, y, rng.normal(size=D)


def recursion(X, y, alpha, c, steps, lr):
    """The forward tangent recursion for this one model, unrolled influence (n,)."""
    n, d = X.shape
    theta, J, ridge = np.zeros(d), np.zeros((d, n)), alpha * np.eye(d)
    for _ in range(steps):
        s = expit(-y * (X @ theta))
        G = -(y * s)[:, None] * X
        H = (X.T * (s * (1 - s))) @ X + ridge
        J = J - lr * (H @ J + G.T)
        theta = theta - lr * (G.sum(axis=0) + alpha * theta)
    return c @ J


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    X, y, c = problem()
    print(
        f"unrolled influence, ridge logistic regression: n = {N}, d = {D}, "
        f"alpha = {ALPHA}, lr = {LR}, T = {STEPS}"
    )
    m = zoo.logistic_regression(X, y, alpha=ALPHA)
    f = sum(ck * theta for ck, theta in zip(c, m.params))
    init = np.zeros(D)

    def library(steps, **options):
        return lambda: numerics.unrolled(m, f, steps, LR, init, **options)

    first, _ = once(library(10))
    show("numerics.unrolled, 10 steps, first call (compiles)", first, "s")

    # Forward mode against the hand-written recursion, T steps each.
    seconds, values = best_of(library(STEPS), 2)
    show(f"numerics.unrolled, T = {STEPS} (best of 2)", seconds, "s")
    plain, expected = best_of(lambda: recursion(X, y, ALPHA, c, STEPS, LR), 2)
    show(f"NumPy recursion, T = {STEPS} (best of 2)", plain, "s")
    np.testing.assert_allclose(values, expected, rtol=RTOL, atol=0)
    ratio = seconds / plain
    show(
        "ratio library / NumPy",
        ratio,
        "x",
        f"goal <= {GOAL_RATIO_NUMPY:g}x: {verdict(ratio <= GOAL_RATIO_NUMPY)}",
    )

    # Reverse mode with autograd on fewer steps, scaled linearly to T.
    reverse, values_reverse = best_of(library(REVERSE_STEPS, mode="reverse"), 2)
    forward_short = library(REVERSE_STEPS)()
    np.testing.assert_allclose(values_reverse, forward_short, rtol=RTOL, atol=0)
    scaled = reverse * STEPS / REVERSE_STEPS
    show(f"autograd reverse mode, T = {REVERSE_STEPS} (best of 2)", reverse, "s")
    show(f"  scaled linearly to T = {STEPS}", scaled, "s")
    show(
        "speed-up of forward mode over autograd reverse",
        scaled / seconds,
        "x",
        f"goal >= {GOAL_SPEEDUP_AUTOGRAD:g}x: "
        f"{verdict(scaled / seconds >= GOAL_SPEEDUP_AUTOGRAD)}",
    )
    print(f"agreement: NumPy and autograd within {RTOL:g} relative of the library")

    # Peak memory at two numbers of steps.
    mib = 2.0**20
    peaks = [peak_memory(library(steps)) for steps in MEMORY_STEPS]
    for steps, peak in zip(MEMORY_STEPS, peaks):
        show(f"peak memory, numerics.unrolled, T = {steps}", peak / mib, "MiB")
    growth = peaks[1] / peaks[0]
    show(
        f"memory ratio T = {MEMORY_STEPS[1]} / T = {MEMORY_STEPS[0]}",
        growth,
        "x",
        f"goal <= {GOAL_MEMORY_GROWTH:g}x (flat): "
        f"{verdict(growth <= GOAL_MEMORY_GROWTH)}",
    )
    reverse_peak = peak_memory(library(REVERSE_STEPS, mode="reverse"))
    show(
        f"peak memory, autograd reverse mode, T = {REVERSE_STEPS}",
        reverse_peak / mib,
        "MiB",
    )

    if "--profile" in argv:
        _profile(library(MEMORY_STEPS[1]))


def _profile(fn, top=12):
    """Print the functions with the most own time while ``fn()`` runs."""
    profiler = cProfile.Profile()
    profiler.runcall(fn)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
