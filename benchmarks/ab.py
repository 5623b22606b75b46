"""A/B of two dyngrad trees in ONE process: ``python -m benchmarks.ab [--base REV | --base-dir
DIR] [--torch] [workloads]``.

The working tree (``src/dyngrad``) runs as ``dyngrad``; the other tree (``src/dyngrad`` of git
revision REV, extracted with ``git archive``, or a copy of a package directory DIR) is imported
as ``dyngrad_base`` (the package uses relative imports only, so a renamed copy is a separate
package). Contenders alternate within each repeat and are timed in CPU time
(``time.process_time``), which a busy shared machine disturbs much less than wall time: on this
2-core machine, with a load average of 5-10, wall-clock ratios of identical code moved by ±50%,
CPU-time ratios by a few %. For speed work only (what a change bought); RESULTS.md is
``python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _base_package(rev: str | None, base_dir: str | None, into: str) -> None:
    """Put the other tree at ``into/dyngrad_base``."""
    target = os.path.join(into, "dyngrad_base")
    if base_dir is not None:
        shutil.copytree(base_dir, target, ignore=shutil.ignore_patterns("__pycache__"))
        return
    data = subprocess.run(
        ["git", "archive", rev or "HEAD", "src/dyngrad"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    os.rename(os.path.join(into, "src", "dyngrad"), target)


def _backward_fixed(m: Any) -> Callable[[], Any]:
    """100 one-node graphs, each run by ``backward()`` and by ``autograd.grad``: the fixed
    cost of starting a backward pass (argument handling, engine setup)."""
    x = m.tensor(2.0, requires_grad=True)
    grad = m.autograd.grad

    def run() -> Any:
        for _ in range(100):
            (x * 3.0).backward()
            grad(x * 3.0, x)
        return x.grad

    return run


def _contenders(name: str, mods: dict[str, Any]) -> tuple[dict[str, Callable[[], Any]], int]:
    from . import workloads_models as models
    from . import workloads_small as small

    small_ones = {
        "seed": (small.seed_sequence, 100),
        "small_ops": (small.small_ops, 30),
        "scalar_mlp": (small.scalar_mlp, 100),
        "chain": (lambda m: small.deep_chain(m, depth=20_000), 1),
        "backward_fixed": (_backward_fixed, 20),
    }
    if name in small_ones:
        build, number = small_ones[name]
        return {k: build(m) for k, m in mods.items()}, number
    weights = models.reference_weights()[name]
    build_model = getattr(models, name)
    return {k: build_model(m, weights, check=False) for k, m in mods.items()}, 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="*", default=["seed", "small_ops", "scalar_mlp"])
    parser.add_argument("--base", help="git revision of the other tree (default HEAD)")
    parser.add_argument("--base-dir", help="a copy of another dyngrad package directory")
    parser.add_argument("--torch", action="store_true", help="time torch as well")
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    tmp = tempfile.mkdtemp(prefix="dyngrad_ab_")
    try:
        _base_package(args.base, args.base_dir, tmp)
        sys.path[:0] = [os.path.join(ROOT, "src"), tmp]
        import dyngrad_base  # type: ignore[import-not-found]

        import dyngrad

        mods: dict[str, Any] = {"new": dyngrad, "base": dyngrad_base}
        if args.torch:
            import torch

            torch.set_num_threads(1)
            mods["torch"] = torch
        print(f"load average {os.getloadavg()}")
        for name in args.workloads:
            fns, number = _contenders(name, mods)
            for fn in fns.values():  # warm up
                for _ in range(max(1, number // 5)):
                    fn()
            samples: dict[str, list[float]] = {k: [] for k in fns}
            for _ in range(args.repeat):
                for k, fn in fns.items():
                    start = time.process_time()
                    for _ in range(number):
                        fn()
                    samples[k].append((time.process_time() - start) / number)
            med = {k: statistics.median(v) for k, v in samples.items()}
            line = f"{name:12s} " + " ".join(f"{k}={v * 1e3:.4f} ms" for k, v in med.items())
            line += f"  new/base={med['new'] / med['base']:.3f}"
            if "torch" in med:
                line += f"  new/torch={med['new'] / med['torch']:.3f}"
                line += f"  base/torch={med['base'] / med['torch']:.3f}"
            print(line, flush=True)
        print(f"load average {os.getloadavg()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
