"""Build every lecture figure into one folder: ``python -m figures --out DIR``.

Prints the folder, then one line per file written.
"""

from . import FIGURES, style


def main(argv=None):
    """Write every figure of :data:`figures.FIGURES`; return the paths."""
    args = style.arguments(
        argv, description=__doc__.splitlines()[0], default_out="lecture-figures"
    )
    print(f"writing lecture figures to {args.out}")
    forwarded = ["--out", str(args.out), "--format", args.format, "--size", args.size]
    if args.show:
        forwarded.append("--show")
    return [module.main(forwarded) for module in FIGURES]


if __name__ == "__main__":
    main()
