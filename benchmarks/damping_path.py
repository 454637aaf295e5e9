r"""Benchmark: damped influence of 10,000 examples at 200 dampings.

For ridge logistic regression (as in ``influence_logistic.py``) and a linear
observable :math:`f = c^\top\theta`, the damped influence

.. math::

    \mathcal{I}_i(\lambda) = -c^\top (H + \lambda I)^{-1} g_i
        = -\sum_k \frac{(c\cdot u_k)(u_k\cdot g_i)}{\sigma_k + \lambda}

needs one eigendecomposition :math:`H = \sum_k \sigma_k u_k u_k^\top` for every
:math:`\lambda`. ``numerics.damping_path`` is timed against one
``numerics.influence`` call per damping and against the eigen-formula written
in NumPy for this one model, all given the minimiser. Goals: the path is at
least 20x faster than the loop and within 3x of the NumPy formula. Run from the
repository root with ``PYTHONPATH=. python benchmarks/damping_path.py``.
"""

import numpy as np
from _timing import best_of, show, verdict
from influence_logistic import ALPHA, D, N, problem
from scipy.special import expit

import numerics
from theory import zoo

LAMBDAS = np.logspace(-3, 3, 200)
GOAL_SPEEDUP, GOAL_RATIO = 20.0, 3.0
REPEATS, LOOP_REPEATS = 10, 2


def formula(X, y, alpha, c, theta, lambdas):
    """Damped influence of every example at every damping, shape (k, n)."""
    s = expit(X @ theta)
    H = (X.T * (s * (1 - s))) @ X + alpha * np.eye(X.shape[1])
    G = -(y * expit(-y * (X @ theta)))[:, None] * X
    eigvals, eigvecs = np.linalg.eigh(H)
    weights = (eigvecs.T @ c) / (eigvals[None, :] + lambdas[:, None])
    return -(weights @ (G @ eigvecs).T)


def main():
    X, y, c = problem()
    k = len(LAMBDAS)
    print(f"damped influence, ridge logistic: n = {N}, d = {D}, {k} dampings")
    m = zoo.logistic_regression(X, y, alpha=ALPHA)
    f = sum(ck * theta for ck, theta in zip(c, m.params))
    theta = numerics.minimise(m)
    numerics.damping_path(m, f, LAMBDAS, at=theta)  # compile

    path, values = best_of(
        lambda: numerics.damping_path(m, f, LAMBDAS, at=theta), REPEATS
    )
    show(f"numerics.damping_path (best of {REPEATS})", path, "s")

    def loop():
        return [numerics.influence(m, f, damping=lam, at=theta) for lam in LAMBDAS]

    looped, expected = best_of(loop, LOOP_REPEATS)
    show(f"numerics.influence per damping (best of {LOOP_REPEATS})", looped, "s")
    # Entries near zero cancel, so the tolerance is relative to the largest.
    scale = np.abs(values).max()
    np.testing.assert_allclose(values, expected, rtol=1e-10, atol=1e-10 * scale)
    show(
        "speed-up of the path over the loop",
        looped / path,
        "x",
        f"goal >= {GOAL_SPEEDUP:g}x: {verdict(looped / path >= GOAL_SPEEDUP)}",
    )

    plain, reference = best_of(lambda: formula(X, y, ALPHA, c, theta, LAMBDAS), REPEATS)
    show(f"NumPy eigen-formula (best of {REPEATS})", plain, "s")
    np.testing.assert_allclose(values, reference, rtol=1e-8, atol=1e-8 * scale)
    show(
        "ratio library / NumPy",
        path / plain,
        "x",
        f"goal <= {GOAL_RATIO:g}x: {verdict(path / plain <= GOAL_RATIO)}",
    )
    print(
        "agreement: loop within 1e-10, NumPy formula within 1e-8, relative to the "
        "largest entry"
    )


if __name__ == "__main__":
    main()
