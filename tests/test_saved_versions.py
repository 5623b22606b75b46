"""Which tensors each op saves for backward, checked against torch through version counters.

Over the op table's float64 samples: the tensor inputs are made non-leaf (``leaf.clone()``),
with every input requiring grad and then only one at a time; the op runs; then ONE input or
ONE output is changed in place without changing its values (``t.add_(0)`` under no_grad: only
the version counter moves) and the gradients are taken. Backward must raise torch's
"modified by an inplace operation" exactly when torch's does: an op saving a tensor torch does
not save raises where torch computes gradients, and one saving too little misses torch's error.
"""

from __future__ import annotations

import os
import zlib
from typing import Any

import numpy as np
import pytest

import dyngrad
from op_db import OpInfo, Sample, all_ops

try:
    import torch
except ImportError:  # pragma: no cover - exercised on machines without torch
    torch = None  # type: ignore[assignment]

pytestmark = pytest.mark.skipif(
    torch is None, reason="PyTorch not installed: torch is the reference for what is saved"
)

MODIFIED = "modified by an inplace operation"
# torch's error on unpacking a saved tensor that is one of several views made by one op (an
# ``unbind`` or ``chunk`` output) after its base was changed in place: what it says instead of
# MODIFIED when the tensor it saved is such a view (its LSTM gets h₀ and c₀ from ``unbind``)
SAVED_VIEW = "is a view and its base or another view of its base has been modified inplace"
# the first non-empty samples of each op (keeps the file well under a minute); the
# environment variable SAVED_VERSIONS_SAMPLES=0 takes them all (some minutes)
SAMPLES_PER_OP = int(os.environ.get("SAVED_VERSIONS_SAMPLES", "3")) or None

# Ops whose torch behaviour is not imitated, with the reason (none so far).
EXCEPTIONS: dict[str, str] = {}

# In-place changes not compared, where the op table's torch reference is not torch's own op:
# (op, sample, "input"/"output", index) -> the reason.
NOT_COMPARED: dict[tuple[str, str, str, int], str] = {
    (op, sample, "input", 0): "the table runs torch's one-direction LSTM on x.flip(0) "
    "(torch.lstm has no reverse flag), so torch's x is a copy there; torch's bidirectional "
    "LSTM saves x for its reverse direction as dyngrad's layer does "
    "(test_lstm_reverse_direction_saves_x in tests/fuzz/test_regressions_saved.py)"
    for op, sample in (("lstm_layer", "reverse"), ("lstm_layer", "projection-reverse"))
}

# Known differences not fixable by declaring what an op saves (the op's code must change):
# expected to fail until fixed (strict: a fix makes the test say so).
_CELL_GRAD = (
    "a fused gradient op: torch's reference differentiates its composite cell, whose graph "
    "saves intermediate values (activations, the summed state gradient) where this op saves "
    "its inputs, and reads them for the second derivative on every backward; matching would "
    "mean snapshotting those inputs or recording the composite (no value differs)"
)
KNOWN_GAPS: dict[str, str] = {"lstm_cell_grad": _CELL_GRAD, "gru_cell_grad": _CELL_GRAD}


def _ops() -> list[Any]:
    params = []
    for info in all_ops():
        if not info.grad or "float64" not in info.dtypes or info.name in EXCEPTIONS:
            continue
        marks: tuple[Any, ...] = ()
        if info.name in KNOWN_GAPS:
            marks = (pytest.mark.xfail(reason=KNOWN_GAPS[info.name], strict=True),)
        params.append(pytest.param(info, id=info.name, marks=marks))
    return params


def _samples(info: OpInfo) -> list[Sample]:
    rng = np.random.default_rng(zlib.crc32(f"{info.name}/float64".encode()))
    samples = info.samples(rng, np.dtype("float64"))
    # samples with something to save (every array input non-empty), those with keyword
    # arguments not seen yet first (``norm(p=0)`` saves what ``norm(p=2)`` does not)
    full = [s for s in samples if all(a.size for a in s.args if isinstance(a, np.ndarray))]
    seen: set[str] = set()
    new: list[Sample] = []
    repeated: list[Sample] = []
    for s in full:
        key = repr(sorted(s.kwargs.items()))
        (repeated if key in seen else new).append(s)
        seen.add(key)
    return (new + repeated)[:SAMPLES_PER_OP]


def _tensor(module: Any, a: np.ndarray) -> Any:
    if a.ndim == 2 and not a.flags.c_contiguous:  # keep the transposed layout
        return module.tensor(np.ascontiguousarray(a.T)).t()
    return module.tensor(a.copy())


def _bump(t: Any) -> None:
    """Move ``t``'s version counter without changing its values."""
    if t.dtype == t.new_zeros(()).bool().dtype:
        t.logical_or_(t)
    else:
        t.add_(0)


def _outcome(module: Any, info: OpInfo, sample: Sample, wants_grad: tuple[bool, ...],
             target: tuple[str, int], seed: int | None) -> str:  # fmt: skip
    """What happens: "ok", "modified" (torch's error), or "skip: ..." (the case does not
    reach backward: the op or the in-place change refuses, or no gradient is asked).
    ``seed``: backward from that differentiable output alone (None: from all of them)."""
    leaves, args = [], []
    for i, a in enumerate(sample.args):
        if not isinstance(a, np.ndarray):
            args.append(a)
            continue
        t = _tensor(module, a)
        if wants_grad[i]:
            t.requires_grad_(True)
            leaves.append(t)
        args.append(t.clone())  # non-leaf: an in-place change of it is allowed
    try:
        result = info.op(module, *args, **sample.kwargs)
    except Exception as exc:
        return f"skip: forward raised {type(exc).__name__}"
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    outs = [o for o in outs if isinstance(o, module.Tensor)]
    kind, k = target
    pool = [a for a in args if isinstance(a, module.Tensor)] if kind == "input" else outs
    if k >= len(pool):
        return "skip: no such tensor"
    differentiable = [o for o in outs if o.requires_grad]
    if not differentiable:
        return "skip: no differentiable output"
    if seed is not None:
        if len(differentiable) < 2 or seed >= len(differentiable):
            return "skip: one output (the case without seed covers it)"
        differentiable = [differentiable[seed]]
    try:
        with module.no_grad():
            _bump(pool[k])
    except Exception as exc:
        return f"skip: the in-place change raised {type(exc).__name__}"
    try:
        module.autograd.grad(
            differentiable,
            leaves,
            [module.ones_like(o) for o in differentiable],
            allow_unused=True,
        )
    except RuntimeError as exc:
        if MODIFIED in str(exc) or SAVED_VIEW in str(exc):
            return "modified"
        return f"error: {type(exc).__name__}: {str(exc)[:80]}"
    return "ok"


def _patterns(sample: Sample) -> list[tuple[bool, ...]]:
    """Every input that can require grad does; then each alone (when there are several)."""
    able = [
        isinstance(a, np.ndarray) and sample.requires_grad(i, a) for i, a in enumerate(sample.args)
    ]
    out = [tuple(able)]
    if sum(able) > 1:
        out += [tuple(j == i for j in range(len(able))) for i, ok in enumerate(able) if ok]
    return out


def _differentiable_outputs(info: OpInfo, sample: Sample) -> int:
    """How many of torch's outputs require grad when every input that can does."""
    args = [
        torch.tensor(a, requires_grad=sample.requires_grad(i, a)) if isinstance(a, np.ndarray)
        else a
        for i, a in enumerate(sample.args)
    ]  # fmt: skip
    try:
        result = info.op(torch, *args, **sample.kwargs)
    except Exception:
        return 0
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    return sum(isinstance(o, torch.Tensor) and o.requires_grad for o in outs)


@pytest.mark.parametrize("info", _ops())
def test_inplace_change_after_op_raises_iff_torch_does(info: OpInfo) -> None:
    mismatches = []
    for sample in _samples(info):
        n_in = sum(isinstance(a, np.ndarray) for a in sample.args)
        targets = [("input", k) for k in range(n_in)] + [("output", k) for k in range(4)]
        n_out = _differentiable_outputs(info, sample)
        seeds = [None] + (list(range(n_out)) if n_out > 1 else [])  # (then each alone)
        for wants in _patterns(sample):
            if not any(wants):
                continue
            for target in targets:
                if (info.name, sample.name, *target) in NOT_COMPARED:
                    continue
                for seed in seeds:
                    theirs = _outcome(torch, info, sample, wants, target, seed)
                    if theirs.startswith("skip"):
                        continue
                    ours = _outcome(dyngrad, info, sample, wants, target, seed)
                    if (ours == "modified") != (theirs == "modified"):
                        mismatches.append(
                            f"{sample.name or '?'} grad={wants} {target[0]} {target[1]} "
                            f"changed, backward from output {seed}: torch {theirs}, dyngrad {ours}"
                        )
    assert not mismatches, "\n".join(mismatches)
