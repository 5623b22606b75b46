"""Each optimizer's and scheduler's parameter trajectory over 20 steps equals torch's."""

from __future__ import annotations

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    ("Adagrad", {"lr": 0.1}),
    (
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.1},
    ),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.01}),
]


def _trajectory(m, name, options, steps=20, scheduler=None):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((4, 3)).astype(np.float32)
    b0 = rng.standard_normal(3).astype(np.float32)
    x = m.tensor(rng.standard_normal((8, 4)).astype(np.float32))
    y = m.tensor(rng.standard_normal((8, 3)).astype(np.float32))
    w = m.tensor(w0, requires_grad=True)
    b = m.tensor(b0, requires_grad=True)
    opt = getattr(m.optim, name)([{"params": [w]}, {"params": [b], "lr": options.get("lr", 1.0) / 2}]
                                 if scheduler is None else [w, b], **options)  # fmt: skip
    sched = scheduler(m, opt) if scheduler else None
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = (((x @ w + b) - y) ** 2).mean()
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step() if not isinstance(
                sched, m.optim.lr_scheduler.ReduceLROnPlateau
            ) else sched.step(loss.item())
            history.append(opt.param_groups[0]["lr"])
        history.append(w.detach().numpy().copy())
        history.append(b.detach().numpy().copy())
    return history


@pytest.mark.parametrize(
    "name,options", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPTIMIZERS)]
)
def test_optimizer_trajectory_matches_torch(name: str, options: dict) -> None:  # type: ignore[type-arg]
    ours = _trajectory(dyngrad, name, options)
    theirs = _trajectory(torch, name, options)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


SCHEDULERS = {
    "StepLR": lambda m, o: m.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda m, o: m.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda m, o: m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    "LambdaLR": lambda m, o: m.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + e)),
    "OneCycleLR": lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=25),
    "OneCycleLR-linear-3": lambda m, o: m.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.5, total_steps=25, anneal_strategy="linear", three_phase=True),
    "ReduceLROnPlateau": lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1, factor=0.5,
                                                                             threshold=0.05),
}  # fmt: skip


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("sched", list(SCHEDULERS))
def test_scheduler_trajectory_matches_torch(sched: str, opt_name: str) -> None:
    options = {"lr": 0.1, "momentum": 0.9} if opt_name == "SGD" else {"lr": 0.1}
    ours = _trajectory(dyngrad, opt_name, options, scheduler=SCHEDULERS[sched])
    theirs = _trajectory(torch, opt_name, options, scheduler=SCHEDULERS[sched])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_state_dict_round_trip_continues_the_same_trajectory() -> None:
    def run(split: bool):  # type: ignore[no-untyped-def]
        w = dyngrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
        opt = dyngrad.optim.Adam([w], lr=0.1)
        for i in range(10):
            if split and i == 5:
                state = opt.state_dict()
                w2 = dyngrad.tensor(w.detach().numpy().copy(), requires_grad=True)
                opt = dyngrad.optim.Adam([w2], lr=0.5)
                opt.load_state_dict(state)
                w = w2
            opt.zero_grad()
            (w**2).sum().backward()
            opt.step()
        return w.detach().numpy()

    np.testing.assert_array_equal(run(False), run(True))


def test_zero_grad_set_to_none_and_errors() -> None:
    w = dyngrad.tensor([1.0], requires_grad=True)
    opt = dyngrad.optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0]
    opt.zero_grad()
    assert w.grad is None
    for m in (dyngrad, torch):
        with pytest.raises(ValueError, match="empty parameter list"):
            m.optim.SGD([], lr=0.1)
        with pytest.raises(ValueError, match="Invalid learning rate"):
            m.optim.Adam([m.tensor([1.0], requires_grad=True)], lr=-1)
        with pytest.raises(ValueError, match="more than one parameter group"):
            p = m.tensor([1.0], requires_grad=True)
            m.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
