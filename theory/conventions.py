r"""Attribution conventions, and one function that converts between them.

The sandbox reports every attribution as an upweighting derivative of a sum
loss: :math:`\mathcal{I}_i = d f / d b_i` at :math:`b = 1`, with
:math:`L(\theta; b) = \sum_i b_i \ell_i + R`, and Bayesian influence in the
derivative form :math:`-\beta\,\mathrm{Cov}(f, \ell_i)`. Papers and libraries
differ from it in a sign (removal instead of upweighting), a factor n (the
perturbation added to a mean loss) or a temperature (a reported covariance
instead of a derivative, :math:`n\beta` with a mean loss). Each convention
below records that sign and scale, so that

.. math::

    \text{value in the sandbox} = \text{sign} \times
        \frac{\text{reported value}}{\text{scale}(n, \beta)} .

:func:`convert` applies it between any two conventions; no definition is
changed to match a source.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CONVENTIONS", "Convention", "convert"]


@dataclass(frozen=True)
class Convention:
    """How a convention relates to the sandbox: sign, scale, and what it is.

    ``scale(n, beta)`` is the factor by which a reported value exceeds the
    sandbox value (after the sign); ``needs`` names the arguments it uses.
    """

    name: str
    sign: int
    scale: Callable
    needs: tuple
    definition: str
    reference: str


def _one(n, beta):
    return 1


def _n(n, beta):
    return n


def _inverse_beta(n, beta):
    return 1 / beta


def _inverse_n_beta(n, beta):
    return 1 / (n * beta)


CONVENTIONS = {
    c.name: c
    for c in (
        Convention(
            "sandbox",
            +1,
            _one,
            (),
            "d f(theta*(b)) / d b_i at b = 1 for the sum loss sum_i b_i l_i + R; "
            "for Gibbs posteriors -beta Cov(f, l_i)",
            "this package",
        ),
        Convention(
            "removal",
            -1,
            _one,
            (),
            "first-order change of f when example i is removed, "
            "f(theta*_-i) - f(theta*) ~ -d f / d b_i",
            "leave-one-out sign",
        ),
        Convention(
            "mean-upweighting",
            +1,
            _n,
            ("n",),
            "d f / d eps for theta*(eps) = argmin (1/n) sum_j l_j + eps l_i: a "
            "weight eps on the mean loss is a weight n eps on the sum loss",
            "Koh and Liang (2017), I_up",
        ),
        Convention(
            "bif-covariance",
            +1,
            _inverse_beta,
            ("beta",),
            "the reported -Cov(f, l_i) under p proportional to "
            "pi exp(-beta sum_i l_i); the derivative is beta times it",
            "fluctuation-response identity",
        ),
        Convention(
            "bif-covariance-mean",
            +1,
            _inverse_n_beta,
            ("n", "beta"),
            "the reported -Cov(f, l_i) under p proportional to "
            "pi exp(-n beta L_n) with the mean loss L_n = (1/n) sum_i l_i, so the "
            "sandbox inverse temperature is n beta",
            "the n beta convention of singular learning theory samplers",
        ),
    )
}


def convert(values, source, target="sandbox", *, n=None, beta=None):
    r"""Convert attributions from one convention to another.

    Parameters
    ----------
    values : array_like or sympy.Expr
        Attributions reported in the ``source`` convention.
    source, target : str
        Keys of :data:`CONVENTIONS`.
    n : int, optional
        Number of examples, for conventions with a mean loss.
    beta : float or sympy.Expr, optional
        The inverse temperature as the source (or target) reports it.

    Returns
    -------
    Same type as ``values``.

    Examples
    --------
    >>> from theory.conventions import convert
    >>> convert([2.0, -4.0], "mean-upweighting", n=4)
    array([ 0.5, -1. ])
    >>> convert([0.5, -1.0], "sandbox", "removal")
    array([-0.5,  1. ])
    """
    here, there = _lookup(source, "source"), _lookup(target, "target")
    for convention in (here, there):
        for name, value in (("n", n), ("beta", beta)):
            if name in convention.needs and value is None:
                raise ValueError(
                    f"{name}: the convention {convention.name!r} needs {name}, got "
                    f"None; pass {name}=... ({convention.definition})."
                )
    factor = (here.sign * there.sign) * there.scale(n, beta) / here.scale(n, beta)
    if isinstance(values, (list, tuple)):
        values = np.asarray(values, dtype=float)
    return values * factor


def _lookup(name, argument):
    if name not in CONVENTIONS:
        raise ValueError(
            f"{argument}: unknown convention {name!r}; choose from "
            f"{sorted(CONVENTIONS)}."
        )
    return CONVENTIONS[name]
