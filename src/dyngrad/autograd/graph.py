"""The recorded graph: backward nodes, the leaves' AccumulateGrad nodes, saved values, hooks.

A :class:`Node` is made when an op runs in grad mode on an input that requires grad. It knows
its inputs' nodes through ``next_functions`` (one ``(node, input_nr)`` edge per tensor input,
``(None, 0)`` where no gradient flows) and keeps the values its backward needs. It never holds
its own output tensor: a saved output is kept as its array and version counter and re-wrapped
on use, so the graph is freed by reference counting alone.
"""

from __future__ import annotations

import _thread
import itertools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .sites import Site, both_places, user_site

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["Node", "AccumulateGrad", "VersionCounter", "RemovableHandle", "SavedIndex"]

# Creation order: the engine runs ready nodes latest-first, as torch does.
_next_seq = itertools.count().__next__
# AccumulateGrad nodes rank above every op node, so a leaf's gradient lands as soon as it is ready.
_ACCUMULATE_SEQ_BASE = 1 << 62
_next_acc_seq = itertools.count(_ACCUMULATE_SEQ_BASE).__next__

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


_Tensor: Any = None  # the Tensor class, once it exists (this module is imported before it)


def tensor_type() -> Any:
    """The Tensor class, for code here and in the engine (an import statement in a hot path
    costs microseconds; the class is looked up once)."""
    global _Tensor
    if _Tensor is None:
        from .._tensor import Tensor

        _Tensor = Tensor
    return _Tensor


def make_tensor(data: np.ndarray, requires_grad: bool, grad_fn: Any, output_nr: int) -> Tensor:
    """``Tensor._make``: wrap an array the caller owns."""
    return (_Tensor or tensor_type())._make(data, requires_grad, grad_fn, output_nr)  # type: ignore[no-any-return]


class VersionCounter:
    """Counts in-place changes of one storage; shared by a tensor and its views."""

    __slots__ = ("value", "sites")

    def __init__(self) -> None:
        self.value = 0
        # (version after the change, user site) of the latest in-place changes, for errors
        self.sites: list[tuple[int, Site | None]] | None = None

    def record_site(self) -> None:
        """Remember where the change to the current version was made (the in-place path only;
        the last few changes are kept)."""
        sites = self.sites
        if sites is None:
            sites = self.sites = []
        elif len(sites) >= 4:
            del sites[0]
        sites.append((self.value, user_site(2)))


def version_counter(t: Tensor) -> VersionCounter:
    """The tensor's version counter, made on first need."""
    vc = t._vc
    if vc is None:
        vc = t._vc = VersionCounter()
    return vc


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook out again."""

    __slots__ = ("_hooks", "_key")
    _ids = itertools.count()

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self._hooks = hooks
        self._key = next(RemovableHandle._ids)

    def remove(self) -> None:
        self._hooks.pop(self._key, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _add_hook(hooks: dict[int, Callable[..., Any]], fn: Callable[..., Any]) -> RemovableHandle:
    handle = RemovableHandle(hooks)
    hooks[handle._key] = fn
    return handle


def _tensor_desc(t_data: np.ndarray, dtype_name: str) -> str:
    legacy = {
        "float32": "FloatTensor",
        "float64": "DoubleTensor",
        "float16": "HalfTensor",
        "int64": "LongTensor",
        "int32": "IntTensor",
        "int16": "ShortTensor",
        "int8": "CharTensor",
        "uint8": "ByteTensor",
        "bool": "BoolTensor",
    }[dtype_name]
    dims = ", ".join(str(s) for s in t_data.shape)
    if dtype_name == "bool":  # (torch names it by its old type object here)
        return f"[CPUBoolType [{dims}]]"
    return f"[torch.{legacy} [{dims}]]"


class Node:
    """A backward function in the graph (``grad_fn``).

    Subclasses implement ``apply_backward(grads) -> tuple`` (one gradient per input edge).
    Op nodes keep extra backward data as instance attributes; arrays among them are dropped
    with the saved tensors once the node has run (unless ``retain_graph``).
    """

    __slots__ = (
        "next_functions",
        "_seq",
        "_in_meta",
        "_saved",
        "_saved_versions",
        "_out_saved",
        "_released",
        "_hooks",
        "_site",  # where the forward ran (user code), taken when the node saves values
        "__weakref__",
        "__dict__",
    )

    # the slots' types (declared here for type checkers; __slots__ holds them)
    next_functions: tuple[tuple[Any, int], ...]
    _seq: int
    _in_meta: tuple[Any, ...]
    _saved: tuple[Any, ...]
    _saved_versions: tuple[Any, ...] | None
    _out_saved: Any
    _released: bool
    _hooks: Any
    _site: Any

    # number of outputs; multi-output nodes override
    n_outputs = 1

    def _init_hooks(self) -> _NodeHooks:
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = _NodeHooks()
        return hooks

    # --- introspection, as torch's grad_fn offers -------------------------------------
    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"

    def name(self) -> str:
        return type(self).__name__

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.__dict__.get("_metadata")
        if meta is None:
            meta = self.__dict__["_metadata"] = {}
        return meta

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        edges = self.next_functions
        if len(edges) == 2:  # (binary ops, the common case: no list to build)
            return (edges[0][0] is not None, edges[1][0] is not None)
        return tuple([edge[0] is not None for edge in edges])

    def register_hook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs)`` after the node ran; may return new grad_inputs."""
        return _add_hook(self._init_hooks().post, fn)

    def register_prehook(self, fn: Callable[..., Any]) -> RemovableHandle:
        """``fn(grad_outputs)`` before the node runs; may return new grad_outputs."""
        return _add_hook(self._init_hooks().pre, fn)

    # --- saved values -----------------------------------------------------------------
    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """The saved inputs, checked against in-place changes since they were saved."""
        if self._released:
            raise RuntimeError(FREED_MESSAGE)
        saved = self._saved
        versions = self._saved_versions
        if versions is None:  # packed by saved_tensors_hooks
            return tuple(v.unpack(v.packed) if v.__class__ is Packed else v for v in saved)
        for t, version in zip(saved, versions):
            if version is not None:
                vc = t._vc
                if (vc.value if vc is not None else 0) != version:
                    raise _modified_error(t, version, self)
        return saved

    @property
    def saved_output(self) -> Tensor:
        """The node's own output, re-wrapped (it is kept as array + version, not as a tensor)."""
        if self._released:
            raise RuntimeError(FREED_MESSAGE)
        saved = self._out_saved
        if saved.__class__ is Packed:
            return saved.unpack(saved.packed)  # type: ignore[no-any-return]
        data, vc, version, output_nr = saved[:4]
        if vc.value != version:
            raise _modified_output_error(data, self, output_nr, vc.value, version, vc)
        if len(saved) > 4:  # an in-place op on a view: the output's history is the view's
            owner = saved[4]()  # (a weak reference, as torch keeps it: no cycle)
            if owner is not None:
                return make_tensor(data, True, owner, 0)
        return make_tensor(data, True, self, output_nr)

    def _release(self) -> None:
        """Drop saved values (the graph stays walkable; running it again raises)."""
        dropped = False
        saved = self._saved
        # (a node whose saved slots are all None saved nothing: it may run again, as torch's)
        for v in saved:  # (a plain loop: cheaper than any() over a generator)
            if v is not None:
                self._saved = ()
                dropped = True
                break
        if self._out_saved is not None:
            self._out_saved = None
            dropped = True
        attrs = self.__dict__
        if attrs:
            arrays = [k for k, v in attrs.items() if isinstance(v, (np.ndarray, SavedIndex))]
            for k in arrays:
                del attrs[k]
            dropped = dropped or bool(arrays)
        if dropped:
            self._released = True

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        raise NotImplementedError

    def __call__(self, *grads: Any) -> Any:
        """Run the node's backward on the given output gradients, as torch's grad_fn(...) does."""
        result = self.apply_backward(grads)
        return result[0] if len(result) == 1 else result


class _NodeHooks:
    """Hooks attached to one node: tensor pre-hooks per output, node pre/post hooks."""

    __slots__ = ("pre", "post", "tensor_pre", "retain")

    def __init__(self) -> None:
        self.pre: dict[int, Callable[..., Any]] = {}
        self.post: dict[int, Callable[..., Any]] = {}
        self.tensor_pre: dict[int, dict[int, Callable[..., Any]]] = {}
        self.retain: dict[int, weakref.ref[Tensor]] = {}


def init_node(node: Node, edges: tuple[tuple[Any, int], ...], in_meta: tuple[Any, ...]) -> None:
    """Fill the fields every node has (the registry calls this in the hot path)."""
    node.next_functions = edges
    node._seq = _next_seq()
    node._in_meta = in_meta
    node._saved = ()
    node._saved_versions = ()
    node._out_saved = None
    node._released = False
    node._hooks = None


class Packed:
    """A value saved through ``saved_tensors_hooks``: what pack returned, and how to unpack."""

    __slots__ = ("packed", "unpack")

    def __init__(self, packed: Any, unpack: Callable[[Any], Any]) -> None:
        self.packed = packed
        self.unpack = unpack


class _SavedHooks(_thread._local):
    """The per-thread stack of (pack, unpack) pairs; the innermost applies."""

    def __init__(self) -> None:
        self.stack: list[tuple[Callable[[Any], Any], Callable[[Any], Any]]] = []
        self.disabled: str | None = None  # the error message of disable_saved_tensors_hooks


saved_hooks = _SavedHooks()


def pack_saved(t: Any) -> Packed:
    """Pack ``t`` with the innermost hooks; ops inside the pack hook see no hooks."""
    stack = saved_hooks.stack
    pack, unpack = pair = stack.pop()
    try:
        return Packed(pack(t), unpack)
    finally:
        stack.append(pair)


def save_output(node: Node, out: Tensor, output_nr: int = 0) -> None:
    """Keep ``out`` for backward as array + version counter: no node -> output reference."""
    if saved_hooks.stack:
        node._out_saved = pack_saved(out)
        return
    vc = version_counter(out)
    node._out_saved = (out._data, vc, vc.value, output_nr)


def save_inputs(node: Node, values: tuple[Any, ...]) -> None:
    """Keep input tensors (or Python scalars) for backward, with their current versions.

    A tensor without a version counter yet is at version 0: the counter is made by the first
    in-place change (or view), which then reads 1 and is caught on unpacking.
    """
    if saved_hooks.stack:
        node._saved = tuple(pack_saved(v) if hasattr(v, "_vc") else v for v in values)
        node._saved_versions = None
        return
    node._saved = values
    versions = []
    for v in values:
        vc = getattr(v, "_vc", _NOT_A_TENSOR)
        versions.append(None if vc is _NOT_A_TENSOR else 0 if vc is None else vc.value)
    node._saved_versions = tuple(versions)


_NOT_A_TENSOR: Any = object()


class SavedIndex:
    """An index or mask a backward reads that is no input with an edge (gather's index,
    masked_fill's mask, sort's indices output): torch saves it as a tensor, so it is kept
    with the version of each tensor it came from (checked on every read, torch's error) and
    dropped with the node's other saved values (``Node._release``)."""

    __slots__ = ("value", "sources")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.sources: tuple[tuple[Any, int], ...] = ()

    def watch(self, tensors: tuple[Any, ...]) -> None:
        """Check these tensors' versions, as of now, on every read."""
        self.sources = tuple((t, 0 if t._vc is None else t._vc.value) for t in tensors)

    def arrays(self) -> list[np.ndarray]:
        """The arrays kept (an index array, those of a parsed key, a tuple's)."""
        v = self.value
        items = v if isinstance(v, tuple) else getattr(v, "adv", None) or (v,)
        return [a for a in items if isinstance(a, np.ndarray)]

    def read(self, node: Node) -> Any:
        for t, version in self.sources:
            vc = t._vc
            if (vc.value if vc is not None else 0) != version:
                raise _modified_error(t, version, node)
        return self.value


def _modified_error(t: Tensor, version: int, node: Node | None = None) -> RuntimeError:
    where = ""
    if t._grad_fn is not None:
        where = f", which is output {t._output_nr} of {_short_name(t._grad_fn)},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {_tensor_desc(t._data, t.dtype.name)}{where} is at version "
        f"{t._vc.value}; expected version {version} instead. Hint: enable anomaly detection "
        "to find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False)."
        + both_places(node, t._vc, version)
    )


def _modified_output_error(
    data: np.ndarray,
    node: Node,
    output_nr: int,
    now: int,
    version: int,
    vc: VersionCounter | None = None,
) -> RuntimeError:
    from .._dtype import from_numpy_dtype

    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {_tensor_desc(data, from_numpy_dtype(data.dtype).name)}, which "
        f"is output {output_nr} of {_short_name(node)}, is at version {now}; expected "
        f"version {version} instead. Hint: enable anomaly detection to find the operation "
        "that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
        + both_places(node, vc, version)
    )


def _short_name(node: Node) -> str:
    """torch names the op, not the node, here: ``MulBackward0`` -> ``Mul``."""
    name = node.name()
    cut = name.rfind("Backward")
    return name[:cut] if cut > 0 else name


class AccumulateGrad(Node):
    """The node of a leaf that requires grad: adds the gradient that reaches it into ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        init_node(self, (), ())
        self._seq = _next_acc_seq()
        self.variable = variable

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:  # pragma: no cover
        raise RuntimeError("AccumulateGrad is run by the engine")


def grad_accumulator(t: Tensor) -> AccumulateGrad:
    """The leaf's AccumulateGrad node: one per leaf while any graph uses it (weakly cached)."""
    ref = t._acc
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._acc = weakref.ref(acc)
    return acc


class saved_tensors_hooks:  # noqa: N801 - torch's name
    """Within this context, tensors saved for backward go through ``pack_hook`` and come
    back through ``unpack_hook`` when the backward reads them."""

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pair = (pack_hook, unpack_hook)

    def __enter__(self) -> saved_tensors_hooks:
        if saved_hooks.disabled is not None:
            raise RuntimeError(saved_hooks.disabled)
        saved_hooks.stack.append(self.pair)
        return self

    def __exit__(self, *exc: object) -> None:
        saved_hooks.stack.pop()


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - torch's name
    """Everything is on the CPU already: saved tensors are kept as they are."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__(lambda t: t, lambda t: t)


# torch.autograd.graph's other public names (kept in a module of their own)
from .graph_extras import (  # noqa: E402, F401
    GradientEdge,
    disable_saved_tensors_hooks,
    get_gradient_edge,
    increment_version,
    register_multi_grad_hook,
)
