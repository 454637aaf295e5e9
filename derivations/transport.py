r"""The influence function as the optimal first-order transport of Gibbs laws.

Let :math:`p \propto e^{-\beta L}` and :math:`p_\varepsilon \propto
e^{-\beta(L + \varepsilon\ell_i)}` (example i upweighted by
:math:`\varepsilon`), and move :math:`p` by the shift
:math:`T_\varepsilon(\theta) = \theta + \varepsilon r`. Since
:math:`\log p_\varepsilon = -\beta(L + \varepsilon\ell_i) - \log Z_\varepsilon`,

.. math::

    \mathrm{KL}(T_\varepsilon{}_\#p \,\|\, p_\varepsilon)
      = \beta\,E_p\big[L(\theta + \varepsilon r) - L(\theta)
          + \varepsilon\ell_i(\theta + \varepsilon r)\big]
        + \log\frac{Z_\varepsilon}{Z_0} .

Expand in :math:`\varepsilon`: :math:`E_p[\nabla L] = 0` (integration by
parts), :math:`(\log Z_\varepsilon)' = -\beta E_\varepsilon[\ell_i]` and
:math:`(\log Z_\varepsilon)'' = \beta^2\mathrm{Var}_\varepsilon(\ell_i)` (the
fluctuation-response identity), so the first order cancels and

.. math::

    \mathrm{KL} = \varepsilon^2\Big(\frac{\beta}{2} r^\top E[\nabla^2 L]\,r
        + \beta\,r^\top E[\nabla\ell_i] + \frac{\beta^2}{2}\mathrm{Var}(\ell_i)\Big)
        + O(\varepsilon^3) .

Laplace's method at a nondegenerate minimum (:math:`E[\nabla^2 L] = H +
O(\beta^{-1})`, :math:`E[\nabla\ell_i] = g + O(\beta^{-1})`,
:math:`\mathrm{Var}(\ell_i) = g^\top H^{-1} g/\beta + O(\beta^{-2})`) gives the
leading term

.. math::

    \frac{\beta\varepsilon^2}{2}\,(r + H^{-1}g)^\top H\,(r + H^{-1}g),

minimised by :math:`r = -H^{-1}g = d\theta^*/d\varepsilon`, the influence of
example i on the parameters. The log-partition term contributes the nonzero
constant :math:`\frac{\beta}{2} g^\top H^{-1} g` that completes the square. For
a quadratic L and a linear :math:`\ell_i` both laws are Gaussian with the same
covariance and the formula is exact at every :math:`\beta` and
:math:`\varepsilon`. At a singular H the quadratic form
:math:`r^\top H r + 2 r^\top g` is bounded below exactly when g has no
component in the null space of H (then :math:`r = -H^+ g` is a minimiser);
otherwise it is unbounded below along that component.
"""

import sympy as sp

from theory.errors import SingularHessianError

from .bif_series import _Gibbs, _TaylorAt
from .minimiser import gradient, hessian, minimiser
from .steps import Derivation, register

__all__ = ["optimal_shift", "transport_cost", "transport_leading_cost"]


def transport_cost(m, i, r, order=1, at=None):
    r"""The :math:`\varepsilon^2` coefficient of the KL cost in powers of beta.

    Parameters
    ----------
    m : theory.Model
        A smooth model with a nondegenerate minimiser (flat prior).
    i : int
        The upweighted example.
    r : sequence of length d
        The shift (numbers or symbols).
    order : int, optional
        Number of terms: ``[a_1, a_0, a_-1, ...]`` with
        :math:`\mathrm{KL}/\varepsilon^2 = a_1\beta + a_0 + a_{-1}/\beta + \dots`.
    at : optional
        The minimiser, as for :func:`derivations.influence`.

    Returns
    -------
    list of sympy.Expr
        ``order`` coefficients, the leading one
        :math:`\frac12(r + H^{-1}g)^\top H (r + H^{-1}g)`.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import Model
    >>> w, s = sp.symbols("w s")
    >>> m = Model([w], [w**2 / 2 + w**4 / 4 + w, -w])
    >>> sp.factor(transport_cost(m, 1, [s], order=1)[0])
    (s - 1)**2/2
    """
    theta_star, _ = minimiser(m, at=at)
    r = sp.Matrix([sp.sympify(x) for x in r])
    ones = [sp.Integer(1)] * m.n
    L, loss = m.loss(ones), m.losses[i]
    H = hessian(L, m.params).xreplace(theta_star)
    if H.det() == 0:
        raise SingularHessianError(
            "m: transport_cost needs a nondegenerate minimum for Laplace's method; "
            "at a singular Hessian use transport_leading_cost, which says whether "
            "the cost is bounded below.",
            [list(v) for v in H.nullspace()],
        )

    # Laplace series of the three Gibbs expectations in eps = beta^(-1/2).
    N = 2 * order
    y = sp.symbols(f"y_1:{m.d + 1}", cls=sp.Dummy)
    taylor = _TaylorAt(m.params, theta_star, y)
    engine = _Gibbs(y, H.inv(), taylor(L, N + 2), None, N)
    hess_L, grad_l = hessian(L, m.params), gradient(loss, m.params)
    A = [
        [engine.expectation(taylor(hess_L[j, k], N)) for k in range(m.d)]
        for j in range(m.d)
    ]
    b = [engine.expectation(taylor(grad_l[j], N)) for j in range(m.d)]
    l_series = taylor(loss, N + 2)
    var = _Gibbs(y, H.inv(), taylor(L, N + 4), None, N + 2).covariance(
        l_series, l_series
    )

    # KL / eps^2 = beta/2 r'Ar + beta r'b + beta^2/2 Var; Var starts at 1/beta.
    coefficients = []
    for k in range(order):
        quad = sum(r[j] * A[j][l][2 * k] * r[l] for j in range(m.d) for l in range(m.d))
        lin = sum(r[j] * b[j][2 * k] for j in range(m.d))
        coefficients.append(sp.expand(quad / 2 + lin + var[2 * k + 2] / 2))
    return coefficients


def transport_leading_cost(H, g, r):
    r"""The leading cost :math:`\frac12 r^\top H r + r^\top g + \frac12 g^\top H^+ g`.

    Valid for a singular (positive semidefinite) H too; with
    :func:`optimal_shift` it shows when the minimum exists.

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("s")
    >>> transport_leading_cost(sp.Matrix([[2]]), sp.Matrix([4]), [s])
    s**2 + 4*s + 4
    """
    H, g = sp.Matrix(H), sp.Matrix(g)
    r = sp.Matrix([sp.sympify(x) for x in r])
    constant = (g.T * H.pinv() * g)[0] / 2
    return sp.expand((r.T * H * r)[0] / 2 + (r.T * g)[0] + constant)


def optimal_shift(H, g):
    r"""The minimiser :math:`r = -H^{+}g` of the leading cost, or an error.

    Raises
    ------
    ArithmeticError
        g has a component in the null space of H: the cost is unbounded below.

    Examples
    --------
    >>> import sympy as sp
    >>> optimal_shift(sp.Matrix([[1, 0], [0, 0]]), sp.Matrix([3, 0])).T
    Matrix([[-3, 0]])
    """
    H, g = sp.Matrix(H), sp.Matrix(g)
    for v in H.nullspace():
        overlap = sp.simplify((v.T * g)[0])
        if overlap != 0:
            raise ArithmeticError(
                f"g: the loss gradient {list(g)} has the component {overlap} along "
                f"the null direction {list(v)} of H, so the transport cost "
                "r'Hr/2 + r'g decreases without bound along it. Ways out: damping "
                "(H + lambda I), or the Bayesian influence function at finite beta."
            )
    return -H.pinv() * g


@register(
    "transport",
    "The IF as optimal first-order transport: KL cost to O(eps^2) by Laplace",
)
def _transport_story():
    s, H, L3, L4 = sp.symbols("r H L_3 L_4")
    g1, g2, g3 = sp.symbols("g_1 g_2 g_3")
    y = sp.Symbol("y")
    potential = [0, 0, H * y**2 / 2, L3 * y**3 / 6, L4 * y**4 / 24]
    loss = [0, g1 * y, g2 * y**2 / 2, g3 * y**3 / 6, 0]
    engine = _Gibbs((y,), sp.Matrix([[1 / H]]), potential, None, 2)

    story = Derivation("The influence function as optimal transport (d = 1)")
    story.add(
        "KL(T#p || p_eps) = beta E[L(theta + eps r) - L + eps l(theta + eps r)] "
        "+ log Z_eps/Z_0; to O(eps^2), with E[L'] = 0",
        sp.Symbol("beta/2 r^2 E[L''] + beta r E[l'] + beta^2/2 Var(l)"),
    )
    hess = engine.expectation([H, L3 * y, L4 * y**2 / 2, 0, 0])
    story.add("Laplace: E[L''] = H + (1/beta) [...]", sp.expand(hess[2]))
    grad = engine.expectation([g1, g2 * y, g3 * y**2 / 2, 0, 0])
    story.add("E[l'] = g_1 + (1/beta) [...]", sp.expand(grad[2]))
    var = engine.covariance(loss, loss)
    story.add(
        "Var(l) = g_1^2 / (H beta) + ...: beta^2/2 Var(l) is of order beta", var[2]
    )
    leading = sp.factor(H * s**2 / 2 + s * g1 + var[2] / 2)
    story.add("Leading cost / (beta eps^2), a perfect square", leading)
    story.add(
        "Its minimiser, the influence of the example on theta",
        sp.solve(sp.diff(leading, s), s)[0],
    )
    return story
