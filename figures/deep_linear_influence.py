r"""Influence over training time changes sign from stage to stage.

The two-layer linear network of :func:`theory.deep_linear.two_mode_example`
(inputs :math:`(\pm1, \pm1)`, :math:`s_1 = 3`, :math:`s_2 = 0.5`,
:math:`G_0 = 10^{-4}`), the test loss :math:`\tfrac12|y_q - W x_q|^2` of
:math:`x_q = (1, -1)` and the influence
:math:`\mathcal{I}_p(t) = \partial f(\theta(t))/\partial b_p` of each other
training example. Two panels, one per label structure:

1. labels that agree with the learned map, :math:`y = Sx`;
2. labels whose second component disagrees with it for :math:`x_1 = -1`.

Lines are the exact tangent of the flow (:func:`numerics.flow` on the
eight-parameter network), circles the first-order mode formula of
:mod:`numerics.deep_linear`; the half-height times :math:`t_1, t_2` are dashed
and every sign change is marked. Orthogonal inputs end with influence 0;
parallel ones with that of least squares.
"""

import numpy as np

from derivations import deep_linear as dl
from numerics import deep_linear as nd
from theory.deep_linear import two_mode_example

from . import style

__all__ = ["EXAMPLES", "INIT", "TEST", "build", "main"]

NAME = "deep_linear_influence"

INIT = 1e-4
TEST = 1  # x_q = (1, -1)
T_MAX = 14.0
# Each other training example, its relation to x_q and its colour
# (Okabe-Ito colours that no attribution framework uses).
EXAMPLES = (
    (0, r"$x_p = (1, 1)$, orthogonal", "#56B4E9", "-"),
    (3, r"$x_p = (-1, -1)$, orthogonal", "#E69F00", "--"),
    (2, r"$x_p = (-1, 1) = -x_q$", "#000000", "-"),
)
# The symlog scale is linear within this distance of 0, logarithmic beyond.
LINEAR_WITHIN = 0.05
TICKS = (-1.0, -0.1, 0.0, 0.1, 1.0)
TITLES = {
    "agree": "labels agree with the learned map, $y = Sx$",
    "disagree": r"second labels of $x_1 = -1$ disagree: $y_2 = (s_2 - 1)\,x_2$",
}


def build(size="slide"):
    """The two-panel figure, a ``matplotlib.figure.Figure``."""
    times = np.linspace(0.0, T_MAX, 281)
    coarse = times[::8]
    halves = [float(dl.half_height_time(s, INIT, 1)) for s in (3.0, 0.5)]

    with style.context(size):
        fig, axes = style.new_figure(size, ncols=2, sharey=True)
        for ax, labels in zip(axes, ("agree", "disagree")):
            X, Y = two_mode_example(labels)
            args = (X, Y, X[TEST], Y[TEST])
            exact = nd.influence_over_time(*args, times, INIT, method="flow")
            modes = nd.influence_over_time(*args, coarse, INIT, method="modes")
            for p, label, color, ls in EXAMPLES:
                ax.plot(times, exact[:, p], ls, color=color, label=label)
                ax.plot(
                    coarse, modes[:, p], "o", mfc="none", color=color,
                    ms=0.7 * style.area() ** 0.5,
                )  # fmt: skip
                flips = nd.sign_changes(*args, p, INIT, T_MAX)
                ax.plot(flips, np.zeros_like(flips), "v", color=color, zorder=4)
            for k, t_half in enumerate(halves):
                ax.axvline(t_half, color=style.COLORS["theory"], ls="--", lw=1)
                ax.annotate(
                    rf"$t_{k + 1}$", (t_half, 0), xycoords=("data", "axes fraction"),
                    xytext=(0.3, 0.4), textcoords="offset fontsize",
                    color=style.COLORS["theory"],
                )  # fmt: skip
            ax.axhline(0.0, color=style.COLORS["data"], lw=0.6)
            ax.set_yscale("symlog", linthresh=LINEAR_WITHIN)
            ax.set_yticks(TICKS, [f"{tick:g}" for tick in TICKS])
            ax.set_title(TITLES[labels])
            ax.set_xlabel(r"training time $t$ (units of $\tau$)")
        axes[0].set_ylabel(r"$\mathcal{I}_p(t)$ (linear within $\pm 0.05$, log beyond)")
        axes[0].plot([], [], "o", mfc="none", color="0.3", label="mode formula")
        axes[0].plot([], [], "v", color="0.3", label="sign change")
        axes[0].legend(loc="upper right")
        fig.suptitle(
            r"Influence $\mathcal{I}_p(t) = \partial_{b_p} \frac{1}{2}"
            r"|y_q - W(t)x_q|^2$ on $x_q = (1, -1)$: "
            "exact flow (lines), mode formula (circles)"
        )
    return fig


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
