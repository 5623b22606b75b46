"""The op table: one OpInfo per op, shared by every op test.

An entry names the op, says how to call it on a module (``dyngrad`` or ``torch``: the same
lambda runs on both), and generates samples (NumPy arrays plus keyword arguments) that cover
0-d, broadcasting, negative dims, keepdim, non-contiguous and empty inputs as the op allows.
``nodes`` lists the backward node classes the entry exercises; the coverage test fails when
a registered node is in no entry.

Add an op: one entry in the family module (``elementwise.py`` ...), listed in ``FAMILIES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Sample:
    """Positional inputs (arrays become tensors, anything else is passed as is) and kwargs.

    ``grad`` says which array inputs require grad (default: every floating array).
    ``transform`` may turn the tensors into non-contiguous views before the call
    (``lambda m, t: t.t()``), applied to both modules alike.
    """

    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    grad: tuple[bool, ...] | None = None
    name: str = ""
    # False at a point where the op has a first derivative but no second (std at zero spread:
    # the derivative jumps there); gradgradcheck leaves such a sample out.
    gradgrad: bool = True

    def requires_grad(self, i: int, arr: Any) -> bool:
        if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
            return False
        return True if self.grad is None else self.grad[i]


@dataclass
class OpInfo:
    """How to test one op (see the module docstring)."""

    name: str
    op: Callable[..., Any]
    samples: Callable[[np.random.Generator, np.dtype], list[Sample]]
    nodes: tuple[str, ...] = ()
    dtypes: tuple[str, ...] = ("float32", "float64")
    grad: bool = True
    gradgrad: bool = True
    gradcheck: bool = True
    atol: float = 1e-5
    rtol: float = 1.3e-6
    grad_atol: float = 1e-5
    grad_rtol: float = 1e-4
    check_grad_fn: bool = True  # compare grad_fn names with torch
    forward_ad: bool = True  # tests/test_forward_ad.py: jvp vs reverse mode and torch
    skip_reason: str = ""

    def __repr__(self) -> str:
        return self.name


FAMILIES = (
    "foundation",
    "elementwise",
    "reduction",
    "linalg",
    "shape",
    "indexing",
    "nn_activation",
    "nn_loss",
    "nn_indexing",
    "nn_conv",
    "nn_norm",
)


def all_ops() -> list[OpInfo]:
    ops: list[OpInfo] = []
    for family in FAMILIES:
        try:
            mod = importlib.import_module(f"{__name__}.{family}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{family}":
                continue
            raise
        ops.extend(mod.OPS)
    return ops


# --- sample helpers ---------------------------------------------------------------------


def arr(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any, low: float = -2.0,
        high: float = 2.0) -> np.ndarray:  # fmt: skip
    """Uniform values in [low, high) of ``dtype`` (integers for integer dtypes)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    if dt.kind in "iu":
        return np.asarray(rng.integers(int(low), int(high) + 1, size=shape), dtype=dt)
    return np.asarray(rng.uniform(low, high, size=shape), dtype=dt)


def positive(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    return arr(rng, shape, dtype, 0.5, 2.0)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """Values with |x| in [0.5, 2): safe where an op has a kink or pole at 0."""
    a = arr(rng, shape, dtype, 0.5, 2.0)
    return np.asarray(a * np.where(rng.random(shape) < 0.5, -1, 1).astype(a.dtype), dtype=a.dtype)


UNARY_SHAPES: tuple[tuple[int, ...], ...] = ((), (5,), (3, 4), (2, 3, 4), (0,), (2, 0))
BINARY_SHAPES: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = (
    ((), ()),
    ((5,), (5,)),
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (4,)),
    ((), (3, 2)),
    ((4,), ()),
    ((0, 3), (3,)),
)


def unary_samples(gen: Callable[..., np.ndarray] = arr) -> Callable[..., list[Sample]]:
    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        return [Sample((gen(rng, s, dtype),), name=str(s)) for s in UNARY_SHAPES]

    return samples


def binary_samples(gen_a: Callable[..., np.ndarray] = arr,
                   gen_b: Callable[..., np.ndarray] | None = None) -> Callable[..., list[Sample]]:  # fmt: skip
    gen_b = gen_b or gen_a

    def samples(rng: np.random.Generator, dtype: Any) -> list[Sample]:
        out = [Sample((gen_a(rng, a, dtype), gen_b(rng, b, dtype)), name=f"{a}{b}")
               for a, b in BINARY_SHAPES]  # fmt: skip
        out.append(Sample((gen_a(rng, (3,), dtype), 2.5), name="scalar-right"))
        out.append(Sample((gen_a(rng, (2, 3), dtype), gen_b(rng, (3, 2), dtype).T),
                          name="non-contiguous"))  # fmt: skip
        return out

    return samples
