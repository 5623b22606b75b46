"""Op table entries for rounded division and remainders: ``div(rounding_mode=...)``,
``floor_divide`` / ``//``, ``remainder`` / ``%``, ``fmod``, with their in-place forms.

Integer samples cover every sign combination (Python's floor semantics for ``//`` and ``%``,
C's for ``fmod`` and ``'trunc'``) and division by zero (torch's ``ZeroDivisionError``);
float samples include division by zero (inf/nan, silently).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr, away_from_zero

INT_DTYPES = ("int64", "int32", "int16", "int8", "uint8", "bool")
NO_GRAD: dict[str, Any] = {"grad": False, "gradcheck": False, "gradgrad": False}


def nonzero(rng, shape, dt):  # type: ignore[no-untyped-def]
    """Divisors that are never 0: |x| in [0.5, 2) for floats, [1, 4] with a sign for ints."""
    if np.dtype(dt).kind == "f":
        return away_from_zero(rng, shape, dt)
    if np.dtype(dt).kind == "b":
        return np.ones(shape, dtype=bool)
    mag = rng.integers(1, 5, size=shape)
    if np.dtype(dt).kind == "i":
        mag = mag * np.where(rng.random(shape) < 0.5, -1, 1)
    return np.asarray(mag, dtype=dt)


def dividend(rng, shape, dt):  # type: ignore[no-untyped-def]
    return arr(rng, shape, dt, -9.0, 9.0) if np.dtype(dt).kind != "u" else arr(rng, shape, dt, 0, 9)


def nc(gen, rng, shape, dt):  # type: ignore[no-untyped-def]
    return gen(rng, shape[::-1], dt).T


PAIRS = (
    ((), ()),
    ((6,), (6,)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (4,)),
    ((), (3, 2)),
    ((4,), ()),
    ((0, 3), (3,)),
)


def _samples(rng, dt, **kwargs):  # type: ignore[no-untyped-def]
    out = [
        Sample((dividend(rng, a, dt), nonzero(rng, b, dt)), dict(kwargs), name=f"{a}{b}")
        for a, b in PAIRS
    ]
    out.append(
        Sample(
            (nc(dividend, rng, (2, 3), dt), nc(nonzero, rng, (2, 3), dt)),
            dict(kwargs),
            name="non-contiguous",
        )
    )
    out.append(Sample((dividend(rng, (5,), dt), 3), dict(kwargs), name="int-scalar"))
    out.append(Sample((dividend(rng, (5,), dt), -2.5), dict(kwargs), name="float-scalar"))
    return out


def _signs(rng, dt, **kwargs):  # type: ignore[no-untyped-def]
    if np.dtype(dt).kind == "f":
        a, b = [7.5, -7.5, 7.5, -7.5, 0.0, 6.0, -6.0], [2.0, 2.0, -2.0, -2.0, 3.0, -3.0, 3.0]
    else:
        a, b = [7, -7, 7, -7, 0, 6, -6], [2, 2, -2, -2, 3, -3, 3]
    if np.dtype(dt).kind in "ub":
        a, b = [abs(v) for v in a], [abs(v) for v in b]
    return [Sample((np.array(a, dtype=dt), np.array(b, dtype=dt)), dict(kwargs), name="signs")]


def _by_zero(rng, dt, **kwargs):  # type: ignore[no-untyped-def]
    a = (
        np.array([3, 0, 1], dtype=dt)
        if np.dtype(dt).kind != "f"
        else np.array([3, -3, 0], dtype=dt)
    )
    return [
        Sample((a, np.zeros(3, dtype=dt)), dict(kwargs), name="by-zero-tensor"),
        Sample((a, 0), dict(kwargs), name="by-zero-scalar"),
    ]


def samples(**kwargs):  # type: ignore[no-untyped-def]
    """Random samples (no exact quotient: safe for finite differences); the signs sample
    sits on the discontinuities, so it gets entries without gradcheck."""
    return lambda rng, dt: _samples(rng, dt, **kwargs)


def signs(**kwargs):  # type: ignore[no-untyped-def]
    return lambda rng, dt: _signs(rng, dt, **kwargs)


NO_CHECK: dict[str, Any] = {"gradcheck": False, "gradgrad": False}


def edge_samples(**kwargs):  # type: ignore[no-untyped-def]
    return lambda rng, dt: _signs(rng, dt, **kwargs) + _by_zero(rng, dt, **kwargs)


def _ifloordiv(m, a, b):  # type: ignore[no-untyped-def]
    a = a.clone()
    a //= b
    return a


def _imod(m, a, b):  # type: ignore[no-untyped-def]
    a = a.clone()
    a %= b
    return a


def _scalar_first(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((nonzero(rng, (3, 4), dt),), name="3x4"),
        Sample((nonzero(rng, (), dt),), name="0-d"),
    ]


ALL = ("float32", "float64", *INT_DTYPES)

OPS: list[OpInfo] = []
for _mode, _name in [("trunc", "div_trunc"), ("floor", "div_floor")]:
    OPS += [
        OpInfo(
            _name,
            lambda m, a, b, **k: m.div(a, b, **k),
            samples(rounding_mode=_mode),
            ("DivBackward2",),
        ),
        OpInfo(
            f"{_name}_method_",
            lambda m, a, b, **k: a.clone().div_(b, **k),
            samples(rounding_mode=_mode),
            ("DivBackward2",),
        ),
        OpInfo(
            f"{_name}_int",
            lambda m, a, b, **k: a.div(b, **k),
            samples(rounding_mode=_mode),
            dtypes=INT_DTYPES,
            **NO_GRAD,
        ),
        OpInfo(
            f"{_name}_int_",
            lambda m, a, b, **k: a.clone().div_(b, **k),
            samples(rounding_mode=_mode),
            dtypes=INT_DTYPES,
            **NO_GRAD,
        ),
        OpInfo(
            f"{_name}_edges",
            lambda m, a, b, **k: m.divide(a, b, **k),
            edge_samples(rounding_mode=_mode),
            dtypes=ALL,
            **NO_GRAD,
        ),
        OpInfo(
            f"{_name}_signs",
            lambda m, a, b, **k: m.div(a, b, **k),
            signs(rounding_mode=_mode),
            ("DivBackward2",),
            **NO_CHECK,
        ),
    ]

OPS += [
    # rounding_mode=None given explicitly: true division, but the DivBackward2 node
    OpInfo(
        "div_mode_none",
        lambda m, a, b: m.div(a, b, rounding_mode=None),
        samples(),
        ("DivBackward2",),
    ),
    OpInfo(
        "div_mode_none_int",
        lambda m, a, b: m.div(a, b, rounding_mode=None),
        samples(),
        dtypes=INT_DTYPES,
        **NO_GRAD,
    ),
    OpInfo(
        "div_mode_invalid",
        lambda m, a, b: m.div(a, b, rounding_mode="round"),
        samples(),
        dtypes=("float32", "int64"),
        **NO_GRAD,
    ),
    # floor_divide has no derivative in torch: node NotImplemented, backward raises
    OpInfo(
        "floor_divide",
        lambda m, a, b: m.floor_divide(a, b),
        samples(),
        ("NotImplemented",),
        dtypes=ALL,
        **NO_GRAD,
    ),
    OpInfo("floordiv_op", lambda m, a, b: a // b, samples(), dtypes=ALL, **NO_GRAD),
    OpInfo("floordiv_edges", lambda m, a, b: a // b, edge_samples(), dtypes=ALL, **NO_GRAD),
    OpInfo("rfloordiv", lambda m, a: 7 // a, _scalar_first, dtypes=ALL, **NO_GRAD),
    OpInfo("rfloordiv_float", lambda m, a: -7.5 // a, _scalar_first, dtypes=ALL, **NO_GRAD),
    OpInfo(
        "floor_divide_",
        lambda m, a, b: a.clone().floor_divide_(b),
        samples(),
        dtypes=ALL,
        **NO_GRAD,
    ),
    OpInfo("ifloordiv", _ifloordiv, samples(), dtypes=ALL, **NO_GRAD),
    # remainder: the sign of the divisor
    OpInfo(
        "remainder",
        lambda m, a, b: m.remainder(a, b),
        samples(),
        ("RemainderBackward0", "RemainderBackward1"),
    ),
    OpInfo(
        "mod_op", lambda m, a, b: a % b, samples(), ("RemainderBackward0", "RemainderBackward1")
    ),
    OpInfo(
        "remainder_",
        lambda m, a, b: a.clone().remainder_(b),
        samples(),
        ("RemainderBackward0", "RemainderBackward1"),
    ),
    OpInfo("imod", _imod, samples(), ("RemainderBackward0", "RemainderBackward1")),
    OpInfo("remainder_int", lambda m, a, b: a % b, samples(), dtypes=INT_DTYPES, **NO_GRAD),
    OpInfo("imod_int", _imod, samples(), dtypes=INT_DTYPES, **NO_GRAD),
    OpInfo(
        "remainder_edges", lambda m, a, b: m.remainder(a, b), edge_samples(), dtypes=ALL, **NO_GRAD
    ),
    OpInfo("remainder_signs", lambda m, a, b: a % b, signs(), ("RemainderBackward1",), **NO_CHECK),
    OpInfo("rmod", lambda m, a: 7 % a, _scalar_first, ("NotImplemented",), dtypes=ALL, **NO_GRAD),
    OpInfo(
        "remainder_scalar_first",
        lambda m, a: m.remainder(-5, a),
        _scalar_first,
        dtypes=ALL,
        **NO_GRAD,
    ),
    # fmod: the sign of the dividend
    OpInfo("fmod", lambda m, a, b: m.fmod(a, b), samples(), ("FmodBackward0", "FmodBackward1")),
    OpInfo(
        "fmod_", lambda m, a, b: a.clone().fmod_(b), samples(), ("FmodBackward0", "FmodBackward1")
    ),
    OpInfo("fmod_int", lambda m, a, b: a.fmod(b), samples(), dtypes=INT_DTYPES, **NO_GRAD),
    OpInfo("fmod_edges", lambda m, a, b: m.fmod(a, b), edge_samples(), dtypes=ALL, **NO_GRAD),
    OpInfo("fmod_signs", lambda m, a, b: m.fmod(a, b), signs(), ("FmodBackward1",), **NO_CHECK),
    OpInfo(
        "fmod_scalar_first",
        lambda m, a: m.fmod(7, a),
        _scalar_first,
        dtypes=("float32",),
        **NO_GRAD,
    ),
]
