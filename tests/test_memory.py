"""Memory: long training keeps memory flat, graphs are freed by reference counting alone,
saved values go as soon as backward no longer needs them (unless ``retain_graph``)."""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import dyngrad
from dyngrad.autograd.graph import Node
from dyngrad.autograd.graph_summary import saved_arrays


@pytest.fixture
def no_cycle_collector() -> Iterator[None]:
    """Only reference counting frees memory inside the test."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _nodes(root: Node | None) -> list[Node]:
    """Every node reachable from ``root`` (iteratively)."""
    out: list[Node] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        out.append(node)
        stack.extend(n for n, _ in node.next_functions)
    return out


def _saved_array_refs(root: Node, *alive: dyngrad.Tensor) -> list[weakref.ref[Any]]:
    """Weak references to every array the graph keeps for backward (except the memory of
    the tensors in ``alive``: leaves the test keeps)."""
    refs = []
    for node in _nodes(root):
        for _, value in saved_arrays(node):
            if isinstance(value, dyngrad.Tensor):
                value = value._data
            if isinstance(value, np.ndarray):
                if any(np.shares_memory(value, t._data) for t in alive):
                    continue
                refs.append(weakref.ref(value))
    return refs


# --- a training loop stays flat -------------------------------------------------------------


def _mlp_training(steps: int, sizes_at: tuple[int, ...]) -> dict[int, int]:
    """A small MLP (matmul, relu, mean) trained with SGD written under no_grad; the traced
    memory (tracemalloc's current size) after the given steps."""
    gen = dyngrad.Generator().manual_seed(0)
    w1 = (dyngrad.randn(8, 32, generator=gen) * 0.3).requires_grad_()
    b1 = dyngrad.zeros(32, requires_grad=True)
    w2 = (dyngrad.randn(32, 1, generator=gen) * 0.3).requires_grad_()
    x = dyngrad.randn(64, 8, generator=gen)
    target = dyngrad.randn(64, 1, generator=gen)
    params = (w1, b1, w2)
    sizes = {}
    for step in range(1, steps + 1):
        hidden = (x @ w1 + b1).relu()
        loss = ((hidden @ w2 - target) ** 2).mean()
        loss.backward()
        with dyngrad.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None
        if step in sizes_at:
            sizes[step] = tracemalloc.get_traced_memory()[0]
    return sizes


def _fill_free_lists() -> None:
    junk = [tuple(range(n)) for n in range(1, 21) for _ in range(2100)]
    del junk


def test_training_loop_memory_is_flat() -> None:
    # Warm up first: caches fill once per process, and so do CPython's free lists (up to 2000
    # freed tuples of each small size are kept for reuse), which would look like growth.
    _mlp_training(50, ())
    _fill_free_lists()
    tracemalloc.start()
    try:
        sizes = _mlp_training(1000, (100, 1000))
    finally:
        tracemalloc.stop()
    growth = sizes[1000] - sizes[100]
    # 900 more steps allocate and free ~40 MB; what stays must not grow with them
    assert growth < 16 * 1024, f"traced memory grew by {growth} bytes from step 100 to 1000"


# --- graphs are freed by reference counting alone ----------------------------------------


@pytest.mark.usefixtures("no_cycle_collector")
def test_whole_graph_and_saved_arrays_die_by_refcount() -> None:
    x = dyngrad.randn(16, 16, requires_grad=True)
    w = dyngrad.randn(16, 16, requires_grad=True)
    h = x
    for _ in range(10):
        h = (h @ w).tanh() * h.sigmoid() + h.exp().log1p()
    loss = h.softmax(-1).sum()
    nodes = [weakref.ref(n) for n in _nodes(loss.grad_fn)]
    arrays = _saved_array_refs(loss.grad_fn, x, w)
    assert len(nodes) > 50 and len(arrays) > 30
    del h, loss
    assert all(r() is None for r in nodes), "a node outlived its graph"
    assert all(r() is None for r in arrays), "a saved array outlived its graph"


@pytest.mark.usefixtures("no_cycle_collector")
def test_views_and_in_place_changes_leave_no_cycles() -> None:
    """CopySlices/AsStridedBackward0 nodes, views and a saved output of an in-place op on a
    view (unpacked through a weak reference) are freed by reference counting too."""
    x = dyngrad.randn(4, 5, requires_grad=True)
    y = x * 2
    row = y[0]
    row.mul_(y[2].detach().clone())  # CopySlices on y; MulBackward0 keeps the old row
    y[1:].exp_()  # saves its output (the view), unpacked through a weak reference
    col = y.t()[1]
    loss = (col * col).sum() + (row * 3).sum() + y.sum()
    nodes = [weakref.ref(n) for n in _nodes(loss.grad_fn)]
    arrays = _saved_array_refs(loss.grad_fn, x)
    names = {type(r()).__name__ for r in nodes}
    assert {"CopySlices", "AsStridedBackward0"} <= names
    loss.backward()
    del y, row, col, loss
    assert all(r() is None for r in nodes)
    assert all(r() is None for r in arrays)
    assert x.grad is not None


@pytest.mark.usefixtures("no_cycle_collector")
def test_graph_of_a_double_backward_is_freed() -> None:
    x = dyngrad.randn(6, requires_grad=True)
    y = (x.sin() * x.exp()).sum()
    (g,) = dyngrad.autograd.grad(y, x, create_graph=True)
    nodes = [weakref.ref(n) for n in _nodes(g.grad_fn) + _nodes(y.grad_fn)]
    g.sum().backward()
    del y, g
    assert all(r() is None for r in nodes)


# --- saved values are released during backward ----------------------------------------------


def test_saved_values_are_released_as_each_node_finishes() -> None:
    """When a node runs, every node that ran before it has already dropped its saved
    values (checked from node pre-hooks, during the backward pass)."""
    x = dyngrad.randn(8, requires_grad=True)
    y = x
    for _ in range(6):
        y = (y * y).sin().exp()
    loss = y.sum()
    nodes = [n for n in _nodes(loss.grad_fn) if type(n).__name__ != "AccumulateGrad"]
    ran: list[Node] = []
    holding: list[str] = []

    def before(node: Node) -> Any:
        def hook(grads: Any) -> None:
            holding.extend(type(n).__name__ for n in ran if saved_arrays(n) or not n._released
                           and n._saved)  # fmt: skip
            ran.append(node)

        return hook

    for n in nodes:
        n.register_prehook(before(n))
    loss.backward()
    assert len(ran) == len(nodes)
    assert holding == [], f"nodes still holding saved values during backward: {holding}"


def test_loss_and_output_kept_after_backward_hold_no_saved_arrays() -> None:
    x = dyngrad.randn(32, 8, requires_grad=True)
    w = dyngrad.randn(8, 4, requires_grad=True)
    out = (x @ w).relu()
    loss = out.log_softmax(-1).mean()
    assert _saved_array_refs(loss.grad_fn)
    loss.backward()
    # loss and out are alive; the graph behind them must keep nothing for backward
    for node in _nodes(loss.grad_fn):
        assert saved_arrays(node) == [], f"{type(node).__name__} kept {saved_arrays(node)}"
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()


@pytest.mark.usefixtures("no_cycle_collector")
def test_retain_graph_keeps_saved_values_until_the_graph_is_dropped() -> None:
    x = dyngrad.randn(10, requires_grad=True)
    h = x.exp()
    loss = (h * h).sum() + h.tanh().sum()
    arrays = _saved_array_refs(loss.grad_fn, x)
    assert arrays
    loss.backward(retain_graph=True)
    assert all(r() is not None for r in arrays)
    first = x.grad.clone()
    loss.backward()  # a second pass works, and now releases
    np.testing.assert_allclose(x.grad.numpy(), 2 * first.numpy(), rtol=1e-6)
    for node in _nodes(loss.grad_fn):
        assert saved_arrays(node) == []
    del h, loss
    assert all(r() is None for r in arrays)


# --- scale (timings are in benchmarks/scale.py) ---------------------------------------------


def test_graph_with_100_000_leaves_backpropagates() -> None:
    n = 100_000
    xs = [dyngrad.tensor(float(i % 7), requires_grad=True) for i in range(n)]
    w = dyngrad.tensor(np.arange(n, dtype=np.float32) % 5)
    (dyngrad.stack(xs) * w).sum().backward()
    assert all(x.grad is not None for x in xs)
    grads = np.array([x.grad.item() for x in xs])
    np.testing.assert_array_equal(grads, np.arange(n) % 5)


@pytest.mark.usefixtures("no_cycle_collector")
def test_saved_indices_and_masks_are_released_by_backward() -> None:
    """Indices, masks and keys an op keeps for backward (gather's index, sort's indices
    output, x[idx]'s key, masked_fill's mask, max pooling's indices) go with the other saved
    values when the node has run, and the index tensors they watch are let go."""
    x = dyngrad.randn(4, 6, requires_grad=True)
    index = dyngrad.tensor([[0, 2], [1, 1], [5, 0], [3, 4]])
    mask = dyngrad.tensor([True, False, True, False, True, False])
    rows = dyngrad.tensor([3, 0, 3])
    watched = [weakref.ref(t) for t in (index, mask, rows)]
    values, order = x.sort(-1)
    pooled = dyngrad.nn.functional.max_pool1d(x.unsqueeze(0), 2)
    loss = (
        x.gather(1, index).sum()
        + values[:, :2].sum()
        + x[rows].pow(2).sum()
        + x.masked_fill(mask, 0.0).sum()
        + pooled.sum()
    )
    names = {type(n).__name__ for n in _nodes(loss.grad_fn)}
    assert {"GatherBackward0", "SortBackward0", "IndexBackward0", "MaskedFillBackward0",
            "MaxPool2DWithIndicesBackward0"} <= names  # fmt: skip
    arrays = _saved_array_refs(loss.grad_fn, x)
    assert len(arrays) >= 5
    del index, mask, rows, order
    assert all(r() is not None for r in watched), "the graph must keep the index tensors"
    loss.backward()
    for node in _nodes(loss.grad_fn):
        assert saved_arrays(node) == [], f"{type(node).__name__} kept {saved_arrays(node)}"
    assert all(r() is None for r in arrays), "a saved index array outlived backward"
    assert all(r() is None for r in watched), "an index tensor outlived backward"
