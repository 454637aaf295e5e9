r"""What each framework puts in place of the influence function's 1/sigma.

On a quadratic loss every attribution is
:math:`-\nabla f^\top P\,\varphi(D)\,P^{-1}\nabla\ell_i` for a filter
:math:`\varphi` of the Hessian's eigenvalues :math:`\sigma`
(:mod:`derivations.filters`). Two panels:

1. the filters against :math:`\sigma` on log-log axes, at one common scale
   :math:`\lambda = 1/t = \gamma/\beta`: the influence function
   :math:`1/\sigma`, damping :math:`1/(\sigma + \lambda)`, gradient flow for
   time t, :math:`(1 - e^{-t\sigma})/\sigma`, T steps of GD at rate
   :math:`\eta` with :math:`\eta T = t`, :math:`(1 - (1 - \eta\sigma)^T)/\sigma`
   (it oscillates once :math:`\eta\sigma > 1` and blows up past
   :math:`\eta\sigma = 2`), and the localised Gaussian Gibbs posterior,
   :math:`1/(\sigma + \gamma/\beta)`, on top of damping; SOURCE's segment
   filter for a segment of K steps, :math:`(1 - e^{-\eta K\sigma})/\sigma`
   (:func:`numerics.source.source_filter`), is the flow filter at
   :math:`t = \eta K` (squares);
2. early stopping as damping: the flow filter over the damping filter at
   :math:`\lambda = 1/t`, :math:`r(x) = (1 - e^{-x})(1 + x)/x` with
   :math:`x = t\sigma`, between 1 and its peak :math:`r(x^*) \approx 1.2984` at
   :math:`x^* \approx 1.793`, the positive root of :math:`e^x = 1 + x + x^2`.
"""

import numpy as np

from derivations import filters
from numerics.source import source_filter

from . import style

__all__ = ["build", "main"]

NAME = "spectral_filters"

TIME = 10.0  # t = eta T, so lambda = 1/t = 0.1
LR, STEPS = 1.0, 10  # GD with eta T = t; unstable past eta sigma = 2
BETA = 20.0  # localisation gamma = beta / t gives gamma / beta = 1/t
SIGMA = np.logspace(-3, np.log10(3.2), 800)


def build(size="slide"):
    """The two-panel figure, a ``matplotlib.figure.Figure``."""
    lam = 1 / TIME
    with style.context(size):
        fig, (left, right) = style.new_figure(size, ncols=2, width_ratios=[1.2, 1])
        curves = [
            (1 / SIGMA, style.COLORS["IF"], "-", r"IF: $1/\sigma$"),
            (
                filters.damping_filter(SIGMA, lam),
                style.COLORS["LOO"],
                "-",
                r"damping: $1/(\sigma + \lambda)$",
            ),
            (
                filters.localization_filter(SIGMA, BETA, BETA * lam),
                style.COLORS["BIF"],
                (0, (2, 3)),
                r"localised Gibbs: $1/(\sigma + \gamma/\beta)$",
            ),
            (
                filters.flow_filter(SIGMA, TIME),
                style.COLORS["unrolling"],
                "-",
                r"gradient flow: $(1 - e^{-t\sigma})/\sigma$",
            ),
            (
                np.abs(filters.training_filter(SIGMA, STEPS, LR)),
                style.COLORS["Shapley"],
                "--",
                r"GD: $|1 - (1 - \eta\sigma)^T|/\sigma$",
            ),
        ]
        for values, color, ls, label in curves:
            left.plot(SIGMA, values, ls=ls, color=color, label=label)
        # SOURCE's segment filter at tau = eta K is the flow filter at t = tau.
        marked = np.logspace(-3, 0.4, 14)
        left.plot(
            marked,
            source_filter(marked, TIME),
            "s",
            mfc="none",
            color=style.COLORS["unrolling"],
            label=r"SOURCE segment, $\tau = \eta K = t$",
        )
        left.axvline(lam, color=style.COLORS["theory"], lw=1, ls=":")
        left.annotate(
            r"$\sigma = \lambda = 1/t$",
            (lam, 60),
            xytext=(0.4, 0),
            textcoords="offset fontsize",
            fontsize="small",
        )
        left.axvline(2 / LR, color=style.COLORS["theory"], lw=1, ls=":")
        left.annotate(
            "GD unstable\n" r"past $\eta\sigma = 2$",
            (2 / LR, 300),
            xytext=(-0.4, 0),
            textcoords="offset fontsize",
            ha="right",
            fontsize="small",
        )
        left.set_xscale("log")
        left.set_yscale("log")
        left.set_ylim(0.1, 2e3)
        left.set_xlabel(r"Hessian eigenvalue $\sigma$")
        left.set_ylabel(r"filter $\varphi(\sigma)$ in place of $1/\sigma$")
        left.set_title(
            rf"filters at $t = \eta T = {TIME:g}$ ($\eta = {LR:g}$, $T = {STEPS}$), "
            rf"$\lambda = \gamma/\beta = 1/t$"
        )
        fig.legend(
            *left.get_legend_handles_labels(),
            loc="outside lower left",
            ncols=3,
            fontsize="small",
        )
        _ratio_panel(right)
        fig.suptitle(
            "Damping, training time and temperature filter the spectrum alike;\n"
            r"early stopping at time $t$ is damping $1/t$ within a factor 1.30"
        )
    return fig


def _ratio_panel(ax):
    x = np.logspace(-2, 3, 500)
    x_star, r_star = (float(v) for v in filters.early_stopping_peak(digits=15))
    ax.plot(
        x,
        filters.early_stopping_ratio(x),
        color=style.COLORS["unrolling"],
    )
    ax.axhline(1.0, color=style.COLORS["theory"], lw=1)
    ax.axhline(r_star, color=style.COLORS["theory"], lw=1, ls="--")
    ax.plot([x_star], [r_star], "o", color=style.COLORS["data"])
    ax.annotate(
        rf"peak $r(x^*) = {r_star:.4f}$ at $x^* = {x_star:.3f}$"
        "\n"
        r"root of $e^x = 1 + x + x^2$",
        (x_star, r_star),
        xytext=(1.0, -3.2),
        textcoords="offset fontsize",
        fontsize="small",
    )
    ax.set_xscale("log")
    ax.set_ylim(0.95, 1.35)
    ax.set_xlabel(r"$x = t\sigma$")
    ax.set_ylabel(r"flow filter / damping filter at $\lambda = 1/t$")
    ax.set_title(r"early stopping as damping: $r(x) = (1 - e^{-x})(1 + x)/x$")


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
