r"""Bayesian influence functions in float64: Gaussian closed form and quadrature.

.. math::

    \mathrm{BIF}_i = -\beta\,\mathrm{Cov}_{p}(f, \ell_i), \qquad
    p(\theta) \propto \pi(\theta)\,e^{-\beta L(\theta; 1)
        - \frac{\gamma}{2}|\theta - \theta^*|^2} .

Rungs, tried in order: the Gaussian closed form in any dimension (quadratic
loss, flat or Gaussian prior, observable of degree at most two, no support
box), then deterministic quadrature (:mod:`numerics.quadrature`) for one to
three parameters, with an error estimate. The twin of
:func:`derivations.bif` and the oracle of :func:`numerics.sgld_bif`.
"""

from dataclasses import dataclass

import mpmath
import numpy as np
import sympy as sp

from theory.errors import ConvergenceError

from .gibbs import (
    _EPS,
    _functions,
    _gaussian_covariances,
    _gaussian_posterior,
    _positive,
    _Problem,
)
from .minimise import minimise
from .quadrature import gibbs_grid

__all__ = ["BIFResult", "bif", "posterior_density"]

RTOL = 1e-10


@dataclass(frozen=True)
class BIFResult:
    """Values (n,), their absolute error estimate, the rung, the mode and E[f]."""

    values: np.ndarray
    error: np.ndarray
    rung: str
    mode: np.ndarray
    mean: float


def bif(
    m,
    f,
    beta,
    localization=0.0,
    direction=None,
    rtol=RTOL,
    full_output=False,
    method="auto",
    dps=30,
):
    r"""Bayesian influence :math:`-\beta\,\mathrm{Cov}(f, \ell_i)` of every example.

    Parameters
    ----------
    m : theory.Model
        Numeric data; ``m.log_prior`` (untempered), ``m.support`` (a box).
    f : sympy.Expr
        The observable, in ``m.params``.
    beta : float
        Inverse temperature, > 0.
    localization : float, optional
        :math:`\gamma \ge 0`, centred at the minimiser :math:`\theta^*`.
    direction : array_like, shape (n,), optional
        Return :math:`\sum_i h_i \mathrm{BIF}_i` (a float).
    rtol : float, optional
        Relative tolerance of the quadrature (relative to the largest entry).
    full_output : bool, optional
        Return a :class:`BIFResult` (values, error estimate, rung, mode and
        the posterior mean E[f]) instead of the bare array.
    method : {"auto", "mpmath"}, optional
        ``"auto"``: the Gaussian closed form where it applies, else float64
        quadrature. ``"mpmath"``: tanh-sinh quadrature at ``dps`` digits for
        one or two parameters (rung 4; slow, meant as a reference), centred
        and scaled like the float64 rule; its error estimate is mpmath's.
    dps : int, optional
        Decimal digits of the mpmath rule.

    Returns
    -------
    ndarray, shape (n,) (float with ``direction``), or BIFResult

    Raises
    ------
    ImproperPosteriorError
        A flat direction with a flat prior and no support box.
    ConvergenceError
        The quadrature missed ``rtol``; the message gives the achieved error.
    NotImplementedError
        More than three parameters without a Gaussian closed form.

    Notes
    -----
    Convention: derivative form; reported covariances convert with
    ``theory.conventions.convert(values, "bif-covariance", beta=beta)``.
    The closed form has rounding error only; the quadrature's estimate is the
    difference of the last two step sizes, which overestimates the error of
    the returned (finer) result.

    Examples
    --------
    >>> from theory import zoo
    >>> import numerics
    >>> m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)
    >>> numerics.bif(m, m.params[0], beta=1.0)
    array([-0.3125, -0.0625,  0.9375])
    """
    beta, gamma = (
        _positive(beta, "beta", strict=True),
        _positive(localization, "localization"),
    )
    h = None if direction is None else np.asarray(direction, dtype=float)
    if h is not None and h.shape != (m.n,):
        raise ValueError(f"direction: need shape (n,) = ({m.n},), got {h.shape}.")
    fns = _functions(m, f)
    theta_star = minimise(m) if gamma > 0 else None

    if method not in ("auto", "mpmath"):
        raise ValueError(
            f"method: need 'auto' or 'mpmath', got {method!r}; 'mpmath' asks for "
            "the high-precision reference rule."
        )
    if method == "mpmath":
        if m.d > 2:
            raise NotImplementedError(
                f"m: the mpmath rule integrates one or two parameters, got d = "
                f"{m.d}; use method='auto' (float64 quadrature up to d = 3)."
            )
        problem = _Problem(m, fns, beta, gamma, theta_star)
        values, error, mean = _mpmath(m, f, problem, dps)
        mode, rung = problem.mode, f"quadrature (mpmath, {dps} digits)"
    elif fns.gaussian:
        values, error, mode, mean = _gaussian(m, fns, beta, gamma, theta_star)
        rung = "closed form (Gaussian)"
    elif m.d <= 3:
        values, error, mode, mean = _quadrature(m, fns, beta, gamma, theta_star, rtol)
        rung = "quadrature (double exponential)"
    else:
        raise NotImplementedError(
            f"m: quadrature handles up to three parameters, got d = {m.d}, and the "
            "Gibbs posterior is not Gaussian. Use derivations.bif_series (Laplace "
            "series at large beta) or numerics.sgld_bif (Monte Carlo)."
        )

    if h is not None:
        return float(h @ values)
    if full_output:
        return BIFResult(values, error, rung, mode, mean)
    return values


def posterior_density(m, theta, beta, localization=0.0):
    r"""The normalised Gibbs density :math:`p_\beta(\theta)` at given points.

    Parameters
    ----------
    m : theory.Model
        One to three parameters, numeric data.
    theta : array_like, shape (N, d) or (N,) when d = 1
        Points at which to evaluate.
    beta, localization : float
        As for :func:`bif`.

    Returns
    -------
    ndarray, shape (N,)
        The normaliser is the double-exponential rule of :func:`bif` on a
        fine grid (step 1/16, out to sinh(9) posterior widths).

    Examples
    --------
    >>> import numpy as np
    >>> from theory import zoo
    >>> m = zoo.gaussian_mean([0.0, 0.0])
    >>> p = posterior_density(m, [0.0], beta=np.pi)
    >>> bool(np.isclose(p[0], 1.0))
    True
    """
    beta, gamma = (
        _positive(beta, "beta", strict=True),
        _positive(localization, "localization"),
    )
    theta = np.asarray(theta, dtype=float).reshape(-1, m.d)
    fns = _functions(m, m.params[0])
    theta_star = minimise(m) if gamma > 0 else None
    problem = _Problem(m, fns, beta, gamma, theta_star)
    nodes, logjac, _ = problem.nodes(1 / 16, problem.max_span)
    logw = logjac - problem.neg_log_density(nodes)
    top = logw.max()
    log_z = top + np.log(np.sum(np.exp(logw - top)))
    return np.exp(-problem.neg_log_density(theta) - log_z)


# ------------------------------------------------------------------ mpmath


def _mpmath(m, f, problem, dps):
    """Centred Gibbs covariances by mpmath's tanh-sinh rule at ``dps`` digits."""
    params = list(m.params)
    prior = sp.Integer(0) if m.log_prior is None else m.log_prior
    exprs = [m.loss([1] * m.n), prior, sp.sympify(f), *m.losses]
    fn = sp.lambdify(params, exprs, "mpmath")
    beta, gamma, d = problem.beta, problem.gamma, m.d
    with mpmath.workdps(dps):
        mode = [mpmath.mpf(float(x)) for x in problem.mode]
        centre = problem.theta_star
        base = fn(*mode)

        def values(theta):
            out = fn(*theta)
            phi = beta * (out[0] - base[0]) - (out[1] - base[1])
            if gamma > 0:
                phi += (
                    gamma
                    / 2
                    * sum(
                        (t - c) ** 2 - (t0 - c) ** 2
                        for t, t0, c in zip(theta, mode, centre)
                    )
                )
            return mpmath.exp(-phi), out[2:]

        if problem.box is None:
            T = mpmath.matrix(problem.transform.tolist())
            # Split at the mode and a few widths out in one dimension; in two,
            # every split multiplies the cost, so only the mode is a cut.
            cuts = (
                [-mpmath.inf, -8, -3, 0, 3, 8, mpmath.inf]
                if d == 1
                else [
                    -mpmath.inf,
                    0,
                    mpmath.inf,
                ]
            )

            def point(*y):
                return [
                    mode[j] + sum(T[j, k] * y[k] for k in range(d)) for j in range(d)
                ]

            ranges = [cuts] * d
        else:

            def point(*y):
                return list(y)

            lo, hi = problem.box
            ranges = [[lo[j], mode[j], hi[j]] for j in range(d)]

        def integral(g):
            return mpmath.quad(lambda *y: g(*values(point(*y))), *ranges, error=True)

        Z, _ = integral(lambda w, out: w)
        means = [
            integral(lambda w, out, k=k: w * out[k])[0] / Z for k in range(m.n + 1)
        ]
        results = [
            integral(lambda w, out, i=i: w * (out[0] - means[0]) * (out[i] - means[i]))
            for i in range(1, m.n + 1)
        ]
        values_ = [-beta * v / Z for v, _ in results]
        errors = [beta * e / Z for _, e in results]
    return (
        np.array(values_, dtype=float),
        np.array(errors, dtype=float),
        float(means[0]),
    )


# --------------------------------------------------------------- Gaussian


def _gaussian(m, fns, beta, gamma, theta_star):
    mu, _, Sigma = _gaussian_posterior(m, fns, beta, gamma, theta_star)
    values = -beta * _gaussian_covariances(m, fns, mu, Sigma)
    # E[f] = f(mu) + tr(f'' Sigma) / 2 for an observable of degree <= 2.
    F = np.asarray(fns.hess_f(*mu), dtype=float)
    mean = float(fns.value_grad_f(mu)[0] + 0.5 * np.trace(F @ Sigma))
    return values, 64 * _EPS * np.abs(values), mu, mean


# -------------------------------------------------------------- quadrature


def _quadrature(m, fns, beta, gamma, theta_star, rtol):
    problem = _Problem(m, fns, beta, gamma, theta_star)
    try:
        values, error, shift = gibbs_grid(problem, rtol)
    except ConvergenceError as failure:
        if not problem.flat_directions:
            raise
        # A singular Hessian at the mode: either a degenerate but proper minimum
        # (slow to resolve) or a curve of minima, whose posterior is improper
        # under a flat prior even though Phi rises along every straight line.
        raise ConvergenceError(
            f"{failure} The Hessian of beta L - log pi at the mode "
            f"{np.round(problem.mode, 6).tolist()} "
            f"is singular along {problem.flat_directions} in {list(m.params)}: if "
            "the minima form a curve there (a continuous symmetry, as in the "
            "product model), the posterior is improper without a proper prior "
            "(log_prior), localization > 0 or a support box."
        ) from None
    return values, error, problem.mode, float(problem.f_mode + shift)
