"""Lecture figures, one module per figure; ``python -m figures`` builds them all.

Every module has a ``build(size="slide")`` that returns a matplotlib Figure and
a ``main(argv=None)`` with ``--out``, ``--format``, ``--size`` and ``--show``.
The figures call :mod:`numerics` and :mod:`derivations` for every number they
draw; :mod:`figures.style` fixes sizes, colours and symbols.
"""

from . import (
    bif_convergence,
    bif_localization,
    bif_posteriors,
    bif_sgld,
    counterfactual_chain,
    damping,
    deep_linear_influence,
    deep_linear_modes,
    hyperbola,
    leverage,
    null_space_growth,
    spectral_filters,
    style,
    unrolling_approximations,
    unrolling_limit,
)

FIGURES = (
    counterfactual_chain,
    leverage,
    unrolling_approximations,
    damping,
    hyperbola,
    unrolling_limit,
    spectral_filters,
    null_space_growth,
    deep_linear_modes,
    deep_linear_influence,
    bif_convergence,
    bif_posteriors,
    bif_sgld,
    bif_localization,
)

__all__ = [
    "FIGURES",
    "bif_convergence",
    "bif_localization",
    "bif_posteriors",
    "bif_sgld",
    "counterfactual_chain",
    "damping",
    "deep_linear_influence",
    "deep_linear_modes",
    "hyperbola",
    "leverage",
    "null_space_growth",
    "spectral_filters",
    "style",
    "unrolling_approximations",
    "unrolling_limit",
]
