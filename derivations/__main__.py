"""List the narrated derivations, or print the ones named on the command line."""

import argparse

from .steps import CATALOG


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m derivations",
        description="Print derivations step by step. Without a name, list them.",
    )
    parser.add_argument("names", nargs="*", help="derivations to print, or 'all'")
    args = parser.parse_args(argv)

    if not args.names:
        width = max(map(len, CATALOG))
        for name, (summary, _) in CATALOG.items():
            print(f"{name:<{width}}  {summary}")
        return 0
    names = list(CATALOG) if args.names == ["all"] else args.names
    unknown = [n for n in names if n not in CATALOG]
    if unknown:
        parser.error(f"unknown derivation(s) {unknown}; choose from {list(CATALOG)}")
    for name in names:
        print(CATALOG[name][1]())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
