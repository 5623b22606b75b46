"""``interpolate``: torch's argument rules, then the separable resampling ops of
nn_ops_resample.py (modes nearest, nearest-exact, linear, bilinear, trilinear) or the
adaptive average pool (mode area).

With ``size`` the index maps use ratio = in/out; with ``scale_factor`` the output is
⌊in·scale⌋ and the maps use 1/scale (unless ``recompute_scale_factor``), as in torch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor
from .elementwise_scalars import not_implemented_for
from .nn_ops_adaptive import adaptive_avg_pool1d, adaptive_avg_pool2d
from .nn_ops_resample import (
    UpsampleBilinear2DBackward0,
    UpsampleLinear1DBackward0,
    UpsampleNearest1DBackward0,
    UpsampleNearest2DBackward0,
    UpsampleNearest3DBackward0,
    UpsampleNearestExact1DBackward0,
    UpsampleNearestExact2DBackward0,
    UpsampleNearestExact3DBackward0,
    UpsampleTrilinear3DBackward0,
    linear_map,
    nearest_map,
    resample,
)

__all__ = ["interpolate"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_NEAREST = {
    1: UpsampleNearest1DBackward0,
    2: UpsampleNearest2DBackward0,
    3: UpsampleNearest3DBackward0,
}
_EXACT = {1: UpsampleNearestExact1DBackward0, 2: UpsampleNearestExact2DBackward0,
          3: UpsampleNearestExact3DBackward0}  # fmt: skip
_LINEAR = {"linear": (1, UpsampleLinear1DBackward0), "bilinear": (2, UpsampleBilinear2DBackward0),
           "trilinear": (3, UpsampleTrilinear3DBackward0)}  # fmt: skip


def _sizes_and_scales(input: Tensor, size: Any, scale_factor: Any, dim: int,
                      recompute: bool | None) -> tuple[list[int] | None, list[float] | None]:  # fmt: skip
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input "
                    f"with spatial dimensions of {spatial} and output size of {size}. Please provide "
                    "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                    "format."
                )
            sizes = list(size)
        else:
            sizes = [size] * dim
        if not all(hasattr(v, "__index__") for v in sizes):
            raise TypeError(
                f"upsample() received an invalid combination of arguments - got output_size of "
                f"{type(sizes[0]).__name__}, but expected tuple of ints output_size"
            )
        if recompute:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return [int(v) for v in sizes], None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                "scale_factor in (s1, s2, ...,sK) format."
            )
        scales = [float(v) for v in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    sizes = [math.floor(float(n) * s) for n, s in zip(spatial, scales)]
    return sizes, (None if recompute else scales)


def _check_sizes(input: Tensor, sizes: list[int]) -> None:
    spatial = list(input.shape[2:])
    if all(n > 0 for n in spatial) and all(o > 0 for o in sizes):
        if 0 in input.shape[1:2]:
            raise RuntimeError(
                f"Non-empty {input.ndim}D data tensor expected but got a tensor with sizes "
                f"[{', '.join(str(n) for n in input.shape)}]"
            )
        return
    names = ("D", "H", "W")[3 - len(spatial) :]
    ins = ", ".join(f"{n}: {v}" for n, v in zip(names, spatial))
    outs = ", ".join(f"{n}: {v}" for n, v in zip(names, sizes))
    joiner = " and output" if len(spatial) == 1 else " output"
    raise RuntimeError(
        f"Input and output sizes should be greater than 0, but got input ({ins}){joiner} ({outs})"
    )


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:  # fmt: skip
    """Resize the spatial dims of ``(N, C, *spatial)`` to ``size`` or by ``scale_factor``."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    dim = input.ndim - 2
    recompute = bool(recompute_scale_factor)
    sizes, scales = _sizes_and_scales(input, size, scale_factor, dim, recompute_scale_factor)
    if mode == "area" and size is None:
        scales = None
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by dyngrad")
    del recompute
    if mode in ("nearest", "nearest-exact") and dim in (1, 2, 3):
        _check_sizes(input, sizes)  # type: ignore[arg-type]
        if input._data.dtype.kind != "f" and input.dtype.name != "uint8":  # (uint8: images)
            raise not_implemented_for(f"upsample_{mode.replace('-', '_')}{dim}d_channels_last",
                                      input._data.dtype)  # fmt: skip
        maps = tuple(
            nearest_map(n, o, None if scales is None else scales[i], mode == "nearest-exact")
            for i, (n, o) in enumerate(zip(input.shape[2:], sizes))  # type: ignore[arg-type]
        )
        return resample((_NEAREST if mode == "nearest" else _EXACT)[dim], input, maps)
    if mode == "area" and dim in (1, 2):
        pool = adaptive_avg_pool1d if dim == 1 else adaptive_avg_pool2d
        return pool(input, sizes[0] if dim == 1 else tuple(sizes))  # type: ignore[index,arg-type]
    if mode in _LINEAR:
        need, node = _LINEAR[mode]
        if dim == need:
            _check_sizes(input, sizes)  # type: ignore[arg-type]
            if input._data.dtype.kind != "f":
                if input.dtype.name == "uint8" and dim == 2 and input.numel() == 0:
                    # torch's uint8 image kernels; an empty batch needs none of their rounding
                    empty = np.zeros(tuple(input.shape[:2]) + tuple(sizes), np.uint8)  # type: ignore[arg-type]
                    return Tensor._make(empty, False, None, 0)
                raise not_implemented_for(f"upsample_{mode}{dim}d_channels_last", input._data.dtype)
            maps = tuple(
                linear_map(
                    n,
                    o,
                    None if scales is None else scales[i],
                    bool(align_corners),
                    input._data.dtype,
                )  # fmt: skip
                for i, (n, o) in enumerate(zip(input.shape[2:], sizes))  # type: ignore[arg-type]
            )
            return resample(node, input, maps)
        if dim in (1, 2, 3):
            raise NotImplementedError(
                f"Got {input.ndim}D input, but {mode} mode needs {need + 2}D input"
            )
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
        f"modes: {_MODES} (got {mode})"
    )
