"""Statistics and logic reductions: var, std, var_mean, std_mean, logsumexp, all, any,
count_nonzero.

var:  v = Σ (x − μ)² / max(0, d), d = N − correction;  x̄ = v̄ · 2(x − μ) / d;
      v̇ = Σ 2(x − μ) · ẋ / d.
std:  s = √v;  x̄ = s̄ · (x − μ) / (d · s), 0 where s = 0 (as torch);  ṡ = v̇ / (2s), 0 where
      s = 0.
logsumexp:  y = log Σ exp(x), computed as m + log Σ exp(x − m) with m = max x;
      x̄ = ȳ · exp(x − y);  ẏ = Σ exp(x − m) · ẋ / Σ exp(x − m).

Note: as torch, the derivatives divide by the signed d = N − correction (the value clamps it
at 0): with correction > N the gradient is finite, with d = 0 it is ±inf or NaN.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import save_output
from ..autograd.sites import user_site
from ._registry import FLOAT, OWN, OpNode, check_saved_versions, register
from .elementwise import where
from .reduction_common import constant, expand_reduced, normalize_dims, sum_over

__all__ = ["var", "std", "var_mean", "std_mean", "logsumexp", "all", "any", "count_nonzero"]

_INF = float("inf")


# --- var / std ---------------------------------------------------------------------------


def _moments(
    a: np.ndarray, dims: tuple[int, ...] | None, correction: float, keepdim: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(variance with ``correction``, mean) over ``dims``, in x's dtype (float16 via float32)."""
    work = a.astype(np.float32) if a.dtype == np.float16 else a
    n = _reduced(a.shape, dims)
    with np.errstate(all="ignore"):  # np.mean would warn on empty slices: divide instead
        mean = np.sum(work, axis=dims, keepdims=True) / n
        squares = np.sum((work - mean) ** 2, axis=dims, keepdims=keepdim)
        variance = squares / max(0.0, n - correction)
        infinite = np.isinf(work)
        if infinite.any():
            mean = _running_mean_of_infinities(mean, infinite, dims)
    if not keepdim:
        mean = mean.reshape(squares.shape)
    return np.asarray(variance).astype(a.dtype), np.asarray(mean).astype(a.dtype)


def _running_mean_of_infinities(
    mean: np.ndarray, infinite: np.ndarray, dims: tuple[int, ...] | None
) -> np.ndarray:
    """torch's mean here is a running (Welford) one: a slice holding ±inf has mean ±inf only
    when that inf is its one infinity and its last element (μ + (±inf − μ)/n); any other
    infinity ends in inf − inf = NaN. (Slices are walked in C order.)"""
    if dims is None:
        flat = infinite.reshape(1, -1)
    else:
        rest = [d for d in range(infinite.ndim) if d not in dims]
        flat = np.transpose(infinite, rest + list(dims)).reshape(
            [infinite.shape[d] for d in rest] + [-1]
        )
    count = flat.sum(-1)
    last_only = (count == 1) & flat[..., -1]
    nan = (count > 0) & ~last_only
    return np.where(nan.reshape(mean.shape), np.nan, mean)


def _nonzero(std: Tensor) -> Tensor:
    """s with zeros replaced by inf: dividing by it gives 0 where s = 0 (torch's masked
    value), and no inf/NaN reaches higher derivatives through an unselected branch."""
    return where(std == 0, _INF, std)


def _reduced(shape: tuple[int, ...], dims: tuple[int, ...] | None) -> int:
    return int(np.prod(shape if dims is None else [shape[d] for d in dims], dtype=np.int64))


class _Moments(OpNode):
    """Shared backward pieces (the centred input and 1/d as tensors of dyngrad ops) and the
    forward-mode rule of var, std, var_mean and std_mean."""

    promote = OWN
    save = (0,)

    def forward(
        self, a: np.ndarray, dims: Any, correction: float, keepdim: bool, kind: str,
        empty_dim: bool = False,
    ) -> Any:  # fmt: skip
        """``empty_dim``: dim=() given (all dims), where torch's derivatives count N = 1."""
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        self.n = _reduced(a.shape, dims)
        self.empty_dim = empty_dim
        self.dof = (1 if empty_dim else self.n) - correction  # signed (see the module's note)
        self.is_std = kind.startswith("std")
        variance, mean = _moments(a, dims, correction, keepdim)
        spread = np.sqrt(variance) if kind.startswith("std") else variance
        return (spread, mean) if kind.endswith("_mean") else spread

    def jvp(self, dx: Tensor, x: Tensor, out: Any) -> Any:
        """v̇ = Σ 2(x − μ) · ẋ / d;  ṡ = v̇ / (2s), 0 where s = 0;  μ̇ = the mean of ẋ."""
        spread = out[0] if self.n_outputs == 2 else out
        var_tangent = sum_over(self.var_row(x) * dx, self.dims, self.keepdim)
        if self.is_std:  # (torch's form: NaN for an empty input, whose s is NaN)
            spread_tangent = var_tangent / (2.0 * _nonzero(spread))
        else:
            spread_tangent = var_tangent
        if self.n_outputs == 1:
            return spread_tangent
        return spread_tangent, sum_over(dx, self.dims, self.keepdim) / self.n

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        # Note: with d = N − correction ≤ 0 the gradients are inf/NaN, silently, as in torch.
        with np.errstate(all="ignore"):
            if self.n_outputs == 2 and grads[0] is None:  # only μ̄: torch leaves out the
                check_saved_versions(self)  # spread's term (no 0 · NaN), yet checks versions
                return (self.full(grads[1]) / self.n,)  # type: ignore[operator]
            return super().apply_backward(grads)

    def nan_constant_grad(self) -> bool:
        """torch's var over the whole input (no ``dim``, or a 0-d input) with d ≤ 0: the
        gradient is NaN everywhere, as a constant (no graph for a higher order)."""
        whole = (self.dims is None and not self.empty_dim) or len(self.shape) == 0
        return whole and self.dof <= 0

    def nan_grad(self, x: Tensor) -> Tensor:
        return constant(np.full(self.shape, np.nan, dtype=x._data.dtype))

    def centred(self, x: Tensor) -> Tensor:
        mean = x.mean(self.dims, keepdim=True) if self.dims else x.mean()  # type: ignore[attr-defined]
        return x - mean  # type: ignore[no-any-return]

    def inv_dof(self) -> float:
        """1/d with the signed d of the derivatives (inf for d = 0)."""
        return 1.0 / self.dof if self.dof != 0 else _INF

    def full(self, t: Tensor) -> Tensor:
        return expand_reduced(t, self.shape, self.dims, self.keepdim)

    def std_grad(self, g: Tensor, x: Tensor, std: Tensor) -> Tensor:
        """s̄ · (x − μ) / (d · s) = (s̄ / 2s) · ∂v/∂x, 0 where s = 0."""
        # (an exact 0 where s = 0, even for an inf/NaN s̄: torch masks after dividing)
        scaled = where(std == 0, 0.0, g / (2.0 * _nonzero(std)))
        return self.full(scaled) * self.var_row(x)  # type: ignore[operator]

    def var_row(self, x: Tensor) -> Tensor:
        """∂v/∂x = 2(x − μ) / d.

        Note: over all elements (no ``dim``) with d ≤ 0 torch's derivative is instead
        inf · |x − μ| (+inf, NaN where x = μ), in both modes; matched as observed. A 0-d
        input reduced over ``dim`` counts as over all elements there."""
        whole = self.dims is None or not self.shape
        if whole and self.dof <= 0 and not self.empty_dim:
            return self.centred(x).abs() * _INF  # type: ignore[attr-defined,no-any-return]
        return self.centred(x) * (2.0 * self.inv_dof())  # type: ignore[operator]


class VarBackward0(_Moments):
    """v = Σ (x − μ)² / d;  x̄ = v̄ · 2(x − μ) / d."""

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        if self.nan_constant_grad():
            return self.nan_grad(x)
        return self.full(g) * self.var_row(x)  # type: ignore[operator]


class StdBackward0(_Moments):
    """s = √(Σ (x − μ)² / d);  x̄ = s̄ · (x − μ) / (d · s), 0 where s = 0."""

    save_output = True

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        return self.std_grad(g, x, self.saved_output)


class VarMeanBackward0(_Moments):
    """(v, μ) = (variance, mean);  x̄ = v̄ · 2(x − μ) / d + μ̄ / N."""

    n_outputs = 2

    def backward(self, g_var: Tensor, g_mean: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        if self.nan_constant_grad():
            from_var = self.nan_grad(x)
        else:
            from_var = self.full(g_var) * self.var_row(x)  # type: ignore[operator]
        return from_var + self.full(g_mean) / self.n  # type: ignore[operator]


class StdMeanBackward0(_Moments):
    """(s, μ) = (standard deviation, mean);  x̄ = s̄ · (x − μ) / (d · s) + μ̄ / N.

    Note: s is saved as torch saves it (by :func:`std_mean`: the multi-output path of
    ``apply`` saves inputs only), so an in-place change of it is caught."""

    n_outputs = 2
    save_output = True

    def backward(self, g_std: Tensor, g_mean: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        std = self.saved_output
        return self.std_grad(g_std, x, std) + self.full(g_mean) / self.n  # type: ignore[operator,return-value]


def _moments_call(
    node: type[_Moments], name: str, input: Tensor, dim: Any, unbiased: Any, keepdim: bool,
    correction: Any,
) -> Any:  # fmt: skip
    if isinstance(dim, bool):  # var(x, False): the old unbiased-only signature
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got both 'unbiased' "
            "and 'correction'"
        )
    if not input.is_floating_point():
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = normalize_dims(dim, input.ndim, name)
    shape = tuple(input.shape)
    kept = [] if dims is None else [n for d, n in enumerate(shape) if d not in dims]
    numel_out = int(np.prod(kept, dtype=np.int64))
    per_output = input.numel() // numel_out if numel_out else 0  # torch's reduction factor
    if per_output - correction <= 0:
        warnings.warn(
            f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).",
            UserWarning,
            stacklevel=3,
        )
    empty_dim = isinstance(dim, (tuple, list)) and not dim
    return node.apply(
        input, dims=dims, correction=float(correction), keepdim=keepdim, kind=name,
        empty_dim=empty_dim,
    )  # fmt: skip


@register
def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:  # fmt: skip
    """Variance over ``dim`` (all when None), dividing by N − ``correction`` (default 1;
    ``unbiased=False`` means 0).

    >>> dyngrad.tensor([1.0, 2.0, 4.0]).var()
    tensor(2.3333)
    """
    return _moments_call(VarBackward0, "var", input, dim, unbiased, keepdim, correction)  # type: ignore[no-any-return]


@register
def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:  # fmt: skip
    """Standard deviation: the square root of :func:`var` (same arguments)."""
    return _moments_call(StdBackward0, "std", input, dim, unbiased, keepdim, correction)  # type: ignore[no-any-return]


@register(method=False)
def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple[Tensor, Tensor]:  # fmt: skip
    """``(var, mean)`` in one pass (same arguments as :func:`var`)."""
    return tuple(
        _moments_call(VarMeanBackward0, "var_mean", input, dim, unbiased, keepdim, correction)
    )  # type: ignore[return-value]


@register(method=False)
def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple[Tensor, Tensor]:  # fmt: skip
    """``(std, mean)`` in one pass (same arguments as :func:`var`)."""
    std, mean = _moments_call(
        StdMeanBackward0, "std_mean", input, dim, unbiased, keepdim, correction
    )
    node = std._grad_fn
    if node is not None:  # the backward reads s (see StdMeanBackward0)
        save_output(node, std, 0)
        node._site = user_site(2)
    return std, mean


# --- logsumexp ---------------------------------------------------------------------------


class LogsumexpBackward0(OpNode):
    """y = log Σ exp(x) over ``dim``;  x̄ = ȳ · exp(x − y) (a softmax).

    Note: the shift m = max x makes large inputs safe (logsumexp([1000, 1000]) = 1000.6931);
    an infinite m is replaced by 0 so that ±inf inputs give ±inf, not NaN, as in torch."""

    promote = FLOAT
    save = (0,)
    save_output = True

    def forward(self, a: np.ndarray, dims: tuple[int, ...] | None, keepdim: bool) -> Any:
        self.shape, self.dims, self.keepdim = a.shape, dims, keepdim
        shift = np.max(a, axis=dims, keepdims=True, initial=-_INF)
        shift = np.where(np.isinf(shift), 0, shift).astype(a.dtype)
        total = np.sum(np.exp(a - shift), axis=dims, keepdims=True)
        out = np.log(total) + shift
        return out if keepdim else out.reshape(np.sum(a, axis=dims).shape)

    def backward(self, g: Tensor) -> Tensor:
        (x,) = self.saved_tensors
        y = expand_reduced(self.saved_output, self.shape, self.dims, self.keepdim)
        with np.errstate(invalid="ignore"):  # inf - inf = NaN where x and y are ±inf, as torch
            softmax = (x - y).exp()  # type: ignore[attr-defined]
        return expand_reduced(g, self.shape, self.dims, self.keepdim) * softmax  # type: ignore[no-any-return]

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = Σ exp(x − m) · ẋ / Σ exp(x − m), m = max x a constant (the value does not
        depend on it); as torch, an infinite or NaN m gives NaN."""
        m = np.max(x._data, axis=self.dims, keepdims=True, initial=-_INF)
        weights = (x - constant(m)).exp()  # type: ignore[attr-defined]
        total = sum_over(weights, self.dims, self.keepdim)
        return sum_over(weights * dx, self.dims, self.keepdim) / total  # type: ignore[no-any-return]


@register
def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log Σ exp(x) over ``dim``, stable for large inputs; integers give a float result.

    >>> dyngrad.tensor([1000.0, 1000.0]).logsumexp(0)
    tensor(1000.6931)
    """
    if dim is None:
        raise TypeError(
            "logsumexp(): argument 'dim' (position 2) must be tuple of ints, not NoneType"
        )
    dims = normalize_dims(dim, input.ndim, "logsumexp")
    if dims is None and input.ndim > 0:
        # dim=() reduces every dim; torch then refuses a result without keepdim, unless
        # the input is empty
        if not keepdim and input.numel() > 0:
            raise RuntimeError(
                "output with shape [] doesn't match the broadcast shape "
                f"[{', '.join(['1'] * input.ndim)}]"
            )
        dims = tuple(range(input.ndim))
    return LogsumexpBackward0.apply(input, dims=dims or (), keepdim=keepdim)  # type: ignore[no-any-return]


# --- all / any / count_nonzero (not differentiable) ---------------------------------------


def _logic(name: str, input: Tensor, dim: Any, keepdim: bool) -> Tensor:
    a = input._data
    reduce = np.all if name == "all" else np.any
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        out = a.astype(bool)  # dim=() reduces nothing
    else:
        dims = normalize_dims(dim, a.ndim, name)
        out = np.asarray(reduce(a, axis=dims, keepdims=keepdim))
    out_dtype = np.uint8 if a.dtype == np.uint8 else np.bool_
    return Tensor._make(out.astype(out_dtype), False, None, 0)


@register
def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where every element (over ``dim``) is nonzero; uint8 in gives uint8 out."""
    return _logic("all", input, dim, keepdim)


@register
def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where some element (over ``dim``) is nonzero; uint8 in gives uint8 out."""
    return _logic("any", input, dim, keepdim)


@register
def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """The number of nonzero elements (over ``dim``), as int64."""
    dims = normalize_dims(dim, input.ndim, "count_nonzero")
    out = np.count_nonzero(input._data, axis=dims)
    return Tensor._make(np.asarray(out, dtype=np.int64), False, None, 0)
