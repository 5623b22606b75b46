"""Indices and masks kept for backward as torch keeps saved tensors.

An op's backward often reads an integer or boolean tensor that is not one of its inputs with
an edge: gather's ``index``, masked_fill's ``mask``, the keys of ``x[idx]``, sort's ``indices``
output. torch saves those as tensors, so (1) they are freed after backward (running the node
again raises "Trying to backward through the graph a second time") and (2) changing one in
place before backward raises its version error. Here the node keeps the array as a
:class:`~dyngrad.autograd.graph.SavedIndex` through the :class:`saved_index` descriptor (so
``self.index`` still reads as the array, in forward, backward and jvp), and the public
function names the tensors it came from with :func:`watch` once the node exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from ..autograd.graph import FREED_MESSAGE, SavedIndex

__all__ = ["saved_index", "watch", "tensors_in"]


class saved_index:  # noqa: N801 - used like a field declaration
    """A node attribute kept as a :class:`SavedIndex`: version-checked on every read, dropped
    when the node's saved values are released. ``keep`` says which values need it (others are
    stored as they are: a basic index holds no tensor, and torch's view nodes save none)."""

    def __init__(self, keep: Callable[[Any], bool] | None = None) -> None:
        self.keep = keep
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __set__(self, node: Any, value: Any) -> None:
        keep = self.keep
        node.__dict__[self.name] = SavedIndex(value) if keep is None or keep(value) else value

    def __get__(self, node: Any, owner: type | None = None) -> Any:
        if node is None:
            return self
        try:
            entry = node.__dict__[self.name]
        except KeyError:
            if getattr(node, "_released", False):
                raise RuntimeError(FREED_MESSAGE) from None
            raise AttributeError(self.name) from None
        kind = entry.__class__
        if kind is SavedIndex:
            return entry.read(node)
        return entry.value if kind is _Unsaved else entry


class _Unsaved:
    """An index no needed gradient reads (torch does not save it): kept, never checked or
    released, so the node may run again as torch's does."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def watch(result: Any, name: str, *tensors: Any, needed_for: tuple[int, ...] = ()) -> None:
    """Check the versions of ``tensors`` (as of now) whenever the backward of ``result``'s node
    reads its attribute ``name``; nothing happens when no node was recorded. ``needed_for``:
    the inputs whose gradient reads it (default: all); when none of them needs a gradient
    the value is not saved, as torch saves only what the needed derivatives use."""
    node = result._grad_fn if isinstance(result, Tensor) else None
    if node is None:
        return
    entry = node.__dict__.get(name)
    if entry.__class__ is SavedIndex:
        if needed_for and not any(node.next_functions[i][0] is not None for i in needed_for):
            node.__dict__[name] = _Unsaved(entry.value)
            return
        entry.watch(tuple(t for t in tensors if isinstance(t, Tensor)))


def tensors_in(index: Any) -> tuple[Tensor, ...]:
    """The tensors in an index expression (``x[i]``, ``x[i, :, j]``, ``index_put((i, j), v)``)."""
    if isinstance(index, Tensor):
        return (index,)
    if isinstance(index, (tuple, list)):
        return tuple(t for t in index if isinstance(t, Tensor))
    return ()
