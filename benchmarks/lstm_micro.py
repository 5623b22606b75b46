"""LSTM micro-benchmark (issue 6): a 1-layer LSTM, input and hidden size 128, 35 steps,
batch 32, forward + backward of ``output.sum() + h_n.sum()``, dyngrad against PyTorch with
the same weights (gradients are checked equal before timing).

    PYTHONPATH=src .venv/bin/python benchmarks/lstm_micro.py [--threads N] [--repeat R]

Contenders alternate within each repeat, so drift on a shared machine hits both alike; the
median of the repeats is reported, as wall time and as CPU time of this process (the CPU
time is the steadier number on a busy machine; with one thread it is the work done).
``--threads N`` sets NumPy's BLAS (through the environment, before NumPy loads) and torch
to N threads; by default both keep their own defaults, which are recorded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

SEQ, BATCH, INPUT, HIDDEN = 35, 32, 128, 128


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="BLAS/torch threads (0: defaults)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--number", type=int, default=3)
    parser.add_argument("--mode", default="LSTM", choices=("LSTM", "GRU", "RNN"))
    parser.add_argument("--input-grad", action="store_true", help="the input requires grad too")
    return parser.parse_args()


def _step(m: Any, model: Any, x_data: Any, input_grad: bool) -> Callable[[], Any]:
    def run() -> Any:
        model.zero_grad()
        x = m.tensor(x_data, requires_grad=input_grad)
        out, state = model(x)
        h_n = state[0] if isinstance(state, tuple) else state
        (out.sum() + h_n.sum()).backward()
        return x.grad

    return run


def _time(
    contenders: dict[str, Callable[[], Any]], number: int, repeat: int
) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per call, contenders alternating within each repeat."""
    wall: dict[str, list[float]] = {k: [] for k in contenders}
    cpu: dict[str, list[float]] = {k: [] for k in contenders}
    for fn in contenders.values():
        for _ in range(number):
            fn()
    for _ in range(repeat):
        for name, fn in contenders.items():
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(number):
                fn()
            wall[name].append((time.perf_counter() - w0) / number)
            cpu[name].append((time.process_time() - c0) / number)
    return {k: (statistics.median(wall[k]), statistics.median(cpu[k])) for k in contenders}


def main() -> int:
    args = _parse()
    if args.threads:  # before NumPy loads its BLAS
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:0] = [os.path.join(root, "src"), root]
    import numpy as np
    import torch

    import dyngrad
    from benchmarks.harness import machine

    if args.threads:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    theirs = getattr(torch.nn, args.mode)(INPUT, HIDDEN)
    ours = getattr(dyngrad.nn, args.mode)(INPUT, HIDDEN)
    ours.load_state_dict(
        {k: dyngrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    )
    x = np.random.default_rng(0).standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)

    run_ours = _step(dyngrad, ours, x, args.input_grad)
    run_theirs = _step(torch, theirs, x, args.input_grad)
    got, want = run_ours(), run_theirs()
    if args.input_grad:
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-5)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-3, atol=1e-4)

    times = _time({"dyngrad": run_ours, "torch": run_theirs}, args.number, args.repeat)
    info = machine()
    grad_note = "input requires grad" if args.input_grad else "input without grad"
    print(
        f"{args.mode}: {SEQ} steps, batch {BATCH}, input {INPUT}, hidden {HIDDEN}, forward + backward ({grad_note})"
    )
    print(f"  machine: {info['cpu']}, {info['cores']} cores, load {os.getloadavg()[0]:.1f}; "
          f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}; torch threads {torch.get_num_threads()}")  # fmt: skip
    for name, (wall, cpu) in times.items():
        print(f"  {name:8s} wall {wall * 1e3:8.2f} ms   cpu {cpu * 1e3:8.2f} ms")
    (w_o, c_o), (w_t, c_t) = times["dyngrad"], times["torch"]
    print(f"  ratio dyngrad/torch: wall {w_o / w_t:.2f}, cpu {c_o / c_t:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
