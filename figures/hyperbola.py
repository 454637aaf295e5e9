r"""The minimum hyperbola of the product model, with the Hessian's directions on it.

:math:`\ell_i(a, c) = (z_i - a c)^2/2` with z = (1, 2, 6): the minima form the
hyperbola :math:`a c = \bar z = 3`. At three of its points the figure draws the
range direction of the rank-one Hessian, :math:`v = (c, a)` (normal to the
hyperbola), its null direction :math:`u = (a, -c)` (tangent to it, the
rescaling symmetry), and the per-example gradients :math:`\nabla\ell_i`.
Two panels over the same total loss:

1. the product model: every :math:`\nabla\ell_i = -r_i v` lies along v, in the
   range of H, so no example pushes along the flat direction and the damped
   influence has a finite limit;
2. the tilted model, :math:`+\,w_i (a^2 - c^2)/2` with :math:`\sum_i w_i = 0`:
   the same hyperbola and Hessian, but each gradient gains :math:`w_i u`,
   a component along the flat direction, and the damped influence diverges.

Directions and gradients come from :func:`derivations.product.hessian_directions`,
the loss surface from :func:`numerics.compiled`.
"""

import numpy as np

import numerics
from derivations.product import hessian_directions, hyperbola_point
from theory import zoo

from . import style

__all__ = ["DATA", "POINTS", "TILTS", "build", "main"]

NAME = "hyperbola"

DATA = [1, 2, 6]  # mean 3
TILTS = [1, -2, 1]
POINTS = (1, 2, 4)  # the value of a at each marked point
_EXAMPLE_COLORS = ("#E69F00", "#CC79A7", "#D55E00")  # Okabe-Ito, one per example
_LIMIT = 5.0
_ARROW = 0.8  # length of the drawn unit directions
_GRAD_SCALE = 0.06  # gradient arrows are this times the gradient


def build(size="slide"):
    """The two-panel figure, a ``matplotlib.figure.Figure``."""
    with style.context(size):
        fig, axes = style.new_figure(size, ncols=2)
        _panel(
            axes[0],
            zoo.product_model(DATA),
            "product model: gradients along $v$\n(shading: log loss, darker is lower)",
        )
        _panel(
            axes[1],
            zoo.tilted_product_model(DATA, TILTS),
            r"tilted, $w = (1, -2, 1)$: gradients gain $w_i u$"
            "\n(the same total loss)",
        )
        fig.suptitle(
            r"Minima $a\,c = \bar z$ of $\sum_i (z_i - a c)^2/2$: range $v$ and "
            r"null direction $u$ of $H$, per-example gradients $\nabla\ell_i$"
        )
    return fig


def _panel(ax, m, title):
    _loss_surface(ax, m)
    t = np.linspace(3 / _LIMIT, _LIMIT, 200)
    ax.plot(t, 3 / t, color=style.COLORS["data"], label=r"minima $a\,c = 3$")
    for k, a in enumerate(POINTS):
        geometry = hessian_directions(m, hyperbola_point(m, a))
        point = np.array([a, 3 / a], dtype=float)
        ax.scatter(*point, s=style.area(0.8), color=style.COLORS["data"], zorder=4)
        # The range of H as a line through the point, so that the gradients
        # drawn on top of it stay visible; the null direction as an arrow.
        v = _unit(geometry["range"])
        ends = np.array([point - _ARROW * v, point + _ARROW * v])
        ax.plot(
            *ends.T,
            "--",
            color=style.COLORS["IF"],
            lw=1.5,
            label=r"range of $H$: $v = (c, a)$" if k == 0 else None,
        )
        null_label = r"null space: $u = (a, -c)$" if k == 0 else None
        u = _unit(geometry["null"])
        _arrow(ax, point, _ARROW * u, style.COLORS["BIF"], 2.2, null_label)
        grads = np.array(geometry["gradients"], dtype=float)
        # Shorter gradients on top, so parallel ones do not hide each other.
        order = np.argsort(-np.linalg.norm(grads, axis=1))
        for rank, i in enumerate(order):
            delta = _GRAD_SCALE * grads[i]
            _arrow(ax, point, delta, _EXAMPLE_COLORS[i], 1.2, None, 6 + rank)
    for i, color in enumerate(_EXAMPLE_COLORS):
        label = rf"$\nabla\ell_{i + 1}$ (times {_GRAD_SCALE:g})"
        ax.plot([], [], color=color, lw=1.2, label=label)
    ax.set_xlim(0, _LIMIT)
    ax.set_ylim(0, _LIMIT)
    ax.set_aspect("equal")
    ax.set_xlabel(r"$a$")
    ax.set_ylabel(r"$c$")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small")


def _unit(column):
    direction = np.array(column, dtype=float).ravel()
    return direction / np.linalg.norm(direction)


def _loss_surface(ax, m):
    grid = np.linspace(0.02, _LIMIT, 160)
    A, C = np.meshgrid(grid, grid)
    loss = numerics.compiled(m).loss(np.stack([A, C], axis=-1))
    ax.contourf(A, C, np.log10(loss - loss.min() + 1e-3), levels=12, cmap="Greys_r")


def _arrow(ax, start, delta, color, width, label, zorder=5):
    ax.annotate(
        "",
        xy=start + delta,
        xytext=start,
        arrowprops={"arrowstyle": "->", "color": color, "lw": width},
        zorder=zorder,
    )
    if label is not None:
        ax.plot([], [], color=color, lw=width, label=label)


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
