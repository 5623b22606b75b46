"""The seed notes (shared/seed/autograd-notes.md), cell by cell.

The expected strings are the outputs recorded in the notes, which come from PyTorch.
`test_seed_transcript` runs the shared acceptance script; the other tests replay the same cells
in-repo, so they run without shared/ too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import dyngrad as torch

SEED_SCRIPT = Path(__file__).parents[2] / "shared" / "acceptance" / "seed_transcript.py"


def test_seed_transcript() -> None:
    if not SEED_SCRIPT.is_file():
        pytest.skip(
            f"seed acceptance script not found at {SEED_SCRIPT} (shared/ is not beside the repo)"
        )
    result = subprocess.run(
        [sys.executable, str(SEED_SCRIPT), "dyngrad"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "seed: 24/24 cells match" in result.stdout


def leaf_x() -> torch.Tensor:
    x = torch.arange(4.0)
    x.requires_grad_(True)
    return x


def test_scalar_y() -> None:
    x = torch.arange(4.0)
    assert repr(x) == "tensor([0., 1., 2., 3.])"
    x.requires_grad_(True)
    assert x.grad is None
    y = 2 * torch.dot(x, x)
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([ 0.,  4.,  8., 12.])"
    assert repr(y) == "tensor(28., grad_fn=<MulBackward0>)"
    assert repr(x.grad == 4 * x) == "tensor([True, True, True, True])"


def test_gradients_accumulate() -> None:
    x = leaf_x()
    y = x.sum()
    assert repr(y) == "tensor(6., grad_fn=<SumBackward0>)"
    y.backward()
    assert repr(x.grad) == "tensor([1., 1., 1., 1.])"
    y.backward()
    assert repr(x.grad) == "tensor([2., 2., 2., 2.])"
    x.grad.zero_()
    assert repr(x.grad) == "tensor([0., 0., 0., 0.])"


def test_vector_y() -> None:
    x = leaf_x()
    y = x * x
    assert repr(y) == "tensor([0., 1., 4., 9.], grad_fn=<MulBackward0>)"
    assert repr(x) == "tensor([0., 1., 2., 3.], requires_grad=True)"
    y.sum().backward()
    assert repr(x.grad) == "tensor([0., 2., 4., 6.])"
    x.grad.zero_()
    y = x * x
    y.backward(torch.ones(len(x)))
    assert repr(x.grad) == "tensor([0., 2., 4., 6.])"


def test_detach() -> None:
    x = leaf_x()
    y = x * x
    u = y.detach()
    z = u * x
    assert repr(u) == "tensor([0., 1., 4., 9.])"
    assert repr(z) == "tensor([ 0.,  1.,  8., 27.], grad_fn=<MulBackward0>)"
    z.sum().backward()
    assert repr(x.grad == u) == "tensor([True, True, True, True])"
    x.grad.zero_()
    y.sum().backward()
    assert repr(x.grad == 2 * x) == "tensor([True, True, True, True])"


def f(a: torch.Tensor) -> torch.Tensor:
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def test_control_flow_random_a() -> None:
    torch.manual_seed(0)
    a = torch.randn(size=(), requires_grad=True)
    assert repr(a).startswith("tensor(")
    assert repr(a).endswith(", requires_grad=True)")
    d = f(a)
    d.backward()
    assert repr(a.grad == d / a) == "tensor(True)"


@pytest.mark.parametrize("start", [0.3, -0.3, 1e-3, -1e-3, 7.0, 1000.0, -2000.0])
def test_control_flow(start: float) -> None:
    a = torch.tensor(start, requires_grad=True)
    d = f(a)
    d.backward()
    assert repr(a.grad == d / a) == "tensor(True)"
