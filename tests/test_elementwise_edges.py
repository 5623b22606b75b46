"""Elementwise behaviour the op table cannot express: backward passes torch refuses,
erf's exactness, and Python's integer ``//`` / ``%`` semantics checked against Python itself
(no torch needed for those)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dyngrad

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")


@pytest.mark.parametrize(
    "expression, aten",
    [
        (lambda m, x: x // 2, "floor_divide"),
        (lambda m, x: m.floor_divide(x, x + 3), "floor_divide"),
        (lambda m, x: 7 % x, "remainder"),
        (lambda m, x: m.remainder(-5.5, x), "remainder"),
    ],
)
def test_backward_through_ops_without_derivative_raises(expression, aten) -> None:
    x = dyngrad.tensor([2.5, -1.5, 4.0], requires_grad=True)
    y = expression(dyngrad, x)
    assert type(y.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match=f"derivative for aten::{aten} is not implemented"):
        y.sum().backward()


@needs_torch
@pytest.mark.parametrize(
    "expression", [lambda m, x: x // 2, lambda m, x: 7 % x, lambda m, x: m.floor_divide(3, x)]
)
def test_torch_refuses_the_same_backward(expression) -> None:
    x = torch.tensor([2.5, -1.5, 4.0], requires_grad=True)
    y = expression(torch, x)
    assert type(y.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match="is not implemented"):
        y.sum().backward()


def test_erf_float64_is_correctly_rounded() -> None:
    x = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-300, 1.0, 500)])
    ours = dyngrad.erf(dyngrad.tensor(x)).numpy()
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_array_equal(ours, expected)


@needs_torch
def test_erf_float32_matches_torch_to_one_ulp() -> None:
    x = np.linspace(-6, 6, 10001, dtype=np.float32)
    ours = dyngrad.erf(dyngrad.tensor(x)).numpy()
    theirs = torch.erf(torch.tensor(x)).numpy()
    ulps = np.abs(ours - theirs) / np.spacing(np.abs(theirs).astype(np.float32))
    assert ulps.max() <= 1


_ints = st.integers(-(2**31), 2**31 - 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_ints, _ints.filter(lambda v: v != 0)), min_size=1, max_size=20))
def test_integer_floor_division_and_remainder_follow_python(pairs) -> None:
    a = dyngrad.tensor([p[0] for p in pairs])
    b = dyngrad.tensor([p[1] for p in pairs])
    assert (a // b).tolist() == [p // q for p, q in pairs]
    assert (a % b).tolist() == [p % q for p, q in pairs]
    assert dyngrad.div(a, b, rounding_mode="trunc").tolist() == [
        (-1 if (p < 0) != (q < 0) else 1) * (abs(p) // abs(q)) for p, q in pairs
    ]
    assert dyngrad.fmod(a, b).tolist() == [int(math.fmod(p, q)) for p, q in pairs]


def test_integer_division_by_zero_is_refused() -> None:
    a = dyngrad.tensor([3, -3])
    for op in (
        lambda: a // 0,
        lambda: a % 0,
        lambda: dyngrad.fmod(a, 0),
        lambda: dyngrad.div(a, dyngrad.tensor([1, 0]), rounding_mode="trunc"),
    ):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            op()


def test_uint8_wraps_python_ints_like_torch() -> None:
    u = dyngrad.tensor([1, 200], dtype=dyngrad.uint8)
    assert (u + 300).tolist() == [45, 244]
    assert (u * -1).tolist() == [255, 56]
    assert (u == -1).tolist() == [False, False]
    assert (dyngrad.tensor([255], dtype=dyngrad.uint8) == -1).tolist() == [True]
    with pytest.raises(OverflowError):
        u + 2**64
