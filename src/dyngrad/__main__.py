"""Command line: `python -m dyngrad tour [--lang en|zh]`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dyngrad", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    tour = commands.add_parser(
        "tour", help="replay the autograd notes step by step, explaining the graph"
    )
    tour.add_argument(
        "--lang", choices=("en", "zh"), default="en", help="language of the explanations"
    )
    tour.add_argument(
        "--graphs",
        metavar="DIR",
        default=None,
        help="folder for the SVG pictures of the graphs (default: dyngrad-tour-graphs in the "
        "temporary folder)",
    )
    args = parser.parse_args(argv)

    if args.command == "tour":
        from dyngrad._tour import default_graphs_dir, run_tour

        try:
            run_tour(args.lang, graphs_dir=args.graphs or default_graphs_dir())
        except BrokenPipeError:  # `python -m dyngrad tour | head`: stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
