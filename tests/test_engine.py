"""The engine: dependency counting and order, deep graphs without recursion, retain_graph,
release of saved values, leaks, hooks, autograd.grad, grad modes per thread."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest

import dyngrad
from dyngrad.autograd.graph import FREED_MESSAGE

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed: parity test skipped")


def _both(fn):  # type: ignore[no-untyped-def]
    """Run ``fn(module)`` on dyngrad and torch; return both results as NumPy values."""
    ours = fn(dyngrad)
    theirs = fn(torch)
    return ours, theirs


def _np(t):  # type: ignore[no-untyped-def]
    return t.detach().numpy()


# --- graph shapes -------------------------------------------------------------------------


@needs_torch
def test_diamond_and_reused_intermediates_match_torch() -> None:
    def run(m):  # type: ignore[no-untyped-def]
        x = m.tensor([0.5, -1.0, 2.0], requires_grad=True)
        a = x * x  # two edges to the same leaf
        b = a.sin()
        c = a * 3 + b  # a reused by two consumers
        d = (c * b).sum() + (a / (x.exp() + 1)).sum()
        d.backward()
        return x.grad

    ours, theirs = _both(run)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-6)


@needs_torch
def test_execution_order_matches_torch() -> None:
    """Nodes run latest-created first once all their consumers are done, as in torch."""

    def order(m):  # type: ignore[no-untyped-def]
        seen = []
        x = m.tensor([1.0, 2.0], requires_grad=True)
        w = m.tensor([3.0, 4.0], requires_grad=True)
        a = x * w
        b = a.exp()
        c = a.sin()
        d = x.cos() * c
        out = (b + d).sum() + c.sum()
        for t in (a, b, c, d):
            node = t.grad_fn
            node.register_prehook(lambda g, n=node: seen.append(n.name()))
        out.backward()
        return seen

    assert order(dyngrad) == order(torch)


def test_x_times_x_has_two_edges_to_one_accumulator() -> None:
    x = dyngrad.tensor([3.0], requires_grad=True)
    y = x * x
    (e0, n0), (e1, n1) = y.grad_fn.next_functions
    assert e0 is e1 and n0 == n1 == 0
    assert type(e0).__name__ == "AccumulateGrad" and e0.variable is x
    y.backward(dyngrad.ones(1))
    assert x.grad.tolist() == [6.0]


def test_million_node_chain_needs_no_recursion() -> None:
    x = dyngrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y + 0.0
    y.backward()
    assert x.grad.item() == 1.0


# --- retain_graph, release, leaks -------------------------------------------------------------


def test_second_backward_through_freed_graph_raises_torchs_error() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError) as err:
        y.backward()
    assert str(err.value) == FREED_MESSAGE


def test_retain_graph_allows_a_second_backward_and_accumulates() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_nodes_without_saved_values_can_run_twice() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.sum()  # the notes' In[12]/In[13]: sum saves nothing
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_saved_values_are_released_after_backward() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = (y * y).sum()
    node = z.grad_fn.next_functions[0][0]  # MulBackward0 saving y twice
    assert node._saved
    z.backward()
    assert node._saved == () and node._released
    assert y.grad_fn._out_saved is None


def test_graph_is_freed_by_reference_counting_alone() -> None:
    gc.disable()
    try:
        x = dyngrad.randn(10, requires_grad=True)
        y = x
        for _ in range(20):
            y = (y * 1.5).tanh() + y.sin()
        loss = y.sum()
        node_ref = weakref.ref(loss.grad_fn)
        deep_ref = weakref.ref(y.grad_fn.next_functions[0][0])
        saved_array = weakref.ref(y.grad_fn.next_functions[0][0].saved_output._data.base or
                                  y.grad_fn.next_functions[0][0].saved_output._data)  # fmt: skip
        loss.backward()
        del y, loss
        assert node_ref() is None and deep_ref() is None
        assert saved_array() is None
        assert x.grad is not None
    finally:
        gc.enable()


def test_retained_graph_keeps_saved_values_until_dropped() -> None:
    gc.disable()
    try:
        x = dyngrad.randn(5, requires_grad=True)
        y = x.exp()
        loss = (y * y).sum()
        mul = loss.grad_fn.next_functions[0][0]
        loss.backward(retain_graph=True)
        assert mul._saved  # still there
        mul_ref = weakref.ref(mul)
        del mul, y, loss
        assert mul_ref() is None
    finally:
        gc.enable()


def test_version_counter_catches_in_place_change_of_a_saved_tensor() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    a = x * 1
    b = a * a
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_detach_shares_version_counter() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * x  # saves x
    x.detach().mul_(2)
    assert x._version == 1
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        y.sum().backward()


@needs_torch
def test_in_place_history_rebase_matches_torch() -> None:
    def run(m):  # type: ignore[no-untyped-def]
        a = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = m.tensor([0.5, -1.0, 2.0], requires_grad=True)
        x = a * 1
        x.mul_(b)  # saves the old x for b's gradient
        x.exp_()
        x.sum().backward()
        return a.grad, b.grad, type(x.grad_fn).__name__

    (ga, gb, name), (ta, tb, tname) = _both(run)
    np.testing.assert_allclose(_np(ga), _np(ta), rtol=1e-6)
    np.testing.assert_allclose(_np(gb), _np(tb), rtol=1e-6)
    assert name == tname


# --- gradient arguments, accumulation ----------------------------------------------------------


def test_non_scalar_backward_needs_a_gradient() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match="grad can be implicitly created only for scalar outputs"
    ):
        (x * 2).backward()
    (x * x).backward(dyngrad.tensor([1.0, 0.5]))
    assert x.grad.tolist() == [2.0, 2.0]


def test_leaf_grad_is_not_aliased_between_leaves() -> None:
    a = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    b = dyngrad.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # AddBackward0 passes the same gradient to both
    a.grad.add_(10)
    assert b.grad.tolist() == [1.0, 1.0]


def test_accumulation_is_in_place_into_the_existing_grad() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    x.sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    assert g is x.grad and g.tolist() == [4.0, 4.0]


def test_grad_dtype_and_shape_follow_the_input_through_broadcasting() -> None:
    x = dyngrad.ones(3, 1, requires_grad=True)
    w = dyngrad.ones(4, dtype=dyngrad.float64, requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.shape == (3, 1) and x.grad.dtype == dyngrad.float32
    assert w.grad.shape == (4,) and w.grad.dtype == dyngrad.float64
    assert x.grad.tolist() == [[4.0], [4.0], [4.0]]


# --- autograd.grad --------------------------------------------------------------------------


def test_autograd_grad_does_not_touch_dot_grad_and_runs_only_what_is_needed() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    w = dyngrad.tensor([3.0, 4.0], requires_grad=True)
    ran = []
    other = w.exp()
    other.grad_fn.register_prehook(lambda g: ran.append("exp"))
    loss = (x * x).sum() + other.sum()
    (gx,) = dyngrad.autograd.grad(loss, x)
    assert gx.tolist() == [2.0, 4.0]
    assert x.grad is None and w.grad is None
    assert ran == []  # the branch to w was not needed


def test_autograd_grad_unused_input() -> None:
    x = dyngrad.tensor([1.0], requires_grad=True)
    u = dyngrad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        dyngrad.autograd.grad((x * 2).sum(), [x, u])
    gx, gu = dyngrad.autograd.grad((x * 2).sum(), [x, u], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None
    gx, gu = dyngrad.autograd.grad((x * 2).sum(), [x, u], materialize_grads=True)
    assert gu.tolist() == [0.0]


def test_autograd_grad_of_a_non_leaf_input() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    loss = (h * h).sum()
    (gh,) = dyngrad.autograd.grad(loss, h)
    assert gh.tolist() == [6.0, 12.0]


def test_third_derivative_of_sin_with_create_graph() -> None:
    x = dyngrad.tensor(0.7, dtype=dyngrad.float64, requires_grad=True)
    (g1,) = dyngrad.autograd.grad(x.sin(), x, create_graph=True)
    (g2,) = dyngrad.autograd.grad(g1, x, create_graph=True)
    (g3,) = dyngrad.autograd.grad(g2, x)
    assert abs(g3.item() + np.cos(0.7)) < 1e-12


def test_backward_inputs_restricts_accumulation() -> None:
    x = dyngrad.tensor([1.0], requires_grad=True)
    w = dyngrad.tensor([2.0], requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    assert x.grad.tolist() == [2.0] and w.grad is None


# --- hooks ----------------------------------------------------------------------------------


@needs_torch
def test_tensor_hooks_replace_gradients_and_run_in_torchs_order() -> None:
    def run(m):  # type: ignore[no-untyped-def]
        log = []
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.register_hook(lambda g: log.append("y1") or g * 10)
        y.register_hook(lambda g: log.append("y2"))
        x.register_hook(lambda g: log.append("x") or g + 1)
        z = (y * y).sum()
        z.backward()
        return log, x.grad

    (log, g), (tlog, tg) = _both(run)
    assert log == tlog
    np.testing.assert_allclose(_np(g), _np(tg))


def test_retain_grad_and_hook_removal() -> None:
    x = dyngrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    handle = y.register_hook(lambda g: g * 0)
    handle.remove()
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]
    assert x.grad.tolist() == [8.0, 16.0]


def test_reading_grad_of_a_non_leaf_warns() -> None:
    x = dyngrad.tensor([1.0], requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert y.grad is None


# --- grad modes ------------------------------------------------------------------------------


def test_grad_modes_as_context_managers_and_decorators() -> None:
    x = dyngrad.tensor([1.0], requires_grad=True)
    with dyngrad.no_grad():
        assert (x * 2).grad_fn is None
        with dyngrad.enable_grad():
            assert (x * 2).grad_fn is not None
    with dyngrad.set_grad_enabled(False):
        assert not dyngrad.is_grad_enabled()
    assert dyngrad.is_grad_enabled()

    @dyngrad.no_grad()
    def f(t):  # type: ignore[no-untyped-def]
        return t * 2

    assert f(x).grad_fn is None
    with dyngrad.inference_mode():
        assert (x * 2).requires_grad is False
    dyngrad.set_grad_enabled(False)
    assert not dyngrad.is_grad_enabled()
    dyngrad.set_grad_enabled(True)


def test_grad_mode_is_per_thread() -> None:
    seen = {}
    started = threading.Event()
    release = threading.Event()

    def worker() -> None:
        x = dyngrad.tensor([1.0], requires_grad=True)
        started.set()
        release.wait(5)
        seen["worker"] = (x * 2).grad_fn is not None

    t = threading.Thread(target=worker)
    with dyngrad.no_grad():
        t.start()
        started.wait(5)
        release.set()
        t.join(5)
        seen["main"] = dyngrad.is_grad_enabled()
    assert seen == {"worker": True, "main": False}


def test_backward_from_several_threads_on_independent_graphs() -> None:
    results = {}

    def worker(k: int) -> None:
        x = dyngrad.tensor([float(k)], requires_grad=True)
        for _ in range(200):
            y = (x * x).sum()
            y.backward()
        results[k] = x.grad.item()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: 200 * 2.0 * k for k in range(4)}


def test_grad_with_no_inputs_is_torchs_error() -> None:
    x = dyngrad.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="`inputs` argument to `grad\\(\\)` cannot be empty."):
        dyngrad.autograd.grad((x * 2).sum(), [])


def test_numpy_warnings_do_not_leak_from_ops_but_user_numpy_still_warns() -> None:
    import warnings

    x = dyngrad.tensor([0.0, 1.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.filterwarnings("always", category=RuntimeWarning, append=True)
        y = x * float("inf") - float("inf")
        np.array([0.0]) * np.inf
    assert np.isnan(y.numpy()).all()
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == 1
