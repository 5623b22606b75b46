"""saved_tensors_hooks and checkpoint(use_reentrant=False): same gradients as the plain run,
hooks see what torch's see, and the checkpointed part keeps no intermediates."""

from __future__ import annotations

import numpy as np
import pytest

import dyngrad
from dyngrad.autograd.graph import saved_tensors_hooks
from dyngrad.utils.checkpoint import checkpoint

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _mlp(m, x, ws):  # type: ignore[no-untyped-def]
    for w in ws:
        x = (x @ w).tanh()
    return x


def test_checkpoint_gives_the_same_gradients_as_the_plain_run() -> None:
    rng = np.random.default_rng(0)
    ws = [dyngrad.tensor(rng.standard_normal((6, 6)) * 0.5, requires_grad=True) for _ in range(4)]
    x = dyngrad.tensor(rng.standard_normal((3, 6)), requires_grad=True)
    checkpoint(lambda t: _mlp(dyngrad, t, ws), x, use_reentrant=False).sum().backward()
    got = [x.grad.numpy().copy()] + [w.grad.numpy().copy() for w in ws]
    for t in [x, *ws]:
        t.grad = None
    _mlp(dyngrad, x, ws).sum().backward()
    want = [x.grad.numpy()] + [w.grad.numpy() for w in ws]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_checkpoint_saves_nothing_until_backward_and_reruns_once() -> None:
    calls = []
    w = dyngrad.randn(5, 5, requires_grad=True)

    def block(t):  # type: ignore[no-untyped-def]
        calls.append(1)
        return (t @ w).sin().exp()

    y = checkpoint(block, dyngrad.randn(2, 5), use_reentrant=False)
    exp_node = y.grad_fn
    # mm saved 1 (t, which only w's gradient reads; as torch), sin 1: the output is save #2
    assert exp_node._out_saved.packed == 2
    y.sum().backward()
    assert len(calls) == 2


def test_checkpoint_keeps_dropout_like_randomness() -> None:
    def noisy(t):  # type: ignore[no-untyped-def]
        return t * (dyngrad.rand(t.shape) > 0.5) * 2

    x = dyngrad.randn(50, requires_grad=True)
    dyngrad.manual_seed(3)
    y = checkpoint(noisy, x, use_reentrant=False)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (y.detach().numpy() != 0) * 2.0)


@pytest.mark.skipif(torch is None, reason="PyTorch not installed: parity test skipped")
def test_pack_hooks_see_the_same_saves_as_torch() -> None:
    def run(m):  # type: ignore[no-untyped-def]
        shapes = []
        x = m.ones(2, 3, requires_grad=True)
        w = m.ones(3, 4, requires_grad=True)

        def pack(t):  # type: ignore[no-untyped-def]
            shapes.append(tuple(t.shape))
            return t

        with m.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = (x @ w).exp().sum()
        y.backward()
        return sorted(shapes), x.grad.numpy()

    (ours, g1), (theirs, g2) = run(dyngrad), run(torch)
    assert ours == theirs
    np.testing.assert_allclose(g1, g2, rtol=1e-6)


def test_ops_inside_a_pack_hook_do_not_recurse() -> None:
    x = dyngrad.randn(3, requires_grad=True)
    with saved_tensors_hooks(lambda t: t * 1, lambda t: t):
        y = (x * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-6)
