"""Shape ops and copies: reshape/view, expand, unsqueeze/squeeze, transpose, unbind,
indexing, dtype conversion, clone.

Their backward moves the gradient back to the input's layout: for y = reshape(x),
x̄ = reshape(ȳ, x.shape); for y = expand(x), x̄ = ȳ summed over the expanded dims.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor, _wrap_dim
from ._registry import OWN, OpNode, register

__all__ = [
    "reshape", "expand", "unsqueeze", "squeeze", "transpose", "t", "unbind", "stack", "clone",
]  # fmt: skip


def _size_arg(size: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` alike."""
    if len(size) == 1 and not isinstance(size[0], (int, np.integer)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    """Resolve one ``-1`` in a requested shape, with torch's errors."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return shape


class ViewBackward0(OpNode):
    """y = x viewed with a new shape;  x̄ = ȳ reshaped to x's shape."""

    promote = OWN

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> Any:
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, g: Tensor) -> Tensor:
        return g.reshape(self.shape)


@register(aliases=("view",), function=True)
def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape (one dim may be -1)."""
    size = _infer_shape(_size_arg(shape), input._data.size)
    if size == input._data.shape:
        return ViewBackward0.apply(input, shape=size) if input._rg else _alias(input)
    return ViewBackward0.apply(input, shape=size)


def _alias(t: Tensor) -> Tensor:
    out = Tensor._make(t._data.view(), False, None, 0)
    out._vc = t._vc
    return out


class ExpandBackward0(OpNode):
    """y = x broadcast to ``size``;  x̄ = ȳ summed back to x's shape."""

    promote = OWN
    view = True

    def forward(self, a: np.ndarray, size: tuple[int, ...]) -> Any:
        self.shape = a.shape
        return np.broadcast_to(a, size)

    def backward(self, g: Tensor) -> Tensor:
        return g.sum_to_size(self.shape)  # type: ignore[attr-defined,no-any-return]


@register(function=False)
def expand(input: Tensor, *size: Any) -> Tensor:
    """A broadcast view of ``input`` with shape ``size`` (-1 keeps a dimension)."""
    sizes = _size_arg(size)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(
            f"expand(torch.{input.dtype.name.capitalize()}Tensor{{[{', '.join(map(str, shape))}]}}, "
            f"size=[{', '.join(map(str, sizes))}]): the number of sizes provided ({len(sizes)}) "
            f"must be greater or equal to the number of dimensions in the tensor ({len(shape)})"
        )
    lead = len(sizes) - len(shape)
    target = list(sizes)
    for i, s in enumerate(shape):
        want = sizes[lead + i]
        if want == -1:
            target[lead + i] = s
        elif s != want and s != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({want}) must match the existing size ({s}) at "
                f"non-singleton dimension {lead + i}.  Target sizes: [{', '.join(map(str, sizes))}]."
                f"  Tensor sizes: [{', '.join(map(str, shape))}]"
            )
    return ExpandBackward0.apply(input, size=tuple(target))


class UnsqueezeBackward0(OpNode):
    """y = x with a new size-1 dim;  x̄ = ȳ without it."""

    promote = OWN
    view = True

    def forward(self, a: np.ndarray, dim: int) -> Any:
        self.dim = dim
        return np.expand_dims(a, dim)

    def backward(self, g: Tensor) -> Tensor:
        return g.squeeze(self.dim)  # type: ignore[attr-defined,no-any-return]


@register
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size one at ``dim``."""
    return UnsqueezeBackward0.apply(input, dim=_wrap_dim(dim, input.ndim + 1))


class SqueezeBackward0(OpNode):
    """y = x without its size-1 dims;  x̄ = ȳ reshaped back."""

    promote = OWN
    view = True

    def forward(self, a: np.ndarray, dims: tuple[int, ...]) -> Any:
        self.shape = a.shape
        return np.squeeze(a, axis=dims)

    def backward(self, g: Tensor) -> Tensor:
        return g.reshape(self.shape)


class SqueezeBackward1(SqueezeBackward0):
    """squeeze(dim) with one dim."""


class SqueezeBackward2(SqueezeBackward0):
    """squeeze(dims) with a tuple of dims."""


class SqueezeBackward4(SqueezeBackward0):
    """The squeeze inside matmul of a vector and a matrix."""


@register
def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Remove dimensions of size one (all, or those in ``dim`` that have size one)."""
    shape = input._data.shape
    if dim is None:
        node: type[SqueezeBackward0] = SqueezeBackward0
        dims = tuple(i for i, s in enumerate(shape) if s == 1)
    else:
        node = SqueezeBackward1 if isinstance(dim, int) else SqueezeBackward2
        wanted = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = tuple(d for d in (_wrap_dim(w, input.ndim) for w in wanted) if shape[d] == 1)
    return node.apply(input, dims=dims)


class TransposeBackward0(OpNode):
    """y = x with dims ``d0`` and ``d1`` swapped;  x̄ = ȳ swapped back."""

    promote = OWN
    view = True

    def forward(self, a: np.ndarray, d0: Any, d1: Any) -> Any:
        self.d0, self.d1 = d0, d1
        return a.view() if a.ndim == 0 else np.swapaxes(a, d0, d1)

    def backward(self, g: Tensor) -> Tensor:
        if g.ndim == 0:
            return g
        return g.transpose(self.d0, self.d1)  # type: ignore[attr-defined,no-any-return]


@register
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    n = input.ndim
    return TransposeBackward0.apply(input, d0=_wrap_dim(dim0, n), d1=_wrap_dim(dim1, n))


class TBackward0(TransposeBackward0):
    """y = xᵀ (matrix transpose);  x̄ = ȳᵀ."""


@register
def t(input: Tensor) -> Tensor:
    """Transpose a matrix (0-d and 1-d tensors come back as views of themselves)."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    if input.ndim < 2:
        return TBackward0.apply(input, d0=0, d1=0) if input.ndim else TBackward0.apply(input, d0=(), d1=())
    return TBackward0.apply(input, d0=0, d1=1)


class UnbindBackward0(OpNode):
    """(y₀, y₁, …) = slices of x along ``dim``;  x̄ = the ȳᵢ stacked along ``dim``."""

    promote = OWN
    view = True
    n_outputs = 2  # marks it multi-output; the real count is set per call

    def forward(self, a: np.ndarray, dim: int) -> Any:
        self.dim = dim
        lead = (slice(None),) * dim
        return tuple(a[lead + (i,)] for i in range(a.shape[dim]))

    def backward(self, *grads: Tensor) -> Tensor:
        return stack(grads, self.dim)


class StackBackward0(OpNode):
    """y = the xᵢ stacked along a new ``dim``;  x̄ᵢ = ȳ[..., i, ...] (unbound along ``dim``)."""

    def forward(self, *arrays: np.ndarray, dim: int) -> Any:
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        return unbind(g, self.dim)


@register(method=False)
def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension ``dim``."""
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for i, x in enumerate(tensors):
        if x.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(x.shape)} at entry {i}"
            )
    return StackBackward0.apply(*tensors, dim=_wrap_dim(dim, len(shape) + 1))


@register
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices of ``input`` along ``dim``, as a tuple."""
    dim = _wrap_dim(dim, input.ndim)
    out = UnbindBackward0.apply(input, dim=dim)
    if isinstance(out, Tensor):  # one slice
        return (out,)
    return tuple(out)


class ToCopyBackward0(OpNode):
    """y = x converted to another dtype;  x̄ = ȳ converted back (the engine casts)."""

    promote = OWN

    def forward(self, a: np.ndarray, np_dtype: np.dtype) -> Any:
        return a.astype(np_dtype)

    def backward(self, g: Tensor) -> Tensor:
        return g


def to(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Convert to a dtype (``to(dtype)``, ``to('cpu')``, ``to(other)``); self if nothing changes."""
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("device", None)
    for a in args:
        if isinstance(a, _dtype.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, str) and a not in ("cpu",):
            raise RuntimeError(f"Expected one of cpu device type at start of device string: {a}")
    if dtype is None or dtype is input.dtype:
        return clone(input) if copy else input
    out = ToCopyBackward0.apply(input, np_dtype=dtype.np)
    return out


Tensor.to = to  # type: ignore[attr-defined]
Tensor.type_as = lambda self, other: to(self, other.dtype)  # type: ignore[attr-defined]
for _name, _dt in (("float", _dtype.float32), ("double", _dtype.float64), ("half", _dtype.float16),
                   ("long", _dtype.int64), ("int", _dtype.int32), ("short", _dtype.int16),
                   ("char", _dtype.int8), ("byte", _dtype.uint8), ("bool", _dtype.bool_)):  # fmt: skip
    setattr(Tensor, _name, (lambda d: lambda self: to(self, d))(_dt))
Tensor.cpu = lambda self: self  # type: ignore[attr-defined]


class CloneBackward0(OpNode):
    """y = a copy of x;  x̄ = ȳ."""

    promote = OWN

    def forward(self, a: np.ndarray) -> Any:
        return a.copy()

    def backward(self, g: Tensor) -> Tensor:
        return g


@register
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    """A copy with its own memory that stays in the graph."""
    return CloneBackward0.apply(input)


def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:
    """``input`` itself if its memory is C-ordered, else a C-ordered copy."""
    return input if input._data.flags.c_contiguous else clone(input)


Tensor.contiguous = contiguous  # type: ignore[attr-defined]


Tensor.mT = property(lambda self: transpose(self, -2, -1))  # type: ignore[attr-defined]
Tensor.T = property(lambda self: t(self) if self.ndim <= 2 else self.permute(*range(self.ndim - 1, -1, -1)))  # type: ignore[attr-defined]
