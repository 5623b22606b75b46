"""``python -m benchmarks`` (or ``make bench``): run every workload under dyngrad, PyTorch and
the hand-written NumPy floor, interleaved, and write benchmarks/RESULTS.md."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="*", help="workload names to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats (for a smoke test)")
    parser.add_argument("--threads", type=int, default=0,
                        help="BLAS and torch threads (default: NumPy's BLAS default)")  # fmt: skip
    parser.add_argument("--no-profile", action="store_true",
                        help="skip profiling the workloads whose target is not met")  # fmt: skip
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    if args.threads:  # before NumPy loads its BLAS
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    from . import profiling, report, suite

    load_before, start = _load(), time.perf_counter()
    results = suite.run(
        args.only, quick=args.quick, log=lambda s: print(s, file=sys.stderr, flush=True)
    )
    profiles = {}
    if not args.no_profile:
        for r in results:
            if r.name in profiling.NAMES and report.judge(r)[1] == "no":
                print(f"profiling {r.name} ...", file=sys.stderr, flush=True)
                profiles[r.name] = profiling.profile_workload(r.name, top=12)
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report.render(results, command=command, load=(load_before, _load()), profiles=profiles)
    text += f"\nTotal run time {time.perf_counter() - start:.0f} s.\n"
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
