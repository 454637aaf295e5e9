r"""Unrolled influence: the derivative of a training run's result by its data weights.

Gradient descent on the weighted loss, :math:`\theta_{t+1} = \theta_t - \eta_t
\nabla L_t(\theta_t; b)`, makes the final weights a function
:math:`\theta_T(b)`; the unrolled influence of example i on an observable f is

.. math::

    \mathcal{U}_i = \frac{d f(\theta_T(b))}{d b_i}\Big|_{b=1}
        = \nabla f(\theta_T)^\top J_T e_i, \qquad
    J_{t+1} = (I - \eta_t H_t) J_t - \eta_t G_t^\top, \quad J_0 = 0,

with :math:`H_t` the Hessian of the step's loss and :math:`G_t` its per-example
gradients (one row per example). The tangent :math:`J_t` of shape (d, n) is
carried forward with the weights, so memory does not grow with T. The same
recursion with the optimiser's state (heavy-ball velocity, Adam's moments)
gives the exact derivative of those optimisers. ``mode="reverse"`` instead
differentiates the whole loop with autograd, an independent check.
"""

import warnings

import numpy as np

from . import unrolling_run
from .compiled import compiled, observable
from .influence import _check_direction

__all__ = ["batch_schedule", "train", "unrolled", "unrolled_path"]


def unrolled(
    m,
    f,
    steps,
    lr,
    init,
    *,
    batches=None,
    optimizer="gd",
    momentum=0.9,
    adam=(0.9, 0.999, 1e-8),
    preconditioner=None,
    frozen_preconditioner=False,
    mode="forward",
    direction=None,
):
    r"""Unrolled influence of every example on f after ``steps`` training steps.

    .. math::

        \mathcal{U}_i = \frac{d f(\theta_T(b))}{d b_i}\Big|_{b = 1}

    with :math:`\theta_T(b)` the result of T = ``steps`` steps from
    :math:`\theta_0` = ``init`` on :math:`L_t(\theta; b) = \sum_i c_{ti} b_i
    \ell_i(\theta) + R(\theta)`; :math:`c_{ti} = 1` for full-batch training and
    :math:`c_{ti} = n / |B_t|` on the batch :math:`B_t` (0 elsewhere) for SGD.

    Parameters
    ----------
    m : theory.Model
        A model with numeric data.
    f : sympy.Expr
        The observable, in ``m.params``.
    steps : int
        T >= 0.
    lr : float, array_like of shape (steps,), or callable
        :math:`\eta`, or one learning rate per step (a schedule), or a
        function ``lr(t)`` of the step t = 0, ..., T - 1.
    init : array_like, shape (d,)
        :math:`\theta_0`.
    batches : sequence of index arrays, length steps, optional
        The fixed mini-batch of each step (see :func:`batch_schedule`).
    optimizer : {"gd", "momentum", "adam", "preconditioned"}
        Plain (S)GD; heavy ball :math:`v_{t+1} = \mu v_t + \nabla L_t`,
        :math:`\theta_{t+1} = \theta_t - \eta v_{t+1}`; Adam (Kingma and Ba,
        2015) with bias correction; a fixed preconditioner,
        :math:`\theta_{t+1} = \theta_t - \eta P \nabla L_t`.
    momentum : float
        :math:`\mu` for heavy ball.
    adam : (beta1, beta2, epsilon)
        Adam's decay rates and the constant added to :math:`\sqrt{\hat v}`.
    preconditioner : array_like, shape (d, d), optional
        P for ``optimizer="preconditioned"``.
    frozen_preconditioner : bool
        Adam: drop the derivative of the second moment, treating the
        preconditioner :math:`1/(\sqrt{\hat v_t} + \epsilon)` as if it depended
        on neither theta nor b. An approximation (the exact derivative is the
        default); it is exact only for a fixed preconditioner, where it changes
        nothing.
    mode : {"forward", "reverse"}
        Forward tangents (memory flat in T, the default) or reverse mode
        with autograd through the whole loop (memory grows with T; a check).
    direction : array_like, shape (n,), optional
        Return :math:`\sum_i h_i \mathcal{U}_i` instead of the column.

    Returns
    -------
    ndarray, shape (n,), or float with ``direction``

    Raises
    ------
    FloatingPointError
        The trajectory or its tangent overflowed.
    ValueError
        Bad steps, learning rates, init, batches or optimiser settings.

    Warns
    -----
    RuntimeWarning
        :math:`\eta_0 \ge 2/\lambda_{\max}(H(\theta_0))` (for heavy ball
        :math:`2(1 + \mu)/\lambda_{\max}`, with a preconditioner the largest
        eigenvalue of PH): the step is unstable on the local quadratic. Adam
        is not checked (its step size adapts). For SGD the bound is that of
        the full-batch Hessian; a mini-batch Hessian, scaled by
        :math:`n/|B_t|`, can be stiffer.

    Notes
    -----
    Upweighting sign, like :func:`numerics.influence`: removing example i
    changes :math:`f(\theta_T)` by about :math:`-\mathcal{U}_i`. For a
    quadratic loss started at the minimiser, GD gives exactly
    :math:`-\nabla f^\top [I - (I - \eta H)^T] H^{-1} \nabla\ell_i`, which tends
    to the influence function at the geometric rate
    :math:`\max_k |1 - \eta\sigma_k|`.

    Examples
    --------
    >>> from theory import zoo
    >>> import numerics
    >>> m = zoo.gaussian_mean([1.0, 2.0, 6.0])
    >>> mu, = m.params
    >>> numerics.unrolled(m, mu, steps=1, lr=0.1, init=[3.0])
    array([-0.2, -0.1,  0.3])
    """
    run = unrolling_run.Run(
        m, steps, lr, init, batches, optimizer, momentum, adam, preconditioner
    )
    h = _check_direction(direction, m.n)
    if mode not in ("forward", "reverse"):
        raise ValueError(f"mode: need 'forward' or 'reverse', got {mode!r}.")
    message = _instability(run)
    if message:
        warnings.warn(message, RuntimeWarning, stacklevel=2)

    if mode == "reverse":
        from .unrolling_reverse import reverse

        values = reverse(run, f, frozen_preconditioner)
    else:
        theta, J = run.forward(frozen_preconditioner)
        values = observable(m, f)(theta)[1] @ J
    return float(h @ values) if h is not None else values


def unrolled_path(m, f, steps, lr, init, *, every=1, **options):
    r"""Unrolled influence after t = 0, every, 2 every, ..., steps steps, one run.

    The same run and keywords as :func:`unrolled` (forward mode, no
    ``direction``); the tangent is read off along the way, so the cost is one
    run of ``steps`` steps.

    Returns
    -------
    steps_taken : ndarray of int, shape (k,)
        The step counts, multiples of ``every`` up to ``steps``.
    values : ndarray, shape (k, n)
        Row j is :func:`unrolled` after ``steps_taken[j]`` steps.

    Examples
    --------
    >>> from theory import zoo
    >>> import numerics
    >>> m = zoo.gaussian_mean([1.0, 2.0, 6.0])
    >>> t, values = numerics.unrolled_path(m, m.params[0], 2, 0.1, [3.0])
    >>> t
    array([0, 1, 2])
    >>> values[2]
    array([-0.34, -0.17,  0.51])
    """
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every: need an integer >= 1, got {every!r}.")
    frozen = options.pop("frozen_preconditioner", False)
    for key, default in _RUN_DEFAULTS.items():
        options.setdefault(key, default)
    unknown = set(options) - set(_RUN_DEFAULTS)
    if unknown:
        raise TypeError(f"unrolled_path: unknown keywords {sorted(unknown)}.")
    run = unrolling_run.Run(m, steps, lr, init, **options)
    message = _instability(run)
    if message:
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    value_and_grad = observable(m, f)
    taken, values = [], []

    def record(t, theta, J):
        if t % every == 0:
            taken.append(t)
            values.append(value_and_grad(theta)[1] @ J)

    run.forward(frozen, callback=record)
    return np.array(taken), np.array(values)


def train(m, steps, lr, init, *, weights=None, batches=None, **optimizer):
    r"""The weights :math:`\theta_T(b)` after training, shape (d,).

    The same run as :func:`unrolled` (same keywords), without tangents, at any
    data weights b; finite differences of it are the oracle for
    :func:`unrolled`.

    Examples
    --------
    >>> from theory import zoo
    >>> import numerics
    >>> numerics.train(zoo.gaussian_mean([1.0, 2.0, 6.0]), 2, 0.1, [0.0])
    array([1.53])
    """
    for key, default in _RUN_DEFAULTS.items():
        if key != "batches":
            optimizer.setdefault(key, default)
    run = unrolling_run.Run(m, steps, lr, init, batches, **optimizer)
    return run.trajectory(weights)


def batch_schedule(n, batch_size, steps, seed):
    """A fixed, seeded sequence of mini-batches: epochs of shuffled examples.

    Each epoch is a random permutation of the n examples cut into batches of
    ``batch_size`` (the last one of an epoch may be smaller).

    Returns
    -------
    list of ndarray of int, length steps

    Examples
    --------
    >>> [b.tolist() for b in batch_schedule(4, 2, 3, seed=0)]
    [[2, 0], [1, 3], [3, 2]]
    """
    if not 1 <= int(batch_size) <= n:
        raise ValueError(
            f"batch_size: need an integer in [1, n = {n}], got {batch_size}."
        )
    rng = np.random.default_rng(seed)
    batches = []
    while len(batches) < steps:
        order = rng.permutation(n)
        batches.extend(order[k : k + batch_size] for k in range(0, n, batch_size))
    return batches[:steps]


_RUN_DEFAULTS = {
    "batches": None,
    "optimizer": "gd",
    "momentum": 0.9,
    "adam": (0.9, 0.999, 1e-8),
    "preconditioner": None,
}


def _instability(run):
    """The warning text if the first step is unstable on the local quadratic."""
    if run.optimizer == "adam" or run.steps == 0:
        return None
    H = compiled(run.m).total(run.init)[2]
    if run.optimizer == "preconditioned":
        top = float(np.max(np.linalg.eigvals(run.preconditioner @ H).real))
        which = "2/lambda_max(P H(theta_0))"
    else:
        top = float(np.linalg.eigvalsh(H)[-1])
        which = "2/lambda_max(H(theta_0))"
    if top <= 0:
        return None
    factor = 1.0 + run.momentum if run.optimizer == "momentum" else 1.0
    if run.optimizer == "momentum":
        which = "2(1 + mu)/lambda_max(H(theta_0))"
    bound = 2.0 * factor / top
    if run.lrs[0] < bound:
        return None
    return (
        f"lr: the first learning rate {run.lrs[0]:.6g} is at or above the "
        f"stability bound {which} = {bound:.6g} (lambda_max = {top:.6g}); "
        "the iteration diverges on the local quadratic. Use lr below the "
        "bound, or expect an overflow error."
    )
