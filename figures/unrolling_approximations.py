r"""Exact unrolling against its two cheap approximations, TracIn and SOURCE.

Ridge logistic regression on eight points in the plane (:math:`\alpha = 0.1`),
trained by gradient descent from :math:`\theta_0 = 0` at :math:`\eta = 0.2`,
and the observable :math:`f(\theta) = x_0^\top\theta`, the margin at a test
input. Two panels:

1. after T = 10 steps, every example's exact unrolled influence
   :math:`\mathcal{U}_i = d f(\theta_T)/d b_i` (forward tangents,
   :func:`numerics.unrolled`) beside TracIn (every step a checkpoint, the step
   Jacobians replaced by the identity, :func:`numerics.tracin`) and SOURCE
   with one and with five stationary segments (:func:`numerics.source`), all
   in the upweighting sign;
2. for one example, the relative error of each approximation a against the
   number of steps, with the influence function for reference (it is reached
   at a geometric rate): SOURCE stays within a few percent, the more segments
   the closer, while TracIn's error grows without bound, since the
   per-example gradients it sums do not vanish at the minimum although their
   total does.

TracIn's and SOURCE's published scores differ from these by a sign and a
normalisation, converted by :func:`theory.conventions.convert`.
"""

import numpy as np

import numerics
from theory import zoo

from . import style

__all__ = ["EXAMPLE", "LR", "STEPS", "X", "X0", "Y", "build", "main", "model"]

NAME = "unrolling_approximations"

X = np.array(
    [
        [1.0, 0.2],
        [0.8, -0.5],
        [-0.3, 1.1],
        [1.5, 0.9],
        [-1.2, -0.4],
        [0.4, -1.3],
        [-0.9, 0.8],
        [0.1, 0.3],
    ]
)
Y = np.array([1.0, 1.0, 1.0, -1.0, -1.0, 1.0, -1.0, 1.0])
X0 = np.array([0.9, 0.6])
ALPHA, LR, STEPS = 0.1, 0.2, 10
EXAMPLE = 3  # the most influential example, followed in the second panel
SEGMENT_STEPS = 2  # SOURCE's segment length in the second panel
HORIZON = 60

# Okabe and Ito colours not taken by the frameworks of figures.style.
TRACIN_COLOR = "#56B4E9"  # sky blue
SOURCE_COLOR = "#E69F00"  # orange


def model():
    """The ridge logistic model and the observable :math:`x_0^\\top\\theta`."""
    m = zoo.logistic_regression(X, Y, alpha=ALPHA)
    return m, sum(c * p for c, p in zip(X0, m.params))


def build(size="slide"):
    """The two-panel figure, a ``matplotlib.figure.Figure``."""
    m, f = model()
    init = np.zeros(m.d)
    bars = {
        "exact": numerics.unrolled(m, f, STEPS, LR, init),
        "tracin": numerics.tracin(m, f, STEPS, LR, init),
        "source1": numerics.source(m, f, STEPS, LR, init, segments=1),
        "source5": numerics.source(m, f, STEPS, LR, init, segments=5),
    }
    steps, exact_path = numerics.unrolled_path(
        m, f, HORIZON, LR, init, every=SEGMENT_STEPS
    )
    steps, exact_path = steps[1:], exact_path[1:, EXAMPLE]
    ratios = {
        "tracin": [numerics.tracin(m, f, int(T), LR, init)[EXAMPLE] for T in steps],
        "source": [
            numerics.source(m, f, int(T), LR, init, segments=int(T) // SEGMENT_STEPS)[
                EXAMPLE
            ]
            for T in steps
        ],
        "source1": [numerics.source(m, f, int(T), LR, init)[EXAMPLE] for T in steps],
        "IF": numerics.influence(m, f)[EXAMPLE] * np.ones(len(steps)),
    }
    errors = {
        key: np.abs(np.asarray(value) / exact_path - 1) for key, value in ratios.items()
    }

    with style.context(size):
        fig, axes = style.new_figure(size, ncols=2, width_ratios=[1.35, 1])
        _bars_panel(axes[0], bars)
        _error_panel(axes[1], steps, errors)
        fig.suptitle(
            r"Exact unrolling, TracIn and SOURCE: ridge logistic regression, "
            rf"$f = x_0^\top\theta$, $\eta = {LR}$"
        )
    return fig


def _bars_panel(ax, bars):
    index = np.arange(len(bars["exact"]))
    width = 0.2
    series = [
        ("exact", style.COLORS["unrolling"], None, "exact unrolling"),
        ("tracin", TRACIN_COLOR, None, r"TracIn ($\prod (I - \eta H_s) \to I$)"),
        ("source1", SOURCE_COLOR, "///", "SOURCE, 1 segment"),
        ("source5", SOURCE_COLOR, None, "SOURCE, 5 segments"),
    ]
    for k, (key, color, hatch, label) in enumerate(series):
        ax.bar(
            index + (k - 1.5) * width,
            bars[key],
            width,
            color="white" if hatch else color,
            edgecolor=color,
            hatch=hatch,
            label=label,
        )
    ax.axhline(0.0, color=style.COLORS["data"], linewidth=0.8)
    ax.set_xticks(index, [str(i + 1) for i in index])
    ax.set_xlabel(r"training example $i$")
    ax.set_ylabel(r"$d f(\theta_T)/d b_i$ (upweighting sign)")
    ax.set_title(rf"after $T = {STEPS}$ steps, every example")
    ax.legend(loc="lower right")


def _error_panel(ax, steps, errors):
    lines = [
        ("tracin", TRACIN_COLOR, "-", "TracIn"),
        ("source1", SOURCE_COLOR, "--", "SOURCE, 1 segment"),
        ("source", SOURCE_COLOR, "-", f"SOURCE, segments of {SEGMENT_STEPS} steps"),
        ("IF", style.COLORS["IF"], ":", r"influence function $\mathcal{I}_i$"),
    ]
    for key, color, ls, label in lines:
        ax.plot(steps, errors[key], ls, color=color, label=label)
    ax.set_yscale("log")
    ax.set_ylim(1e-7, 1e6)  # room above the curves for the legend
    ax.set_xlim(0, steps[-1])
    ax.set_xlabel(r"steps $T$")
    ax.set_ylabel(rf"relative error to exact $\mathcal{{U}}_{{{EXAMPLE + 1}}}$")
    ax.set_title(f"example {EXAMPLE + 1}: relative error against training time")
    ax.legend(loc="upper right")


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
