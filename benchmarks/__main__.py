"""``python -m benchmarks`` (or ``make bench``): run every workload under dyngrad, PyTorch and
the hand-written NumPy floor, interleaved, and write benchmarks/RESULTS.md."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import report, suite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="*", help="workload names to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (for a smoke test)")
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    results = suite.run(args.only, quick=args.quick)
    text = report.render(results, command="python -m benchmarks " + " ".join(argv or sys.argv[1:]))
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
