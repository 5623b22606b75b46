"""What checkpoint(use_reentrant=False) recomputes, and that it frees it.

Freeing: the design rule is that a graph is freed by reference counting, without the cyclic
garbage collector. A checkpointed block's recomputed activations must go as soon as that
block's backward is done, and nothing of the step may remain after it, just as for the same
model run without checkpointing (the reference here).

Recomputing: which modules run again (counted with forward hooks) is torch's: the rerun stops
at the last saved tensor backward needs, and checkpoint_sequential runs its last segment
without checkpointing.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

import pytest

import dyngrad
from dyngrad import nn
from dyngrad.utils.checkpoint import checkpoint

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

WIDTH, BATCH = 256, 64
ACTIVATION = WIDTH * BATCH * 4  # bytes of one float32 activation


def _left_after_step(step: Callable[[], None]) -> int:
    """Bytes still allocated after one step (the second: the first creates the .grad)."""
    step()
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        step()
        return tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
        gc.enable()


def _model_and_step(use_checkpoint: bool) -> Callable[[], None]:
    dyngrad.manual_seed(0)
    blocks = [nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.ReLU()) for _ in range(6)]
    x = dyngrad.randn(BATCH, WIDTH, requires_grad=True)

    def step() -> None:
        h = x
        for block in blocks:
            h = checkpoint(block, h, use_reentrant=False) if use_checkpoint else block(h)
        h.sum().backward()

    return step


def test_checkpointed_step_leaves_nothing_behind_like_the_plain_step() -> None:
    plain = _left_after_step(_model_and_step(use_checkpoint=False))
    checkpointed = _left_after_step(_model_and_step(use_checkpoint=True))
    assert plain < ACTIVATION
    # Six blocks: a leak of the recomputed activations would leave 6 ReLU outputs at least.
    assert checkpointed < ACTIVATION, f"{checkpointed} bytes left, plain run {plain}"


def test_recomputed_block_is_freed_before_the_next_block_runs_backward() -> None:
    """Memory during backward falls block by block, as it does without checkpointing."""
    dyngrad.manual_seed(0)
    blocks = [nn.Sequential(nn.Linear(WIDTH, WIDTH), nn.ReLU()) for _ in range(6)]
    for block in blocks:  # only the activations' gradients: no .grad buffers appear
        block.requires_grad_(False)
    x = dyngrad.randn(BATCH, WIDTH, requires_grad=True)
    seen: list[int] = []
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        h = x
        for block in blocks:
            h = checkpoint(block, h, use_reentrant=False)
            h.register_hook(lambda g: seen.append(tracemalloc.get_traced_memory()[0]))
        h.sum().backward()
    finally:
        tracemalloc.stop()
        gc.enable()
    # seen[0] is at the last block's output, seen[-1] at the first's: memory may not grow
    # by a recomputed block (about two activations) per block as backward goes on.
    assert seen[-1] - seen[1] < ACTIVATION, [s - seen[0] for s in seen]


def _forward_calls(m, n_modules: int, segments: int) -> list[int] | str:  # type: ignore[no-untyped-def]
    """How many times each module of Linear/ReLU pairs runs under checkpoint_sequential."""
    from importlib import import_module

    ckpt = import_module(m.__name__ + ".utils.checkpoint")
    calls = [0] * n_modules
    modules = []
    for i in range(n_modules):
        module = m.nn.Linear(2, 2) if i % 2 == 0 else m.nn.ReLU()
        module.register_forward_hook(lambda *_, i=i: calls.__setitem__(i, calls[i] + 1))
        modules.append(module)
    x = m.randn(3, 2, requires_grad=True)
    try:
        out = ckpt.checkpoint_sequential(
            m.nn.Sequential(*modules), segments, x, use_reentrant=False
        )
    except ValueError as e:
        return f"ValueError: {e}"
    out.sum().backward()
    return calls


@pytest.mark.requires_torch
@pytest.mark.skipif(torch is None, reason="compares the recomputed modules with torch's")
@pytest.mark.parametrize("n_modules, segments", [(16, 4), (10, 3), (7, 2), (5, 5), (4, 1), (3, 5)])
def test_checkpoint_sequential_reruns_the_modules_torch_reruns(
    n_modules: int, segments: int
) -> None:
    assert _forward_calls(dyngrad, n_modules, segments) == _forward_calls(
        torch, n_modules, segments
    )
