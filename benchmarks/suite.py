"""The workloads and how each is timed (the targets are in issue 6 and RESULTS.md)."""

from __future__ import annotations

import importlib
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from . import workloads_small as small
from .harness import PY, Result, time_interleaved, wall_time_of_command


def _modules() -> dict[str, Any]:
    mods = {"dyngrad": importlib.import_module("dyngrad")}
    try:
        import torch

        torch.set_num_threads(_numpy_threads())
        mods["torch"] = torch
    except ImportError:
        pass
    return mods


def _numpy_threads() -> int:
    try:
        import threadpoolctl  # type: ignore[import-not-found]

        return max(p["num_threads"] for p in threadpoolctl.threadpool_info()) or 1
    except ImportError:
        import os

        return os.cpu_count() or 1


def _check_same(name: str, outputs: dict[str, Any]) -> None:
    """Results are compared before anything is timed."""
    arrays = {}
    for k, v in outputs.items():
        first = v[0] if isinstance(v, tuple) else v
        arrays[k] = np.asarray(first.detach().numpy() if hasattr(first, "detach") else first, dtype=np.float64)
    ref = arrays.get("dyngrad")
    for k, a in arrays.items():
        if not np.allclose(a, ref, rtol=1e-3, atol=1e-5):
            raise AssertionError(f"{name}: {k} disagrees with dyngrad before timing")


def _timed(name: str, unit: str, build: dict[str, Callable[[], Any]], number: int, repeat: int,
           scale: float = 1.0) -> Result:  # fmt: skip
    _check_same(name, {k: fn() for k, fn in build.items()})
    times = time_interleaved(build, number=number, repeat=repeat)
    return Result(name, unit, {k: t / scale for k, t in times.items()})


def run(only: list[str] | None, quick: bool = False) -> list[Result]:
    mods = _modules()
    rep = 3 if quick else 7
    results: list[Result] = []

    def want(name: str) -> bool:
        return not only or name in only

    if want("seed"):
        fns = {k: small.seed_sequence(m) for k, m in mods.items()} | {"numpy": small.seed_numpy()}
        results.append(_timed("seed", "ms/iter", fns, number=200, repeat=rep, scale=1e-3))
    if want("small_ops"):
        fns = {k: small.small_ops(m) for k, m in mods.items()} | {"numpy": small.small_ops_numpy()}
        results.append(_timed("small_ops", "µs/op (fwd+bwd)", fns, number=50, repeat=rep, scale=100e-6))
    if want("scalar_mlp"):
        fns = {k: small.scalar_mlp(m) for k, m in mods.items()} | {"numpy": small.scalar_mlp_numpy()}
        results.append(_timed("scalar_mlp", "ms/step", fns, number=100, repeat=rep, scale=1e-3))
    if want("deep_chain"):
        results.append(_deep_chain(mods, quick))
    if want("import"):
        results.append(_import_time(quick))
    return results


def _deep_chain(mods: dict[str, Any], quick: bool) -> Result:
    fns = {k: small.deep_chain(m) for k, m in mods.items()} | {"numpy": small.deep_chain_numpy()}
    res = _timed("deep_chain", "s (200k ops + backward)", fns, number=1, repeat=2 if quick else 3)
    tracemalloc.start()
    fns["dyngrad"]()
    res.extra["dyngrad peak (tracemalloc)"] = f"{tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB"
    tracemalloc.stop()
    return res


def _import_time(quick: bool) -> Result:
    n = 3 if quick else 7
    res = Result("import", "s (fresh process)")
    res.times["dyngrad"] = wall_time_of_command([PY, "-c", "import dyngrad"], n)
    res.times["numpy"] = wall_time_of_command([PY, "-c", "import numpy"], n)
    try:
        res.times["torch"] = wall_time_of_command([PY, "-c", "import torch"], n)
    except Exception:  # noqa: BLE001 - torch missing
        pass
    return res
