r"""SGLD estimates of the Bayesian influence function, as practitioners compute it.

Stochastic gradient Langevin dynamics (Welling and Teh, 2011, "Bayesian
learning via stochastic gradient Langevin dynamics") on the localised Gibbs
posterior :math:`p \propto e^{-\Phi}`,

.. math::

    \Phi(\theta) = \beta \hat L(\theta) - \log\pi(\theta)
        + \frac{\gamma}{2}|\theta - \theta^*|^2, \qquad
    \theta_{k+1} = \theta_k - \frac{\epsilon}{2}\nabla\Phi(\theta_k)
        + \sqrt{\epsilon}\,\xi_k, \quad \xi_k \sim N(0, I),

where :math:`\hat L = \frac{n}{B}\sum_{j \in \text{batch}} \ell_j + R` is the
minibatch estimate of the sum loss (the full loss when ``batch_size`` is
None: the unadjusted Langevin algorithm, ULA). The BIF is estimated from the
kept samples as :math:`-\beta\,\widehat{\mathrm{Cov}}(f, \ell_i)`.

The chain is biased by its step. For a Gaussian target :math:`N(\mu, P^{-1})`
and the full gradient, the update is linear,
:math:`\theta_{k+1} - \mu = A(\theta_k - \mu) + \sqrt{\epsilon}\xi_k` with
:math:`A = I - \frac{\epsilon}{2}P`; the stationary law is Gaussian with mean
:math:`\mu` and the covariance :math:`C` solving :math:`C = A C A^\top +
\epsilon I`. :math:`A` and :math:`P` commute, so in the eigenbasis of
:math:`P` each eigenvalue :math:`p` gives
:math:`c = \epsilon / (1 - (1 - \epsilon p/2)^2) = 1/(p\,(1 - \epsilon p/4))`:

.. math::

    C = P^{-1}\Big(I - \frac{\epsilon}{4}P\Big)^{-1},
    \qquad \text{stable for } \epsilon < 4/p_{\max} .

That law gives the chain's exact stationary BIF, and its gap to the exact
BIF is the discretisation bias reported with the estimate.
"""

from dataclasses import dataclass

import numpy as np

from .bif import bif as exact_bif
from .compiled import compiled
from .gibbs import (
    _functions,
    _gaussian_covariances,
    _gaussian_posterior,
    _positive,
    _prior_parts,
)
from .minimise import minimise

__all__ = ["SGLDResult", "sgld_bif", "ula_stationary_covariance"]


@dataclass(frozen=True)
class SGLDResult:
    """An SGLD estimate of the BIF (sandbox derivative form), shapes (n,).

    ``values`` is the mean of the per-chain estimates ``chain_values`` (chains,
    n) and ``stderr`` their between-chain standard error. For a Gaussian
    target with the full gradient, ``stationary`` is the BIF under the chain's
    exact stationary law and ``bias = stationary - exact``; otherwise both are
    None.
    """

    values: np.ndarray
    stderr: np.ndarray
    chain_values: np.ndarray
    exact: np.ndarray | None
    stationary: np.ndarray | None
    bias: np.ndarray | None
    samples: int


def ula_stationary_covariance(P, step):
    r"""Stationary covariance :math:`P^{-1}(I - \frac{\epsilon}{4}P)^{-1}` of ULA.

    Parameters
    ----------
    P : ndarray, shape (d, d)
        Precision of the Gaussian target (symmetric positive definite).
    step : float
        Step size :math:`\epsilon`, below :math:`4/p_{\max}`.

    Examples
    --------
    >>> import numpy as np
    >>> ula_stationary_covariance(np.array([[2.0]]), 0.5)
    array([[0.66666667]])
    """
    P = np.asarray(P, dtype=float)
    eigvals, eigvecs = np.linalg.eigh(P)
    _check_step(step, eigvals[-1])
    c = 1 / (eigvals * (1 - step * eigvals / 4))
    return (eigvecs * c) @ eigvecs.T


def sgld_bif(
    m,
    f,
    beta,
    localization=0.0,
    step=None,
    steps=20_000,
    burn_in=2_000,
    thin=1,
    chains=8,
    seed=0,
    batch_size=None,
    init=None,
):
    r"""SGLD estimate of :math:`-\beta\,\mathrm{Cov}(f, \ell_i)` and its standard error.

    Parameters
    ----------
    m : theory.Model
        Numeric data; ``m.log_prior`` enters untempered.
    f : sympy.Expr
        The observable, in ``m.params``.
    beta : float
        Inverse temperature of the sum loss (the sandbox convention).
    localization : float, optional
        :math:`\gamma \ge 0`, centred at the minimiser :math:`\theta^*`.
    step : float, optional
        Step size :math:`\epsilon`; by default a tenth of :math:`1/p_{\max}`,
        the largest curvature of :math:`\Phi` at the start.
    steps, burn_in, thin : int, optional
        Steps per chain, steps dropped at the start, keep every ``thin``-th.
    chains : int, optional
        Independent chains, at least 2 (the standard error is between chains).
    seed : int, optional
        Chain c draws from ``np.random.default_rng(seeds[c])``, with the seeds
        spawned from ``np.random.SeedSequence(seed)``; no global state.
    batch_size : int, optional
        Examples per minibatch, drawn without replacement at every step;
        None uses the full gradient.
    init : array_like, shape (d,), optional
        Start of every chain; the minimiser by default.

    Returns
    -------
    SGLDResult

    Raises
    ------
    ValueError
        A step at or above the stability bound :math:`4/p_{\max}`, too few
        chains or samples, or a bad batch size.

    Notes
    -----
    Convention: the sandbox derivative form. Samplers that report
    :math:`-\widehat{\mathrm{Cov}}` (or run at :math:`n\beta` on the mean
    loss) are converted with ``theory.conventions.convert(..., "bif-covariance",
    beta=beta)`` or ``"bif-covariance-mean"`` and
    ``theory.conventions.convert_beta``; the estimator is not redefined.
    The standard error is between chains (the spread of the per-chain
    estimates over :math:`\sqrt{\text{chains}}`), valid when each chain is long
    against its autocorrelation time. The bias from the step is exact only for
    a Gaussian target and the full gradient; minibatch noise adds more.

    Examples
    --------
    >>> from theory import zoo
    >>> m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)
    >>> r = sgld_bif(m, m.params[0], 1.0, step=0.05, steps=4000, burn_in=500)
    >>> bool(abs(r.values - r.exact - r.bias).max() < 4 * r.stderr.max())
    True
    """
    beta = _positive(beta, "beta", strict=True)
    gamma = _positive(localization, "localization")
    _check_counts(m, steps, burn_in, thin, chains, batch_size)
    fns = _functions(m, f)
    c = compiled(m)
    theta_star = minimise(m) if (gamma > 0 or init is None) else None
    start = np.asarray(theta_star if init is None else init, dtype=float)

    # The step, checked against the curvature of Phi where the chains start.
    _, _, H = c.total(start)[:3]
    _, _, prior_hess = _prior_parts(fns, start)
    P0 = beta * H - prior_hess + gamma * np.eye(m.d)
    p_max = np.linalg.eigvalsh(P0)[-1]
    step = 0.1 / p_max if step is None else float(step)
    _check_step(step, p_max)

    samples = _run(
        m, fns, c, beta, gamma, theta_star, start, step, steps, seed, chains, batch_size
    )
    kept = samples[:, burn_in::thin]
    chain_values = -beta * _covariances(m, fns, c, kept)
    values = chain_values.mean(0)
    stderr = chain_values.std(0, ddof=1) / np.sqrt(chains)

    exact = stationary = bias = None
    if fns.gaussian:
        exact = exact_bif(m, f, beta, localization=gamma)
        if batch_size is None:
            mu, P, _ = _gaussian_posterior(m, fns, beta, gamma, theta_star)
            C = ula_stationary_covariance(P, step)
            stationary = -beta * _gaussian_covariances(m, fns, mu, C)
            bias = stationary - exact
    return SGLDResult(
        values, stderr, chain_values, exact, stationary, bias, kept.shape[1]
    )


def _run(
    m, fns, c, beta, gamma, theta_star, start, step, steps, seed, chains, batch_size
):
    """All chains advanced together, shape (chains, steps, d)."""
    rngs = [
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(chains)
    ]
    theta = np.repeat(start[None], chains, 0)
    out = np.empty((chains, steps, m.d))
    block = 1000
    for k0 in range(0, steps, block):
        size = min(block, steps - k0)
        noise = np.stack([r.standard_normal((size, m.d)) for r in rngs], 1)
        if batch_size is not None:
            scores = np.stack([r.random((size, m.n)) for r in rngs], 1)
            chosen = np.argsort(scores, -1)[..., :batch_size]
        for k in range(size):
            weights = None
            if batch_size is not None:
                weights = np.zeros((chains, m.n))
                np.put_along_axis(weights, chosen[k], m.n / batch_size, -1)
            grad = beta * c.total(theta, weights)[1] - _prior_parts(fns, theta)[1]
            if gamma > 0:
                grad = grad + gamma * (theta - theta_star)
            theta = theta - step / 2 * grad + np.sqrt(step) * noise[k]
            out[:, k0 + k] = theta
    return out


def _covariances(m, fns, c, kept):
    """Per-chain sample covariances Cov(f, l_i), shape (chains, n)."""
    f_values = fns.value_grad_f(kept)[0]
    l_values = c.values(kept)
    df = f_values - f_values.mean(1, keepdims=True)
    dl = l_values - l_values.mean(1, keepdims=True)
    return np.einsum("cs,csn->cn", df, dl) / (kept.shape[1] - 1)


def _check_step(step, p_max):
    if not (np.isfinite(step) and 0 < step < 4 / p_max):
        raise ValueError(
            f"step: the Langevin chain is stable only for 0 < step < 4 / p_max = "
            f"{4 / p_max:.6g} (p_max = {p_max:.6g}, the largest curvature of beta L "
            f"- log pi + gamma |theta - theta*|^2 / 2), got {step}; take a smaller "
            "step (the default is 0.1 / p_max)."
        )


def _check_counts(m, steps, burn_in, thin, chains, batch_size):
    if not (isinstance(chains, int) and chains >= 2):
        raise ValueError(
            f"chains: need an integer >= 2 for a between-chain standard error, "
            f"got {chains!r}."
        )
    if not (isinstance(thin, int) and thin >= 1):
        raise ValueError(f"thin: need an integer >= 1, got {thin!r}.")
    if not (isinstance(steps, int) and isinstance(burn_in, int)) or (
        burn_in < 0 or (steps - burn_in) // thin < 2
    ):
        raise ValueError(
            f"steps, burn_in: need integers with at least two kept samples per "
            f"chain, got steps={steps!r}, burn_in={burn_in!r}, thin={thin!r}; "
            "lengthen the chain or shorten the burn-in."
        )
    if batch_size is not None and not (
        isinstance(batch_size, int) and 1 <= batch_size <= m.n
    ):
        raise ValueError(
            f"batch_size: need an integer from 1 to n = {m.n}, got {batch_size!r}; "
            "None uses the full gradient."
        )
