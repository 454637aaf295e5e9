r"""Unrolled influence converges to the influence function as training goes on.

Gradient descent from :math:`\theta_0 = 0` at a fixed rate :math:`\eta`, and the
unrolled influence :math:`\mathcal{U}_i(T) = d f(\theta_T)/d b_i` after T steps
(forward tangents, :func:`numerics.unrolled_path`). Three panels:

1. ridge regression :math:`y \approx w_0 + w_1 x` (a quadratic loss):
   :math:`\mathcal{U}_i(T)` of three examples against T, each tending to its
   influence function :math:`\mathcal{I}_i` (dashed);
2. the same for ridge logistic regression (not quadratic);
3. the gap :math:`\max_i |\mathcal{U}_i(T) - \mathcal{I}_i|` on a log scale,
   with the predicted geometric rate :math:`\max_k |1 - \eta\sigma_k|^T`
   (:math:`\sigma_k` the eigenvalues of H at :math:`\theta^*`) drawn through
   the last point above the float64 floor.

It illustrates the long-training limit: with :math:`\eta < 2/\sigma_{\max}` and
an invertible Hessian, unrolling tends to the influence function at the
geometric rate of the slowest mode.
"""

import numpy as np
import sympy as sp

import numerics
from theory import zoo

from . import style

__all__ = ["build", "main", "models"]

NAME = "unrolling_limit"

X = np.linspace(-1.0, 2.0, 8)
Y_RIDGE = np.array([0.3, -0.4, 0.9, 0.5, 1.4, 0.8, 2.1, 1.5])
Y_LOGISTIC = np.array([-1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0])
ALPHA, X0 = 0.5, 1.5
STEPS, EVERY = 150, 1
SHOWN = (4, 5, 6)  # the examples drawn in the first two panels
FLOOR = 1e-10  # gaps below this fraction of the largest are rounding


def models():
    """The two models, their rates and the observable w_0 + w_1 x_0.

    Returns ``[(title, model, lr), ...]`` and the observable.
    """
    w0, w1 = sp.symbols("w_0 w_1")
    design = np.c_[np.ones_like(X), X]
    ridge = zoo.ridge_regression(design, Y_RIDGE, ALPHA, params=[w0, w1])
    logistic = zoo.logistic_regression(design, Y_LOGISTIC, ALPHA, params=[w0, w1])
    return [("ridge (quadratic)", ridge, 0.012), ("logistic", logistic, 0.1)], (
        w0 + w1 * X0
    )


def build(size="slide"):
    """The three-panel figure, a ``matplotlib.figure.Figure``."""
    runs, f = models()
    with style.context(size):
        fig, axes = style.new_figure(size, ncols=3)
        for ax, (title, m, lr), line in zip(axes[:2], runs, ("-", "-")):
            taken, values = numerics.unrolled_path(m, f, STEPS, lr, [0.0, 0.0])
            influence = numerics.influence(m, f)
            _paths_panel(ax, taken, values, influence, title, lr, line)
            theta_star = numerics.minimise(m)
            eigvals = np.linalg.eigvalsh(numerics.hessian_at(m, theta_star))
            rate = np.max(np.abs(1 - lr * eigvals))
            gap = np.abs(values - influence).max(axis=1)
            _gap_panel(axes[2], taken, gap, rate, title)
        axes[2].set_yscale("log")
        axes[2].set_xlabel("steps $T$")
        axes[2].set_ylabel(r"$\max_i\,|\mathcal{U}_i(T) - \mathcal{I}_i|$")
        axes[2].set_title("gap to the IF, log scale")
        axes[2].legend(loc="upper right", fontsize="small")
        fig.suptitle(
            r"GD from $\theta_0 = 0$: the unrolled influence $\mathcal{U}_i(T)$ of "
            r"$f = w_0 + w_1 x_0$ tends to the IF $\mathcal{I}_i$"
            "\n"
            r"at the geometric rate $\max_k |1 - \eta\sigma_k|$ of the slowest "
            r"mode of $H(\theta^*)$"
        )
    return fig


def _paths_panel(ax, taken, values, influence, title, lr, line):
    shades = ("#000000", "#7F7F7F", "#CC79A7")
    for i, shade in zip(SHOWN, shades):
        ax.plot(
            taken, values[:, i], line, color=shade, label=rf"$\mathcal{{U}}_{i + 1}$"
        )
        ax.axhline(influence[i], color=shade, ls="--", lw=1)
    ax.plot([], [], "--", color="#7F7F7F", lw=1, label=r"$\mathcal{I}_i$ (IF)")
    ax.set_xlabel("steps $T$")
    ax.set_ylabel(r"unrolled influence $\mathcal{U}_i(T)$")
    ax.set_title(rf"{title}, $\eta = {lr:g}$")
    ax.legend(loc="best", fontsize="small", ncols=2)


def _gap_panel(ax, taken, gap, rate, title):
    color = style.COLORS["unrolling"] if "ridge" in title else style.COLORS["IF"]
    ax.plot(taken, gap, color=color, label=title)
    # Anchor the predicted slope where the gap is still far above rounding.
    k = np.flatnonzero(gap > FLOOR * gap.max())[-1]
    reference = gap[k] * rate ** (taken[: k + 1] - taken[k])
    ax.plot(
        taken[: k + 1],
        reference,
        ":",
        color=color,
        lw=2.5,
        label=rf"predicted ${rate:.3f}^T$",
    )


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
