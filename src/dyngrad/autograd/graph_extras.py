"""``torch.autograd.graph``'s smaller tools, re-exported by ``dyngrad.autograd.graph``:
``disable_saved_tensors_hooks`` (forbid pack/unpack hooks in a region),
``increment_version`` (declare an in-place change made behind autograd's back),
``register_multi_grad_hook`` (one hook for the gradients of several tensors) and
``get_gradient_edge`` (a tensor's place in the graph, usable as an input of
``autograd.grad`` after the tensor itself is gone or changed)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from .graph import grad_accumulator, saved_hooks, version_counter

__all__ = [
    "disable_saved_tensors_hooks",
    "increment_version",
    "register_multi_grad_hook",
    "GradientEdge",
    "get_gradient_edge",
]


class GradientEdge(NamedTuple):
    """An edge of the graph: the node a gradient enters, and which of its outputs."""

    node: Any
    output_nr: int
    ownership_token: Any = None


def get_gradient_edge(tensor: Any) -> GradientEdge:
    """The edge through which ``tensor``'s gradient flows: its ``grad_fn`` and output number,
    or its gradient accumulator for a leaf."""
    from .engine import _input_edge

    if not tensor.requires_grad:
        raise RuntimeError(
            "It is not possible to get the gradient edge for a Tensor that does not require "
            "gradients"
        )
    node, nr = _input_edge(tensor)
    return GradientEdge(node, nr)


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


class _MultiHandle:
    """Removes the per-tensor hooks of one ``register_multi_grad_hook``."""

    def __init__(self, handles: list[Any]) -> None:
        self.handles = handles

    def remove(self) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []


def _runs_for(t: Any) -> bool:
    """Whether the backward pass running now reaches ``t``'s node (its grad_fn, or its
    gradient accumulator for a leaf)."""
    from .engine import will_execute

    node = t.grad_fn if t.grad_fn is not None else grad_accumulator(t)
    return will_execute(node)


def register_multi_grad_hook(
    tensors: Sequence[Any], fn: Callable[..., Any], *, mode: str = "all"
) -> _MultiHandle:
    """One hook over the gradients of several tensors, per backward pass.

    ``mode="all"``: ``fn(grads)`` once all the gradients this pass computes for ``tensors``
    are there; ``grads`` holds one entry per tensor, None for those the pass does not reach.
    ``mode="any"``: ``fn(grad)`` with the first of them computed in the pass. ``fn``'s return
    value is ignored (the gradients are not replaced)."""
    from .engine import current_task

    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    handles: list[Any] = []
    if mode == "any":
        fired = [0]  # the serial number of the last pass that called fn

        def first(grad: Any) -> None:
            task = current_task()
            if fired[0] != task:
                fired[0] = task
                fn(grad)

        handles = [t.register_hook(first) for t in tensors]
        return _MultiHandle(handles)

    # the pass being collected: [serial, gradients, how many arrived, how many to wait for]
    pending: list[Any] = [0, [], 0, 0]

    def collector(i: int) -> Callable[[Any], None]:
        def collect(grad: Any) -> None:
            task = current_task()
            if pending[0] != task:
                expected = sum(1 for t in tensors if _runs_for(t))
                pending[:] = [task, [None] * len(tensors), 0, expected]
            pending[1][i] = grad
            pending[2] += 1
            if pending[2] >= pending[3]:
                grads = tuple(pending[1])
                # the pass is done: hold no gradients; a late arrival in it never fires
                pending[:] = [task, [None] * len(tensors), 0, len(tensors) + 1]
                fn(grads)

        return collect

    handles = [t.register_hook(collector(i)) for i, t in enumerate(tensors)]
    return _MultiHandle(handles)
