r"""The one look shared by every lecture figure, and the command line that saves it.

Sizes come in two presets, ``"slide"`` (16:9, large type) and ``"print"`` (a
text-width figure for lecture notes). Each framework keeps one colour in every
figure, taken from the Okabe-Ito palette, which stays distinct under the
common forms of colour blindness. Labels are matplotlib mathtext with the
symbols of the docstrings (:math:`\mathcal{I}_i`, :math:`\theta^*`,
:math:`h_j`, :math:`b_i`), so no LaTeX installation is needed.
"""

import argparse
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

__all__ = [
    "COLORS",
    "FORMATS",
    "SIZES",
    "SYMBOLS",
    "area",
    "arguments",
    "context",
    "new_figure",
    "run",
    "save",
]

# Okabe and Ito (2008), "Color universal design".
COLORS = {
    "IF": "#0072B2",  # blue
    "BIF": "#009E73",  # bluish green
    "unrolling": "#CC79A7",  # reddish purple
    "LOO": "#D55E00",  # vermillion; also every line refitted without an example
    "Shapley": "#E69F00",  # orange
    "data": "#000000",  # data points and the model trained at b = 1
    "theory": "#7F7F7F",  # curves drawn from a closed form
}

SYMBOLS = {
    "weight": r"$b_i$",
    "theta_star": r"$\theta^*$",
    "influence": r"$\mathcal{I}_i$",
    "minus_influence": r"$-\mathcal{I}_i$",
    "loo": r"$\mathrm{LOO}_i = f(\theta^*_{-i}) - f(\theta^*)$",
    "shapley": r"$\phi_i$",
    "leverage": r"$h_j$",
}

FORMATS = ("png", "pdf", "svg")

# Width and height in inches, base font size in points, and raster resolution.
SIZES = {
    "slide": {"figsize": (13.0, 6.2), "font": 15, "dpi": 110},
    "print": {"figsize": (7.0, 3.0), "font": 8, "dpi": 300},
}


def context(size="slide"):
    """A ``matplotlib.rc_context`` with the fonts and lines of one size preset."""
    preset = _preset(size)
    font = preset["font"]
    return mpl.rc_context(
        {
            "font.size": font,
            "axes.titlesize": font,
            "axes.labelsize": font,
            "xtick.labelsize": 0.9 * font,
            "ytick.labelsize": 0.9 * font,
            "legend.fontsize": 0.85 * font,
            "legend.framealpha": 0.9,
            "mathtext.fontset": "dejavusans",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "lines.linewidth": 2.0 if size == "slide" else 1.2,
            "lines.markersize": 8 if size == "slide" else 4,
            "savefig.dpi": preset["dpi"],
        }
    )


def area(scale=1.0):
    """A scatter marker area in points^2, ``scale`` times the preset's default.

    Call it inside :func:`context`, so markers follow the chosen size preset.
    """
    return scale * mpl.rcParams["lines.markersize"] ** 2


def new_figure(size="slide", **subplots):
    """A constrained-layout Figure of the preset size and its axes.

    Keywords go to ``Figure.subplots`` (``ncols``, ``width_ratios``, ...).
    The Figure is not registered with pyplot, so building it opens no window.
    """
    fig = Figure(figsize=_preset(size)["figsize"], layout="constrained")
    return fig, fig.subplots(**subplots)


def arguments(argv=None, description=None, default_out="."):
    """Parse ``--out``, ``--format``, ``--size`` and ``--show``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--out", type=Path, default=Path(default_out), help="folder to write into"
    )
    parser.add_argument("--format", choices=FORMATS, default="png")
    parser.add_argument("--size", choices=tuple(SIZES), default="slide")
    parser.add_argument(
        "--show", action="store_true", help="also open a window for each figure"
    )
    return parser.parse_args(argv)


def save(fig, name, out, format="png"):
    """Write ``fig`` to ``out/name.format``, print the path and return it."""
    if format not in FORMATS:
        raise ValueError(f"format: need one of {FORMATS}, got {format!r}.")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.{format}"
    fig.savefig(path, format=format)
    print(path)
    return path


def run(build, name, argv=None, description=None):
    """The body of a figure module's ``main``: parse, build, save, maybe show.

    Returns the path written.
    """
    args = arguments(argv, description)
    with context(args.size):
        fig = build(size=args.size)
        path = save(fig, name, args.out, args.format)
        if args.show:
            import matplotlib.pyplot as plt

            plt.figure(fig)
            plt.show()
    return path


def _preset(size):
    if size not in SIZES:
        raise ValueError(f"size: need one of {tuple(SIZES)}, got {size!r}.")
    return SIZES[size]
