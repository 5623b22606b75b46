"""Array-level pieces shared by the convolution, fold and pooling ops (NumPy in, NumPy out).

Layouts (see benchmarks/conv_micro.py for the measurements behind them):

- ``im2col`` gives the windows of a padded input as ``(N, C·K, L)`` (K = kernel elements,
  L = output positions), one C-order copy of a strided ``sliding_window_view``. It is the
  layout of ``nn.functional.unfold`` and the one the convolution's forward GEMM wants:
  ``W (O, C·K) @ cols (N, C·K, L)`` is one batched BLAS call whose result is already NCHW.
- ``col2im`` adds windows back: one vectorised ``+=`` per kernel offset (K of them), each
  over a strided slice of the padded buffer; overlapping windows accumulate in place.
- The convolution's input gradient puts the batch LAST (``(C, *spatial, N)``) so that each
  of its K accumulations runs over long contiguous rows instead of rows of one output width.

Everything here works for any number of spatial dims (1-d, 2-d, 3-d).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "int_tuple",
    "conv_out_size",
    "pad_trailing",
    "windows",
    "im2col",
    "window_slices",
    "col2im",
    "conv_forward_array",
    "conv_weight_grad_array",
    "conv_input_grad_array",
]


def int_tuple(value: Any, n: int, fn: str, arg: str) -> tuple[int, ...]:
    """An int (repeated ``n`` times) or a sequence of ints, as torch's argument parser takes
    ``tuple of ints`` (a sequence of another length passes; the op checks its length)."""
    if isinstance(value, (list, tuple)) or (hasattr(value, "__iter__") and not isinstance(value, str)):
        items = tuple(value)
        if all(_is_int(v) for v in items):
            return tuple(operator.index(v) for v in items)
    elif _is_int(value):
        return (operator.index(value),) * n
    raise TypeError(
        f"{fn}() received an invalid combination of arguments - got {arg}="
        f"{type(value).__name__}, but expected tuple of ints {arg}"
    )


def _is_int(v: Any) -> bool:
    return hasattr(v, "__index__") and not isinstance(v, bool) and not hasattr(v, "_data")


def conv_out_size(size: int, k: int, stride: int, pad: int, dil: int) -> int:
    """Output positions of a convolution along one dim."""
    return (size + 2 * pad - dil * (k - 1) - 1) // stride + 1


def pad_trailing(a: np.ndarray, before: tuple[int, ...], after: tuple[int, ...],
                 fill: Any = 0) -> np.ndarray:  # fmt: skip
    """``a`` with ``before[i]``/``after[i]`` elements of ``fill`` around its trailing dims."""
    if not any(before) and not any(after):
        return a
    nd = len(before)
    lead = a.shape[: a.ndim - nd]
    spatial = a.shape[a.ndim - nd :]
    shape = lead + tuple(s + b + e for s, b, e in zip(spatial, before, after))
    out = np.full(shape, fill, a.dtype) if fill != 0 else np.zeros(shape, a.dtype)
    out[(...,) + tuple(slice(b, b + s) for b, s in zip(before, spatial))] = a
    return out


def windows(padded: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
            dilation: tuple[int, ...], out: tuple[int, ...]) -> np.ndarray:  # fmt: skip
    """Strided view ``(..., *out, *kernel)`` of the windows of an already padded array."""
    nd = len(kernel)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    axes = tuple(range(padded.ndim - nd, padded.ndim))
    v = sliding_window_view(padded, span, axis=axes)
    pick = tuple(slice(0, s * (n - 1) + 1, s) for s, n in zip(stride, out))
    taps = tuple(slice(None, None, d) for d in dilation)
    return v[(...,) + pick + taps]


def im2col(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...],
           padding: tuple[int, ...], dilation: tuple[int, ...],
           out: tuple[int, ...]) -> np.ndarray:  # fmt: skip
    """Windows of ``x (N, C, *S)`` zero-padded by ``padding``, as ``(N, C·K, L)``."""
    n, c = x.shape[:2]
    nd = len(kernel)
    if 0 in out or n * c == 0:
        return np.zeros((n, c * math.prod(kernel), math.prod(out)), x.dtype)
    v = windows(pad_trailing(x, padding, padding), kernel, stride, dilation, out)
    perm = (0, 1, *range(2 + nd, 2 + 2 * nd), *range(2, 2 + nd))
    return np.ascontiguousarray(v.transpose(perm)).reshape(n, c * math.prod(kernel), -1)


def window_slices(kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
                  out: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], tuple[slice, ...]]]:  # fmt: skip
    """For each kernel offset, the slices of the padded input its ``out`` positions read."""
    for offs in np.ndindex(*kernel):
        yield offs, tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s)
            for o, d, s, n in zip(offs, dilation, stride, out)
        )


def col2im(cols: np.ndarray, channels: int, size: tuple[int, ...], kernel: tuple[int, ...],
           stride: tuple[int, ...], padding: tuple[int, ...], dilation: tuple[int, ...],
           out: tuple[int, ...]) -> np.ndarray:  # fmt: skip
    """Adjoint of :func:`im2col`: ``(N, C·K, L)`` windows summed back into ``(N, C, *size)``."""
    n = cols.shape[0]
    nd = len(kernel)
    blocks = cols.reshape((n, channels) + kernel + out)
    blocks = np.moveaxis(blocks, tuple(range(2, 2 + nd)), tuple(range(nd)))  # (*K, N, C, *out)
    padded = tuple(s + 2 * p for s, p in zip(size, padding))
    buf = np.zeros((n, channels) + padded, cols.dtype)
    if 0 not in out:
        for offs, sl in window_slices(kernel, stride, dilation, out):
            buf[(slice(None), slice(None)) + sl] += blocks[offs]
    return buf[(...,) + tuple(slice(p, p + s) for p, s in zip(padding, size))]


# --- convolution ------------------------------------------------------------------------------
# y = F(x, w): y[n, o, q] = Σ_{c, k} w[o, c, k] · x[n, c, q·s + k·d − p]     (per group)
# G(g, w) = ∂⟨g, F(x, w)⟩/∂x   (the transposed convolution)
# H(x, g) = ∂⟨g, F(x, w)⟩/∂w   (the weight gradient)


def conv_forward_array(x: np.ndarray, w: np.ndarray, stride: tuple[int, ...],
                       padding: tuple[int, ...], dilation: tuple[int, ...], groups: int,
                       out: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """F(x, w) as ``(N, O, *out)``, and the im2col windows it used (for the weight gradient)."""
    n = x.shape[0]
    o = w.shape[0]
    kernel = w.shape[2:]
    cols = im2col(x, kernel, stride, padding, dilation, out)
    if groups == 1:
        y = np.matmul(w.reshape(o, -1), cols)
    else:
        per_group = (n, groups, cols.shape[1] // groups, cols.shape[2])
        y = np.matmul(w.reshape(groups, o // groups, -1), cols.reshape(per_group))
    return y.reshape((n, o) + out), cols


def conv_weight_grad_array(x: np.ndarray, g: np.ndarray, kernel: tuple[int, ...],
                           stride: tuple[int, ...], padding: tuple[int, ...],
                           dilation: tuple[int, ...], groups: int,
                           cols: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """H(x, g) as ``(O, C/groups, *kernel)``: per group ``Σ_n g_n · cols_nᵀ`` (batched GEMM)."""
    n, o = g.shape[:2]
    out = g.shape[2:]
    if cols is None:
        cols = im2col(x, kernel, stride, padding, dilation, out)
    length = cols.shape[-1]
    g3 = g.reshape(n, groups, o // groups, length)
    c4 = cols.reshape(n, groups, cols.shape[1] // groups, length)
    wg = np.matmul(g3, c4.swapaxes(-1, -2)).sum(axis=0, dtype=g.dtype)
    return wg.reshape((o, -1) + kernel)


def conv_input_grad_array(g: np.ndarray, w: np.ndarray, size: tuple[int, ...],
                          stride: tuple[int, ...], padding: tuple[int, ...],
                          dilation: tuple[int, ...], groups: int) -> np.ndarray:  # fmt: skip
    """G(g, w) as ``(N, groups·C/groups, *size)``: one GEMM per group, then col2im with the
    batch as the last (contiguous) axis."""
    n, o = g.shape[:2]
    out = g.shape[2:]
    cg = w.shape[1]
    kernel = w.shape[2:]
    nd = len(kernel)
    k = math.prod(kernel)
    length = math.prod(out)
    og = o // groups
    g2 = np.ascontiguousarray(g.reshape(n, groups, og, length).transpose(1, 2, 3, 0))
    wt = w.reshape(groups, og, cg, k).transpose(0, 3, 2, 1).reshape(groups, k * cg, og)
    cols = np.matmul(wt, g2.reshape(groups, og, length * n))  # (G, K·Cg, L·N)
    cols = cols.reshape((groups,) + kernel + (cg,) + out + (n,))
    cols = np.moveaxis(cols, 0, nd)  # (*K, G, Cg, *out, N)
    padded = tuple(s + 2 * p for s, p in zip(size, padding))
    buf = np.zeros((groups, cg) + padded + (n,), g.dtype)
    if 0 not in out and n:
        for offs, sl in window_slices(kernel, stride, dilation, out):
            buf[(slice(None), slice(None)) + sl] += cols[offs]
    crop = buf[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(padding, size))]
    crop = crop.reshape((groups * cg,) + size + (n,))
    return np.ascontiguousarray(np.moveaxis(crop, -1, 0))
