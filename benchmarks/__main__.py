"""``python -m benchmarks`` (or ``make bench``): run every workload under dyngrad, PyTorch and
the hand-written NumPy floor, interleaved, and write benchmarks/RESULTS.md."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
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
    parser.add_argument("--cross-check-threads", type=int, default=1,
                        help="also time the model workloads with this many threads (0: no)")  # fmt: skip
    parser.add_argument("--clock", choices=("wall", "cpu"),
                        help="what the in-process timings measure (default: the process's CPU "
                        "time with --threads 1, where it is the work's time and a busy "
                        "machine disturbs it far less; wall time otherwise)")  # fmt: skip
    parser.add_argument("--out", default=str(Path(__file__).with_name("RESULTS.md")))
    args = parser.parse_args(argv)
    if args.threads:  # before NumPy loads its BLAS
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)

    from . import harness, profiling, report, suite

    harness.clock_name = args.clock or ("cpu" if args.threads == 1 else "wall")

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
    models = [r.name for r in results if r.name in ("mlp_train", "lenet", "lstm")]
    if args.cross_check_threads and models and args.cross_check_threads != suite.numpy_threads():
        text += _cross_check(models, args.cross_check_threads, args.quick)
    text += f"\nTotal run time {time.perf_counter() - start:.0f} s.\n"
    Path(args.out).write_text(text)
    print(text)
    return 0


def _cross_check(models: list[str], threads: int, quick: bool) -> str:
    """The model workloads again in a fresh process with ``threads`` BLAS/torch threads: on a
    shared 2-core machine, multithreaded BLAS is at the mercy of the other processes."""
    from . import harness

    print(f"cross-check with {threads} thread(s) ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cross.md"
        cmd = [sys.executable, "-m", "benchmarks", "--only", *models, "--threads", str(threads),
               "--no-profile", "--cross-check-threads", "0", "--out", str(out),
               "--clock", harness.clock_name]  # fmt: skip
        subprocess.run(cmd + (["--quick"] if quick else []), check=True, capture_output=True)
        lines = out.read_text().splitlines()
    rows = [line for line in lines if line.split("|")[1:2] and line.split("|")[1].strip() in models]
    threads_line = [line for line in lines if "blas_threads" in line or "torch_threads" in line]
    header = [line for line in lines if line.startswith("| workload | unit")][:1]
    return "\n".join([
        "", f"## Cross-check: the model workloads with {threads} BLAS/torch thread(s)", "",
        "The same workloads, timed in a fresh process right after the main run.", "",
        *threads_line, "", *header, "|---|---|---|---|---|---|---|---|---|", *rows, "",
    ])  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
