"""Memory: the peak of one training step (tracemalloc, dyngrad against the NumPy floor's
arrays), the traced memory over a 1000-step training loop (must stay flat), and the deep
chain's peak (linear in depth; process peak RSS against torch's, in fresh processes).

Note: NumPy reports its data buffers to tracemalloc, so for dyngrad and the floor the traced
memory is every array plus (for dyngrad) its Python objects. Each measurement runs in a fresh
process (``python -m benchmarks.memory ...``), so that buffers an earlier workload left
allocated (dyngrad's convolution keeps reusable scratch buffers) are counted, not hidden.
torch allocates outside Python's allocator, so against torch the comparison is the growth of
the process's peak RSS.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

from .harness import PY

MiB = 2**20


def step_peak(build: Callable[[], Callable[[], Any]], warmup: int = 2) -> tuple[float, float]:
    """(peak during one step, memory held between steps), both above what the model's weights
    and inputs take before the first step, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        step = build()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(warmup):
            step()
        gc.collect()
        between = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del start
    return float(peak - base), float(between - base)


def training_loop(
    step: Callable[[], Any], steps: int = 1000, every: int = 100
) -> list[tuple[int, float]]:
    """Traced memory (bytes, above the level after the first step) every ``every`` steps."""
    gc.collect()
    tracemalloc.start()
    try:
        step()
        base = tracemalloc.get_traced_memory()[0]
        samples = [(1, 0.0)]
        for i in range(2, steps + 1):
            step()
            if i % every == 0:
                samples.append((i, float(tracemalloc.get_traced_memory()[0] - base)))
    finally:
        tracemalloc.stop()
    return samples


def chain_peak_traced(m: Any, depth: int) -> float:
    """tracemalloc peak (bytes) of a ``depth``-op scalar chain and its backward under dyngrad."""
    from .workloads_small import deep_chain

    run = deep_chain(m, depth)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return float(peak - base)


_RSS_SCRIPT = """
import json, resource, sys
sys.path[:0] = {paths!r}
import {lib} as m
from benchmarks.workloads_small import deep_chain
deep_chain(m, 1000)()
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize()
def hwm():  # VmHWM: this process's peak RSS (ru_maxrss would include the parent's at fork)
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith('VmHWM'))
before = rss()
deep_chain(m, {depth})()
print(json.dumps({{"before": before, "peak": hwm()}}))
"""


def chain_peak_rss(lib: str, depth: int) -> float:
    """Growth of the peak RSS (bytes) while a fresh process runs the chain under ``lib``."""
    script = _RSS_SCRIPT.format(lib=lib, depth=depth, paths=_paths())
    out = subprocess.run([PY, "-c", script], check=True, capture_output=True, text=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return float(data["peak"] - data["before"])


def _paths() -> list[str]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return [os.path.join(root, "src"), root]


def in_fresh_process(*args: str) -> Any:
    """Run ``python -m benchmarks.memory *args`` and return what it prints (JSON)."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(_paths() + [os.environ.get("PYTHONPATH", "")])
    )
    out = subprocess.run([PY, "-m", "benchmarks.memory", *args], check=True, capture_output=True,
                         text=True, env=env, cwd=_paths()[1])  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _main(argv: list[str]) -> None:
    from . import workloads_models as models

    kind, name = argv[0], argv[1]
    weights = models.reference_weights()[name]
    if kind == "step-dyngrad":
        import dyngrad

        result: Any = step_peak(lambda: getattr(models, name)(dyngrad, weights, check=False))
    elif kind == "step-numpy":
        result = step_peak(lambda: getattr(models, name + "_numpy")(weights))
    elif kind == "loop":
        import dyngrad

        result = training_loop(getattr(models, name)(dyngrad, weights, check=False), int(argv[2]))
    else:
        raise SystemExit(f"unknown measurement {kind}")
    print(json.dumps(result))


if __name__ == "__main__":
    _main(sys.argv[1:])
