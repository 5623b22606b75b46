"""Op table entries for the fused activations of nn.functional (ops/nn_activation.py) and
softmax / log_softmax / softmin (ops/nn_softmax.py).

Each op runs as ``m.nn.functional.<fn>`` on both modules. Samples cover 0-d, 1-d to 3-d,
empty and non-contiguous (transposed) inputs, the ops' parameters, logits of ±1000 for the
stable forms, and torch's errors. Inputs of activations with a kink at 0 (or at a bound)
stay away from it, so finite differences are valid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import UNARY_SHAPES, OpInfo, Sample, arr, away_from_zero


def F(m: Any) -> Any:
    """``torch.nn.functional`` or ``dyngrad.nn.functional``."""
    return m.nn.functional


def _t(rng: Any, shape: tuple[int, ...], dt: Any, gen: Any = arr) -> np.ndarray:
    """A non-contiguous 2-d array of ``shape`` (the transpose of a contiguous one)."""
    return gen(rng, shape[::-1], dt).T


def _huge(dt: Any) -> np.ndarray:
    return np.array([[1000.0, -1000.0, 0.5], [-1000.0, -999.0, 1000.0]], dtype=dt)


def activation_samples(gen: Any = away_from_zero, huge: bool = False,
                       **kwargs: Any) -> Any:  # fmt: skip
    """Every shape of UNARY_SHAPES plus a transposed input (and ±1000 if ``huge``)."""

    def samples(rng: Any, dt: Any) -> list[Sample]:
        out = [Sample((gen(rng, s, dt),), dict(kwargs), name=str(s)) for s in UNARY_SHAPES]
        out.append(Sample((_t(rng, (3, 4), dt, gen),), dict(kwargs), name="non-contiguous"))
        if huge:
            out.append(Sample((_huge(dt),), dict(kwargs), name="huge"))
        return out

    return samples


def _int_input(rng: Any, dt: Any) -> list[Sample]:
    return [Sample((arr(rng, (3,), "int64"),), name="int-error")]


def _hardtanh_samples(rng: Any, dt: Any) -> list[Sample]:
    out = activation_samples()(rng, dt)
    x = arr(rng, (4, 5), dt, -3.0, 3.0)
    out += [
        Sample((x,), {"min_val": -2.0, "max_val": 0.5}, name="bounds"),
        Sample((x,), {"min_val": 1.0, "max_val": -1.0}, name="error-bounds"),
        Sample((arr(rng, (3,), "bool"),), name="bool-error"),
    ]
    return out


def _prelu_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(shape: tuple[int, ...]) -> np.ndarray:
        return away_from_zero(rng, shape, dt)

    w3 = arr(rng, (3,), dt, 0.1, 0.5)
    w1 = arr(rng, (1,), dt, 0.1, 0.5)
    return [
        Sample((x((2, 3, 4)), w3), name="per-channel-3d"),
        Sample((x((4, 3)), w3), name="per-channel-2d"),
        Sample((x((2, 3, 4)), w1), name="shared"),
        Sample((x((5,)), w1), name="1-d"),
        Sample((x((2, 3, 0)), w3), name="empty"),
        Sample((_t(rng, (4, 3), dt, away_from_zero), w3), name="non-contiguous"),
        Sample((x((2, 4)), w3), name="error-channels"),
        Sample((x(()), w3), name="error-0-d"),
        Sample((x((2, 3)), arr(rng, (3, 1), dt)), name="error-weight-2d"),
        Sample((x((2, 3)), arr(rng, (1, 1), dt)), name="error-weight-2d-single"),
    ]


def _softmax_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (), dt), 0), name="0-d"),
        Sample((arr(rng, (), dt), -1), name="0-d-neg"),
        Sample((arr(rng, (5,), dt), 0), name="1-d"),
        Sample((arr(rng, (3, 4), dt), 1), name="dim1"),
        Sample((arr(rng, (3, 4), dt), 0), name="dim0"),
        Sample((arr(rng, (2, 3, 4), dt), -2), name="neg-dim"),
        Sample((_t(rng, (3, 4), dt), 1), name="non-contiguous"),
        Sample((_t(rng, (3, 4), dt), 0), name="non-contiguous-dim0"),
        Sample((arr(rng, (0, 3), dt), 1), name="empty-rows"),
        Sample((arr(rng, (2, 0), dt), 1), name="empty-dim"),
        Sample((_huge(dt), 1), name="huge"),
        Sample((arr(rng, (3, 4), dt), 2), name="error-dim"),
        Sample((arr(rng, (3, 4), "int64"), 1), name="error-int"),
    ]


def _softmax_dtype_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), 1), {"dtype_name": "float64"}, name="to-float64"),
        Sample((arr(rng, (3, 4), "int64"), 1), {"dtype_name": "float32"}, name="int-to-float"),
        Sample((arr(rng, (3, 4), dt), 1), {"dtype_name": "int64"}, name="error-to-int"),
    ]


def _with_dtype(fn_name: str) -> Any:
    def op(m: Any, x: Any, dim: int, dtype_name: str) -> Any:
        return getattr(F(m), fn_name)(x, dim, dtype=getattr(m, dtype_name))

    return op


ACTIVATIONS = [
    OpInfo(
        "F.leaky_relu",
        lambda m, x, **k: F(m).leaky_relu(x, **k),
        activation_samples(),
        ("LeakyReluBackward0",),
    ),
    OpInfo(
        "F.leaky_relu_slope",
        lambda m, x, **k: F(m).leaky_relu(x, **k),
        activation_samples(negative_slope=0.2),
        ("LeakyReluBackward0",),
    ),
    OpInfo(
        "F.leaky_relu_int",
        lambda m, x: F(m).leaky_relu(x),
        _int_input,
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "F.elu",
        lambda m, x, **k: F(m).elu(x, **k),
        activation_samples(huge=True),
        ("EluBackward0",),
    ),
    OpInfo(
        "F.elu_alpha",
        lambda m, x, **k: F(m).elu(x, **k),
        activation_samples(alpha=0.5),
        ("EluBackward0",),
    ),
    OpInfo("F.selu", lambda m, x: F(m).selu(x), activation_samples(), ("EluBackward0",)),
    OpInfo(
        "F.gelu",
        lambda m, x, **k: F(m).gelu(x, **k),
        activation_samples(arr, huge=True),
        ("GeluBackward0",),
    ),
    OpInfo(
        "F.gelu_tanh",
        lambda m, x, **k: F(m).gelu(x, **k),
        activation_samples(arr, huge=True, approximate="tanh"),
        ("GeluBackward0",),
    ),
    OpInfo(
        "F.gelu_bad",
        lambda m, x, **k: F(m).gelu(x, **k),
        activation_samples(arr, approximate="erf"),
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "F.silu", lambda m, x: F(m).silu(x), activation_samples(arr, huge=True), ("SiluBackward0",)
    ),
    OpInfo(
        "F.mish", lambda m, x: F(m).mish(x), activation_samples(arr, huge=True), ("MishBackward0",)
    ),
    OpInfo(
        "F.softplus",
        lambda m, x, **k: F(m).softplus(x, **k),
        activation_samples(arr, huge=True),
        ("SoftplusBackward0",),
    ),
    OpInfo(
        "F.softplus_beta",
        lambda m, x, **k: F(m).softplus(x, **k),
        activation_samples(arr, beta=2.0, threshold=1.5),
        ("SoftplusBackward0",),
    ),
    OpInfo(
        "F.hardtanh",
        lambda m, x, **k: F(m).hardtanh(x, **k),
        _hardtanh_samples,
        ("HardtanhBackward0",),
    ),
    OpInfo("F.relu6", lambda m, x: F(m).relu6(x * 4), activation_samples(), ("HardtanhBackward0",)),
    OpInfo(
        "F.logsigmoid",
        lambda m, x: F(m).logsigmoid(x),
        activation_samples(arr, huge=True),
        ("LogSigmoidBackward0",),
    ),
    # in place on a non-leaf (x * 1): torch's nodes keep the output (…Backward1)
    OpInfo(
        "F.leaky_relu_inplace",
        lambda m, x, **k: F(m).leaky_relu(x * 1, inplace=True, **k),
        activation_samples(negative_slope=0.2),
        ("LeakyReluBackward1",),
    ),
    OpInfo(
        "F.elu_inplace",
        lambda m, x, **k: F(m).elu(x * 1, inplace=True, **k),
        activation_samples(huge=True, alpha=0.7),
        ("EluBackward1",),
    ),
    OpInfo(
        "F.selu_inplace",
        lambda m, x: F(m).selu(x * 1, inplace=True),
        activation_samples(),
        ("EluBackward1",),
    ),
    OpInfo("F.prelu", lambda m, x, w: F(m).prelu(x, w), _prelu_samples, ("PreluKernelBackward0",)),
    OpInfo("prelu_method", lambda m, x, w: x.prelu(w), _prelu_samples, ("PreluKernelBackward0",)),
]

SOFTMAX = [
    OpInfo("softmax", lambda m, x, d: m.softmax(x, d), _softmax_samples, ("SoftmaxBackward0",)),
    OpInfo("Tensor.softmax", lambda m, x, d: x.softmax(d), _softmax_samples, ("SoftmaxBackward0",)),
    OpInfo(
        "F.softmax", lambda m, x, d: F(m).softmax(x, dim=d), _softmax_samples, ("SoftmaxBackward0",)
    ),
    OpInfo(
        "F.softmax_dtype", _with_dtype("softmax"), _softmax_dtype_samples, ("SoftmaxBackward0",)
    ),
    OpInfo(
        "F.softmin", lambda m, x, d: F(m).softmin(x, d), _softmax_samples, ("SoftmaxBackward0",)
    ),
    OpInfo(
        "log_softmax",
        lambda m, x, d: m.log_softmax(x, d),
        _softmax_samples,
        ("LogSoftmaxBackward0",),
    ),
    OpInfo(
        "Tensor.log_softmax",
        lambda m, x, d: x.log_softmax(d),
        _softmax_samples,
        ("LogSoftmaxBackward0",),
    ),
    OpInfo(
        "F.log_softmax",
        lambda m, x, d: F(m).log_softmax(x, dim=d),
        _softmax_samples,
        ("LogSoftmaxBackward0",),
    ),
    OpInfo(
        "F.log_softmax_dtype",
        _with_dtype("log_softmax"),
        _softmax_dtype_samples,
        ("LogSoftmaxBackward0",),
    ),
]

OPS = ACTIVATIONS + SOFTMAX
