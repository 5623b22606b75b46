"""nn.utils against torch: clip_grad_norm_ (every norm type, the returned norm, the scaling),
clip_grad_value_, get_total_norm, parameters_to_vector and vector_to_parameters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")


def _models() -> tuple[Any, Any]:
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    ours = dyngrad.nn.Sequential(
        dyngrad.nn.Linear(4, 5), dyngrad.nn.Tanh(), dyngrad.nn.Linear(5, 2)
    )
    ours.load_state_dict({k: dyngrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32) * 3
    (theirs(torch.tensor(x)) ** 2).sum().backward()
    (ours(dyngrad.tensor(x)) ** 2).sum().backward()
    return theirs, ours


def _assert_same_grads(theirs: Any, ours: Any) -> None:
    for tp, op in zip(theirs.parameters(), ours.parameters()):
        np.testing.assert_allclose(op.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type: Any, max_norm: float) -> None:
    theirs, ours = _models()
    t_total = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm, norm_type)
    o_total = dyngrad.nn.utils.clip_grad_norm_(ours.parameters(), max_norm, norm_type)
    assert o_total.shape == () and str(o_total.dtype) == str(t_total.dtype)
    np.testing.assert_allclose(o_total.numpy(), t_total.numpy(), rtol=1e-5)
    _assert_same_grads(theirs, ours)


def test_clip_grad_norm_single_tensor_and_no_grads() -> None:
    p = dyngrad.nn.Parameter(dyngrad.tensor([3.0, 4.0]))
    p.grad = dyngrad.tensor([3.0, 4.0])
    total = dyngrad.nn.utils.clip_grad_norm_(p, 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [3 / (5 + 1e-6), 4 / (5 + 1e-6)], rtol=1e-6)
    empty = dyngrad.nn.utils.clip_grad_norm_([dyngrad.nn.Parameter(dyngrad.ones(2))], 1.0)
    assert empty.item() == 0.0 and empty.shape == ()


def test_clip_grad_norm_nonfinite_error_matches_torch() -> None:
    def run(lib: Any) -> Any:
        p = lib.nn.Parameter(lib.ones(2))
        p.grad = lib.tensor([float("inf"), 1.0])
        return lib.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)

    with pytest.raises(RuntimeError) as theirs:
        run(torch)
    with pytest.raises(RuntimeError) as ours:
        run(dyngrad)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("clip", [0.01, 0.5, 100.0])
def test_clip_grad_value_matches_torch(clip: float) -> None:
    theirs, ours = _models()
    assert torch.nn.utils.clip_grad_value_(theirs.parameters(), clip) is None
    assert dyngrad.nn.utils.clip_grad_value_(ours.parameters(), clip) is None
    _assert_same_grads(theirs, ours)


def test_get_total_norm_and_clip_with_norm() -> None:
    theirs, ours = _models()
    t_norm = torch.nn.utils.get_total_norm([p.grad for p in theirs.parameters()], 2.0)
    o_norm = dyngrad.nn.utils.get_total_norm([p.grad for p in ours.parameters()], 2.0)
    np.testing.assert_allclose(o_norm.numpy(), t_norm.numpy(), rtol=1e-5)
    torch.nn.utils.clip_grads_with_norm_(theirs.parameters(), 0.1, t_norm)
    dyngrad.nn.utils.clip_grads_with_norm_(ours.parameters(), 0.1, o_norm)
    _assert_same_grads(theirs, ours)


def test_parameters_to_vector_and_back() -> None:
    theirs, ours = _models()
    tv = torch.nn.utils.parameters_to_vector(theirs.parameters())
    ov = dyngrad.nn.utils.parameters_to_vector(ours.parameters())
    np.testing.assert_array_equal(ov.detach().numpy(), tv.detach().numpy())
    assert type(ov.grad_fn).__name__ == type(tv.grad_fn).__name__
    new = np.arange(ov.numel(), dtype=np.float32)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs.parameters())
    dyngrad.nn.utils.vector_to_parameters(dyngrad.tensor(new), ours.parameters())
    for tp, op in zip(theirs.parameters(), ours.parameters()):
        np.testing.assert_array_equal(op.detach().numpy(), tp.detach().numpy())
        assert op.requires_grad
    with pytest.raises(TypeError) as t_err:
        torch.nn.utils.vector_to_parameters([1.0], theirs.parameters())
    with pytest.raises(TypeError) as o_err:
        dyngrad.nn.utils.vector_to_parameters([1.0], ours.parameters())
    assert str(o_err.value) == str(t_err.value)
