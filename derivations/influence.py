r"""Exact influence functions by the implicit function theorem.

The minimiser :math:`\theta^*(b)` of :math:`L(\theta; b)` is stationary for
every data weight, :math:`\nabla L(\theta^*(b); b) = 0`. Differentiating in
:math:`b_i` gives :math:`H \, \partial_{b_i}\theta^* + \nabla\ell_i = 0`, so for
an observable f (Koh and Liang, 2017, "Understanding black-box predictions via
influence functions", their :math:`\mathcal{I}_{\text{up}}`)

.. math::

    \mathcal{I}_i = \frac{d f(\theta^*(b))}{d b_i}\Big|_{b=1}
        = -\nabla f^\top (H + \lambda I)^{-1} \nabla \ell_i .

Upweighting sign: removing example i changes f by about :math:`-\mathcal{I}_i`.
"""

import sympy as sp

from theory.errors import SingularHessianError, singular_hessian_message

from .minimiser import check_observable, gradient, hessian, minimiser

__all__ = ["Influence", "influence"]


class Influence(sp.MutableDenseMatrix):
    """A column of influences, with the minimiser it was evaluated at.

    A ``sympy.Matrix`` of shape (n, 1), with two extra attributes:
    ``theta_star`` (dict of parameter to value) and ``rung`` (how the
    minimiser was obtained: ``"closed form"``, ``"50-digit root"`` or
    ``"given"``).
    """

    theta_star = None
    rung = None


def influence(m, f, damping=0, direction=None, at=None, pseudo_inverse=False):
    r"""Exact influence of each example on the observable f, at b = 1.

    .. math::

        \mathcal{I}_i = -\nabla f(\theta^*)^\top (H + \lambda I)^{-1}
        \nabla \ell_i(\theta^*)

    with :math:`H = \nabla^2 L(\theta^*; 1)`, :math:`\lambda` = ``damping``.

    Parameters
    ----------
    m : theory.Model
    f : sympy.Expr
        The observable, an expression in ``m.params``.
    damping : number or sympy.Expr, optional
        :math:`\lambda`; may be a symbol, so that limits can be taken exactly.
    direction : sequence of length n, optional
        A perturbation direction h; the result is then the scalar
        :math:`\sum_i h_i \mathcal{I}_i`.
    at : mapping or sequence, optional
        The minimiser to use where the minimum is not isolated (checked to be
        stationary).
    pseudo_inverse : bool, optional
        Replace :math:`H^{-1}` by the Moore-Penrose inverse :math:`H^+`
        (requires ``damping=0``).

    Returns
    -------
    Influence or sympy.Expr
        A column of shape (n, 1) carrying ``theta_star`` and ``rung``; a
        scalar when ``direction`` is given.

    Raises
    ------
    SingularHessianError
        H is singular and neither damping nor the pseudo-inverse was asked
        for; the error names the flat directions.
    ValueError
        A bad observable, direction or ``at``; damping together with the
        pseudo-inverse.

    Notes
    -----
    The implicit function theorem needs H invertible at the minimiser; that
    the local branch :math:`\theta^*(b)` is the argmin for b near 1 needs the
    minimiser to be globally unique. Damping is the exact influence of the
    proximal objective :math:`L + \frac{\lambda}{2}|\theta - \theta^*|^2`.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import zoo
    >>> import derivations
    >>> z = sp.symbols("z_1:4")
    >>> m = zoo.gaussian_mean(z)
    >>> mu, = m.params
    >>> derivations.influence(m, mu)[0]
    2*z_1/9 - z_2/9 - z_3/9
    """
    f = check_observable(m, f)
    damping = check_damping(damping)
    if pseudo_inverse and damping != 0:
        raise ValueError(
            f"pseudo_inverse: cannot be combined with damping={damping}; H + "
            "lambda I is invertible for lambda > 0, so use one or the other."
        )
    h = _direction(direction, m.n)

    theta_star, rung = minimiser(m, at=at)
    key = (
        "influence",
        f,
        damping,
        tuple(sorted(theta_star.items(), key=str)),
        pseudo_inverse,
    )
    if key not in m._cache:
        m._cache[key] = _columns(m, f, damping, theta_star, pseudo_inverse)
    values = m._cache[key]

    if h is not None:
        return _tidy(sum(hi * v for hi, v in zip(h, values)))
    result = Influence(values)
    result.theta_star, result.rung = theta_star, rung
    return result


def response(m, damping=0, at=None, pseudo_inverse=False):
    r"""The parameter response :math:`d\theta^*/db_i` as a (d, n) matrix.

    Column i is :math:`-(H + \lambda I)^{-1} \nabla\ell_i(\theta^*)`.
    """
    theta_star, _ = minimiser(m, at=at)
    R = _response(m, check_damping(damping), theta_star, pseudo_inverse)
    return R.applyfunc(_tidy)


def check_damping(damping):
    """Sympify a damping lambda; a number must be >= 0, a symbol not negative."""
    value = sp.sympify(damping)
    if value.is_negative or (value.is_number and value.is_real is False):
        raise ValueError(
            f"damping: need lambda >= 0 (the weight of the proximal term "
            f"(lambda/2)|theta - theta*|^2), got {value}; pass a number >= 0 or a "
            "Symbol declared nonnegative=True or positive=True."
        )
    return value


def _columns(m, f, damping, theta_star, pseudo_inverse):
    # Tidy the response first: its entries share the denominator det(H + lambda
    # I), so the sums below stay cheap to cancel.
    R = _response(m, damping, theta_star, pseudo_inverse).applyfunc(_tidy)
    grad_f = gradient(f, m.params).xreplace(theta_star)
    return [_tidy(v) for v in (grad_f.T * R)]


def _response(m, damping, theta_star, pseudo_inverse):
    ones = (sp.Integer(1),) * m.n
    H = hessian(m.loss(ones), m.params).xreplace(theta_star)
    H = H + damping * sp.eye(m.d)
    G = sp.Matrix.hstack(*(gradient(loss, m.params) for loss in m.losses))
    G = G.xreplace(theta_star)

    if pseudo_inverse:
        return -H.pinv() * G
    if sp.simplify(H.det()) == 0:
        flat = [list(v) for v in H.nullspace(simplify=True)]
        raise SingularHessianError(singular_hessian_message(m.params, flat), flat)
    return -H.LUsolve(G)


def _direction(direction, n):
    if direction is None:
        return None
    h = [sp.sympify(x) for x in direction]
    if len(h) != n:
        raise ValueError(
            f"direction: need one entry per example ({n}), got {len(h)}; a "
            "direction h in R^n weights the per-example influences."
        )
    return h


def _tidy(expr):
    expr = sp.sympify(expr)
    if expr.is_Float or expr.is_Rational:
        return expr
    if expr.is_rational_function():
        return sp.cancel(expr)
    return sp.simplify(expr)
