r"""Gauss-Newton curvature and the proximal Bregman response function in float64.

The float64 twins of :mod:`derivations.gauss_newton`, and the exact response
that the linearised PBRF influence approximates: the minimiser of the proximal
Bregman objective (Bae, Ng, Lo, Ghassemi and Grosse, 2022),

.. math::

    \theta(\epsilon) = \arg\min_\theta\; c\Big[\sum_j D_{\phi_j}\big(f(\theta;
        x_j), f(\theta^s; x_j)\big) + D_R(\theta, \theta^s)\Big]
        + \epsilon\,\ell_i(\theta) + \frac{\lambda}{2}|\theta - \theta^s|^2 ,

found by Newton's method from :math:`\theta^s`, so that finite differences in
:math:`\epsilon` check :math:`d f/d\epsilon = -\nabla f^\top (cG + \lambda
I)^{-1}\nabla\ell_i` independently.
"""

import numbers

import numpy as np
import sympy as sp

from derivations.gauss_newton import (
    gauss_newton_hessian as _gauss_newton_expr,
)
from derivations.gauss_newton import (
    pbrf_objective,
)
from theory.errors import ConvergenceError

from .influence import SINGULAR_RTOL
from .minimise import minimise

__all__ = ["gauss_newton_hessian", "pbrf_influence", "pbrf_response"]

_NORMALIZATIONS = ("sum", "mean")


def gauss_newton_hessian(om, theta):
    r"""The Gauss-Newton Hessian :math:`G` at ``theta`` in float64, shape (d, d).

    Parameters
    ----------
    om : derivations.gauss_newton.OutputModel
        Numeric data only.
    theta : array_like, shape (d,)
    """
    theta = _theta(om, theta)
    key = ("gauss-newton",)
    fn = _cached(om, key, lambda: _lambdify(om, _gauss_newton_expr(om, om.params)))
    return np.asarray(fn(*theta), dtype=float)


def pbrf_influence(om, f, damping=0.0, at=None, normalization="sum"):
    r"""The linearised PBRF influence of each example, in float64.

    .. math::

        -\nabla f^\top (c\,G + \lambda I)^{-1}\nabla\ell_i

    Parameters
    ----------
    om : derivations.gauss_newton.OutputModel
    f : sympy.Expr
        The observable.
    damping : float, optional
        :math:`\lambda \ge 0`.
    at : array_like, shape (d,), optional
        The point :math:`\theta^s` (need not be stationary); the float64
        minimiser of L (:func:`numerics.minimise`) if omitted.
    normalization : {"sum", "mean"}
        c = 1 or 1/n, as in :func:`derivations.pbrf_influence`.

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ValueError
        An unknown normalisation, a bad damping or point, or
        :math:`cG + \lambda I` singular to working precision.

    Examples
    --------
    >>> import sympy as sp
    >>> from derivations.gauss_newton import OutputModel
    >>> from numerics.gauss_newton import pbrf_influence
    >>> w, y = sp.symbols("w y")
    >>> om = OutputModel([w], [w, 2 * w], [(1 - y) ** 2 / 2, (1 - y) ** 2 / 2], y)
    >>> pbrf_influence(om, w, at=[0.6])
    array([ 0.08, -0.08])
    """
    theta = _anchor(om, at)
    c = _factor(om, normalization)
    damping = _damping(damping)
    G = c * gauss_newton_hessian(om, theta) + damping * np.eye(len(om.params))
    eigvals = np.linalg.eigvalsh(G)
    if eigvals[0] <= SINGULAR_RTOL * max(abs(eigvals[-1]), np.finfo(float).tiny):
        raise ValueError(
            f"damping: c G + lambda I is singular at {theta} with lambda = "
            f"{damping} (eigenvalues {eigvals}); pass a positive damping."
        )
    grads = np.asarray(_loss_gradients(om)(*theta), dtype=float).reshape(om.n, -1)
    grad_f = np.asarray(_observable_gradient(om, f)(*theta), dtype=float).ravel()
    return -(grads @ np.linalg.solve(G, grad_f))


def pbrf_response(
    om, f, i, epsilons, damping=0.0, at=None, normalization="sum", rtol=1e-14
):
    r"""The observable at the exact PBRF minimiser, :math:`f(\theta(\epsilon))`.

    Parameters
    ----------
    om : derivations.gauss_newton.OutputModel
    f : sympy.Expr
    i : int
        The example whose loss is added with weight :math:`\epsilon`.
    epsilons : array_like, shape (k,)
        Weights of the added loss :math:`\epsilon\,\ell_i`.
    damping : float, optional
        :math:`\lambda \ge 0`.
    at : array_like, shape (d,), optional
        :math:`\theta^s`; the float64 minimiser of L if omitted.
    normalization : {"sum", "mean"}
    rtol : float, optional
        Newton stops at a relative step below this.

    Returns
    -------
    ndarray, shape (k,)

    Raises
    ------
    ConvergenceError
        Newton's method did not reach ``rtol`` in 50 iterations.
    """
    theta_s = _anchor(om, at)
    _factor(om, normalization)
    _observable_gradient(om, f)
    if not isinstance(i, numbers.Integral) or not 0 <= i < om.n:
        raise ValueError(
            f"i: need an example index in range({om.n}), got {i!r}; the example "
            "whose loss is added with weight epsilon."
        )
    eps = sp.Dummy("epsilon")
    key = ("pbrf", i, float(damping), normalization, tuple(theta_s))

    def build():
        at = dict(zip(om.params, (sp.Float(t, 30) for t in theta_s)))
        J = pbrf_objective(om, i, eps, _damping(damping), at, normalization)
        grad = [sp.diff(J, p) for p in om.params]
        hess = [[sp.diff(g, p) for p in om.params] for g in grad]
        return sp.lambdify([*om.params, eps], [grad, hess], "numpy")

    step_fn = _cached(om, key, build)
    value_fn = sp.lambdify(om.params, sp.sympify(f), "numpy")
    out = []
    for e in np.atleast_1d(np.asarray(epsilons, dtype=float)):
        theta = theta_s.copy()
        for _ in range(50):
            grad, hess = step_fn(*theta, e)
            step = np.linalg.solve(np.asarray(hess, float), np.asarray(grad, float))
            theta = theta - step
            if np.linalg.norm(step) <= rtol * max(1.0, np.linalg.norm(theta)):
                break
        else:
            raise ConvergenceError(
                f"pbrf_response: Newton's method did not converge for epsilon = {e}; "
                "use a smaller epsilon or a larger damping."
            )
        out.append(float(value_fn(*theta)))
    return np.array(out)


def _cached(om, key, build):
    """Compiled functions live on the output model, like a Model's cache."""
    if key not in om._cache:
        om._cache[key] = build()
    return om._cache[key]


def _lambdify(om, expr):
    return sp.lambdify(om.params, expr, "numpy")


def _loss_gradients(om):
    def build():
        losses = om.model().losses
        return _lambdify(om, [[sp.diff(loss, p) for p in om.params] for loss in losses])

    return _cached(om, ("loss-gradients",), build)


def _observable_gradient(om, f):
    f = sp.sympify(f)
    stray = f.free_symbols - set(om.params)
    if stray:
        raise ValueError(
            f"f: numerics need an expression in the parameters only, got the "
            f"symbols {sorted(map(str, stray))}; substitute numbers first."
        )
    return _cached(
        om, ("observable", f), lambda: _lambdify(om, [sp.diff(f, p) for p in om.params])
    )


def _anchor(om, at):
    if at is None:
        return minimise(om.model())
    return _theta(om, at, "at")


def _theta(om, theta, name="theta"):
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (len(om.params),):
        raise ValueError(
            f"{name}: need shape (d,) = ({len(om.params)},), got {theta.shape}; "
            "one value per parameter."
        )
    return theta


def _factor(om, normalization):
    if normalization not in _NORMALIZATIONS:
        raise ValueError(
            f"normalization: need one of {_NORMALIZATIONS}, got {normalization!r}."
        )
    return 1.0 if normalization == "sum" else 1.0 / om.n


def _damping(damping):
    damping = float(damping)
    if not np.isfinite(damping) or damping < 0:
        raise ValueError(f"damping: need a finite lambda >= 0, got {damping}.")
    return damping
