"""Model workloads, where the arithmetic should be all the cost: an MLP training step, a LeNet-5
training step and an LSTM forward + backward, each with the same initial weights under dyngrad
and torch, and (MLP, LeNet) a hand-written NumPy floor with manually derived gradients.

Every step callable returns the parameters' gradients of that step (as arrays, in the order of
``torch.nn.Module.parameters()``), so the suite can check that the contenders agree before
anything is timed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import numpy_floor as floor

MLP_SIZES = (784, 512, 256, 10)
MLP_BATCH = 128
LENET_BATCH = 64
LSTM_SEQ, LSTM_BATCH, LSTM_INPUT, LSTM_HIDDEN = 35, 32, 128, 128
LR = 0.01


def _grads(params: list[Any]) -> list[np.ndarray]:
    return [np.array(p.grad.detach().numpy(), copy=True) for p in params]


def _reference_weights(build: Callable[[Any], Any]) -> list[np.ndarray]:
    """The initial weights, drawn once by torch's own initialisation (seed 0), or by NumPy
    with torch's default scheme (U(±1/√fan_in)) when torch is not installed."""
    try:
        import torch
    except ImportError:
        return [np.asarray(w) for w in _numpy_init(build)]
    torch.manual_seed(0)
    return [p.detach().numpy().copy() for p in build(torch).parameters()]


def _numpy_init(build: Callable[[Any], Any]) -> list[np.ndarray]:
    import dyngrad

    dyngrad.manual_seed(0)
    return [p.detach().numpy().copy() for p in build(dyngrad).parameters()]


def _load(model: Any, m: Any, weights: list[np.ndarray]) -> Any:
    with m.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(m.tensor(w))
    return model


def _train_step(m: Any, model: Any, x: Any, y: Any, check: bool) -> Callable[[], Any]:
    """One SGD step: zero_grad, forward, cross-entropy, backward, update. With ``check`` it
    returns copies of the step's gradients (for comparison; not while memory is measured)."""
    opt = m.optim.SGD(model.parameters(), lr=LR)
    params = list(model.parameters())
    cross_entropy = m.nn.functional.cross_entropy

    def run() -> Any:
        opt.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return _grads(params) if check else None

    return run


# --- mlp_train ----------------------------------------------------------------------------


def mlp_model(m: Any) -> Any:
    nn = m.nn
    a, b, c, d = MLP_SIZES
    return nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, c), nn.ReLU(), nn.Linear(c, d))


def mlp_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((MLP_BATCH, MLP_SIZES[0])).astype(np.float32)
    y = rng.integers(0, MLP_SIZES[-1], MLP_BATCH)
    return x, y


def mlp_train(m: Any, weights: list[np.ndarray], check: bool = True) -> Callable[[], Any]:
    """784-512-256-10 ReLU MLP, batch 128: forward, cross-entropy, backward, SGD step."""
    x, y = mlp_data()
    model = _load(mlp_model(m), m, weights)
    return _train_step(m, model, m.tensor(x), m.tensor(y), check)


def mlp_train_numpy(weights: list[np.ndarray]) -> Callable[[], Any]:
    x, y = mlp_data()
    return floor.MLP([w.copy() for w in weights], LR).step_fn(x, y)


# --- lenet --------------------------------------------------------------------------------


def lenet_model(m: Any) -> Any:
    """conv5x5(6)-relu-maxpool2-conv5x5(16)-relu-maxpool2-fc120-fc84-fc10 on 1x28x28."""
    nn = m.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )  # fmt: skip


def lenet_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((LENET_BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, LENET_BATCH)
    return x, y


def lenet(m: Any, weights: list[np.ndarray], check: bool = True) -> Callable[[], Any]:
    """LeNet-5, batch 64: forward, cross-entropy, backward, SGD step."""
    x, y = lenet_data()
    model = _load(lenet_model(m), m, weights)
    return _train_step(m, model, m.tensor(x), m.tensor(y), check)


def lenet_numpy(weights: list[np.ndarray]) -> Callable[[], Any]:
    x, y = lenet_data()
    return floor.LeNet([w.copy() for w in weights], LR).step_fn(x, y)


# --- lstm ---------------------------------------------------------------------------------


def lstm_model(m: Any) -> Any:
    return m.nn.LSTM(LSTM_INPUT, LSTM_HIDDEN)


def lstm(m: Any, weights: list[np.ndarray], check: bool = True) -> Callable[[], Any]:
    """1-layer LSTM, hidden 128, 35 steps, batch 32: forward, ``out.sum() + h_n.sum()``,
    backward (no optimizer step: the weights stay as they are)."""
    model = _load(lstm_model(m), m, weights)
    data = np.random.default_rng(2).standard_normal((LSTM_SEQ, LSTM_BATCH, LSTM_INPUT))
    x = m.tensor(data.astype(np.float32))
    params = list(model.parameters())

    def run() -> Any:
        for p in params:
            p.grad = None
        out, (h_n, _) = model(x)
        (out.sum() + h_n.sum()).backward()
        return _grads(params) if check else None

    return run


def reference_weights() -> dict[str, list[np.ndarray]]:
    return {
        "mlp_train": _reference_weights(mlp_model),
        "lenet": _reference_weights(lenet_model),
        "lstm": _reference_weights(lstm_model),
    }
