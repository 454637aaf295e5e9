"""Checks of the arguments of :class:`theory.Model`, one function per argument.

Each raises with the argument's name, the requirement, what was received and
the way out, before any symbolic work is done.
"""

import numbers

import numpy as np
import sympy as sp


def _expr(value, name):
    if isinstance(value, str):
        raise TypeError(
            f"{name}: need a SymPy expression, got the string {value!r}; build it "
            "from sympy.Symbol objects so that symbols are not created by accident."
        )
    try:
        return sp.sympify(value, strict=True)
    except sp.SympifyError:
        raise TypeError(
            f"{name}: need a SymPy expression, got {type(value).__name__} {value!r}."
        ) from None


def _check_symbols(symbols, name):
    symbols = tuple(symbols)
    for i, s in enumerate(symbols):
        if not isinstance(s, sp.Symbol):
            raise TypeError(
                f"{name}[{i}]: need a sympy.Symbol, got {type(s).__name__} {s!r}; "
                "create symbols with sympy.symbols('a b c')."
            )
    return symbols


def _check_params(params):
    params = _check_symbols(params, "params")
    if not params:
        raise ValueError("params: need at least one parameter, got none.")
    repeated = sorted({p.name for p in params if params.count(p) > 1})
    if repeated:
        raise ValueError(
            f"params: each parameter must appear once, got {repeated} repeated; "
            "remove the duplicates."
        )
    return params


def _check_data(data, params):
    if not hasattr(data, "items"):
        raise TypeError(
            f"data: need a mapping from data symbol to a column of values, got "
            f"{type(data).__name__}."
        )
    columns = {}
    for key, column in data.items():
        if isinstance(key, str) or not isinstance(key, sp.Symbol):
            raise TypeError(f"data: keys must be sympy.Symbol, got {key!r}.")
        if key in params:
            raise ValueError(
                f"data: {key} is a parameter; a symbol is either a parameter or "
                "a data column, not both."
            )
        if isinstance(column, sp.MatrixBase):
            column = list(column)
        try:
            array = np.asarray(column)
        except ValueError:
            array = np.empty(0)
        if array.ndim != 1:
            raise ValueError(
                f"data[{key}]: need a one-dimensional column, got shape "
                f"{np.shape(array)}."
            )
        if array.dtype.kind not in "biuf":
            checked = [_check_value(v, key, i) for i, v in enumerate(array.tolist())]
            array = np.empty(len(checked), dtype=object)
            array[:] = checked
        if array.dtype != object and not np.all(np.isfinite(array)):
            i = int(np.flatnonzero(~np.isfinite(array))[0])
            raise ValueError(
                f"data[{key}][{i}]: need a finite value, got {array[i]}; drop or "
                "impute that example."
            )
        array.flags.writeable = False
        columns[key] = array
    lengths = {k.name: len(c) for k, c in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(
            f"data: all columns need the same length, got lengths {lengths}; one "
            "entry per example in every column."
        )
    return columns


def _check_value(value, key, i):
    if isinstance(value, numbers.Number) or isinstance(value, np.generic):
        if not np.isfinite(complex(value)):
            raise ValueError(
                f"data[{key}][{i}]: need a finite value, got {value}; drop or "
                "impute that example."
            )
        return sp.sympify(value)
    value = _expr(value, f"data[{key}][{i}]")
    if value.has(sp.nan, sp.oo, -sp.oo, sp.zoo):
        raise ValueError(
            f"data[{key}][{i}]: need a finite value, got {value}; drop or impute "
            "that example."
        )
    return value


def _check_weights(weights, n):
    weights = tuple(sp.sympify(w) for w in weights)
    if len(weights) != n:
        raise ValueError(
            f"weights: need one weight per example ({n}), got {len(weights)}."
        )
    return weights


def _check_support(support, params):
    if support is None:
        return None
    support = tuple(tuple(pair) for pair in support)
    if len(support) != len(params) or any(len(pair) != 2 for pair in support):
        raise ValueError(
            f"support: need one (lower, upper) pair per parameter ({len(params)}), "
            f"got {support!r}; use (-sympy.oo, sympy.oo) for an unbounded one."
        )
    box = []
    for p, (lo, hi) in zip(params, support):
        lo, hi = sp.sympify(lo), sp.sympify(hi)
        if (hi - lo).is_nonpositive:
            raise ValueError(
                f"support: the interval for {p} must have lower < upper, got "
                f"({lo}, {hi})."
            )
        box.append((lo, hi))
    return tuple(box)
