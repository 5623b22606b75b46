"""Anomaly detection: ``detect_anomaly()`` / ``set_detect_anomaly(True)``.

While it is on, every recorded node keeps the traceback of the forward call that made it
(the user's frames only), and the engine checks each backward output for NaN: the first one
raises torch's error naming the node, after a warning that shows where the forward ran.
"""

from __future__ import annotations

import os
import traceback
import warnings
from typing import Any

from .grad_mode import _GradModeContext

__all__ = [
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Anomaly:
    enabled = False
    check_nan = True


state = _Anomaly()


def is_anomaly_enabled() -> bool:
    return state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return state.check_nan


class detect_anomaly(_GradModeContext):  # noqa: N801 - torch's name
    """Context manager / decorator that turns anomaly detection on."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev = (False, True)
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and "
            "should only be enabled for debugging.",
            UserWarning,
            stacklevel=2,
        )

    def clone(self) -> detect_anomaly:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return detect_anomaly(self.check_nan)

    def __enter__(self) -> None:
        self.prev = (state.enabled, state.check_nan)
        state.enabled, state.check_nan = True, self.check_nan

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.check_nan = self.prev


class set_detect_anomaly(_GradModeContext):  # noqa: N801 - torch's name
    """Turn anomaly detection on or off (at once; as a context manager, restored on exit)."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (state.enabled, state.check_nan)
        self.mode, self.check_nan = mode, check_nan
        state.enabled, state.check_nan = mode, check_nan

    def clone(self) -> set_detect_anomaly:
        return set_detect_anomaly(self.mode, self.check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.check_nan = self.prev


def user_stack() -> list[str]:
    """The current stack without dyngrad's own frames, formatted like a traceback."""
    frames = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith(_PACKAGE_DIR)]
    return traceback.format_list(frames)


def remember_forward(node: Any) -> None:
    node.metadata["traceback_"] = user_stack()


def report_forward(node: Any) -> None:
    """Warn with the forward traceback of ``node`` (called when its backward failed)."""
    stack = node.metadata.get("traceback_") if hasattr(node, "metadata") else None
    if not stack:
        warnings.warn(
            f"Error detected in {node.name()}. No forward pass information available. Enable "
            "detect anomaly during forward pass for more information.",
            UserWarning,
            stacklevel=3,
        )
        return
    warnings.warn(
        f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
        + "".join(stack),
        UserWarning,
        stacklevel=3,
    )
