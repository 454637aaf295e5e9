r"""Leverage decides how far leave-one-out is from the influence function.

Least squares :math:`y \approx w_0 + w_1 x` on 35 points: 34 in :math:`0 \le x \le
10`, among them one with a large residual but low leverage
(:math:`h \approx 0.03`), and one outlier far out in x with high leverage
(:math:`h \approx 0.83`). Three panels:

1. the data, the trained line :math:`\theta^*`, the line refitted without the
   outlier (:math:`\theta^* + \mathrm{LOO}` for the intercept and the slope)
   and the line the influence function predicts (:math:`\theta^* -
   \mathcal{I}`): far apart;
2. the same two lines for the low-leverage point, in a close-up: they nearly
   coincide;
3. for every example the ratio :math:`\mathrm{LOO}_j / (-\mathcal{I}_j)` of the
   intercept against its leverage :math:`h_j`, on the theoretical curve
   :math:`1/(1 - h)`.

It shows the exact least-squares identity
:math:`\mathrm{LOO}_j = -\mathcal{I}_j / (1 - h_j)` (Sherman and Morrison;
Cook and Weisberg, 1982), derived in :mod:`derivations.leverage`.
"""

import numpy as np
import sympy as sp

import numerics
from theory import zoo

from . import style

__all__ = ["HIGH", "LOW", "X", "Y", "build", "main", "model"]

NAME = "leverage"

X = np.r_[np.linspace(0.0, 10.0, 34), 43.0]
Y = np.array(
    [1.0, 1.3, 1.2, 1.0, 1.4, 1.3, 1.9, 2.7, 2.0, 2.1, 2.8, 2.8, 2.9, 2.5, 3.1, 6.3]
    + [2.8, 3.3, 2.8, 3.2, 3.1, 4.1, 3.7, 4.6, 4.7, 4.7, 3.7, 4.8, 5.2, 5.5, 4.8]
    + [5.5, 5.4, 5.6, 5.0]
)
LOW = 15  # large residual, leverage about 0.03
HIGH = 34  # outlier far out in x, leverage about 0.83


def model():
    """The least-squares model and its parameters (w_0, w_1)."""
    w0, w1 = sp.symbols("w_0 w_1")
    m = zoo.linear_regression(np.c_[np.ones_like(X), X], Y, params=[w0, w1])
    return m, (w0, w1)


def build(size="slide"):
    """The three-panel figure, a ``matplotlib.figure.Figure``."""
    m, (w0, w1) = model()
    theta_star = numerics.minimise(m)
    leverages = numerics.leverages(m)
    loo = np.stack([numerics.loo(m, w0), numerics.loo(m, w1)], axis=1)
    influence = np.stack([numerics.influence(m, w0), numerics.influence(m, w1)], axis=1)
    refit = theta_star + loo
    predicted = theta_star - influence

    with style.context(size):
        fig, axes = style.new_figure(size, ncols=3, width_ratios=[1.25, 1, 1])
        high = (theta_star, refit[HIGH], predicted[HIGH])
        _lines_panel(axes[0], HIGH, leverages[HIGH], *high, (-1, 46))
        low = (theta_star, refit[LOW], predicted[LOW])
        _lines_panel(axes[1], LOW, leverages[LOW], *low, (X[LOW] - 2.5, X[LOW] + 2.5))
        _ratio_panel(axes[2], leverages, loo[:, 0] / -influence[:, 0])
        fig.suptitle(
            r"Deleting one point of $y \approx w_0 + w_1 x$: refit vs. influence "
            r"prediction, $\mathrm{LOO}_j = -\mathcal{I}_j\,/\,(1 - h_j)$"
        )
    return fig


def _lines_panel(ax, j, h, theta_star, refit, predicted, xlim):
    grid = np.linspace(*xlim, 2)
    lines = [
        (
            theta_star,
            style.COLORS["data"],
            "-",
            "trained on all, " + style.SYMBOLS["theta_star"],
        ),
        (
            refit,
            style.COLORS["LOO"],
            "-",
            r"refit without it, $\theta^* + \mathrm{LOO}$",
        ),
        (
            predicted,
            style.COLORS["IF"],
            "--",
            r"IF prediction, $\theta^* - \mathcal{I}$",
        ),
    ]
    for (intercept, slope), color, ls, label in lines:
        ax.plot(grid, intercept + slope * grid, ls, color=color, label=label)
    marked = np.isin(np.arange(len(X)), (LOW, HIGH))
    ax.scatter(
        X[~marked], Y[~marked], s=style.area(0.3), color=style.COLORS["data"], alpha=0.6
    )
    ax.scatter(
        X[marked],
        Y[marked],
        s=style.area(1.4),
        facecolor="none",
        edgecolor=style.COLORS["LOO"],
    )
    ax.annotate(
        rf"$h_{{{j + 1}}} = {h:.2f}$",
        (X[j], Y[j]),
        xytext=(-0.4, -0.9) if j == HIGH else (0.7, 0.4),
        textcoords="offset fontsize",
        ha="right" if j == HIGH else "left",
        va="top" if j == HIGH else "baseline",
    )
    ax.set_xlim(*xlim)
    if j == LOW:
        ax.set_ylim(Y[j] - 4.5, Y[j] + 1.0)
    ax.set_xlabel(r"input $x$")
    ax.set_ylabel(r"target $y$")
    if j == HIGH:
        ax.set_title("delete the high-leverage outlier\n(whole data set)")
        ax.legend(loc="upper left")
    else:
        ax.set_title("delete the low-leverage point\n(close-up, same lines)")


def _ratio_panel(ax, leverages, ratio):
    # The theoretical curve of derivations.leverage, drawn from its formula.
    curve = np.linspace(0.0, 0.9, 200)
    ax.plot(
        curve,
        1 / (1 - curve),
        color=style.COLORS["theory"],
        label=r"theory: $1\,/\,(1 - h)$",
    )
    ax.scatter(
        leverages,
        ratio,
        s=style.area(0.5),
        color=style.COLORS["data"],
        zorder=3,
        label=r"examples $j$",
    )
    for j in (LOW, HIGH):
        ax.scatter(
            leverages[j],
            ratio[j],
            s=style.area(1.7),
            facecolor="none",
            edgecolor=style.COLORS["LOO"],
            zorder=4,
        )
        ax.annotate(
            rf"$h_{{{j + 1}}} = {leverages[j]:.2f}$, ratio ${ratio[j]:.2f}$",
            (leverages[j], ratio[j]),
            xytext=(0.9, 1.7) if j == LOW else (-0.8, 0.3),
            textcoords="offset fontsize",
            ha="left" if j == LOW else "right",
            fontsize="small",
        )
    ax.set_xlim(0, 1)
    ax.set_xlabel("leverage " + style.SYMBOLS["leverage"])
    ax.set_ylabel(r"$\mathrm{LOO}_j\,/\,(-\mathcal{I}_j)$ for $f = w_0$")
    ax.set_title("ratio against leverage\n(every example)")
    ax.legend(loc="upper left")


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
