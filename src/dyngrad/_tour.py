"""`python -m dyngrad tour`: the autograd notes, replayed step by step.

The steps follow the seed notes ("自动求导 代码实现"): a scalar y and backward, gradient
accumulation and zero_(), a vector y, detach(), and gradients through Python control flow.
Each statement really runs (in a namespace where `torch` is dyngrad) and is echoed the way the
Python REPL shows it: `>>> ` before the input, the repr of an expression's value after it
(nothing for None or for an assignment). One short line then says what happened in the graph.
"""

from __future__ import annotations

import ast
import os
import sys
import tempfile
import textwrap
from types import ModuleType
from typing import NamedTuple, TextIO


class Step(NamedTuple):
    code: str  # one or more REPL inputs, run in order
    en: str
    zh: str
    graph: str = ""  # a variable whose graph is drawn after the step (text tree and SVG)
    constants: bool = False  # draw the inputs that get no gradient too


class Section(NamedTuple):
    en: str
    zh: str
    steps: tuple[Step, ...]


F_SOURCE = textwrap.dedent(
    """\
    def f(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        if b.sum() > 0:
            c = b
        else:
            c = 100 * b
        return c
    """
)

SECTIONS: tuple[Section, ...] = (
    Section(
        "1. y is a scalar",
        "1 y 是标量",
        (
            Step(
                "x = torch.arange(4.0)\nx",
                "x is a leaf: made by the user, not by an op, so it has no grad_fn.",
                "x 是叶子节点：由用户直接创建，不是运算的结果，所以没有 grad_fn。",
            ),
            Step(
                "x.requires_grad_(True)",
                "Autograd is now on for x: every op on x will be recorded in the graph.",
                "开启自动微分：之后对 x 的每个运算都会被记录到计算图中。",
            ),
            Step(
                "x.grad is None",
                "x.grad is where backward will put dy/dx; until then it is None.",
                "x.grad 用来存放反向传播算出的梯度，在此之前默认是 None。",
            ),
            Step(
                "y = 2 * torch.dot(x, x)\ny",
                "The forward pass built the graph: y records MulBackward0, whose input "
                "DotBackward0 leads back to x's AccumulateGrad.",
                "前向传播时计算图已经建好：y 的 grad_fn 是 MulBackward0，"
                "它经过 DotBackward0 连回 x 的 AccumulateGrad。",
                graph="y",
            ),
            Step(
                "y.backward()\nx.grad, y",
                "backward() walked the graph from y back to the leaf x and stored dy/dx in x.grad.",
                "backward() 沿计算图从 y 反向传播到叶子 x，把 dy/dx 存入 x.grad。",
                graph="y",
            ),
            Step(
                "x.grad == 4 * x",
                "Checks out by hand: y = 2·xᵀx, so dy/dx = 4x.",
                "手算验证：y = 2xᵀx，对 x 求导正是 4x。",
            ),
            Step(
                "x.grad.zero_()\ny = x.sum()\ny",
                "Gradients accumulate, so x.grad is zeroed before a new one; the new y "
                "records SumBackward0.",
                "梯度默认会累计，求新的梯度前先用 zero_() 手动清零；新的 y 记录的是 SumBackward0。",
                graph="y",
            ),
            Step(
                "y.backward()\nx.grad",
                "y = x1 + x2 + x3 + x4: each component's derivative is 1.",
                "y = x1 + x2 + x3 + x4，对每个分量的导数都是 1。",
            ),
            Step(
                "y.backward()\nx.grad",
                "A second backward adds into x.grad instead of overwriting it: gradient "
                "accumulation.",
                "再做一次反向传播，新梯度加到 x.grad 上而不是覆盖它：这就是梯度累计。",
            ),
        ),
    ),
    Section(
        "2. y is a vector",
        "2 y 是向量",
        (
            Step(
                "x.grad.zero_()\ny = x * x\ny, x",
                "y is a vector now; its derivative would be a Jacobian matrix, so it is "
                "usually summed to a scalar first.",
                "现在 y 是向量，它对 x 的导数是矩阵；深度学习里一般先求和成标量再求导。",
                graph="y",
            ),
            Step(
                "y.sum().backward()\nx.grad",
                "SumBackward0 sends ones back to MulBackward0, which gives d(Σ x²)/dx = 2x.",
                "SumBackward0 把全 1 传回 MulBackward0，得到 y = x1² + x2² + ... 的梯度 2x。",
            ),
            Step(
                "x.grad.zero_()\ny = x * x\ny.backward(torch.ones(len(x)))\nx.grad",
                "The same gradient: backward(v) takes the product of v with the Jacobian, "
                "and v = ones is the sum.",
                "等价写法：y.backward(v) 求 v 与雅可比矩阵的乘积，v 取全 1 向量就等于先求和。",
            ),
        ),
    ),
    Section(
        "3. Detaching a computation",
        "3 分离计算",
        (
            Step(
                "x.grad.zero_()\ny = x * x\nx, y",
                "A fresh y = x * x, still in x's graph.",
                "重新计算 y = x * x，它仍在 x 的计算图里。",
            ),
            Step(
                "u = y.detach()\nz = u * x\nu, z",
                "detach() gives the same values cut off from the graph: u is a constant, so "
                "z's only path back leads to x.",
                "detach() 得到数值相同、但不在计算图里的 u，被当作常数；z 只有一条路连回 x。",
                graph="z",
                constants=True,
            ),
            Step(
                "z.sum().backward()\nx.grad == u",
                "dz/dx = u: u counted as a constant, not as x * x.",
                "z 对 x 求导得到 u：u 被当成常数，而不是 x * x。",
            ),
            Step(
                "x.grad.zero_()\ny.sum().backward()\nx.grad == 2 * x",
                "y itself never left the graph, so it still differentiates to 2x.",
                "y 本身还在计算图里、仍是 x 的函数，所以对 x 求导还是 2x。",
            ),
        ),
    ),
    Section(
        "4. Gradients through Python control flow",
        "4 Python 控制流的梯度计算",
        (
            Step(
                F_SOURCE,
                "A plain Python function: how often the while loop runs and which if branch "
                "is taken depend on the data.",
                "一个普通的 Python 函数：while 循环的次数和 if 走哪个分支都取决于数据。",
            ),
            Step(
                "_ = torch.manual_seed(0)\na = torch.randn(size=(), requires_grad=True)\na",
                "A random scalar leaf with autograd on; the fixed seed makes every run the same.",
                "一个开启了自动微分的随机标量；固定随机种子，每次运行结果都相同。",
            ),
            Step(
                "d = f(a)\nd",
                "The graph grew while f ran: one MulBackward0 per loop pass, and only the "
                "branch actually taken.",
                "计算图在 f 执行时逐步构建（隐式构造）：每循环一次添加一个 MulBackward0，"
                "只记录实际走过的分支。",
                graph="d",
            ),
            Step(
                "d.backward()\na.grad, a.grad == d / a",
                "Along the path taken, d = k·a for a constant k, so the gradient is k = d / a.",
                "沿实际走过的路径，d = k·a（k 是常数），所以反向传播得到的梯度就是 k = d / a。",
            ),
            Step(
                "a = torch.tensor(-0.3, requires_grad=True)\nd = f(a)\nd.backward()\n"
                "a.grad, a.grad == d / a",
                "A negative a loops a different number of times and takes the else branch: "
                "a new graph, and its own gradient.",
                "负的 a 循环次数不同，还走了 else 分支：每次调用都构建新的计算图，梯度随之不同。",
                graph="d",
            ),
        ),
    ),
)

TITLE = {
    "en": "dyngrad tour: the autograd notes, step by step",
    "zh": "dyngrad 导览：逐步重现自动求导笔记",
}


def _inputs(code: str) -> list[tuple[str, ast.stmt]]:
    """Split a step's code into REPL inputs: (source text, parsed statement)."""
    tree = ast.parse(code)
    return [(ast.get_source_segment(code, node) or "", node) for node in tree.body]


def _prompt(source: str) -> str:
    """The input as the REPL shows it; a compound statement ends with an empty `...` line."""
    lines = source.splitlines()
    shown = [">>> " + lines[0]] + ["... " + line for line in lines[1:]]
    if len(lines) > 1:
        shown.append("...")
    return "\n".join(shown)


def _run(node: ast.stmt, namespace: dict[str, object]) -> object:
    """Run one statement; return an expression's value (the REPL echoes it), else None."""
    if isinstance(node, ast.Expr):
        return eval(compile(ast.Expression(node.value), "<tour>", "eval"), namespace)
    exec(compile(ast.Module([node], type_ignores=[]), "<tour>", "exec"), namespace)
    return None


def default_graphs_dir() -> str:
    """Where `python -m dyngrad tour` writes its SVG pictures unless told otherwise."""
    return os.path.join(tempfile.gettempdir(), "dyngrad-tour-graphs")


def _show_graph(
    step: Step, namespace: dict[str, object], where: str, graphs_dir: str, out: TextIO
) -> None:
    """The graph of `name` as an indented text tree, and its SVG written to `graphs_dir`."""
    from dyngrad import viz
    from dyngrad.viz import GraphvizNotFoundError

    value = namespace[step.graph]
    params = {k: v for k, v in namespace.items() if isinstance(v, viz.Tensor)}
    picture = viz.graph(
        value,  # type: ignore[arg-type]
        params=params,
        show_grads=True,
        show_constants=step.constants,
    )
    for line in picture.to_text(width=78).splitlines():
        print(("  " + line).rstrip(), file=out)
    path = os.path.join(graphs_dir, f"{where}-{step.graph}.svg")
    try:
        os.makedirs(graphs_dir, exist_ok=True)
        picture.render(path)
        print(f"  svg: {path}", file=out)
    except GraphvizNotFoundError:
        print(
            "  svg: not written (install Graphviz for pictures: apt-get install graphviz)", file=out
        )


def run_tour(
    lang: str = "en",
    module: ModuleType | None = None,
    out: TextIO | None = None,
    graphs_dir: str | None = None,
) -> None:
    """Replay every step with `torch` bound to `module` (dyngrad unless given) and print it.

    With `graphs_dir` (dyngrad only), the steps that build a graph also print it as a text
    tree and write it as an SVG file into that folder (the tree lines are the same in both
    languages)."""
    if module is None:
        import dyngrad

        module = dyngrad
    if out is None:
        out = sys.stdout
    namespace: dict[str, object] = {"torch": module}
    print(TITLE[lang], file=out)
    for s, section in enumerate(SECTIONS, 1):
        print(f"\n== {getattr(section, lang)} ==", file=out)
        for k, step in enumerate(section.steps, 1):
            print(file=out)
            for source, node in _inputs(step.code):
                print(_prompt(source), file=out)
                value = _run(node, namespace)
                if value is not None:
                    print(repr(value), file=out)
            print(f"# {getattr(step, lang)}", file=out)
            if step.graph and graphs_dir is not None:
                _show_graph(step, namespace, f"{s}-{k}", graphs_dir, out)
