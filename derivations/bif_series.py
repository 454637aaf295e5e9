r"""The low-temperature (Laplace) series of the Bayesian influence function.

Around a nondegenerate minimiser :math:`\theta^*` of :math:`L(\theta; 1)`,
write :math:`\theta = \theta^* + \varepsilon y` with
:math:`\varepsilon = \beta^{-1/2}`. Then

.. math::

    \beta L(\theta) - \beta L^* = \tfrac12 y^\top H y
        + \sum_{k \ge 3} \varepsilon^{k-2} \frac{D^k L[y^k]}{k!},
    \qquad
    \log\pi(\theta) = \log\pi^* + \sum_{k\ge1}\varepsilon^k
        \frac{D^k\log\pi[y^k]}{k!},

so every Gibbs expectation is a ratio of Gaussian expectations over
:math:`y \sim N(0, H^{-1})` of power series in :math:`\varepsilon`:

.. math::

    E_\beta[g] = \frac{E_0[g(\theta^* + \varepsilon y)\,e^{-V_\varepsilon(y)}]}
                      {E_0[e^{-V_\varepsilon(y)}]},

evaluated term by term with Isserlis' theorem. Odd powers of
:math:`\varepsilon` vanish (odd Gaussian moments are zero), so the covariance
is a series in :math:`1/\beta` and

.. math::

    \mathrm{BIF}_i = -\beta\,\mathrm{Cov}(f, \ell_i)
        = c_0 + \frac{c_1}{\beta} + \frac{c_2}{\beta^2} + \dots,
    \qquad c_0 = -\nabla f^\top H^{-1}\nabla\ell_i .

:math:`c_1` contains the Gaussian (2,2) term
:math:`-\tfrac12\mathrm{tr}(\nabla^2 f\,H^{-1}\nabla^2\ell_i H^{-1})`, the
(1,3) and (3,1) terms with third derivatives of the observable and the loss,
and the corrections from the cubic and quartic terms of the potential (and
from the prior's gradient), which are of the same order.

Localisation enters as follows: the Gibbs exponent
:math:`-\beta L - \frac{\gamma}{2}|\theta - \theta^*|^2` equals
:math:`-\beta(L + \frac{\lambda}{2}|\theta-\theta^*|^2)` with
:math:`\lambda = \gamma/\beta`. The series is taken at fixed
:math:`\lambda`: :math:`H` becomes :math:`H + \lambda I` everywhere and
:math:`\theta^*` stays the centre, so :math:`c_0` is the influence function
with damping :math:`\lambda = \gamma/\beta`, and every :math:`c_k` is a
function of :math:`\gamma/\beta` (Laplace's method, e.g. Wong (2001),
"Asymptotic approximations of integrals", ch. 2 and 9).
"""

import sympy as sp

from .influence import _tidy
from .minimiser import check_observable, hessian, minimiser
from .steps import Derivation, register

__all__ = ["bif_series", "gibbs_series", "isserlis_moment"]


def bif_series(m, f, order=1, localization=0, beta=None, at=None):
    r"""Coefficients :math:`[c_0, \dots, c_K]` of BIF = :math:`\sum_k c_k \beta^{-k}`.

    Parameters
    ----------
    m : theory.Model
        A smooth model with a nondegenerate minimiser; ``m.log_prior`` enters
        untempered (from :math:`c_1` on), ``m.support`` is ignored (the
        expansion is local, so the minimiser must lie inside the box).
    f : sympy.Expr
        The observable.
    order : int, optional
        K, the highest power of :math:`1/\beta`. Any K for one parameter;
        cost grows quickly with K and d (K = 1 is cheap up to d = 3).
    localization : number or sympy.Expr, optional
        :math:`\gamma`; needs ``beta``, and the coefficients are taken at fixed
        :math:`\lambda = \gamma/\beta` (see the module notes).
    beta : sympy.Expr, optional
        The inverse temperature, used only to form :math:`\gamma/\beta`.
    at : mapping or sequence, optional
        The minimiser, as for :func:`derivations.influence`.

    Returns
    -------
    list of sympy.Matrix, each of shape (n, 1)
        ``c[0]`` equals ``derivations.influence(m, f, damping=gamma/beta)``.

    Raises
    ------
    ValueError
        A bad order, or localisation without ``beta``.
    theory.SingularHessianError
        The minimum is degenerate (the series does not exist; use
        ``numerics.bif`` or a singular-learning-theory scaling law).

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import Model
    >>> w = sp.Symbol("w")
    >>> m = Model([w], [w**2 / 2 + w**3 / 6 + w**4 / 8, w**2 / 2])
    >>> c0, c1 = bif_series(m, w)
    >>> c0.T, c1.T
    (Matrix([[0, 0]]), Matrix([[0, 1/8]]))
    """
    f = check_observable(m, f)
    if not isinstance(order, int) or order < 0:
        raise ValueError(f"order: need an integer >= 0, got {order!r}.")
    gamma = sp.sympify(localization)
    if gamma != 0 and beta is None:
        raise ValueError(
            "beta: localisation gamma enters the series as damping gamma/beta, so "
            f"pass beta (a number or a symbol); got localization={gamma} alone."
        )
    damping = gamma / sp.sympify(beta) if gamma != 0 else sp.Integer(0)

    theta_star, _ = minimiser(m, at=at)
    N = 2 * (order + 1)
    y = sp.symbols(f"y_1:{m.d + 1}", cls=sp.Dummy)
    taylor = _TaylorAt(m.params, theta_star, y)
    ones = [sp.Integer(1)] * m.n
    H = hessian(m.loss(ones), m.params).xreplace(theta_star)
    H = H + damping * sp.eye(m.d)
    _check_nondegenerate(m, H)

    potential = taylor(m.loss(ones), N + 2)
    prior = taylor(m.log_prior, N) if m.log_prior is not None else None
    engine = _Gibbs(y, H.inv(), potential, prior, N)
    f_series = taylor(f, N)
    columns = [[] for _ in range(order + 1)]
    for loss in m.losses:
        cov = engine.covariance(f_series, taylor(loss, N))
        for k in range(order + 1):
            columns[k].append(_tidy(-cov[2 * k + 2]))
    return [sp.Matrix(c) for c in columns]


def gibbs_series(potential, y, Sigma, g, prior=None, order=2):
    r"""The series :math:`E_\beta[g] = \sum_k a_k \beta^{-k}` from Taylor coefficients.

    ``potential[k]`` is the homogeneous degree-k term of
    :math:`L(\theta^*+\varepsilon y)` (k = 0..2 unused), ``g[k]`` and
    ``prior[k]`` likewise; ``Sigma`` is :math:`H^{-1}`. Returns
    ``[a_0, ..., a_order]``. This is the engine of :func:`bif_series`, exposed
    for derivations with symbolic Taylor coefficients.
    """
    N = 2 * order
    engine = _Gibbs(y, Sigma, potential, prior, N)
    series = engine.expectation(g)
    return [sp.expand(series[2 * k]) for k in range(order + 1)]


def isserlis_moment(powers, Sigma, _cache=None):
    r""":math:`E[\prod_j y_j^{k_j}]` for :math:`y \sim N(0, \Sigma)` (Isserlis, 1918).

    The recursion :math:`E[y_j\,y^\alpha] = \sum_l \Sigma_{jl}\,\alpha_l\,
    E[y^{\alpha - e_l}]` (Gaussian integration by parts) sums over all pairings.

    Examples
    --------
    >>> import sympy as sp
    >>> isserlis_moment((2, 2), sp.Matrix([[1, 0], [0, 1]]))
    1
    >>> isserlis_moment((4,), sp.Matrix([[3]]))
    27
    """
    cache = {} if _cache is None else _cache
    powers = tuple(powers)
    if powers in cache:
        return cache[powers]
    total = sum(powers)
    if total == 0:
        return sp.Integer(1)
    if total % 2:
        return sp.Integer(0)
    j = next(k for k, p in enumerate(powers) if p)
    rest = list(powers)
    rest[j] -= 1
    value = sp.Integer(0)
    for l, a in enumerate(rest):
        if a and Sigma[j, l] != 0:
            lower = list(rest)
            lower[l] -= 1
            value += Sigma[j, l] * a * isserlis_moment(lower, Sigma, cache)
    cache[powers] = value
    return value


# ---------------------------------------------------------------- internals


class _TaylorAt:
    """Homogeneous Taylor terms of expressions at theta* in the direction y."""

    def __init__(self, params, theta_star, y):
        self.params, self.point, self.y = params, theta_star, y

    def __call__(self, expr, N):
        expr, terms = sp.sympify(expr), []
        for k in range(N + 1):
            terms.append(sp.expand(expr.xreplace(self.point) / sp.factorial(k)))
            if k < N:
                expr = sum(yj * sp.diff(expr, p) for yj, p in zip(self.y, self.params))
        return terms


class _Gibbs:
    r"""Power series in :math:`\varepsilon` of Gibbs expectations at one minimum."""

    def __init__(self, y, Sigma, potential, prior, N):
        self.y, self.Sigma, self.N, self._moments = y, Sigma, N, {}
        # V = sum_{k>=1} eps^k V_k: cubic and higher terms of beta L, minus log pi.
        V = [sp.Integer(0)] * (N + 1)
        for k in range(1, N + 1):
            if k + 2 < len(potential):
                V[k] += potential[k + 2]
            if prior is not None and k < len(prior):
                V[k] -= prior[k]
        # W = exp(-V) by the recurrence W_k = -(1/k) sum_j j V_j W_{k-j}.
        W = [sp.Integer(1)]
        for k in range(1, N + 1):
            W.append(sp.expand(-sum(j * V[j] * W[k - j] for j in range(1, k + 1)) / k))
        self.W = W
        self.Z = [self._gauss(w) for w in W]

    def expectation(self, g):
        """Series coefficients (in eps) of E[g], length N + 1."""
        top = [
            sum(self._gauss(sp.expand(g[a] * self.W[k - a])) for a in range(k + 1))
            for k in range(self.N + 1)
        ]
        return _divide(top, self.Z)

    def covariance(self, f, l):
        fl = [
            sp.expand(sum(f[a] * l[k - a] for a in range(k + 1))) for k in range(len(f))
        ]
        Efl, Ef, El = self.expectation(fl), self.expectation(f), self.expectation(l)
        return [
            sp.expand(Efl[k] - sum(Ef[a] * El[k - a] for a in range(k + 1)))
            for k in range(self.N + 1)
        ]

    def _gauss(self, poly):
        if poly == 0:
            return sp.Integer(0)
        p = sp.Poly(poly, *self.y)
        return sp.expand(
            sum(c * isserlis_moment(a, self.Sigma, self._moments) for a, c in p.terms())
        )


def _divide(top, bottom):
    """Coefficients of the power series top / bottom (bottom[0] != 0)."""
    out = []
    for k in range(len(top)):
        value = top[k] - sum(out[j] * bottom[k - j] for j in range(k))
        out.append(sp.expand(value / bottom[0]))
    return out


def _check_nondegenerate(m, H):
    from theory.errors import SingularHessianError, singular_hessian_message

    if sp.simplify(H.det()) == 0:
        flat = [list(v) for v in H.nullspace(simplify=True)]
        raise SingularHessianError(
            singular_hessian_message(m.params, flat)
            + " The Laplace series needs a nondegenerate minimum; at a degenerate "
            "one use numerics.bif (quadrature) instead.",
            flat,
        )


# ------------------------------------------------------- narrated derivation


@register(
    "bif-series",
    "Laplace series of the BIF: odd orders vanish, Isserlis, what (2,2) misses",
)
def _bif_series_story():
    eps, y = sp.symbols("varepsilon y")
    H, L3, L4, L5, L6 = sp.symbols("H L_3 L_4 L_5 L_6")
    f1, f2, f3, f4 = sp.symbols("f_1 f_2 f_3 f_4")
    g1, g2, g3, g4 = sp.symbols("g_1 g_2 g_3 g_4")

    def terms(c):
        return [sp.Integer(0)] + [
            ck * y**k / sp.factorial(k) for k, ck in enumerate(c, 1)
        ]

    potential = [0, 0, H * y**2 / 2] + [
        Lk * y**k / sp.factorial(k) for k, Lk in zip(range(3, 7), (L3, L4, L5, L6))
    ]
    f, g = terms((f1, f2, f3, f4)), terms((g1, g2, g3, g4))
    Sigma = sp.Matrix([[1 / H]])
    story = Derivation("The Bayesian influence function at low temperature (d = 1)")
    story.add(
        "Write theta = theta* + eps y with eps = beta^(-1/2); beta (L - L*) becomes",
        sp.Add(*(potential[k] * eps ** (k - 2) for k in range(2, 7))),
    )
    engine = _Gibbs((y,), Sigma, potential, None, 4)
    story.add(
        "Expand exp(-V) in eps: the coefficient of eps^1 is odd in y",
        engine.W[1],
    )
    story.add(
        "Isserlis: odd Gaussian moments vanish, E0[y^(2k)] = (2k-1)!! / H^k, e.g. "
        "E0[y^4] and E0[y^6]",
        sp.Tuple(isserlis_moment((4,), Sigma), isserlis_moment((6,), Sigma)),
    )
    cov = engine.covariance(f, g)
    story.add(
        "So Cov(f, l_i) has no odd powers of eps: coefficients of eps^1, eps^3",
        sp.Tuple(cov[1], cov[3]),
    )
    c0, c1 = sp.factor(-cov[2]), sp.collect(sp.expand(-cov[4]), [f1, f2, f3])
    story.add("c0 = -f_1 g_1 / H: the influence function", c0)
    gaussian = -f2 * g2 / (2 * H**2)
    story.add("Gaussian (2,2) term, -(1/2) tr(f'' H^-1 l_i'' H^-1)", gaussian)
    story.add("The full c1 = -(coefficient of eps^4)", c1)
    story.add(
        "What the Gaussian picture misses, c1 - (2,2): the (1,3), (3,1) terms and the "
        "cubic and quartic corrections of the potential",
        sp.collect(sp.expand(c1 - gaussian), [f1, f2, f3]),
    )
    story.add(
        "Example with f linear (f_2 = f_3 = 0): the (2,2) term vanishes, c1 does not",
        sp.factor(c1.subs({f2: 0, f3: 0})),
    )
    return story
