"""The one place that walks a graph backwards.

``run_backward`` counts, for every node reachable from the roots, how many edges lead into
it; a node is ready once all of them have delivered their gradient. Ready nodes run latest-
created first (a heap on creation sequence numbers, AccumulateGrad first of all), so the order
is deterministic and the same as torch's. Nothing recurses: a million-node chain is a loop.

Every gradient a node returns is brought to its input's shape (summing broadcast dimensions)
and dtype here, in one place, before it is added into the next node's buffer.
"""

from __future__ import annotations

import _thread
import heapq
import itertools
import sys
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._dtype import from_numpy_dtype
from . import grad_mode
from .anomaly_mode import report_forward
from .anomaly_mode import state as _anomaly
from .graph import AccumulateGrad, Node, grad_accumulator, make_tensor
from .views import NO_GRAD as NO_GRAD_VIEW
from .views import refresh as refresh_view

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["run_backward", "tracers", "last_backward", "backward_running"]

# Observers of a backward pass (learner tools such as dyngrad.explain): each is called as
# ``trace(node, grads_in, grads_out)`` after a node ran (grads_out is None for a leaf's
# AccumulateGrad, called before the gradient is added into .grad). Empty in normal use.
tracers: list[Any] = []


class _LastBackward(_thread._local):
    """Weak references to the root nodes of this thread's last ``backward()``, so that
    ``dyngrad.why_no_grad`` can tell whether a leaf was reachable from it."""

    roots: tuple[weakref.ref[Node], ...] = ()


last_backward = _LastBackward()


class _Running(_thread._local):
    """The backward passes this thread is inside (hooks may start nested ones), and for
    each, what it will run: (serial, reachable nodes, roots, nodes needed or None for all)."""

    def __init__(self) -> None:
        self.tasks: list[tuple[int, dict[Node, int], list[Node], set[Node] | None]] = []


_task_serials = itertools.count(1)


running = _Running()


def current_task() -> int:
    """A number naming the innermost backward pass this thread runs (0 outside one), the
    same for the whole pass and never reused, so that hooks can tell passes apart."""
    tasks = running.tasks
    return tasks[-1][0] if tasks else 0


def will_execute(node: Node) -> bool:
    """Whether the innermost backward pass of this thread runs ``node`` (it is reachable
    from the roots and, for ``autograd.grad``/``inputs=``, leads to an input)."""
    tasks = running.tasks
    if not tasks:
        return False
    _, deps, roots, needed = tasks[-1]
    return (node in deps or node in roots) and (needed is None or node in needed)


def backward_running() -> bool:
    """True while this thread runs a backward pass: the ops called by backward formulas
    then need no learner bookkeeping (such as why_no_grad's origin tags)."""
    return len(running.tasks) > 0


_fp_switch: Any = None  # (quiet_on, quiet_off) from the op registry, once loaded


def _quiet_fp() -> Any:
    global _fp_switch
    if _fp_switch is None:
        from ..ops._registry import _quiet_off, _quiet_on

        _fp_switch = (_quiet_on, _quiet_off)
    return _fp_switch[0]()


def _restore_fp(token: Any) -> None:
    _fp_switch[1](token)


def _root_edge(t: Tensor, index: int) -> tuple[Node, int]:
    if t._view is not None:
        refresh_view(t)
    if t._grad_fn is not None:
        return t._grad_fn, t._output_nr
    if t._rg and not _no_grad_view(t):
        return grad_accumulator(t), 0
    raise RuntimeError(
        f"element {index} of tensors does not require grad and does not have a grad_fn"
    )


def _no_grad_view(t: Tensor) -> bool:
    """A view made in no_grad mode: it requires grad, but torch gives it no accumulator."""
    return t._view is not None and t._view[1] == NO_GRAD_VIEW


def _count_dependencies(roots: Sequence[Node]) -> dict[Node, int]:
    """For each reachable node, the number of edges that lead into it (iterative DFS)."""
    # Note: ``deps`` doubles as the set of nodes seen (a node enters it when first reached);
    # only the roots, on the stack from the start, need a set of their own.
    deps: dict[Node, int] = {}
    root_set = set(roots) if len(roots) > 1 else roots  # (one root: the list serves)
    stack = list(root_set)
    get = deps.get
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            n = get(nxt)
            if n is None:
                deps[nxt] = 1
                if nxt not in root_set:
                    stack.append(nxt)
            else:
                deps[nxt] = n + 1
    return deps


def _needed_nodes(deps: dict[Node, int], roots: Sequence[Node], targets: set[Node]) -> set[Node]:
    """Nodes from which some target is reachable: only these run in autograd.grad."""
    # children before parents: creation order, with the leaves' AccumulateGrad nodes first
    nodes = list(deps)
    for root in roots:
        if root not in deps:
            nodes.append(root)
    nodes.sort(key=_creation_order)
    needed: set[Node] = set()
    for node in nodes:
        if node in targets:
            needed.add(node)
            continue
        for n, _ in node.next_functions:  # (a plain loop: cheaper than any() over a generator)
            if n is not None and n in needed:
                needed.add(node)
                break
    return needed


def _creation_order(node: Node) -> int:
    return -1 if node.__class__ is AccumulateGrad else node._seq


def _reduce_to_input(grad: Tensor, meta: tuple[tuple[int, ...], Any], node: Node, i: int) -> Tensor:
    """Sum ``grad`` down to the input's shape (undoing broadcasting) and cast to its dtype."""
    shape, np_dtype = meta
    if grad._data.shape != shape:
        gshape = grad._data.shape
        if not _expandable(shape, gshape):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"[{', '.join(map(str, gshape))}] but expected shape compatible with "
                f"[{', '.join(map(str, shape))}]"
            )
        grad = grad.sum_to_size(shape)
    if grad._data.dtype != np_dtype:
        grad = grad.to(from_numpy_dtype(np_dtype))
    return grad


def _expandable(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))


def _accumulate_into_buffer(old: Tensor | None, new: Tensor) -> Tensor:
    """Sum two gradients for the same slot; never writes into either (they may be shared)."""
    if old is None:
        return new
    return old + new


def _run_tensor_hooks(node: Node, grads: list[Any]) -> None:
    hooks = node._hooks
    if hooks is None:
        return
    for output_nr, fns in hooks.tensor_pre.items():
        for fn in list(fns.values()):
            g = grads[output_nr]
            if g is None:
                continue
            result = fn(g)
            if result is not None:
                grads[output_nr] = result
    for output_nr, ref in hooks.retain.items():
        t = ref()
        g = grads[output_nr]
        if t is not None and g is not None:
            _store_retained_grad(t, g)
    for fn in list(hooks.pre.values()):
        result = fn(tuple(grads))
        if result is not None:
            grads[:] = list(result)


def _store_retained_grad(t: Tensor, g: Tensor) -> None:
    if t._grad is None:
        t._grad = g.detach().clone() if not grad_mode.state.grad_enabled else g.clone()
    else:
        t._grad = t._grad + g


def _run_leaf_hooks(var: Tensor, grad: Tensor | None) -> Tensor | None:
    """A leaf's ``register_hook`` hooks, in registration order; each may replace the grad."""
    meta = var._meta
    if meta is None or grad is None:
        return grad
    for fn in list(meta.hooks.values()):
        result = fn(grad)
        if result is not None:
            grad = result
    return grad


# Note: a leaf's first gradient is stored without a copy when nothing but this backward pass
# can reach it: its array owns its memory, is referenced only by this gradient tensor, and the
# tensor only by the engine (its buffer list, run_backward's local, _accumulate_leaf's argument
# and getrefcount's own). A hook, tracer, user or second buffer holding it adds a reference,
# and the gradient is copied as before. The counts are CPython's (3.10-3.13); elsewhere the
# copy is always made.
_ENGINE_REFS = 5  # at most: the buffer list, two locals, two arguments
_COUNTS_REFS = sys.implementation.name == "cpython" and (3, 10) <= sys.version_info[:2] <= (3, 13)


def _adoptable(grad: Tensor) -> bool:
    """True when ``grad``'s array can become the leaf's ``.grad`` without a copy: it owns its
    memory, or views all of an array (a transpose, a reshape) that nothing else refers to but
    the view's base tensor, which nothing refers to but the view; and only the engine refers
    to ``grad``."""
    data = grad._data
    if not _COUNTS_REFS or sys.getrefcount(grad) > _ENGINE_REFS:
        return False
    if sys.getrefcount(data) != 3 or not data.flags.writeable:  # tensor slot, local, argument
        return False
    base = data.base
    if base is None:
        return True
    if base.__class__ is not np.ndarray or base.base is not None or base.nbytes != data.nbytes:
        return False
    refs = 3  # the view's base reference, the local, the argument
    view = grad._view
    if view is not None:  # the view keeps its base tensor (as torch's ._base)
        owner = view[0]
        if owner._data is not base or sys.getrefcount(owner) != 3:  # view tuple, local, argument
            return False
        refs += 1  # the owner's slot
    return sys.getrefcount(base) == refs


# Note: one lock for every leaf's accumulation into .grad (check-then-set, and NumPy's
# in-place add, which lets go of the GIL on large arrays, are not atomic): concurrent backward
# passes into a shared leaf sum correctly. Uncontended it costs about 0.1 µs per leaf.
_accumulate_lock = _thread.allocate_lock()


def _accumulate_leaf(acc: AccumulateGrad, grad: Tensor | None, create_graph: bool) -> None:
    """Add ``grad`` into the leaf's ``.grad``: stored as a copy first, added in place after."""
    if grad is None:
        return
    var = acc.variable
    meta = var._meta
    with _accumulate_lock:  # backward passes in several threads may share this leaf
        old = var._grad
        if old is None:
            if create_graph:
                var._grad = grad
            elif _adoptable(grad):
                var._grad = make_tensor(grad._data, False, None, 0)
            else:
                # Note: a copy, so .grad never aliases a buffer another leaf or the user holds.
                var._grad = make_tensor(np.array(grad._data, copy=True, order="K"), False, None, 0)
        elif create_graph or old._rg:
            var._grad = old + grad
        else:
            np.add(old._data, grad._data, out=old._data)
    if meta is not None:
        for fn in list(meta.post_acc_hooks.values()):
            fn(var)


def run_backward(
    tensors: Sequence[Tensor],
    grad_tensors: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
    accumulate: bool = True,
) -> list[Tensor | None]:
    """Backpropagate ``grad_tensors`` from ``tensors``.

    With ``accumulate`` gradients are added into the leaves' ``.grad`` (restricted to
    ``inputs`` when given). Without it (autograd.grad) the gradients reaching ``inputs`` are
    returned instead, and only the part of the graph that leads to them runs.
    """
    buffers: dict[Node, list[Any]] = {}
    roots: list[Node] = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        node, nr = _root_edge(t, i)
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.n_outputs
            roots.append(node)
        buf[nr] = _accumulate_into_buffer(buf[nr], g)

    deps = _count_dependencies(roots)
    if accumulate:
        last_backward.roots = (
            (weakref.ref(roots[0]),) if len(roots) == 1 else tuple([weakref.ref(n) for n in roots])
        )

    # What to capture (autograd.grad) or which leaves may accumulate (backward(inputs=...)).
    captures: dict[Node, list[tuple[int, int]]] = {}
    results: list[Tensor | None] = []
    needed: set[Node] | None = None
    if inputs is not None:
        for k, t in enumerate(inputs):
            node, nr = _input_edge(t)
            captures.setdefault(node, []).append((nr, k))
            results.append(None)
        needed = _needed_nodes(deps, roots, set(captures))

    heap: list[tuple[int, Node]] = []
    for node in roots:
        if deps.get(node, 0) == 0 and (needed is None or node in needed):
            heapq.heappush(heap, (-node._seq, node))

    state = grad_mode.state
    prev_mode = state.grad_enabled
    state.grad_enabled = create_graph
    # Note: the whole pass runs with NumPy's FP warnings off, so that each op the backward
    # formulas call finds them off already and skips switching them (see ops/_registry.py).
    quiet = _quiet_fp()
    tasks = running.tasks
    tasks.append((next(_task_serials), deps, roots, needed))
    # Note: ``ready`` holds the next node when it is the only one ready (a chain): it then
    # skips the heap, which would hand it out next anyway.
    ready: Node | None = None
    heappush = heapq.heappush
    try:
        while ready is not None or heap:
            if ready is not None:
                node = ready
                ready = None
            else:
                node = heapq.heappop(heap)[1]
            grads = buffers.pop(node, None) or [None] * node.n_outputs

            if node.__class__ is AccumulateGrad:
                grad = grads[0]
                if node.variable._meta is not None:
                    grad = _run_leaf_hooks(node.variable, grad)
                if tracers:
                    for trace in tracers:
                        trace(node, (grad,), None)
                if accumulate:
                    _accumulate_leaf(node, grad, create_graph)
                else:
                    _capture(node, [grad], captures, results)
                continue

            if node._hooks is not None:
                _run_tensor_hooks(node, grads)
            if captures and node in captures:
                if accumulate:  # backward(inputs=[non-leaf]): its .grad is filled
                    for nr, k in captures[node]:
                        if grads[nr] is not None:
                            _store_retained_grad(inputs[k], grads[nr])  # type: ignore[index]
                else:
                    _capture(node, grads, captures, results)
                if not _has_needed_child(node, needed):
                    continue

            if node._released:
                raise RuntimeError(_freed_message())
            if grads[0] is None and (len(grads) == 1 or grads.count(None) == len(grads)):
                out: tuple[Any, ...] = (None,) * len(node.next_functions)
            elif _anomaly.enabled:
                out = _apply_with_anomaly_checks(node, grads)
            else:
                out = node.apply_backward(tuple(grads))
                if len(out) != len(node.next_functions):
                    raise RuntimeError(
                        f"function {node.name()} returned an incorrect number of gradients "
                        f"(expected {len(node.next_functions)}, got {len(out)})"
                    )
                hooks = node._hooks
                if hooks is not None and hooks.post:
                    out = _run_post_hooks(node, out, grads)
            if tracers:
                for trace in tracers:
                    trace(node, tuple(grads), out)
            if not retain_graph:
                node._release()

            in_meta = node._in_meta
            for i, (nxt, slot) in enumerate(node.next_functions):
                if nxt is None:
                    continue
                if needed is not None and nxt not in needed:
                    continue
                g = out[i]
                if g is not None:
                    meta = in_meta[i]
                    data = g._data
                    dtype = data.dtype
                    if data.shape != meta[0] or (dtype is not meta[1] and dtype != meta[1]):
                        g = _reduce_to_input(g, meta, node, i)
                    buf = buffers.get(nxt)
                    if buf is None:
                        buf = buffers[nxt] = [None] * nxt.n_outputs
                    old = buf[slot]
                    buf[slot] = g if old is None else old + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    if ready is not None:
                        heappush(heap, (-ready._seq, ready))
                        ready = None
                    if heap:
                        heappush(heap, (-nxt._seq, nxt))
                    else:
                        ready = nxt
            out = g = data = None  # type: ignore[assignment]  # (a leaf may adopt its gradient)
    finally:
        tasks.pop()
        _restore_fp(quiet)
        state.grad_enabled = prev_mode
    return results


def _apply_with_anomaly_checks(node: Node, grads: list[Any]) -> tuple[Any, ...]:
    """Run a node in anomaly mode: on any error, or NaN in an output, show where its forward ran."""
    try:
        out = node.apply_backward(tuple(grads))
        if _anomaly.check_nan:
            for i, g in enumerate(out):
                if g is not None and g._data.dtype.kind == "f" and np.isnan(g._data).any():
                    raise RuntimeError(
                        f"Function '{node.name()}' returned nan values in its {i}th output."
                    )
    except Exception:
        report_forward(node)
        raise
    return out


def _freed_message() -> str:
    from .graph import FREED_MESSAGE

    return FREED_MESSAGE


def _has_needed_child(node: Node, needed: set[Node] | None) -> bool:
    if needed is None:
        return True
    return any(n in needed for n, _ in node.next_functions if n is not None)


def _capture(
    node: Node,
    grads: list[Any],
    captures: dict[Node, list[tuple[int, int]]],
    results: list[Tensor | None],
) -> None:
    for nr, k in captures.get(node, ()):
        results[k] = grads[nr]


def _run_post_hooks(node: Node, out: tuple[Any, ...], grads: list[Any]) -> tuple[Any, ...]:
    assert node._hooks is not None
    for fn in list(node._hooks.post.values()):
        result = fn(out, tuple(grads))
        if result is not None:
            out = tuple(result)
    return out


def _input_edge(t: Any) -> tuple[Node, int]:
    if isinstance(t, tuple):  # a graph.GradientEdge (node, output_nr, token)
        return t[0], t[1]
    if t._view is not None:
        refresh_view(t)
    if t._grad_fn is not None:
        return t._grad_fn, t._output_nr
    if not t._rg:
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    if _no_grad_view(t):  # no accumulator: an edge no graph reaches (the input is unused)
        return AccumulateGrad(t), 0
    return grad_accumulator(t), 0
