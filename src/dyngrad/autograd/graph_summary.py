"""Graph guard: how big is the graph behind a tensor, and a warning for graphs that pile up.

:func:`graph_summary` counts what ``y.backward()`` would walk: nodes, depth, leaves, and the
bytes of the values kept for backward.

The accumulation guard catches the classic leak of training loops::

    running_loss = 0.0
    for batch in data:
        loss = model_loss(batch)
        loss.backward()
        running_loss += loss          # keeps this iteration's whole graph alive

Heuristic (documented in the tutorial): the registry calls :func:`check_accumulation` for an
in-place op on a **0-d** tensor that already had a graph (``running_loss += loss`` from the
second iteration on; the normal path of other ops never gets here, so it costs nothing
there). It warns, once per process, naming the line, when the tensor has been accumulated
into at least twice and the graph being added (or the one added the time before) has
already been through a backward pass: a graph that can never be backpropagated again is
being kept alive only to be summed. Not detected: the out-of-place form
``running_loss = running_loss + loss`` (it goes through the ordinary op path).
"""

from __future__ import annotations

import warnings
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .graph import AccumulateGrad, Node, Packed, SavedIndex
from .sites import site_line, source_text, user_site

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = ["GraphSummary", "graph_summary", "check_accumulation", "reachable_nodes"]


@dataclass(frozen=True)
class GraphSummary:
    """What ``graph_summary(y)`` found behind ``y``."""

    nodes: int  # backward nodes (grad_fn objects); leaves are not counted here
    depth: int  # backward nodes on the longest path from y down to a leaf
    saved_bytes: int  # bytes of the arrays kept for backward (each array counted once)
    leaves: tuple[Tensor, ...]  # the leaves whose .grad a backward from y would fill
    freed: bool  # whether a backward already freed saved values (without retain_graph)

    def __str__(self) -> str:
        leaves = len(self.leaves)
        text = (
            f"{self.nodes} node{'s' * (self.nodes != 1)}, depth {self.depth}, "
            f"{leaves} lea{'ves' if leaves != 1 else 'f'}, {_bytes(self.saved_bytes)} saved "
            "for backward"
        )
        return text + (" (some freed by a backward)" if self.freed else "")


def _bytes(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"  # pragma: no cover


def reachable_nodes(roots: list[Node]) -> list[Node]:
    """Every node reachable from ``roots`` (AccumulateGrad included), each once, in
    depth-first order following inputs in order (iterative: deep graphs are fine)."""
    seen: set[Node] = set()
    order: list[Node] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        for nxt, _ in reversed(node.next_functions):
            if nxt is not None and nxt not in seen:
                stack.append(nxt)
    return order


def saved_arrays(node: Node) -> list[tuple[str, Any]]:
    """(what, value) for each value the node keeps for backward: saved inputs (tensors or
    Python scalars), its saved output and arrays the op kept as attributes (arrays)."""
    out: list[tuple[str, Any]] = []
    save_index = getattr(type(node), "save", None)
    for k, value in enumerate(getattr(node, "_saved", ()) or ()):
        if value is None:  # a slot no gradient needed (``OpNode.save_for``): nothing kept
            continue
        label = (
            f"input {save_index[k]}"
            if isinstance(save_index, tuple) and k < len(save_index)
            else f"saved {k}"
        )
        if value.__class__ is Packed:
            value = value.packed
        elif isinstance(value, tuple):  # a custom Function's saved output
            value = value[0]
        out.append((label, value))
    saved_out = getattr(node, "_out_saved", None)
    if isinstance(saved_out, tuple):
        out.append(("output", saved_out[0]))
    for name, value in (node.__dict__ if hasattr(node, "__dict__") else {}).items():
        if isinstance(value, np.ndarray):
            out.append((name.lstrip("_"), value))
        elif value.__class__ is SavedIndex:  # an index or mask (ops/indexing_saved.py)
            out.extend((name.lstrip("_"), a) for a in value.arrays())
    return out


def graph_summary(y: Tensor) -> GraphSummary:
    """Size of the graph behind ``y``: node count, depth, leaves and saved bytes.

    >>> x = dyngrad.arange(4.0).requires_grad_()
    >>> print(dyngrad.autograd.graph_summary(2 * dyngrad.dot(x, x)))
    2 nodes, depth 2, 1 leaf, 20 bytes saved for backward
    """
    root = y.grad_fn
    if root is None:
        return GraphSummary(0, 0, 0, (y,) if y.requires_grad else (), False)
    nodes = reachable_nodes([root])
    ops = [n for n in nodes if n.__class__ is not AccumulateGrad]
    leaves = tuple(n.variable for n in nodes if n.__class__ is AccumulateGrad)  # type: ignore[attr-defined]
    # Longest path: consumers are created after their inputs, so decreasing creation order
    # is a topological order.
    depth = {root: 1}
    for node in sorted(ops, key=lambda n: -n._seq):
        d = depth.get(node, 1)
        for nxt, _ in node.next_functions:
            if (
                nxt is not None
                and nxt.__class__ is not AccumulateGrad
                and depth.get(nxt, 0) < d + 1
            ):
                depth[nxt] = d + 1
    arrays: dict[int, int] = {}
    for node in ops:
        for _, value in saved_arrays(node):
            value = getattr(value, "_data", value)
            if isinstance(value, np.ndarray):
                arrays[id(value)] = value.nbytes
    freed = any(getattr(n, "_released", False) for n in ops)
    return GraphSummary(len(ops), max(depth.values()), sum(arrays.values()), leaves, freed)


# --- the accumulation guard -----------------------------------------------------------

_warned = False
_LOOKAHEAD = 32  # nodes examined at the top of a graph to see whether backward ran on it

ACCUMULATION_WARNING = (
    "`{text}` ({where}) keeps the autograd graph of every iteration alive: the tensor it "
    "accumulates into is 0-d and carries a graph (grad_fn=AddBackward0), and the graphs it "
    "sums have already been backpropagated, so each iteration links one more dead graph "
    "into it (memory grows with every iteration). Accumulate the value instead: `{fix}` "
    "(or add .detach()). See dyngrad.autograd.graph_summary."
)


def _backpropagated(node: Node | None) -> bool:
    """Whether a backward pass already ran through the top of ``node``'s graph (it freed
    saved values there)."""
    if node is None:
        return False
    todo = deque([node])
    seen = 0
    while todo and seen < _LOOKAHEAD:
        n = todo.popleft()
        seen += 1
        if getattr(n, "_released", False):
            return True
        todo.extend(nxt for nxt, _ in n.next_functions if nxt is not None)
    return False


def check_accumulation(node: Node) -> None:
    """Called for an in-place op on a 0-d tensor that already had a graph (see the module
    docstring). ``node`` is the op's new node; its input 0 is the tensor's old history."""
    global _warned
    if _warned or type(node).__name__ != "AddBackward0" or len(node.next_functions) < 2:
        return
    prev = node.next_functions[0][0]
    same_kind = prev is not None and type(prev) is type(node)
    count = 1 + (prev.__dict__.get("_accumulations", 0) if same_kind else 0)  # type: ignore[union-attr]
    node.__dict__["_accumulations"] = count
    if count < 2:
        return
    dead = _backpropagated(node.next_functions[1][0]) or (
        same_kind and _backpropagated(prev.next_functions[1][0])  # type: ignore[union-attr]
    )
    if not dead:
        return
    _warned = True
    site = user_site(1)
    if site is None:
        filename, lineno, where = "<unknown>", 0, "dyngrad"
    else:
        filename, lineno = site[0].co_filename, site_line(site) or 0
        where = f"{filename}:{lineno}"
    text = source_text(site) or "total += loss"
    target, _, added = text.partition("+=")
    fix = f"{target.strip()} += {added.strip()}.item()" if added.strip() else "total += loss.item()"
    warnings.warn_explicit(
        ACCUMULATION_WARNING.format(where=where, text=text, fix=fix), UserWarning, filename, lineno
    )
