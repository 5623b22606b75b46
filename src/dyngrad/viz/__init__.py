"""Pictures of the autograd graph: ``dyngrad.viz.graph(y)``.

>>> x = dyngrad.arange(4.0).requires_grad_()
>>> y = 2 * dyngrad.dot(x, x)
>>> print(dyngrad.viz.graph(y, params={"x": x, "y": y}).to_text())
y [] float32
└─ MulBackward0
   └─ [0] DotBackward0 → [] float32
      ├─ [0] x: leaf [4] float32 #1
      └─ [1] x #1 (repeated)

The same graph renders as DOT (:meth:`Graph.to_dot`), Mermaid (:meth:`Graph.to_mermaid`),
and, when Graphviz's ``dot`` program is installed, SVG or PNG (:meth:`Graph.render`); in
Jupyter the object shows itself as a picture.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._learner import caller_names, names_from
from .._tensor import Tensor
from ._model import Edge, GraphModel, Vertex, build
from ._render import (
    GraphvizNotFoundError,
    dot_program,
    run_dot,
    to_dot,
    to_mermaid,
)
from ._text import to_text

__all__ = ["graph", "Graph", "GraphvizNotFoundError", "Vertex", "Edge"]

Params = Mapping[str, Tensor] | Iterable[tuple[str, Tensor]]


class Graph:
    """A picture of the graph behind a tensor; see :func:`graph`."""

    def __init__(self, model: GraphModel) -> None:
        self.model = model

    @property
    def vertices(self) -> list[Vertex]:
        """The boxes, in depth-first order from the output (inputs in order)."""
        return self.model.vertices

    @property
    def edges(self) -> list[Edge]:
        """The arrows ``input -> op``, each op's inputs in order."""
        return self.model.edges

    def to_text(self, width: int = 80) -> str:
        """A plain-text tree (output at the top, inputs below), within ``width`` columns."""
        return to_text(self.model, width)

    def to_dot(self) -> str:
        """Graphviz DOT source."""
        return to_dot(self.model)

    def to_mermaid(self) -> str:
        """Mermaid flowchart source."""
        return to_mermaid(self.model)

    def to_svg(self) -> str:
        """The picture as SVG text (needs Graphviz's ``dot`` program)."""
        return run_dot(self.to_dot(), "svg").decode("utf-8")

    def render(self, path: str | os.PathLike[str], format: str | None = None) -> Path:
        """Write the picture to ``path`` as ``'svg'`` or ``'png'`` (default: from the file's
        suffix, else svg) with Graphviz's ``dot``; raises :class:`GraphvizNotFoundError`
        naming what to install when it is missing."""
        path = Path(path)
        fmt = format or (path.suffix.lstrip(".").lower() or "svg")
        if fmt not in ("svg", "png"):
            raise ValueError(f"format must be 'svg' or 'png', got {fmt!r}")
        path.write_bytes(run_dot(self.to_dot(), fmt))
        return path

    def to_graphviz(self) -> Any:
        """A ``graphviz.Source`` (the optional ``graphviz`` package: ``pip install
        'dyngrad[viz]'``), for its own rendering and display helpers."""
        try:
            import graphviz  # type: ignore[import-untyped, import-not-found, unused-ignore]
        except ImportError as exc:
            raise ImportError(
                "to_graphviz() needs the graphviz Python package: pip install 'dyngrad[viz]' "
                "(or pip install graphviz)"
            ) from exc
        return graphviz.Source(self.to_dot())

    def _repr_svg_(self) -> str | None:
        """Jupyter's picture; None without Graphviz, so Jupyter shows the text tree."""
        if dot_program() is None:
            return None
        return self.to_svg()

    def __repr__(self) -> str:
        return self.to_text()

    __str__ = __repr__


def graph(
    y: Tensor,
    params: Params | None = None,
    show_saved: bool = False,
    show_grads: bool = False,
    show_constants: bool = False,
) -> Graph:
    """The graph behind ``y``: one box per backward node, leaves with names, shapes and dtypes.

    Args:
        y: the tensor whose history to draw (usually the loss).
        params: names for tensors, a dict ``{"x": x}`` or pairs such as
            ``model.named_parameters()``. Naming a computed tensor labels the op that made
            it. Default: the caller's variables that hold tensors (pass ``{}`` for none).
        show_saved: also show what each op keeps for backward (shapes of saved tensors).
        show_grads: show the leaves' ``.grad`` (after a backward).
        show_constants: show inputs that get no gradient (numbers, detached tensors).
    """
    names = caller_names(1) if params is None else names_from(params)
    if not isinstance(y, Tensor):
        raise TypeError(f"graph() expects a Tensor, got {type(y).__name__}")
    return Graph(build(y, names, show_saved, show_grads, show_constants))
