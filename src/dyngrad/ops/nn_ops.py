"""Convolution (1-d, 2-d, 3-d, plain and transposed) as one op, ``ConvolutionBackward0``, as
torch names it, computed with BLAS through im2col (see nn_ops_arrays.py).

With F(x, w) the convolution, G(g, w) = ∂⟨g, F(x, w)⟩/∂x the transposed convolution and
H(x, g) = ∂⟨g, F(x, w)⟩/∂w the weight gradient (all bilinear):

- y = F(x, w) + b:   x̄ = G(ȳ, w),  w̄ = H(x, ȳ),  b̄ = Σ ȳ over batch and space;
- y = G(x, w) + b (transposed):   x̄ = F(ȳ, w),  w̄ = H(ȳ, x),  b̄ likewise;
- w̄ = H(x, g) is its own op (``_ConvolutionWeightGrad``) with x̄ = G(g, w̄̄), ḡ = F(x, w̄̄).

Every backward is made of these ops again, so gradients of any order work.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OWN, OpNode, register, tangent_sum
from .nn_indexing import constant_pad_nd
from .nn_ops_arrays import (
    conv_forward_array,
    conv_input_grad_array,
    conv_weight_grad_array,
    int_tuple,
)
from .nn_ops_conv_checks import check_bias_dtype, check_convolution, require_tensors, shape_text
from .shape import squeeze, unsqueeze

__all__ = [
    "convolution", "conv1d", "conv2d", "conv3d",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
]  # fmt: skip


def _zeros_like(t: Tensor) -> Tensor:
    return Tensor._make(np.zeros(t.shape, t._data.dtype), False, None, 0)


class ConvolutionBackward0(OpNode):
    """y = F(x, w) + b, or y = G(x, w) + b when ``transposed`` (see the module docstring);
    x̄, w̄, b̄ as listed there."""

    promote = OWN
    save = (0, 1)

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: tuple[int, ...],
                padding: tuple[int, ...], dilation: tuple[int, ...], transposed: bool,
                out: tuple[int, ...], groups: int) -> Any:  # fmt: skip
        self.geometry = (stride, padding, dilation, groups)
        self.transposed = transposed
        self.out = out
        self.no_channels = not transposed and x.shape[1] == 0
        if self.no_channels:  # torch's result for inputs with no channels: no channels either
            return np.zeros((x.shape[0], 0) + out, x.dtype)
        if x.shape[0] == 0:  # an empty batch: an empty result of the input's dtype
            channels = w.shape[1] * groups if transposed else w.shape[0]
            return np.zeros((0, channels) + out, x.dtype)
        if transposed:
            y = conv_input_grad_array(x, w, out, stride, padding, dilation, groups)
        else:
            keep = isinstance(self, OpNode)  # recording: keep the windows for w̄
            y, cols = conv_forward_array(x, w, stride, padding, dilation, groups, out, keep)
            if keep:
                self.cols = cols
        if b is not None:
            y += b.reshape((-1,) + (1,) * len(out))
        return y

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, w = self.saved_tensors
        need_x, need_w, need_b = self.needs_input_grad
        stride, padding, dilation, groups = self.geometry
        geo = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        if self.no_channels:
            zb = Tensor._make(np.zeros(w.shape[0], g._data.dtype), False, None, 0)
            return _zeros_like(x), _zeros_like(w), (zb if need_b else None)
        gx: Tensor | None = None
        gw: Tensor | None = None
        gb: Tensor | None = None
        kernel = tuple(w.shape[2:])
        if not self.transposed:
            if need_x:
                gx = ConvolutionBackward0.apply(
                    g, w, None, transposed=True, out=tuple(x.shape[2:]), **geo
                )
            if need_w:
                cols = self.__dict__.get("cols")
                gw = _ConvolutionWeightGrad.apply(x, g, kernel=kernel, cols=cols, **geo)
        else:
            if need_x:
                gx = ConvolutionBackward0.apply(
                    g, w, None, transposed=False, out=tuple(x.shape[2:]), **geo
                )
            if need_w:
                gw = _ConvolutionWeightGrad.apply(g, x, kernel=kernel, cols=None, **geo)
        if need_b:
            gb = g.sum((0, *range(2, g.ndim)))  # type: ignore[attr-defined]
        return gx, gw, gb

    def jvp(self, dx: Any, dw: Any, db: Any, x: Tensor, w: Tensor, b: Any, y: Tensor) -> Any:
        """ẏ = conv(ẋ, w) + conv(x, ẇ) + ḃ (the op is bilinear in x and w)."""
        if self.no_channels:  # the result has no channels, so neither has the tangent
            return _zeros_like(y)
        stride, padding, dilation, groups = self.geometry
        geo = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        conv = ConvolutionBackward0.apply
        how = {"transposed": self.transposed, "out": self.out, **geo}
        from_x = None if dx is None else conv(dx, w, None, **how)
        from_w = None if dw is None else conv(x, dw, None, **how)
        from_b = None if db is None else db.reshape((-1,) + (1,) * len(self.out))
        return tangent_sum(from_x, from_w, from_b)


class _ConvolutionWeightGrad(OpNode):
    """w̄ = H(x, g) (the weight gradient of y = F(x, w) for ȳ = g);
    x̄ = G(g, w̄̄),  ḡ = F(x, w̄̄)."""

    promote = OWN
    save = (0, 1)

    def forward(self, x: np.ndarray, g: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
                padding: tuple[int, ...], dilation: tuple[int, ...], groups: int,
                cols: np.ndarray | None) -> Any:  # fmt: skip
        self.geometry = {
            "stride": stride,
            "padding": padding,
            "dilation": dilation,
            "groups": groups,
        }
        self.kernel = kernel
        return conv_weight_grad_array(x, g, kernel, stride, padding, dilation, groups, cols)

    def backward(self, gw: Tensor) -> tuple[Any, ...]:
        x, g = self.saved_tensors
        need_x, need_g = self.needs_input_grad
        geo = self.geometry
        gx = gg = None
        if need_x:
            gx = ConvolutionBackward0.apply(
                g, gw, None, transposed=True, out=tuple(x.shape[2:]), **geo
            )
        if need_g:
            gg = ConvolutionBackward0.apply(
                x, gw, None, transposed=False, out=tuple(g.shape[2:]), **geo
            )
        return gx, gg

    def jvp(self, dx: Any, dg: Any, x: Tensor, g: Tensor, y: Tensor) -> Any:
        """ẏ = H(ẋ, g) + H(x, ġ) (H is bilinear)."""
        grad = _ConvolutionWeightGrad.apply
        geo = self.geometry
        from_x = None if dx is None else grad(dx, g, kernel=self.kernel, cols=None, **geo)
        from_g = None if dg is None else grad(x, dg, kernel=self.kernel, cols=None, **geo)
        return tangent_sum(from_x, from_g)


@register(method=False)
def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                dilation: Any, transposed: bool, output_padding: Any, groups: int) -> Tensor:  # fmt: skip
    """The batched N-d convolution behind conv1d/2d/3d and conv_transpose1d/2d/3d
    (``torch.convolution``): ``input (N, C, *S)``, ``weight (O, C/groups, *K)`` or, when
    ``transposed``, ``(C, O/groups, *K)``."""
    require_tensors("convolution", input, weight, bias)
    k = max(weight.ndim - 2, 1)
    params = {
        "stride": int_tuple(stride, k, "convolution", "stride"),
        "padding": int_tuple(padding, k, "convolution", "padding"),
        "dilation": int_tuple(dilation, k, "convolution", "dilation"),
        "output_padding": int_tuple(output_padding, k, "convolution", "output_padding"),
    }
    groups = int_tuple(groups, 1, "convolution", "groups")[0]
    p, out = check_convolution(input, weight, bias, params, bool(transposed), groups)
    return ConvolutionBackward0.apply(  # type: ignore[no-any-return]
        input, weight, bias, stride=p["stride"], padding=p["padding"], dilation=p["dilation"],
        transposed=bool(transposed), out=out, groups=groups,
    )  # fmt: skip


def _batched(name: str, nd: int, input: Any) -> tuple[Tensor, bool]:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, ...)")  # fmt: skip
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
            f"input of size: {shape_text(input.shape)}"
        )
    if input.ndim == nd + 1:
        return unsqueeze(input, 0), True
    return input, False


def _same_padding(name: str, input: Tensor, weight: Tensor, stride: tuple[int, ...],
                  dilation: tuple[int, ...], nd: int) -> tuple[Tensor, tuple[int, ...]]:  # fmt: skip
    """torch's padding='same': d·(k−1) in total per dim, the odd one on the right (by padding
    the input first, with torch's warning)."""
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    if weight.ndim != nd + 2 or len(dilation) not in (1, nd):
        return input, (0,) * nd
    dil = dilation * nd if len(dilation) == 1 else dilation
    totals = [d * (k - 1) for d, k in zip(dil, weight.shape[2:])]
    left = tuple(int(t / 2) for t in totals)  # (rounded toward zero: a kernel of size 0 gives -1)
    extra = [t - 2 * lf for t, lf in zip(totals, left)]
    if any(extra):
        warnings.warn(
            "Using padding='same' with even kernel lengths and odd dilation may require a "
            "zero-padded copy of the input be created",
            UserWarning,
            stacklevel=4,
        )
        pads: list[int] = []
        for e in reversed(extra):
            pads += [0, e]
        input = constant_pad_nd(input, pads)
    return input, left


def _conv(name: str, nd: int, input: Any, weight: Any, bias: Any, stride: Any, padding: Any,
          dilation: Any, groups: Any) -> Tensor:  # fmt: skip
    require_tensors(name, input, weight, bias)
    if not isinstance(padding, str):  # (torch checks it here; with 'same'/'valid' the kernel does)
        check_bias_dtype(input, bias)
    x, unbatched = _batched(name, nd, input)
    stride = int_tuple(stride, nd, name, "stride")
    dilation = int_tuple(dilation, nd, name, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0,) * nd
        elif padding == "same":
            x, padding = _same_padding(name, x, weight, stride, dilation, nd)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    padding = int_tuple(padding, nd, name, "padding")
    y = convolution(x, weight, bias, stride, padding, dilation, False, (0,) * nd, groups)
    return squeeze(y, 0) if unbatched else y


def _conv_transpose(name: str, nd: int, input: Any, weight: Any, bias: Any, stride: Any,
                    padding: Any, output_padding: Any, groups: Any, dilation: Any) -> Tensor:  # fmt: skip
    require_tensors(name, input, weight, bias)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    x, unbatched = _batched(name, nd, input)
    args = [int_tuple(v, nd, name, a) for v, a in ((stride, "stride"), (padding, "padding"),
            (dilation, "dilation"), (output_padding, "output_padding"))]  # fmt: skip
    y = convolution(x, weight, bias, args[0], args[1], args[2], True, args[3], groups)
    return squeeze(y, 0) if unbatched else y


@register(method=False)
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:  # fmt: skip
    """1-d convolution (cross-correlation) of ``(N, C, L)`` or ``(C, L)`` input with
    ``weight (O, C/groups, K)``; ``padding`` may be an int, a tuple, ``'same'`` or ``'valid'``."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@register(method=False)
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:  # fmt: skip
    """2-d convolution of ``(N, C, H, W)`` or ``(C, H, W)`` input with ``weight (O, C/groups,
    kH, kW)``: y[n, o] = b[o] + Σ_c Σ_(i,j) w[o, c, i, j] · x[n, c, h·s + i·d − p, w·s + j·d − p].

    >>> dyngrad.conv2d(dyngrad.ones(1, 1, 3, 3), dyngrad.ones(1, 1, 2, 2))
    tensor([[[[4., 4.],
              [4., 4.]]]])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@register(method=False)
def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:  # fmt: skip
    """3-d convolution of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` input."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


@register(method=False)
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:  # fmt: skip
    """Transposed 1-d convolution (the gradient of conv1d w.r.t. its input); ``weight`` is
    ``(C, O/groups, K)``, output length (L−1)·s − 2p + d·(K−1) + output_padding + 1."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)  # fmt: skip


@register(method=False)
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:  # fmt: skip
    """Transposed 2-d convolution; ``weight`` is ``(C, O/groups, kH, kW)``."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)  # fmt: skip


@register(method=False)
def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:  # fmt: skip
    """Transposed 3-d convolution; ``weight`` is ``(C, O/groups, kD, kH, kW)``."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)  # fmt: skip
