r"""The two-layer linear network learns one mode at a time.

Whitened inputs, targets with singular values :math:`s_1 = 3` and
:math:`s_2 = 0.5`, a balanced aligned initialisation of strength
:math:`G_0 = 10^{-4}`, time in units of :math:`\tau`. Two panels:

1. the mode strengths :math:`G_k(t)`, logistic curves that rise to
   :math:`s_k` one after the other, with the exact half-height times
   :math:`t_k = \frac{\tau}{2s_k}\ln\frac{s_k - G_0}{G_0}` and the usual
   approximation :math:`\frac{\tau}{2s_k}\ln\frac{s_k}{G_0}` marked;
2. their sensitivities :math:`\partial G_k/\partial s_k`: 0 at the start, an
   overshoot near the transition (about :math:`\frac14\ln(s_k/G_0)`), and
   1 once the mode is learned.

The curves are the closed forms of :mod:`derivations.deep_linear` (Saxe,
McClelland and Ganguli, 2014), evaluated by :mod:`numerics.deep_linear`.
"""

import numpy as np

from derivations import deep_linear as dl
from numerics import deep_linear as nd

from . import style

__all__ = ["INIT", "MODE_COLORS", "STRENGTHS", "build", "main"]

NAME = "deep_linear_modes"

STRENGTHS = (3.0, 0.5)
INIT = 1e-4
# Okabe-Ito colours that no attribution framework uses: one per mode.
MODE_COLORS = ("#56B4E9", "#E69F00")
USUAL = r"usual approximation $\frac{\tau}{2s}\ln\frac{s}{G_0}$"


def build(size="slide"):
    """The two-panel figure, a ``matplotlib.figure.Figure``."""
    times = np.linspace(0.0, 18.0, 901)
    G, dG_ds, _ = nd.mode_sensitivities(STRENGTHS, INIT, times)
    halves = [float(dl.half_height_time(s, INIT, 1)) for s in STRENGTHS]
    usual = [float(dl.transition_time(s, INIT, 1)) for s in STRENGTHS]

    with style.context(size):
        fig, (left, right) = style.new_figure(size, ncols=2)
        for k, s in enumerate(STRENGTHS):
            color = MODE_COLORS[k]
            left.plot(
                times,
                G[:, k],
                color=color,
                label=rf"$G_{k + 1}(t)$, $s_{k + 1} = {s:g}$",
            )
            left.axhline(s, color=color, ls=":", lw=1)
            right.plot(
                times,
                dG_ds[:, k],
                color=color,
                label=rf"$\partial G_{k + 1}/\partial s_{k + 1}$",
            )
            for ax in (left, right):
                ax.axvline(halves[k], color=style.COLORS["theory"], ls="--", lw=1)
            left.plot(
                [usual[k]], [s / 2], "x", color=style.COLORS["data"],
                label=USUAL if k == 0 else None,
            )  # fmt: skip
            left.annotate(
                rf"$t_{k + 1}$", (halves[k], s), xytext=(0.3, 0.2),
                textcoords="offset fontsize", color=style.COLORS["theory"],
            )  # fmt: skip
        right.axhline(1.0, color=style.COLORS["data"], ls=":", lw=1)
        left.set_title(
            r"mode strengths: $\tau\dot G = 2G(s - G)$, $G(0) = G_0 = 10^{-4}$"
        )
        left.set_xlabel(r"training time $t$ (units of $\tau$)")
        left.set_ylabel(r"mode strength $G_k$")
        left.legend(loc="center right")
        right.set_title(r"sensitivity to the target: rise, overshoot, settle to 1")
        right.set_xlabel(r"training time $t$ (units of $\tau$)")
        right.set_ylabel(r"$\partial G_k / \partial s_k$")
        right.legend(loc="upper right")
        fig.suptitle(
            "Two-layer linear network on whitened inputs: one mode at a time, "
            r"half-height times $t_k$ dashed"
        )
    return fig


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
