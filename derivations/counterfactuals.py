r"""Exact counterfactuals for set functions: leave-one-out, Shapley, influence curves.

A set function (a cooperative game) v assigns a value to every subset S of
the examples :math:`N = \{0, \dots, n-1\}`. Retraining on S is one such v, but
the definitions below take any v, so that the classic examples of causal
attribution can be computed exactly, in rationals.

Leave-one-out is the removal difference :math:`v(N \setminus i) - v(N)` (the
sign of removing, so that it is about minus the influence). The Shapley value
(Shapley, 1953, "A value for n-person games") is

.. math::

    \phi_i = \sum_{S \subseteq N \setminus i}
        \frac{|S|!\,(n - |S| - 1)!}{n!} \bigl(v(S \cup i) - v(S)\bigr).
"""

import itertools
from math import factorial

import sympy as sp

from .steps import Derivation, register

__all__ = ["influence_curve", "leave_one_out", "overdetermination", "shapley"]


def shapley(value, n):
    r"""Exact Shapley values of a set function, in exact arithmetic.

    Parameters
    ----------
    value : callable
        ``value(S)`` for a ``frozenset`` S of indices in ``range(n)``; numbers
        or SymPy expressions. Called once per subset.
    n : int
        Number of players (examples), at most 16 here; use
        ``numerics.shapley`` for larger games.

    Returns
    -------
    sympy.Matrix, shape (n, 1)

    Examples
    --------
    >>> import derivations
    >>> derivations.shapley(derivations.overdetermination(), 4).T
    Matrix([[1/2, 1/2, 0, 0]])
    """
    n = _check_n(n, limit=16)
    values = {S: sp.sympify(value(S)) for S in _subsets(n)}
    weight = [
        sp.Rational(factorial(k) * factorial(n - k - 1), factorial(n)) for k in range(n)
    ]
    phi = []
    for i in range(n):
        total = sp.Integer(0)
        for S, v in values.items():
            if i not in S:
                total += weight[len(S)] * (values[S | {i}] - v)
        phi.append(sp.simplify(total))
    return sp.Matrix(phi)


def leave_one_out(value, n):
    r"""Exact leave-one-out differences :math:`v(N \setminus i) - v(N)`.

    Parameters
    ----------
    value : callable
        ``value(S)`` for a ``frozenset`` S.
    n : int

    Returns
    -------
    sympy.Matrix, shape (n, 1)

    Examples
    --------
    >>> import derivations
    >>> derivations.leave_one_out(derivations.overdetermination(), 4).T
    Matrix([[0, 0, 0, 0]])
    """
    n = _check_n(n, limit=None)
    everyone = frozenset(range(n))
    full = sp.sympify(value(everyone))
    return sp.Matrix(
        [sp.simplify(sp.sympify(value(everyone - {i})) - full) for i in range(n)]
    )


def overdetermination(causes=(0, 1)):
    """The overdetermination game: the outcome happens if any cause is present.

    ``v(S) = 1`` when S contains one of ``causes``, else 0. With four
    ingredients and causes 0 and 1, removing either cause alone changes
    nothing (leave-one-out credits nobody) while Shapley gives each one half.
    """
    causes = frozenset(causes)

    def value(S):
        return sp.Integer(1) if causes & frozenset(S) else sp.Integer(0)

    return value


def influence_curve(functional, z, distribution=None, variable=None):
    r"""Hampel's influence curve of a statistical functional T at F.

    .. math::

        \mathrm{IC}(z; T, F) = \frac{d}{d\epsilon}
        T\bigl((1 - \epsilon) F + \epsilon\,\delta_z\bigr)\Big|_{\epsilon = 0}

    (Hampel, 1974, "The influence curve and its role in robust estimation").

    Parameters
    ----------
    functional : callable
        ``functional(E)`` returns T as a SymPy expression, given an
        expectation operator ``E(g)`` for expressions g in ``variable``.
    z : sympy.Expr
        The contaminating point.
    distribution : sympy.stats random symbol, optional
        F. If omitted, F stays generic and expectations under it print as
        ``E_F(g)``.
    variable : sympy.Symbol, optional
        The variable g is written in; ``x`` by default.

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy as sp
    >>> import derivations
    >>> x, z = sp.symbols("x z")
    >>> derivations.influence_curve(lambda E: E(x), z)
    z - E_F(x)
    """
    x = variable if variable is not None else sp.Symbol("x")
    eps = sp.Symbol("epsilon")
    E_F = sp.Function("E_F")

    def base(g):
        g = sp.sympify(g)
        if distribution is None:
            return E_F(g)
        from sympy.stats import E

        return E(g.subs(x, distribution))

    def contaminated(g):
        g = sp.sympify(g)
        return (1 - eps) * base(g) + eps * g.subs(x, z)

    T_eps = sp.sympify(functional(contaminated))
    return sp.simplify(sp.diff(T_eps, eps).subs(eps, 0))


def _subsets(n):
    for k in range(n + 1):
        for S in itertools.combinations(range(n), k):
            yield frozenset(S)


def _check_n(n, limit):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n: need a positive integer number of players, got {n!r}.")
    if limit is not None and n > limit:
        raise ValueError(
            f"n: exact symbolic Shapley values visit 2^n subsets; n = {n} is above "
            f"{limit}. Use numerics.shapley, exact in float64 up to n = 20 and by "
            "sampled permutations beyond."
        )
    return n


@register(
    "overdetermination", "Leave-one-out credits nobody, Shapley splits the credit"
)
def _overdetermination():
    story = Derivation(
        "The overdetermination game: four ingredients, two sufficient causes"
    )
    v = overdetermination()
    story.add(
        "v(S) = 1 if ingredient 0 or ingredient 1 is in S, else 0; v(N) =", v(range(4))
    )
    story.add(
        "Leave-one-out, v(N \\ i) - v(N): removing one cause leaves the other",
        leave_one_out(v, 4).T,
    )
    story.add(
        "Shapley values: cause 0 is pivotal only when it joins a coalition "
        "without cause 1",
        shapley(v, 4).T,
    )
    story.add(
        "Efficiency: the Shapley values sum to v(N) - v(empty) =", sum(shapley(v, 4))
    )
    return story


@register(
    "influence-curve-mean",
    "Influence curve of the mean (and variance) by contamination",
)
def _influence_curve_mean():
    x, z, eps = sp.symbols("x z epsilon")
    E_F = sp.Function("E_F")
    story = Derivation("Influence curve of the mean under contamination")
    story.add(
        "Contaminate F with a point mass at z: E_eps[g] = (1 - eps) E_F[g] + eps g(z); "
        "the mean is",
        sp.Eq(sp.Symbol("T(F_epsilon)"), (1 - eps) * E_F(x) + eps * z),
    )
    story.add(
        "Differentiate at eps = 0: IC(z) = z - T(F)",
        influence_curve(lambda E: E(x), z),
    )
    story.add(
        "The same for the variance E[x^2] - E[x]^2:",
        sp.factor(influence_curve(lambda E: E(x**2) - E(x) ** 2, z)),
    )
    return story
