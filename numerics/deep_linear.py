r"""Influence over training time in the two-layer linear network, two ways.

The influence of training example p on the test loss
:math:`f = \tfrac12|y_q - W_2W_1x_q|^2` at time t of gradient flow,
:math:`\partial f(\theta(t; b))/\partial b_p` at b = 1, for the mean loss of
:mod:`theory.deep_linear` from a balanced initialisation aligned with the
singular bases of :math:`\Sigma_{yx}`, :math:`W_1(0) = \sqrt{G_0}\,V^\top`,
:math:`W_2(0) = \sqrt{G_0}\,U`:

- ``method="flow"``: :func:`numerics.flow` on the eight-parameter network,
  the flow and its tangent integrated together (exact up to the ODE
  tolerance);
- ``method="modes"``: the mode picture of :mod:`derivations.deep_linear`,
  exact to first order: logistic strengths and their sensitivities on the
  diagonal, and for each pair of modes the closed-form response to the
  correlation change plus the response to the covariance change (two scalar
  linear ODEs with closed-form coefficients, integrated to 1e-12);
- ``method="rotation"``: the usual quasi-static picture, the strengths moved
  through :math:`\partial G/\partial s` and the singular bases rotated by the
  first-order SVD generators of :math:`\Sigma_{yx}`. It ignores the change of
  the input covariance and the relaxation of the initialisation's
  misalignment, and is checked against ``correlation_only=True`` flows.

Time is measured in units of :math:`\tau = 1/\eta`: gradient flow of the loss
itself, as :func:`numerics.flow` integrates it.

Assumptions of the mode picture: whitened inputs, as many outputs and hidden
units as inputs, distinct positive singular values, and the balanced aligned
initialisation above (any :math:`0 < G_0 < s_{\min}`; small :math:`G_0` is
what makes learning stagewise, not what makes the formula exact). Measured:
``"modes"`` agrees with ``"flow"`` to about 1e-9 over whole runs; the
``"rotation"`` error, for correlation-only reweighting, is
:math:`O(G_0^{(s_1+s_2)/(2s_1)})` (5.6e-4 at :math:`G_0 = 10^{-4}` on the
example of :func:`theory.deep_linear.two_mode_example`), and with the
covariance change of a mean loss it is of order one.
"""

import math
from functools import cache, lru_cache

import numpy as np
import scipy.integrate
import scipy.optimize
import sympy as sp

from derivations import deep_linear as dl
from theory.deep_linear import correlation_reweighted_network, deep_linear_network

from .gradient_flow import flow

__all__ = [
    "aligned_init",
    "influence_over_time",
    "mode_basis",
    "mode_sensitivities",
    "sign_changes",
    "tangent",
]

METHODS = ("flow", "modes", "rotation")
# Inputs count as whitened when X^T X / n is the identity to this accuracy.
WHITENED_ATOL = 1e-10
# Singular values closer than this (relative) have no well-defined rotation.
GAP_RTOL = 1e-8
# Tolerances of the scalar pair equations for the covariance responses.
PAIR_RTOL, PAIR_ATOL = 1e-12, 1e-15
# A sign change counts only where the influence exceeds this fraction of its
# largest value on the grid (the pair equations hold it to about 1e-12).
SIGN_FLOOR = 1e-8


def mode_basis(X, Y):
    r"""The singular triplets of :math:`\Sigma_{yx} = Y^\top X / n`, checked.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Whitened inputs: :math:`X^\top X / n = I`.
    Y : array_like, shape (n, d)
        Targets, as many outputs as inputs.

    Returns
    -------
    s : ndarray, shape (d,)
        Distinct positive singular values, decreasing.
    U, V : ndarray, shape (d, d)
        Left and right singular vectors as columns.

    Raises
    ------
    ValueError
        Shapes that do not match, inputs that are not whitened, or repeated or
        zero singular values.

    Examples
    --------
    >>> from numerics.deep_linear import mode_basis
    >>> s, U, V = mode_basis([[1, 1], [1, -1]], [[2, 1], [2, -1]])
    >>> s
    array([2., 1.])
    """
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if X.ndim != 2 or X.shape != Y.shape:
        raise ValueError(
            f"X, Y: need the same shape (n, d), as many outputs as inputs, got "
            f"{X.shape} and {Y.shape}."
        )
    n, d = X.shape
    deviation = np.abs(X.T @ X / n - np.eye(d)).max()
    if deviation > WHITENED_ATOL:
        raise ValueError(
            f"X: the mode picture needs whitened inputs, X^T X / n = I, but it "
            f"differs from I by {deviation:.3g}; whiten X first (multiply by the "
            "inverse square root of its covariance)."
        )
    U, s, Vt = np.linalg.svd(Y.T @ X / n)
    gaps = np.r_[-np.diff(s), s[-1]]
    if np.any(gaps <= GAP_RTOL * s[0]):
        raise ValueError(
            f"Y: the mode picture needs distinct positive singular values of "
            f"Sigma_yx = Y^T X / n, got {s}; a repeated or zero value has no "
            "unique singular vectors. Perturb the targets to separate them."
        )
    return s, U, Vt.T


def aligned_init(U, V, init):
    r"""The parameters :math:`W_1 = \sqrt{G_0}V^\top`, :math:`W_2 = \sqrt{G_0}U`.

    Flattened as :func:`theory.deep_linear.network_parameters` orders them:
    W1 row by row, then W2 row by row. Balanced, and every mode starts at
    strength ``init`` = :math:`G_0`.

    Examples
    --------
    >>> import numpy as np
    >>> from numerics.deep_linear import aligned_init
    >>> aligned_init(np.eye(2), np.eye(2), 0.25)
    array([0.5, 0. , 0. , 0.5, 0.5, 0. , 0. , 0.5])
    """
    root = np.sqrt(init)
    return np.concatenate([(root * np.asarray(V).T).ravel(), (root * U).ravel()])


def mode_sensitivities(strengths, init, times):
    r"""Mode strengths G and their sensitivities to the target s and the variance c.

    The closed forms of :mod:`derivations.deep_linear` at :math:`\tau = 1`,
    written with :math:`q = (s/G_0 - 1)e^{-2st}` so that no exponential
    overflows: :math:`G = s/(1 + q)`.

    Parameters
    ----------
    strengths : array_like, shape (k,)
    init : float
        :math:`G_0`, with :math:`0 < G_0 < s`.
    times : array_like, shape (m,)

    Returns
    -------
    G, dG_ds, dG_dc : ndarray, shape (m, k)

    Examples
    --------
    >>> from numerics.deep_linear import mode_sensitivities
    >>> [a.round(6) for a in mode_sensitivities([2.0], 1.0, [0.0])]
    [array([[1.]]), array([[0.]]), array([[0.]])]
    """
    s = np.asarray(strengths, dtype=float)[None, :]
    t = np.asarray(times, dtype=float)[:, None]
    decay = np.exp(-2 * s * t)
    q = (s / init - 1) * decay
    G = s / (1 + q)
    dG_ds = 1 / (1 + q) - s * (decay / init - 2 * t * q) / (1 + q) ** 2
    dG_dc = s**2 * decay / (init * (1 + q) ** 2) - G
    return G, dG_ds, dG_dc


def tangent(X, Y, times, init, method="modes", correlation_only=False):
    r"""The first-order response :math:`\partial W(t)/\partial b_p` of every example.

    Parameters
    ----------
    X, Y : array_like, shape (n, d)
        Whitened inputs and targets (see :func:`mode_basis`).
    times : array_like, shape (m,)
    init : float
        :math:`G_0`, the initial strength of every mode.
    method : {"modes", "rotation"}
        The exact mode picture, or the quasi-static SVD rotation picture
        (which has no covariance term; it needs ``correlation_only=True``).
    correlation_only : bool
        Reweight the correlation term alone (no change of the covariance).

    Returns
    -------
    ndarray, shape (m, n, d, d)
    """
    _, U, V, Delta = _mode_response(X, Y, times, init, method, correlation_only)
    return np.einsum("aj,tpjk,bk->tpab", U, Delta, V, optimize=True)


def _mode_response(X, Y, times, init, method, correlation_only):
    """Singular triplets and the response Delta = U^T dW V, shape (m, n, d, d)."""
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    s, U, V = mode_basis(X, Y)
    times = _checked_times(times)
    _check_init(init, s)
    if method not in ("modes", "rotation"):
        raise ValueError(
            f"method: tangent needs 'modes' or 'rotation', got {method!r}; the "
            "exact tangent of the flow is only available through its influence, "
            "influence_over_time(..., method='flow')."
        )
    if method == "rotation" and not correlation_only:
        raise ValueError(
            "correlation_only: the rotation picture perturbs Sigma_yx only and "
            "has no term for the change of the input covariance; pass "
            "correlation_only=True, or use method='modes' for mean-loss "
            "reweighting."
        )

    # The perturbations of Sigma_yx and Sigma_xx in the singular bases.
    n, d = X.shape
    x_modes, y_modes = X @ V, Y @ U
    E = y_modes[:, :, None] * x_modes[:, None, :] / n
    C = x_modes[:, :, None] * x_modes[:, None, :] / n
    if correlation_only:
        C = np.zeros_like(C)
    G, dG_ds, dG_dc = mode_sensitivities(s, init, times)

    # Diagonal: the strengths move through dG/ds and dG/dc.
    Delta = np.zeros((len(times), n, d, d))
    k = np.arange(d)
    Delta[:, :, k, k] = (
        E[None, :, k, k] * dG_ds[:, None, :] + C[None, :, k, k] * dG_dc[:, None, :]
    )

    # Off-diagonal, one pair of modes at a time.
    for j in range(d):
        for k in range(j + 1, d):
            Delta[:, :, j, k], Delta[:, :, k, j] = _pair(
                method, s[j], s[k], G[:, j], G[:, k], E[:, j, k], E[:, k, j],
                C[:, j, k], init, times,
            )  # fmt: skip
    return s, U, V, Delta


def influence_over_time(
    X, Y, x_test, y_test, times, init, method="flow", correlation_only=False
):
    r"""Influence of each training example on a test loss along gradient flow.

    .. math::

        \mathcal{I}_p(t) = \frac{\partial}{\partial b_p}
            \tfrac12 |y_q - W_2(t) W_1(t)\, x_q|^2 \Big|_{b=1}
        = -(y_q - W x_q)^\top \frac{\partial W}{\partial b_p} x_q

    Parameters
    ----------
    X, Y : array_like, shape (n, d)
        Whitened inputs and targets (see :func:`mode_basis`).
    x_test, y_test : array_like, shape (d,)
        The test example q (it may be one of the training examples).
    times : array_like, shape (m,)
        Nondecreasing times, in units of the inverse learning rate.
    init : float
        :math:`G_0`, the initial strength of every mode; the initialisation is
        :func:`aligned_init`.
    method : {"flow", "modes", "rotation"}
        See the module docstring.
    correlation_only : bool
        Reweight the correlation term alone (see
        :func:`theory.deep_linear.correlation_reweighted_network`).

    Returns
    -------
    ndarray, shape (m, n)

    Examples
    --------
    >>> import numpy as np
    >>> from numerics.deep_linear import influence_over_time
    >>> X = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    >>> Y = X * [3.0, 0.5]
    >>> exact = influence_over_time(X, Y, X[1], Y[1], [2.5], 1e-4)
    >>> modes = influence_over_time(X, Y, X[1], Y[1], [2.5], 1e-4, method="modes")
    >>> bool(np.allclose(exact, modes, rtol=1e-6, atol=1e-9))
    True
    """
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    s, U, V = mode_basis(X, Y)
    x_test, y_test = _test_example(x_test, y_test, X.shape[1])
    times = _checked_times(times)
    _check_init(init, s)
    if method not in METHODS:
        raise ValueError(f"method: need one of {METHODS}, got {method!r}.")

    if method == "flow":
        build = correlation_reweighted_network if correlation_only else None
        m = (build or deep_linear_network)(X, Y, hidden=X.shape[1])
        d = X.shape[1]
        W = sp.Matrix(d, d, m.params[d * d :]) * sp.Matrix(d, d, m.params[: d * d])
        residual = sp.Matrix(y_test) - W * sp.Matrix(x_test)
        f = (residual.T * residual)[0] / 2
        return flow(m, f, times, aligned_init(U, V, init))

    # In the singular bases: W = diag(G), dW = Delta, r = U^T y_q - G V^T x_q.
    _, _, _, Delta = _mode_response(X, Y, times, init, method, correlation_only)
    G = mode_sensitivities(s, init, times)[0]
    x_modes = V.T @ x_test
    residual = U.T @ y_test - G * x_modes
    return -np.einsum("tj,tpjk,k->tp", residual, Delta, x_modes, optimize=True)


def sign_changes(X, Y, x_test, y_test, example, init, t_max, grid=2000):
    """Times in (0, t_max) at which the influence of one example changes sign.

    The mode picture (``method="modes"``) on a grid of ``grid`` intervals
    brackets each change; Brent's method refines it to the float64 limit.
    Values below ``SIGN_FLOOR`` times the largest on the grid count as 0, so
    rounding in an influence that has decayed to 0 is not a sign change.

    Parameters
    ----------
    X, Y, x_test, y_test, init
        As for :func:`influence_over_time`.
    example : int
        The training example p whose influence is followed.
    t_max : float
        The end of the time window.
    grid : int
        Intervals of the bracketing grid.

    Returns
    -------
    ndarray, shape (k,)
        Increasing times; empty if the sign never changes on the grid.

    Examples
    --------
    >>> import numpy as np
    >>> from numerics.deep_linear import sign_changes
    >>> X = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    >>> Y = X * [3.0, 0.5]
    >>> sign_changes(X, Y, X[1], Y[1], 0, 1e-4, 25.0).round(3)
    array([2.125, 6.831])
    """

    def value(time):
        row = influence_over_time(X, Y, x_test, y_test, [time], init, "modes")
        return row[0, example]

    times = np.linspace(0.0, t_max, grid + 1)[1:]
    values = influence_over_time(X, Y, x_test, y_test, times, init, "modes")
    values = values[:, example]
    # Below this the values are the pair equations' rounding, not a sign.
    floor = SIGN_FLOOR * np.abs(values).max()
    signs = np.where(np.abs(values) > floor, np.sign(values), 0.0)
    flips = np.flatnonzero(signs[:-1] * signs[1:] < 0)
    roots = [
        scipy.optimize.brentq(value, times[i], times[i + 1], xtol=1e-13) for i in flips
    ]
    return np.array(roots)


# ---------------------------------------------------------------- private


def _pair(method, s_j, s_k, G_j, G_k, E_jk, E_kj, C_jk, init, times):
    """Delta_jk and Delta_kj, shapes (m, n), for one pair of modes j < k."""
    if method == "rotation":
        rotated = _rotation_generators(s_j, s_k)
        return rotated(G_j[:, None], G_k[:, None], E_jk[None, :], E_kj[None, :])
    plus, minus = _correlation_responses()
    A_plus = plus(G_j, G_k, s_j, s_k, times)
    A_minus = minus(G_j, G_k, s_j, s_k, times)
    B_plus, B_minus = _covariance_responses(s_j, s_k, init, tuple(times))
    Sigma_plus = np.outer(A_plus, E_jk + E_kj) + np.outer(B_plus, C_jk)
    Sigma_minus = np.outer(A_minus, E_jk - E_kj) + np.outer(B_minus, C_jk)
    return (Sigma_plus + Sigma_minus) / 2, (Sigma_plus - Sigma_minus) / 2


@cache
def _correlation_responses():
    """The closed forms of derivations.deep_linear.pair_correlation_response."""
    args = (dl.Gj, dl.Gk, dl.sj, dl.sk, dl.t)
    plus, minus = dl.pair_correlation_response()
    return sp.lambdify(args, plus, "numpy"), sp.lambdify(args, minus, "numpy")


@cache
def _rotation_generators(s_j, s_k):
    """Delta = A diag(G) + diag(G) B^T from the SVD generators, as a function."""
    E = sp.Matrix(2, 2, sp.symbols("E_jj E_jk E_kj E_kk"))
    _, A, B = dl.svd_generators([sp.Float(s_j), sp.Float(s_k)], E)
    G = sp.diag(dl.Gj, dl.Gk)
    rotated = A * G + G * B.T
    args = (dl.Gj, dl.Gk, E[0, 1], E[1, 0])
    return sp.lambdify(args, (rotated[0, 1], rotated[1, 0]), "numpy")


@cache
def _pair_rates():
    args = (dl.Gj, dl.Gk, dl.sj, dl.sk)
    return tuple(sp.lambdify(args, rate, "math") for rate in dl.pair_rates())


@lru_cache(maxsize=64)
def _covariance_responses(s_j, s_k, init, times):
    r"""Responses of Sigma_+ and Sigma_- per unit C_jk, shapes (m,) each.

    :math:`\dot B_\pm = \kappa_\pm B_\pm + \sigma\,F_\pm` with the covariance
    sources :math:`F_+ = -\sigma` and :math:`F_- = -(G_j - G_k)`, B(0) = 0.
    """
    kappa_plus, kappa_minus = _pair_rates()
    ratio_j, ratio_k = s_j / init - 1, s_k / init - 1

    def rhs(time, B):
        # Scalar closed forms G = s / (1 + q): no arrays on this hot path.
        G_j = s_j / (1 + ratio_j * math.exp(-2 * s_j * time))
        G_k = s_k / (1 + ratio_k * math.exp(-2 * s_k * time))
        sigma = G_j + G_k
        return [
            kappa_plus(G_j, G_k, s_j, s_k) * B[0] - sigma**2,
            kappa_minus(G_j, G_k, s_j, s_k) * B[1] - sigma * (G_j - G_k),
        ]

    times = np.asarray(times)
    if times[-1] == 0:
        return np.zeros_like(times), np.zeros_like(times)
    solved = scipy.integrate.solve_ivp(
        rhs,
        (0.0, times[-1]),
        [0.0, 0.0],
        method="DOP853",
        t_eval=times,
        rtol=PAIR_RTOL,
        atol=PAIR_ATOL,
    )
    return solved.y[0], solved.y[1]


def _checked_times(times):
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or np.any(times < 0) or np.any(np.diff(times) < 0):
        raise ValueError(
            f"times: need a one-dimensional, nondecreasing array of times >= 0, "
            f"got {times!r}."
        )
    return times


def _check_init(init, s):
    if not np.isscalar(init) or not 0 < init < s.min():
        raise ValueError(
            f"init: need one initial mode strength G_0 with 0 < G_0 < s_min = "
            f"{s.min():.6g} (a small balanced initialisation), got {init!r}."
        )


def _test_example(x_test, y_test, d):
    x_test = np.asarray(x_test, dtype=float)
    y_test = np.asarray(y_test, dtype=float)
    if x_test.shape != (d,) or y_test.shape != (d,):
        raise ValueError(
            f"x_test, y_test: need shape ({d},) each, got {x_test.shape} and "
            f"{y_test.shape}."
        )
    return x_test, y_test
