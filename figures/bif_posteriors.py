r"""Gibbs posteriors of one parameter at several temperatures, and the minimiser.

The anharmonic model of :mod:`figures.bif_convergence`,
:math:`L = w^2 + w^3/6 + w^4/8` with minimum :math:`\theta^* = 0`. The Gibbs
posterior :math:`p_\beta \propto e^{-\beta L}` (by
:func:`numerics.posterior_density`) is wide and skewed at small
:math:`\beta` and concentrates on :math:`\theta^*` with width
:math:`(\beta H)^{-1/2}` as :math:`\beta` grows; its skewness is what the
cubic term puts into the :math:`1/\beta` correction of the BIF.
"""

import numpy as np

import numerics

from . import style
from .bif_convergence import model

__all__ = ["BETAS", "build", "main"]

NAME = "bif_posteriors"
BETAS = (0.3, 1.0, 3.0, 10.0, 30.0)


def build(size="slide"):
    """One panel: the densities, the minimiser and the Gaussian widths."""
    m, w = model()
    grid = np.linspace(-4.0, 3.0, 701)
    shades = np.linspace(0.35, 1.0, len(BETAS))

    with style.context(size):
        fig, ax = style.new_figure(size)
        for beta, shade in zip(BETAS, shades):
            density = numerics.posterior_density(m, grid, beta)
            ax.plot(
                grid,
                density,
                color=style.COLORS["BIF"],
                alpha=shade,
                label=rf"$\beta = {beta:g}$",
            )
        ax.axvline(
            0.0,
            color=style.COLORS["data"],
            ls=":",
            label=r"minimiser $\theta^* = 0$",
        )
        ax.set_xlabel(r"parameter $w$")
        ax.set_ylabel(r"posterior density $p_\beta(w) \propto e^{-\beta L(w)}$")
        ax.set_title(
            r"$L(w) = w^2 + w^3/6 + w^4/8$: skewed when hot, Gaussian of width "
            r"$(2\beta)^{-1/2}$ when cold"
        )
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left")
    return fig


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
