"""Indexing: ``x[idx]``, ``x[idx] = v``, index_put, fill_ and zero_.

y = x[idx];  x̄ = zeros of x's shape with ȳ added at idx (repeated indices accumulate).
x[idx] = v  (a copy of x with v written at idx, put back into x in place):
x̄ = ȳ with zeros at idx,  v̄ = ȳ[idx] summed to v's shape.

The index is read as torch reads it (:mod:`.indexing_key`): basic entries first (a view),
then integer tensors, lists and masks. The node torch records names the last op it applied:
``SelectBackward0``, ``SliceBackward0``, ``UnsqueezeBackward0``, ``AliasBackward0`` for a
basic index (views, sharing the version counter) and ``IndexBackward0`` for an advanced one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._creation_args import check_python_int
from .._tensor import Tensor
from ..autograd import forward_ad, grad_mode
from ..autograd.views import _AMBIGUOUS as AMBIGUOUS_VIEW_HINT
from ..autograd.views import NO_GRAD, VIEW_OF_LEAF_MESSAGE
from ._registry import (
    _TYPE_NAMES,
    LEAF_INPLACE_MESSAGE,
    OWN,
    OpNode,
    check_inplace,
    commit_inplace,
    register,
    write_through_base,
)
from .indexing_key import IndexKey, index_tensors_key, parse_index
from .indexing_saved import saved_index, tensors_in, watch
from .inplace_expanded import is_expanded, shared_writer, warn_expanded

__all__ = ["index_put", "take_key", "put_key"]


class _GetItem(OpNode):
    """y = x[key];  x̄ = ȳ put into zeros of x's shape at key;  ẏ = ẋ[key]."""

    linear = True  # forward mode: ẏ = ẋ indexed the same way (a view of ẋ for a basic key)
    promote = OWN
    view = True
    accumulate = False  # basic keys hit every element at most once

    def forward(self, a: np.ndarray, key: IndexKey) -> Any:
        self.shape, self.key = a.shape, key
        return key.take(a)

    def backward(self, g: Tensor) -> Tensor:
        zeros = Tensor._make(np.zeros(self.shape, g._data.dtype), False, None, 0)
        return IndexPutBackward0.apply(zeros, g, key=self.key, accumulate=self.accumulate)


class SelectBackward0(_GetItem):
    """x[i]: y = x with dim d fixed at i;  x̄ = zeros with ȳ at i."""


class SliceBackward0(_GetItem):
    """x[a:b:s]: y = every s-th element of dim d in [a, b);  x̄ = zeros with ȳ there."""


class _UnsqueezeView(_GetItem):
    """x[None]: y = x with a new dim of size 1;  x̄ = ȳ without it."""


_UnsqueezeView.__name__ = _UnsqueezeView.__qualname__ = "UnsqueezeBackward0"


class AliasBackward0(_GetItem):
    """x[...]: y = x (a new tensor viewing the same memory);  x̄ = ȳ."""


class IndexBackward0(_GetItem):
    """x[tensor]: y = a copy of the indexed elements;  x̄ = zeros with ȳ added at the indices
    (repeated indices accumulate)."""

    view = False
    accumulate = True
    key = saved_index()  # its index tensors, as torch saves them


_GETITEM_NODES: dict[str, type[_GetItem]] = {
    "select": SelectBackward0,
    "slice": SliceBackward0,
    "unsqueeze": _UnsqueezeView,
    "alias": AliasBackward0,
    "index": IndexBackward0,
}


def take_key(t: Tensor, key: IndexKey) -> Tensor:
    """``t[key]`` for an already parsed key (the backward formulas use this)."""
    return _GETITEM_NODES[key.kind].apply(t, key=key)


def getitem(self: Tensor, idx: Any) -> Tensor:
    """``self[idx]``: basic indexing gives a view, advanced indexing a copy.

    >>> x = dyngrad.arange(4.).requires_grad_()
    >>> y = x[dyngrad.tensor([0, 0, 3])]
    >>> y
    tensor([0., 0., 3.], grad_fn=<IndexBackward0>)
    >>> y.sum().backward(); x.grad
    tensor([2., 0., 0., 1.])
    """
    out = take_key(self, parse_index(idx, self._data.shape))
    if out._grad_fn is not None and idx.__class__ is not int and idx.__class__ is not slice:
        watch(out, "key", *tensors_in(idx))
    return out


setattr(Tensor, "__getitem__", getitem)  # noqa: B010 - bound late, like every op


# --- writing at an index ----------------------------------------------------------------


def _strip_leading_ones(shape: tuple[int, ...]) -> tuple[int, ...]:
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return shape[k:]


def _fmt(shape: Any) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def _legacy(np_dtype: np.dtype) -> str:
    return f"torch.{_TYPE_NAMES[np_dtype.name]}Tensor"


def _check_value_shape(
    value_shape: tuple[int, ...], target: tuple[int, ...], advanced: bool, np_dtype: np.dtype
) -> None:
    """torch's errors when the value (leading 1s dropped) does not broadcast to the target:
    index_put words it as a shape mismatch, a copy into a slice as a failed expand."""
    v = _strip_leading_ones(value_shape)
    fits = len(v) <= len(target) and all(
        a == b or a == 1 for a, b in zip(reversed(v), reversed(target))
    )
    if fits:
        return
    if advanced:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {_fmt(v)} cannot be broadcast to indexing "
            f"result of shape {_fmt(target)}"
        )
    if len(v) > len(target):
        raise RuntimeError(
            f"expand({_legacy(np_dtype)}{{{_fmt(v)}}}, size={_fmt(target)}): the number of sizes "
            f"provided ({len(target)}) must be greater or equal to the number of dimensions in "
            f"the tensor ({len(v)})"
        )
    for k in range(1, len(v) + 1):
        if v[-k] != target[-k] and v[-k] != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({target[-k]}) must match the existing size "
                f"({v[-k]}) at non-singleton dimension {len(target) - k}.  Target sizes: "
                f"{_fmt(target)}.  Tensor sizes: {_fmt(v)}"
            )


_C_INT_NAMES = {
    "int64": "int64_t",
    "int32": "int",
    "int16": "int16_t",
    "int8": "int8_t",
    "uint8": "uint8_t",
}


_C_FLOAT_NAMES = {"float16": "c10::Half", "float32": "float"}


def check_scalar_fits(value: Any, np_dtype: np.dtype) -> None:
    """torch's error when a Python number written into a tensor (fill_, x[i] = v,
    masked_fill) lies outside the dtype's range (an integer dtype also refuses NaN and ±inf; a
    float dtype takes ±inf and NaN but no finite number beyond its largest)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if isinstance(value, int):
        check_python_int(value)  # torch reads a Python int as a 64-bit value first
    kind = np_dtype.kind
    if kind in "iu":
        info = np.iinfo(np_dtype)
        # (NaN fails both comparisons; negative Python ints wrap around into uint8, as in torch)
        low = -(2**63) if kind == "u" and isinstance(value, int) else int(info.min)
        if not low <= value <= int(info.max):
            name = _C_INT_NAMES[np_dtype.name]
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")
    elif kind == "f" and np_dtype.name in _C_FLOAT_NAMES and math.isfinite(value):
        if abs(value) > float(np.finfo(np_dtype).max):
            name = _C_FLOAT_NAMES[np_dtype.name]
            raise RuntimeError(f"value cannot be converted to type {name} without overflow")


def value_array(value: Any, np_dtype: np.dtype) -> np.ndarray:
    """A tensor or Python scalar as an array of ``np_dtype`` with leading 1-dims dropped
    (torch casts like C: floats truncate toward zero)."""
    if isinstance(value, Tensor):
        arr = value._data
    else:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and np_dtype.kind in "iu" and not np.isfinite(value):
            raise RuntimeError(
                f"value cannot be converted to type {_C_INT_NAMES[np_dtype.name]} without overflow"
            )
        check_scalar_fits(value, np_dtype)
        arr = np.asarray(value)
    if arr.dtype != np_dtype:
        with np.errstate(all="ignore"):
            arr = arr.astype(np_dtype)
    stripped = _strip_leading_ones(arr.shape)
    return arr.reshape(stripped) if stripped != arr.shape else arr


def _sum_to_value_shape(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Reduce ``g`` (the value's broadcast gradient) to the value's own shape, including any
    leading 1-dims the value had beyond the target's rank."""
    core = _strip_leading_ones(shape)
    if tuple(g.shape) != core:
        g = g.sum_to_size(core)  # type: ignore[attr-defined]
    return g.reshape(shape) if core != shape else g  # type: ignore[attr-defined]


class IndexPutBackward0(OpNode):
    """y = x with v written (or, accumulating, added) at key;
    x̄ = ȳ (accumulating) or ȳ with zeros at key,  v̄ = ȳ[key] summed to v's shape;
    ẏ = ẋ with v̇ written (or added) at key (a number v has v̇ = 0)."""

    promote = OWN
    key = saved_index()

    def forward(self, a: np.ndarray, v: Any, key: IndexKey, accumulate: bool) -> Any:
        self.key, self.accumulate, self.v_shape = key, accumulate, np.shape(v)
        out = a.copy(order="K")  # (a clone: torch keeps the input's layout)
        key.put(out, value_array(v, a.dtype), accumulate)
        return out

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_x, need_v = self.needs_input_grad
        gx = gv = None
        if need_x:
            gx = (
                g
                if self.accumulate
                else IndexPutBackward0.apply(g, 0, key=self.key, accumulate=False)
            )
        if need_v:
            gv = _sum_to_value_shape(take_key(g, self.key), self.v_shape)
        return gx, gv

    def jvp(self, dx: Any, dv: Any, x: Tensor, v: Any, y: Tensor) -> Tensor:
        """ẏ = index_put(ẋ, key, v̇, accumulate): linear in (x, v); missing tangents are 0."""
        if dx is None:
            dx = _zeros_like(y)
        if dv is None:
            if self.accumulate:
                return dx  # type: ignore[no-any-return]
            dv = 0
        return IndexPutBackward0.apply(dx, dv, key=self.key, accumulate=self.accumulate)


class CopySlices(IndexPutBackward0):
    """x[idx] = v through a view of x (basic index): the same gradients as index_put."""


def put_key(t: Tensor, value: Any, key: IndexKey, accumulate: bool = False) -> Tensor:
    """A copy of ``t`` with ``value`` written (or added) at an already parsed key."""
    return IndexPutBackward0.apply(t, value, key=key, accumulate=accumulate)


@register(inplace=True)
def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` put (or added) at ``indices`` (a tuple of index
    tensors, one per leading dim)."""
    if not isinstance(values, Tensor):
        raise TypeError(
            f"index_put(): argument 'values' (position 3) must be Tensor, not {type(values).__name__}"
        )
    for k, t in enumerate(indices if isinstance(indices, (tuple, list)) else ()):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {k} in argument 1, but got {type(t).__name__}"
            )
    if isinstance(indices, (tuple, list)) and not indices:  # (torch fails inside its kernel)
        raise RuntimeError("index_put(): indices must hold at least one index tensor")
    ndim = input.ndim
    if isinstance(indices, (tuple, list)) and len(indices) > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim} (got {len(indices)})")
    key = index_tensors_key(indices, input._data.shape)
    key.check_empty_dims()
    # (torch puts one value at a single mask as masked_fill does: converted, any shape)
    one_value_fill = not accumulate and key.single_mask and not _strip_leading_ones(values.shape)
    if values.dtype is not input.dtype and one_value_fill:
        values = values.to(input.dtype)  # type: ignore[attr-defined]
    if values.ndim > len(key.result_shape) and not one_value_fill:  # (no leading 1s dropped)
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {_fmt(values.shape)} cannot be broadcast to "
            f"indexing result of shape {_fmt(key.result_shape)}"
        )
    if values.dtype is not input.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{_TYPE_NAMES[input.dtype.name]} for the destination and "
            f"{_TYPE_NAMES[values.dtype.name]} for the source."
        )
    _check_value_shape(values._data.shape, key.result_shape, True, input._data.dtype)
    key.check_bounds()
    out = IndexPutBackward0.apply(input, values, key=key, accumulate=accumulate)
    watch(out, "key", *tensors_in(indices))
    return out


class CopyBackwards(OpNode):
    """x[...] = v (a whole-tensor copy):  y = v broadcast to x's shape;  x̄ = 0,  v̄ = ȳ summed
    to v's shape;  ẏ = v̇ broadcast to x's shape."""

    promote = OWN

    def forward(self, a: np.ndarray, v: Any) -> Any:
        self.shape, self.v_shape = a.shape, np.shape(v)
        return np.broadcast_to(value_array(v, a.dtype), a.shape).copy()

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_x, need_v = self.needs_input_grad
        gx = _zeros_like(g) if need_x else None
        gv = _sum_to_value_shape(g, self.v_shape) if need_v else None
        return gx, gv

    def jvp(self, dx: Any, dv: Any, x: Tensor, v: Any, y: Tensor) -> Tensor:
        """ẏ = v̇ broadcast to x's shape (0 when v has no tangent: x's is overwritten)."""
        zeros = _zeros_like(y)
        return zeros if dv is None else type(self).apply(zeros, dv)


class FillBackward3(OpNode):
    """x.fill_(v) with a 0-d tensor v:  y = v everywhere;  x̄ = 0,  v̄ = Σ ȳ;  ẏ = v̇
    everywhere."""

    promote = OWN

    def forward(self, a: np.ndarray, v: Any) -> Any:
        return np.full(a.shape, value_array(v, a.dtype), dtype=a.dtype)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_x, need_v = self.needs_input_grad
        return (_zeros_like(g) if need_x else None), (g.sum() if need_v else None)  # type: ignore[attr-defined]

    jvp = CopyBackwards.jvp


def _zeros_like(g: Tensor) -> Tensor:
    return Tensor._make(np.zeros(g._data.shape, g._data.dtype), False, None, 0)


def _value_type_error(self: Tensor, value: Any) -> TypeError:
    cls = type(value)
    name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
    return TypeError(f"can't assign a {name} to a {_legacy(self._data.dtype)}")


def _check_setitem(self: Tensor, key: IndexKey) -> None:
    """torch refuses writes into a leaf that requires grad: a basic index first makes a view
    of it, hence the "view of a leaf" wording. (Writes into views are checked by
    ``commit_inplace`` once it is known that the write records a graph.)"""
    if grad_mode.state.grad_enabled and self._view is None and self._grad_fn is None and self._rg:
        raise RuntimeError(VIEW_OF_LEAF_MESSAGE if key.basic_effect else LEAF_INPLACE_MESSAGE)


def setitem(self: Tensor, idx: Any, value: Any) -> None:
    """``self[idx] = value``: value (a tensor or number) broadcast into the indexed region,
    in place. Recorded as ``CopySlices`` (basic part), ``IndexPutBackward0`` (advanced only),
    ``FillBackward3``/``CopyBackwards`` (the whole tensor).

    >>> y = dyngrad.arange(4.).requires_grad_().clone()
    >>> y[1:3] = 0
    >>> y
    tensor([0., 0., 0., 3.], grad_fn=<CopySlices>)
    """
    if isinstance(value, np.generic) and not isinstance(value, np.ndarray):
        value = value.item()
    if not isinstance(value, (Tensor, bool, int, float)):
        raise _value_type_error(self, value)
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise ValueError("Overflow when unpacking long long")  # (torch reads an int64 here)
    if isinstance(value, (int, float)) and self._data.dtype == np.float16:
        with np.errstate(over="ignore"):  # float16 takes any number: beyond its range, ±inf
            value = float(np.float16(value))
    if not isinstance(value, Tensor):
        check_scalar_fits(value, self._data.dtype)  # (torch converts the value before indexing)
    if isinstance(idx, (bool, np.bool_)):  # a lone bool: True adds a dim, False writes nothing
        if not idx:
            return
        idx = None
    key = parse_index(idx, self._data.shape, check=False)
    value_shape = value._data.shape if isinstance(value, Tensor) else ()
    if key.byte_mask and (not isinstance(value, Tensor) or value._data.size == 1):
        raise RuntimeError(
            "masked_fill_ only supports boolean masks, but got mask with dtype unsigned char"
        )
    _check_setitem(self, key)
    key.check_empty_dims()
    _check_value_shape(value_shape, key.result_shape, key.adv is not None, self._data.dtype)
    if isinstance(value, Tensor) and key.adv is not None and value.dtype is not self.dtype:
        masked_fill = key.single_mask and not _strip_leading_ones(value_shape)
        if not masked_fill:  # index_put takes no other dtype (a masked fill converts)
            raise RuntimeError(
                "Index put requires the source and destination dtypes match, got "
                f"{_TYPE_NAMES[self.dtype.name]} for the destination and "
                f"{_TYPE_NAMES[value.dtype.name]} for the source."
            )
    write = None
    if key.adv is not None and is_expanded(self._data):  # torch's deprecated shared write
        warn_expanded("index_put_")
        if key.single_mask and not value_shape:
            warn_expanded("masked_fill_")
        write = shared_writer(key.take, value_array(value, self._data.dtype))
    key.check_bounds()
    if isinstance(value, Tensor) and value_shape:
        _check_overlap(self._data, key, value._data)
    if key.basic_effect and key.adv is None and not self._data.flags.writeable and self._data.size:
        # an expanded tensor: torch writes into the indexed region when no two of its
        # elements share memory (``x.expand(3, 4)[0] = 5`` writes x's row)
        setitem(take_key(self, key), ..., value)
        return
    value_rg = isinstance(value, Tensor) and value.requires_grad
    recording = grad_mode.state.grad_enabled and (self.requires_grad or value_rg)
    if not recording and not _has_tangent(self, value):
        if write is not None:
            write(self._data)
            self._bump_version()
            return
        _write_untracked(self, key, value)
        return
    view = self._view
    if recording and view is not None and view[1] == NO_GRAD and key.basic_effect:
        raise RuntimeError(  # torch first takes a view of the view, then writes into it
            f"Output 0 of {key.view_name} is a view of a view which was created in no_grad mode "
            "and is being modified inplace with grad mode enabled." + AMBIGUOUS_VIEW_HINT
        )
    if key.basic_effect:
        out = CopySlices.apply(self, value, key=key, accumulate=False)
    elif key.adv is not None:
        out = IndexPutBackward0.apply(self, value, key=key, accumulate=False)
    elif len(value_shape) == 0 and self.ndim:
        out = FillBackward3.apply(self, value)
    else:
        out = CopyBackwards.apply(self, value)
    if key.adv is not None:
        watch(out, "key", *tensors_in(idx))
    commit_inplace(self, out, overlap_ok=write is not None, write=write)


def _has_tangent(*tensors: Any) -> bool:
    """Forward mode: some tensor carries a tangent (a write must then update tangents too)."""
    return forward_ad.STATE.depth > 0 and any(isinstance(t, Tensor) and t._fw for t in tensors)


def _dense(a: np.ndarray) -> bool:
    return bool(a.flags.c_contiguous or a.flags.f_contiguous)


def _check_overlap(data: np.ndarray, key: IndexKey, value: np.ndarray) -> None:
    """torch refuses to copy a tensor onto memory it partly shares (index_put: shares at all).
    Like torch, only dense layouts are compared (by their memory ranges); others pass."""
    target = data if key.adv is not None else data[key.basic]
    if not (_dense(target) and _dense(value)) or not target.nbytes or not value.nbytes:
        return
    t0 = target.__array_interface__["data"][0]
    v0 = value.__array_interface__["data"][0]
    if t0 >= v0 + value.nbytes or v0 >= t0 + target.nbytes:
        return
    full = t0 == v0 and target.nbytes == value.nbytes and target.strides == value.strides
    if key.adv is not None or not full:
        raise RuntimeError(
            "unsupported operation: some elements of the input tensor and the written-to tensor "
            "refer to a single memory location. Please clone() the tensor before performing "
            "the operation."
        )


def _write_untracked(self: Tensor, key: IndexKey, value: Any) -> None:
    """Nothing to record: write straight into the tensor's memory and bump its version."""
    data = self._data
    if not data.size:  # (nothing to write; an empty expanded array is read-only to NumPy)
        self._bump_version()
        return
    if not data.flags.writeable:
        if key.adv is not None or key.basic_effect:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation."
            )
        write_through_base(data, value_array(value, data.dtype))  # (refuses overlap as torch)
        self._bump_version()
        return
    key.put(data, value_array(value, data.dtype), accumulate=False)
    self._bump_version()


setattr(Tensor, "__setitem__", setitem)  # noqa: B010


# --- fill_ and zero_ ----------------------------------------------------------------------


class FillBackward2(OpNode):
    """x.fill_(c) with a number c:  y = c everywhere;  x̄ = 0;  ẏ = 0."""

    promote = OWN

    def forward(self, a: np.ndarray, value: Any) -> Any:
        return np.full(a.shape, value_array(value, a.dtype), dtype=a.dtype)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return _zeros_like(g), None

    def jvp(self, dx: Any, dc: Any, x: Tensor, c: Any, y: Tensor) -> Tensor:
        """ẏ = 0 (x's tangent is overwritten, as its values are)."""
        return _zeros_like(y)


class ZeroBackward0(FillBackward2):
    """x.zero_():  y = 0 everywhere;  x̄ = 0;  ẏ = 0."""


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with ``value`` (a number or a 0-d tensor), in place."""
    check_inplace(self)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        return commit_inplace(self, FillBackward3.apply(self, value))
    # (one number everywhere: torch allows it on an expanded tensor)
    return commit_inplace(self, FillBackward2.apply(self, value), overlap_ok=True)


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros, in place."""
    check_inplace(self)
    if not self.requires_grad and self._data.flags.writeable and not _has_tangent(self):
        # x.grad.zero_(): no graph (and no tangent to zero)
        self._data[...] = 0
        self._bump_version()
        return self
    return commit_inplace(self, ZeroBackward0.apply(self, 0), overlap_ok=True)


Tensor.fill_ = fill_  # type: ignore[attr-defined]
Tensor.zero_ = zero_  # type: ignore[attr-defined]
