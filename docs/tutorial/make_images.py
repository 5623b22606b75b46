"""Draw the graph of each tutorial section with dyngrad.viz into docs/tutorial/img/.

Run from the repository root after changing the tutorial's examples (needs Graphviz's `dot`):

    .venv/bin/python docs/tutorial/make_images.py

tests/test_tutorial.py checks that the committed pictures show what this script draws.
"""

from __future__ import annotations

import sys
from pathlib import Path

import dyngrad as torch
from dyngrad import viz

IMG = Path(__file__).resolve().parent / "img"


def f(a: torch.Tensor) -> torch.Tensor:
    """The control-flow function of the notes, section 4."""
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def pictures() -> dict[str, viz.Graph]:
    """File name -> picture, one or two per section, built as the tutorial builds them."""
    out: dict[str, viz.Graph] = {}
    # 1: y = 2 xᵀx, then (after backward) the same graph with x.grad
    x = torch.arange(4.0).requires_grad_(True)
    y = 2 * torch.dot(x, x)
    out["1-dot.svg"] = viz.graph(y, params={"x": x, "y": y}, show_constants=True)
    y.backward()
    out["1-dot-grad.svg"] = viz.graph(y, params={"x": x, "y": y}, show_grads=True)
    x.grad.zero_()
    y = x.sum()
    out["1-sum.svg"] = viz.graph(y, params={"x": x, "y": y})
    # 2: a vector y, summed
    y = x * x
    out["2-vector.svg"] = viz.graph(y.sum(), params={"x": x, "y": y})
    # 3: detach: u is a constant for autograd
    y = x * x
    u = y.detach()
    z = u * x
    out["3-detach.svg"] = viz.graph(z.sum(), params={"x": x, "u": u, "z": z}, show_constants=True)
    # 4: the graph that Python control flow built
    torch.manual_seed(0)
    a = torch.randn(size=(), requires_grad=True)
    d = f(a)
    out["4-control-flow.svg"] = viz.graph(d, params={"a": a, "d": d})
    return out


def main(folder: Path = IMG) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [picture.render(folder / name) for name, picture in pictures().items()]


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else IMG):
        print(path)
