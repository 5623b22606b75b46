"""Scale: a long chain of ops and a graph with many leaves backpropagate without recursion,
in time linear in their size.

    PYTHONPATH=src .venv/bin/python -m benchmarks.scale [--quick]

- chain: ``y = x``, then ``y = y * 1.0000001`` n times, then ``y.backward()``: n + 1 nodes
  in one line, each waiting for the one after it (the engine's loop, not recursion);
- leaves: n leaves of one element each, ``stack``-ed and summed with weights: one node
  with n inputs, n AccumulateGrad nodes;
- leaf products: ``sum(a_i * b_i)`` over n pairs of leaves, added up one by one: 3n nodes
  and 2n leaves, every leaf reached by its own path.

For each size the best of a few runs is printed, forward (building the graph) and backward
separately, with the time per node: flat per-node times mean linear time.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable

import numpy as np

import dyngrad


def chain(n: int) -> tuple[float, float]:
    x = dyngrad.tensor(1.0, dtype=dyngrad.float64, requires_grad=True)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * 1.0000001
    t1 = time.perf_counter()
    y.backward()
    t2 = time.perf_counter()
    assert abs(x.grad.item() / 1.0000001**n - 1) < 1e-6
    return t1 - t0, t2 - t1


def leaves_stacked(n: int) -> tuple[float, float]:
    xs = [dyngrad.tensor(float(i % 7), requires_grad=True) for i in range(n)]
    w = dyngrad.tensor(np.arange(n, dtype=np.float32) % 5)
    t0 = time.perf_counter()
    loss = (dyngrad.stack(xs) * w).sum()
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    assert xs[-1].grad.item() == float((n - 1) % 5)
    return t1 - t0, t2 - t1


def leaf_products(n: int) -> tuple[float, float]:
    a = [dyngrad.tensor(float(i % 3), requires_grad=True) for i in range(n)]
    b = [dyngrad.tensor(2.0, requires_grad=True) for _ in range(n)]
    t0 = time.perf_counter()
    total = a[0] * b[0]
    for i in range(1, n):
        total = total + a[i] * b[i]
    t1 = time.perf_counter()
    total.backward()
    t2 = time.perf_counter()
    assert a[-1].grad.item() == 2.0 and b[-1].grad.item() == float((n - 1) % 3)
    return t1 - t0, t2 - t1


CASES: dict[str, tuple[Callable[[int], tuple[float, float]], tuple[int, ...], int]] = {
    # name: (run, sizes, nodes per unit of size)
    "chain": (chain, (250_000, 500_000, 1_000_000), 1),
    "leaves (stack)": (leaves_stacked, (25_000, 50_000, 100_000), 1),
    "leaf products": (leaf_products, (25_000, 50_000, 100_000), 3),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one run per size (smoke test)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else args.repeat
    print(f"recursion limit {sys.getrecursionlimit()} (unchanged); best of {repeat} runs\n")
    print(f"{'graph':<16}{'size':>10}{'forward s':>11}{'backward s':>12}{'µs/node fwd':>13}"
          f"{'µs/node bwd':>13}")  # fmt: skip
    for name, (run, sizes, per) in CASES.items():
        for n in sizes:
            best_f = best_b = float("inf")
            for _ in range(repeat):
                gc.collect()
                f, b = run(n)
                best_f, best_b = min(best_f, f), min(best_b, b)
            nodes = n * per
            print(f"{name:<16}{n:>10}{best_f:>11.2f}{best_b:>12.2f}"
                  f"{best_f / nodes * 1e6:>13.2f}{best_b / nodes * 1e6:>13.2f}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
