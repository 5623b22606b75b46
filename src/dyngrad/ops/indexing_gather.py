"""gather, scatter, scatter_add and take_along_dim: indexing along one dim with an index tensor.

For ``y = gather(x, d, idx)``: y[i][j][k] = x[i][idx[i][j][k]][k] (d = 1), so
x̄ = zeros with ȳ added at those positions (repeated indices accumulate): scatter_add.
For ``y = scatter(x, d, idx, src)``: y = x with src[i][j][k] written at [i][idx[i][j][k]][k];
x̄ = ȳ with zeros there,  src̄ = gather(ȳ, d, idx).
For ``y = scatter_add(x, d, idx, src)``: x̄ = ȳ,  src̄ = gather(ȳ, d, idx).

The index may be smaller than ``x`` (and ``src``) in every dim but ``d``; only the leading
part of ``src`` is used. Repeated indices are summed with ``np.add.at`` (one vectorised call).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import _TYPE_NAMES, OWN, OpNode, register
from .indexing_saved import saved_index, watch

__all__ = [
    "gather",
    "scatter",
    "scatter_add",
    "take_along_dim",
    "index_array",
    "fmt_shape",
    "broadcast_shapes",
]


def fmt_shape(shape: Any) -> str:
    return "[" + ", ".join(str(int(s)) for s in shape) + "]"


def broadcast_shapes(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast shape of ``a`` and ``b``, with torch's error naming the clashing dim."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        n = max(len(a), len(b))
        for k in range(1, n + 1):
            da = a[-k] if k <= len(a) else 1
            db = b[-k] if k <= len(b) else 1
            if da != db and da != 1 and db != 1:
                raise RuntimeError(
                    f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                    f"non-singleton dimension {n - k}"
                ) from None
        raise


def index_array(
    index: Any,
    op: str,
    message: str | None = None,
    long_only: bool = False,
    error: type[Exception] = RuntimeError,
    empty_any_dtype: bool = False,
) -> np.ndarray:
    """The index tensor's array, with torch's error when it is not an integer tensor
    (``empty_any_dtype``: gather and scatter take an empty index of any dtype)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    arr = index._data
    allowed = ("int64",) if long_only else ("int64", "int32")
    if arr.dtype.name not in allowed and not (empty_any_dtype and arr.size == 0):
        raise error(message or f"{op}(): Expected dtype int32/int64 for index")
    return arr.astype(np.intp, copy=False)


def _as_1d(a: np.ndarray) -> np.ndarray:
    return a.reshape(1) if a.ndim == 0 else a


def _check_bounds_along(idx: np.ndarray, size: int, dim: int) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        flat = idx.reshape(-1)
        bad = flat[(flat < 0) | (flat >= size)][0]
        raise RuntimeError(
            f"index {int(bad)} is out of bounds for dimension {dim} with size {size}"
        )


def _positions(idx: np.ndarray, dim: int) -> tuple[Any, ...]:
    """The fancy index that sends element ``i`` of ``idx`` to ``i`` with dim ``dim`` replaced
    by ``idx[i]`` (broadcastable aranges elsewhere)."""
    coords: list[Any] = list(np.indices(idx.shape, sparse=True))
    coords[dim] = idx
    return tuple(coords)


def _leading(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The leading ``shape`` block of ``a`` (torch uses only that much of a larger src)."""
    return a[tuple(slice(0, s) for s in shape)]


def gather_array(a: np.ndarray, dim: int, idx: np.ndarray) -> np.ndarray:
    out_shape = idx.shape
    if idx.size == 0:  # (torch checks no shapes then: the index may have any rank)
        return np.zeros(out_shape, a.dtype)
    a1, i1 = _as_1d(a), _as_1d(idx)
    return np.asarray(a1[_positions(i1, dim)].reshape(out_shape), order="C")  # (torch's layout)


def scatter_array(a: np.ndarray, dim: int, idx: np.ndarray, src: Any, mode: str) -> np.ndarray:
    """A copy of ``a`` with ``src`` written ("assign"), added ("add") or multiplied in."""
    out = a.copy()
    if idx.size == 0:  # nothing is written (torch checks no shapes then)
        return out
    o1, i1 = _as_1d(out), _as_1d(idx)
    where = _positions(i1, dim)
    if isinstance(src, np.ndarray) and src.ndim:
        src = _leading(src, i1.shape)
    elif isinstance(src, np.ndarray):
        src = src.reshape(1) if i1.ndim else src
    if mode == "assign":
        o1[where] = src
    elif mode == "add":
        np.add.at(o1, where, src)
    else:
        np.multiply.at(o1, where, src)
    return out


# --- gather ---------------------------------------------------------------------------------


class GatherBackward0(OpNode):
    """y = x gathered along ``dim`` at ``index``;  x̄ = scatter_add(zeros, dim, index, ȳ);
    ẏ = gather(ẋ, dim, index)."""

    linear = True  # forward mode: ẏ = ẋ gathered the same way
    promote = OWN
    index = saved_index()
    save = (0,)  # as torch saves it: self, for its own gradient
    save_for = ((0,),)

    def forward(self, a: np.ndarray, dim: int, index: np.ndarray) -> Any:
        self.shape, self.dim, self.index = a.shape, dim, index
        return gather_array(a, dim, index)

    def backward(self, g: Tensor) -> Tensor:
        zeros = Tensor._make(np.zeros(self.shape, g._data.dtype), False, None, 0)
        return ScatterAddBackward0.apply(zeros, g, dim=self.dim, index=self.index)


def _check_gather_shapes(op: str, shape: tuple[int, ...], idx: np.ndarray, dim: int) -> None:
    if idx.size == 0:  # torch checks an empty index for nothing but its dtype
        return
    if max(idx.ndim, 1) != max(len(shape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(idx.ndim):
        if d != dim and idx.shape[d] > shape[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {fmt_shape(idx.shape)} to be "
                f"no larger than self {fmt_shape(shape)} apart from dimension {dim}"
            )
    _check_bounds_along(idx, shape[dim] if shape else 1, dim)


@register
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Values of ``input`` along ``dim`` at ``index`` (output has ``index``'s shape).

    >>> t = dyngrad.tensor([[1., 2.], [3., 4.]])
    >>> dyngrad.gather(t, 1, dyngrad.tensor([[0, 0], [1, 0]]))
    tensor([[1., 1.],
            [4., 3.]])
    """
    dim = _wrap_dim(dim, input.ndim)
    idx = index_array(index, "gather", empty_any_dtype=True)
    _check_gather_shapes("gather", input._data.shape, idx, dim)
    out = GatherBackward0.apply(input, dim=dim, index=idx)
    watch(out, "index", index)
    return out


# --- scatter --------------------------------------------------------------------------------


class ScatterBackward0(OpNode):
    """y = x with src written at ``index`` along ``dim``;
    x̄ = ȳ with zeros there,  src̄ = gather(ȳ, dim, index);  ẏ = scatter(ẋ, dim, index, ṡ)."""

    linear = True  # forward mode: y is linear in (x, src)
    promote = OWN
    index = saved_index()

    def forward(self, a: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray) -> Any:
        self.dim, self.index = dim, index
        return scatter_array(a, dim, index, src, "assign")

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_x, need_src = self.needs_input_grad
        gx = ScatterBackward1.apply(g, 0, dim=self.dim, index=self.index) if need_x else None
        gsrc = GatherBackward0.apply(g, dim=self.dim, index=self.index) if need_src else None
        return gx, gsrc


class ScatterBackward1(OpNode):
    """y = x with the number ``value`` written at ``index`` along ``dim``;  x̄ = ȳ with zeros
    there;  ẏ = ẋ with zeros there."""

    promote = OWN
    index = saved_index()
    no_edge = (1,)  # the number (torch's node has one edge)

    def forward(self, a: np.ndarray, value: Any, dim: int, index: np.ndarray) -> Any:
        self.dim, self.index = dim, index
        with np.errstate(all="ignore"):
            fill = np.asarray(value).astype(a.dtype)
        return scatter_array(a, dim, index, fill, "assign")

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return ScatterBackward1.apply(g, 0, dim=self.dim, index=self.index)

    def jvp(self, dx: Any, dv: Any, x: Tensor, v: Any, y: Tensor) -> Any:
        """ẏ = scatter(ẋ, dim, index, 0) (the number has no tangent)."""
        return None if dx is None else ScatterBackward1.apply(dx, 0, dim=self.dim, index=self.index)


class _ScatterReduceNotImplemented(OpNode):
    """scatter(..., reduce='add'|'multiply'): forward only, as in torch."""

    promote = OWN

    def forward(self, a: np.ndarray, src: Any, dim: int, index: np.ndarray, mode: str) -> Any:
        if not isinstance(src, np.ndarray):
            with np.errstate(all="ignore"):
                src = np.asarray(src).astype(a.dtype)
        return scatter_array(a, dim, index, src, mode)

    def backward(self, *grads: Any) -> Any:
        raise RuntimeError("derivative for aten::scatter is not implemented")

    def jvp(self, *tangents_primals_output: Any) -> Any:
        """No forward derivative in torch either."""
        raise NotImplementedError(
            "Trying to use forward AD with aten::scatter that does not support it."
        )


_ScatterReduceNotImplemented.__name__ = _ScatterReduceNotImplemented.__qualname__ = "NotImplemented"


def _fits(idx_shape: tuple[int, ...], shape: tuple[int, ...], dim: int) -> bool:
    """Each of the index's sizes is at most ``shape``'s (but along ``dim``; -1: along none),
    over the dims ``shape`` has."""
    return all(d == dim or i <= s for d, (i, s) in enumerate(zip(idx_shape, shape)))


def _check_scatter_shapes(
    shape: tuple[int, ...], idx: np.ndarray, dim: int, src_shape: tuple[int, ...] | None
) -> None:
    if idx.size == 0:  # torch checks an empty index for nothing but its dtype
        return
    if max(idx.ndim, 1) != max(len(shape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if (
        src_shape is not None
        and 0 < len(src_shape) < idx.ndim
        and _fits(idx.shape, shape, dim)
        and _fits(idx.shape, src_shape, -1)
    ):
        # (torch compares the index's sizes with src's dim by dim before comparing the ranks:
        # it reads a size src has not once the ones before it fit)
        n = len(src_shape)
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {n})"
        )
    if src_shape is not None and max(idx.ndim, 1) != max(len(src_shape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    for d in range(idx.ndim):
        too_big = (d != dim and idx.shape[d] > shape[d]) or (
            # (a 0-d src has size 1 in every dim, as torch counts it)
            src_shape is not None and idx.shape[d] > (src_shape[d] if len(src_shape) else 1)
        )
        if too_big:
            if src_shape is None:
                raise RuntimeError(
                    f"Expected index {fmt_shape(idx.shape)} to be no larger than self "
                    f"{fmt_shape(shape)} apart from dimension {dim}"
                )
            raise RuntimeError(
                f"Expected index {fmt_shape(idx.shape)} to be no larger than self "
                f"{fmt_shape(shape)} apart from dimension {dim} and to be no larger size than src "
                f"{fmt_shape(src_shape)}"
            )
    _check_bounds_along(idx, shape[dim] if shape else 1, dim)


def _check_same_dtype(input: Tensor, src: Tensor, op: str = "scatter") -> None:
    if src.dtype is not input.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")


@register(inplace=True)
def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor or a number) written at ``index`` along
    ``dim``; ``reduce='add'|'multiply'`` combines instead (forward only, as in torch)."""
    if src is None:
        src = value
    dim = _wrap_dim(dim, input.ndim)
    idx = index_array(index, "scatter", empty_any_dtype=True)
    is_tensor = isinstance(src, Tensor)
    if is_tensor:  # (torch checks the dtypes before the shapes)
        _check_same_dtype(input, src)
    _check_scatter_shapes(input._data.shape, idx, dim, src._data.shape if is_tensor else None)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        return _ScatterReduceNotImplemented.apply(input, src, dim=dim, index=idx, mode=reduce)
    if is_tensor:
        out = ScatterBackward0.apply(input, src, dim=dim, index=idx)
    else:
        out = ScatterBackward1.apply(input, src, dim=dim, index=idx)
    watch(out, "index", index)
    return out


class ScatterAddBackward0(OpNode):
    """y = x with src added at ``index`` along ``dim`` (repeats accumulate);
    x̄ = ȳ,  src̄ = gather(ȳ, dim, index);  ẏ = scatter_add(ẋ, dim, index, ṡ)."""

    linear = True  # forward mode: y is linear in (x, src)
    promote = OWN
    index = saved_index()

    def forward(self, a: np.ndarray, src: np.ndarray, dim: int, index: np.ndarray) -> Any:
        self.dim, self.index = dim, index
        return scatter_array(a, dim, index, src, "add")

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        need_src = self.needs_input_grad[1]
        gsrc = GatherBackward0.apply(g, dim=self.dim, index=self.index) if need_src else None
        return g, gsrc


@register(inplace=True)
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim``.

    >>> dyngrad.scatter_add(dyngrad.zeros(3), 0, dyngrad.tensor([0, 2, 0]), dyngrad.tensor([1., 2., 3.]))
    tensor([4., 0., 2.])
    """
    dim = _wrap_dim(dim, input.ndim)
    idx = index_array(index, "scatter", empty_any_dtype=True)
    _check_same_dtype(input, src)  # (torch checks the dtypes before the shapes)
    _check_scatter_shapes(input._data.shape, idx, dim, src._data.shape)
    out = ScatterAddBackward0.apply(input, src, dim=dim, index=idx)
    watch(out, "index", index, needed_for=(1,))  # (x̄ = ȳ reads no index)
    return out


# --- take_along_dim -------------------------------------------------------------------------


@register
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``gather`` with broadcasting: input and indices broadcast in every dim but ``dim``,
    and the indices wrap around (``i % size``, as torch); with ``dim=None`` both are
    flattened first (and the indices must be in range)."""
    if dim is None:  # (views, as torch: a layout that cannot be flattened in place fails)
        return gather(input.view(-1), 0, indices.view(-1))  # type: ignore[attr-defined]
    if input.ndim != indices.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {input.ndim} dimensions for input, and {indices.ndim} "
            "dimensions for indices"
        )
    if indices._data.dtype != np.int64:
        raise RuntimeError(
            "torch.take_along_dim(): dtype of indices should be Long but got "
            f"{_TYPE_NAMES[indices.dtype.name]}"
        )
    dim = _wrap_dim(dim, input.ndim)
    a_shape, i_shape = list(input.shape), list(indices.shape)
    a_shape[dim] = i_shape[dim] = 1
    common = list(broadcast_shapes(tuple(a_shape), tuple(i_shape)))
    want_a = common.copy()
    want_a[dim] = input.shape[dim]
    want_i = common.copy()
    want_i[dim] = indices.shape[dim]
    input = input.expand(*want_a)  # type: ignore[attr-defined]  # (always: ExpandBackward0)
    if list(indices.shape) != want_i:
        indices = indices.expand(*want_i)  # type: ignore[attr-defined]
    # Note: torch wraps every index modulo the dim's size (meant for negative indices, it
    # also sends 5 to 1 in a dim of 4): no index is out of range, but a dim of size 0 fails
    size, idx = input.shape[dim], indices._data
    if idx.size and not size:
        raise RuntimeError("ZeroDivisionError: take_along_dim(): indices into a dim of size 0")
    wrapped = Tensor._make(np.mod(idx, max(size, 1)), False, None, 0)
    return gather(input, dim, wrapped)
