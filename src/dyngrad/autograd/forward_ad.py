"""Forward-mode AD with dual tensors: ``dyngrad.autograd.forward_ad``, torch's API.

Inside ``with dual_level():`` a tensor made by ``make_dual(x, v)`` carries a tangent ``ẋ = v``
beside its primal value. Every op applied to it computes, next to its output ``y = f(x)``,
the output's tangent ``ẏ = J_f(x) · ẋ`` with the op's ``jvp`` rule (declared beside its
``backward`` in ``ops/``), so one forward pass gives one Jacobian-vector product;
``unpack_dual(y)`` reads it back.

How it is stored: ``Tensor._fw`` is None (no tangent: the usual case) or a dict ``{level:
tangent}``. A level is a :class:`DualLevel` object, unique for each time a level is entered, so
tangents of a level that was exited are never confused with those of a later one (they are
ignored, and dropped when met). ``STATE.depth`` counts active levels: ``OpNode.apply`` reads
it once per call, and does nothing more while it is 0.

Levels nest (``dyngrad.func.jvp`` inside ``jvp``): a jvp rule for level L sees primals that
still carry the tangents of the other levels, so the tangent it computes carries them too, and
levels are processed outer first. As in torch, the public ``enter_dual_level`` allows one level
at a time; the ``dyngrad.func`` transforms open private levels with :func:`push_level`.

>>> import dyngrad as torch
>>> import dyngrad.autograd.forward_ad as fwAD
>>> with fwAD.dual_level():
...     x = fwAD.make_dual(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0]))
...     fwAD.unpack_dual(x * x).tangent
tensor([2., 0.])
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .._tensor import Tensor
from . import grad_mode
from .graph import grad_accumulator, version_counter

__all__ = [
    "UnpackedDualTensor",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
    "dual_level",
]


class DualLevel:
    """One entered level. ``public`` is the number torch's API shows (0), None for the
    private levels of ``dyngrad.func``."""

    __slots__ = ("order", "public", "active", "__weakref__")
    _counter = itertools.count()

    def __init__(self, public: int | None) -> None:
        self.order = next(DualLevel._counter)
        self.public = public
        self.active = True

    def __repr__(self) -> str:
        return f"<DualLevel {self.order}{'' if self.public is None else ' public'}>"


class _State:
    """The active levels (innermost last) and their count, read by ``OpNode.apply``."""

    __slots__ = ("levels", "depth")

    def __init__(self) -> None:
        self.levels: list[DualLevel] = []
        self.depth = 0


STATE = _State()


class UnpackedDualTensor(NamedTuple):
    """What :func:`unpack_dual` returns: the primal (a view of the dual tensor without the
    tangent) and the tangent (None when it has none at that level)."""

    primal: Tensor
    tangent: Tensor | None


# --- levels ---------------------------------------------------------------------------------


def push_level(public: int | None = None) -> DualLevel:
    """Enter a new level (innermost); ``dyngrad.func`` uses private ones (``public=None``)."""
    level = DualLevel(public)
    STATE.levels.append(level)
    STATE.depth = len(STATE.levels)
    return level


def pop_level(level: DualLevel) -> None:
    """Leave ``level``, which must be the innermost; its tangents are gone from then on."""
    if not STATE.levels or STATE.levels[-1] is not level:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. "
            "This is not supported."
        )
    STATE.levels.pop()
    STATE.depth = len(STATE.levels)
    level.active = False


def _public_level() -> DualLevel | None:
    for level in STATE.levels:
        if level.public is not None:
            return level
    return None


def enter_dual_level() -> int:
    """Enter a new forward-AD level and return its number (torch allows one at a time)."""
    if _public_level() is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    push_level(public=0)
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Exit the level ``level`` (the current one by default); its tangents are dropped."""
    current = _public_level()
    if level is None:
        if current is None:
            raise RuntimeError("Dual level must be a positive number.")
        level = current.public
    if current is None or level != current.public or STATE.levels[-1] is not current:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. "
            "This is not supported."
        )
    pop_level(current)


class dual_level:  # noqa: N801 - torch's name
    """Context manager (or decorator) for a forward-AD level: tangents exist inside it.

    ``with dual_level():`` enters a level and exits it at the end; ``__enter__`` returns the
    level's number.
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper


def _resolve(level: int | None, what: str) -> DualLevel | None:
    """The level object for a public number (None: the current level); None when no level is
    active; torch's error for a number that names no active level."""
    current = _public_level()
    if current is None:
        return None
    if level is None or level == current.public:
        return current
    raise RuntimeError(f"Invalid level given to {what}")


# --- reading and writing tangents -----------------------------------------------------------


def tangent_at(t: Tensor, level: DualLevel) -> Tensor | None:
    """``t``'s tangent at ``level`` (None if it has none or the level was exited)."""
    fw = t._fw
    if fw is None or not level.active:
        return None
    return fw.get(level)


def set_tangent(t: Tensor, level: DualLevel, tangent: Tensor | None) -> None:
    """Give ``t`` the tangent ``tangent`` at ``level`` (None removes it)."""
    fw = _live(t._fw)
    if tangent is None:
        if fw:
            fw.pop(level, None)
    else:
        fw = dict(fw) if fw else {}
        fw[level] = tangent
    t._fw = fw or None


def _live(fw: dict[DualLevel, Tensor] | None) -> dict[DualLevel, Tensor] | None:
    """``fw`` without the entries of exited levels (the same dict when all are live)."""
    if fw is None:
        return None
    if all(level.active for level in fw):
        return fw
    return {level: t for level, t in fw.items() if level.active} or None


def without_level(t: Any, level: DualLevel) -> Any:
    """``t`` as the primal at ``level``: an alias (same memory, version counter and graph)
    without that level's tangent; ``t`` itself if it has none. A leaf's AccumulateGrad is
    shared, so that gradients through the alias reach ``t.grad``."""
    if t.__class__ is not Tensor and not isinstance(t, Tensor):
        return t
    fw = t._fw
    if fw is None or level not in fw:
        return t
    return alias_of(t, {lv: tan for lv, tan in fw.items() if lv is not level and lv.active})


def alias_of(t: Tensor, fw: dict[DualLevel, Tensor] | None) -> Tensor:
    """A tensor sharing ``t``'s memory, version counter and graph, with the tangents ``fw``.
    A leaf's AccumulateGrad is shared, so that gradients through the alias reach ``t.grad``.
    """
    alias = Tensor._make(t._data, t._rg, t._grad_fn, t._output_nr)
    alias._vc = version_counter(t)
    alias._view = t._view
    if t._rg and t._grad_fn is None:
        acc = grad_accumulator(t)
        # Note: ``_acc`` is normally a weak reference; the alias holds its node strongly
        # (a callable, as a weakref is called) so that the node outlives ``t``'s last graph.
        alias._acc = lambda: acc
    alias._fw = fw or None
    return alias


def primal_alias(t: Any) -> Any:
    """``t`` without any tangent: an alias (see :func:`without_level`), or ``t`` itself when
    it has none or is not a tensor (what a custom Function's forward is given)."""
    if not isinstance(t, Tensor) or not t._fw:
        return t
    alias = without_level(t, next(iter(t._fw)))
    alias._fw = None
    return alias


# --- the public API -------------------------------------------------------------------------


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of ``tensor`` that carries ``tangent`` as its forward gradient at ``level``.

    ``tangent`` must have ``tensor``'s shape and a floating dtype; it is kept as it is (not
    copied) unless its memory cannot be written (an expanded tensor), since in-place ops on the
    dual tensor update its tangent in place.
    """
    current = _public_level()
    if current is None:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first."
        )
    _check_floating(tensor, tangent)
    dual_lvl = _resolve(level, "_make_dual")
    assert dual_lvl is not None
    return make_dual_at(tensor, tangent, dual_lvl)


def _check_floating(tensor: Tensor, tangent: Tensor) -> None:
    if not tensor.is_floating_point():
        raise ValueError(
            f"Expected primal to be floating point or complex, but got: {tensor.dtype}"
        )
    if not tangent.is_floating_point():
        raise ValueError(
            f"Expected tangent to be floating point or complex, but got: {tangent.dtype}"
        )


def make_dual_at(tensor: Tensor, tangent: Tensor, level: DualLevel) -> Tensor:
    """:func:`make_dual` at a level object (public or private)."""
    _check_floating(tensor, tangent)
    check_tangent_shape(tensor, tangent)
    if tangent_at(tensor, level) is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the "
            f"same level {0 if level.public is None else level.public} is not supported."
        )
    if not tangent._data.flags.writeable:
        tangent = tangent.clone()  # type: ignore[attr-defined]
    dual = tensor.view_as(tensor)  # type: ignore[attr-defined]
    set_tangent(dual, level, tangent)
    return dual  # type: ignore[no-any-return]


def check_tangent_shape(tensor: Tensor, tangent: Tensor) -> None:
    if tangent._data.shape != tensor._data.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(tensor.shape)} "
            f"while the given forward gradient is of size {list(tangent.shape)}."
        )


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of a dual tensor at ``level`` (the current level by default).

    The primal is a view of ``tensor`` without the tangent; the tangent is the one stored
    (the same object each time), or None.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(
            "_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
            f"{type(tensor).__name__}"
        )
    dual_lvl = _resolve(level, "_fw_primal")
    if dual_lvl is None:
        return UnpackedDualTensor(tensor, None)
    return unpack_at(tensor, dual_lvl)


def unpack_at(tensor: Tensor, level: DualLevel) -> UnpackedDualTensor:
    """:func:`unpack_dual` at a level object."""
    tangent = tangent_at(tensor, level)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    return UnpackedDualTensor(without_level(tensor, level), tangent)


# --- propagation through ops ----------------------------------------------------------------


def dual_levels_of(inputs: tuple[Any, ...]) -> list[DualLevel]:
    """The active levels at which some input has a tangent, outer first."""
    found: list[DualLevel] = []
    for x in inputs:
        fw = getattr(x, "_fw", None)
        if fw:
            for level in fw:
                if level.active and level not in found:
                    found.append(level)
    found.sort(key=lambda lv: lv.order)
    return found


def propagate(node: Any, inputs: tuple[Any, ...], outputs: Any, params: dict[str, Any]) -> None:
    """Attach the tangents of an op's output(s), computed by the op's jvp rule.

    ``node`` is the op's node instance (it holds what ``forward`` stored on ``self``); the
    rule is called once per level as ``node.jvp(*tangents, *primals, output)`` (``output`` a
    tuple for multi-output ops; a missing tangent is None), or, for ops declared ``linear``,
    the op itself is applied to the tangents.
    """
    if grad_mode.state.inference:
        return
    levels = dual_levels_of(inputs)
    if not levels:
        return
    cls = type(node)
    if not cls.differentiable:
        return
    many = type(outputs) is tuple
    outs = outputs if many else (outputs,)
    if not any(o._data.dtype.kind == "f" for o in outs):
        return
    recorded = any(o._grad_fn is node for o in outs)
    for level in levels:
        tangents = tuple(
            x._fw.get(level) if isinstance(x, Tensor) and x._fw else None for x in inputs
        )
        if cls.linear:
            result = cls.apply(*_zero_filled(tangents, inputs), **params)
        else:
            primals = tuple(without_level(x, level) for x in inputs)
            # Note: the rule sees aliases of the outputs: a tangent computed from an output
            # records (grad mode on) a graph that holds the alias, not the output itself.
            aliases = tuple(alias_of(o, o._fw) for o in outs)
            result = node.jvp(*tangents, *primals, aliases if many else aliases[0])
        results = result if many else (result,)
        if many and (type(result) is not tuple or len(result) != len(outs)):
            raise RuntimeError(f"{cls.__name__}.jvp returned {result!r} for {len(outs)} outputs")
        for out, r in zip(outs, results):
            if r is None or out._data.dtype.kind != "f":
                continue
            r = _conform(r, out)
            if not cls.view and _aliases_any(r, tangents):
                r = r.clone()  # type: ignore[attr-defined]
            set_tangent(out, level, r)
    if recorded and cls.save_output:
        # Forward over reverse: the backward's saved output must carry its tangents too.
        # Note: this holds the tangent in the node; with a tangent whose graph reaches the
        # node again (both modes recording) that is a reference cycle, left to the gc.
        node.__dict__["_out_fw"] = outs[0]._fw


def _zero_filled(tangents: tuple[Any, ...], inputs: tuple[Any, ...]) -> list[Any]:
    """Tangents of a linear op's tensor inputs, zeros where an input has none."""
    from .._creation import zeros_like

    return [
        t if t is not None else zeros_like(x) if isinstance(x, Tensor) else x
        for t, x in zip(tangents, inputs)
    ]


def _conform(tangent: Any, out: Tensor) -> Tensor:
    """A rule's result as ``out``'s tangent: broadcast to its shape, in its dtype."""
    if not isinstance(tangent, Tensor):
        raise TypeError(f"a jvp rule must return a Tensor or None, got {type(tangent).__name__}")
    shape = out._data.shape
    if tangent._data.shape != shape:
        tangent = tangent.expand(shape).clone()  # type: ignore[attr-defined]
    if tangent._data.dtype != out._data.dtype:
        tangent = tangent.to(out.dtype)  # type: ignore[attr-defined]
    return tangent


def _aliases_any(tangent: Tensor, tangents: tuple[Any, ...]) -> bool:
    """Whether ``tangent`` may share memory with an input's tangent (a non-view op must give
    its output a tangent of its own: in-place ops update tangents in place)."""
    data = tangent._data
    return any(t is not None and np.may_share_memory(data, t._data) for t in tangents)


class MissingJvpRule(NotImplementedError):
    """Forward mode reached an op that has no jvp rule (yet)."""


def not_implemented(op_name: str) -> NotImplementedError:
    """torch's error for an op that has no forward-mode rule."""
    return MissingJvpRule(
        f"Trying to use forward AD with {op_name} that does not support it because it has not "
        "been implemented yet.\nPlease file an issue to dyngrad so that we can prioritize its "
        "implementation, or add a jvp rule beside the op's backward in dyngrad/ops/."
    )


# --- in-place ops -----------------------------------------------------------------------------


def _tangent_viewing_base(view: Tensor, level: DualLevel) -> Tensor | None:
    """A tangent for the view ``view`` that is the same view of its base's tangent (a zero
    tangent is given to the base if it has none), so that writing a tangent into the view
    gives the base one too, as torch does. None where that view cannot be built over the
    base's tangent (its memory laid out otherwise, or a tangent with a graph of its own)."""
    base = view._view[0]  # type: ignore[index]
    base_tangent = tangent_at(base, level)
    if base_tangent is None:
        base_tangent = Tensor._make(np.zeros_like(base._data), False, None, 0)
        if base_tangent._data.strides != base._data.strides:
            return None
        set_tangent(base, level, base_tangent)
    data = base_tangent._data
    if base_tangent._rg or data.strides != base._data.strides or not data.flags.c_contiguous:
        return None
    offset = view._data.__array_interface__["data"][0] - base._data.__array_interface__["data"][0]
    array = np.ndarray(
        view._data.shape, data.dtype, buffer=data, offset=offset, strides=view._data.strides
    )
    tangent = Tensor._make(array, False, None, 0)
    tangent._vc = version_counter(base_tangent)
    set_tangent(view, level, tangent)
    return tangent


def commit_tangents(target: Tensor, result: Tensor) -> None:
    """After ``result`` was written into ``target`` in place: write its tangents into
    ``target``'s, in place too, so that views of ``target`` (whose tangents are views of its
    tangent) see the change. Where ``result`` has no tangent (a non-differentiable op, such
    as ``logical_and_``) ``target``'s is left as it is, as torch does."""
    from ..ops._registry import commit_inplace

    for level in dual_levels_of((result,)):
        new = tangent_at(result, level)
        old = tangent_at(target, level)
        if new is None:  # dual_levels_of(result) lists only levels where result has one
            continue
        if old is None and target._view is not None:
            old = _tangent_viewing_base(target, level)
        if old is None:
            set_tangent(target, level, new)
            continue
        writable = old._data.flags.writeable and not (old._rg and old._grad_fn is None)
        if writable and new._data.shape == old._data.shape:
            try:
                commit_inplace(old, new)
                continue
            except RuntimeError:  # refused before writing (a view of a leaf that requires
                pass  # grad: a tangent given by reverse mode over forward mode)
        set_tangent(target, level, new)
