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

Registered conventions: ``"sandbox"``, ``"removal"``, ``"mean-upweighting"``
(and its alias ``"koh-liang"``), ``"bif-covariance"``,
``"bif-covariance-mean"``, and the scores of libraries and methods as their
authors document them: ``"pydvl"``, ``"kronfluence"``, ``"tracin"`` and
``"source"``. Each entry's ``definition`` states what the reported number is
and its ``reference`` where that was read; where a factor could not be checked
against the project's code, the definition says so. Dampings convert with
:func:`convert_damping` and inverse temperatures with :func:`convert_beta`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

__all__ = ["CONVENTIONS", "Convention", "convert", "convert_beta", "convert_damping"]


@dataclass(frozen=True)
class Convention:
    """How a convention relates to the sandbox: sign, scale, and what it is.

    ``scale(n, beta)`` is the factor by which a reported value exceeds the
    sandbox value (after the sign); ``needs`` names the arguments it uses.
    ``mean_curvature`` is true when the convention's Hessian (and so its
    damping) belongs to the mean loss: its damping is then 1/n of the sandbox
    damping (:func:`convert_damping`). ``mean_temperature`` is true when its
    inverse temperature multiplies the mean loss: it is then n times the
    sandbox's (:func:`convert_beta`).
    """

    name: str
    sign: int
    scale: Callable
    needs: tuple
    definition: str
    reference: str
    mean_curvature: bool = False
    mean_temperature: bool = False


def _one(n, beta):
    return 1


def _n(n, beta):
    return n


def _inverse_beta(n, beta):
    return 1 / beta


def _n_over_beta(n, beta):
    return n / beta


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
            mean_curvature=True,
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
            _n_over_beta,
            ("n", "beta"),
            "the reported -Cov(f, l_i) under p proportional to "
            "pi exp(-beta L_n) with the mean loss L_n = (1/n) sum_i l_i and beta "
            "the coefficient of the mean loss (written n beta in singular learning "
            "theory, the sampler's 'nbeta'); that is the sandbox posterior at "
            "inverse temperature beta / n, so the derivative is (beta / n) times "
            "the reported covariance",
            "the n beta convention of singular learning theory samplers "
            "(Watanabe's tempered posterior exp(-n beta L_n))",
            mean_temperature=True,
        ),
        Convention(
            "koh-liang",
            +1,
            _n,
            ("n",),
            "Koh and Liang's I_up,loss(z_i, z_test) = d L(z_test, theta*_eps) / d eps "
            "= -grad L_test^T H^-1 grad L(z_i) with theta*_eps = argmin (1/n) "
            "sum_j L(z_j) + eps L(z_i) and H the Hessian of the mean loss; the "
            "same as mean-upweighting, with f the test loss",
            "Koh and Liang (2017), 'Understanding black-box predictions via "
            "influence functions', ICML, eqs. (1)-(2)",
            mean_curvature=True,
        ),
        Convention(
            "pydvl",
            -1,
            _n,
            ("n",),
            "pyDVL's influence I_up(z_i, z_test) = -d L(z_test, theta_eps) / d eps "
            "= grad L_test^T H^-1 grad L(z_i), with theta_eps = argmin (1/n) sum_j "
            "L(z_j) + eps L(z_i), H the Hessian of the mean loss plus the "
            "'regularization' lambda I; positive means the training point helps "
            "(lowers the test loss). Minus n times the sandbox influence on the "
            "test loss. pyDVL's 'Gauss-Newton' mode inverts the mean of the "
            "per-example gradient outer products (an empirical Fisher), not the "
            "G = sum J^T H_y J of derivations.gauss_newton",
            "pyDVL documentation, docs/influence/index.md ('Approximating the "
            "influence of a point' and 'Hessian regularization'), "
            "aai-institute/pyDVL",
            mean_curvature=True,
        ),
        Convention(
            "kronfluence",
            -1,
            _n,
            ("n",),
            "kronfluence's pairwise score: the measurement gradient preconditioned "
            "by the inverse of the damped (EK-FAC) Gauss-Newton Hessian, dotted "
            "with the training example's loss gradient, grad f^T (G + lambda I)^-1 "
            "grad l_i, with no sign change; G is the curvature of the mean loss "
            "(the EK-FAC factors are expectations over the training data). Minus n "
            "times the sandbox influence with H replaced by G (derivations."
            "pbrf_influence). The sign is read from kronfluence's score code; the "
            "mean normalisation from the paper, not checked in the code",
            "kronfluence, kronfluence/score/pairwise.py and "
            "kronfluence/module/tracker/pairwise_score.py (pomonam/kronfluence); "
            "Grosse et al. (2023), 'Studying large language model generalization "
            "with influence functions', eqs. (5), (16)",
            mean_curvature=True,
        ),
        Convention(
            "tracin",
            -1,
            _n,
            ("n",),
            "TracInCP(z_i, z') = sum_t eta_t grad l(theta_t, z')^T grad l(theta_t, "
            "z_i) over checkpoints t: the first-order decrease of the test loss "
            "caused by the steps on z_i (positive for proponents). It is minus "
            "unrolling with the step Jacobians replaced by the identity. Pass as n "
            "the number of examples the loss was averaged over when eta_t was "
            "applied: the training-set size for full-batch gradient descent on a "
            "mean loss, the batch size for minibatch SGD on a batch mean, and "
            "n=1 when eta_t multiplied the gradient of the sum loss (the sandbox's "
            "theta_{t+1} = theta_t - eta grad L) or when the reported score "
            "already includes the 1/batch factor",
            "Pruthi, Liu, Kale and Sundararajan (2020), 'Estimating training data "
            "influence by tracing gradient descent', NeurIPS, TracInCP definition",
        ),
        Convention(
            "source",
            -1,
            _n,
            ("n",),
            "SOURCE reports the derivative of the measurement with respect to "
            "downweighting a training example in the mean training objective "
            "(1/n) sum_j l_j - eps l_i, a removal-sign derivative: a weight -eps on "
            "the mean loss is a weight -n eps on the sum loss. The removal sign is "
            "the paper's ('downweighting'); the factor n assumes, as the paper "
            "writes its objectives, a mean over the n examples, and was not checked "
            "against the authors' code",
            "Bae, Lin, Lorraine and Grosse (2024), 'Training data attribution via "
            "approximate unrolled differentiation' (SOURCE), NeurIPS",
            mean_curvature=True,
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
        Number of examples, for conventions with a mean loss. For ``"tracin"``,
        the number of examples the loss was averaged over when the learning
        rate was applied (1 for a rate on the sum loss, as in the sandbox's
        gradient descent; the batch size for SGD on batch means).
    beta : float or sympy.Expr, optional
        The inverse temperature as the source (or target) reports it: the
        coefficient of the sum loss, or of the mean loss for
        ``"bif-covariance-mean"`` (:func:`convert_beta` translates).

    Returns
    -------
    Same type as ``values`` (a list or tuple becomes an ndarray); exact when
    ``values``, ``n`` or ``beta`` is a SymPy object.

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
    if (
        "beta" in here.needs
        and "beta" in there.needs
        and here.mean_temperature != there.mean_temperature
    ):
        raise ValueError(
            f"beta: {source!r} and {target!r} quote the inverse temperature "
            "differently (one on the mean loss, one on the sum), so one beta cannot "
            "serve both; convert to 'sandbox' first, then convert_beta, then on."
        )
    sign = here.sign * there.sign
    if any(isinstance(x, (sp.Basic, sp.MatrixBase)) for x in (values, n, beta)):
        # Exact in, exact out: no float division for SymPy values or arguments.
        ratio = sp.sympify(there.scale(n, beta)) / sp.sympify(here.scale(n, beta))
        return values * (sign * ratio)
    factor = sign * there.scale(n, beta) / here.scale(n, beta)
    if isinstance(values, (list, tuple)):
        values = np.asarray(values, dtype=float)
    return values * factor


def convert_damping(damping, source, target="sandbox", *, n=None):
    r"""Convert a damping :math:`\lambda` between conventions.

    A convention whose Hessian belongs to the mean loss damps
    :math:`H/n + \lambda I`; the same influence in the sandbox's sum
    convention has damping :math:`n\lambda`.

    Parameters
    ----------
    damping : float or sympy.Expr
        The damping as the ``source`` convention reports it.
    source, target : str
        Keys of :data:`CONVENTIONS`.
    n : int, optional
        Number of examples; needed when exactly one side uses mean curvature.

    Examples
    --------
    >>> from theory.conventions import convert_damping
    >>> convert_damping(0.01, "pydvl", n=100)
    1.0
    """
    here, there = _lookup(source, "source"), _lookup(target, "target")
    if here.mean_curvature == there.mean_curvature:
        return damping
    n = _need_n(n, "a damping", source, target)
    return damping * n if here.mean_curvature else damping / n


def convert_beta(beta, source, target="sandbox", *, n=None):
    r"""Convert an inverse temperature :math:`\beta` between conventions.

    A convention whose temperature multiplies the mean loss,
    :math:`\exp(-\beta' L_n)` with :math:`L_n = \frac1n\sum_i \ell_i`, is the
    sandbox posterior :math:`\exp(-\beta \sum_i \ell_i)` at
    :math:`\beta = \beta'/n`.

    Parameters
    ----------
    beta : float or sympy.Expr
        The inverse temperature as the ``source`` convention reports it.
    source, target : str
        Keys of :data:`CONVENTIONS`.
    n : int, optional
        Number of examples; needed when exactly one side puts the temperature
        on the mean loss.

    Examples
    --------
    >>> from theory.conventions import convert_beta
    >>> convert_beta(200.0, "bif-covariance-mean", n=100)
    2.0
    """
    here, there = _lookup(source, "source"), _lookup(target, "target")
    if here.mean_temperature == there.mean_temperature:
        return beta
    n = _need_n(n, "an inverse temperature", source, target)
    return beta / n if here.mean_temperature else beta * n


def _need_n(n, what, source, target):
    if n is None:
        raise ValueError(
            f"n: converting {what} from {source!r} to {target!r} needs the "
            "number of examples, got None; pass n=..."
        )
    return n


def _lookup(name, argument):
    if name not in CONVENTIONS:
        raise ValueError(
            f"{argument}: unknown convention {name!r}; choose from "
            f"{sorted(CONVENTIONS)}."
        )
    return CONVENTIONS[name]
