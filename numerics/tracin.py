r"""TracIn: unrolling with every step Jacobian replaced by the identity.

The exact unrolled influence of a gradient-descent run sums each step's
contribution carried to the end by the remaining steps,

.. math::

    \mathcal{U}_i = -\sum_{t<T} \eta_t c_{ti}\,
        \nabla f(\theta_T)^\top \Big[\prod_{s=T-1}^{t+1}(I - \eta_s H_s)\Big]
        \nabla\ell_i(\theta_t).

TracIn (Pruthi, Liu, Kale and Sundararajan, 2020, "Estimating training data
influence by tracing gradient descent") drops the propagation: it credits
example i with the first-order change of f at the step itself,

.. math::

    \mathrm{TracIn}_i = -\sum_{t\in\mathcal{C}} w_{ti}\,
        \nabla f(\theta_t)^\top \nabla\ell_i(\theta_t),

over checkpoints :math:`\mathcal{C}`, each standing for the steps up to the
next one with the summed rate :math:`w_{ti} = \sum_s \eta_s c_{si}` over them
(every step a checkpoint: :math:`w_{ti} = \eta_t c_{ti}`). The two agree
when the products are the identity and :math:`\nabla f` does not move along
the path, as for losses linear in :math:`\theta` and a linear observable.
The paper reports the score with the opposite sign (positive for examples
that lower f); :func:`theory.conventions.convert` with ``"tracin"`` makes the
change of sign explicit.
"""

import numpy as np

from theory.conventions import convert

from .compiled import observable
from .replay import gd_run, gd_step

__all__ = ["tracin"]


def tracin(m, f, steps, lr, init, *, batches=None, every=1, convention="sandbox"):
    r"""TracIn over the checkpoints of a (S)GD run, per example.

    .. math::

        \mathrm{TracIn}_i = -\sum_{t \in \{0, K, 2K, \dots\}} w_{ti}\,
            \nabla f(\theta_t)^\top \nabla\ell_i(\theta_t), \qquad
        w_{ti} = \sum_{s=t}^{\min(t+K, T)-1} \eta_s c_{si},

    with K = ``every``; the same run as :func:`numerics.unrolled`.

    Parameters
    ----------
    m : theory.Model
        A model with numeric data.
    f : sympy.Expr
        The observable (for the paper's score, the test example's loss).
    steps : int
        T >= 0.
    lr : float or array_like, shape (steps,)
        :math:`\eta` or a schedule :math:`\eta_t`, on the sum loss.
    init : array_like, shape (d,)
        :math:`\theta_0`.
    batches : sequence of index arrays, length steps, optional
        A fixed mini-batch per step; :math:`c_{ti} = n/|B_t|` on it, else 0.
    every : int
        K >= 1, the steps between checkpoints.
    convention : str
        A key of :data:`theory.conventions.CONVENTIONS`: ``"sandbox"``
        (upweighting derivative, comparable with :func:`numerics.unrolled`),
        ``"tracin"`` (the paper's TracInCP score, with the rate on the sum
        loss), or any other.

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ValueError
        Bad ``every`` or convention; bad steps, lr, init or batches as for
        :func:`numerics.unrolled`.

    Notes
    -----
    TracInCP as published weights each checkpoint by one learning rate; with
    equally spaced checkpoints the weight used here, the rate summed over the
    K steps a checkpoint stands for, differs from it by the constant factor K
    and reduces to it for K = 1. Using all examples at every checkpoint, as
    TracInCP does, corresponds to full-batch training; with ``batches`` only
    the examples of a checkpoint's batches count there.

    Examples
    --------
    >>> from theory import zoo
    >>> m = zoo.gaussian_mean([1.0, 2.0, 6.0])
    >>> mu, = m.params
    >>> tracin(m, mu, steps=1, lr=0.1, init=[3.0])
    array([-0.2, -0.1,  0.3])
    >>> tracin(m, mu, steps=1, lr=0.1, init=[3.0], convention="tracin")
    array([ 0.2,  0.1, -0.3])
    """
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(
            f"every: need an integer number of steps between checkpoints >= 1, got "
            f"{every!r}; every=1 makes every step a checkpoint."
        )
    run = gd_run(m, steps, lr, init, batches)
    grad_f = observable(m, f)

    # The paper's score: the rate-weighted test-training gradient products.
    score, theta = np.zeros(m.n), run.init.copy()
    for t in range(run.steps):
        if t % every == 0:
            span = range(t, min(t + every, run.steps))
            weight = sum(run.lrs[s] * run.scale(s) for s in span)
            G = run.c.total(theta, with_example_grads=True)[3]
            score += weight * (G @ grad_f(theta)[1])
        theta = gd_step(run, theta, t)

    # The rate multiplies the gradient of the sum loss, so TracIn's n is 1.
    values = convert(score, "tracin", n=1)
    if convention in ("sandbox", "tracin"):
        return values if convention == "sandbox" else score
    return convert(values, "sandbox", convention, n=m.n)
