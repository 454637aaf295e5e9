"""The damping and hyperbola figures draw the limits the theory predicts.

Oracles: the closed forms of the product model on its hyperbola a c = 3 with
z = (1, 2, 6): the lambda -> 0 limit of the damped influence of example 3 is
(z_3 - mean z)/n = 1 on f = a c at every minimiser, and 2 s r_3 / (n |v|^2)
on f = a^2, that is 0.6 at (1, 3) and 0.96 at (2, 3/2).
"""

import numpy as np

from figures import damping, hyperbola
from tests.tolerances import FLOAT_RTOL


def _horizontal_levels(ax):
    levels = []
    for line in ax.get_lines():
        y = np.asarray(line.get_ydata(), dtype=float)
        if y.size == 2 and y[0] == y[1]:
            levels.append(y[0])
    return sorted(levels)


def test_damping_figure_draws_the_same_zero_damping_limit_on_the_product():
    fig = damping.build(size="print")

    levels = _horizontal_levels(fig.axes[1])

    np.testing.assert_allclose(levels, [1.0, 1.0], rtol=FLOAT_RTOL)


def test_damping_figure_draws_two_different_finite_limits_on_a_squared():
    fig = damping.build(size="print")

    levels = _horizontal_levels(fig.axes[2])

    np.testing.assert_allclose(levels, [0.6, 0.96], rtol=FLOAT_RTOL)


def test_hyperbola_figure_has_two_panels_with_the_minimum_curve():
    fig = hyperbola.build(size="print")

    assert len(fig.axes) == 2
    for ax in fig.axes:
        (curve,) = [
            line for line in ax.get_lines() if line.get_label().startswith("minima")
        ]
        a, c = curve.get_data()
        np.testing.assert_allclose(a * c, 3.0, rtol=FLOAT_RTOL)
