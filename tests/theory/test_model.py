"""The model: its attributes, the weighted total loss, and every validation error."""

import numpy as np
import pytest
import sympy as sp

from theory import Model

a, c, t = sp.symbols("a c t")
x, y = sp.symbols("x y")


def _is_zero(expr):
    return sp.simplify(expr) == 0


# ------------------------------------------------------------ construction


def test_model_keeps_params_and_losses_as_tuples_in_the_given_order():
    losses = [(a - 1) ** 2, (a - t) ** 2, a * t]
    m = Model([t, a], losses)

    assert m.params == (t, a)
    assert m.losses == tuple(losses)


def test_model_counts_examples_and_parameters():
    m = Model([a, t], [a**2, t**2, a * t])

    assert (m.n, m.d) == (3, 2)


def test_weights_are_one_symbol_b_i_per_example_counted_from_one():
    m = Model([a], [a, a**2, a**3, a**4])

    assert m.weights == sp.symbols("b_1:5")


def test_loss_is_the_weighted_sum_of_the_losses_plus_the_regularizer():
    losses = [(a - 1) ** 2 / 2, (a + 2) ** 2 / 2, (a - c) ** 4]
    regularizer = 3 * a**2
    m = Model([a], losses, regularizer=regularizer)
    b = sp.symbols("b_1:4")

    expected = b[0] * losses[0] + b[1] * losses[1] + b[2] * losses[2] + regularizer

    assert _is_zero(m.loss() - expected)


def test_loss_with_given_weights_substitutes_them_for_the_symbols():
    losses = [(a - 1) ** 2, (a - 5) ** 2]
    m = Model([a], losses, regularizer=a**2)

    expected = 2 * losses[0] + sp.Rational(1, 3) * losses[1] + a**2

    assert _is_zero(m.loss([2, sp.Rational(1, 3)]) - expected)


def test_constants_are_the_free_symbols_that_are_not_parameters():
    u, v = sp.symbols("u v")
    m = Model([a], [(a - v) ** 2, (a - u) ** 2], regularizer=c * a**2)

    assert m.constants == (c, u, v)


def test_from_data_builds_the_same_losses_as_the_explicit_model():
    column_x = [1, sp.Rational(1, 2), -3]
    column_y = [2, 0, sp.Rational(7, 4)]
    template = (y - a * x) ** 2 / 2
    explicit = Model(
        [a], [(yi - a * xi) ** 2 / 2 for xi, yi in zip(column_x, column_y)]
    )

    m = Model.from_data([a], template, {x: column_x, y: column_y})

    assert m.losses == explicit.losses


def test_from_data_has_the_same_total_loss_as_the_explicit_model():
    column_x = [1, sp.Rational(1, 2), -3]
    explicit = Model([a], [(xi - a) ** 2 for xi in column_x], regularizer=a**2)

    m = Model.from_data([a], (x - a) ** 2, {x: column_x}, regularizer=a**2)

    assert _is_zero(m.loss() - explicit.loss())


def test_from_data_keeps_the_template_and_the_columns():
    m = Model.from_data([a], (x - a) ** 2, {x: [1, 2, 4]})

    assert m.template == (x - a) ** 2
    assert m.data == {x: (1, 2, 4)}


def test_from_data_with_symbolic_values_lists_them_as_constants():
    u = sp.symbols("u_1:3")
    m = Model.from_data([a], (x - a) ** 2, {x: list(u)})

    assert m.constants == u


def test_numeric_data_returns_float64_columns():
    m = Model.from_data(
        [a], (y - a * x) ** 2, {x: [1, 2, 3], y: [sp.Rational(1, 4), 0, 5]}
    )

    data = m.numeric_data()

    assert data[x].dtype == np.float64
    np.testing.assert_array_equal(data[y], [0.25, 0.0, 5.0])


def test_numeric_data_of_a_symbolic_column_is_an_error():
    m = Model.from_data([a], (x - a) ** 2, {x: [1, c]})

    with pytest.raises(ValueError, match=r"data\[x\]: numerics need numbers"):
        m.numeric_data()


# ----------------------------------------------------------------- subs


def test_subs_replaces_a_constant_in_every_loss():
    m = Model([a], [(a - c) ** 2, c * a])

    replaced = m.subs({c: 3})

    assert replaced.losses == ((a - 3) ** 2, 3 * a)


def test_subs_removes_the_replaced_symbol_from_the_constants():
    m = Model([a], [(a - c) ** 2, (a - t) ** 2])

    assert m.subs({c: 3}).constants == (t,)


def test_subs_replaces_a_constant_in_the_regularizer():
    m = Model([a], [a**2], regularizer=c * a**2)

    assert m.subs({c: 5}).regularizer == 5 * a**2


def test_subs_on_a_from_data_model_replaces_symbolic_data():
    u = sp.symbols("u_1:3")
    m = Model.from_data([a], (x - a) ** 2, {x: list(u)})

    replaced = m.subs({u[0]: 7})

    assert replaced.losses == ((7 - a) ** 2, (u[1] - a) ** 2)


def test_subs_of_a_parameter_is_an_error():
    m = Model([a], [(a - c) ** 2])

    with pytest.raises(
        ValueError, match=r"values: can only replace the constants \[c\]"
    ):
        m.subs({a: 1})


# --------------------------------------------------------------- quadratic


def test_least_squares_is_quadratic():
    m = Model([a, t], [(1 - a - 2 * t) ** 2, (c - a) ** 2], regularizer=a * t)

    assert m.is_quadratic()


def test_a_cubic_loss_is_not_quadratic():
    assert not Model([a], [a**2, a**3]).is_quadratic()


def test_a_quartic_regularizer_makes_the_model_not_quadratic():
    assert not Model([a], [a**2], regularizer=a**4).is_quadratic()


def test_a_transcendental_loss_is_not_quadratic():
    assert not Model([a], [sp.log(1 + sp.exp(-a))]).is_quadratic()


def test_a_from_data_template_quadratic_in_the_parameters_is_quadratic():
    m = Model.from_data([a], (y - a * x**3) ** 2, {x: [1, 2], y: [0, 1]})

    assert m.is_quadratic()


# ------------------------------------------------------ validation errors


def test_a_parameter_that_is_not_a_symbol_is_a_type_error():
    with pytest.raises(TypeError, match=r"params\[1\]: need a sympy.Symbol, got Add"):
        Model([a, a + t], [a])


def test_a_parameter_given_as_a_string_is_a_type_error():
    with pytest.raises(TypeError, match=r"params\[0\]: need a sympy.Symbol, got str"):
        Model(["a"], [a])


def test_a_loss_given_as_a_string_is_a_type_error():
    with pytest.raises(
        TypeError, match=r"losses\[1\]: need a SymPy expression, got the string"
    ):
        Model([a], [a**2, "a**2"])


def test_a_repeated_parameter_is_an_error():
    with pytest.raises(
        ValueError, match=r"params: each parameter must appear once, got \['a'\]"
    ):
        Model([a, t, a], [a])


def test_a_model_without_losses_is_an_error():
    with pytest.raises(ValueError, match=r"losses: need at least one example"):
        Model([a], [])


def test_from_data_without_columns_is_an_error():
    with pytest.raises(ValueError, match=r"data: need at least one example"):
        Model.from_data([a], (x - a) ** 2, {})


def test_from_data_with_empty_columns_is_an_error():
    with pytest.raises(ValueError, match=r"data: need at least one example"):
        Model.from_data([a], (x - a) ** 2, {x: []})


def test_data_columns_of_different_lengths_are_an_error():
    with pytest.raises(ValueError, match=r"data: all columns need the same length"):
        Model.from_data([a], (y - a * x) ** 2, {x: [1, 2, 3], y: [1, 2]})


@pytest.mark.parametrize(
    "bad",
    [np.nan, np.inf, -np.inf, sp.nan, sp.oo, -sp.oo, sp.zoo],
    ids=["nan", "inf", "-inf", "sympy-nan", "sympy-oo", "sympy-minus-oo", "sympy-zoo"],
)
def test_non_finite_data_is_an_error(bad):
    with pytest.raises(ValueError, match=r"data\[x\]\[1\]: need a finite value"):
        Model.from_data([a], (x - a) ** 2, {x: [1, bad, 2]})


def test_non_finite_data_in_a_symbolic_column_is_an_error():
    with pytest.raises(ValueError, match=r"data\[x\]\[1\]: need a finite value"):
        Model.from_data([a], (x - a) ** 2, {x: [c, np.inf]})


def test_a_symbolic_value_containing_infinity_is_an_error():
    with pytest.raises(ValueError, match=r"data\[x\]\[0\]: need a finite value"):
        Model.from_data([a], (x - a) ** 2, {x: [c + sp.oo, 1]})


def test_a_free_symbol_of_the_template_that_is_not_data_is_an_error():
    with pytest.raises(
        ValueError, match=r"loss: free symbols \[c\] are neither parameters"
    ):
        Model.from_data([a], c * (x - a) ** 2, {x: [1, 2]})


def test_a_free_symbol_of_the_regularizer_that_is_not_data_is_an_error():
    with pytest.raises(ValueError, match=r"free symbols \[c\] are neither parameters"):
        Model.from_data([a], (x - a) ** 2, {x: [1, 2]}, regularizer=c * a**2)


def test_declaring_the_free_symbol_in_constants_accepts_the_template():
    m = Model.from_data([a], c * (x - a) ** 2, {x: [1, 2]}, constants=[c])

    assert m.losses == (c * (1 - a) ** 2, c * (2 - a) ** 2)


def test_a_data_symbol_that_is_also_a_parameter_is_an_error():
    with pytest.raises(ValueError, match=r"data: a is a parameter"):
        Model.from_data([a], (x - a) ** 2, {x: [1, 2], a: [3, 4]})


def test_a_data_key_that_is_a_string_is_a_type_error():
    with pytest.raises(TypeError, match=r"data: keys must be sympy.Symbol, got 'x'"):
        Model.from_data([a], (x - a) ** 2, {"x": [1, 2]})


def test_a_two_dimensional_data_column_is_an_error():
    with pytest.raises(ValueError, match=r"data\[x\]: need a one-dimensional column"):
        Model.from_data([a], (x - a) ** 2, {x: [[1, 2], [3, 4]]})


def test_a_parameter_named_like_a_data_weight_is_an_error():
    b_1 = sp.Symbol("b_1")

    with pytest.raises(
        ValueError, match=r"the names \['b_1'\] are taken by the data weights"
    ):
        Model([b_1], [(b_1 - 1) ** 2, (b_1 - 2) ** 2])


def test_a_constant_named_like_a_data_weight_is_an_error():
    b_2 = sp.Symbol("b_2")

    with pytest.raises(
        ValueError, match=r"the names \['b_2'\] are taken by the data weights"
    ):
        Model([a], [(a - b_2) ** 2, (a - 1) ** 2])


def test_a_data_symbol_named_like_a_data_weight_is_an_error():
    b_1 = sp.Symbol("b_1")

    with pytest.raises(
        ValueError, match=r"the names \['b_1'\] are taken by the data weights"
    ):
        Model.from_data([a], (b_1 - a) ** 2, {b_1: [1, 2]})


def test_a_support_with_the_wrong_number_of_intervals_is_an_error():
    with pytest.raises(
        ValueError, match=r"support: need one \(lower, upper\) pair per parameter \(2\)"
    ):
        Model([a, t], [a**2 + t**2], support=[(0, 1)])


def test_a_support_interval_that_is_not_a_pair_is_an_error():
    with pytest.raises(
        ValueError, match=r"support: need one \(lower, upper\) pair per parameter \(1\)"
    ):
        Model([a], [a**2], support=[(0, 1, 2)])


@pytest.mark.parametrize("interval", [(1, 1), (2, -1)], ids=["point", "reversed"])
def test_an_empty_support_interval_is_an_error(interval):
    with pytest.raises(
        ValueError, match=r"support: the interval for a must have lower < upper"
    ):
        Model([a], [a**2], support=[interval])


def test_a_valid_support_is_kept_as_sympy_pairs():
    m = Model([a, t], [a**2 + t**2], support=[(0, 1), (-sp.oo, sp.Rational(1, 2))])

    assert m.support == ((0, 1), (-sp.oo, sp.Rational(1, 2)))


def test_symbolic_data_reusing_a_column_symbol_is_an_error():
    w, x = sp.symbols("w x")
    with pytest.raises(ValueError, match=r"values contain the symbols \[x\]"):
        Model.from_data([w], (x - w) ** 2, {x: [x, 1]})
