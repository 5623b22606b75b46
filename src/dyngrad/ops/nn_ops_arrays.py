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

Temporaries that never leave an op (padded inputs, im2col windows, GEMM results before
col2im) live in per-thread scratch buffers that are reused from call to call: a fresh
multi-megabyte array costs more in page faults than the copy that fills it. The forward's
im2col windows, which its node keeps for the weight gradient, come from a small pool of
buffers that return to the pool once nothing refers to them any more.

Everything here works for any number of spatial dims (1-d, 2-d, 3-d).
"""

from __future__ import annotations

import _thread
import math
import operator
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "scratch",
    "pooled",
    "int_tuple",
    "conv_out_size",
    "pad_trailing",
    "windows",
    "im2col",
    "window_slices",
    "col2im",
    "add_windows",
    "conv_forward_array",
    "conv_weight_grad_array",
    "conv_input_grad_array",
]


# Note: buffers above this size are not kept (an allocation that large is rare and its page
# faults are small next to the work done on it); the pool keeps at most _POOL_BYTES in all.
_SCRATCH_LIMIT_BYTES = 32 * 2**20
_POOL_BYTES = 128 * 2**20


class _ScratchBuffers(_thread._local):
    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}


_scratch = _ScratchBuffers()


def scratch(name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous array from this thread's buffer ``name``, reused by the
    next call with that name: only for values that never leave the op computing them."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > _SCRATCH_LIMIT_BYTES:
        return np.empty(shape, dtype)
    buf = _scratch.buffers.get(name)
    if buf is None or buf.nbytes < nbytes:
        buf = _scratch.buffers[name] = np.empty(max(nbytes, 1), np.uint8)
    return buf[:nbytes].view(dtype).reshape(shape)


class _BufferPool:
    """Big buffers handed out as views; one is free again when only the pool refers to it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.bases: list[np.ndarray] = []
        self.lock = _thread.allocate_lock()

    def take(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > _SCRATCH_LIMIT_BYTES:
            return np.empty(shape, dtype)
        with self.lock:
            # Note: the list slot and getrefcount's argument are the only references to a
            # free base; every view handed out refers to it as its ``.base``.
            free = [i for i in range(len(self.bases)) if sys.getrefcount(self.bases[i]) == 2]
            fits = [i for i in free if self.bases[i].nbytes >= nbytes]
            if fits:
                found = self.bases[fits[0]]
            else:
                found = np.empty(max(nbytes, 1), np.uint8)
                for i in sorted(free, reverse=True):  # free buffers too small: replaced
                    del self.bases[i]
                held = sum(b.nbytes for b in self.bases)
                if len(self.bases) < self.size and held + found.nbytes <= _POOL_BYTES:
                    self.bases.append(found)
            return found[:nbytes].view(dtype).reshape(shape)


_pool = _BufferPool(8)


def pooled(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous array from the shared pool: it may be kept (by a node,
    until its backward) and the memory is reused once it and all its views are gone."""
    return _pool.take(shape, dtype)


def int_tuple(value: Any, n: int, fn: str, arg: str) -> tuple[int, ...]:
    """An int (repeated ``n`` times) or a sequence of ints, as torch's argument parser takes
    ``tuple of ints`` (a sequence of another length passes; the op checks its length)."""
    if isinstance(value, (list, tuple)) or (
        hasattr(value, "__iter__") and not isinstance(value, str)
    ):
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
                 fill: Any = 0, temporary: bool = False) -> np.ndarray:  # fmt: skip
    """``a`` with ``before[i]``/``after[i]`` elements of ``fill`` around its trailing dims
    (in a scratch buffer when ``temporary``: then nothing derived from the result may leave
    the op, and without padding ``a`` itself is returned)."""
    if not any(before) and not any(after):
        return a
    nd = len(before)
    lead = a.shape[: a.ndim - nd]
    spatial = a.shape[a.ndim - nd :]
    shape = lead + tuple(s + b + e for s, b, e in zip(spatial, before, after))
    out = scratch("pad", shape, a.dtype) if temporary else np.empty(shape, a.dtype)
    out.fill(fill)
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
           padding: tuple[int, ...], dilation: tuple[int, ...], out: tuple[int, ...],
           into: str = "fresh") -> np.ndarray:  # fmt: skip
    """Windows of ``x (N, C, *S)`` zero-padded by ``padding``, as ``(N, C·K, L)``, in a new
    array, a ``"scratch"`` buffer or a ``"pooled"`` one."""
    n, c = x.shape[:2]
    nd = len(kernel)
    shape = (n, c * math.prod(kernel), math.prod(out))
    if 0 in out or n * c == 0:
        return np.zeros(shape, x.dtype)
    v = windows(pad_trailing(x, padding, padding, temporary=True), kernel, stride, dilation, out)
    perm = (0, 1, *range(2 + nd, 2 + 2 * nd), *range(2, 2 + nd))
    v = v.transpose(perm)
    if into == "scratch":
        cols = scratch("cols", v.shape, x.dtype)
    else:
        cols = pooled(v.shape, x.dtype) if into == "pooled" else np.empty(v.shape, x.dtype)
    np.copyto(cols, v)
    return cols.reshape(shape)


def window_slices(kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
                  out: tuple[int, ...]) -> Iterator[tuple[tuple[int, ...], tuple[slice, ...]]]:  # fmt: skip
    """For each kernel offset, the slices of the padded input its ``out`` positions read."""
    for offs in np.ndindex(*kernel):
        yield (
            offs,
            tuple(
                slice(o * d, o * d + s * (n - 1) + 1, s)
                for o, d, s, n in zip(offs, dilation, stride, out)
            ),
        )


def add_windows(blocks: np.ndarray, channels: tuple[int, ...], size: tuple[int, ...],
                kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
                dilation: tuple[int, ...]) -> np.ndarray:  # fmt: skip
    """col2im's accumulation: ``blocks (*K, *channels, *out, N)`` (any strides) added into
    the windows of a zero image, returned as a new ``(N, ∏channels, *size)`` array.

    Note: the image is built batch-last, ``(C, *padded, N)``, so each of the K strided adds
    runs over rows of Wo·N contiguous values (NCHW rows are only Wo long: twice as slow,
    and ``np.add.at`` on flat indices is slower still).
    """
    nd, nc = len(kernel), len(channels)
    out = blocks.shape[nd + nc : 2 * nd + nc]
    n = blocks.shape[-1]
    padded = tuple(s + 2 * p for s, p in zip(size, padding))
    buf = scratch("buf", channels + padded + (n,), blocks.dtype)
    buf.fill(0)
    lead = (slice(None),) * nc
    if 0 not in out and n:
        for offs, sl in window_slices(kernel, stride, dilation, out):
            buf[lead + sl] += blocks[offs]
    crop = buf[lead + tuple(slice(p, p + s) for p, s in zip(padding, size))]
    crop = crop.reshape((math.prod(channels),) + size + (n,))
    result = np.empty((n, math.prod(channels)) + size, blocks.dtype)  # a copy: buf is scratch
    np.copyto(result, np.moveaxis(crop, -1, 0))
    return result


def col2im(cols: np.ndarray, channels: int, size: tuple[int, ...], kernel: tuple[int, ...],
           stride: tuple[int, ...], padding: tuple[int, ...], dilation: tuple[int, ...],
           out: tuple[int, ...]) -> np.ndarray:  # fmt: skip
    """Adjoint of :func:`im2col`: ``(N, C·K, L)`` windows summed back into ``(N, C, *size)``."""
    n = cols.shape[0]
    nd = len(kernel)
    blocks = cols.reshape((n, channels) + kernel + out)
    perm = (*range(2, 2 + nd), 1, *range(2 + nd, 2 + 2 * nd), 0)  # (*K, C, *out, N)
    return add_windows(blocks.transpose(perm), (channels,), size, kernel, stride, padding, dilation)


# --- convolution ------------------------------------------------------------------------------
# y = F(x, w): y[n, o, q] = Σ_{c, k} w[o, c, k] · x[n, c, q·s + k·d − p]     (per group)
# G(g, w) = ∂⟨g, F(x, w)⟩/∂x   (the transposed convolution)
# H(x, g) = ∂⟨g, F(x, w)⟩/∂w   (the weight gradient)


def conv_forward_array(x: np.ndarray, w: np.ndarray, stride: tuple[int, ...],
                       padding: tuple[int, ...], dilation: tuple[int, ...], groups: int,
                       out: tuple[int, ...], keep: bool = False) -> tuple[np.ndarray, Any]:  # fmt: skip
    """F(x, w) as ``(N, O, *out)``: one batched GEMM per group on the im2col windows; also
    the windows (from the pool) when ``keep``, for the weight gradient, else None."""
    n = x.shape[0]
    o = w.shape[0]
    kernel = w.shape[2:]
    cols = im2col(x, kernel, stride, padding, dilation, out, into="pooled" if keep else "scratch")
    if groups == 1:
        y = np.matmul(w.reshape(o, -1), cols)
    else:
        per_group = (n, groups, cols.shape[1] // groups, cols.shape[2])
        y = np.matmul(w.reshape(groups, o // groups, -1), cols.reshape(per_group))
    return y.reshape((n, o) + out), (cols if keep else None)


def conv_weight_grad_array(x: np.ndarray, g: np.ndarray, kernel: tuple[int, ...],
                           stride: tuple[int, ...], padding: tuple[int, ...],
                           dilation: tuple[int, ...], groups: int,
                           cols: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """H(x, g) as ``(O, C/groups, *kernel)``: per group ``Σ_n g_n · cols_nᵀ`` (batched GEMM),
    with the forward's im2col windows ``cols`` when it kept them."""
    n, o = g.shape[:2]
    out = g.shape[2:]
    if cols is None:
        cols = im2col(x, kernel, stride, padding, dilation, out, into="scratch")
    length = cols.shape[-1]
    og, ck = o // groups, cols.shape[1] // groups
    g3 = g.reshape(n, groups, og, length)
    c4 = cols.reshape(n, groups, ck, length)
    per_sample = np.matmul(g3, c4.swapaxes(-1, -2), out=scratch("wg", (n, groups, og, ck), g.dtype))
    return per_sample.sum(axis=0).reshape((o, ck // math.prod(kernel)) + kernel)


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
    g2 = scratch("g2", (groups, og, length, n), g.dtype)
    np.copyto(g2, g.reshape(n, groups, og, length).transpose(1, 2, 3, 0))
    wt = w.reshape(groups, og, cg, k).transpose(0, 3, 2, 1).reshape(groups, k * cg, og)
    cols = scratch("cols", (groups, k * cg, length * n), g.dtype)
    np.matmul(wt, g2.reshape(groups, og, length * n), out=cols)  # (G, K·Cg, L·N)
    blocks = np.moveaxis(cols.reshape((groups,) + kernel + (cg,) + out + (n,)), 0, nd)
    return add_windows(blocks, (groups, cg), size, kernel, stride, padding, dilation)
