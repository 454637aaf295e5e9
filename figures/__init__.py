"""Lecture figures, one module per figure; ``python -m figures`` builds them all.

Every module has a ``build(size="slide")`` that returns a matplotlib Figure and
a ``main(argv=None)`` with ``--out``, ``--format``, ``--size`` and ``--show``.
The figures call :mod:`numerics` and :mod:`derivations` for every number they
draw; :mod:`figures.style` fixes sizes, colours and symbols.

The modules are imported when first asked for (``figures.FIGURES`` imports them
all), so that ``python -m figures.leverage`` runs one figure without importing
the others first.
"""

import importlib

# In the order of the material: counterfactuals, influence functions, Bayesian
# influence functions, unrolling, the two-layer linear network.
NAMES = (
    "counterfactual_chain",
    "leverage",
    "damping",
    "hyperbola",
    "bif_convergence",
    "bif_posteriors",
    "bif_sgld",
    "bif_localization",
    "unrolling_limit",
    "spectral_filters",
    "null_space_growth",
    "unrolling_approximations",
    "deep_linear_modes",
    "deep_linear_influence",
)

__all__ = ["FIGURES", "NAMES", "style", *NAMES]


def __getattr__(name):
    if name == "FIGURES":
        return tuple(importlib.import_module(f"{__name__}.{n}") for n in NAMES)
    if name in NAMES or name == "style":
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
