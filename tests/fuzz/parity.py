"""What the fuzz regression tests share: each runs the same lines on dyngrad and on torch
(``m`` is the module) and compares what they give or raise. Importing this module skips the
importing test module when PyTorch is not installed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")


def np_of(t: Any) -> np.ndarray:
    """A tensor's values (either library) as a NumPy array."""
    return np.asarray(t.detach().numpy())


def grad_fn_name(t: Any) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def both(fn: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``fn(dyngrad), fn(torch)``."""
    return fn(dyngrad), fn(torch)


def raised(fn: Callable[[Any], Any]) -> tuple[BaseException, BaseException]:
    """torch's and dyngrad's exceptions from ``fn``: both must raise, the same class."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(dyngrad)
    return theirs.value, ours.value


def same_error(fn: Callable[[Any], Any], phrase: str = "") -> str:
    """Both raise the same class, and both messages hold torch's key ``phrase`` (if given);
    returns ``"torch's message | dyngrad's"``."""
    theirs, ours = raised(fn)
    assert phrase in str(theirs), f"torch now says: {theirs}"
    assert phrase in str(ours), f"{ours} | torch: {theirs}"
    return f"{theirs} | {ours}"


def close(a: Any, b: Any, rtol: float = 1e-6) -> None:
    """Same shape and values (nan where the other has nan)."""
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(np_of(a), np_of(b), rtol=rtol, atol=1e-7)


def leaf(m: Any, values: Any, dtype: str = "float32") -> Any:
    """A leaf that requires grad, from ``values``."""
    return m.tensor(np.asarray(values, dtype=dtype), requires_grad=True)
