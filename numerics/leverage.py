r"""Leverages in float64: :math:`h_j = \mathrm{tr}(H^{-1}\nabla^2\ell_j)` at theta*.

For least squares :math:`\nabla^2\ell_j = x_j x_j^\top` and :math:`h_j` is the
j-th diagonal entry of the hat matrix. It decides how far leave-one-out is
from the influence function: :math:`\mathrm{LOO}_j = -\mathcal{I}_j/(1 - h_j)`
for a linear observable (see :mod:`derivations.leverage`).
"""

import numpy as np

from .compiled import compiled
from .influence import stationary_point

__all__ = ["leverages"]


def leverages(m, at=None):
    r"""The leverage of every example, shape (n,).

    Parameters
    ----------
    m : theory.Model
    at : array_like, shape (d,), optional
        The minimiser; found by Newton's method if omitted.

    Examples
    --------
    >>> from theory import zoo
    >>> import numerics
    >>> m = zoo.linear_regression([[1, 0], [1, 1], [1, 2], [1, 10]], [0, 1, 1, 3])
    >>> numerics.leverages(m).round(3)
    array([0.418, 0.331, 0.275, 0.976])
    """
    theta = stationary_point(m, at)
    _, _, H_examples = compiled(m).per_example(theta)
    H = compiled(m).total(theta)[2]
    return np.einsum("ij,nji->n", np.linalg.inv(H), H_examples)
