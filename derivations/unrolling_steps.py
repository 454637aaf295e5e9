r"""Unrolling narrated: the tangent recursion, its closed form, the limit, the filters.

Three entries of the catalogue (``python -m derivations NAME``):

- ``unrolling-recursion``: the chain rule through one GD step gives
  :math:`J_{t+1} = (I - \eta H_t)J_t - \eta G_t^\top`; checked against the
  derivative of the explicit two-step iterate :math:`\theta_2(b)`.
- ``unrolling-quadratic``: for a quadratic loss the recursion is a sum of
  geometric series; started at the minimiser it is
  :math:`-[I - (I - \eta H)^T]H^{-1}\nabla\ell_i`, the filter
  :math:`(1 - (1 - \eta\sigma)^T)/\sigma` per eigenvalue, and it tends to the
  influence function at the rate :math:`\max_k |1 - \eta\sigma_k|`.
- ``early-stopping-filters``: the filters of damping, training time, gradient
  flow and localisation side by side, and early stopping as damping
  :math:`1/t` within the factor :math:`r(x^*) \approx 1.2984`.
"""

import sympy as sp

from theory import zoo

from .filters import (
    damping_filter,
    early_stopping_peak,
    early_stopping_ratio,
    flow_filter,
    localization_filter,
    training_filter,
)
from .influence import influence
from .minimiser import gradient, hessian, minimiser
from .steps import Derivation, register
from .unrolling import unrolled

__all__ = ["filter_steps", "quadratic_steps", "recursion_steps"]


@register("unrolling-recursion", "Unrolled influence: the tangent recursion of GD")
def recursion_steps():
    """The recursion on a Gaussian mean with symbolic data, checked at T = 2."""
    z = sp.symbols("z_1:3")
    lr, theta0 = sp.symbols("eta theta_0", positive=True)
    m = zoo.gaussian_mean(z)
    (mu,) = m.params
    b = m.weights
    story = Derivation("Differentiating two steps of gradient descent by b_i")

    L = m.loss()
    story.add("Total loss, a weighted sum:", sp.Eq(sp.Symbol("L"), L))
    story.add(
        "One step, theta_{t+1} = theta_t - eta dL/dtheta(theta_t; b), with dL/dtheta =",
        gradient(L, m.params)[0],
    )
    story.add(
        "Differentiate the step in b_i (chain rule): J_{t+1} = (1 - eta H) J_t "
        "- eta dl_i/dtheta(theta_t), J_0 = 0, with H = d2L/dtheta2 at b = 1:",
        hessian(m.loss([1] * m.n), m.params)[0, 0],
    )
    U = unrolled(m, mu, 2, lr, [theta0], method="recursion")
    story.add("After two steps from theta_0, the unrolled influence of each z_i:", U.T)

    theta = sp.Integer(1) * theta0
    for _ in range(2):
        theta = theta - lr * sp.diff(L, mu).subs(mu, theta)
    story.add("Check: the explicit iterate theta_2(b) is", sp.factor_terms(theta))
    direct = sp.Matrix([sp.diff(theta, bi) for bi in b]).subs(dict.fromkeys(b, 1))
    story.add(
        "and its derivative in b at b = 1 minus the recursion is",
        sp.expand(direct - U).T,
    )
    return story


@register("unrolling-quadratic", "GD on a quadratic: closed form in T and the limit")
def quadratic_steps():
    """Ridge regression with rational eigenvalues; symbolic T."""
    T = sp.Symbol("T", integer=True, nonnegative=True)
    lr = sp.Rational(1, 4)
    m = zoo.ridge_regression([[1, 0], [0, 1], [1, 1]], [1, 2, -1], sp.Rational(1, 2))
    a, b = m.params
    f = a + 3 * b
    story = Derivation("Unrolled GD on a quadratic loss: closed form and limit")

    H = hessian(m.loss([1] * m.n), m.params)
    P, D = H.diagonalize()
    story.add("The Hessian is constant,", H)
    story.add(
        "with eigenvalues sigma_k (and eigenvectors, the columns of P):",
        (D.diagonal(), P),
    )
    sigma = sp.Symbol("sigma", positive=True)
    story.add(
        "Unroll J_{t+1} = (I - eta H) J_t - eta g_i from J_0 = 0 at theta*, "
        "where g_i is constant: a geometric series per eigenvalue, the filter",
        sp.Eq(sp.Function("phi_T")(sigma), training_filter(sigma, T, sp.Symbol("eta"))),
    )
    theta_star, _ = minimiser(m)
    start = [theta_star[a], theta_star[b]]
    U = unrolled(m, f, T, lr, start)
    story.add(
        f"From theta* with eta = {lr}: U_i = -grad f^T P phi_T(D) P^-1 g_i =",
        U.T,
    )
    IF = influence(m, f)
    story.add(
        "As T -> oo, (1 - eta sigma_k)^T -> 0 since |1 - eta sigma_k| < 1; the "
        "limit is the influence function:",
        U.applyfunc(lambda e: sp.limit(e, T, sp.oo)).T,
    )
    story.add("the influence function itself, for comparison:", IF.T)
    story.add(
        "The gap U_T - IF decays like max_k |1 - eta sigma_k|^T; the rates "
        "|1 - eta sigma_k| here are",
        [abs(1 - lr * s) for s in D.diagonal()],
    )
    U0 = unrolled(m, f, T, lr, [0, 0])
    story.add(
        "From theta_0 = 0 instead, a transient is added; the first entry is",
        U0[0],
    )
    return story


@register("early-stopping-filters", "Filters of damping, training time, flow, Gibbs")
def filter_steps():
    """The filters against sigma and early stopping as damping 1/t."""
    sigma, lam, t, beta, gamma = sp.symbols("sigma lambda t beta gamma", positive=True)
    T, lr, x = sp.symbols("T eta x", positive=True)
    story = Derivation("What replaces 1/sigma: damping, training time, flow, Gibbs")

    story.add("Damping lambda:", damping_filter(sigma, lam))
    story.add(
        "T steps of GD at rate eta, from the minimiser:", training_filter(sigma, T, lr)
    )
    story.add(
        "Gradient flow for time t (eta -> 0 with eta T = t):", flow_filter(sigma, t)
    )
    story.add(
        "Localised Gaussian Gibbs posterior, -beta Cov(f, l_i): damping gamma/beta,",
        localization_filter(sigma, beta, gamma),
    )
    r = early_stopping_ratio(x)
    story.add(
        "Flow over damping at lambda = 1/t, in x = t sigma:",
        sp.Eq(sp.Function("r")(x), r),
    )
    story.add(
        "r >= 1 because e^x >= 1 + x; near 0 and infinity r -> 1 like",
        (sp.series(r, x, 0, 2).removeO(), sp.limit((r - 1) * x, x, sp.oo) / x + 1),
    )
    story.add(
        "r'(x) x^2 e^x = 1 + x + x^2 - e^x, so r'(x) = 0 where e^x = 1 + x + x^2, "
        "and there r = (1 + x)^2 / (1 + x + x^2). Check, r'(x) x^2 e^x minus "
        "1 + x + x^2 - e^x:",
        sp.simplify(sp.diff(r, x) * x**2 * sp.exp(x) - (1 + x + x**2 - sp.exp(x))),
    )
    x_star, r_star = early_stopping_peak(digits=15)
    story.add(
        "The positive root and the largest ratio (early stopping is damping 1/t "
        "within this factor):",
        (x_star, r_star),
    )
    return story
