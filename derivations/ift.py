r"""The implicit-function-theorem derivation of the influence function, narrated.

For any smooth model the steps are the same: the stationarity condition holds
for every data weight, its derivative in :math:`b_i` is a linear system for
:math:`d\theta^*/db_i`, and the chain rule carries the response onto the
observable. Where the minimiser has a closed form in b, the response is also
checked by differentiating that closed form directly.
"""

import sympy as sp

from theory import zoo

from .influence import influence, response
from .minimiser import gradient, hessian, minimiser
from .steps import Derivation, register

__all__ = ["influence_steps"]


def influence_steps(m, f, damping=0):
    r"""Derive :math:`\mathcal{I}_i = -\nabla f^\top H^{-1}\nabla\ell_i` step by step.

    Parameters
    ----------
    m : theory.Model
    f : sympy.Expr
        The observable.
    damping : number or sympy.Expr, optional

    Returns
    -------
    Derivation
        Steps as (statement, SymPy object); ``print`` it or show it in Jupyter.
    """
    story = Derivation(
        f"Influence of each example on {f}, by the implicit function theorem"
    )
    b = m.weights
    L = m.loss()
    story.add(
        "Total loss, a weighted sum plus the regulariser:", sp.Eq(sp.Symbol("L"), L)
    )
    story.add(
        "The minimiser theta*(b) is stationary for every data weight b: "
        "grad L(theta*(b); b) = 0, with grad L =",
        gradient(L, m.params).applyfunc(sp.factor_terms),
    )
    theta_star, rung = minimiser(m)
    show = _shown(rung)
    H = hessian(L, m.params).applyfunc(sp.factor_terms)
    long = sp.count_ops(H) > _LONG
    story.add(
        "Differentiate in b_i (chain rule): H(theta*) d theta*/d b_i + "
        "grad l_i(theta*) = 0, with the Hessian H ="
        + (" (long; shown at theta*, b = 1)" if long else ""),
        show(H.xreplace(theta_star).subs(dict.fromkeys(b, 1))) if long else H,
    )
    story.add(f"At b = 1 the minimiser ({rung}) is", show(theta_star))
    H = hessian(m.loss([1] * m.n), m.params).xreplace(theta_star)
    H = H + sp.sympify(damping) * sp.eye(m.d)
    story.add(
        "The Hessian there (plus damping lambda I) is invertible, so the implicit "
        "function theorem gives a smooth local branch; it is the argmin for b near "
        "1 because the minimiser is unique. det H =",
        show(sp.factor(H.det())),
    )
    R = response(m, damping=damping)
    story.add(
        "Response of the parameters, d theta*/d b_i = -H^-1 grad l_i (columns i):",
        show(R),
    )

    if m.is_quadratic() and damping == 0:
        closed, _ = minimiser(m, weights="symbolic")
        direct = sp.Matrix(
            [
                [sp.diff(closed[p], bi).subs(dict.fromkeys(b, 1)) for bi in b]
                for p in m.params
            ]
        )
        story.add(
            "Check: differentiating the closed form theta*(b) directly gives the "
            "same matrix, difference",
            sp.simplify(direct - R),
        )
    values = influence(m, f, damping=damping)
    story.add("Chain rule onto f: I_i = grad f^T d theta*/d b_i =", show(values.T))
    return story


_LONG = 200


def _shown(rung):
    """Show numeric roots to 12 of their digits; exact results as they are."""
    if rung in ("closed form", "given"):
        return lambda expr: expr

    def show(expr):
        if isinstance(expr, dict):
            return {k: sp.N(v, 12) for k, v in expr.items()}
        return sp.N(expr, 12)

    return show


@register("ift-gaussian-mean", "IFT influence of each observation on a Gaussian mean")
def _gaussian_mean():
    z = sp.symbols("z_1:4")
    m = zoo.gaussian_mean(z)
    return influence_steps(m, m.params[0])


@register("ift-ridge", "IFT influence on a ridge prediction, symbolic data and ridge")
def _ridge():
    x, y = sp.symbols("x_1:3"), sp.symbols("y_1:3")
    alpha, x_test = sp.symbols("alpha x_test", positive=True)
    m = zoo.ridge_regression([[xi] for xi in x], y, alpha)
    return influence_steps(m, x_test * m.params[0])


@register("ift-logistic", "IFT on logistic regression: no closed form, a 50-digit root")
def _logistic():
    half, tenth = sp.Rational(1, 2), sp.Rational(1, 10)
    X = [[1, half], [1, -1], [1, 2], [1, -3 * tenth]]
    m = zoo.logistic_regression(X, [1, -1, -1, 1], alpha=tenth)
    return influence_steps(m, m.params[1])
