"""LSTM micro-benchmark (issue 6): a 1-layer LSTM, input and hidden size 128, 35 steps,
batch 32, forward + backward of ``output.sum() + h_n.sum()``, dyngrad against PyTorch with
the same weights (gradients are checked equal before timing).

    PYTHONPATH=src .venv/bin/python benchmarks/lstm_micro.py [--threads N] [--repeat R]

Contenders alternate within each repeat (``harness.time_interleaved``), so drift on a shared
machine hits both alike; the median of the repeats is reported. ``--threads`` pins both
NumPy's BLAS (through threadpoolctl when installed) and torch to N threads.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

SEQ, BATCH, INPUT, HIDDEN = 35, 32, 128, 128


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="BLAS/torch threads (0: leave as is)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--number", type=int, default=3)
    parser.add_argument("--mode", default="LSTM", choices=("LSTM", "GRU", "RNN"))
    return parser.parse_args()


def _step(m: Any, model: Any, x_data: np.ndarray) -> Callable[[], Any]:
    def run() -> Any:
        model.zero_grad()
        x = m.tensor(x_data, requires_grad=True)
        out, state = model(x)
        h_n = state[0] if isinstance(state, tuple) else state
        (out.sum() + h_n.sum()).backward()
        return x.grad

    return run


def main() -> int:
    args = _parse()
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))
    import torch

    import dyngrad
    from benchmarks.harness import machine, time_interleaved

    if args.threads:
        torch.set_num_threads(args.threads)
        try:
            import threadpoolctl  # type: ignore[import-not-found]

            threadpoolctl.threadpool_limits(args.threads)
        except ImportError:
            pass

    torch.manual_seed(0)
    theirs = getattr(torch.nn, args.mode)(INPUT, HIDDEN)
    ours = getattr(dyngrad.nn, args.mode)(INPUT, HIDDEN)
    ours.load_state_dict({k: dyngrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)

    run_ours, run_theirs = _step(dyngrad, ours, x), _step(torch, theirs, x)
    np.testing.assert_allclose(run_ours().numpy(), run_theirs().numpy(), rtol=1e-4, atol=1e-5)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-3, atol=1e-4)

    times = time_interleaved({"dyngrad": run_ours, "torch": run_theirs}, number=args.number, repeat=args.repeat)
    info = machine()
    print(f"{args.mode} {SEQ} steps, batch {BATCH}, input {INPUT}, hidden {HIDDEN}: forward + backward")
    print(f"  machine: {info['cpu']}, {info['cores']} cores; BLAS {info['numpy_blas_threads']}; torch threads {info['torch_threads']}")
    for name, seconds in times.items():
        print(f"  {name:8s} {seconds * 1e3:8.2f} ms")
    print(f"  ratio dyngrad/torch: {times['dyngrad'] / times['torch']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
