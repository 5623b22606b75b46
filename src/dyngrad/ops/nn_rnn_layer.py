"""A whole LSTM layer over time as one op, ``MkldnnRnnLayerBackward0`` (torch's name for its
CPU LSTM layer node, with the same inputs: x, W_ih, W_hh, b_ih, b_hh, h₀, c₀).

With P = x W_ihᵀ + b_ih + b_hh the input projections of all T steps at once, and, per step
t (from the last to the first when ``reverse``),

    a_t = P_t + h_{t−1} W_hhᵀ,   (h̃_t, c_t) = LSTM cell(a_t, c_{t−1}),   h_t = h̃_t W_hrᵀ (or h̃_t),

the outputs are (h_1 … h_T stacked in time order, h_T, c_T).

Backward (through time, from the last step processed to the first), with ā_t the cell's gate
gradient (``lstm_cell_grad``):

    h̄_t += ȳ_t;  h̃̄_t = h̄_t W_hr;  (ā_t, c̄_{t−1}) = cell gradient;  h̄_{t−1} = ā_t W_hh;
    W̄_hh = Σ_t ā_tᵀ h_{t−1},  W̄_hr = Σ_t h̄_tᵀ h̃_t,  x̄ = Ā W_ih,  W̄_ih = Āᵀ x,
    b̄_ih = b̄_hh = Σ_t ā_t,  and (h̄₀, c̄₀) at the end.

Note: speed. The forward is a NumPy loop: one BLAS call and one fused cell per step, no
recorded nodes. x W_ihᵀ, W̄_hh, W̄_ih and x̄ are each ONE matrix product over all steps. The
backward is the loop above in dyngrad ops: in a plain backward they run unrecorded on the
activations the forward kept; when the backward is itself recorded (``create_graph=True``)
the per-step states are first recomputed with the differentiable per-step ops
(``fused_lstm_cell``, ``mm``), so gradients of any order work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import forward_ad, grad_mode
from ._registry import OpNode, tangent_sum
from .linalg import mm
from .nn_rnn import (
    check_unchecked,
    fused_lstm_cell,
    keep_unchecked,
    lstm_cell_arrays,
    lstm_cell_grad,
    lstm_cell_tangent,
)
from .shape_join import stack

__all__ = ["lstm_layer"]


def _const(a: np.ndarray) -> Tensor:
    return Tensor._make(a, False, None, 0)


def _order(steps: int, reverse: bool) -> list[int]:
    return list(range(steps - 1, -1, -1)) if reverse else list(range(steps))


def _projections(x: np.ndarray, w_ih: np.ndarray, b_ih: Any, b_hh: Any) -> np.ndarray:
    """x W_ihᵀ + b_ih + b_hh for all steps, (T, B, I) → (T, B, 4H), as one product."""
    steps, batch, size = x.shape
    proj = x.reshape(steps * batch, size) @ w_ih.T
    if b_ih is not None or b_hh is not None:
        proj += (
            b_ih + b_hh
            if b_ih is not None and b_hh is not None
            else (b_ih if b_hh is None else b_hh)
        )
    return proj.reshape(steps, batch, w_ih.shape[0])


class MkldnnRnnLayerBackward0(OpNode):
    """One LSTM layer over time (see the module docstring)."""

    save = (0, 1, 2, 3, 4, 5, 6, 7)
    n_outputs = 3

    def forward(self, x: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray, b_ih: Any, b_hh: Any,
                h0: np.ndarray, c0: np.ndarray, w_hr: np.ndarray | None,
                reverse: bool) -> tuple[np.ndarray, ...]:  # fmt: skip
        steps, batch, _ = x.shape
        hidden, out_size = c0.shape[-1], h0.shape[-1]
        dtype = x.dtype
        acts = _projections(x, w_ih, b_ih, b_hh)  # becomes the activated gates, step by step
        hs = np.empty((steps + 1, batch, out_size), dtype)
        cs = np.empty((steps + 1, batch, hidden), dtype)
        tanhs = np.empty((steps, batch, hidden), dtype)
        raws = np.empty((steps, batch, hidden), dtype) if w_hr is not None else None
        out = np.empty((steps, batch, out_size), dtype)
        hs[0], cs[0] = h0, c0
        w_hh_t = np.ascontiguousarray(w_hh.T)  # Note: BLAS is ~1.5x faster on it than on w_hh.T
        hidden_gates = np.empty((batch, w_hh.shape[0]), dtype)
        order = _order(steps, reverse)
        for k, t in enumerate(order):
            act = acts[t]
            act += np.matmul(hs[k], w_hh_t, out=hidden_gates)
            lstm_cell_arrays(act, cs[k], cs[k + 1], tanhs[k])
            o = act[:, 3 * hidden :]
            if raws is None:
                np.multiply(o, tanhs[k], out=out[t])
            else:
                np.multiply(o, tanhs[k], out=raws[k])
                np.matmul(raws[k], w_hr.T, out=out[t])  # type: ignore[union-attr]
            hs[k + 1] = out[t]
        self.reverse = reverse
        if isinstance(self, OpNode):  # recorded: keep the states for the backward
            # Note: kept as array attributes, which the engine drops when it frees the graph.
            self.acts, self.hs, self.cs, self.tanhs = acts, hs, cs, tanhs
            if raws is not None:
                self.raws = raws
        return out, hs[steps].copy(), cs[steps].copy()

    def backward(self, g_out: Tensor, g_h: Tensor, g_c: Tensor) -> tuple[Any, ...]:
        x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr = self.saved_tensors
        steps, batch, _ = x.shape
        gates = w_hh.shape[0]
        order = _order(steps, self.reverse)
        # (tangents, forward over reverse, also need the states' dependence on the inputs)
        recorded = grad_mode.state.grad_enabled or forward_ad.STATE.depth > 0
        if recorded:
            check_unchecked(self)
            states = _recompute_states(x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr, order)
        else:
            states = _cached_states(self.acts, self.cs, self.tanhs, order)
            buffer = np.empty(
                (steps, batch, gates), x._data.dtype
            )  # ā of every step, in time order
        g_steps = g_out.unbind(0)  # type: ignore[attr-defined]
        d_gates: list[Any] = [None] * steps
        d_outs: list[Any] = [None] * steps
        dh, dc = g_h, g_c
        for k in range(steps - 1, -1, -1):
            t = order[k]
            gate_k, c_prev, _, _, cache = states[k]
            dh = dh + g_steps[t]
            d_outs[t] = dh
            d_raw = dh if w_hr is None else mm(dh, w_hr)
            d_gates[t], dc = lstm_cell_grad(d_raw, dc, gate_k, c_prev, cache=cache,
                                            out=None if recorded else buffer[t])  # fmt: skip
            dh = mm(d_gates[t], w_hh)
        need = self.needs_input_grad
        d_all = (stack(d_gates) if recorded else _const(buffer)).reshape(steps * batch, gates)  # type: ignore[attr-defined]
        d_x = d_w_ih = d_w_hh = d_b = d_w_hr = None
        if need[0]:
            d_x = mm(d_all, w_ih).reshape(x.shape)  # type: ignore[attr-defined]
        if need[1]:
            d_w_ih = mm(d_all.t(), x.reshape(steps * batch, x.shape[2]))  # type: ignore[attr-defined]
        if need[2]:
            h_prev = _in_time_order(
                states, 2, order, recorded, None if recorded else self.hs[:steps]
            )
            d_w_hh = mm(d_all.t(), h_prev)  # type: ignore[attr-defined]
        if need[3] or need[4]:
            d_b = d_all.sum(0)  # type: ignore[attr-defined]
        if need[7] and w_hr is not None:
            raws = _in_time_order(states, 3, order, recorded, None if recorded else self.raws)
            d_w_hr = mm(stack(d_outs).reshape(steps * batch, g_h.shape[-1]).t(), raws)  # type: ignore[attr-defined]
        return (d_x, d_w_ih, d_w_hh, d_b if need[3] else None, d_b if need[4] else None,
                dh if need[5] else None, dc if need[6] else None, d_w_hr)  # fmt: skip

    def jvp(self, *args: Any) -> tuple[Tensor, Tensor, Tensor]:
        """The recurrence run on tangents beside the (recomputed) states: with
        Ṗ = ẋ W_ihᵀ + x Ẇ_ihᵀ + ḃ_ih + ḃ_hh, per step ȧ_t = Ṗ_t + ḣ_{t−1} W_hhᵀ + h_{t−1} Ẇ_hhᵀ,
        (h̃̇_t, ċ_t) = the cell's tangent (``lstm_cell_tangent``), ḣ_t = h̃̇_t W_hrᵀ + h̃_t Ẇ_hrᵀ
        (or h̃̇_t); the outputs' tangents are (ḣ_1 … ḣ_T in time order, ḣ_T, ċ_T)."""
        tangents, (x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr) = args[:8], args[8:16]
        dx, dw_ih, dw_hh, db_ih, db_hh, dh, dc, dw_hr = tangents
        order = _order(x.shape[0], self.reverse)
        proj = x.matmul(w_ih.t())  # type: ignore[attr-defined]
        d_proj = tangent_sum(
            None if dx is None else dx.matmul(w_ih.t()),
            None if dw_ih is None else x.matmul(dw_ih.t()),  # type: ignore[attr-defined]
            db_ih,
            db_hh,
        )
        for b in (b_ih, b_hh):
            if b is not None:
                proj = proj + b
        d_proj = _or_zeros(d_proj, proj)
        steps, d_steps = proj.unbind(0), d_proj.unbind(0)  # type: ignore[attr-defined]
        w_hh_t = w_hh.t()  # type: ignore[attr-defined]
        h, c, dh, dc = h0, c0, _or_zeros(dh, h0), _or_zeros(dc, c0)
        d_outs: list[Any] = [None] * len(order)
        for t in order:
            hidden = mm(h, w_hh_t)
            d_gates = d_steps[t] + mm(dh, w_hh_t)
            if dw_hh is not None:
                d_gates = d_gates + mm(h, dw_hh.t())
            raw, c_next = fused_lstm_cell(steps[t], hidden, c)
            d_raw, dc = lstm_cell_tangent(d_gates, dc, steps[t] + hidden, c)
            if w_hr is None:
                h, dh = raw, d_raw
            else:
                h, dh = mm(raw, w_hr.t()), mm(d_raw, w_hr.t())  # type: ignore[attr-defined]
                if dw_hr is not None:
                    dh = dh + mm(raw, dw_hr.t())
            c = c_next
            d_outs[t] = dh
        d_out = stack(d_outs) if d_outs else _or_zeros(None, args[16][0])
        return d_out, dh, dc


def _or_zeros(tangent: Any, primal: Tensor) -> Tensor:
    """A tangent, or zeros shaped as its primal."""
    return tangent if tangent is not None else _const(np.zeros(primal.shape, primal._data.dtype))  # type: ignore[no-any-return]


def _in_time_order(states: list[tuple[Any, ...]], index: int, order: list[int], recorded: bool,
                   cached: np.ndarray | None) -> Tensor:  # fmt: skip
    """One per-step state (kept in processing order) of every step, as a (T·B, size) matrix
    in time order, matching the rows of Ā."""
    reverse = bool(order) and order[0] != 0
    if recorded:
        by_step = [s[index] for s in states]
        joined = stack(by_step[::-1] if reverse else by_step)
    else:
        joined = _const(cached[::-1] if reverse else cached)  # type: ignore[index,arg-type]
    return joined.reshape(joined.shape[0] * joined.shape[1], joined.shape[2])  # type: ignore[attr-defined,no-any-return]


def _cached_states(acts: np.ndarray, cs: np.ndarray, tanhs: np.ndarray,
                   order: list[int]) -> list[tuple[Any, ...]]:  # fmt: skip
    """Per processing step k: (gates, c_{k−1}, h_{k−1}, h̃_k, (activations, tanh c_k)) from
    the forward's arrays, as constants (the pre-activation gates are not needed then)."""
    return [(None, _const(cs[k]), None, None, (acts[t], tanhs[k])) for k, t in enumerate(order)]


def _recompute_states(x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any, h0: Tensor,
                      c0: Tensor, w_hr: Tensor | None, order: list[int]) -> list[tuple[Any, ...]]:  # fmt: skip
    """The same per-step states as differentiable functions of the layer's inputs."""
    proj = x.matmul(w_ih.t())  # type: ignore[attr-defined]
    for b in (b_ih, b_hh):
        if b is not None:
            proj = proj + b
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


def lstm_layer(x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None,
               h0: Tensor, c0: Tensor, w_hr: Tensor | None = None,
               reverse: bool = False) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
    """(outputs, h_T, c_T) of an LSTM layer over x (T, B, I) (node
    ``MkldnnRnnLayerBackward0``; see the module docstring)."""
    if w_ih.requires_grad and grad_mode.state.grad_enabled and not _flattens_as_view(x):
        x = x.clone()  # type: ignore[attr-defined]  # (what torch's product reads: a copy)
    out = MkldnnRnnLayerBackward0.apply(x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr, reverse=reverse)
    node = out[0].grad_fn
    if type(node) is MkldnnRnnLayerBackward0:
        keep_unchecked(node, _checked(node.needs_input_grad, x.shape[0]))
    return out  # type: ignore[no-any-return]


def _flattens_as_view(x: Tensor) -> bool:
    """Whether x (T, B, I) is a (T·B, I) matrix without a copy (steps and batch adjacent in
    memory): torch's input product then saves x itself, else a copy of it."""
    steps, batch = x.shape[0], x.shape[1]
    stride_t, stride_b = x._data.strides[:2]
    return steps == 1 or batch == 1 or stride_t == stride_b * batch


def _checked(need: tuple[bool, ...], steps: int) -> tuple[bool, ...]:
    """Which inputs torch's layer saves (and so checks for in-place changes), given which
    need a gradient: its CPU layer (a composition: one product x W_ihᵀ + b_ih for all steps,
    then per step h W_hhᵀ + b_hh and the cell) saves each product's operand for the other's
    gradient, c₀ for the forget gate's, W_hr for the projected states', and no bias. So
    x for W_ih and W_ih for x; h₀ for W_hh; W_hh for h₀, and for the later states, which
    need a gradient when any input does (two steps or more); c₀ when the first gates do
    (any input but c₀ and W_hr); W_hr when the first states do (any input but W_hr), or
    when any input does and there are later steps."""
    x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr = need
    gates = x or w_ih or w_hh or b_ih or b_hh or h0
    later = steps > 1 and (gates or c0 or w_hr)  # the later states need a gradient
    return (w_ih, x, h0 or later, False, False, w_hh, gates, gates or c0 or later)
