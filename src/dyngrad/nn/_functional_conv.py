"""nn.functional (convolution part): convolutions, pooling, unfold/fold and interpolate.

The kernels are ops in ``dyngrad/ops/nn_ops*.py`` (convolution, pooling, im2col/col2im,
resampling), each with its own backward; this module gives them torch's functional
signatures.
"""

from __future__ import annotations

import warnings
from typing import Any

from .._tensor import Tensor
from ..ops.nn_ops import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from ..ops.nn_ops_adaptive import adaptive_avg_pool1d, adaptive_avg_pool2d
from ..ops.nn_ops_adaptive import adaptive_max_pool1d as _adaptive_max_pool1d
from ..ops.nn_ops_adaptive import adaptive_max_pool2d as _adaptive_max_pool2d
from ..ops.nn_ops_fold import fold, unfold
from ..ops.nn_ops_interpolate import interpolate
from ..ops.nn_ops_pool_api import (
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
)

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_max_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "unfold", "fold", "interpolate", "upsample", "upsample_nearest", "upsample_bilinear",
]  # fmt: skip


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over adaptive windows of the last dim; with ``return_indices`` also their
    positions."""
    values, indices = _adaptive_max_pool1d(input, output_size)
    return (values, indices) if return_indices else values


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:  # fmt: skip
    """(values, indices) of the adaptive 1-d max pool."""
    return _adaptive_max_pool1d(input, output_size)  # type: ignore[no-any-return]


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over adaptive windows of the last two dims; with ``return_indices`` also their
    flat positions (h·W + w)."""
    return _adaptive_max_pool2d(input, output_size, return_indices)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = False) -> tuple[Tensor, Tensor]:  # fmt: skip
    """(values, indices) of the adaptive 2-d max pool."""
    return _adaptive_max_pool2d(input, output_size, True)  # type: ignore[no-any-return]


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:  # fmt: skip
    """Deprecated alias of :func:`interpolate` (warns, as torch does)."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='nearest')``."""
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """Deprecated: ``interpolate(..., mode='bilinear', align_corners=True)``."""
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
