"""scatter_reduce: combine ``src`` into ``input`` at ``index`` along ``dim`` with a reduction
(sum, prod, mean, amax, amin), counting ``input``'s own value in or not (``include_self``).

Write S_p for the values reduced into position p (x_p when ``include_self``, and every
src element sent to p); y_p = reduce(S_p). Positions nothing is sent to keep x_p. Then
  sum:  x̄ = ȳ (0 at touched p without include_self),  src̄ = gather(ȳ)
  mean: as sum, divided by |S_p|
  amax/amin: ȳ_p shared equally among the elements of S_p equal to y_p (like torch, an
        excluded x_p equal to y_p still takes a share, which then goes nowhere)
  prod: ∂y_p/∂s = Π(S_p minus s): y_p / s when no element of S_p is 0, the product of the
        others for the only zero, 0 otherwise.
The masks and counts are piecewise constant; every formula is linear in ȳ or built from
dyngrad ops (prod), so higher-order gradients work, but for prod's src̄ where several src
zeros meet one position: its value (0) is right, its derivative is not the formula's, so
differentiating it raises torch's error (a node named ``Error``, as torch's).

Forward mode: sum and mean are linear in (x, src): ẏ = scatter_reduce(ẋ, ṡ) the same way.
amax/amin: ẏ_p = the mean of the tangents of the elements of S_p equal to y_p (an excluded
x_p does not count here). prod: ẏ_p = Σ_{e ∈ S_p} Π(S_p minus e) · ė, with the partial
derivatives of the backward. (torch 2.13's forward mode gives prod, and the 'max'/'min'
aliases, no tangent at all; dyngrad computes it.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode
from ..autograd.graph import Node, grad_accumulator, init_node
from ._registry import OWN, OpNode, register
from .elementwise import where
from .indexing_gather import (
    GatherBackward0,
    ScatterAddBackward0,
    _as_1d,
    _check_same_dtype,
    _check_scatter_shapes,
    _leading,
    _positions,
    index_array,
)
from .indexing_saved import saved_index, watch

__all__ = ["scatter_reduce"]

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")
_ALIASES = {"max": "amax", "min": "amin"}  # accepted by torch, undocumented


def _constant(a: np.ndarray) -> Tensor:
    return Tensor._make(a, False, None, 0)


def _extreme(dtype: np.dtype, reduce: str) -> Any:
    """The identity of amax/amin for ``dtype``."""
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def _counts(shape: tuple[int, ...], where_: tuple[Any, ...], include_self: bool) -> np.ndarray:
    counts = np.zeros(shape or (1,), np.int64)  # (a 0-d x is indexed as 1-d, as in forward)
    np.add.at(counts, where_, 1)
    counts = counts.reshape(shape)
    return counts + 1 if include_self else counts


def reduce_array(
    a: np.ndarray, dim: int, idx: np.ndarray, src: np.ndarray, reduce: str, include_self: bool
) -> np.ndarray:
    if idx.size == 0:  # nothing is reduced in (torch checks no shapes then)
        return a.copy()
    out = _as_1d(a).copy()
    i1 = _as_1d(idx)
    s = _leading(_as_1d(src), i1.shape)
    at = _positions(i1, dim)
    if not include_self:
        identity = {"sum": 0, "mean": 0, "prod": 1}.get(reduce)
        out[at] = _extreme(a.dtype, reduce) if identity is None else identity
    if reduce in ("sum", "mean"):
        np.add.at(out, at, s)
    elif reduce == "prod":
        np.multiply.at(out, at, s)
    else:
        (np.maximum if reduce == "amax" else np.minimum).at(out, at, s)
    if reduce == "mean":
        n = np.maximum(_counts(out.shape, at, include_self), 1)
        out = out // n if out.dtype.kind in "iub" else (out / n).astype(out.dtype)
    return out.reshape(a.shape)


class ScatterReduceBackward0(OpNode):
    """y = scatter_reduce(x, dim, index, src, reduce, include_self) (see the module docstring)."""

    promote = OWN
    index = saved_index()
    save = (0, 1)
    save_output = True

    def forward(
        self,
        a: np.ndarray,
        src: np.ndarray,
        dim: int,
        index: np.ndarray,
        reduce: str,
        include_self: bool,
        given: str = "",
    ) -> Any:
        self.dim, self.index, self.reduce, self.include_self = dim, index, reduce, include_self
        self.given = given or reduce
        return reduce_array(a, dim, index, src, reduce, include_self)

    def _gather(self, t: Tensor) -> Tensor:
        return GatherBackward0.apply(t, dim=self.dim, index=self.index)

    def _scatter_add(self, shape: tuple[int, ...], t: Tensor) -> Tensor:
        zeros = _constant(np.zeros(shape, t._data.dtype))
        return ScatterAddBackward0.apply(zeros, t, dim=self.dim, index=self.index)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        if self.given != self.reduce:  # torch's forward takes 'max'/'min', its backward does not
            raise RuntimeError(
                "Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', 'amin' but got "
                f"{self.given}."
            )
        x, src = self.saved_tensors
        if self.index.size == 0:  # nothing reduced in: y = x
            return self._nothing_reduced_backward(g, x)
        shape = x._data.shape
        at = _positions(_as_1d(self.index), self.dim)
        touched = self._touched(shape)
        src_lead = self._lead(src)
        reduce = self.reduce
        if reduce in ("sum", "mean"):
            scale = g
            if reduce == "mean":
                n = np.maximum(_counts(touched.shape, at, self.include_self), 1)
                scale = g / _constant(n.reshape(shape).astype(g._data.dtype))  # type: ignore[operator]
            gx = scale if self.include_self else scale * _constant((~touched).astype(g._data.dtype))  # type: ignore[operator]
            return gx, self._gather(scale)
        if reduce in ("amax", "amin"):
            return self._extreme_backward(g, x, src_lead, touched, src)
        return self._prod_backward(g, x, src_lead, touched, whole=src)

    def _nothing_reduced_backward(self, g: Tensor, x: Tensor) -> tuple[Any, ...]:
        """An empty index: y = x, so x̄ = ȳ (amax/amin: where x equals y, i.e. not at NaN),
        src̄ = gather(ȳ) (empty, index-shaped; the engine sums it to src's shape, and fails
        as torch does when it cannot)."""
        gx = g
        if self.reduce in ("amax", "amin"):
            y = self.saved_output._data
            gx = g * _constant((x._data == y).astype(g._data.dtype))  # type: ignore[operator]
        return gx, self._gather(g)

    def _touched(self, shape: tuple[int, ...]) -> np.ndarray:
        """The positions of x that some src element is sent to."""
        touched = np.zeros(shape or (1,), bool)  # (a 0-d x is indexed as 1-d, as in forward)
        touched[_positions(_as_1d(self.index), self.dim)] = True
        return touched.reshape(shape)

    def _lead(self, src: Tensor) -> Tensor:
        """The part of src that is used (index's shape: torch ignores the rest). An empty
        index uses nothing, whatever src's shape (torch checks no shapes then)."""
        if src._data.shape == self.index.shape:
            return src
        if self.index.size == 0:
            return _constant(np.zeros(self.index.shape, src._data.dtype))
        if src._data.ndim == 0:  # a 0-d src is one element in every dim
            src = src.reshape((1,) * self.index.ndim)  # type: ignore[attr-defined]
        if self.index.ndim == 0:  # a 0-d index sends src's first element
            return src[(0,) * src.ndim]  # type: ignore[no-any-return]
        return src[tuple(slice(0, s) for s in self.index.shape)]  # type: ignore[no-any-return]

    def jvp(self, dx: Any, ds: Any, x: Tensor, src: Tensor, y: Tensor) -> Tensor:
        """ẏ = Σ ∂y/∂x · ẋ + Σ ∂y/∂src · ṡ (see the module docstring); missing tangents are 0."""
        dt = y._data.dtype
        reduce = self.reduce
        if self.index.size == 0:  # nothing reduced in: y = x
            return _constant(np.zeros(y._data.shape, dt)) if dx is None else dx
        if reduce in ("sum", "mean"):  # linear in (x, src)
            if dx is None:
                dx = _constant(np.zeros(x._data.shape, dt))
            if ds is None:
                ds = _constant(np.zeros(src._data.shape, dt))
            return ScatterReduceBackward0.apply(
                dx,
                ds,
                dim=self.dim,
                index=self.index,
                reduce=reduce,
                include_self=self.include_self,
            )
        touched = self._touched(x._data.shape)
        ds_lead = None if ds is None else self._lead(ds)
        if reduce == "prod":
            ones = _constant(np.ones(y._data.shape, dt))
            dydx, dyds = self._prod_backward(ones, x, self._lead(src), touched, y)
            total = _constant(np.zeros(y._data.shape, dt)) if dx is None else dydx * dx
            if ds_lead is None:
                return total  # type: ignore[no-any-return]
            return ScatterAddBackward0.apply(total, dyds * ds_lead, dim=self.dim, index=self.index)
        # amax / amin: the mean of the tangents of the elements equal to y
        at = _positions(_as_1d(self.index), self.dim)
        x_hits = np.asarray((x._data == y._data) & (self.include_self | ~touched))
        y_at = _as_1d(y._data)[at].reshape(self.index.shape)
        src_hits = self._lead(src)._data == y_at
        count = np.asarray(x_hits.astype(dt))  # (0-d: an array, added to in place)
        np.add.at(_as_1d(count), at, _as_1d(src_hits))
        total = (
            _constant(np.zeros(y._data.shape, dt))
            if dx is None
            else dx * _constant(x_hits.astype(dt))
        )
        if ds_lead is not None:
            picked = ds_lead * _constant(src_hits.astype(dt))
            total = ScatterAddBackward0.apply(total, picked, dim=self.dim, index=self.index)
        # Note: a NaN y equals nothing: 0 / 0 gives NaN there, as in torch.
        return total / _constant(count)  # type: ignore[no-any-return]

    def _extreme_backward(
        self, g: Tensor, x: Tensor, src: Tensor, touched: np.ndarray, whole: Tensor | None = None
    ) -> tuple[Any, ...]:
        """``whole``: the saved src when it is larger than index; as torch, its gradient is
        then gather(share) · [whole == gather(y)] broadcast over all of it (src elements that
        index does not cover but that equal y get a share too)."""
        y = self.saved_output._data
        dt = g._data.dtype
        x_hits = np.asarray(x._data == y)  # (0-d: an array, not a NumPy scalar)
        src_hits = src._data == _as_1d(y)[_positions(_as_1d(self.index), self.dim)].reshape(
            self.index.shape
        )
        n = np.asarray(x_hits.astype(np.int64))
        np.add.at(_as_1d(n), _positions(_as_1d(self.index), self.dim), _as_1d(src_hits))
        share = g / _constant(np.maximum(n, 1).astype(dt))  # type: ignore[operator]
        # Note: as in torch, an excluded x equal to y still counts in the share (its own
        # gradient is then 0), so the shares of src need not add up to ȳ there.
        gx = share * _constant((x_hits & (self.include_self | ~touched)).astype(dt))  # type: ignore[operator]
        gsrc = self._gather(share) * _constant(src_hits.astype(dt))  # type: ignore[operator]
        if whole is not None and self._larger(whole, src):
            y_at = _as_1d(y)[_positions(_as_1d(self.index), self.dim)].reshape(self.index.shape)
            gsrc = self._gather(share) * _constant((whole._data == y_at).astype(dt))  # type: ignore[operator]
        return gx, gsrc

    def _larger(self, whole: Tensor, src: Tensor) -> bool:
        """``whole`` (the saved src) is larger than index (``src``: the part index covers),
        and index's shape broadcasts against it (torch's size error otherwise)."""
        if whole._data.shape == src._data.shape or 0 != src.ndim != whole.ndim:
            return False
        try:
            np.broadcast_shapes(whole._data.shape, self.index.shape)
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a {list(self.index.shape)} must match the size of tensor b "
                f"{list(whole._data.shape)}"
            ) from None
        return True

    def _prod_backward(
        self,
        g: Tensor,
        x: Tensor,
        src: Tensor,
        touched: np.ndarray,
        y: Tensor | None = None,
        whole: Tensor | None = None,
    ) -> tuple[Any, ...]:
        """Products of "the others" built so that their own derivatives are right too: x's
        zeros are set to 1 before reducing again (then y_p / x_p is the product of the others
        for every x_p), and so is a src zero that is alone among the src sent to its slot.
        ``y``: the output (default: the saved one). ``whole``: the saved src when larger than
        index; as torch, src's gradient is then the index-shaped terms broadcast over all of
        it (each element divided by its own value)."""
        if y is None:
            y = self.saved_output
        at = _positions(_as_1d(self.index), self.dim)
        if self.include_self:
            x_masked = where(_constant(x._data == 0), 1.0, x)
            others_of_x = self._reduce(x_masked, src)
            gx = g * others_of_x / x_masked  # type: ignore[operator]
        else:  # x counts only where nothing was sent, and there y = x
            gx = where(_constant(touched), 0.0, g)
        src_zero = src._data == 0
        zeros_at = np.zeros(_as_1d(x._data).shape, np.int64)
        np.add.at(zeros_at, at, _as_1d(src_zero).astype(np.int64))
        lone_zero = src_zero & (zeros_at[at].reshape(self.index.shape) == 1)
        others_of_zero = self._reduce(x, where(_constant(lone_zero), 1.0, src))
        if whole is not None and self._larger(whole, src):
            src = whole
            src_zero = src._data == 0
            lone_zero = src_zero & (zeros_at[at].reshape(self.index.shape) == 1)
        gsrc = where(
            _constant(lone_zero),
            self._gather(g * others_of_zero),  # type: ignore[operator]
            self._gather(g * y) / where(_constant(src_zero), 1.0, src),  # type: ignore[operator]
        )
        if (zeros_at > 1).any():  # (its derivative there is not this formula's: as torch)
            gsrc = _not_differentiable_again(gsrc)
        return gx, gsrc

    def _reduce(self, x: Tensor, src: Tensor) -> Tensor:
        return ScatterReduceBackward0.apply(
            x, src, dim=self.dim, index=self.index, reduce="prod", include_self=self.include_self
        )


class _DoubleBackwardError(Node):
    """Stands for the derivative of prod's src gradient where several src zeros meet:
    the first gradient is right (0), its own derivative is not the formula's, so
    differentiating it raises, as torch does."""

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        raise RuntimeError(
            "scatter_reduce(): Double backward is unsupported for src when >1 zeros in src "
            "are scattered to the same position in self"
        )


_DoubleBackwardError.__name__ = _DoubleBackwardError.__qualname__ = "Error"  # (torch's name)


def _not_differentiable_again(t: Tensor) -> Tensor:
    """``t`` (a gradient being recorded) behind a node that raises when backpropagated."""
    if not grad_mode.state.grad_enabled or not t._rg:
        return t
    node = _DoubleBackwardError.__new__(_DoubleBackwardError)
    edge = (t._grad_fn, t._output_nr) if t._grad_fn is not None else (grad_accumulator(t), 0)
    init_node(node, (edge,), ((t._data.shape, t._data.dtype),))
    return Tensor._make(t._data, True, node, 0)


@register(inplace=True)
def scatter_reduce(
    input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *, include_self: bool = True
) -> Tensor:
    """A copy of ``input`` with ``src`` reduced in at ``index`` along ``dim``
    (``reduce`` in sum, prod, mean, amax, amin)."""
    if not isinstance(src, Tensor):
        raise TypeError(
            f"scatter_reduce(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}"
        )
    dim = _wrap_dim(dim, input.ndim)
    idx = index_array(index, "scatter", empty_any_dtype=True)
    given, reduce = reduce, _ALIASES.get(reduce, reduce)
    _check_same_dtype(input, src)  # (torch's order: dtypes, shapes, then the reduction)
    _check_scatter_shapes(input._data.shape, idx, dim, src._data.shape)
    if reduce not in _REDUCTIONS:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    out = ScatterReduceBackward0.apply(
        input, src, dim=dim, index=idx, reduce=reduce, include_self=bool(include_self), given=given
    )
    watch(out, "index", index)
    return out
