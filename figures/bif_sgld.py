r"""SGLD estimates of the BIF with error bars against the exact curve.

Gaussian mean :math:`\ell_i = (z_i - \mu)^2/2` with :math:`z = (1, 2, 6)`, a
standard normal prior, observable :math:`f = \mu^2`, example 3. Exact
:math:`\mathrm{BIF}_3(\beta)` in closed form (:func:`numerics.bif`), the
exact stationary value of the discretised Langevin chain (the closed form
under its law :math:`N(\mu, P^{-1}(I - \epsilon P/4)^{-1})`), and SGLD
estimates (:func:`numerics.sgld_bif`, 8 seeded chains, step
:math:`\epsilon = 0.3/p`, two between-chain standard errors) at several
temperatures. The estimates scatter around the chain's stationary value, not
around the exact BIF: the step bias is a property of the sampler.
"""

import numpy as np

import numerics
from theory import zoo

from . import style

__all__ = ["BETAS", "build", "main"]

NAME = "bif_sgld"
BETAS = np.array([0.1, 0.3, 1.0, 3.0, 10.0])
EXAMPLE = 2


def build(size="slide"):
    """One panel: exact curve, chain's stationary values, SGLD with error bars."""
    m = zoo.gaussian_mean([1, 2, 6], prior_precision=1)
    (mu,) = m.params
    f = mu**2
    curve = np.logspace(-1.2, 1.2, 80)
    exact = [numerics.bif(m, f, beta)[EXAMPLE] for beta in curve]
    runs = [
        # The precision of Phi is 3 beta + 1; a step 0.3 / p has a visible bias.
        numerics.sgld_bif(
            m, f, beta, step=0.3 / (3 * beta + 1), steps=6_000, burn_in=500, seed=k
        )
        for k, beta in enumerate(BETAS)
    ]
    values = np.array([r.values[EXAMPLE] for r in runs])
    errors = np.array([2 * r.stderr[EXAMPLE] for r in runs])
    stationary = np.array([r.stationary[EXAMPLE] for r in runs])

    with style.context(size):
        fig, ax = style.new_figure(size)
        ax.semilogx(
            curve,
            exact,
            color=style.COLORS["BIF"],
            label=r"exact $\mathrm{BIF}_3 = -\beta\,\mathrm{Cov}(\mu^2, \ell_3)$",
        )
        ax.semilogx(
            BETAS,
            stationary,
            "D",
            color=style.COLORS["theory"],
            mfc="none",
            label="the chain's exact stationary value (step bias)",
        )
        ax.errorbar(
            BETAS,
            values,
            yerr=errors,
            fmt="o",
            color=style.COLORS["data"],
            capsize=4,
            label=r"SGLD, 8 chains, $\pm 2$ standard errors",
        )
        ax.set_xlabel(r"inverse temperature $\beta$")
        ax.set_ylabel(r"attribution of example 3 to $f = \mu^2$")
        ax.set_title(
            r"SGLD at step $\epsilon = 0.3/(3\beta + 1)$ estimates its own biased "
            "target\n"
            r"(Gaussian mean, $z = (1, 2, 6)$, prior $N(0, 1)$)"
        )
        ax.legend(loc="upper left")
    return fig


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
