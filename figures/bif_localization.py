r"""Localisation gamma acts as damping gamma/beta on the influence function.

The anharmonic model of :mod:`figures.bif_convergence` with the localised
posterior :math:`p \propto e^{-\beta L - \frac{\gamma}{2}|\theta -
\theta^*|^2}`. For a fixed ratio :math:`\lambda = \gamma/\beta`,
:math:`\mathrm{BIF}_1` (by :func:`numerics.bif`) is drawn against
:math:`\lambda` at three temperatures, over the damped influence function
:math:`-f'(H + \lambda)^{-1}\ell_1'` (:func:`numerics.influence`). The
curves approach the damped IF as :math:`\beta` grows, with the
:math:`1/\beta` gap of the Laplace series.
"""

import numpy as np

import numerics

from . import style
from .bif_convergence import model

__all__ = ["BETAS", "build", "main"]

NAME = "bif_localization"
BETAS = (1.0, 10.0, 100.0)
RATIOS = np.logspace(-2, 2, 41)


def build(size="slide"):
    """One panel: BIF at fixed gamma / beta against the damped IF."""
    m, w = model()
    damped = [numerics.influence(m, w, damping=lam)[0] for lam in RATIOS]
    shades = np.linspace(0.4, 1.0, len(BETAS))

    with style.context(size):
        fig, ax = style.new_figure(size)
        ax.semilogx(
            RATIOS,
            damped,
            color=style.COLORS["IF"],
            lw=4,
            alpha=0.5,
            label=r"damped IF, $-f'(H + \lambda)^{-1}\ell_1'$",
        )
        for beta, shade in zip(BETAS, shades):
            values = [
                numerics.bif(m, w, beta, localization=lam * beta)[0] for lam in RATIOS
            ]
            ax.semilogx(
                RATIOS,
                values,
                color=style.COLORS["BIF"],
                alpha=shade,
                label=rf"$\mathrm{{BIF}}_1$ at $\beta = {beta:g}$, "
                r"$\gamma = \lambda\beta$",
            )
        ax.set_xlabel(r"damping $\lambda = \gamma/\beta$")
        ax.set_ylabel(r"attribution of example 1 to $f = w$")
        ax.set_title(
            r"localisation $\gamma$ at temperature $1/\beta$ damps by "
            r"$\gamma/\beta$"
        )
        ax.legend(loc="lower right")
    return fig


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
