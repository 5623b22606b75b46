"""dyngrad.autograd.graph_summary and the one-time warning for graphs piling up in a loop."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import dyngrad as torch
from dyngrad.autograd import graph_summary

guard = importlib.import_module("dyngrad.autograd.graph_summary")


@pytest.fixture(autouse=True)
def fresh_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(guard, "_warned", False)
    yield


def test_summary_of_the_notes_example() -> None:
    x = torch.arange(4.0, requires_grad=True)
    y = 2 * torch.dot(x, x)
    s = graph_summary(y)
    assert (s.nodes, s.depth) == (2, 2)
    assert len(s.leaves) == 1 and s.leaves[0] is x
    # DotBackward0 keeps x (16 bytes, once though saved twice); MulBackward0 keeps only the
    # Python number 2 (no array): as torch, not the dot result, which only 2's gradient uses
    assert s.saved_bytes == 16
    assert not s.freed
    assert str(s) == "2 nodes, depth 2, 1 leaf, 16 bytes saved for backward"
    y.backward()
    after = graph_summary(y)
    assert after.freed and after.saved_bytes == 0
    assert str(after).endswith("(some freed by a backward)")


def test_depth_is_the_longest_path() -> None:
    a = torch.tensor(1.5, requires_grad=True)
    b = a
    for _ in range(50):
        b = b * 1.01
    c = b + a.exp()  # a short branch beside the long chain
    s = graph_summary(c)
    assert s.nodes == 52 and s.depth == 51


def test_leaves_and_plain_tensors() -> None:
    x = torch.ones(3, requires_grad=True)
    assert graph_summary(x).leaves == (x,) and graph_summary(x).nodes == 0
    assert graph_summary(torch.ones(3)).leaves == ()


def training_loop(iterations: int, before_backward: bool) -> float:
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    running_loss = 0.0
    for i in range(iterations):
        loss = ((w * (i + 1)) ** 2).sum()
        if before_backward:
            running_loss += loss
            loss.backward()
        else:
            loss.backward()
            running_loss += loss  # the leak: every iteration's graph stays alive
    return running_loss  # type: ignore[return-value]


@pytest.mark.parametrize("before_backward", [False, True])
def test_running_loss_leak_warns_once_naming_the_line(before_backward: bool) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        total = training_loop(6, before_backward)
        training_loop(6, before_backward)
    leak = [
        w for w in caught if "keeps the autograd graph of every iteration alive" in str(w.message)
    ]
    assert len(leak) == 1  # one time only
    message = str(leak[0].message)
    assert message.startswith("`running_loss += loss")
    assert "`running_loss += loss.item()`" in message
    assert Path(leak[0].filename).name == "test_graph_summary.py"
    line = next(
        i
        for i, text in enumerate(Path(__file__).read_text(encoding="utf-8").splitlines(), 1)
        if text.strip().startswith("running_loss += loss") and ("leak" in text) != before_backward
    )
    assert leak[0].lineno == line and f"test_graph_summary.py:{line})" in message
    assert graph_summary(total).nodes > 6 * 3  # the graphs did pile up


def test_accumulating_a_batch_before_one_backward_is_fine() -> None:
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = torch.tensor(0.0)
        for i in range(20):
            total += (w * i).sum()
        total.backward()
        assert w.grad is not None
        running = 0.0
        for i in range(20):
            loss = (w * i).sum()
            loss.backward()
            running += loss.item()  # the fix: a number, no graph
