"""The claims that tie the frameworks together, each with its predicted rate.

A claim is a statement, the conditions under which it holds and the rate at
which the approximation it describes becomes exact. The test suite checks each
one, rate included; ``CLAIMS`` maps a short key to the claim so that tests and
figures can cite the same wording.
"""

from dataclasses import dataclass

__all__ = ["CLAIMS", "Claim"]


@dataclass(frozen=True)
class Claim:
    """A statement about attribution, its conditions and its predicted rate."""

    statement: str
    conditions: str
    rate: str


CLAIMS = {
    "loo-first-order": Claim(
        statement="Leave-one-out retraining changes f by minus the influence "
        "function, to first order: LOO_i = -IF_i (1 + O(1/n)).",
        conditions="a unique, nondegenerate minimiser; per-example losses of "
        "order one, so that removing one example is a perturbation of size 1/n",
        rate="|LOO_i + IF_i| / |IF_i| = O(1/n), exponent -1",
    ),
    "leverage": Claim(
        statement="For least squares the response of a linear observable to "
        "the weight b_j is rational in b_j; its series in (1 - b_j) starts "
        "with the influence function and gains one power of the leverage h_j "
        "per term, and at b_j = 0 it gives LOO_j = -IF_j / (1 - h_j).",
        conditions="a quadratic loss whose example j has a rank-one Hessian "
        "(Sherman-Morrison); h_j < 1",
        rate="exact; the k-th term of the series is proportional to h_j^(k-1)",
    ),
    "shapley-axioms": Claim(
        statement="Shapley values are efficient (they sum to v(N) - v(empty)), "
        "symmetric, give zero to null players and are linear in the game.",
        conditions="any set function on a finite set",
        rate="exact",
    ),
    "overdetermination": Claim(
        statement="When either of two causes suffices, leave-one-out credits "
        "neither of them and Shapley gives one half to each.",
        conditions="v(S) = 1 if S contains cause 1 or cause 2, else 0",
        rate="exact",
    ),
    "influence-curve-mean": Claim(
        statement="The influence curve of the mean is z - T(F).",
        conditions="F with a finite mean",
        rate="exact",
    ),
    "replay-checkpoints": Claim(
        statement="Reverse mode through T steps of (S)GD with a k-ary checkpoint "
        "tree (REPLAY) gives the exact unrolled influence while holding at most "
        "(k - 1) ceil(log_k T) + 1 states.",
        conditions="any T >= 1 and k >= 2; equality in the bound when T = k^m, "
        "with (m - 1)(k - 1) T / k steps recomputed",
        rate="exact (float64 rounding only)",
    ),
    "tracin-identity-jacobians": Claim(
        statement="TracIn is unrolling with every step Jacobian I - eta H_t "
        "replaced by the identity and the observable's gradient taken at each "
        "checkpoint; it is exact when the Hessians vanish and f is linear.",
        conditions="gradient descent with every step a checkpoint",
        rate="for a quadratic loss and linear f, exact - TracIn = "
        "eta^2 T(T-1)/2 grad f^T H grad l_i(theta_0) + O(eta^3)",
    ),
    "source-flow-limit": Claim(
        statement="SOURCE, with segment filters (1 - exp(-tau sigma))/sigma and "
        "later segments' exp(-tau H) to the left, equals exact unrolling in the "
        "gradient-flow limit when each segment is stationary; in the reversed "
        "order it does not, unless the Hessians commute.",
        conditions="within each segment a constant Hessian and constant "
        "per-example gradients (e.g. a quadratic loss started where every "
        "batch gradient vanishes); eta -> 0 at fixed eta K",
        rate="O(eta), exponent 1",
    ),
    "source-filter-damping": Claim(
        statement="SOURCE's filter (1 - exp(-tau sigma))/sigma lies between "
        "1 and 1.2985 times the damping 1/(sigma + 1/tau) for sigma > 0, "
        "maximal at tau sigma = 1.793 (the root of e^x = 1 + x + x^2), and "
        "grows like exp(tau |sigma|) for sigma < 0.",
        conditions="tau = eta K > 0",
        rate="exact",
    ),
}
