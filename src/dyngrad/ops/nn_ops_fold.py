"""``unfold`` (im2col: the sliding windows of ``(N, C, H, W)`` as columns ``(N, C·kH·kW, L)``)
and ``fold`` (col2im: columns summed back into an image). Each is the other's adjoint:

- y = im2col(x):  x̄ = col2im(ȳ)  (``Im2ColBackward0``);
- y = col2im(c):  c̄ = im2col(ȳ)  (``Col2ImBackward0``);

so each backward is the other op and gradients of any order work. Unbatched inputs (no N)
are accepted as in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import grad_mode
from ._registry import OWN, OpNode
from .elementwise_scalars import not_implemented_for
from .nn_ops_arrays import col2im, conv_out_size, im2col, int_tuple

__all__ = ["unfold", "fold"]


class Im2ColBackward0(OpNode):
    """y = im2col(x) (windows as columns);  x̄ = col2im(ȳ)."""

    promote = OWN
    linear = True  # forward mode: the same map of the tangent

    def forward(self, x: np.ndarray, kernel: tuple[int, ...], dilation: tuple[int, ...],
                padding: tuple[int, ...], stride: tuple[int, ...]) -> Any:  # fmt: skip
        self.args = (kernel, dilation, padding, stride)
        self.size = x.shape[-2:]
        batched = x.ndim == 4
        xb = x if batched else x[None]
        out = tuple(conv_out_size(n, k, s, p, d)
                    for n, k, s, p, d in zip(xb.shape[2:], kernel, stride, padding, dilation))  # fmt: skip
        cols = im2col(xb, kernel, stride, padding, dilation, out)
        return cols if batched else cols[0]

    def backward(self, g: Tensor) -> Tensor:
        kernel, dilation, padding, stride = self.args
        return Col2ImBackward0.apply(  # type: ignore[no-any-return]
            g,
            output_size=self.size,
            kernel=kernel,
            dilation=dilation,
            padding=padding,
            stride=stride,
        )


class Col2ImBackward0(OpNode):
    """y = col2im(c) (columns summed back into their windows);  c̄ = im2col(ȳ)."""

    promote = OWN
    linear = True  # forward mode: the same map of the tangent

    def forward(self, c: np.ndarray, output_size: tuple[int, ...], kernel: tuple[int, ...],
                dilation: tuple[int, ...], padding: tuple[int, ...],
                stride: tuple[int, ...]) -> Any:  # fmt: skip
        self.args = (kernel, dilation, padding, stride)
        batched = c.ndim == 3
        cb = c if batched else c[None]
        channels = cb.shape[1] // int(np.prod(kernel))
        out = tuple(conv_out_size(n, k, s, p, d)
                    for n, k, s, p, d in zip(output_size, kernel, stride, padding, dilation))  # fmt: skip
        img = col2im(cb, channels, tuple(output_size), kernel, stride, padding, dilation, out)
        img = np.ascontiguousarray(img)
        return img if batched else img[0]

    def backward(self, g: Tensor) -> Tensor:
        kernel, dilation, padding, stride = self.args
        return Im2ColBackward0.apply(  # type: ignore[no-any-return]
            g, kernel=kernel, dilation=dilation, padding=padding, stride=stride
        )


def _parse(kernel_size: Any, dilation: Any, padding: Any, stride: Any,
           fn: str) -> list[tuple[int, ...]]:  # fmt: skip
    """The four window parameters as int tuples (torch's argument parser: TypeError)."""
    named = (("kernel_size", kernel_size), ("dilation", dilation), ("padding", padding),
             ("stride", stride))  # fmt: skip
    return [int_tuple(value, 2, fn, name) for name, value in named]


def _pairs(parsed: list[tuple[int, ...]]) -> tuple[tuple[int, ...], ...]:
    """Check the four parsed window parameters (torch's messages)."""
    for name, t in zip(("kernel_size", "dilation", "padding", "stride"), parsed):
        if len(t) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(t)}")
    k, d, p, s = parsed
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kernel_height: {k[0]} kernel_width: {k[1]}"
        )
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilation_height: {d[0]} dilation_width: {d[1]}"
        )
    if p[0] < 0 or p[1] < 0:
        raise RuntimeError(
            f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}"
        )
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(
            f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: {s[1]}"
        )
    return k, d, p, s


def _dim_error(ndim: int, dim: int) -> IndexError:
    """torch's error for size(dim) of a tensor with ``ndim`` (< 2) dims."""
    if ndim == 0:
        return IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return IndexError(
        f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})"
    )


def _dims(shape: Any) -> str:
    return "[" + ", ".join(str(v) for v in shape) + "]"


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:  # fmt: skip
    """Sliding windows of ``(N, C, H, W)`` (or ``(C, H, W)``) as columns ``(N, C·kH·kW, L)``."""
    parsed = _parse(kernel_size, dilation, padding, stride, "unfold")
    if input.ndim < 2 and input.requires_grad and grad_mode.state.grad_enabled:
        # Note: torch's autograd wrapper reads the input's last two sizes before any check
        raise _dim_error(input.ndim, -1 if input.ndim == 0 else -2)
    k, d, p, s = _pairs(parsed)
    if input.ndim < 3:
        raise _dim_error(input.ndim, max(input.ndim, 1))
    if input.ndim not in (3, 4) or 0 in input.shape[input.ndim - 3 :]:
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
            f"dimensions for input, but got: {_dims(input.shape)}"
        )
    size = input.shape[-2:]
    blocks = [conv_out_size(n, kk, ss, pp, dd) for n, kk, ss, pp, dd in zip(size, k, s, p, d)]
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(
            f"Given input with spatial size ({size[0]}, {size[1]}), kernel_size=({k[0]}, {k[1]}), "
            f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of "
            f"sliding blocks as ({blocks[0]}, {blocks[1]}), but its components must be at least one."
        )
    if input._data.dtype.kind not in "fb":  # torch: floating and bool
        raise not_implemented_for("im2col_out_cpu", input._data.dtype)
    return Im2ColBackward0.apply(input, kernel=k, dilation=d, padding=p, stride=s)  # type: ignore[no-any-return]


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:  # fmt: skip
    """Columns ``(N, C·kH·kW, L)`` (or ``(C·kH·kW, L)``) summed back into ``(N, C, *output_size)``."""
    out_size = int_tuple(output_size, 2, "fold", "output_size")
    if len(out_size) != 2:
        raise RuntimeError(f"It is expected output_size equals to 2, but got size {len(out_size)}")
    k, d, p, s = _pairs(_parse(kernel_size, dilation, padding, stride, "fold"))
    if input.ndim not in (2, 3) or 0 in input.shape[input.ndim - 2 :]:
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
            f"dimensions for input, but got: {_dims(input.shape)}"
        )
    rows, length = input.shape[-2:]
    if rows % (k[0] * k[1]):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
            f"but got input.size(1)={rows} and kernel_size=({k[0]}, {k[1]})."
        )
    blocks = [conv_out_size(n, kk, ss, pp, dd) for n, kk, ss, pp, dd in zip(out_size, k, s, p, d)]
    head = (f"Given output_size=({out_size[0]}, {out_size[1]}), kernel_size=({k[0]}, {k[1]}), "
            f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), ")  # fmt: skip
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(
            f"{head}calculated shape of the array of sliding blocks as ({blocks[0]}, {blocks[1]}), "
            "which is too small (non-positive)"
        )
    if blocks[0] * blocks[1] != length:
        raise RuntimeError(
            f"{head}expected size of input's dimension 2 to match the calculated number of sliding "
            f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={length}."
        )
    if input._data.dtype.kind not in "fb":  # torch: floating and bool
        raise not_implemented_for("col2im_out_cpu", input._data.dtype)
    return Col2ImBackward0.apply(  # type: ignore[no-any-return]
        input, output_size=out_size, kernel=k, dilation=d, padding=p, stride=s
    )
