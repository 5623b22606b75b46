"""The picture's content: boxes (vertices) and arrows (edges) for the graph behind a tensor.

Built once by :func:`build`; the renderers (text tree, DOT, Mermaid) only lay it out.
Arrows point the way values flow in the forward pass (input -> op -> output), and each op's
incoming arrows are listed in its input order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._learner import TensorNames, shape_text, tensor_text
from .._tensor import Tensor
from ..autograd.graph import AccumulateGrad, Node
from ..autograd.graph_summary import reachable_nodes, saved_arrays

__all__ = ["Vertex", "Edge", "GraphModel", "build"]


@dataclass
class Vertex:
    """One box. ``kind``: 'output', 'op', 'leaf', 'tensor' (no graph), 'saved', 'constant'."""

    id: str
    kind: str
    title: str
    detail: str = ""  # shape and dtype, "[4] float32"
    grad: str | None = None  # the leaf's .grad, when show_grads
    saved: list[str] = field(default_factory=list)  # what an op keeps for backward
    node: Node | None = None


@dataclass
class Edge:
    """An arrow ``src -> dst`` (forward direction): ``src`` is input ``index`` of ``dst``."""

    src: Vertex
    dst: Vertex
    index: int | None  # the input position, shown when the op has several inputs
    style: str = "solid"  # 'dashed' for saved values and constants


@dataclass
class GraphModel:
    vertices: list[Vertex]
    edges: list[Edge]
    root: Vertex

    def inputs_of(self, v: Vertex) -> list[Edge]:
        """The arrows into ``v``, in input order."""
        return [e for e in self.edges if e.dst is v]


def _dtype_name(np_dtype: Any) -> str:
    return str(np_dtype)


def _detail(shape: tuple[int, ...], np_dtype: Any) -> str:
    return f"{shape_text(shape)} {_dtype_name(np_dtype)}"


def _saved_text(what: str, value: Any) -> str:
    data = getattr(value, "_data", value)
    if hasattr(data, "shape") and hasattr(data, "dtype"):
        return f"{what} {_detail(tuple(data.shape), data.dtype)}"
    return f"{what} = {value!r}"


def _constant(new: Any, node: Node, i: int, names: TensorNames) -> Vertex:
    """The box for input ``i`` that gets no gradient: named and sized when the node saved
    it (``u`` in ``u * x``; the ``2`` in ``2 * y``), else generic."""
    value: Any = _NOTHING
    save = getattr(type(node), "save", None)
    saved = getattr(node, "_saved", ()) or ()
    if isinstance(save, tuple) and i in save and save.index(i) < len(saved):
        value = saved[save.index(i)]
    if isinstance(value, Tensor):
        name = names.of(value)
        return new(
            "constant", name or "constant", detail=_detail(value._data.shape, value._data.dtype)
        )
    if isinstance(value, (int, float, bool)):
        return new("constant", "constant", detail=repr(value))
    return new("constant", "constant")


_NOTHING = object()


def build(
    y: Tensor,
    names: TensorNames,
    show_saved: bool = False,
    show_grads: bool = False,
    show_constants: bool = False,
) -> GraphModel:
    """The boxes and arrows for the graph behind ``y``."""
    vertices: list[Vertex] = []
    edges: list[Edge] = []

    def new(kind: str, title: str, **kw: Any) -> Vertex:
        v = Vertex(f"n{len(vertices)}", kind, title, **kw)
        vertices.append(v)
        return v

    def grad_text(t: Tensor) -> str | None:
        g = t._grad
        return None if g is None or not show_grads else tensor_text(g, 50, one_line=True)

    root_fn = y.grad_fn
    y_name = names.of(y)
    if root_fn is None:
        kind = "leaf" if y.requires_grad else "tensor"
        title = y_name or ("leaf" if y.requires_grad else "tensor")
        v = new(kind, title, detail=_detail(y._data.shape, y._data.dtype), grad=grad_text(y))
        if kind == "tensor":
            v.detail += " (no graph)"
        return GraphModel(vertices, edges, v)

    root = new("output", y_name or "output", detail=_detail(y._data.shape, y._data.dtype))
    nodes = reachable_nodes([root_fn])
    # Each op's output shape, as its consumers recorded it (the input metadata of an edge).
    out_meta: dict[Node, Any] = {root_fn: (y._data.shape, y._data.dtype)}
    for node in nodes:
        for (nxt, _), meta in zip(node.next_functions, node._in_meta or ()):
            if nxt is not None and meta is not None and nxt.n_outputs == 1:
                out_meta.setdefault(nxt, meta)

    by_node: dict[Node, Vertex] = {}
    for node in nodes:
        if node.__class__ is AccumulateGrad:
            var = node.variable  # type: ignore[attr-defined]
            v = new(
                "leaf",
                names.of(var) or "leaf",
                detail=_detail(var._data.shape, var._data.dtype),
                grad=grad_text(var),
                node=node,
            )
        else:
            title = node.name()
            own = names.of_output(node, 0) if node is not root_fn else None
            if own:
                title += f" ({own})"
            meta = out_meta.get(node) if node is not root_fn else None
            v = new("op", title, detail=_detail(*meta) if meta else "", node=node)
            if show_saved:
                if getattr(node, "_released", False):
                    v.saved.append("(freed by backward)")
                for what, value in saved_arrays(node):
                    label = names.of(value) if isinstance(value, Tensor) else None
                    v.saved.append(_saved_text(f"{what} ({label})" if label else what, value))
        by_node[node] = v

    edges.append(Edge(by_node[root_fn], root, None))
    for node in nodes:
        consumer = by_node[node]
        n_inputs = len(node.next_functions)
        for i, (nxt, _) in enumerate(node.next_functions):
            index = i if n_inputs > 1 else None
            if nxt is None:
                if show_constants:
                    edges.append(Edge(_constant(new, node, i, names), consumer, index, "dashed"))
                continue
            edges.append(Edge(by_node[nxt], consumer, index))
    if show_saved:
        for v in list(vertices):
            if v.kind == "op":
                for text in v.saved:
                    edges.append(Edge(new("saved", text), v, None, "dashed"))
    return GraphModel(vertices, edges, root)
