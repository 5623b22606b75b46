"""nn.functional (normalization part): batch_norm, instance_norm, layer_norm, group_norm,
rms_norm, plus multi-head attention from ``_functional_attention``, re-exported here.

The kernels are ops in ``dyngrad/ops/nn_norm.py`` (``NativeBatchNormBackward0``,
``NativeLayerNormBackward0``, ``NativeGroupNormBackward0``); this module checks the arguments
with torch's messages and gives them torch's functional signatures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._size import Size
from .._tensor import Tensor
from ..autograd import grad_mode
from ..ops._registry import _TYPE_NAMES
from ..ops.nn_norm import batch_norm_kernel, group_norm_kernel, layer_norm_kernel
from . import _functional_attention
from ._functional_attention import *  # noqa: F403

__all__ = [
    "batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
    *_functional_attention.__all__,
]  # fmt: skip


def _shape_text(shape: Any) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_float(input: Tensor, kernel: str) -> None:
    if not input.is_floating_point():  # type: ignore[attr-defined]
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_TYPE_NAMES.get(input.dtype.name, input.dtype.name)}'"
        )


def _check_same_dtype(input: Tensor, *others: Tensor | None) -> None:
    for t in others:
        if t is not None and t.dtype is not input.dtype:
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _check_channels(name: str, t: Tensor | None, channels: int) -> None:
    if t is not None and t.numel() != channels:
        raise RuntimeError(f"{name} should contain {channels} elements not {t.numel()}")


def _verify_batch_size(size: Any) -> None:
    """torch refuses to train on one value per channel (its variance is undefined)."""
    count = size[0]
    for s in size[2:]:
        count *= s
    if count == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {size}"
        )


# --- batch norm ------------------------------------------------------------------------------


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Normalize each channel (dim 1) of ``input``: y = (x − μ)/√(σ² + ε)·w + b.

    Training: μ, σ² are the batch's (biased variance), and the running statistics, when
    given, move towards them in place: ``running ← (1 − momentum)·running +
    momentum·batch``, using the unbiased variance. Otherwise μ, σ² are the running ones."""
    if momentum is None:
        raise TypeError(
            "batch_norm(): argument 'momentum' (position 7) must be float, not NoneType"
        )
    if training:
        _verify_batch_size(input.size())  # type: ignore[attr-defined]
    if input.numel() == 0:  # torch's shortcut for no values: no further checks, stats untouched
        return _empty_batch_norm(input, weight, bias)
    _check_batch_norm_args(input, running_mean, running_var, weight, bias, training)
    return batch_norm_kernel(input, weight, bias, running_mean, running_var, training,
                             float(momentum), float(eps))  # fmt: skip


def _check_batch_norm_args(input: Tensor, running_mean: Tensor | None,
                           running_var: Tensor | None, weight: Tensor | None,
                           bias: Tensor | None, training: bool) -> None:  # fmt: skip
    """torch's checks of a non-empty batch norm, in torch's order: each running statistic is
    defined (evaluation) and sized, then weight and bias; running statistics must not require
    grad; then the input's rank, the pair of running statistics, dtypes, their rank."""
    # Note: torch reads the channel count of a 0-d or 1-d input as 0
    channels = input.shape[1] if input.ndim >= 2 else 0
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is None and not training:
            raise RuntimeError(f"{name} must be defined in evaluation mode")
        _check_channels(name, t, channels)
    _check_channels("weight", weight, channels)
    _check_channels("bias", bias, channels)
    if grad_mode.state.grad_enabled:
        for name, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is not None and t.requires_grad:
                raise RuntimeError(
                    f"The function 'native_batch_norm' is not differentiable with respect to "
                    f"argument '{name}'. This input cannot have requires_grad True."
                )
    if input.ndim == 0:  # (torch fails inside its kernel here, with an internal error)
        raise RuntimeError("batch_norm: expected an input with at least 2 dims, got a 0-d input")
    if input.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    if training and (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or neither be None")
    _check_float(input, "batch_norm")
    _check_batch_norm_dtypes(input, weight, bias, running_mean, running_var)
    for t in (running_mean, running_var):
        if t is not None and t.ndim != 1:
            raise RuntimeError(f"TensorAccessor expected 1 dims but tensor has {t.ndim}")


def _check_batch_norm_dtypes(input: Tensor, *params: Tensor | None) -> None:
    """torch's rule: parameters of the input's dtype, or (a "mixed" call, when the first
    defined parameter's dtype differs) float32 parameters with a float16 input."""
    defined = [t for t in params if t is not None]
    if not defined:
        return
    if defined[0].dtype is input.dtype:
        for t in defined:
            if t.dtype is not input.dtype:
                raise RuntimeError(
                    f"expected scalar type {_legacy_name(input)} but found {_legacy_name(t)}"
                )
        return
    if any(t.dtype.name != "float32" for t in defined):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    if input.dtype.name not in ("float16", "bfloat16"):
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _legacy_name(t: Tensor) -> str:
    """torch's legacy scalar type name (``Float``, ``Double``, ``Half``)."""
    return {"float32": "Float", "float64": "Double", "float16": "Half"}.get(
        t.dtype.name, t.dtype.name
    )


def _empty_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    """An empty result with torch's graph for it: clone, times w[0], plus b[0]."""
    out = input.clone()  # type: ignore[attr-defined]
    if weight is not None:
        out = out * weight.select(0, 0)  # type: ignore[attr-defined]
    if bias is not None:
        out = out + bias.select(0, 0)  # type: ignore[attr-defined]
    return out  # type: ignore[no-any-return]


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Normalize each (sample, channel) over its spatial positions: batch norm of the input
    viewed as (1, N·C, *). The running statistics, when given and ``use_input_stats``, are
    updated with the mean over the batch of each channel's statistics."""
    if use_input_stats:
        spatial = 1
        for s in input.shape[2:]:
            spatial *= s
        if spatial == 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size {input.size()}"  # type: ignore[attr-defined]
            )
    elif running_mean is None or running_var is None:
        raise RuntimeError(
            "Expected running_mean and running_var to be defined when use_input_stats is false"
        )
    if input.ndim < 2:
        raise IndexError(
            "Dimension specified as 0 but tensor has no dimensions"
            if input.ndim == 0
            else "Dimension out of range (expected to be in range of [-1, 0], but got 1)"
        )
    n, c = input.shape[0], input.shape[1]
    flat = input.reshape(1, n * c, *input.shape[2:])  # type: ignore[attr-defined]

    def per_sample(t: Tensor | None) -> Tensor | None:
        return None if t is None else t.repeat(n)  # type: ignore[attr-defined]

    # Note: torch normalizes with the running statistics in the input's dtype, whatever theirs
    rm, rv = per_sample(running_mean), per_sample(running_var)
    rm = None if rm is None else rm.to(input.dtype)  # type: ignore[attr-defined]
    rv = None if rv is None else rv.to(input.dtype)  # type: ignore[attr-defined]
    out = batch_norm(flat, rm, rv, per_sample(weight), per_sample(bias), use_input_stats,
                     momentum, eps)  # fmt: skip
    if use_input_stats:  # each channel's statistics: the mean over the batch (nan for none)
        with grad_mode.no_grad():
            for running, repeated in ((running_mean, rm), (running_var, rv)):
                if running is not None and repeated is not None:
                    running.copy_(repeated.view(n, c).mean(0))  # type: ignore[attr-defined]
    return out.view(input.shape)  # type: ignore[attr-defined,no-any-return]


# --- layer norm, group norm, RMS norm --------------------------------------------------------


def _normalized_shape(normalized_shape: Any) -> tuple[int, ...]:
    if isinstance(normalized_shape, int) or not isinstance(normalized_shape, (tuple, list, Size)):
        raise TypeError(
            "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
            f"{type(normalized_shape).__name__}"
        )
    return tuple(int(s) for s in normalized_shape)


def _check_trailing(input: Tensor, shape: tuple[int, ...]) -> None:
    if not shape:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
            "one element, but got normalized_shape = []"
        )
    if tuple(input.shape[input.ndim - len(shape) :]) != shape or input.ndim < len(shape):
        raise RuntimeError(
            f"Given normalized_shape={_shape_text(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size{_shape_text(input.shape)}"
        )


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Normalize over the trailing dims ``normalized_shape``: y = (x − μ)/√(σ² + ε)·w + b,
    μ and σ² (biased) per leading index; w and b have the shape ``normalized_shape``."""
    shape = _normalized_shape(normalized_shape)
    _check_trailing(input, shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {_shape_text(t.shape)} and normalized_shape = {_shape_text(shape)}"
            )
    _check_float(input, "LayerNormKernelImpl")
    _check_same_dtype(input, weight, bias)
    return layer_norm_kernel(input, weight, bias, len(shape), float(eps))


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Split the channels (dim 1) into ``num_groups`` groups and normalize each sample's
    group over its channels and positions; then y = x̂·w + b per channel."""
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    channels = input.shape[1]
    _verify_batch_size([input.shape[0] * channels // num_groups, num_groups, *input.shape[2:]])
    if channels % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got input "
            f"of shape {_shape_text(input.shape)} and num_groups={num_groups}"
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.shape[0] != channels):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {_shape_text(t.shape)} and input of shape "
                f"{_shape_text(input.shape)}"
            )
    _check_float(input, "GroupNormKernelImpl")
    _check_same_dtype(input, weight, bias)
    return group_norm_kernel(input, weight, bias, num_groups, float(eps))


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:  # fmt: skip
    """y = x / √(mean(x²) + ε) · w over the trailing dims ``normalized_shape`` (ε defaults to
    the dtype's machine epsilon), composed of public ops."""
    shape = _normalized_shape(normalized_shape)
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(
            "Expected weight to be of same shape as normalized_shape, but got weight of "
            f"shape {_shape_text(weight.shape)} and normalized_shape = {_shape_text(shape)}"
        )
    if input.ndim < len(shape):  # torch checks the weight, then this, then the sizes
        raise ValueError(
            f"Input tensor must have at least {len(shape)} dimensions, but got {input.ndim}"
        )
    _check_trailing(input, shape)
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps) if input.is_floating_point() else 0.0  # type: ignore[attr-defined]
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()  # type: ignore[attr-defined]
    if weight is not None:
        out = out * weight
        if out.dtype is not input.dtype:  # (torch's composite: type_as(input))
            out = out.to(input.dtype)  # type: ignore[attr-defined]
    return out if input.is_contiguous() else out.contiguous()  # type: ignore[attr-defined,no-any-return]
