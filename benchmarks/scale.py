"""Scale: a long chain of ops and a graph with many leaves backpropagate without recursion,
in time linear in their size (issue 8, part 3).

    PYTHONPATH=src .venv/bin/python -m benchmarks.scale [--quick] [--no-torch]

writes benchmarks/SCALE.md. The graphs, built the same way in dyngrad and in torch:

- chain: ``y = x``, then ``y = y * 1.0000001`` n times, then ``y.backward()``: n + 1 nodes
  in one line, each waiting for the one after it (the engine's loop, not recursion);
- leaves (stack): n leaves of one element each, ``stack``-ed and summed with weights: one
  node with n inputs, n AccumulateGrad nodes;
- leaf products: ``sum(a_i * b_i)`` over n pairs of leaves, added up one by one: 3n nodes
  and 2n leaves, every leaf reached by its own path.

Each run checks its gradient against the closed form. Times are CPU seconds of this process
(``time.process_time``: on a shared machine other processes' load does not count), best of
``--repeat`` runs, forward (building the graph) and backward separately. Linear time means a
flat time per node: the table gives the per-node time at each size and, per graph, the
largest size's per-node time over the smallest's (1.00 = exactly linear). The Python
recursion limit is left at its default, so a recursive walk would fail at the first size.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.harness import machine


def chain(m: Any, n: int) -> tuple[float, float]:
    x = m.tensor(1.0, dtype=m.float64, requires_grad=True)
    t0 = time.process_time()
    y = x
    for _ in range(n):
        y = y * 1.0000001
    t1 = time.process_time()
    y.backward()
    t2 = time.process_time()
    assert abs(x.grad.item() / 1.0000001**n - 1) < 1e-6
    return t1 - t0, t2 - t1


def leaves_stacked(m: Any, n: int) -> tuple[float, float]:
    xs = [m.tensor(float(i % 7), requires_grad=True) for i in range(n)]
    w = m.tensor(np.arange(n, dtype=np.float32) % 5)
    t0 = time.process_time()
    loss = (m.stack(xs) * w).sum()
    t1 = time.process_time()
    loss.backward()
    t2 = time.process_time()
    assert xs[-1].grad.item() == float((n - 1) % 5)
    return t1 - t0, t2 - t1


def leaf_products(m: Any, n: int) -> tuple[float, float]:
    a = [m.tensor(float(i % 3), requires_grad=True) for i in range(n)]
    b = [m.tensor(2.0, requires_grad=True) for _ in range(n)]
    t0 = time.process_time()
    total = a[0] * b[0]
    for i in range(1, n):
        total = total + a[i] * b[i]
    t1 = time.process_time()
    total.backward()
    t2 = time.process_time()
    assert a[-1].grad.item() == 2.0 and b[-1].grad.item() == float((n - 1) % 3)
    return t1 - t0, t2 - t1


Run = Callable[[Any, int], tuple[float, float]]
CASES: dict[str, tuple[Run, tuple[int, ...], int]] = {
    # name: (run, sizes, nodes per unit of size)
    "chain": (chain, (250_000, 500_000, 1_000_000), 1),
    "leaves (stack)": (leaves_stacked, (25_000, 50_000, 100_000), 1),
    "leaf products": (leaf_products, (25_000, 50_000, 100_000), 3),
}


def measure(libs: dict[str, Any], repeat: int) -> dict[tuple[str, str, int], tuple[float, float]]:
    """Best forward and backward CPU seconds per (library, graph, size); the libraries
    alternate run by run so that the machine's load hits them alike."""
    best: dict[tuple[str, str, int], tuple[float, float]] = {}
    for name, (run, sizes, _) in CASES.items():
        for n in sizes:
            for _ in range(repeat):
                for lib, m in libs.items():
                    gc.collect()
                    f, b = run(m, n)
                    old = best.get((lib, name, n), (float("inf"), float("inf")))
                    best[(lib, name, n)] = (min(old[0], f), min(old[1], b))
                    print(f"{lib:8}{name:<16}{n:>10}{f:8.2f}{b:8.2f}", file=sys.stderr, flush=True)
    return best


def render(
    best: dict[tuple[str, str, int], tuple[float, float]], libs: list[str], command: str
) -> str:
    info = machine()
    lines = [
        "# Scale: long chains and many leaves",
        "",
        f"Written by `{command}` (benchmarks/scale.py; its docstring says how each figure is "
        "measured). CPU seconds of one process, best of the runs; per-node times in µs. "
        f"Recursion limit {sys.getrecursionlimit()} (Python's default, unchanged).",
        "",
        f"Measured {datetime.date.today()} (load average {os.getloadavg()[0]:.1f} when done). "
        f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"NumPy {info['numpy']}, {_torch_version() if 'torch' in libs else 'torch not measured'}.",
        "",
        "| graph | size | nodes | dyngrad fwd s | dyngrad bwd s | dyngrad µs/node fwd | "
        "dyngrad µs/node bwd | torch fwd s | torch bwd s | dyngrad/torch fwd+bwd |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    flat: list[str] = []
    for name, (_, sizes, per) in CASES.items():
        per_node: list[float] = []
        for n in sizes:
            f, b = best[("dyngrad", name, n)]
            nodes = n * per
            per_node.append((f + b) / nodes)
            row = [name, f"{n:,}", f"{nodes:,}", f"{f:.2f}", f"{b:.2f}",
                   f"{f / nodes * 1e6:.2f}", f"{b / nodes * 1e6:.2f}"]  # fmt: skip
            if "torch" in libs:
                tf, tb = best[("torch", name, n)]
                row += [f"{tf:.2f}", f"{tb:.2f}", f"{(f + b) / (tf + tb):.2f}x"]
            else:
                row += ["", "", ""]
            lines.append("| " + " | ".join(row) + " |")
        flat.append(
            f"- {name}: per-node time at {sizes[-1]:,} over {sizes[0]:,}: "
            f"{per_node[-1] / per_node[0]:.2f} (forward + backward)"
        )
    lines += ["", "Linear time (1.00 = the same time per node at every size):", "", *flat, ""]
    return "\n".join(lines)


def _torch_version() -> str:
    import torch

    return f"torch {torch.__version__} (1 thread)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one run per size (smoke test)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-torch", action="store_true", help="measure dyngrad only")
    parser.add_argument("--out", default=str(Path(__file__).with_name("SCALE.md")))
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    libs: dict[str, Any] = {"dyngrad": importlib.import_module("dyngrad")}
    if not args.no_torch:
        try:
            torch = importlib.import_module("torch")
            torch.set_num_threads(1)
            libs["torch"] = torch
        except ImportError:
            print("torch is not installed: dyngrad only", file=sys.stderr)
    best = measure(libs, repeat)
    command = "python -m benchmarks.scale " + " ".join(argv if argv is not None else sys.argv[1:])
    text = render(best, list(libs), command.strip())
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
