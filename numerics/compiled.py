r"""Float64 twins of a model's SymPy expressions, vectorised over examples.

A model is compiled once (the result is cached on the model): the loss, its
gradient and the upper triangle of its Hessian become NumPy functions with
common subexpressions shared. A ``from_data`` model is compiled from its
template alone and evaluated on whole data columns, so the cost of compiling
does not grow with n, and its data-only factors are evaluated once. Every
function takes parameters of shape (..., d), a leading batch of parameter
vectors included, and returns per-example arrays of shape (..., n).
"""

import numpy as np
import sympy as sp

__all__ = ["compiled", "observable"]


def compiled(m):
    """The cached :class:`_Compiled` twin of model ``m``."""
    if "compiled" not in m._cache:
        m._cache["compiled"] = _Compiled(m)
    return m._cache["compiled"]


def observable(m, f):
    """A float64 function of theta returning ``(f, grad f)``, shapes (...,), (..., d).

    Raises
    ------
    ValueError
        ``f`` has free symbols other than the parameters.
    """
    key = ("observable", sp.sympify(f))
    if key not in m._cache:
        f = _check_numeric_expr(m, f, "f")
        exprs = [f, *(sp.diff(f, p) for p in m.params)]
        fn = sp.lambdify(m.params, exprs, modules="numpy", cse=True)

        def evaluate(theta):
            theta = np.asarray(theta, dtype=float)
            out = fn(*np.moveaxis(theta, -1, 0))
            batch = theta.shape[:-1]
            value = np.broadcast_to(np.asarray(out[0], float), batch)
            grad = np.stack(
                [np.broadcast_to(np.asarray(g, float), batch) for g in out[1:]], -1
            )
            return value, grad

        m._cache[key] = evaluate
    return m._cache[key]


class _Compiled:
    """Loss, gradient and Hessian of every example and of the regulariser."""

    def __init__(self, m):
        if m.constants:
            raise ValueError(
                f"m: numerics need numbers, but the model has symbolic constants "
                f"{[str(c) for c in m.constants]}; substitute values first with "
                "m.subs({symbol: value, ...}), or use derivations for formulas."
            )
        self.n, self.d = m.n, m.d
        params = list(m.params)
        self._upper = [(j, k) for j in range(m.d) for k in range(j, m.d)]
        # Position of entry (j, k) of the Hessian among the upper-triangle
        # entries, so that one gather builds the symmetric matrix.
        square = np.empty((m.d, m.d), dtype=int)
        for position, (j, k) in enumerate(self._upper):
            square[j, k] = square[k, j] = position
        self._square_index = square.ravel()

        def derivatives(expr):
            grad = [sp.diff(expr, p) for p in params]
            return [expr, *grad, *(sp.diff(grad[j], params[k]) for j, k in self._upper)]

        if m.template is not None:
            numeric = m.numeric_data()
            symbols, columns = list(numeric), list(numeric.values())
            self._examples = _Separated(
                derivatives(m.template), m.template, params, symbols, columns
            )
        else:
            exprs = [derivatives(loss) for loss in m.losses]
            self._examples = _PerExample(exprs, list(m.losses), params)
        self._reg = _Regularizer(m.regularizer, derivatives(m.regularizer), params)

    # ---------------------------------------------------------------- public

    def values(self, theta):
        """Per-example losses, shape (..., n)."""
        return self._examples.values(np.asarray(theta, dtype=float))

    def per_example(self, theta):
        """Per-example loss (..., n), gradient (..., n, d), Hessian (..., n, d, d)."""
        theta = np.asarray(theta, dtype=float)
        entries = self._examples.per_example(
            theta, range(1 + self.d + len(self._upper))
        )
        value, grads = entries[..., 0], entries[..., 1 : 1 + self.d]
        return value, grads, self._square(entries[..., 1 + self.d :])

    def total(self, theta, weights=None, with_example_grads=False, with_scale=False):
        r"""Weighted loss, gradient and Hessian of :math:`\sum_i b_i\ell_i + R`.

        ``weights`` has shape (n,) or (..., n); all ones if omitted. Returns
        arrays of shape (...), (..., d) and (..., d, d); with
        ``with_example_grads`` also the per-example gradients (..., n, d); with
        ``with_scale`` also the gradient's rounding scale (see
        :meth:`gradient_scale`).
        """
        theta = np.asarray(theta, dtype=float)
        w = None if weights is None else np.asarray(weights, dtype=float)
        d = self.d
        grad_entries = range(1, 1 + d) if with_scale else ()
        sums, magnitudes = self._examples.contract(theta, w, grad_entries)
        reg = self._regularizer(theta)
        sums = sums + reg
        H = self._square(sums[..., 1 + d :])
        out = (sums[..., 0], sums[..., 1 : 1 + d], H)
        if with_example_grads:
            out += (self._examples.per_example(theta, range(1, 1 + d)),)
        if with_scale:
            out += (magnitudes + np.abs(reg[..., 1 : 1 + d]),)
        return out

    def loss(self, theta, weights=None):
        """Weighted total loss only, shape (...)."""
        theta = np.asarray(theta, dtype=float)
        w = np.ones(self.n) if weights is None else np.asarray(weights, dtype=float)
        value = np.sum(self.values(theta) * w, axis=-1)
        return value + self._regularizer(theta)[..., 0]

    def gradient_scale(self, theta, weights=None):
        r"""Sum of the magnitudes of the summands of :math:`\nabla L`, shape (..., d).

        The rounding error of a float64 gradient is about machine epsilon times
        this, which decides when a gradient counts as zero.
        """
        return self.total(theta, weights, with_scale=True)[-1]

    # --------------------------------------------------------------- private

    def _regularizer(self, theta):
        """Value, gradient and Hessian entries of R, shape (..., count)."""
        return self._reg(theta)

    def _square(self, upper):
        """Symmetric Hessians (..., d, d) from upper-triangle entries (..., K)."""
        H = np.take(upper, self._square_index, axis=-1)
        return H.reshape(upper.shape[:-1] + (self.d, self.d))


class _Regularizer:
    """The entries of R, with those that do not depend on theta evaluated once.

    A quadratic R (a ridge term) is :math:`c + q^\top\theta + \theta^\top A
    \theta / 2` exactly, evaluated with two matrix products; otherwise the
    entries that involve theta are compiled and the constant ones kept.
    """

    def __init__(self, R, entries, params):
        dynamic = [k for k, e in enumerate(entries) if e.has(*params)]
        self._constant = np.array(
            [0.0 if k in dynamic else float(e) for k, e in enumerate(entries)]
        )
        self._dynamic = np.array(dynamic, dtype=int)
        self._fn = sp.lambdify(params, [entries[k] for k in dynamic], "numpy", cse=True)
        self._d = len(params)
        self._quadratic = None
        if (
            sp.sympify(R).is_polynomial(*params)
            and sp.Poly(R, *params).total_degree() <= 2
        ):
            zero = dict.fromkeys(params, 0)
            q = np.array([float(g.xreplace(zero)) for g in entries[1 : 1 + self._d]])
            A = np.array(sp.hessian(R, params), dtype=float)
            self._quadratic = (float(sp.sympify(R).xreplace(zero)), q, A)

    def __call__(self, theta):
        batch = theta.shape[:-1]
        if self._quadratic is not None:
            return self._evaluate_quadratic(theta, batch)
        out = np.empty(batch + self._constant.shape)
        out[...] = self._constant
        if len(self._dynamic):
            values = self._fn(*(theta[..., k] for k in range(self._d)))
            if not batch:
                out[self._dynamic] = values
            else:
                for k, value in zip(self._dynamic, values):
                    out[..., k] = value
        return out

    def _evaluate_quadratic(self, theta, batch):
        c, q, A = self._quadratic
        d = self._d
        if not batch:
            grad = q + A @ theta
            out = self._constant.copy()
            out[0] = c + 0.5 * theta @ (q + grad)
            out[1 : 1 + d] = grad
            return out
        out = np.empty(batch + self._constant.shape)
        out[..., 1 + d :] = self._constant[1 + d :]
        grad = q + theta @ A
        out[..., 1 : 1 + d] = grad
        out[..., 0] = c + 0.5 * np.sum(theta * (q + grad), axis=-1)
        return out


class _Separated:
    r"""Entries :math:`e_k(\theta; z_i) = \sum_r u_r(\theta; z_i)\, s_{rk}(z_i)`.

    Each entry (loss, gradient or Hessian component of the template) is split
    into terms, each a product of a dynamic factor :math:`u_r`, which involves
    the parameters, and a static factor :math:`s_{rk}`, which involves only the
    data. The static factors are evaluated once; an iteration computes the few
    distinct dynamic factors and contracts them with the data in one matrix
    product per factor, so a generalised linear model costs what
    :math:`X^\top \mathrm{diag}(c) X` costs.
    """

    def __init__(self, entries, template, params, symbols, columns):
        n = len(columns[0])
        factors, static = {}, {}
        for k, entry in enumerate(entries):
            for term in sp.Add.make_args(entry):
                coeff, parts = term.as_coeff_mul()
                dynamic = sp.Mul(*(p for p in parts if p.has(*params)))
                fixed = coeff * sp.Mul(*(p for p in parts if not p.has(*params)))
                r = factors.setdefault(dynamic, len(factors))
                static[r, k] = static.get((r, k), 0) + fixed

        args = params + symbols
        self._dynamic = sp.lambdify(args, list(factors), "numpy", cse=True)
        self._value = sp.lambdify(args, template, "numpy", cse=True)
        fixed_fn = sp.lambdify(symbols, list(static.values()), "numpy", cse=True)
        fixed = [
            np.broadcast_to(np.asarray(v, float), (n,)) for v in fixed_fn(*columns)
        ]
        self._blocks = []
        for r in range(len(factors)):
            keys = [k for (q, k) in static if q == r]
            cols = [fixed[i] for i, (q, _) in enumerate(static) if q == r]
            # Rows are entries: (K, n) contiguous makes S @ u a fast GEMV.
            self._blocks.append((_index(keys), np.stack(cols)))
        self._magnitudes = {}
        self._plans = {}
        self._last = (None, None)
        self._columns, self._count, self.n, self.d = (
            columns,
            len(entries),
            n,
            len(params),
        )

    def values(self, theta):
        out = self._value(*self._args(theta))
        return np.broadcast_to(np.asarray(out, float), theta.shape[:-1] + (self.n,))

    def contract(self, theta, w, magnitude_entries=()):
        r"""Weighted sums over examples of every entry, shape (..., count).

        Also returns, for ``magnitude_entries``, an upper bound on the sums of
        the magnitudes of the terms, :math:`\sum_i |w_i| \sum_r |u_r||s_{rk}|`.
        """
        u = self._factors(theta)
        if w is None:
            batch, uw = theta.shape[:-1], u
        else:
            batch = np.broadcast_shapes(theta.shape[:-1], w.shape[:-1])
            uw = [u_r * w for u_r in u]
        out = np.zeros(batch + (self._count,))
        for (keys, S), uw_r in zip(self._blocks, uw):
            out[..., keys] += _apply(S, uw_r)
        entries = tuple(magnitude_entries)
        bound = np.zeros(batch + (len(entries),))
        if entries:
            for (where, S_abs), uw_r in zip(self._magnitude_blocks(entries), uw):
                if len(where):
                    bound[..., where] += _apply(S_abs, np.abs(uw_r))
        return out, bound

    def per_example(self, theta, entries):
        """The entries listed in ``entries`` for every example, shape (..., n, len)."""
        entries = tuple(entries)
        u = self._factors(theta)
        out = np.zeros(theta.shape[:-1] + (self.n, len(entries)))
        for r, where, S_T in self._plan(entries):
            out[..., where] += u[r][..., None] * S_T
        return out

    def _plan(self, entries):
        """Per block touching ``entries``: its index, positions, static part (n, k)."""
        if entries not in self._plans:
            position = {k: i for i, k in enumerate(entries)}
            plan = []
            for r, (keys, S) in enumerate(self._blocks):
                keys = _keys(keys, len(S))
                mine = [i for i, k in enumerate(keys) if k in position]
                if mine:
                    where = _index([position[keys[i]] for i in mine])
                    plan.append((r, where, np.ascontiguousarray(S[mine].T)))
            self._plans[entries] = plan
        return self._plans[entries]

    def _magnitude_blocks(self, entries):
        """Per block: positions in ``entries`` and |S| restricted to them (cached)."""
        if entries not in self._magnitudes:
            position = {k: i for i, k in enumerate(entries)}
            blocks = []
            for keys, S in self._blocks:
                keys = _keys(keys, len(S))
                mine = [i for i, k in enumerate(keys) if k in position]
                where = np.array([position[keys[i]] for i in mine], dtype=int)
                blocks.append((where, np.ascontiguousarray(np.abs(S[mine]))))
            self._magnitudes[entries] = blocks
        return self._magnitudes[entries]

    def _args(self, theta):
        return [theta[..., k, None] for k in range(self.d)] + self._columns

    def _factors(self, theta):
        # The loss, its gradient and the per-example gradients are usually asked
        # for at the same point in turn: remember the factors of the last point.
        last_theta, last_factors = self._last
        if (
            last_theta is not None
            and last_theta.shape == theta.shape
            and (last_theta == theta).all()
        ):
            return last_factors
        shape = theta.shape[:-1] + (self.n,)
        factors = [_shaped(u, shape) for u in self._dynamic(*self._args(theta))]
        self._last = (theta.copy(), factors)
        return factors


def _index(keys):
    """Integer positions as a slice where they are consecutive (no fancy copy)."""
    keys = [int(k) for k in keys]
    if keys == list(range(keys[0], keys[0] + len(keys))):
        return slice(keys[0], keys[0] + len(keys))
    return np.array(keys, dtype=int)


def _keys(index, count):
    """The positions an :func:`_index` stands for, as a list."""
    if isinstance(index, slice):
        return list(range(index.start, index.start + count))
    return index.tolist()


def _shaped(value, shape):
    """``value`` as a float array of ``shape``, broadcasting only where needed."""
    value = np.asarray(value, dtype=float)
    return value if value.shape == shape else np.broadcast_to(value, shape)


def _apply(S, u):
    """Sum over examples of S (K, n) weighted by u (..., n): shape (..., K)."""
    return S @ u if u.ndim == 1 else u @ S.T


class _PerExample:
    """Entries of models given as one expression per example (small n)."""

    def __init__(self, entries, losses, params):
        self._count = len(entries[0])
        flat = [e for per_loss in entries for e in per_loss]
        self._entries = sp.lambdify(params, flat, "numpy", cse=True)
        self._value = sp.lambdify(params, losses, "numpy", cse=True)
        self.n, self.d = len(losses), len(params)

    def values(self, theta):
        return self._stack(self._value(*self._args(theta)), theta.shape[:-1], 1)[..., 0]

    def contract(self, theta, w, magnitude_entries=()):
        all_entries = self.per_example(theta, range(self._count))
        w = np.ones(self.n) if w is None else w
        sums = np.einsum("...nk,...n->...k", all_entries, w)
        some = np.abs(all_entries[..., list(magnitude_entries)])
        return sums, np.einsum("...nk,...n->...k", some, np.abs(w))

    def per_example(self, theta, entries):
        out = self._stack(
            self._entries(*self._args(theta)), theta.shape[:-1], self._count
        )
        return out[..., list(entries)]

    def _args(self, theta):
        return [theta[..., k] for k in range(self.d)]

    def _stack(self, out, batch, count):
        """Regroup n * count per-example outputs into an array (..., n, count)."""
        out = [np.broadcast_to(np.asarray(e, float), batch) for e in out]
        return np.stack(out, -1).reshape(batch + (self.n, count))


def _check_numeric_expr(m, expr, name):
    expr = sp.sympify(expr)
    stray = expr.free_symbols - set(m.params)
    if stray:
        raise ValueError(
            f"{name}: numerics need an expression in the parameters "
            f"{[str(p) for p in m.params]} only, got free symbols "
            f"{sorted(map(str, stray))}; substitute numbers for them first "
            "(expr.subs({...})), or use derivations for a formula."
        )
    return expr
