"""Damping is the exact influence of the proximal objective, derived symbolically.

Oracle: derivations.influence applied to the proximal model itself (its own
minimiser and Hessian, no damping argument), against the damped influence of
the original model.
"""

import pytest
import sympy as sp

import derivations
from derivations.damping import proximal_model
from derivations.product import hyperbola_point
from theory import zoo

lam = sp.Symbol("lambda", positive=True)


def _zero(M):
    return sp.Matrix(M).applyfunc(sp.simplify).is_zero_matrix


def test_proximal_objective_keeps_the_minimiser_of_the_original_loss():
    m = zoo.linear_regression([[1, 0], [1, 1], [1, 3]], [1, 0, 4])

    proximal = derivations.minimiser(proximal_model(m, lam))[0]

    assert proximal == derivations.minimiser(m)[0]


@pytest.mark.claim("damping-proximal")
def test_influence_of_the_proximal_objective_is_the_damped_influence():
    m = zoo.linear_regression([[1, 0], [1, 1], [1, 3]], [1, 0, 4])
    w0, w1 = m.params
    f = w0 + 2 * w1

    exact = derivations.influence(proximal_model(m, lam), f)

    assert _zero(exact - derivations.influence(m, f, damping=lam))


@pytest.mark.claim("damping-proximal")
def test_proximal_objective_at_a_point_of_the_product_hyperbola_is_the_damped_one():
    m = zoo.product_model([1, 2, 6])
    a, c = m.params
    at = hyperbola_point(m, 2)

    exact = derivations.influence(proximal_model(m, lam, at=at), a**2, at=at)

    assert _zero(exact - derivations.influence(m, a**2, damping=lam, at=at))


def test_a_proximal_anchor_off_the_minimum_set_is_an_error():
    m = zoo.product_model([1, 2, 6])
    a, c = m.params

    with pytest.raises(ValueError, match=r"at: \{a: 1, c: 1\} is not a stationary"):
        proximal_model(m, lam, at={a: 1, c: 1})
