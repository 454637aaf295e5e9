r"""SOURCE: unrolling approximated as stationary within each segment of training.

SOURCE (Bae, Lin, Lorraine and Grosse, 2024, "Training data attribution via
approximate unrolled differentiation") cuts a run into segments
:math:`\ell = 1, \dots, L` and treats each as gradient flow on a fixed
quadratic: over its time :math:`\tau_\ell = \sum_{t\in\ell}\eta_t` (:math:`\eta
K` for K steps at a constant rate) the Hessian is the segment's average
:math:`\bar H_\ell` and example i's gradient the average :math:`\bar g_{\ell i}`.
A segment then maps the tangent as :math:`J \mapsto e^{-\tau_\ell\bar H_\ell}J
- \varphi_\ell(\bar H_\ell)\bar g_{\ell i}`, with the filter

.. math::

    \varphi_\ell(\sigma) = \frac{1 - e^{-\tau_\ell\sigma}}{\sigma}
    \quad (\tau_\ell \text{ at } \sigma = 0),

so that, the later segments acting on the earlier ones' responses from the
left,

.. math::

    \mathrm{SOURCE}_i = -\sum_{\ell=1}^{L}\nabla f(\theta_T)^\top
        \Big[\prod_{\ell'=L}^{\ell+1} e^{-\tau_{\ell'}\bar H_{\ell'}}\Big]
        \varphi_\ell(\bar H_\ell)\,\bar g_{\ell i}

in the sandbox's upweighting sign. The paper reports the derivative for
downweighting an example in a mean loss; :func:`theory.conventions.convert`
with ``"source"`` carries that sign and the factor n. The filter is
:math:`1/\sigma` of the influence function cut off at :math:`\sigma \approx
1/\tau`, within a factor 1.2985 of the damping :math:`1/(\sigma + 1/\tau)` for
:math:`\sigma > 0`; for :math:`\sigma < 0` it grows like
:math:`e^{\tau|\sigma|}`.
"""

from dataclasses import dataclass

import numpy as np

from theory.conventions import convert

from .compiled import observable
from .replay import gd_run, gd_step

__all__ = ["Segment", "source", "source_filter", "source_segments", "source_sum"]


@dataclass(frozen=True)
class Segment:
    r"""One stationary segment: time :math:`\tau`, Hessian (d, d), gradients (n, d).

    ``H`` is the rate-weighted mean Hessian of the steps' losses and ``G`` the
    rate-weighted mean of the per-example gradients :math:`c_{ti}\nabla\ell_i`.
    """

    time: float
    H: np.ndarray
    G: np.ndarray


def source(m, f, steps, lr, init, *, segments=1, batches=None, convention="sandbox"):
    r"""SOURCE's segment-wise stationary approximation of unrolled influence.

    Parameters
    ----------
    m : theory.Model
        A model with numeric data.
    f : sympy.Expr
        The observable, in ``m.params``.
    steps : int
        T >= 1.
    lr : float or array_like, shape (steps,)
        :math:`\eta` or a schedule.
    init : array_like, shape (d,)
        :math:`\theta_0`.
    segments : int or sequence of int
        L, the number of segments of (nearly) equal length, or the step
        counts at which segments end, increasing and ending at ``steps``.
    batches : sequence of index arrays, length steps, optional
        A fixed mini-batch per step (:func:`numerics.batch_schedule`).
    convention : str
        A key of :data:`theory.conventions.CONVENTIONS`: ``"sandbox"``
        (upweighting, comparable with :func:`numerics.unrolled`), ``"source"``
        (the paper's downweighting derivative of a mean loss), or another.

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ValueError
        Bad segments; bad steps, lr, init or batches as for
        :func:`numerics.unrolled`.

    Notes
    -----
    Exact in the gradient-flow limit (:math:`\eta \to 0` at fixed
    :math:`\eta K`, error :math:`O(\eta)`) when each segment's Hessian and
    per-example gradients really are constant, e.g. a quadratic loss started
    at a point that every step's batch leaves fixed. Otherwise the
    averages are an approximation that the tests measure.

    Examples
    --------
    >>> from theory import zoo
    >>> m = zoo.gaussian_mean([1.0, 2.0, 6.0])
    >>> mu, = m.params
    >>> source(m, mu, steps=1, lr=0.1, init=[3.0]).round(4)
    array([-0.1728, -0.0864,  0.2592])
    """
    parts, theta = source_segments(
        m, steps, lr, init, segments=segments, batches=batches
    )
    values = source_sum(observable(m, f)(theta)[1], parts)
    if convention == "sandbox":
        return values
    return convert(values, "sandbox", convention, n=m.n)


def source_segments(m, steps, lr, init, *, segments=1, batches=None):
    """The segments of a (S)GD run, earliest first, and the final weights.

    Returns
    -------
    parts : list of Segment
    theta : ndarray, shape (d,)
        :math:`\\theta_T`, where the observable's gradient is taken.
    """
    run = gd_run(m, steps, lr, init, batches)
    ends = _segment_ends(segments, run.steps)
    parts, theta, start = [], run.init.copy(), 0
    for end in ends:
        time, H, G = 0.0, np.zeros((m.d, m.d)), np.zeros((m.n, m.d))
        for t in range(start, end):
            c = run.scale(t)
            _, _, H_t, G_t = run.c.total(theta, c, with_example_grads=True)
            lr_t = run.lrs[t]
            time, H, G = time + lr_t, H + lr_t * H_t, G + lr_t * (c[:, None] * G_t)
            theta = gd_step(run, theta, t)
        parts.append(Segment(time, H / time, G / time))
        start = end
    return parts, theta


def source_sum(grad_f, parts):
    r"""SOURCE from the observable's gradient (d,) and segments earliest first.

    The adjoint :math:`v = \nabla f` is carried back through the segments,
    latest first: each adds :math:`-\bar G_\ell\,\varphi_\ell(\bar H_\ell) v` and
    then maps :math:`v \mapsto e^{-\tau_\ell\bar H_\ell}v`, which puts the later
    segments' factors to the left. Returns shape (n,).
    """
    v = np.asarray(grad_f, dtype=float)
    values = np.zeros(parts[0].G.shape[0]) if parts else np.zeros(0)
    for part in reversed(parts):
        eigvals, eigvecs = np.linalg.eigh(part.H)
        w = eigvecs.T @ v
        values -= part.G @ (eigvecs @ (source_filter(eigvals, part.time) * w))
        v = eigvecs @ (np.exp(-part.time * eigvals) * w)
    return values


def source_filter(eigvals, time):
    r"""The segment filter :math:`(1 - e^{-\tau\sigma})/\sigma`, :math:`\tau` at 0.

    Computed as :math:`-\mathrm{expm1}(-\tau\sigma)/\sigma`, accurate for
    small :math:`|\tau\sigma|`.

    Examples
    --------
    >>> source_filter([0.0, 1.0, -1.0], 2.0).round(6)
    array([2.      , 0.864665, 6.389056])
    """
    sigma = np.asarray(eigvals, dtype=float)
    safe = np.where(sigma == 0, 1.0, sigma)
    return np.where(sigma == 0, float(time), -np.expm1(-time * sigma) / safe)


def _segment_ends(segments, steps):
    if steps < 1:
        raise ValueError(
            f"steps: SOURCE needs a run of at least one step, got {steps}."
        )
    if isinstance(segments, (int, np.integer)) and not isinstance(segments, bool):
        if not 1 <= segments <= steps:
            raise ValueError(
                f"segments: need a number of segments in [1, steps = {steps}], got "
                f"{segments}; or pass the step counts at which segments end."
            )
        return [round(steps * (j + 1) / segments) for j in range(segments)]
    ends = [int(e) for e in segments]
    if not ends or ends[-1] != steps or any(b <= a for a, b in zip([0] + ends, ends)):
        raise ValueError(
            f"segments: need increasing step counts ending at steps = {steps}, got "
            f"{list(segments)}; e.g. [{steps // 2}, {steps}] for two segments."
        )
    return ends
