r"""Exact reverse-mode metagradients through gradient descent, with k-ary checkpoints.

Reverse mode needs the training states in reverse order, :math:`\theta_{T-1},
\dots, \theta_0`; keeping all of them costs memory linear in T. REPLAY
(Engstrom, Ilyas, Chen, Feldmann, Moses and Madry, 2025, "Optimizing ML
training with metagradient descent") keeps a k-ary tree of checkpoints
instead: a stretch of L steps is cut into at most k chunks of
:math:`\lceil L/k\rceil` steps, the start of each chunk is stored, and the
chunks are traversed last to first, each by recomputing forward from its
stored start and recursing. At most

.. math::

    P(T) \le (k - 1)\lceil\log_k T\rceil + 1

states are held at once (equality when T is a power of k), and for
:math:`T = k^m` the reverse pass recomputes :math:`(m - 1)(k - 1)T/k` steps on
top of the training run itself.

Along the way the adjoint :math:`a_t = \partial f(\theta_T)/\partial\theta_t`
runs backwards through the steps :math:`\theta_{t+1} = \theta_t - \eta_t
\nabla L_t(\theta_t; b)` as

.. math::

    a_T = \nabla f(\theta_T), \qquad
    a_t = (I - \eta_t H_t)\,a_{t+1}, \qquad
    \frac{d f}{d b_i} \mathrel{+}= -\eta_t c_{ti}\,\nabla\ell_i(\theta_t)^\top a_{t+1},

with one Hessian-vector product per step (the compiled d x d Hessian of the
step's loss times the adjoint) and the per-example gradients contracted with
:math:`a_{t+1}` for all examples at once; the same pass gives
the metagradients in the learning rates, :math:`\partial f/\partial\eta_t =
-\nabla L_t(\theta_t)^\top a_{t+1}`, and in the start, :math:`a_0`.
"""

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from . import unrolling, unrolling_run
from .compiled import observable

__all__ = ["ReplayResult", "checkpoint_counts", "gd_run", "gd_step", "replay"]

# Adam's settings, which a plain (S)GD run does not use.
_UNUSED_ADAM = (0.9, 0.999, 1e-8)


@dataclass(frozen=True)
class ReplayResult:
    r"""Metagradients of one run and the cost of the reverse pass.

    ``values`` (n,) are :math:`df/db_i`, ``lr_grad`` (T,) :math:`df/d\eta_t`,
    ``init_grad`` (d,) :math:`df/d\theta_0`, ``theta`` (d,) the final weights;
    ``stored_states`` is the largest number of checkpoints held at once (the
    working iterate and the adjoint, two more d-vectors, come on top) and
    ``recomputed_steps`` the training steps recomputed by the reverse pass
    (the T steps of the training run itself not included).
    """

    values: np.ndarray
    lr_grad: np.ndarray
    init_grad: np.ndarray
    theta: np.ndarray
    stored_states: int
    recomputed_steps: int


def replay(
    m, f, steps, lr, init, *, batches=None, k=2, direction=None, full_output=False
):
    r"""Unrolled influence by reverse mode with k-ary checkpointing (REPLAY).

    .. math::

        \mathcal{U}_i = \frac{d f(\theta_T(b))}{d b_i}\Big|_{b = 1}
            = -\sum_{t < T} \eta_t c_{ti}\,\nabla\ell_i(\theta_t)^\top a_{t+1}

    for (S)GD on :math:`L_t(\theta; b) = \sum_i c_{ti} b_i \ell_i + R`, the same
    run and the same number as :func:`numerics.unrolled`, with memory that
    grows like :math:`k\log_k T` instead of T.

    Parameters
    ----------
    m : theory.Model
        A model with numeric data.
    f : sympy.Expr
        The observable, in ``m.params``.
    steps : int
        T >= 0.
    lr : float or array_like, shape (steps,)
        :math:`\eta`, or a schedule :math:`\eta_t`.
    init : array_like, shape (d,)
        :math:`\theta_0`.
    batches : sequence of index arrays, length steps, optional
        A fixed mini-batch per step (:func:`numerics.batch_schedule`).
    k : int
        Arity of the checkpoint tree, >= 2.
    direction : array_like, shape (n,), optional
        Return :math:`\sum_i h_i\mathcal{U}_i` instead of the column.
    full_output : bool
        Return a :class:`ReplayResult` with the metagradients in the learning
        rates and the start, and the checkpoint counters.

    Returns
    -------
    ndarray, shape (n,), float with ``direction``, or ReplayResult

    Raises
    ------
    ValueError
        Bad k or direction; bad steps, lr, init or batches as for
        :func:`numerics.unrolled`.
    FloatingPointError
        The run or the adjoint overflowed.

    Warns
    -----
    RuntimeWarning
        :math:`\eta_0 \ge 2/\lambda_{\max}(H(\theta_0))`.

    Notes
    -----
    Plain gradient descent and SGD only; for momentum and Adam use
    :func:`numerics.unrolled`. The counters follow :func:`checkpoint_counts`.

    Examples
    --------
    >>> from theory import zoo
    >>> m = zoo.gaussian_mean([1.0, 2.0, 6.0])
    >>> mu, = m.params
    >>> replay(m, mu, steps=1, lr=0.1, init=[3.0])
    array([-0.2, -0.1,  0.3])
    >>> replay(m, mu, 9, 0.1, [3.0], k=3, full_output=True).stored_states
    5
    """
    k = _check_k(k)
    run = gd_run(m, steps, lr, init, batches)
    h = unrolling._check_direction(direction, m.n)

    result = _Replay(run, f, k).execute()
    if full_output:
        return result
    return float(h @ result.values) if h is not None else result.values


def checkpoint_counts(steps, k):
    r"""Predicted ``(stored_states, recomputed_steps)`` of :func:`replay`.

    By the recursion of the checkpoint tree: a stretch of :math:`L > 1` steps in
    chunks of lengths :math:`L_0, \dots, L_{c-1}` holds
    :math:`P(L) = \max_j (j + P(L_j))` states, :math:`P(1) = 1`, and recomputes
    :math:`R(L) = L - L_{c-1} + \sum_j R(L_j)` steps, :math:`R(1) = 0`; the
    whole run recomputes :math:`\sum_j R(L_j)` of its top-level chunks, since
    the training run itself stores their starts. For :math:`T = k^m`,
    :math:`P = (k - 1)m + 1` and :math:`R = (m - 1)(k - 1)T/k`.

    Examples
    --------
    >>> checkpoint_counts(8, 2)
    (4, 8)
    >>> checkpoint_counts(1000, 10)
    (28, 1800)
    """
    k = _check_k(k)
    if steps == 0:
        return 0, 0
    peak = _counts(int(steps), k)[0]
    if steps == 1:
        return peak, 0
    return peak, sum(_counts(length, k)[1] for length in _chunk_lengths(steps, k))


# ---------------------------------------------------------------- private


class _Replay:
    """One reverse pass; holds the adjoint, the accumulators and the counters."""

    def __init__(self, run, f, k):
        self.run, self.k, self.f = run, k, f
        d, n = run.m.d, run.m.n
        self.values, self.lr_grad = np.zeros(n), np.zeros(run.steps)
        self.held = self.peak = self.recomputed = 0
        self.a = np.zeros(d)

    def execute(self):
        run = self.run
        theta = run.init.copy()
        states = [theta] if run.steps else []
        self._hold(len(states))

        # The training run, storing the start of every top-level chunk.
        starts = _chunk_starts(0, run.steps, self.k)
        marks = set(starts)
        for t in range(run.steps):
            theta = self._step(theta, t)
            if t + 1 in marks:
                states.append(theta)
                self._hold(1)
        theta_T = theta
        self.a = observable(run.m, self.f)(theta_T)[1].astype(float)

        # Reverse through the chunks, last first.
        ends = starts[1:] + [run.steps]
        for start, end, state in reversed(list(zip(starts, ends, states))):
            self._reverse(start, end, state)
            self._hold(-1)
        return ReplayResult(
            self.values,
            self.lr_grad,
            self.a,
            theta_T,
            self.peak,
            self.recomputed,
        )

    def _reverse(self, lo, hi, theta_lo):
        """Adjoint from ``hi`` back to ``lo``, given the stored state at ``lo``."""
        if hi - lo == 1:
            self._adjoint_step(lo, theta_lo)
            return
        starts = _chunk_starts(lo, hi, self.k)
        states, theta = [theta_lo], theta_lo
        for t in range(lo, starts[-1]):
            theta = self._step(theta, t)
            self.recomputed += 1
            if t + 1 in starts:
                states.append(theta)
                self._hold(1)
        ends = starts[1:] + [hi]
        for j in reversed(range(len(starts))):
            self._reverse(starts[j], ends[j], states[j])
            if j > 0:  # the start at lo belongs to the caller
                self._hold(-1)

    def _step(self, theta, t):
        return gd_step(self.run, theta, t)

    def _adjoint_step(self, t, theta):
        run = self.run
        c = run.scale(t)
        _, grad, H, G = run.c.total(theta, c, with_example_grads=True)
        a, lr = self.a, run.lrs[t]
        self.values += -lr * c * (G @ a)
        self.lr_grad[t] = -grad @ a
        self.a = a - lr * (H @ a)
        if not np.all(np.isfinite(self.a)):
            raise FloatingPointError(
                f"lr: the adjoint overflowed at step {t}; the run is unstable for "
                "this learning rate. Lower lr or use fewer steps."
            )

    def _hold(self, change):
        self.held += change
        self.peak = max(self.peak, self.held)


def gd_step(run, theta, t):
    r"""One step :math:`\theta_{t+1} = \theta_t - \eta_t\nabla L_t(\theta_t)` of a run.

    ``run`` is a :class:`numerics.unrolling_run.Run`; the step raises
    ``FloatingPointError`` when the weights stop being finite.
    """
    theta = theta - run.lrs[t] * run.c.total(theta, run.scale(t))[1]
    if not np.all(np.isfinite(theta)):
        raise FloatingPointError(
            f"lr: the training run overflowed by step {t} (the weights are no "
            "longer finite); lower lr (below 2/lambda_max(H) for gradient "
            "descent) or use fewer steps."
        )
    return theta


def gd_run(m, steps, lr, init, batches):
    """The checked :class:`numerics.unrolling_run.Run` of plain (S)GD, warned on."""
    run = unrolling_run.Run(
        m, steps, lr, init, batches, optimizer="gd", momentum=0.0, adam=_UNUSED_ADAM
    )
    message = unrolling._instability(run)
    if message:
        warnings.warn(message, RuntimeWarning, stacklevel=3)
    return run


def _chunk_lengths(length, k):
    size = -(-length // k)
    return [min(size, length - start) for start in range(0, length, size)]


def _chunk_starts(lo, hi, k):
    if hi <= lo:
        return []
    size = -(-(hi - lo) // k)
    return list(range(lo, hi, size))


@functools.cache
def _counts(length, k):
    """``(P(L), R(L))`` of the checkpoint recursion, see :func:`checkpoint_counts`."""
    if length == 1:
        return 1, 0
    lengths = _chunk_lengths(length, k)
    children = [_counts(child, k) for child in lengths]
    peak = max(j + p for j, (p, _) in enumerate(children))
    recomputed = length - lengths[-1] + sum(r for _, r in children)
    return peak, recomputed


def _check_k(k):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ValueError(
            f"k: the checkpoint tree needs an integer arity k >= 2, got {k!r}; "
            "k = 2 stores the fewest states, larger k recomputes fewer steps."
        )
    return int(k)
