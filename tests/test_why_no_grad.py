"""dyngrad.why_no_grad: one reason per case, naming what made the tensor."""

from __future__ import annotations

import threading
import warnings
from types import ModuleType

import pytest

import dyngrad as torch
from dyngrad._tensor import NON_LEAF_GRAD_WARNING


def flat(text: str) -> str:
    return " ".join(text.split())


def test_created_under_no_grad() -> None:
    x = torch.arange(4.0, requires_grad=True)
    with torch.no_grad():
        v = x * 2
    reason = flat(torch.why_no_grad(v))
    assert reason.startswith("v was computed by an op (MulBackward0) while gradient recording")
    assert "torch.no_grad()" in reason and "no graph was recorded" in reason


def test_created_under_inference_mode_and_set_grad_enabled() -> None:
    x = torch.ones(3, requires_grad=True)
    with torch.inference_mode():
        a = x.exp()
    with torch.set_grad_enabled(False):
        b = x + 1
    assert "(ExpBackward0) while gradient recording was off" in flat(torch.why_no_grad(a))
    assert "(AddBackward0) while gradient recording was off" in flat(torch.why_no_grad(b))


def test_no_grad_on_plain_tensors_is_not_blamed() -> None:
    c = torch.ones(3)
    with torch.no_grad():
        d = c * 2  # no input required grad: no graph would have been recorded anyway
    assert flat(torch.why_no_grad(d)).startswith("d does not require grad (requires_grad=False)")


def test_detached() -> None:
    x = torch.arange(4.0, requires_grad=True)
    y = x * x
    u = y.detach()
    reason = flat(torch.why_no_grad(u))
    assert reason.startswith("u was made by .detach() (of a tensor with grad_fn=MulBackward0)")
    assert "constant" in reason
    leaf_copy = x.detach()
    assert "(of a leaf)" in flat(torch.why_no_grad(leaf_copy))
    w = x * 3
    w.detach_()
    assert flat(torch.why_no_grad(w)).startswith(
        "w was made by .detach() (of a tensor with grad_fn=MulBackward0)"
    )


def test_integer_dtype() -> None:
    i = torch.arange(4)
    reason = flat(torch.why_no_grad(i))
    assert reason.startswith("i has dtype torch.int64: only floating-point tensors can require")
    mask = torch.ones(2) > 0
    assert "dtype torch.bool" in flat(torch.why_no_grad(mask))


def test_not_a_leaf_double_copy() -> None:
    x = torch.arange(4.0, requires_grad=True)
    xd = x.double()
    (xd * xd).sum().backward()
    reason = flat(torch.why_no_grad(xd))
    assert reason.startswith("xd is not a leaf: it is a copy made by .double(), .float() or .to()")
    assert "(ToCopyBackward0) of x" in reason
    assert "Read x.grad instead" in reason and "xd.retain_grad()" in reason


def test_not_a_leaf_generic() -> None:
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    c = a * b
    reason = flat(torch.why_no_grad(c))
    assert reason.startswith(
        "c is not a leaf: it was computed by an op (MulBackward0) from its inputs"
    )
    assert "c.retain_grad()" in reason
    d = a.exp()
    assert "(ExpBackward0) from a." in flat(torch.why_no_grad(d))


def test_retain_grad_without_backward() -> None:
    a = torch.ones(2, requires_grad=True)
    c = a * 2
    c.retain_grad()
    assert flat(torch.why_no_grad(c)).startswith("c called retain_grad(), but no backward")


def test_leaf_not_reachable_from_the_last_backward() -> None:
    x = torch.arange(4.0, requires_grad=True)
    other = torch.ones(2, requires_grad=True)
    loss = (x * 3).sum()
    loss.backward()
    reason = flat(torch.why_no_grad(other))
    assert reason.startswith("other is a leaf that requires grad, but loss does not depend on it")
    assert flat(torch.why_no_grad(other, of=loss)) == reason


def test_leaf_cut_off_by_detach_is_unreachable() -> None:
    w = torch.ones(3, requires_grad=True)
    loss = (w.detach() * 2).sum() + torch.zeros(1, requires_grad=True).sum()
    loss.backward()
    assert "loss does not depend on it" in flat(torch.why_no_grad(w))


def test_reached_then_reset() -> None:
    x = torch.arange(4.0, requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    assert flat(torch.why_no_grad(x)).startswith("x has a gradient")
    x.grad = None
    assert flat(torch.why_no_grad(x)).startswith("x was reached by the last backward() (from loss)")
    fresh = (x * 2).sum()
    assert flat(torch.why_no_grad(x, of=fresh)).startswith("x is used in the graph of fresh")


def test_no_backward_yet_in_a_new_thread() -> None:
    result: list[str] = []

    def worker() -> None:
        x = torch.ones(2, requires_grad=True)
        result.append(flat(torch.why_no_grad(x)))

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert result[0].startswith("x is a leaf that requires grad, but no backward() has run")


def test_requires_grad_false_leaf() -> None:
    w = torch.ones(3)
    reason = flat(torch.why_no_grad(w))
    assert reason.startswith("w does not require grad (requires_grad=False)")
    assert "w.requires_grad_(True)" in reason


def test_unnamed_tensor_and_chinese() -> None:
    text = flat(torch.why_no_grad(torch.ones(2)))
    assert text.startswith("This tensor does not require grad")
    x = torch.arange(4.0, requires_grad=True)
    xd = x.double()
    zh = torch.why_no_grad(xd, lang="zh").replace("\n", "")
    assert zh.startswith("xd 不是叶子节点")
    assert "ToCopyBackward0" in zh and "x.grad" in zh
    with pytest.raises(ValueError):
        torch.why_no_grad(x, lang="fr")
    with pytest.raises(TypeError):
        torch.why_no_grad([1.0])  # type: ignore[arg-type]


def test_reason_is_a_str_shown_without_quotes() -> None:
    w = torch.ones(3)
    reason = torch.why_no_grad(w)
    assert isinstance(reason, str)
    assert repr(reason) == str(reason)
    assert all(len(line) <= 80 for line in reason.splitlines())


def test_non_leaf_grad_warning_keeps_torch_text(torch_ref: ModuleType) -> None:
    """The warning is left exactly as torch words it (why_no_grad is not appended to it)."""
    for lib in (torch, torch_ref):
        x = lib.ones(2, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _ = (x * 2).grad
        assert len(caught) == 1
        # torch adds "(Triggered internally at <its C++ file>)" after the sentence
        assert str(caught[0].message).startswith(NON_LEAF_GRAD_WARNING)
