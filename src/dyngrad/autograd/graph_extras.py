"""``torch.autograd.graph``'s smaller tools, re-exported by ``dyngrad.autograd.graph``:
``disable_saved_tensors_hooks`` (forbid pack/unpack hooks in a region) and
``increment_version`` (declare an in-place change made behind autograd's back)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .graph import saved_hooks, version_counter

__all__ = ["disable_saved_tensors_hooks", "increment_version"]


class disable_saved_tensors_hooks:  # noqa: N801 - torch's name
    """Within this context, entering ``saved_tensors_hooks`` raises ``RuntimeError(error_message)``;
    entering it while such hooks are active raises the same error."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message
        self._previous: str | None = None

    def __enter__(self) -> disable_saved_tensors_hooks:
        if saved_hooks.stack:
            raise RuntimeError(self.error_message)
        self._previous = saved_hooks.disabled
        saved_hooks.disabled = self.error_message
        return self

    def __exit__(self, *exc: object) -> None:
        saved_hooks.disabled = self._previous


def increment_version(tensor: Any) -> None:
    """Bump the version counter of ``tensor`` (or of each tensor of an iterable), as an
    in-place op would: a backward that saved it then raises torch's "modified by an inplace
    operation" error."""
    from .._tensor import Tensor

    tensors: Iterable[Any] = (tensor,) if isinstance(tensor, Tensor) else tensor
    for t in tensors:
        version_counter(t).value += 1
