"""The hand-written NumPy floor for the model workloads: the same math as the dyngrad/torch
models, with gradients derived by hand, the same BLAS, no autograd.

Weights use torch's layout (``Linear``: (out, in); ``Conv2d``: (O, C, kh, kw)) and come in the
order of ``Module.parameters()``, so one list of arrays initialises every contender.
Each ``step_fn(x, y)`` returns a callable doing one SGD step (lr as given) that returns the
gradients of that step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of logits ``z`` (N, K) against class indices ``y``, and ∂loss/∂z
    = (softmax(z) − onehot(y)) / N."""
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.log(total[:, 0]).mean() - shifted[rows, y].mean())
    dz = e / total
    dz[rows, y] -= 1.0
    dz *= np.float32(1.0 / n)
    return loss, dz


def _sgd(params: list[np.ndarray], grads: list[np.ndarray], lr: float) -> None:
    for p, g in zip(params, grads):
        p -= np.float32(lr) * g


def _mlp_head_step(
    f: np.ndarray, y: np.ndarray, params: list[np.ndarray], need_df: bool
) -> tuple[list[np.ndarray], np.ndarray | None]:
    """Linear-ReLU-Linear-ReLU-Linear on ``f`` with cross-entropy, backward by hand: the six
    parameter gradients, and (with ``need_df``) the gradient with respect to ``f``."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.maximum(f @ w1.T + b1, 0)
    h2 = np.maximum(h1 @ w2.T + b2, 0)
    z = h2 @ w3.T + b3
    _, dz = softmax_cross_entropy(z, y)
    g_w3, g_b3 = dz.T @ h2, dz.sum(axis=0)
    d2 = (dz @ w3) * (h2 > 0)
    g_w2, g_b2 = d2.T @ h1, d2.sum(axis=0)
    d1 = (d2 @ w2) * (h1 > 0)
    g_w1, g_b1 = d1.T @ f, d1.sum(axis=0)
    return [g_w1, g_b1, g_w2, g_b2, g_w3, g_b3], (d1 @ w1 if need_df else None)


class MLP:
    """Linear-ReLU-Linear-ReLU-Linear with cross-entropy."""

    def __init__(self, weights: list[np.ndarray], lr: float) -> None:
        self.params = weights
        self.lr = lr

    def step_fn(self, x: np.ndarray, y: np.ndarray) -> Callable[[], Any]:
        def run() -> list[np.ndarray]:
            grads, _ = _mlp_head_step(x, y, self.params, need_df=False)
            _sgd(self.params, grads, self.lr)
            return grads

        return run


# --- convolution and pooling by im2col -----------------------------------------------------


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valid 2-d convolution (stride 1): im2col as (N·Ho·Wo, C·kh·kw), one GEMM with the
    flattened kernel. Returns the NCHW output and the columns (kept for the backward)."""
    n, c, _, _ = x.shape
    o, _, kh, kw = w.shape
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, Ho, Wo, kh, kw)
    ho, wo = windows.shape[2], windows.shape[3]
    cols = windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * ho * wo, c * kh * kw)
    out = cols @ w.reshape(o, -1).T + b  # (N·Ho·Wo, O)
    return out.reshape(n, ho, wo, o).transpose(0, 3, 1, 2), cols


def conv_backward(
    dout: np.ndarray, cols: np.ndarray, x_shape: tuple[int, ...], w: np.ndarray, need_dx: bool
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """∂/∂x (col2im: kh·kw strided adds), ∂/∂w = doutᵀ·cols, ∂/∂b = Σ dout."""
    n, o, ho, wo = dout.shape
    _, c, kh, kw = w.shape
    d = dout.transpose(0, 2, 3, 1).reshape(n * ho * wo, o)
    g_w = (d.T @ cols).reshape(w.shape)
    g_b = d.sum(axis=0)
    if not need_dx:
        return None, g_w, g_b
    dcols = (d @ w.reshape(o, -1)).reshape(n, ho, wo, c, kh, kw)
    dx = np.zeros(x_shape, dout.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i : i + ho, j : j + wo] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dx, g_w, g_b


def maxpool2_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2x2 max pooling, stride 2 (even sizes): the maxima and the argmax within each window."""
    n, c, h, w = x.shape
    win = (
        x.reshape(n, c, h // 2, 2, w // 2, 2)
        .transpose(0, 1, 2, 4, 3, 5)
        .reshape(n, c, h // 2, w // 2, 4)
    )
    idx = win.argmax(axis=-1)
    return np.take_along_axis(win, idx[..., None], axis=-1)[..., 0], idx


def maxpool2_backward(dout: np.ndarray, idx: np.ndarray) -> np.ndarray:
    n, c, ho, wo = dout.shape
    dwin = np.zeros((n, c, ho, wo, 4), dout.dtype)
    np.put_along_axis(dwin, idx[..., None], dout[..., None], axis=-1)
    return (
        dwin.reshape(n, c, ho, wo, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, 2 * ho, 2 * wo)
    )


class LeNet:
    """conv5x5(6)-relu-maxpool2-conv5x5(16)-relu-maxpool2-fc120-fc84-fc10, cross-entropy."""

    def __init__(self, weights: list[np.ndarray], lr: float) -> None:
        self.params = weights
        self.lr = lr

    def step_fn(self, x: np.ndarray, y: np.ndarray) -> Callable[[], Any]:
        cw1, cb1, cw2, cb2 = self.params[:4]
        head_params = self.params[4:]

        def run() -> list[np.ndarray]:
            c1, cols1 = conv_forward(x, cw1, cb1)
            r1 = np.maximum(c1, 0)
            p1, i1 = maxpool2_forward(r1)
            c2, cols2 = conv_forward(p1, cw2, cb2)
            r2 = np.maximum(c2, 0)
            p2, i2 = maxpool2_forward(r2)
            head, d_f = _mlp_head_step(p2.reshape(p2.shape[0], -1), y, head_params, need_df=True)
            df = d_f.reshape(p2.shape)  # type: ignore[union-attr]
            dc2 = maxpool2_backward(df, i2) * (c2 > 0)
            dp1, g_cw2, g_cb2 = conv_backward(dc2, cols2, p1.shape, cw2, need_dx=True)
            dc1 = maxpool2_backward(dp1, i1) * (c1 > 0)  # type: ignore[arg-type]
            _, g_cw1, g_cb1 = conv_backward(dc1, cols1, x.shape, cw1, need_dx=False)
            grads = [g_cw1, g_cb1, g_cw2, g_cb2, *head]
            _sgd(self.params, grads, self.lr)
            return grads

        return run
