r"""Influence functions in float64, vectorised over the examples.

.. math::

    \mathcal{I}_i = -\nabla f(\theta^*)^\top (H + \lambda I)^{-1}\nabla\ell_i(\theta^*)

(Koh and Liang, 2017, upweighting sign). One Hessian factorisation serves all
n examples: the per-example gradients form an (n, d) matrix and the solve is
a single call with n right-hand sides.
"""

import numpy as np

from theory.errors import SingularHessianError, singular_hessian_message

from .compiled import compiled, observable
from .minimise import minimise

__all__ = [
    "damping_limits",
    "damping_path",
    "influence",
    "hessian_at",
    "stationary_point",
]

# An eigenvalue below this fraction of the largest counts as zero: the Hessian
# is then singular to working precision and H^{-1} would be rounding noise.
SINGULAR_RTOL = 1e-10


def influence(m, f, damping=0.0, at=None, pseudo_inverse=False, direction=None):
    r"""Influence of each example on the observable f at b = 1, in float64.

    Parameters
    ----------
    m : theory.Model
        A model with numeric data (no symbolic constants).
    f : sympy.Expr
        The observable, an expression in ``m.params``.
    damping : float, optional
        :math:`\lambda \ge 0`.
    at : array_like, shape (d,), optional
        The minimiser to use (checked to be stationary); found by Newton's
        method if omitted.
    pseudo_inverse : bool, optional
        Use the Moore-Penrose inverse of H (requires ``damping=0``).
    direction : array_like, shape (n,), optional
        A perturbation direction h; returns :math:`\sum_i h_i\mathcal{I}_i`.

    Returns
    -------
    ndarray, shape (n,), or float with ``direction``

    Raises
    ------
    SingularHessianError
        H has an eigenvalue below ``SINGULAR_RTOL`` times its largest and
        neither damping nor the pseudo-inverse was asked for.
    ValueError
        Symbolic constants in the model or in f; bad damping, direction or at.

    Notes
    -----
    The float64 twin of :func:`derivations.influence`; the two agree to about
    1e-10 relative on well-conditioned problems.

    Examples
    --------
    >>> from theory import zoo
    >>> import numerics
    >>> m = zoo.gaussian_mean([1, 2, 6])
    >>> numerics.influence(m, m.params[0])
    array([-0.66666667, -0.33333333,  1.        ])
    """
    damping = _check_damping(damping, pseudo_inverse)
    h = _check_direction(direction, m.n)
    value_and_grad = observable(m, f)

    if at is None:
        theta = minimise(m)
        _, _, H, G = compiled(m).total(theta, with_example_grads=True)
    else:
        theta = _point(m, at)
        _, grad, H, G, scale = compiled(m).total(
            theta, with_example_grads=True, with_scale=True
        )
        _check_stationary(theta, grad, scale, H)
    _, grad_f = value_and_grad(theta)
    # H is symmetric, so one solve with grad f serves all n examples.
    v = _solve(m, H + damping * np.eye(m.d), grad_f, pseudo_inverse, damping)
    values = -(G @ v)

    return float(h @ values) if h is not None else values


def damping_limits(m, f, at=None):
    r"""The damped influence's behaviour at both ends of :math:`\lambda`, in float64.

    In the eigenbasis :math:`H = \sum_k \sigma_k u_k u_k^\top`,

    .. math::

        \mathcal{I}_i(\lambda) = -\sum_k
            \frac{(\nabla f\cdot u_k)(u_k\cdot\nabla\ell_i)}{\sigma_k + \lambda},

    so as :math:`\lambda \to 0` it is ``pole / lambda + finite + O(lambda)``,
    the pole collecting the flat directions (:math:`\sigma_k = 0`) and the
    finite part being the pseudo-inverse influence; as :math:`\lambda \to
    \infty` it is ``infinity / lambda + O(1/lambda^2)`` with
    :math:`-\nabla f\cdot\nabla\ell_i` as coefficient.

    Parameters
    ----------
    m : theory.Model
    f : sympy.Expr
    at : array_like, shape (d,), optional
        A stationary point; the minimiser if omitted.

    Returns
    -------
    dict of str to ndarray, shape (n,) each
        ``"pole"``, ``"finite"`` and ``"infinity"``.

    Notes
    -----
    The float64 twin of :func:`derivations.product.small_damping_terms`
    (which works for any model). An eigenvalue below ``SINGULAR_RTOL`` times
    the largest counts as a flat direction.

    Examples
    --------
    >>> from theory import zoo
    >>> m = zoo.gaussian_mean([1, 2, 6])
    >>> from numerics.influence import damping_limits
    >>> damping_limits(m, m.params[0])["infinity"]
    array([-2., -1.,  3.])
    """
    theta = stationary_point(m, at)
    _, _, H, G = compiled(m).total(theta, with_example_grads=True)
    _, grad_f = observable(m, f)(theta)

    eigvals, eigvecs = np.linalg.eigh(H)
    flat = np.abs(eigvals) <= SINGULAR_RTOL * max(abs(eigvals).max(), 1e-300)
    along_f = eigvecs.T @ grad_f  # (d,)
    along_l = G @ eigvecs  # (n, d)
    terms = along_l * along_f  # (n, d): (grad f . u_k)(u_k . grad l_i)
    inverse = np.where(flat, 0.0, 1.0 / np.where(flat, 1.0, eigvals))
    return {
        "pole": -terms[:, flat].sum(axis=1),
        "finite": -(terms * inverse).sum(axis=1),
        "infinity": -(G @ grad_f),
    }


def damping_path(m, f, dampings, at=None):
    r"""The damped influence for many dampings at once, shape (k, n).

    One eigendecomposition :math:`H = U \operatorname{diag}(\sigma) U^\top`
    serves every :math:`\lambda`:
    :math:`\mathcal{I}(\lambda) = -G\,U \operatorname{diag}(1/(\sigma +
    \lambda))\,U^\top\nabla f`, with G the (n, d) per-example gradients.

    Parameters
    ----------
    m : theory.Model
    f : sympy.Expr
    dampings : array_like, shape (k,)
        Values of :math:`\lambda \ge 0`.
    at : array_like, shape (d,), optional
        A stationary point; the minimiser if omitted.

    Returns
    -------
    ndarray, shape (k, n)
        Row j is ``influence(m, f, damping=dampings[j], at=at)``.

    Raises
    ------
    SingularHessianError
        A damping of zero where H has a flat direction.
    ValueError
        A negative or non-finite damping; ``at`` not stationary.

    Examples
    --------
    >>> from theory import zoo
    >>> from numerics.influence import damping_path
    >>> m = zoo.gaussian_mean([1, 2, 6])
    >>> damping_path(m, m.params[0], [0.0, 1.0])
    array([[-0.66666667, -0.33333333,  1.        ],
           [-0.5       , -0.25      ,  0.75      ]])
    """
    lambdas = np.atleast_1d(np.asarray(dampings, dtype=float))
    if lambdas.ndim != 1 or not np.all(np.isfinite(lambdas)) or np.any(lambdas < 0):
        raise ValueError(
            f"dampings: need a one-dimensional array of finite lambda >= 0, got "
            f"{dampings!r}."
        )
    theta = stationary_point(m, at)
    _, _, H, G = compiled(m).total(theta, with_example_grads=True)
    _, grad_f = observable(m, f)(theta)

    eigvals, eigvecs = np.linalg.eigh(H)
    shifted = eigvals[None, :] + lambdas[:, None]  # (k, d)
    flat = np.abs(shifted) <= SINGULAR_RTOL * max(abs(eigvals).max(), 1e-300)
    if np.any(flat):
        k = int(np.flatnonzero(flat.any(axis=1))[0])
        directions = [tuple(eigvecs[:, j]) for j in np.flatnonzero(flat[k])]
        where = f"plus damping {lambdas[k]}"
        raise SingularHessianError(
            singular_hessian_message(m.params, directions, where), directions
        )
    along_f = eigvecs.T @ grad_f  # (d,)
    return -((along_f / shifted) @ (G @ eigvecs).T)


def hessian_at(m, theta):
    """The Hessian of L(theta; b=1), shape (d, d)."""
    return compiled(m).total(theta)[2]


def stationary_point(m, at=None):
    """The minimiser at b = 1, or ``at`` after checking that it is stationary."""
    if at is None:
        return minimise(m)
    theta = _point(m, at)
    _, grad, H, scale = compiled(m).total(theta, with_scale=True)
    _check_stationary(theta, grad, scale, H)
    return theta


def _point(m, at):
    theta = np.asarray(at, dtype=float)
    if theta.shape != (m.d,):
        raise ValueError(f"at: need shape (d,) = ({m.d},), got {theta.shape}.")
    return theta


def _check_stationary(theta, grad, scale, H=None):
    if np.any(np.abs(grad) > 1e-8 * np.maximum(scale, 1.0)):
        raise ValueError(
            f"at: {theta} is not a stationary point of L(theta; b=1); the gradient "
            f"there is {grad}. Pick a point on the minimum set (or omit at to let "
            "Newton's method find a minimiser)."
        )
    if H is not None:
        eigvals = np.linalg.eigvalsh(H)
        if eigvals[0] < -SINGULAR_RTOL * max(abs(eigvals[-1]), 1.0):
            raise ValueError(
                f"at: {theta} is stationary but a saddle point of L(theta; b=1) "
                f"(Hessian eigenvalues {eigvals}), not a minimiser; pick a point "
                "on the minimum set."
            )
    return theta


def _solve(m, H, rhs, pseudo_inverse, damping):
    eigvals, eigvecs = np.linalg.eigh(H)
    zero = eigvals <= SINGULAR_RTOL * max(abs(eigvals[-1]), np.finfo(float).tiny)
    if pseudo_inverse:
        inverse = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, eigvals))
        return eigvecs @ (inverse * (eigvecs.T @ rhs))
    if np.any(zero):
        flat = [tuple(eigvecs[:, k]) for k in np.flatnonzero(zero)]
        where = "at theta*" if damping == 0 else f"plus damping {damping}"
        raise SingularHessianError(
            singular_hessian_message(m.params, flat, where), flat
        )
    return np.linalg.solve(H, rhs)


def _check_damping(damping, pseudo_inverse):
    try:
        damping = float(damping)
    except (TypeError, ValueError):
        raise TypeError(
            f"damping: numerics need a number, got {damping!r}; for a symbolic "
            "damping use derivations.influence."
        ) from None
    if not np.isfinite(damping) or damping < 0:
        raise ValueError(f"damping: need a finite lambda >= 0, got {damping}.")
    if pseudo_inverse and damping != 0:
        raise ValueError(
            f"pseudo_inverse: cannot be combined with damping={damping}; H + "
            "lambda I is invertible for lambda > 0, so use one or the other."
        )
    return damping


def _check_direction(direction, n):
    if direction is None:
        return None
    h = np.asarray(direction, dtype=float)
    if h.shape != (n,):
        raise ValueError(
            f"direction: need shape (n,) = ({n},), got {h.shape}; one entry per "
            "example."
        )
    return h
