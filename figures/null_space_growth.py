r"""At a degenerate minimum unrolled influence need not converge: null-space growth.

Where the Hessian has a flat direction, the training-time filter is
:math:`\eta T` instead of :math:`1/\sigma`, so the part of a per-example
gradient along that direction drives a response that grows linearly in the
training time. Three panels, against the training time :math:`t = \eta T`:

1. a quadratic loss with one flat direction, :math:`\ell_{1,2} = (u \mp 1)^2/2
   \pm a v` (H = diag(2, 0); the gradients' v-parts cancel in the total): GD's
   unrolled influence of example 1 on the flat coordinate v grows like
   :math:`-a t`; for over-parameterised least squares
   :math:`\ell_i = (y_i - (w_1 + w_2)x_i)^2/2`, whose gradients have no
   null-space part, the flat coordinate :math:`w_1 - w_2` does not move;
2. the range coordinates of both (u, and :math:`w_1 + w_2`) converge to the
   pseudo-inverse response;
3. a quartic minimum, :math:`L = \theta^4/4` from :math:`\ell_1 = \theta^4/4 +
   a\theta` and :math:`\ell_2 = -a\theta`: H = 0 at the minimum, and the
   response of :math:`\theta` to :math:`b_2` along gradient flow grows like
   :math:`a t` from the minimum and like :math:`2at/5` from
   :math:`\theta_0 = 1` (where :math:`\theta(t)^2 \approx 1/(2t)` supplies
   curvature :math:`3/(2t)`), with GD at rate :math:`\eta` on top.
"""

import numpy as np
import sympy as sp

import numerics
from theory import Model

from . import style

__all__ = ["build", "main", "models"]

NAME = "null_space_growth"

A = 0.7  # the size of the cancelling null-space parts of the gradients
LR, STEPS = 0.2, 150
X_LS, Y_LS = np.array([0.5, 1.0, -0.5]), np.array([1.0, 3.0, 0.5])
TIMES = np.linspace(0.0, 30.0, 61)


def models():
    """The flat quadratic, over-parameterised least squares and the quartic."""
    u, v = sp.symbols("u v")
    flat = Model([u, v], [(u - 1) ** 2 / 2 + A * v, (u + 1) ** 2 / 2 - A * v])
    w1, w2 = sp.symbols("w_1 w_2")
    losses = [(y - (w1 + w2) * x) ** 2 / 2 for x, y in zip(X_LS, Y_LS)]
    least_squares = Model([w1, w2], losses)
    theta = sp.Symbol("theta")
    quartic = Model([theta], [theta**4 / 4 + A * theta, -A * theta])
    return (flat, u, v), (least_squares, w1, w2), (quartic, theta)


def build(size="slide"):
    """The three-panel figure, a ``matplotlib.figure.Figure``."""
    (flat, u, v), (ls, w1, w2), (quartic, theta) = models()
    with style.context(size):
        fig, axes = style.new_figure(size, ncols=3)
        _flat_panels(axes[0], axes[1], flat, u, v, ls, w1, w2)
        _quartic_panel(axes[2], quartic, theta)
        fig.suptitle(
            "Degenerate minima: a gradient's part along a flat direction grows "
            r"linearly in $t = \eta T$;"
            "\n"
            "without one, the response converges to the pseudo-inverse response"
        )
    return fig


def _flat_panels(null_ax, range_ax, flat, u, v, ls, w1, w2):
    start = np.array([0.0, 1.3])
    taken, on_u = numerics.unrolled_path(flat, u, STEPS, LR, start)
    _, on_v = numerics.unrolled_path(flat, v, STEPS, LR, start)
    pinv_u = numerics.influence(flat, u, at=start, pseudo_inverse=True)
    # A minimiser of the over-parameterised fit: w_1 + w_2 = sum x y / sum x^2.
    ls_start = np.array([0.5, X_LS @ Y_LS / (X_LS @ X_LS) - 0.5])
    _, on_null = numerics.unrolled_path(ls, w1 - w2, STEPS, LR, ls_start)
    _, on_sum = numerics.unrolled_path(ls, w1 + w2, STEPS, LR, ls_start)
    pinv_sum = numerics.influence(ls, w1 + w2, at=ls_start, pseudo_inverse=True)
    t = LR * taken

    null_ax.plot(
        t, on_v[:, 0], color=style.COLORS["unrolling"], label=r"flat $v$, example 1"
    )
    null_ax.plot(t, -A * t, ":", color=style.COLORS["theory"], lw=2.5, label=r"$-a\,t$")
    null_ax.plot(
        t,
        on_null[:, 0],
        color=style.COLORS["LOO"],
        ls="-.",
        label=r"least squares, flat $w_1 - w_2$",
    )
    null_ax.set_xlabel(r"training time $t = \eta T$")
    null_ax.set_ylabel(r"unrolled influence of example 1, $\mathcal{U}_1(T)$")
    null_ax.set_title(rf"flat coordinates, GD at $\eta = {LR:g}$ ($a = {A:g}$)")
    null_ax.legend(loc="lower left", fontsize="small")

    for values, pinv, color, label in (
        (on_u, pinv_u, style.COLORS["IF"], r"range $u$ (flat quadratic)"),
        (on_sum, pinv_sum, style.COLORS["LOO"], r"least squares, $w_1 + w_2$"),
    ):
        range_ax.plot(t, values[:, 0], color=color, label=label)
        range_ax.axhline(pinv[0], color=color, ls="--", lw=1)
    range_ax.plot(
        [], [], "--", color=style.COLORS["theory"], lw=1, label="pseudo-inverse"
    )
    range_ax.set_xlim(0, 5)
    range_ax.set_xlabel(r"training time $t = \eta T$")
    range_ax.set_ylabel(r"$\mathcal{U}_1(T)$")
    range_ax.set_title("range coordinates converge")
    range_ax.legend(loc="center right", fontsize="small")


def _quartic_panel(ax, quartic, theta):
    from_min = numerics.flow(quartic, theta, TIMES, [0.0])[:, 1]
    from_one = numerics.flow(quartic, theta, TIMES, [1.0])[:, 1]
    steps = int(TIMES[-1] / LR)
    taken, gd = numerics.unrolled_path(quartic, theta, steps, LR, [1.0], every=10)

    ax.plot(TIMES, from_min, color=style.COLORS["unrolling"], label=r"flow from $0$")
    ax.plot(
        TIMES, from_one, color=style.COLORS["IF"], label=r"flow from $\theta_0 = 1$"
    )
    ax.plot(
        LR * taken,
        gd[:, 1],
        "o",
        color=style.COLORS["IF"],
        ms=4,
        label=rf"GD from $\theta_0 = 1$, $\eta = {LR:g}$",
    )
    ax.plot(
        TIMES,
        A * TIMES,
        ":",
        color=style.COLORS["theory"],
        label=r"slope $a$",
    )
    ax.plot(
        TIMES,
        2 * A * TIMES / 5,
        "--",
        color=style.COLORS["theory"],
        label=r"slope $2a/5$",
    )
    ax.set_xlabel(r"training time $t = \eta T$")
    ax.set_ylabel(r"response $d\theta(t)/d b_2$")
    ax.set_title(r"quartic minimum, $L = \theta^4/4$")
    ax.legend(loc="upper left", fontsize="small")


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
