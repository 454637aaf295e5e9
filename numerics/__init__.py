"""Evaluate in float64 (and higher precision where asked): influence, retraining.

Every routine here has an independent oracle in :mod:`derivations` or in a
closed form, and the tests hold the two together.
"""

from .compiled import compiled, observable
from .counterfactuals import ShapleyEstimate, loo, shapley
from .influence import hessian_at, influence
from .leverage import leverages
from .minimise import minimise

__all__ = [
    "ShapleyEstimate",
    "compiled",
    "hessian_at",
    "influence",
    "leverages",
    "loo",
    "minimise",
    "observable",
    "shapley",
]
