"""Activation checkpointing on a deep MLP: the memory it saves and the time it costs.

``python -m benchmarks.checkpoint_memory`` (from the repository root, with ``src`` on the path
or dyngrad installed) writes benchmarks/CHECKPOINT.md. The model: ``BLOCKS`` blocks of
``Linear(W, W), ReLU, Linear(W, W), ReLU`` (W = 1024, 32 linear layers), a batch of 256,
float32, loss ``out.sum()``. Three ways to run forward + backward:

- ``none``: no checkpointing; every Linear keeps its input, every ReLU its output.
- ``block``: ``checkpoint(block, x, use_reentrant=False)`` around each block: only the blocks'
  inputs stay alive; each block's forward runs again in backward.
- ``seq4``: ``checkpoint_sequential(model, 4, x, use_reentrant=False)``: as in torch, the
  first 3 segments of 4 blocks are checkpointed and the last 4 blocks run normally.

How memory is measured. Each (library, mode) runs in a fresh process, after one warm-up step so
that the weights' ``.grad`` exist (``zero_grad(set_to_none=False)`` keeps them): the figures are
the memory above weights, gradients and input, i.e. what the graph and backward add.

- dyngrad: tracemalloc (NumPy reports its buffers to it), exact: the memory held between
  forward and backward, and the peak during forward + backward.
- dyngrad and torch alike: growth of the process's resident memory (RSS; peak via VmHWM, reset
  through /proc/self/clear_refs). tracemalloc cannot see torch's allocator, so this is the
  common measure. The children run with ``MALLOC_MMAP_THRESHOLD_`` fixed at 64 KiB so that
  glibc maps every large buffer and unmaps it when freed; RSS then follows live memory instead
  of what the allocator keeps for reuse. dyngrad's RSS figures beside its tracemalloc ones show
  how close the two measures are.

The hand computation: a (256, 1024) float32 activation is 1 MiB. A Linear keeps its input and
a ReLU its output, which is the next Linear's input: one array kept once. The Linear's output
is dropped as soon as the ReLU has run. So without checkpointing each layer keeps 1 MiB: 32
MiB for 32 layers (the first Linear's input is the input, already in the baseline). With a
checkpoint per block only the inputs of blocks 2 to 16 stay (15 MiB), and backward adds one
block's recomputed activations (2 MiB) at a time. With ``checkpoint_sequential`` the inputs of
segments 2 and 3 stay (2 MiB) and the last segment, run normally, keeps its input and its 8
ReLU outputs (9 MiB): 11 MiB; backward then recomputes one segment (8 MiB, with 2 inputs
held) at a time, less than the 11 MiB held, so the peak is the held memory. Backward's gradients in
flight (the (256, 1024) gradient of an activation, the (1024, 1024) gradient of a weight
before it is added into ``.grad``: 4 MiB) come on top of the peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from .harness import time_interleaved

WIDTH, BATCH, BLOCKS, SEGMENTS = 1024, 256, 16, 4
PER_SEGMENT = BLOCKS // SEGMENTS
MODES = ("none", "block", "seq4")
MiB = 2**20
ACT = BATCH * WIDTH * 4  # bytes of one activation
# (held after forward, peak of forward + backward) in bytes: the saved activations counted by
# hand (docstring); the gradients in flight during backward come on top of the peak.
HAND = {
    "none": (2 * BLOCKS * ACT, 2 * BLOCKS * ACT),
    "block": ((BLOCKS - 1) * ACT, (BLOCKS - 1 + 2) * ACT),
    "seq4": (
        (SEGMENTS - 2 + 1 + 2 * PER_SEGMENT) * ACT,
        (SEGMENTS - 2 + 1 + 2 * PER_SEGMENT) * ACT,
    ),
}


def _weights() -> list[np.ndarray]:
    """He-scaled weights (activations keep their size through 32 layers), zero biases."""
    rng = np.random.default_rng(0)
    scale = np.float32(np.sqrt(2.0 / WIDTH))
    return [
        rng.standard_normal((WIDTH, WIDTH), dtype=np.float32) * scale for _ in range(2 * BLOCKS)
    ]


def _build(m: Any) -> tuple[Any, Any]:
    """The model under ``m`` (dyngrad or torch) with the shared weights, and the input."""
    nn = m.nn
    blocks = [
        nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU())
        for _ in range(BLOCKS)
    ]
    model = nn.Sequential(*blocks)
    linears = [layer for layer in model.modules() if isinstance(layer, nn.Linear)]
    with m.no_grad():
        for layer, w in zip(linears, _weights()):
            layer.weight.copy_(m.from_numpy(w))
            layer.bias.zero_()
    x = m.from_numpy(np.random.default_rng(1).standard_normal((BATCH, WIDTH), dtype=np.float32))
    return model, x


def _forward(m: Any, model: Any, x: Any, mode: str) -> Any:
    ckpt = __import__(m.__name__ + ".utils.checkpoint", fromlist=["checkpoint"])
    if mode == "none":
        out = model(x)
    elif mode == "block":
        for block in model:
            x = ckpt.checkpoint(block, x, use_reentrant=False)
        out = x
    else:
        out = ckpt.checkpoint_sequential(model, SEGMENTS, x, use_reentrant=False)
    return out.sum()


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS (Linux 4.0+)


def _peak_rss() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM"))


def _step(m: Any, model: Any, x: Any, mode: str) -> Any:
    """One forward + backward; ``.grad`` is zeroed in place, so its buffers stay."""
    model.zero_grad(set_to_none=False)
    loss = _forward(m, model, x, mode)
    loss.backward()
    return loss


def measure(lib: str, mode: str) -> dict[str, Any]:
    """Memory figures for ``lib`` (dyngrad or torch) in ``mode`` (run in a fresh process)."""
    m = __import__(lib)
    model, x = _build(m)
    _step(m, model, x, mode)  # warm-up: the .grad buffers now exist

    result: dict[str, Any] = {}
    model.zero_grad(set_to_none=False)
    before = _rss()
    _reset_peak_rss()
    loss = _forward(m, model, x, mode)
    result["rss_held"] = _rss() - before
    loss.backward()
    result["rss_peak"] = _peak_rss() - before
    del loss

    if lib == "dyngrad":
        model.zero_grad(set_to_none=False)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            loss = _forward(m, model, x, mode)
            result["traced_held"] = tracemalloc.get_traced_memory()[0] - base
            loss.backward()
            result["traced_peak"] = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
    first = next(iter(model.parameters())).grad
    result["grad_checksum"] = float(np.abs(first.detach().numpy().astype(np.float64)).sum())
    return result


def time_all(libs: list[str], repeat: int) -> dict[str, float]:
    """Median seconds of one step for every (library, mode), all interleaved in one process
    so that the load of a shared machine hits them alike."""
    steps = {}
    for lib in libs:
        m = __import__(lib)
        if lib == "torch":
            m.set_num_threads(1)
        model, x = _build(m)
        for mode in MODES:
            steps[f"{lib}/{mode}"] = lambda m=m, model=model, x=x, mode=mode: _step(
                m, model, x, mode
            )
    return time_interleaved(steps, number=1, repeat=repeat)


def _child(*args: str) -> Any:
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")  # fmt: skip
    env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), str(root), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "benchmarks.checkpoint_memory", "--child", *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=root)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _mib(value: float | None) -> str:
    return "" if value is None else f"{value / MiB:.1f}"


def render(results: dict[tuple[str, str], dict[str, Any]], command: str, wall: float) -> str:
    libs = sorted({lib for lib, _ in results}, key=lambda s: s != "dyngrad")
    lines = [
        "# Activation checkpointing: memory saved and time spent",
        "",
        f"Written by `{command}` (benchmarks/checkpoint_memory.py; how each figure is measured "
        "is in its docstring).",
        "",
        f"Model: {BLOCKS} blocks of Linear({WIDTH}, {WIDTH}), ReLU, Linear({WIDTH}, {WIDTH}), "
        f"ReLU ({2 * BLOCKS} linear layers), batch {BATCH}, float32, loss `out.sum()`; one "
        "forward + backward. `none`: no checkpointing; `block`: `checkpoint(block, x, "
        f"use_reentrant=False)` on each block; `seq4`: `checkpoint_sequential(model, {SEGMENTS}, "
        "x, use_reentrant=False)`.",
        "",
        "Memory in MiB above the weights, their `.grad` and the input (one activation is "
        f"{ACT / MiB:.0f} MiB). *held*: kept by the graph between forward and backward; *peak*: "
        "the highest point of forward + backward. *hand*: the saved activations counted by hand "
        "(docstring; backward's gradients in flight, a few MiB, come on top of the peak). tracemalloc is exact for dyngrad; RSS (resident memory growth, one "
        "measure for both libraries) also counts the allocator's pages.",
        "",
        "| library | mode | hand held | hand peak | traced held | traced peak | RSS held "
        "| RSS peak | peak saved (RSS) | time (s) | time vs none | grad check |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lib in libs:
        none = results[(lib, "none")]
        for mode in MODES:
            r = results[(lib, mode)]
            same = abs(r["grad_checksum"] - none["grad_checksum"]) <= 1e-4 * none["grad_checksum"]
            saved = 1 - r["rss_peak"] / none["rss_peak"] if none["rss_peak"] > 0 else 0.0
            lines.append(
                f"| {lib} | {mode} | {_mib(HAND[mode][0])} | {_mib(HAND[mode][1])} "
                f"| {_mib(r.get('traced_held'))} | {_mib(r.get('traced_peak'))} "
                f"| {_mib(r['rss_held'])} | {_mib(r['rss_peak'])} "
                f"| {'' if mode == 'none' else f'{saved:.0%}'} "
                f"| {r['seconds']:.3f} | {r['seconds'] / none['seconds']:.2f}x "
                f"| {'same as none' if same else 'DIFFERS'} |"
            )
    if ("dyngrad", "none") in results and ("torch", "none") in results:
        a, b = results[("dyngrad", "none")], results[("torch", "none")]
        agree = abs(a["grad_checksum"] - b["grad_checksum"]) <= 1e-4 * b["grad_checksum"]
        lines += ["", f"dyngrad's and torch's gradients (first layer, same weights): "
                  f"{'equal to 1e-4' if agree else 'DIFFER'}."]  # fmt: skip
    lines += [
        "",
        "Time: one forward + backward, median of the rounds; every library and mode is timed "
        "in one process, interleaved, with one BLAS/torch thread (on a shared 2-core machine, "
        "more threads measure the other processes). Checkpointing reruns the forward of the "
        "checkpointed part once.",
        "",
        f"Machine: Python {platform.python_version()}, NumPy {np.__version__}, "
        f"{_torch_version()}, {os.cpu_count()} cores, load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}. Run time {wall:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def _torch_version() -> str:
    try:
        import torch

        return f"torch {torch.__version__}"
    except ImportError:
        return "torch not installed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.checkpoint_memory")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (median)")
    parser.add_argument("--no-torch", action="store_true", help="measure dyngrad only")
    parser.add_argument("--out", default=str(Path(__file__).with_name("CHECKPOINT.md")))
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "memory":
            print(json.dumps(measure(rest[0], rest[1])))
        else:
            print(json.dumps(time_all(rest, args.repeat)))
        return 0
    libs = ["dyngrad"]
    if not args.no_torch:
        try:
            import torch  # noqa: F401

            libs.append("torch")
        except ImportError:
            print("torch is not installed: dyngrad only", file=sys.stderr)
    start = time.perf_counter()
    results = {}
    for lib in libs:
        for mode in MODES:
            print(f"memory: {lib} {mode} ...", file=sys.stderr, flush=True)
            results[(lib, mode)] = _child("memory", lib, mode)
    print("time: every mode interleaved ...", file=sys.stderr, flush=True)
    times = _child("time", *libs, "--repeat", str(args.repeat))
    for (lib, mode), r in results.items():
        r["seconds"] = times[f"{lib}/{mode}"]
    command = "python -m benchmarks.checkpoint_memory " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    text = render(results, command.strip(), time.perf_counter() - start)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
