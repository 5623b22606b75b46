"""Which index ``kthvalue`` reports when the k-th smallest value occurs more than once.

The value is the same whatever the algorithm; the index among equal values is not. torch
finds it with the classic in-place selection (Hoare partitioning around a median-of-three
pivot, NaN counted as the largest value) and reports the index that ends up at position k.
This module replays that selection on one row, in plain Python: it is used only for the rows
whose k-th value is tied (the fast NumPy path gives the same index everywhere else).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["tied_kth_indices"]


def _after(a: float, b: float) -> bool:
    """Whether a sorts after b: greater, or NaN beside a number."""
    return a > b or (math.isnan(a) and not math.isnan(b))


def _select(values: list[float], k: int) -> int:
    """The original index the selection leaves at position ``k`` (0-based)."""
    order = list(range(len(values)))

    def swap(p: int, q: int) -> None:
        values[p], values[q] = values[q], values[p]
        order[p], order[q] = order[q], order[p]

    lo, hi = 0, len(values) - 1
    while hi > lo:
        if hi == lo + 1:
            if _after(values[lo], values[hi]):
                swap(lo, hi)
            break
        swap(lo + (hi - lo) // 2, lo + 1)  # median of three: lo+1 <= lo <= hi afterwards
        if _after(values[lo + 1], values[hi]):
            swap(lo + 1, hi)
        if _after(values[lo], values[hi]):
            swap(lo, hi)
        if _after(values[lo + 1], values[lo]):
            swap(lo + 1, lo)
        pivot = values[lo]
        i, j = lo + 1, hi
        while True:
            i += 1
            while _after(pivot, values[i]):
                i += 1
            j -= 1
            while _after(values[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return order[k]


def tied_kth_indices(a: np.ndarray, k: int, axis: int, indices: np.ndarray) -> np.ndarray:
    """``indices`` (the k-th smallest's index along ``axis``, kept as a size-1 dim) with the
    rows whose k-th value is tied replaced by the index torch's selection reports."""
    moved = np.moveaxis(a, axis, -1)
    picked = np.moveaxis(indices, axis, -1)[..., 0]
    kth = np.take_along_axis(moved, picked[..., None], axis=-1)
    same = (moved == kth) | (np.isnan(moved) & np.isnan(kth))
    tied = same.sum(-1) > 1
    if not tied.any():
        return indices
    out = picked.copy()
    rows = [()] if tied.ndim == 0 else [tuple(r) for r in np.argwhere(tied)]
    for row in rows:
        out[row] = _select([float(v) for v in moved[row]], k - 1)
    return np.moveaxis(out[..., None], -1, axis)
