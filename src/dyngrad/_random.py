"""Random numbers: ``Generator``, ``manual_seed`` and the default generator.

Deterministic for a given seed (NumPy's PCG64 underneath); it does not reproduce torch's
random stream, only its API.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import _dtype
from ._creation_args import (
    as_int,
    broadcast_shapes,
    check_generator,
    finish,
    format_scalar,
    int_limits,
    number,
    parse_size,
    resolve_dtype,
)
from ._device import CPU, check_device
from ._device import device as Device
from ._factories import check_float_dtype, like_input
from ._tensor import Tensor

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "default_generator"]

_DEFAULT_SEED = 67280421310721  # torch's default seed value, for familiarity


class Generator:
    """A source of random numbers with its own state (``manual_seed`` makes it repeat)."""

    # Note: the NumPy generator is made on first use: importing numpy.random costs about a
    # tenth of `import dyngrad`, and many programs never draw a random number.
    _numpy_rng: np.random.Generator | None = None

    def __init__(self, device: Any = "cpu") -> None:
        check_device(device)
        self._seed = _DEFAULT_SEED

    @property
    def _rng(self) -> np.random.Generator:
        rng = self._numpy_rng
        if rng is None:
            rng = self._numpy_rng = np.random.Generator(
                np.random.PCG64(self._seed & 0xFFFFFFFFFFFFFFFF)
            )
        return rng

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        self._seed = seed
        self._numpy_rng = None  # made from the seed on first use
        return self

    def seed(self) -> int:
        fresh = int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF  # type: ignore[arg-type]
        self.manual_seed(fresh)
        return fresh

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Any:
        return self._rng.bit_generator.state

    def set_state(self, state: Any) -> Generator:
        self._rng.bit_generator.state = state
        return self

    @property
    def device(self) -> Device:
        return CPU

    @property
    def rng(self) -> np.random.Generator:
        return self._rng


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    return default_generator.get_state()


def set_rng_state(state: Any) -> None:
    default_generator.set_state(state)


def rng_of(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator).rng


# --- random tensors ---------------------------------------------------------------------
_NATIVE_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _uniform(rng: np.random.Generator, shape: Any, np_dtype: np.dtype) -> np.ndarray:
    """Samples in [0, 1) of ``np_dtype`` (never rounding up to 1)."""
    if np_dtype in _NATIVE_FLOATS:
        return rng.random(shape, dtype=np_dtype)
    values = rng.random(shape, dtype=np.float32).astype(np_dtype)
    return np.minimum(values, np.nextafter(np_dtype.type(1), np_dtype.type(0)))


def _standard_normal(rng: np.random.Generator, shape: Any, np_dtype: np.dtype) -> np.ndarray:
    if np_dtype in _NATIVE_FLOATS:
        return rng.standard_normal(shape, dtype=np_dtype)
    return rng.standard_normal(shape, dtype=np.float32).astype(np_dtype)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None,
         requires_grad: bool = False, device: Any = None, **kwargs: Any) -> Tensor:  # fmt: skip
    """Samples from the uniform distribution on [0, 1)."""
    shape = parse_size("rand", size, _size_kwarg(kwargs))
    check_generator(generator, "rand")
    dt = resolve_dtype(dtype, "rand") or _dtype.get_default_dtype()
    check_float_dtype(dt, "check_uniform_bounds")
    return finish(_uniform(rng_of(generator), shape, dt.np), requires_grad, device)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None,
          requires_grad: bool = False, device: Any = None, **kwargs: Any) -> Tensor:  # fmt: skip
    """Samples from the standard normal distribution."""
    shape = parse_size("randn", size, _size_kwarg(kwargs))
    check_generator(generator, "randn")
    dt = resolve_dtype(dtype, "randn") or _dtype.get_default_dtype()
    check_float_dtype(dt, "normal_kernel_cpu")
    return finish(_standard_normal(rng_of(generator), shape, dt.np), requires_grad, device)


def _size_kwarg(kwargs: dict[str, Any]) -> Any:
    size = kwargs.pop("size", None)
    for ignored in ("out", "layout", "pin_memory"):
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError(f"got an unexpected keyword argument '{next(iter(kwargs))}'")
    return size


_RANDINT_TYPE_NAMES = {
    "int8": "signed char",
    "int16": "short int",
    "int32": "int",
    "int64": "long int",
    "uint8": "unsigned char",
    "bool": "bool",
}
_FLOAT_EXACT_BITS = {
    "float16": (11, "c10::Half"),
    "float32": (24, "float"),
    "float64": (53, "double"),
}


def randint(*args: Any, size: Any = None, high: Any = None, low: Any = None,
            generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False,
            device: Any = None, **kwargs: Any) -> Tensor:  # fmt: skip
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``; int64 unless ``dtype`` is given."""
    _size_kwarg(kwargs)
    if len(args) > 3:
        raise TypeError(f"randint() takes at most 3 positional arguments ({len(args)} given)")
    if len(args) == 3:
        low, high, size = args
    elif len(args) == 2 and size is None:  # randint(high, size)
        high, size = args
    elif len(args) == 2:  # randint(low, high, size=...)
        low, high = args
    elif len(args) == 1 and high is None:  # randint(high, size=...)
        high = args[0]
    elif len(args) == 1:  # randint(low, high=..., size=...)
        low = args[0]
    if high is None or size is None:
        raise TypeError("randint() missing required arguments: 'high' and 'size'")
    high_position = 1 if low is None else 2
    low = 0 if low is None else as_int(low, "randint", "low", 1)
    high = as_int(high, "randint", "high", high_position)
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}"
        )
    shape = parse_size("randint", (tuple(size),))
    check_generator(generator, "randint")
    dt = resolve_dtype(dtype, "randint") or _dtype.int64
    return finish(_randint(low, high, shape, dt, generator), requires_grad, device)


def _randint(low: int, high: int, shape: Any, dt: _dtype.dtype, generator: Generator | None
             ) -> np.ndarray:  # fmt: skip
    for value in (low, high):
        if not -(2**63) <= value < 2**63:
            raise ValueError("Overflow when unpacking long long")
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    if dt.is_floating_point:
        bits, name = _FLOAT_EXACT_BITS[dt.name]
        for what, value in (("from", low), ("to - 1", high - 1)):
            if not -(2**bits) <= value <= 2**bits:
                warnings.warn(
                    f"{what} is out of bounds [-(2^{bits}), 2^{bits}]. Due to precision "
                    f"limitations {name} can support discrete uniform distribution only "
                    "within this range. This warning will become an error in version 1.7 "
                    "release, please fix the code in advance",
                    UserWarning,
                    stacklevel=3,
                )
    else:
        lo, hi = int_limits(dt.np)
        for what, value in (("from", low), ("to - 1", high - 1)):
            if not lo <= value <= hi:
                raise RuntimeError(f"{what} is out of bounds for {_RANDINT_TYPE_NAMES[dt.name]}")
    values = rng_of(generator).integers(low, high, size=shape, dtype=np.int64)
    return values.astype(dt.np)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *,
           generator: Generator | None = None, dtype: Any = None, requires_grad: bool = False,
           device: Any = None, **kwargs: Any) -> Tensor:  # fmt: skip
    """Normal samples: ``normal(mean, std, size)`` with numbers, or ``normal(mean, std)``
    where either is a tensor (shapes broadcast; the dtype is the tensor mean's, else std's).

    Note: torch gives tensor ``mean``/``std`` a zero gradient (NormalBackward nodes); here
    the result does not record a graph.
    """
    _size_kwarg(kwargs)
    check_generator(generator, "normal")
    rng = rng_of(generator)
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError(
                "normal() received an invalid combination of arguments - got "
                f"({type(mean).__name__}, {type(std).__name__}), but expected one of:\n"
                " * (Tensor mean, Tensor std, *, torch.Generator generator = None)\n"
                " * (Tensor mean, float std = 1, *, torch.Generator generator = None)\n"
                " * (float mean, Tensor std, *, torch.Generator generator = None)\n"
                " * (float mean, float std, tuple of ints size, *, torch.Generator generator "
                "= None, torch.dtype dtype = None, bool requires_grad = False)\n"
            )
        mean = number(mean, "normal", "mean", 1)
        std = number(std, "normal", "std", 2)
        _check_std_number(std)
        shape = parse_size("normal", (tuple(size),))
        dt = resolve_dtype(dtype, "normal") or _dtype.get_default_dtype()
        check_float_dtype(dt, "normal_kernel_cpu")
        with np.errstate(all="ignore"):
            values = mean + std * _standard_normal(rng, shape, np.dtype(np.float64))
        return finish(values.astype(dt.np), requires_grad, device)
    if size is not None:
        raise TypeError(
            "normal() received an invalid combination of arguments - got a size with tensor "
            "mean or std; size is only taken with float mean and std"
        )
    dt = mean.dtype if isinstance(mean, Tensor) else std.dtype
    check_float_dtype(dt, "normal_kernel_cpu")
    m = mean._data if isinstance(mean, Tensor) else number(mean, "normal", "mean", 1)
    if isinstance(std, Tensor):
        check_float_dtype(std.dtype, "normal_kernel_cpu")
        s = std._data
        if s.size and not bool(np.all(s >= 0)):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    else:
        s = number(std, "normal", "std", 2)
        _check_std_number(s)
    shape = broadcast_shapes(np.shape(m), np.shape(s))
    with np.errstate(all="ignore"):
        values = m + s * _standard_normal(rng, shape, np.dtype(np.float64))
    return finish(np.asarray(values).astype(dt.np), requires_grad, device)


def _check_std_number(std: Any) -> None:
    if not std >= 0.0:  # also catches NaN
        raise RuntimeError(f"normal expects std >= 0.0, but found std {format_scalar(std)}")


def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
              generator: Generator | None = None, device: Any = None, **_: Any) -> Tensor:  # fmt: skip
    """Uniform samples in [0, 1) with ``input``'s shape, dtype and layout."""
    arr, dt = like_input(input, "rand_like", dtype)
    check_float_dtype(dt, "check_uniform_bounds")
    out = np.empty_like(arr, dtype=dt.np)
    out[...] = _uniform(rng_of(generator), arr.shape, dt.np)
    return finish(out, requires_grad, device)


def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False,
               generator: Generator | None = None, device: Any = None, **_: Any) -> Tensor:  # fmt: skip
    """Standard normal samples with ``input``'s shape, dtype and layout."""
    arr, dt = like_input(input, "randn_like", dtype)
    check_float_dtype(dt, "normal_kernel_cpu")
    out = np.empty_like(arr, dtype=dt.np)
    out[...] = _standard_normal(rng_of(generator), arr.shape, dt.np)
    return finish(out, requires_grad, device)


def randint_like(input: Tensor, low: Any = None, high: Any = None, *, dtype: Any = None,
                 requires_grad: bool = False, generator: Generator | None = None,
                 device: Any = None, **_: Any) -> Tensor:  # fmt: skip
    """Integers from [low, high) (``randint_like(x, high)`` starts at 0) shaped like ``input``,
    in its dtype unless ``dtype`` is given."""
    arr, dt = like_input(input, "randint_like", dtype)
    if high is None:
        if low is None:
            raise TypeError(
                "randint_like() received an invalid combination of arguments - got (Tensor), "
                "but expected one of:\n * (Tensor input, int high, *, torch.dtype dtype = None)"
                "\n * (Tensor input, int low, int high, *, torch.dtype dtype = None)\n"
            )
        low, high = 0, low
    low = as_int(0 if low is None else low, "randint_like", "low", 2)
    high = as_int(high, "randint_like", "high", 3)
    out = np.empty_like(arr, dtype=dt.np)
    out[...] = _randint(low, high, arr.shape, dt, generator)
    return finish(out, requires_grad, device)


__all__ += ["rand", "randn", "randint", "normal", "rand_like", "randn_like", "randint_like"]


# multinomial, bernoulli and the in-place fills (uniform_, normal_, bernoulli_) record nodes,
# so they live with the ops; importing them here registers them before ``dyngrad`` collects
# its functions.
from .ops import random_sampling as _random_sampling  # noqa: E402, F401
