"""Order reductions: max, min, amax, amin, argmax, argmin, median.

Whole-tensor max/min/median and amax/amin share the gradient among ties:
x̄ = ȳ · [xᵢ = y] / #{j: xⱼ = y} (NaN counts as equal to a NaN result, as in torch).
With a ``dim``, max/min/median return ``return_types.<op>(values, indices)`` and the gradient
goes to the selected index only: x̄ = ȳ at ``indices``, 0 elsewhere.

Forward mode reads the tangent the same way, except that (as in torch) a NaN result has no
ties in any whole-tensor rule: ẏ = Σᵢ ẋᵢ · [xᵢ = y] / #{j: xⱼ = y}, NaN when y is NaN; with a
``dim``, ẏ = ẋ at ``indices``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import save_inputs
from ..autograd.sites import user_site
from . import reduction_return_types as return_types
from ._registry import OWN, OpNode, register
from .elementwise import maximum, minimum, where
from .reduction_common import (
    check_dims_nonempty,
    check_listed_dims_nonempty,
    constant,
    expand_reduced,
    mask_tensor,
    normalize_dims,
    positions,
    single_dim,
    sum_over,
)

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin", "median"]

_MISSING: Any = object()


def _even_share(
    x: np.ndarray, y: np.ndarray, dims: tuple[int, ...] | None, nan_ties: bool
) -> np.ndarray:
    """[xᵢ = y] / #ties over ``dims`` (y broadcast to x), a constant of x's dtype.

    With ``nan_ties`` the NaNs of x are the ties of a NaN result (max, min, median); without
    (amax, amin) a NaN result has no ties and the share is 0/0 = NaN, as in torch."""
    ties = np.where(np.isnan(y), np.isnan(x), x == y) if nan_ties else x == y
    count = np.sum(ties, axis=dims, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ties / count).astype(x.dtype)


class _WholeSelect(OpNode):
    """y = one value chosen from all of x;  x̄ = ȳ shared evenly among the xᵢ equal to y."""

    promote = OWN
    save = (0,)
    save_output = True

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        share = _even_share(x._data, self.saved_output._data, None, nan_ties=True)
        # (as torch: exact zeros away from the ties, even for an inf/NaN ȳ, not ȳ · 0)
        return where(constant(share != 0), g * constant(share), 0.0)

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = the mean of ẋ over the xᵢ equal to y (NaN when y is NaN, as torch)."""
        share = _even_share(x._data, y._data, None, nan_ties=False)
        return (dx * constant(share)).sum()  # type: ignore[no-any-return]


class MaxBackward1(_WholeSelect):
    """y = max x;  x̄ = ȳ shared evenly among the maxima."""

    def forward(self, a: np.ndarray) -> Any:
        return np.max(a)


class MinBackward1(_WholeSelect):
    """y = min x;  x̄ = ȳ shared evenly among the minima."""

    def forward(self, a: np.ndarray) -> Any:
        return np.min(a)


class MedianBackward0(_WholeSelect):
    """y = the lower median of x (NaN if x has NaN);  x̄ = ȳ shared evenly among the xᵢ = y."""

    def forward(self, a: np.ndarray) -> Any:
        flat = a.reshape(-1)
        if flat.dtype.kind == "f" and (flat.size == 0 or np.isnan(flat).any()):
            return np.array(np.nan, dtype=a.dtype)
        if flat.size == 0:  # no NaN to return: torch gives the lowest int (True for bool)
            return np.array(np.iinfo(a.dtype).min if a.dtype.kind != "b" else True, a.dtype)
        return np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2]


class _DimSelect(OpNode):
    """(values, indices) along one dim;  x̄ = ȳ at ``indices``, 0 elsewhere.
    Forward mode: ẏ = ẋ at ``indices``.

    Note: the backward reads the ``indices`` output, saved as torch saves it (see
    :func:`_select_along`): changing it in place, or a second backward, raises torch's errors.
    """

    promote = OWN
    n_outputs = 2

    def forward(self, a: np.ndarray, axis: int | None, keepdim: bool, select: Any) -> Any:
        self.shape, self.axis, self.keepdim = a.shape, axis, keepdim
        if axis is None:  # 0-d: the element itself, at index 0
            return a.copy(), np.zeros((), dtype=np.int64)
        index = select(a, axis)
        values = np.take_along_axis(a, index, axis)
        if not keepdim:
            values, index = values.squeeze(axis), index.squeeze(axis)
        return values, index.astype(np.int64)

    def _chosen(self, indices: Tensor) -> Tensor:
        """[i = index] along the dim (``self.axis``, not None), a mask of the input's shape."""
        axis = self.axis
        assert axis is not None
        index = indices._data
        if not self.keepdim:
            index = np.expand_dims(index, axis)
        return mask_tensor(positions(self.shape, axis) == index)

    def backward(self, g: Tensor, g_indices: Any = None) -> Tensor:
        (indices,) = self.saved_tensors
        if self.axis is None:
            return g
        chosen = self._chosen(indices)
        return where(chosen, expand_reduced(g, self.shape, (self.axis,), self.keepdim), 0.0)

    def jvp(self, dx: Tensor, x: Tensor, out: tuple[Tensor, Tensor]) -> tuple[Tensor, None]:
        """ẏ = ẋ at ``indices`` (Σ over the dim of ẋ · [i = index]); no tangent for indices."""
        if self.axis is None:
            return dx, None
        picked = where(self._chosen(out[1]), dx, 0.0)
        return picked.sum(self.axis, keepdim=self.keepdim), None  # type: ignore[attr-defined]


class MaxBackward0(_DimSelect):
    """(y, i) = max of x along ``dim`` and its first index;  x̄ = ȳ at i."""


class MinBackward0(_DimSelect):
    """(y, i) = min of x along ``dim`` and its first index;  x̄ = ȳ at i."""


class MedianBackward1(_DimSelect):
    """(y, i) = lower median along ``dim`` (ties: the stable-sort position; NaN: the first
    NaN);  x̄ = ȳ at i."""


def _first_max(a: np.ndarray, axis: int) -> np.ndarray:
    return np.argmax(a, axis=axis, keepdims=True)


def _first_min(a: np.ndarray, axis: int) -> np.ndarray:
    return np.argmin(a, axis=axis, keepdims=True)


def _lower_median(a: np.ndarray, axis: int) -> np.ndarray:
    """Index of the lower median along ``axis``: its stable-sort position, or the first NaN."""
    k = (a.shape[axis] - 1) // 2
    order = np.argsort(a, axis=axis, kind="stable")
    index = np.take(order, [k], axis=axis)
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        has_nan = nan.any(axis=axis, keepdims=True)
        index = np.where(has_nan, np.argmax(nan, axis=axis, keepdims=True), index)
    return index


_SELECTORS = {"max": _first_max, "min": _first_min, "median": _lower_median}


def _select_along(node: type[_DimSelect], name: str, input: Tensor, dim: Any, keepdim: bool) -> Any:
    axis = single_dim(name, dim, input.ndim)
    if axis is not None:
        check_dims_nonempty(name, tuple(input.shape), (axis,))
    select = _SELECTORS[name]
    values, indices = node.apply(input, axis=axis, keepdim=bool(keepdim), select=select)
    fn = values._grad_fn
    if fn is not None:  # the backward reads the indices output: saved with its version
        save_inputs(fn, (indices,))
        fn._site = user_site(2)
    return getattr(return_types, name)((values, indices))


def _max_or_min(name: str, input: Tensor, dim: Any, keepdim: Any, other: Any) -> Any:
    """Dispatch torch.max/min: whole tensor, along ``dim`` (named tuple), or binary."""
    binary = maximum if name == "max" else minimum
    if other is not _MISSING or isinstance(dim, Tensor):
        other = dim if other is _MISSING else other
        if keepdim is not _MISSING or (dim is not _MISSING and other is not dim):
            raise TypeError(f"{name}() received an invalid combination of arguments")
        return binary(input, other)
    if dim is _MISSING:
        if keepdim is not _MISSING:
            raise TypeError(
                f"{name}() received an invalid combination of arguments - got (keepdim=bool, )"
            )
        check_dims_nonempty(name, tuple(input.shape), None)
        return (MaxBackward1 if name == "max" else MinBackward1).apply(input)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got "
            f"({type(dim).__name__}), but expected one of: (), (Tensor other), "
            "(int dim, bool keepdim = False)"
        )
    node = MaxBackward0 if name == "max" else MinBackward0
    return _select_along(node, name, input, dim, False if keepdim is _MISSING else keepdim)


@register
def max(
    input: Tensor, dim: Any = _MISSING, keepdim: Any = _MISSING, *, other: Any = _MISSING
) -> Any:  # noqa: A001
    """The largest element; with ``dim``, ``(values, indices)`` along it; with a tensor,
    the elementwise maximum.

    >>> dyngrad.tensor([[1.0, 5.0], [7.0, 2.0]]).max(1)
    torch.return_types.max(
    values=tensor([5., 7.]),
    indices=tensor([1, 0]))
    """
    return _max_or_min("max", input, dim, keepdim, other)


@register
def min(
    input: Tensor, dim: Any = _MISSING, keepdim: Any = _MISSING, *, other: Any = _MISSING
) -> Any:  # noqa: A001
    """The smallest element; with ``dim``, ``(values, indices)`` along it; with a tensor,
    the elementwise minimum."""
    return _max_or_min("min", input, dim, keepdim, other)


@register
def median(input: Tensor, dim: Any = _MISSING, keepdim: Any = _MISSING) -> Any:
    """The lower median of all elements; with ``dim``, ``(values, indices)`` along it.

    >>> dyngrad.tensor([4.0, 1.0, 2.0, 3.0]).median()
    tensor(2.)
    """
    is_bool = input.dtype.name == "bool"
    if dim is _MISSING:
        if keepdim is not _MISSING:
            raise TypeError('median() missing 1 required positional arguments: "dim"')
        if is_bool and input.numel() > 0:
            raise NotImplementedError("\"median_cpu\" not implemented for 'Bool'")
        return MedianBackward0.apply(input)
    if is_bool:
        axis = single_dim("median", dim, input.ndim)
        check_dims_nonempty("median", tuple(input.shape), () if axis is None else (axis,))
        raise NotImplementedError("\"median_out\" not implemented for 'Bool'")
    return _select_along(MedianBackward1, "median", input, dim, keepdim is True)


class _Extremum(OpNode):
    """y = max (or min) of x over ``dim``;  x̄ = ȳ shared evenly among the xᵢ equal to y
    (no tie at all, as when y is NaN, gives NaN: torch's rule);  ẏ = the mean of ẋ over
    the ties."""

    promote = OWN
    save = (0,)
    save_output = True

    def forward(
        self, a: np.ndarray, dims: tuple[int, ...] | None, keepdim: bool, reduce: Any
    ) -> Any:
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        return reduce(a, axis=dims, keepdims=keepdim)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        y = expand_reduced(self.saved_output, self.shape, self.dims, self.keepdim)
        share = _even_share(x._data, y._data, self.dims, nan_ties=False)
        g_full = expand_reduced(g, self.shape, self.dims, self.keepdim)
        return g_full * constant(share)  # type: ignore[operator]

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = Σ over ``dim`` of ẋᵢ · [xᵢ = y] / #ties (NaN when y is NaN, as torch)."""
        y_full = expand_reduced(y, self.shape, self.dims, self.keepdim)
        share = _even_share(x._data, y_full._data, self.dims, nan_ties=False)
        return sum_over(dx * constant(share), self.dims, self.keepdim)  # type: ignore[operator]


class AmaxBackward0(_Extremum):
    """y = max over ``dim``;  x̄ = ȳ shared evenly among the maxima."""


class AminBackward0(_Extremum):
    """y = min over ``dim``;  x̄ = ȳ shared evenly among the minima."""


def _extremum(node: type[_Extremum], name: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    if not isinstance(dim, (int, np.integer, tuple, list)) or isinstance(dim, bool):
        raise TypeError(
            f"{name}(): argument 'dim' (position 1) must be tuple of ints, not {type(dim).__name__}"
        )
    check_listed_dims_nonempty(name, tuple(input.shape), dim)
    dims = normalize_dims(dim, input.ndim, name)
    check_dims_nonempty(name, tuple(input.shape), dims)
    reduce = np.max if node is AmaxBackward0 else np.min
    return node.apply(input, dims=dims, keepdim=keepdim, reduce=reduce)  # type: ignore[no-any-return]


@register
def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The maximum over ``dim`` (all dims when empty); ties share the gradient evenly."""
    return _extremum(AmaxBackward0, "amax", input, dim, keepdim)


@register
def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """The minimum over ``dim`` (all dims when empty); ties share the gradient evenly."""
    return _extremum(AminBackward0, "amin", input, dim, keepdim)


def _arg_extremum(name: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    """Index of the first max/min (NaN counts as the extreme), int64; not differentiable."""
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))):
        raise TypeError(
            f"{name}(): argument 'dim' (position 1) must be int, not {type(dim).__name__}"
        )
    if input.dtype.name == "bool":
        raise RuntimeError(f"{name}(): does not support bool input")
    a = input._data
    find = np.argmax if name == "argmax" else np.argmin
    if dim is None:
        if a.size == 0:
            raise IndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        out = np.asarray(find(a.reshape(-1)))
        if keepdim:
            out = out.reshape((1,) * a.ndim)
        return Tensor._make(out.astype(np.int64), False, None, 0)
    axis = single_dim(name, dim, a.ndim)
    if axis is None:
        return Tensor._make(np.zeros((), dtype=np.int64), False, None, 0)
    check_dims_nonempty(name, a.shape, (axis,))
    out = np.asarray(find(a, axis=axis, keepdims=keepdim))
    return Tensor._make(out.astype(np.int64), False, None, 0)


@register
def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
    return _arg_extremum("argmax", input, dim, keepdim)


@register
def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
    return _arg_extremum("argmin", input, dim, keepdim)
