"""The differential oracle: how a dyngrad result is compared with torch's.

Tensors must agree on shape, dtype, ``requires_grad``, ``is_leaf`` and grad_fn name exactly,
and on values within a tolerance scaled by the magnitudes involved (NaN where torch has NaN,
±inf where torch has ±inf). Raised exceptions must be of the same class. No NumPy
RuntimeWarning may reach the user.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import dyngrad


class FuzzFailure(AssertionError):
    """dyngrad and torch disagree; the message says where and what."""


def as_numpy(t: Any) -> np.ndarray:
    """A tensor's values as a NumPy array (torch or dyngrad, with or without grad)."""
    return np.asarray(t.detach().numpy(force=True))


def flat_outputs(result: Any) -> list[Any]:
    """An op's result as a flat list (tuples, lists and named tuples are opened)."""
    if isinstance(result, (tuple, list)):
        out: list[Any] = []
        for r in result:
            out.extend(flat_outputs(r))
        return out
    return [result]


def dtype_name(t: Any) -> str:
    return str(t.dtype).rsplit(".", 1)[-1]


def same_exception(ours: BaseException, theirs: BaseException) -> bool:
    """The same exception class: torch's own classes (``torch.linalg.LinAlgError``) by name,
    builtin classes by subclass."""
    kind = type(theirs)
    if kind.__module__.startswith("torch"):  # (torch.linalg.LinAlgError is torch._C._LinAlgError)
        return type(ours).__name__.lstrip("_") == kind.__name__.lstrip("_") or isinstance(
            ours, kind
        )
    return isinstance(ours, kind)


def run_ours(fn: Callable[[], Any]) -> tuple[Any, BaseException | None, list[str]]:
    """Run ``fn`` on dyngrad: (result, exception, leaked NumPy RuntimeWarnings)."""
    with warnings.catch_warnings(record=True) as caught:
        # "always" goes after dyngrad's own filters: only what a user would see is recorded
        warnings.filterwarnings("always", category=RuntimeWarning, append=True)
        try:
            result, error = fn(), None
        except Exception as exc:  # noqa: BLE001 - any exception is compared with torch's
            result, error = None, exc
    leaked = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    return result, error, leaked


def run_theirs(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(), None
        except Exception as exc:  # noqa: BLE001
            return None, exc


def magnitude(*arrays: Any) -> float:
    """The largest finite |value| among float arrays, at least 1 (scales absolute tolerances)."""
    scale = 1.0
    for a in arrays:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size:
            finite = np.abs(a[np.isfinite(a)])
            if finite.size:
                scale = max(scale, float(finite.max()))
    return scale


def values_mismatch(ours: np.ndarray, theirs: np.ndarray, atol: float, rtol: float) -> str:
    """'' when the values agree, else a short description of the worst disagreement."""
    if ours.shape != theirs.shape:
        return f"shape {ours.shape} != torch {theirs.shape}"
    if theirs.dtype.kind not in "fc":
        if not np.array_equal(ours, theirs):
            bad = np.argwhere(ours != theirs)[:3].tolist()
            return f"values differ at {bad}: {ours[tuple(np.transpose(bad))]} vs {theirs[tuple(np.transpose(bad))]}"
        return ""
    a = ours.astype(np.float64)
    b = theirs.astype(np.float64)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if not np.array_equal(nan_a, nan_b):
        where = np.argwhere(nan_a != nan_b)[:3].tolist()
        return f"NaN in one only at {where}: ours {a[tuple(np.transpose(where))]} torch {b[tuple(np.transpose(where))]}"
    inf_a, inf_b = np.isinf(a), np.isinf(b)
    if not np.array_equal(inf_a, inf_b) or not np.array_equal(a[inf_a], b[inf_b]):
        where = np.argwhere((inf_a != inf_b) | (inf_a & (a != b)))[:3].tolist()
        return f"inf differs at {where}: ours {a[tuple(np.transpose(where))]} torch {b[tuple(np.transpose(where))]}"
    finite = np.isfinite(b)
    err = np.abs(a[finite] - b[finite])
    allowed = atol + rtol * np.abs(b[finite])
    if err.size and np.any(err > allowed):
        k = int(np.argmax(err - allowed))
        return (
            f"values differ: max |ours - torch| = {err[k]:.3g} (allowed {allowed[k]:.3g}); "
            f"ours {a[finite][k]!r} torch {b[finite][k]!r}"
        )
    return ""


def grad_fn_name(t: Any) -> str | None:
    fn = t.grad_fn
    return None if fn is None else type(fn).__name__


def tensor_mismatch(
    ours: Any, theirs: Any, atol: float, rtol: float, check_grad_fn: bool = True
) -> str:
    """'' when a dyngrad tensor agrees with torch's, else what differs. Reading the autograd
    state may raise (torch refuses stale views made in no_grad mode): then both must."""
    if not isinstance(ours, dyngrad.Tensor):
        return f"ours is {type(ours).__name__}, torch gave a Tensor"
    state_o, state_t = _autograd_state(ours), _autograd_state(theirs)
    if isinstance(state_t, Exception) or isinstance(state_o, Exception):
        both = isinstance(state_t, Exception) and isinstance(state_o, Exception)
        if both and same_exception(state_o, state_t):
            return values_mismatch(as_numpy(ours), as_numpy(theirs), atol, rtol)
        return f"reading requires_grad/is_leaf/grad_fn: ours {state_o!r}, torch {state_t!r}"
    if tuple(ours.shape) != tuple(theirs.shape):
        return f"shape {tuple(ours.shape)} != torch {tuple(theirs.shape)}"
    if dtype_name(ours) != dtype_name(theirs):
        return f"dtype {ours.dtype} != torch {theirs.dtype}"
    if ours.requires_grad != theirs.requires_grad:
        return f"requires_grad {ours.requires_grad} != torch {theirs.requires_grad}"
    if ours.is_leaf != theirs.is_leaf:
        return f"is_leaf {ours.is_leaf} != torch {theirs.is_leaf}"
    if check_grad_fn and grad_fn_name(ours) != grad_fn_name(theirs):
        return f"grad_fn {grad_fn_name(ours)} != torch {grad_fn_name(theirs)}"
    return values_mismatch(as_numpy(ours), as_numpy(theirs), atol, rtol)


def _autograd_state(t: Any) -> Any:
    try:
        return (t.requires_grad, t.is_leaf, grad_fn_name(t))
    except RuntimeError as exc:
        return exc


def sync_to_ours(ours: Any, theirs: Any) -> None:
    """Make torch's values bit-identical to ours (after they were found close), through
    ``.data`` so that torch's graph and version counters do not notice. Rounding differences
    then cannot grow along the program: each step is compared on identical inputs."""
    a = as_numpy(ours)
    b = as_numpy(theirs)
    if a.dtype.kind != "f" or np.array_equal(a, b, equal_nan=True):
        return
    import torch

    # (an expanded view, with overlapping memory, refuses: its base is synced instead)
    with contextlib.suppress(RuntimeError):
        theirs.data.copy_(torch.from_numpy(np.ascontiguousarray(a)))
