"""Custom autograd Functions against torch: ctx API, setup_context form, node names,
non-differentiable outputs, mark_dirty, materialize_grads, once_differentiable."""

from __future__ import annotations

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")


def make_functions(m):  # type: ignore[no-untyped-def]
    """The same Function definitions against either module."""
    F = m.autograd.Function

    class MyExp(F):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            (y,) = ctx.saved_tensors
            return g * y

    class ScaledMul(F):
        @staticmethod
        def forward(x, w, scale):  # type: ignore[no-untyped-def]
            return x * w * scale

        @staticmethod
        def setup_context(ctx, inputs, output):  # type: ignore[no-untyped-def]
            x, w, scale = inputs
            ctx.save_for_backward(x, w)
            ctx.scale = scale

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            x, w = ctx.saved_tensors
            gx = g * w * ctx.scale if ctx.needs_input_grad[0] else None
            gw = g * x * ctx.scale if ctx.needs_input_grad[1] else None
            return gx, gw, None

    class SortWithIndex(F):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            order = m.tensor(np.argsort(x.detach().numpy(), kind="stable"))
            ctx.mark_non_differentiable(order)
            ctx.save_for_backward(order)
            return x[order], order

        @staticmethod
        def backward(ctx, g, g_idx):  # type: ignore[no-untyped-def]
            (order,) = ctx.saved_tensors
            out = m.zeros_like(g)
            out[order] = g
            return out

    class Halve_(F):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            x.mul_(0.5)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            return g * 0.5

    class TwoOut(F):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):  # type: ignore[no-untyped-def]
            ctx.seen = (g1 is None, g2 is None)
            total = 0
            if g1 is not None:
                total = total + g1 * 2
            if g2 is not None:
                total = total + g2 * 3
            return total

    class Cube(F):
        @staticmethod
        def forward(ctx, x):  # type: ignore[no-untyped-def]
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        @m.autograd.function.once_differentiable
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            (x,) = ctx.saved_tensors
            return g * 3 * x**2

    return MyExp, ScaledMul, SortWithIndex, Halve_, TwoOut, Cube


def _leaf(m, values):  # type: ignore[no-untyped-def]
    return m.tensor(values, requires_grad=True)


@pytest.mark.parametrize("m", [dyngrad, torch], ids=["dyngrad", "torch"])
def test_save_for_backward_output_and_node_name(m) -> None:  # type: ignore[no-untyped-def]
    MyExp = make_functions(m)[0]
    x = _leaf(m, [0.0, 1.0, -1.0])
    y = MyExp.apply(x)
    assert type(y.grad_fn).__name__ == "MyExpBackward"
    assert y.grad_fn.next_functions[0][0].variable is x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.0, 1.0, -1.0]), rtol=1e-6)


def _grads(m, fn):  # type: ignore[no-untyped-def]
    return fn(m)


@pytest.mark.parametrize("case", ["setup_context", "non_diff", "dirty", "materialize", "double"])
def test_matches_torch(case: str) -> None:
    def run(m):  # type: ignore[no-untyped-def]
        MyExp, ScaledMul, SortWithIndex, Halve_, TwoOut, Cube = make_functions(m)
        x = _leaf(m, [0.3, -1.2, 2.0])
        if case == "setup_context":
            w = _leaf(m, [1.0, 2.0, 3.0])
            ScaledMul.apply(x, w, 0.5).sum().backward()
            return [x.grad, w.grad]
        if case == "non_diff":
            vals, idx = SortWithIndex.apply(x)
            assert not idx.requires_grad and vals.requires_grad
            (vals * m.tensor([1.0, 2.0, 3.0])).sum().backward()
            return [x.grad, vals.detach(), idx.float()]
        if case == "dirty":
            h = x * 1
            out = Halve_.apply(h)
            assert out is h and type(h.grad_fn).__name__ == "Halve_Backward"
            (out * out).sum().backward()
            return [x.grad]
        if case == "materialize":
            a, b = TwoOut.apply(x)
            a.sum().backward()
            return [x.grad, m.tensor(list(a.grad_fn.seen), dtype=m.float32)]
        if case == "double":
            (g,) = m.autograd.grad(MyExp.apply(x).sum(), x, create_graph=True)
            (gg,) = m.autograd.grad(g.sum(), x)
            return [g.detach(), gg]
        raise AssertionError(case)

    for a, b in zip(run(dyngrad), run(torch)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


@pytest.mark.parametrize("m", [dyngrad, torch], ids=["dyngrad", "torch"])
def test_once_differentiable_refuses_double_backward(m) -> None:  # type: ignore[no-untyped-def]
    Cube = make_functions(m)[5]
    x = _leaf(m, [1.0, 2.0])
    v = m.ones(2, requires_grad=True)  # torch only guards when the incoming grad requires grad
    (g,) = m.autograd.grad(Cube.apply(x), x, v, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
        g.sum().backward()


@pytest.mark.parametrize("m", [dyngrad, torch], ids=["dyngrad", "torch"])
def test_wrong_number_of_gradients(m) -> None:  # type: ignore[no-untyped-def]
    class Bad(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):  # type: ignore[no-untyped-def]
            return x + y

        @staticmethod
        def backward(ctx, g):  # type: ignore[no-untyped-def]
            return g

    x, y = _leaf(m, [1.0]), _leaf(m, [2.0])
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(x, y).sum().backward()


def test_dyngrad_gradcheck_on_a_custom_function() -> None:
    ScaledMul = make_functions(dyngrad)[1]
    x = dyngrad.randn(4, dtype=dyngrad.float64, requires_grad=True)
    w = dyngrad.randn(4, dtype=dyngrad.float64, requires_grad=True)
    assert dyngrad.autograd.gradcheck(lambda a, b: ScaledMul.apply(a, b, 1.5), (x, w))
