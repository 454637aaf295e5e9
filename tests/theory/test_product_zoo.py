"""The product models of the zoo: their losses, symmetry and degenerate Hessian.

The oracle is the formula written out by hand: (z_i - a c x_i)^2 / 2, its
gradient -r_i x_i (c, a) and the Hessian S v v^T on the hyperbola.
"""

import pytest
import sympy as sp

from theory import zoo

z = sp.symbols("z_1:4", real=True)
x = sp.symbols("x_1:4", real=True)
w = sp.symbols("w_1:3", real=True)
a, c = sp.symbols("a c")
k, t = sp.symbols("k t", positive=True)


def _zero(exprs):
    return all(sp.simplify(e) == 0 for e in exprs)


def test_product_losses_are_half_squared_residuals_of_the_product():
    m = zoo.product_model(z)

    assert m.params == (a, c)
    assert _zero(li - (zi - a * c) ** 2 / 2 for li, zi in zip(m.losses, z))


def test_product_losses_with_inputs_multiply_the_product_by_the_input():
    m = zoo.product_model(z, x)

    assert _zero(li - (zi - a * c * xi) ** 2 / 2 for li, zi, xi in zip(m.losses, z, x))


def test_every_product_loss_is_invariant_under_rescaling():
    m = zoo.product_model(z, x)

    rescaled = [loss.xreplace({a: k * a, c: c / k}) for loss in m.losses]

    assert _zero(r - loss for r, loss in zip(rescaled, m.losses))


def test_product_hessian_on_the_hyperbola_is_n_v_v_transpose():
    m = zoo.product_model(z)
    s = sum(z) / 3
    at = {a: t, c: s / t}
    v = sp.Matrix([s / t, t])

    H = sp.hessian(m.loss([1, 1, 1]), m.params).xreplace(at)

    assert (H - 3 * v * v.T).applyfunc(sp.simplify).is_zero_matrix


def test_product_hessian_on_the_hyperbola_has_rank_one():
    m = zoo.product_model([1, 2, 6])

    H = sp.hessian(m.loss([1, 1, 1]), m.params).xreplace({a: 2, c: sp.Rational(3, 2)})

    assert H.rank() == 1


def test_the_rescaling_direction_spans_the_null_space_of_the_product_hessian():
    m = zoo.product_model([1, 2, 6])
    at = {a: 2, c: sp.Rational(3, 2)}

    H = sp.hessian(m.loss([1, 1, 1]), m.params).xreplace(at)

    assert H * sp.Matrix([2, -sp.Rational(3, 2)]) == sp.zeros(2, 1)


@pytest.mark.claim("damped-a-squared-finite")
def test_every_product_gradient_is_orthogonal_to_the_rescaling_direction():
    m = zoo.product_model(z, x)
    u = sp.Matrix([a, -c])

    dots = [u.dot(sp.Matrix([sp.diff(li, p) for p in m.params])) for li in m.losses]

    assert _zero(dots)


def test_tilted_total_loss_equals_the_product_total_loss():
    tilts = [w[0], w[1], -w[0] - w[1]]

    tilted = zoo.tilted_product_model(z, tilts).loss([1, 1, 1])
    plain = zoo.product_model(z).loss([1, 1, 1])

    assert sp.expand(tilted - plain) == 0


def test_tilted_gradients_have_a_component_along_the_rescaling_direction():
    m = zoo.tilted_product_model(z, [w[0], w[1], -w[0] - w[1]])
    u = sp.Matrix([a, -c])

    first = u.dot(sp.Matrix([sp.diff(m.losses[0], p) for p in m.params]))

    assert sp.expand(first - w[0] * (a**2 + c**2)) == 0


def test_tilts_that_do_not_sum_to_zero_are_an_error():
    with pytest.raises(ValueError, match=r"w: the tilts must sum to zero .* got sum 1"):
        zoo.tilted_product_model([1, 2, 6], [1, 1, -1])


def test_product_model_with_inputs_of_the_wrong_length_is_an_error():
    with pytest.raises(ValueError, match=r"x: need one entry per target \(3\), got 2"):
        zoo.product_model([1, 2, 6], [1, 2])


def test_product_model_with_three_parameter_names_is_an_error():
    with pytest.raises(ValueError, match=r"params: the product model has two"):
        zoo.product_model([1, 2], params=sp.symbols("p q r"))
