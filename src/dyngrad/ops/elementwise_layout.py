"""The memory layout torch gives the result of an elementwise op on several tensors.

torch orders the result's dimensions by the inputs' strides, the first input that tells two
dimensions apart deciding (a broadcast dimension, stride 0, tells nothing; equal strides put
the smaller dimension inside), and lays the result out densely in that order. NumPy decides
differently when the inputs disagree (``x.t() + y``: torch follows ``x.t()``, NumPy goes back
to C order) or when one broadcasts; the layout then shows in ``stride()`` and in whether
``view(-1)`` works. Results of inputs that are all in C order (with C strides for their
size-1 dims too) are in C order for both, which is the fast path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["torch_layout", "order_by_strides"]

_ndarray = np.ndarray


def torch_layout(out: Any, a: Any, b: Any, c: Any = None) -> Any:
    """``out`` (a NumPy elementwise result of the inputs ``a, b[, c]``; Python numbers among
    them are torch's wrapped scalars) in torch's layout: the same array when its strides
    already are torch's, else a copy laid out so.

    Note: the common case (a result of 2+ dims, inputs in C order) costs ~0.4 µs here."""
    if out.__class__ is not _ndarray or out.ndim < 2:
        return out
    if (
        (a.__class__ is not _ndarray or a.flags.c_contiguous)
        and (b.__class__ is not _ndarray or b.flags.c_contiguous)
        and (c is None or c.__class__ is not _ndarray or c.flags.c_contiguous)
    ):
        shape = out.shape
        if 1 not in shape:
            return out  # C-ordered inputs whose size-1 dims all broadcast: C order
        # all in C order: torch's result too (for inputs of the result's shape it does not
        # look at the strides of size-1 dims; otherwise it does, and they must be C's)
        if (
            a.__class__ is _ndarray
            and a.shape == shape
            and b.__class__ is _ndarray
            and b.shape == shape
            and (c is None or (c.__class__ is _ndarray and c.shape == shape))
        ) or all(
            _c_strided(x)
            for x in ((a, b) if c is None else (a, b, c))
            if x.__class__ is _ndarray and 1 in x.shape
        ):
            return out if _c_strided(out) else _laid_out(out, None)
    inputs = (a, b) if c is None else (a, b, c)
    return _laid_out(out, _dimension_order(out.shape, inputs))


def _laid_out(out: np.ndarray, order: list[int] | None) -> np.ndarray:
    """``out`` itself when its strides are those of a dense array whose dims, fastest first,
    are ``order`` (None: C order); else such a copy."""
    if order is None:
        order = list(range(out.ndim - 1, -1, -1))
    strides = [0] * out.ndim
    step = out.itemsize
    for d in order:
        strides[d] = step
        step *= max(out.shape[d], 1)
    if tuple(strides) == out.strides or out.size == 0:
        return out
    outer_first = order[::-1]
    laid = np.empty([out.shape[d] for d in outer_first], out.dtype)
    laid = laid.transpose(np.argsort(outer_first))
    laid[...] = out
    return laid


def _c_strided(x: np.ndarray) -> bool:
    """C order down to the strides of size-1 dims (which NumPy's flag does not look at and
    torch's ordering does)."""
    key = (x.shape, x.itemsize)
    strides = _C_STRIDES.get(key)
    if strides is None:
        if len(_C_STRIDES) >= 1024:
            _C_STRIDES.clear()
        step, out = x.itemsize, []
        for n in reversed(x.shape):
            out.append(step)
            step *= n
        strides = _C_STRIDES[key] = tuple(reversed(out))
    return x.strides == strides


# C strides by (shape, itemsize): most results share their shape with many others
_C_STRIDES: dict[tuple[tuple[int, ...], int], tuple[int, ...]] = {}


def _dimension_order(shape: tuple[int, ...], inputs: tuple[Any, ...]) -> list[int]:
    """The result's dimensions from the fastest-varying out (torch's insertion sort over
    the inputs' byte strides)."""
    nd = len(shape)
    operand_strides = []
    for x in inputs:
        if x.__class__ is not _ndarray or x.ndim == 0:
            continue
        lead = nd - x.ndim
        st = [0] * lead
        for i, (n, s) in enumerate(zip(x.shape, x.strides)):
            st.append(0 if n == 1 and shape[lead + i] != 1 else s)
        operand_strides.append(st)
    return order_by_strides(shape, operand_strides)


def order_by_strides(shape: tuple[int, ...], operand_strides: list[list[int]]) -> list[int]:
    """The dims of a result of ``shape`` from the fastest-varying out, given each operand's
    strides over those dims (0 where it broadcasts), the first operand that orders two dims
    deciding."""
    nd = len(shape)

    def should_swap(d0: int, d1: int) -> int:
        for st in operand_strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return 1 if s0 > s1 else -1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    order = list(range(nd - 1, -1, -1))
    for i in range(1, nd):
        moving = i
        for j in range(i - 1, -1, -1):
            verdict = should_swap(order[j], order[moving])
            if verdict > 0:
                order[j], order[moving] = order[moving], order[j]
                moving = j
            elif verdict < 0:
                break
    return order
