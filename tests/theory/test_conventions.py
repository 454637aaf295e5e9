"""Each convention converts to the sandbox's and back, by the factor its source implies.

Oracles: the quantity each convention reports, computed here from its own
definition (a derivative of an explicitly solved perturbed minimiser, one
step of gradient descent, a Gaussian posterior integral), against the sandbox
value computed from the sandbox's definition d f(theta*(b)) / d b_i.
"""

import itertools

import numpy as np
import pytest
import sympy as sp

import derivations
from derivations.gauss_newton import OutputModel
from tests.tolerances import FLOAT_RTOL
from theory import zoo
from theory.conventions import CONVENTIONS, convert, convert_beta, convert_damping

mu, eps, y = sp.symbols("mu epsilon y")
Z = [1, 2, 6]  # mean 3
N = len(Z)
Z_TEST = 5
I = 2  # the example whose attribution is checked


def _minimiser(objective):
    """The unique root in mu of a quadratic objective's derivative."""
    (root,) = sp.solve(sp.diff(objective, mu), mu)
    return root


def _slope(f, objective):
    """d f(mu*(eps)) / d eps at eps = 0."""
    return sp.diff(f.xreplace({mu: _minimiser(objective)}), eps).xreplace({eps: 0})


def _losses():
    return [(z - mu) ** 2 / 2 for z in Z]


def _sandbox(f):
    """d f(theta*(b)) / d b_I at b = 1, from the weighted sum loss."""
    b = sp.symbols("b_1:4")
    total = sum(bj * loss for bj, loss in zip(b, _losses()))
    theta = _minimiser(total)
    slope = sp.diff(f.xreplace({mu: theta}), b[I])
    return slope.xreplace({bj: 1 for bj in b})


def _mean_loss():
    return sum(_losses()) / N


# ------------------------------------------------------------ round trips

# One beta cannot serve two conventions that quote it differently (an error,
# tested below), so those two pairs are left out.
PAIRS = [
    pair
    for pair in itertools.product(CONVENTIONS, repeat=2)
    if set(pair) != {"bif-covariance", "bif-covariance-mean"}
]


@pytest.mark.parametrize("source, target", PAIRS)
def test_every_conversion_round_trips(source, target):
    rng = np.random.default_rng(0)
    values = rng.normal(size=4)

    there = convert(values, source, target, n=7, beta=3.0)
    back = convert(there, target, source, n=7, beta=3.0)

    np.testing.assert_allclose(back, values, rtol=FLOAT_RTOL)


@pytest.mark.parametrize("source", list(CONVENTIONS))
def test_a_damping_round_trips_through_the_sandbox(source):
    there = convert_damping(0.25, source, n=8)

    assert convert_damping(there, "sandbox", source, n=8) == 0.25


@pytest.mark.parametrize("source", list(CONVENTIONS))
def test_an_inverse_temperature_round_trips_through_the_sandbox(source):
    there = convert_beta(sp.Rational(5, 2), source, n=8)

    assert convert_beta(there, "sandbox", source, n=8) == sp.Rational(5, 2)


def test_a_symbolic_value_converts_symbolically():
    n, v = sp.symbols("n v", positive=True)

    assert convert(v, "mean-upweighting", n=n) == v / n


# ------------------------------------ each convention from its definition


def test_sandbox_value_is_the_influence_function():
    m = zoo.gaussian_mean(Z, param=mu)

    assert _sandbox(mu) == derivations.influence(m, mu)[I]


def test_removal_is_the_first_order_change_when_the_weight_drops():
    b_i = 1 - eps
    objective = sum(_losses()) + (b_i - 1) * _losses()[I]

    reported = _slope(mu, objective)

    assert convert(reported, "removal") == _sandbox(mu)


def test_mean_upweighting_is_the_derivative_for_a_weight_on_the_mean_loss():
    reported = _slope(mu, _mean_loss() + eps * _losses()[I])

    assert convert(reported, "mean-upweighting", n=N) == _sandbox(mu)


def test_koh_liang_i_up_loss_is_mean_upweighting_of_the_test_loss():
    test_loss = (Z_TEST - mu) ** 2 / 2

    reported = _slope(test_loss, _mean_loss() + eps * _losses()[I])

    assert convert(reported, "koh-liang", n=N) == _sandbox(test_loss)


def test_pydvl_influence_is_minus_the_mean_upweighting_derivative_of_the_test_loss():
    test_loss = (Z_TEST - mu) ** 2 / 2

    reported = -_slope(test_loss, _mean_loss() + eps * _losses()[I])

    assert reported > 0  # example 3 (z = 6) pulls mu towards z_test = 5
    assert convert(reported, "pydvl", n=N) == _sandbox(test_loss)


def test_source_is_the_derivative_for_downweighting_the_mean_loss():
    reported = _slope(mu, _mean_loss() - eps * _losses()[I])

    assert convert(reported, "source", n=N) == _sandbox(mu)


def test_kronfluence_score_converts_to_the_pbrf_influence_at_n_times_the_damping():
    a, c = sp.symbols("a c")
    X = [(1, 2), (1, -1), (1, 3), (1, 0)]
    targets = [1, 2, 0, 5]
    n = len(X)
    om = OutputModel(
        [a, c],
        [a * r0 + c * r1 for r0, r1 in X],
        [(target - y) ** 2 / 2 for target in targets],
        y,
    )
    A, t = sp.Matrix(X), sp.Matrix(targets)
    theta_star = (A.T * A).LUsolve(A.T * t)
    theta = dict(zip((a, c), theta_star))
    lam = sp.Rational(1, 10)
    f = a + 2 * c

    # The score as the library forms it: the measurement gradient, the mean
    # Gauss-Newton curvature A^T A / n plus its damping, the loss gradients.
    grad_f = sp.Matrix([1, 2])
    residuals = t - A * theta_star
    grads = [-residuals[i] * A[i, :].T for i in range(n)]
    solve = (A.T * A / n + lam * sp.eye(2)).LUsolve
    scores = [(grad_f.T * solve(g))[0] for g in grads]

    damping = convert_damping(lam, "kronfluence", n=n)
    expected = derivations.pbrf_influence(om, f, damping=damping, at=theta)
    converted = [convert(s, "kronfluence", n=n) for s in scores]
    assert sp.Matrix(converted) == expected


@pytest.mark.parametrize("n_mean", [1, N])
def test_tracin_is_minus_one_step_unrolling_with_the_identity_jacobian(n_mean):
    # One gradient step on (1/n_mean) sum_j b_j l_j from mu_0 = 0, with a
    # linear observable, so the checkpoint gradient is the final gradient.
    b = sp.symbols("b_1:4")
    lr, mu0 = sp.Rational(1, 10), 0
    step_loss = sum(bj * loss for bj, loss in zip(b, _losses())) / n_mean
    mu1 = mu0 - lr * sp.diff(step_loss, mu).xreplace({mu: mu0})
    f = 3 * mu
    unrolled = sp.diff(f.xreplace({mu: mu1}), b[I]).xreplace({bj: 1 for bj in b})

    tracin = lr * (sp.diff(f, mu) * sp.diff(_losses()[I], mu)).xreplace({mu: mu0})

    assert convert(tracin, "tracin", n=n_mean) == unrolled


def _gaussian_posterior_minus_cov(beta):
    """-Cov(mu, l_I) under p proportional to exp(-beta sum_j l_j), integrated.

    The integrals run over t = mu - mean(z), a shift that keeps them cheap.
    """
    t = sp.Symbol("t", real=True)
    shift = {mu: sp.Rational(sum(Z), N) + t}
    density = sp.exp(sp.expand(-beta * sum(_losses()).xreplace(shift)))

    def integral(g):
        integrand = sp.expand(g.xreplace(shift)) * density
        return sp.integrate(integrand, (t, -sp.oo, sp.oo))

    def mean(g):
        return integral(g) / integral(sp.Integer(1))

    loss = _losses()[I]
    return sp.simplify(-(mean(mu * loss) - mean(mu) * mean(loss)))


def test_reported_covariance_converts_to_the_derivative_form():
    beta = sp.Integer(2)

    reported = _gaussian_posterior_minus_cov(beta)

    # For the Gaussian mean with a flat prior the BIF equals the IF exactly.
    assert convert(reported, "bif-covariance", beta=beta) == _sandbox(mu)


def test_covariance_at_n_beta_on_the_mean_loss_converts_with_beta_over_n():
    nbeta = sp.Integer(6)  # exp(-6 L_n) is the sandbox posterior at beta = 2
    reported = _gaussian_posterior_minus_cov(
        convert_beta(nbeta, "bif-covariance-mean", n=N)
    )

    assert convert(reported, "bif-covariance-mean", n=N, beta=nbeta) == _sandbox(mu)


# ------------------------------------------------------------------ errors


def test_an_unknown_convention_is_an_error():
    with pytest.raises(ValueError, match=r"source: unknown convention 'koh'"):
        convert([1.0], "koh")


def test_a_mean_convention_without_n_is_an_error():
    with pytest.raises(ValueError, match=r"n: the convention 'pydvl' needs n"):
        convert([1.0], "pydvl")


def test_a_covariance_without_beta_is_an_error():
    with pytest.raises(ValueError, match=r"beta: the convention 'bif-covariance'"):
        convert([1.0], "bif-covariance")


def test_one_beta_for_two_temperature_conventions_is_an_error():
    with pytest.raises(ValueError, match=r"beta: 'bif-covariance' and"):
        convert([1.0], "bif-covariance", "bif-covariance-mean", n=3, beta=2.0)


def test_a_damping_conversion_without_n_is_an_error():
    with pytest.raises(ValueError, match=r"n: converting a damping from 'pydvl'"):
        convert_damping(0.1, "pydvl")


def test_a_temperature_conversion_without_n_is_an_error():
    with pytest.raises(ValueError, match=r"n: converting an inverse temperature"):
        convert_beta(6.0, "bif-covariance-mean")


@pytest.mark.parametrize(
    "convert_one, source, what",
    [
        (convert_damping, "pydvl", "a damping"),
        (convert_beta, "bif-covariance-mean", "an inverse temperature"),
    ],
)
def test_a_mean_convention_without_n_is_refused_naming_n(convert_one, source, what):
    with pytest.raises(ValueError, match=f"n: converting {what} from '{source}'"):
        convert_one(1.0, source)
