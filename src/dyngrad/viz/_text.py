"""The graph as a plain-text tree for terminals (no dependencies), within 80 columns.

The tree starts at the output and lists each op's inputs below it, in input order
(``[0]``, ``[1]`` for ops with several inputs): the way backward walks. A box reached from
several places (``x`` in ``dot(x, x)``) is drawn once, tagged ``#1``, and later lines only
refer to it. Subtrees that would indent past the middle of the line continue in a section
of their own below, so deep graphs (loops) stay narrow.
"""

from __future__ import annotations

from collections import deque

from .._learner import fit
from ._model import Edge, GraphModel, Vertex

__all__ = ["to_text"]

_MAX_INDENT = 30


def _label(v: Vertex, tag: int | None) -> str:
    if v.kind == "op":
        text = v.title + (f" → {v.detail}" if v.detail else "")
    elif v.kind == "leaf":
        text = (f"{v.title}: " if v.title != "leaf" else "") + f"leaf {v.detail}"
        if v.grad is not None:
            text += f"  grad={v.grad}"
    elif v.kind == "constant":
        name = f"{v.title}: constant" if v.title != "constant" else "constant"
        text = f"{name} {v.detail} (no grad)" if v.detail else f"{name} (no grad)"
    else:  # output, tensor
        text = f"{v.title} {v.detail}"
    return text + (f" #{tag}" if tag is not None else "")


def _children(model: GraphModel, v: Vertex) -> list[Edge]:
    return [e for e in model.inputs_of(v) if e.src.kind != "saved"]


def to_text(model: GraphModel, width: int = 80) -> str:
    """Render ``model`` as a tree; every line fits ``width`` columns."""
    consumers: dict[str, int] = {}
    for e in model.edges:
        consumers[e.src.id] = consumers.get(e.src.id, 0) + 1
    children = {v.id: _children(model, v) for v in model.vertices}
    tags: dict[str, int] = {}
    done: set[str] = set()
    lines: list[str] = []
    sections = deque([model.root])

    def tag_for(v: Vertex) -> int:
        if v.id not in tags:
            tags[v.id] = len(tags) + 1
        return tags[v.id]

    while sections:
        start = sections.popleft()
        if lines:
            lines.append("")
        # (vertex, text before its label, prefix for its children, input index)
        stack: list[tuple[Vertex, str, str, int | None]] = [(start, "", "", None)]
        first = True
        while stack:
            v, head, prefix, index = stack.pop()
            slot = f"[{index}] " if index is not None else ""
            kids = children[v.id]
            if v.id in done and not first:
                short = v.title if v.kind != "leaf" or v.title != "leaf" else "leaf"
                lines.append(fit(f"{head}{slot}{short} #{tags[v.id]} (repeated)", width))
                continue
            shared = consumers.get(v.id, 0) > 1
            if not first and kids and len(prefix) > _MAX_INDENT:
                lines.append(fit(f"{head}{slot}{_label(v, tag_for(v))} (see below)", width))
                done.add(v.id)
                sections.append(v)
                continue
            tag = tag_for(v) if shared or v.id in tags else None
            suffix = " (continued)" if first and start is not model.root else ""
            lines.append(fit(f"{head}{slot}{_label(v, tag)}{suffix}", width))
            first = False
            done.add(v.id)
            bar = "│  " if kids else "   "
            for text in v.saved:
                lines.append(fit(f"{prefix}{bar}saved: {text}", width))
            for k in range(len(kids) - 1, -1, -1):
                last = k == len(kids) - 1
                edge = kids[k]
                stack.append(
                    (
                        edge.src,
                        prefix + ("└─ " if last else "├─ "),
                        prefix + ("   " if last else "│  "),
                        edge.index,
                    )
                )
    return "\n".join(lines)
