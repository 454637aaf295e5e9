"""Evaluate in float64 (and higher precision where asked): influence, retraining.

Every routine here has an independent oracle in :mod:`derivations` or in a
closed form, and the tests hold the two together.
"""

from . import deep_linear  # noqa: F401  (influence over time, two-layer network)
from .bif import BIFResult, bif, posterior_density
from .compiled import compiled, observable
from .counterfactuals import ShapleyEstimate, loo, shapley
from .gauss_newton import gauss_newton_hessian, pbrf_influence, pbrf_response
from .gradient_flow import flow
from .influence import damping_limits, damping_path, hessian_at, influence
from .leverage import leverages
from .minimise import minimise
from .replay import ReplayResult, checkpoint_counts, replay
from .sgld import SGLDResult, sgld_bif
from .source import source, source_filter
from .tracin import tracin
from .unrolling import batch_schedule, train, unrolled, unrolled_path

__all__ = [
    "BIFResult",
    "bif",
    "posterior_density",
    "SGLDResult",
    "sgld_bif",
    "ShapleyEstimate",
    "compiled",
    "damping_limits",
    "damping_path",
    "gauss_newton_hessian",
    "hessian_at",
    "influence",
    "leverages",
    "loo",
    "minimise",
    "observable",
    "pbrf_influence",
    "pbrf_response",
    "shapley",
    "batch_schedule",
    "flow",
    "train",
    "unrolled",
    "unrolled_path",
    "ReplayResult",
    "checkpoint_counts",
    "replay",
    "source",
    "source_filter",
    "tracin",
]
