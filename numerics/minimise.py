r"""Minimise the weighted loss in float64: Newton's method, batched over problems.

One call solves many problems :math:`\min_\theta L(\theta; b^{(k)})` at once,
one per row of a weight matrix, as exact retraining needs (leave-one-out: n
problems; Shapley: :math:`2^n`). Each iteration takes a Newton step with the
exact Hessian (shifted to be positive definite where it is not) and
backtracks until the Armijo condition holds.

A problem counts as converged when its last step is at most ``rtol`` relative
to the parameters, or when its gradient is zero to working precision: at
most 64 machine epsilons times the summed magnitudes of the gradient's terms,
which is as small as a float64 gradient can be made.
"""

import logging

import numpy as np

from theory.errors import ConvergenceError

from .compiled import compiled

__all__ = ["minimise", "newton"]

log = logging.getLogger(__name__)

RTOL = 1e-12
_EPS = np.finfo(float).eps


def minimise(m, weights=None, init=None, rtol=RTOL, maxiter=100):
    r"""The minimiser :math:`\theta^*(b)` of :math:`L(\theta; b)` in float64.

    Parameters
    ----------
    m : theory.Model
    weights : array_like, shape (n,), optional
        Data weights b; all ones if omitted.
    init : array_like, shape (d,), optional
        Starting point; zero (or the centre of a bounded support) if omitted.
    rtol : float, optional
        Relative step size at which Newton's method stops.
    maxiter : int, optional

    Returns
    -------
    ndarray, shape (d,)

    Raises
    ------
    ConvergenceError
        Newton's method did not converge (an unbounded loss, such as logistic
        regression on separable data without ridge, or a bad start).
    """
    weights = _weights(weights, m.n)
    theta0 = _init(m, init)
    theta, _ = newton(m, weights, theta0, rtol=rtol, maxiter=maxiter)
    return theta


def newton(m, weights, theta0, rtol=RTOL, maxiter=100, what="the minimiser"):
    """Batched damped Newton: rows of ``weights`` (..., n) from ``theta0`` (..., d).

    Returns the minimisers, shape (..., d), and the number of iterations.
    Raises :class:`ConvergenceError` naming the first problem that failed.
    """
    c = compiled(m)
    weights = np.asarray(weights, dtype=float)
    batch = np.broadcast_shapes(weights.shape[:-1], np.shape(theta0)[:-1])
    theta = np.array(np.broadcast_to(theta0, batch + (m.d,)), dtype=float)
    weights = np.broadcast_to(weights, batch + (m.n,))
    done = np.zeros(batch, dtype=bool)

    for iteration in range(1, maxiter + 1):
        value, grad, H, scale = c.total(theta, weights, with_scale=True)
        stationary = np.all(np.abs(grad) <= 64 * _EPS * (scale + 1e-300), axis=-1)
        step, saddle = _newton_step(H, grad, stationary)
        done |= stationary & ~saddle
        t = _backtrack(c, theta, weights, value, grad, step)
        move = t[..., None] * step
        small = np.linalg.norm(step, axis=-1) <= rtol * np.maximum(
            1.0, np.linalg.norm(theta, axis=-1)
        )
        theta = np.where(done[..., None], theta, theta + move)
        done |= small
        bad = ~np.all(np.isfinite(theta), axis=-1)
        if np.any(bad):
            break
        log.debug(
            "newton iteration %d: %d of %d converged", iteration, done.sum(), done.size
        )
        if np.all(done):
            return theta, iteration

    failed = np.argwhere(~done | ~np.all(np.isfinite(theta), axis=-1))
    first = tuple(int(i) for i in failed[0]) if failed.size else ()
    g = (
        c.total(theta[first], weights[first])[1]
        if np.all(np.isfinite(theta[first]))
        else None
    )
    error = ConvergenceError(
        f"Newton's method for {what} did not converge in {maxiter} iterations "
        f"(problem {first or 0}, {len(failed)} of {max(done.size, 1)} failing); "
        f"last point {theta[first]}, gradient {g}. The loss may be unbounded below "
        "(add a regulariser, e.g. ridge alpha > 0) or the minimiser may not be "
        "isolated; try init= near the minimiser."
    )
    error.problem = first
    raise error


def _newton_step(H, grad, stationary):
    """The Newton step, with H shifted where it is not safely positive definite.

    A Cholesky factorisation of the whole batch is the fast path; where it
    fails, the eigenvalues decide, and a stationary point with a negative
    eigenvalue is a saddle. There the gradient vanishes, so the step leaves
    along the direction of most negative curvature instead.
    """
    try:
        # Positive definite everywhere: no saddle, and H itself gives the step.
        L = np.linalg.cholesky(H)
        y = np.linalg.solve(L, -grad[..., None])
        step = np.linalg.solve(np.swapaxes(L, -1, -2), y)[..., 0]
        if np.all(np.isfinite(step)):
            return step, np.zeros(stationary.shape, dtype=bool)
    except np.linalg.LinAlgError:
        pass
    eigvals, eigvecs = np.linalg.eigh(H)
    top = np.maximum(np.abs(eigvals[..., -1]), 1.0)
    floor = 1e-10 * top
    shift = np.where(eigvals[..., 0] < floor, floor - eigvals[..., 0], 0.0)
    shifted = H + shift[..., None, None] * np.eye(H.shape[-1])
    step = -np.linalg.solve(shifted, grad[..., None])[..., 0]
    saddle = stationary & (eigvals[..., 0] < -1e-8 * np.abs(eigvals[..., -1]))
    return np.where(saddle[..., None], eigvecs[..., :, 0], step), saddle


def _backtrack(c, theta, weights, value, grad, step, halvings=40):
    """Largest t in {1, 1/2, ...} meeting the Armijo condition, per problem."""
    slope = np.minimum(np.einsum("...d,...d->...", grad, step), 0.0)
    slack = 1e-13 * np.maximum(np.abs(value), 1.0)
    t = np.ones(value.shape)
    pending = np.ones(value.shape, dtype=bool)
    for _ in range(halvings):
        # A trial step may overflow (exp of a large argument); it is then
        # rejected as non-finite, so the floating-point warning is noise.
        with np.errstate(over="ignore", invalid="ignore"):
            trial = c.loss(theta + t[..., None] * step, weights)
        ok = np.isfinite(trial) & (trial <= value + 1e-4 * t * slope + slack)
        pending &= ~ok
        if not np.any(pending):
            break
        t = np.where(pending, t / 2, t)
    return t


def _weights(weights, n):
    if weights is None:
        return np.ones(n)
    weights = np.asarray(weights, dtype=float)
    if weights.shape[-1:] != (n,):
        raise ValueError(
            f"weights: need shape (n,) = ({n},), got {weights.shape}; one data "
            "weight per example."
        )
    if not np.all(np.isfinite(weights)):
        raise ValueError("weights: need finite values, got nan or inf.")
    return weights


def _init(m, init):
    if init is not None:
        init = np.asarray(init, dtype=float)
        if init.shape != (m.d,):
            raise ValueError(f"init: need shape (d,) = ({m.d},), got {init.shape}.")
        return init
    theta0 = np.zeros(m.d)
    if m.support is not None:
        for k, (lo, hi) in enumerate(m.support):
            lo, hi = float(lo), float(hi)
            if np.isfinite(lo) and np.isfinite(hi):
                theta0[k] = (lo + hi) / 2
            elif np.isfinite(lo) or np.isfinite(hi):
                theta0[k] = np.clip(0.0, lo, hi)
    return theta0
