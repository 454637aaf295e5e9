r"""The model: parameters, per-example losses, regulariser, prior and data weights.

Every framework in the sandbox reads one object, the weighted total loss

.. math::

    L(\theta; b) = \sum_{i=1}^n b_i \, \ell_i(\theta) + R(\theta),

with :math:`\theta` the parameters (``params``), :math:`\ell_i` the per-example
losses (``losses``), :math:`R` the regulariser (``regularizer``, which carries no
data weight) and :math:`b` the data weights (``weights``; ``b = 1`` is the
trained model). The loss is a sum, never a mean: a mean loss is the sum with
every weight divided by n. A log-prior and a support box matter only for Gibbs
posteriors.
"""

import numpy as np
import sympy as sp

from .validation import (
    _check_data,
    _check_params,
    _check_support,
    _check_symbols,
    _check_weights,
    _expr,
)

__all__ = ["Model"]


class Model:
    r"""A small analytic model with one loss per training example.

    Parameters
    ----------
    params : sequence of sympy.Symbol, length d
        The parameters :math:`\theta`, in the order used for gradients,
        Hessians and numeric vectors.
    losses : sequence of sympy.Expr, length n
        The per-example losses :math:`\ell_i(\theta)`. Free symbols other than
        the parameters are symbolic data (see ``constants``).
    regularizer : sympy.Expr, optional
        :math:`R(\theta)`, added once, with no data weight.
    log_prior : sympy.Expr, optional
        :math:`\log \pi(\theta)` up to a constant, for Gibbs posteriors; ``None``
        means a flat prior.
    support : sequence of (lower, upper) pairs, length d, optional
        A box on which the prior lives, one interval per parameter; ``None``
        means all of :math:`\mathbb{R}^d`.

    Attributes
    ----------
    params : tuple of sympy.Symbol
    losses : tuple of sympy.Expr
    weights : tuple of sympy.Symbol
        The data-weight symbols :math:`b_1, \dots, b_n`.
    n, d : int
        Number of examples and of parameters.
    constants : tuple of sympy.Symbol
        Free symbols that are neither parameters nor numeric data: symbolic
        data and symbolic hyperparameters. Derivations keep them as symbols;
        numerics need them replaced first (:meth:`subs`).

    Raises
    ------
    TypeError
        A parameter that is not a ``sympy.Symbol`` or a loss that is not a
        SymPy expression.
    ValueError
        Repeated parameters, no examples, a support box of the wrong length
        or with an empty interval, or a symbol that collides with the names
        of the data weights.

    Examples
    --------
    >>> import sympy as sp
    >>> from theory import Model
    >>> mu = sp.Symbol("mu")
    >>> m = Model([mu], [(z - mu) ** 2 / 2 for z in (1, 2, 6)])
    >>> m.n, m.d
    (3, 1)
    >>> m.loss()
    b_1*(1 - mu)**2/2 + b_2*(2 - mu)**2/2 + b_3*(6 - mu)**2/2
    """

    def __init__(self, params, losses, regularizer=0, log_prior=None, support=None):
        self._params = _check_params(params)
        losses = tuple(_expr(loss, f"losses[{i}]") for i, loss in enumerate(losses))
        if not losses:
            raise ValueError(
                "losses: need at least one example, got an empty sequence; "
                "pass one SymPy expression per training example."
            )
        self._losses = losses
        self._template = None
        self._data = None
        self._setup(regularizer, log_prior, support, len(losses))
        free = set().union(*(e.free_symbols for e in (*losses, *self._extras())))
        self._constants = _sorted(free - set(self._params))
        self._check_weight_names()

    @classmethod
    def from_data(
        cls,
        params,
        loss,
        data,
        regularizer=0,
        log_prior=None,
        support=None,
        constants=(),
    ):
        r"""Build a model from one loss template and columns of data.

        Parameters
        ----------
        params : sequence of sympy.Symbol, length d
        loss : sympy.Expr
            The loss of one example, :math:`\ell(\theta; z)`, in the parameters
            and the data symbols.
        data : mapping of sympy.Symbol to sequence, each of length n
            One column of values per data symbol; example i takes the i-th
            entry of every column. Values may be numbers or SymPy expressions.
        regularizer, log_prior, support
            As for :class:`Model`.
        constants : sequence of sympy.Symbol, optional
            Further symbols the loss or regulariser may contain (symbolic
            hyperparameters). Any other free symbol is an error, since it is
            most likely a data column that was forgotten.

        Notes
        -----
        Numerics evaluate such a model vectorised over the examples from the
        template and the columns, so it is the way to build models with many
        examples. The per-example losses are formed only when asked for.

        Examples
        --------
        >>> import sympy as sp
        >>> from theory import Model
        >>> w, x, y = sp.symbols("w x y")
        >>> m = Model.from_data([w], (y - w * x) ** 2 / 2, {x: [1, 2], y: [3, 5]})
        >>> m.losses
        ((3 - w)**2/2, (5 - 2*w)**2/2)
        """
        self = cls.__new__(cls)
        self._params = _check_params(params)
        self._template = _expr(loss, "loss")
        self._data = _check_data(data, self._params)
        n = len(next(iter(self._data.values()))) if self._data else 0
        if n == 0:
            raise ValueError(
                "data: need at least one example, got no data columns or "
                "empty ones; pass a mapping from each data symbol to its n values."
            )
        self._losses = None
        self._setup(regularizer, log_prior, support, n)

        constants = set(_check_symbols(constants, "constants"))
        in_values = set().union(
            *(
                v.free_symbols
                for col in self._data.values()
                if col.dtype == object
                for v in col
            )
        )
        clash = in_values & (set(self._params) | set(self._data))
        if clash:
            raise ValueError(
                f"data: values contain the symbols {_names(clash)}, which are "
                "parameters or data-column symbols of the template; name symbolic "
                "data differently (e.g. x_1, x_2 for a column keyed by x)."
            )
        allowed = set(self._params) | set(self._data) | constants | in_values
        used = set().union(*(e.free_symbols for e in (self._template, *self._extras())))
        unknown = used - allowed
        if unknown:
            raise ValueError(
                f"loss: free symbols {_names(unknown)} are neither parameters "
                f"{_names(self._params)} nor data symbols {_names(self._data)}; "
                "add a data column for each, or declare symbolic hyperparameters "
                "with constants=(...)."
            )
        self._constants = _sorted(
            (used | in_values) - set(self._params) - set(self._data)
        )
        self._check_weight_names()
        return self

    # ----------------------------------------------------------------- public

    @property
    def params(self):
        return self._params

    @property
    def losses(self):
        if self._losses is None:
            data = self.data
            symbols, columns = tuple(data), tuple(data.values())
            self._losses = tuple(
                self._template.xreplace(dict(zip(symbols, row)))
                for row in zip(*columns)
            )
        return self._losses

    @property
    def weights(self):
        return self._weights

    @property
    def n(self):
        return self._n

    @property
    def d(self):
        return len(self._params)

    @property
    def regularizer(self):
        return self._regularizer

    @property
    def log_prior(self):
        return self._log_prior

    @property
    def support(self):
        return self._support

    @property
    def constants(self):
        return self._constants

    @property
    def template(self):
        """The loss template of a :meth:`from_data` model, else ``None``."""
        return self._template

    @property
    def data(self):
        """The data columns of a ``from_data`` model as SymPy values, else ``None``."""
        if self._data is None:
            return None
        if "sympy data" not in self._cache:
            self._cache["sympy data"] = {
                k: tuple(sp.sympify(v) for v in col.tolist())
                for k, col in self._data.items()
            }
        return dict(self._cache["sympy data"])

    def numeric_data(self):
        """The data columns as float64 arrays, shape (n,) each (``from_data`` only).

        Raises
        ------
        ValueError
            A column holds symbolic values.
        """
        out = {}
        for k, col in self._data.items():
            if col.dtype == object:
                try:
                    col = np.array([float(v) for v in col], dtype=float)
                except TypeError:
                    raise ValueError(
                        f"data[{k}]: numerics need numbers, got symbolic values; "
                        "substitute them with m.subs({...})."
                    ) from None
            out[k] = np.asarray(col, dtype=float)
        return out

    def loss(self, weights=None):
        r"""The total loss :math:`L(\theta; b) = \sum_i b_i \ell_i + R`.

        Parameters
        ----------
        weights : sequence of length n, optional
            Values for the data weights; the symbols :attr:`weights` if omitted.
        """
        b = self._weights if weights is None else _check_weights(weights, self._n)
        return sp.Add(*(bi * li for bi, li in zip(b, self.losses))) + self._regularizer

    def subs(self, values):
        """A new model with symbolic constants replaced, e.g. by numbers.

        Parameters
        ----------
        values : mapping of sympy.Symbol to value
            Only symbols in :attr:`constants` may be replaced.
        """
        values = {sp.sympify(k): sp.sympify(v) for k, v in dict(values).items()}
        wrong = set(values) - set(self._constants)
        if wrong:
            raise ValueError(
                f"values: can only replace the constants {_names(self._constants)}, "
                f"got {_names(wrong)}; parameters and data weights stay symbols."
            )

        def sub(e):
            return None if e is None else sp.sympify(e).xreplace(values)

        support = None
        if self._support is not None:
            support = [(sub(lo), sub(hi)) for lo, hi in self._support]
        extras = dict(
            regularizer=sub(self._regularizer),
            log_prior=sub(self._log_prior),
            support=support,
        )
        if self._template is None:
            return Model(self._params, [sub(e) for e in self._losses], **extras)
        data = {k: [sub(v) for v in col] for k, col in self.data.items()}
        keep = [c for c in self._constants if c not in values]
        return Model.from_data(
            self._params, sub(self._template), data, constants=keep, **extras
        )

    def is_quadratic(self):
        """Whether every loss and the regulariser are polynomials of degree <= 2."""
        exprs = (self._template,) if self._template is not None else self.losses
        return all(_degree(e, self._params) <= 2 for e in (*exprs, self._regularizer))

    def __repr__(self):
        kind = "from_data" if self._template is not None else "losses"
        return (
            f"Model(params={_names(self._params)}, n={self._n}, {kind}, "
            f"regularizer={self._regularizer})"
        )

    # ---------------------------------------------------------------- private

    def _setup(self, regularizer, log_prior, support, n):
        self._n = n
        self._regularizer = _expr(regularizer, "regularizer")
        self._log_prior = None if log_prior is None else _expr(log_prior, "log_prior")
        self._support = _check_support(support, self._params)
        self._weights = tuple(sp.Symbol(f"b_{i + 1}") for i in range(n))
        self._cache = {}

    def _extras(self):
        exprs = [self._regularizer]
        if self._log_prior is not None:
            exprs.append(self._log_prior)
        if self._support is not None:
            exprs.extend(x for pair in self._support for x in pair)
        return exprs

    def _check_weight_names(self):
        names = {s.name for s in (*self._params, *self._constants)}
        names |= {s.name for s in self._data or ()}
        clash = sorted(names & {b.name for b in self._weights})
        if clash:
            raise ValueError(
                f"params/data: the names {clash} are taken by the data weights "
                f"b_1..b_{self._n}; rename those symbols."
            )


def _degree(expr, params):
    if not expr.free_symbols & set(params):
        return 0
    try:
        return sp.Poly(expr, *params).total_degree()
    except sp.PolynomialError:
        return np.inf


def _sorted(symbols):
    return tuple(sorted(symbols, key=lambda s: s.name))


def _names(symbols):
    return "[" + ", ".join(sorted(str(s) for s in symbols)) + "]"
