r"""The zoo: small analytic models that every framework can be read on.

Each constructor returns a :class:`~theory.model.Model` built with
:meth:`Model.from_data <theory.model.Model.from_data>`, so numerics evaluate it
vectorised over the examples. The templates' data symbols are ``sympy.Dummy``
objects, so symbolic data may use any names (``x_1``, ``y``, ``z``) freely.
Data may be numbers or SymPy symbols; with symbols, derivations return general
formulas. Every loss is a sum over examples
(no 1/n), and every docstring states the weighted minimiser
:math:`\theta^*(b)` and the Hessian :math:`H` of :math:`L(\theta; b)`.

The two-layer linear network :func:`deep_linear_network` lives in
:mod:`theory.deep_linear` with its data sets and is listed here too; each of
its per-example losses carries the factor 1/n of the mean loss
:math:`|y - W_2 W_1 x|^2 / (2n)` in which its learning dynamics are written.
"""

import numpy as np
import sympy as sp

from .deep_linear import deep_linear_network
from .model import Model

__all__ = [
    "deep_linear_network",
    "from_losses",
    "gaussian_mean",
    "linear_regression",
    "logistic_regression",
    "product_model",
    "ridge_regression",
    "tilted_product_model",
]


def gaussian_mean(z, prior_precision=None, prior_mean=0, param=None):
    r"""Estimate a mean: :math:`\ell_i(\mu) = (z_i - \mu)^2 / 2`.

    Parameters
    ----------
    z : sequence of length n
        The observations (numbers or SymPy expressions).
    prior_precision : optional
        :math:`\tau` of a Gaussian prior
        :math:`\log\pi(\mu) = -\tau (\mu - m_0)^2 / 2` (Gibbs posteriors only;
        the minimiser and the influence function do not see it).
    prior_mean : optional
        :math:`m_0`.
    param : sympy.Symbol, optional
        The parameter; ``mu`` by default.

    Notes
    -----
    Minimiser :math:`\mu^*(b) = \sum_i b_i z_i / \sum_i b_i`; Hessian
    :math:`H = \sum_i b_i`. The influence of :math:`z_i` on :math:`\mu` is
    :math:`(z_i - \bar z)/n` at :math:`b = 1`.

    Examples
    --------
    >>> from theory import zoo
    >>> zoo.gaussian_mean([1, 2, 6]).losses
    ((1 - mu)**2/2, (2 - mu)**2/2, (6 - mu)**2/2)
    """
    mu = param if param is not None else sp.Symbol("mu")
    zs = sp.Dummy("z")
    log_prior = None
    if prior_precision is not None:
        log_prior = -sp.sympify(prior_precision) * (mu - prior_mean) ** 2 / 2
    constants = _symbols_of(prior_precision, prior_mean)
    return Model.from_data(
        [mu],
        (zs - mu) ** 2 / 2,
        {zs: list(z)},
        log_prior=log_prior,
        constants=constants,
    )


def linear_regression(X, y, params=None):
    r"""Least squares: :math:`\ell_i(\theta) = (y_i - x_i^\top \theta)^2 / 2`.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs, one row per example (include a column of ones for an
        intercept). Numbers or SymPy expressions.
    y : array_like, shape (n,)
        Targets.
    params : sequence of sympy.Symbol, length d, optional
        Names for :math:`\theta`; ``theta_1..theta_d`` by default.

    Notes
    -----
    Minimiser :math:`\theta^*(b) = (X^\top B X)^{-1} X^\top B y` with
    :math:`B = \mathrm{diag}(b)`; Hessian :math:`H = X^\top B X`, constant in
    :math:`\theta`. The leverage of example j is
    :math:`h_j = x_j^\top H^{-1} x_j`.
    """
    return _least_squares(X, y, params, alpha=0)


def ridge_regression(X, y, alpha, params=None):
    r"""Ridge: least squares plus :math:`R(\theta) = \alpha |\theta|^2 / 2`.

    Parameters
    ----------
    X, y, params
        As for :func:`linear_regression`.
    alpha : number or sympy.Expr
        The ridge strength :math:`\alpha \ge 0` (a symbol is kept symbolic).

    Notes
    -----
    Minimiser :math:`\theta^*(b) = (X^\top B X + \alpha I)^{-1} X^\top B y`;
    Hessian :math:`H = X^\top B X + \alpha I`. The regulariser carries no data
    weight, so it stays when examples are removed.
    """
    return _least_squares(X, y, params, alpha=alpha)


def logistic_regression(X, y, alpha=0, params=None):
    r"""Logistic regression with labels :math:`y_i \in \{-1, +1\}`.

    :math:`\ell_i(\theta) = \log(1 + e^{-y_i x_i^\top \theta})`, plus
    :math:`R(\theta) = \alpha |\theta|^2 / 2` when ``alpha`` is given.

    Parameters
    ----------
    X : array_like, shape (n, d)
    y : array_like, shape (n,)
        Labels, -1 or +1 (or symbols).
    alpha : number or sympy.Expr, optional
        Ridge strength.
    params : sequence of sympy.Symbol, length d, optional

    Notes
    -----
    No closed-form minimiser: :math:`\theta^*(b)` solves
    :math:`\sum_i b_i y_i \sigma(-y_i x_i^\top\theta) x_i = \alpha\theta`,
    with :math:`\sigma` the logistic function. Hessian
    :math:`H = \sum_i b_i \sigma_i (1 - \sigma_i) x_i x_i^\top + \alpha I`
    with :math:`\sigma_i = \sigma(x_i^\top \theta)`. Without ridge the minimiser
    does not exist when the data are linearly separable.
    """
    columns = _columns(X, "X")
    d = len(columns)
    labels = _column(y, len(columns[0]), "y")
    numeric = (
        labels
        if labels.dtype != object
        else [v if sp.sympify(v).is_number else 1 for v in labels.tolist()]
    )
    wrong = np.flatnonzero(~np.isin(np.asarray(numeric, dtype=float), (-1.0, 1.0)))
    if wrong.size:
        i = int(wrong[0])
        raise ValueError(
            f"y[{i}]: labels must be -1 or +1, got {labels[i]}; map 0/1 labels "
            "with y = 2 * y01 - 1."
        )
    theta = _params(params, d)
    xs = _data_symbols("x", d)
    ys = sp.Dummy("y")
    margin = ys * sum(t * x for t, x in zip(theta, xs))
    data = dict(zip(xs, columns))
    data[ys] = labels
    return Model.from_data(
        theta,
        sp.log(1 + sp.exp(-margin)),
        data,
        regularizer=sp.sympify(alpha) * sum(t**2 for t in theta) / 2,
        constants=_symbols_of(alpha),
    )


def from_losses(params, losses, regularizer=0, log_prior=None, support=None):
    """A model from explicit per-example losses; the same as :class:`Model`.

    Use it for a model that is not in the zoo; free symbols other than the
    parameters are symbolic data.
    """
    return Model(params, losses, regularizer, log_prior, support)


def product_model(z, x=None, params=None):
    r"""The product model: :math:`\ell_i(a, c) = (z_i - a\,c\,x_i)^2 / 2`.

    The simplest model with a continuous symmetry: the loss sees the parameters
    only through the product :math:`a c`, so the rescaling
    :math:`(a, c) \mapsto (k\,a, c / k)` leaves every example's loss unchanged.
    The second parameter is called c, not b, because b always means the data
    weights in this package.

    Parameters
    ----------
    z : sequence of length n
        Targets (numbers or SymPy expressions).
    x : sequence of length n, optional
        Inputs; all ones if omitted, which gives :math:`(z_i - a c)^2 / 2`.
    params : pair of sympy.Symbol, optional
        Names for :math:`(a, c)`; the symbols ``a, c`` by default.

    Notes
    -----
    With residuals :math:`r_i = z_i - a c x_i` and :math:`v = (c, a)`, the
    per-example gradient is :math:`\nabla\ell_i = -r_i x_i v` and the Hessian
    of the weighted loss is

    .. math::

        H = \Big(\sum_i b_i x_i^2\Big) v v^\top
            - \Big(\sum_i b_i r_i x_i\Big)
              \begin{pmatrix} 0 & 1 \\ 1 & 0 \end{pmatrix} .

    The minima form the hyperbola :math:`a c = s` with :math:`s = \sum_i b_i
    x_i z_i / \sum_i b_i x_i^2` (the mean of z when x is absent); on it the
    second term vanishes and H has rank one, with the symmetry direction
    :math:`u = (a, -c)` as its null space. Every per-example gradient is
    parallel to v, so it is orthogonal to that null space. The minimiser is not
    isolated: derivations and numerics need ``at=``, a point on the hyperbola
    (:func:`derivations.product.hyperbola_point`).

    Examples
    --------
    >>> from theory import zoo
    >>> zoo.product_model([1, 3]).losses
    ((-a*c + 1)**2/2, (-a*c + 3)**2/2)
    """
    targets = _column(z, len(z), "z")
    a, c = _pair(params)
    zs, xs = sp.Dummy("z"), sp.Dummy("x")
    if x is None:
        return Model.from_data([a, c], (zs - a * c) ** 2 / 2, {zs: targets})
    _same_length(x, targets, "x")
    inputs = _column(x, len(targets), "x")
    return Model.from_data(
        [a, c], (zs - a * c * xs) ** 2 / 2, {zs: targets, xs: inputs}
    )


def tilted_product_model(z, w, params=None):
    r"""The product model plus a tilt that cancels in the total loss.

    .. math::

        \ell_i(a, c) = \frac{(z_i - a c)^2}{2} + w_i \frac{a^2 - c^2}{2},
        \qquad \sum_i w_i = 0 .

    At b = 1 the total loss equals that of :func:`product_model`: the same
    minimum hyperbola, the same rank-one Hessian, the same flat direction
    :math:`u = (a, -c)`. But the flat direction is no longer a symmetry of
    every example: :math:`\nabla\ell_i` has the component :math:`w_i (a, -c)`
    along it. This is the case in which damped influence diverges as
    :math:`\lambda \to 0`.

    Parameters
    ----------
    z : sequence of length n
        Targets.
    w : sequence of length n
        Tilts; numeric tilts must sum to zero (symbolic ones are the caller's
        responsibility, e.g. ``w_n = -(w_1 + ... + w_{n-1})``).
    params : pair of sympy.Symbol, optional
        Names for :math:`(a, c)`.

    Raises
    ------
    ValueError
        Numeric tilts that do not sum to zero, or lengths that differ.

    Notes
    -----
    Reweighting breaks the cancellation: :math:`L(\theta; b)` contains
    :math:`(\sum_i b_i w_i)(a^2 - c^2)/2`, unbounded below as soon as
    :math:`\sum_i b_i w_i \ne 0` (let :math:`|a|` or :math:`|c|` grow along the
    hyperbola). The reweighted minimiser does not exist, and the divergence of
    the damped influence reports exactly that.

    Examples
    --------
    >>> from theory import zoo
    >>> zoo.tilted_product_model([1, 3], [1, -1]).losses[0]
    a**2/2 - c**2/2 + (-a*c + 1)**2/2
    """
    targets = _column(z, len(z), "z")
    _same_length(w, targets, "w")
    tilts = _column(w, len(targets), "w")
    total = sp.nsimplify(sum(sp.sympify(v) for v in tilts.tolist()))
    if total.is_number and total != 0:
        raise ValueError(
            f"w: the tilts must sum to zero so that the total loss is the product "
            f"loss, got sum {total}; subtract their mean."
        )
    a, c = _pair(params)
    zs, ws = sp.Dummy("z"), sp.Dummy("w")
    loss = (zs - a * c) ** 2 / 2 + ws * (a**2 - c**2) / 2
    return Model.from_data([a, c], loss, {zs: targets, ws: tilts})


def _same_length(values, targets, name):
    if len(values) != len(targets):
        raise ValueError(
            f"{name}: need one entry per target ({len(targets)}), got {len(values)}."
        )


def _pair(params):
    if params is None:
        return sp.symbols("a c")
    params = tuple(params)
    if len(params) != 2:
        raise ValueError(
            f"params: the product model has two parameters (a, c), got "
            f"{len(params)} ({params}); pass a pair of symbols."
        )
    return params


def _least_squares(X, y, params, alpha):
    columns = _columns(X, "X")
    d = len(columns)
    targets = _column(y, len(columns[0]), "y")
    theta = _params(params, d)
    xs = _data_symbols("x", d)
    ys = sp.Dummy("y")
    residual = ys - sum(t * x for t, x in zip(theta, xs))
    data = dict(zip(xs, columns))
    data[ys] = targets
    return Model.from_data(
        theta,
        residual**2 / 2,
        data,
        regularizer=sp.sympify(alpha) * sum(t**2 for t in theta) / 2,
        constants=_symbols_of(alpha),
    )


def _columns(X, name):
    """The columns of X, numeric arrays kept as arrays (exact values otherwise)."""
    if isinstance(X, sp.MatrixBase):
        X = X.tolist()
    array = np.asarray(X)
    if array.dtype.kind not in "biuf":
        array = np.asarray(X, dtype=object)
    if array.ndim != 2:
        raise ValueError(
            f"{name}: need a two-dimensional array of shape (n, d), got shape "
            f"{array.shape}; reshape a single feature with X[:, None]."
        )
    if 0 in array.shape:
        raise ValueError(
            f"{name}: need at least one example and one feature, got shape "
            f"{array.shape}."
        )
    return [array[:, k] for k in range(array.shape[1])]


def _column(y, n, name):
    if isinstance(y, sp.MatrixBase):
        y = list(y)
    array = np.asarray(y)
    if array.dtype.kind not in "biuf":
        array = np.asarray(y, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"{name}: need shape (n,), got {array.shape}.")
    if len(array) != n:
        raise ValueError(
            f"{name}: need one entry per row of X ({n}), got {len(array)}."
        )
    return array


def _params(params, d):
    if params is None:
        return sp.symbols(f"theta_1:{d + 1}")
    params = tuple(params)
    if len(params) != d:
        raise ValueError(
            f"params: need one symbol per column of X ({d}), got {len(params)}."
        )
    return params


def _data_symbols(name, d):
    """Data symbols for a template: Dummies, so no user symbol can collide."""
    return tuple(sp.Dummy(f"{name}_{k}") for k in range(1, d + 1))


def _symbols_of(*values):
    found = set()
    for value in values:
        if value is not None:
            found |= sp.sympify(value).free_symbols
    return tuple(found)
