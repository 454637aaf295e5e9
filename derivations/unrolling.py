r"""Exact unrolled influence: differentiate a gradient-descent run by its data weights.

Gradient descent :math:`\theta_{t+1} = \theta_t - \eta\nabla L(\theta_t; b)`
from :math:`\theta_0` makes :math:`\theta_T` a function of the data weights.
Its tangent :math:`J_t = \partial\theta_t/\partial b` obeys the chain rule of
the composition of the T steps,

.. math::

    J_{t+1} = (I - \eta H(\theta_t)) J_t - \eta G(\theta_t)^\top, \qquad J_0 = 0,

with :math:`G` the per-example gradients as rows. For a quadratic loss H is
constant; write :math:`H = P\,\mathrm{diag}(\sigma)P^{-1}`, :math:`a_k = 1 -
\eta\sigma_k` and :math:`y_t = P^{-1}\theta_t`. Then :math:`y_{t,k} = a_k^t
y_{0,k} - \varphi_t(\sigma_k)\tilde q_k` with the training-time filter

.. math::

    \varphi_T(\sigma) = \eta\sum_{s<T}(1 - \eta\sigma)^s
        = \frac{1 - (1 - \eta\sigma)^T}{\sigma}
        \quad (\eta T \text{ at } \sigma = 0),

and the tangent is a sum of geometric series in closed form, valid for a
symbolic number of steps T. Started at a minimiser it reduces to
:math:`J_T e_i = -P\,\mathrm{diag}(\varphi_T(\sigma))P^{-1}\nabla\ell_i`, i.e.
:math:`-[I - (I - \eta H)^T]H^{-1}\nabla\ell_i` when H is invertible; a start
elsewhere adds a transient that decays like :math:`a_j^T` and :math:`a_k^T`.
"""

import sympy as sp

from .filters import training_filter
from .minimiser import check_observable, gradient, hessian

__all__ = ["MAX_EXPRESSION_OPS", "MAX_RECURSION_STEPS", "training_filter", "unrolled"]

# Composition of a non-quadratic model's steps nests its functions T deep; past
# these sizes SymPy spends minutes, and numerics.unrolled is the tool.
MAX_RECURSION_STEPS = 30
MAX_EXPRESSION_OPS = 20_000


def unrolled(m, f, steps, lr, init, method=None):
    r"""Exact unrolled influence of every example on f after T GD steps.

    .. math::

        \mathcal{U}_i = \frac{d f(\theta_T(b))}{d b_i}\Big|_{b=1}
            = \nabla f(\theta_T)^\top J_T e_i

    Parameters
    ----------
    m : theory.Model
    f : sympy.Expr
        The observable, in ``m.params``.
    steps : int or sympy.Expr
        T; a symbol (declare it ``integer=True, nonnegative=True``) for
        quadratic models.
    lr : number or sympy.Expr
        :math:`\eta`, a constant learning rate.
    init : sequence of length d
        :math:`\theta_0`, numbers or SymPy expressions.
    method : {"closed form", "recursion"}, optional
        The spectral closed form (quadratic models, the default for them) or
        the exact tangent recursion through every step (any smooth model,
        integer T, the default otherwise).

    Returns
    -------
    sympy.Matrix, shape (n, 1)

    Raises
    ------
    ValueError
        A bad observable, start, or number of steps; a symbolic T for a
        non-quadratic model; a T or an expression size past what exact
        composition can handle (use ``numerics.unrolled``).

    Notes
    -----
    Upweighting sign, like :func:`derivations.influence`. The closed form
    diagonalises H, so it needs its eigenvalues: every irreducible factor of
    the characteristic polynomial must have degree at most 2. Otherwise an
    integer T is handled by exact composition (for a quadratic loss at any
    T), and a symbolic T is refused. Exact arithmetic: with rational data, lr
    and start, the result is rational for integer T.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import zoo
    >>> import derivations
    >>> m = zoo.gaussian_mean([1, 2, 6])
    >>> T = sp.Symbol("T", integer=True, nonnegative=True)
    >>> derivations.unrolled(m, m.params[0], T, sp.Rational(1, 6), [3]).T
    Matrix([[2**(1 - T)/3 - 2/3, -1/3 + 1/(3*2**T), 1 - 1/2**T]])
    """
    f = check_observable(m, f)
    lr = sp.sympify(lr)
    theta0 = _init(m, init)
    steps = _steps(steps)
    quadratic = m.is_quadratic()
    degree = _largest_factor_degree(m) if quadratic else None
    if method is None:
        closed = quadratic and (degree <= 2 or not steps.is_Integer)
        method = "closed form" if closed else "recursion"
    if method == "closed form":
        if not quadratic:
            raise ValueError(
                "method: the closed form needs a quadratic loss (constant "
                "Hessian); use method='recursion' with an integer number of steps."
            )
        if degree > 2:
            raise ValueError(
                f"steps: the closed form needs the eigenvalues of H, but its "
                f"characteristic polynomial has an irreducible factor of degree "
                f"{degree} (no usable radicals); give an integer T (exact "
                "composition) or use numerics.unrolled."
            )
        return _closed_form(m, f, steps, lr, theta0)
    if method != "recursion":
        raise ValueError(f"method: need 'closed form' or 'recursion', got {method!r}.")
    if not steps.is_Integer:
        raise ValueError(
            f"steps: a symbolic number of steps ({steps}) needs the closed form, "
            "which needs a quadratic loss; give an integer T."
        )
    return _recursion(m, f, int(steps), lr, theta0)


# ------------------------------------------------------------ closed form


def _closed_form(m, f, T, lr, theta0):
    params, zero = list(m.params), {p: 0 for p in m.params}
    H_each = [hessian(loss, params) for loss in m.losses]
    q_each = [gradient(loss, params).xreplace(zero) for loss in m.losses]
    H = hessian(m.loss([1] * m.n), params)
    q = gradient(m.loss([1] * m.n), params).xreplace(zero)

    P, D = H.diagonalize()
    P_inv = P.inv()
    sigma = [sp.simplify(D[k, k]) for k in range(m.d)]
    a = [1 - lr * s for s in sigma]
    y0, q_t = P_inv * sp.Matrix(theta0), P_inv * q

    # y_T, then each example's tangent, coordinates in the eigenbasis.
    y_T = sp.Matrix(
        [
            a[k] ** T * y0[k] - training_filter(sigma[k], T, lr) * q_t[k]
            for k in range(m.d)
        ]
    )
    theta_T = P * y_T
    grad_f = gradient(f, params).xreplace(dict(zip(params, theta_T)))
    s1 = [[_s1(a[j], a[k], T) for k in range(m.d)] for j in range(m.d)]
    s2 = [[_s2(a[j], a[k], T) for k in range(m.d)] for j in range(m.d)]
    s0 = [_s1(a[j], sp.Integer(1), T) for j in range(m.d)]
    columns = []
    for H_i, q_i in zip(H_each, q_each):
        M, r = P_inv * H_i * P, P_inv * q_i
        Y = sp.Matrix(
            [
                -lr
                * (
                    sum(
                        M[j, k] * (y0[k] * s1[j][k] - lr * q_t[k] * s2[j][k])
                        for k in range(m.d)
                    )
                    + r[j] * s0[j]
                )
                for j in range(m.d)
            ]
        )
        columns.append(_tidy((grad_f.T * P * Y)[0, 0]))
    return sp.Matrix(columns)


def _s1(p, q, T):
    r""":math:`\sum_{t=0}^{T-1} p^{T-1-t} q^t`."""
    if sp.simplify(p - q) == 0:
        return T * p ** (T - 1)
    return (p**T - q**T) / (p - q)


def _s2(p, q, T):
    r""":math:`\sum_{t=0}^{T-1} p^{T-1-t}\sum_{s<t} q^s`."""
    if sp.simplify(q - 1) != 0:
        return (_s1(p, sp.Integer(1), T) - _s1(p, q, T)) / (1 - q)
    if sp.simplify(p - 1) != 0:
        return (p**T - 1 - T * (p - 1)) / (p - 1) ** 2
    return T * (T - 1) / 2


# ---------------------------------------------------------------- recursion


def _largest_factor_degree(m):
    """Largest degree of an irreducible factor of det(x I - H), H constant."""
    H = hessian(m.loss([1] * m.n), list(m.params))
    _, factors = H.charpoly(sp.Dummy("x")).factor_list()
    return max((p.degree() for p, _ in factors), default=0)


def _recursion(m, f, T, lr, theta0):
    # A quadratic loss keeps the iterates affine in the start: composition
    # stays cheap for any T, so only other models have a step limit.
    if T > MAX_RECURSION_STEPS and not m.is_quadratic():
        raise ValueError(
            f"steps: exact composition of a non-quadratic model is limited to "
            f"T <= {MAX_RECURSION_STEPS} steps, got {T}; use numerics.unrolled "
            "(float64, any T), or a quadratic model for a closed form."
        )
    params = list(m.params)
    grad_expr = gradient(m.loss([1] * m.n), params)
    H_expr = hessian(m.loss([1] * m.n), params)
    G_expr = sp.Matrix.hstack(*(gradient(loss, params) for loss in m.losses))
    theta = sp.Matrix(theta0)
    J = sp.zeros(m.d, m.n)
    for t in range(T):
        at = dict(zip(params, theta))
        H, G = H_expr.xreplace(at), G_expr.xreplace(at)
        J = J - lr * (H * J + G)
        theta = theta - lr * grad_expr.xreplace(at)
        size = sum(sp.count_ops(e) for e in theta)
        if size > MAX_EXPRESSION_OPS:
            raise ValueError(
                f"steps: the exact weights after {t + 1} steps already have "
                f"{size} operations (limit {MAX_EXPRESSION_OPS}); exact "
                "composition cannot go to T = "
                f"{T}. Use numerics.unrolled, or exact rational data and lr."
            )
    grad_f = gradient(f, params).xreplace(dict(zip(params, theta)))
    return (grad_f.T * J).T.applyfunc(_tidy)


def _tidy(expr):
    expr = sp.sympify(expr)
    if expr.is_Rational or expr.is_Float:
        return expr
    if expr.is_rational_function():
        return sp.cancel(expr)
    return sp.powsimp(sp.expand(expr))


def _init(m, init):
    if hasattr(init, "items"):
        raise TypeError("init: need a sequence of d values in the order of m.params.")
    init = [sp.sympify(v) for v in init]
    if len(init) != m.d:
        raise ValueError(
            f"init: need one starting value per parameter ({m.d}), got {len(init)}."
        )
    return init


def _steps(steps):
    steps = sp.sympify(steps)
    if steps.is_number and not steps.is_Integer:
        raise ValueError(f"steps: need an integer T >= 0, got {steps}.")
    if steps.is_negative:
        raise ValueError(f"steps: need an integer T >= 0, got {steps}.")
    if not steps.is_number and steps.is_integer is not True:
        raise ValueError(
            f"steps: a symbolic T must be declared an integer, got {steps}; use "
            "sympy.Symbol('T', integer=True, nonnegative=True)."
        )
    return steps
