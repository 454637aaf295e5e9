r"""Damped influence against the damping, at a regular and at a degenerate minimum.

:math:`\mathcal{I}_i(\lambda) = -\nabla f^\top (H + \lambda I)^{-1}\nabla\ell_i`
for one example i, on a logarithmic axis in :math:`\lambda`. Four panels:

1. a regular minimum (logistic regression, two examples): the curve starts at
   the undamped influence and falls off like
   :math:`-\nabla f\cdot\nabla\ell_i/\lambda`;
2. the product model :math:`(z_i - a c)^2/2` with :math:`f = a c`, at two
   points of the minimum hyperbola: the damped curves differ, the limit
   :math:`\lambda \to 0` is the same, :math:`(z_i - \bar z)/n`;
3. the same with :math:`f = a^2`: the limit is finite (no divergence) but it
   depends on the minimiser;
4. the tilted product model, whose flat direction is not a symmetry of every
   example: :math:`|\mathcal{I}_i|` grows like :math:`|c_{-1}|/\lambda`.

Curves come from :func:`numerics.damping_path` (one eigendecomposition for all
dampings, equal to :func:`numerics.influence` at each); the limits from
:func:`numerics.influence.damping_limits`, checked against the exact ones of
:mod:`derivations.product` in the tests.
"""

import numpy as np

import numerics
from numerics.influence import damping_limits
from theory import zoo

from . import style

__all__ = ["DATA", "EXAMPLE", "POINTS", "TILTS", "build", "main"]

NAME = "damping"

DATA = [1.0, 2.0, 6.0]  # mean 3: the minima are the hyperbola a c = 3
EXAMPLE = 2  # z = 6, the largest residual
POINTS = (1.0, 2.0)  # a on the hyperbola: (1, 3) and (2, 3/2)
TILTS = [1.0, -2.0, 1.0]
LAMBDAS = np.logspace(-4, 4, 161)

_X = np.array([[1.0, 0.5], [1.0, -1.0], [1.0, 2.0], [1.0, 1.0], [1.0, -0.3]])
_Y = np.array([1, -1, 1, -1, 1])
_REGULAR_EXAMPLES = (1, 2)


def build(size="slide"):
    """The four-panel figure, a ``matplotlib.figure.Figure``."""
    with style.context(size):
        fig, axes = style.new_figure(size, nrows=2, ncols=2)
        _regular_panel(axes[0, 0])
        product = zoo.product_model(DATA)
        a, c = product.params
        _product_panel(axes[0, 1], product, a * c, r"$f = a\,c$: the same limit")
        _product_panel(axes[1, 0], product, a**2, r"$f = a^2$: a finite limit")
        _tilted_panel(axes[1, 1])
        fig.suptitle(
            r"Damped influence $\mathcal{I}_i(\lambda) = -\nabla f^\top"
            r"(H + \lambda I)^{-1}\nabla\ell_i$ as the damping $\lambda$ varies"
        )
    return fig


def _regular_panel(ax):
    m = zoo.logistic_regression(_X, _Y, alpha=0.1)
    f = m.params[0]
    curves = numerics.damping_path(m, f, LAMBDAS)
    limits = damping_limits(m, f)
    styles = ("-", "--")
    for i, ls in zip(_REGULAR_EXAMPLES, styles):
        ax.plot(
            LAMBDAS, curves[:, i], ls, color=style.COLORS["IF"], label=f"$i = {i + 1}$"
        )
        ax.axhline(limits["finite"][i], color=style.COLORS["theory"], ls=":", lw=1)
        tail = LAMBDAS > 10.0
        ax.plot(
            LAMBDAS[tail],
            limits["infinity"][i] / LAMBDAS[tail],
            ls,
            color=style.COLORS["theory"],
            lw=1,
        )
    ax.plot([], [], ":", color=style.COLORS["theory"], lw=1, label=r"$\lambda \to 0$")
    ax.plot(
        [],
        [],
        color=style.COLORS["theory"],
        lw=1,
        label=r"$-\nabla f\cdot\nabla\ell_i\,/\,\lambda$",
    )
    _axes(ax, r"regular minimum (logistic regression, $f = \theta_1$)")
    ax.legend(loc="lower right")


def _product_panel(ax, m, f, title):
    for t, ls in zip(POINTS, ("-", "--")):
        at = [t, 3.0 / t]
        curve = numerics.damping_path(m, f, LAMBDAS, at=at)[:, EXAMPLE]
        limit = damping_limits(m, f, at=at)["finite"][EXAMPLE]
        ax.plot(
            LAMBDAS,
            curve,
            ls,
            color=style.COLORS["IF"],
            label=rf"at $(a, c) = ({t:g}, {3 / t:g})$",
        )
        ax.axhline(limit, color=style.COLORS["theory"], ls=":", lw=1)
    ax.plot(
        [],
        [],
        ":",
        color=style.COLORS["theory"],
        lw=1,
        label=r"$\lambda \to 0$: pseudo-inverse $H^+$",
    )
    _axes(ax, f"product model, {title}", example=True)
    ax.legend(loc="lower left")


def _tilted_panel(ax):
    m = zoo.tilted_product_model(DATA, TILTS)
    a, _ = m.params
    at = [POINTS[0], 3.0 / POINTS[0]]
    curve = numerics.damping_path(m, a**2, LAMBDAS, at=at)[:, EXAMPLE]
    pole = damping_limits(m, a**2, at=at)["pole"][EXAMPLE]
    ax.loglog(
        LAMBDAS,
        np.abs(curve),
        color=style.COLORS["IF"],
        label=rf"$|\mathcal{{I}}_{{{EXAMPLE + 1}}}|$, at $(a, c) = (1, 3)$",
    )
    small = LAMBDAS < 1.0
    ax.loglog(
        LAMBDAS[small],
        abs(pole) / LAMBDAS[small],
        ":",
        color=style.COLORS["theory"],
        label=rf"$|c_{{-1}}|\,/\,\lambda$, $c_{{-1}} = -2 w_i a^2 = {pole:.0f}$",
    )
    ax.set_xlabel(r"damping $\lambda$")
    ax.set_ylabel(rf"$|\mathcal{{I}}_{{{EXAMPLE + 1}}}(\lambda)|$ on $a^2$")
    ax.set_title(
        r"tilted product, $+\,w_i(a^2 - c^2)/2$: flat direction"
        "\n"
        r"not a symmetry of each example, so it diverges"
    )
    ax.legend(loc="upper right")


def _axes(ax, title, example=False):
    ax.set_xscale("log")
    ax.set_xlabel(r"damping $\lambda$")
    label = (
        rf"$\mathcal{{I}}_{{{EXAMPLE + 1}}}(\lambda)$"
        if example
        else (r"$\mathcal{I}_i(\lambda)$")
    )
    ax.set_ylabel(label)
    ax.set_title(title)


def main(argv=None):
    """Write the figure; ``--out DIR --format png|pdf|svg --size --show``."""
    return style.run(build, NAME, argv, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
