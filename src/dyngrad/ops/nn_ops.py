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
from ._registry import _TYPE_NAMES, OWN, OpNode, register, tangent_sum
from .elementwise_scalars import not_implemented_for
from .linalg import _C_TYPE_NAMES
from .nn_indexing import constant_pad_nd
from .nn_ops_arrays import (
    conv_forward_array,
    conv_input_grad_array,
    conv_out_size,
    conv_weight_grad_array,
    int_tuple,
)
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


# --- argument checks (torch's messages) ---------------------------------------------------------


def _dims(shape: Any) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _per_channel(values: tuple[int, ...], one_d_pad: int | None = None) -> str:
    """torch prints sizes per channel as (a x b); 1-d convolutions run as 2-d of height 1."""
    vals = ((one_d_pad,) + values) if (one_d_pad is not None and len(values) == 1) else values
    return "(" + " x ".join(str(v) for v in vals) + ")"


def _check_params(weight: Tensor, params: dict[str, tuple[int, ...]], groups: int) -> None:
    k = weight.ndim - 2
    if k < 1:
        raise RuntimeError("weight should have at least three dimensions")
    for name, value in params.items():
        if len(value) != k and len(value) != 1:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {k} values to match "
                f"the convolution dimensions, but got {name}={_dims(value)}"
            )
    if any(p < 0 for p in params["padding"]):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in params["output_padding"]):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in params["stride"]):
        raise RuntimeError("non-positive stride is not supported")
    dil = params["dilation"]
    if any(d <= 0 for d in dil):
        shown = ((1,) + dil) if len(dil) == 1 else dil
        raise RuntimeError(f"dilation should be greater than zero, but got {_dims(shown)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_shapes(input: Tensor, weight: Tensor, bias: Tensor | None, transposed: bool,
                  groups: int) -> None:  # fmt: skip
    if input.ndim != weight.ndim:
        raise RuntimeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
            f"{_dims(weight.shape)}, but got {input.ndim}-dimensional input of size "
            f"{_dims(input.shape)} instead"
        )
    w0 = weight.shape[0]
    if w0 < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but "
            f"got weight of size {_dims(weight.shape)} instead"
        )
    if w0 % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{_dims(weight.shape)}] instead"
        )
    if not transposed:
        expected, prefix, n_bias = weight.shape[1] * groups, f"Given groups={groups}", w0
    else:
        expected, prefix, n_bias = w0, "Given transposed=1", weight.shape[1] * groups
    if input.shape[1] != expected:
        raise RuntimeError(
            f"{prefix}, weight of size {_dims(weight.shape)}, expected input{_dims(input.shape)} "
            f"to have {expected} channels, but got {input.shape[1]} channels instead"
        )
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != n_bias):
        prefix = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(
            f"{prefix} of size {_dims(weight.shape)}, expected bias to be 1-dimensional with "
            f"{n_bias} elements, but got bias of size {_dims(bias.shape)} instead"
        )


def _check_dtypes(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    if weight.dtype is not input.dtype:
        raise RuntimeError(
            f"expected scalar type {_TYPE_NAMES[input.dtype.name]} but found "
            f"{_TYPE_NAMES[weight.dtype.name]}"
        )
    if input.dtype.name == "bool":
        kernel = "slow_conv2d_cpu" if input.ndim <= 4 else "slow_conv3d_cpu"
        raise not_implemented_for(kernel, input._data.dtype)


def _output_size(input: Tensor, weight: Tensor, stride: tuple[int, ...], padding: tuple[int, ...],
                 dilation: tuple[int, ...], transposed: bool,
                 output_padding: tuple[int, ...]) -> tuple[int, ...]:  # fmt: skip
    size = tuple(input.shape[2:])
    kernel = tuple(weight.shape[2:])
    if not transposed:
        padded = tuple(s + 2 * p for s, p in zip(size, padding))
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
        if any(p < k for p, k in zip(padded, span)):
            raise RuntimeError(
                f"Calculated padded input size per channel: {_per_channel(padded)}. Kernel size: "
                f"{_per_channel(span)}. Kernel size can't be greater than actual input size"
            )
        return tuple(conv_out_size(*a) for a in zip(size, kernel, stride, padding, dilation))
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        names = ("depth", "height", "width")[3 - max(len(size), 2) :]
        one = len(size) == 1
        ops, ss, ds = (
            ((0,) if one else ()) + output_padding,
            ((1,) if one else ()) + stride,
            (((1,) if one else ()) + dilation),
        )
        parts = [f"output_padding_{n}: {v}" for n, v in zip(names, ops)]
        parts += [f"stride_{n}: {v}" for n, v in zip(names, ss)]
        parts += [f"dilation_{n}: {v}" for n, v in zip(names, ds)]
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(parts)
        )
    out = tuple(
        (s - 1) * st - 2 * p + d * (k - 1) + op + 1
        for s, k, st, p, d, op in zip(size, kernel, stride, padding, dilation, output_padding)
    )
    if any(o <= 0 for o in out):
        raise RuntimeError(
            f"Given input size per channel: {_per_channel(size, 1)}. Calculated output size per "
            f"channel: {_per_channel(out, 1)}. Output size is too small"
        )
    return out


def _bias_dtype(input: Tensor, bias: Tensor | None) -> None:
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(
            f"Input type ({_C_TYPE_NAMES[input.dtype.name]}) and bias type "
            f"({_C_TYPE_NAMES[bias.dtype.name]}) should be the same"
        )


def _require_tensors(fn: str, input: Any, weight: Any, bias: Any) -> None:
    for name, value in (("input", input), ("weight", weight)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(value).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{fn}(): argument 'bias' must be Tensor, not {type(bias).__name__}")


@register(method=False)
def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any,
                dilation: Any, transposed: bool, output_padding: Any, groups: int) -> Tensor:  # fmt: skip
    """The batched N-d convolution behind conv1d/2d/3d and conv_transpose1d/2d/3d
    (``torch.convolution``): ``input (N, C, *S)``, ``weight (O, C/groups, *K)`` or, when
    ``transposed``, ``(C, O/groups, *K)``."""
    _require_tensors("convolution", input, weight, bias)
    k = max(weight.ndim - 2, 1)
    params = {
        "stride": int_tuple(stride, k, "convolution", "stride"),
        "padding": int_tuple(padding, k, "convolution", "padding"),
        "dilation": int_tuple(dilation, k, "convolution", "dilation"),
        "output_padding": int_tuple(output_padding, k, "convolution", "output_padding"),
    }
    groups = int_tuple(groups, 1, "convolution", "groups")[0]
    _bias_dtype(input, bias)
    _check_params(weight, params, groups)
    nd = weight.ndim - 2
    p = {name: v * nd if len(v) == 1 else v for name, v in params.items()}
    _check_shapes(input, weight, bias, bool(transposed), groups)
    out = _output_size(input, weight, p["stride"], p["padding"], p["dilation"], bool(transposed),
                       p["output_padding"])  # fmt: skip
    _check_dtypes(input, weight, bias)
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
            f"input of size: {_dims(input.shape)}"
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
    left = tuple(t // 2 for t in totals)
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
    _require_tensors(name, input, weight, bias)
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
    _require_tensors(name, input, weight, bias)
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
