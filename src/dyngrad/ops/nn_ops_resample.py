"""Separable linear resampling of the trailing dims: nearest / nearest-exact / (bi,tri)linear
upsampling and the adaptive average pool.

Each trailing dim gets an :class:`AxisMap`: for every output position a few taps (input
indices), with weights (linear interpolation), or a validity mask and a divisor (window
averages). Applying the maps dim by dim, last dim first, gives the same arithmetic as torch's
kernels (for bilinear: h0λ·(w0λ·x₀₀ + w1λ·x₀₁) + h1λ·(w0λ·x₁₀ + w1λ·x₁₁)). Only taps are read,
so a non-finite input stays local as in torch.

y = M x is linear: x̄ = Mᵀȳ (the taps' values added back at their indices, by ``bincount``),
and the adjoint's backward is M again, so every order of gradient works.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OWN, OpNode

__all__ = ["AxisMap", "nearest_map", "linear_map", "window_map", "resample"]


@dataclass(frozen=True)
class AxisMap:
    """How one dim of size ``size`` maps to ``len(index[0])`` outputs: y[j] = Σ_t w[t, j] ·
    x[index[t, j]] (w = 1 when ``weight`` is None; taps with ``mask`` False count as 0), the
    sum divided by ``divisor[j]`` when given."""

    size: int
    index: np.ndarray  # (taps, out) int64
    weight: np.ndarray | None = None  # (taps, out) float64, cast to the data's dtype
    mask: np.ndarray | None = None  # (taps, out) bool
    divisor: np.ndarray | None = None  # (out,) int64

    @property
    def out(self) -> int:
        return int(self.index.shape[1])


def nearest_map(size: int, out: int, scale: float | None, exact: bool) -> AxisMap:
    """torch's nearest (src = ⌊j·r⌋) or nearest-exact (src = ⌊(j + ½)·r⌋) index, computed in
    float32 as torch does, r = 1/scale_factor or size/out."""
    j = np.arange(out)
    r = (
        np.float32(1.0 / scale)
        if scale is not None and scale > 0
        else np.float32(size) / np.float32(out)
    )
    pos = (j.astype(np.float32) + np.float32(0.5)) if exact else j.astype(np.float32)
    src = np.minimum(np.floor(pos * r).astype(np.int64), size - 1)
    return AxisMap(size, src[None, :].astype(np.int64))


def linear_map(size: int, out: int, scale: float | None, align_corners: bool,
               dtype: np.dtype) -> AxisMap:  # fmt: skip
    """torch's linear interpolation taps (i₀, i₁) and weights (λ₀, λ₁), computed in the
    data's precision (float32 for float32 data)."""
    j = np.arange(out)
    if out == size:
        return AxisMap(size, np.stack([j, j]), np.stack([np.ones(out), np.zeros(out)]))
    ft = dtype.type
    if align_corners:
        r = ft(size - 1) / ft(out - 1) if out > 1 else ft(0)
        src = r * j.astype(dtype)
    else:
        r = ft(1.0 / scale) if scale is not None and scale > 0 else ft(size) / ft(out)
        src = np.maximum(r * (j.astype(dtype) + ft(0.5)) - ft(0.5), ft(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    lam1 = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    lam0 = (ft(1) - lam1).astype(dtype)
    i1 = i0 + (i0 < size - 1)
    return AxisMap(size, np.stack([i0, i1]), np.stack([lam0, lam1]))


def window_map(size: int, out: int) -> AxisMap:
    """Adaptive average windows [⌊j·size/out⌋, ⌈(j+1)·size/out⌉) as masked taps and counts."""
    j = np.arange(out)
    start = (j * size) // out
    end = -((-(j + 1) * size) // out)
    taps = int((end - start).max()) if out else 0
    t = np.arange(taps)[:, None]
    index = np.minimum(start[None, :] + t, end[None, :] - 1)
    mask = start[None, :] + t < end[None, :]
    return AxisMap(size, index.astype(np.int64), mask=mask, divisor=(end - start).astype(np.int64))


def _apply(a: np.ndarray, m: AxisMap, axis: int) -> np.ndarray:
    total = None
    for t in range(m.index.shape[0]):
        part = np.take(a, m.index[t], axis=axis)
        shape = [1] * a.ndim
        shape[axis] = m.out
        if m.weight is not None:
            part = part * m.weight[t].astype(a.dtype).reshape(shape)
        if m.mask is not None and not m.mask[t].all():
            part = np.where(m.mask[t].reshape(shape), part, a.dtype.type(0))
        total = part if total is None else total + part
    if total is None:
        shape = list(a.shape)
        shape[axis] = m.out
        return np.zeros(shape, a.dtype)
    return total


def _adjoint(g: np.ndarray, m: AxisMap, axis: int) -> np.ndarray:
    """Σ_t (w·g) added at index[t] along ``axis`` (one bincount over all taps)."""
    moved = np.moveaxis(g, axis, -1)
    lead = moved.shape[:-1]
    rows = math.prod(lead)
    vals = moved.reshape(rows, 1, m.out)
    weights = np.ones(m.index.shape) if m.weight is None else m.weight.astype(np.float64)
    if m.mask is not None:
        weights = weights * m.mask
    contrib = vals * weights[None, :, :].astype(g.dtype)
    where = np.arange(rows)[:, None, None] * m.size + m.index[None, :, :]
    summed = np.bincount(where.ravel(), weights=contrib.ravel(), minlength=rows * m.size)
    return np.moveaxis(summed.astype(g.dtype).reshape(lead + (m.size,)), -1, axis)


def _divisor(maps: tuple[AxisMap, ...]) -> np.ndarray | None:
    divs = [m.divisor for m in maps]
    if all(d is None for d in divs):
        return None
    total = np.ones((), np.int64)
    for d, m in zip(divs, maps):
        total = np.multiply.outer(total, d if d is not None else np.ones(m.out, np.int64))
    return total


def resample_array(a: np.ndarray, maps: tuple[AxisMap, ...]) -> np.ndarray:
    """y = M a for the trailing ``len(maps)`` dims."""
    nd = len(maps)
    for k in reversed(range(nd)):
        a = _apply(a, maps[k], a.ndim - nd + k)
    div = _divisor(maps)
    return a if div is None else a / div.astype(a.dtype)


def resample_adjoint_array(g: np.ndarray, maps: tuple[AxisMap, ...]) -> np.ndarray:
    """x̄ = Mᵀ g for the trailing ``len(maps)`` dims."""
    nd = len(maps)
    div = _divisor(maps)
    if div is not None:
        g = g / div.astype(g.dtype)
    for k in range(nd):
        g = _adjoint(g, maps[k], g.ndim - nd + k)
    return np.ascontiguousarray(g)


class _Resample(OpNode):
    """y = M x (``maps``, see :class:`AxisMap`), or y = Mᵀx when ``adjoint``;
    x̄ = Mᵀȳ (resp. M ȳ);  ẏ = M ẋ (linear)."""

    promote = OWN
    linear = True

    def forward(self, a: np.ndarray, maps: tuple[AxisMap, ...], adjoint: bool = False) -> Any:
        self.maps = maps
        self.adjoint = adjoint
        return (
            resample_adjoint_array(a, maps)
            if adjoint
            else np.ascontiguousarray(resample_array(a, maps))
        )

    def backward(self, g: Tensor) -> Tensor:
        return _Resample.apply(g, maps=self.maps, adjoint=not self.adjoint)  # type: ignore[no-any-return]


class UpsampleNearest1DBackward0(_Resample):
    """Nearest-neighbour upsampling of the last dim."""


class UpsampleNearest2DBackward0(_Resample):
    """Nearest-neighbour upsampling of the last two dims."""


class UpsampleNearest3DBackward0(_Resample):
    """Nearest-neighbour upsampling of the last three dims."""


class UpsampleNearestExact1DBackward0(_Resample):
    """Nearest-exact (pixel-centre) upsampling of the last dim."""


class UpsampleNearestExact2DBackward0(_Resample):
    """Nearest-exact upsampling of the last two dims."""


class UpsampleNearestExact3DBackward0(_Resample):
    """Nearest-exact upsampling of the last three dims."""


class UpsampleLinear1DBackward0(_Resample):
    """Linear interpolation of the last dim."""


class UpsampleBilinear2DBackward0(_Resample):
    """Bilinear interpolation of the last two dims."""


class UpsampleTrilinear3DBackward0(_Resample):
    """Trilinear interpolation of the last three dims."""


class AdaptiveAvgPool2DBackward0(_Resample):
    """Adaptive average pooling of the last two dims: window sums over window sizes."""

    save = (0,)  # torch saves the input: an in-place change of it is caught

    def backward(self, g: Tensor) -> Tensor:
        self.saved_tensors  # noqa: B018 - version check only
        return _Resample.backward(self, g)


def resample(node: type[_Resample], x: Tensor, maps: tuple[AxisMap, ...]) -> Tensor:
    """Apply ``maps`` to the trailing dims of ``x``, recorded as ``node``."""
    return node.apply(x, maps=maps)  # type: ignore[no-any-return]
