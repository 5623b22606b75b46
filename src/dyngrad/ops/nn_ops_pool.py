"""Max and average pooling over the last two dims (``(C, H, W)`` or ``(N, C, H, W)``), the
kernels behind ``max_pool1d/2d`` and ``avg_pool1d/2d`` (1-d runs as 2-d of height one, as
in torch).

Both loop over the kH·kW kernel offsets, each step one vectorised NumPy operation on a
strided view of the padded input (never over pixels or batch elements):

- max: y = max over the window, i = flat index (h·W + w) of the first maximum (of the last
  NaN, if any: NaN wins, as in torch). x̄ = ȳ added at i (``_MaxPoolScatter``), whose own
  backward gathers at i, so max pooling is twice differentiable.
- average: y = Σ window / divisor (the window's size, counting padding or not, or
  ``divisor_override``). Linear, so x̄ = Aᵀȳ (``_AvgPoolAdjoint``) and that op's
  backward is the average pool again.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OWN, OpNode
from .indexing_gather import gather
from .indexing_saved import saved_index, watch
from .nn_ops_arrays import pad_trailing, window_slices

__all__ = ["pool_out_size", "max_pool2d_kernel", "avg_pool2d_kernel", "max_scatter"]


def pool_out_size(size: int, k: int, stride: int, pad: int, dil: int, ceil_mode: bool) -> int:
    """torch's pooling output length: floor (or ceil) of the window count; with ceil_mode the
    last window must start inside the input or its left padding."""
    num = size + 2 * pad - dil * (k - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = num // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def _padded(a: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
            padding: tuple[int, ...], dilation: tuple[int, ...], out: tuple[int, ...],
            fill: Any) -> np.ndarray:  # fmt: skip
    """``a`` padded by ``padding`` on the left and enough on the right for every window (in
    a scratch buffer: the callers copy what they return)."""
    size = a.shape[-2:]
    right = tuple(
        max(p, (o - 1) * s + d * (k - 1) + 1 - n - p)
        for n, k, s, p, d, o in zip(size, kernel, stride, padding, dilation, out)
    )
    return pad_trailing(a, padding, right, fill, temporary=True)


def _lowest(dtype: np.dtype) -> Any:
    return -math.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _first_valid_offset(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
                        padding: tuple[int, ...], dilation: tuple[int, ...],
                        out: tuple[int, ...]) -> np.ndarray:  # fmt: skip
    """Per output position, the flat kernel offset of its first tap inside the input (torch
    reports that position when the window holds nothing above −inf)."""
    taps = []
    for _n, k, s, p, d, o in zip(size, kernel, stride, padding, dilation, out):
        start = np.arange(o) * s - p
        taps.append(np.where(start < 0, -(start // d), 0).clip(max=k - 1))  # ceil(-start / d)
    return taps[0][:, None] * kernel[1] + taps[1][None, :]


def max_pool2d_arrays(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
                      padding: tuple[int, ...], dilation: tuple[int, ...],
                      out: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Window maxima and their flat indices into each (H, W) plane.

    Note: only plain ufuncs run over the data (masked copies and ``where`` are several times
    slower): the maximum is a chain of ``np.maximum``; the first offset holding it is found
    walking the offsets backwards with ``pick −= (cand == max)·(pick − k)``. NaN windows and
    windows of nothing but the lowest value are fixed up afterwards (rare).
    """
    lead = x.shape[:-2]
    size = x.shape[-2:]
    if 0 in lead or 0 in out:
        return np.zeros(lead + out, x.dtype), np.zeros(lead + out, np.int64)
    lowest = _lowest(x.dtype)
    xp = _padded(x, kernel, stride, padding, dilation, out, lowest)
    cands = [xp[(...,) + sl] for _, sl in window_slices(kernel, stride, dilation, out)]
    best = cands[0].copy()
    for cand in cands[1:]:
        np.maximum(best, cand, out=best)
    k = len(cands)
    pick = np.full(best.shape, k - 1, np.int8 if k < 128 else np.int32)
    step = np.empty_like(pick)
    hit = np.empty(best.shape, bool)
    for j in range(k - 2, -1, -1):
        np.equal(cands[j], best, out=hit)
        np.subtract(pick, j, out=step)
        np.multiply(step, hit, out=step)
        np.subtract(pick, step, out=pick)
    if x.dtype.kind == "f" and np.isnan(best).any():  # torch: the last NaN in the window wins
        for j in range(k):
            pick = np.where(np.isnan(cands[j]), j, pick)
    if any(padding):  # a window of nothing above the lowest value reports its first real tap
        flat = best == lowest
        if flat.any():
            first = _first_valid_offset(size, kernel, stride, padding, dilation, out)
            pick = np.where(flat, first.astype(pick.dtype), pick)
    # offset (i, j) of output (p, q) reads input (p·s − pad + i·d, q·s − pad + j·d)
    taps = np.array([i * dilation[0] * size[1] + j * dilation[1] for i, j in np.ndindex(*kernel)])
    base = ((np.arange(out[0]) * stride[0] - padding[0]) * size[1])[:, None] + (
        np.arange(out[1]) * stride[1] - padding[1]
    )
    indices = np.take(taps, pick)
    indices += base
    return best, indices


class _MaxPoolScatter(OpNode):
    """x̄ = ȳ added at the flat ``indices`` of each (H, W) plane (zeros elsewhere);
    its backward: ḡ = x̄̄ gathered at ``indices``."""

    promote = OWN
    linear = True  # forward mode: the tangent is scattered the same way

    def forward(self, g: np.ndarray, indices: np.ndarray, plane: tuple[int, ...],
                unique: bool) -> Any:  # fmt: skip
        if isinstance(self, OpNode):
            self.indices = indices
        lead = indices.shape[:-2]
        m, p = math.prod(lead), math.prod(plane)
        per_plane = indices.shape[-2] * indices.shape[-1]
        flat = (indices.reshape(m, per_plane) + (np.arange(m, dtype=np.int64) * p)[:, None]).ravel()
        if unique:
            out = np.zeros(m * p, g.dtype)
            out[flat] = g.ravel()
        else:
            out = np.bincount(flat, weights=g.ravel(), minlength=m * p).astype(g.dtype)
        return out.reshape(lead + plane)

    def backward(self, gg: Tensor) -> Tensor:
        idx = self.indices
        lead = idx.shape[:-2]
        flat_idx = Tensor._make(
            idx.reshape(lead + (idx.shape[-2] * idx.shape[-1],)), False, None, 0
        )
        picked = gather(gg.flatten(-2), -1, flat_idx)  # type: ignore[attr-defined]
        return picked.reshape(idx.shape)  # type: ignore[no-any-return]


def max_scatter(g: Tensor, indices: np.ndarray, plane: tuple[int, ...], unique: bool) -> Tensor:
    """``g`` added into zeros of shape ``(..., *plane)`` at the flat ``indices``."""
    return _MaxPoolScatter.apply(g, indices=indices, plane=plane, unique=unique)  # type: ignore[no-any-return]


class MaxPool2DWithIndicesBackward0(OpNode):
    """(y, i) = max and argmax over each window;  x̄ = ȳ added at i (``_MaxPoolScatter``)."""

    promote = OWN
    n_outputs = 2
    save = (0,)  # as torch: the input and the indices output are checked for in-place changes
    indices = saved_index()

    def forward(self, x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
                padding: tuple[int, ...], dilation: tuple[int, ...],
                out: tuple[int, ...]) -> Any:  # fmt: skip
        y, idx = max_pool2d_arrays(x, kernel, stride, padding, dilation, out)
        if isinstance(self, OpNode):
            self.indices = idx
            self.plane = x.shape[-2:]
            self.unique = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
        return y, idx

    def backward(self, g: Tensor, _g_indices: Any) -> tuple[Any, ...]:
        self.saved_tensors  # noqa: B018 - version check only
        return (max_scatter(g, self.indices, self.plane, self.unique),)

    def jvp(self, dx: Tensor, x: Tensor, out: tuple[Tensor, Tensor]) -> tuple[Any, None]:
        """ẏ = ẋ gathered at i (the indices get no tangent)."""
        return gather_at(dx, out[1]), None


def gather_at(t: Tensor, indices: Tensor) -> Tensor:
    """``t`` (..., H, W) read at the flat plane ``indices`` (..., Ho, Wo)."""
    flat = indices.flatten(-2)  # type: ignore[attr-defined]
    return gather(t.flatten(-2), -1, flat).reshape(indices.shape)  # type: ignore[attr-defined,no-any-return]


def max_pool2d_kernel(x: Tensor, kernel: tuple[int, ...], stride: tuple[int, ...],
                      padding: tuple[int, ...], dilation: tuple[int, ...],
                      out: tuple[int, ...]) -> tuple[Tensor, Tensor]:  # fmt: skip
    """Max pooling of checked arguments: (values, int64 indices)."""
    values, indices = MaxPool2DWithIndicesBackward0.apply(
        x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, out=out
    )
    watch(values, "indices", indices)
    return values, indices


# --- average pooling -------------------------------------------------------------------------


def _divisor(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
             padding: tuple[int, ...], out: tuple[int, ...], count_include_pad: bool,
             divisor_override: int | None) -> np.ndarray | int:  # fmt: skip
    """Each window's divisor, (Ho, Wo): a product of per-dim window lengths (torch counts the
    padding but never what lies beyond it, or only the input when not count_include_pad)."""
    if divisor_override is not None:
        return divisor_override
    lengths = []
    for n, k, s, p, o in zip(size, kernel, stride, padding, out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        if count_include_pad:
            lengths.append(end - start)
        else:
            lengths.append(np.maximum(np.minimum(end, n) - np.maximum(start, 0), 1))
    div = lengths[0][:, None] * lengths[1][None, :]
    return int(div.flat[0]) if div.size and (div == div.flat[0]).all() else div  # type: ignore[no-any-return]


def _divide(total: np.ndarray, divisor: np.ndarray | int) -> np.ndarray:
    """``total / divisor`` (in place: ``total`` is the op's own array)."""
    if total.dtype.kind == "f":
        return np.divide(total, np.asarray(divisor, total.dtype), out=total)  # type: ignore[no-any-return]
    div = np.asarray(divisor, np.int64)  # integer average: C division, truncating toward zero
    q = np.abs(total) // np.abs(div)
    return (q * (np.sign(total) * np.sign(div))).astype(total.dtype)  # type: ignore[no-any-return]


class AvgPool2DBackward0(OpNode):
    """y = Σ window / divisor;  x̄ = Aᵀȳ (``_AvgPoolAdjoint``: ȳ/divisor added back over
    each window)."""

    promote = OWN
    save = (0,)  # torch saves the input: an in-place change of it is caught
    linear = True  # forward mode: ẏ = the average pool of ẋ

    def forward(self, x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
                padding: tuple[int, ...], out: tuple[int, ...], count_include_pad: bool,
                divisor_override: int | None) -> Any:  # fmt: skip
        self.args = (kernel, stride, padding, out, count_include_pad, divisor_override)
        self.plane = x.shape[-2:]
        lead = x.shape[:-2]
        if 0 in lead or 0 in out:
            return np.zeros(lead + out, x.dtype)
        xp = _padded(x, kernel, stride, padding, (1, 1), out, 0)
        total = None
        for _, sl in window_slices(kernel, stride, (1, 1), out):
            if total is None:
                total = xp[(...,) + sl].copy()
            else:
                total += xp[(...,) + sl]
        div = _divisor(x.shape[-2:], kernel, stride, padding, out, count_include_pad,
                       divisor_override)  # fmt: skip
        return _divide(total, div)  # type: ignore[arg-type]

    def backward(self, g: Tensor) -> Tensor:
        self.saved_tensors  # noqa: B018 - version check only
        return _AvgPoolAdjoint.apply(g, args=self.args, plane=self.plane)  # type: ignore[no-any-return]


class _AvgPoolAdjoint(OpNode):
    """x̄ = Aᵀȳ for y = A x the average pool: ȳ/divisor added over each window;
    its backward is the average pool itself."""

    promote = OWN
    linear = True

    def forward(self, g: np.ndarray, args: tuple[Any, ...], plane: tuple[int, ...]) -> Any:
        self.args = args
        kernel, stride, padding, out, count_include_pad, divisor_override = args
        lead = g.shape[:-2]
        scaled = g / np.asarray(
            _divisor(plane, kernel, stride, padding, out, count_include_pad, divisor_override),
            g.dtype,
        )
        if all(
            p == 0 and s == k and n == o * k
            for n, k, s, p, o in zip(plane, kernel, stride, padding, out)
        ):
            buf = np.empty(lead + plane, g.dtype)  # the windows tile the input exactly
            for _, sl in window_slices(kernel, stride, (1, 1), out):
                buf[(...,) + sl] = scaled
            return buf
        right = tuple(
            max(p, (o - 1) * s + k - n - p)
            for n, k, s, p, o in zip(plane, kernel, stride, padding, out)
        )
        buf = np.zeros(lead + tuple(n + p + r for n, p, r in zip(plane, padding, right)), g.dtype)
        if 0 not in out:
            for _, sl in window_slices(kernel, stride, (1, 1), out):
                buf[(...,) + sl] += scaled
        if not any(padding) and not any(right):
            return buf
        return buf[(...,) + tuple(slice(p, p + n) for p, n in zip(padding, plane))].copy()

    def backward(self, gg: Tensor) -> Tensor:
        kernel, stride, padding, out, count_include_pad, divisor_override = self.args
        return AvgPool2DBackward0.apply(  # type: ignore[no-any-return]
            gg, kernel=kernel, stride=stride, padding=padding, out=out,
            count_include_pad=count_include_pad, divisor_override=divisor_override,
        )  # fmt: skip


def avg_pool2d_kernel(x: Tensor, kernel: tuple[int, ...], stride: tuple[int, ...],
                      padding: tuple[int, ...], out: tuple[int, ...], count_include_pad: bool,
                      divisor_override: int | None) -> Tensor:  # fmt: skip
    """Average pooling of checked arguments."""
    return AvgPool2DBackward0.apply(  # type: ignore[no-any-return]
        x, kernel=kernel, stride=stride, padding=padding, out=out,
        count_include_pad=count_include_pad, divisor_override=divisor_override,
    )  # fmt: skip
