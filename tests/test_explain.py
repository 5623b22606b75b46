"""dyngrad.explain / y.backward(explain=True): the backward pass, step by step."""

from __future__ import annotations

import io
import sys
import unicodedata
from types import ModuleType

import numpy as np
import pytest

import dyngrad as torch
from dyngrad._explain import local_rule
from dyngrad._learner import width
from dyngrad.autograd import engine


def run(y: torch.Tensor, *args: object, **kwargs: object) -> list[str]:
    """explain(y) as the calling test would write it (its variables name the tensors)."""
    out = io.StringIO()
    if "params" not in kwargs:
        caller = sys._getframe(1).f_locals
        kwargs["params"] = {k: v for k, v in caller.items() if isinstance(v, torch.Tensor)}
    torch.explain(y, *args, file=out, **kwargs)  # type: ignore[arg-type]
    return out.getvalue().splitlines()


def block(lines: list[str], title: str) -> list[str]:
    """The lines of the step whose title starts with ``title``."""
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def test_notes_example_step_by_step() -> None:
    x = torch.arange(4.0)
    x.requires_grad_(True)
    y = 2 * torch.dot(x, x)
    lines = run(y)
    assert lines[0] == "Backward pass from y = tensor(28., grad_fn=<MulBackward0>)"
    assert block(lines, "Step 1:") == [
        "Step 1: MulBackward0 (the node that made y)",
        "  rule: z = a · b;  ā = z̄ · b,  b̄ = z̄ · a.",
        "  arrives: z̄ = tensor(1.)",
        "  input 0 → DotBackward0: ā = z̄ · b = tensor(2.)",
        "  input 1: a constant (or a tensor that does not require grad): no gradient",
    ]
    assert block(lines, "Step 2:") == [
        "Step 2: DotBackward0",
        "  rule: z = Σ aᵢbᵢ;  ā = z̄·b,  b̄ = z̄·a.",
        "  arrives: z̄ = tensor(2.)",
        "  input 0 → x: ā = z̄·b = tensor([0., 2., 4., 6.])",
        "  input 1 → x: b̄ = z̄·a = tensor([0., 2., 4., 6.])",
    ]
    # x is reached along two edges: the engine sums them before .grad sees them
    assert block(lines, "Step 3:") == [
        "Step 3: AccumulateGrad of the leaf x [4] float32",
        "  arrives: the sum of the 2 gradients sent here",
        "      from step 2, input 0: tensor([0., 2., 4., 6.])",
        "    + from step 2, input 1: tensor([0., 2., 4., 6.])",
        "    = tensor([ 0.,  4.,  8., 12.])",
        "  x.grad was None, so now x.grad = tensor([ 0.,  4.,  8., 12.])",
    ]
    assert lines[-1] == "  x.grad = tensor([ 0.,  4.,  8., 12.])"
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 4.0, 8.0, 12.0])


def test_accumulation_why_is_x_grad_2_now() -> None:
    x = torch.arange(4.0).requires_grad_(True)
    y = x.sum()
    y.backward(retain_graph=True)
    out = io.StringIO()
    torch.explain(y, file=out)
    lines = out.getvalue().splitlines()
    step = block(lines, "Step 2:")
    assert step[0] == "Step 2: AccumulateGrad of the leaf x [4] float32"
    assert step[1] == "  arrives: tensor([1., 1., 1., 1.])"
    assert "x.grad already held a gradient. Gradients accumulate" in " ".join(step)
    assert step[-3:] == [
        "      old tensor([1., 1., 1., 1.])",
        "    + new tensor([1., 1., 1., 1.])",
        "    = x.grad tensor([2., 2., 2., 2.])",
    ]
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0, 2.0])


def test_backward_explain_keyword(capsys: pytest.CaptureFixture[str]) -> None:
    x = torch.arange(4.0).requires_grad_(True)
    y = x * x
    y.backward(torch.ones(4), explain=True)
    text = capsys.readouterr().out
    assert text.startswith(
        "Backward pass from y = tensor([0., 1., 4., 9.], grad_fn=<MulBackward0>)"
    )
    assert "It starts with the gradient given for y: tensor([1., 1., 1., 1.])." in text
    assert "    = tensor([0., 2., 4., 6.])" in text  # 2x, summed from the two edges
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 4.0, 6.0])


def test_same_gradients_as_backward(torch_ref: ModuleType) -> None:
    for lib, explained in ((torch, True), (torch_ref, False)):
        a = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        b = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        loss = ((a * b).exp().sum(0) / b).sum()
        if explained:
            run(loss)
            ours = (a.grad.numpy(), b.grad.numpy())
        else:
            loss.backward()
            theirs = (a.grad.numpy(), b.grad.numpy())
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


def test_broadcasting_reduction_is_shown() -> None:
    a = torch.ones(2, 3, requires_grad=True)
    b = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = (a * b).sum()
    lines = run(c)
    step = block(lines, "Step 2:")
    joined = "\n".join(step)
    assert "input 1 → b: b̄ = z̄ · a =" in joined
    words = " ".join(line.strip() for line in step)
    assert (
        "broadcasting: the gradient has shape [2, 3] but the input has shape [3], so it is "
        "summed over dim 0 → tensor([2., 2., 2.])" in words
    )
    assert step[-1] == "    → tensor([2., 2., 2.])"
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0, 2.0])
    # a keeps its shape: no reduction line for input 0
    assert joined.count("broadcasting") == 1


def test_detached_input_is_a_constant() -> None:
    x = torch.arange(4.0).requires_grad_(True)
    u = (x * x).detach()
    z = (u * x).sum()
    lines = run(z)
    mul = block(lines, "Step 2:")
    assert "  input 0: a constant (or a tensor that does not require grad): no gradient" in mul
    assert "  input 1 → x: b̄ = z̄ · a = tensor([0., 1., 4., 9.])" in mul
    np.testing.assert_array_equal(x.grad.numpy(), u.numpy())


def test_chinese() -> None:
    x = torch.arange(4.0).requires_grad_(True)
    y = x.sum()
    y.backward(retain_graph=True)
    lines = run(y, lang="zh")
    text = "".join(line.strip() for line in lines)
    assert lines[0] == "从 y = tensor(6., grad_fn=<SumBackward0>) 开始反向传播"
    assert "第 1 步：SumBackward0（计算出 y 的节点）" in lines
    assert "  传入梯度：ȳ = tensor(1.)" in lines
    assert "第 2 步：叶子节点 x [4] float32 的 AccumulateGrad" in lines
    assert "梯度默认会累计" in text and "手动清零" in text
    assert "      旧值 tensor([1., 1., 1., 1.])" in lines
    assert "    + 新值 tensor([1., 1., 1., 1.])" in lines
    assert "    = x.grad tensor([2., 2., 2., 2.])" in lines


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fits_80_columns(lang: str) -> None:
    w = torch.linspace(-3.0, 3.0, 200).reshape(10, 20).requires_grad_(True)
    v = torch.linspace(0.0, 1.0, 20).requires_grad_(True)
    loss = ((w * v).tanh() * 1234.5678).sum()
    lines = run(loss, lang=lang, params={"weights_with_a_long_name": w, "v": v})
    assert len(lines) > 20
    for line in lines:
        assert width(line) <= 80, line


def test_tracer_removed_even_on_error() -> None:
    x = torch.arange(3.0).requires_grad_(True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        run(y)
    assert engine.tracers == []


def test_invalid_language() -> None:
    x = torch.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="'en' or 'zh'"):
        torch.explain(x.sum(), lang="fr")
    assert engine.tracers == []


def test_local_rule_from_docstring() -> None:
    from dyngrad.ops.elementwise import MulBackward0

    line, rules = local_rule(MulBackward0)
    assert line == "z = a · b;  ā = z̄ · b,  b̄ = z̄ · a."
    assert rules == ["ā = z̄ · b", "b̄ = z̄ · a"]
    assert all(unicodedata.is_normalized("NFC", r) for r in rules)
