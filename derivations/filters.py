r"""Spectral filters: what each framework puts in place of the IF's 1/sigma.

On a quadratic loss with Hessian eigenvalues :math:`\sigma_k` and a start at
the minimiser, every framework's attribution is
:math:`-\nabla f^\top P\,\mathrm{diag}(\varphi(\sigma_k))\,P^{-1}\nabla\ell_i`
for a filter :math:`\varphi` of the eigenvalue:

=====================  ===============================================
influence function     :math:`1/\sigma`
damping lambda         :math:`1/(\sigma + \lambda)`
T steps of GD, rate    :math:`(1 - (1 - \eta\sigma)^T)/\sigma`
gradient flow, time t  :math:`(1 - e^{-t\sigma})/\sigma`
localised Gibbs        :math:`1/(\sigma + \gamma/\beta)` (Gaussian posterior)
=====================  ===============================================

Early stopping as damping: the flow filter over the damping filter at
:math:`\lambda = 1/t` is :math:`r(x) = (1 - e^{-x})(1 + x)/x` with
:math:`x = t\sigma`. It is at least 1 (since :math:`e^x \ge 1 + x`), tends to
1 like :math:`1 + x/2` at 0 and :math:`1 + 1/x` at infinity, and is largest
where :math:`e^x = 1 + x + x^2`, with value :math:`(1 + x)^2/(1 + x + x^2)`
(:math:`x^* = 1.79328\ldots`, :math:`r(x^*) = 1.29843\ldots`). The bound is
gradient flow's: T steps of GD with :math:`\eta T = t` and
:math:`\eta\sigma \le 1` exceed it by :math:`O(1/T)` (the peak ratio is
about 1.342 at T = 10), and by far more once :math:`\eta\sigma > 1`.

Every filter takes SymPy input (exact result) or NumPy input (float64, with
the cancellation at small :math:`\sigma` avoided by ``expm1`` and ``log1p``).
"""

import numpy as np
import sympy as sp

__all__ = [
    "damping_filter",
    "early_stopping_peak",
    "early_stopping_ratio",
    "flow_filter",
    "localization_filter",
    "training_filter",
]


def damping_filter(sigma, damping):
    r"""The damped influence filter :math:`1/(\sigma + \lambda)`.

    Examples
    --------
    >>> import sympy as sp
    >>> damping_filter(sp.Integer(3), sp.Rational(1, 2))
    2/7
    """
    return 1 / (sigma + damping)


def localization_filter(sigma, beta, localization):
    r"""The localised Gibbs filter :math:`1/(\sigma + \gamma/\beta)`.

    For a quadratic loss, a linear observable and the localised posterior
    :math:`\propto e^{-\beta L - (\gamma/2)|\theta - \theta^*|^2}` (Gaussian,
    precision :math:`\beta H + \gamma I`), the BIF :math:`-\beta\,
    \mathrm{Cov}(f, \ell_i)` is :math:`-\nabla f^\top (H + (\gamma/\beta)
    I)^{-1}\nabla\ell_i(\theta^*)`: localisation acts as damping
    :math:`\gamma/\beta` exactly.

    Examples
    --------
    >>> import sympy as sp
    >>> localization_filter(sp.Integer(3), 4, 2)
    2/7
    """
    if _numeric(sigma, beta, localization):
        return damping_filter(np.asarray(sigma, float), localization / beta)[()]
    return damping_filter(sigma, sp.sympify(localization) / beta)


def training_filter(sigma, steps, lr):
    r"""The GD filter :math:`\varphi_T(\sigma) = (1 - (1 - \eta\sigma)^T)/\sigma`.

    It replaces :math:`1/\sigma` of the influence function after T = ``steps``
    steps of rate :math:`\eta` = ``lr`` from a minimiser; it is
    :math:`\eta T` at :math:`\sigma = 0` (the null space grows linearly).

    Examples
    --------
    >>> import sympy as sp
    >>> training_filter(sp.Integer(2), 3, sp.Rational(1, 4))
    7/16
    >>> training_filter(0, sp.Symbol("T"), sp.Rational(1, 4))
    T/4
    """
    if _numeric(sigma, steps, lr):
        sigma, steps, lr = (np.asarray(v, dtype=float) for v in (sigma, steps, lr))
        base = 1 - lr * sigma
        with np.errstate(invalid="ignore", divide="ignore"):
            # 1 - base^T without cancellation where 0 < base, as -expm1(T log base).
            stable = -np.expm1(steps * np.log1p(-lr * np.where(base > 0, sigma, 0)))
            one_minus = np.where(base > 0, stable, 1 - base**steps)
            out = np.where(sigma == 0, lr * steps, one_minus / sigma)
        return out[()]
    sigma, steps, lr = map(sp.sympify, (sigma, steps, lr))
    if sigma == 0:
        return lr * steps
    return (1 - (1 - lr * sigma) ** steps) / sigma


def flow_filter(sigma, time):
    r"""The gradient-flow filter :math:`(1 - e^{-t\sigma})/\sigma`, t at 0.

    The limit of :func:`training_filter` as :math:`\eta \to 0` with
    :math:`\eta T = t`; the difference is :math:`\eta\, t\sigma e^{-t\sigma}/2
    + O(\eta^2)`.

    Examples
    --------
    >>> import sympy as sp
    >>> flow_filter(sp.Integer(2), sp.Symbol("t"))
    1/2 - exp(-2*t)/2
    >>> float(flow_filter(0.0, 3.0))
    3.0
    """
    if _numeric(sigma, time):
        sigma, time = np.asarray(sigma, float), np.asarray(time, float)
        x = time * sigma
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(x == 0, time, -np.expm1(-x) / sigma)
        return out[()]
    sigma, time = sp.sympify(sigma), sp.sympify(time)
    if sigma == 0:
        return time
    return sp.expand((1 - sp.exp(-time * sigma)) / sigma)


def early_stopping_ratio(x):
    r"""The flow filter over the damping filter at :math:`\lambda = 1/t`.

    .. math::

        r(x) = \frac{(1 - e^{-t\sigma})/\sigma}{1/(\sigma + 1/t)}
             = \frac{(1 - e^{-x})(1 + x)}{x}, \qquad x = t\sigma,

    1 at :math:`x = 0`.

    Examples
    --------
    >>> round(float(early_stopping_ratio(1.0)), 6)
    1.264241
    """
    if _numeric(x):
        x = np.asarray(x, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(x == 0, 1.0, -np.expm1(-x) * (1 + x) / x)
        return out[()]
    x = sp.sympify(x)
    if x == 0:
        return sp.Integer(1)
    return (1 - sp.exp(-x)) * (1 + x) / x


def early_stopping_peak(digits=30):
    r"""Where and how large the early-stopping ratio is at its maximum.

    Setting :math:`r'(x) = 0` gives :math:`e^{-x}(x^2 + x) = 1 - e^{-x}`,
    i.e. :math:`e^x = 1 + x + x^2`, whose positive root :math:`x^*` is found to
    ``digits`` significant digits; there :math:`1 - e^{-x^*} = (x^{*2} +
    x^*)/(1 + x^* + x^{*2})`, so :math:`r(x^*) = (1 + x^*)^2/(1 + x^* +
    x^{*2})`.

    Returns
    -------
    x_star, r_star : sympy.Float

    Examples
    --------
    >>> x_star, r_star = early_stopping_peak(12)
    >>> x_star, r_star
    (1.79328213290, 1.29842560753)
    """
    x = sp.Symbol("x", positive=True)
    x_star = sp.nsolve(sp.exp(x) - 1 - x - x**2, x, 1.8, prec=digits + 5)
    r_star = (1 + x_star) ** 2 / (1 + x_star + x_star**2)
    return sp.Float(x_star, digits), sp.Float(r_star, digits)


def _numeric(*values):
    """True for NumPy or plain float input, False if any value is SymPy."""
    if any(isinstance(v, sp.Basic) for v in values):
        return False
    return any(isinstance(v, (float, np.ndarray, np.floating)) for v in values)
