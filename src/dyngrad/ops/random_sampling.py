"""Sampling ops: ``multinomial``, ``bernoulli`` and the in-place fills ``uniform_``,
``normal_``, ``bernoulli_``, with torch's argument checks and errors.

The samples are not differentiable: torch records nodes whose gradient is zero
(``UniformBackward0``, ``NormalBackward0``, ``BernoulliBackward0/1/2``: x̄ = 0, p̄ = 0), so a
value overwritten by random numbers passes no gradient back to what it was, and
``bernoulli(p, 0.3)`` records torch's ``NotImplemented`` node, whose backward raises.

Note: these nodes subclass ``Node``, not ``OpNode``: their values are random, so the op table
(which compares every registered op with torch value for value) cannot hold them; they are
tested against torch's errors, node names, gradients and sample statistics instead
(``tests/test_random_sampling.py``, ``tests/test_hostile_inputs.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._creation_args import check_generator, format_scalar, number
from .._random import Generator, rng_of
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import Node
from ._registry import _TYPE_NAMES, _record, check_inplace, commit_inplace, register

__all__ = ["multinomial", "bernoulli"]

_P_MESSAGE = (
    "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
    "improved?  If so, please report an enhancement request to PyTorch.)"
)


class _ZeroGradient(Node):
    """y = a random sample (x only gives its shape, or the probabilities);  x̄ = 0."""

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            None if meta is None else Tensor._make(np.zeros(meta[0], meta[1]), False, None, 0)
            for meta in self._in_meta
        )


class UniformBackward0(_ZeroGradient):
    """x.uniform_(a, b): y = samples of U[a, b);  x̄ = 0."""


class NormalBackward0(_ZeroGradient):
    """x.normal_(μ, σ): y = samples of N(μ, σ²);  x̄ = 0."""


class BernoulliBackward0(_ZeroGradient):
    """y = bernoulli(p): y = 1 with probability p, else 0;  p̄ = 0."""


class BernoulliBackward1(_ZeroGradient):
    """x.bernoulli_(p) with a tensor p:  x̄ = 0,  p̄ = 0."""


class BernoulliBackward2(_ZeroGradient):
    """x.bernoulli_(p) with a number p:  x̄ = 0."""


class _BernoulliNotImplemented(Node):
    """bernoulli(x, p) with a number p: torch gives it no derivative."""

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        raise RuntimeError("derivative for aten::bernoulli is not implemented")


_BernoulliNotImplemented.__name__ = _BernoulliNotImplemented.__qualname__ = "NotImplemented"


def _recorded(node_type: type[Node], inputs: tuple[Any, ...], values: np.ndarray) -> Tensor:
    """``values`` as the output of a new ``node_type`` node on ``inputs`` when grad mode is on
    and an input requires grad; a plain tensor otherwise."""
    values = np.asarray(values)  # (NumPy gives scalars, not arrays, for 0-d results)
    if grad_mode.state.grad_enabled and any(isinstance(t, Tensor) and t._rg for t in inputs):
        node = node_type.__new__(node_type)
        _record(node, inputs)  # type: ignore[arg-type]
        return Tensor._make(values, True, node, 0)
    return Tensor._make(values, False, None, 0)


def _float_kernel(t: Tensor, kernel: str) -> None:
    if t._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_TYPE_NAMES[t.dtype.name]}'")


def _generator(generator: Any, fname: str) -> np.random.Generator:
    check_generator(generator, fname)
    return rng_of(generator)


# --- multinomial -----------------------------------------------------------------------------


@register
def multinomial(
    input: Tensor,
    num_samples: int,
    replacement: bool = False,
    *,
    generator: Generator | None = None,
) -> Tensor:
    """Category indices drawn from the (unnormalised) probabilities in each row of ``input``
    (1-D or 2-D); without ``replacement`` each index appears at most once per row."""
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(
            "multinomial(): argument 'num_samples' (position 2) must be int, not "
            f"{type(num_samples).__name__}"
        )
    rng = _generator(generator, "multinomial")
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError(
            "multinomial only supports floating-point dtypes for input, got: "
            f"{_TYPE_NAMES[input.dtype.name]}"
        )
    if a.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n = int(num_samples)
    if n <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    categories = a.shape[-1]
    if not replacement and n > categories:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    rows = a.reshape(-1, categories).astype(np.float64)
    if not np.all(np.isfinite(rows)) or np.any(rows < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1)
    if np.any(totals <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    p = rows / totals[:, None]
    if replacement:
        cdf = np.cumsum(p, axis=1)
        u = rng.random((p.shape[0], n))
        out = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
        out = np.minimum(out, categories - 1)
    else:
        # the k largest p / E (E ~ Exp(1)) are a draw without replacement; categories of
        # probability 0 come last, in index order, as in torch
        with np.errstate(divide="ignore"):
            keys = p / rng.exponential(size=p.shape)
        out = np.argsort(-keys, axis=1, kind="stable")[:, :n]
    out = out.astype(np.int64).reshape(a.shape[:-1] + (n,))
    return Tensor._make(out, False, None, 0)


# --- bernoulli -------------------------------------------------------------------------------


def _check_p_number(p: Any, fname: str) -> float:
    p = number(p, fname, "p", 2)
    if not 0 <= p <= 1:  # (NaN fails too)
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={format_scalar(p)}")
    return float(p)


def _check_p_tensor(p: Tensor) -> np.ndarray:
    _float_kernel(p, "bernoulli_tensor_cpu_p_")
    a = p._data
    if a.size and not bool(np.all((a >= 0) & (a <= 1))):
        raise RuntimeError(_P_MESSAGE)
    return a


@register
def bernoulli(input: Tensor, p: Any = None, *, generator: Generator | None = None) -> Tensor:
    """1 with probability ``input`` (or the number ``p``), else 0, in ``input``'s dtype."""
    rng = _generator(generator, "bernoulli")
    if p is None:
        probs = _check_p_tensor(input)
        draws = rng.random(probs.shape) < probs
        return _recorded(BernoulliBackward0, (input,), draws.astype(probs.dtype))
    if isinstance(p, Tensor):
        raise TypeError(
            "bernoulli() received an invalid combination of arguments - got (Tensor, Tensor), "
            "but expected one of:\n * (Tensor input, *, torch.Generator generator = None, "
            "Tensor out = None)\n * (Tensor input, float p, *, torch.Generator generator = None)"
        )
    value = _check_p_number(p, "bernoulli")
    a = input._data
    _float_kernel(input, "bernoulli_scalar_cpu_")
    draws = rng.random(a.shape) < value
    return _recorded(_BernoulliNotImplemented, (input,), draws.astype(a.dtype))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill with 1 (probability ``p``, a number or a tensor broadcast to ``self``) or 0."""
    check_inplace(self)
    rng = _generator(generator, "bernoulli_")
    shape = self._data.shape
    if isinstance(p, Tensor):
        probs = _check_p_tensor(p)
        if probs.shape != shape:
            probs = _expand_to(probs, shape, p.dtype.name)
        draws = rng.random(shape) < probs
        result = _recorded(BernoulliBackward1, (self, p), draws.astype(self._data.dtype))
    else:
        value = _check_p_number(p, "bernoulli_")
        draws = rng.random(shape) < value
        result = _recorded(BernoulliBackward2, (self,), draws.astype(self._data.dtype))
    return commit_inplace(self, result)


def _expand_to(a: np.ndarray, shape: tuple[int, ...], dtype_name: str) -> np.ndarray:
    """``a`` broadcast to ``shape``, with torch's expand errors."""
    if a.ndim > len(shape):
        raise RuntimeError(
            f"expand(torch.{_TYPE_NAMES[dtype_name]}Tensor{{{_fmt(a.shape)}}}, size={_fmt(shape)}): "
            f"the number of sizes provided ({len(shape)}) must be greater or equal to the number "
            f"of dimensions in the tensor ({a.ndim})"
        )
    for k in range(1, a.ndim + 1):
        if a.shape[-k] not in (1, shape[-k]):
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[-k]}) must match the existing size "
                f"({a.shape[-k]}) at non-singleton dimension {len(shape) - k}.  Target sizes: "
                f"{_fmt(shape)}.  Tensor sizes: {_fmt(a.shape)}"
            )
    return np.broadcast_to(a, shape)


def _fmt(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


# --- uniform_ and normal_ --------------------------------------------------------------------

_C_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double"}
_LIMIT_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double"}


def uniform_(
    self: Tensor, from_: Any = 0.0, to: Any = 1.0, *, generator: Generator | None = None, **kw: Any
) -> Tensor:
    """Fill with samples of the uniform distribution on [from, to)."""
    if "from" in kw:
        from_ = kw.pop("from")
    if kw:
        raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(kw))}'")
    low = float(_float_arg(from_, "uniform_", "from", 1))
    high = float(_float_arg(to, "uniform_", "to", 2))
    check_inplace(self)
    rng = _generator(generator, "uniform_")
    _float_kernel(self, "check_uniform_bounds")
    name = self._data.dtype.name
    largest = float(np.finfo(self._data.dtype).max)
    for value, arg in ((low, "from"), (high, "to")):
        if not -largest <= value <= largest:
            raise RuntimeError(f"{arg} is out of bounds for {_C_NAMES[name]}")
    if low > high:
        raise RuntimeError(
            "uniform_ expects to return a [from, to) range, but found "
            f"from={format_scalar(low)} > to={format_scalar(high)}"
        )
    if high - low > largest:
        raise RuntimeError(
            f"uniform_ expects to-from <= std::numeric_limits<{_LIMIT_NAMES[name]}>::max(), but "
            f"found to={high:g} and from={low:g} which result in to-from to exceed the limit"
        )
    u = rng.random(self._data.shape)
    values = (low + (high - low) * u).astype(self._data.dtype)
    values = np.minimum(values, _below(high, self._data.dtype)) if high > low else values
    return commit_inplace(self, _recorded(UniformBackward0, (self,), values))


def _below(high: float, dtype: np.dtype) -> np.ndarray:
    """The largest value of ``dtype`` below ``high`` (a rounded sample never reaches ``to``)."""
    h = np.asarray(high, dtype)
    return np.nextafter(h, np.asarray(-np.inf, dtype)) if float(h) >= high else h


def normal_(
    self: Tensor, mean: Any = 0.0, std: Any = 1.0, *, generator: Generator | None = None
) -> Tensor:
    """Fill with samples of the normal distribution N(mean, std²)."""
    mu = float(_float_arg(mean, "normal_", "mean", 1))
    sigma = float(_float_arg(std, "normal_", "std", 2))
    check_inplace(self)
    rng = _generator(generator, "normal_")
    _float_kernel(self, "normal_kernel_cpu")
    if not sigma >= 0.0:  # (NaN fails too)
        raise RuntimeError(f"normal expects std >= 0.0, but found std {format_scalar(sigma)}")
    with np.errstate(all="ignore"):
        values = (mu + sigma * rng.standard_normal(self._data.shape)).astype(self._data.dtype)
    return commit_inplace(self, _recorded(NormalBackward0, (self,), values))


def _float_arg(value: Any, fname: str, arg: str, position: int) -> Any:
    if isinstance(value, str) or value is None:
        raise TypeError(
            f"{fname}(): argument '{arg}' (position {position}) must be float, not "
            f"{type(value).__name__}"
        )
    v = number(value, fname, arg, position)
    return v if not isinstance(v, bool) else float(v)


def _tensor_bernoulli(self: Tensor, p: Any = None, *, generator: Generator | None = None) -> Tensor:
    return bernoulli(self, p, generator=generator)


Tensor.bernoulli = _tensor_bernoulli  # type: ignore[attr-defined]
Tensor.bernoulli_ = bernoulli_  # type: ignore[attr-defined]
Tensor.uniform_ = uniform_  # type: ignore[attr-defined]
Tensor.normal_ = normal_  # type: ignore[attr-defined]
