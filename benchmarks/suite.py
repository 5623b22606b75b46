"""The workloads and how each is timed (the targets are in issue 6 and RESULTS.md)."""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from . import memory
from . import workloads_models as models
from . import workloads_small as small
from .harness import PY, Result, time_interleaved, times_of_commands, wall_time_of_command

WORKLOADS = ("seed", "small_ops", "scalar_mlp", "mlp_train", "lenet", "deep_chain", "lstm",
             "import", "memory")  # fmt: skip


def _modules() -> dict[str, Any]:
    mods = {"dyngrad": importlib.import_module("dyngrad")}
    try:
        import torch

        torch.set_num_threads(numpy_threads())
        mods["torch"] = torch
    except ImportError:
        pass
    return mods


def numpy_threads() -> int:
    """The number of threads NumPy's BLAS uses (torch is set to the same)."""
    try:
        import threadpoolctl  # type: ignore[import-not-found, import-untyped, unused-ignore]

        return max((p["num_threads"] for p in threadpoolctl.threadpool_info()), default=1)
    except ImportError:
        return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))


def _arrays(value: Any) -> list[np.ndarray]:
    items = value if isinstance(value, (tuple, list)) else [value]
    return [
        np.asarray(v.detach().numpy() if hasattr(v, "detach") else v, dtype=np.float64)
        for v in items
    ]


def _check_same(name: str, outputs: dict[str, Any]) -> None:
    """Results (gradients, for the training workloads) are compared before anything is timed."""
    ref = _arrays(outputs["dyngrad"])
    for k, v in outputs.items():
        got = _arrays(v)
        if len(got) != len(ref):
            raise AssertionError(f"{name}: {k} returned {len(got)} results, dyngrad {len(ref)}")
        for i, (a, b) in enumerate(zip(got, ref)):
            scale = max(1.0, float(np.max(np.abs(b)))) if b.size else 1.0
            if a.shape != b.shape or not np.allclose(a, b, rtol=1e-3, atol=1e-5 * scale):
                raise AssertionError(
                    f"{name}: {k} disagrees with dyngrad (result {i}) before timing"
                )


def _timed(name: str, unit: str, build: dict[str, Callable[[], Any]], number: int, repeat: int,
           scale: float = 1.0) -> Result:  # fmt: skip
    _check_same(name, {k: fn() for k, fn in build.items()})
    times = time_interleaved(build, number=number, repeat=repeat)
    return Result(name, unit, {k: t / scale for k, t in times.items()})


def run(
    only: list[str] | None, quick: bool = False, log: Callable[[str], None] = print
) -> list[Result]:
    mods = _modules()
    rep = 3 if quick else 7
    results: list[Result] = []
    weights: dict[str, list[np.ndarray]] = {}

    def want(name: str) -> bool:
        return not only or name in only

    def model_weights(name: str) -> list[np.ndarray]:
        if not weights:
            weights.update(models.reference_weights())
        return weights[name]

    for name in WORKLOADS:
        if not want(name):
            continue
        log(f"running {name} ...")
        if name == "seed":
            fns = {k: small.seed_sequence(m) for k, m in mods.items()} | {
                "numpy": small.seed_numpy()
            }
            results.append(_timed("seed", "ms/iter", fns, number=200, repeat=rep, scale=1e-3))
        elif name == "small_ops":
            fns = {k: small.small_ops(m) for k, m in mods.items()} | {
                "numpy": small.small_ops_numpy()
            }
            results.append(
                _timed("small_ops", "µs/op (fwd+bwd)", fns, number=50, repeat=rep, scale=100e-6)
            )
        elif name == "scalar_mlp":
            fns = {k: small.scalar_mlp(m) for k, m in mods.items()} | {
                "numpy": small.scalar_mlp_numpy()
            }
            results.append(_timed("scalar_mlp", "ms/step", fns, number=100, repeat=rep, scale=1e-3))
        elif name in ("mlp_train", "lenet", "lstm"):
            results.append(_model(name, mods, model_weights(name), rep + 4))
        elif name == "deep_chain":
            results.append(_deep_chain(mods, quick))
        elif name == "import":
            results.append(_import_time(quick))
        elif name == "memory":
            results.extend(_memory(quick))
    return results


def _model(name: str, mods: dict[str, Any], weights: list[np.ndarray], repeat: int) -> Result:
    """Gradients compared on one step of fresh models, then fresh models timed (the timed
    steps return nothing, so no contender pays for copying its gradients out)."""
    build = getattr(models, name)
    floor = getattr(models, name + "_numpy", None)
    checked = {k: build(m, weights)() for k, m in mods.items()}
    if floor is not None:
        checked["numpy"] = floor(weights)()
    _check_same(name, checked)
    fns = {k: build(m, weights, check=False) for k, m in mods.items()}
    if floor is not None:
        fns["numpy"] = floor(weights)
    times = time_interleaved(fns, number=3 if name == "lstm" else 5, repeat=repeat)
    return Result(name, "ms/step", {k: t / 1e-3 for k, t in times.items()})


def _deep_chain(mods: dict[str, Any], quick: bool) -> Result:
    fns = {k: small.deep_chain(m) for k, m in mods.items()} | {"numpy": small.deep_chain_numpy()}
    res = _timed("deep_chain", "s (200k ops + backward)", fns, number=1, repeat=2 if quick else 3)
    per_op = []
    for depth in (50_000, small.DEEP):
        peak = memory.chain_peak_traced(mods["dyngrad"], depth)
        per_op.append(peak / depth)
        res.extra[f"dyngrad traced peak, {depth:,} ops"] = f"{peak / memory.MiB:.1f} MiB"
    res.extra["dyngrad traced bytes per op (50k / 200k ops)"] = (
        f"{per_op[0]:.0f} / {per_op[1]:.0f} B"
    )
    rss = {lib: memory.chain_peak_rss(lib, small.DEEP) for lib in mods}
    for lib, value in rss.items():
        res.extra[f"{lib} peak RSS growth, 200k ops (fresh process)"] = (
            f"{value / memory.MiB:.1f} MiB"
        )
    if "torch" in rss:
        below = rss["dyngrad"] < rss["torch"]
        res.extra["memory: linear in depth, below torch's peak"] = (
            f"{'yes' if below and per_op[1] < 1.25 * per_op[0] else 'no'}"
        )
    return res


def _import_time(quick: bool) -> Result:
    """Wall time of ``python -c "import X"`` in fresh processes (median), with dyngrad's
    bytecode compiled first, as an installed package has it (this repository's src/ first on
    the path, so the working tree is what is measured)."""
    import compileall

    import dyngrad

    package = os.path.dirname(dyngrad.__file__)
    compileall.compile_dir(package, quiet=1)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([os.path.dirname(package), os.environ.get("PYTHONPATH", "")]),
    )
    n = 5 if quick else 11
    res = Result("import", "s (fresh process)")
    cmds = {"dyngrad": "import dyngrad", "numpy": "import numpy", "torch": "import torch"}
    if importlib.util.find_spec("torch") is None:  # torch may be missing
        del cmds["torch"]
    # interleaved: dyngrad, numpy and torch alternate within each repeat
    timed = times_of_commands({k: [PY, "-c", c] for k, c in cmds.items()}, n, env=env)
    for name, (wall, cpu) in timed.items():
        res.times[name] = wall
        res.extra[f"{name} import, CPU time (user + system)"] = f"{cpu:.3f} s"
    if "numpy" in timed:
        res.extra["dyngrad / numpy import, CPU time"] = (
            f"{timed['dyngrad'][1] / timed['numpy'][1]:.2f}x"
        )
    res.extra["import dyngrad, dyngrad.nn, dyngrad.optim"] = (
        f"{wall_time_of_command([PY, '-c', 'import dyngrad, dyngrad.nn, dyngrad.optim'], n, env=env):.3f} s"
    )
    # The target is 200 ms where NumPy's import takes 145 ms; on a slower or busier
    # machine the same target scales with NumPy's own import time.
    res.extra["target scaled by numpy's import (200 ms x numpy / 145 ms)"] = (
        f"{0.2 * res.times['numpy'] / 0.145:.3f} s"
    )
    return res


def _memory(quick: bool) -> list[Result]:
    out = []
    for name in ("mlp_train", "lenet"):
        ours = memory.in_fresh_process("step-dyngrad", name)
        theirs = memory.in_fresh_process("step-numpy", name)
        res = Result(
            f"{name} memory",
            "MiB peak per step",
            {"dyngrad": ours[0] / memory.MiB, "numpy": theirs[0] / memory.MiB},
        )
        res.extra["held between steps (dyngrad / floor)"] = (
            f"{ours[1] / memory.MiB:.2f} / {theirs[1] / memory.MiB:.2f} MiB"
        )
        out.append(res)
    steps = 200 if quick else 1000
    samples = memory.in_fresh_process("loop", "mlp_train", str(steps))
    half = samples[len(samples) // 2]
    growth = samples[-1][1] - half[1]
    res = Result(f"mlp_train {steps} steps", "MiB traced above step 1")
    res.times["dyngrad"] = samples[-1][1] / memory.MiB
    res.extra["traced memory (MiB) at steps " + ", ".join(str(s) for s, _ in samples)] = ", ".join(
        f"{v / memory.MiB:.2f}" for _, v in samples
    )
    # Note: the first few hundred steps fill Python's free lists of small objects (tuples),
    # which tracemalloc counts as allocated; the level stays after that. So flatness is
    # judged on the second half of the loop.
    res.extra[f"growth from step {half[0]} to {steps}"] = f"{growth / memory.MiB:.3f} MiB"
    res.extra["flat"] = "yes" if abs(growth) < 0.1 * memory.MiB else "no"
    out.append(res)
    return out
