"""Custom differentiable operations: ``dyngrad.autograd.Function``.

Users write ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)`` as static methods
(or ``forward(*args)`` plus ``setup_context(ctx, inputs, output)``) and call ``Fn.apply``.
As in torch the ``ctx`` is the backward node itself: ``y.grad_fn`` is the ctx, named
``<ClassName>Backward``. The engine runs it like any built-in node.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._tensor import Tensor
from . import forward_ad, grad_mode
from .graph import Node, _next_seq, grad_accumulator, pack_saved, saved_hooks, version_counter
from .views import NO_GRAD as NO_GRAD_VIEW
from .views import refresh as refresh_view

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable"]


class FunctionCtx:
    """What ``forward``/``setup_context`` may tell the backward (mixed into the node)."""

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep tensors (inputs, outputs or intermediates) for backward: ``ctx.saved_tensors``."""
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{tensors.index(t)} is of type {type(t).__name__}"
                )
        self._to_save = tensors

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        """Keep tensors for ``jvp`` (forward mode): ``ctx.saved_tensors`` inside ``jvp``."""
        self._to_save_forward = tensors

    def mark_dirty(self, *tensors: Tensor) -> None:
        """Declare inputs that forward modified in place (they become the outputs)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Declare outputs that carry no gradient (e.g. indices)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self._materialize = value


class BackwardCFunction(FunctionCtx, Node):
    """The node of one ``Function.apply`` call; subclassed per Function as ``<Name>Backward``."""

    _forward_cls: type[Function]
    _arg_is_tensor: tuple[bool, ...]
    _needs_input_grad: tuple[bool, ...]
    _out_meta: tuple[Any, ...]

    @property
    def saved_tensors(self) -> tuple[Any, ...]:  # type: ignore[override]
        """The saved tensors; outputs are rebuilt from array + version (no node -> output ref)."""
        from .graph import FREED_MESSAGE, _modified_error

        jvp_saved = self.__dict__.get("_jvp_saved")
        if jvp_saved is not None:  # inside jvp: what save_for_forward kept
            return jvp_saved  # type: ignore[no-any-return]
        if self._released:
            raise RuntimeError(FREED_MESSAGE)
        if self._saved_versions is None:
            return tuple(None if e is None else e.unpack(e.packed) for e in self._saved)
        out: list[Any] = []
        for entry, version in zip(self._saved, self._saved_versions):
            if entry is None:
                out.append(None)
            elif isinstance(entry, tuple):  # a saved output
                data, vc, nr, rg = entry
                t = Tensor._make(data, rg, self if rg else None, nr)
                t._vc = vc
                if vc.value != version:
                    raise _modified_error(t, version)
                out.append(t)
            else:
                vc = entry._vc
                if (vc.value if vc is not None else 0) != version:
                    raise _modified_error(entry, version)
                out.append(entry)
        return tuple(out)

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:  # type: ignore[override]
        return self._needs_input_grad

    @property
    def materialize_grads(self) -> bool:
        return self.__dict__.get("_materialize", True)

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.materialize_grads and None in grads:
            grads = tuple(
                Tensor._make(np.zeros(shape, dtype), False, None, 0) if g is None else g
                for g, (shape, dtype) in zip(grads, self._out_meta)
            )
        result = self._forward_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self._arg_is_tensor)
        if len(result) != n_args:
            if len(result) > n_args and all(r is None for r in result[n_args:]):
                result = result[:n_args]
            else:
                raise RuntimeError(
                    f"function {self.name()} returned an incorrect number of gradients "
                    f"(expected {n_args}, got {len(result)})"
                )
        grads_for_edges = []
        for i, (r, is_tensor) in enumerate(zip(result, self._arg_is_tensor)):
            if is_tensor:
                grads_for_edges.append(r)
            elif r is not None:
                raise RuntimeError(
                    f"function {self.name()} returned a gradient different than None at "
                    f"position {i + 1}, but the corresponding forward input was not a Variable"
                )
        return tuple(grads_for_edges)


class _FunctionMeta(type):
    """Gives every Function subclass its own backward node class, ``<Name>Backward``."""

    def __init__(cls, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> None:
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(FunctionCtx, metaclass=_FunctionMeta):
    """Base class of custom differentiable operations (see the module docstring).

    >>> class Exp(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = x.exp()
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (y,) = ctx.saved_tensors
    ...         return g * y
    """

    _backward_cls: type[BackwardCFunction]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> Any:
        return _NO_SETUP

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        """Forward mode: the outputs' tangents from the inputs' (``ctx.saved_tensors`` holds
        what ``forward`` gave ``ctx.save_for_forward``). Override it to use forward mode."""
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run forward without recording, then record one node for the whole call.

        In forward mode (inputs with tangents) ``forward`` sees the primals only, and
        ``jvp`` gives the outputs' tangents (see :func:`_attach_tangents`).
        """
        ctx = cls._backward_cls.__new__(cls._backward_cls)  # type: ignore[call-overload]
        is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx._arg_is_tensor = is_tensor
        ctx._needs_input_grad = tuple(t and a._rg for a, t in zip(args, is_tensor))
        uses_setup = cls.setup_context is not Function.setup_context
        levels = forward_ad.dual_levels_of(args) if forward_ad.STATE.depth else []
        primals = tuple(forward_ad.primal_alias(a) for a in args) if levels else args
        with grad_mode.no_grad():
            if uses_setup:
                output = cls.forward(*primals, **kwargs)
                cls.setup_context(ctx, primals, output)
            else:
                output = cls.forward(ctx, *primals, **kwargs)
        if levels:  # an input returned (or modified in place) is the caller's tensor
            output = _restore_inputs(output, primals, args)
        record = grad_mode.state.grad_enabled and any(ctx._needs_input_grad)
        result = _wrap_outputs(ctx, args, output, record)
        if levels:
            _attach_tangents(cls, ctx, args, result, levels)
        return result


def _restore_inputs(output: Any, primals: tuple[Any, ...], args: tuple[Any, ...]) -> Any:
    """``output`` with the primal aliases that forward returned replaced by the inputs."""

    def restore(o: Any) -> Any:
        for p, a in zip(primals, args):
            if o is p:
                return a
        return o

    if isinstance(output, tuple):
        return tuple(restore(o) for o in output)
    return restore(output)


def _attach_tangents(
    cls: type[Function], ctx: Any, args: tuple[Any, ...], result: Any, levels: list[Any]
) -> None:
    """Forward mode: per level, ``cls.jvp(ctx, *tangents)`` gives the outputs' tangents.

    As in torch, a tensor input without a tangent gets zeros and a non-tensor input None.
    """
    from .._creation import zeros_like

    outputs = result if isinstance(result, tuple) else (result,)
    non_diff = ctx.__dict__.get("_non_differentiable", ())
    ctx._jvp_saved = ctx.__dict__.pop("_to_save_forward", ())
    try:
        for level in levels:
            tangents: list[Any] = []
            for a in args:
                if not isinstance(a, Tensor):
                    tangents.append(None)  # type: ignore[arg-type]
                    continue
                t = forward_ad.tangent_at(a, level)
                tangents.append(zeros_like(a.detach()) if t is None else t)
            out_tangents = cls.jvp(ctx, *tangents)
            if not isinstance(out_tangents, tuple):
                out_tangents = (out_tangents,)
            if len(out_tangents) != len(outputs):
                raise RuntimeError(
                    "Function's jvp returned an invalid number of forward gradients (expected "
                    f"{len(outputs)} but got {len(out_tangents)})"
                )
            for i, (out, t) in enumerate(zip(outputs, out_tangents)):
                if t is None or not isinstance(out, Tensor) or not out.is_floating_point():
                    continue
                if any(out is n for n in non_diff):
                    continue
                if not isinstance(t, Tensor):
                    raise RuntimeError(
                        f"expected Variable or None (got {type(t).__name__}) for grad output {i}."
                    )
                forward_ad.check_tangent_shape(out, t)
                forward_ad.set_tangent(out, level, t)
    finally:
        del ctx._jvp_saved


_NO_SETUP = object()


def _wrap_outputs(ctx: BackwardCFunction, args: tuple[Any, ...], output: Any, record: bool) -> Any:
    """Attach the node to the outputs and fill its edges, saved values and metadata."""
    is_tuple = isinstance(output, tuple)
    outputs = output if is_tuple else (output,)
    attrs = ctx.__dict__
    dirty = attrs.get("_dirty", ())
    non_diff = attrs.get("_non_differentiable", ())
    inputs = [a for a, t in zip(args, ctx._arg_is_tensor) if t]

    edges: list[Any] = []
    metas: list[Any] = []
    if record:
        for a in inputs:
            if a._rg:
                fn = a._grad_fn if a._view is None else refresh_view(a)
                if fn is not None:
                    edges.append((fn, a._output_nr))
                elif a._view is not None and a._view[1] == NO_GRAD_VIEW:
                    edges.append((None, 0))  # a view made in no_grad mode: no accumulator
                else:
                    edges.append((grad_accumulator(a), 0))
                metas.append((a._data.shape, a._data.dtype))
            else:
                edges.append((None, 0))
                metas.append(None)  # type: ignore[arg-type]
    ctx.next_functions = tuple(edges)
    ctx._seq = _next_seq()
    ctx._in_meta = tuple(metas)
    ctx._out_saved = None
    ctx._released = False
    ctx._hooks = None

    wrapped = []
    out_meta = []
    for nr, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            wrapped.append(out)
            out_meta.append(((), np.float32))
            continue
        if any(out is d for d in dirty):
            if out._grad_fn is None and out._rg and record:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            version_counter(out).value += 1
        elif any(out is a for a in inputs):  # an input returned as is: a new alias
            alias = Tensor._make(out._data, False, None, 0)
            alias._vc = version_counter(out)
            out = alias
        out_meta.append((out._data.shape, out._data.dtype))  # type: ignore[arg-type]
        differentiable = (
            record and out._data.dtype.kind == "f" and not any(out is n for n in non_diff)
        )
        if differentiable:
            out._rg = True
            out._grad_fn = ctx
            out._output_nr = nr
        elif any(out is n for n in non_diff) or not record:
            if out._grad_fn is None and not any(out is d for d in dirty):
                out._rg = False
        wrapped.append(out)
    ctx.n_outputs = len(outputs)
    ctx._out_meta = tuple(out_meta)
    _save(ctx, wrapped)
    result = tuple(wrapped)
    return result if isinstance(output, tuple) else result[0]


def _save(ctx: BackwardCFunction, outputs: list[Any]) -> None:
    """Saved tensors: outputs as (array, version counter, nr, requires_grad), others as is."""
    to_save = ctx.__dict__.pop("_to_save", ())
    saved: list[Any] = []
    versions: list[Any] = []
    for t in to_save:
        if t is None:
            saved.append(None)
            versions.append(None)
            continue
        nr = next((i for i, o in enumerate(outputs) if o is t), None)
        vc = version_counter(t)
        if nr is not None and t._grad_fn is ctx:
            saved.append((t._data, vc, nr, True))
        else:
            saved.append(t)
        versions.append(vc.value)
    if saved_hooks.stack:  # saved_tensors_hooks: pack what the backward will read
        ctx._saved = tuple(None if t is None else pack_saved(t) for t in to_save)
        ctx._saved_versions = None
        return
    ctx._saved = tuple(saved)
    ctx._saved_versions = tuple(versions)


class _DelayedErrorBackward(Node):
    """Stands for the backward of a once_differentiable backward: differentiating it raises."""

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a custom backward without recording; differentiating its result again raises."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.state.grad_enabled:
            return outputs
        needs = [a for a in args if isinstance(a, Tensor) and a._rg]
        if not needs:
            return outputs
        node = _DelayedErrorBackward.__new__(_DelayedErrorBackward)
        edges = tuple(
            (a._grad_fn, a._output_nr) if a._grad_fn is not None else (grad_accumulator(a), 0)
            for a in needs
        )
        from .graph import init_node

        init_node(node, edges, tuple((a._data.shape, a._data.dtype) for a in needs))
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        wrapped = tuple(
            Tensor._make(o._data, True, node, 0) if isinstance(o, Tensor) else o for o in outs
        )
        return wrapped[0] if single else wrapped

    return wrapper
