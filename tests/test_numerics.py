"""Numerics as torch: inf/nan silently (no NumPy RuntimeWarning, in forward or backward),
stable forms at extreme inputs, where/masking gradients with NaN exactly where torch has
them, integer overflow that wraps around as torch's does."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

INF = math.inf
NAN = math.nan


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _same(ours: Any, theirs: Any, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Same dtype, shape, NaN and ±inf positions, and close finite values."""
    assert str(ours.dtype).rsplit(".", 1)[-1] == str(theirs.dtype).rsplit(".", 1)[-1]
    a, b = _np(ours), _np(theirs)
    assert a.shape == b.shape
    if b.dtype.kind != "f":
        np.testing.assert_array_equal(a, b)
        return
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"NaN: ours {a} torch {b}")
    np.testing.assert_array_equal(np.isposinf(a), np.isposinf(b), err_msg=f"+inf: {a} vs {b}")
    np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b), err_msg=f"-inf: {a} vs {b}")
    finite = np.isfinite(b)
    np.testing.assert_allclose(a[finite], b[finite], rtol=rtol, atol=atol)


def _forward_backward(
    fn: Callable[..., Any], values: list[list[float]], dtype: str = "float32"
) -> None:
    """``fn(module, *inputs)`` on both modules: values and input gradients must match torch's,
    and dyngrad must not let a NumPy RuntimeWarning out (in forward or backward)."""

    def run(m: Any) -> tuple[Any, list[Any]]:
        xs = [m.tensor(v, dtype=getattr(m, dtype), requires_grad=True) for v in values]
        y = fn(m, *xs)
        y.backward(m.ones_like(y))
        return y, [x.grad for x in xs]

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        y_o, g_o = run(dyngrad)
    y_t, g_t = run(torch)
    _same(y_o, y_t)
    for a, b in zip(g_o, g_t):
        assert (a is None) == (b is None)
        if b is not None:
            _same(a, b)


# --- inf / nan silently, forward and backward --------------------------------------------------

EDGES = [0.0, -0.0, 1.0, -1.0, 2.0, INF, -INF, NAN, 1e-45, 1e38]

UNARY = {
    "log": lambda m, x: m.log(x),
    "log2": lambda m, x: m.log2(x),
    "log10": lambda m, x: m.log10(x),
    "log1p": lambda m, x: m.log1p(x - 1),
    "sqrt": lambda m, x: m.sqrt(x),
    "rsqrt": lambda m, x: m.rsqrt(x),
    "reciprocal": lambda m, x: m.reciprocal(x),
    "exp": lambda m, x: m.exp(x * 100),
    "expm1": lambda m, x: m.expm1(x * 100),
    "sinh": lambda m, x: m.sinh(x * 100),
    "cosh": lambda m, x: m.cosh(x * 100),
    "acos": lambda m, x: m.acos(x),
    "asin": lambda m, x: m.asin(x),
    "pow_neg": lambda m, x: x**-1.5,
    "pow_frac": lambda m, x: x**0.5,
    "square_big": lambda m, x: (x * 1e20) ** 2,
    "div_self": lambda m, x: x / x,
    "x_log_x": lambda m, x: x * m.log(x),
    "tanh": lambda m, x: m.tanh(x),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "erf": lambda m, x: m.erf(x),
    "abs": lambda m, x: m.abs(x),
    "norm": lambda m, x: m.linalg.vector_norm(x * 0),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(UNARY))
def test_edge_values_give_torchs_inf_and_nan_silently(name: str, dtype: str) -> None:
    _forward_backward(UNARY[name], [EDGES], dtype)


BINARY = {
    "div": lambda m, a, b: a / b,
    "atan2": lambda m, a, b: m.atan2(a, b),
    "pow": lambda m, a, b: m.pow(a, b),
    "hypot": lambda m, a, b: m.hypot(a, b),
    "fmod": lambda m, a, b: m.fmod(a, b),
    "remainder": lambda m, a, b: m.remainder(a, b),
    "maximum": lambda m, a, b: m.maximum(a, b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_edge_values_give_torchs_inf_and_nan_silently(name: str) -> None:
    a = [0.0, 0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, 0.0, 2.0]
    b = [0.0, -0.0, 0.0, 0.0, 0.0, INF, 2.0, 1.0, NAN, -INF]
    _forward_backward(BINARY[name], [a, b], "float64")


# --- stable forms at extreme inputs ----------------------------------------------------------------

EXTREMES = [[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0], [-INF, 0.0, 1.0],
            [INF, 0.0, 1.0], [-1000.0, -1000.0, -1000.0], [1e30, -1e30, 0.0]]  # fmt: skip

STABLE = {
    "logsumexp": lambda m, x: m.logsumexp(x, 0),
    "softmax": lambda m, x: m.softmax(x, 0),
    "log_softmax": lambda m, x: m.log_softmax(x, 0),
    "softmin": lambda m, x: m.nn.functional.softmin(x, 0),
    "sigmoid": lambda m, x: m.sigmoid(x),
    "logsigmoid": lambda m, x: m.nn.functional.logsigmoid(x),
    "softplus": lambda m, x: m.nn.functional.softplus(x),
    "softplus_beta": lambda m, x: m.nn.functional.softplus(x, beta=2.0, threshold=30.0),
    "tanh": lambda m, x: m.tanh(x),
    "silu": lambda m, x: m.nn.functional.silu(x),
    "elu": lambda m, x: m.nn.functional.elu(x),
    "bce_logits_1": lambda m, x: m.nn.functional.binary_cross_entropy_with_logits(
        x, m.ones_like(x), reduction="none"
    ),
    "bce_logits_0": lambda m, x: m.nn.functional.binary_cross_entropy_with_logits(
        x, m.zeros_like(x), reduction="none"
    ),
    "bce_logits_pos_weight": lambda m, x: m.nn.functional.binary_cross_entropy_with_logits(
        x, m.full_like(x, 0.5), pos_weight=m.full_like(x, 3.0), reduction="sum"
    ),
    "cross_entropy": lambda m, x: m.nn.functional.cross_entropy(x[None], m.tensor([2])),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("values", EXTREMES, ids=lambda v: ",".join(map(str, v)))
@pytest.mark.parametrize("name", sorted(STABLE))
def test_stable_forms_at_extreme_inputs_match_torch(
    name: str, values: list[float], dtype: str
) -> None:
    _forward_backward(STABLE[name], [values], dtype)


# --- where and masking: NaN in gradients exactly where torch has them ---------------------------

MASKED = {
    "where_sqrt": lambda m, x: m.where(x > 0, m.sqrt(x), 0.0),
    "where_log": lambda m, x: m.where(x > 0, m.log(x), m.zeros_like(x)),
    "where_div": lambda m, x: m.where(x != 0, 1 / x, 0.0),
    "where_safe_sqrt": lambda m, x: m.where(x > 0, m.sqrt(m.where(x > 0, x, 1.0)), 0.0),
    "masked_fill_log": lambda m, x: m.log(x).masked_fill(x <= 0, 0.0),
    "masked_fill_input": lambda m, x: m.log(x.masked_fill(x <= 0, 1.0)),
    "clamp_then_log": lambda m, x: m.log(x.clamp(min=1e-12)),
    "mul_by_zero_inf": lambda m, x: (x * 0) * m.exp(x * 1000),
    "nan_to_num": lambda m, x: m.nan_to_num(m.log(x), nan=0.0, posinf=1.0, neginf=-1.0),
    "relu_of_log": lambda m, x: m.relu(m.log(x)),
    "abs_at_zero": lambda m, x: m.abs(x) * 2,
    "index_select_branch": lambda m, x: m.sqrt(x)[x > 0],
}


@pytest.mark.parametrize("name", sorted(MASKED))
def test_masked_gradients_have_nan_exactly_where_torchs_do(name: str) -> None:
    _forward_backward(MASKED[name], [[-1.0, 0.0, 2.0, 4.0, -0.0]], "float64")


# --- integer overflow wraps around as in torch ----------------------------------------------------

INTEGER = [
    ("int8_add", "int8", lambda m, a: a + a),
    ("int8_mul", "int8", lambda m, a: a * a),
    ("int8_neg", "int8", lambda m, a: -a),
    ("int8_abs", "int8", lambda m, a: a.abs()),
    ("int8_sub_scalar", "int8", lambda m, a: a - 100),
    ("int8_mul_big_scalar", "int8", lambda m, a: a * 1000),
    ("uint8_add", "uint8", lambda m, a: a + a),
    ("uint8_sub", "uint8", lambda m, a: a - (a + 1)),
    ("uint8_mul", "uint8", lambda m, a: a * 3),
    ("uint8_add_300", "uint8", lambda m, a: a + 300),
    ("int32_add", "int32", lambda m, a: a + 2_000_000_000),
    ("int32_mul", "int32", lambda m, a: a * a * a),
    ("int64_mul", "int64", lambda m, a: a * 4_611_686_018_427_387_904),
    ("int8_sum", "int8", lambda m, a: a.sum()),
    ("uint8_sum", "uint8", lambda m, a: a.sum()),
    ("int32_sum", "int32", lambda m, a: a.sum()),
    ("int32_sum_dim", "int32", lambda m, a: a.reshape(2, -1).sum(1)),
    ("int32_sum_dtype", "int32", lambda m, a: a.sum(dtype=m.int32)),
    ("int8_cumsum", "int8", lambda m, a: a.cumsum(0)),
    ("int32_prod", "int32", lambda m, a: a.prod()),
    ("uint8_prod_dim", "uint8", lambda m, a: a.reshape(2, -1).prod(1)),
    ("int8_inplace_add", "int8", lambda m, a: a.add_(a)),
    ("uint8_inplace_mul", "uint8", lambda m, a: a.mul_(200)),
    ("int32_floor_div", "int32", lambda m, a: a // -3),
    ("int8_pow", "int8", lambda m, a: a**3),
    ("bool_sum", "bool", lambda m, a: (a > 0).sum()),
]


@pytest.mark.parametrize("name,dtype,fn", INTEGER, ids=[c[0] for c in INTEGER])
def test_integer_overflow_matches_torch(name: str, dtype: str, fn: Callable[..., Any]) -> None:
    info = np.iinfo(dtype) if dtype != "bool" else None
    if info is None:
        values = np.array([1, 0, 1, 1, 0, 1])
    else:
        values = np.array([info.max, info.min, info.max - 1, 1, 0, info.max // 2 + 1])
    ours_in = dyngrad.tensor(values.astype(dtype))
    theirs_in = torch.tensor(values.astype(dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ours = fn(dyngrad, ours_in)
    theirs = fn(torch, theirs_in)
    _same(ours, theirs)


def test_integer_mean_is_refused_as_in_torch() -> None:
    with pytest.raises(RuntimeError, match="mean"):
        dyngrad.tensor([1, 2, 3], dtype=dyngrad.int32).mean()
    with pytest.raises(RuntimeError, match="mean"):
        torch.tensor([1, 2, 3], dtype=torch.int32).mean()
