"""Op table entries for ``xlogy`` (x · log y, 0 where x = 0): two tensors (XlogyBackward0),
a Python-number ``self`` (XlogyBackward1) or ``other`` (XlogyBackward2), the in-place
``xlogy_``, integer/bool/float16/mixed dtypes, the edge values (zeros, negatives, nan, inf)
and the result's layout on transposed inputs.

x takes any sign (and exact zeros, where x · log y is smooth in x when y > 0); y is positive
where gradcheck runs. Edge values run forward, backward and forward mode against torch
(gradcheck has no meaning at poles and nan).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr, positive

INT_DTYPES = ("int64", "int32", "uint8", "int8", "bool")
NO_GRAD: dict[str, Any] = {"grad": False, "gradcheck": False, "gradgrad": False}
NODES = ("XlogyBackward0", "XlogyBackward1", "XlogyBackward2")

BROADCAST_SHAPES = (
    ((), ()),
    ((5,), (5,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (4,)),
    ((), (3, 2)),
    ((4,), ()),
    ((0, 3), (3,)),
)
# self's shape is the broadcast shape: the in-place form accepts these
INPLACE_SHAPES = (((), ()), ((5,), (5,)), ((3, 4), (4,)), ((3, 4), ()), ((2, 3, 4), (3, 1)))

NAN, INF = np.nan, np.inf
EDGE_X = [0.0, 0.0, 0.0, 0.0, 0.0, -0.0, 1.0, 1.0, 1.0, 1.0, -1.0, NAN, INF, -INF, 0.0, 2.0]
EDGE_Y = [0.0, -1.0, NAN, INF, -INF, -0.0, 0.0, -1.0, INF, NAN, 0.0, 1.0, 0.0, 2.0, 2.0, 3.0]


def _nc(gen, rng, shape, dt):  # type: ignore[no-untyped-def]
    """A transposed (non-contiguous) 2-D array of ``shape``."""
    return gen(rng, shape[::-1], dt).T


def _with_zeros(rng, shape, dt):  # type: ignore[no-untyped-def]
    """Values of any sign with about a third of them exactly 0."""
    a = arr(rng, shape, dt)
    return np.where(rng.random(shape) < 0.35, 0, a).astype(dt)


def _other_float(dt: np.dtype) -> str:
    return "float64" if dt == np.float32 else "float32"


def _tensors(rng, dt):  # type: ignore[no-untyped-def]
    out = [
        Sample((arr(rng, a, dt), positive(rng, b, dt)), name=f"{a}{b}") for a, b in BROADCAST_SHAPES
    ]
    return out + [
        Sample((_with_zeros(rng, (3, 4), dt), positive(rng, (3, 4), dt)), name="zeros-in-x"),
        Sample((_nc(arr, rng, (3, 4), dt), _nc(positive, rng, (3, 4), dt)), name="non-contiguous"),
        Sample((_nc(arr, rng, (3, 4), dt), positive(rng, (4,), dt)), name="transposed-broadcast"),
        Sample((arr(rng, (3,), dt), positive(rng, (4,), dt)), name="broadcast-error"),
        Sample((2.0, 3.0), name="two-numbers-error"),
        Sample((arr(rng, (3,), dt), "a"), name="string-error"),
        Sample((arr(rng, (3,), dt), None), name="none-error"),
    ]


def _number_self(rng, dt):  # type: ignore[no-untyped-def]
    y = positive(rng, (3, 4), dt)
    return [
        Sample((2.5, y), name="float"),
        Sample((3, y), name="int"),
        Sample((True, y), name="bool"),
        Sample((0.0, y), name="zero"),
        Sample((-1.5, positive(rng, (), dt)), name="0-d"),
        Sample((0.75, _nc(positive, rng, (3, 4), dt)), name="non-contiguous"),
        Sample((2.0, positive(rng, (0, 2), dt)), name="empty"),
        Sample((np.float64(1.5), positive(rng, (4,), dt)), name="numpy-scalar"),
    ]


def _number_other(rng, dt):  # type: ignore[no-untyped-def]
    x = _with_zeros(rng, (3, 4), dt)
    return [
        Sample((x, 2.5), name="float"),
        Sample((x, 3), name="int"),
        Sample((x, True), name="bool"),
        Sample((x, 0.25), name="below-one"),
        Sample((arr(rng, (), dt), 1.5), name="0-d"),
        Sample((_nc(arr, rng, (3, 4), dt), 2.0), name="non-contiguous"),
        Sample((arr(rng, (0, 2), dt), 2.0), name="empty"),
    ]


def _inplace(rng, dt):  # type: ignore[no-untyped-def]
    out = [
        Sample((arr(rng, a, dt), positive(rng, b, dt)), name=f"{a}{b}") for a, b in INPLACE_SHAPES
    ]
    return out + [
        Sample((_nc(arr, rng, (3, 4), dt), positive(rng, (3, 4), dt)), name="transposed-self"),
        Sample((_with_zeros(rng, (3, 4), dt), 2.5), name="number"),
        Sample((arr(rng, (4,), dt), 3), name="int-number"),
        Sample(
            (arr(rng, (3, 4), dt), positive(rng, (4,), _other_float(dt))),
            name="other-dtype",
            grad=(True, False),  # (gradcheck in float64 would perturb a float32 leaf)
        ),
        Sample((arr(rng, (4,), dt), positive(rng, (3, 4), dt)), name="broadcast-shape-error"),
        Sample((arr(rng, (3, 1), dt), positive(rng, (1, 4), dt)), name="broadcast-both-error"),
        Sample((arr(rng, (), dt), positive(rng, (3,), dt)), name="0-d-self-error"),
        Sample((arr(rng, (3,), dt), "a"), name="string-error"),
    ]


def _mixed(rng, dt):  # type: ignore[no-untyped-def]
    """Operands of different dtypes: float with the other float, 0-d float64 (a wrapped
    tensor: it does not raise the dtype of a dimensioned float32), integers and bools."""
    other = _other_float(dt)
    # (in the float32 run a float64 leaf's gradient is float64: the float32-gradient test
    # would refuse it, so only the float64 run asks for the other dtype's gradient)
    wide = dt == np.float64
    return [
        Sample((arr(rng, (3, 4), dt), positive(rng, (4,), other)), grad=(True, wide), name="other"),
        Sample(
            (positive(rng, (3,), other), arr(rng, (3,), dt)), grad=(wide, True), name="other-self"
        ),
        Sample(
            (arr(rng, (3, 4), dt), positive(rng, (), "float64")),
            grad=(True, wide),
            name="0-d-float64",
        ),
        Sample(
            (positive(rng, (), "float64"), positive(rng, (3, 4), dt)),
            grad=(wide, True),
            name="0-d-float64-self",
        ),
        Sample((arr(rng, (3, 4), dt), arr(rng, (4,), "int64", 1, 5)), name="int-other"),
        Sample((arr(rng, (3, 4), "int64"), positive(rng, (3, 4), dt)), name="int-self"),
        Sample((arr(rng, (5,), "bool"), positive(rng, (5,), dt)), name="bool-self"),
        Sample((arr(rng, (5,), dt), arr(rng, (5,), "bool")), name="bool-other"),
        Sample((arr(rng, (3,), "int64"), positive(rng, (), dt)), name="int-with-0-d-float"),
    ]


def _integers(rng, dt):  # type: ignore[no-untyped-def]
    a, b = arr(rng, (3, 4), dt), arr(rng, (3, 4), dt)
    return [
        Sample((a, b), name="same-dtype"),
        Sample((a, arr(rng, (4,), "int64")), name="with-int64"),
        Sample((a, arr(rng, (4,), "uint8")), name="with-uint8"),
        Sample((a, positive(rng, (4,), "float32")), name="with-float32"),
        Sample((a, positive(rng, (), "float64")), name="with-0-d-float64"),
        Sample((a, arr(rng, (), "int64")), name="with-0-d-int"),
        Sample((a, 2), name="int-number"),
        Sample((a, 2.5), name="float-number"),
        Sample((a, True), name="bool-number"),
        Sample((a, -1), name="negative-number"),  # not wrapped into uint8: nan, as in torch
        Sample((a, 300), name="large-number"),
        Sample((a, 2**63), name="uint64-number"),  # torch refuses it with a bool tensor
        Sample((-1, b), name="number-self"),
        Sample((2.5, b), name="float-number-self"),
    ]


def _integers_inplace(rng, dt):  # type: ignore[no-untyped-def]
    a = arr(rng, (3, 4), dt)
    return [
        Sample((a, arr(rng, (3, 4), dt)), name="same-dtype-error"),
        Sample((a, positive(rng, (4,), "float32")), name="float-other-error"),
        Sample((a, 2), name="number-error"),
    ]


def _half(rng, dt):  # type: ignore[no-untyped-def]
    """float16 math stays float16 in torch (log y rounded, then the product)."""
    a, b = arr(rng, (3, 4), dt), positive(rng, (3, 4), dt)
    return [
        Sample((a, b), name="tensors"),
        Sample((a, 2.5), name="number-other"),
        Sample((2.5, b), name="number-self"),
        Sample((a, 1e10), name="number-beyond-float16"),  # inf once in float16
        Sample((a, positive(rng, (4,), "float32")), name="with-float32"),
        Sample((a, arr(rng, (4,), "int64", 1, 5)), name="with-int64"),
    ]


def _overflow(rng, dt):  # type: ignore[no-untyped-def]
    """Python ints torch cannot convert (OverflowError, which gradcheck's runner does not
    treat as a refusal: forward only)."""
    return [
        Sample((arr(rng, (3,), dt), 2**70), name="other"),
        Sample((2**70, positive(rng, (3,), dt)), name="self"),
        Sample((arr(rng, (3,), dt), -(2**70)), name="negative"),
    ]


def _edges(rng, dt):  # type: ignore[no-untyped-def]
    x, y = np.array(EDGE_X, dtype=dt), np.array(EDGE_Y, dtype=dt)
    out = [Sample((x, y), name="tensors")]
    for s in (0.0, -0.0, -1.0, NAN, INF, -INF):
        out.append(Sample((x, s), name=f"number-other-{s}"))
    for s in (0.0, -1.0, NAN, INF):
        out.append(Sample((s, y), name=f"number-self-{s}"))
    return out


def _tensor_edges(rng, dt):  # type: ignore[no-untyped-def]
    """The edge samples with a tensor ``self`` (the in-place form's)."""
    return [s for s in _edges(rng, dt) if isinstance(s.args[0], np.ndarray)]


def _layouts(rng, dt):  # type: ignore[no-untyped-def]
    """Where torch's result is laid out as a transposed input, ``view(-1)`` refuses it."""
    t, c = _nc(positive, rng, (3, 4), dt), positive(rng, (3, 4), dt)
    return [
        Sample((t, c), name="transposed-first"),
        Sample((c, t), name="transposed-second"),
        Sample((t, 2.0), name="transposed-number-other"),
        Sample((2.0, t), name="transposed-number-self"),
        Sample((t, positive(rng, (), dt)), name="transposed-0-d"),
        Sample((positive(rng, (3, 1), dt), positive(rng, (1, 4), dt)), name="broadcast"),
        Sample((_nc(positive, rng, (1, 3), dt), _nc(positive, rng, (4, 1), dt)), name="bc-t"),
    ]


def _call(m, a, b):  # type: ignore[no-untyped-def]
    return m.xlogy(a, b)


def _inplace_call(m, a, b):  # type: ignore[no-untyped-def]
    return a.clone().xlogy_(b)


OPS: list[OpInfo] = [
    OpInfo("xlogy", _call, _tensors, ("XlogyBackward0",)),
    OpInfo("xlogy_number_self", _call, _number_self, ("XlogyBackward1",)),
    OpInfo("xlogy_number_other", lambda m, a, b: a.xlogy(b), _number_other, ("XlogyBackward2",)),
    OpInfo("xlogy_", _inplace_call, _inplace, ("XlogyBackward0", "XlogyBackward2")),
    OpInfo("xlogy_mixed", _call, _mixed, ("XlogyBackward0",), gradcheck=False, gradgrad=False),
    OpInfo("xlogy_edges", _call, _edges, NODES, gradcheck=False, gradgrad=False),
    OpInfo("xlogy_edges_", _inplace_call, _tensor_edges, NODES, gradcheck=False, gradgrad=False),
    OpInfo("xlogy_layout", lambda m, a, b: m.xlogy(a, b).view(-1), _layouts, NODES),
    OpInfo("xlogy_int", _call, _integers, dtypes=INT_DTYPES, **NO_GRAD),
    OpInfo("xlogy__int", _inplace_call, _integers_inplace, dtypes=INT_DTYPES, **NO_GRAD),
    OpInfo("xlogy_half", _call, _half, dtypes=("float16",), **NO_GRAD),
    OpInfo("xlogy_overflow", _call, _overflow, dtypes=("float32", "int64"), **NO_GRAD),
]
