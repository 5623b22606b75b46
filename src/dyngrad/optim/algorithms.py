"""The optimizers: SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta.

Each ``_update`` states its rule and follows torch's single-tensor implementation step for
step (same order of float32 operations), working in place on the parameter's array under
``no_grad``. State values are tensors (``exp_avg``, ``step``...) so ``state_dict`` holds
what torch's does.

Note: updates use NumPy in-place arithmetic on ``p._data`` rather than dyngrad's in-place
ops: they need no graph, and this avoids a temporary per operation in every training step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, required

__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"]


def _zeros_like(p: Tensor) -> Tensor:
    return Tensor._make(np.zeros_like(p._data), False, None, 0)


def _step_tensor() -> Tensor:
    return Tensor._make(np.array(0.0, dtype=np.float32), False, None, 0)


def _check(name: str, value: float, low: float = 0.0) -> None:
    if not value >= low:
        raise ValueError(f"Invalid {name}: {value}")


def _grad_with_decay(p: Tensor, grad: Tensor, group: dict[str, Any]) -> np.ndarray:
    g = grad._data
    if group.get("maximize"):
        g = -g
    wd = group.get("weight_decay", 0)
    if wd != 0:
        g = g + wd * p._data
    return g


class SGD(Optimizer):
    """v ← μ·v + (1 − τ)·g (first step: v ← g);  p ← p − lr·(g + μ·v if nesterov else v)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: Any = None, differentiable: bool = False,
                 fused: Any = None) -> None:  # fmt: skip
        if lr is not required:
            _check("learning rate", lr)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))  # fmt: skip

    def _update(
        self, p: Tensor, grad: Tensor, group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        g = _grad_with_decay(p, grad, group)
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor._make(
                    np.array(g, copy=True), False, None, 0
                )
            else:
                b = buf._data
                b *= momentum
                b += (1 - group["dampening"]) * g
            g = g + momentum * buf._data if group["nesterov"] else buf._data
        p._data += -group["lr"] * g


class Adam(Optimizer):
    """m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)."""

    decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: Any = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: Any = None, decoupled_weight_decay: bool = False) -> None:  # fmt: skip
        _check("learning rate", lr)
        _check("epsilon value", eps)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        _check("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused, decoupled_weight_decay=decoupled_weight_decay or self.decoupled))  # fmt: skip

    def _update(
        self, p: Tensor, grad: Tensor, group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = _step_tensor()
            state["exp_avg"] = _zeros_like(p)
            state["exp_avg_sq"] = _zeros_like(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _zeros_like(p)
        lr, (beta1, beta2), eps, wd = (
            group["lr"],
            group["betas"],
            group["eps"],
            group["weight_decay"],
        )
        g = -grad._data if group["maximize"] else grad._data
        state["step"]._data += 1
        step = float(state["step"]._data)
        if wd != 0:
            if group["decoupled_weight_decay"]:
                p._data *= 1 - lr * wd
            else:
                g = g + wd * p._data
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        m += (1 - beta1) * (g - m)
        v *= beta2
        v += (1 - beta2) * g * g
        bias1 = 1 - beta1**step
        bias2_sqrt = math.sqrt(1 - beta2**step)
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]._data
            np.maximum(vmax, v, out=vmax)
            denom = np.sqrt(vmax) / bias2_sqrt + eps
        else:
            denom = np.sqrt(v) / bias2_sqrt + eps
        p._data += (-(lr / bias1) * m) / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: p ← p·(1 − lr·λ) before the Adam step."""

    decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, **kw: Any) -> None:  # fmt: skip
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, **kw)


class RMSprop(Optimizer):
    """s ← αs + (1−α)g²;  p ← p − lr · g / (√s + ε) (centered: s − ḡ²; momentum: via a buffer)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: Any = None, maximize: bool = False,
                 differentiable: bool = False) -> None:  # fmt: skip
        _check("learning rate", lr)
        _check("epsilon value", eps)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        _check("alpha value", alpha)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, capturable=capturable,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable))  # fmt: skip

    def _update(
        self, p: Tensor, grad: Tensor, group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = _step_tensor()
            state["square_avg"] = _zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = _zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = _zeros_like(p)
        state["step"]._data += 1
        g = _grad_with_decay(p, grad, group)
        alpha, eps, lr = group["alpha"], group["eps"], group["lr"]
        s = state["square_avg"]._data
        s *= alpha
        s += (1 - alpha) * g * g
        if group["centered"]:
            ga = state["grad_avg"]._data
            ga += (1 - alpha) * (g - ga)
            avg = np.sqrt(s + (-1 * ga) * ga)
        else:
            avg = np.sqrt(s)
        avg += eps
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]._data
            buf *= group["momentum"]
            buf += g / avg
            p._data += -lr * buf
        else:
            p._data += (-lr * g) / avg


class Adagrad(Optimizer):
    """Σ ← Σ + g²;  p ← p − lr/(1 + (t−1)·decay) · g / (√Σ + ε)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: Any = None, *, maximize: bool = False, differentiable: bool = False,
                 fused: Any = None) -> None:  # fmt: skip
        _check("learning rate", lr)
        _check("lr_decay value", lr_decay)
        _check("weight_decay value", weight_decay)
        _check("initial_accumulator_value value", initial_accumulator_value)
        _check("epsilon value", eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))  # fmt: skip
        for group in self.param_groups:  # torch creates the state at construction
            for p in group["params"]:
                self.state[p] = {
                    "step": _step_tensor(),
                    "sum": Tensor._make(
                        np.full_like(p._data, group["initial_accumulator_value"]), False, None, 0
                    ),  # fmt: skip
                }

    def _update(
        self, p: Tensor, grad: Tensor, group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        state["step"]._data += 1
        step = float(state["step"]._data)
        g = _grad_with_decay(p, grad, group)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = state["sum"]._data
        total += g * g
        std = np.sqrt(total) + group["eps"]
        p._data += (-clr * g) / std


class Adadelta(Optimizer):
    """s ← ρs + (1−ρ)g²;  Δ = √(u + ε)/√(s + ε) · g;  u ← ρu + (1−ρ)Δ²;  p ← p − lr·Δ."""

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: Any = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:  # fmt: skip
        _check("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check("epsilon value", eps)
        _check("weight_decay value", weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, capturable=capturable, maximize=maximize,
                                      differentiable=differentiable))  # fmt: skip

    def _update(
        self, p: Tensor, grad: Tensor, group: dict[str, Any], state: dict[str, Any]
    ) -> None:
        if not state:
            state["step"] = _step_tensor()
            state["square_avg"] = _zeros_like(p)
            state["acc_delta"] = _zeros_like(p)
        state["step"]._data += 1
        g = _grad_with_decay(p, grad, group)
        rho, eps = group["rho"], group["eps"]
        s, u = state["square_avg"]._data, state["acc_delta"]._data
        s *= rho
        s += (1 - rho) * g * g
        std = np.sqrt(s + eps)
        delta = np.sqrt(u + eps)
        delta /= std
        delta *= g
        u *= rho
        u += (1 - rho) * delta * delta
        p._data += -group["lr"] * delta
