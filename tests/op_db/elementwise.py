"""Op table entries for the elementwise family: unary math, rounding, division and
remainders, clamps, lerp, logical/bitwise ops, classification and closeness tests, plus
their in-place forms; extra samples for the foundation's elementwise ops live in
``elementwise_existing.py`` (int/bool dtypes, scalar overflow, pow edge cases).

Float entries run float32 and float64 with gradients; ``*_int`` entries run the same op on
integer and bool dtypes, forward only (dtype promotion, integer semantics, and torch's
errors where it refuses a dtype).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr, positive
from .elementwise_existing import OPS as EXISTING_OPS

INT_DTYPES = ("int64", "int32", "uint8", "int8", "bool")
NO_GRAD: dict[str, Any] = {"grad": False, "gradcheck": False, "gradgrad": False}

SHAPES = ((), (5,), (3, 4), (2, 3, 4), (0,), (2, 0))


def nc(gen, rng, shape, dt):  # type: ignore[no-untyped-def]
    """A non-contiguous (transposed) 2-D array of ``shape`` drawn by ``gen``."""
    return gen(rng, shape[::-1], dt).T


def ranged(low: float, high: float):  # type: ignore[no-untyped-def]
    return lambda rng, shape, dt: arr(rng, shape, dt, low, high)


def unary(gen=arr, **kwargs: Any):  # type: ignore[no-untyped-def]
    """0-d, 1-d, 2-d, 3-d, empty and non-contiguous inputs drawn by ``gen``."""

    def samples(rng, dt):  # type: ignore[no-untyped-def]
        out = [Sample((gen(rng, s, dt),), dict(kwargs), name=str(s)) for s in SHAPES]
        out.append(Sample((nc(gen, rng, (3, 4), dt),), dict(kwargs), name="non-contiguous"))
        return out

    return samples


BINARY_SHAPES = (
    ((), ()),
    ((5,), (5,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (4,)),
    ((), (3, 2)),
    ((4,), ()),
    ((0, 3), (3,)),
)


def binary(gen_a=arr, gen_b=None, scalar: Any = 2.5, **kwargs: Any):  # type: ignore[no-untyped-def]
    """Broadcasting pairs, 0-d with n-d, empty, non-contiguous, and a Python-number operand."""
    gen_b = gen_b or gen_a

    def samples(rng, dt):  # type: ignore[no-untyped-def]
        out = [
            Sample((gen_a(rng, a, dt), gen_b(rng, b, dt)), dict(kwargs), name=f"{a}{b}")
            for a, b in BINARY_SHAPES
        ]
        out.append(
            Sample(
                (nc(gen_a, rng, (2, 3), dt), nc(gen_b, rng, (2, 3), dt)),
                dict(kwargs),
                name="non-contiguous",
            )
        )
        if scalar is not None:
            out.append(Sample((gen_a(rng, (3,), dt), scalar), dict(kwargs), name="scalar"))
        return out

    return samples


def inplace(method: str):  # type: ignore[no-untyped-def]
    """``x.clone().method(...)``: the in-place form on a non-leaf copy."""
    return lambda m, a, *rest, **kw: getattr(a.clone(), method)(*rest, **kw)


def entries(name, fn, nodes, gen=arr, int_gen=None, method=None, samples=None, **opts):  # type: ignore[no-untyped-def]
    """A float entry (with gradients), an integer/bool forward-only entry, and, when
    ``method`` is given, the in-place form ``x.<method>_()`` in both."""
    samples = samples or unary(gen)
    int_samples = unary(int_gen) if int_gen else samples
    out = [
        OpInfo(name, fn, samples, nodes, **opts),
        OpInfo(f"{name}_int", fn, int_samples, dtypes=INT_DTYPES, **NO_GRAD),
    ]
    if method:
        ip = inplace(method + "_")
        out.append(OpInfo(f"{name}_", ip, samples, nodes, **opts))
        out.append(OpInfo(f"{name}__int", ip, int_samples, dtypes=INT_DTYPES, **NO_GRAD))
    return out


# --- unary math --------------------------------------------------------------------------

inside_unit = ranged(-0.9, 0.9)
above_minus_one = ranged(-0.5, 2.0)

OPS: list[OpInfo] = [
    *entries("exp2", lambda m, a: m.exp2(a), ("Exp2Backward0",), method="exp2"),
    *entries("expm1", lambda m, a: a.expm1(), ("Expm1Backward0",), method="expm1"),
    *entries("log2", lambda m, a: m.log2(a), ("Log2Backward0",), positive, method="log2"),
    *entries("log10", lambda m, a: a.log10(), ("Log10Backward0",), positive, method="log10"),
    *entries(
        "log1p", lambda m, a: m.log1p(a), ("Log1PBackward0",), above_minus_one, method="log1p"
    ),
    *entries("rsqrt", lambda m, a: m.rsqrt(a), ("RsqrtBackward0",), positive, method="rsqrt"),
    *entries("square", lambda m, a: m.square(a), ("PowBackward0",), method="square"),
    *entries("asin", lambda m, a: m.asin(a), ("AsinBackward0",), inside_unit, method="asin"),
    *entries("arcsin", lambda m, a: a.arcsin(), ("AsinBackward0",), inside_unit),
    *entries("acos", lambda m, a: m.acos(a), ("AcosBackward0",), inside_unit, method="acos"),
    *entries("arccos", lambda m, a: m.arccos(a), ("AcosBackward0",), inside_unit),
    *entries("atan", lambda m, a: m.atan(a), ("AtanBackward0",), method="atan"),
    *entries("arctan", lambda m, a: m.arctan(a), ("AtanBackward0",)),
    *entries("sinh", lambda m, a: m.sinh(a), ("SinhBackward0",), method="sinh"),
    *entries("cosh", lambda m, a: a.cosh(), ("CoshBackward0",), method="cosh"),
    *entries("erf", lambda m, a: m.erf(a), ("ErfBackward0",), ranged(-3.0, 3.0), method="erf"),
    # outside the domain: nan / inf silently, as torch
    OpInfo(
        "unary_domain_edges",
        lambda m, a: m.stack(
            [
                m.log2(a),
                m.log10(a),
                m.log1p(a - 1),
                m.rsqrt(a),
                m.asin(a),
                m.acos(a),
                m.sqrt(a),
                m.log(a),
            ]
        ),
        lambda rng, dt: [
            Sample(
                (np.array([-2.0, -1.0, 0.0, 1.0, 3.0, np.inf, -np.inf, np.nan], dtype=dt),),
                name="edges",
            )
        ],
        **NO_GRAD,
    ),
    OpInfo(
        "erf_extremes",
        lambda m, a: m.erf(a),
        lambda rng, dt: [
            Sample(
                (
                    np.array(
                        [
                            0.0,
                            -0.0,
                            1e-30,
                            -1e-8,
                            0.5,
                            5.9,
                            6.5,
                            30.0,
                            -30.0,
                            np.inf,
                            -np.inf,
                            np.nan,
                        ],
                        dtype=dt,
                    ),
                ),
                name="edges",
            )
        ],
        ("ErfBackward0",),
        gradcheck=False,
        gradgrad=False,
    ),
]

# --- rounding -----------------------------------------------------------------------------


def _round_samples(rng, dt):  # type: ignore[no-untyped-def]
    return unary(ranged(-5.0, 5.0))(rng, dt)


def _halves(rng, dt):  # type: ignore[no-untyped-def]
    """Halves and integers: rounding's ties and discontinuities (no gradcheck there)."""
    halves = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.0, -7.0, 0.0], dtype=dt)
    return [Sample((halves,), name="halves")]


def _off_grid(rng, shape, dt):  # type: ignore[no-untyped-def]
    """Values k/100 + 0.003: at least 0.03 of a step from every rounding tie at decimals
    2, 1, 0 and -2 (scaled by 100), so central differences never straddle a jump."""
    return np.asarray((rng.integers(-5000, 5000, size=shape) + 0.3) / 100, dtype=dt)


def _round_decimals_samples(rng, dt):  # type: ignore[no-untyped-def]
    x = _off_grid(rng, (4, 5), dt)
    return [
        Sample((x,), {"decimals": 2}, name="2"),
        Sample((x,), {"decimals": 1}, name="1"),
        Sample((x,), {"decimals": 0}, name="0"),
        Sample((x * 100,), {"decimals": -2}, name="-2"),
        Sample((np.asarray(_off_grid(rng, (), dt) / 10),), {"decimals": 3}, name="0-d"),
        Sample((arr(rng, (0, 2), dt),), {"decimals": 1}, name="empty"),
        Sample((_off_grid(rng, (4, 3), dt).T,), {"decimals": 1}, name="non-contiguous"),
    ]


_rounding = ranged(-5.0, 5.0)
OPS += [
    *entries(
        "floor",
        lambda m, a: m.floor(a),
        ("FloorBackward0",),
        samples=_round_samples,
        method="floor",
    ),
    *entries(
        "ceil", lambda m, a: a.ceil(), ("CeilBackward0",), samples=_round_samples, method="ceil"
    ),
    *entries(
        "trunc",
        lambda m, a: m.trunc(a),
        ("TruncBackward0",),
        samples=_round_samples,
        method="trunc",
    ),
    *entries(
        "fix", lambda m, a: m.fix(a), ("TruncBackward0",), samples=_round_samples, method="fix"
    ),
    *entries(
        "round",
        lambda m, a: m.round(a),
        ("RoundBackward0",),
        samples=_round_samples,
        method="round",
    ),
    *entries(
        "frac", lambda m, a: m.frac(a), ("FracBackward0",), samples=_round_samples, method="frac"
    ),
    *[
        OpInfo(
            f"{name}_halves",
            lambda m, a, _n=name: getattr(m, _n)(a),
            _halves,
            (node,),
            gradcheck=False,
            gradgrad=False,
        )
        for name, node in [
            ("floor", "FloorBackward0"),
            ("ceil", "CeilBackward0"),
            ("trunc", "TruncBackward0"),
            ("round", "RoundBackward0"),
            ("frac", "FracBackward0"),
        ]
    ],
    OpInfo(
        "round_decimals",
        lambda m, a, **k: m.round(a, **k),
        _round_decimals_samples,
        ("RoundBackward1",),
    ),
    OpInfo(
        "round_decimals_",
        lambda m, a, **k: a.clone().round_(**k),
        _round_decimals_samples,
        ("RoundBackward1",),
    ),
    OpInfo(
        "round_decimals_int",
        lambda m, a, **k: m.round(a, **k),
        lambda rng, dt: [
            Sample((arr(rng, (4,), dt),), {"decimals": 1}),
            Sample((arr(rng, (4,), dt),), {"decimals": 0}, name="0"),
        ],
        dtypes=INT_DTYPES,
        **NO_GRAD,
    ),
]

# --- clamp_min / clamp_max / nan_to_num ---------------------------------------------------


def _one_sided_samples(rng, dt):  # type: ignore[no-untyped-def]
    x = arr(rng, (4, 5), dt)
    return [
        Sample((x, 0.25), name="number"),
        Sample((x, 1), name="int-number"),
        Sample((arr(rng, (), dt), -0.5), name="0-d"),
        Sample((arr(rng, (0, 3), dt), 0.5), name="empty"),
        Sample((nc(arr, rng, (3, 4), dt), 0.5), name="non-contiguous"),
        Sample((x, arr(rng, (5,), dt)), name="tensor-broadcast"),
        Sample((arr(rng, (3, 1), dt), arr(rng, (1, 4), dt)), name="tensor-both-broadcast"),
        Sample((x, arr(rng, (), dt)), name="tensor-0-d"),
        Sample((x, None), name="none-error"),
    ]


def _one_sided_ties(rng, dt):  # type: ignore[no-untyped-def]
    x = np.array([0.0, 1.0, 2.0, np.nan], dtype=dt)
    return [
        Sample((x, 1.0), name="number"),
        Sample((x, np.ones(4, dtype=dt)), name="tensor"),
        Sample(
            (np.ones(4, dtype=dt), np.array([1.0, np.nan, 0.0, 2.0], dtype=dt)), name="nan-bound"
        ),
    ]


def _one_sided_int(rng, dt):  # type: ignore[no-untyped-def]
    x = arr(rng, (3, 4), dt, -5, 5)
    return [
        Sample((x, 1), name="int"),
        Sample((x, 1.5), name="float"),
        Sample((x, True), name="bool"),
        Sample((x, arr(rng, (4,), dt)), name="tensor"),
        Sample((x, arr(rng, (4,), "float32")), name="float-tensor"),
        Sample((x, 300), name="overflow"),
        Sample((x, -1), name="minus-one"),
        Sample((x, -200), name="minus-200"),
        Sample((x, 2**63), name="int64-overflow"),
        Sample((x, 2**70), name="too-big"),
    ]


for _name, _nodes in [
    ("clamp_min", ("ClampMinBackward0", "ClampMinBackward1")),
    ("clamp_max", ("ClampMaxBackward0", "ClampMaxBackward1")),
]:
    OPS += [
        OpInfo(_name, lambda m, a, b, _n=_name: getattr(m, _n)(a, b), _one_sided_samples, _nodes),
        OpInfo(f"{_name}_", inplace(f"{_name}_"), _one_sided_samples, _nodes),
        OpInfo(
            f"{_name}_ties",
            lambda m, a, b, _n=_name: getattr(a, _n)(b),
            _one_sided_ties,
            _nodes,
            gradcheck=False,
            gradgrad=False,
        ),
        OpInfo(
            f"{_name}_int",
            lambda m, a, b, _n=_name: getattr(m, _n)(a, b),
            _one_sided_int,
            dtypes=INT_DTYPES,
            **NO_GRAD,
        ),
        OpInfo(f"{_name}__int", inplace(f"{_name}_"), _one_sided_int, dtypes=INT_DTYPES, **NO_GRAD),
    ]


def _clamp_overflow(rng, dt):  # type: ignore[no-untyped-def]
    x = arr(rng, (5,), dt)
    big = 1e300 if dt.kind == "f" else 1000
    return [
        Sample((x,), {"min": -big}, name="min"),
        Sample((x,), {"max": big}, name="max"),
        Sample((x,), {"min": np.inf}, name="inf"),
        Sample((x,), {"max": np.nan}, name="nan"),
    ]


OPS.append(
    OpInfo(
        "clamp_overflow",
        lambda m, a, **k: m.clamp(a, **k),
        _clamp_overflow,
        dtypes=("float32", "float16", "int8", "uint8", "int64"),
        **NO_GRAD,
    )
)


def _nan_to_num_samples(rng, dt):  # type: ignore[no-untyped-def]
    special = np.array([np.nan, np.inf, -np.inf, 1.5, -2.0, 0.0], dtype=dt)
    grid = np.where(rng.random((3, 4)) < 0.3, np.inf, arr(rng, (3, 4), dt)).astype(dt)
    return [
        Sample((special,), name="defaults"),
        Sample((special,), {"nan": 0.5, "posinf": 2.0, "neginf": -3.0}, name="values"),
        Sample((special,), {"nan": 1e300}, name="huge-replacement"),
        Sample((grid.T,), {"posinf": 9.0}, name="non-contiguous"),
        Sample((np.array(np.nan, dtype=dt),), name="0-d"),
        Sample((arr(rng, (0, 2), dt),), name="empty"),
    ]


OPS += [
    OpInfo(
        "nan_to_num",
        lambda m, a, **k: m.nan_to_num(a, **k),
        _nan_to_num_samples,
        ("NanToNumBackward0",),
    ),
    OpInfo("nan_to_num_", inplace("nan_to_num_"), _nan_to_num_samples, ("NanToNumBackward0",)),
    OpInfo(
        "nan_to_num_int",
        lambda m, a, **k: a.nan_to_num(**k),
        lambda rng, dt: [Sample((arr(rng, (4,), dt),), {"nan": 3.5})],
        dtypes=INT_DTYPES,
        **NO_GRAD,
    ),
]

# --- atan2, hypot, lerp ------------------------------------------------------------------


def _lerp_samples(rng, dt):  # type: ignore[no-untyped-def]
    a, b = arr(rng, (3, 4), dt), arr(rng, (3, 4), dt)
    return [
        Sample((a, b, 0.3), name="number"),
        Sample((a, b, 0.8), name="number-high"),
        Sample((a, b, 2), name="int-number"),
        Sample((a, b, arr(rng, (3, 4), dt, 0.0, 1.0)), name="tensor"),
        Sample((a, arr(rng, (4,), dt), arr(rng, (3, 1), dt, 0.0, 1.0)), name="broadcast"),
        Sample((arr(rng, (), dt), arr(rng, (5,), dt), 0.25), name="0-d-start"),
        Sample((a, b, arr(rng, (), dt, 0.0, 1.0)), name="0-d-weight"),
        *(
            [
                Sample(
                    (a, b, arr(rng, (), "float64")),
                    name="0-d-float64-weight",
                    grad=(True, True, False),
                )
            ]
            if dt == np.float32
            else []
        ),
        Sample((a, b, arr(rng, (), "int64")), name="0-d-int-weight"),
        Sample((arr(rng, (0, 2), dt), arr(rng, (0, 2), dt), 0.5), name="empty"),
        Sample(
            (nc(arr, rng, (3, 4), dt), nc(arr, rng, (3, 4), dt), nc(arr, rng, (3, 4), dt)),
            name="non-contiguous",
        ),
        Sample(
            (a, b.astype(np.float64 if dt == np.float32 else np.float32), 0.5),
            name="end-dtype-error",
        ),
        Sample(
            (a, b, arr(rng, (3, 4), np.float64 if dt == np.float32 else np.float32)),
            name="weight-dtype-error",
        ),
        Sample((a, 2.0, 0.5), name="end-number-error"),
        Sample((a, arr(rng, (5,), dt), 0.5), name="broadcast-error"),
    ]


def _lerp_int_samples(rng, dt):  # type: ignore[no-untyped-def]
    a, b = arr(rng, (4,), dt), arr(rng, (4,), dt)
    return [
        Sample((a, b, 0.5), name="number"),
        Sample((a, b, arr(rng, (4,), dt)), name="tensor"),
        Sample((a, b, arr(rng, (4,), "float32")), name="float-weight"),
        Sample((a, b, arr(rng, (), "float32")), name="0-d-float-weight"),
    ]


def _atan2_origin(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample(
            (
                np.array([0.0, 0.0, 1.0, -1.0, 0.0], dtype=dt),
                np.array([0.0, -1.0, 0.0, 0.0, 1.0], dtype=dt),
            ),
            name="axes",
        )
    ]


OPS += [
    OpInfo("atan2", lambda m, a, b: m.atan2(a, b), binary(scalar=2.0), ("Atan2Backward0",)),
    OpInfo("arctan2", lambda m, a, b: a.arctan2(b), binary(scalar=None), ("Atan2Backward0",)),
    OpInfo("atan2_", inplace("atan2_"), binary(scalar=None), ("Atan2Backward0",)),
    OpInfo(
        "atan2_axes",
        lambda m, a, b: m.atan2(a, b),
        _atan2_origin,
        ("Atan2Backward0",),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "atan2_int",
        lambda m, a, b: m.atan2(a, b),
        binary(scalar=None),
        dtypes=INT_DTYPES,
        **NO_GRAD,
    ),
    OpInfo("hypot", lambda m, a, b: m.hypot(a, b), binary(scalar=2.0), ("HypotBackward0",)),
    OpInfo("hypot_", inplace("hypot_"), binary(scalar=None), ("HypotBackward0",)),
    OpInfo(
        "hypot_origin",
        lambda m, a, b: m.hypot(a, b),
        lambda rng, dt: [Sample((np.array([0.0, 3.0], dtype=dt), np.array([0.0, 4.0], dtype=dt)))],
        ("HypotBackward0",),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "hypot_int",
        lambda m, a, b: m.hypot(a, b),
        binary(scalar=None),
        dtypes=INT_DTYPES,
        **NO_GRAD,
    ),
    OpInfo(
        "hypot_mixed",
        lambda m, a, b: m.hypot(a, b),
        lambda rng, dt: [Sample((arr(rng, (3,), dt), arr(rng, (3,), "float32")))],
        dtypes=("int32", "float16", "float64"),
        **NO_GRAD,
    ),
    OpInfo(
        "lerp",
        lambda m, a, b, w: m.lerp(a, b, w),
        _lerp_samples,
        ("LerpBackward0", "LerpBackward1"),
    ),
    OpInfo("lerp_", inplace("lerp_"), _lerp_samples, ("LerpBackward0", "LerpBackward1")),
    OpInfo(
        "lerp_int",
        lambda m, a, b, w: m.lerp(a, b, w),
        _lerp_int_samples,
        dtypes=INT_DTYPES,
        **NO_GRAD,
    ),
]

from .elementwise_division import OPS as DIVISION_OPS  # noqa: E402
from .elementwise_logical import OPS as LOGICAL_OPS  # noqa: E402
from .elementwise_xlogy import OPS as XLOGY_OPS  # noqa: E402

OPS += DIVISION_OPS + LOGICAL_OPS + EXISTING_OPS + XLOGY_OPS


def _probabilities(rng: Any, dt: Any) -> list[Sample]:
    x = rng.standard_normal((2, 3, 4)).astype(dt)
    t = rng.random((2, 3, 4)).astype(dt)
    return [Sample((x, t / t.sum(1, keepdims=True)))]


# DivBackward1 (div by a Python number) is recorded only by torch's C++ composites; the
# mean of cross_entropy over class probabilities is one that dyngrad writes the same way
OPS.append(
    OpInfo(
        "div_by_number",
        lambda m, x, t: m.nn.functional.cross_entropy(x, t),
        _probabilities,
        ("DivBackward1",),
    )
)
