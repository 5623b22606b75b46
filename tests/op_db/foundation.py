"""Op table entries for the foundation ops (arithmetic, first unary ops; reductions are in reduction.py, products in linalg.py)."""

from __future__ import annotations

from . import (
    OpInfo,
    Sample,
    arr,
    away_from_zero,
    binary_samples,
    positive,
    unary_samples,
)


def _where_samples(rng, dtype):  # type: ignore[no-untyped-def]
    return [
        Sample((arr(rng, (3, 4), "bool"), arr(rng, (3, 4), dtype), arr(rng, (3, 4), dtype))),
        Sample((arr(rng, (3, 1), "bool"), arr(rng, (4,), dtype), arr(rng, (), dtype))),
        Sample((arr(rng, (5,), "bool"), arr(rng, (5,), dtype), 0.0), name="scalar"),
    ]


def _clamp_samples(rng, dtype):  # type: ignore[no-untyped-def]
    x = arr(rng, (4, 5), dtype)
    return [
        Sample((x,), {"min": -0.5, "max": 0.5}, name="scalars"),
        Sample((x,), {"min": -0.5}, name="min-only"),
        Sample((x,), {"max": 0.5}, name="max-only"),
        Sample(
            (x, arr(rng, (5,), dtype, -1.0, -0.2), arr(rng, (4, 1), dtype, 0.2, 1.0)),
            name="tensor-bounds",
        ),  # fmt: skip
    ]


OPS = [
    OpInfo("add", lambda m, a, b: m.add(a, b), binary_samples(), ("AddBackward0",)),
    OpInfo("add_alpha", lambda m, a, b: m.add(a, b, alpha=2), binary_samples(), ("AddBackward0",)),
    OpInfo("sub", lambda m, a, b: a - b, binary_samples(), ("SubBackward0",)),
    OpInfo("rsub", lambda m, a: 2 - a, unary_samples(), ("RsubBackward1",)),
    OpInfo("mul", lambda m, a, b: a * b, binary_samples(), ("MulBackward0",)),
    OpInfo("div", lambda m, a, b: a / b, binary_samples(arr, away_from_zero), ("DivBackward0",)),
    OpInfo(
        "rdiv",
        lambda m, a: 2 / a,
        unary_samples(away_from_zero),
        ("ReciprocalBackward0", "MulBackward0"),
    ),  # fmt: skip
    OpInfo("neg", lambda m, a: -a, unary_samples(), ("NegBackward0",)),
    OpInfo("pow_scalar", lambda m, a: a**3, unary_samples(), ("PowBackward0",)),
    OpInfo("pow_scalar_frac", lambda m, a: a**1.5, unary_samples(positive), ("PowBackward0",)),
    OpInfo("pow_tensor", lambda m, a, b: m.pow(a, b), binary_samples(positive), ("PowBackward1",)),
    OpInfo("rpow", lambda m, a: 2**a, unary_samples(), ("PowBackward2",)),
    OpInfo("exp", lambda m, a: m.exp(a), unary_samples(), ("ExpBackward0",)),
    OpInfo("log", lambda m, a: m.log(a), unary_samples(positive), ("LogBackward0",)),
    OpInfo("sqrt", lambda m, a: a.sqrt(), unary_samples(positive), ("SqrtBackward0",)),
    OpInfo("sin", lambda m, a: m.sin(a), unary_samples(), ("SinBackward0",)),
    OpInfo("cos", lambda m, a: m.cos(a), unary_samples(), ("CosBackward0",)),
    OpInfo(
        "tanh", lambda m, a: m.tanh(a), unary_samples(), ("TanhBackward0", "TanhBackwardBackward0")
    ),
    OpInfo(
        "sigmoid",
        lambda m, a: m.sigmoid(a),
        unary_samples(),
        ("SigmoidBackward0", "SigmoidBackwardBackward0"),
    ),  # fmt: skip
    OpInfo(
        "relu",
        lambda m, a: m.relu(a),
        unary_samples(away_from_zero),
        ("ReluBackward0", "ThresholdBackwardBackward0"),
        gradgrad=True,
    ),  # fmt: skip
    OpInfo("abs", lambda m, a: m.abs(a), unary_samples(away_from_zero), ("AbsBackward0",)),
    OpInfo("sign", lambda m, a: m.sign(a), unary_samples(away_from_zero), ("SignBackward0",)),
    OpInfo("maximum", lambda m, a, b: m.maximum(a, b), binary_samples(), ("MaximumBackward0",)),
    OpInfo("minimum", lambda m, a, b: m.minimum(a, b), binary_samples(), ("MinimumBackward0",)),
    OpInfo(
        "clamp",
        lambda m, *a, **k: m.clamp(*a, **k),
        _clamp_samples,
        ("ClampBackward0", "ClampBackward1"),
    ),  # fmt: skip
    OpInfo("where", lambda m, c, a, b: m.where(c, a, b), _where_samples, ("WhereBackward0",)),
]

OPS += [
    OpInfo(
        name,
        fn,
        binary_samples(),
        grad=False,
        gradgrad=False,
        gradcheck=False,
        dtypes=("float32", "float64", "int64", "int32", "bool"),
    )  # fmt: skip
    for name, fn in [
        ("eq", lambda m, a, b: a == b),
        ("ne", lambda m, a, b: a != b),
        ("lt", lambda m, a, b: a < b),
        ("le", lambda m, a, b: m.le(a, b)),
        ("gt", lambda m, a, b: m.gt(a, b)),
        ("ge", lambda m, a, b: a >= b),
    ]
]
OPS += [
    OpInfo(
        f"{name}_int",
        fn,
        binary_samples(),
        grad=False,
        gradgrad=False,
        gradcheck=False,
        dtypes=("int64", "int32", "uint8"),
    )  # fmt: skip
    for name, fn in [
        ("add", lambda m, a, b: a + b),
        ("mul", lambda m, a, b: a * b),
        ("truediv", lambda m, a, b: a / (b * 0 + 3)),
        ("sub", lambda m, a, b: a - b),
    ]
]
