"""The influence function as the optimal first-order transport between Gibbs laws.

Oracles: the closed-form KL divergence of two Gaussians with equal covariance
(exact at every beta and eps), derivations.influence for the minimiser, and
the elementary bound of a semidefinite quadratic form.
"""

import pytest
import sympy as sp

import derivations
from derivations.transport import (
    optimal_shift,
    transport_cost,
    transport_leading_cost,
)
from theory import Model, SingularHessianError

BETA = sp.Symbol("beta", positive=True)


def _tilted_quadratic():
    a, c = sp.symbols("a c")
    quadratic = (a - 1) ** 2 + (a - c) ** 2 / 2 + c**2
    return Model([a, c], [quadratic + 2 * a - c, -2 * a + c]), (a, c)


@pytest.mark.claim("transport-if")
def test_gaussian_transport_cost_equals_the_exact_gaussian_kl_at_every_order():
    m, (a, c) = _tilted_quadratic()
    eps, r1, r2 = sp.symbols("epsilon r_1 r_2")
    L = m.loss([1, 1])
    H = sp.hessian(L, (a, c))
    # Both laws are N(mean, (beta H)^-1); the means are the minimisers.
    solve = [
        sp.solve([sp.diff(L + e * m.losses[1], p) for p in (a, c)], (a, c))
        for e in (0, eps)
    ]
    shift = sp.Matrix(
        [solve[0][a] + eps * r1 - solve[1][a], solve[0][c] + eps * r2 - solve[1][c]]
    )
    exact_kl = sp.expand((shift.T * BETA * H * shift)[0] / 2)

    cost = transport_cost(m, 1, [r1, r2], order=3)

    assert sp.expand(exact_kl / eps**2 - BETA * cost[0]) == 0
    assert cost[1:] == [0, 0]


@pytest.mark.claim("transport-if")
def test_the_optimal_shift_is_the_influence_of_the_example_on_the_parameters():
    w = sp.Symbol("w")
    m = Model([w], [w**2 / 2 + w**3 / 6 + w**4 / 8 + w / 3, w**2 / 2 - w / 3])
    r = sp.Symbol("r")

    leading = transport_cost(m, 0, [r], order=1)[0]

    best = sp.solve(sp.diff(leading, r), r)
    assert best == [derivations.influence(m, w)[0]]
    assert sp.simplify(leading.subs(r, best[0])) == 0


def test_the_log_partition_term_is_a_nonzero_constant():
    w, r = sp.symbols("w r")
    m = Model([w], [w**2 / 2 + w**4 / 4 + w, -w])

    leading = transport_cost(m, 1, [r], order=1)[0]

    # Without beta^2 Var(l) / 2 the cost would be r^2/2 - r, minimum -1/2.
    assert leading.subs(r, 0) == sp.Rational(1, 2)


@pytest.mark.claim("transport-if")
def test_singular_cost_is_bounded_when_the_gradient_avoids_the_null_space():
    H = sp.Matrix([[1, 0], [0, 0]])
    g = sp.Matrix([3, 0])
    r = sp.symbols("r_1 r_2")

    best = optimal_shift(H, g)
    cost = transport_leading_cost(H, g, r)

    assert cost.subs(dict(zip(r, best))) == 0
    assert sp.factor(cost) == (r[0] + 3) ** 2 / 2


@pytest.mark.claim("transport-if")
def test_singular_cost_is_unbounded_below_with_a_null_space_component():
    H = sp.Matrix([[1, 0], [0, 0]])
    g = sp.Matrix([3, 1])
    t = sp.Symbol("t", positive=True)

    cost = transport_leading_cost(H, g, [-3, -t])

    assert sp.limit(cost, t, sp.oo) == -sp.oo
    with pytest.raises(ArithmeticError, match="decreases without bound"):
        optimal_shift(H, g)


def test_transport_cost_refuses_a_degenerate_minimum():
    w = sp.Symbol("w")
    m = Model([w], [w**4 + w, -w])

    with pytest.raises(SingularHessianError, match="nondegenerate minimum"):
        transport_cost(m, 1, [1], at=[0])
