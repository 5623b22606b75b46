"""Fused loss functions, one node each as torch names it: MseLoss, SmoothL1Loss, HuberLoss,
BinaryCrossEntropy, BinaryCrossEntropyWithLogits, NllLoss and NllLoss2D.

``reduction`` is ``'none'`` (per element), ``'sum'`` or ``'mean'``; the backward scales the
pointwise derivative by ȳ (and by 1/n, or by 1/Σw for the weighted mean of ``nll_loss``).
Input and target broadcast against each other; the engine sums each gradient back to its
input's shape. Class weights (``weight``, ``pos_weight``) get no gradient, as in torch.
The argument checks and torch's warnings live in ``nn.functional``; these are the kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import grad_mode
from ._registry import _TYPE_NAMES, OWN, OpNode, tangent_sum
from .elementwise_layout import torch_layout
from .elementwise_xlogy import xlogy  # noqa: F401 - kl_div's t·log t (nn.functional)
from .nn_activation import logsigmoid

__all__ = [
    "mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "nll_loss_kernel",
]  # fmt: skip


def _reduce(values: np.ndarray, reduction: str) -> Any:
    if reduction == "none":
        return values
    total = np.sum(values)
    return total / values.size if reduction == "mean" else total  # 0/0 = nan for empty input


class _PointwiseLoss(OpNode):
    """A loss ℓ(x, t) summed, averaged or kept per element; each subclass's forward computes
    ℓ and its ``derivative`` gives ∂ℓ/∂x (∂ℓ/∂t is its negative).

    Note: without a graph to record, ``forward`` runs on a scratch object, so forwards call
    module-level helpers rather than methods of ``self``."""

    save = (0, 1)
    reduction: str
    count: int
    params: dict[str, Any]

    def derivative(self, d: Tensor) -> Tensor:
        """∂ℓ/∂x as a function of d = x − t."""
        raise NotImplementedError

    def backward(self, g: Tensor) -> tuple[Tensor, Tensor]:
        x, t = self.saved_tensors
        if self.reduction == "mean":
            g = g / self.count
        grad = g * self.derivative(x - t)
        return grad, -grad

    def jvp(self, dx: Any, dt: Any, x: Tensor, t: Any, y: Tensor) -> Tensor:
        """ℓ̇ = ∂ℓ/∂x · (ẋ − ṫ), then reduced as ℓ is."""
        change = dx if dt is None else (-dt if dx is None else dx - dt)
        return _reduce_tangent(self.derivative(x - t) * change, self.reduction)


def _reduce_tangent(tangent: Tensor, reduction: str) -> Tensor:
    """A pointwise loss's tangent reduced as the loss is (a mean of nothing is nan)."""
    if reduction == "none":
        return tangent
    return tangent.sum() if reduction == "sum" else tangent.mean()  # type: ignore[attr-defined,no-any-return]


def _finish(node: Any, values: np.ndarray, inputs: tuple[np.ndarray, np.ndarray], reduction: str,
            **params: Any) -> Any:  # fmt: skip
    """Record the reduction and its element count; per-element values in torch's layout for
    the (broadcast) ``inputs``."""
    node.reduction = reduction
    node.count = values.size
    node.params = params
    if reduction == "none":
        return torch_layout(values, *inputs)
    return _reduce(values, reduction)


class MseLossBackward0(_PointwiseLoss):
    """ℓ = (x − t)²;  x̄ = ȳ · 2(x − t),  t̄ = −x̄."""

    def forward(self, a: np.ndarray, b: np.ndarray, reduction: str) -> Any:
        d = a - b
        return _finish(self, d * d, (a, b), reduction)

    def derivative(self, d: Tensor) -> Tensor:
        return d * 2.0


class SmoothL1LossBackward0(_PointwiseLoss):
    """ℓ = ½d²/β where |d| < β, else |d| − ½β (d = x − t);  x̄ = ȳ · clamp(d/β, −1, 1)."""

    def forward(self, a: np.ndarray, b: np.ndarray, reduction: str, beta: float) -> Any:
        d = np.abs(a - b)
        values = np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
        return _finish(self, values, (a, b), reduction, beta=beta)

    def derivative(self, d: Tensor) -> Tensor:
        return (d / self.params["beta"]).clamp(-1.0, 1.0)  # type: ignore[attr-defined,no-any-return]


class HuberLossBackward0(_PointwiseLoss):
    """ℓ = ½d² where |d| < δ, else δ(|d| − ½δ) (d = x − t);  x̄ = ȳ · clamp(d, −δ, δ)."""

    def forward(self, a: np.ndarray, b: np.ndarray, reduction: str, delta: float) -> Any:
        d = np.abs(a - b)
        values = np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
        return _finish(self, values, (a, b), reduction, delta=delta)

    def derivative(self, d: Tensor) -> Tensor:
        delta = self.params["delta"]
        return d.clamp(-delta, delta)  # type: ignore[attr-defined,no-any-return]


def broadcast_operands(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """input and target expanded to their common shape, as torch's pointwise losses do first
    (so a 0-d float64 input with a (1, 1) float32 target promotes to float64, both being
    dimensioned by then)."""
    if not isinstance(target, Tensor) or input._data.shape == target._data.shape:
        return input, target
    from .shape import broadcast_tensors

    return broadcast_tensors(input, target)  # type: ignore[no-any-return]


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    return MseLossBackward0.apply(input, target, reduction=reduction)  # type: ignore[no-any-return]


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str, beta: float) -> Tensor:
    return SmoothL1LossBackward0.apply(input, target, reduction=reduction, beta=beta)  # type: ignore[no-any-return]


def huber_loss(input: Tensor, target: Tensor, reduction: str, delta: float) -> Tensor:
    if isinstance(target, Tensor) and target.dtype is not input.dtype:
        target = target.to(input.dtype)  # type: ignore[attr-defined]  # (torch: input's dtype)
    return HuberLossBackward0.apply(input, target, reduction=reduction, delta=delta)  # type: ignore[no-any-return]


_LOG_FLOOR = -100.0  # torch clamps log(x) and log(1 − x) at −100, so x = 0 or 1 stays finite


class BinaryCrossEntropyBackward0(OpNode):
    """ℓ = −w·(t·log x + (1 − t)·log(1 − x)), each log clamped at −100;
    x̄ = ȳ·w·(x − t) / max(x(1 − x), 1e-12);  t̄ = −ȳ·w·log(x / (1 − x)) (not clamped)."""

    save = (0, 1, 2)
    no_edge = (2,)  # the weight (torch's node has edges for input and target)

    def forward(self, a: np.ndarray, b: np.ndarray, w: Any, reduction: str) -> Any:
        for name, values in (("input", a), ("target", b)):  # (nan is out of range too)
            if not np.all((values >= 0) & (values <= 1)):
                raise RuntimeError(f"all elements of {name} should be between 0 and 1")
        self.reduction = reduction
        log_x = np.maximum(np.log(a), _LOG_FLOOR)
        log_1mx = np.maximum(np.log1p(-a), _LOG_FLOOR)
        values = -(b * log_x + (1 - b) * log_1mx)
        if w is not None:
            values = values * w
        self.count = values.size
        return _reduce(values, reduction)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, t, w = self.saved_tensors
        if self.reduction == "mean":
            g = g / self.count
        if w is not None:
            g = g * w
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = g * (x - t) / (x * (1.0 - x)).clamp_min(1e-12)  # type: ignore[attr-defined]
        if self.needs_input_grad[1]:  # −logit(x), unclamped as torch's (±inf at x = 0, 1)
            gt = g * -(x / (1.0 - x)).log()  # type: ignore[attr-defined]
        return gx, gt

    def jvp(self, dx: Any, dt: Any, dw: Any, x: Tensor, t: Tensor, w: Any, y: Tensor) -> Any:
        """ℓ̇ = w·(x − t)/max(x(1 − x), 1e-12)·ẋ + w·(log(1 − x) − log x)·ṫ, reduced as ℓ is.

        As torch's forward formula: the logs are not clamped and a target without a tangent
        counts as ṫ = 0, so at x = 0 or 1 the tangent is nan (0·∞) or ±∞ (the backward's
        logs are clamped); the weight's tangent is not used."""
        from_x = None
        if dx is not None:
            from_x = dx * (x - t) / (x * (1.0 - x)).clamp_min(1e-12)  # type: ignore[attr-defined]
        log_ratio = (-x).log1p() - x.log()  # type: ignore[attr-defined]
        from_t = log_ratio * (0.0 if dt is None else dt)
        tangent = from_t if from_x is None else from_x + from_t
        return _reduce_tangent(tangent if w is None else tangent * w, self.reduction)


def _refuse_grad(op: str, name: str, t: Tensor | None) -> None:
    """torch's error for a class weight that requires grad (its kernels give it none)."""
    if t is not None and t.requires_grad and grad_mode.state.grad_enabled:
        raise RuntimeError(
            f"The function '{op}' is not differentiable with respect to argument '{name}'. "
            "This input cannot have requires_grad True."
        )


def _as_loss_weight(input: Tensor, weight: Tensor | None) -> Tensor | None:
    """A weight that multiplies the per-element loss in place, as torch's kernels do: it must
    broadcast to the input's shape without enlarging it, and the loss keeps the input's dtype."""
    if weight is None:
        return None
    shape = tuple(input.shape)
    try:
        common = np.broadcast_shapes(shape, tuple(weight.shape))
    except ValueError:
        return weight  # (the op's own broadcast raises torch's message)
    if common != shape:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, shape))}] doesn't match the broadcast "
            f"shape [{', '.join(map(str, common))}]"
        )
    return weight if weight.dtype is input.dtype else weight.to(input.dtype)  # type: ignore[attr-defined]


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None,
                         reduction: str) -> Tensor:  # fmt: skip
    _refuse_grad("binary_cross_entropy", "weight", weight)
    weight = _as_loss_weight(input, weight)
    if isinstance(target, Tensor) and target.dtype is not input.dtype:  # (torch's kernel check)
        raise RuntimeError(
            f"Found dtype {_TYPE_NAMES[target.dtype.name]} but expected "
            f"{_TYPE_NAMES[input.dtype.name]}"
        )
    return BinaryCrossEntropyBackward0.apply(input, target, weight, reduction=reduction)  # type: ignore[no-any-return]


class BinaryCrossEntropyWithLogitsBackward0(OpNode):
    """ℓ = −w·(p·t·log σ(x) + (1 − t)·log σ(−x)) with pos_weight p (1 if absent), computed as
    (1 − t)·x + (1 + (p − 1)t)·(log(1 + e^(−|x|)) + max(−x, 0));
    x̄ = ȳ·w·(σ(x)·(1 + (p − 1)t) − p·t);  t̄ = −ȳ·w·(p·log σ(x) − log σ(−x))."""

    promote = OWN  # the target's dtype: torch computes in place on (1 − t)
    save = (0, 1, 2, 3)

    def forward(self, a: np.ndarray, b: np.ndarray, w: Any, pw: Any, reduction: str) -> Any:
        self.reduction = reduction
        log_sig_neg = np.log1p(np.exp(-np.abs(a))) + np.maximum(-a, 0)  # −log σ(x)
        if pw is None:
            values = (1 - b) * a + log_sig_neg
        else:
            values = (1 - b) * a + (1 + (pw - 1) * b) * log_sig_neg
        if w is not None:
            values = values * w
        self.count = values.size
        return np.asarray(_reduce(values, reduction)).astype(b.dtype, copy=False)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, t, w, pw = self.saved_tensors
        if self.reduction == "mean":
            g = g / self.count
        if w is not None:
            g = g * w
        gx = gt = None
        if self.needs_input_grad[0]:
            s = x.sigmoid()  # type: ignore[attr-defined]
            gx = g * (s - t) if pw is None else g * (s * (1 + (pw - 1) * t) - pw * t)
        if self.needs_input_grad[1]:
            gt = -g * x if pw is None else -g * (pw * logsigmoid(x) - logsigmoid(-x))
        return gx, gt, None, None

    def jvp(self, dx: Any, dt: Any, dw: Any, dpw: Any, x: Tensor, t: Tensor, w: Any, pw: Any,
            y: Tensor) -> Any:  # fmt: skip
        """ℓ̇ = w·(σ(x)·(1 + (p − 1)t) − p·t)·ẋ − w·(p·log σ(x) − log σ(−x))·ṫ, reduced as ℓ
        is (the weights' tangents are not used, as in torch)."""
        from_x = from_t = None
        if dx is not None:
            s = x.sigmoid()  # type: ignore[attr-defined]
            from_x = dx * (s - t) if pw is None else dx * (s * (1 + (pw - 1) * t) - pw * t)
        if dt is not None:
            from_t = -dt * x if pw is None else -dt * (pw * logsigmoid(x) - logsigmoid(-x))
        tangent = tangent_sum(from_x, from_t)
        if tangent is None:
            return None
        return _reduce_tangent(tangent if w is None else tangent * w, self.reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None,
                                     pos_weight: Tensor | None, reduction: str) -> Tensor:  # fmt: skip
    if target.dtype.name == "bool":
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead."
        )
    if input.is_floating_point() and not target.is_floating_point():  # type: ignore[attr-defined]
        raise RuntimeError(
            f"result type {_TYPE_NAMES[input.dtype.name]} can't be cast to the desired output "
            f"type {_TYPE_NAMES[target.dtype.name]}"
        )
    _refuse_grad("binary_cross_entropy_with_logits", "weight", weight)
    _refuse_grad("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    pos_weight = _as_loss_weight(input, pos_weight)
    weight = _as_loss_weight(input, weight)
    return BinaryCrossEntropyWithLogitsBackward0.apply(  # type: ignore[no-any-return]
        input, target, weight, pos_weight, reduction=reduction
    )


class NllLossBackward0(OpNode):
    """ℓₙ = −w[tₙ]·x[n, tₙ] (0 where tₙ = ignore_index); the mean divides Σℓ by Σ w[tₙ]
    over the kept targets;  x̄[n, c] = −ȳ·w[tₙ]·[c = tₙ] (/ Σw for the mean).

    Input (N, C, d…) with target (N, d…), or (C,) with a 0-d target."""

    promote = OWN
    save = (0, 1, 2)  # as torch saves them: an in-place change of one is caught
    no_edge = (1, 2)  # target and weight (torch's node has one edge, for the input)

    def forward(self, a: np.ndarray, target: np.ndarray, w: Any, reduction: str,
                ignore_index: int) -> Any:  # fmt: skip
        single = a.ndim == 1
        x = a[None] if single else a
        t = target.reshape(1) if single else target
        keep = t != ignore_index
        bad = keep & ((t < 0) | (t >= x.shape[1]))  # (ignored targets are never looked up)
        if np.any(bad):
            raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
        if x.shape[1] == 0:  # no classes: every target is ignored (else it was out of bounds)
            x = np.zeros((x.shape[0], 1, *x.shape[2:]), a.dtype)
            w = None
        safe = np.where(keep, t, 0)
        picked = np.take_along_axis(x, safe[:, None], axis=1)[:, 0]
        weights = (w[safe] if w is not None else np.ones(safe.shape, a.dtype)) * keep
        weights = weights.astype(a.dtype, copy=False)
        values = -picked * weights + 0.0  # (+0, not −0, where a target is ignored)
        if reduction == "none":
            out = values
            scale = -weights
        else:
            out = np.sum(values)
            scale = -weights
            if reduction == "mean":
                total = np.sum(weights)
                out = out / total  # nan when every target is ignored, as in torch
                scale = scale / total if total != 0 else np.zeros_like(scale)
        coef = np.zeros(x.shape, a.dtype)
        np.put_along_axis(coef, safe[:, None], scale[:, None].astype(a.dtype), axis=1)
        coef = coef[:, : a.shape[0 if single else 1]]  # (no columns when there are no classes)
        self.coef = coef[0] if single else coef
        # the kept targets' positions: x̄ is ȳ·coef there and an exact 0 elsewhere, even
        # where ȳ is inf/nan (torch scatters into zeros; it does not multiply a one-hot)
        hit = np.zeros(x.shape, np.bool_)
        np.put_along_axis(hit, safe[:, None], keep[:, None], axis=1)
        hit = hit[:, : a.shape[0 if single else 1]]
        self.hit = hit[0] if single else hit
        self.all_ignored = reduction == "mean" and not np.any(weights)
        self.reduction = reduction
        self.single = single
        out = np.asarray(out, dtype=a.dtype)
        return out[0] if single and reduction == "none" else out

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        self.saved_tensors  # noqa: B018 - version check only (the values are in coef)
        coef = Tensor._make(self.coef, False, None, 0)
        if self.reduction == "none" and not self.single:
            g = g.unsqueeze(1)  # type: ignore[attr-defined]
        hit = Tensor._make(self.hit, False, None, 0)
        return (g * coef).masked_fill(~hit, 0.0)  # type: ignore[attr-defined]

    def jvp(self, dx: Any, dt: Any, dw: Any, x: Tensor, t: Tensor, w: Any, y: Tensor) -> Any:
        """ℓ̇ₙ = −w[tₙ]·ẋ[n, tₙ] (0 where ignored), reduced as ℓ is: nan for a mean over
        only ignored targets, as in torch (the weight's tangent is not used)."""
        if dx is None:
            return None
        picked = dx * Tensor._make(self.coef, False, None, 0)
        if self.reduction == "none":
            return picked.sum() if self.single else picked.sum(1)  # type: ignore[attr-defined]
        total = picked.sum()  # type: ignore[attr-defined]
        return total / 0.0 if self.all_ignored else total


class NllLoss2DBackward0(NllLossBackward0):
    """``NllLossBackward0`` for inputs with spatial dims (N, C, d₁, d₂)."""


def nll_loss_kernel(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                    ignore_index: int) -> Tensor:  # fmt: skip
    """The fused negative log-likelihood; shapes and dtypes already checked by the caller."""
    spatial = input.ndim >= 3
    _refuse_grad("nll_loss2d_forward" if spatial else "nll_loss_forward", "weight", weight)
    node = NllLoss2DBackward0 if spatial else NllLossBackward0
    return node.apply(input, target, weight, reduction=reduction, ignore_index=ignore_index)  # type: ignore[no-any-return]
