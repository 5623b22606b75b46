"""Helpers shared by the nn parity tests: the same random input on both sides, closeness of a
dyngrad result to torch's (shape, dtype, values), and torch's weights copied into a dyngrad
module. Importing this module does not need torch; calling ``pair`` does."""

from __future__ import annotations

from typing import Any

import numpy as np

import dyngrad


def pair(
    shape: tuple[int, ...],
    seed: int,
    dtype: Any = np.float32,
    scale: float = 1.0,
    shift: float = 0.0,
) -> tuple[Any, Any]:
    """A standard-normal array (times ``scale``, plus ``shift``) as a dyngrad tensor and a
    torch tensor, both requiring grad."""
    import torch

    a = (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(dtype)
    return dyngrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def close(ours: Any, theirs: Any, tol: float = 1e-5) -> None:
    """Same shape, same dtype name, values within ``tol`` (relative and absolute)."""
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def copy_weights(ours: Any, theirs: Any) -> None:
    """Loads a torch module's state_dict into the dyngrad module ``ours``."""
    ours.load_state_dict(
        {k: dyngrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    )
