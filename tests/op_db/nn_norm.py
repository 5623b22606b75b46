"""Op table entries for the normalization kernels (ops/nn_norm.py: NativeLayerNormBackward0,
NativeBatchNormBackward0, NativeGroupNormBackward0), the composite norms built on them
(instance_norm, rms_norm) and the recurrent kernels (ops/nn_rnn.py, ops/nn_rnn_layer.py:
ThnnFusedLstmCellBackward0, ThnnFusedGruCellBackward0, MkldnnRnnLayerBackward0, and the
gradient ops of the fused cells, whose own backward is the cells' second derivative).

Samples cover affine and plain forms, every input rank the op takes, non-contiguous
(transposed) inputs, empty batches, training and evaluation batch norm, reversed and
projected LSTM layers, and torch's errors. torch runs its fused recurrent cells only on
CUDA, so on its side the cells are the same formulas written with torch ops (and torch's
``torch.lstm`` for the layer); their grad_fn names are not compared.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import OpInfo, Sample, arr, positive


def F(m: Any) -> Any:
    return m.nn.functional


def _is_dyngrad(m: Any) -> bool:
    return m.__name__ == "dyngrad"


def _t(rng: Any, shape: tuple[int, ...], dt: Any) -> np.ndarray:
    """A non-contiguous (transposed) 2-D array of ``shape``."""
    return arr(rng, shape[::-1], dt).T


# --- layer norm -------------------------------------------------------------------------------


def _layer_norm_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return arr(rng, s, dt)

    return [
        Sample((x(3, 4, 5), (5,), x(5), x(5)), name="3-d-affine"),
        Sample((x(3, 4, 5), (4, 5), x(4, 5), x(4, 5)), name="two-dims"),
        Sample((x(3, 4, 5), [4, 5], x(4, 5), None), name="list-shape-weight-only"),
        Sample((x(2, 6), (6,), None, None), name="no-affine"),
        Sample((x(6), (6,), x(6), x(6)), name="1-d"),
        Sample((x(2, 3), (2, 3), None, x(2, 3)), name="whole-tensor-bias-only"),
        Sample((_t(rng, (4, 5), dt), (5,), x(5), x(5)), name="non-contiguous"),
        Sample((x(0, 5), (5,), x(5), x(5)), name="empty-batch"),
        Sample((x(4, 3), (4,), None, None), name="error-shape"),
        Sample((x(4, 3), (3,), x(4), None), name="error-weight"),
        Sample((x(4, 3), (3,), None, x(2)), name="error-bias"),
        Sample((x(4, 3), (2, 4, 3), None, None), name="error-too-many-dims"),
        Sample((x(4, 3), (), None, None), name="error-empty-shape"),
    ]


def _layer_norm_eps(rng: Any, dt: Any) -> list[Sample]:
    return [Sample((arr(rng, (3, 4), dt), (4,), None, None), {"eps": 0.5}, name="eps")]


# --- batch norm -------------------------------------------------------------------------------


def _stats(rng: Any, c: int, dt: Any) -> tuple[np.ndarray, np.ndarray]:
    return arr(rng, (c,), dt, -0.5, 0.5), positive(rng, (c,), dt)


_BN_GRAD = (True, False, False, True, True)  # running statistics never require grad


def _batch_norm_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return arr(rng, s, dt)

    out = []
    for training in (True, False):
        kw = {"training": training, "momentum": 0.3}
        mode = "train" if training else "eval"
        for shape, name in (((5, 3), "2-d"), ((4, 3, 5), "3-d"), ((2, 3, 4, 3), "4-d"),
                            ((2, 3, 2, 2, 2), "5-d")):  # fmt: skip
            rm, rv = _stats(rng, 3, dt)
            out.append(Sample((x(*shape), rm, rv, x(3), x(3)), kw, grad=_BN_GRAD,
                              name=f"{name}-{mode}"))  # fmt: skip
        rm, rv = _stats(rng, 4, dt)
        out.append(Sample((_t(rng, (6, 4), dt), rm, rv, x(4), None), kw, grad=_BN_GRAD,
                          name=f"non-contiguous-weight-only-{mode}"))  # fmt: skip
        out.append(
            Sample((x(5, 4), rm, rv, None, None), kw, grad=_BN_GRAD, name=f"no-affine-{mode}")
        )
        out.append(Sample((x(0, 4), rm, rv, x(4), x(4)), kw, grad=_BN_GRAD, name=f"empty-{mode}"))
    out += [
        Sample((x(6, 3), None, None, x(3), x(3)), {"training": True}, name="no-running-stats"),
        Sample((x(6, 3), None, None, None, None), {"training": True, "eps": 0.1}, name="eps"),
        Sample((x(1, 3), None, None, None, None), {"training": True}, name="error-one-value"),
        Sample((x(1, 3, 1), None, None, None, None), {"training": True}, name="error-one-value-3d"),
        Sample(
            (x(4, 3), *_stats(rng, 4, dt), None, None),
            {"training": True},
            grad=_BN_GRAD,
            name="error-running-size",
        ),  # fmt: skip
        Sample((x(4, 3), None, None, x(4), None), {"training": True}, name="error-weight-size"),
        Sample((x(4, 3), None, None, None, None), {"training": False}, name="error-eval-no-stats"),
        Sample(
            (x(4, 3), _stats(rng, 3, dt)[0], None, None, None),
            {"training": True},
            grad=_BN_GRAD,
            name="error-only-mean",
        ),  # fmt: skip
        Sample((x(3), None, None, None, None), {"training": True}, name="error-1-d"),
        # torch reads the channel count of a 1-d input as 0
        Sample(
            (x(4), *_stats(rng, 4, dt), None, None), grad=_BN_GRAD, name="error-1-d-running-stats"
        ),  # fmt: skip
        Sample(
            (x(4, 3), _stats(rng, 3, dt)[0][None], _stats(rng, 3, dt)[1], None, None),
            {"training": True},
            grad=_BN_GRAD,
            name="error-running-mean-2-d",
        ),  # fmt: skip
        Sample(
            (x(0, 3), *_stats(rng, 5, dt), x(5), x(5)),
            {"training": True},
            grad=_BN_GRAD,
            name="empty-unchecked-sizes",
        ),  # fmt: skip
        Sample(
            (x(0, 3), *_stats(rng, 3, dt), x(0), None), grad=_BN_GRAD, name="error-empty-no-weight"
        ),  # fmt: skip
    ]
    return out


# --- group norm, instance norm, RMS norm -------------------------------------------------------


def _group_norm_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return arr(rng, s, dt)

    return [
        Sample((x(2, 6, 4), 3, x(6), x(6)), name="3-d"),
        Sample((x(2, 4, 3, 3), 2, x(4), None), name="4-d-weight-only"),
        Sample((x(3, 12), 2, None, None), name="2-d-no-affine"),
        Sample((x(2, 4, 5), 4, x(4), x(4)), name="instance-like"),
        Sample((x(2, 4, 5), 1, x(4), x(4)), name="layer-like"),
        Sample((_t(rng, (4, 12), dt), 2, x(12), x(12)), name="non-contiguous"),
        Sample((x(0, 6, 3), 3, x(6), x(6)), name="empty-batch"),
        Sample((x(2, 6, 3), 4, None, None), name="error-groups"),
        Sample((x(2, 6, 3), 3, x(5), None), name="error-weight"),
        Sample((x(1, 6, 1), 6, None, None), name="error-one-value"),
        Sample((x(6), 3, None, None), name="error-1-d"),
    ]


def _instance_norm_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return arr(rng, s, dt)

    rm, rv = _stats(rng, 3, dt)
    grad = (True, False, False, True, True)
    return [
        Sample((x(2, 3, 5), None, None, x(3), x(3)), name="3-d-affine"),
        Sample((x(2, 3, 4, 4), None, None, None, None), name="4-d"),
        Sample((x(2, 3, 5), rm, rv, None, None), grad=grad, name="running-stats"),
        Sample(
            (x(2, 3, 5), rm, rv, x(3), x(3)),
            {"use_input_stats": False},
            grad=grad,
            name="running-stats-eval",
        ),  # fmt: skip
        Sample((x(0, 3, 5), rm, rv, x(3), x(3)), grad=grad, name="empty-batch"),
        Sample(
            (x(2, 0, 5), rm, rv, None, None),
            {"use_input_stats": False},
            grad=grad,
            name="no-channels-eval",
        ),  # fmt: skip
        Sample((x(2, 3, 1), None, None, None, None), name="error-one-value"),
        Sample(
            (x(2, 3, 5), None, None, None, None),
            {"use_input_stats": False},
            name="error-eval-no-stats",
        ),  # fmt: skip
    ]


def _rms_norm_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return arr(rng, s, dt)

    return [
        Sample((x(3, 4, 5), (5,), x(5)), name="3-d"),
        Sample((x(3, 4), (3, 4), None), {"eps": 1e-3}, name="whole-no-weight"),
        Sample((_t(rng, (4, 5), dt), (5,), x(5)), name="non-contiguous"),
        Sample((x(0, 5), (5,), x(5)), name="empty-batch"),
        Sample((x(4, 3), (4,), None), name="error-shape"),
    ]


# --- recurrent kernels ------------------------------------------------------------------------


def _torch_lstm_cell(ig: Any, hg: Any, cx: Any) -> tuple[Any, Any]:
    a_i, a_f, a_g, a_o = (ig + hg).chunk(4, -1)
    c = a_f.sigmoid() * cx + a_i.sigmoid() * a_g.tanh()
    return a_o.sigmoid() * c.tanh(), c


def _torch_gru_cell(ig: Any, hg: Any, hx: Any) -> Any:
    x_r, x_z, x_n = ig.chunk(3, -1)
    h_r, h_z, h_n = hg.chunk(3, -1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return (1 - z) * n + z * hx


def _lstm_cell(m: Any, ig: Any, hg: Any, cx: Any) -> Any:
    if _is_dyngrad(m):
        from dyngrad.ops.nn_rnn import fused_lstm_cell

        return fused_lstm_cell(ig, hg, cx)
    return _torch_lstm_cell(ig, hg, cx)


def _gru_cell(m: Any, ig: Any, hg: Any, hx: Any) -> Any:
    if _is_dyngrad(m):
        from dyngrad.ops.nn_rnn import fused_gru_cell

        return fused_gru_cell(ig, hg, hx)
    return _torch_gru_cell(ig, hg, hx)


def _lstm_cell_grad(m: Any, gh: Any, gc: Any, gates: Any, cx: Any) -> Any:
    """(ā, c̄): dyngrad's gradient op, or torch's autograd through the same cell."""
    if _is_dyngrad(m):
        from dyngrad.ops.nn_rnn import lstm_cell_grad

        return lstm_cell_grad(gh, gc, gates, cx)
    gates, cx = _differentiable(gates), _differentiable(cx)
    h, c = _torch_lstm_cell(gates, 0.0, cx)
    return m.autograd.grad((h, c), (gates, cx), (gh, gc), create_graph=True)


def _gru_cell_grad(m: Any, gy: Any, ig: Any, hg: Any, hx: Any) -> Any:
    if _is_dyngrad(m):
        from dyngrad.ops.nn_rnn import _FusedGruCellGrad

        return _FusedGruCellGrad.apply(gy, ig, hg, hx)
    ig, hg, hx = _differentiable(ig), _differentiable(hg), _differentiable(hx)
    return m.autograd.grad(_torch_gru_cell(ig, hg, hx), (ig, hg, hx), gy, create_graph=True)


def _differentiable(t: Any) -> Any:
    """``t`` requiring grad (torch's reference differentiates with autograd.grad; in forward
    mode the inputs are dual tensors that need not require grad)."""
    return t if t.requires_grad else t.requires_grad_()


def _cell_samples(gates: int, grad_inputs: int = 0) -> Any:
    """(input gates, hidden gates, state) triples, preceded by ``grad_inputs`` incoming
    gradients for the gradient ops."""

    def samples(rng: Any, dt: Any) -> list[Sample]:
        out = []
        for batch, name in (((3,), "2-d"), ((), "1-d"), ((0,), "empty-batch"), ((1,), "batch-1")):
            hidden = 4
            lead = tuple(arr(rng, (*batch, hidden), dt) for _ in range(grad_inputs))
            cell = (arr(rng, (*batch, gates * hidden), dt, -3.0, 3.0),
                    arr(rng, (*batch, gates * hidden), dt, -3.0, 3.0), arr(rng, (*batch, hidden), dt))  # fmt: skip
            if grad_inputs and gates == 4:  # the LSTM gradient op takes the summed gates
                cell = (cell[0], cell[2])
            out.append(Sample(lead + cell, name=name))
        if not grad_inputs:
            out.append(Sample((_t(rng, (3, gates * 2), dt), _t(rng, (3, gates * 2), dt),
                               _t(rng, (3, 2), dt)), name="non-contiguous"))  # fmt: skip
        return out

    return samples


def _lstm_layer(m: Any, x: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any, h0: Any, c0: Any,
                w_hr: Any = None, reverse: bool = False, batch_first_input: bool = False) -> Any:  # fmt: skip
    if batch_first_input:  # x was given as (B, T, I): a non-contiguous (T, B, I) view
        x = x.transpose(0, 1)
    if _is_dyngrad(m):
        from dyngrad.ops.nn_rnn_layer import lstm_layer

        return lstm_layer(x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr, reverse)
    params = [w_ih, w_hh] + ([b_ih, b_hh] if b_ih is not None else [])
    params += [w_hr] if w_hr is not None else []
    if reverse:
        x = x.flip(0)
    with warnings.catch_warnings():  # torch: "LSTM with projections is not supported with oneDNN"
        warnings.simplefilter("ignore", UserWarning)
        out, h, c = m.lstm(
            x, (h0[None], c0[None]), params, b_ih is not None, 1, 0.0, False, False, False
        )
    return (out.flip(0) if reverse else out), h[0], c[0]


def _lstm_layer_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return arr(rng, s, dt, -1.0, 1.0)

    steps, batch, size, hidden = 3, 2, 3, 4

    def args(proj: int = 0, bias: bool = True, b: int = batch, t: int = steps) -> tuple[Any, ...]:
        out_size = proj or hidden
        a: tuple[Any, ...] = (x(t, b, size), x(4 * hidden, size), x(4 * hidden, out_size))
        a += (x(4 * hidden), x(4 * hidden)) if bias else (None, None)
        return a + (x(b, out_size), x(b, hidden), x(proj, hidden) if proj else None)

    bf = args()
    bf = (np.ascontiguousarray(bf[0].transpose(1, 0, 2)),) + bf[1:]
    return [
        Sample(args(), name="basic"),
        Sample(args(), {"reverse": True}, name="reverse"),
        Sample(args(bias=False), name="no-bias"),
        Sample(args(proj=2), name="projection"),
        Sample(args(proj=2), {"reverse": True}, name="projection-reverse"),
        Sample(args(b=1, t=1), name="one-step-batch-1"),
        Sample(args(b=0), name="empty-batch"),
        Sample(bf, {"batch_first_input": True}, name="non-contiguous"),
    ]


# Note: a normalization's gradient cancels terms of the size of ȳ (ĝ − mean ĝ − x̂·mean ĝx̂),
# so float32 results differ from torch's by a few 1e-5 in absolute terms.
_NORM_TOL = {"atol": 2e-5, "rtol": 1e-5, "grad_atol": 5e-5, "grad_rtol": 1e-4}
_RNN_TOL = {"atol": 2e-5, "rtol": 1e-4, "check_grad_fn": False}

OPS = [
    OpInfo(
        "F.layer_norm",
        lambda m, x, s, w, b, **k: F(m).layer_norm(x, s, w, b, **k),
        _layer_norm_samples,
        ("NativeLayerNormBackward0",),
        **_NORM_TOL,
    ),  # fmt: skip
    OpInfo(
        "F.layer_norm_eps",
        lambda m, x, s, w, b, **k: F(m).layer_norm(x, s, w, b, **k),
        _layer_norm_eps,
        ("NativeLayerNormBackward0",),
    ),  # fmt: skip
    OpInfo(
        "F.batch_norm",
        lambda m, x, rm, rv, w, b, **k: F(m).batch_norm(x, rm, rv, w, b, **k),
        _batch_norm_samples,
        ("NativeBatchNormBackward0",),
        **_NORM_TOL,
    ),  # fmt: skip
    OpInfo(
        "F.group_norm",
        lambda m, x, g, w, b, **k: F(m).group_norm(x, g, w, b, **k),
        _group_norm_samples,
        ("NativeGroupNormBackward0",),
        **_NORM_TOL,
    ),  # fmt: skip
    OpInfo(
        "F.instance_norm",
        lambda m, x, rm, rv, w, b, **k: F(m).instance_norm(x, rm, rv, w, b, **k),
        _instance_norm_samples,
        ("NativeBatchNormBackward0",),
        **_NORM_TOL,
    ),  # fmt: skip
    OpInfo(
        "F.rms_norm",
        lambda m, x, s, w, **k: F(m).rms_norm(x, s, w, **k),
        _rms_norm_samples,
        atol=2e-5,
        rtol=1e-5,
    ),  # fmt: skip
    OpInfo(
        "fused_lstm_cell", _lstm_cell, _cell_samples(4), ("ThnnFusedLstmCellBackward0",), **_RNN_TOL
    ),  # fmt: skip
    OpInfo(
        "fused_gru_cell", _gru_cell, _cell_samples(3), ("ThnnFusedGruCellBackward0",), **_RNN_TOL
    ),  # fmt: skip
    OpInfo(
        "lstm_cell_grad",
        _lstm_cell_grad,
        _cell_samples(4, grad_inputs=2),
        ("_FusedLstmCellGrad",),
        **_RNN_TOL,
    ),  # fmt: skip
    OpInfo(
        "gru_cell_grad",
        _gru_cell_grad,
        _cell_samples(3, grad_inputs=1),
        ("_FusedGruCellGrad",),
        **_RNN_TOL,
    ),  # fmt: skip
    OpInfo(
        "lstm_layer", _lstm_layer, _lstm_layer_samples, ("MkldnnRnnLayerBackward0",), **_RNN_TOL
    ),  # fmt: skip
]
