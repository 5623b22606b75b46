"""Helpers shared by the reduction ops: dim handling, re-expanding gradients, masks.

Reductions take ``dim`` as None (everything), an int or a sequence of ints, negative dims
counting from the end. A 0-d tensor accepts dim 0 and -1 (torch treats it as one element).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim

__all__ = [
    "normalize_dims",
    "expand_reduced",
    "sum_over",
    "constant",
    "reduced_count",
    "single_dim",
    "positions",
    "mask_tensor",
    "legacy_type_name",
    "check_dims_nonempty",
    "check_listed_dims_nonempty",
    "check_grad_dtype",
]

_LEGACY_TYPE_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "uint8": "Byte",
    "bool": "Bool",
}


def legacy_type_name(np_dtype: Any) -> str:
    """torch's old-style type name used in error messages (``Long``, ``Float``)."""
    return _LEGACY_TYPE_NAMES[np.dtype(np_dtype).name]


def normalize_dims(dim: Any, ndim: int, op: str = "reduction") -> tuple[int, ...] | None:
    """``dim`` (None, an int or a sequence of ints) as sorted non-negative axes; None means
    all. Anything else (a bool, float or str) is torch's TypeError naming ``op``.

    An empty sequence also means all (torch's ``dim=()``). For a 0-d tensor the (checked)
    dims come back as ``()``: there is no axis to reduce.
    """
    if dim is None:
        return None
    if _is_index(dim):
        axes: tuple[int, ...] = (_wrap_dim(operator.index(dim), ndim),)
    elif isinstance(dim, (tuple, list)) and all(_is_index(d) for d in dim):
        axes = tuple(_wrap_dim(operator.index(d), ndim) for d in dim)
        seen: set[int] = set()
        for d in axes:
            if d in seen:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
            seen.add(d)
        if not axes:
            return None
    else:
        raise TypeError(
            f"{op}(): argument 'dim' must be int or tuple of ints, not {type(dim).__name__}"
        )
    if ndim == 0:
        return ()
    return tuple(sorted(axes))


def _is_index(d: Any) -> bool:
    """An int (not a bool), a NumPy integer or a 0-d integer tensor."""
    if isinstance(d, bool):
        return False
    if isinstance(d, (int, np.integer)):
        return True
    return isinstance(d, Tensor) and d.ndim == 0 and d._data.dtype.kind in "iu"


def single_dim(op: str, dim: Any, ndim: int) -> int | None:
    """An op's one ``dim`` argument (an int), wrapped; None for a 0-d tensor (no axis)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    d = _wrap_dim(int(dim), ndim)
    return None if ndim == 0 else d


def reduced_count(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> int:
    """How many elements each output element of a reduction over ``dims`` combines."""
    if dims is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[d] for d in dims], dtype=np.int64))


def expand_reduced(
    g: Tensor, shape: tuple[int, ...], dims: tuple[int, ...] | None, keepdim: bool
) -> Tensor:
    """Broadcast a reduction's gradient (or output) back to the input shape."""
    if dims is not None and not keepdim and g.ndim != len(shape):
        kept = list(g.shape)
        for d in dims:
            kept.insert(d, 1)
        g = g.reshape(kept)  # type: ignore[attr-defined]
    return g.expand(shape)  # type: ignore[attr-defined,no-any-return]


def sum_over(t: Tensor, dims: tuple[int, ...] | None, keepdim: bool) -> Tensor:
    """Σ of ``t`` over ``dims`` (all when None), shaped as a reduction's output: the last step
    of a jvp rule ẏ = Σ (∂y/∂x) · ẋ."""
    if dims is None:
        total = t.sum()  # type: ignore[attr-defined]
        return total.reshape((1,) * t.ndim) if keepdim else total  # type: ignore[no-any-return]
    return t.sum(dims, keepdim=keepdim)  # type: ignore[attr-defined,no-any-return]


def constant(a: np.ndarray) -> Tensor:
    """A tensor without a graph (a piecewise-constant factor such as a tie share)."""
    return Tensor._make(np.asarray(a), False, None, 0)


def positions(shape: tuple[int, ...], axis: int) -> np.ndarray:
    """0, 1, …, n-1 along ``axis``, shaped to broadcast against an array of ``shape``."""
    view = [1] * len(shape)
    view[axis] = shape[axis]
    return np.arange(shape[axis]).reshape(view)


def mask_tensor(mask: np.ndarray) -> Tensor:
    """A constant bool tensor (masks select values; they carry no gradient)."""
    return Tensor._make(np.ascontiguousarray(mask, dtype=np.bool_), False, None, 0)


def check_dims_nonempty(op: str, shape: tuple[int, ...], dims: tuple[int, ...] | None) -> None:
    """torch's errors for reductions with no identity (max, amax, argmax, …) over nothing."""
    if dims is None:
        if int(np.prod(shape, dtype=np.int64)) == 0:
            raise RuntimeError(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return
    for d in dims:
        if shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def check_listed_dims_nonempty(op: str, shape: tuple[int, ...], dim: Any) -> None:
    """amax/amin's order of checks on an empty input: each listed dim in turn is range-checked,
    then must have a non-zero size (IndexError naming the dim as given, e.g. ``-2``); only then
    does torch look for a repeated dim. Non-integer dims are left to :func:`normalize_dims`."""
    if 0 not in shape:
        return
    listed = (dim,) if _is_index(dim) else dim
    if not isinstance(listed, (tuple, list)) or not all(_is_index(d) for d in listed):
        return
    for d in listed:
        if shape[_wrap_dim(operator.index(d), len(shape))] == 0:
            raise IndexError(
                f"{op}(): Expected reduction dim {operator.index(d)} to have non-zero size."
            )


def check_grad_dtype(input: Tensor, dtype: Any) -> None:
    """torch refuses an integer/bool ``dtype=`` on an input it would differentiate."""
    if dtype is None:
        return
    from ..autograd import grad_mode

    if (dtype is not None and not dtype.is_floating_point and input.requires_grad
            and grad_mode.state.grad_enabled):  # fmt: skip
        raise RuntimeError(f"Autograd not support dtype: {legacy_type_name(dtype.np)}")
