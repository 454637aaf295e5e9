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
    "damping-proximal": Claim(
        statement="The damped influence -grad f^T (H + lambda I)^-1 grad l_i is "
        "the exact influence of the proximal objective L + (lambda/2)|theta - "
        "theta*|^2 with the anchor theta* held fixed; it tends to the influence "
        "function as lambda -> 0 and to -grad f . grad l_i / lambda as "
        "lambda -> oo.",
        conditions="theta* a stationary point of L at b = 1; H + lambda I invertible",
        rate="exact; I(lambda) - I(0) = O(lambda), lambda I(lambda) - "
        "(-grad f . grad l_i) = O(1/lambda)",
    ),
    "gauss-newton-equals-hessian": Claim(
        statement="The Gauss-Newton Hessian G equals H where every output "
        "residual vanishes or the outputs are linear in the parameters. These "
        "are sufficient, not necessary: for outputs x_i g(theta) with one "
        "scalar g (the product model) G = H at every critical point with "
        "grad g != 0, residuals nonzero; G != H at the product model's saddle "
        "theta = 0 and at a minimum of exponential regression.",
        conditions="per-example outputs f(theta; x_i) and a twice "
        "differentiable output loss",
        rate="exact",
    ),
    "pbrf-linearisation": Claim(
        statement="The linearised PBRF influence -grad f^T (c G + lambda I)^-1 "
        "grad l_i is the derivative in epsilon of f at the exact minimiser of "
        "the proximal Bregman objective; the mean normalisation (c = 1/n) is "
        "n times the sum one (c = 1) at damping n lambda.",
        conditions="c G + lambda I invertible at the anchor; the anchor need not "
        "be stationary",
        rate="exact (central differences agree to O(epsilon^2))",
    ),
    "product-pseudo-inverse": Claim(
        statement="For the product model (z_i - a c)^2/2 the pseudo-inverse "
        "influence on a c is (z_i - mean z)/n at every point of the minimum "
        "hyperbola, and exact leave-one-out is -(z_i - mean z)/(n - 1).",
        conditions="n >= 2 examples; mean z != 0 so the hyperbola avoids the origin",
        rate="exact",
    ),
    "damped-a-squared-finite": Claim(
        statement="The claim that the damped influence on a^2 diverges as "
        "lambda -> 0 in the product model is false: every per-example gradient "
        "is orthogonal to the flat direction (a, -c), so the limit is finite and "
        "equals the pseudo-inverse influence 2 s r_i / (n (a^2 + c^2)), which "
        "depends on the minimiser. Divergence, like c_-1 / lambda with c_-1 = "
        "-(grad f . u)(u . grad l_i) / |u|^2, needs a flat direction u that is "
        "not a symmetry of every example.",
        conditions="a point (a, c) of the hyperbola a c = s = mean z",
        rate="I(lambda) - I(0) = O(lambda), exponent 1; for the tilted model "
        "lambda I(lambda) -> -2 w_i a^2",
    ),
    "deep-linear-rotation-symmetric": Claim(
        statement="The textbook rotation generators E_jk / (s_k - s_j) of the "
        "singular bases (for E = y x^T, y_j x_k / (s_k - s_j)) hold only when the "
        "perturbation E in the singular bases is symmetric; in general "
        "dU = U A, dV = V B with A_jk = (s_k E_jk + s_j E_kj) / (s_k^2 - s_j^2) "
        "and B_jk = (s_j E_jk + s_k E_kj) / (s_k^2 - s_j^2).",
        conditions="distinct nonzero singular values",
        rate="exact (first order in the perturbation)",
    ),
    "deep-linear-mode-formula": Claim(
        statement="For the two-layer linear network from a balanced aligned "
        "initialisation the first-order response of W(t) to reweighting an "
        "example splits exactly into modes: dG/ds and dG/dc on the diagonal, "
        "and one scalar linear equation for each of D_jk + D_kj and D_jk - D_kj. "
        "The quasi-static picture (dG/ds plus the SVD rotation of Sigma_yx) "
        "gets the symmetric part exactly but misses a relaxation "
        "-E_- (G_j + G_k) e^{-(s_j + s_k) t} / (s_j + s_k) of the antisymmetric "
        "part, and it has no term for the change of the input covariance that a "
        "mean-loss reweighting makes, which is of order one.",
        conditions="whitened inputs, square network, distinct positive singular "
        "values, W1(0) = sqrt(G0) V^T, W2(0) = sqrt(G0) U",
        rate="mode formula exact (tested to 1e-8 against the flow tangent); "
        "quasi-static error of correlation-only reweighting O(G0^((s1+s2)/(2 s1)))",
    ),
    "deep-linear-sign-flips": Claim(
        statement="On inputs (+-1, +-1) with s = (3, 0.5) and test input "
        "x_q = (1, -1), negative influence (upweighting helps) comes first. With "
        "labels that agree with the learned map an orthogonal example flips "
        "twice between the transitions (- + -: it hurts between the stages and "
        "helps again as the second mode is learned) and the opposite example "
        "never flips; everything ends at 0. When the second labels of x_1 = -1 "
        "disagree, the opposite example (a disagreeing one) flips once just "
        "after t_1 and ends harmful, the disagreeing orthogonal example flips "
        "once before t_2 from helping to hurting, the agreeing orthogonal one "
        "still flips - + -, and orthogonal inputs end at influence 0.",
        conditions="G0 = 1e-4 to 1e-10; the sign changes lie in (t_1, t_2)",
        rate="the orthogonal influence decays like t exp(-2 s_2 t)",
    ),
    "unrolling-long-training-limit": Claim(
        statement="Unrolled GD tends to the influence function as T -> oo; for "
        "a quadratic loss started at the minimiser it is exactly "
        "-grad f^T [I - (I - eta H)^T] H^-1 grad l_i, and removal is the weight "
        "factor 1 - eps at eps = 1 (first-order prediction -U_i, not -U_i / n).",
        conditions="an invertible H at theta*, eta < 2 / lambda_max(H), GD "
        "converging to theta*",
        rate="|U_T - IF| shrinks by max_k |1 - eta sigma_k| a step (times a "
        "factor T for a start away from theta*)",
    ),
    "unrolling-gd-to-flow": Claim(
        statement="GD's unrolled influence after T = t / eta steps tends to "
        "gradient flow's at time t; SGD with decreasing steps and random "
        "reshuffling tracks the response ODE J' = -H J - g_i (r = -J obeys "
        "r' = -H r + g_i) at the flow time sum_t eta_t.",
        conditions="a smooth loss, fixed t; for SGD each epoch visits every "
        "example once",
        rate="O(eta), exponent 1",
    ),
    "unrolling-null-space-growth": Claim(
        statement="At a degenerate minimum the range part of the unrolled "
        "influence converges to the pseudo-inverse response, and the part "
        "along a flat direction grows like -eta T times the gradient's "
        "component there; without such a component (over-parameterised least "
        "squares) it stays zero. At the quartic minimum L = theta^4 / 4 the "
        "response to a linear loss a theta grows like a t from the minimum and "
        "like 2 a t / 5 from theta_0 != 0.",
        conditions="H singular at the minimum; per-example gradients whose "
        "flat components cancel in the total",
        rate="linear in t = eta T; range part geometric",
    ),
    "early-stopping-damping": Claim(
        statement="Gradient flow for time t filters sigma by (1 - exp(-t sigma))"
        "/sigma, between 1 and 1.29843 times damping 1/(sigma + 1/t), largest at "
        "t sigma = 1.79328, the root of e^x = 1 + x + x^2; T steps of GD with "
        "eta T = t exceed that bound by O(1/T).",
        conditions="sigma > 0; for GD eta sigma <= 1",
        rate="ratio - 1 ~ x / 2 at x -> 0 and ~ 1 / x at x -> oo; GD excess "
        "exponent -1 in T",
    ),
    "bif-to-if": Claim(
        statement="The Bayesian influence -beta Cov(f, l_i) tends to the influence "
        "function as beta -> oo, with BIF = IF + c1 / beta + O(1/beta^2) and c1 "
        "from the Laplace series, including the third- and fourth-derivative "
        "terms of the loss, the observable and the potential.",
        conditions="a smooth model with a nondegenerate minimiser; a prior and "
        "localisation enter from c1 on (localisation as damping gamma / beta)",
        rate="beta (BIF - IF) - c1 = c2 / beta + O(1/beta^2)",
    ),
    "bif-gaussian-correction-incomplete": Claim(
        statement="The Gaussian (2,2) term -tr(f'' H^-1 l_i'' H^-1) / 2 is not "
        "the whole 1/beta correction: for f = w on L = w^2 + w^3/6 + w^4/8 with "
        "tilts +-w/3 it is zero while c1 = (1/24, 1/12).",
        conditions="a cubic or quartic term in the potential, or a third "
        "derivative of f or l_i",
        rate="c1 exact (rational)",
    ),
    "bif-conjugate-ridge": Claim(
        statement="For least squares with the prior N(0, I / tau), the BIF of a "
        "linear observable equals the influence function of ridge regression "
        "with alpha = tau / beta at every beta; a quadratic observable adds "
        "exactly -tr(l_i'' (H + alpha)^-1 f'' (H + alpha)^-1) / (2 beta).",
        conditions="quadratic losses, Gaussian prior (completing the square)",
        rate="exact at every beta",
    ),
    "bif-quartic-root-beta": Claim(
        statement="At the degenerate minimum of L = w^4 / 2 with tilts +-w the "
        "BIF of f = w diverges like -sqrt(2 beta) Gamma(3/4) / Gamma(1/4).",
        conditions="a quartic (degenerate) minimum, flat prior",
        rate="exponent 1/2 in beta, Gamma-function constant",
    ),
    "sgld-bias": Claim(
        statement="Full-gradient Langevin at step eps on a Gaussian target of "
        "precision P is stationary at N(mu, P^-1 (I - eps P / 4)^-1), so its BIF "
        "estimate converges to that law's BIF, not to the exact one.",
        conditions="0 < eps < 4 / p_max; a Gaussian posterior; no minibatch noise",
        rate="bias O(eps), exact; Monte Carlo error 1 / sqrt(samples)",
    ),
    "transport-if": Claim(
        statement="The shift r minimising KL(T#p || p_eps) to O(eps^2) is the "
        "influence on the parameters, r = -H^-1 g, with cost (beta eps^2 / 2) "
        "(r + H^-1 g)' H (r + H^-1 g); at a singular H it is bounded below only "
        "if g has no component in the null space.",
        conditions="Laplace's method at a nondegenerate minimum; exact for a "
        "quadratic loss and a linear tilt",
        rate="O(eps^3) and O(beta^0 eps^2) corrections",
    ),
}
