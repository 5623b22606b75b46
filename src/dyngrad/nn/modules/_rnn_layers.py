"""The time loop of one recurrent layer in one direction, shared by RNN, LSTM and GRU.

Note: speed comes from doing as little as possible per step. The input projections of all
time steps are ONE matrix product (x W_ihᵀ + b over the (T·B, I) input); each step then
does one product for the hidden projection, h W_hhᵀ, with all gates in one matrix, and one
fused op for the pointwise cell (``ops/nn_rnn.py``); an LSTM layer runs its whole time loop
in one op (``ops/nn_rnn_layer.py``). For LSTM and plain RNN both biases go
into the input projection; GRU keeps b_hh per step because n = tanh(x_n + r·(W_hn h + b_hn)).
"""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ...ops.elementwise import relu, tanh
from ...ops.linalg import mm
from ...ops.linalg_fused import addmm
from ...ops.nn_rnn import fused_gru_cell
from ...ops.nn_rnn_layer import lstm_layer
from ...ops.shape_join import stack
from .._functional_basic import linear

__all__ = ["run_layer"]


def _input_projection(x: Tensor, w_ih: Tensor, bias: Tensor | None) -> Tensor:
    """x W_ihᵀ + bias for every time step at once, as one (T·B, I) × (I, G) product."""
    steps, batch = x.shape[0], x.shape[1]
    flat = x.reshape(steps * batch, x.shape[2])  # type: ignore[attr-defined]
    return linear(flat, w_ih, bias).view(steps, batch, w_ih.shape[0])  # type: ignore[attr-defined,no-any-return]


def run_layer(mode: str, x: Tensor, h: Tensor, c: Tensor | None, params: tuple[Any, ...],
              reverse: bool) -> tuple[Tensor, Tensor, Tensor | None]:  # fmt: skip
    """One layer over x (T, B, I) from the state (h, c): (outputs (T, B, H), h_T, c_T).

    ``params`` is (w_ih, w_hh, b_ih, b_hh, w_hr), biases and w_hr possibly None; ``reverse``
    runs from the last step to the first (the outputs stay in time order)."""
    w_ih, w_hh, b_ih, b_hh, w_hr = params
    if mode == "GRU":
        in_bias = b_ih
    else:
        in_bias = b_ih + b_hh if b_ih is not None and b_hh is not None else b_ih
    if mode == "LSTM":
        return lstm_layer(x, w_ih, w_hh, b_ih, b_hh, h, c, w_hr, reverse)  # type: ignore[arg-type]
    steps = list(_input_projection(x, w_ih, in_bias).unbind(0))  # type: ignore[attr-defined]
    w_hh_t = w_hh.t()
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    outputs: list[Any] = [None] * len(steps)
    for t in order:
        if mode == "GRU":
            hidden = mm(h, w_hh_t) if b_hh is None else addmm(b_hh, h, w_hh_t)
            h = fused_gru_cell(steps[t], hidden, h)
        elif mode == "RNN_TANH":
            h = tanh(addmm(steps[t], h, w_hh_t))
        else:
            h = relu(addmm(steps[t], h, w_hh_t))
        outputs[t] = h
    return stack(outputs), h, c
