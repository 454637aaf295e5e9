r"""Least squares with leverage: the exact response to reweighting one example.

For a quadratic loss whose example j has a rank-one Hessian
:math:`\nabla^2\ell_j = x_j x_j^\top` (least squares, ridge), set the weight of
j to :math:`b_j = 1 - \epsilon` and keep the others at 1. Sherman-Morrison
gives the minimiser exactly,

.. math::

    \theta^*(1 - \epsilon) - \theta^* = -\frac{\epsilon}{1 - \epsilon h_j}
        \frac{d\theta^*}{db_j},
    \qquad h_j = x_j^\top H^{-1} x_j ,

a rational function of the weight. Its series in :math:`\epsilon = 1 - b_j`
starts with minus the influence function and gains one power of the leverage
:math:`h_j` per term; at :math:`\epsilon = 1` (leaving j out) it gives
:math:`\mathrm{LOO}_j = -\mathcal{I}_j / (1 - h_j)` for a linear observable
(Cook and Weisberg, 1982, "Residuals and influence in regression", ch. 3).
"""

import sympy as sp

from .influence import influence
from .minimiser import check_observable, hessian, minimiser
from .steps import Derivation, register

__all__ = ["leverages", "reweighting_response", "reweighting_series"]


def leverages(m):
    r"""The leverages :math:`h_j = \mathrm{tr}(H^{-1}\nabla^2\ell_j)`, shape (n, 1).

    For least squares :math:`\nabla^2\ell_j = x_j x_j^\top` and this is the
    diagonal of the hat matrix, :math:`x_j^\top H^{-1} x_j`. H includes the
    regulariser.

    Raises
    ------
    ValueError
        The model is not quadratic in its parameters.
    """
    _check_quadratic(m)
    zero = {p: 0 for p in m.params}
    H = hessian(m.loss([1] * m.n), m.params).xreplace(zero)
    H_inv = H.inv()
    return sp.Matrix(
        [sp.cancel((H_inv * hessian(loss, m.params)).trace()) for loss in m.losses]
    )


def reweighting_response(m, f, j):
    r"""The exact change :math:`f(\theta^*(b)) - f(\theta^*)` as a function of b_j.

    All other weights stay at 1; the result is in the symbol ``m.weights[j]``.
    For a quadratic model it is a rational function of that weight.

    Parameters
    ----------
    m : theory.Model
        A quadratic model.
    f : sympy.Expr
        The observable.
    j : int
        The example whose weight varies.
    """
    _check_quadratic(m)
    f = check_observable(m, f)
    j = _check_index(j, m.n)
    b = [sp.Integer(1)] * m.n
    b[j] = m.weights[j]
    theta_b, _ = minimiser(m, weights=b)
    theta_1, _ = minimiser(m)
    return sp.factor(sp.cancel(f.xreplace(theta_b) - f.xreplace(theta_1)))


def reweighting_series(m, f, j, order=3):
    r"""Coefficients of the reweighting response in :math:`\epsilon = 1 - b_j`.

    :math:`f(\theta^*(1 - \epsilon)) - f(\theta^*) = \sum_{k \ge 1} c_k\,\epsilon^k`;
    for a linear observable of least squares, :math:`c_k = -\mathcal{I}_j h_j^{k-1}`.

    Returns
    -------
    list of sympy.Expr, length ``order``
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"order: need a positive integer, got {order!r}.")
    eps = sp.Symbol("epsilon")
    j = _check_index(j, m.n)
    exact = reweighting_response(m, f, j).subs(m.weights[j], 1 - eps)
    series = sp.series(exact, eps, 0, order + 1).removeO()
    return [sp.factor(sp.cancel(series.coeff(eps, k))) for k in range(1, order + 1)]


def _check_quadratic(m):
    if not m.is_quadratic():
        raise ValueError(
            "m: the leverage identities need a loss quadratic in the parameters "
            "(least squares, ridge); got a model that is not. Use "
            "numerics.loo for exact retraining of other models."
        )


def _check_index(j, n):
    if not isinstance(j, int) or not 0 <= j < n:
        raise ValueError(f"j: need an example index in range({n}), got {j!r}.")
    return j


@register(
    "leverage", "Least squares: the rational reweighting response and LOO = -I/(1 - h)"
)
def _leverage():
    x = sp.symbols("x_1:4")
    y = sp.symbols("y_1:4")
    from theory import zoo

    m = zoo.linear_regression([[xi] for xi in x], y)
    (w,) = m.params
    story = Derivation("Reweighting one example of least squares through the origin")
    story.add(
        "Per-example losses (y_i - w x_i)^2 / 2; minimiser at b = 1:", minimiser(m)[0]
    )
    h = story.add("Leverages h_j = x_j^T H^-1 x_j:", leverages(m))
    story.add("Influence on w, I_j = -H^-1 grad l_j:", influence(m, w))
    response = story.add(
        "Exact response to the weight b_1, rational in b_1:",
        reweighting_response(m, w, 0),
    )
    story.add(
        "Series in eps = 1 - b_1: first term -I_1, one more power of h_1 per term",
        reweighting_series(m, w, 0, order=3),
    )
    story.add(
        "Leave example 1 out (b_1 = 0) and compare with -I_1 / (1 - h_1): difference",
        sp.simplify(response.subs(m.weights[0], 0) + influence(m, w)[0] / (1 - h[0])),
    )
    return story
