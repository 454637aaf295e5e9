r"""Deterministic quadrature for Gibbs expectations in one to three parameters.

The posterior :math:`p(\theta) \propto e^{-\Phi(\theta)}` with
:math:`\Phi = \beta L - \log\pi + \frac{\gamma}{2}|\theta-\theta^*|^2` is
integrated on a tensor grid of double-exponential rules (Takahasi and Mori,
1974, "Double exponential formulas for numerical integration"):

* on :math:`\mathbb{R}^d`, centred at the mode and whitened by the Cholesky
  factor of :math:`(\nabla^2\Phi)^{-1}` (or by line-searched scales where that
  Hessian is singular), each whitened coordinate is :math:`y = \sinh u`, and
  the trapezoid rule in u converges faster than any power of the step, for
  Gaussian and exponential tails alike;
* on a support box, each axis is split at the mode and mapped by
  :math:`\tanh(\frac{\pi}{2}\sinh u)`, which crowds nodes at the mode, so a
  posterior of width :math:`\beta^{-1/4}` at a degenerate minimum is resolved.

The step is halved until two successive results agree to the tolerance; their
difference is the error estimate. Covariances are taken in centred form,
:math:`\sum_k w_k (\Delta f_k - \overline{\Delta f})(\Delta\ell_k -
\overline{\Delta\ell})` with :math:`\Delta f = f(\theta) - f(\text{mode})`, and
at large :math:`\beta` the potential difference is computed as the line
integral :math:`\int_0^1 \nabla L(\text{mode} + t x)\cdot x\,dt` (8-point
Gauss-Legendre), since :math:`\beta(L(\theta) - L(\text{mode}))` from two
float64 values would carry a rounding error :math:`\beta\epsilon|L|`.
"""

import numpy as np

from theory.errors import ConvergenceError

__all__ = ["gibbs_grid", "tanh_sinh_nodes", "sinh_nodes"]

_GL_T, _GL_W = np.polynomial.legendre.leggauss(8)
_GL_T, _GL_W = (_GL_T + 1) / 2, _GL_W / 2
_TAIL = 45.0  # a boundary node this far below the peak (in log) is negligible
_MAX_POINTS = 3_000_000


def sinh_nodes(U, h):
    """Nodes y = sinh(u) and log weights log(h cosh u), u = -U..U in steps h."""
    u = np.arange(-U, U + h / 2, h)
    return np.sinh(u), np.log(h * np.cosh(u)), np.isclose(np.abs(u), U)


def tanh_sinh_nodes(lo, hi, h, U=3.2):
    """Tanh-sinh nodes on [lo, hi] with log weights; empty if lo == hi."""
    if hi <= lo:
        return np.empty(0), np.empty(0)
    u = np.arange(-U, U + h / 2, h)
    s = np.pi / 2 * np.sinh(u)
    half = (hi - lo) / 2
    # Distance to the nearer end computed directly, to keep nodes near the ends.
    near = half * np.exp(-np.abs(s)) / np.cosh(s)
    x = np.where(s < 0, lo + near, hi - near)
    logw = np.log(half * h * np.pi / 2 * np.cosh(u)) - 2 * (
        np.abs(s) + np.log1p(np.exp(-2 * np.abs(s))) - np.log(2)
    )
    keep = (x > lo) & (x < hi)
    return x[keep], logw[keep]


def gibbs_grid(problem, rtol, h0=0.5, levels=7):
    """Adaptive tensor-grid -beta Cov(f, l_i); returns (values, error, E[f] - f(mode)).

    ``problem`` supplies ``nodes(h, U)`` -> (theta (N, d), logjac (N,), edge (N,)),
    ``neg_log_density(theta)`` -> (N,), ``deltas(theta)`` -> (df (N,), dl (N, n))
    and ``beta``.
    """
    previous, h, U = None, h0, problem.initial_span
    # Until two levels agree or disagree, the achieved error is unknown (inf).
    error, current = np.inf, 1.0
    for _ in range(levels):
        theta, logjac, edge = problem.nodes(h, U)
        if len(theta) > _MAX_POINTS:
            if previous is None:
                raise ConvergenceError(
                    f"rtol: the first grid already has {len(theta)} points, more "
                    f"than {_MAX_POINTS}; the posterior is too wide for the grid. "
                    "Use derivations.bif_series or numerics.sgld_bif."
                )
            break
        logw = logjac - problem.neg_log_density(theta)
        while edge.any() and logw[edge].max() > logw.max() - _TAIL:
            U += 1.0
            if U > problem.max_span:
                raise ConvergenceError(
                    "posterior: the Gibbs density has not decayed at the edge of "
                    f"the grid (y up to sinh({U - 1:g}) posterior widths); it may "
                    "be improper or very heavy-tailed. Add a prior, localization "
                    "or a support box."
                )
            theta, logjac, edge = problem.nodes(h, U)
            logw = logjac - problem.neg_log_density(theta)
        w = np.exp(logw - logw.max())
        w /= w.sum()
        df, dl = problem.deltas(theta)
        mean_f, mean_l = w @ df, w @ dl
        cov = (w * (df - mean_f)) @ (dl - mean_l)
        current = -problem.beta * cov
        if previous is not None:
            error = np.abs(current - previous)
            scale = np.max(np.abs(current))
            if np.all(error <= rtol * scale + 1e-300):
                return current, error, mean_f
        previous, h = current, h / 2
    achieved = np.max(error) / max(np.max(np.abs(current)), 1e-300)
    raise ConvergenceError(
        f"rtol: the quadrature reached a relative error of {achieved:.2e}, not the "
        f"requested {rtol:.1e}, with {len(theta)} points. Loosen rtol, or use "
        "derivations.bif_series at large beta, or numerics.sgld_bif."
    )


def line_integral_delta(total_grad, mode, theta):
    r"""L(theta) - L(mode) as :math:`\int_0^1\nabla L(\text{mode}+tx)\cdot x\,dt`."""
    x = theta - mode
    points = mode + _GL_T[:, None, None] * x[None]
    grads = total_grad(points)
    return np.einsum("k,kNd,Nd->N", _GL_W, grads, x)
