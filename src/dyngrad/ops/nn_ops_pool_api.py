"""Max and average pooling as torch's functions take them: argument parsing and torch's
checks (with its messages), then the kernels of nn_ops_pool.py. 1-d pooling is 2-d pooling
of the input with a height-one dim inserted at −2 (so its node is ``SqueezeBackward1``, as
in torch).
"""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ._registry import register
from .elementwise_scalars import not_implemented_for
from .nn_ops_arrays import int_tuple
from .nn_ops_pool import avg_pool2d_kernel, max_pool2d_kernel, pool_out_size
from .shape import squeeze, unsqueeze

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "avg_pool1d", "avg_pool2d"]  # fmt: skip


def _dims(shape: Any) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _pair(fn: str, arg: str, value: Any, rule: str) -> tuple[int, int]:
    t = int_tuple(value, 2, fn, arg)
    if len(t) not in (1, 2):
        raise RuntimeError(f"{fn}: {arg} {rule}")
    return (t[0], t[0]) if len(t) == 1 else (t[0], t[1])


def _params2d(fn: str, kernel_size: Any, stride: Any, padding: Any,
              dilation: Any = 1) -> tuple[tuple[int, int], ...]:  # fmt: skip
    k = _pair(fn, "kernel_size", kernel_size, "must either be a single int, or a tuple of two ints")
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        s = k
    else:
        s = _pair(
            fn, "stride", stride, "must either be omitted, a single int, or a tuple of two ints"
        )
    p = _pair(fn, "padding", padding, "must either be a single int, or a tuple of two ints")
    if fn == "avg_pool2d":
        return k, s, p, (1, 1)
    d = _pair(fn, "dilation", dilation, "must be either a single int, or a tuple of two ints")
    return k, s, p, d


def _output_shape(x: Tensor, k: tuple[int, ...], s: tuple[int, ...], p: tuple[int, ...],
                  d: tuple[int, ...], ceil_mode: bool) -> tuple[int, int]:  # fmt: skip
    """torch's pooling_output_shape checks (stride, padding) and result, per dim."""
    out = []
    for axis in range(2):
        ki, si, pi, di = k[axis], s[axis], p[axis], d[axis]
        if si == 0:
            raise RuntimeError("stride should not be zero")
        if pi < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {pi}")
        if pi > ((ki - 1) * di + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={pi}, "
                f"kernel_size={ki} and dilation={di}"
            )
        size = x.shape[x.ndim - 2 + axis] if x.ndim >= 2 else 1
        out.append(pool_out_size(size, ki, si, pi, di, ceil_mode))
    return out[0], out[1]


def _check_shape(fn: str, x: Tensor, k: tuple[int, ...], s: tuple[int, ...],
                 d: tuple[int, ...] | None, out: tuple[int, int]) -> None:  # fmt: skip
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}"
        )
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if d is not None and (d[0] <= 0 or d[1] <= 0):
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}"
        )
    if x.ndim not in (3, 4) and fn == "max_pool2d":
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if x.ndim not in (3, 4) or any(n == 0 for n in x.shape[x.ndim - 3 :]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
            f"got:{_dims(x.shape)}"
        )
    if out[0] < 1 or out[1] < 1:
        c, h, w = x.shape[-3:]
        raise RuntimeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{out[0]}x{out[1]}). "
            "Output size is too small"
        )


def _require_tensor(fn: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:  # fmt: skip
    """2-d max pooling of ``(C, H, W)`` or ``(N, C, H, W)``: the maxima and their flat
    indices (h·W + w) in each input plane (always both, as in torch)."""
    _require_tensor("max_pool2d", input)
    k, s, p, d = _params2d("max_pool2d", kernel_size, stride, padding, dilation)
    if input.ndim < 2:
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    out = _output_shape(input, k, s, p, d, bool(ceil_mode))
    _check_shape("max_pool2d", input, k, s, d, out)
    if input.dtype.name == "bool":
        raise not_implemented_for("max_pool2d", input._data.dtype)
    return max_pool2d_kernel(input, k, s, p, d, out)


@register(method=False)
def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:  # fmt: skip
    """2-d max pooling; with ``return_indices`` also the flat indices of the maxima.

    >>> dyngrad.max_pool2d(dyngrad.arange(16.).reshape(1, 4, 4), 2)
    tensor([[[ 5.,  7.],
             [13., 15.]]])
    """
    values, indices = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation,
                                              ceil_mode)  # fmt: skip
    return (values, indices) if return_indices else values


def _one(fn: str, arg: str, value: Any, rule: str) -> int:
    t = int_tuple(value, 1, fn, arg)
    if len(t) != 1:
        raise RuntimeError(f"{fn}() {arg} {rule} but got size {len(t)}")
    return t[0]


@register(method=False)
def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> tuple[Tensor, Tensor]:  # fmt: skip
    """1-d max pooling of ``(C, L)`` or ``(N, C, L)``: maxima and their indices along L."""
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _max_pool1d(input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                ceil_mode: bool, with_indices: bool) -> Any:  # fmt: skip
    _require_tensor("max_pool1d", input)
    if input.ndim not in (2, 3) or any(n == 0 for n in input.shape[input.ndim - 2 :]):
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
            f"input, but got:{_dims(input.shape)}"
        )
    ints = "an int, list of ints or tuple of ints of size 1"
    k = _one("max_pool1d", "kernel_size", kernel_size, f"must be {ints}")
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        s = k
    else:
        s = _one("max_pool1d", "stride", stride, "must be None, " + ints.replace(" or", ", or"))
    p = _one("max_pool1d", "padding", padding, "must be " + ints.replace(" or", ", or"))
    d = _one("max_pool1d", "dilation", dilation, f"must be {ints}")
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
            f"kernel_size={k}"
        )
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = pool_out_size(input.shape[-1], k, s, p, d, bool(ceil_mode))
    if out < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    if input.dtype.name == "bool" or (input._data.dtype.kind != "f" and not with_indices):
        raise not_implemented_for("max_pool1d_impl", input._data.dtype)
    values, indices = max_pool2d_kernel(
        unsqueeze(input, -2), (1, k), (1, s), (0, p), (1, d), (1, out)
    )
    values = squeeze(values, -2)
    return (values, squeeze(indices, -2)) if with_indices else values


@register(method=False)
def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:  # fmt: skip
    """1-d max pooling; with ``return_indices`` also the indices of the maxima."""
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _divisor_override(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(
            f"avg_pool2d(): argument 'divisor_override' must be int, not {type(value).__name__}"
        )
    if int(value) == 0:
        raise RuntimeError("divisor must be not zero")
    return int(value)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:  # fmt: skip
    """2-d average pooling: each window's sum over its divisor (its size with or without the
    padding, or ``divisor_override``)."""
    _require_tensor("avg_pool2d", input)
    k, s, p, d = _params2d("avg_pool2d", kernel_size, stride, padding)
    div = _divisor_override(divisor_override)
    if input.ndim < 3:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-max(input.ndim, 1)}, "
            f"{max(input.ndim, 1) - 1}], but got -3)"
        )
    out = _output_shape(input, k, s, p, d, bool(ceil_mode))
    _check_shape("avg_pool2d", input, k, s, None, out)
    if input._data.dtype.kind != "f" and input.dtype.name != "int64":  # torch: floats and int64
        raise not_implemented_for("avg_pool2d", input._data.dtype)
    return avg_pool2d_kernel(input, k, s, p, out, bool(count_include_pad), div)


@register(method=False)
def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:  # fmt: skip
    """1-d average pooling of ``(C, L)`` or ``(N, C, L)``."""
    _require_tensor("avg_pool1d", input)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
            "'self' (while checking arguments for avg_pool1d)"
        )

    def single(arg: str, value: Any) -> int:
        t = int_tuple(value, 1, "avg_pool1d", arg)
        if len(t) != 1:
            raise RuntimeError(
                f"avg_pool1d() argument '{arg}' should contain one int (got {len(t)})"
            )
        return t[0]

    k = single("kernel_size", kernel_size)
    empty = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    s = k if empty else single("stride", stride)
    p = single("padding", padding)
    y = avg_pool2d(unsqueeze(input, -2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return squeeze(y, -2)
