"""A whole LSTM layer over time as one op, ``MkldnnRnnLayerBackward0`` (torch's name for its
CPU LSTM layer node).

Input: the input projections P = x W_ihᵀ + b_ih + b_hh of every step (T, B, 4H), computed
before by one matrix product, W_hh (4H, H'), the initial state (h₀, c₀) and, with
projections, W_hr (H', H). Per step t (from the last to the first when ``reverse``):

    a_t = P_t + h_{t−1} W_hhᵀ,   (h̃_t, c_t) = LSTM cell(a_t, c_{t−1}),   h_t = h̃_t W_hrᵀ (or h̃_t).

Output: (h_1 … h_T stacked in time order, h_T, c_T).

Backward (through time, from the last step processed to the first), with ā_t the cell's gate
gradient (``lstm_cell_grad``):

    h̄_t += ȳ_t;  h̃̄_t = h̄_t W_hr;  (ā_t, c̄_{t−1}) = cell gradient;  h̄_{t−1} = ā_t W_hh;
    P̄_t = ā_t,  W̄_hh = Σ_t ā_tᵀ h_{t−1},  W̄_hr = Σ_t h̄_tᵀ h̃_t,  (h̄₀, c̄₀) at the end.

Note: the forward is a NumPy loop (one BLAS call and one fused cell per step, no recorded
nodes), and W̄_hh is one matrix product over all steps. The backward is the loop above in
dyngrad ops. In a plain backward those ops run unrecorded on the activations the forward
kept; when the backward is itself recorded (``create_graph=True``) the per-step states are
first recomputed with the differentiable per-step ops (``fused_lstm_cell``, ``mm``), so
gradients of any order work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import grad_mode
from ._registry import OpNode
from .linalg import mm
from .nn_rnn import fused_lstm_cell, lstm_cell_arrays, lstm_cell_grad
from .shape_join import stack

__all__ = ["lstm_layer"]


def _const(a: np.ndarray) -> Tensor:
    return Tensor._make(a, False, None, 0)


def _order(steps: int, reverse: bool) -> list[int]:
    return list(range(steps - 1, -1, -1)) if reverse else list(range(steps))


class MkldnnRnnLayerBackward0(OpNode):
    """One LSTM layer over time (see the module docstring)."""

    save = (0, 1, 2, 3, 4)
    n_outputs = 3

    def forward(self, proj: np.ndarray, w_hh: np.ndarray, h0: np.ndarray, c0: np.ndarray,
                w_hr: np.ndarray | None, reverse: bool) -> tuple[np.ndarray, ...]:  # fmt: skip
        steps, batch, _ = proj.shape
        hidden, out_size = c0.shape[-1], h0.shape[-1]
        dtype = proj.dtype
        acts = np.empty(proj.shape, dtype)
        hs = np.empty((steps + 1, batch, out_size), dtype)
        cs = np.empty((steps + 1, batch, hidden), dtype)
        tanhs = np.empty((steps, batch, hidden), dtype)
        raws = np.empty((steps, batch, hidden), dtype) if w_hr is not None else None
        out = np.empty((steps, batch, out_size), dtype)
        hs[0], cs[0] = h0, c0
        w_hh_t = w_hh.T
        for k, t in enumerate(_order(steps, reverse)):
            act = np.matmul(hs[k], w_hh_t, out=acts[k])
            act += proj[t]
            lstm_cell_arrays(act, cs[k], cs[k + 1], tanhs[k])
            o = act[:, 3 * hidden :]
            if raws is None:
                np.multiply(o, tanhs[k], out=out[t])
            else:
                np.multiply(o, tanhs[k], out=raws[k])
                np.matmul(raws[k], w_hr.T, out=out[t])  # type: ignore[union-attr]
            hs[k + 1] = out[t]
        if isinstance(self, OpNode):  # recorded: keep the states for the backward
            self.reverse = reverse
            self.cache = (acts, hs, cs, tanhs, raws)
        return out, hs[steps].copy(), cs[steps].copy()

    def backward(self, g_out: Tensor, g_h: Tensor, g_c: Tensor) -> tuple[Any, ...]:
        proj, w_hh, h0, c0, w_hr = self.saved_tensors
        steps, batch, gates = proj.shape
        order = _order(steps, self.reverse)
        recorded = grad_mode.state.grad_enabled
        if recorded:
            states = _recompute_states(proj, w_hh, h0, c0, w_hr, order)
        else:
            states = _cached_states(self.cache)
            buffer = np.empty(proj.shape, proj._data.dtype)  # ā of every step, written in place
        g_steps = g_out.unbind(0)  # type: ignore[attr-defined]
        d_gates: list[Any] = [None] * steps
        d_outs: list[Any] = [None] * steps
        dh, dc = g_h, g_c
        for k in range(steps - 1, -1, -1):
            gate_k, c_prev, _, _, cache = states[k]
            dh = dh + g_steps[order[k]]
            d_outs[k] = dh
            d_raw = dh if w_hr is None else mm(dh, w_hr)
            d_gates[k], dc = lstm_cell_grad(d_raw, dc, gate_k, c_prev, cache=cache,
                                            out=None if recorded else buffer[k])  # fmt: skip
            dh = mm(d_gates[k], w_hh)
        need_p, need_whh, need_h0, need_c0, need_whr = self.needs_input_grad
        d_all = stack(d_gates) if recorded else _const(buffer)  # processing order
        d_w_hh = d_w_hr = None
        if need_whh:
            h_prev = _stacked(states, 2, recorded, self.cache[1][:steps])
            d_w_hh = mm(d_all.reshape(steps * batch, gates).t(), h_prev)  # type: ignore[attr-defined]
        if need_whr and w_hr is not None:
            raws = _stacked(states, 3, recorded, self.cache[4])
            d_w_hr = mm(stack(d_outs).reshape(steps * batch, -1).t(), raws)  # type: ignore[attr-defined]
        d_proj = (d_all.flip(0) if self.reverse else d_all) if need_p else None  # type: ignore[attr-defined]
        return d_proj, d_w_hh, (dh if need_h0 else None), (dc if need_c0 else None), d_w_hr


def _stacked(states: list[tuple[Any, ...]], index: int, recorded: bool, cached: Any) -> Tensor:
    """One per-step state of every step as a (steps·batch, size) matrix."""
    if recorded:
        joined = stack([s[index] for s in states])
        return joined.reshape(-1, joined.shape[-1])  # type: ignore[attr-defined,no-any-return]
    return _const(cached.reshape(-1, cached.shape[-1]))


def _cached_states(cache: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Per processing step: (gates, c_{k−1}, h_{k−1}, h̃_k, (activations, tanh c_k)) from the
    forward's arrays, as constants (the gates themselves are not needed then)."""
    acts, hs, cs, tanhs, raws = cache
    return [(None, _const(cs[k]), None, None, (acts[k], tanhs[k])) for k in range(acts.shape[0])]


def _recompute_states(proj: Tensor, w_hh: Tensor, h0: Tensor, c0: Tensor, w_hr: Tensor | None,
                      order: list[int]) -> list[tuple[Any, ...]]:  # fmt: skip
    """The same per-step states as differentiable functions of the layer's inputs."""
    steps = proj.unbind(0)  # type: ignore[attr-defined]
    w_hh_t = w_hh.t()  # type: ignore[attr-defined]
    h, c = h0, c0
    states = []
    for t in order:
        hidden = mm(h, w_hh_t)
        raw, c_next = fused_lstm_cell(steps[t], hidden, c)
        states.append((steps[t] + hidden, c, h, raw, None))
        h = raw if w_hr is None else mm(raw, w_hr.t())  # type: ignore[attr-defined]
        c = c_next
    return states


def lstm_layer(proj: Tensor, w_hh: Tensor, h0: Tensor, c0: Tensor, w_hr: Tensor | None,
               reverse: bool = False) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
    """(outputs, h_T, c_T) of an LSTM layer from its input projections (node
    ``MkldnnRnnLayerBackward0``; see the module docstring)."""
    return MkldnnRnnLayerBackward0.apply(proj, w_hh, h0, c0, w_hr, reverse=reverse)  # type: ignore[no-any-return]
