r"""The Bayesian influence function converges to the influence function as 1/beta.

One parameter, two examples whose tilts :math:`\pm w/3` cancel in the total
loss :math:`L = w^2 + w^3/6 + w^4/8` (minimum :math:`\theta^* = 0`,
:math:`H = 2`), observable :math:`f = w`. Left: :math:`\mathrm{BIF}_i =
-\beta\,\mathrm{Cov}(f, \ell_i)` by quadrature (:func:`numerics.bif`) against
:math:`\beta`, approaching the influence function :math:`\mathcal{I}_i`.
Right: the gap :math:`|\mathrm{BIF}_i - \mathcal{I}_i|` on log-log axes with
the predicted :math:`|c_1|/\beta` from the Laplace series
(:func:`derivations.bif_series`). The Gaussian (2,2) term is zero here
(:math:`f'' = 0`); the whole :math:`c_1` comes from the cubic and quartic
terms of the potential and the third derivative of the loss.
"""

import numpy as np
import sympy as sp

import derivations
import numerics
from theory import Model

from . import style

__all__ = ["BETAS", "build", "main", "model"]

NAME = "bif_convergence"
BETAS = np.logspace(-1, 5, 61)


def model():
    """The anharmonic model with cancelling tilts, and its parameter w."""
    w = sp.Symbol("w")
    losses = [w**2 / 2 + w**3 / 6 + w / 3, w**2 / 2 + w**4 / 8 - w / 3]
    return Model([w], losses), w


def build(size="slide"):
    """Two panels: BIF against beta, and the gap to the IF with c1 / beta."""
    m, w = model()
    c0, c1 = (np.array(c, float).ravel() for c in derivations.bif_series(m, w))
    values = np.array([numerics.bif(m, w, beta) for beta in BETAS])
    markers = ("o", "s")

    with style.context(size):
        fig, (left, right) = style.new_figure(size, ncols=2)
        for i in range(m.n):
            left.semilogx(
                BETAS,
                values[:, i],
                color=style.COLORS["BIF"],
                ls="-" if i == 0 else "--",
                label=rf"$\mathrm{{BIF}}_{i + 1}$ (quadrature)",
            )
            left.axhline(
                c0[i],
                color=style.COLORS["IF"],
                lw=1,
                ls="-" if i == 0 else "--",
                label=rf"$\mathcal{{I}}_{i + 1} = {c0[i]:.3f}$",
            )
            gap = np.abs(values[:, i] - c0[i])
            right.loglog(
                BETAS[::4],
                gap[::4],
                markers[i],
                color=style.COLORS["BIF"],
                mfc="none",
                label=rf"$|\mathrm{{BIF}}_{i + 1} - \mathcal{{I}}_{i + 1}|$",
            )
            right.loglog(
                BETAS,
                abs(c1[i]) / BETAS,
                color=style.COLORS["theory"],
                ls="-" if i == 0 else "--",
                label=rf"$|c_1|/\beta$, $c_1 = {sp.nsimplify(c1[i])}$",
            )
        left.set_xlabel(r"inverse temperature $\beta$")
        left.set_ylabel(r"attribution to $f = w$")
        left.set_title(
            r"$\mathrm{BIF}_i = -\beta\,\mathrm{Cov}(f, \ell_i)$ tends to the IF"
        )
        left.legend(loc="center right")
        right.set_xlabel(r"inverse temperature $\beta$")
        right.set_ylabel("gap to the influence function")
        right.set_title(r"the gap falls as $c_1/\beta$ (Laplace series)")
        right.legend(loc="lower left")
        fig.suptitle(
            r"Losses $w^2/2 + w^3/6 + w/3$ and $w^2/2 + w^4/8 - w/3$: "
            r"$L = w^2 + w^3/6 + w^4/8$, $\theta^* = 0$, $f = w$"
        )
    return fig


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
