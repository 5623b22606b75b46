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


# The clock of time_interleaved: wall time by default; ``python -m benchmarks --threads 1``
# switches to the process's CPU time (see CLOCKS), which other processes on a shared machine
# disturb far less (with one BLAS/torch thread, CPU time is the work's time).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock_name = "wall"


def time_interleaved(
    contenders: dict[str, Callable[[], Any]], *, number: int, repeat: int
) -> dict[str, float]:
    """Median over ``repeat`` rounds of the mean time of ``number`` calls, contenders alternating."""
    clock = CLOCKS[clock_name]
    samples: dict[str, list[float]] = {k: [] for k in contenders}
    for fn in contenders.values():  # warm up
        for _ in range(max(1, number // 10)):
            fn()
    for _ in range(repeat):
        for name, fn in contenders.items():
            start = clock()
            for _ in range(number):
                fn()
            samples[name].append((clock() - start) / number)
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
        import threadpoolctl  # type: ignore[import-not-found, import-untyped, unused-ignore]

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


def times_of_commands(
    cmds: dict[str, list[str]], repeat: int = 5, env: dict[str, str] | None = None
) -> dict[str, tuple[float, float]]:
    """Median (wall time, CPU time) of running each command in a fresh process, the commands
    alternating within each repeat (so that a load that comes and goes hits them alike). CPU
    time is the child's user + system time."""
    import resource

    walls: dict[str, list[float]] = {k: [] for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for name, cmd in cmds.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=env)
            walls[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {k: (statistics.median(walls[k]), statistics.median(cpus[k])) for k in cmds}


PY = sys.executable
