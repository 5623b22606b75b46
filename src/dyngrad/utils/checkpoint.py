"""Activation checkpointing: ``checkpoint(fn, *args, use_reentrant=False)``.

The forward runs normally but keeps none of the values its backward needs: each saved tensor
is replaced by its position in the save order (``saved_tensors_hooks``). The first time the
backward asks for one, ``fn`` runs again on the same inputs with recording on, and the values
saved by that rerun answer every request, in the same order. Memory for the checkpointed
part's intermediates is traded for one more forward.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from .._random import default_generator
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Recomputation:
    """Holds the rerun's saved values, made on the first unpack."""

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
                 rng_state: Any) -> None:  # fmt: skip
        self.fn, self.args, self.kwargs, self.rng_state = fn, args, kwargs, rng_state
        self.count = 0
        self.values: list[Any] | None = None

    def pack(self, _tensor: Tensor) -> int:
        index = self.count
        self.count += 1
        return index

    def unpack(self, index: int) -> Any:
        if self.values is None:
            self.values = self._rerun()
        return self.values[index]

    def _rerun(self) -> list[Any]:
        values: list[Any] = []
        inputs = tuple(
            a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
            for a in self.args
        )
        saved_rng = default_generator.get_state()
        default_generator.set_state(self.rng_state)
        try:
            with saved_tensors_hooks(_collect_into(values, self.count), lambda t: t):
                with grad_mode.enable_grad():
                    self.fn(*inputs, **self.kwargs)
        except _StopRecomputation:
            pass  # every value backward needs is there: the rest of ``fn`` is not rerun
        finally:
            default_generator.set_state(saved_rng)
        if len(values) != self.count:
            raise RuntimeError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                f"original forward and recomputation.\nNumber of tensors saved during forward: "
                f"{self.count}\nNumber of tensors saved during recomputation: {len(values)}"
            )
        return values


class _StopRecomputation(Exception):
    """Ends a rerun once it has saved as many tensors as the forward did (torch's early stop)."""


def _collect_into(values: list[Any], needed: int) -> Callable[[Tensor], Tensor]:
    """A pack hook that records each saved tensor in order (the rerun's answers).

    The rerun stops at the ``needed``-th save, as torch's does. The rerun's own nodes keep a
    detached alias: a node that saves its output would otherwise hold the tensor whose
    ``grad_fn`` it is, a reference cycle that keeps every recomputed block alive until the
    cyclic garbage collector runs."""

    def pack(t: Tensor) -> Tensor:
        values.append(t)
        if len(values) == needed:
            raise _StopRecomputation
        return t.detach()

    return pack


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:  # fmt: skip
    """Run ``function(*args)`` saving no intermediates; recompute them during backward."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.",
            UserWarning,
            stacklevel=2,
        )
    rng_state = default_generator.get_state() if preserve_rng_state else None
    recompute = _Recomputation(function, args, kwargs, rng_state)
    with saved_tensors_hooks(recompute.pack, recompute.unpack):
        return function(*args, **kwargs)


def checkpoint_sequential(functions: Any, segments: int, input: Any, use_reentrant: bool | None = None,
                          **kwargs: Any) -> Any:  # fmt: skip
    """Run ``functions`` in ``segments`` chunks of ``len // segments``: each chunk but the
    last is checkpointed; the last one (with any remainder) runs normally, as in torch."""
    funcs = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = len(funcs) // segments
    x = input
    end = size * (segments - 1)
    for start in range(0, end, size):
        chunk = funcs[start : start + size]

        def run(t: Any, chunk: list[Any] = chunk) -> Any:
            for f in chunk:
                t = f(t)
            return t

        x = checkpoint(run, x, use_reentrant=False if use_reentrant is None else use_reentrant)
    for f in funcs[end:]:
        x = f(x)
    return x
