"""Views: reshape/view/flatten/unflatten, expand/broadcast, squeeze/unsqueeze, transpose
(permute/movedim and the T/mT/mH/H properties are in ``shape_permute``).

Every op here returns a tensor that shares ``input``'s memory (a NumPy view) and its version
counter (``view = True``), except ``reshape`` when no view is possible: then it copies, as
torch does (``CloneBackward0`` then ``UnsafeViewBackward0``). Their backward moves the
gradient back to the input's layout: for y = reshape(x), x̄ = reshape(ȳ, x.shape); for
y = expand(x), x̄ = ȳ summed over the expanded dims; for y = permute(x, p), x̄ = permute(ȳ, p⁻¹).

Note: whether a reshape can be a view is decided from the array's strides exactly as torch
decides it from its own strides, so ``view`` fails and ``reshape`` copies in the same cases.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import OWN, OpNode, register
from .shape_convert import clone, contiguous_format
from .shape_join import stack, unbind

__all__ = [
    "reshape", "view", "flatten", "unflatten", "expand", "broadcast_to", "broadcast_tensors",
    "unsqueeze", "squeeze", "transpose", "t",
    "clone", "stack", "unbind",
]  # fmt: skip

VIEW_ERROR = (
    "view size is not compatible with input tensor's size and stride (at least one dimension "
    "spans across two contiguous subspaces). Use .reshape(...) instead."
)


def _size_arg(size: tuple[Any, ...], op: str, arg: str = "shape") -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(torch.Size(...))`` alike."""
    if not size:
        raise TypeError(f'{op}() missing 1 required positional arguments: "{arg}"')
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for i, s in enumerate(size):
        try:
            out.append(operator.index(s))
        except TypeError:
            raise TypeError(
                f"{op}(): argument 'shape' (position 1) must be tuple of ints, but found element "
                f"of type {type(s).__name__} at pos {i}"
            ) from None
    return tuple(out)


def _shape_str(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Resolve one ``-1`` in a requested shape, with torch's errors."""
    known = 1
    infer_at = None
    for i, s in enumerate(shape):
        if s == -1:
            if infer_at is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer_at = i
        elif s < 0:
            raise RuntimeError(
                f"invalid shape dimension {s} at index {i} of shape {_shape_str(shape)}"
            )
        else:
            known *= s
    if infer_at is not None:
        if known == 0:
            raise RuntimeError(
                f"cannot reshape tensor of 0 elements into shape {_shape_str(shape)} because the "
                "unspecified dimension size -1 can be any value and is ambiguous"
            )
        if numel % known == 0:
            return shape[:infer_at] + (numel // known,) + shape[infer_at + 1 :]
    elif known == numel:
        return shape
    raise RuntimeError(f"shape '{_shape_str(shape)}' is invalid for input of size {numel}")


def view_strides(
    shape: tuple[int, ...], strides: tuple[int, ...], new_shape: tuple[int, ...], itemsize: int = 1
) -> tuple[int, ...] | None:
    """Strides that show memory laid out as (``shape``, ``strides``) in ``new_shape``, or
    None when a new dimension would have to span two separately strided blocks.

    The old dims split into blocks that are evenly strided within themselves (dim i joins
    dim i+1's block when it has size 1 or ``stride[i] == size[i+1] * stride[i+1]``). A view
    exists when the new shape, read right to left, cuts the same blocks: each block's elements
    are exactly covered by a run of new dims, which then get the block's strides (size-1 new
    dims included, so even their strides are torch's).
    """
    numel = 1
    for s in shape:
        numel *= s
    if numel == 0:  # no memory to describe: any layout works
        if tuple(shape) == tuple(new_shape):
            return tuple(strides)
        return _contiguous_strides(new_shape, itemsize)
    if not shape:  # one element, nothing to follow
        return (itemsize,) * len(new_shape)
    new_strides = [0] * len(new_shape)
    j = len(new_shape) - 1
    i = len(shape) - 1
    while i >= 0:
        base = strides[i]
        block = shape[i]
        while i > 0 and (shape[i - 1] == 1 or strides[i - 1] == block * base):
            i -= 1
            block *= shape[i]
        covered = 1
        while j >= 0 and (covered < block or new_shape[j] == 1):
            new_strides[j] = covered * base
            covered *= new_shape[j]
            j -= 1
        if covered != block:
            return None
        i -= 1
    return tuple(new_strides) if j < 0 else None


def _contiguous_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    out = []
    acc = itemsize
    for s in reversed(shape):
        out.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(out))


class ViewBackward0(OpNode):
    """y = x viewed with a new shape;  x̄ = ȳ reshaped to x's shape."""

    promote = OWN
    view = True

    def forward(self, a: np.ndarray, shape: tuple[int, ...], strides: Any) -> Any:
        self.shape = a.shape
        if strides is None:  # plain C-ordered input: NumPy's reshape is a view
            return a.reshape(shape)
        return strided_view(a, shape, strides)

    def backward(self, g: Tensor) -> Tensor:
        return reshape(g, self.shape)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ viewed with y's shape (a copy if ẋ's strides do not allow a view)."""
        return reshape(dx, y._data.shape)


class ReshapeAliasBackward0(ViewBackward0):
    """reshape of a non-contiguous tensor that can still be a view (torch's _reshape_alias)."""


def _view_or_none(input: Tensor, shape: tuple[int, ...]) -> tuple[bool, Any]:
    """(is a view possible, the strides to use: None when NumPy's reshape gives torch's)."""
    a = input._data
    if a.flags.c_contiguous and (
        (1 not in a.shape and a.size) or a.strides == _contiguous_strides(a.shape, a.itemsize)
    ):
        return True, None  # plain C order: NumPy's strides are torch's
    strides = view_strides(a.shape, a.strides, shape, a.itemsize)
    return strides is not None, strides


@register
def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape (one dim may be -1): a view when the strides allow
    it, otherwise a contiguous copy."""
    size = infer_shape(_size_arg(shape, "reshape"), input._data.size)
    ok, strides = _view_or_none(input, size)
    if ok:
        node = ViewBackward0 if input._data.flags.c_contiguous else ReshapeAliasBackward0
        return node.apply(input, shape=size, strides=strides)
    from .linalg import UnsafeViewBackward0  # linalg imports this module

    copy = clone(input, memory_format=contiguous_format)
    return UnsafeViewBackward0.apply(copy, shape=size)  # type: ignore[no-any-return]


@register(function=False)
def view(input: Tensor, *shape: Any) -> Tensor:
    """A view with a new shape; torch's error when the strides make that impossible."""
    size = infer_shape(_size_arg(shape, "view"), input._data.size)
    ok, strides = _view_or_none(input, size)
    if not ok:
        raise RuntimeError(VIEW_ERROR)
    return ViewBackward0.apply(input, shape=size, strides=strides)


@register(function=False)
def view_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.view(other.shape)``."""
    return view(input, tuple(other.shape))


@register(function=False)
def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.reshape(other.shape)``."""
    return reshape(input, tuple(other.shape))


@register
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one (a 0-d tensor becomes shape (1,))."""
    n = input.ndim
    start, end = _wrap_dim(start_dim, n), _wrap_dim(end_dim, n)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if n == 0:
        return reshape(input, 1)
    if start == end:
        return input
    shape = input._data.shape
    merged = 1
    for s in shape[start : end + 1]:
        merged *= s
    return reshape(input, shape[:start] + (merged,) + shape[end + 1 :])


@register
def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one entry may be -1): a view."""
    wanted = _size_arg((sizes,), "unflatten")
    if not wanted:
        raise RuntimeError("unflatten: sizes must be non-empty")
    d = _wrap_dim(dim, input.ndim)  # a 0-d tensor: dims -1 and 0 pass, others raise here
    if input.ndim == 0:
        raise RuntimeError(
            "unflatten got an unexpected error:\nDimension specified as 0 but tensor has no "
            "dimensions"
        )
    shape = input._data.shape
    try:
        resolved = infer_shape(wanted, shape[d])
    except RuntimeError as exc:
        if "is invalid for input of size" in str(exc):
            raise RuntimeError(
                f"unflatten: Provided sizes {_shape_str(wanted)} don't multiply up to the size "
                f"of dim {d} ({shape[d]}) in the input tensor"
            ) from None
        raise RuntimeError(f"unflatten got an unexpected error:\n{exc}") from None
    return view(input, shape[:d] + resolved + shape[d + 1 :])


# --- broadcasting ---------------------------------------------------------------------------


def strided_view(a: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...],
                 writeable: bool = True) -> np.ndarray:  # fmt: skip
    """``as_strided(a, shape, strides)`` at a tenth of its cost: an ndarray over ``a``'s own
    buffer when ``a`` exports one (C-contiguous), else NumPy's ``as_strided``."""
    # Note: as_strided builds its view through __array_interface__ (about 5 µs); the
    # ndarray constructor over the buffer is about 0.5 µs and every sum's backward expands.
    try:
        out = np.ndarray(shape, a.dtype, a, 0, strides)
    except (TypeError, ValueError, BufferError):
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=writeable)
    if not writeable:
        out.flags.writeable = False
    return out


def expand_strides(a: np.ndarray, size: tuple[int, ...]) -> tuple[int, ...]:
    """torch's strides for ``a`` expanded to ``size``: an expanded dim gets stride 0, a kept
    dim keeps its stride, a new size-1 leading dim gets the span of the dims after it."""
    if a.ndim == 0:
        return (0,) * len(size)
    lead = len(size) - a.ndim
    strides = [0] * len(size)
    for i in range(len(size) - 1, -1, -1):
        if i >= lead:
            n, st = a.shape[i - lead], a.strides[i - lead]
            strides[i] = st if n == size[i] else 0
        else:
            strides[i] = 0 if size[i] != 1 else size[i + 1] * strides[i + 1]
    return tuple(strides)


class ExpandBackward0(OpNode):
    """y = x broadcast to ``size``;  x̄ = ȳ summed back to x's shape."""

    linear = True  # forward mode: ẏ = ẋ broadcast the same way
    promote = OWN
    view = True

    def forward(self, a: np.ndarray, size: tuple[int, ...]) -> Any:
        self.shape = a.shape
        strides = expand_strides(a, size)
        repeats = any(st == 0 and n > 1 for st, n in zip(strides, size))
        # Note: a result where elements repeat is read-only, so in-place writes into it fail
        # with torch's "more than one element ... refers to a single memory location".
        return strided_view(a, size, strides, writeable=not repeats)

    def backward(self, g: Tensor) -> Tensor:
        return g.sum_to_size(self.shape)  # type: ignore[attr-defined,no-any-return]


@register(function=False)
def expand(input: Tensor, *size: Any) -> Tensor:
    """A broadcast view of ``input`` with shape ``size`` (-1 keeps a dimension)."""
    sizes = _size_arg(size, "expand", "size")
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.{input.dtype.name.capitalize()}Tensor{{{_shape_str(shape)}}}, "
            f"size={_shape_str(sizes)}): the number of sizes provided ({len(sizes)}) "
            f"must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    target = list(sizes)
    for i in range(lead):
        if sizes[i] < 0:
            raise RuntimeError(
                f"The expanded size of the tensor ({sizes[i]}) isn't allowed in a leading, "
                f"non-existing dimension {i}"
            )
    for i in reversed(range(len(shape))):  # torch reports the last mismatched dim
        s = shape[i]
        want = sizes[lead + i]
        if want == -1:
            target[lead + i] = s
        elif (s != want and s != 1) or want < 0:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: {_shape_str(sizes)}."
                f"  Tensor sizes: {_shape_str(shape)}"
            )
    return ExpandBackward0.apply(input, size=tuple(target))


@register(function=False)
def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """``input.expand(other.shape)``."""
    return expand(input, tuple(other.shape))


@register
def broadcast_to(input: Tensor, size: Any) -> Tensor:
    """``input.expand(size)``."""
    return expand(input, size)


def broadcast_pair(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast shape of two shapes, with torch's error naming the first mismatch."""
    n = max(len(a), len(b))
    out = []
    for k in range(n, 0, -1):
        da = a[-k] if k <= len(a) else 1
        db = b[-k] if k <= len(b) else 1
        if da != db and da != 1 and db != 1:
            raise RuntimeError(
                f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                f"non-singleton dimension {n - k}"
            )
        out.append(db if da == 1 else da)
    return tuple(out)


@register(method=False)
def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common shape (a tensor already that shape comes back
    as itself)."""
    shape: tuple[int, ...] = ()
    for x in tensors:
        shape = broadcast_pair(shape, x._data.shape)
    return tuple(x if x._data.shape == shape else expand(x, shape) for x in tensors)


# --- adding and removing size-1 dims ------------------------------------------------------


class UnsqueezeBackward0(OpNode):
    """y = x with a new size-1 dim;  x̄ = ȳ without it."""

    linear = True  # forward mode: ẏ = ẋ with the same new dim
    promote = OWN
    view = True

    def forward(self, a: np.ndarray, dim: int) -> Any:
        self.dim = dim
        # torch's stride for the new dim: the span of the dim it is put before
        st = a.strides
        new = a.shape[dim] * st[dim] if dim < a.ndim else a.itemsize
        shape = a.shape[:dim] + (1,) + a.shape[dim:]
        return strided_view(a, shape, st[:dim] + (new,) + st[dim:])

    def backward(self, g: Tensor) -> Tensor:
        return squeeze(g, self.dim)


@register
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size one at ``dim``."""
    return UnsqueezeBackward0.apply(
        input, dim=_wrap_dim(_int_arg(dim, "unsqueeze", "dim"), input.ndim + 1)
    )


def _int_arg(value: Any, op: str, name: str, position: int = 1) -> int:
    if isinstance(value, Tensor) or not hasattr(value, "__index__"):
        raise TypeError(
            f"{op}(): argument '{name}' (position {position}) must be int, not {type(value).__name__}"
        )
    return operator.index(value)


class SqueezeBackward0(OpNode):
    """y = x without its size-1 dims;  x̄ = ȳ reshaped back."""

    linear = True  # forward mode: ẏ = ẋ squeezed the same way
    promote = OWN
    view = True

    def forward(self, a: np.ndarray, dims: tuple[int, ...]) -> Any:
        self.shape = a.shape
        return np.squeeze(a, axis=dims)

    def backward(self, g: Tensor) -> Tensor:
        return reshape(g, self.shape)


class SqueezeBackward1(SqueezeBackward0):
    """squeeze(dim) with one dim."""


class SqueezeBackward2(SqueezeBackward0):
    """squeeze(dims) with a tuple of dims."""


class SqueezeBackward4(SqueezeBackward0):
    """The squeeze inside matmul of a vector and a matrix."""

    view = False  # torch squeezes matmul's own temporary in place: the result is no view


def wrap_dims(dims: Any, ndim: int) -> tuple[int, ...]:
    """Wrap each dim; torch's error when one appears twice."""
    out: list[int] = []
    for d in dims:
        w = _wrap_dim(operator.index(d), ndim)
        if w in out:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        out.append(w)
    return tuple(out)


@register
def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Remove dimensions of size one (all, or those in ``dim`` that have size one)."""
    shape = input._data.shape
    if dim is None:
        node: type[SqueezeBackward0] = SqueezeBackward0
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        single = not isinstance(dim, (tuple, list))
        node = SqueezeBackward1 if single else SqueezeBackward2
        wanted = wrap_dims((dim,) if single else dim, input.ndim)
        dims = tuple(d for d in wanted if input.ndim and shape[d] == 1)
    return node.apply(input, dims=dims)


# --- reordering dims ----------------------------------------------------------------------


class TransposeBackward0(OpNode):
    """y = x with dims ``d0`` and ``d1`` swapped;  x̄ = ȳ swapped back."""

    linear = True  # forward mode: ẏ = ẋ with the same dims swapped
    promote = OWN
    view = True

    def forward(self, a: np.ndarray, d0: Any, d1: Any) -> Any:
        self.d0, self.d1 = d0, d1
        return a.view() if a.ndim < 2 else np.swapaxes(a, d0, d1)

    def backward(self, g: Tensor) -> Tensor:
        if g.ndim < 2:
            return g
        return transpose(g, self.d0, self.d1)


@register(aliases=("swapdims", "swapaxes"))
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions (``swapaxes``/``swapdims`` are the same op)."""
    n = input.ndim
    for name, position, d in (("dim0", 1, dim0), ("dim1", 2, dim1)):
        if not isinstance(d, (int, np.integer)):
            raise TypeError(
                f"transpose(): argument '{name}' (position {position}) must be int, not "
                f"{type(d).__name__}"
            )
    return TransposeBackward0.apply(input, d0=_wrap_dim(int(dim0), n), d1=_wrap_dim(int(dim1), n))


class TBackward0(TransposeBackward0):
    """y = xᵀ (matrix transpose);  x̄ = ȳᵀ."""


@register
def t(input: Tensor) -> Tensor:
    """Transpose a matrix (0-d and 1-d tensors come back as views of themselves)."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return TBackward0.apply(input, d0=0, d1=1)
