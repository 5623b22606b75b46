"""dyngrad.viz: the graph as a text tree, DOT, Mermaid, and SVG/PNG through Graphviz."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

import dyngrad as torch
from dyngrad import _tour, viz
from dyngrad.viz import _render

DOT_MISSING = "Graphviz's dot program is not installed (apt-get install graphviz)"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason=DOT_MISSING)


def notes_example() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.arange(4.0).requires_grad_(True)
    return x, 2 * torch.dot(x, x)


def dot_nodes(dot: str) -> dict[str, str]:
    """node id -> label lines joined by '|'."""
    return {
        m.group(1): m.group(2).replace("\\n", "|")
        for m in re.finditer(r'^\s+(n\d+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M)
    }


def dot_edges(dot: str) -> list[tuple[str, str, str | None]]:
    return [
        (m.group(1), m.group(2), m.group(3))
        for m in re.finditer(r'^\s+(n\d+) -> (n\d+)(?: \[label="(\d+)")?', dot, re.M)
    ]


def test_text_tree_of_the_notes_example() -> None:
    x, y = notes_example()
    text = viz.graph(y, params={"x": x, "y": y}).to_text()
    assert text == (
        "y [] float32\n"
        "└─ MulBackward0\n"
        "   └─ [0] DotBackward0 → [] float32\n"
        "      ├─ [0] x: leaf [4] float32 #1\n"
        "      └─ [1] x #1 (repeated)"
    )


def test_names_default_to_the_callers_variables() -> None:
    x, y = notes_example()
    picture = viz.graph(y)  # x and y are locals here
    assert picture.to_text().splitlines()[0] == "y [] float32"
    assert "x: leaf [4] float32" in picture.to_text()
    unnamed = viz.graph(y, params={})
    assert unnamed.to_text().splitlines()[0] == "output [] float32"
    assert "├─ [0] leaf [4] float32 #1" in unnamed.to_text()


def test_named_parameters_pairs_name_the_leaves() -> None:
    w = torch.ones(2, 3, requires_grad=True)
    b = torch.zeros(2, requires_grad=True)
    x = torch.ones(3)
    out = (torch.mv(w, x) + b).sum()
    picture = viz.graph(out, params=[("layer.weight", w), ("layer.bias", b)])
    text = picture.to_text()
    assert "layer.weight: leaf [2, 3] float32" in text
    assert "layer.bias: leaf [2] float32" in text


def test_dot_boxes_and_edges_in_input_order() -> None:
    x, y = notes_example()
    dot = viz.graph(y, params={"x": x, "y": y}).to_dot()
    assert dot.startswith("digraph dyngrad {")
    nodes = dot_nodes(dot)
    by_label = {label: node for node, label in nodes.items()}
    assert set(by_label) == {
        "y|[] float32",
        "MulBackward0",
        "DotBackward0|[] float32",
        "x|[4] float32",
    }
    out, mul, dot_node, leaf = (
        by_label[k]
        for k in ("y|[] float32", "MulBackward0", "DotBackward0|[] float32", "x|[4] float32")
    )
    # forward direction: input -> op -> output; x feeds dot twice, as input 0 then input 1
    assert dot_edges(dot) == [
        (mul, out, None),
        (dot_node, mul, "0"),
        (leaf, dot_node, "0"),
        (leaf, dot_node, "1"),
    ]


def test_mermaid() -> None:
    x, y = notes_example()
    text = viz.graph(y, params={"x": x, "y": y}).to_mermaid()
    lines = text.splitlines()
    assert lines[0] == "flowchart TB"
    assert '  n3["x<br/>[4] float32"]' in lines
    assert "  n3 -->|0| n2" in lines and "  n3 -->|1| n2" in lines
    assert lines.index("  n3 -->|0| n2") < lines.index("  n3 -->|1| n2")
    assert "  class n3 leaf" in lines


def test_show_grads_after_backward() -> None:
    x, y = notes_example()
    assert "grad=" not in viz.graph(y, params={"x": x}, show_grads=True).to_text()
    y.backward()
    text = viz.graph(y, params={"x": x}, show_grads=True).to_text()
    assert "x: leaf [4] float32  grad=tensor([ 0.,  4.,  8., 12.])" in text
    assert "grad=tensor([ 0.,  4.,  8., 12.])" in viz.graph(y, show_grads=True).to_dot()


def test_show_saved_and_freed() -> None:
    x = torch.arange(4.0).requires_grad_(True)
    y = x * x
    u = y.detach()
    z = (u * x).sum()
    text = viz.graph(z, params={"x": x, "u": u, "z": z}, show_saved=True).to_text()
    assert "saved: input 0 (u) [4] float32" in text
    # as torch, x is not kept: only x's own gradient is needed, and it reads u alone
    assert "input 1" not in text
    z.backward()
    after = viz.graph(z, params={"x": x}, show_saved=True).to_text()
    assert "saved: (freed by backward)" in after
    dot = viz.graph(z, show_saved=True).to_dot()
    assert "(freed by backward)" in dot and "style=dashed" in dot


def test_constants_are_named_when_saved() -> None:
    x = torch.arange(4.0).requires_grad_(True)
    u = (x * x).detach()
    z = u * x
    text = viz.graph(z, params={"x": x, "u": u, "z": z}, show_constants=True).to_text()
    assert text.splitlines() == [
        "z [4] float32",
        "└─ MulBackward0",
        "   ├─ [0] u: constant [4] float32 (no grad)",
        "   └─ [1] x: leaf [4] float32",
    ]
    x2, y2 = notes_example()
    assert "[1] constant 2 (no grad)" in viz.graph(y2, show_constants=True).to_text()
    assert "no grad" not in viz.graph(z, params={"x": x}).to_text()


def test_shared_subgraph_drawn_once() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    out = (h * h + h).sum()
    text = viz.graph(out, params={"x": x, "h": h, "out": out}).to_text()
    assert text.count("ExpBackward0 (h)") == 3  # drawn once, referred to twice
    assert text.count("(repeated)") == 2
    assert text.count("x: leaf") == 1
    first = next(line for line in text.splitlines() if "ExpBackward0 (h)" in line)
    assert first.endswith("#1") and "repeated" not in first


def test_deep_graph_stays_within_80_columns() -> None:
    a = torch.tensor(0.5, requires_grad=True)
    b = a
    for _ in range(3000):
        b = b * 1.0001
    text = viz.graph(b, params={"a": a}).to_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    deferred = sum("(see below)" in line for line in lines)
    assert deferred > 10 and lines.count("") == deferred  # one section per deferral
    # every node once, plus the heading of each continued section
    assert sum("MulBackward0" in line for line in lines) == 3000 + deferred
    assert "a: leaf [] float32" in lines[-1]


def test_leaf_and_plain_tensors() -> None:
    x = torch.ones(2, requires_grad=True)
    assert viz.graph(x, params={"x": x}).to_text() == "x: leaf [2] float32"
    c = torch.ones(3, dtype=torch.float64)
    assert viz.graph(c, params={"c": c}).to_text() == "c [3] float64 (no graph)"
    with pytest.raises(TypeError):
        viz.graph([1, 2])  # type: ignore[arg-type]


def test_multi_output_node_edges_name_output() -> None:
    x = torch.tensor([[3.0, 1.0], [2.0, 5.0]], requires_grad=True)
    values, _ = x.max(dim=1)
    picture = viz.graph(values.sum(), params={"x": x})
    assert "MaxBackward0" in picture.to_text()
    assert "x: leaf [2, 2] float32" in picture.to_text()


def test_render_without_dot_names_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(_render.shutil, "which", lambda name: None)
    x, y = notes_example()
    picture = viz.graph(y)
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        picture.render(tmp_path / "g.svg")
    assert picture._repr_svg_() is None
    assert "MulBackward0" in repr(picture)  # Jupyter falls back to the text tree


def test_render_rejects_unknown_format(tmp_path: Path) -> None:
    x, y = notes_example()
    with pytest.raises(ValueError, match="'svg' or 'png'"):
        viz.graph(y).render(tmp_path / "g.pdf")


@needs_dot
def test_render_svg_and_png(tmp_path: Path) -> None:
    x, y = notes_example()
    picture = viz.graph(y, params={"x": x, "y": y})
    svg_path = picture.render(tmp_path / "graph.svg")
    svg = svg_path.read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in ("MulBackward0", "DotBackward0", "[4] float32"):
        assert text in svg
    assert svg.count('class="edge"') == 4
    png = picture.render(tmp_path / "graph.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in (picture._repr_svg_() or "")


def test_to_graphviz_source() -> None:
    graphviz = pytest.importorskip(
        "graphviz", reason="the optional graphviz package is not installed"
    )
    x, y = notes_example()
    source = viz.graph(y).to_graphviz()
    assert isinstance(source, graphviz.Source)
    assert "DotBackward0" in source.source


def test_tour_shows_graphs_and_writes_svgs(tmp_path: Path) -> None:
    outputs = {}
    for lang in ("en", "zh"):
        out = io.StringIO()
        _tour.run_tour(lang, out=out, graphs_dir=str(tmp_path))
        outputs[lang] = out.getvalue()
    text = outputs["en"]
    assert "  y [] float32\n  └─ MulBackward0\n     └─ [0] DotBackward0 → [] float32" in text
    assert "     ├─ [0] u: constant [4] float32 (no grad)" in text
    steps_with_graphs = sum(1 for s in _tour.SECTIONS for step in s.steps if step.graph)
    assert text.count("  svg: ") == steps_with_graphs
    tree = [line for line in text.splitlines() if line.startswith("  ")]
    assert tree == [line for line in outputs["zh"].splitlines() if line.startswith("  ")]
    if shutil.which("dot"):
        written = sorted(p.name for p in tmp_path.glob("*.svg"))
        assert len(written) == steps_with_graphs
        assert "1-4-y.svg" in written
        assert f"  svg: {tmp_path / '1-4-y.svg'}" in text
    else:
        assert "svg: not written (install Graphviz" in text
