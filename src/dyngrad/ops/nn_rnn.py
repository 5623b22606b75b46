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
from ..autograd import grad_mode
from ..autograd.graph import _modified_error
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


def _or_zeros(tangent: Any, primal: Tensor) -> Tensor:
    """A tangent, or zeros shaped as its primal where the input has none."""
    if tangent is not None:
        return tangent  # type: ignore[no-any-return]
    return Tensor._make(np.zeros(primal.shape, primal._data.dtype), False, None, 0)


def lstm_cell_tangent(d_gates: Tensor, d_cx: Tensor, gates: Tensor,
                      cx: Tensor) -> tuple[Tensor, Tensor]:  # fmt: skip
    """(ḣ', ċ') of the LSTM cell at gate pre-activations a (see the module docstring):
    i̇ = i(1 − i)·ȧ_i (f, o likewise), ġ = (1 − g²)·ȧ_g, ċ' = ḟ·c + f·ċ + i̇·g + i·ġ,
    ḣ' = ȯ·tanh c' + o·(1 − tanh²c')·ċ'."""
    a_i, a_f, a_g, a_o = _split(gates, 4)
    i, f, g, o = a_i.sigmoid(), a_f.sigmoid(), a_g.tanh(), a_o.sigmoid()
    d_i, d_f, d_g, d_o = _split(d_gates, 4)
    t = (f * cx + i * g).tanh()
    dc_new = d_f * (f * (1.0 - f)) * cx + f * d_cx + d_i * (i * (1.0 - i)) * g
    dc_new = dc_new + i * (d_g * (1.0 - g * g))
    dh_new = d_o * (o * (1.0 - o)) * t + o * (1.0 - t * t) * dc_new
    return dh_new, dc_new


def keep_unchecked(node: OpNode, checked: tuple[bool, ...]) -> None:
    """Leave the saved inputs whose ``checked`` entry is False out of torch's version check
    on backward: torch's composite does not save them (it saves values computed from them),
    so an in-place change of one is no error there; only a recorded backward reads them
    (``check_unchecked``). Their versions are kept in ``node.unchecked_versions``."""
    versions = node._saved_versions
    if not versions:  # (saved_tensors_hooks: packed, the hooks check them)
        return
    unchecked = tuple(None if c else v for c, v in zip(checked, versions))
    node.__dict__["unchecked_versions"] = unchecked
    node._saved_versions = tuple(v if c else None for c, v in zip(checked, versions))


def check_unchecked(node: OpNode) -> None:
    """In a recorded backward (create_graph), which reads the inputs ``keep_unchecked`` left
    out of the check: torch's error if one was changed in place since the forward.

    Note: torch computes here, from the activations it saved; dyngrad has only the input,
    and refuses rather than differentiate its new values."""
    versions = node.__dict__.get("unchecked_versions")
    if not versions or not grad_mode.state.grad_enabled:
        return
    for t, version in zip(node._saved, versions):
        if version is not None and t is not None:
            vc = t._vc
            if (vc.value if vc is not None else 0) != version:
                raise _modified_error(t, version, node)


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
    """(h', c') = LSTM cell of (gates, c), gates = input_gates + hidden_gates (added before,
    see ``fused_lstm_cell``); the gate gradient ā of ``_FusedLstmCellGrad`` flows to the
    gates, and c̄ with it."""

    save = (0, 1)
    n_outputs = 2

    def forward(self, gates: np.ndarray, cx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        act, cy, tanh_c = lstm_cell_arrays(gates.copy(), cx)
        if isinstance(self, OpNode):  # recorded: keep the activations for the backward
            self.act, self.tanh_c = act, tanh_c  # arrays: dropped when the graph is freed
        return act[..., 3 * cx.shape[-1] :] * tanh_c, cy

    def backward(self, gh: Tensor, gc: Tensor) -> tuple[Any, ...]:
        gates, cx = self.saved_tensors
        d_gates, d_cx = _FusedLstmCellGrad.apply(gh, gc, gates, cx, cache=(self.act, self.tanh_c))
        need_gates, need_cx = self.needs_input_grad
        return (d_gates if need_gates else None), (d_cx if need_cx else None)

    def jvp(self, d_gates: Any, d_cx: Any, gates: Tensor, cx: Tensor,
            out: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:  # fmt: skip
        """(ḣ', ċ') from ȧ and ċ (see ``lstm_cell_tangent``)."""
        return lstm_cell_tangent(_or_zeros(d_gates, gates), _or_zeros(d_cx, cx), gates, cx)


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
        self.cache = (act, tanh_c)
        return lstm_cell_grad_arrays(gh, gc, act, tanh_c, cx, out)

    def jvp(self, d_gh: Any, d_gc: Any, d_a: Any, d_cx: Any, gh: Tensor, gc: Tensor, gates: Any,
            cx: Tensor, out: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:  # fmt: skip
        """The tangents of ā and c̄ (the forward's formulas differentiated once, with
        d = gc + gh·o·(1 − t²), t = tanh c'):
        ḋ = ġc + ġh·o·(1 − t²) + gh·ȯ·(1 − t²) − 2·gh·o·t·ṫ,
        ā̇_i = (ḋ·g + d·ġ)·σ'_i + d·g·(1 − 2i)·i̇ (f, g, o likewise),  c̄̇ = ḋ·f + d·ḟ.
        Without the gates (a backward that reuses the forward's cache) they are constants."""
        if gates is None:
            act, tanh_c = (Tensor._make(a, False, None, 0) for a in self.cache)
            i, f, g, o = _split(act, 4)
            d_gates = _or_zeros(None, act)
        else:
            a_i, a_f, a_g, a_o = _split(gates, 4)
            i, f, g, o = a_i.sigmoid(), a_f.sigmoid(), a_g.tanh(), a_o.sigmoid()
            tanh_c = (f * cx + i * g).tanh()
            d_gates = _or_zeros(d_a, gates)
        d_gh, d_gc, d_cx = _or_zeros(d_gh, gh), _or_zeros(d_gc, gc), _or_zeros(d_cx, cx)
        t = tanh_c
        s_i, s_f, s_o = i * (1.0 - i), f * (1.0 - f), o * (1.0 - o)
        t_g, t_c = 1.0 - g * g, 1.0 - t * t
        q_i, q_f, q_g, q_o = _split(d_gates, 4)
        d_i, d_f, d_g, d_o = s_i * q_i, s_f * q_f, t_g * q_g, s_o * q_o
        d_t = t_c * (d_f * cx + f * d_cx + d_i * g + i * d_g)
        d = gc + gh * o * t_c
        d_d = d_gc + (d_gh * o + gh * d_o) * t_c - gh * o * t * d_t * 2.0
        out_i = (d_d * g + d * d_g) * s_i + d * g * (1.0 - 2.0 * i) * d_i
        out_f = (d_d * cx + d * d_cx) * s_f + d * cx * (1.0 - 2.0 * f) * d_f
        out_g = (d_d * i + d * d_i) * t_g - d * i * g * d_g * 2.0
        out_o = (d_gh * t + gh * d_t) * s_o + gh * t * (1.0 - 2.0 * o) * d_o
        return cat([out_i, out_f, out_g, out_o], -1), d_d * f + d * d_f

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
    ``ThnnFusedLstmCellBackward0``); the gates are ordered (i, f, g, o) along the last dim.

    What is saved for the backward is what torch's CPU cell (a composition: add, chunk,
    sigmoid, tanh, mul) saves of the inputs: c only when the gates need a gradient (c is read
    by f's), neither gate input (it saves activations computed from them): so the sum of the
    gates is a node of its own, saved here, and c goes through a copy when it alone needs a
    gradient (the second derivative reads it, torch's cell does not save it)."""
    gates = input_gates + hidden_gates
    if not gates.requires_grad and cx.requires_grad and grad_mode.state.grad_enabled:
        cx = cx.clone()  # type: ignore[attr-defined]
    return ThnnFusedLstmCellBackward0.apply(gates, cx)  # type: ignore[no-any-return]


# --- GRU -------------------------------------------------------------------------------------


def _gru_activations(ig: np.ndarray, hg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x_r, x_z, x_n = _split(ig, 3)
    h_r, h_z, h_n = _split(hg, 3)
    r = _sigmoid(x_r + h_r)
    z = _sigmoid(x_z + h_z)
    return r, z, np.tanh(x_n + r * h_n)


class ThnnFusedGruCellBackward0(OpNode):
    """h' = GRU cell of (input_gates, hidden_gates, h) (see the module docstring); the
    gradients come from ``_FusedGruCellGrad`` (only h̄ = gy·z when the gates need none).

    Saved as torch's CPU cell (a composition) saves its inputs: the hidden gates (h_n, read
    by r's gradient) and h (read by z's) when a gate input needs a gradient; the input gates
    are kept then too but not version-checked (torch saves activations computed from them):
    only a recorded backward reads them (the second derivative; see ``check_unchecked``)."""

    save = (0, 1, 2)
    save_for = ((0, 1), (0, 1), (0, 1))

    def forward(self, ig: np.ndarray, hg: np.ndarray, hx: np.ndarray) -> np.ndarray:
        r, z, n = _gru_activations(ig, hg)
        if isinstance(self, OpNode):
            self.r, self.z, self.n = r, z, n
        return n + z * (hx - n)

    def backward(self, gy: Tensor) -> tuple[Any, ...]:
        need_ig, need_hg, need_hx = self.needs_input_grad
        if not (need_ig or need_hg):  # h̄ = gy·z, z a constant here
            return None, None, gy * Tensor._make(self.z, False, None, 0)
        ig, hg, hx = self.saved_tensors
        check_unchecked(self)
        d_ig, d_hg, d_hx = _FusedGruCellGrad.apply(gy, ig, hg, hx, cache=(self.r, self.z, self.n))
        return (d_ig if need_ig else None), (d_hg if need_hg else None), (d_hx if need_hx else None)

    def jvp(self, d_ig: Any, d_hg: Any, d_hx: Any, ig: Tensor, hg: Tensor, hx: Tensor,
            y: Tensor) -> Tensor:  # fmt: skip
        """ḣ' = (1 − z)·ṅ + ż·(h − n) + z·ḣ with ṙ = r(1 − r)·(ẋ_r + ḣ_r),
        ż = z(1 − z)·(ẋ_z + ḣ_z), ṅ = (1 − n²)·(ẋ_n + ṙ·h_n + r·ḣ_n)."""
        r, z, n, d_r, d_z, d_n = _gru_tangents(_or_zeros(d_ig, ig), _or_zeros(d_hg, hg), ig, hg)
        return (1.0 - z) * d_n + d_z * (hx - n) + z * _or_zeros(d_hx, hx)


def _gru_tangents(d_ig: Tensor, d_hg: Tensor, ig: Tensor,
                  hg: Tensor) -> tuple[Tensor, ...]:  # fmt: skip
    """(r, z, n, ṙ, ż, ṅ) of the GRU cell (see ``ThnnFusedGruCellBackward0.jvp``)."""
    x_r, x_z, x_n = _split(ig, 3)
    h_r, h_z, h_n = _split(hg, 3)
    dx_r, dx_z, dx_n = _split(d_ig, 3)
    dh_r, dh_z, dh_n = _split(d_hg, 3)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    d_r = r * (1.0 - r) * (dx_r + dh_r)
    d_z = z * (1.0 - z) * (dx_z + dh_z)
    d_n = (1.0 - n * n) * (dx_n + d_r * h_n + r * dh_n)
    return r, z, n, d_r, d_z, d_n


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

    def jvp(self, d_gy: Any, d_ig: Any, d_hg: Any, d_hx: Any, gy: Tensor, ig: Tensor, hg: Tensor,
            hx: Tensor, out: tuple[Tensor, ...]) -> tuple[Tensor, ...]:  # fmt: skip
        """The tangents of (x̄, h̄_gates, h̄), with n̄ = gy·(1 − z)·(1 − n²):
        n̄̇ = (ġy·(1 − z) − gy·ż)·(1 − n²) − 2·gy·(1 − z)·n·ṅ,
        r̄̇ = (n̄̇·h_n + n̄·ḣ_n)·r(1 − r) + n̄·h_n·(1 − 2r)·ṙ,
        z̄̇ = (ġy·(h − n) + gy·(ḣ − ṅ))·z(1 − z) + gy·(h − n)·(1 − 2z)·ż,
        the n block of h̄_gates: n̄̇·r + n̄·ṙ;  h̄̇ = ġy·z + gy·ż."""
        d_ig, d_hg = _or_zeros(d_ig, ig), _or_zeros(d_hg, hg)
        d_gy, d_hx = _or_zeros(d_gy, gy), _or_zeros(d_hx, hx)
        r, z, n, d_r, d_z, d_n = _gru_tangents(d_ig, d_hg, ig, hg)
        h_n, dh_n = _split(hg, 3)[2], _split(d_hg, 3)[2]
        s_r, s_z, t_n = r * (1.0 - r), z * (1.0 - z), 1.0 - n * n
        bar_n = gy * (1.0 - z) * t_n
        dot_n = (d_gy * (1.0 - z) - gy * d_z) * t_n - gy * (1.0 - z) * n * d_n * 2.0
        dot_r = (dot_n * h_n + bar_n * dh_n) * s_r + bar_n * h_n * (1.0 - 2.0 * r) * d_r
        dot_z = (d_gy * (hx - n) + gy * (d_hx - d_n)) * s_z + gy * (hx - n) * (1.0 - 2.0 * z) * d_z
        return (
            cat([dot_r, dot_z, dot_n], -1),
            cat([dot_r, dot_z, dot_n * r + bar_n * d_r], -1),
            d_gy * z + gy * d_z,
        )


def fused_gru_cell(input_gates: Tensor, hidden_gates: Tensor, hx: Tensor) -> Tensor:
    """h' of one GRU step (node ``ThnnFusedGruCellBackward0``); gates ordered (r, z, n), the
    hidden gates including their bias (n uses r·(W_hn h + b_hn))."""
    out = ThnnFusedGruCellBackward0.apply(input_gates, hidden_gates, hx)
    node = out.grad_fn
    if type(node) is ThnnFusedGruCellBackward0:
        keep_unchecked(node, (False, True, True))
    return out  # type: ignore[no-any-return]
