"""Vector p-norms: ``norm`` (torch.norm) and ``vector_norm`` (torch.linalg.vector_norm).

y = (Σ |xᵢ|ᵖ)^(1/p) over ``dim``; p = ∞ / -∞ give max / min |xᵢ|, p = 0 counts nonzeros.
Every p shows torch's node ``LinalgVectorNormBackward0``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OWN, OpNode, register
from .elementwise import where
from .reduction_common import (
    constant,
    expand_reduced,
    legacy_type_name,
    mask_tensor,
    normalize_dims,
    sum_over,
)

__all__ = ["norm", "vector_norm"]

_INF = float("inf")


class LinalgVectorNormBackward0(OpNode):
    """y = (Σ |x|ᵖ)^(1/p);  x̄ = ȳ · sgn(x) · |x|ᵖ⁻¹ / yᵖ⁻¹, which is ȳ · x / y for p = 2 and
    ȳ · sgn(x) for p = 1; 0 where x = 0 or y = 0 (as torch). p = ±∞: ȳ · sgn(x) shared
    evenly among the entries with |x| = y. p = 0: x̄ = 0.
    Forward mode: ẏ = Σ (∂y/∂x) · ẋ over ``dim``, the same row (x̄ for ȳ = 1).
    ``dtype``: the norm is taken of x cast to it (x̄ cast back to x's dtype); x itself is the
    input, and saved, as in torch."""

    promote = OWN
    save = (0,)
    save_output = True

    def forward(self, a: np.ndarray, p: float, dims: Any, keepdim: bool,
                dtype: Any = None) -> Any:  # fmt: skip
        self.p, self.dims, self.keepdim, self.shape = p, dims, keepdim, a.shape
        self.dtype = dtype
        if dtype is not None:
            a = a.astype(dtype.np)
        axis = dims
        absx = np.abs(a)
        if p == 2:
            out = np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdim))
        elif p == 1:
            out = np.sum(absx, axis=axis, keepdims=keepdim)
        elif p == _INF:
            out = np.max(absx, axis=axis, keepdims=keepdim, initial=0)
        elif p == -_INF:
            out = np.min(absx, axis=axis, keepdims=keepdim, initial=_INF)
        elif p == 0:
            out = np.sum(a != 0, axis=axis, keepdims=keepdim)
        else:
            out = np.sum(absx**p, axis=axis, keepdims=keepdim) ** (1.0 / p)
        return np.asarray(out).astype(a.dtype, copy=False)

    def backward(self, g: Tensor) -> Tensor | None:
        (x,) = self.saved_tensors
        if self.p == 0:  # (torch: no gradient at all, not zeros: x.grad stays None)
            return None
        g_full = expand_reduced(g, self.shape, self.dims, self.keepdim)
        if self.dtype is None:
            return self._grad(x, self.saved_output, g_full)
        grad = self._grad(x.to(self.dtype), self.saved_output, g_full)  # type: ignore[attr-defined]
        return grad.to(x.dtype)  # type: ignore[attr-defined,no-any-return]

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = Σ over ``dim`` of (∂y/∂x) · ẋ; 0 for p = 0."""
        if self.p == 0:
            return constant(np.zeros(y._data.shape, y._data.dtype))
        if self.dtype is not None:
            x, dx = x.to(self.dtype), dx.to(self.dtype)  # type: ignore[attr-defined]
        return sum_over(self._grad(x, y, None) * dx, self.dims, self.keepdim)  # type: ignore[operator]

    def _grad(self, x: Tensor, y: Tensor, g_full: Tensor | None) -> Tensor:
        """x̄ for the gradient ``g_full`` (already expanded to x's shape); None: ȳ = 1."""
        p, dims, keepdim, shape = self.p, self.dims, self.keepdim, self.shape
        y_full = expand_reduced(y, shape, dims, keepdim)
        if g_full is None:
            g_full = constant(np.ones(shape, x._data.dtype))
        if p == 0:
            return g_full * 0  # type: ignore[operator,return-value]
        if p == 1:
            return g_full * x.sign()  # type: ignore[attr-defined,no-any-return]
        if p == 2:
            return g_full * x / where(y_full == 0, _INF, y_full)  # type: ignore[no-any-return]
        if p in (_INF, -_INF):
            hit = (x.abs() == y_full).to(x.dtype)  # type: ignore[attr-defined]
            count = hit.sum(dims, keepdim=True) if dims else hit.sum()  # type: ignore[attr-defined]
            share = hit / count.clamp(min=1)
            return g_full * x.sign() * share  # type: ignore[attr-defined,no-any-return]
        # Note: zeros are replaced by 1 before the powers (then masked), so that neither the
        # values nor the higher derivatives see |0|^(p-1) = inf.
        dead = mask_tensor((x._data == 0) | (y_full._data == 0))
        ax = where(dead, 1.0, x.abs())  # type: ignore[attr-defined]
        y_safe = where(dead, 1.0, y_full)
        grad = g_full * x.sign() * (ax / y_safe) ** (p - 1)  # type: ignore[attr-defined]
        return where(dead, 0.0, grad)


def _p_label(p: float) -> str:
    return f"{p:g}"


def vector_norm(
    x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The p-norm of ``x`` over ``dim`` (all elements when None), as torch.linalg.vector_norm.

    >>> dyngrad.tensor([3.0, -4.0]).norm()
    tensor(5.)
    """
    if not x.is_floating_point():
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            + legacy_type_name(x._data.dtype)
        )
    if dtype is not None:
        if not dtype.is_floating_point:
            raise RuntimeError(
                "linalg.vector_norm: dtype should be floating point or complex, but got "
                + legacy_type_name(dtype.np)
            )
        if np.promote_types(x._data.dtype, dtype.np) != dtype.np:
            raise RuntimeError(
                f"linalg.vector_norm: the dtype of the input ({legacy_type_name(x._data.dtype)}) "
                f"should be convertible without narrowing to the specified dtype "
                f"({legacy_type_name(dtype.np)})"
            )
        if dtype is x.dtype:
            dtype = None
    if isinstance(ord, Tensor):
        ord = ord.item()
    p = float(ord)
    dims = normalize_dims(dim, x.ndim, "linalg_vector_norm")
    if p < 0 or p == _INF:
        _check_identity(x, p, dims)
    # (the cast to ``dtype`` is inside the node: torch saves x itself, not a converted copy)
    return LinalgVectorNormBackward0.apply(x, p=p, dims=dims, keepdim=keepdim, dtype=dtype)  # type: ignore[no-any-return]


def _check_identity(x: Tensor, p: float, dims: tuple[int, ...] | None) -> None:
    """max/min-like norms (p = ∞ or p < 0) of nothing have no value: torch's error."""
    shape = tuple(x.shape)
    if dims is None:
        if x.numel() == 0:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {_p_label(p)} norm on an empty tensor "
                "because the operation does not have an identity"
            )
        return
    for d in dims:
        if shape[d] == 0:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {_p_label(p)} norm on the dimension "
                f"{d}because this dimension is empty and the operation does not have an identity"
            )


@register
def norm(
    input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None
) -> Tensor:
    """The vector p-norm of all elements, or over ``dim``; ``'fro'`` (the default) is p = 2.

    >>> dyngrad.tensor([[1.0, -2.0], [2.0, 4.0]]).norm(1, dim=1)
    tensor([3., 6.])
    """
    if p is None:
        p = "fro"
    if isinstance(p, str):
        if p == "fro":
            n_dims = 1 if dim is None or isinstance(dim, int) else len(tuple(dim))
            if dim is not None and n_dims > 2:
                raise RuntimeError(
                    "linalg.matrix_norm: dim must be a 2-tuple. Got " + " ".join(map(str, dim))
                )
            return vector_norm(input, 2, dim, keepdim, dtype=dtype)
        if p == "nuc":
            return _nuclear_norm(input, dim, keepdim, dtype)
        raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def _nuclear_norm(input: Tensor, dim: Any, keepdim: bool, dtype: Any) -> Tensor:
    """torch.norm(p='nuc'): Σ σᵢ over exactly two dims (all of ``input``'s when ``dim`` is
    None), i.e. ``linalg.matrix_norm(input, 'nuc', dim)``."""
    from ..linalg import matrix_norm

    if input.ndim < 2:  # (matrix_norm's own error, before any look at dim)
        return matrix_norm(input, "nuc", keepdim=keepdim, dtype=dtype)
    if dim is None:
        dims: tuple[Any, ...] = tuple(range(input.ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(
            "linalg.matrix_norm: dim must be a 2-tuple. Got " + " ".join(map(str, dims))
        )
    return matrix_norm(input, "nuc", dims, keepdim, dtype=dtype)
