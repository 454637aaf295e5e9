"""The unrolling figures state numbers that the sandbox must really produce."""

import numpy as np

import numerics
from derivations import filters
from figures import null_space_growth, spectral_filters, unrolling_limit


def test_spectral_filters_figure_prints_the_computed_early_stopping_peak():
    x_star, r_star = (float(v) for v in filters.early_stopping_peak(digits=15))

    texts = [t.get_text() for ax in spectral_filters.build().axes for t in ax.texts]

    assert any(f"{r_star:.4f}" in t and f"{x_star:.3f}" in t for t in texts)


def test_null_space_figure_starts_its_runs_at_minimisers():
    (flat, _, _), (ls, _, _), _ = null_space_growth.models()
    x, y = null_space_growth.X_LS, null_space_growth.Y_LS
    starts = ((flat, [0.0, 1.3]), (ls, [0.5, x @ y / (x @ x) - 0.5]))

    for m, at in starts:
        np.testing.assert_allclose(numerics.compiled(m).total(at)[1], 0.0, atol=1e-12)


def test_unrolling_limit_figure_runs_below_the_stability_bound():
    runs, _ = unrolling_limit.models()

    for _, m, lr in runs:
        H = numerics.hessian_at(m, np.zeros(m.d))
        assert lr < 2 / np.linalg.eigvalsh(H)[-1]
