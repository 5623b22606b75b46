"""Normalization kernels, one node each as torch names it: ``NativeLayerNormBackward0``,
``NativeBatchNormBackward0`` and ``NativeGroupNormBackward0``.

Each normalizes x over some axes A (the trailing dims for layer norm; batch and space for
batch norm; each group's channels and space for group norm) and applies a per-element or
per-channel affine map:

    μ = mean_A(x),  σ² = mean_A((x − μ)²),  r = (σ² + ε)^(−1/2),  x̂ = (x − μ)·r,
    y = x̂·w + b.

With ĝ = ȳ·w (ȳ when there is no weight) and n the number of elements averaged over,

    x̄ = r·(ĝ − mean_A(ĝ) − x̂·mean_A(ĝ·x̂)),   w̄ = Σ ȳ·x̂,   b̄ = Σ ȳ

(the sums over every axis that w and b are broadcast along). Batch norm in evaluation mode
normalizes with its running statistics, constants, so there x̄ = ĝ·r.

The backward is written in dyngrad ops. When it is itself recorded (``create_graph=True``)
μ and r are recomputed from x so that higher derivatives see their dependence on x; a
plain backward reuses the statistics the forward computed.

The argument checks (torch's messages) live in ``nn.functional``; these are the kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import forward_ad, grad_mode
from ._registry import OpNode, tangent_sum
from .indexing_saved import saved_index, watch

__all__ = ["layer_norm_kernel", "batch_norm_kernel", "group_norm_kernel"]


def _const(a: np.ndarray) -> Tensor:
    return Tensor._make(a, False, None, 0)


def _moments(x: np.ndarray, axes: tuple[int, ...], eps: float) -> tuple[np.ndarray, np.ndarray]:
    """μ and r = (σ² + ε)^(−1/2) over ``axes`` (kept as size-1 dims), in x's dtype."""
    count = 1
    for a in axes:
        count *= x.shape[a]
    with np.errstate(all="ignore"):  # no values: nan statistics, silently (as torch)
        mean = np.divide(x.sum(axes, keepdims=True), count, dtype=x.dtype)
        centred = x - mean
        var = np.divide((centred * centred).sum(axes, keepdims=True), count, dtype=x.dtype)
        return mean, 1.0 / np.sqrt(var + eps)


def _normalized_grad(x: Tensor, g_hat: Tensor, axes: tuple[int, ...], eps: float,
                     stats: tuple[np.ndarray, np.ndarray]) -> tuple[Tensor, Tensor]:  # fmt: skip
    """(x̄, x̂) for x̂ = (x − μ)·r over ``axes`` given ĝ (see the module docstring)."""
    # (tangents, forward over reverse, also need the statistics' dependence on x)
    if grad_mode.state.grad_enabled or forward_ad.STATE.depth:
        mean = x.mean(axes, keepdim=True)  # type: ignore[attr-defined]
        centred = x - mean
        rstd = ((centred * centred).mean(axes, keepdim=True) + eps).rsqrt()
    else:
        centred = x - _const(stats[0])
        rstd = _const(stats[1])
    x_hat = centred * rstd
    mean_g = g_hat.mean(axes, keepdim=True)  # type: ignore[attr-defined]
    mean_gx = (g_hat * x_hat).mean(axes, keepdim=True)
    return rstd * (g_hat - mean_g - x_hat * mean_gx), x_hat


def _normalized_tangent(x: Tensor, dx: Any, axes: tuple[int, ...],
                        eps: float) -> tuple[Any, Tensor]:  # fmt: skip
    """(ẋ̂, x̂) for x̂ = (x − μ)·r over ``axes``: ẋ̂ = r·(ẋ − mean_A(ẋ) − x̂·mean_A(ẋ·x̂))
    (None without ẋ), the statistics recomputed from x in dyngrad ops (so the tangent is
    differentiable again)."""
    mean = x.mean(axes, keepdim=True)  # type: ignore[attr-defined]
    centred = x - mean
    rstd = ((centred * centred).mean(axes, keepdim=True) + eps).rsqrt()
    x_hat = centred * rstd
    if dx is None:
        return None, x_hat
    mean_dx = dx.mean(axes, keepdim=True)  # type: ignore[attr-defined]
    mean_dxx = (dx * x_hat).mean(axes, keepdim=True)
    return rstd * (dx - mean_dx - x_hat * mean_dxx), x_hat


def _affine_tangent(dx_hat: Any, x_hat: Tensor, w: Any, dw: Any, db: Any,
                    shape: tuple[int, ...]) -> Any:  # fmt: skip
    """ẏ = ẋ̂·w + x̂·ẇ + ḃ for y = x̂·w + b (w, b reshaped to ``shape``; a missing one: 1, 0)."""
    from_x = None
    if dx_hat is not None:
        from_x = dx_hat if w is None else dx_hat * w.reshape(shape)
    from_w = None if dw is None else x_hat * dw.reshape(shape)
    from_b = None if db is None else db.reshape(shape)
    return tangent_sum(from_x, from_w, from_b)


def _affine(
    y: np.ndarray, w: np.ndarray | None, b: np.ndarray | None, shape: tuple[int, ...]
) -> np.ndarray:
    """y·w + b, C-contiguous like torch's result whatever the input's layout."""
    y = np.ascontiguousarray(y)
    if w is not None:
        y *= w.reshape(shape)
    if b is not None:
        y += b.reshape(shape)
    return y


def _sum_over(t: Tensor, dims: tuple[int, ...]) -> Tensor:
    """Σ over ``dims`` (none: ``t`` itself; dyngrad's sum over () would sum everything)."""
    return t.sum(dims) if dims else t  # type: ignore[attr-defined,no-any-return]


# --- layer norm ------------------------------------------------------------------------------


class NativeLayerNormBackward0(OpNode):
    """y = x̂·w + b with μ, σ² over the last ``ndim`` dims of x (w and b of those dims' shape);
    x̄, w̄, b̄ as in the module docstring."""

    save = (0, 1, 2)  # (the bias too, as torch saves it: an in-place change of it is caught)
    quiet = True  # an empty normalized shape gives nan statistics, as in torch

    def forward(self, x: np.ndarray, w: np.ndarray | None, b: np.ndarray | None, ndim: int,
                eps: float) -> np.ndarray:  # fmt: skip
        axes = tuple(range(x.ndim - ndim, x.ndim))
        mean, rstd = _moments(x, axes, eps)
        self.axes, self.eps, self.stats = axes, eps, (mean, rstd)
        return _affine((x - mean) * rstd, w, b, x.shape[x.ndim - ndim :])

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, w, _ = self.saved_tensors
        need_x, need_w, need_b = self.needs_input_grad
        g_hat = g if w is None else g * w
        gx, x_hat = _normalized_grad(x, g_hat, self.axes, self.eps, self.stats)
        lead = tuple(range(x.ndim - len(self.axes)))
        gw = _sum_over(g * x_hat, lead) if need_w else None
        gb = _sum_over(g, lead) if need_b else None
        return (gx if need_x else None), gw, gb

    def jvp(self, dx: Any, dw: Any, db: Any, x: Tensor, w: Any, b: Any, y: Tensor) -> Any:
        """ẏ = ẋ̂·w + x̂·ẇ + ḃ, ẋ̂ = r·(ẋ − mean(ẋ) − x̂·mean(ẋ·x̂)) over the normalized dims."""
        shape = tuple(x.shape[x.ndim - len(self.axes) :])
        dx_hat, x_hat = _normalized_tangent(x, dx, self.axes, self.eps)
        return _affine_tangent(dx_hat, x_hat, w, dw, db, shape)


def layer_norm_kernel(input: Tensor, weight: Tensor | None, bias: Tensor | None, ndim: int,
                      eps: float) -> Tensor:  # fmt: skip
    """Layer norm over the last ``ndim`` dims (node ``NativeLayerNormBackward0``)."""
    return NativeLayerNormBackward0.apply(input, weight, bias, ndim=ndim, eps=eps)  # type: ignore[no-any-return]


# --- batch norm ------------------------------------------------------------------------------


def _channel_shape(x: np.ndarray) -> tuple[int, ...]:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


class NativeBatchNormBackward0(OpNode):
    """y = x̂·w + b per channel (dim 1). Training: μ, σ² over every dim but 1, and the
    running statistics (Tensors passed as parameters) move towards them in place,
    ``running ← (1 − m)·running + m·batch`` with the unbiased variance n/(n − 1)·σ².
    Evaluation: μ, σ² are the running statistics and x̄ = ȳ·w·r."""

    save = (0, 1)
    quiet = True
    stats = saved_index()  # in evaluation, checked against changes of the running statistics

    def forward(self, x: np.ndarray, w: np.ndarray | None, b: np.ndarray | None,
                running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                momentum: float, eps: float) -> np.ndarray:  # fmt: skip
        shape = _channel_shape(x)
        axes = (0, *range(2, x.ndim))
        if training:
            mean, rstd = _moments(x, axes, eps)
            _update_running(x, mean, running_mean, running_var, momentum)
        else:
            mean = running_mean._data.reshape(shape).astype(x.dtype)  # type: ignore[union-attr]
            var = running_var._data.reshape(shape).astype(x.dtype)  # type: ignore[union-attr]
            rstd = 1.0 / np.sqrt(var + eps)
        self.axes, self.eps, self.training, self.stats = axes, eps, training, (mean, rstd)
        self.running = (running_mean, running_var)
        # (w and b need only C elements: (1, C) is accepted, and its gradient has its shape)
        self.affine_shapes = (None if w is None else w.shape, None if b is None else b.shape)
        return _affine((x - mean) * rstd, w, b, shape)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, w = self.saved_tensors
        need_x, need_w, need_b = self.needs_input_grad
        shape = _channel_shape(x._data)
        g_hat = g if w is None else g * w.reshape(shape)  # type: ignore[attr-defined]
        if self.training:
            gx, x_hat = _normalized_grad(x, g_hat, self.axes, self.eps, self.stats)
        else:
            mean, rstd = _const(self.stats[0]), _const(self.stats[1])
            gx, x_hat = g_hat * rstd, (x - mean) * rstd
        w_shape, b_shape = self.affine_shapes
        gw = (g * x_hat).sum(self.axes).reshape(w_shape) if need_w else None  # type: ignore[attr-defined]
        gb = g.sum(self.axes).reshape(b_shape) if need_b else None  # type: ignore[attr-defined]
        return (gx if need_x else None), gw, gb

    def jvp(self, dx: Any, dw: Any, db: Any, x: Tensor, w: Any, b: Any, y: Tensor) -> Any:
        """ẏ = ẋ̂·w + x̂·ẇ + ḃ per channel; training: ẋ̂ = r·(ẋ − mean(ẋ) − x̂·mean(ẋ·x̂))
        over every dim but 1; evaluation (constant statistics): ẋ̂ = ẋ·r."""
        shape = _channel_shape(x._data)
        if self.training:
            dx_hat, x_hat = _normalized_tangent(x, dx, self.axes, self.eps)
        else:
            if forward_ad.dual_levels_of(tuple(t for t in self.running if t is not None)):
                raise RuntimeError(
                    "batch_norm is not differentiable wrt running_mean and running_var, they "
                    "cannot have forward grad defined"
                )
            mean, rstd = _const(self.stats[0]), _const(self.stats[1])
            x_hat = (x - mean) * rstd
            dx_hat = None if dx is None else dx * rstd
        return _affine_tangent(dx_hat, x_hat, w, dw, db, shape)


def _update_running(x: np.ndarray, mean: np.ndarray, running_mean: Tensor | None, running_var: Tensor | None,
                    momentum: float) -> None:  # fmt: skip
    """Move the running statistics towards the batch's (nothing to learn from no values)."""
    n = x.size // max(x.shape[1], 1)
    if n == 0:
        return
    if running_mean is not None:
        batch = mean.reshape(-1)
        running_mean._data[...] = (1.0 - momentum) * running_mean._data + momentum * batch
        running_mean._bump_version()
    if running_var is not None:
        centred = x - mean
        var = (centred * centred).sum((0, *range(2, x.ndim))) / n
        unbiased = var * (n / (n - 1)) if n > 1 else np.full_like(var, np.nan)
        running_var._data[...] = (1.0 - momentum) * running_var._data + momentum * unbiased
        running_var._bump_version()


def batch_norm_kernel(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                      momentum: float, eps: float) -> Tensor:  # fmt: skip
    """Batch norm over dim 1 (node ``NativeBatchNormBackward0``); see the class docstring."""
    out = NativeBatchNormBackward0.apply(
        input, weight, bias, running_mean=running_mean, running_var=running_var,
        training=training, momentum=momentum, eps=eps,
    )  # fmt: skip
    # torch saves the running statistics (updated ones, in training): changing them in place
    # afterwards makes its backward refuse
    watch(out, "stats", running_mean, running_var)
    return out  # type: ignore[no-any-return]


# --- group norm ------------------------------------------------------------------------------


class NativeGroupNormBackward0(OpNode):
    """y = x̂·w + b per channel, with μ, σ² over each sample's group of C/G channels and all
    of their spatial positions; x̄, w̄, b̄ as in the module docstring on the grouped view."""

    save = (0, 1)
    quiet = True

    def forward(self, x: np.ndarray, w: np.ndarray | None, b: np.ndarray | None, groups: int,
                eps: float) -> np.ndarray:  # fmt: skip
        grouped = x.reshape(x.shape[0], groups, x.size // max(x.shape[0] * groups, 1))
        mean, rstd = _moments(grouped, (2,), eps)
        self.groups, self.eps, self.stats = groups, eps, (mean, rstd)
        y = ((grouped - mean) * rstd).reshape(x.shape)
        return _affine(y, w, b, _channel_shape(x))

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        x, w = self.saved_tensors
        need_x, need_w, need_b = self.needs_input_grad
        shape = _channel_shape(x._data)
        grouped = (x.shape[0], self.groups, x.numel() // max(x.shape[0] * self.groups, 1))  # type: ignore[attr-defined]
        g_hat = g if w is None else g * w.reshape(shape)  # type: ignore[attr-defined]
        gx, x_hat = _normalized_grad(
            x.reshape(grouped),
            g_hat.reshape(grouped),
            (2,),
            self.eps,
            self.stats,  # type: ignore[attr-defined]
        )
        axes = (0, *range(2, x.ndim))
        gw = (g * x_hat.reshape(x.shape)).sum(axes) if need_w else None  # type: ignore[attr-defined]
        gb = g.sum(axes) if need_b else None  # type: ignore[attr-defined]
        return (gx.reshape(x.shape) if need_x else None), gw, gb  # type: ignore[attr-defined]

    def jvp(self, dx: Any, dw: Any, db: Any, x: Tensor, w: Any, b: Any, y: Tensor) -> Any:
        """ẏ = ẋ̂·w + x̂·ẇ + ḃ per channel, ẋ̂ = r·(ẋ − mean(ẋ) − x̂·mean(ẋ·x̂)) over each
        group."""
        grouped = (x.shape[0], self.groups, x.numel() // max(x.shape[0] * self.groups, 1))  # type: ignore[attr-defined]
        dx_g = None if dx is None else dx.reshape(grouped)  # type: ignore[attr-defined]
        dx_hat, x_hat = _normalized_tangent(x.reshape(grouped), dx_g, (2,), self.eps)  # type: ignore[attr-defined]
        dx_hat = None if dx_hat is None else dx_hat.reshape(x.shape)
        shape = _channel_shape(x._data)
        return _affine_tangent(dx_hat, x_hat.reshape(x.shape), w, dw, db, shape)  # type: ignore[attr-defined]


def group_norm_kernel(input: Tensor, weight: Tensor | None, bias: Tensor | None, groups: int,
                      eps: float) -> Tensor:  # fmt: skip
    """Group norm of (N, C, *) in ``groups`` groups (node ``NativeGroupNormBackward0``).
    As torch, the node gets (and saves) a contiguous copy of a non-contiguous input."""
    input = input.contiguous()  # type: ignore[attr-defined]
    return NativeGroupNormBackward0.apply(input, weight, bias, groups=groups, eps=eps)  # type: ignore[no-any-return]
