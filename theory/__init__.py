"""What the objects are: the model, the zoo of small analytic models, the claims.

Nothing here computes a number; :mod:`derivations` derives and :mod:`numerics`
evaluates.
"""

from . import claims, conventions, deep_linear, zoo
from .errors import ConvergenceError, SingularHessianError
from .model import Model

__all__ = [
    "ConvergenceError",
    "Model",
    "SingularHessianError",
    "claims",
    "conventions",
    "deep_linear",
    "zoo",
]
