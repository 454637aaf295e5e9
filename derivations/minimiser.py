r"""The minimiser :math:`\theta^*(b)` of the weighted loss, exactly where possible.

Rungs, tried in order:

1. ``"given"``: the caller picked a point with ``at``; it is checked to be
   stationary.
2. ``"closed form"``: the stationarity equations are linear (a quadratic
   loss) and are solved exactly, or they are polynomial in at most three
   parameters and SymPy's ``solve`` finds a unique minimiser.
3. ``"50-digit root"``: for numeric data, Newton's method in mpmath from a
   float64 starting point, to 50 significant digits.

Symbolic work is cached on the model, keyed by the weights and ``at``.
"""

import mpmath
import numpy as np
import scipy.optimize
import sympy as sp

from theory.errors import SingularHessianError, singular_hessian_message

__all__ = ["gradient", "hessian", "minimiser", "check_observable"]

_DIGITS = 50


def gradient(expr, params):
    """The gradient of ``expr`` as a column ``sympy.Matrix`` of shape (d, 1)."""
    return sp.Matrix([sp.diff(expr, p) for p in params])


def hessian(expr, params):
    """The Hessian of ``expr`` as a symmetric ``sympy.Matrix`` of shape (d, d)."""
    return sp.hessian(expr, params)


def minimiser(m, weights=None, at=None):
    r"""A minimiser of :math:`L(\theta; b)` and the rung that produced it.

    Parameters
    ----------
    m : theory.Model
    weights : sequence of length n, or ``"symbolic"``, optional
        Data weights b; all ones if omitted, the weight symbols ``m.weights``
        with ``"symbolic"`` (closed forms only).
    at : mapping or sequence, optional
        A point to use instead of solving; checked to be stationary.

    Returns
    -------
    theta_star : dict
        Parameter symbol to value.
    rung : str
        ``"given"``, ``"closed form"`` or ``"50-digit root"``.

    Raises
    ------
    ValueError
        ``at`` is not stationary or is a saddle, or the minimiser is not
        unique and no ``at`` was given.
    SingularHessianError
        The stationary points form a curve or surface (or the numeric root
        has a flat direction) and no ``at`` was given.
    NotImplementedError
        No closed form and symbolic data, so no numeric root either.
    """
    b = _weights(m, weights)
    key = ("minimiser", b, _point_key(m, at))
    if key not in m._cache:
        m._cache[key] = _minimiser(m, b, at)
    return m._cache[key]


def check_observable(m, f, name="f"):
    """Sympify an observable; symbols other than parameters are kept as constants."""
    if isinstance(f, str):
        raise TypeError(
            f"{name}: need a SymPy expression in the parameters, got the string "
            f"{f!r}; build it from m.params."
        )
    try:
        f = sp.sympify(f, strict=True)
    except sp.SympifyError:
        raise TypeError(
            f"{name}: need a SymPy expression in the parameters, got "
            f"{type(f).__name__}."
        ) from None
    stray = f.free_symbols & set(m.weights)
    if stray:
        raise ValueError(
            f"{name}: contains the data weights {sorted(map(str, stray))}; an "
            f"observable is a function of the parameters {list(m.params)} (other "
            "symbols are kept as constants)."
        )
    return f


def point(m, at):
    """Turn ``at`` (mapping or sequence of length d) into a parameter dict."""
    if hasattr(at, "items"):
        values = {sp.sympify(k): sp.sympify(v) for k, v in at.items()}
        if set(values) != set(m.params):
            raise ValueError(
                f"at: need a value for each parameter {list(m.params)}, got keys "
                f"{list(values)}."
            )
        return values
    at = list(at)
    if len(at) != m.d:
        raise ValueError(
            f"at: need one value per parameter ({m.d}), got {len(at)} values."
        )
    return dict(zip(m.params, (sp.sympify(v) for v in at)))


# ---------------------------------------------------------------- internals


def _minimiser(m, b, at):
    L = m.loss(b)
    grad = gradient(L, m.params)

    if at is not None:
        theta_star = point(m, at)
        residual = grad.xreplace(theta_star)
        if not _stationary(m, b, theta_star, residual):
            raise ValueError(
                f"at: {theta_star} is not a stationary point of L; the gradient "
                f"there is {list(residual)}. Pick a point on the minimum set."
            )
        _refuse_saddle(hessian(L, m.params).xreplace(theta_star), theta_star)
        return theta_star, "given"

    if m.is_quadratic():
        return _linear_solve(m, L, grad), "closed form"
    if _polynomial(grad, m.params) and m.d <= 3:
        solved = _polynomial_solve(m, L, grad)
        if solved is not None:
            return solved, "closed form"
    if m.constants or any(not sp.sympify(x).is_number for x in b):
        raise NotImplementedError(
            "minimiser: the stationarity equations have no closed form SymPy can "
            f"find, and the model has symbolic constants {list(m.constants)} or "
            "symbolic weights, so no numeric root either. Substitute numbers with "
            "m.subs({...}), or pass the minimiser with at=."
        )
    return _numeric_root(m, L, grad), f"{_DIGITS}-digit root"


def _stationary(m, b, theta_star, residual):
    """Exactly zero for exact points; zero to the precision of Float points."""
    floats = [v for v in theta_star.values() if isinstance(v, sp.Float)]
    if not floats:
        return all(sp.simplify(r) == 0 for r in residual)
    digits = min(mpmath.libmp.prec_to_dps(v._prec) for v in floats)
    terms = [
        gradient(bi * loss, m.params).xreplace(theta_star)
        for bi, loss in zip(b, m.losses)
    ]
    scale = max([1.0] + [abs(float(t)) for col in terms for t in col if t.is_number])
    tol = 10.0 ** (2 - digits) * scale
    return all(r.is_number and abs(float(r)) <= tol for r in residual)


def _refuse_saddle(H, theta_star):
    """A stationary ``at`` with negative curvature is a saddle, not a minimiser.

    Only a numeric Hessian can be checked; a symbolic one is taken on trust.
    """
    if not all(entry.is_number for entry in H):
        return
    eigvals = _eigenvalues(H)
    if eigvals[0] < -1e-12 * max(abs(eigvals[-1]), 1.0):
        raise ValueError(
            f"at: {theta_star} is stationary but a saddle point of L (Hessian "
            f"eigenvalues {eigvals}), not a minimiser; pick a point on the "
            "minimum set."
        )


def _linear_solve(m, L, grad):
    zero = {p: 0 for p in m.params}
    A = hessian(L, m.params)
    c = -grad.xreplace(zero)
    det = sp.cancel(A.det())
    if det == 0:
        flat = [list(v) for v in A.nullspace()]
        raise SingularHessianError(
            singular_hessian_message(m.params, flat, where="(the loss is quadratic)")
            + " The minimum is not isolated: pass at= to pick a minimiser.",
            flat,
        )
    if A.is_positive_definite is False:
        raise ValueError(
            f"m: the quadratic loss has Hessian {A.tolist()}, which is not positive "
            "definite, so its stationary point is a saddle or a maximum and L has "
            "no minimiser; check the signs of the losses and the regularizer."
        )
    solution = A.LUsolve(c)
    return {p: sp.cancel(s) for p, s in zip(m.params, solution)}


def _polynomial(grad, params):
    try:
        return all(sp.Poly(g, *params) is not None for g in grad)
    except sp.PolynomialError:
        return False


def _polynomial_solve(m, L, grad):
    solutions = sp.solve(list(grad), m.params, dict=True)
    H = hessian(L, m.params)
    families = [s for s in solutions if len(s) < m.d]
    if m.constants:
        if families:
            _refuse_continuum(m, H, families[0])
        return solutions[0] if len(solutions) == 1 else None
    candidates = []
    for s in solutions:
        if len(s) != m.d or not all(v.is_real for v in s.values()):
            continue
        if all(ev > 0 for ev in _eigenvalues(H.xreplace(s))):
            candidates.append((L.xreplace(s), s))
    if families and not candidates:
        _refuse_continuum(m, H, families[0])
    if not candidates:
        return None
    best = min(candidates, key=lambda c: float(c[0]))
    ties = [c for c in candidates if abs(float(c[0] - best[0])) < 1e-30]
    if len(ties) > 1:
        raise ValueError(
            f"minimiser: {len(ties)} isolated global minimisers with equal loss, "
            f"{[t[1] for t in ties]}; pass at= to pick one."
        )
    return best[1]


def _refuse_continuum(m, H, family):
    """Stationary points forming a curve or surface: name its flat directions.

    ``family`` expresses some parameters through the others (``{a: 3/c}``);
    the null space of H at a generic point of it is the tangent to the set,
    the direction along which the loss does not change to second order.
    """
    H_family = H.xreplace(family).applyfunc(sp.cancel)
    flat = [[sp.factor(x) for x in v] for v in H_family.nullspace(simplify=True)]
    raise SingularHessianError(
        singular_hessian_message(
            m.params,
            flat,
            where=f"on the set of stationary points {family}",
        )
        + " The stationary points are not isolated: pass at= to pick a minimiser.",
        flat,
    )


def _eigenvalues(H):
    return np.linalg.eigvalsh(np.array(H.evalf(30), dtype=float))


def _numeric_root(m, L, grad):
    args = list(m.params)
    L_fn = sp.lambdify(args, L, "numpy")
    grad_fn = sp.lambdify(args, list(grad), "numpy")
    result = scipy.optimize.minimize(
        lambda x: float(L_fn(*x)),
        np.zeros(m.d),
        jac=lambda x: np.asarray(grad_fn(*x), dtype=float),
        method="BFGS",
        options={"gtol": 1e-10, "maxiter": 10_000},
    )
    if not np.all(np.isfinite(result.x)):
        raise ArithmeticError(
            "minimiser: the float64 search diverged (is the loss bounded below? "
            "logistic regression on separable data needs a ridge term alpha > 0)."
        )
    try:
        root = sp.nsolve(list(grad), args, list(result.x), prec=_DIGITS)
    except (ValueError, ZeroDivisionError) as error:
        raise ArithmeticError(
            f"minimiser: Newton's method at {_DIGITS} digits did not converge from "
            f"{list(result.x)} ({error}); pass the minimiser with at=."
        ) from None
    theta_star = {p: sp.Float(v, _DIGITS) for p, v in zip(args, root)}
    H = np.array(hessian(L, m.params).xreplace(theta_star).evalf(30), dtype=float)
    eigvals, eigvecs = np.linalg.eigh(H)
    if eigvals[0] < -1e-12 * max(abs(eigvals[-1]), 1.0):
        # A saddle: its negative-curvature directions are not flat directions.
        raise ArithmeticError(
            f"minimiser: the numeric search stopped at the saddle point "
            f"{[float(v) for v in theta_star.values()]} (Hessian eigenvalues "
            f"{eigvals}), where the gradient vanishes; pass a minimiser with at=."
        )
    if eigvals[0] <= 1e-12 * max(abs(eigvals[-1]), 1.0):
        flat = [
            eigvecs[:, k] for k in np.flatnonzero(eigvals <= 1e-12 * abs(eigvals[-1]))
        ]
        raise SingularHessianError(
            singular_hessian_message(m.params, flat, where="at the numeric root")
            + " The minimum is not isolated: pass at= to pick a minimiser.",
            flat,
        )
    return theta_star


def _weights(m, weights):
    if weights is None:
        return (sp.Integer(1),) * m.n
    if isinstance(weights, str):
        if weights != "symbolic":
            raise ValueError(
                f"weights: need a sequence or 'symbolic', got {weights!r}."
            )
        return m.weights
    weights = tuple(sp.sympify(w) for w in weights)
    if len(weights) != m.n:
        raise ValueError(
            f"weights: need one weight per example ({m.n}), got {len(weights)}."
        )
    return weights


def _point_key(m, at):
    if at is None:
        return None
    return tuple(sorted(point(m, at).items(), key=lambda kv: kv[0].name))
