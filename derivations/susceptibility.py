r"""Susceptibilities and the fluctuation-response identity of Gibbs posteriors.

Perturb the loss by a field :math:`\varepsilon` coupled to an observable
:math:`\psi`, :math:`L \mapsto L - \varepsilon\psi`. The Gibbs expectation of
:math:`f` is a ratio of integrals,

.. math::

    E_\varepsilon[f] = \frac{\int f\,\pi\,e^{-\beta(L - \varepsilon\psi)}\,d\theta}
                            {\int \pi\,e^{-\beta(L - \varepsilon\psi)}\,d\theta},

and differentiating the ratio under the integral sign gives the
fluctuation-response identity (Kubo, 1957, "Statistical-mechanical theory of
irreversible processes I"; in the static form used for Bayesian influence by
Kreer et al., 2025, "Bayesian influence functions for Hessian-free data
attribution")

.. math::

    \chi(f \mid \psi) = \frac{d E_\varepsilon[f]}{d\varepsilon}\Big|_0
        = \beta\,\mathrm{Cov}(f, \psi) .

Upweighting example i is the field :math:`\psi = -\ell_i`, so
:math:`\mathrm{BIF}_i = -\chi(f \mid \ell_i) = -\beta\,\mathrm{Cov}(f, \ell_i)`,
and a direction :math:`h` in :math:`\mathbb{R}^n` is the field
:math:`\psi = -\sum_i h_i\ell_i`.
"""

import sympy as sp

from .bif import _covariances, _tidy
from .influence import _direction
from .minimiser import check_observable
from .steps import Derivation, register

__all__ = ["bif_direction", "fluctuation_response", "susceptibility"]


def susceptibility(m, f, psi, beta, localization=0):
    r"""Exact :math:`\chi(f \mid \psi) = \beta\,\mathrm{Cov}(f, \psi)`.

    Parameters
    ----------
    m : theory.Model
        Its Gibbs posterior at data weights 1 is the unperturbed law; the
        closed forms of :func:`derivations.bif` apply (Gaussian or Gamma).
    f, psi : sympy.Expr
        The observable and the perturbing observable, in ``m.params``
        (polynomials for the closed forms).
    beta : number or sympy.Expr
        Inverse temperature.
    localization : number or sympy.Expr, optional
        :math:`\gamma`, as in :func:`derivations.bif`.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    NotImplementedError
        No closed form applies (the message names the rung to use).

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import zoo
    >>> m = zoo.gaussian_mean([1, 3])
    >>> mu, = m.params
    >>> beta = sp.Symbol("beta", positive=True)
    >>> susceptibility(m, mu, mu, beta)
    1/2
    """
    f = check_observable(m, f)
    psi = check_observable(m, psi, name="psi")
    covariance = _covariances(m, f, [psi], sp.sympify(beta), sp.sympify(localization))[
        0
    ][0]
    return _tidy(sp.sympify(beta) * covariance)


def fluctuation_response(f, psi, loss, params, beta, log_prior=0):
    r"""Derive :math:`dE_\varepsilon[f]/d\varepsilon` at 0 as a ratio of integrals.

    The integrals stay unevaluated (``sympy.Integral`` over all of
    :math:`\mathbb{R}^d`), so the result is the general identity, and
    ``.doit()`` evaluates it for a concrete model.

    Parameters
    ----------
    f, psi, loss : sympy.Expr
        Observable, perturbing observable and total loss, in ``params``.
    params : sequence of sympy.Symbol
    beta : sympy.Expr
    log_prior : sympy.Expr, optional

    Returns
    -------
    derivative, covariance : sympy.Expr
        SymPy's derivative of the ratio at :math:`\varepsilon = 0` and
        :math:`\beta(E[f\psi] - E[f]E[\psi])` written with the same integrals;
        their difference cancels identically.

    Examples
    --------
    >>> import sympy as sp
    >>> x, beta = sp.symbols("x beta", positive=True)
    >>> d, c = fluctuation_response(x, x, x**2 / 2, [x], beta)
    >>> sp.simplify(d - c)
    0
    """
    eps = sp.Dummy("epsilon")
    weight = sp.exp(log_prior - beta * (loss - eps * psi))
    limits = [(p, -sp.oo, sp.oo) for p in params]

    def integral(g, at=None):
        expr = sp.Integral(g * weight, *limits)
        return expr if at is None else expr.subs(eps, at)

    ratio = integral(f) / integral(1)
    derivative = sp.diff(ratio, eps).subs(eps, 0)
    Z = integral(1, 0)

    def mean(g):
        return integral(g, 0) / Z

    covariance = beta * (mean(f * psi) - mean(f) * mean(psi))
    return derivative, covariance


def bif_direction(m, f, direction, beta, localization=0):
    r""":math:`\sum_i h_i\,\mathrm{BIF}_i = -\chi(f \mid \sum_i h_i\ell_i)`."""
    h = _direction(direction, m.n)
    psi = sum(hi * loss for hi, loss in zip(h, m.losses))
    return -susceptibility(m, f, psi, beta, localization)


@register(
    "fluctuation-response",
    "dE[f]/d eps = beta Cov(f, psi): the derivative of a ratio of integrals",
)
def _fluctuation_response_story():
    theta, beta = sp.symbols("theta beta", positive=True)
    eps = sp.Symbol("varepsilon")
    L, f, psi = (sp.Function(name)(theta) for name in ("L", "f", "psi"))
    weight = sp.exp(-beta * (L - eps * psi))
    N = sp.Integral(f * weight, (theta, -sp.oo, sp.oo))
    Z = sp.Integral(weight, (theta, -sp.oo, sp.oo))

    story = Derivation("The fluctuation-response identity")
    story.add("The perturbed Gibbs mean is a ratio of integrals", N / Z)
    derivative = sp.diff(N / Z, eps).subs(eps, 0)
    story.add("Differentiate under the integral sign (Leibniz), at eps = 0", derivative)
    E, Zs = sp.Function("E"), sp.Symbol("Z", positive=True)

    def to_mean(integral):
        # Integral of g e^{-beta L} is Z E[g]; constants move out of E.
        g = sp.simplify(integral.function * sp.exp(beta * L))
        coeff, rest = g.as_independent(theta)
        return coeff * Zs * (E(rest) if rest != 1 else 1)

    moments = derivative.replace(lambda e: isinstance(e, sp.Integral), to_mean)
    story.add(
        "Each integral of g exp(-beta L) is Z E[g]; Z cancels", sp.expand(moments)
    )
    story.add(
        "So chi(f | psi) = beta Cov(f, psi); upweighting example i is psi = -l_i",
        sp.Eq(sp.Function("chi")(f, psi), beta * sp.Function("Cov")(f, psi)),
    )
    return story
