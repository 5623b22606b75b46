"""The Tensor API against torch: metadata, conversions, autograd state, copying, pickling.

Parity cases run the same function on both modules (``m`` is ``torch`` or ``dyngrad``) and
compare what comes back (values, dtypes, shapes, reprs) or what is raised (exception class
and message). Tests that need no torch check dyngrad's own invariants (shared memory,
identity hashing, pickling round trips).
"""

from __future__ import annotations

import contextlib
import copy
import pickle
import subprocess
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad
from outcomes import outcome, wording

try:
    import torch
except ImportError:  # pragma: no cover - the parity tests skip
    torch = None

requires_torch = pytest.mark.skipif(
    torch is None, reason="PyTorch not installed: parity test skipped"
)

DTYPE_NAMES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
ALIASES = ["float", "double", "half", "long", "int", "short", "bool"]


def assert_same(fn: Callable[[Any], Any]) -> None:
    assert outcome(fn, dyngrad) == outcome(fn, torch)


def warning_texts(fn: Callable[[Any], Any], module: Any) -> list[tuple[str, str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with contextlib.suppress(Exception):  # only the warnings matter here
            fn(module)
    return [(w.category.__name__, wording(str(w.message))) for w in caught]


def _leaf(m: Any, values: Any = (1.0, 2.0, 3.0)) -> Any:
    return m.tensor(list(values), requires_grad=True)


def _nonleaf(m: Any) -> Any:
    return _leaf(m) * 2


def _set_grad(t: Any, value: Any) -> Any:
    t.grad = value
    return t.grad


def _set_requires_grad(t: Any, value: bool) -> Any:
    t.requires_grad = value
    return t.requires_grad


def _detached_write(m: Any) -> Any:
    x = m.tensor([1.0, 2.0])
    d = x.detach()
    d.add_(1)
    return x, x._version, d._version


def _detach_inplace(m: Any) -> Any:
    y = _nonleaf(m)
    y.detach_()
    return y.requires_grad, y.is_leaf, y.grad_fn is None


def _zero_fill(m: Any) -> Any:
    x = m.tensor([1.5, 2.5])
    v0 = x._version
    x.zero_()
    v1 = x._version
    x.fill_(7)
    return x, v0, v1, x._version


def _contains(m: Any, element: Any) -> Any:
    return element(m) in m.tensor([[1, 2], [3, 4]])


PARITY: dict[str, Callable[[Any], Any]] = {
    # dtypes and metadata
    "dtype_names": lambda m: [str(getattr(m, n)) for n in DTYPE_NAMES + ALIASES],
    "dtype_flags": lambda m: [
        (
            getattr(m, n).is_floating_point,
            getattr(m, n).is_signed,
            getattr(m, n).itemsize,
            getattr(m, n).is_complex,
        )
        for n in DTYPE_NAMES
    ],  # fmt: skip
    "alias_identity": lambda m: [
        getattr(m, a) == getattr(m, n)
        for a, n in (
            ("float", "float32"),
            ("double", "float64"),
            ("half", "float16"),
            ("long", "int64"),
            ("int", "int32"),
            ("short", "int16"),
        )
    ],  # fmt: skip
    "tensor_dtypes": lambda m: [m.zeros(2, dtype=getattr(m, n)).dtype for n in DTYPE_NAMES],
    "shape_repr": lambda m: repr(m.zeros(2, 3).shape),
    "shape_str": lambda m: str(m.zeros(2, 3).shape),
    "size": lambda m: m.zeros(2, 3).size(),
    "size_dims": lambda m: [m.zeros(2, 3, 4).size(d) for d in (0, 1, 2, -1, -2, -3)],
    "size_dim_keyword": lambda m: m.zeros(2, 3).size(dim=1),
    "size_out_of_range": lambda m: m.zeros(2, 3).size(2),
    "size_out_of_range_negative": lambda m: m.zeros(2, 3).size(-3),
    "size_of_0d": lambda m: m.tensor(1.0).size(0),
    "size_of_0d_negative": lambda m: m.tensor(1.0).size(-1),
    "stride_of_0d": lambda m: m.tensor(1.0).stride(0),
    "strides": lambda m: (m.zeros(2, 3).stride(), m.zeros(2, 3).stride(-1)),
    "dim_ndim_numel": lambda m: [
        (t.dim(), t.ndim, t.numel())
        for t in (m.tensor(1.0), m.zeros(3), m.zeros(2, 0), m.zeros(2, 3, 4))
    ],  # fmt: skip
    "len": lambda m: (len(m.zeros(4, 2)), len(m.zeros(0))),
    "len_0d": lambda m: len(m.tensor(1.0)),
    "iter_0d": lambda m: iter(m.tensor(1.0)),
    "iter_rows": lambda m: list(m.tensor([[1, 2], [3, 4]])),
    "iter_grad_fn": lambda m: [type(r.grad_fn).__name__ for r in _leaf(m)],
    # conversions
    "item": lambda m: [
        m.tensor(v, dtype=getattr(m, n)).item()
        for n, v in (
            ("float32", 1.5),
            ("float64", 2.25),
            ("int64", 3),
            ("int8", -2),
            ("uint8", 200),
            ("bool", True),
        )
    ],  # fmt: skip
    "item_types": lambda m: [type(m.tensor([[v]]).item()).__name__ for v in (1.5, 2, True)],
    "item_many": lambda m: m.tensor([1.0, 2.0]).item(),
    "item_empty": lambda m: m.tensor([]).item(),
    "tolist": lambda m: (
        m.tensor([[1, 2], [3, 4]]).tolist(),
        m.tensor(2.5).tolist(),
        m.tensor([True, False]).tolist(),
        m.zeros(2, 0).tolist(),
    ),  # fmt: skip
    "numpy_requires_grad": lambda m: _leaf(m).numpy(),
    "numpy_dtype": lambda m: [
        str(m.zeros(1, dtype=getattr(m, n)).numpy().dtype) for n in DTYPE_NAMES
    ],
    "array_requires_grad": lambda m: np.asarray(_leaf(m)),
    "bool_one": lambda m: (bool(m.tensor([0.0])), bool(m.tensor([[3]])), bool(m.tensor(True))),
    "bool_many": lambda m: bool(m.tensor([1, 2])),
    "bool_empty": lambda m: bool(m.tensor([])),
    "float_int": lambda m: (float(m.tensor([[2.5]])), int(m.tensor(-3.7)), int(m.tensor(True))),
    "float_many": lambda m: float(m.tensor([1.0, 2.0])),
    "int_many": lambda m: int(m.tensor([1, 2])),
    "float_empty": lambda m: float(m.tensor([])),
    "index": lambda m: (
        [10, 20, 30][m.tensor(1)],
        [10, 20, 30][m.tensor([2])],
        range(5)[m.tensor(True)],
    ),
    "index_float": lambda m: [1, 2, 3][m.tensor(1.0)],
    "index_many": lambda m: [1, 2, 3][m.tensor([1, 2])],
    "format_0d": lambda m: (
        f"{m.tensor(2.5):.2f}",
        f"{m.tensor(3):5d}",
        f"{m.tensor(1.0):e}",
        format(m.tensor(2.5)),
        f"{m.tensor(True)}",
    ),  # fmt: skip
    "format_0d_requires_grad": lambda m: f"{m.tensor(2.5, requires_grad=True):.3f}",
    "format_nd_spec": lambda m: f"{m.tensor([2.5]):.2f}",
    "format_nd_plain": lambda m: (f"{m.tensor([2.5])}", format(m.tensor([[1, 2]]), "")),
    "contains": lambda m: [
        _contains(m, e)
        for e in (
            lambda m: 2,
            lambda m: 7,
            lambda m: 2.0,
            lambda m: True,
            lambda m: m.tensor([1, 2]),
            lambda m: m.tensor([1, 5]),
            lambda m: m.tensor(4),
        )
    ],  # fmt: skip
    "contains_list": lambda m: _contains(m, lambda m: [1, 2]),
    "contains_none": lambda m: _contains(m, lambda m: None),
    "contains_mismatch": lambda m: _contains(m, lambda m: m.tensor([1, 2, 3])),
    # device and sizes in bytes
    "device": lambda m: (
        repr(m.zeros(2).device),
        str(m.zeros(2).device),
        m.zeros(2).device.type,
        m.zeros(2).device.index,
        m.zeros(2).is_cpu,
        m.zeros(2).is_cuda,
    ),  # fmt: skip
    "device_equality": lambda m: (
        m.zeros(2).device == m.device("cpu"),
        m.zeros(2).device == "cpu",
        m.device("cpu") == m.device("cpu:0"),
        str(m.device("cpu:0")),
        repr(m.device("cpu", 0)),
    ),  # fmt: skip
    "device_bad": lambda m: m.device("abc"),
    "device_bad_index": lambda m: m.device("cpu:x"),
    "device_empty": lambda m: m.device(""),
    "to_cpu": lambda m: (m.zeros(2).to("cpu"), m.zeros(2).to(m.device("cpu")), m.zeros(2).cpu()),
    "bytes": lambda m: [
        (
            m.zeros(3, dtype=getattr(m, n)).element_size(),
            m.zeros(3, dtype=getattr(m, n)).nbytes,
            m.zeros(3, dtype=getattr(m, n)).itemsize,
        )
        for n in DTYPE_NAMES
    ],  # fmt: skip
    "is_floating_point": lambda m: [
        m.zeros(1, dtype=getattr(m, n)).is_floating_point() for n in DTYPE_NAMES
    ],
    "legacy_type_names": lambda m: [m.zeros(1, dtype=getattr(m, n)).type() for n in DTYPE_NAMES],
    "type_convert": lambda m: (
        m.tensor([1.5, -2.5]).type(m.int32),
        m.tensor([1.5]).type("torch.DoubleTensor"),
        m.tensor([0.0, 2.0]).type(m.bool),
    ),  # fmt: skip
    # autograd state
    "requires_grad_int_tensor": lambda m: m.tensor([1, 2], requires_grad=True),
    "requires_grad_int_method": lambda m: m.tensor([1, 2]).requires_grad_(),
    "requires_grad_int_setter": lambda m: _set_requires_grad(m.tensor([1, 2]), True),
    "requires_grad_int_false": lambda m: m.tensor([1, 2]).requires_grad_(False).requires_grad,
    "requires_grad_nonleaf_false": lambda m: _nonleaf(m).requires_grad_(False),
    "requires_grad_nonleaf_setter": lambda m: _set_requires_grad(_nonleaf(m), False),
    "requires_grad_nonleaf_true": lambda m: _nonleaf(m).requires_grad_(True).requires_grad,
    "requires_grad_leaf_toggle": lambda m: (
        _leaf(m).requires_grad_(False).requires_grad,
        m.zeros(2).requires_grad_().requires_grad,
    ),  # fmt: skip
    "grad_fn_and_leaf": lambda m: (
        type(_nonleaf(m).grad_fn).__name__,
        _nonleaf(m).is_leaf,
        _leaf(m).is_leaf,
        _leaf(m).grad_fn,
        m.zeros(2).is_leaf,
    ),  # fmt: skip
    "set_grad_dtype": lambda m: _set_grad(_leaf(m), m.zeros(3, dtype=m.float64)),
    "set_grad_shape": lambda m: _set_grad(_leaf(m), m.zeros(4)),
    "set_grad_type": lambda m: _set_grad(_leaf(m), 3),
    "set_grad_ok": lambda m: _set_grad(_leaf(m), m.ones(3)),
    "set_grad_none": lambda m: _set_grad(_leaf(m), None),
    "set_grad_int_tensor": lambda m: _set_grad(m.tensor([1, 2]), m.tensor([3, 4])),
    "detach_shares_version": _detached_write,
    "detach_": _detach_inplace,
    "detach_flags": lambda m: (_nonleaf(m).detach().requires_grad, _nonleaf(m).detach().is_leaf),
    "data": lambda m: (_leaf(m).data, _leaf(m).data.requires_grad, _leaf(m).data.is_leaf),
    "clone": lambda m: (_leaf(m).clone(), type(_leaf(m).clone().grad_fn).__name__),
    "zero_fill": _zero_fill,
    "fill_int_with_float": lambda m: m.tensor([1, 2]).fill_(3.7),
    "zero_leaf_requires_grad": lambda m: _leaf(m).zero_(),
    "version_after_inplace": lambda m: m.tensor([1.0]).add_(1).mul_(2)._version,
    # conversions between dtypes
    "to_dtype": lambda m: [m.tensor([1.5, -2.5, 0.0]).to(getattr(m, n)) for n in DTYPE_NAMES],
    "to_same_is_self": lambda m: [
        (lambda t: t.to(t.dtype) is t)(m.zeros(2, dtype=getattr(m, n))) for n in DTYPE_NAMES
    ],  # fmt: skip
    "to_python_type": lambda m: (m.tensor([1, 2]).to(float), m.tensor([1.5]).to(int)),
    "shortcuts": lambda m: [
        getattr(m.tensor([1.7, -2.2, 0.0]), f)()
        for f in ("float", "double", "half", "long", "int", "short", "char", "byte", "bool")
    ],  # fmt: skip
    "shortcut_grad_fn": lambda m: type(_leaf(m).double().grad_fn).__name__,
    "type_as": lambda m: (
        m.tensor([1, 2]).type_as(m.tensor([1.0])),
        m.tensor([1.5]).type_as(m.tensor([1])),
    ),
    # new_* keep this tensor's dtype
    "new_tensor": lambda m: (
        m.tensor([1.0]).new_tensor([1, 2]),
        m.tensor([1]).new_tensor([1.5, 2]),
        m.tensor([1.0], dtype=m.float64).new_tensor(3),
    ),  # fmt: skip
    "new_tensor_array": lambda m: m.tensor([1.0], dtype=m.float64).new_tensor(np.array([1, 3])),
    "new_tensor_grad": lambda m: m.tensor([1.0]).new_tensor([2.0], requires_grad=True),
    "new_factories": lambda m: (
        m.tensor([1]).new_zeros(2, 3),
        m.tensor([1.0]).new_ones((2,)),
        m.tensor([1]).new_full((2,), 3.5),
        m.tensor([1.0]).new_empty(2).shape,
        m.tensor([1.0], dtype=m.float64).new_zeros(2, dtype=m.int32),
        m.tensor([1.0]).new_zeros([]),
        m.tensor([1.0]).new_zeros(size=(1, 2)),
    ),  # fmt: skip
    # the legacy constructor
    "legacy_list": lambda m: (
        m.Tensor([1, 2]),
        m.Tensor([[1, 2], [3, 4]]),
        m.Tensor((2, 3)),
        m.Tensor([True]),
    ),
    "legacy_shape": lambda m: (
        m.Tensor(2, 3).shape,
        m.Tensor(m.Size([2, 3])).shape,
        m.Tensor(3).shape,
        m.Tensor().shape,
        m.Tensor().dtype,
    ),  # fmt: skip
    "legacy_array": lambda m: m.Tensor(np.array([1, 2])),
    "legacy_tensor": lambda m: (m.Tensor(m.tensor([1, 2])), m.Tensor(m.tensor(2.0))),
    "legacy_scalar": lambda m: m.Tensor(2.5),
    "legacy_negative": lambda m: m.Tensor(-1),
    # Size
    "size_ops": lambda m: (
        m.Size([2, 3]) + (4,),
        (1,) + m.Size([2]),
        m.Size([2, 3]) * 2,
        2 * m.Size([2]),
        m.Size([2, 3])[::-1],
        m.Size([2, 3])[0],
        m.Size([2, 3]).numel(),
        m.Size([]).numel(),
        m.Size([2, 3]) == (2, 3),
        repr(m.Size([])),
        m.Size([2, 3]).index(3),
    ),  # fmt: skip
    "size_from_indexables": lambda m: (
        m.Size([np.int64(3)]),
        m.Size([m.tensor(2)]),
        m.Size([True]),
    ),
    "size_float": lambda m: m.Size([2.5]),
    "size_float_tensor": lambda m: m.Size([2, m.tensor(2.0)]),
    "size_add_list": lambda m: m.Size([2]) + [3],
    # copying
    "deepcopy_nonleaf": lambda m: copy.deepcopy(_nonleaf(m)),
    "copy_is_self": lambda m: (lambda t: copy.copy(t) is t)(m.zeros(2)),
    "pickle_dtype": lambda m: [
        pickle.loads(pickle.dumps(getattr(m, n))) is getattr(m, n) for n in DTYPE_NAMES
    ],
    "pickle_size_device": lambda m: (
        pickle.loads(pickle.dumps(m.Size([2, 3]))),
        pickle.loads(pickle.dumps(m.zeros(1).device)),
    ),  # fmt: skip
}


@requires_torch
@pytest.mark.parametrize("case", sorted(PARITY))
def test_parity(case: str) -> None:
    assert_same(PARITY[case])


@requires_torch
@pytest.mark.parametrize(
    "case",
    ["size_of_0d", "len_0d", "iter_0d", "item_many", "bool_many", "bool_empty", "float_many",
     "index_float", "format_nd_spec", "requires_grad_int_tensor", "requires_grad_int_method",
     "requires_grad_nonleaf_false", "set_grad_dtype", "set_grad_shape", "numpy_requires_grad",
     "contains_list", "size_float", "deepcopy_nonleaf"],
)  # fmt: skip
def test_error_cases_really_raise(case: str) -> None:
    """Guard for the table: these entries are error checks, so torch must raise on them."""
    assert outcome(PARITY[case], torch)[0] == "raise"


# --- warnings ---------------------------------------------------------------------------
@requires_torch
def test_nonleaf_grad_warning_matches_torch() -> None:
    def read(m: Any) -> Any:
        return _nonleaf(m).grad

    expected = warning_texts(read, torch)
    assert expected and expected[0][0] == "UserWarning"
    assert warning_texts(read, dyngrad) == expected


@requires_torch
def test_no_warning_for_leaf_or_retained_grad() -> None:
    def read(m: Any) -> Any:
        y = _nonleaf(m)
        y.retain_grad()
        return _leaf(m).grad, y.grad

    assert warning_texts(read, dyngrad) == warning_texts(read, torch) == []


_WARN_ONCE_SCRIPT = """
import json, re, sys, warnings
import torch
out = {}
def record(key, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    out[key] = [(w.category.__name__, re.sub(r"\\s*\\(Triggered internally at .*\\)\\s*$", "", str(w.message), flags=re.S)) for w in caught]
record("float", lambda: float(torch.tensor([2.0], requires_grad=True)))
record("int", lambda: int(torch.tensor(2.0, requires_grad=True)))
record("bool", lambda: bool(torch.tensor(2.0, requires_grad=True)))
record("item", lambda: torch.tensor(2.0, requires_grad=True).item())
print(json.dumps(out))
"""


@requires_torch
def test_scalar_conversion_warnings_match_torch() -> None:
    """torch warns once per process, so its side runs in a fresh interpreter."""
    import json

    result = subprocess.run(
        [sys.executable, "-c", _WARN_ONCE_SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    expected = json.loads(result.stdout)
    assert expected["float"], "torch's float() of a tensor requiring grad should warn"
    cases = {
        "float": lambda m: float(m.tensor([2.0], requires_grad=True)),
        "int": lambda m: int(m.tensor(2.0, requires_grad=True)),
        "bool": lambda m: bool(m.tensor(2.0, requires_grad=True)),
        "item": lambda m: m.tensor(2.0, requires_grad=True).item(),
    }
    for key, fn in cases.items():
        assert [list(w) for w in warning_texts(fn, dyngrad)] == expected[key], key


# --- memory sharing and identity (no torch needed) ------------------------------------------
def test_numpy_shares_memory() -> None:
    x = dyngrad.tensor([1.0, 2.0])
    x.numpy()[0] = 7.0
    assert x.tolist() == [7.0, 2.0]


def test_asarray_shares_memory_and_array_copies() -> None:
    x = dyngrad.tensor([1.0, 2.0])
    np.asarray(x)[1] = 9.0
    assert x.tolist() == [1.0, 9.0]
    copied = np.array(x)
    copied[0] = -1.0
    assert x.tolist() == [1.0, 9.0]
    assert np.asarray(x, dtype=np.float64).dtype == np.float64


def test_detach_shares_memory_and_version_counter() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert np.shares_memory(d.numpy(), x.detach().numpy())
    with dyngrad.no_grad():
        x.add_(1)
    assert d._version == x._version == 1
    assert d.tolist() == [2.0, 3.0]


def test_clone_does_not_share_memory() -> None:
    x = dyngrad.tensor([1.0, 2.0])
    y = x.clone()
    y.add_(1)
    assert x.tolist() == [1.0, 2.0]


def test_hash_is_identity() -> None:
    a, b = dyngrad.tensor([1.0]), dyngrad.tensor([1.0])
    assert hash(a) == id(a)
    assert len({a, b, a}) == 2
    assert {a: 1, b: 2}[a] == 1


def test_deepcopy_of_a_leaf() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    x.grad = dyngrad.tensor([3.0, 4.0])
    y = copy.deepcopy(x)
    assert y is not x and y.requires_grad and y.is_leaf
    assert y.tolist() == [1.0, 2.0] and y.grad.tolist() == [3.0, 4.0]
    assert y.grad is not x.grad
    with dyngrad.no_grad():
        y.add_(1)
    assert x.tolist() == [1.0, 2.0]
    pair = copy.deepcopy([x, x])
    assert pair[0] is pair[1]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_pickle_round_trip(name: str) -> None:
    dt = getattr(dyngrad, name)
    x = dyngrad.arange(6).reshape(2, 3).t().to(dt)
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype is dt and y.shape == (3, 2)
    assert y.tolist() == x.tolist()
    assert not y.requires_grad


def test_pickle_keeps_requires_grad() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert y.requires_grad and y.is_leaf and y.grad is None and y.tolist() == [1.0, 2.0]


def test_version_counts_in_place_writes() -> None:
    x = dyngrad.zeros(3)
    assert x._version == 0
    x.add_(1)
    x[0] = 5
    x.zero_()
    assert x._version == 3


def test_make_subclass_shares_memory() -> None:
    class Sub(dyngrad.Tensor):
        __slots__ = ()

    base = dyngrad.tensor([1.0, 2.0])
    sub = dyngrad.Tensor._make_subclass(Sub, base, True)
    assert type(sub) is Sub and sub.requires_grad and sub.is_leaf
    sub.detach().add_(1)
    assert base.tolist() == [2.0, 3.0]


def test_item_of_requires_grad_tensor_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dyngrad.tensor([2.0], requires_grad=True).item() == 2.0
