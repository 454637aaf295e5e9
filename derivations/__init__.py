"""Derive with SymPy: influence functions, counterfactuals, least-squares leverage.

Results are SymPy objects; each derivation can also be shown step by step
(:func:`influence_steps`, and ``python -m derivations`` for the catalogue).
"""

from . import (  # noqa: F401  (registers derivations)
    conventions,
    counterfactuals,
    damping,
    deep_linear,  # noqa: F401  (registers the mode derivations)
    gauss_newton,
    ift,
    leverage,
    product,
    unrolling_steps,
)
from .bif import ImproperPosteriorError, bif
from .bif_series import bif_series, gibbs_series, isserlis_moment
from .counterfactuals import influence_curve, leave_one_out, overdetermination, shapley
from .damping import proximal_model
from .filters import (
    damping_filter,
    early_stopping_peak,
    early_stopping_ratio,
    flow_filter,
    localization_filter,
)
from .gauss_newton import (
    OutputModel,
    gauss_newton_hessian,
    hessian_gap,
    pbrf_influence,
)
from .ift import influence_steps
from .influence import Influence, influence, response
from .leverage import leverages, reweighting_response, reweighting_series
from .minimiser import minimiser
from .product import (
    damped_influence,
    hessian_directions,
    hyperbola_point,
    leave_one_out_product,
    small_damping_terms,
)
from .steps import CATALOG, Derivation
from .susceptibility import bif_direction, fluctuation_response, susceptibility
from .transport import optimal_shift, transport_cost, transport_leading_cost
from .unrolling import training_filter, unrolled

__all__ = [
    "CATALOG",
    "Derivation",
    "Influence",
    "ImproperPosteriorError",
    "bif",
    "bif_series",
    "gibbs_series",
    "isserlis_moment",
    "OutputModel",
    "gauss_newton_hessian",
    "hessian_gap",
    "pbrf_influence",
    "damped_influence",
    "hessian_directions",
    "proximal_model",
    "hyperbola_point",
    "leave_one_out_product",
    "small_damping_terms",
    "influence",
    "influence_curve",
    "influence_steps",
    "leave_one_out",
    "leverages",
    "minimiser",
    "overdetermination",
    "response",
    "reweighting_response",
    "reweighting_series",
    "shapley",
    "susceptibility",
    "bif_direction",
    "fluctuation_response",
    "optimal_shift",
    "transport_cost",
    "transport_leading_cost",
    "damping_filter",
    "early_stopping_peak",
    "early_stopping_ratio",
    "flow_filter",
    "localization_filter",
    "training_filter",
    "unrolled",
]
