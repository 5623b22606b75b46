"""Which indices ``topk`` reports when values are tied.

The values are the same whatever the algorithm; the indices among equal values, and their
order when ``sorted=False``, are not. On CPU torch selects a row's top k with the C++
standard library's ``nth_element`` (introselect: median-of-three pivot, unguarded Hoare
partition, insertion sort of the last few elements), compares values only (NaN counted as
the largest), keeps the first k positions in the order that leaves them and, when sorted,
orders the first k - 1 with ``std::sort`` (introsort down to runs of 16, then insertion
sort). When k is small beside the row (``64 k <= n``) it uses a partial heap sort instead.

This module replays the selection and the sort on one row, in plain Python, for the rows
where a chosen value is tied (elsewhere the fast NumPy path gives the same answer, up to the order of an
unsorted result). The heap fallbacks (partial sort, or recursion too deep) are not replayed:
those rows keep NumPy's stable order.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["tied_topk_indices"]

Compare = Callable[[float, float], bool]
_SORT_RUN = 16  # std::sort leaves runs this short to its final insertion sort


def _larger_first(x: float, y: float) -> bool:
    return (math.isnan(x) and not math.isnan(y)) or x > y


def _smaller_first(x: float, y: float) -> bool:
    return (not math.isnan(x) and math.isnan(y)) or x < y


class _Row:
    """A row's values and their original positions, permuted together."""

    def __init__(self, values: list[float], comp: Compare) -> None:
        self.v = values
        self.order = list(range(len(values)))
        self.comp = comp

    def swap(self, p: int, q: int) -> None:
        v, o = self.v, self.order
        v[p], v[q] = v[q], v[p]
        o[p], o[q] = o[q], o[p]

    def partition_pivot(self, first: int, last: int) -> int:
        """Median of (first + 1, middle, last - 1) moved to ``first``, then the unguarded
        partition of [first + 1, last) around it; returns the cut."""
        v, comp = self.v, self.comp
        a, b, c = first + 1, first + (last - first) // 2, last - 1
        if comp(v[a], v[b]):
            if comp(v[b], v[c]):
                self.swap(first, b)
            elif comp(v[a], v[c]):
                self.swap(first, c)
            else:
                self.swap(first, a)
        elif comp(v[a], v[c]):
            self.swap(first, a)
        elif comp(v[b], v[c]):
            self.swap(first, c)
        else:
            self.swap(first, b)
        lo, hi = first + 1, last
        while True:
            while comp(v[lo], v[first]):
                lo += 1
            hi -= 1
            while comp(v[first], v[hi]):
                hi -= 1
            if not lo < hi:
                return lo
            self.swap(lo, hi)
            lo += 1

    def insertion_sort(self, first: int, last: int) -> None:
        v, o, comp = self.v, self.order, self.comp
        for i in range(first + 1, last):
            val, pos = v[i], o[i]
            j = i
            while j > first and comp(val, v[j - 1]):
                v[j], o[j] = v[j - 1], o[j - 1]
                j -= 1
            v[j], o[j] = val, pos

    def nth_element(self, nth: int) -> bool:
        """Introselect; False when it would fall back to its heap selection."""
        first, last = 0, len(self.v)
        depth = 2 * (last.bit_length() - 1)
        while last - first > 3:
            if depth == 0:
                return False
            depth -= 1
            cut = self.partition_pivot(first, last)
            if cut <= nth:
                first = cut
            else:
                last = cut
        self.insertion_sort(first, last)
        return True

    def sort(self, first: int, last: int, depth: int) -> bool:
        """Introsort's loop down to short runs; False when it would fall back to heapsort."""
        while last - first > _SORT_RUN:
            if depth == 0:
                return False
            depth -= 1
            cut = self.partition_pivot(first, last)
            if not self.sort(cut, last, depth):
                return False
            last = cut
        return True


def _row_order(values: list[float], k: int, largest: bool, sorted_: bool) -> list[int] | None:
    """torch's top-k positions of one row, or None where the replay does not apply."""
    row = _Row(values, _larger_first if largest else _smaller_first)
    if not row.nth_element(k - 1):
        return None
    if sorted_ and k > 1:
        if not row.sort(0, k - 1, 2 * ((k - 1).bit_length() - 1)):
            return None
        row.insertion_sort(0, k - 1)
    return row.order[:k]


def tied_topk_indices(
    a: np.ndarray, k: int, axis: int, largest: bool, sorted_: bool, indices: np.ndarray
) -> np.ndarray:
    """``indices`` (NumPy's top k along ``axis``, in sorted order) with each row where a
    chosen value is tied replaced by the positions torch reports (see the module docstring)."""
    n = a.shape[axis]
    if k == 0 or k * 64 <= n:
        return indices
    moved = np.moveaxis(a, axis, -1)
    ranked = np.sort(moved, axis=-1)  # (NaN last, so equal NaNs sit side by side)
    same = ranked[..., 1:] == ranked[..., :-1]
    same |= np.isnan(ranked[..., 1:]) & np.isnan(ranked[..., :-1])
    # only a tie that touches the chosen block can change the answer (pair i is i, i + 1)
    tied = (same[..., max(n - k - 1, 0) :] if largest else same[..., :k]).any(-1)
    if not tied.any():
        return indices
    out = np.moveaxis(indices, axis, -1).copy()
    rows = [()] if tied.ndim == 0 else [tuple(r) for r in np.argwhere(tied)]
    for row in rows:
        order = _row_order([float(v) for v in moved[row]], k, largest, sorted_)
        if order is not None:
            out[row] = order
    return np.moveaxis(out, -1, axis)
