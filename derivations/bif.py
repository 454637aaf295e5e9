r"""Exact Bayesian influence functions where the Gibbs integral has a closed form.

The Gibbs posterior of the weighted loss, with prior :math:`\pi` and
localisation :math:`\gamma` around the minimiser :math:`\theta^*`,

.. math::

    p_{\beta, b}(\theta) \propto \pi(\theta)\,
        e^{-\beta L(\theta; b) - \frac{\gamma}{2}|\theta - \theta^*|^2},

responds to the data weight :math:`b_i` as (the fluctuation-response identity)

.. math::

    \mathrm{BIF}_i = \frac{d\,E_{\beta,b}[f]}{d b_i}\Big|_{b=1}
        = -\beta\,\mathrm{Cov}_{\beta}(f, \ell_i) .

Two families have closed forms (rung 1 of the exactness ladder):

* Gaussian posteriors: a quadratic loss with a flat or Gaussian prior, no
  support box. Completing the square gives :math:`N(\mu, \Sigma)` with
  :math:`\Sigma^{-1} = \beta H - \nabla^2\log\pi + \gamma I`; for a polynomial
  observable Stein's lemma gives
  :math:`\mathrm{Cov}(f, \ell_i) = \nabla\ell_i(\mu)^\top\Sigma\,E[\nabla f]
  + \tfrac12\mathrm{tr}(\nabla^2\ell_i\,\Sigma\,E[\nabla^2 f]\,\Sigma)`, with the
  Gaussian expectations of polynomials taken by the heat operator
  :math:`E[p(\mu + x)] = e^{\frac12\nabla^\top\Sigma\nabla}p\,(\mu)`.
* Gamma-type (separable monomial) potentials: :math:`L = \sum_j (a_j
  \theta_j^{p_j} - c_j\log\theta_j)` (a Poisson rate, for example) with a
  prior :math:`\prod_j \theta_j^{h_j}`, on
  :math:`\mathbb{R}`, :math:`[0, \infty)` or :math:`[0, c]` per parameter;
  observables and per-example losses polynomial in :math:`\theta_j` and
  :math:`\log\theta_j` (for example a quartic
  :math:`c w^4` with per-example linear tilts that sum to zero). Moments are
  ratios of Gamma (or lower incomplete Gamma) functions in :math:`\beta`.

Anything else raises ``NotImplementedError`` naming the rung to use instead:
:func:`derivations.bif_series` (rung 2) or :func:`numerics.bif` (rung 3).
"""

import sympy as sp

from .influence import _direction, _tidy
from .minimiser import check_observable, gradient, hessian, minimiser

__all__ = ["ImproperPosteriorError", "bif", "gaussian_expectation"]


class ImproperPosteriorError(ValueError):
    """The Gibbs posterior cannot be normalised (a flat direction, no support)."""


def bif(m, f, beta, localization=0, direction=None):
    r"""Exact Bayesian influence :math:`-\beta\,\mathrm{Cov}(f, \ell_i)`, shape (n, 1).

    .. math::

        \mathrm{BIF}_i = -\beta\,\mathrm{Cov}_{p_\beta}(f, \ell_i), \qquad
        p_\beta \propto \pi\, e^{-\beta L(\theta; 1)
            - \frac{\gamma}{2}|\theta-\theta^*|^2}

    Parameters
    ----------
    m : theory.Model
        ``m.log_prior`` is :math:`\log\pi` (``None``: flat; it is *not*
        tempered by :math:`\beta`), ``m.support`` the box the prior lives on.
    f : sympy.Expr
        The observable, a polynomial in ``m.params`` (any expression for the
        linear terms of a Gaussian posterior is not enough: polynomials only).
    beta : number or sympy.Expr
        Inverse temperature :math:`\beta > 0`; may be a symbol.
    localization : number or sympy.Expr, optional
        :math:`\gamma \ge 0`, centred at the minimiser :math:`\theta^*`
        (Gaussian case only).
    direction : sequence of length n, optional
        Return the scalar :math:`\sum_i h_i\,\mathrm{BIF}_i`.

    Returns
    -------
    sympy.Matrix, shape (n, 1), or sympy.Expr with ``direction``
        With attribute ``rung``: ``"closed form (Gaussian)"`` or
        ``"closed form (Gamma)"``.

    Raises
    ------
    ImproperPosteriorError
        The Gaussian precision is singular (a flat direction with a flat
        prior and no localisation).
    NotImplementedError
        No closed form applies; the message names the rung to use instead.

    Notes
    -----
    Convention: the sandbox's derivative form. A reported :math:`-\mathrm{Cov}`
    converts with ``theory.conventions.convert(..., "bif-covariance",
    beta=beta)``. For conjugate least squares with the prior
    :math:`-\frac{\tau}{2}|\theta|^2` and a linear observable, the result is the
    influence function of ridge regression with :math:`\alpha = \tau/\beta`.

    References
    ----------
    Stein (1981), "Estimation of the mean of a multivariate normal
    distribution" (the covariance identity); Isserlis (1918) for Gaussian
    moments.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import zoo
    >>> import derivations
    >>> beta = sp.Symbol("beta", positive=True)
    >>> m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)
    >>> mu, = m.params
    >>> sp.factor(derivations.bif(m, mu, beta)[0])
    -beta*(6*beta - 1)/(3*beta + 1)**2
    """
    f = check_observable(m, f)
    beta = sp.sympify(beta)
    gamma = sp.sympify(localization)
    if beta.is_positive is False or (beta.is_number and not beta > 0):
        raise ValueError(
            f"beta: need an inverse temperature > 0, got {beta}; pass a positive "
            "number or a Symbol declared positive=True."
        )
    if gamma.is_negative:
        raise ValueError(
            f"localization: need gamma >= 0, got {gamma}; gamma = 0 turns it off."
        )
    h = _direction(direction, m.n)

    covariances, rung = _covariances(m, f, m.losses, beta, gamma)
    values = [_tidy(-beta * cov) for cov in covariances]

    if h is not None:
        return _tidy(sum(hi * v for hi, v in zip(h, values)))
    result = sp.Matrix(values)
    result.rung = rung
    return result


def gaussian_expectation(p, params, mean, cov):
    r"""Exact :math:`E[p(\theta)]` for :math:`\theta \sim N(\mu, \Sigma)`, p polynomial.

    Applies the heat operator
    :math:`E[p(\mu + x)] = \sum_k \frac{1}{k!}\big(\tfrac12 \sum_{jl}\Sigma_{jl}
    \partial_j\partial_l\big)^k p\,\big|_{\mu}`, a finite sum for a polynomial.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> gaussian_expectation(x**4, [x], [0], sp.Matrix([[2]]))
    12
    """
    term, total, k = sp.sympify(p), sp.Integer(0), 0
    point = dict(zip(params, mean))
    while term != 0:
        total += term.xreplace(point) / sp.factorial(k)
        k += 1
        term = sp.expand(
            sum(
                cov[j, l] * sp.diff(term, a, b) / 2
                for j, a in enumerate(params)
                for l, b in enumerate(params)
            )
        )
    return total


# ------------------------------------------------------------------ Gaussian


def _gaussian_applies(m):
    if m.support is not None and any(
        lo != -sp.oo or hi != sp.oo for lo, hi in m.support
    ):
        return False
    prior = 0 if m.log_prior is None else m.log_prior
    return m.is_quadratic() and _degree(prior, m.params) <= 2


def _covariances(m, f, targets, beta, gamma):
    """Exact Cov(f, g) for each g in targets, and the rung that produced them."""
    if _gaussian_applies(m):
        return _gaussian(m, f, targets, beta, gamma), "closed form (Gaussian)"
    plan = _gamma_plan(m, gamma, beta)
    return _gamma(m, f, targets, beta, plan), "closed form (Gamma)"


def _gaussian(m, f, targets, beta, gamma):
    if _degree(f, m.params) == float("inf"):
        raise NotImplementedError(
            f"f: the Gaussian closed form needs a polynomial observable, got {f}; "
            "use derivations.bif_series (rung 2, Laplace series) or numerics.bif "
            "(rung 3, quadrature)."
        )
    theta = list(m.params)
    ones = [sp.Integer(1)] * m.n
    L = m.loss(ones)
    prior = sp.Integer(0) if m.log_prior is None else m.log_prior

    # Complete the square: the log density is const + c^T theta - theta^T P
    # theta / 2. Derivatives are taken of L and log pi separately, free of beta.
    zero = {p: 0 for p in theta}
    P = (beta * hessian(L, theta) - hessian(prior, theta)).applyfunc(sp.expand)
    c = -beta * gradient(L, theta).xreplace(zero) + gradient(prior, theta).xreplace(
        zero
    )
    if gamma != 0:
        theta_star, _ = minimiser(m)
        P = P + gamma * sp.eye(m.d)
        c = c + gamma * sp.Matrix([theta_star[p] for p in theta])
    det = sp.factor(P.det())
    if det == 0 or (det.is_number and det <= 0):
        flat = [list(v) for v in P.nullspace(simplify=True)] if det == 0 else []
        raise ImproperPosteriorError(
            f"posterior: the Gibbs density is not normalisable; its precision "
            f"beta H - grad^2 log pi + gamma I = {P.tolist()} is singular or not "
            f"positive definite (flat direction(s) {flat} in {theta}). Ways out: "
            "a proper prior (log_prior), localization > 0, or a bounded support "
            "box with numerics.bif."
        )
    Sigma = P.inv().applyfunc(sp.cancel)
    mu = (Sigma * c).applyfunc(sp.cancel)

    # Stein's lemma for linear and quadratic parts of each loss.
    mean_grad_f = sp.Matrix(
        [gaussian_expectation(sp.diff(f, p), theta, mu, Sigma) for p in theta]
    )
    mean_hess_f = hessian(f, theta).applyfunc(
        lambda e: gaussian_expectation(e, theta, mu, Sigma)
    )
    point = dict(zip(theta, mu))
    left = Sigma * mean_grad_f
    middle = Sigma * mean_hess_f * Sigma
    values = []
    for target in targets:
        if _degree(target, theta) <= 2:
            g = gradient(target, theta).xreplace(point)
            G = hessian(target, theta)
            cov = (g.T * left)[0] + (G * middle).trace() / 2
        elif _degree(target, theta) < float("inf"):
            # A higher polynomial (a perturbing observable): moments directly.
            cov = gaussian_expectation(f * target, theta, mu, Sigma) - (
                gaussian_expectation(f, theta, mu, Sigma)
                * gaussian_expectation(target, theta, mu, Sigma)
            )
        else:
            raise NotImplementedError(
                f"psi: the Gaussian closed form needs a polynomial, got {target}; "
                "expand it, or use derivations.bif_series (rung 2)."
            )
        values.append(_tidy(cov))
    return values


# --------------------------------------------------------------------- Gamma


def _gamma_plan(m, gamma, beta):
    """Per parameter (a_j, p_j, h_j, support kind, upper end), or an error."""
    L = sp.expand(m.loss([1] * m.n))
    prior = sp.expand(0 if m.log_prior is None else m.log_prior)
    if gamma != 0:
        _refuse(m, "localisation gamma > 0 breaks the monomial form")
    # Gamma-type: c_j log(theta_j) terms of the loss join the prior's powers.
    logs, polynomial = _split_logs(L, m.params)
    try:
        poly = sp.Poly(polynomial, *m.params)
    except sp.PolynomialError:
        _refuse(m, "the total loss is not a polynomial plus c_j log(theta_j) terms")
    terms = {}
    for powers, coeff in poly.terms():
        used = [j for j, k in enumerate(powers) if k]
        if len(used) != 1:
            _refuse(m, f"the total loss has the term {coeff}*{powers} (not separable)")
        j = used[0]
        if j in terms:
            _refuse(m, f"the total loss has two powers of {m.params[j]}")
        terms[j] = (coeff, powers[j])
    if len(terms) != m.d:
        _refuse(m, "a parameter does not appear in the total loss (flat direction)")

    exponents = {j: -beta * logs.get(j, 0) for j in range(m.d)}
    for term in sp.Add.make_args(prior):
        if not term.has(*m.params):
            continue
        coeff, rest = term.as_independent(*m.params)
        if isinstance(rest, sp.log) and rest.args[0] in m.params:
            exponents[m.params.index(rest.args[0])] += coeff
        else:
            _refuse(m, f"the log-prior term {term} is not h*log(theta_j)")

    plan = []
    support = m.support or [(-sp.oo, sp.oo)] * m.d
    for j in range(m.d):
        (a, p), h, (lo, hi) = terms[j], exponents[j], support[j]
        if lo == -sp.oo and hi == sp.oo:
            if p % 2 or h != 0:
                _refuse(m, f"on R the power of {m.params[j]} must be even, prior flat")
            kind = "R"
        elif lo == 0 and hi == sp.oo:
            kind = "half-line"
        elif lo == 0 and hi.is_positive and h.is_number:
            kind = "interval"
        else:
            _refuse(m, f"support ({lo}, {hi}) is not R, [0, oo) or [0, c]")
        if a.is_number and not a > 0:
            _refuse(m, f"the coefficient {a} of {m.params[j]}**{p} is not positive")
        plan.append((a, sp.Integer(p), h, kind, hi))
    return plan


def _gamma(m, f, targets, beta, plan):
    theta = m.params

    def moment(j, k, q=0):
        """E[theta_j^k log(theta_j)^q]: the q-th s-derivative of E[theta_j^s]."""
        if q:
            s_ = sp.Dummy("s")
            return sp.expand_func(sp.diff(moment(j, s_), s_, q).subs(s_, k))
        a, p, h, kind, hi = plan[j]
        if kind == "R" and k % 2:
            return sp.Integer(0)
        s, s0, x = (k + h + 1) / p, (h + 1) / p, beta * a
        if kind == "interval":
            top = sp.lowergamma(s, x * hi**p)
            return top / sp.lowergamma(s0, x * hi**p) * x ** (s0 - s)
        return sp.gamma(s) / sp.gamma(s0) * x ** (s0 - s)

    log_symbols = [sp.Dummy(f"log_{t}") for t in theta]
    to_symbols = {sp.log(t): u for t, u in zip(theta, log_symbols)}

    def expect(expr):
        expr = sp.expand(sp.expand_log(sp.sympify(expr), force=True)).xreplace(
            to_symbols
        )
        poly = sp.Poly(expr, *theta, *log_symbols)
        total = sp.Integer(0)
        for powers, coeff in poly.terms():
            term = coeff
            for j, (k, q) in enumerate(zip(powers[: m.d], powers[m.d :])):
                term *= moment(j, k, q) if (k or q) else 1
            total += term
        return total

    for name, expr in [
        ("f", f),
        *((f"losses[{i}]", e) for i, e in enumerate(targets)),
    ]:
        if _degree(_split_logs(expr, theta)[1], theta) == float("inf"):
            _refuse(m, f"{name} = {expr} is not a polynomial in the parameters")
    mean_f = expect(f)
    values = []
    for target in targets:
        cov = expect(f * target) - mean_f * expect(target)
        values.append(sp.simplify(sp.gammasimp(cov)))
    return values


def _split_logs(L, params):
    """The c_j of c_j log(theta_j) terms in L, and the rest of L."""
    logs, rest = {}, sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(sp.expand_log(L, force=True))):
        coeff, factor = term.as_independent(*params)
        if isinstance(factor, sp.log) and factor.args[0] in params:
            j = list(params).index(factor.args[0])
            logs[j] = logs.get(j, 0) + coeff
        else:
            rest += term
    return logs, rest


def _refuse(m, reason):
    raise NotImplementedError(
        f"m: no closed-form Gibbs integral ({reason}). derivations.bif covers "
        "Gaussian posteriors (quadratic loss, flat or Gaussian prior) and "
        "separable monomial (Gamma-type) potentials. Use derivations.bif_series "
        "(rung 2: Laplace series in 1/beta at a nondegenerate minimum) or "
        "numerics.bif (rung 3: quadrature with an error estimate, d <= 3)."
    )


def _degree(expr, params):
    expr = sp.sympify(expr)
    if not expr.free_symbols & set(params):
        return 0
    try:
        return sp.Poly(expr, *params).total_degree()
    except sp.PolynomialError:
        return float("inf")
