"""More samples for the foundation's elementwise ops (``foundation.py`` has their float
entries): non-contiguous inputs, in-place forms, integer and bool dtypes (forward only),
bool arithmetic, Python numbers outside a dtype's range (torch wraps integers around and
turns floats into inf where NumPy 2 raises or warns), pow's edge cases, and ``where``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr, away_from_zero, positive

INT_DTYPES = ("int64", "int32", "uint8", "int8", "bool")
NO_GRAD: dict[str, Any] = {"grad": False, "gradcheck": False, "gradgrad": False}


def nc(gen, rng, shape, dt):  # type: ignore[no-untyped-def]
    return gen(rng, shape[::-1], dt).T


def extra_unary(gen=arr):  # type: ignore[no-untyped-def]
    """What foundation's unary samples lack: non-contiguous and 4-d inputs."""
    return lambda rng, dt: [
        Sample((nc(gen, rng, (3, 4), dt),), name="non-contiguous"),
        Sample((gen(rng, (2, 1, 3, 2), dt),), name="4-d"),
    ]


def int_unary(rng, dt):  # type: ignore[no-untyped-def]
    return [Sample((arr(rng, s, dt, -3, 3),), name=str(s)) for s in ((), (5,), (3, 4), (0,))]


def inplace(method: str):  # type: ignore[no-untyped-def]
    return lambda m, a, *rest, **kw: getattr(a.clone(), method)(*rest, **kw)


UNARY = [  # name, call, node, domain
    ("neg", lambda m, a: -a, "NegBackward0", arr),
    ("reciprocal", lambda m, a: m.reciprocal(a), "ReciprocalBackward0", away_from_zero),
    ("exp", lambda m, a: m.exp(a), "ExpBackward0", arr),
    ("log", lambda m, a: m.log(a), "LogBackward0", positive),
    ("sqrt", lambda m, a: m.sqrt(a), "SqrtBackward0", positive),
    ("sin", lambda m, a: m.sin(a), "SinBackward0", arr),
    ("cos", lambda m, a: m.cos(a), "CosBackward0", arr),
    ("tanh", lambda m, a: m.tanh(a), "TanhBackward0", arr),
    ("sigmoid", lambda m, a: m.sigmoid(a), "SigmoidBackward0", arr),
    ("relu", lambda m, a: m.relu(a), "ReluBackward0", away_from_zero),
    ("abs", lambda m, a: m.abs(a), "AbsBackward0", away_from_zero),
    ("sign", lambda m, a: m.sign(a), "SignBackward0", away_from_zero),
    # sgn: torch's gradient is a ZeroTensor NumPy cannot read; "sgn_times_x" checks it
    ("sgn", lambda m, a: m.sgn(a) * a, "SgnBackward0", away_from_zero),
]

OPS: list[OpInfo] = []
for _name, _fn, _node, _gen in UNARY:
    _method = _name + "_"
    _inplace = (lambda m, a: a.clone().sgn_() * a) if _name == "sgn" else inplace(_method)
    OPS += [
        OpInfo(f"{_name}_more", _fn, extra_unary(_gen), (_node,)),
        OpInfo(f"{_name}_", _inplace, extra_unary(_gen), (_node,)),
        OpInfo(f"{_name}_int", _fn, int_unary, dtypes=INT_DTYPES, **NO_GRAD),
        OpInfo(f"{_name}__int", inplace(_method), int_unary, dtypes=INT_DTYPES, **NO_GRAD),
    ]
OPS.append(
    OpInfo(
        "sgn",
        lambda m, a: a.sgn(),
        lambda rng, dt: [
            Sample((away_from_zero(rng, s, dt),), name=str(s)) for s in ((), (5,), (3, 4), (0, 2))
        ],
        ("SgnBackward0",),
        **NO_GRAD,
    )
)
OPS.append(
    OpInfo(
        "sign_zero_grad",
        lambda m, a: m.sign(a) * a,
        extra_unary(away_from_zero),
        ("SignBackward0",),
    )
)
OPS.append(
    OpInfo(
        "sigmoid_extremes",
        lambda m, a: m.sigmoid(a),
        lambda rng, dt: [Sample((np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dt),))],
        ("SigmoidBackward0",),
        gradcheck=False,
        gradgrad=False,
    )
)


# --- binary arithmetic: in-place, integer and bool dtypes, scalars out of range ----------


def _binary_int(rng, dt):  # type: ignore[no-untyped-def]
    a, b = arr(rng, (3, 4), dt, -3, 3), arr(rng, (4,), dt, -3, 3)
    return [
        Sample((a, b), name="broadcast"),
        Sample((a, 2), name="int"),
        Sample((a, 2.5), name="float"),
        Sample((a, True), name="true"),
        Sample((a, arr(rng, (), "float32")), name="0-d-float"),
        Sample((a[:0], b), name="empty"),
        Sample((a.T, a.T), name="non-contiguous"),
    ]


def _iadd(m, a, b):  # type: ignore[no-untyped-def]
    a = a.clone()
    a += b
    return a


def _isub(m, a, b):  # type: ignore[no-untyped-def]
    a = a.clone()
    a -= b
    return a


def _imul(m, a, b):  # type: ignore[no-untyped-def]
    a = a.clone()
    a *= b
    return a


def _idiv(m, a, b):  # type: ignore[no-untyped-def]
    a = a.clone()
    a /= b
    return a


def _ipow(m, a, b):  # type: ignore[no-untyped-def]
    a = a.clone()
    a **= b
    return a


def _float_pairs(gen_b=arr):  # type: ignore[no-untyped-def]
    return lambda rng, dt: [
        Sample((arr(rng, (3, 4), dt), gen_b(rng, (4,), dt)), name="broadcast"),
        Sample((nc(arr, rng, (3, 4), dt), nc(gen_b, rng, (3, 4), dt)), name="non-contiguous"),
        Sample((arr(rng, (3,), dt), 2.0), name="scalar"),
        Sample((arr(rng, (3,), dt), gen_b(rng, (2, 3), dt)), name="broadcast-error"),
    ]


BINARY = [  # name, call, in-place call, nodes, divisor domain
    ("add", lambda m, a, b: a + b, _iadd, ("AddBackward0",), arr),
    ("sub", lambda m, a, b: a - b, _isub, ("SubBackward0",), arr),
    ("mul", lambda m, a, b: a * b, _imul, ("MulBackward0",), arr),
    ("div", lambda m, a, b: a / b, _idiv, ("DivBackward0",), away_from_zero),
]
for _name, _fn, _ifn, _nodes, _gen in BINARY:
    OPS += [
        OpInfo(f"{_name}_inplace_op", _ifn, _float_pairs(_gen), _nodes),
        OpInfo(
            f"{_name}_method_",
            lambda m, a, b, _n=_name: getattr(a.clone(), _n + "_")(b),
            _float_pairs(_gen),
            _nodes,
        ),
        OpInfo(f"{_name}_int_more", _fn, _binary_int, dtypes=INT_DTYPES, **NO_GRAD),
        OpInfo(f"{_name}_inplace_op_int", _ifn, _binary_int, dtypes=INT_DTYPES, **NO_GRAD),
    ]
OPS += [
    OpInfo("rsub_int", lambda m, a: 3 - a, int_unary, dtypes=INT_DTYPES, **NO_GRAD),
    OpInfo("rdiv_int", lambda m, a: 3 / (a * 0 + 2), int_unary, dtypes=INT_DTYPES, **NO_GRAD),
]


def _alpha_samples(rng, dt):  # type: ignore[no-untyped-def]
    a, b = arr(rng, (3,), dt), arr(rng, (3,), dt)
    return [
        Sample((a, b), {"alpha": 2}, name="2"),
        Sample((a, b), {"alpha": 0.5}, name="0.5"),
        Sample((a, b), {"alpha": True}, name="true"),
        Sample((a, b), {"alpha": -1}, name="-1"),
        Sample((a, b), {"alpha": 300}, name="300"),
        Sample((a, b), {"alpha": 1e300}, name="1e300"),
    ]


OPS += [
    OpInfo(
        "add_alpha_more",
        lambda m, a, b, **k: m.add(a, b, **k),
        _alpha_samples,
        ("AddBackward0",),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "sub_alpha_more",
        lambda m, a, b, **k: m.sub(a, b, **k),
        _alpha_samples,
        ("SubBackward0",),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "add_alpha_int",
        lambda m, a, b, **k: a.add(b, **k),
        _alpha_samples,
        dtypes=INT_DTYPES,
        **NO_GRAD,
    ),
    OpInfo(
        "sub_alpha_int",
        lambda m, a, b, **k: a.sub(b, **k),
        _alpha_samples,
        dtypes=INT_DTYPES,
        **NO_GRAD,
    ),
]


def _bool_arith(rng, dt):  # type: ignore[no-untyped-def]
    b1, b2 = np.array([True, True, False, False]), np.array([True, False, True, False])
    x = arr(rng, (4,), "float32")
    return [
        Sample((b1, b2), name="bb"),
        Sample((b1, True), name="b-True"),
        Sample((b1, 1), name="b-1"),
        Sample((b1, 2.5), name="b-2.5"),
        Sample((x, True), name="f-True"),
        Sample((b1, x), name="b-f"),
        Sample((np.array(True), b2), name="0-d"),
    ]


OPS += [
    OpInfo(f"bool_{_name}", _fn, _bool_arith, dtypes=("bool",), **NO_GRAD)
    for _name, _fn in [
        ("add", lambda m, a, b: a + b),
        ("mul", lambda m, a, b: a * b),
        ("sub", lambda m, a, b: a - b),
        ("rsub", lambda m, a, b: 3 - a),
        ("div", lambda m, a, b: a / b),
        ("pow", lambda m, a, b: a**b),
        ("radd", lambda m, a, b: True + a),
        ("rmul", lambda m, a, b: True * a),
    ]
]


OUT_OF_RANGE = (
    300,
    -1,
    1000,
    -129,
    2**40 + 3,
    2**63,
    -(2**63),
    2**64,
    70000,
    1e6,
    1e300,
    -1e300,
    1e-50,
)
RANGE_DTYPES = ("uint8", "int8", "int16", "int32", "int64", "float16", "float32")


def out_of_range(values=OUT_OF_RANGE):  # type: ignore[no-untyped-def]
    def samples(rng, dt):  # type: ignore[no-untyped-def]
        a = arr(rng, (5,), dt, 0, 9)
        return [Sample((a, v), name=repr(v)) for v in values]

    return samples


OPS += [
    OpInfo(f"{_name}_out_of_range", _fn, out_of_range(), dtypes=RANGE_DTYPES, **NO_GRAD)
    for _name, _fn in [
        ("add", lambda m, a, b: a + b),
        ("sub", lambda m, a, b: a - b),
        ("radd", lambda m, a, b: b + a),
        ("rsub", lambda m, a, b: b - a),
        ("lt", lambda m, a, b: a < b),
        ("eq", lambda m, a, b: a == b),
        ("ge", lambda m, a, b: b >= a),
        ("add_", lambda m, a, b: a.clone().add_(b)),
        ("where", lambda m, a, b: m.where(a > 3, a, b)),
    ]
]
# Not matched (see the report): float16 * an out-of-range number (torch multiplies in
# float32), and 0 * inf from an out-of-range float, which NumPy warns about in mul.
OPS.append(
    OpInfo(
        "mul_out_of_range",
        lambda m, a, b: a * b,
        out_of_range(tuple(v for v in OUT_OF_RANGE if abs(v) < 1e300)),
        dtypes=tuple(d for d in RANGE_DTYPES if d != "float16"),
        **NO_GRAD,
    )
)

# --- pow -------------------------------------------------------------------------------------


def _pow_int_samples(rng, dt):  # type: ignore[no-untyped-def]
    low = 0 if np.dtype(dt).kind in "ub" else -3
    base = arr(rng, (4, 5), dt, low, 3)
    exponent = arr(rng, (4, 5), dt, low, 3)
    grid = np.array([-2, -1, 0, 1, 2, 3]) if low < 0 else np.array([0, 1, 2, 3])
    return [
        Sample((base, exponent), name="tensor-tensor"),
        Sample((grid[:, None].astype(dt), grid[None, :].astype(dt)), name="grid"),
        Sample((base, arr(rng, (), "int64", -2, -1)), name="0-d-negative-exponent"),
        Sample((base, 2), name="int-2"),
        Sample((base, 0), name="int-0"),
        Sample((base, -1), name="int-negative-error"),
        Sample((base, 0.5), name="float-exponent"),
        Sample((base, True), name="true"),
        Sample((base, 255), name="255"),
        Sample((base, 1000), name="1000"),
        Sample((base, 2**63), name="2**63"),
        Sample((base, arr(rng, (5,), "float32")), name="float-tensor"),
    ]


def _rpow_int_samples(rng, dt):  # type: ignore[no-untyped-def]
    low = 0 if np.dtype(dt).kind in "ub" else -3
    e = arr(rng, (3, 4), dt, low, 4)
    return [Sample((e,), {"base": b}, name=repr(b)) for b in (2, -1, 1, 0, 300, 2.5, True)]


def _pow_float_edges(rng, dt):  # type: ignore[no-untyped-def]
    base = np.array([0.0, 0.0, -2.0, -2.0, -8.0, 2.0, 0.0, -0.0], dtype=dt)
    exponent = np.array([0.0, 2.0, 0.5, 2.0, 1 / 3, -1.0, -1.0, 3.0], dtype=dt)
    return [
        Sample((base, exponent), name="tensor-tensor"),
        Sample((base, 0.0), name="zero"),
        Sample((base, 0.5), name="half"),
        Sample((base, -2), name="minus-two"),
    ]


OPS += [
    OpInfo("pow_int", lambda m, a, b: a**b, _pow_int_samples, dtypes=INT_DTYPES, **NO_GRAD),
    OpInfo(
        "pow_int_",
        lambda m, a, b: a.clone().pow_(b),
        _pow_int_samples,
        dtypes=INT_DTYPES,
        **NO_GRAD,
    ),
    OpInfo("rpow_int", lambda m, e, base: base**e, _rpow_int_samples, dtypes=INT_DTYPES, **NO_GRAD),
    OpInfo("pow_float_edges", lambda m, a, b: m.pow(a, b), _pow_float_edges, **NO_GRAD),
    OpInfo("pow_zero_exponent", lambda m, a: a**0, extra_unary(), ("PowBackward0",)),
    OpInfo(
        "pow_",
        inplace("pow_"),
        lambda rng, dt: [
            Sample((positive(rng, (3, 4), dt), 1.5)),
            Sample((positive(rng, (3, 4), dt), positive(rng, (4,), dt))),
        ],
        ("PowBackward0", "PowBackward1"),
    ),
    OpInfo(
        "ipow", _ipow, lambda rng, dt: [Sample((positive(rng, (3, 4), dt), 2))], ("PowBackward0",)
    ),
    OpInfo(
        "pow_more",
        lambda m, a, b: m.pow(a, b),
        lambda rng, dt: [
            Sample((positive(rng, (3, 4), dt), arr(rng, (4,), dt)), name="broadcast"),
            Sample(
                (nc(positive, rng, (3, 4), dt), nc(arr, rng, (3, 4), dt)), name="non-contiguous"
            ),
            Sample((positive(rng, (3,), dt), arr(rng, (2, 3), dt)), name="broadcast-error"),
        ],
        ("PowBackward1",),
    ),
]

# --- maximum / minimum / clamp / where ---------------------------------------------------


def _minmax_int(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((arr(rng, (3, 4), dt), arr(rng, (4,), dt)), name="broadcast"),
        Sample((arr(rng, (3,), dt), arr(rng, (3,), "float32")), name="float"),
        Sample((arr(rng, (3,), dt), arr(rng, (), "int64")), name="0-d"),
        Sample((arr(rng, (3,), dt), 2), name="scalar-error"),
    ]


def _minmax_nan(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((np.array([np.nan, 1.0, 2.0], dtype=dt), np.array([0.0, np.nan, 1.0], dtype=dt))),
        Sample((nc(arr, rng, (3, 4), dt), nc(arr, rng, (3, 4), dt)), name="non-contiguous"),
    ]


def _clamp_int(rng, dt):  # type: ignore[no-untyped-def]
    x = arr(rng, (3, 4), dt, -5, 5)
    return [
        Sample((x, -1, 2), name="ints"),
        Sample((x, 0.5, 2.5), name="floats"),
        Sample((x, False, True), name="bools"),
        Sample((x, 3, 1), name="min-above-max"),
        Sample((x, arr(rng, (4,), dt), 3), name="tensor-number-error"),
        Sample((x, arr(rng, (4,), dt), arr(rng, (3, 1), dt)), name="tensors"),
        Sample((x, None, None), name="none-error"),
    ]


def _clamp_more(rng, dt):  # type: ignore[no-untyped-def]
    x = arr(rng, (3, 4), dt)
    other = "float64" if dt == np.float32 else "float32"
    return [
        Sample((nc(arr, rng, (3, 4), dt), -0.5, 0.5), name="non-contiguous"),
        Sample((arr(rng, (), dt), -0.5), name="0-d"),
        Sample((arr(rng, (0, 3), dt), None, 0.5), name="empty"),
        Sample((x, 0.5, -0.5), name="min-above-max"),
        Sample(
            (x, arr(rng, (4,), other, -1.0, -0.2)), name="other-dtype-bound", grad=(True, False)
        ),
        Sample(
            (x, arr(rng, (4,), dt, 0.2, 1.0), arr(rng, (3, 1), dt, -1.0, -0.2)),
            name="tensor-min-above-max",
        ),
        Sample((x, None, arr(rng, (3, 1), dt)), name="tensor-max-only"),
        Sample((x, arr(rng, (4,), dt), 0.5), name="tensor-number-error"),
    ]


def _where_samples(rng, dt):  # type: ignore[no-untyped-def]
    c = arr(rng, (3, 4), "bool")
    return [
        Sample((arr(rng, (), "bool"), arr(rng, (), dt), arr(rng, (), dt)), name="0-d"),
        Sample((c, arr(rng, (3, 4), dt), arr(rng, (3, 4), dt)), name="same"),
        Sample((arr(rng, (0, 4), "bool"), arr(rng, (4,), dt), arr(rng, (), dt)), name="empty"),
        Sample((c.T, nc(arr, rng, (4, 3), dt), nc(arr, rng, (4, 3), dt)), name="non-contiguous"),
        Sample((c, 1.5, arr(rng, (4,), dt)), name="scalar-input"),
        Sample((c, arr(rng, (4,), dt), 2), name="int-scalar-other"),
        Sample(
            (c, arr(rng, (4,), "float64"), arr(rng, (3, 1), dt)),
            name="mixed-dtypes",
            grad=(False, False, True),
        ),
        Sample((arr(rng, (3, 4), "int64"), arr(rng, (4,), dt), 0.0), name="int-condition-error"),
        Sample((c, arr(rng, (3,), dt), 0.0), name="broadcast-error"),
    ]


def _where_int(rng, dt):  # type: ignore[no-untyped-def]
    c = arr(rng, (3, 4), "bool")
    return [
        Sample((c, arr(rng, (3, 4), dt), arr(rng, (4,), dt)), name="tensors"),
        Sample((c, arr(rng, (4,), dt), 1), name="int"),
        Sample((c, arr(rng, (4,), dt), 0.5), name="float"),
        Sample((c, 1, 0), name="numbers"),
        Sample((c, 1.5, 0), name="float-numbers"),
        Sample((c, arr(rng, (4,), dt), 300), name="out-of-range"),
    ]


def _sqrt_where(m, x):  # type: ignore[no-untyped-def]
    """torch.where(x > 0, x.sqrt(), 0): nan gradients where x < 0, in torch too."""
    return m.where(x > 0, x.sqrt(), 0.0)


def _log_where(m, x):  # type: ignore[no-untyped-def]
    return m.where(x > 0, m.log(x), x)


def _where_nan_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [Sample((away_from_zero(rng, (3, 4), dt),))]


OPS += [
    OpInfo(
        "maximum_int", lambda m, a, b: m.maximum(a, b), _minmax_int, dtypes=INT_DTYPES, **NO_GRAD
    ),
    OpInfo("minimum_int", lambda m, a, b: a.minimum(b), _minmax_int, dtypes=INT_DTYPES, **NO_GRAD),
    OpInfo(
        "maximum_more",
        lambda m, a, b: m.maximum(a, b),
        _minmax_nan,
        ("MaximumBackward0",),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "minimum_more",
        lambda m, a, b: m.minimum(a, b),
        _minmax_nan,
        ("MinimumBackward0",),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "clamp_int",
        lambda m, a, lo=None, hi=None: m.clamp(a, lo, hi),
        _clamp_int,
        dtypes=INT_DTYPES,
        **NO_GRAD,
    ),
    OpInfo(
        "clamp_more",
        lambda m, a, lo=None, hi=None: a.clamp(lo, hi),
        _clamp_more,
        ("ClampBackward0", "ClampBackward1"),
    ),
    OpInfo(
        "clamp_",
        lambda m, a, lo=None, hi=None: a.clone().clamp_(min=lo, max=hi),
        _clamp_more,
        ("ClampBackward0", "ClampBackward1"),
    ),
    OpInfo(
        "clip",
        lambda m, a, lo=None, hi=None: m.clip(a, min=lo, max=hi),
        _clamp_more,
        ("ClampBackward0", "ClampBackward1"),
    ),
    OpInfo(
        "clamp_nan",
        lambda m, a, lo=None, hi=None: m.clamp(a, lo, hi),
        lambda rng, dt: [
            Sample((np.array([0.0, 1.0, np.nan, 3.0], dtype=dt), 0.5, 2.0), name="nan-input"),
            Sample((np.array([0.0, 1.0, 3.0], dtype=dt), np.nan, 2.0), name="nan-min"),
            Sample(
                (
                    np.array([0.0, 1.0, np.nan, 1.0], dtype=dt),
                    np.array([1.0, 1.0, 1.0, np.nan], dtype=dt),
                    np.full(4, 3.0, dtype=dt),
                ),
                name="nan-tensor-bound",
            ),
        ],
        ("ClampBackward0", "ClampBackward1"),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "relu_nan",
        lambda m, a: m.relu(a),
        lambda rng, dt: [Sample((np.array([-1.0, 0.0, 2.0, np.nan], dtype=dt),))],
        ("ReluBackward0",),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo("where_more", lambda m, c, a, b: m.where(c, a, b), _where_samples, ("WhereBackward0",)),
    OpInfo(
        "where_int", lambda m, c, a, b: m.where(c, a, b), _where_int, dtypes=INT_DTYPES, **NO_GRAD
    ),
    # the unselected branch's nan reaches the gradient exactly as in torch (no gradcheck:
    # the finite differences see only the selected branch)
    OpInfo(
        "where_sqrt_nan_grad",
        _sqrt_where,
        _where_nan_samples,
        ("WhereBackward0", "SqrtBackward0"),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "where_log_nan_grad",
        _log_where,
        _where_nan_samples,
        ("WhereBackward0", "LogBackward0"),
        gradcheck=False,
        gradgrad=False,
    ),
]

# --- in-place comparisons: on a tensor requiring grad, torch records a zero-gradient node --


def _compare_inplace_samples(rng, dt):  # type: ignore[no-untyped-def]
    return [
        Sample((arr(rng, (3, 4), dt), arr(rng, (4,), dt)), name="broadcast"),
        Sample((arr(rng, (3,), dt), 0.5), name="scalar"),
        Sample((arr(rng, (3, 4), dt), arr(rng, (4,), "int64")), name="int-other"),
        Sample((arr(rng, (3,), dt), arr(rng, (2, 3), dt)), name="broadcast-error"),
    ]


for _name, _node in [
    ("eq", "Eq"),
    ("ne", "Ne"),
    ("lt", "Lt"),
    ("le", "Le"),
    ("gt", "Gt"),
    ("ge", "Ge"),
    ("less", "Lt"),
    ("greater_equal", "Ge"),
    ("not_equal", "Ne"),
]:
    OPS += [
        OpInfo(
            f"{_name}_",
            lambda m, a, b, _n=_name: getattr(a * 1, _n + "_")(b),
            _compare_inplace_samples,
            (f"{_node}Backward0", f"{_node}Backward1"),
        ),
        OpInfo(
            f"{_name}__int",
            lambda m, a, b, _n=_name: getattr(a.clone(), _n + "_")(b),
            _compare_inplace_samples,
            dtypes=("int64", "uint8", "bool"),
            **NO_GRAD,
        ),
    ]

# --- integer overflow wraps around (two's complement), as in torch ---------------------


def _overflow_samples(rng, dt):  # type: ignore[no-untyped-def]
    info = np.iinfo(dt)
    big = np.array([info.max, info.max - 1, info.min, info.min + 1, 0], dtype=dt)
    return [Sample((big, big[::-1].copy()), name="extremes"), Sample((big, 3), name="times-3")]


OPS += [
    OpInfo(
        f"{_name}_overflow",
        _fn,
        _overflow_samples,
        dtypes=("uint8", "int8", "int16", "int32", "int64"),
        **NO_GRAD,
    )
    for _name, _fn in [
        ("add", lambda m, a, b: a + b),
        ("sub", lambda m, a, b: a - b),
        ("mul", lambda m, a, b: a * b),
        ("neg", lambda m, a, b: -a),
        ("abs", lambda m, a, b: m.abs(a)),
        ("pow", lambda m, a, b: a**2),
    ]
]

# --- torch's other names for the same ops ----------------------------------------------

OPS += [
    OpInfo(
        "subtract", lambda m, a, b: m.subtract(a, b, alpha=2), _float_pairs(), ("SubBackward0",)
    ),
    OpInfo("multiply", lambda m, a, b: a.multiply(b), _float_pairs(), ("MulBackward0",)),
    OpInfo(
        "divide", lambda m, a, b: m.divide(a, b), _float_pairs(away_from_zero), ("DivBackward0",)
    ),
    OpInfo(
        "true_divide",
        lambda m, a, b: m.true_divide(a, b),
        _float_pairs(away_from_zero),
        ("DivBackward0",),
    ),
    OpInfo("negative", lambda m, a: m.negative(a), extra_unary(), ("NegBackward0",)),
    OpInfo("negative_", inplace("negative_"), extra_unary(), ("NegBackward0",)),
    OpInfo("absolute", lambda m, a: a.absolute(), extra_unary(away_from_zero), ("AbsBackward0",)),
    OpInfo("abs_op", lambda m, a: abs(a), extra_unary(away_from_zero), ("AbsBackward0",)),
    OpInfo(
        "rsub_fn",
        lambda m, a, b: m.rsub(a, b, alpha=3),
        _float_pairs(),
        ("RsubBackward0", "RsubBackward1"),
    ),
    OpInfo(
        "rsub_fn_number", lambda m, a: m.rsub(a, 2.5, alpha=2), extra_unary(), ("RsubBackward1",)
    ),
]
