"""Op table entries for logical and bitwise ops, isnan/isinf/isfinite, isclose, allclose,
equal and positive (all forward only: none is differentiable).

allclose and equal return Python bools: their entries assert that, then wrap the bool in a
tensor so the forward test can compare it with torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr

ANY_DTYPES = ("float32", "float64", "int64", "int32", "uint8", "int8", "bool")
INT_DTYPES = ("int64", "int32", "uint8", "int8", "bool")
NO_GRAD: dict[str, Any] = {"grad": False, "gradcheck": False, "gradgrad": False}


def truthy(rng, shape, dt):  # type: ignore[no-untyped-def]
    """Values with plenty of zeros, so that truth values vary."""
    a = arr(rng, shape, dt, -2, 2)
    return np.where(rng.random(shape) < 0.3, 0, a).astype(dt)


def nc(gen, rng, shape, dt):  # type: ignore[no-untyped-def]
    return gen(rng, shape[::-1], dt).T


def unary(gen=truthy):  # type: ignore[no-untyped-def]
    def samples(rng, dt):  # type: ignore[no-untyped-def]
        out = [Sample((gen(rng, s, dt),), name=str(s)) for s in ((), (5,), (3, 4), (0, 2))]
        out.append(Sample((nc(gen, rng, (3, 4), dt),), name="non-contiguous"))
        return out

    return samples


def binary(gen=truthy, scalar: Any = None):  # type: ignore[no-untyped-def]
    def samples(rng, dt):  # type: ignore[no-untyped-def]
        out = [
            Sample((gen(rng, a, dt), gen(rng, b, dt)), name=f"{a}{b}")
            for a, b in (((), ()), ((5,), (5,)), ((3, 1), (1, 4)), ((), (3, 2)), ((0, 3), (3,)))
        ]
        out.append(
            Sample((nc(gen, rng, (2, 3), dt), nc(gen, rng, (2, 3), dt)), name="non-contiguous")
        )
        out.append(Sample((gen(rng, (4,), dt), gen(rng, (4,), "float32")), name="mixed-float"))
        out.append(Sample((gen(rng, (4,), dt), gen(rng, (4,), "int64")), name="mixed-int"))
        out.append(Sample((gen(rng, (4,), dt), gen(rng, (4,), "bool")), name="mixed-bool"))
        out.append(Sample((gen(rng, (3,), dt), gen(rng, (4,), dt)), name="broadcast-error"))
        if scalar is not None:
            out.append(Sample((gen(rng, (4,), dt), scalar), name=f"scalar-{scalar!r}"))
        return out

    return samples


def _ixor(m, a, b):  # type: ignore[no-untyped-def]
    a = a.clone()
    a ^= b
    return a


def _iand(m, a, b):  # type: ignore[no-untyped-def]
    a = a.clone()
    a &= b
    return a


def _ior(m, a, b):  # type: ignore[no-untyped-def]
    a = a.clone()
    a |= b
    return a


OPS: list[OpInfo] = []
for _name in ("logical_and", "logical_or", "logical_xor"):
    OPS += [
        OpInfo(
            _name,
            lambda m, a, b, _n=_name: getattr(m, _n)(a, b),
            binary(scalar=1),
            dtypes=ANY_DTYPES,
            **NO_GRAD,
        ),
        OpInfo(
            f"{_name}_",
            lambda m, a, b, _n=_name: getattr(a.clone(), _n + "_")(b),
            binary(),
            dtypes=ANY_DTYPES,
            **NO_GRAD,
        ),
    ]

OPS += [
    OpInfo("logical_not", lambda m, a: m.logical_not(a), unary(), dtypes=ANY_DTYPES, **NO_GRAD),
    OpInfo(
        "logical_not_", lambda m, a: a.clone().logical_not_(), unary(), dtypes=ANY_DTYPES, **NO_GRAD
    ),
    OpInfo("bitwise_not", lambda m, a: m.bitwise_not(a), unary(), dtypes=ANY_DTYPES, **NO_GRAD),
    OpInfo(
        "bitwise_not_", lambda m, a: a.clone().bitwise_not_(), unary(), dtypes=ANY_DTYPES, **NO_GRAD
    ),
    OpInfo("invert_op", lambda m, a: ~a, unary(), dtypes=ANY_DTYPES, **NO_GRAD),
]

for _label, _fn in [
    ("bitwise_xor", lambda m, a, b: m.bitwise_xor(a, b)),
    ("xor_op", lambda m, a, b: a ^ b),
    ("bitwise_and_more", lambda m, a, b: m.bitwise_and(a, b)),
    ("and_op", lambda m, a, b: a & b),
    ("bitwise_or_more", lambda m, a, b: a.bitwise_or(b)),
    ("or_op", lambda m, a, b: a | b),
]:
    OPS += [
        OpInfo(_label, _fn, binary(), dtypes=ANY_DTYPES, **NO_GRAD),
        OpInfo(
            f"{_label}_scalars",
            _fn,
            lambda rng, dt: [
                Sample((truthy(rng, (4,), dt), s), name=repr(s)) for s in (True, False, 3, 2.5)
            ],
            dtypes=ANY_DTYPES,
            **NO_GRAD,
        ),
    ]

OPS += [
    OpInfo("rxor_op", lambda m, a: True ^ a, unary(), dtypes=ANY_DTYPES, **NO_GRAD),
    OpInfo("rand_op", lambda m, a: 6 & a, unary(), dtypes=ANY_DTYPES, **NO_GRAD),
    OpInfo(
        "bitwise_xor_",
        lambda m, a, b: a.clone().bitwise_xor_(b),
        binary(),
        dtypes=ANY_DTYPES,
        **NO_GRAD,
    ),
    OpInfo("ixor", _ixor, binary(), dtypes=ANY_DTYPES, **NO_GRAD),
    OpInfo("iand", _iand, binary(), dtypes=ANY_DTYPES, **NO_GRAD),
    OpInfo("ior", _ior, binary(), dtypes=ANY_DTYPES, **NO_GRAD),
]


# --- classification ---------------------------------------------------------------------


def _special(rng, dt):  # type: ignore[no-untyped-def]
    if np.dtype(dt).kind != "f":
        return unary(arr)(rng, dt)
    v = np.array([0.0, -1.5, np.nan, np.inf, -np.inf, 3.0], dtype=dt)
    grid = np.where(rng.random((3, 4)) < 0.3, np.nan, arr(rng, (3, 4), dt)).astype(dt)
    return [
        Sample((v,), name="specials"),
        Sample((grid.T,), name="non-contiguous"),
        Sample((np.array(np.inf, dtype=dt),), name="0-d"),
        Sample((arr(rng, (0, 3), dt),), name="empty"),
    ]


for _name in ("isnan", "isinf", "isfinite"):
    OPS.append(
        OpInfo(
            _name, lambda m, a, _n=_name: getattr(m, _n)(a), _special, dtypes=ANY_DTYPES, **NO_GRAD
        )
    )
OPS.append(OpInfo("isnan_requires_grad", lambda m, a: a.isnan(), _special, **NO_GRAD))


# --- closeness ----------------------------------------------------------------------------


def _close_samples(rng, dt):  # type: ignore[no-untyped-def]
    kind = np.dtype(dt).kind
    a = arr(rng, (3, 4), dt, -100, 100)
    if kind == "f":
        b = (a * (1 + rng.choice([0.0, 1e-7, 1e-5, 1e-3], size=a.shape))).astype(dt)
        s1 = np.array([1.0, np.nan, np.inf, -np.inf, np.inf, 0.0, 1e-9], dtype=dt)
        s2 = np.array([1.0, np.nan, np.inf, np.inf, 1.0, 1e-9, 0.0], dtype=dt)
    else:
        b = (a + rng.integers(0, 2, size=a.shape)).astype(dt)
        s1, s2 = arr(rng, (7,), dt), arr(rng, (7,), dt)
    other = "float64" if dt != np.float64 else "float32"
    return [
        Sample((a, b), name="near"),
        Sample((a, b), {"rtol": 0.0, "atol": 0.5}, name="atol"),
        Sample((a, b), {"rtol": 1e-2}, name="rtol"),
        Sample((s1, s2), name="specials"),
        Sample((s1, s2), {"equal_nan": True}, name="equal-nan"),
        Sample((s1, s2), {"atol": float("inf")}, name="inf-atol"),
        Sample((a, b[0]), name="broadcast"),
        Sample((a.T, b.T), name="non-contiguous"),
        Sample((a[:0], b[:0]), name="empty"),
        Sample((a[0, 0], b[0, 0]), name="0-d"),
        Sample((a, b), {"rtol": -1.0}, name="negative-rtol"),
        Sample((a, b), {"atol": -1.0}, name="negative-atol"),
        Sample((a, b.astype(other)), name="dtype-mismatch"),
        Sample((a, b[:, :3]), name="broadcast-error"),
        Sample((a, 1.0), name="scalar-error"),
    ]


def _allclose(m, a, b, **k):  # type: ignore[no-untyped-def]
    result = m.allclose(a, b, **k)
    assert type(result) is bool
    return m.tensor(result)


def _equal(m, a, b):  # type: ignore[no-untyped-def]
    result = m.equal(a, b)
    assert type(result) is bool
    return m.tensor(result)


def _equal_samples(rng, dt):  # type: ignore[no-untyped-def]
    a = arr(rng, (3, 4), dt)
    b = a.copy()
    b[1, 2] = 1 if np.dtype(dt).kind != "b" else not b[1, 2]
    out = [
        Sample((a, a.copy()), name="same"),
        Sample((a, b), name="one-differs"),
        Sample((a, a[0]), name="shape-differs"),
        Sample((a, a.astype("float64")), name="dtypes"),
        Sample((a.T, np.ascontiguousarray(a.T)), name="non-contiguous"),
        Sample((a[:0], a[:0]), name="empty"),
        Sample((a[0, 0], a[0, 0]), name="0-d"),
        Sample((a[0, :1], a[0, 0]), name="0-d-vs-1-d"),
        Sample((a, 1), name="scalar-error"),
    ]
    if np.dtype(dt).kind == "f":
        n = np.array([1.0, np.nan], dtype=dt)
        out.append(Sample((n, n.copy()), name="nan"))
    return out


OPS += [
    OpInfo(
        "isclose",
        lambda m, a, b, **k: m.isclose(a, b, **k),
        _close_samples,
        dtypes=ANY_DTYPES,
        **NO_GRAD,
    ),
    OpInfo("allclose", _allclose, _close_samples, dtypes=ANY_DTYPES, **NO_GRAD),
    OpInfo("equal", _equal, _equal_samples, dtypes=ANY_DTYPES, **NO_GRAD),
    # positive returns its input itself: checked on a non-leaf (a * 1), see shape.py
    OpInfo("positive", lambda m, a: m.positive(a * 1), unary(arr), dtypes=ANY_DTYPES, **NO_GRAD),
    OpInfo("pos_op", lambda m, a: +(a * 1), unary(arr), **NO_GRAD),
    OpInfo(
        "positive_is_input",
        lambda m, a: m.tensor(m.positive(a) is a),
        unary(arr),
        dtypes=("float32", "int64"),
        **NO_GRAD,
    ),
    OpInfo("positive_bool", lambda m, a: +a, unary(arr), dtypes=("bool",), **NO_GRAD),
]
