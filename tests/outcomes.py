"""What running a snippet under dyngrad or under torch came to, in a form that compares across
the two modules: the canonical value, or the exception's class name and message."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

# torch appends "(Triggered internally at ...)" to some messages: not part of the wording
_TRIGGERED = re.compile(r"\s*\(Triggered internally at .*\)\s*$", re.DOTALL)


def wording(message: str) -> str:
    """A message without torch's "(Triggered internally at ...)" suffix."""
    return _TRIGGERED.sub("", message)


def canon(value: Any) -> Any:
    """A module-independent form of a result: tensors become (dtype, shape, values, flags)."""
    if hasattr(value, "detach") and hasattr(value, "dtype"):
        return (
            "tensor",
            str(value.dtype),
            tuple(value.shape),
            value.detach().numpy().tolist(),
            value.requires_grad,
        )
    if isinstance(value, tuple) and type(value).__name__ == "Size":
        return ("Size", repr(value))
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [canon(v) for v in value]
    if type(value).__name__ in ("dtype", "device"):
        return repr(value)
    return value


def outcome(fn: Callable[[Any], Any], module: Any) -> Any:
    """``fn(module)`` in canonical form, or the exception's class name and message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ("ok", canon(fn(module)))
        except Exception as exc:  # noqa: BLE001 - comparing any failure
            return ("raise", type(exc).__name__, wording(str(exc)))
