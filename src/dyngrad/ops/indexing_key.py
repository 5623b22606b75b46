"""How torch reads ``x[idx]``: an index becomes a basic NumPy index followed by an advanced one.

torch applies the basic entries first, left to right (an int selects, a slice slices, ``None``
and ``True``/``False`` insert a dimension), which gives a view; integer tensors, lists and
boolean masks left over then index that view (NumPy's advanced indexing: one block of adjacent
index arrays stays in place, separated ones move to the front). This differs from NumPy in one
way that matters: an int is never an advanced index, so ``x[1, :, [0, 2]]`` keeps the slice
dimension first. A 0-d integer tensor counts as an int.

:class:`IndexKey` holds the two parts (``basic`` then ``adv``) so that getitem, setitem and
their backward all read the index the same way, with torch's errors.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .._tensor import Tensor
from .elementwise_layout import order_by_strides

__all__ = ["IndexKey", "parse_index", "index_tensors_key"]

_INDEX_DTYPES = ("int64", "int32")
_MAX_SEQUENCE_AS_TUPLE = (
    32  # torch (like old NumPy) reads a short list holding slices etc. as a tuple
)


class _BoolScalar:
    """``True``/``False`` (or a 0-d bool tensor): a new dim of size 1 kept, or of size 0."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value


class _Mask:
    """A boolean mask with at least one dimension: it indexes ``ndim`` dims at once."""

    __slots__ = ("array", "byte")

    def __init__(self, array: np.ndarray, byte: bool = False) -> None:
        self.array = array
        self.byte = byte  # given as a uint8 tensor (torch's old mask type)


class IndexKey:
    """A parsed index: ``view = a[basic]`` (a view), then ``view[adv]`` when ``adv`` is set.

    ``kind`` names the op torch records last for a getitem (select, slice, unsqueeze, alias,
    index); ``basic_effect`` says whether the basic part changes anything (setitem then
    records ``CopySlices``); ``result_shape`` is the shape of ``a[key]``.
    """

    __slots__ = (
        "basic",
        "adv",
        "kind",
        "basic_effect",
        "view_shape",
        "result_shape",
        "byte_mask",
        "view_name",
        "single_mask",
        "new_dims",
    )

    def __init__(
        self,
        basic: tuple[Any, ...],
        adv: tuple[Any, ...] | None,
        kind: str,
        basic_effect: bool,
        view_shape: tuple[int, ...],
        byte_mask: bool = False,
    ) -> None:
        self.basic = basic + (Ellipsis,)  # the Ellipsis keeps a 0-d result an array (a view)
        self.byte_mask = byte_mask  # the only advanced entry is a uint8 mask
        self.view_name = ""  # torch's name of the last view op of the basic part
        self.single_mask = False  # the only advanced entry is a mask
        # per ``None``: (its dim in ``a[basic]``, the input dim that follows it or -1)
        self.new_dims: tuple[tuple[int, int], ...] = ()
        self.adv = adv
        self.kind = kind
        self.basic_effect = basic_effect
        self.view_shape = view_shape
        self.result_shape = view_shape if adv is None else _advanced_shape(view_shape, adv)

    def check_empty_dims(self) -> None:
        """torch's first check of a write or read at index arrays (before the value's shape
        and dtype): an index array that reads elements of a dim of size 0."""
        if self.adv is None:
            return
        arrays = [(i, a) for i, a in enumerate(self.adv) if isinstance(a, np.ndarray)]
        if not any(self.view_shape[i] == 0 and a.size for i, a in arrays):
            return
        if 0 not in np.broadcast_shapes(*(a.shape for _, a in arrays)):
            raise IndexError("index is out of bounds for dimension with size 0")

    def check_bounds(self) -> None:
        """torch's errors for index arrays pointing outside their dim (only elements that are
        read are checked: an empty result checks nothing)."""
        if self.adv is None:
            return
        self.check_empty_dims()
        view_shape = self.view_shape
        arrays = [(i, a) for i, a in enumerate(self.adv) if isinstance(a, np.ndarray)]
        block = np.broadcast_shapes(*(a.shape for _, a in arrays))
        if 0 in self.result_shape:  # keep NumPy from checking what torch does not read
            adv = list(self.adv)
            for i, a in arrays:
                adv[i] = np.clip(a, -view_shape[i], max(view_shape[i] - 1, 0))
            self.adv = tuple(adv)
            return
        # torch reports the first bad index in element order (then in index order)
        first: tuple[int, int, int, int] | None = None  # (position, ordinal, value, size)
        for ordinal, (i, a) in enumerate(arrays):
            size = view_shape[i]
            full = np.broadcast_to(a, block).reshape(-1)
            bad = (full < -size) | (full >= size)
            if bad.any():
                pos = int(np.argmax(bad))
                if first is None or pos < first[0]:
                    first = (pos, ordinal, int(full[pos]), size)
        if first is not None:
            _, ordinal, value, size = first
            raise IndexError(
                f"index {value} is out of bounds for dimension {ordinal} with size {size}"
            )

    def take(self, a: np.ndarray) -> np.ndarray:
        """``a[key]``: a view when the key is basic, a copy otherwise."""
        view = a[self.basic]
        if self.adv is None:
            return _unsqueeze_strides(view, a, self.new_dims) if self.new_dims else view
        return torch_layout(view, self.adv, view[self.adv])

    def put(self, out: np.ndarray, value: Any, accumulate: bool) -> None:
        """Write (or add, accumulating repeated indices) ``value`` into ``out[key]``."""
        view = out[self.basic]
        if self.adv is None:
            if accumulate:
                view += value
            else:
                view[...] = value
        elif accumulate:
            np.add.at(view, self.adv, value)
        else:
            view[self.adv] = value


def _unsqueeze_strides(
    view: np.ndarray, a: np.ndarray, new_dims: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """``view`` with torch's stride for each dim a ``None`` inserted (NumPy gives 0): torch
    unsqueezes as it meets the ``None``, so the new dim's stride is size * stride of the input
    dim that then follows it, or one element when no input dim follows. The strides matter:
    torch compares them when an in-place op reads memory it writes (``x[..., None].sub_(
    x.unsqueeze(2))`` is a full overlap, allowed)."""
    strides = list(view.strides)
    for at, follows in new_dims:
        strides[at] = a.itemsize if follows < 0 else a.shape[follows] * a.strides[follows]
    return np.lib.stride_tricks.as_strided(view, strides=strides, writeable=view.flags.writeable)


def torch_layout(view: np.ndarray, adv: tuple[Any, ...], out: np.ndarray) -> np.ndarray:
    """``out = view[adv]`` laid out in memory as torch lays out its index result (so that
    ``view()`` accepts the same shapes): torch orders the result's dims by the strides of the
    source (0 along the indexed block) and then of each index tensor (0 outside the block),
    innermost first, ignoring a broadcast (0) stride, as its TensorIterator does."""
    nd = out.ndim
    if nd < 2 or out.size == 0:
        return out
    where = [i for i, a in enumerate(adv) if isinstance(a, np.ndarray)]
    block = np.broadcast_shapes(*(adv[i].shape for i in where))
    nb = len(block)
    rest = [i for i in range(view.ndim) if i not in where]
    start = where[0] if where[-1] - where[0] + 1 == len(where) else 0
    src = [view.strides[i] for i in rest]
    src[start:start] = [0] * nb
    operands = [src]
    for i in where:
        bs = np.broadcast_to(adv[i], block).strides
        operands.append([0] * start + list(bs) + [0] * (nd - start - nb))
    shape = out.shape
    perm = order_by_strides(shape, operands)  # innermost first
    if perm == list(range(nd - 1, -1, -1)):  # C order
        return out if out.flags.c_contiguous else np.ascontiguousarray(out)
    outer_first = perm[::-1]
    buf = np.empty([shape[d] for d in outer_first], out.dtype)
    result = buf.transpose([outer_first.index(d) for d in range(nd)])
    result[...] = out
    return result


def _advanced_shape(view_shape: tuple[int, ...], adv: tuple[Any, ...]) -> tuple[int, ...]:
    """NumPy's rule: the broadcast index shape replaces the indexed dims when they are
    adjacent, and goes first otherwise."""
    positions = [i for i, a in enumerate(adv) if isinstance(a, np.ndarray)]
    block = np.broadcast_shapes(*(adv[i].shape for i in positions))
    rest_before = view_shape[: positions[0]]
    rest_after = view_shape[positions[-1] + 1 :]
    if positions[-1] - positions[0] + 1 == len(positions):
        return tuple(rest_before) + tuple(block) + tuple(rest_after)
    others = tuple(s for i, s in enumerate(view_shape) if i not in positions)
    return tuple(block) + others


# --- reading one entry ------------------------------------------------------------------


def _items(index: Any) -> tuple[tuple[Any, ...], bool]:
    """The index as a tuple of entries, and whether torch reads it as a tuple."""
    if isinstance(index, tuple):
        return index, True
    if isinstance(index, list) and len(index) < _MAX_SEQUENCE_AS_TUPLE:
        for item in index:
            if (
                item is None
                or item is Ellipsis
                or isinstance(item, (slice, Tensor, np.ndarray, list, tuple))
            ):
                return tuple(index), True
    return (index,), False


def _array_entry(arr: np.ndarray, zero_dim_as_int: bool) -> Any:
    """A tensor (or array) used as an index: int -> index array, bool/uint8 -> mask."""
    if arr.dtype == np.bool_ or arr.dtype == np.uint8:
        byte = arr.dtype == np.uint8
        arr = arr.astype(np.bool_, copy=False)
        return _BoolScalar(bool(arr)) if arr.ndim == 0 else _Mask(arr, byte)
    if arr.dtype.name not in _INDEX_DTYPES:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if arr.ndim == 0 and zero_dim_as_int:
        return int(arr)
    return arr.astype(np.intp, copy=False)


def _sequence_entry(seq: Any) -> Any:
    """A list used as an index: bools make a mask, numbers (floats truncated) an index array."""
    arr = np.asarray(seq)
    if arr.dtype == np.bool_ and arr.size:
        return _Mask(arr) if arr.ndim else _BoolScalar(bool(arr))
    if arr.dtype.kind not in "biuf":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return arr.astype(np.intp)


def _slice_entry(s: slice) -> slice:
    start = None if s.start is None else operator.index(s.start)
    stop = None if s.stop is None else operator.index(s.stop)
    step = None if s.step is None else operator.index(s.step)
    return slice(start, stop, step)


def _check_step(s: slice) -> None:
    if s.step is not None and s.step <= 0:
        raise ValueError(
            "slice step cannot be zero" if s.step == 0 else "step must be greater than zero"
        )


def _is_whole(s: slice, size: int) -> bool:
    """torch skips a slice written as the whole dim (``:``, ``0:``, ``:n`` with n >= size)."""
    return (s.start or 0) == 0 and (s.step or 1) == 1 and (s.stop is None or s.stop >= size)


def _entry(e: Any, zero_dim_as_int: bool) -> Any:
    if e is None or e is Ellipsis:
        return e
    if isinstance(e, (bool, np.bool_)):
        return _BoolScalar(bool(e))
    if isinstance(e, (int, np.integer)):
        return int(e)
    if isinstance(e, slice):
        return _slice_entry(e)
    if isinstance(e, Tensor):
        return _array_entry(e._data, zero_dim_as_int)
    if isinstance(e, np.ndarray):
        return _array_entry(e, zero_dim_as_int)
    if isinstance(e, (list, tuple)):
        return _sequence_entry(e)
    if isinstance(e, str):
        raise TypeError("new(): invalid data type 'str'")
    raise IndexError(
        "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
        f"valid indices (got {type(e).__name__})"
    )


def _dims_used(e: Any) -> int:
    if isinstance(e, _Mask):
        return e.array.ndim
    if e is None or e is Ellipsis or isinstance(e, _BoolScalar):
        return 0
    return 1


def _fmt(shape: Any) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


# --- the walk ---------------------------------------------------------------------------


def parse_index(
    index: Any, shape: tuple[int, ...], zero_dim_as_int: bool = True, check: bool = True
) -> IndexKey:
    """Read ``x[index]`` for a tensor of ``shape`` as torch does (see the module docstring).
    ``check=False`` leaves the bounds of index arrays to :meth:`IndexKey.check_bounds`
    (torch checks a setitem's value shape first)."""
    items, as_tuple = _items(index)
    entries = [_entry(e, zero_dim_as_int) for e in items]
    ndim = len(shape)
    if not as_tuple and isinstance(entries[0], slice):
        _check_step(entries[0])
    if ndim == 0 and not as_tuple:
        if isinstance(items[0], (int, np.integer)) and not isinstance(items[0], (bool, np.bool_)):
            if items[0] != 0:
                raise IndexError(f"index {items[0]} is out of bounds for dimension 0 with size 0")
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        if isinstance(entries[0], slice):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    used = sum(_dims_used(e) for e in entries)
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    for e in entries:
        if isinstance(e, slice):
            _check_step(e)

    basic: list[Any] = []
    adv: list[Any] = []  # one entry per dim of the basic view
    view_shape: list[int] = []
    masks: list[tuple[int, np.ndarray]] = []  # (view dim, mask)
    new_dims: list[tuple[int, int]] = []  # (view dim, input dim after it or -1) per None
    kind = "alias"
    effect = False
    view_name = ""  # torch's name for the last view op of the basic part
    has_adv = False
    dim = 0  # next dim of the input
    ellipsis_seen = False
    for position, e in enumerate(entries):
        if e is Ellipsis:
            n = 0 if ellipsis_seen else ndim - used
            ellipsis_seen = True
            for _ in range(n):
                basic.append(slice(None))
                adv.append(slice(None))
                view_shape.append(shape[dim])
                dim += 1
        elif e is None or isinstance(e, _BoolScalar):
            basic.append(None)
            view_shape.append(1)
            if e is None:
                new_dims.append((len(view_shape) - 1, dim if dim < ndim else -1))
                adv.append(slice(None))
                kind, effect, view_name = "unsqueeze", True, "Unsqueeze"
            else:
                adv.append(np.zeros(1 if e.value else 0, np.intp))
                has_adv = True
                effect, view_name = True, "Unsqueeze"  # torch inserts the dim with a view first
        elif isinstance(e, int):
            size = shape[dim]
            if not -size <= e < size:
                raise IndexError(
                    f"index {e} is out of bounds for dimension {position} with size {size}"
                )
            basic.append(e)
            dim += 1
            kind, effect, view_name = "select", True, "Select"
        elif isinstance(e, slice):
            size = shape[dim]
            start, stop, step = e.indices(size)
            basic.append(e)
            adv.append(slice(None))
            view_shape.append(len(range(start, stop, step)))
            dim += 1
            if not _is_whole(e, size):
                kind, effect, view_name = "slice", True, "Slice"
            elif not as_tuple:
                kind = "slice"  # a lone ``x[:]`` still records a slice
        elif isinstance(e, _Mask):
            k = e.array.ndim
            masks.append((len(view_shape), e.array))
            for _ in range(k):
                basic.append(slice(None))
                adv.append(None)  # filled from the mask below
                view_shape.append(shape[dim])
                dim += 1
            has_adv = True
        else:  # an index array
            basic.append(slice(None))
            adv.append(e)
            view_shape.append(shape[dim])
            dim += 1
            has_adv = True
    view_shape.extend(shape[dim:])  # dims the index does not mention stay whole

    if not has_adv:
        key = IndexKey(tuple(basic), None, kind, effect, tuple(view_shape))
        key.view_name = view_name
        key.new_dims = tuple(new_dims)
        return key
    _expand_masks(adv, masks, view_shape)
    _check_broadcast(adv)
    advanced = [e for e in entries if isinstance(e, (_Mask, _BoolScalar, np.ndarray))]
    only = advanced[0] if len(advanced) == 1 else None
    single_mask = isinstance(only, _Mask)
    byte_mask = isinstance(only, _Mask) and only.byte
    key = IndexKey(tuple(basic), tuple(adv), "index", effect, tuple(view_shape), byte_mask)
    key.view_name = view_name
    key.single_mask = single_mask
    if check:
        key.check_bounds()
    return key


def _expand_masks(
    adv: list[Any], masks: list[tuple[int, np.ndarray]], view_shape: list[int]
) -> None:
    """Check each mask against the dims it covers and replace it by its nonzero positions."""
    for start, mask in masks:
        for j, s in enumerate(mask.shape):
            if s != view_shape[start + j]:
                raise IndexError(
                    f"The shape of the mask {_fmt(mask.shape)} at index {j} does not match the "
                    f"shape of the indexed tensor {_fmt(view_shape)} at index {start + j}"
                )
        for j, positions in enumerate(np.nonzero(mask)):
            adv[start + j] = positions


def _check_broadcast(adv: list[Any]) -> None:
    """torch's error for index arrays that do not broadcast together."""
    shapes = [a.shape for a in adv if isinstance(a, np.ndarray)]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(_fmt(s) for s in shapes)
        raise IndexError(
            f"shape mismatch: indexing tensors could not be broadcast together with shapes {listed}"
        ) from None


def index_tensors_key(indices: Any, shape: tuple[int, ...]) -> IndexKey:
    """The key for ``index_put(x, indices, v)``: a sequence of index tensors (or None for a
    whole dim), each indexing one dim from the first; a 0-d tensor is an index, not an int."""
    if isinstance(indices, Tensor) or not isinstance(indices, (tuple, list)):
        raise TypeError(
            "index_put(): argument 'indices' (position 2) must be tuple of Tensors, not "
            f"{type(indices).__name__}"
        )
    index: list[Any] = []
    for t in indices:
        if t is None:
            index.append(slice(None))
        elif isinstance(t, Tensor):
            index.append(t)
        else:
            raise TypeError(
                f"index_put(): argument 'indices' must be tuple of Tensors, not {type(t).__name__}"
            )
    return parse_index(tuple(index), shape, zero_dim_as_int=False, check=False)
