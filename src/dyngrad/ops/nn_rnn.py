"""Fused recurrent cells, as torch names them: ``ThnnFusedLstmCellBackward0`` and
``ThnnFusedGruCellBackward0``.

A recurrent layer computes its input projections for every time step at once, and per
step one matrix product for the hidden projection; what is left per step is pointwise.
These ops do that pointwise part in one node (a few NumPy ufuncs instead of about a dozen
recorded ops), which is what makes a Python-level time loop fast.

LSTM, with gate pre-activations a = input_gates + hidden_gates split as (a_i, a_f, a_g, a_o):

    i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g);  c' = f·c + i·g;  h' = o·tanh(c').

GRU, with input gates (x_r, x_z, x_n) and hidden gates (h_r, h_z, h_n) (biases included):

    r = σ(x_r + h_r);  z = σ(x_z + h_z);  n = tanh(x_n + r·h_n);  h' = (1 − z)·n + z·h.

Each backward is another op (``_FusedLstmCellGrad``, ``_FusedGruCellGrad``) whose forward is
the closed-form gradient in NumPy and whose own backward, the second derivative, is written
in dyngrad ops: gradients of any order work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OpNode
from .shape_join import cat

__all__ = [
    "fused_lstm_cell",
    "fused_gru_cell",
    "lstm_cell_grad",
    "lstm_cell_arrays",
    "lstm_cell_grad_arrays",
]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = (1 + tanh(x/2))/2: no overflow for large |x|."""
    return np.tanh(x * 0.5) * 0.5 + 0.5


def _split(a: Any, parts: int) -> list[Any]:
    """The gate blocks along the last dim (views for arrays, ``chunk`` for tensors)."""
    if isinstance(a, np.ndarray):
        size = a.shape[-1] // parts
        return [a[..., k * size : (k + 1) * size] for k in range(parts)]
    return list(a.chunk(parts, -1))


# --- LSTM ------------------------------------------------------------------------------------

# Note: σ(x) = (1 + tanh(x/2))/2, so all four gate activations are one tanh over the gate
# block: scale the σ gates by 1/2, tanh, then map those back with ·1/2 + 1/2.
_SCALES: dict[tuple[int, Any], tuple[np.ndarray, np.ndarray]] = {}


def _gate_affine(size: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    key = (size, dtype)
    if key not in _SCALES:
        scale = np.full(4 * size, 0.5, dtype)
        scale[2 * size : 3 * size] = 1.0
        shift = np.full(4 * size, 0.5, dtype)
        shift[2 * size : 3 * size] = 0.0
        _SCALES[key] = (scale, shift)
    return _SCALES[key]


def lstm_cell_arrays(act: np.ndarray, cx: np.ndarray, cy: np.ndarray | None = None,
                     tanh_c: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """The LSTM cell on gate pre-activations ``act`` (overwritten with (i, f, g, o)):
    returns (act, c', tanh c') (into ``cy`` and ``tanh_c`` when given); h' = o·tanh c'."""
    scale, shift = _gate_affine(cx.shape[-1], act.dtype)
    np.multiply(act, scale, out=act)
    np.tanh(act, out=act)
    np.multiply(act, scale, out=act)
    np.add(act, shift, out=act)
    a_i, a_f, a_g, _ = _split(act, 4)
    cy = np.multiply(a_f, cx, out=cy)
    cy += a_i * a_g
    return act, cy, np.tanh(cy, out=tanh_c)


def lstm_cell_grad_arrays(gh: np.ndarray, gc: np.ndarray, act: np.ndarray, tanh_c: np.ndarray,
                          cx: np.ndarray, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(ā, c̄) of the LSTM cell (see ``_FusedLstmCellGrad``), ā written into ``out``.

    Note: ā = (d·g, d·c, d·i, gh·tanh c') ⊙ (σ'_i, σ'_f, 1 − g², σ'_o); the activation
    derivatives are taken over the whole gate block at once (contiguous, so much cheaper
    than four strided quarters), then the g quarter is corrected."""
    size = cx.shape[-1]
    i, f, g, o = _split(act, 4)
    d_gates = np.empty_like(act) if out is None else out
    d_i, d_f, d_g, d_o = _split(d_gates, 4)
    slopes = np.subtract(1.0, act)
    slopes *= act  # σ(1 − σ) for i, f, o
    slope_g = slopes[..., 2 * size : 3 * size]
    np.multiply(g, g, out=slope_g)
    np.subtract(1.0, slope_g, out=slope_g)  # 1 − g²
    dc = tanh_c * tanh_c
    np.subtract(1.0, dc, out=dc)
    dc *= o
    dc *= gh
    dc += gc
    np.multiply(dc, g, out=d_i)
    np.multiply(dc, cx, out=d_f)
    np.multiply(dc, i, out=d_g)
    np.multiply(gh, tanh_c, out=d_o)
    d_gates *= slopes
    dc *= f
    return d_gates, dc


class ThnnFusedLstmCellBackward0(OpNode):
    """(h', c') = LSTM cell of (input_gates, hidden_gates, c); the gate gradient ā of
    ``_FusedLstmCellGrad`` flows to both gate inputs, and c̄ with it."""

    save = (0, 1, 2)
    n_outputs = 2

    def forward(
        self, ig: np.ndarray, hg: np.ndarray, cx: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        act, cy, tanh_c = lstm_cell_arrays(ig + hg, cx)
        if isinstance(self, OpNode):  # recorded: keep the activations for the backward
            self.act, self.tanh_c = act, tanh_c  # arrays: dropped when the graph is freed
        return act[..., 3 * cx.shape[-1] :] * tanh_c, cy

    def backward(self, gh: Tensor, gc: Tensor) -> tuple[Any, ...]:
        ig, hg, cx = self.saved_tensors
        d_gates, d_cx = _FusedLstmCellGrad.apply(gh, gc, ig + hg, cx, cache=(self.act, self.tanh_c))
        need_ig, need_hg, need_cx = self.needs_input_grad
        return (
            (d_gates if need_ig else None),
            (d_gates if need_hg else None),
            (d_cx if need_cx else None),
        )


class _FusedLstmCellGrad(OpNode):
    """(ā, c̄) of the LSTM cell at gate pre-activations a for (h̄', c̄') = (gh, gc), with
    d = gc + gh·o·(1 − tanh²c'):
    ā = (d·g·σ'_i, d·c·σ'_f, d·i·(1 − g²), gh·tanh c'·σ'_o),  c̄ = d·f  (σ'_i = i(1 − i) …).

    ``cache`` = (activated gates, tanh c') from the forward, when it has them. The backward
    differentiates these formulas once more, in dyngrad ops."""

    save = (0, 1, 2, 3)
    n_outputs = 2

    def forward(self, gh: np.ndarray, gc: np.ndarray, gates: np.ndarray, cx: np.ndarray,
                cache: tuple[np.ndarray, np.ndarray] | None = None,
                out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        if cache is None:
            act, _, tanh_c = lstm_cell_arrays(gates.copy(), cx)
        else:
            act, tanh_c = cache
        return lstm_cell_grad_arrays(gh, gc, act, tanh_c, cx, out)

    def backward(self, u: Tensor, v: Tensor) -> tuple[Any, ...]:
        """L = ⟨u, ā⟩ + ⟨v, c̄⟩ differentiated w.r.t. gh, gc, the gates and c."""
        gh, gc, gates, cx = self.saved_tensors
        a_i, a_f, a_g, a_o = _split(gates, 4)
        i, f, g, o = a_i.sigmoid(), a_f.sigmoid(), a_g.tanh(), a_o.sigmoid()
        t = (f * cx + i * g).tanh()
        s_i, s_f, s_o = i * (1.0 - i), f * (1.0 - f), o * (1.0 - o)
        t_g, t_c = 1.0 - g * g, 1.0 - t * t
        dc = gc + gh * o * t_c
        u_i, u_f, u_g, u_o = _split(u, 4)
        w = u_i * g * s_i + u_f * cx * s_f + u_g * i * t_g + v * f  # ∂L/∂d
        l_o = w * gh * t_c + u_o * gh * t * (1.0 - 2.0 * o)
        l_c = (u_o * gh * s_o - w * gh * o * t * 2.0) * t_c  # through tanh c'
        l_i = u_i * dc * g * (1.0 - 2.0 * i) + u_g * dc * t_g + l_c * g
        l_f = u_f * dc * cx * (1.0 - 2.0 * f) + v * dc + l_c * cx
        l_g = u_i * dc * s_i - u_g * dc * i * g * 2.0 + l_c * i
        d_a = cat([l_i * s_i, l_f * s_f, l_g * t_g, l_o * s_o], -1)
        d_gh = w * o * t_c + u_o * t * s_o
        d_cx = u_f * dc * s_f + l_c * f
        return d_gh, w, d_a, d_cx


def lstm_cell_grad(gh: Tensor, gc: Tensor, gates: Tensor | None, cx: Tensor,
                   cache: tuple[np.ndarray, np.ndarray] | None = None,
                   out: np.ndarray | None = None) -> tuple[Tensor, Tensor]:  # fmt: skip
    """(ā, c̄) of one LSTM step (see ``_FusedLstmCellGrad``); with the forward's ``cache`` the
    gates are not read (they may be None), and ā may be written into ``out``."""
    return _FusedLstmCellGrad.apply(gh, gc, gates, cx, cache=cache, out=out)  # type: ignore[no-any-return]


def fused_lstm_cell(input_gates: Tensor, hidden_gates: Tensor, cx: Tensor) -> tuple[Tensor, Tensor]:
    """(h', c') of one LSTM step from the gate pre-activations (node
    ``ThnnFusedLstmCellBackward0``); the gates are ordered (i, f, g, o) along the last dim."""
    return ThnnFusedLstmCellBackward0.apply(input_gates, hidden_gates, cx)  # type: ignore[no-any-return]


# --- GRU -------------------------------------------------------------------------------------


def _gru_activations(ig: np.ndarray, hg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x_r, x_z, x_n = _split(ig, 3)
    h_r, h_z, h_n = _split(hg, 3)
    r = _sigmoid(x_r + h_r)
    z = _sigmoid(x_z + h_z)
    return r, z, np.tanh(x_n + r * h_n)


class ThnnFusedGruCellBackward0(OpNode):
    """h' = GRU cell of (input_gates, hidden_gates, h) (see the module docstring); the
    gradients come from ``_FusedGruCellGrad``."""

    save = (0, 1, 2)

    def forward(self, ig: np.ndarray, hg: np.ndarray, hx: np.ndarray) -> np.ndarray:
        r, z, n = _gru_activations(ig, hg)
        if isinstance(self, OpNode):
            self.r, self.z, self.n = r, z, n
        return n + z * (hx - n)

    def backward(self, gy: Tensor) -> tuple[Any, ...]:
        ig, hg, hx = self.saved_tensors
        d_ig, d_hg, d_hx = _FusedGruCellGrad.apply(gy, ig, hg, hx, cache=(self.r, self.z, self.n))
        need_ig, need_hg, need_hx = self.needs_input_grad
        return (d_ig if need_ig else None), (d_hg if need_hg else None), (d_hx if need_hx else None)


class _FusedGruCellGrad(OpNode):
    """(x̄, h̄_gates, h̄) of the GRU cell for h̄' = gy, with n̄ = gy·(1 − z)·(1 − n²):
    x̄ = (r̄, z̄, n̄), h̄_gates = (r̄, z̄, n̄·r), h̄ = gy·z, where r̄ = n̄·h_n·r(1 − r) and
    z̄ = gy·(h − n)·z(1 − z).

    Its backward differentiates these formulas once more, in dyngrad ops."""

    save = (0, 1, 2, 3)
    n_outputs = 3

    def forward(self, gy: np.ndarray, ig: np.ndarray, hg: np.ndarray, hx: np.ndarray,
                cache: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, ...]:  # fmt: skip
        r, z, n = cache if cache is not None else _gru_activations(ig, hg)
        h_n = _split(hg, 3)[2]
        d_n = gy * (1.0 - z) * (1.0 - n * n)
        d_r = d_n * h_n * r * (1.0 - r)
        d_z = gy * (hx - n) * z * (1.0 - z)
        d_ig = np.concatenate([d_r, d_z, d_n], -1)
        d_hg = np.concatenate([d_r, d_z, d_n * r], -1)
        return d_ig, d_hg, gy * z

    def backward(self, a: Tensor, b: Tensor, c: Tensor) -> tuple[Any, ...]:
        """L = ⟨a, x̄⟩ + ⟨b, h̄_gates⟩ + ⟨c, h̄⟩ differentiated w.r.t. gy, both gates and h."""
        gy, ig, hg, hx = self.saved_tensors
        x_r, x_z, x_n = _split(ig, 3)
        h_r, h_z, h_n = _split(hg, 3)
        r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
        n = (x_n + r * h_n).tanh()
        s_r, s_z, t_n = r * (1.0 - r), z * (1.0 - z), 1.0 - n * n
        d_n_out = gy * (1.0 - z)  # ∂h'/∂n · gy
        d_n = d_n_out * t_n  # n̄ (gradient at n's pre-activation)
        a_r, a_z, a_n = _split(a, 3)
        b_r, b_z, b_n = _split(b, 3)
        p_r, p_z = a_r + b_r, a_z + b_z
        e = a_n + b_n * r + p_r * s_r * h_n  # ∂L/∂n̄
        l_dn = e * t_n  # ∂L/∂(gy·(1 − z))
        q = p_z * s_z  # ∂L/∂(gy·(h − n))
        d_gy = l_dn * (1.0 - z) + q * (hx - n) + c * z
        l_n = -(e * d_n_out * n * 2.0) - q * gy
        l_z = c * gy - l_dn * gy + p_z * gy * (hx - n) * (1.0 - 2.0 * z)
        l_npre = l_n * t_n
        l_r = p_r * d_n * h_n * (1.0 - 2.0 * r) + b_n * d_n + l_npre * h_n
        l_rpre, l_zpre = l_r * s_r, l_z * s_z
        d_ig = cat([l_rpre, l_zpre, l_npre], -1)
        d_hg = cat([l_rpre, l_zpre, p_r * s_r * d_n + l_npre * r], -1)
        return d_gy, d_ig, d_hg, q * gy


def fused_gru_cell(input_gates: Tensor, hidden_gates: Tensor, hx: Tensor) -> Tensor:
    """h' of one GRU step (node ``ThnnFusedGruCellBackward0``); gates ordered (r, z, n), the
    hidden gates including their bias (n uses r·(W_hn h + b_hn))."""
    return ThnnFusedGruCellBackward0.apply(input_gates, hidden_gates, hx)  # type: ignore[no-any-return]
