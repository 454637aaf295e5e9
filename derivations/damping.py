r"""Damping as the exact influence of a proximal objective.

Adding :math:`\frac{\lambda}{2}|\theta - \theta^*|^2` to the loss, with the
anchor :math:`\theta^*` held fixed at the minimiser for b = 1, leaves that
minimiser where it is (both terms are stationary there) and adds
:math:`\lambda I` to the Hessian. The implicit function theorem applied to the
proximal objective therefore gives exactly

.. math::

    \frac{d f(\theta_\lambda(b))}{d b_i}\Big|_{b=1}
        = -\nabla f^\top (H + \lambda I)^{-1}\nabla\ell_i ,

the damped influence of :func:`derivations.influence`, with no approximation
(Bae, Ng, Lo, Ghassemi and Grosse, 2022, use the same proximal term in the
PBRF, :mod:`derivations.gauss_newton`). The limit :math:`\lambda \to 0`
recovers the influence function where H is invertible; as
:math:`\lambda \to \infty` the influence falls off like
:math:`-\nabla f\cdot\nabla\ell_i / \lambda`, the gradient dot product.
"""

import sympy as sp

from theory import Model, zoo
from theory.conventions import convert_damping

from .influence import influence
from .minimiser import minimiser
from .steps import Derivation, register

__all__ = ["proximal_model"]


def proximal_model(m, damping, at=None):
    r"""The model with the proximal term :math:`\frac{\lambda}{2}|\theta - \theta^*|^2`.

    Parameters
    ----------
    m : theory.Model
    damping : number or sympy.Expr
        :math:`\lambda`.
    at : mapping or sequence, optional
        The anchor :math:`\theta^*`, a minimiser of L at b = 1 (checked to be
        stationary); found by :func:`derivations.minimiser` if omitted.

    Returns
    -------
    theory.Model
        Same parameters and losses; the regulariser gains the proximal term,
        which carries no data weight.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import zoo
    >>> from derivations.damping import proximal_model
    >>> lam = sp.Symbol("lambda", positive=True)
    >>> proximal_model(zoo.gaussian_mean([1, 2, 6]), lam).regularizer
    lambda*(mu - 3)**2/2
    """
    anchor = minimiser(m, at=at)[0]
    proximal = sp.sympify(damping) * sum((p - anchor[p]) ** 2 for p in m.params) / 2
    return Model(
        m.params,
        m.losses,
        regularizer=m.regularizer + proximal,
        log_prior=m.log_prior,
        support=m.support,
    )


# ------------------------------------------------------- narrated derivations


@register("damping", "Damping is the exact influence of a proximal objective")
def _damping():
    z = sp.symbols("z_1:4", real=True)
    lam = sp.Symbol("lambda", positive=True)
    m = zoo.gaussian_mean(z)
    (mu,) = m.params
    story = Derivation("Damping (H + lambda I) as a proximal objective")

    theta_star = minimiser(m)[0]
    proximal = proximal_model(m, lam)
    story.add(
        "Add (lambda/2)|theta - theta*|^2 to the loss of a mean, the anchor theta* "
        "held fixed; the regulariser becomes",
        proximal.regularizer,
    )
    grad = sp.diff(proximal.loss([1] * m.n), mu).xreplace(theta_star)
    story.add("Its gradient at theta*, b = 1, is still zero:", sp.simplify(grad))
    exact = influence(proximal, mu, at=theta_star)
    story.add(
        "The implicit function theorem on the proximal objective gives the "
        "influence of each example on mu:",
        exact.T,
    )
    damped = influence(m, mu, damping=lam)
    story.add(
        "It equals the damped influence -grad f^T (H + lambda I)^-1 grad l_i; "
        "difference:",
        (exact - damped).applyfunc(sp.simplify).T,
    )
    story.add(
        "lambda -> 0 recovers the influence function (z_i - mean z)/n:",
        damped.applyfunc(lambda e: sp.limit(e, lam, 0)).T,
    )
    story.add(
        "lambda -> oo: lambda I_i tends to -grad f . grad l_i = z_i - mu*:",
        damped.applyfunc(lambda e: sp.factor(sp.limit(lam * e, lam, sp.oo))).T,
    )
    story.add(
        "A library damping its mean-loss Hessian H/n by lambda' matches the "
        "sandbox's damping n lambda' (theory.conventions.convert_damping):",
        convert_damping(sp.Symbol("lambda'", positive=True), "pydvl", n=m.n),
    )
    return story
