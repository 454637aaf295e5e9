r"""The chain of counterfactual approximations on one small ridge regression.

Ten examples :math:`(x_i, y_i)`, the model :math:`y \approx w_0 + w_1 x` with ridge
:math:`R(\theta) = \alpha |\theta|^2 / 2`, and one observable, the prediction
:math:`f(\theta) = w_0 + w_1 x_0` at a test input :math:`x_0`. Three panels:

1. the data, the trained line and the test input;
2. exact Shapley values :math:`\phi_i` with :math:`v(S) = f(\theta^*(1_S))`
   (:math:`2^n` retrainings), against the marginal contribution of arriving
   last, :math:`-\mathrm{LOO}_i`; their sum is
   :math:`f(\theta^*) - f(\theta^*(b = 0))` (efficiency);
3. exact leave-one-out :math:`\mathrm{LOO}_i = f(\theta^*_{-i}) - f(\theta^*)`
   (n retrainings) against its first-order approximation, minus the influence
   function :math:`-\mathcal{I}_i` (one linear solve). For ridge the two differ
   by the factor :math:`1/(1 - h_i)` of the leverage.

It shows the chain of counterfactual approximations (Shapley, leave-one-out,
influence function, each cheaper than the one before) and the upweighting sign
convention: removing an example changes f by about :math:`-\mathcal{I}_i`.
"""

import numpy as np
import sympy as sp

import numerics
from theory import zoo

from . import style

__all__ = ["ALPHA", "X", "X0", "Y", "build", "main", "model"]

NAME = "counterfactual_chain"

X = np.array([-2.0, -1.6, -1.1, -0.7, -0.2, 0.3, 0.9, 1.4, 2.0, 3.1])
Y = np.array([-1.3, -0.2, -0.5, 0.4, 0.2, 1.1, 0.6, 2.3, 1.7, 1.2])
ALPHA = 1.0
X0 = 2.5


def model():
    """The ridge model, its parameters (w_0, w_1) and the observable w_0 + w_1 x0."""
    w0, w1 = sp.symbols("w_0 w_1")
    m = zoo.ridge_regression(np.c_[np.ones_like(X), X], Y, ALPHA, params=[w0, w1])
    return m, (w0, w1), w0 + w1 * X0


def build(size="slide"):
    """The three-panel figure, a ``matplotlib.figure.Figure``."""
    m, _, f = model()
    theta_star = numerics.minimise(m)
    influence = numerics.influence(m, f)
    loo = numerics.loo(m, f)
    shapley = numerics.shapley(m, f)
    leverages = numerics.leverages(m)
    empty = numerics.minimise(m, weights=np.zeros(m.n))
    value = numerics.observable(m, f)
    gain = float(value(theta_star)[0] - value(empty)[0])

    with style.context(size):
        fig, axes = style.new_figure(size, ncols=3, width_ratios=[1, 1.15, 1.15])
        _data_panel(axes[0], theta_star)
        _shapley_panel(axes[1], m.n, shapley, loo, gain)
        _loo_panel(axes[2], m.n, loo, influence, leverages)
        fig.suptitle(
            rf"Counterfactual chain for the prediction $f = w_0 + w_1 x_0$ at "
            rf"$x_0 = {X0}$ (ridge, $\alpha = {ALPHA:g}$, $n = {m.n}$)"
        )
    return fig


def _data_panel(ax, theta_star):
    intercept, slope = theta_star
    grid = np.linspace(X.min() - 0.4, X0 + 0.6, 2)
    ax.plot(grid, intercept + slope * grid, color=style.COLORS["data"])
    ax.scatter(X, Y, color=style.COLORS["data"], zorder=3)
    for i, (x, y) in enumerate(zip(X, Y), start=1):
        ax.annotate(
            str(i),
            (x, y),
            xytext=(0.3, 0.3),
            textcoords="offset fontsize",
            fontsize="small",
        )
    ax.axvline(X0, color=style.COLORS["theory"], ls=":")
    ax.plot([X0], [intercept + slope * X0], "D", color=style.COLORS["data"])
    ax.annotate(
        r"$f(\theta^*)$",
        (X0, intercept + slope * X0),
        xytext=(0.5, -0.4),
        textcoords="offset fontsize",
        ha="left",
        va="top",
    )
    ax.annotate(
        r"test input $x_0$",
        (X0, 0),
        xycoords=("data", "axes fraction"),
        xytext=(-0.3, 0.4),
        textcoords="offset fontsize",
        ha="right",
        fontsize="small",
        color=style.COLORS["theory"],
    )
    ax.set_xlabel(r"input $x$")
    ax.set_ylabel(r"target $y$")
    ax.set_title(r"data and the line $w_0^* + w_1^* x$")


def _shapley_panel(ax, n, shapley, loo, gain):
    index = np.arange(1, n + 1)
    ax.axhline(0, color="black", lw=0.8)
    ax.bar(
        index,
        shapley,
        color=style.COLORS["Shapley"],
        label="Shapley "
        + style.SYMBOLS["shapley"]
        + "\n"
        + rf"$2^{{{n}}} = {2**n}$ retrainings",
    )
    ax.plot(
        index,
        -loo,
        "o",
        color=style.COLORS["LOO"],
        label=r"$-\mathrm{LOO}_i$" + "\n" + r"$i$ arrives last",
    )
    ax.text(
        0.03,
        0.97,
        r"efficiency: $\sum_i \phi_i = f(\theta^*) - f(\theta^*(b{=}0))$"
        + "\n"
        + rf"$= {gain:.2f}$",
        transform=ax.transAxes,
        va="top",
        fontsize="small",
    )
    low, high = min(shapley.min(), -loo.max()), max(shapley.max(), -loo.min())
    span = high - low
    ax.set_ylim(low - 0.5 * span, high + 0.3 * span)
    ax.set_xticks(index)
    ax.set_xlabel(r"example $i$")
    ax.set_ylabel(r"credit to $i$ for $f$ (adding $i$)")
    ax.set_title(r"average over all subsets vs. arriving last")
    ax.legend(loc="lower left")


def _loo_panel(ax, n, loo, influence, leverages):
    index = np.arange(1, n + 1)
    width = 0.4
    ax.axhline(0, color="black", lw=0.8)
    ax.bar(
        index - width / 2,
        loo,
        width,
        color=style.COLORS["LOO"],
        label=rf"$\mathrm{{LOO}}_i$: $n = {n}$ retrainings",
    )
    ax.bar(
        index + width / 2,
        -influence,
        width,
        color=style.COLORS["IF"],
        label=r"$-\mathcal{I}_i$: one linear solve",
    )
    top = int(np.argmax(leverages))
    ax.text(
        0.03,
        0.8,
        "exact for ridge:\n"
        + r"$\mathrm{LOO}_i = -\mathcal{I}_i\,/\,(1 - h_i)$"
        + "\n"
        + rf"largest leverage $h_{{{top + 1}}} = {leverages[top]:.2f}$",
        transform=ax.transAxes,
        va="top",
        fontsize="small",
    )
    ax.set_xticks(index)
    ax.set_xlabel(r"example $i$")
    ax.set_ylabel(r"change in $f$ on removing $i$")
    ax.set_title(f"{style.SYMBOLS['loo']} vs. {style.SYMBOLS['minus_influence']}")
    ax.legend(loc="upper left")


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
