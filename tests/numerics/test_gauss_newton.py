"""Gauss-Newton curvature and the linearised PBRF in float64.

Oracles: the exact SymPy results of derivations.gauss_newton, and central
differences in epsilon of the exact minimiser of the proximal Bregman
objective (Newton's method on the objective itself, not on its linearisation).
"""

import numpy as np
import pytest
import sympy as sp

import derivations
import numerics
from derivations.gauss_newton import OutputModel
from tests.tolerances import DIFFERENCE_RTOL, FLOAT_RTOL, RATE_ATOL

a, c, w, y, y1, y2 = sp.symbols("a c w y y_1 y_2")
STEP = 1e-4


def _two_outputs():
    """Two outputs per example, a coupled output loss, a ridge term."""
    phi = [
        (y1 - zi) ** 2 / 2 + (y1 - zi) * (y2 + zi) / 4 + (y2 + zi) ** 2
        for zi in (1, 2, 4)
    ]
    outputs = [[a * c * xi, a**3 + c * xi**2] for xi in (1, -1, 2)]
    return OutputModel([a, c], outputs, phi, [y1, y2], regularizer=(a**2 + c**2) / 5)


def _exponential():
    """f = exp(w x) on x = (0, 1, 2), z = (2, 6, 3): stationary at w = log 2."""
    targets = (2, 6, 3)
    outputs = [sp.exp(w * xi) for xi in (0, 1, 2)]
    return OutputModel([w], outputs, [(zi - y) ** 2 / 2 for zi in targets], y)


def _central_difference(om, f, damping, at, normalization):
    slopes = []
    for i in range(om.n):
        high, low = numerics.pbrf_response(
            om, f, i, [STEP, -STEP], damping, at, normalization
        )
        slopes.append((high - low) / (2 * STEP))
    return np.array(slopes)


def test_gauss_newton_hessian_in_float64_equals_the_exact_one():
    om = _two_outputs()
    at = {a: sp.Rational(1, 2), c: -1}

    exact = derivations.gauss_newton_hessian(om, at)

    np.testing.assert_allclose(
        numerics.gauss_newton_hessian(om, [0.5, -1.0]),
        np.array(exact, dtype=float),
        rtol=FLOAT_RTOL,
    )


@pytest.mark.parametrize("normalization", ["sum", "mean"])
def test_pbrf_influence_in_float64_equals_the_exact_derivation(normalization):
    om = _exponential()
    exact = derivations.pbrf_influence(
        om,
        w**2,
        damping=sp.Rational(1, 2),
        at={w: sp.log(2)},
        normalization=normalization,
    )

    values = numerics.pbrf_influence(
        om, w**2, damping=0.5, at=[np.log(2)], normalization=normalization
    )

    np.testing.assert_allclose(
        values, np.array(exact.evalf(30), dtype=float).ravel(), rtol=FLOAT_RTOL
    )


@pytest.mark.claim("pbrf-linearisation")
@pytest.mark.parametrize("normalization", ["sum", "mean"])
def test_linearised_pbrf_influence_is_the_slope_of_the_exact_pbrf_minimiser(
    normalization,
):
    om = _two_outputs()
    at = [0.5, -1.0]  # any anchor: the Bregman objective is stationary there
    f = a * c + c**2

    expected = _central_difference(om, f, 0.25, at, normalization)

    np.testing.assert_allclose(
        numerics.pbrf_influence(om, f, 0.25, at, normalization),
        expected,
        rtol=DIFFERENCE_RTOL,
    )


@pytest.mark.claim("pbrf-linearisation")
def test_linearised_pbrf_at_the_minimiser_is_the_slope_of_the_exact_pbrf_minimiser():
    om = _exponential()
    at = [np.log(2)]

    expected = _central_difference(om, w, 0.0, at, "sum")

    np.testing.assert_allclose(
        numerics.pbrf_influence(om, w, at=at), expected, rtol=DIFFERENCE_RTOL
    )


def test_pbrf_influence_differs_from_the_influence_function_where_g_is_not_h():
    om = _exponential()
    at = [np.log(2)]

    pbrf = numerics.pbrf_influence(om, w, at=at)
    influence = numerics.influence(om.model(), w, at=at)

    # G = 68 and H = 76 at w = log 2: the two differ by the factor 76/68.
    np.testing.assert_allclose(pbrf, influence * 76 / 68, rtol=FLOAT_RTOL)


@pytest.mark.claim("pbrf-linearisation")
def test_central_differences_of_the_exact_pbrf_minimiser_converge_at_order_eps_2():
    om = _two_outputs()
    at = [0.5, -1.0]
    f = a * c + c**2
    # Large enough that Newton's 1e-14 stopping rule, over eps, stays far below
    # the truncation error; small enough that the eps^4 term is negligible.
    epsilons = np.array([0.02, 0.01, 0.005, 0.0025])

    linearised = numerics.pbrf_influence(om, f, 0.25, at)
    errors = np.array(
        [
            [
                np.subtract(*numerics.pbrf_response(om, f, i, [e, -e], 0.25, at))
                / (2 * e)
                - linearised[i]
                for e in epsilons
            ]
            for i in range(om.n)
        ]
    )

    for row in errors:
        slope = np.polyfit(np.log(epsilons), np.log(np.abs(row)), 1)[0]
        np.testing.assert_allclose(slope, 2.0, atol=RATE_ATOL)


@pytest.mark.claim("pbrf-linearisation")
def test_mean_pbrf_influence_is_n_times_the_sum_one_at_n_times_the_damping():
    om = _two_outputs()
    at = [0.5, -1.0]

    mean = numerics.pbrf_influence(om, a, 0.1, at, "mean")

    np.testing.assert_allclose(
        mean, 3 * numerics.pbrf_influence(om, a, 0.3, at), rtol=FLOAT_RTOL
    )


def test_pbrf_anchor_defaults_to_the_minimiser():
    om = _exponential()

    np.testing.assert_allclose(
        numerics.pbrf_influence(om, w),
        numerics.pbrf_influence(om, w, at=[np.log(2)]),
        rtol=1e-8,
    )


# ------------------------------------------------------------------ errors


def test_an_unknown_normalization_is_an_error_in_float64():
    with pytest.raises(ValueError, match=r"normalization: need one of"):
        numerics.pbrf_influence(_exponential(), w, at=[0.0], normalization="batch")


def test_a_singular_gauss_newton_hessian_without_damping_is_an_error_in_float64():
    om = OutputModel([a, c], [a * c] * 3, [(zi - y) ** 2 / 2 for zi in (1, 2, 6)], y)

    with pytest.raises(ValueError, match=r"damping: c G \+ lambda I is singular"):
        numerics.pbrf_influence(om, a * c, at=[0.0, 0.0])


def test_a_negative_damping_is_an_error_in_float64():
    with pytest.raises(ValueError, match=r"damping: need a finite lambda >= 0"):
        numerics.pbrf_influence(_exponential(), w, damping=-1.0, at=[0.0])


def test_an_anchor_of_the_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match=r"at: need shape \(d,\) = \(1,\)"):
        numerics.pbrf_influence(_exponential(), w, at=[0.0, 1.0])


def test_an_example_index_out_of_range_is_an_error():
    with pytest.raises(ValueError, match=r"i: need an example index in range\(3\)"):
        numerics.pbrf_response(_exponential(), w, 3, [0.1], at=[0.0])
