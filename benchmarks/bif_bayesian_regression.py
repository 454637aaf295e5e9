r"""Benchmark: the exact BIF of Bayesian linear regression with d = 3.

Least squares on 8 integer examples with the prior :math:`N(0, I)`; the
Gibbs posterior is Gaussian and :func:`derivations.bif` completes the square
(closed form, exact rationals), for a numeric and for a symbolic
:math:`\beta`. The baseline is what a user would otherwise type:
``sympy.integrate`` of :math:`e^{-\beta L}\pi` against :math:`1`,
:math:`f`, :math:`\ell_1` and :math:`f\ell_1` over :math:`\mathbb{R}^3`, for
the first example only, at :math:`\beta = 2`; it is stopped after
``BASELINE_LIMIT`` seconds (the ratio is then a lower bound). The two must
agree exactly. Goal: the closed form under 1 s. Run from the repository root
with ``PYTHONPATH=. python benchmarks/bif_bayesian_regression.py``.
"""

import signal

import numpy as np
import sympy as sp
from _timing import best_of, once, show, verdict

import derivations
from theory import Model, zoo

SEED, N, D = 20261204, 8, 3
GOAL_SECONDS = 1.0
BASELINE_LIMIT = 45


def model(seed=SEED):
    """Bayesian linear regression with integer data and a standard normal prior."""
    rng = np.random.default_rng(seed)
    X, y = rng.integers(-3, 4, size=(N, D)), rng.integers(-3, 4, size=N)
    base = zoo.linear_regression(X, y)
    prior = -sum(t**2 for t in base.params) / 2
    return Model(base.params, base.losses, log_prior=prior)


def by_integration(m, f, beta):
    """-beta Cov(f, l_1) from four nested sympy.integrate calls."""
    weight = sp.exp(m.log_prior - beta * m.loss([1] * m.n))
    limits = [(p, -sp.oo, sp.oo) for p in m.params]

    def integral(g):
        return sp.integrate(g * weight, *limits)

    Z = integral(1)
    mean_f, mean_l = integral(f) / Z, integral(m.losses[0]) / Z
    return sp.simplify(-beta * (integral(f * m.losses[0]) / Z - mean_f * mean_l))


class _Stopped(Exception):
    pass


def _alarm(signum, frame):
    raise _Stopped


def main():
    m = model()
    f = m.params[0] + m.params[1] * m.params[2]
    beta = sp.Integer(2)
    symbol = sp.Symbol("beta", positive=True)

    numeric, exact = best_of(lambda: derivations.bif(model(), f, beta), 3)
    symbolic, _ = best_of(lambda: derivations.bif(model(), f, symbol), 3)
    show(
        "derivations.bif, beta = 2, all 8 examples",
        numeric,
        "s",
        f"goal {GOAL_SECONDS} s {verdict(numeric < GOAL_SECONDS)}",
    )
    show(
        "derivations.bif, symbolic beta, all 8 examples",
        symbolic,
        "s",
        f"goal {GOAL_SECONDS} s {verdict(symbolic < GOAL_SECONDS)}",
    )

    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(BASELINE_LIMIT)
    try:
        seconds, value = once(lambda: by_integration(m, f, beta))
        signal.alarm(0)
        agree = sp.simplify(value - exact[0]) == 0
        show(
            "sympy.integrate, beta = 2, example 1 only",
            seconds,
            "s",
            f"agrees exactly: {agree}",
        )
        show("ratio sympy.integrate / derivations.bif", seconds / numeric, "x")
    except _Stopped:
        show(
            "sympy.integrate, beta = 2, example 1 only",
            BASELINE_LIMIT,
            "s",
            "stopped unfinished",
        )
        show(
            "ratio sympy.integrate / derivations.bif",
            BASELINE_LIMIT / numeric,
            "x",
            "at least",
        )


if __name__ == "__main__":
    main()
