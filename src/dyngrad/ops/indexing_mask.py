"""Boolean-mask ops: masked_fill, masked_select, masked_scatter, and nonzero/argwhere.

y = masked_fill(x, m, v):  x̄ = ȳ with zeros where m,  v̄ = Σ ȳ where m (v a 0-d tensor).
y = masked_select(x, m):  x̄ = zeros with ȳ scattered (in order) where m.
y = masked_scatter(x, m, s):  x̄ = ȳ with zeros where m,  s̄ = the first k elements ȳ[m] (k the
number of True in m), zeros after, in s's shape.

``x`` and ``m`` broadcast together; the engine sums each gradient back to its input's shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _dtype_name
from ._registry import _TYPE_NAMES, OWN, OpNode, check_inplace, commit_inplace, register
from .indexing import check_scalar_fits
from .indexing_gather import broadcast_shapes, fmt_shape
from .indexing_saved import saved_index, watch
from .inplace_expanded import is_expanded, shared_writer, warn_expanded

__all__ = ["masked_fill", "masked_select", "masked_scatter", "nonzero", "argwhere"]


def _mask_array(mask: Any, message: str) -> np.ndarray:
    if not isinstance(mask, Tensor):
        raise TypeError(f"argument 'mask' must be Tensor, not {type(mask).__name__}")
    if mask._data.dtype != np.bool_:
        raise RuntimeError(message)
    return mask._data


# --- masked_fill ----------------------------------------------------------------------------


class MaskedFillBackward0(OpNode):
    """y = x with a number where mask;  x̄ = ȳ with zeros where mask;  ẏ = ẋ with zeros where
    mask."""

    promote = OWN
    mask = saved_index()
    no_edge: tuple[int, ...] = (1,)  # the number (torch's node has one edge)

    def forward(self, a: np.ndarray, value: Any, mask: np.ndarray) -> Any:
        self.mask = mask
        with np.errstate(all="ignore"):
            fill = np.asarray(value).astype(a.dtype)
        return np.asarray(np.where(mask, fill, a), order="C")  # (torch's layout)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return MaskedFillBackward0.apply(g, 0, mask=self.mask)

    def jvp(self, dx: Any, dv: Any, x: Tensor, v: Any, y: Tensor) -> Any:
        """ẏ = masked_fill(ẋ, mask, 0) (the number has no tangent)."""
        return None if dx is None else MaskedFillBackward0.apply(dx, 0, mask=self.mask)


class MaskedFillBackward1(MaskedFillBackward0):
    """y = x with a 0-d tensor v where mask;  x̄ = ȳ with zeros where mask,  v̄ = Σ ȳ where
    mask;  ẏ = masked_fill(ẋ, mask, v̇)."""

    linear = True  # forward mode: y is linear in (x, v)
    no_edge = ()

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_x, need_v = self.needs_input_grad
        gx = MaskedFillBackward0.apply(g, 0, mask=self.mask) if need_x else None
        gv = None
        if need_v:
            mask = np.broadcast_to(self.mask, g.shape)
            gv = MaskedSelectBackward0.apply(g, mask=mask).sum()  # type: ignore[attr-defined]
        return gx, gv


@register
def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with ``value`` (a number or 0-d tensor) where ``mask`` is True.

    >>> dyngrad.tensor([1., -2., 3.]).masked_fill(dyngrad.tensor([False, True, False]), 0.)
    tensor([1., 0., 3.])
    """
    m = _mask_array(
        mask,
        f"masked_fill_ only supports boolean masks, but got mask with dtype {_dtype_name(mask)}",
    )
    broadcast_shapes(m.shape, input._data.shape)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        out = MaskedFillBackward1.apply(input, value, mask=m)
    else:
        check_scalar_fits(value, input._data.dtype)
        out = MaskedFillBackward0.apply(input, value, mask=m)
    watch(out, "mask", mask)
    return out


def masked_fill_(self: Tensor, mask: Tensor, value: Any) -> Tensor:
    """In-place :func:`masked_fill` (torch names ``self`` first when the shapes clash)."""
    check_inplace(self)
    if isinstance(mask, Tensor) and mask._data.dtype == np.bool_:
        broadcast_shapes(self._data.shape, mask._data.shape)
    if not is_expanded(self._data):
        return commit_inplace(self, masked_fill(self, mask, value))
    warn_expanded("masked_fill_", stacklevel=4)  # torch's deprecated write into shared memory
    out = masked_fill(self, mask, value)
    if out._data.shape != self._data.shape:  # (the mask has more dims: torch's shape error)
        return commit_inplace(self, out, overlap_ok=True)
    filled = np.broadcast_to(mask._data, self._data.shape)
    write = shared_writer(lambda at: at[filled], out._data[filled])
    return commit_inplace(self, out, overlap_ok=True, write=write)


Tensor.masked_fill_ = masked_fill_  # type: ignore[attr-defined]


# --- masked_select / masked_scatter ---------------------------------------------------------


class MaskedSelectBackward0(OpNode):
    """y = the elements of x where mask, in row-major order (1-D);
    x̄ = masked_scatter(zeros, mask, ȳ);  ẏ = masked_select(ẋ, mask)."""

    linear = True  # forward mode: ẏ = the same elements of ẋ
    promote = OWN
    mask = saved_index()
    save = (0,)  # as torch saves it: self, for its own gradient
    save_for = ((0,),)

    def forward(self, a: np.ndarray, mask: np.ndarray) -> Any:
        shape = np.broadcast_shapes(a.shape, mask.shape)
        self.shape, self.mask = shape, np.broadcast_to(mask, shape)
        return np.broadcast_to(a, shape)[self.mask]

    def backward(self, g: Tensor) -> Tensor:
        zeros = Tensor._make(np.zeros(self.shape, g._data.dtype), False, None, 0)
        return MaskedScatterBackward0.apply(zeros, g, mask=self.mask)


@register
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor."""
    m = _mask_array(mask, "masked_select: expected BoolTensor for mask")
    broadcast_shapes(m.shape, input._data.shape)
    out = MaskedSelectBackward0.apply(input, mask=m)
    watch(out, "mask", mask)
    return out


class MaskedScatterBackward0(OpNode):
    """y = x with source's leading elements written, in order, where mask;
    x̄ = ȳ with zeros where mask,  s̄ = ȳ[mask] followed by zeros, in source's shape;
    ẏ = masked_scatter(ẋ, mask, ṡ)."""

    linear = True  # forward mode: y is linear in (x, source)
    promote = OWN
    mask = saved_index()

    def forward(self, a: np.ndarray, src: np.ndarray, mask: np.ndarray) -> Any:
        shape = np.broadcast_shapes(a.shape, mask.shape)
        self.mask, self.src_shape = np.broadcast_to(mask, shape), src.shape
        out = np.array(np.broadcast_to(a, shape), order="C")  # (torch's layout)
        k = int(np.count_nonzero(self.mask))
        out[self.mask] = src.reshape(-1)[:k]
        return out

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_x, need_src = self.needs_input_grad
        gx = MaskedFillBackward0.apply(g, 0, mask=self.mask) if need_x else None
        gsrc = None
        if need_src:
            picked = MaskedSelectBackward0.apply(g, mask=self.mask)
            n = int(np.prod(self.src_shape))
            zeros = Tensor._make(np.zeros(n, g._data.dtype), False, None, 0)
            head = np.zeros(n, np.bool_)
            head[: picked.shape[0]] = True
            gsrc = MaskedScatterBackward0.apply(zeros, picked, mask=head).reshape(self.src_shape)  # type: ignore[attr-defined]
        return gx, gsrc


@register
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with ``source``'s elements written, in order, where ``mask``."""
    m = _mask_array(
        mask,
        f"masked_scatter_ only supports boolean masks, but got mask with dtype "
        f"{_TYPE_NAMES[mask.dtype.name]}",
    )
    if source.dtype is not input.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{_TYPE_NAMES[input.dtype.name]} and {_TYPE_NAMES[source.dtype.name]}"
        )
    shape = broadcast_shapes(m.shape, input._data.shape)
    if int(np.count_nonzero(np.broadcast_to(m, shape))) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out = MaskedScatterBackward0.apply(input, source, mask=m)
    watch(out, "mask", mask)
    return out


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """In-place :func:`masked_scatter`; the mask must expand to ``self``'s shape."""
    check_inplace(self)
    m, shape = mask._data.shape, self._data.shape
    if len(m) > len(shape):
        raise RuntimeError(
            f"expand(CPUBoolType{{{fmt_shape(m)}}}, size={fmt_shape(shape)}): the number of sizes "
            f"provided ({len(shape)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({len(m)})"
        )
    for k in range(1, len(m) + 1):
        if m[-k] not in (1, shape[-k]):
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[-k]}) must match the existing size "
                f"({m[-k]}) at non-singleton dimension {len(shape) - k}.  Target sizes: "
                f"{fmt_shape(shape)}.  Tensor sizes: {fmt_shape(m)}"
            )
    return commit_inplace(self, masked_scatter(self, mask, source))


Tensor.masked_scatter_ = masked_scatter_  # type: ignore[attr-defined]


# --- nonzero / argwhere -----------------------------------------------------------------------


def _wrap(arr: np.ndarray) -> Tensor:
    return Tensor._make(arr, False, None, 0)


@register
def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero elements: an (n, ndim) int64 tensor, or with
    ``as_tuple=True`` one 1-D tensor per dim."""
    a = input._data
    if as_tuple:
        if a.ndim == 0:
            return (_wrap(np.zeros(1 if a.item() else 0, np.int64)),)
        return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(a))
    if a.ndim == 0:
        return _wrap(np.zeros((1 if a.item() else 0, 0), np.int64))
    return _wrap(np.argwhere(a).astype(np.int64))


@register
def argwhere(input: Tensor) -> Tensor:
    """The indices of the non-zero elements as an (n, ndim) int64 tensor."""
    return nonzero(input)  # type: ignore[no-any-return]
