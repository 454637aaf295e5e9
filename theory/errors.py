"""Errors raised by more than one layer of the sandbox.

Each message names the argument, the requirement, what was received and the
way out; the classes exist so that callers can catch one family of failure.
"""

__all__ = ["ConvergenceError", "SingularHessianError", "singular_hessian_message"]


class SingularHessianError(ArithmeticError):
    """The Hessian at the minimiser has a null space, so H^{-1} does not exist.

    ``flat_directions`` holds the null-space vectors, one tuple of coordinates
    in the model's parameters per direction.
    """

    def __init__(self, message, flat_directions=()):
        super().__init__(message)
        self.flat_directions = tuple(flat_directions)


class ConvergenceError(ArithmeticError):
    """An iterative solver stopped before reaching its stated tolerance."""


def singular_hessian_message(params, flat_directions, where="at theta*"):
    """The shared wording for a singular Hessian, naming the flat directions.

    Parameters
    ----------
    params : sequence of sympy.Symbol
        The model's parameters, which name the coordinates.
    flat_directions : sequence of sequences
        Null-space vectors of the Hessian, one coordinate per parameter.
    where : str
        Where the Hessian was evaluated.
    """
    coords = ", ".join(str(p) for p in params)
    dirs = "; ".join("(" + ", ".join(_fmt(c) for c in v) + ")" for v in flat_directions)
    return (
        f"Hessian of L(theta; b=1) {where} is singular: flat direction(s) {dirs} "
        f"in ({coords}). The influence function needs an invertible Hessian; "
        "ways out: damping=lambda > 0 (the exact influence of the proximal "
        "objective), pseudo_inverse=True (the minimum-norm response), or the "
        "Bayesian influence function (bif), which stays finite at degenerate "
        "minima."
    )


def _fmt(value):
    try:
        return f"{float(value):.4g}"
    except TypeError:
        return str(value)
