"""Threads: grad mode is per thread; backward passes in several threads at once are correct,
on independent graphs, into shared leaves (accumulation is locked), and through one shared
graph kept with ``retain_graph=True`` (see the guarantees in docs/ARCHITECTURE.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad


def _run_threads(n: int, target: Callable[[int], Any]) -> list[Any]:
    """Run ``target(k)`` in ``n`` threads started together; re-raise the first error."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(k: int) -> None:
        try:
            barrier.wait(10)
            results[k] = target(k)
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


# --- grad mode --------------------------------------------------------------------------------


def test_grad_mode_is_per_thread_with_several_threads_in_different_modes() -> None:
    modes = [dyngrad.no_grad, dyngrad.enable_grad, lambda: dyngrad.set_grad_enabled(False),
             dyngrad.inference_mode, dyngrad.enable_grad, dyngrad.no_grad]  # fmt: skip
    ready = threading.Barrier(len(modes))

    def work(k: int) -> list[bool]:
        x = dyngrad.ones(3, requires_grad=True)
        seen = []
        with modes[k]():
            ready.wait(10)  # every thread is inside its own mode now
            for _ in range(200):
                seen.append((x * 2).requires_grad)
        seen.append((x * 2).requires_grad)  # mode restored on leaving
        return seen

    results = _run_threads(len(modes), work)
    expected_inside = [False, True, False, False, True, False]
    for k, seen in enumerate(results):
        assert set(seen[:-1]) == {expected_inside[k]}, f"thread {k} saw another thread's mode"
        assert seen[-1] is True


def test_a_new_thread_starts_with_grad_enabled_whatever_the_parent_mode() -> None:
    with dyngrad.no_grad():
        assert _run_threads(1, lambda k: dyngrad.is_grad_enabled()) == [True]
        assert not dyngrad.is_grad_enabled()
    dyngrad.set_grad_enabled(False)
    try:
        assert _run_threads(2, lambda k: dyngrad.is_grad_enabled()) == [True, True]
    finally:
        dyngrad.set_grad_enabled(True)


def test_backward_in_a_thread_does_not_change_the_mode_of_others() -> None:
    """The engine turns grad mode off while it runs (create_graph=False) in its own thread."""
    stop = threading.Event()

    def backward_loop(k: int) -> None:
        if k == 0:
            x = dyngrad.randn(50, requires_grad=True)
            for _ in range(300):
                (x.exp() * x).sum().backward()
            stop.set()
            return None
        flips = 0
        while not stop.is_set():
            flips += not dyngrad.is_grad_enabled()
        return flips

    results = _run_threads(2, backward_loop)
    assert results[1] == 0


# --- independent graphs ------------------------------------------------------------------------


def _mlp_grads(seed: int, m: Any = dyngrad) -> list[np.ndarray]:
    gen = np.random.default_rng(seed)
    x = m.tensor(gen.standard_normal((16, 5)), dtype=m.float32)
    w1 = m.tensor(gen.standard_normal((5, 8)), dtype=m.float32, requires_grad=True)
    w2 = m.tensor(gen.standard_normal((8, 3)), dtype=m.float32, requires_grad=True)
    for _ in range(20):
        h = (x @ w1).tanh()
        y = (h @ w2).log_softmax(-1)
        loss = -(y[:, 0]).mean() + (w1 * w1).sum() * 1e-3
        loss.backward()
    return [w1.grad.numpy().copy(), w2.grad.numpy().copy()]


def test_backward_on_independent_graphs_from_several_threads() -> None:
    expected = [_mlp_grads(k) for k in range(6)]
    try:
        import torch
    except ImportError:  # the threaded runs are still compared with the sequential ones
        pass
    else:
        for k, grads in enumerate(expected):
            for ours, theirs in zip(grads, _mlp_grads(k, torch)):
                np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    for _ in range(3):
        got = _run_threads(6, _mlp_grads)
        for e, g in zip(expected, got):
            for a, b in zip(e, g):
                np.testing.assert_array_equal(a, b)


def test_autograd_grad_with_create_graph_from_several_threads() -> None:
    def work(k: int) -> float:
        x = dyngrad.tensor(float(k + 1), requires_grad=True)
        total = 0.0
        for _ in range(100):
            (g,) = dyngrad.autograd.grad(x**3, x, create_graph=True)
            (gg,) = dyngrad.autograd.grad(g, x)
            total += gg.item()
        return total

    assert _run_threads(4, work) == [100 * 6.0 * (k + 1) for k in range(4)]


# --- shared leaves and shared graphs -------------------------------------------------------------


@pytest.mark.parametrize("size", [7, 200_000])
def test_concurrent_backward_into_a_shared_leaf_accumulates_every_gradient(size: int) -> None:
    """Large arrays make NumPy's in-place add let go of the GIL: without the accumulation
    lock, updates from different threads are lost."""
    w = dyngrad.zeros(size, requires_grad=True)
    rounds = 40

    def work(k: int) -> None:
        for _ in range(rounds):
            (w * float(k + 1)).sum().backward()

    for _ in range(2):
        w.grad = None
        _run_threads(4, work)
        expected = rounds * (1 + 2 + 3 + 4)
        np.testing.assert_array_equal(w.grad.numpy(), np.full(size, expected, np.float32))


def test_concurrent_backward_through_one_retained_graph() -> None:
    x = dyngrad.randn(1000, requires_grad=True)
    y = (x.sin() * x.exp()).sum()
    y.backward(retain_graph=True)
    once = x.grad.numpy().copy()
    a = x.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(once, (np.cos(a) + np.sin(a)) * np.exp(a), rtol=1e-5, atol=1e-6)
    x.grad = None

    def work(k: int) -> None:
        for _ in range(25):
            y.backward(retain_graph=True)

    _run_threads(4, work)
    np.testing.assert_allclose(x.grad.numpy(), 100 * once, rtol=1e-5)


# --- forwards without a graph ----------------------------------------------------------------


def test_forwards_without_a_graph_in_several_threads_do_not_mix() -> None:
    """An op that keeps values on its node while it computes (kthvalue keeps its indices,
    calls NumPy, then reads them back) runs on a scratch object when nothing is recorded:
    each call needs its own, or threads read each other's values (a shared one gave about
    one wrong result in a hundred here). Checked against NumPy."""
    import sys

    def work(k: int) -> int:
        rng = np.random.default_rng(k)
        wrong = 0
        for _ in range(1500):
            a = rng.standard_normal((3, 40 + 7 * k)).astype(np.float32)
            values, indices = dyngrad.tensor(a).kthvalue(5, 1)
            order = np.argsort(a, axis=1, kind="stable")[:, 4]
            wrong += not np.array_equal(indices.numpy(), order)
            wrong += not np.array_equal(values.numpy(), a[np.arange(3), order])
        return wrong

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        assert _run_threads(4, work) == [0, 0, 0, 0]
    finally:
        sys.setswitchinterval(interval)
