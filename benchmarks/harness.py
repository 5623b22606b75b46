"""Benchmark plumbing: interleaved repeats, medians, ratios, and the machine's description.

A workload gives one callable per contender (dyngrad, torch, numpy floor); each callable
runs one iteration. Contenders alternate within each repeat so that drift on a shared
machine hits them alike. Results are checked for equal gradients before timing.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    """Median seconds per iteration for each contender, plus notes."""

    name: str
    unit: str
    times: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def ratio(self, a: str, b: str) -> float | None:
        if a in self.times and b in self.times and self.times[b] > 0:
            return self.times[a] / self.times[b]
        return None


def time_interleaved(
    contenders: dict[str, Callable[[], Any]], *, number: int, repeat: int
) -> dict[str, float]:
    """Median over ``repeat`` rounds of the mean time of ``number`` calls, contenders alternating."""
    samples: dict[str, list[float]] = {k: [] for k in contenders}
    for fn in contenders.values():  # warm up
        for _ in range(max(1, number // 10)):
            fn()
    for _ in range(repeat):
        for name, fn in contenders.items():
            start = time.perf_counter()
            for _ in range(number):
                fn()
            samples[name].append((time.perf_counter() - start) / number)
    return {k: statistics.median(v) for k, v in samples.items()}


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    import numpy as np

    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu": _cpu_name(),
        "cores": str(os.cpu_count()),
        "platform": platform.platform(),
    }
    try:
        import threadpoolctl  # type: ignore[import-not-found]

        pools = threadpoolctl.threadpool_info()
        info["numpy_blas_threads"] = ", ".join(
            f"{p['internal_api']}={p['num_threads']}" for p in pools
        )
    except ImportError:
        info["numpy_blas_threads"] = os.environ.get("OMP_NUM_THREADS", "default")
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = str(torch.get_num_threads())
    except ImportError:
        info["torch"] = "not installed"
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def wall_time_of_command(
    cmd: list[str], repeat: int = 5, env: dict[str, str] | None = None
) -> float:
    """Median wall time of running ``cmd`` in a fresh process."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


PY = sys.executable
