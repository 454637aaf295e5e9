r"""The two-layer linear network :math:`f(x) = W_2 W_1 x` with square loss.

With whitened inputs (input covariance the identity) and a small, balanced
initialisation aligned with the singular vectors of the input-output
correlation, gradient flow learns one singular mode at a time (Saxe,
McClelland and Ganguli, 2014, "Exact solutions to the nonlinear dynamics of
learning in deep linear neural networks"). The per-example loss carries the
1/n of a mean loss,

.. math::

    \ell_i(W_1, W_2) = \frac{|y_i - W_2 W_1 x_i|^2}{2n},

so that :math:`L(\theta; 1)` is the mean loss of that paper, and reweighting
an example changes both the input-output correlation
:math:`\Sigma_{yx}(b) = \frac1n\sum_i b_i y_i x_i^\top` and the input
covariance :math:`\Sigma_{xx}(b)`. :func:`correlation_reweighted_network` is the
same network with the data weights on the correlation term alone, so that
reweighting moves :math:`\Sigma_{yx}` and leaves :math:`\Sigma_{xx}` fixed.
:func:`two_mode_example` is the d = 2 data set of the lecture example.
"""

import numpy as np
import sympy as sp

from .model import Model

__all__ = [
    "correlation_reweighted_network",
    "deep_linear_network",
    "network_parameters",
    "two_mode_example",
]


def network_parameters(d_in, hidden, d_out):
    """The parameter symbols: W1 (hidden x d_in) then W2 (d_out x hidden), row by row.

    Returns
    -------
    W1, W2 : sympy.Matrix
        Matrices of symbols ``w1_jk`` and ``w2_jk`` (indices from 1).
    params : tuple of sympy.Symbol
        Their entries, W1 first, each row by row.
    """
    W1 = sp.Matrix(hidden, d_in, lambda j, k: sp.Symbol(f"w1_{j + 1}{k + 1}"))
    W2 = sp.Matrix(d_out, hidden, lambda j, k: sp.Symbol(f"w2_{j + 1}{k + 1}"))
    return W1, W2, tuple(W1) + tuple(W2)


def deep_linear_network(X, Y, hidden=None):
    r"""A two-layer linear network on data (X, Y) with loss |y - W2 W1 x|^2 / (2n).

    Parameters
    ----------
    X : array_like, shape (n, d_in)
        Inputs, one row per example (whitened: X^T X / n = I for the mode
        picture to hold exactly).
    Y : array_like, shape (n, d_out)
        Targets.
    hidden : int, optional
        Width of the hidden layer; ``min(d_in, d_out)`` by default.

    Returns
    -------
    theory.Model
        A ``from_data`` model; its parameters are the entries of W1 then of
        W2, row by row (see :func:`network_parameters`).

    Notes
    -----
    Minimisers: every factorisation :math:`W_2 W_1 = \Sigma_{yx}\Sigma_{xx}^{-1}`
    (when the hidden layer is wide enough), a manifold of dimension
    :math:`h^2` through the invertible maps :math:`W_1 \to A W_1,\ W_2 \to W_2
    A^{-1}`, so the Hessian is singular there and the influence function needs
    damping, the pseudo-inverse or a training-time view.

    Examples
    --------
    >>> from theory.deep_linear import deep_linear_network
    >>> m = deep_linear_network([[1, 1], [1, -1]], [[2, 0], [0, 1]], hidden=2)
    >>> m.n, m.d
    (2, 8)
    """
    X, Y, hidden = _checked(X, Y, hidden)
    W, params, xs, ys, data = _template(X, Y, hidden)
    residual = ys - W * xs
    loss = (residual.T * residual)[0] / (2 * len(X))
    return Model.from_data(params, loss, data)


def correlation_reweighted_network(X, Y, hidden=None):
    r"""The network of :func:`deep_linear_network` with weights on the correlation.

    The mean loss is split as

    .. math::

        \frac{1}{2n}\sum_i |y_i - W x_i|^2 = \sum_i \ell_i + R + \text{const},
        \qquad \ell_i = -\frac{y_i^\top W x_i}{n}, \quad
        R = \frac{1}{2n}\sum_i |W x_i|^2,

    with :math:`W = W_2 W_1`. The regulariser carries no data weight, so
    upweighting example i moves :math:`\Sigma_{yx}` by :math:`y_i x_i^\top / n`
    and leaves the input covariance where it is: the perturbation that the
    first-order SVD picture of :math:`\Sigma_{yx}` describes. At b = 1 the
    gradient flow is the same as that of :func:`deep_linear_network`.

    Examples
    --------
    >>> from theory.deep_linear import correlation_reweighted_network
    >>> m = correlation_reweighted_network([[1, 1], [1, -1]], [[2, 0], [0, 1]])
    >>> m.n, m.d
    (2, 8)
    """
    X, Y, hidden = _checked(X, Y, hidden)
    W, params, xs, ys, data = _template(X, Y, hidden)
    n = len(X)
    loss = -(ys.T * W * xs)[0] / n
    outputs = [W * sp.Matrix(x) for x in X.tolist()]
    regularizer = sum(((o.T * o)[0] for o in outputs), sp.Integer(0)) / (2 * n)
    return Model.from_data(params, loss, data, regularizer=sp.expand(regularizer))


def two_mode_example(labels="agree", strengths=(3.0, 0.5), conflict=1.0):
    r"""The d = 2 data: inputs :math:`(\pm1, \pm1)`, two modes of very unequal strength.

    The inputs are whitened (:math:`X^\top X/4 = I`) and
    :math:`\Sigma_{yx} = \mathrm{diag}(s_1, s_2)` for both label structures:

    - ``"agree"``: :math:`y = S x`, the learned map fits every example;
    - ``"disagree"``: the second output gains ``conflict`` times
      :math:`x_1 x_2`, a pattern no linear map sees. With ``conflict`` above
      :math:`s_2` the two examples with :math:`x_1 = -1` have second labels
      of the opposite sign to the learned map's, :math:`(s_2 - c)\,x_2`.

    Returns
    -------
    X, Y : ndarray, shape (4, 2)
        Rows (1, 1), (1, -1), (-1, 1), (-1, -1) and their targets.

    Examples
    --------
    >>> from theory.deep_linear import two_mode_example
    >>> X, Y = two_mode_example("disagree")
    >>> Y[2]
    array([-3. , -0.5])
    """
    if labels not in ("agree", "disagree"):
        raise ValueError(f"labels: need 'agree' or 'disagree', got {labels!r}.")
    X = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
    Y = X * np.asarray(strengths, dtype=float)
    if labels == "disagree":
        Y[:, 1] += conflict * X[:, 0] * X[:, 1]
    return X, Y


def _checked(X, Y, hidden):
    X = np.asarray(X)
    Y = np.asarray(Y)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
        raise ValueError(
            f"X, Y: need shapes (n, d_in) and (n, d_out) with the same n, got "
            f"{X.shape} and {Y.shape}."
        )
    hidden = min(X.shape[1], Y.shape[1]) if hidden is None else hidden
    if not isinstance(hidden, int) or hidden < 1:
        raise ValueError(f"hidden: need a positive integer width, got {hidden!r}.")
    return X, Y, hidden


def _template(X, Y, hidden):
    """The product W = W2 W1, the parameters, the data symbols and columns."""
    d_in, d_out = X.shape[1], Y.shape[1]
    W1, W2, params = network_parameters(d_in, hidden, d_out)
    xs = sp.Matrix([sp.Dummy(f"x_{k + 1}") for k in range(d_in)])
    ys = sp.Matrix([sp.Dummy(f"y_{k + 1}") for k in range(d_out)])
    data = {s: X[:, k] for k, s in enumerate(xs)}
    data.update({s: Y[:, k] for k, s in enumerate(ys)})
    return W2 * W1, params, xs, ys, data
