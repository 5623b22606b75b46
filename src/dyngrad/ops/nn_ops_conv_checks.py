"""Argument checks of the convolution (torch's order and messages), shared by every conv entry
point: ``convolution``, conv1d/2d/3d and conv_transpose1d/2d/3d all call
:func:`check_convolution`.

torch checks a convolution in three stages, and so does this module:

1. the arguments alone: parameter lengths and signs, input/weight ranks, groups, channels,
   bias shape, and (not transposed) that the padded input holds one kernel span;
2. inputs with no batch or no channels (``N == 0`` or ``C == 0``) give an empty result
   without reaching a kernel: no dtype, output_padding or kernel-size checks; any other input
   with no elements is refused ("Only zero batch or zero channel inputs are supported");
3. the kernel's own checks: kernel sizes > 0 and a non-empty weight (in the order and with
   the wording of the kernel torch would use), output_padding and the output size.

1-d convolutions run as 2-d ones of height 1 in torch, so their shapes and sizes are
printed with that extra 1.
"""

from __future__ import annotations

import math
from typing import Any

from .._tensor import Tensor
from ._registry import _TYPE_NAMES
from .elementwise_scalars import not_implemented_for
from .linalg import _C_TYPE_NAMES
from .nn_ops_arrays import conv_out_size

__all__ = ["check_bias_dtype", "check_convolution", "require_tensors", "shape_text"]

Sizes = tuple[int, ...]


def shape_text(shape: Any) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _as_2d(shape: Any) -> tuple[int, ...]:
    """A 1-d convolution's ``(N, C, L)`` shape as torch's ``(N, C, 1, L)`` view of it."""
    shape = tuple(shape)
    return shape[:2] + (1,) + shape[2:] if len(shape) == 3 else shape


def _per_channel(values: Sizes, one_d_pad: int | None = None) -> str:
    """torch prints sizes per channel as (a x b); 1-d convolutions run as 2-d of height 1."""
    vals = ((one_d_pad,) + values) if (one_d_pad is not None and len(values) == 1) else values
    return "(" + " x ".join(str(v) for v in vals) + ")"


def require_tensors(fn: str, input: Any, weight: Any, bias: Any) -> None:
    """torch's TypeError for an input, weight or bias that is not a Tensor."""
    for name, value in (("input", input), ("weight", weight)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(value).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"{fn}(): argument 'bias' must be Tensor, not {type(bias).__name__}")


def check_bias_dtype(input: Tensor, bias: Tensor | None) -> None:
    """conv1d/2d/3d with integer padding check the bias dtype before anything else (the other
    entry points leave it to the kernel, see :func:`check_convolution`)."""
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(
            f"Input type ({_C_TYPE_NAMES[input.dtype.name]}) and bias type "
            f"({_C_TYPE_NAMES[bias.dtype.name]}) should be the same"
        )


def _check_params(weight: Tensor, params: dict[str, Sizes], groups: int) -> None:
    k = weight.ndim - 2
    if k < 1:
        raise RuntimeError("weight should have at least three dimensions")
    for name, value in params.items():
        if len(value) != k and len(value) != 1:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {k} values to match "
                f"the convolution dimensions, but got {name}={shape_text(value)}"
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
        raise RuntimeError(f"dilation should be greater than zero, but got {shape_text(shown)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_shapes(input: Tensor, weight: Tensor, bias: Tensor | None, transposed: bool,
                  groups: int) -> None:  # fmt: skip
    if input.ndim != weight.ndim:
        raise RuntimeError(
            f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
            f"{shape_text(weight.shape)}, but got {input.ndim}-dimensional input of size "
            f"{shape_text(input.shape)} instead"
        )
    w0 = weight.shape[0]
    if w0 < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but "
            f"got weight of size {shape_text(weight.shape)} instead"
        )
    if w0 % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{shape_text(weight.shape)}] instead"
        )
    if not transposed:
        expected, prefix, n_bias = weight.shape[1] * groups, f"Given groups={groups}", w0
    else:
        expected, prefix, n_bias = w0, "Given transposed=1", weight.shape[1] * groups
    if input.shape[1] != expected:
        raise RuntimeError(
            f"{prefix}, weight of size {shape_text(weight.shape)}, expected input{shape_text(input.shape)} "
            f"to have {expected} channels, but got {input.shape[1]} channels instead"
        )
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != n_bias):
        prefix = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(
            f"{prefix} of size {shape_text(weight.shape)}, expected bias to be 1-dimensional with "
            f"{n_bias} elements, but got bias of size {shape_text(bias.shape)} instead"
        )


def _check_kernel_span(input: Tensor, weight: Tensor, padding: Sizes, dilation: Sizes) -> None:
    """Not transposed: the padded input must hold one dilated kernel span per spatial dim."""
    padded = tuple(s + 2 * p for s, p in zip(input.shape[2:], padding))
    span = tuple(d * (k - 1) + 1 for k, d in zip(weight.shape[2:], dilation))
    if any(p < k for p, k in zip(padded, span)):
        raise RuntimeError(
            f"Calculated padded input size per channel: {_per_channel(padded)}. Kernel size: "
            f"{_per_channel(span)}. Kernel size can't be greater than actual input size"
        )


def _uses_onednn(input: Tensor, weight: Tensor, groups: int) -> bool:
    """Whether torch runs this (non-empty) float32 convolution with oneDNN on a CPU with more
    than one thread: for groups, big kernels, batches or inputs (its own heuristic)."""
    if input.dtype.name != "float32":
        return False
    kh, kw = _as_2d((0, 0) + tuple(weight.shape[2:]))[-2:]
    return (
        groups > 1
        or (kh > 3 and kw > 3)
        or input.shape[0] > 1
        or math.prod(_as_2d(input.shape)[:4]) > 20480
    )


def _check_onednn_dtypes(input: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    """oneDNN's check: weight and bias of the input's dtype."""
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype is not input.dtype:
            raise RuntimeError(
                f"Input type (torch.{_TYPE_NAMES[input.dtype.name]}Tensor) and {name} type "
                f"(torch.{_TYPE_NAMES[t.dtype.name]}Tensor) should be the same or input should "
                f"be a MKLDNN tensor and {name} is a dense tensor"
            )


def _check_kernel_dtypes(input: Tensor, weight: Tensor, bias: Tensor | None,
                         transposed: bool) -> None:  # fmt: skip
    """The CPU kernels' check: a weight of the input's dtype; only the 3-d transposed kernel
    also wants the bias's (the others add any bias, cast to the input's dtype)."""
    bias_checked = bias if (transposed and weight.ndim == 5) else None
    for t in (weight, bias_checked):
        if t is not None and t.dtype is not input.dtype:
            raise RuntimeError(
                f"expected scalar type {_TYPE_NAMES[input.dtype.name]} but found "
                f"{_TYPE_NAMES[t.dtype.name]}"
            )


def _kernel_size_error(kernel: Sizes, dilation: Sizes, transposed: bool) -> RuntimeError:
    """The wording of torch's CPU kernels: the dilated ones print a list, the 3-d one
    ``a x b x c (TxHxW)``, the others ``kernel_height: a kernel_width: b``."""
    head = "kernel size should be greater than zero, but got"
    shown = _as_2d((0, 0) + kernel)[2:]
    if not transposed and any(d != 1 for d in dilation):
        return RuntimeError(f"{head} {shape_text(shown)}")
    if len(shown) == 3:
        return RuntimeError(f"{head}: {' x '.join(str(k) for k in shown)} (TxHxW)")
    return RuntimeError(f"{head} kernel_height: {shown[0]} kernel_width: {shown[1]}")


def _empty_weight_error(weight: Tensor, groups: int) -> RuntimeError:
    """torch runs a grouped transposed convolution group by group: it shows one group's
    weight."""
    shape = (weight.shape[0] // groups,) + tuple(weight.shape[1:])
    if weight.ndim == 5:
        return RuntimeError(
            "non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
            f"kernel_width) tensor expected for weight, but got: {shape_text(shape)}"
        )
    return RuntimeError(
        f"non-empty 2D or 4D weight tensor expected, but got: {shape_text(_as_2d(shape))}"
    )


def _bad_output_padding(output_padding: Sizes, stride: Sizes, dilation: Sizes) -> bool:
    return any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation))


def _check_output_padding(output_padding: Sizes, stride: Sizes, dilation: Sizes) -> None:
    if not _bad_output_padding(output_padding, stride, dilation):
        return
    names = ("depth", "height", "width")[3 - max(len(stride), 2) :]
    one = len(stride) == 1
    ops = ((0,) if one else ()) + output_padding
    ss = ((1,) if one else ()) + stride
    ds = ((1,) if one else ()) + dilation
    parts = [f"output_padding_{n}: {v}" for n, v in zip(names, ops)]
    parts += [f"stride_{n}: {v}" for n, v in zip(names, ss)]
    parts += [f"dilation_{n}: {v}" for n, v in zip(names, ds)]
    raise RuntimeError(
        "output padding must be smaller than either stride or dilation, but got " + " ".join(parts)
    )


def _transposed_out(input: Tensor, weight: Tensor, stride: Sizes, padding: Sizes,
                    dilation: Sizes, output_padding: Sizes, allow_zero: bool) -> Sizes:  # fmt: skip
    size = tuple(input.shape[2:])
    out = tuple(
        (s - 1) * st - 2 * p + d * (k - 1) + op + 1
        for s, k, st, p, d, op in zip(
            size, weight.shape[2:], stride, padding, dilation, output_padding
        )
    )
    if any(o < 0 or (o == 0 and not allow_zero) for o in out):
        raise RuntimeError(
            f"Given input size per channel: {_per_channel(size, 1)}. Calculated output size per "
            f"channel: {_per_channel(out, 1)}. Output size is too small"
        )
    return out


def _plain_out(input: Tensor, weight: Tensor, stride: Sizes, padding: Sizes,
               dilation: Sizes) -> Sizes:  # fmt: skip
    return tuple(
        conv_out_size(*a) for a in zip(input.shape[2:], weight.shape[2:], stride, padding, dilation)
    )


def _kernel_name(nd: int, transposed: bool, dilation: Sizes) -> str:
    """The CPU kernel torch would run (named in its dtype errors)."""
    if transposed:
        return f"slow_conv_transpose{max(nd, 2)}d_out_cpu"
    if any(d != 1 for d in dilation):
        return "slow_conv_dilated<>"
    return "compute_columns3d" if nd == 3 else "slow_conv2d_cpu"


def check_convolution(input: Tensor, weight: Tensor, bias: Tensor | None,
                      params: dict[str, Sizes], transposed: bool, groups: int,
                      ) -> tuple[dict[str, Sizes], Sizes]:  # fmt: skip
    """All of torch's checks of a convolution, in its order; returns the parameters expanded
    to one value per spatial dim and the output's spatial size."""
    _check_params(weight, params, groups)
    nd = weight.ndim - 2
    p = {name: v * nd if len(v) == 1 else v for name, v in params.items()}
    stride, padding, dilation = p["stride"], p["padding"], p["dilation"]
    output_padding = p["output_padding"]
    _check_shapes(input, weight, bias, transposed, groups)
    if not transposed:
        _check_kernel_span(input, weight, padding, dilation)
    kernel = tuple(weight.shape[2:])
    n, c = input.shape[:2]
    if n == 0 or c == 0:  # torch's empty-input path: no kernel runs, so no kernel checks
        if c and math.prod(weight.shape) == 0:
            raise IndexError(
                f"convolution of an empty batch with a weight of no elements "
                f"{shape_text(weight.shape)}: select(): index 0 out of range for tensor of size [0] "
                f"at dimension 0"
            )
        if transposed:
            return p, _transposed_out(input, weight, stride, padding, dilation, output_padding,
                                      allow_zero=True)  # fmt: skip
        return p, _plain_out(input, weight, stride, padding, dilation)
    if math.prod(input.shape) == 0:
        raise RuntimeError(
            "Only zero batch or zero channel inputs are supported, but got input shape: "
            f"{shape_text(_as_2d(input.shape))}"
        )
    # (oneDNN takes no output_padding ≥ both stride and dilation: the CPU kernel refuses it)
    onednn = _uses_onednn(input, weight, groups) and not (
        transposed and _bad_output_padding(output_padding, stride, dilation)
    )
    if onednn:
        _check_onednn_dtypes(input, weight, bias)
    if not transposed:
        if 0 in kernel:
            raise _kernel_size_error(kernel, dilation, transposed)
        out = _plain_out(input, weight, stride, padding, dilation)
    else:
        if nd < 3 and 0 in kernel:
            raise _kernel_size_error(kernel, dilation, transposed)
        _check_output_padding(output_padding, stride, dilation)
        if math.prod(weight.shape) == 0:
            raise _empty_weight_error(weight, groups)
        # (oneDNN gives an empty result for an output size of 0, the CPU kernel refuses it)
        out = _transposed_out(input, weight, stride, padding, dilation, output_padding,
                              allow_zero=onednn)  # fmt: skip
    if not onednn:
        _check_kernel_dtypes(input, weight, bias, transposed)
    if input.dtype.name == "bool":
        raise not_implemented_for(_kernel_name(nd, transposed, dilation), input._data.dtype)
    return p, out
