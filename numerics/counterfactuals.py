r"""Exact retraining: leave-one-out and Shapley values, in float64.

Retraining on a subset S means minimising :math:`L(\theta; 1_S)`, the loss
with weight 1 on S and 0 elsewhere (the regulariser stays). Leave-one-out is
the removal difference :math:`f(\theta^*_{-i}) - f(\theta^*)`, about minus the
influence function; Shapley values (Shapley, 1953) average the marginal
contribution of each example over all orders of arrival, with the value of a
subset :math:`v(S) = f(\theta^*(1_S))`.

All retrainings run as one batched Newton iteration from the trained point;
for a quadratic loss the first step is already exact. The cost ladder: exact
Shapley needs :math:`2^n` retrainings, leave-one-out n, the influence
function one linear solve.
"""

from math import comb
from typing import NamedTuple

import numpy as np

from theory import Model
from theory.errors import ConvergenceError, SingularHessianError

from .compiled import compiled, observable
from .influence import SINGULAR_RTOL
from .minimise import minimise, newton

__all__ = ["ShapleyEstimate", "loo", "retrain", "shapley"]

EXACT_LIMIT = 20
_CHUNK_ENTRIES = 4_000_000


class ShapleyEstimate(NamedTuple):
    """Monte Carlo Shapley values with their standard errors, both shape (n,)."""

    values: np.ndarray
    stderr: np.ndarray
    permutations: int


def loo(m, f):
    r"""Exact leave-one-out differences :math:`f(\theta^*_{-i}) - f(\theta^*)`.

    Parameters
    ----------
    m : theory.Model
    f : sympy.Expr

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ConvergenceError
        A retraining did not converge to 1e-12 relative; the message names
        the example.
    SingularHessianError
        Removing an example leaves a flat direction (no unique retrained
        minimiser).

    Examples
    --------
    >>> from theory import zoo
    >>> import numerics
    >>> m = zoo.gaussian_mean([1, 2, 6])
    >>> numerics.loo(m, m.params[0])
    array([ 1. ,  0.5, -1.5])
    """
    value = observable(m, f)
    theta_star = minimise(m)
    weights = 1.0 - np.eye(m.n)
    thetas = retrain(m, weights, theta_star, lambda i: f"leaving out example {i}")
    return value(thetas)[0] - value(theta_star)[0]


def shapley(
    game,
    f=None,
    *,
    n=None,
    method="exact",
    permutations=1000,
    seed=None,
    vectorized=False,
):
    r"""Shapley values of the examples of a model, or of any set function.

    .. math::

        \phi_i = \sum_{S \subseteq N\setminus i}
        \frac{|S|!\,(n-|S|-1)!}{n!}\bigl(v(S\cup i) - v(S)\bigr)

    Parameters
    ----------
    game : theory.Model or callable
        A model, with :math:`v(S) = f(\theta^*(1_S))`; or a set function
        ``game(S)`` of a ``frozenset`` S of indices in ``range(n)`` (with
        ``vectorized=True``: of a boolean array of shape (k, n), returning k
        values).
    f : sympy.Expr
        The observable, for a model.
    n : int
        The number of players, for a set function.
    method : {"exact", "permutation"}
        ``"exact"`` visits all :math:`2^n` subsets (n <= 20);
        ``"permutation"`` averages marginal contributions over random orders
        (Castro, Gomez and Tejada, 2009).
    permutations : int
        Number of sampled orders for ``"permutation"``.
    seed : int
        Seed of the permutation sampler (required for ``"permutation"``).
    vectorized : bool
        Whether a callable ``game`` takes a batch of boolean masks.

    Returns
    -------
    ndarray, shape (n,), or ShapleyEstimate for ``"permutation"``

    Examples
    --------
    >>> import numerics
    >>> numerics.shapley(lambda S: float(bool(S & {0, 1})), n=4)
    array([0.5, 0.5, 0. , 0. ])
    """
    value, n = _value_function(game, f, n, vectorized)
    if method == "exact":
        if n > EXACT_LIMIT:
            raise ValueError(
                f"method: exact Shapley values need 2^n evaluations, and n = {n} is "
                f"above {EXACT_LIMIT}; pass method='permutation' with "
                "permutations=... and seed=... for an estimate with standard errors."
            )
        return _exact(value, n)
    if method == "permutation":
        if seed is None:
            raise ValueError(
                "seed: the permutation estimator needs an explicit seed, got None; "
                "pass seed=0 (or any integer) so the estimate is reproducible."
            )
        if not isinstance(permutations, int) or permutations < 2:
            raise ValueError(
                f"permutations: need an integer >= 2 for a standard error, got "
                f"{permutations!r}."
            )
        return _permutation(value, n, permutations, np.random.default_rng(seed))
    raise ValueError(f"method: need 'exact' or 'permutation', got {method!r}.")


def retrain(m, weights, init, label):
    """Minimisers for each row of ``weights`` (k, n), checked to be unique.

    ``label(k)`` names problem k in errors. Runs in chunks that bound memory.
    """
    weights = np.asarray(weights, dtype=float)
    chunk = max(1, _CHUNK_ENTRIES // (m.n * (1 + m.d) * (m.d + 2)))
    out = np.empty((len(weights), m.d))
    c = compiled(m)
    for start in range(0, len(weights), chunk):
        block = weights[start : start + chunk]
        try:
            theta, _ = newton(m, block, init, what="a retraining")
        except ConvergenceError as error:
            k = start + (error.problem[0] if error.problem else 0)
            raise ConvergenceError(f"{label(k)}: {error}") from None
        flat = _flat(c.total(theta, block)[2])
        if np.any(flat):
            k = start + int(np.argmax(flat))
            raise SingularHessianError(
                f"{label(k)}: the retrained loss has a flat direction, so its "
                "minimiser is not unique and the retrained value is undefined. Add a "
                "regulariser (e.g. ridge alpha > 0) or use more examples."
            )
        out[start : start + len(block)] = theta
    return out


# ---------------------------------------------------------------- internals


def _flat(H):
    """Which Hessians of a batch (k, d, d) have an eigenvalue below SINGULAR_RTOL."""
    # Fast path: the trace bounds the top eigenvalue of a positive semidefinite H,
    # so a Cholesky factorisation of H - SINGULAR_RTOL * trace I that succeeds
    # proves that no Hessian in the batch is flat.
    trace = np.trace(H, axis1=-2, axis2=-1)
    try:
        np.linalg.cholesky(
            H - (SINGULAR_RTOL * trace)[:, None, None] * np.eye(H.shape[-1])
        )
        return np.zeros(len(H), dtype=bool)
    except np.linalg.LinAlgError:
        eigvals = np.linalg.eigvalsh(H)
        return eigvals[:, 0] <= SINGULAR_RTOL * np.maximum(
            np.abs(eigvals[:, -1]), 1e-300
        )


def _value_function(game, f, n, vectorized):
    """A function from boolean masks (k, n) to values (k,), and n."""
    if isinstance(game, Model):
        if f is None:
            raise ValueError("f: shapley of a model needs an observable f, got None.")
        m = game
        value = observable(m, f)
        theta_star = minimise(m)

        def model_value(masks):
            def label(k):
                return f"the subset {np.flatnonzero(masks[k]).tolist()}"

            return value(retrain(m, masks, theta_star, label))[0]

        return model_value, m.n
    if not callable(game):
        raise TypeError(
            f"game: need a theory.Model or a callable set function, got "
            f"{type(game).__name__}."
        )
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(
            f"n: a set function needs the number of players n >= 1, got {n!r}."
        )
    if vectorized:
        return lambda masks: np.asarray(game(masks.astype(bool)), dtype=float), n

    def call(masks):
        return np.array(
            [float(game(frozenset(np.flatnonzero(r).tolist()))) for r in masks]
        )

    return call, n


def _exact(value, n):
    masks = np.arange(2**n, dtype=np.int64)
    members = ((masks[:, None] >> np.arange(n)) & 1).astype(float)
    v = value(members)
    sizes = np.bitwise_count(masks)
    weight = np.array([1.0 / (n * comb(n - 1, k)) for k in range(n)])
    phi = np.empty(n)
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        phi[i] = weight[sizes[without]] @ (v[without | (1 << i)] - v[without])
    return phi


def _permutation(value, n, permutations, rng):
    orders = np.argsort(rng.random((permutations, n)), axis=1)
    prefixes = np.zeros((permutations, n + 1), dtype=np.int64)
    prefixes[:, 1:] = np.cumsum(1 << orders, axis=1)
    unique, inverse = np.unique(prefixes, return_inverse=True)
    members = ((unique[:, None] >> np.arange(n)) & 1).astype(float)
    v = value(members)[inverse.reshape(prefixes.shape)]
    contributions = np.empty((permutations, n))
    np.put_along_axis(contributions, orders, np.diff(v, axis=1), axis=1)
    stderr = contributions.std(axis=0, ddof=1) / np.sqrt(permutations)
    return ShapleyEstimate(contributions.mean(axis=0), stderr, permutations)
