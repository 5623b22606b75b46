"""Convolution and pooling at LeNet-5's shapes (batch 64, 1×28×28), dyngrad against torch.

    PYTHONPATH=src .venv/bin/python -m benchmarks.conv_micro [--quick]

Each row is forward + backward of one layer (the input of the first convolution needs no
gradient, as in training); the last row is a whole LeNet training step (forward, cross
entropy, backward, SGD update). Both libraries use the same number of threads.

Layout and BLAS calls (see src/dyngrad/ops/nn_ops_arrays.py), chosen by measuring the
alternatives at these shapes:
- forward: im2col as (N, C·k², L) (one strided copy), then ``W (O, C·k²) @ cols`` as one
  batched matmul whose result is already (N, O, L), i.e. NCHW: no transpose. A single GEMM
  on (C·k², N·L) columns needs an output transpose and was slower at both LeNet shapes;
- weight gradient: ``ȳ (N, O, L) @ colsᵀ`` batched, summed over N, on the forward's im2col
  (kept on the node in a pooled buffer). One GEMM over N·L needs a transposed copy of the
  columns and was slower (or far slower for the first layer, O = 6, C·k² = 25);
- input gradient: one GEMM ``Wᵀ @ ȳ`` with the batch as the LAST axis, then col2im as k²
  strided in-place adds over rows of Wo·N contiguous values (with NCHW the rows are Wo
  values long, and the adds took twice as long);
- temporaries live in reused scratch buffers: fresh multi-megabyte arrays cost more in page
  faults than the copies that fill them (about a third of a LeNet step before this).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def time_interleaved(
    contenders: dict[str, Callable[[], Any]], *, number: int, repeat: int
) -> dict[str, float]:
    """Best (minimum) over ``repeat`` rounds of the mean of ``number`` calls, contenders
    alternating within each round. Note: the minimum, not the median, because on a shared
    2-core machine other processes only ever add time."""
    best = {k: float("inf") for k in contenders}
    for fn in contenders.values():
        fn()
    for _ in range(repeat):
        for name, fn in contenders.items():
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best[name] = min(best[name], (time.perf_counter() - start) / number)
    return best


def _conv_case(
    m: Any, n: int, c: int, size: int, o: int, pad: int, x_grad: bool
) -> Callable[[], Any]:
    rng = np.random.default_rng(0)
    x = m.tensor(rng.standard_normal((n, c, size, size)).astype(np.float32), requires_grad=x_grad)
    w = m.tensor(rng.standard_normal((o, c, 5, 5)).astype(np.float32) * 0.1, requires_grad=True)
    b = m.tensor(np.zeros(o, np.float32), requires_grad=True)

    def run() -> Any:
        y = m.nn.functional.conv2d(x, w, b, padding=pad)
        y.backward(m.ones_like(y))
        w.grad = None
        b.grad = None
        if x_grad:
            x.grad = None
        return y

    return run


def _pool_case(m: Any, kind: str, shape: tuple[int, ...]) -> Callable[[], Any]:
    x = m.tensor(
        np.random.default_rng(0).standard_normal(shape).astype(np.float32), requires_grad=True
    )
    pool = getattr(m.nn.functional, kind)

    def run() -> Any:
        y = pool(x, 2)
        y.backward(m.ones_like(y))
        x.grad = None
        return y

    return run


def _lenet(m: Any) -> Any:
    nn = m.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )  # fmt: skip


def _lenet_step(m: Any, reference: Any) -> Callable[[], Any]:
    """A dyngrad LeNet with the torch model's initial weights."""
    net = _lenet(m)
    net.load_state_dict(
        {k: m.tensor(v.detach().numpy()) for k, v in reference.state_dict().items()}
    )
    return _lenet_step_from(m, net)


def main(argv: list[str] | None = None) -> int:
    import torch

    import dyngrad

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: 2)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads or 2)
    number, repeat = (3, 5) if args.quick else (5, 30)
    mods = {"dyngrad": dyngrad, "torch": torch}
    cases: dict[str, Callable[[Any], Callable[[], Any]]] = {
        "conv1 fwd+bwd (64,1,28,28)->6, 5x5, pad 2": lambda m: _conv_case(
            m, 64, 1, 28, 6, 2, False
        ),
        "conv2 fwd+bwd (64,6,14,14)->16, 5x5": lambda m: _conv_case(m, 64, 6, 14, 16, 0, True),
        "avg_pool2d 2x2 fwd+bwd (64,6,28,28)": lambda m: _pool_case(
            m, "avg_pool2d", (64, 6, 28, 28)
        ),
        "max_pool2d 2x2 fwd+bwd (64,6,28,28)": lambda m: _pool_case(
            m, "max_pool2d", (64, 6, 28, 28)
        ),
        "max_pool2d 2x2 fwd+bwd (64,16,10,10)": lambda m: _pool_case(
            m, "max_pool2d", (64, 16, 10, 10)
        ),
    }
    print(f"{'case':48s} {'dyngrad ms':>11s} {'torch ms':>9s} {'ratio':>6s}")
    for name, build in cases.items():
        times = time_interleaved(
            {k: build(m) for k, m in mods.items()}, number=number, repeat=repeat
        )
        print(f"{name:48s} {times['dyngrad'] * 1e3:11.3f} {times['torch'] * 1e3:9.3f} "
              f"{times['dyngrad'] / times['torch']:6.2f}")  # fmt: skip
    torch.manual_seed(0)
    ref = _lenet(torch)
    steps = {"dyngrad": _lenet_step(dyngrad, ref), "torch": _lenet_step_from(torch, ref)}
    times = time_interleaved(steps, number=number, repeat=repeat)
    print(f"{'LeNet step (fwd+CE+bwd+SGD), batch 64':48s} {times['dyngrad'] * 1e3:11.3f} "
          f"{times['torch'] * 1e3:9.3f} {times['dyngrad'] / times['torch']:6.2f}")  # fmt: skip
    return 0


def _lenet_step_from(m: Any, net: Any) -> Callable[[], Any]:
    """One SGD step of ``net`` (lr 0.1) on a fixed batch, with module ``m``."""
    rng = np.random.default_rng(0)
    x = m.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = m.tensor(rng.integers(0, 10, 64))
    params = list(net.parameters())

    def run() -> Any:
        loss = m.nn.functional.cross_entropy(net(x), y)
        for p in params:
            p.grad = None
        loss.backward()
        with m.no_grad():
            for p in params:
                p -= 0.1 * p.grad
        return loss

    return run


if __name__ == "__main__":
    sys.exit(main())
