"""Reordering dims: permute, movedim/moveaxis, and the T/mT/mH/H properties and adjoint.

y = permute(x, p);  x̄ = permute(ȳ, p⁻¹). All are views (they share memory and the version
counter with the input). ``x.T`` reverses every dim; torch deprecates it (and ``mT``/``mH``/
``H`` on 0-D tensors) with warnings shown once per process, reproduced here.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ._registry import OWN, OpNode, register
from .shape import _shape_str, _size_arg, transpose

__all__ = ["permute", "movedim", "adjoint"]


class PermuteBackward0(OpNode):
    """y = x with its dims reordered as ``dims``;  x̄ = ȳ with the inverse order."""

    linear = True  # forward mode: ẏ = ẋ with its dims reordered the same way
    promote = OWN
    view = True

    def forward(self, a: np.ndarray, dims: tuple[int, ...]) -> Any:
        self.dims = dims
        return np.transpose(a, dims)

    def backward(self, g: Tensor) -> Tensor:
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return permute(g, inverse)


@register
def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder the dims: output dim i is input dim ``dims[i]``."""
    order = _size_arg(dims, "permute", "dims")
    n = input.ndim
    if len(order) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{n} is not equal to len(dims) = {len(order)}"
        )
    wrapped = tuple(_wrap_dim(d, n) for d in order)
    if len(set(wrapped)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return PermuteBackward0.apply(input, dims=wrapped)


@register(aliases=("moveaxis",))
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims ``source`` to positions ``destination``; the others keep their order."""
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({_shape_str(tuple(src))} dims) "
            f"should contain the same number of dims as destination ({_shape_str(tuple(dst))} dims)"
        )
    n = input.ndim
    src_w = [_wrap_dim(d, n) for d in src]
    dst_w = [_wrap_dim(d, n) for d in dst]
    for name, given, wrapped in (("source", src, src_w), ("destination", dst, dst_w)):
        if len(set(wrapped)) != len(wrapped):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({_shape_str(tuple(given))})")
    if n == 0:
        return input[...]  # type: ignore[index,no-any-return]  # torch: an alias
    order = [-1] * n
    for s, d in zip(src_w, dst_w):
        order[d] = s
    rest = iter(i for i in range(n) if i not in src_w)
    order = [next(rest) if o == -1 else o for o in order]
    return PermuteBackward0.apply(input, dims=tuple(order))


_WARNED: set[str] = set()


def warn_once(message: str, depth: int = 1) -> None:
    """A UserWarning shown once per process, as torch's TORCH_WARN_ONCE; ``depth`` counts the
    calls between the user's code and the caller."""
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, UserWarning, stacklevel=depth + 2)


def _reversed_dims(self: Tensor) -> Tensor:
    """``x.T``: all dims reversed (deprecated by torch for anything but matrices)."""
    if self.ndim == 0:
        warn_once(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
        )
    elif self.ndim != 2:
        warn_once(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` "
            "to reverse the dimensions of a tensor."
        )
    return PermuteBackward0.apply(self, dims=tuple(range(self.ndim - 1, -1, -1)))


_ZERO_D_WARNINGS = {
    "mT": "Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.",
    "mH": "Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().",
    "adjoint()": "adjoint() is deprecated on 0-D tensors. Consider using x.conj().",
}


def _matrix_transpose(self: Tensor, name: str) -> Tensor:
    """``x.mT`` / ``x.mH`` / ``x.adjoint()``: swap the last two dims (0-D: x itself)."""
    if self.ndim == 0:
        warn_once(_ZERO_D_WARNINGS[name], depth=2)
        return self
    if self.ndim < 2:
        raise RuntimeError(
            f"tensor.{name} is only supported on matrices or batches of matrices. "
            f"Got {self.ndim}-D tensor."
        )
    return transpose(self, -2, -1)


def _conj_transpose(self: Tensor) -> Tensor:
    """``x.H``: the (conjugate) transpose of a matrix; real tensors have no conjugate."""
    if self.ndim == 0:
        warn_once("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().")
        return self
    if self.ndim != 2:
        hint = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor.{hint}"
        )
    return transpose(self, 0, 1)


@register
def adjoint(input: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (a plain transpose for real tensors)."""
    return _matrix_transpose(input, "adjoint()")


Tensor.T = property(_reversed_dims)  # type: ignore[attr-defined]
Tensor.mT = property(lambda self: _matrix_transpose(self, "mT"))  # type: ignore[attr-defined]
Tensor.mH = property(lambda self: _matrix_transpose(self, "mH"))  # type: ignore[attr-defined]
Tensor.H = property(_conj_transpose)  # type: ignore[attr-defined]
