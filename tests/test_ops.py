"""Every op in the op table: forward and backward against torch, gradcheck and gradgradcheck
in float64 (no torch needed), no graph under no_grad, float32 in gives float32 gradients."""

from __future__ import annotations

import warnings
import zlib
from typing import Any

import numpy as np
import pytest

import dyngrad
from dyngrad.autograd.gradcheck import gradcheck, gradgradcheck
from dyngrad.ops._registry import public_node_types
from op_db import OpInfo, Sample, all_ops

try:
    import torch
except ImportError:  # pragma: no cover - exercised on machines without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed: parity test skipped")

OPS = all_ops()


def _cases(dtypes: tuple[str, ...] | None = None, attr: str | None = None) -> list[Any]:
    cases = []
    for info in OPS:
        if attr and not getattr(info, attr):
            continue
        for dtype in dtypes or info.dtypes:
            if dtype not in info.dtypes:
                continue
            rng = np.random.default_rng(zlib.crc32(f"{info.name}/{dtype}".encode()))
            for k, sample in enumerate(info.samples(rng, np.dtype(dtype))):
                cases.append(
                    pytest.param(info, sample, id=f"{info.name}-{dtype}-{sample.name or k}")
                )
    return cases


def _inputs(module: Any, sample: Sample, requires_grad: bool = True) -> list[Any]:
    out = []
    for i, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            t = module.tensor(a.copy()) if module is dyngrad else module.tensor(a.copy())
            if a.ndim == 2 and not a.flags.c_contiguous:
                # keep the non-contiguous layout: transpose a contiguous copy
                t = module.tensor(np.ascontiguousarray(a.T)).t()
            if requires_grad and sample.requires_grad(i, a):
                if t.is_leaf:
                    t.requires_grad_(True)
                else:
                    t = t.detach().requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def _run(info: OpInfo, module: Any, args: list[Any], sample: Sample) -> Any:
    return info.op(module, *args, **sample.kwargs)


def _outputs(result: Any) -> list[Any]:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _to_np(t: Any) -> np.ndarray:
    return t.detach().numpy()


@needs_torch
@pytest.mark.parametrize("info,sample", _cases())
def test_forward_matches_torch(info: OpInfo, sample: Sample) -> None:
    try:
        theirs = _outputs(_run(info, torch, _inputs(torch, sample), sample))
    except Exception as exc:  # torch refuses this sample: we must refuse it the same way
        with pytest.raises(type(exc)):
            _run(info, dyngrad, _inputs(dyngrad, sample), sample)
        return
    with warnings.catch_warnings(record=True) as caught:
        # NumPy warnings must not reach the user (torch gives inf/nan silently). "always"
        # goes after dyngrad's own filters, so only what a user would see is recorded.
        warnings.filterwarnings("always", category=RuntimeWarning, append=True)
        ours = _outputs(_run(info, dyngrad, _inputs(dyngrad, sample), sample))
    leaked = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not leaked, leaked
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert str(o.dtype) == str(t.dtype)
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(_to_np(o), _to_np(t), rtol=info.rtol, atol=info.atol)
        if info.check_grad_fn:
            assert o.requires_grad == t.requires_grad
            if t.grad_fn is not None:
                assert type(o.grad_fn).__name__ == type(t.grad_fn).__name__


@needs_torch
@pytest.mark.parametrize("info,sample", _cases(attr="grad"))
def test_backward_matches_torch(info: OpInfo, sample: Sample) -> None:
    ours_in = _inputs(dyngrad, sample)
    theirs_in = _inputs(torch, sample)
    try:
        theirs = [t for t in _outputs(_run(info, torch, theirs_in, sample)) if t.requires_grad]
    except Exception:
        pytest.skip("torch refuses this sample (checked by the forward test)")
    ours = [o for o in _outputs(_run(info, dyngrad, ours_in, sample)) if o.requires_grad]
    if not theirs:
        pytest.skip("no differentiable output for this sample")
    rng = np.random.default_rng(0)
    seeds = [rng.standard_normal(tuple(t.shape)).astype(str(t.dtype).split(".")[1]) for t in theirs]
    leaves_o = [x for x in ours_in if isinstance(x, dyngrad.Tensor) and x.requires_grad]
    leaves_t = [x for x in theirs_in if isinstance(x, torch.Tensor) and x.requires_grad]
    g_o = dyngrad.autograd.grad(
        ours, leaves_o, [dyngrad.tensor(s) for s in seeds], allow_unused=True
    )
    g_t = torch.autograd.grad(theirs, leaves_t, [torch.tensor(s) for s in seeds], allow_unused=True)
    for a, b, leaf in zip(g_o, g_t, leaves_o):
        if b is None:
            assert a is None or not np.any(_to_np(a))
            continue
        assert a is not None
        assert a.dtype == leaf.dtype and tuple(a.shape) == tuple(leaf.shape)
        np.testing.assert_allclose(_to_np(a), _to_np(b), rtol=info.grad_rtol, atol=info.grad_atol)


def _float64_case(info: OpInfo, sample: Sample) -> tuple[Any, list[Any]]:
    args = _inputs(dyngrad, sample)
    try:
        info.op(dyngrad, *args, **sample.kwargs)
    except (RuntimeError, TypeError, IndexError, ValueError):
        pytest.skip("the op refuses this sample (checked against torch by the forward test)")

    def fn(*xs: Any) -> Any:
        return info.op(dyngrad, *xs, **sample.kwargs)

    return fn, args


@pytest.mark.parametrize("info,sample", _cases(dtypes=("float64",), attr="gradcheck"))
def test_gradcheck(info: OpInfo, sample: Sample) -> None:
    fn, args = _float64_case(info, sample)
    assert gradcheck(fn, args, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("info,sample", _cases(dtypes=("float64",), attr="gradgrad"))
def test_gradgradcheck(info: OpInfo, sample: Sample) -> None:
    if not sample.gradgrad:
        pytest.skip("no second derivative at this sample's point")
    fn, args = _float64_case(info, sample)
    if not any(o.requires_grad for o in _outputs(fn(*args))):
        pytest.skip("no differentiable output for this sample")
    assert gradgradcheck(fn, args, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("info,sample", _cases(dtypes=("float32",), attr="grad"))
def test_no_graph_under_no_grad_and_float32_grads(info: OpInfo, sample: Sample) -> None:
    args = _inputs(dyngrad, sample)
    try:
        info.op(dyngrad, *args, **sample.kwargs)
    except (RuntimeError, TypeError, IndexError, ValueError):
        pytest.skip("the op refuses this sample (checked against torch by the forward test)")
    with dyngrad.no_grad():
        for o in _outputs(info.op(dyngrad, *args, **sample.kwargs)):
            # as in torch, a view made under no_grad requires grad when its base does
            view_of_grad = o._base is not None and o._base.requires_grad
            assert o.grad_fn is None and o.requires_grad == view_of_grad
    outs = [o for o in _outputs(info.op(dyngrad, *args, **sample.kwargs)) if o.requires_grad]
    if not outs:
        return
    leaves = [x for x in args if isinstance(x, dyngrad.Tensor) and x.requires_grad]
    before = [x.numpy(force=True).copy() for x in leaves]
    grads = dyngrad.autograd.grad(
        outs, leaves, [dyngrad.ones_like(o) for o in outs], allow_unused=True
    )
    for g, x, b in zip(grads, leaves, before):
        np.testing.assert_array_equal(x.numpy(force=True), b)  # inputs never mutated
        if g is not None:
            assert g.dtype == dyngrad.float32
            assert not np.shares_memory(g.numpy(), x.numpy(force=True))


def test_every_registered_node_is_in_the_op_table() -> None:
    covered = {n for info in OPS for n in info.nodes}
    internal = {"SumToSizeBackward0", "IndexPutBackward0", "ToCopyBackward0", "FillBackward0",
                "ZeroBackward0", "AliasBackward0"}  # fmt: skip
    differentiable = {
        name for name, cls in public_node_types().items()
        if getattr(cls, "differentiable", True) and not name.startswith("_")
    }  # fmt: skip
    missing = sorted(differentiable - covered - internal)
    assert not missing, f"ops with no op-table entry: {missing}"
