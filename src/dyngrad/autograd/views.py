"""Views and in-place changes, as torch tracks them.

A view op (``view = True`` in the registry: transpose, slicing, expand, unbind, ...) gives a
tensor sharing its input's memory and version counter. The result also remembers its *base*,
the tensor that owns the memory (the base of a view of a view is the first tensor's base), in
``Tensor._view = (base, kind, version)``:

- ``kind`` is how the view was made: by a single-output view op with grad mode on (DEFAULT),
  with grad mode off (NO_GRAD), or as one of several outputs of ``unbind``/``split``/
  ``chunk`` (MULTI); a view of a view keeps its source's kind unless its own is not DEFAULT.
  The kind decides which in-place changes torch refuses;
- ``version`` is the version counter's value when the view's ``grad_fn`` was last set. When
  the memory was changed in place since (through the base, another view, or a detached
  alias), the view's ``grad_fn`` is stale: it is regenerated on next use as
  ``AsStridedBackward0`` from the base's current history (torch does the same, lazily).

An in-place op on a view that records a graph rewrites the base's history (``CopySlices``,
``ops/view_inplace.py``) and the view becomes ``AsStridedBackward0`` of the base.

Cost: one tuple per view op, and one attribute test per op input that does not require grad
or is recorded; nothing else on the hot path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import grad_mode

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["mark_view", "refresh", "check_view_inplace", "DEFAULT", "NO_GRAD", "MULTI"]

DEFAULT = 0
NO_GRAD = 1
MULTI = 2  # an output of a multi-output view op (unbind, split, chunk, ...)

_state = grad_mode.state

VIEW_OF_LEAF_MESSAGE = (
    "a view of a leaf Variable that requires grad is being used in an in-place operation."
)
_AMBIGUOUS = (
    " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify "
    "your code by moving both the view and the inplace either both inside the no_grad block "
    "(if you don't want the inplace to be tracked) or both outside (if you want the inplace to "
    "be tracked)."
)
_MULTI = (
    " This view is the output of a function that returns multiple views. Such functions do not "
    "allow the output views to be modified inplace. You should replace the inplace operation by "
    "an out-of-place one."
)


def mark_view(result: Tensor, source: Tensor, multi: tuple[str | None, int] | None = None) -> None:
    """Record that ``result`` (sharing ``source``'s version counter already) views ``source``.

    ``multi`` is given for the outputs of a multi-output view op. A view made with grad mode
    off requires grad (with no grad_fn) when its base does, as in torch. A view of a view
    inherits its source's kind unless its own is not DEFAULT (torch propagates the creation
    kind so: a slice of an ``unbind`` output is still refused in-place changes; a view made
    in no_grad mode of one is a no_grad view).
    """
    view = source._view
    base = source if view is None else view[0]
    if not _state.grad_enabled:
        kind: int = NO_GRAD
        if base._rg:
            result._rg = True
    elif multi is not None:
        kind = MULTI
    elif view is not None:
        kind = view[1]
    else:
        kind = DEFAULT
    result._view = (base, kind, result._vc.value)


def refresh(t: Tensor) -> Any:
    """``t``'s grad_fn, regenerated first if the memory it views was changed in place since it
    was set (``t`` is a view). Returns the (possibly new) grad_fn.

    As torch: a view without grad_fn whose base does not require grad is left alone; a stale
    view that is not a DEFAULT view (made in no_grad mode, or by a multi-output view op,
    directly or through a chain of views) raises instead of being regenerated."""
    base, kind, version = t._view  # type: ignore[misc]
    vc = t._vc
    if vc.value == version:
        return t._grad_fn
    if t._grad_fn is not None or base._rg:
        if kind != DEFAULT:
            raise RuntimeError(_rebase_message(t, kind, indirect=True))
        from ..ops.view_inplace import regenerate

        regenerate(t)
    t._view = (base, kind, vc.value)
    return t._grad_fn


def refresh_requires_grad(t: Tensor) -> bool:
    """Whether the view ``t`` requires grad now: its base may have started to since (an
    in-place copy of a tensor that requires grad into it, ``requires_grad_()``). A view
    without grad_fn that requires grad has no accumulator: gradients through it go nowhere."""
    base, kind, version = t._view  # type: ignore[misc]
    if base._rg:  # as torch, any view of a base that requires grad does
        if kind == DEFAULT and t._vc.value != version:
            refresh(t)
        return True
    return bool(t._rg)


def check_view_inplace(t: Tensor) -> None:
    """torch's refusals before an in-place op on the view ``t`` records a graph (grad mode
    on, the op's result requires grad): views made in no_grad mode, outputs of multi-output
    view ops (and views of either), and views of leaves that require grad."""
    base, kind, _ = t._view  # type: ignore[misc]
    if kind != DEFAULT:
        raise RuntimeError(_rebase_message(t, kind, indirect=False))
    if t._rg and base._grad_fn is None:  # torch asks only that the base be a leaf
        raise RuntimeError(VIEW_OF_LEAF_MESSAGE)


def _rebase_message(t: Tensor, kind: int, indirect: bool) -> str:
    """torch's message for an in-place change of a view it does not allow to be rebased:
    ``indirect`` when the change went through the base or another view."""
    changed = "its base or another view of its base has been" if indirect else "is being"
    fn = t._grad_fn
    if kind == NO_GRAD or fn is None:
        if fn is None:
            head = "A view was created in"
        else:
            head = (
                f"Output {t._output_nr} of {multi_view_name(fn.name())} is a view of a view "
                "which was created in"
            )
        text = f"{head} no_grad mode and {changed} modified inplace with grad mode enabled."
    else:
        text = f"Output {t._output_nr} of {multi_view_name(fn.name())} is a view and {changed} modified inplace."
    return text + (_MULTI if kind == MULTI else _AMBIGUOUS)


def multi_view_name(node_name: str) -> str:
    """torch names the op in these messages: ``UnbindBackward0`` -> ``Unbind``."""
    cut = node_name.rfind("Backward")
    return node_name[:cut] if cut > 0 else node_name
