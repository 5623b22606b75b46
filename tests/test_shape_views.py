"""Shape ops beyond the op table: views share memory and the version counter with their base,
result strides follow torch's (so later view/reshape decisions match), conversions' odd
corners (``type()`` names, devices), and torch's deprecation warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dyngrad

try:
    import torch
except ImportError:  # pragma: no cover - exercised on machines without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed: parity test skipped")

VIEWS = {
    "view": lambda x: x.view(4, 3),
    "reshape": lambda x: x.reshape(2, 6),
    "reshape_alias": lambda x: x.t().reshape(4, 3),
    "flatten": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (2, 2)),
    "expand": lambda x: x[:1].expand(5, 4),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "squeeze": lambda x: x[:1].squeeze(0),
    "transpose": lambda x: x.transpose(0, 1),
    "t": lambda x: x.t(),
    "permute": lambda x: x.permute(1, 0),
    "movedim": lambda x: x.movedim(0, 1),
    "mT": lambda x: x.mT,
    "T": lambda x: x.T,
    "narrow": lambda x: x.narrow(1, 1, 2),
    "select": lambda x: x.select(1, 2),
    "split": lambda x: x.split(2, 1)[1],
    "chunk": lambda x: x.chunk(2, 0)[0],
    "unbind": lambda x: x.unbind(0)[1],
    "tensor_split": lambda x: x.tensor_split(2, 1)[1],
    "broadcast_to": lambda x: dyngrad.broadcast_to(x[0], (2, 4)),
    "detach": lambda x: x.detach(),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_shares_memory_and_version_counter(name: str) -> None:
    base = dyngrad.arange(12.0).reshape(3, 4)
    v = VIEWS[name](base)
    assert np.shares_memory(v.numpy(), base.numpy())
    before = base._version
    v.mul_(1) if name not in ("expand", "broadcast_to") else base.mul_(1)
    assert base._version == v._version == before + 1


def test_write_through_view_is_seen_by_base() -> None:
    base = dyngrad.zeros(3, 4)
    base.t().reshape(2, 2, 3)[1].add_(1.0)  # a view of a non-contiguous view
    col = base.view(12)
    col[0] = 5.0
    expected = np.zeros((3, 4), np.float32)
    expected.T.reshape(2, 2, 3)[1] += 1.0
    expected.reshape(12)[0] = 5.0
    np.testing.assert_array_equal(base.numpy(), expected)
    assert base._version == 2


@pytest.mark.parametrize("make", [
    lambda x: x.t().reshape(12),  # copy: UnsafeViewBackward0
    lambda x: x.t().contiguous(),
    lambda x: x.clone(),
    lambda x: x.repeat(1, 1),
    lambda x: x.flip(0),
    lambda x: x.roll(1),
    lambda x: dyngrad.cat([x, x]),
    lambda x: x.double(),
])  # fmt: skip
def test_copies_do_not_share_memory(make) -> None:  # type: ignore[no-untyped-def]
    base = dyngrad.arange(12.0).reshape(3, 4)
    out = make(base)
    assert not np.shares_memory(out.numpy(), base.numpy())
    out.add_(1)
    assert base._version == 0


def test_view_error_and_reshape_copy_match_torch_contiguity() -> None:
    x = dyngrad.zeros(3, 4)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().view(12)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().clone().view(12)  # clone keeps the transposed layout (preserve_format)
    assert x.t().contiguous().view(12).shape == (12,)


STRIDE_CASES = {
    "clone_t": lambda m, x: x.t().clone(),
    "clone_perm": lambda m, x: x.reshape(2, 3, 2).permute(2, 0, 1).clone(),
    "clone_slice": lambda m, x: x[:, ::2].clone(),
    "clone_expand": lambda m, x: x[:1].expand(2, 3, 4).clone(),
    "contiguous_t": lambda m, x: x.t().contiguous(),
    "to_t": lambda m, x: x.t().double(),
    "reshape_alias": lambda m, x: x.t().reshape(2, 2, 3),
    "reshape_copy": lambda m, x: x.t().reshape(12),
    "view_split": lambda m, x: x[:, :2].view(3, 1, 2),
    "view_expand": lambda m, x: x.expand(2, 3, 4).view(2, 12),
    "permute": lambda m, x: x.reshape(2, 3, 2).permute(2, 0, 1),
    "flip_t": lambda m, x: x.t().flip(0),
    "unflatten_t": lambda m, x: x.t().unflatten(0, (2, 2)),
    "repeat_interleave": lambda m, x: x.repeat_interleave(2, 1),
    "split": lambda m, x: x.split(3, 1)[1],
    "unbind_t": lambda m, x: x.t().unbind(0)[1],
}


@needs_torch
@pytest.mark.parametrize("name", sorted(STRIDE_CASES))
def test_result_strides_match_torch(name: str) -> None:
    ours = STRIDE_CASES[name](dyngrad, dyngrad.arange(12.0).reshape(3, 4))
    theirs = STRIDE_CASES[name](torch, torch.arange(12.0).reshape(3, 4))
    assert ours.shape == theirs.shape
    assert ours.stride() == theirs.stride()
    assert ours.is_contiguous() == theirs.is_contiguous()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@needs_torch
def test_type_names_match_torch() -> None:
    for name in ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
                 "bool"):  # fmt: skip
        ours = dyngrad.zeros(2, dtype=getattr(dyngrad, name))
        theirs = torch.zeros(2, dtype=getattr(torch, name))
        assert ours.type() == theirs.type()
        assert ours.type(ours.type()) is ours
        assert ours.float().type("torch.LongTensor").dtype is dyngrad.int64


def test_conversion_to_same_dtype_is_identity_and_to_int_leaves_graph() -> None:
    x = dyngrad.ones(3, requires_grad=True)
    assert x.float() is x and x.to(dyngrad.float32) is x and x.type(dyngrad.float32) is x
    assert x.to(x) is x and x.type_as(x) is x and x.contiguous() is x
    y = x.to(dyngrad.float32, copy=True)
    assert y is not x and type(y.grad_fn).__name__ == "ToCopyBackward0"
    n = x.long()
    assert n.dtype is dyngrad.int64 and not n.requires_grad and n.grad_fn is None
    assert not x.bool().requires_grad


def test_devices() -> None:
    x = dyngrad.ones(2)
    assert x.to("cpu") is x and x.cpu() is x
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="device type at start of device string"):
        x.to("tpu")


# torch warns once per process: the text it prints for each case (recorded from torch 2.13)
T_ND = (
    "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
    "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
    "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
    "tensor."
)
IDENTITY = "is deprecated on 0-D tensors. This function is the identity in these cases."
DEPRECATIONS = {
    ((2, 3, 4), "T"): T_ND,
    ((3,), "T"): T_ND,
    ((), "T"): f"Tensor.T {IDENTITY}",
    ((), "mT"): f"Tensor.mT {IDENTITY}",
    ((), "mH"): "Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().",
    ((), "H"): "Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
    ((), "adjoint"): "adjoint() is deprecated on 0-D tensors. Consider using x.conj().",
}


@pytest.mark.parametrize("shape,attr", sorted(DEPRECATIONS))
def test_deprecation_warnings_once_per_process(shape: tuple[int, ...], attr: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from dyngrad.ops import shape_permute

    monkeypatch.setattr(shape_permute, "_WARNED", set())
    for expected in (1, 0):  # shown the first time only
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            x = dyngrad.zeros(shape)
            out = x.adjoint() if attr == "adjoint" else getattr(x, attr)
        assert [str(w.message) for w in ours] == [DEPRECATIONS[shape, attr]] * expected
        assert all(w.category is UserWarning and w.filename == __file__ for w in ours)
        assert out.shape == tuple(reversed(shape))


def test_no_warning_for_matrix_T() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dyngrad.zeros(2, 3).T.shape == (3, 2)


def test_only_some_split_outputs_used() -> None:
    x = dyngrad.arange(6.0).requires_grad_()
    a, b, c = x.split(2)
    (b * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 3, 3, 0, 0])
    x.grad = None
    first, _ = x.unbind(0)[:2]
    first.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 0, 0, 0, 0])


def test_higher_order_through_views() -> None:
    x = dyngrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x.t().reshape(4) ** 3).sum()
    (g,) = dyngrad.autograd.grad(y, x, create_graph=True)
    (gg,) = dyngrad.autograd.grad(g.flip(0).roll(1, 1).sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())


def _factor(n: int, parts: list[int]) -> tuple[int, ...]:
    """Split ``n`` into ``len(parts) + 1`` factors, choosing divisors by ``parts``."""
    out = []
    for p in parts:
        divisors = [d for d in range(1, n + 1) if n % d == 0]
        d = divisors[p % len(divisors)]
        out.append(d)
        n //= d
    return (*out, n)


@needs_torch
@settings(max_examples=300, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    perm_seed=st.integers(0, 10**6),
    steps=st.lists(st.sampled_from([None, 1, 2]), min_size=5, max_size=5),
    expanded=st.booleans(),
    parts=st.lists(st.integers(0, 10), min_size=0, max_size=3),
)
def test_view_and_reshape_decide_like_torch(shape, perm_seed, steps, expanded, parts) -> None:  # type: ignore[no-untyped-def]
    """On random strided tensors (permuted, sliced, expanded), ``view`` succeeds or fails as
    torch's does with the same strides, and ``reshape`` is a view exactly when torch's is."""
    perm = list(np.random.default_rng(perm_seed).permutation(len(shape)))
    index = tuple(slice(None, None, s) if s else slice(0, max(1, n // 2)) for s, n in
                  zip(steps, shape))  # fmt: skip

    def make(m):  # type: ignore[no-untyped-def]
        x = m.arange(float(np.prod(shape))).reshape(shape).permute(*perm)[index]
        return x.unsqueeze(0).expand(2, *x.shape) if expanded else x

    ours, theirs = make(dyngrad), make(torch)
    assert ours.stride() == theirs.stride()
    new = _factor(theirs.numel(), parts)
    try:
        t_view = theirs.view(new)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="view size is not compatible"):
            ours.view(new)
    else:
        o_view = ours.view(new)
        assert o_view.stride() == t_view.stride()
        np.testing.assert_array_equal(o_view.numpy(), t_view.numpy())
    o_res, t_res = ours.reshape(new), theirs.reshape(new)
    assert o_res.stride() == t_res.stride()
    np.testing.assert_array_equal(o_res.numpy(), t_res.numpy())
    assert np.shares_memory(o_res.numpy(), ours.numpy()) == (t_res._base is not None)
