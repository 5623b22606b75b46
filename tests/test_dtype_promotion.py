"""Type promotion: torch's rules (not NumPy's) for every pair of dtypes.

Each operator runs with both operands as tensors with dimensions, with one or both 0-d, and
with a Python scalar (int, float, bool) on either side; result dtypes (or the exception) are
compared with torch. ``result_type``, ``promote_types`` and ``can_cast`` are compared over
all pairs. A few rules are also pinned without torch, with the expectations written out.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad

try:
    import torch
except ImportError:  # pragma: no cover - the parity tests skip
    torch = None

requires_torch = pytest.mark.skipif(
    torch is None, reason="PyTorch not installed: parity test skipped"
)

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]
OPS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "lt": operator.lt,
    "eq": operator.eq,
    "ge": operator.ge,
}
LAYOUTS = {"dims": ((3,), (3,)), "left_0d": ((), (3,)), "right_0d": ((3,), ()), "both_0d": ((), ())}
SCALARS = [2, 2.5, True, -1, 0.0]


def _operand(module: Any, name: str, shape: tuple[int, ...]) -> Any:
    # ones: valid for every dtype and every op here (no division by zero, no overflow)
    return module.ones(shape, dtype=getattr(module, name))


def _result(fn: Callable[[], Any]) -> str:
    try:
        return str(fn().dtype)
    except Exception as exc:  # noqa: BLE001 - the class must match torch's
        return type(exc).__name__


@requires_torch
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("left", DTYPES)
def test_tensor_tensor(left: str, op: str, layout: str) -> None:
    fn = OPS[op]
    lshape, rshape = LAYOUTS[layout]
    ours, ref = [], []
    for right in DTYPES:
        for module, out in ((dyngrad, ours), (torch, ref)):
            a, b = _operand(module, left, lshape), _operand(module, right, rshape)
            out.append(_result(lambda a=a, b=b: fn(a, b)))
    assert dict(zip(DTYPES, ours)) == dict(zip(DTYPES, ref))


@requires_torch
@pytest.mark.parametrize("zero_d", [False, True], ids=["dims", "0d"])
@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("name", DTYPES)
def test_tensor_scalar(name: str, op: str, zero_d: bool) -> None:
    fn = OPS[op]
    shape = () if zero_d else (3,)
    ours, ref = {}, {}
    for scalar, side in itertools.product(SCALARS, ("right", "left")):
        key = f"{scalar!r}-{side}"
        for module, out in ((dyngrad, ours), (torch, ref)):
            t = _operand(module, name, shape)
            args = (t, scalar) if side == "right" else (scalar, t)
            out[key] = _result(lambda args=args: fn(*args))
    assert ours == ref


@requires_torch
@pytest.mark.parametrize("name", DTYPES)
def test_inplace_keeps_dtype_or_refuses(name: str) -> None:
    """``t += other`` keeps ``t``'s dtype; a result of a higher category cannot be cast back."""
    ours, ref = {}, {}
    for other_name in DTYPES:
        for module, out in ((dyngrad, ours), (torch, ref)):
            t = _operand(module, name, (3,))
            other = _operand(module, other_name, (3,))
            out[other_name] = _result(lambda t=t, other=other: t.add_(other))
    assert ours == ref


@requires_torch
@pytest.mark.parametrize("zero_d", [(False, False), (False, True), (True, False), (True, True)])
def test_result_type_pairs(zero_d: tuple[bool, bool]) -> None:
    shapes = [() if z else (2,) for z in zero_d]
    for left, right in itertools.product(DTYPES, DTYPES):
        ours = dyngrad.result_type(
            _operand(dyngrad, left, shapes[0]), _operand(dyngrad, right, shapes[1])
        )
        ref = torch.result_type(_operand(torch, left, shapes[0]), _operand(torch, right, shapes[1]))
        assert str(ours) == str(ref), (left, right, zero_d)


@requires_torch
@pytest.mark.parametrize(
    "scalar", [2, 2.5, True, np.float64(2.5), np.int32(2), np.bool_(True)], ids=repr
)
def test_result_type_with_scalars(scalar: Any) -> None:
    for name, zero_d in itertools.product(DTYPES, (False, True)):
        shape = () if zero_d else (2,)
        for args in ((0, 1), (1, 0)):
            ours_args = [_operand(dyngrad, name, shape), scalar]
            ref_args = [_operand(torch, name, shape), scalar]
            ours = dyngrad.result_type(*(ours_args[i] for i in args))
            ref = torch.result_type(*(ref_args[i] for i in args))
            assert str(ours) == str(ref), (name, zero_d, scalar, args)


@requires_torch
def test_result_type_of_two_scalars_and_bad_arguments() -> None:
    for a, b in itertools.product([1, 2.5, True], repeat=2):
        assert str(dyngrad.result_type(a, b)) == str(torch.result_type(a, b))
    for bad in (
        lambda m: m.result_type(m.tensor([1.0]), "a"),
        lambda m: m.result_type(m.tensor([1.0]), m.tensor([1.0]), m.tensor([1.0])),
        lambda m: m.result_type(None, m.tensor([1.0])),
    ):
        with pytest.raises(TypeError):
            bad(torch)
        with pytest.raises(TypeError):
            bad(dyngrad)


@requires_torch
def test_promote_types_and_can_cast_all_pairs() -> None:
    for left, right in itertools.product(DTYPES, DTYPES):
        ours = dyngrad.promote_types(getattr(dyngrad, left), getattr(dyngrad, right))
        ref = torch.promote_types(getattr(torch, left), getattr(torch, right))
        assert str(ours) == str(ref), ("promote_types", left, right)
        ours_cast = dyngrad.can_cast(getattr(dyngrad, left), getattr(dyngrad, right))
        ref_cast = torch.can_cast(getattr(torch, left), getattr(torch, right))
        assert ours_cast == ref_cast, ("can_cast", left, right)


@requires_torch
@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.can_cast(1, m.int32),
        lambda m: m.can_cast(m.int32, "float32"),
        lambda m: m.promote_types(m.uint8, 1),
        lambda m: m.promote_types("int8", m.uint8),
    ],
)
def test_argument_errors(call: Callable[[Any], Any]) -> None:
    messages = []
    for module in (torch, dyngrad):
        with pytest.raises(TypeError) as info:
            call(module)
        messages.append(str(info.value))
    assert messages[1] == messages[0]


# --- the rules spelled out (no torch needed) ----------------------------------------------
def _t(values: Any, dtype: Any) -> Any:
    return dyngrad.tensor(values, dtype=dtype)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: _t([1.0], dyngrad.float32) * 2.5, "float32"),
        (lambda: 2.5 * _t([1.0], dyngrad.float16), "float16"),
        (lambda: _t([1], dyngrad.int64) / _t([2], dyngrad.int64), "float32"),
        (lambda: _t([1], dyngrad.int32) / 2, "float32"),
        (lambda: _t([1], dyngrad.uint8) + _t([1], dyngrad.int8), "int16"),
        (lambda: _t([True], dyngrad.bool) + _t([True], dyngrad.bool), "bool"),
        (lambda: _t([True], dyngrad.bool) + 1, "int64"),
        (lambda: _t([True], dyngrad.bool) * 1.5, "float32"),
        (lambda: _t([1], dyngrad.int8) + 1000, "int8"),
        (lambda: _t([1], dyngrad.int32) + _t(2.5, dyngrad.float64), "float64"),
        (lambda: _t([1.0], dyngrad.float16) + _t(2.5, dyngrad.float64), "float16"),
        (lambda: _t([1], dyngrad.int8) + _t(2, dyngrad.int64), "int8"),
        (lambda: _t(1, dyngrad.int8) + _t(2, dyngrad.int64), "int64"),
        (lambda: _t([1], dyngrad.uint8) + _t(2, dyngrad.float64) * 0 + 1, "float64"),
        (lambda: _t([1.0], dyngrad.float32) + np.float64(2.5), "float32"),
        (lambda: _t([1], dyngrad.int64) + np.float64(2.5), "float32"),
        (lambda: _t([1], dyngrad.int16) + np.int64(7), "int16"),
        (lambda: _t([1.0], dyngrad.float32) < _t([1], dyngrad.int64), "bool"),
        (lambda: _t([1], dyngrad.int64) == 1.5, "bool"),
    ],
)
def test_promotion_rules(make: Callable[[], Any], expected: str) -> None:
    assert make().dtype is getattr(dyngrad, expected)


def test_result_type_rules() -> None:
    assert dyngrad.result_type(_t([1], dyngrad.int8), 1000) is dyngrad.int8
    assert dyngrad.result_type(2, _t([1], dyngrad.uint8)) is dyngrad.uint8
    assert dyngrad.result_type(_t(2.5, dyngrad.float64), 1) is dyngrad.float64
    assert dyngrad.result_type(1, 2.0) is dyngrad.float32
    assert dyngrad.result_type(True, False) is dyngrad.bool
    assert dyngrad.promote_types(dyngrad.int64, dyngrad.float16) is dyngrad.float16
    assert dyngrad.promote_types(dyngrad.bool, dyngrad.uint8) is dyngrad.uint8
    assert dyngrad.can_cast(dyngrad.float64, dyngrad.float16)
    assert not dyngrad.can_cast(dyngrad.float32, dyngrad.int64)
    assert not dyngrad.can_cast(dyngrad.int8, dyngrad.bool)
    assert dyngrad.can_cast(dyngrad.int64, dyngrad.uint8)


def test_default_dtype_decides_python_floats() -> None:
    try:
        dyngrad.set_default_dtype(dyngrad.float64)
        assert (_t([1], dyngrad.int64) * 2.5).dtype is dyngrad.float64
        assert (_t([1], dyngrad.int64) / 2).dtype is dyngrad.float64
        assert (_t([1.0], dyngrad.float32) * 2.5).dtype is dyngrad.float32
        assert dyngrad.result_type(1, 2.0) is dyngrad.float64
    finally:
        dyngrad.set_default_dtype(dyngrad.float32)
    assert (_t([1], dyngrad.int64) * 2.5).dtype is dyngrad.float32
