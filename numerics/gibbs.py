r"""The Gibbs posterior of a model in float64: its potential, prior and integrand.

The compiled pieces that :func:`numerics.bif` and :func:`numerics.sgld_bif`
share: the observable and the log-prior with their derivatives, the Gaussian
posterior of a quadratic model (completing the square, covariances by Stein's
lemma), and the integrand of one model at one temperature that
:func:`numerics.quadrature.gibbs_grid` integrates, centred and scaled at the
mode, with :math:`\beta(L - L_{\text{mode}})` as a line integral where two
float64 values would cancel.
"""

from dataclasses import dataclass

import numpy as np
import sympy as sp

from derivations.bif import ImproperPosteriorError, _degree
from theory.errors import ConvergenceError

from .compiled import compiled, observable
from .minimise import minimise
from .quadrature import (
    line_integral_delta,
    sinh_nodes,
    tanh_sinh_nodes,
)

_EPS = np.finfo(float).eps


@dataclass
class _Functions:
    value_grad_f: object
    hess_f: object
    log_prior: object
    gaussian: bool
    reg: object
    flat_prior: bool


def _functions(m, f):
    key = ("bif functions", sp.sympify(f))
    if key not in m._cache:
        params = list(m.params)
        f = sp.sympify(f)
        prior = sp.Integer(0) if m.log_prior is None else m.log_prior
        if prior.free_symbols - set(params):
            raise ValueError(
                f"m: the log-prior has symbols {sorted(map(str, prior.free_symbols))}"
                "; numerics need numbers, substitute them with m.subs({...})."
            )
        grad = [sp.diff(prior, p) for p in params]
        hess = [[sp.diff(g, p) for p in params] for g in grad]
        prior_fn = sp.lambdify(params, [prior, grad, hess], "numpy", cse=True)
        hess_f = sp.lambdify(params, sp.hessian(f, params), "numpy")
        unbounded = m.support is None or all(
            lo == -sp.oo and hi == sp.oo for lo, hi in m.support
        )
        gaussian = (
            unbounded
            and m.is_quadratic()
            and _degree(prior, params) <= 2
            and _degree(f, params) <= 2
        )
        m._cache[key] = _Functions(
            observable(m, f),
            hess_f,
            prior_fn,
            gaussian,
            sp.lambdify(params, m.regularizer, "numpy"),
            m.log_prior is None,
        )
    return m._cache[key]


def _prior_parts(fns, theta):
    """log pi, its gradient and Hessian at points theta (..., d)."""
    batch, d = theta.shape[:-1], theta.shape[-1]
    if fns.flat_prior:
        return np.zeros(batch), np.zeros(batch + (d,)), np.zeros(batch + (d, d))
    value, grad, hess = fns.log_prior(*np.moveaxis(theta, -1, 0))
    value = np.broadcast_to(np.asarray(value, float), batch)
    grad = np.stack([np.broadcast_to(np.asarray(g, float), batch) for g in grad], -1)
    hess = np.stack(
        [
            np.stack([np.broadcast_to(np.asarray(e, float), batch) for e in row], -1)
            for row in hess
        ],
        -2,
    )
    return value, grad, hess


def _gaussian_posterior(m, fns, beta, gamma, theta_star):
    """Mean, precision and covariance of the Gaussian posterior (completed square)."""
    c = compiled(m)
    zero = np.zeros(m.d)
    _, grad0, H = c.total(zero)[:3]
    _, prior_grad0, prior_hess = _prior_parts(fns, zero)
    P = beta * H - prior_hess + gamma * np.eye(m.d)
    rhs = -beta * grad0 + prior_grad0
    if gamma > 0:
        rhs = rhs + gamma * theta_star
    Sigma = _covariance(m, P)
    return Sigma @ rhs, P, Sigma


def _gaussian_covariances(m, fns, mu, Sigma):
    """Cov(f, l_i) under N(mu, Sigma) for quadratic f and l_i, by Stein's lemma."""
    _, grad_f = fns.value_grad_f(mu)
    F = np.asarray(fns.hess_f(*mu), dtype=float)
    _, G, Hs = compiled(m).per_example(mu)
    left = Sigma @ grad_f
    middle = Sigma @ F @ Sigma
    return G @ left + 0.5 * np.einsum("njk,kj->n", Hs, middle)


def _covariance(m, P):
    eigvals, eigvecs = np.linalg.eigh(P)
    if eigvals[0] <= 1e-12 * max(abs(eigvals[-1]), 1e-300):
        flat = [
            tuple(np.round(eigvecs[:, k], 6).tolist())
            for k in range(m.d)
            if eigvals[k] <= 1e-12 * abs(eigvals[-1])
        ]
        raise ImproperPosteriorError(
            f"posterior: the Gibbs density is not normalisable; the precision "
            f"beta H - grad^2 log pi + gamma I has eigenvalues {eigvals}, flat "
            f"direction(s) {flat} in {list(m.params)}. Ways out: a proper prior "
            "(log_prior), localization > 0, or a bounded support box."
        )
    return (eigvecs / eigvals) @ eigvecs.T


class _Problem:
    """The Gibbs integrand of one model at one temperature, for gibbs_grid."""

    def __init__(self, m, fns, beta, gamma, theta_star):
        self.m, self.fns, self.beta, self.gamma = m, fns, beta, gamma
        self.theta_star = theta_star
        self.c = compiled(m)
        self.box = _box(m)
        self.mode = self._mode()
        self.phi_mode = self._phi(self.mode[None])[0]
        self.f_mode = fns.value_grad_f(self.mode)[0]
        self.l_mode = self.c.values(self.mode)
        self.flat_directions = []
        scale = np.sum(np.abs(self.l_mode)) + abs(float(fns.reg(*self.mode)))
        self.line_integral = beta * _EPS * max(scale, 1.0) > 1e-13
        if self.box is None:
            self.transform = self._whitening()
        self.initial_span, self.max_span = 3.0, 9.0

    # potential --------------------------------------------------------
    def _phi(self, theta):
        L = self.c.loss(theta)
        log_prior = _prior_parts(self.fns, theta)[0]
        out = self.beta * L - log_prior
        if self.gamma > 0:
            out = out + self.gamma / 2 * np.sum((theta - self.theta_star) ** 2, -1)
        return out

    def _phi_derivatives(self, theta):
        _, grad, H = self.c.total(theta)[:3]
        _, pg, ph = _prior_parts(self.fns, theta)
        g = self.beta * grad - pg
        P = self.beta * H - ph
        if self.gamma > 0:
            g = g + self.gamma * (theta - self.theta_star)
            P = P + self.gamma * np.eye(self.m.d)
        return g, P

    def neg_log_density(self, theta):
        if not self.line_integral:
            return self._phi(theta) - self.phi_mode
        delta_L = line_integral_delta(lambda t: self.c.total(t)[1], self.mode, theta)
        log_prior = (
            _prior_parts(self.fns, theta)[0]
            - _prior_parts(self.fns, self.mode[None])[0]
        )
        out = self.beta * delta_L - log_prior
        if self.gamma > 0:
            r = np.sum((theta - self.theta_star) ** 2, -1)
            r0 = np.sum((self.mode - self.theta_star) ** 2)
            out = out + self.gamma / 2 * (r - r0)
        return out

    def deltas(self, theta):
        df = self.fns.value_grad_f(theta)[0] - self.f_mode
        dl = self.c.values(theta) - self.l_mode
        return df, dl

    # mode and scales --------------------------------------------------
    def _mode(self):
        d = self.m.d
        if self.box is not None:
            lo, hi = self.box
            theta = np.where(np.isfinite(lo + hi), (lo + hi) / 2, np.clip(0, lo, hi))
        else:
            try:
                # The minimiser warm-starts every temperature of a sweep.
                if "bif start" not in self.m._cache:
                    self.m._cache["bif start"] = minimise(self.m)
                theta = self.m._cache["bif start"].copy()
            except (ConvergenceError, ArithmeticError):
                theta = np.zeros(d)
        for _ in range(200):
            g, P = self._phi_derivatives(theta)
            eigvals, eigvecs = np.linalg.eigh(P)
            floor = 1e-8 * max(abs(eigvals[-1]), 1.0)
            step = -eigvecs @ ((eigvecs.T @ g) / np.maximum(eigvals, floor))
            t, phi0 = 1.0, self._phi(theta[None])[0]
            while t > 1e-10:
                trial = theta + t * step
                if self.box is not None:
                    trial = np.clip(trial, *self.box)
                if self._phi(trial[None])[0] <= phi0 + 1e-14 * abs(phi0):
                    break
                t /= 2
            moved = np.linalg.norm(trial - theta)
            theta = trial
            if moved <= 1e-14 * max(1.0, np.linalg.norm(theta)):
                break
        return theta

    def _whitening(self):
        _, P = self._phi_derivatives(self.mode)
        eigvals, eigvecs = np.linalg.eigh(P)
        top = max(abs(eigvals[-1]), 1e-300)
        if eigvals[0] > 1e-8 * top:
            return np.linalg.cholesky(np.linalg.inv(P))
        # Degenerate mode: scale each eigendirection to where Phi rises by 1.
        self.flat_directions = [
            tuple(np.round(eigvecs[:, k], 6).tolist())
            for k in range(self.m.d)
            if eigvals[k] <= 1e-8 * top
        ]
        scales = [self._rise(eigvecs[:, k]) for k in range(self.m.d)]
        return eigvecs * np.array(scales)

    def _rise(self, v):
        for s in np.logspace(-6, 8, 57):
            up = self._phi(np.stack([self.mode + s * v, self.mode - s * v]))
            if np.all(up - self.phi_mode >= 1.0):
                return s
        raise ImproperPosteriorError(
            f"posterior: the Gibbs density is not normalisable; -log p grows by "
            f"less than 1 over a distance 1e8 along the flat direction "
            f"{tuple(np.round(v, 6).tolist())} in {list(self.m.params)} (a flat "
            "direction with a flat prior and no support). Ways out: a proper prior "
            "(log_prior), localization > 0, or a support box."
        )

    def nodes(self, h, U):
        d = self.m.d
        if self.box is None:
            y, logw, edge = sinh_nodes(U, h)
            grids = np.meshgrid(*([y] * d), indexing="ij")
            Y = np.stack([g.ravel() for g in grids], -1)
            lw = sum(g.ravel() for g in np.meshgrid(*([logw] * d), indexing="ij"))
            E = np.any(
                np.stack(
                    [g.ravel() for g in np.meshgrid(*([edge] * d), indexing="ij")]
                ),
                0,
            )
            logdet = np.log(abs(np.linalg.det(self.transform)))
            return self.mode + Y @ self.transform.T, lw + logdet, E
        axes, logs = [], []
        for k in range(d):
            lo, hi, c = self.box[0][k], self.box[1][k], self.mode[k]
            xa, wa = tanh_sinh_nodes(lo, c, h)
            xb, wb = tanh_sinh_nodes(c, hi, h)
            axes.append(np.r_[xa, xb])
            logs.append(np.r_[wa, wb])
        grids = np.meshgrid(*axes, indexing="ij")
        theta = np.stack([g.ravel() for g in grids], -1)
        lw = sum(g.ravel() for g in np.meshgrid(*logs, indexing="ij"))
        return theta, lw, np.zeros(len(lw), dtype=bool)


def _box(m):
    if m.support is None:
        return None
    lo = np.array([float(a) for a, _ in m.support])
    hi = np.array([float(b) for _, b in m.support])
    if np.all(np.isinf(lo)) and np.all(np.isinf(hi)):
        return None
    if not np.all(np.isfinite(lo) & np.isfinite(hi)):
        raise NotImplementedError(
            f"m.support: numerics.bif integrates over a bounded box or all of R^d, "
            f"got {m.support}; bound every interval (the posterior mass beyond a "
            "large bound is negligible)."
        )
    return lo, hi


def _positive(value, name, strict=False):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}: numerics need a number, got {value!r}; for a symbol use "
            "derivations.bif."
        ) from None
    if not np.isfinite(value) or value < 0 or (strict and value == 0):
        need = "> 0" if strict else ">= 0"
        raise ValueError(
            f"{name}: need a finite value {need}, got {value}; "
            + ("beta is the inverse temperature." if strict else "0 turns it off.")
        )
    return value
