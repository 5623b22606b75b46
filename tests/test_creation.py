"""Tensor creation against torch: ``tensor``'s dtype inference and errors, ``as_tensor`` and
``from_numpy`` memory sharing, the shape factories, ``arange``/``linspace`` lengths and values,
random factories (shapes, dtypes, errors, determinism), ``*_like`` and the default dtype.

Parity cases run the same function on both modules (``m`` is ``torch`` or ``dyngrad``) and
compare results (dtype, shape, values) or the exception (class and message).
"""

from __future__ import annotations

import re
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


# dyngrad stores fewer dtypes than torch (no complex, uint16/32/64): its list of supported
# NumPy types is shorter, so only the part of the message before that list must match.
_SUPPORTED_LIST = re.compile(r" The only supported types are: .*$")


def same_up_to_supported_list(ours: Any, ref: Any) -> bool:
    if ours[0] != "raise" or ref[0] != "raise":
        return False
    return ours[1] == ref[1] and _SUPPORTED_LIST.sub("", ours[2]) == _SUPPORTED_LIST.sub("", ref[2])


def meta(t: Any) -> Any:
    """What a random tensor must share with torch's: dtype, shape, requires_grad."""
    return str(t.dtype), tuple(t.shape), t.requires_grad


# --- tensor(): inference, conversion and errors ----------------------------------------------
TENSOR_CASES: dict[str, Callable[[Any], Any]] = {
    "scalars": lambda m: (m.tensor(3), m.tensor(3.5), m.tensor(True), m.tensor(-0.0)),
    "nested": lambda m: (m.tensor([[1, 2], [3, 4]]), m.tensor([[1, 2.5]]), m.tensor([True, False])),
    "tuples_ranges": lambda m: (m.tensor((1, 2)), m.tensor(range(3)), m.tensor([range(2), (5, 6)])),
    "mixed_promotion": lambda m: (
        m.tensor([True, 2]),
        m.tensor([1, 2.5]),
        m.tensor([[1], [True]]),
        m.tensor([[1], [2.5]]),
    ),  # fmt: skip
    "empty": lambda m: (
        m.tensor([]),
        m.tensor(()),
        m.tensor([[]]),
        m.tensor([[], []]),
        m.tensor([[], [1]]),
    ),
    "empty_with_dtype": lambda m: (m.tensor([], dtype=m.int64), m.tensor([[]], dtype=m.bool)),
    "numpy_arrays": lambda m: [
        m.tensor(np.array([1, 2], dtype=d))
        for d in (
            np.float64,
            np.float32,
            np.float16,
            np.int64,
            np.int32,
            np.int16,
            np.int8,
            np.uint8,
            np.bool_,
        )
    ],  # fmt: skip
    "numpy_0d_and_transposed": lambda m: (
        m.tensor(np.array(2.5)),
        m.tensor(np.arange(6).reshape(2, 3).T),
        m.tensor(np.ones((2, 0))),
    ),  # fmt: skip
    "numpy_scalars": lambda m: (
        m.tensor(np.float64(2.5)),
        m.tensor(np.float32(2.5)),
        m.tensor(np.int32(2)),
        m.tensor(np.bool_(True)),
        m.tensor(np.uint8(3)),
    ),  # fmt: skip
    "numpy_scalars_in_lists": lambda m: (
        m.tensor([np.float64(2.5), 1]),
        m.tensor([np.float64(2.5), 1.5]),
        m.tensor([np.int32(2), 1]),
        m.tensor([np.float16(2.5), np.int32(2)]),
        m.tensor([np.uint8(3), np.int8(3)]),
        m.tensor([np.bool_(True)]),
    ),  # fmt: skip
    "arrays_in_lists": lambda m: (
        m.tensor([np.array([2.5, 1]), np.array([1, 2])]),
        m.tensor([np.array([1, 2], dtype=np.int32), [3, 4]]),
        m.tensor([[3, 4.0], np.array([1, 2], dtype=np.int32)]),
        m.tensor([1.5, np.array(2.5)]),
    ),  # fmt: skip
    "tensors_in_lists": lambda m: (
        m.tensor([m.tensor(2.5), 1]),
        m.tensor([m.tensor(2), 1]),
        m.tensor([m.tensor(2, dtype=m.int32), m.tensor(3, dtype=m.int32)]),
        m.tensor([m.tensor(2, dtype=m.float64), 1]),
        m.tensor([m.tensor([2.0]), m.tensor([1.0])]),
        m.tensor([[1, 2], m.tensor([3, 4])]),
        m.tensor([[m.tensor(1)], [m.tensor(2)]]),
    ),  # fmt: skip
    "tensor_requiring_grad_in_list": lambda m: m.tensor([m.tensor(1.5, requires_grad=True)]),
    "copy_construct": lambda m: (
        m.tensor(m.tensor([2.0, 3.0])),
        m.tensor(m.tensor([2.0], requires_grad=True)),
        m.tensor(m.tensor([1, 2]), dtype=m.float64),
        m.tensor(m.tensor(1.0)),
    ),  # fmt: skip
    "explicit_dtypes": lambda m: (
        m.tensor([1, 2], dtype=m.float64),
        m.tensor([1.7, -2.7], dtype=m.int64),
        m.tensor([1.5, 0, float("nan")], dtype=m.bool),
        m.tensor(3.5, dtype=m.int32),
        m.tensor([True, False], dtype=m.int8),
        m.tensor(3, dtype=m.float16),
        m.tensor([1], dtype=float),
        m.tensor([1.5], dtype=int),
    ),  # fmt: skip
    "cast_arrays_and_tensors_wrap": lambda m: (
        m.tensor(np.array([1.5, -1]), dtype=m.uint8),
        m.tensor(np.array([300]), dtype=m.uint8),
        m.tensor(m.tensor([300]), dtype=m.uint8),
    ),  # fmt: skip
    "unsigned_wrap_of_python_ints": lambda m: (
        m.tensor([-1], dtype=m.uint8),
        m.tensor(-3, dtype=m.uint8),
        m.tensor([-255, 255], dtype=m.uint8),
    ),  # fmt: skip
    "float_overflow_is_inf": lambda m: (
        m.tensor(1e300),
        m.tensor([70000.0], dtype=m.float16),
        m.tensor(np.array([1e300]), dtype=m.float32),
    ),  # fmt: skip
    "large_ints_to_float": lambda m: (
        m.tensor([1.5, 2**63]),
        m.tensor([2**64], dtype=m.float32),
        m.tensor([2**63], dtype=m.bool),
        m.tensor([2**63 - 1]),
        m.tensor(-(2**63)),
    ),  # fmt: skip
    "requires_grad": lambda m: (
        m.tensor([1.0, 2.0], requires_grad=True),
        m.tensor(np.ones(2), requires_grad=True),
        m.tensor([[1, 2]], dtype=m.float32, requires_grad=True),
    ),  # fmt: skip
    # errors
    "ragged": lambda m: m.tensor([[1, 2], [3, 4, 5]]),
    "ragged_short": lambda m: m.tensor([[1, 2], [3]]),
    "ragged_deep": lambda m: m.tensor([[[1, 2]], [[3, 4, 5]]]),
    "ragged_after_empty": lambda m: m.tensor([[1], []]),
    "ragged_with_dtype": lambda m: m.tensor([[1, 2], [3, 4, 5]], dtype=m.float32),
    "ragged_array": lambda m: m.tensor([[1.5], np.array([2.5, 3])]),
    "ragged_array_first": lambda m: m.tensor([np.array([2.5, 3]), [1.5]]),
    "number_where_list": lambda m: m.tensor([[1, 2], 3]),
    "list_where_number_int": lambda m: m.tensor([1, [2, 3]]),
    "list_where_number_float": lambda m: m.tensor([1.0, [2, 3]]),
    "array_0d_first": lambda m: m.tensor([np.array(2.5), 1.5]),
    "array_where_number": lambda m: m.tensor([1.5, np.array([2.5])]),
    "multi_element_tensors": lambda m: m.tensor([m.tensor([2.0, 3.0]), m.tensor([1.0, 3.0])]),
    "multi_element_int_tensors": lambda m: m.tensor([m.tensor([3, 4]), [1, 2]]),
    "empty_tensor_element": lambda m: m.tensor([1, m.tensor([])]),
    "string": lambda m: m.tensor("a"),
    "string_in_list": lambda m: m.tensor(["a"]),
    "string_deep": lambda m: m.tensor([[1, 2], [3, "a"]]),
    "string_with_int_dtype": lambda m: m.tensor([[1, 2], [3, "a"]], dtype=m.int64),
    "none": lambda m: m.tensor(None),
    "none_in_list": lambda m: m.tensor([[1, None], [3]]),
    "none_with_float_dtype": lambda m: m.tensor([[1, None], [3, 4]], dtype=m.float32),
    "none_with_int_dtype": lambda m: m.tensor([[1, None], [3, 4]], dtype=m.int64),
    "generator": lambda m: m.tensor(x for x in range(3)),
    "dict": lambda m: m.tensor({1: 2}),
    "set": lambda m: m.tensor({1, 2}),
    "bytes": lambda m: m.tensor(b"ab"),
    "int_overflow": lambda m: m.tensor(2**63),
    "int_overflow_in_list": lambda m: m.tensor([1, 2**63]),
    "int_underflow": lambda m: m.tensor(-(2**63) - 1),
    "uint8_overflow": lambda m: m.tensor([300], dtype=m.uint8),
    "uint8_negative_overflow": lambda m: m.tensor([-256], dtype=m.uint8),
    "uint8_negative_float": lambda m: m.tensor([-0.5], dtype=m.uint8),
    "int8_overflow": lambda m: m.tensor([255], dtype=m.int8),
    "int8_float_overflow": lambda m: m.tensor([127.9], dtype=m.int8),
    "int32_overflow": lambda m: m.tensor([2**31], dtype=m.int32),
    "nan_to_int": lambda m: m.tensor([float("nan")], dtype=m.int64),
    "inf_to_int": lambda m: m.tensor([float("inf")], dtype=m.int32),
    "numpy_scalar_in_list_overflow": lambda m: m.tensor([np.int64(300)], dtype=m.uint8),
    "tensor_in_list_overflow": lambda m: m.tensor([m.tensor(300)], dtype=m.uint8),
    "python_int_beyond_uint64_for_uint8": lambda m: m.tensor([2**63], dtype=m.uint8),
    "int_tensor_required_grad": lambda m: m.tensor([1, 2], requires_grad=True),
    "int_copy_required_grad": lambda m: m.tensor(m.tensor([1, 2]), requires_grad=True),
    "numpy_unsupported": lambda m: m.tensor(np.array(["a"])),
    "numpy_byte_order": lambda m: m.tensor(np.array([1, 2], dtype=">i4")),
    "numpy_negative_strides": lambda m: m.tensor(np.arange(3)[::-1]),
    "dtype_string": lambda m: m.tensor([1], dtype="float32"),
}

TENSOR_ERRORS = [k for k in TENSOR_CASES if k not in {
    "scalars", "nested", "tuples_ranges", "mixed_promotion", "empty", "empty_with_dtype",
    "numpy_arrays", "numpy_0d_and_transposed", "numpy_scalars", "numpy_scalars_in_lists",
    "arrays_in_lists", "tensors_in_lists", "tensor_requiring_grad_in_list", "copy_construct",
    "explicit_dtypes", "cast_arrays_and_tensors_wrap", "unsigned_wrap_of_python_ints",
    "float_overflow_is_inf", "large_ints_to_float", "requires_grad"}]  # fmt: skip


@requires_torch
@pytest.mark.parametrize("case", sorted(TENSOR_CASES))
def test_tensor_parity(case: str) -> None:
    ours, ref = outcome(TENSOR_CASES[case], dyngrad), outcome(TENSOR_CASES[case], torch)
    if case == "numpy_unsupported":
        assert same_up_to_supported_list(ours, ref), (ours, ref)
    else:
        assert ours == ref


@requires_torch
@pytest.mark.parametrize("case", TENSOR_ERRORS)
def test_tensor_error_cases_raise_in_torch(case: str) -> None:
    assert outcome(TENSOR_CASES[case], torch)[0] == "raise"


def _warnings_of(fn: Callable[[Any], Any], module: Any) -> list[tuple[str, str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(module)
    return [(w.category.__name__, wording(str(w.message))) for w in caught]


@requires_torch
@pytest.mark.parametrize(
    "fn",
    [
        lambda m: m.tensor(m.tensor([2.0, 3.0])),
        lambda m: m.tensor(m.tensor([2.0], requires_grad=True), dtype=m.float64),
        lambda m: m.tensor([1.0]).new_tensor(m.tensor([1.0])),
    ],
)
def test_copy_construct_warning(fn: Callable[[Any], Any]) -> None:
    expected = _warnings_of(fn, torch)
    assert expected and expected[0][0] == "UserWarning"
    assert _warnings_of(fn, dyngrad) == expected


@requires_torch
def test_no_warning_for_plain_data() -> None:
    fn: Callable[[Any], Any] = lambda m: (m.tensor([1, 2]), m.as_tensor(m.tensor([1.0])))  # noqa: E731
    assert _warnings_of(fn, dyngrad) == _warnings_of(fn, torch) == []


_ONCE_SCRIPT = """
import json, re, warnings
import numpy as np, torch
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    torch.tensor([np.array([1.0]), np.array([2.0])])
    torch.tensor([np.array([1.0]), np.array([2.0])])
print(json.dumps([(w.category.__name__, re.sub(r"\\s*\\(Triggered internally at .*\\)\\s*$", "", str(w.message), flags=re.S)) for w in caught]))
"""


@requires_torch
def test_list_of_arrays_warns_once_like_torch() -> None:
    import json

    result = subprocess.run(
        [sys.executable, "-c", _ONCE_SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    expected = json.loads(result.stdout)
    assert len(expected) == 1
    code = (
        "import json, warnings, numpy as np, dyngrad\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    dyngrad.tensor([np.array([1.0]), np.array([2.0])])\n"
        "    dyngrad.tensor([np.array([1.0]), np.array([2.0])])\n"
        "print(json.dumps([(w.category.__name__, str(w.message)) for w in caught]))\n"
    )
    ours = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert ours.returncode == 0, ours.stderr
    assert json.loads(ours.stdout) == expected


def test_tensor_copies_its_input() -> None:
    arr = np.array([1.0, 2.0])
    t = dyngrad.tensor(arr)
    arr[0] = 9.0
    assert t.tolist() == [1.0, 2.0]
    src = dyngrad.tensor([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copy = dyngrad.tensor(src)
    copy.add_(1)
    assert src.tolist() == [1.0, 2.0]


def test_tensor_of_a_long_flat_list_is_fast_enough() -> None:
    data = [float(i) for i in range(200_000)]
    t = dyngrad.tensor(data)
    assert t.shape == (200_000,) and t.dtype is dyngrad.float32 and t[-1].item() == 199_999.0


# --- as_tensor / from_numpy ------------------------------------------------------------------
SHARING_CASES: dict[str, Callable[[Any], Any]] = {
    "as_tensor_list": lambda m: m.as_tensor([1, 2.5]),
    "as_tensor_numpy_scalar": lambda m: m.as_tensor(np.float64(3)),
    "as_tensor_dtype": lambda m: m.as_tensor(np.array([1.5, 2.5]), dtype=m.int32),
    "as_tensor_tensor_dtype": lambda m: m.as_tensor(
        m.tensor([1.5], requires_grad=True), dtype=m.float64
    ),
    "as_tensor_negative_strides": lambda m: m.as_tensor(np.arange(3)[::-1]),
    "from_numpy_list": lambda m: m.from_numpy([1, 2]),
    "from_numpy_scalar": lambda m: m.from_numpy(np.float64(2.0)),
    "from_numpy_object": lambda m: m.from_numpy(np.array([1], dtype=object)),
    "from_numpy_byte_order": lambda m: m.from_numpy(np.array([1], dtype=">f8")),
    "from_numpy_negative_strides": lambda m: m.from_numpy(np.arange(3)[::-1]),
    "from_numpy_dtypes": lambda m: [
        m.from_numpy(np.zeros(1, dtype=d)).dtype
        for d in (
            np.float64,
            np.float32,
            np.float16,
            np.int64,
            np.int32,
            np.int16,
            np.int8,
            np.uint8,
            np.bool_,
        )
    ],  # fmt: skip
    "from_numpy_strides": lambda m: m.from_numpy(np.arange(6.0).reshape(2, 3).T).stride(),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(SHARING_CASES))
def test_as_tensor_from_numpy_parity(case: str) -> None:
    ours, ref = outcome(SHARING_CASES[case], dyngrad), outcome(SHARING_CASES[case], torch)
    if case == "from_numpy_object":
        assert same_up_to_supported_list(ours, ref), (ours, ref)
    else:
        assert ours == ref


@requires_torch
def test_from_numpy_read_only_warning() -> None:
    def make(m: Any) -> Any:
        arr = np.array([1.0, 2.0])
        arr.flags.writeable = False
        return m.from_numpy(arr)

    expected = _warnings_of(make, torch)
    if not expected:  # torch warns once per process; another test may have triggered it
        pytest.skip("torch already emitted its once-per-process warning")
    assert _warnings_of(make, dyngrad) == expected


@pytest.mark.parametrize("make", [dyngrad.from_numpy, dyngrad.as_tensor, dyngrad.Tensor])
def test_numpy_memory_is_shared(make: Callable[[np.ndarray], Any]) -> None:
    arr = np.array([1.0, 2.0], dtype=np.float32)
    t = make(arr)
    arr[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    t.add_(1)
    assert arr.tolist() == [6.0, 3.0]


def test_as_tensor_returns_the_tensor_itself() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    assert dyngrad.as_tensor(x) is x
    assert dyngrad.as_tensor(x, dtype=dyngrad.float32) is x


def test_as_tensor_copies_when_converting() -> None:
    arr = np.array([1.0, 2.0])
    t = dyngrad.as_tensor(arr, dtype=dyngrad.float32)
    arr[0] = 5.0
    assert t.tolist() == [1.0, 2.0]


# --- shape factories ---------------------------------------------------------------------
FACTORY_CASES: dict[str, Callable[[Any], Any]] = {
    "zeros_forms": lambda m: (
        m.zeros(2, 3),
        m.zeros((2, 3)),
        m.zeros([2, 3]),
        m.zeros(size=(2, 3)),
        m.zeros(m.Size([2, 3])),
        m.zeros(()),
        m.zeros([]),
        m.zeros(0),
        m.zeros(np.int64(2), 3),
        m.zeros(m.tensor(3)),
        m.zeros((m.tensor(2), 3)),
    ),  # fmt: skip
    "zeros_dtypes": lambda m: (
        m.zeros(2, dtype=m.int32),
        m.zeros(2, dtype=float),
        m.zeros(2, dtype=int),
        m.zeros(2, dtype=bool),
        m.zeros(2, 3, requires_grad=True),
    ),  # fmt: skip
    "zeros_no_size": lambda m: m.zeros(),
    "zeros_negative": lambda m: m.zeros(2, -3),
    "zeros_negative_tuple": lambda m: m.zeros((2, -1)),
    "zeros_float_size": lambda m: m.zeros(2.5),
    "zeros_float_in_size": lambda m: m.zeros((2, 2.5)),
    "zeros_bool_size": lambda m: m.zeros(True),
    "zeros_float_tensor_size": lambda m: m.zeros(m.tensor(2.0)),
    "zeros_size_twice": lambda m: m.zeros(2, 3, size=(1,)),
    "zeros_size_int_keyword": lambda m: m.zeros(size=2),
    "zeros_dtype_string": lambda m: m.zeros(2, dtype="float32"),
    "zeros_dtype_numpy": lambda m: m.zeros(2, dtype=np.float32),
    "zeros_int_requires_grad": lambda m: m.zeros(2, dtype=m.int64, requires_grad=True),
    "zeros_unknown_keyword": lambda m: m.zeros(2, generator=None),
    "ones": lambda m: (m.ones(2, 3, dtype=m.bool), m.ones(0), m.ones(2, dtype=m.uint8)),
    "ones_negative": lambda m: m.ones(-1),
    "empty": lambda m: (m.empty(2, 3).shape, m.empty(2, dtype=m.int64).dtype, m.empty(0)),
    "empty_negative": lambda m: m.empty(-1),
    "full_inference": lambda m: (
        m.full((2, 3), 7),
        m.full((2,), 7.0),
        m.full((2,), True),
        m.full([], 7),
        m.full((2,), np.int32(3)),
        m.full((2,), np.float64(3.0)),
        m.full((2,), m.tensor(2)),
        m.full((2,), m.tensor(2, dtype=m.int32)),
        m.full((2,), m.tensor(2.0, dtype=m.float64)),
        m.full(m.Size([2]), 1),
        m.full(size=(2,), fill_value=1.0),
    ),  # fmt: skip
    "full_dtype": lambda m: (
        m.full((2,), 7, dtype=m.float64),
        m.full((2,), 2.5, dtype=m.int64),
        m.full((2,), 2.5, dtype=m.uint8),
        m.full((2,), 2, dtype=m.bool),
        m.full((2,), -1, dtype=m.uint8),
        m.full((2,), float("inf"), dtype=m.float16),
        m.full((2,), -(2**63)),
        m.full((2,), 2.0, requires_grad=True),
    ),  # fmt: skip
    "full_size_int": lambda m: m.full(3, 7),
    "full_size_float": lambda m: m.full([2, 3.5], 1),
    "full_negative": lambda m: m.full((-1,), 1),
    "full_tensor_value": lambda m: m.full((2,), m.tensor([3.0])),
    "full_string_value": lambda m: m.full((2,), "a"),
    "full_none_value": lambda m: m.full((2,), None),
    "full_int_requires_grad": lambda m: m.full((2,), 2, requires_grad=True),
    "full_overflow_uint8": lambda m: m.full((2,), 300, dtype=m.uint8),
    "full_overflow_int8": lambda m: m.full((2,), -200, dtype=m.int8),
    "full_overflow_int16": lambda m: m.full((2,), 2**40, dtype=m.int16),
    "full_overflow_int32": lambda m: m.full((2,), 2**40, dtype=m.int32),
    "full_overflow_int64": lambda m: m.full((2,), 2**63),
    "full_overflow_python_int": lambda m: m.full((2,), 2**64),
    "full_overflow_float": lambda m: m.full((2,), 1e300),
    "full_overflow_half": lambda m: m.full((2,), 1e300, dtype=m.float16),
    "full_nan_to_int": lambda m: m.full((2,), float("nan"), dtype=m.int64),
    "full_negative_float_to_uint8": lambda m: m.full((2,), -2.5, dtype=m.uint8),
    "eye": lambda m: (
        m.eye(3),
        m.eye(2, 3),
        m.eye(3, 2, dtype=m.int64),
        m.eye(0),
        m.eye(2, 0),
        m.eye(n=2, m=3),
        m.eye(np.int64(2)),
        m.eye(m.tensor(2)),
        m.eye(2, dtype=m.bool),
        m.eye(2, requires_grad=True),
    ),  # fmt: skip
    "eye_negative_n": lambda m: m.eye(-1),
    "eye_negative_m": lambda m: m.eye(2, -1),
    "eye_float": lambda m: m.eye(2.5),
    "eye_bool": lambda m: m.eye(True),
    "device_cpu": lambda m: (m.zeros(2, device="cpu"), m.ones(2, device=m.device("cpu")).device),
    "device_cuda": lambda m: m.zeros(2, device="cuda"),
    "device_unknown": lambda m: m.zeros(2, device="abc"),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(FACTORY_CASES))
def test_factory_parity(case: str) -> None:
    assert outcome(FACTORY_CASES[case], dyngrad) == outcome(FACTORY_CASES[case], torch)


# --- arange / linspace ----------------------------------------------------------------------
ARANGE_EXACT: dict[str, Callable[[Any], Any]] = {
    "ints": lambda m: (
        m.arange(5),
        m.arange(1, 4),
        m.arange(5, 0, -1),
        m.arange(3, 3),
        m.arange(0, 10, 3),
        m.arange(start=1, end=4),
        m.arange(end=4),
        m.arange(np.int32(5)),
        m.arange(m.tensor(3)),
        m.arange(True),
    ),  # fmt: skip
    "int_dtypes": lambda m: (
        m.arange(5, dtype=m.uint8),
        m.arange(0, 300, 100, dtype=m.uint8),
        m.arange(0, 10, 3, dtype=m.int16),
        m.arange(0.5, 5, dtype=m.int64),
        m.arange(0.5, 5.6, 1, dtype=m.int64),
        m.arange(0.5, 5.6, 1.5, dtype=m.int64),
        m.arange(-0.5, 5.6, 1.5, dtype=m.int64),
        m.arange(1.7, 5.6, 1.5, dtype=m.int64),
        m.arange(0.5, 5, 2, dtype=m.int32),
    ),  # fmt: skip
    "large_ints": lambda m: (m.arange(2**62, 2**62 + 3), m.arange(0, 10**10, 10**9)),
    "exact_floats": lambda m: (
        m.arange(5.0),
        m.arange(1, 4, 0.5),
        m.arange(5, 0, -1.5),
        m.arange(0.0),
        m.arange(10, dtype=m.float64),
        m.arange(0, 10, 3, dtype=m.float32),
        m.arange(2.5, dtype=m.float16),
        m.arange(0, 5, 1.5, dtype=m.float16),
        m.arange(0, 5, float("inf")),
        m.arange(5.0, requires_grad=True),
        m.arange(0, 5, dtype=float),
    ),  # fmt: skip
    "float_dtype_inference": lambda m: [
        m.arange(0, 5, s).dtype for s in (1.5, m.tensor(1.5), np.float32(1.5), 1, np.int64(1))
    ],  # fmt: skip
    "int_requires_grad": lambda m: m.arange(5, requires_grad=True),
    "bool_dtype": lambda m: m.arange(0, 2, dtype=m.bool),
    "zero_step": lambda m: m.arange(0, 5, 0),
    "int_step_truncates_to_zero": lambda m: m.arange(0, 2.5, 0.5, dtype=m.int64),
    "wrong_sign": lambda m: m.arange(0, 5, -1),
    "wrong_sign_default_step": lambda m: m.arange(5, 0),
    "negative_end": lambda m: m.arange(-3.5),
    "infinite_end": lambda m: m.arange(float("inf")),
    "infinite_start": lambda m: m.arange(float("-inf"), 5),
    "nan_end": lambda m: m.arange(0, float("nan"), 1),
    "string": lambda m: m.arange("a"),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(ARANGE_EXACT))
def test_arange_parity(case: str) -> None:
    assert outcome(ARANGE_EXACT[case], dyngrad) == outcome(ARANGE_EXACT[case], torch)


_FLOAT_RANGES = [(0, 1, 0.1), (1, 2.5, 0.3), (-5.3, 8.1, 0.7), (1, 0.0, -0.1), (0, 1, 1 / 3),
                 (-1e-20, 1.0, 0.25), (0.1, 1.7, 0.3), (3.0, -7.25, -0.35)]  # fmt: skip


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("bounds", _FLOAT_RANGES)
def test_arange_float_steps(bounds: tuple[float, float, float], dtype: str) -> None:
    """Length ceil((end - start) / step) exactly; values to the dtype's precision (torch's
    last bits depend on its vectorised CPU kernel)."""
    ours = dyngrad.arange(*bounds, dtype=getattr(dyngrad, dtype))
    ref = torch.arange(*bounds, dtype=getattr(torch, dtype))
    assert ours.shape == ref.shape and str(ours.dtype) == str(ref.dtype)
    eps = float(np.finfo(getattr(np, dtype)).eps)
    scale = max(abs(bounds[0]), abs(bounds[1]), 1.0)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=0, atol=4 * eps * scale)
    assert ours[0].item() == ref[0].item()


LINSPACE_EXACT: dict[str, Callable[[Any], Any]] = {
    "simple": lambda m: (
        m.linspace(0, 1, 5),
        m.linspace(0, 1, 0),
        m.linspace(0, 1, 1),
        m.linspace(2, 2, 3),
        m.linspace(0, 1, 2),
        m.linspace(0, 1, np.int64(3)),
        m.linspace(0, 1, m.tensor(3)),
        m.linspace(m.tensor(0.0), m.tensor(1.0), 3),
        m.linspace(0, 1, 3, dtype=m.float16),
        m.linspace(0, 1, 5, requires_grad=True),
    ),  # fmt: skip
    "int_dtypes": lambda m: (
        m.linspace(0, 10, 5, dtype=m.int64),
        m.linspace(0, 10, 4, dtype=m.int64),
        m.linspace(-1, 10, 7, dtype=m.int32),
        m.linspace(10, 0, 7, dtype=m.int64),
        m.linspace(0.5, 9.7, 4, dtype=m.int64),
        m.linspace(-0.5, 9.7, 6, dtype=m.int64),
        m.linspace(7, 0, 4, dtype=m.int64),
        m.linspace(0, 10, 5, dtype=m.uint8),
        m.linspace(0, -10, 5, dtype=m.uint8),
    ),  # fmt: skip
    "default_dtype_from_tensors": lambda m: (
        m.linspace(m.tensor(0), 1, 2).dtype,
        m.linspace(m.tensor(0.0, dtype=m.float64), 1, 2).dtype,
    ),  # fmt: skip
    "nonfinite": lambda m: (m.linspace(0, float("inf"), 3), m.linspace(float("nan"), 1, 3)),
    "negative_steps": lambda m: m.linspace(0, 1, -1),
    "float_steps": lambda m: m.linspace(0, 1, 2.5),
    "bool_dtype": lambda m: m.linspace(0, 1, 5, dtype=m.bool),
    "tensor_bounds_with_dims": lambda m: m.linspace(m.tensor([0.0]), 1, 2),
}


@requires_torch
@pytest.mark.parametrize("case", sorted(LINSPACE_EXACT))
def test_linspace_parity(case: str) -> None:
    ours, ref = outcome(LINSPACE_EXACT[case], dyngrad), outcome(LINSPACE_EXACT[case], torch)
    if case == "float_steps":  # torch's overload-parser message; the class must match
        assert ref[0] == "raise" and ours[:2] == ref[:2]
    else:
        assert repr(ours) == repr(ref)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "bounds", [(-3.3, 7.1, 11), (0, 1, 100), (10, -10, 7), (1e-3, 1e3, 33), (-1, 1, 1000)]
)
def test_linspace_values(bounds: tuple[float, float, int], dtype: str) -> None:
    """Both ends exact, the rest to the dtype's precision."""
    ours = dyngrad.linspace(*bounds, dtype=getattr(dyngrad, dtype)).numpy()
    ref = torch.linspace(*bounds, dtype=getattr(torch, dtype)).numpy()
    assert ours.dtype == ref.dtype and ours.shape == ref.shape
    assert ours[0] == ref[0] and ours[-1] == ref[-1]
    eps = float(np.finfo(getattr(np, dtype)).eps)
    np.testing.assert_allclose(
        ours, ref, rtol=0, atol=4 * eps * max(abs(bounds[0]), abs(bounds[1]))
    )


# --- random factories ---------------------------------------------------------------------
RANDOM_CASES: dict[str, Callable[[Any], Any]] = {
    "rand_forms": lambda m: [
        meta(t)
        for t in (
            m.rand(2, 3),
            m.rand((2, 3)),
            m.rand(size=(2, 3)),
            m.rand([]),
            m.rand(2, dtype=m.float64),
            m.rand(2, dtype=m.float16),
            m.rand(2, requires_grad=True),
            m.rand(0, 3),
        )
    ],  # fmt: skip
    "randn_forms": lambda m: [
        meta(t)
        for t in (
            m.randn(2, 3),
            m.randn((2, 3)),
            m.randn(size=(2, 3)),
            m.randn(2, dtype=m.float16),
            m.randn(2, 3, generator=m.Generator().manual_seed(0)),
            m.randn(2, generator=None),
        )
    ],  # fmt: skip
    "rand_no_size": lambda m: m.rand(),
    "rand_negative": lambda m: m.rand(-1),
    "randn_negative": lambda m: m.randn(2, -1),
    "rand_float_size": lambda m: m.rand(2.5),
    "rand_float_in_size": lambda m: m.rand((2, 2.5)),
    "randn_size_int_keyword": lambda m: m.randn(size=2),
    "rand_int_dtype": lambda m: m.rand(2, dtype=m.int64),
    "rand_bool_dtype": lambda m: m.rand(2, dtype=m.bool),
    "randn_int_dtype": lambda m: m.randn(2, dtype=m.int64),
    "rand_bad_generator": lambda m: m.rand(2, generator=1),
    "randint_forms": lambda m: [
        meta(t)
        for t in (
            m.randint(0, 10, (3,)),
            m.randint(10, (3,)),
            m.randint(10, (3,), dtype=m.int32),
            m.randint(10, (3,), dtype=m.float32),
            m.randint(0, 10, size=(2, 2)),
            m.randint(low=0, high=10, size=(2, 2)),
            m.randint(high=10, size=(2, 2)),
            m.randint(10, size=(2,)),
            m.randint(0, high=10, size=(2,)),
            m.randint(0, 10, (0,)),
            m.randint(0, 10, ()),
            m.randint(0, 10, [2, 2]),
            m.randint(0, 10, m.Size([2])),
            m.randint(np.int64(3), (2,)),
            m.randint(0, m.tensor(3), (2,)),
            m.randint(0, 2, (3,), dtype=m.bool),
            m.randint(-(2**63), 2**63 - 1, (2,)),
            m.randint(0, 2**31, (2,), dtype=m.int32),
            m.randint(0, 128, (3,), dtype=m.int8),
            m.randint(0, 3, (3,), dtype=m.float16),
        )
    ],  # fmt: skip
    "randint_empty_range": lambda m: m.randint(3, 3, (3,)),
    "randint_reversed_range": lambda m: m.randint(5, 3, (3,)),
    "randint_size_int": lambda m: m.randint(10, 3),
    "randint_no_size": lambda m: m.randint(10),
    "randint_float_high": lambda m: m.randint(0, 2.5, (3,)),
    "randint_float_tensor": lambda m: m.randint(m.tensor(3.0), (2,)),
    "randint_bool_high": lambda m: m.randint(True, (2,)),
    "randint_requires_grad": lambda m: m.randint(0, 10, (3,), requires_grad=True),
    "randint_uint8_high": lambda m: m.randint(0, 300, (3,), dtype=m.uint8),
    "randint_uint8_low": lambda m: m.randint(-1, 3, (3,), dtype=m.uint8),
    "randint_int8_high": lambda m: m.randint(0, 200, (3,), dtype=m.int8),
    "randint_int8_low": lambda m: m.randint(-200, 3, (3,), dtype=m.int8),
    "randint_int16_low": lambda m: m.randint(-40000, 10, (2,), dtype=m.int16),
    "randint_int32_high": lambda m: m.randint(0, 2**31 + 1, (2,), dtype=m.int32),
    "randint_bool_high_range": lambda m: m.randint(0, 3, (3,), dtype=m.bool),
    "randint_bool_low_range": lambda m: m.randint(3, 10, (3,), dtype=m.bool),
    "randint_python_overflow": lambda m: m.randint(0, 2**63, (2,)),
    "normal_forms": lambda m: [
        meta(t)
        for t in (
            m.normal(0.0, 1.0, (2, 3)),
            m.normal(0, 1, (2, 3)),
            m.normal(0.0, 1.0, size=(2, 3)),
            m.normal(m.zeros(3), 1.0),
            m.normal(0.0, m.ones(3)),
            m.normal(m.zeros(3), m.ones(3)),
            m.normal(m.zeros(3, dtype=m.float64), 1.0),
            m.normal(m.zeros(2, 1), m.ones(3)),
            m.normal(m.zeros(3), m.ones(2, 3)),
            m.normal(m.zeros(()), m.ones(())),
            m.normal(m.zeros(0), 1.0),
            m.normal(2.0, 3.0, (2,), dtype=m.float64),
            m.normal(mean=m.zeros(3)),
            m.normal(mean=m.zeros(3), std=2.0),
            m.normal(m.zeros(3, dtype=m.float16), m.ones(3, dtype=m.float64)),
            m.normal(m.zeros(2, dtype=m.float64), m.ones(2)),
            m.normal(m.zeros(2), m.ones(2, dtype=m.float64)),
            m.normal(0.0, 1.0, (2,), requires_grad=True),
            m.normal(m.zeros(3), 1.0, generator=m.Generator().manual_seed(1)),
        )
    ],  # fmt: skip
    "normal_nan_mean": lambda m: m.normal(float("nan"), 1.0, (2,)),
    "normal_no_size": lambda m: m.normal(0.0, 1.0),
    "normal_tensors_and_size": lambda m: m.normal(m.zeros(3), m.ones(3), (3,)),
    "normal_negative_std": lambda m: m.normal(0.0, -1.0, (2,)),
    "normal_nan_std": lambda m: m.normal(0.0, float("nan"), (2,)),
    "normal_negative_std_with_tensor": lambda m: m.normal(m.zeros(3), -1.0),
    "normal_negative_std_tensor": lambda m: m.normal(m.zeros(3), m.tensor([1.0, -1.0, 1.0])),
    "normal_int_mean": lambda m: m.normal(m.zeros(3, dtype=m.int64), 1.0),
    "normal_int_std": lambda m: m.normal(0.0, m.ones(3, dtype=m.int64)),
    "normal_int_dtype": lambda m: m.normal(0.0, 1.0, (2,), dtype=m.int64),
    "normal_broadcast_error": lambda m: m.normal(m.zeros(3), m.ones(4)),
    "normal_broadcast_error_2d": lambda m: m.normal(m.zeros(2, 3), m.ones(3, 2)),
    "like_dtypes": lambda m: [
        meta(f(m.ones(2, 3, dtype=m.float64)))
        for f in (
            m.zeros_like,
            m.ones_like,
            m.empty_like,
            m.rand_like,
            m.randn_like,
            lambda x: m.full_like(x, 2),
            lambda x: m.randint_like(x, 5),
            lambda x: m.randint_like(x, 3, 10),
            lambda x: m.randint_like(x, high=10),
            lambda x: m.zeros_like(x, dtype=m.int32),
            lambda x: m.zeros_like(x, requires_grad=True),
            lambda x: m.randint_like(x, 5, dtype=m.int32),
            lambda x: m.randn_like(x, dtype=m.float16),
        )
    ],  # fmt: skip
    "like_values": lambda m: (
        m.zeros_like(m.ones(2, dtype=m.int64)),
        m.ones_like(m.zeros(2, 1)),
        m.full_like(m.zeros(2, dtype=m.int64), 2.7),
        m.full_like(m.zeros(2), 1, dtype=m.int64),
        m.full_like(m.zeros(2), True),
        m.full_like(m.zeros(2), m.tensor(2.0)),
        m.full_like(m.zeros(2, dtype=m.uint8), -1),
        m.full_like(m.zeros(2, dtype=m.bool), 5),
        m.zeros_like(m.ones(2, requires_grad=True)),
    ),  # fmt: skip
    "like_strides": lambda m: [
        f(m.ones(2, 3).t()).stride()
        for f in (
            m.zeros_like,
            m.ones_like,
            m.empty_like,
            m.rand_like,
            m.randn_like,
            lambda x: m.full_like(x, 1.0),
            lambda x: m.randint_like(x, 4),
        )
    ],  # fmt: skip
    "like_int_requires_grad": lambda m: m.zeros_like(m.ones(2, dtype=m.int64), requires_grad=True),
    "like_not_a_tensor": lambda m: m.ones_like([1, 2]),
    "like_numpy": lambda m: m.zeros_like(np.zeros(2)),
    "rand_like_int": lambda m: m.rand_like(m.ones(2, dtype=m.int64)),
    "rand_like_bool": lambda m: m.rand_like(m.ones(2, dtype=m.bool)),
    "randn_like_int": lambda m: m.randn_like(m.ones(2, dtype=m.int64)),
    "randint_like_no_bounds": lambda m: m.randint_like(m.zeros(2)),
    "randint_like_empty_range": lambda m: m.randint_like(m.zeros(2), 3, 3),
    "randint_like_uint8_high": lambda m: m.randint_like(m.zeros(2), 0, 300, dtype=m.uint8),
    "randint_like_bool_high": lambda m: m.randint_like(m.zeros(2, dtype=m.bool), 3),
    "full_like_overflow": lambda m: m.full_like(m.zeros(2, dtype=m.int8), 200),
    "full_like_overflow_int32": lambda m: m.full_like(m.zeros(2, dtype=m.int32), 2**40),
    "full_like_overflow_python_int": lambda m: m.full_like(m.zeros(2, dtype=m.int64), 2**64),
    "full_like_overflow_half": lambda m: m.full_like(m.zeros(2, dtype=m.float16), 1e10),
    "full_like_tensor_value": lambda m: m.full_like(m.zeros(2), m.tensor([1.0, 2.0])),
    "generator_api": lambda m: (
        type(m.Generator().manual_seed(0)).__name__,
        m.Generator().manual_seed(7).initial_seed(),
        (lambda g: g.manual_seed(3) is g)(m.Generator()),
        repr(m.Generator().device),
        type(m.manual_seed(0)).__name__,
    ),  # fmt: skip
}

RANDOM_BAD_MESSAGES_OK = {
    # torch reports these through its overload parser; the class matches, the text is ours.
    "rand_no_size", "randint_no_size", "randint_float_high", "normal_no_size",
    "normal_tensors_and_size", "randint_like_no_bounds", "rand_bad_generator",
    "randint_size_int",
}  # fmt: skip


@requires_torch
@pytest.mark.parametrize("case", sorted(RANDOM_CASES))
def test_random_parity(case: str) -> None:
    ours, ref = outcome(RANDOM_CASES[case], dyngrad), outcome(RANDOM_CASES[case], torch)
    if case in RANDOM_BAD_MESSAGES_OK:
        assert ref[0] == "raise" and ours[:2] == ref[:2]
    else:
        assert repr(ours) == repr(ref)


@requires_torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_random_warning_for_inexact_float_randint(dtype: str) -> None:
    """torch warns when a float dtype cannot represent every integer of the range."""

    def draw(m: Any) -> Any:
        high = 2**25 if dtype == "float32" else 2**54 if dtype == "float64" else 10
        return m.randint(0, high, (2,), dtype=getattr(m, dtype))

    assert _warnings_of(draw, dyngrad) == _warnings_of(draw, torch)


def test_same_seed_same_numbers() -> None:
    for fn in (
        lambda: dyngrad.rand(5),
        lambda: dyngrad.randn(2, 3),
        lambda: dyngrad.randint(0, 100, (6,)),
        lambda: dyngrad.normal(1.0, 2.0, (4,)),
        lambda: dyngrad.rand_like(dyngrad.zeros(3, dtype=dyngrad.float64)),
    ):
        dyngrad.manual_seed(1234)
        first = fn().tolist()
        dyngrad.manual_seed(1234)
        assert fn().tolist() == first
        assert fn().tolist() != first  # the stream moves on


def test_generator_streams_are_independent_and_repeatable() -> None:
    g1, g2 = dyngrad.Generator().manual_seed(0), dyngrad.Generator().manual_seed(0)
    a = dyngrad.randn(5, generator=g1)
    dyngrad.manual_seed(99)
    dyngrad.rand(10)  # the default generator does not disturb g2
    b = dyngrad.randn(5, generator=g2)
    assert a.tolist() == b.tolist()
    for draw in (
        lambda g: dyngrad.rand(3, generator=g),
        lambda g: dyngrad.randint(5, (3,), generator=g),
        lambda g: dyngrad.normal(dyngrad.zeros(3), 1.0, generator=g),
        lambda g: dyngrad.randn_like(dyngrad.zeros(3), generator=g),
    ):
        assert (
            draw(dyngrad.Generator().manual_seed(5)).tolist()
            == draw(dyngrad.Generator().manual_seed(5)).tolist()
        )
    assert dyngrad.Generator().manual_seed(5).initial_seed() == 5


def test_generator_state_round_trip() -> None:
    g = dyngrad.Generator().manual_seed(3)
    state = g.get_state()
    first = dyngrad.rand(4, generator=g).tolist()
    g.set_state(state)
    assert dyngrad.rand(4, generator=g).tolist() == first


def test_random_distributions() -> None:
    g = dyngrad.Generator().manual_seed(0)
    u = dyngrad.rand(100_000, generator=g).numpy()
    assert u.dtype == np.float32 and u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01
    h = dyngrad.rand(100_000, dtype=dyngrad.float16, generator=g).numpy()
    assert h.min() >= 0.0 and h.max() < 1.0
    z = dyngrad.randn(100_000, generator=g).numpy()
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02
    n = dyngrad.normal(3.0, 2.0, (100_000,), generator=g).numpy()
    assert abs(n.mean() - 3.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    t = dyngrad.normal(
        dyngrad.tensor([0.0, 100.0]), dyngrad.tensor([0.0, 1.0]), generator=g
    ).numpy()
    assert t[0] == 0.0 and 90.0 < t[1] < 110.0
    r = dyngrad.randint(-3, 4, (10_000,), generator=g).numpy()
    assert set(r.tolist()) == set(range(-3, 4))


# --- the default dtype -------------------------------------------------------------------
DEFAULT_DTYPE_SCRIPT = """
import sys
name = sys.argv[1]
if name == "dyngrad":
    import dyngrad as m
else:
    import torch as m
import numpy as np
out = []
for d in (m.float64, m.float16, m.float32):
    m.set_default_dtype(d)
    out.append([
        repr(m.tensor(1.0)), repr(m.tensor([1.5])), repr(m.tensor([1, 2])),
        repr(m.tensor([1.0], dtype=m.float32)), repr(m.tensor([1.0], dtype=m.float64)),
        str(m.get_default_dtype()), str(m.arange(3.0).dtype), str(m.zeros(2).dtype),
        str(m.full((1,), 2.0).dtype), str(m.randn(1).dtype), str(m.linspace(0, 1, 3).dtype),
        str(m.eye(2).dtype), str(m.Tensor([1]).dtype), str((m.tensor([1, 2]) / 2).dtype),
        str((m.tensor([1, 2]) * 2.5).dtype), str(m.result_type(m.tensor([1]), 1.0)),
        repr(m.tensor([1.0], requires_grad=True) * 2),
    ])
try:
    m.set_default_dtype(m.int64)
except TypeError as e:
    out.append(["TypeError", str(e)])
print(repr(out))
"""


@requires_torch
def test_set_default_dtype_matches_torch() -> None:
    """Run in fresh interpreters: the default dtype is process-global state."""
    results = []
    for name in ("torch", "dyngrad"):
        proc = subprocess.run(
            [sys.executable, "-c", DEFAULT_DTYPE_SCRIPT, name],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        results.append(proc.stdout)
    assert results[1] == results[0]


def test_set_default_dtype_in_process() -> None:
    try:
        dyngrad.set_default_dtype(dyngrad.float64)
        assert dyngrad.get_default_dtype() is dyngrad.float64
        assert dyngrad.tensor(1.0).dtype is dyngrad.float64
        assert repr(dyngrad.tensor(1.0)) == "tensor(1.)"
        assert (
            repr(dyngrad.tensor([1.0], dtype=dyngrad.float32))
            == "tensor([1.], dtype=torch.float32)"
        )
    finally:
        dyngrad.set_default_dtype(dyngrad.float32)
    assert dyngrad.tensor(1.0).dtype is dyngrad.float32
    assert repr(dyngrad.tensor([1.0], dtype=dyngrad.float64)) == "tensor([1.], dtype=torch.float64)"
    with pytest.raises(
        TypeError, match="only floating-point types are supported as the default type"
    ):
        dyngrad.set_default_dtype(dyngrad.int64)
