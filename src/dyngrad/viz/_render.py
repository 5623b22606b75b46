"""The graph as DOT (Graphviz) and Mermaid text, and as SVG/PNG through Graphviz's ``dot``."""

from __future__ import annotations

import os
import shutil
import subprocess

from ._model import GraphModel, Vertex

__all__ = ["to_dot", "to_mermaid", "run_dot", "GraphvizNotFoundError", "DOT_MISSING"]

# Box colours by kind: output green, ops grey, leaves blue, saved values orange.
_FILL = {
    "output": "#c8e6c9",
    "op": "#eeeeee",
    "leaf": "#bbdefb",
    "tensor": "#ffffff",
    "saved": "#ffe0b2",
    "constant": "#ffffff",
}

DOT_MISSING = (
    "Rendering a picture needs Graphviz's `dot` program, which is not on PATH. Install "
    "Graphviz (Debian/Ubuntu: `apt-get install graphviz`; macOS: `brew install graphviz`; "
    "conda: `conda install graphviz`; Windows: `winget install graphviz`). Without it, "
    ".to_text(), .to_dot() and .to_mermaid() still work."
)


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is needed and was not found."""


def _lines(v: Vertex) -> list[str]:
    lines = [v.title if v.kind != "constant" else f"{v.title} (no grad)"]
    if v.detail:
        lines.append(v.detail)
    if v.grad is not None:
        lines.append(f"grad={v.grad}")
    return lines


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(model: GraphModel) -> str:
    """Graphviz DOT source: leaves at the top, arrows in the direction values flow."""
    out = [
        "digraph dyngrad {",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for v in model.vertices:
        label = _dot_quote("\n".join(_lines(v))).replace("\n", "\\n")
        attrs = [f"label={label}", f'fillcolor="{_FILL[v.kind]}"']
        if v.kind in ("saved", "constant"):
            attrs.append('style="rounded,dashed,filled"')
        out.append(f"  {v.id} [{', '.join(attrs)}];")
    for e in model.edges:
        attrs = []
        if e.index is not None:
            attrs.append(f'label="{e.index}"')
        if e.style != "solid":
            attrs.append(f"style={e.style}")
        out.append(
            f"  {e.src.id} -> {e.dst.id}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";"
        )
    out.append("}")
    return "\n".join(out) + "\n"


def _mermaid_quote(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_mermaid(model: GraphModel) -> str:
    """Mermaid flowchart text (renders in GitHub and MkDocs Material pages)."""
    out = ["flowchart TB"]
    for v in model.vertices:
        label = "<br/>".join(_mermaid_quote(line) for line in _lines(v))
        out.append(f'  {v.id}["{label}"]')
    for e in model.edges:
        arrow = "-.->" if e.style != "solid" else "-->"
        label = f"|{e.index}|" if e.index is not None else ""
        out.append(f"  {e.src.id} {arrow}{label} {e.dst.id}")
    for kind, fill in _FILL.items():
        out.append(f"  classDef {kind} fill:{fill},stroke:#555")
    for kind in _FILL:
        ids = [v.id for v in model.vertices if v.kind == kind]
        if ids:
            out.append(f"  class {','.join(ids)} {kind}")
    return "\n".join(out) + "\n"


def dot_program() -> str | None:
    """Path of Graphviz's ``dot``, or None."""
    return shutil.which("dot")


def run_dot(source: str, fmt: str) -> bytes:
    """Run ``dot -T<fmt>`` on ``source``; raises :class:`GraphvizNotFoundError` without it."""
    dot = dot_program()
    if dot is None:
        raise GraphvizNotFoundError(DOT_MISSING)
    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    result = subprocess.run(
        [dot, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, env=env, timeout=60
    )
    if result.returncode != 0:
        raise RuntimeError(f"dot failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout
