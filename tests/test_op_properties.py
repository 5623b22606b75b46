"""Properties every differentiable op must have, whatever the op (issue 3's property tests):

- a gradient has its input's shape and dtype (broadcasting reduced, float32 kept float32);
- an out-of-place op never writes into its inputs, forward or backward;
- a leaf's ``.grad`` never shares memory with an input, with the seed gradient or with another
  leaf's ``.grad`` (a later in-place update of one must not change another).

Checked over every sample of the op table, and with Hypothesis drawing broadcastable shapes
for the binary elementwise ops (where the gradients are also compared with torch's when torch
is installed)."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import dyngrad
from op_db import OpInfo, Sample, all_ops

try:
    import torch
except ImportError:  # pragma: no cover - exercised on machines without torch
    torch = None


def _cases() -> list[Any]:
    cases = []
    for info in all_ops():
        if not info.grad or "float32" not in info.dtypes:
            continue
        rng = np.random.default_rng(zlib.crc32(f"{info.name}/properties".encode()))
        for k, sample in enumerate(info.samples(rng, np.dtype("float32"))):
            cases.append(pytest.param(info, sample, id=f"{info.name}-{sample.name or k}"))
    return cases


def _leaves(sample: Sample) -> list[Any]:
    out: list[Any] = []
    for i, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            t = dyngrad.tensor(a.copy())
            if a.ndim == 2 and not a.flags.c_contiguous:
                t = dyngrad.tensor(np.ascontiguousarray(a.T)).t().detach()
            out.append(t.requires_grad_(True) if sample.requires_grad(i, a) else t)
        else:
            out.append(a)
    return out


# ops that update buffers passed in, as torch does (batch norm's running statistics in training)
UPDATES_BUFFERS = {"F.batch_norm", "F.instance_norm"}


def _check_grads(leaves: list[Any], seeds: list[Any]) -> None:
    grads = [x for x in leaves if isinstance(x, dyngrad.Tensor) and x.grad is not None]
    arrays = [x._data for x in leaves if isinstance(x, dyngrad.Tensor)]
    arrays += [s._data for s in seeds]
    for x in grads:
        g = x.grad
        assert tuple(g.shape) == tuple(x.shape), "a gradient has its input's shape"
        assert g.dtype == x.dtype, "a gradient has its input's dtype"
        if g._data.size == 0:
            continue
        for a in arrays:
            assert not np.shares_memory(g._data, a), ".grad aliases an input or the seed"
        for other in grads:
            if other is not x and other.grad._data.size:
                assert not np.shares_memory(g._data, other.grad._data), "two .grad share memory"


@pytest.mark.parametrize("info,sample", _cases())
def test_gradients_are_fresh_and_inputs_untouched(info: OpInfo, sample: Sample) -> None:
    leaves = _leaves(sample)
    before = [x._data.copy() if isinstance(x, dyngrad.Tensor) else None for x in leaves]
    try:
        result = info.op(dyngrad, *leaves, **sample.kwargs)
    except (RuntimeError, TypeError, IndexError, ValueError, NotImplementedError) as exc:
        pytest.skip(f"the op refuses this sample (checked against torch by test_ops): {exc}")
    outs = [o for o in (result if isinstance(result, (tuple, list)) else [result])]
    outs = [o for o in outs if isinstance(o, dyngrad.Tensor) and o.grad_fn is not None]
    if not outs:
        pytest.skip("no differentiable output for this sample")
    rng = np.random.default_rng(0)
    seeds = [dyngrad.tensor(rng.standard_normal(tuple(o.shape)).astype(np.float32)) for o in outs]
    seeds = [s.to(o.dtype) for s, o in zip(seeds, outs)]
    dyngrad.autograd.backward(outs, seeds)
    in_place = info.name.endswith("_") or "inplace" in info.name or "setitem" in info.name
    if not in_place:  # an in-place entry writes into a clone of its input: nothing to check
        for x, b in zip(leaves, before):
            if b is None or (info.name in UPDATES_BUFFERS and not x.requires_grad):
                continue
            np.testing.assert_array_equal(x._data, b, err_msg="an input was written")
    _check_grads(leaves, seeds)


BINARY = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
    "pow": lambda m, a, b: a.abs() ** b,
    "maximum": lambda m, a, b: m.maximum(a, b),
    "minimum": lambda m, a, b: m.minimum(a, b),
    "atan2": lambda m, a, b: m.atan2(a, b),
    "hypot": lambda m, a, b: m.hypot(a, b),
    "where": lambda m, a, b: m.where(a > b, a, b),
    "lerp": lambda m, a, b: m.lerp(a, b, 0.3),
    "fmod": lambda m, a, b: m.fmod(a, b),
}


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(sorted(BINARY)),
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
    dtype=st.sampled_from(["float32", "float64"]),
    seed=st.integers(0, 2**16),
)
def test_broadcast_gradients(name: str, shapes: Any, dtype: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    # values kept away from 0 and from each other: every op here is smooth at such points
    a_np = (rng.uniform(0.5, 2.0, shapes.input_shapes[0]) * rng.choice([-1, 1])).astype(dtype)
    b_np = (rng.uniform(2.5, 4.0, shapes.input_shapes[1])).astype(dtype)
    a, b = dyngrad.tensor(a_np, requires_grad=True), dyngrad.tensor(b_np, requires_grad=True)
    y = BINARY[name](dyngrad, a, b)
    assert tuple(y.shape) == shapes.result_shape
    seed_grad = dyngrad.tensor(rng.standard_normal(shapes.result_shape).astype(dtype))
    y.backward(seed_grad)
    np.testing.assert_array_equal(a._data, a_np)
    np.testing.assert_array_equal(b._data, b_np)
    _check_grads([a, b], [seed_grad])
    if torch is None:
        return
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    BINARY[name](torch, ta, tb).backward(torch.tensor(seed_grad.numpy()))
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=tol, atol=tol)
