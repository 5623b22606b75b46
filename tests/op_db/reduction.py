"""Op table entries for reductions: sum, mean, prod, max/min (whole, dim, binary), amax/amin,
argmax/argmin, median, var/std (+ _mean), logsumexp, norm, cumsum/cumprod, all/any,
count_nonzero.

Samples cover 0-d inputs, negative dims, keepdim, tuple dims, non-contiguous (transposed)
inputs, empty tensors and torch's errors; zeros for prod/cumprod (exact gradients), ties and
NaN for the order reductions, ±inf and huge values for logsumexp.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr, away_from_zero, binary_samples

INF = float("inf")
NAN = float("nan")
INTS = ("int64", "int32", "uint8", "bool")


def _t(rng: Any, shape: tuple[int, ...], dt: Any) -> np.ndarray:
    """A non-contiguous 2-d array of ``shape`` (the transpose of a contiguous one)."""
    return arr(rng, shape[::-1], dt).T


def _multi_dim_samples(rng: Any, dt: Any, gen: Any = arr, empty: bool = True) -> list[Sample]:
    """Samples for reductions over None, an int or a tuple of dims."""
    out = [
        Sample((gen(rng, (), dt),), name="0-d"),
        Sample((gen(rng, (), dt),), {"dim": 0}, name="0-d-dim0"),
        Sample((gen(rng, (), dt),), {"dim": -1, "keepdim": True}, name="0-d-keepdim"),
        Sample((gen(rng, (5,), dt),), name="1-d"),
        Sample((gen(rng, (3, 4), dt),), {"dim": 1}, name="dim"),
        Sample((gen(rng, (3, 4), dt),), {"dim": -1, "keepdim": True}, name="keepdim"),
        Sample((_t(rng, (3, 4), dt),), {"dim": 0}, name="non-contiguous"),
        Sample((gen(rng, (2, 3, 4), dt),), {"dim": (0, 2)}, name="tuple-dim"),
        Sample((gen(rng, (2, 3, 4), dt),), {"dim": (-1, -3), "keepdim": True}, name="neg-tuple"),
        Sample((gen(rng, (2, 3, 4), dt),), {"dim": [1]}, name="list-dim"),
        Sample((gen(rng, (2, 3), dt),), {"dim": 2}, name="dim-out-of-range"),
        Sample((gen(rng, (2, 3), dt),), {"dim": (0, -2)}, name="dim-repeated"),
    ]
    if empty:
        out += [
            Sample((gen(rng, (0, 3), dt),), name="empty"),
            Sample((gen(rng, (0, 3), dt),), {"dim": 0}, name="empty-dim0"),
            Sample((gen(rng, (0, 3), dt),), {"dim": 1}, name="empty-dim1"),
        ]
    return out


def _single_dim_samples(rng: Any, dt: Any, gen: Any = arr) -> list[Sample]:
    """Samples for ops taking one int ``dim`` (and erroring on tuples)."""
    return [
        Sample((gen(rng, (), dt),), {"dim": 0}, name="0-d"),
        Sample((gen(rng, (), dt),), {"dim": -1, "keepdim": True}, name="0-d-keepdim"),
        Sample((gen(rng, (5,), dt),), {"dim": 0}, name="1-d"),
        Sample((gen(rng, (3, 4), dt),), {"dim": 1}, name="dim"),
        Sample((gen(rng, (3, 4), dt),), {"dim": -2, "keepdim": True}, name="keepdim"),
        Sample((_t(rng, (3, 4), dt),), {"dim": 1}, name="non-contiguous"),
        Sample((gen(rng, (2, 3, 4), dt),), {"dim": -2}, name="3-d"),
        Sample((gen(rng, (0, 3), dt),), {"dim": 1}, name="empty-other-dim"),
        Sample((gen(rng, (0, 3), dt),), {"dim": 0}, name="empty-dim"),
        Sample((gen(rng, (2, 3), dt),), {"dim": (0, 1)}, name="tuple-dim"),
        Sample((gen(rng, (2, 3), dt),), {"dim": 2}, name="dim-out-of-range"),
    ]


def _scan_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (), dt),), {"dim": 0}, name="0-d"),
        Sample((arr(rng, (6,), dt),), {"dim": 0}, name="1-d"),
        Sample((arr(rng, (3, 4), dt),), {"dim": 1}, name="dim"),
        Sample((arr(rng, (3, 4), dt),), {"dim": -2}, name="neg-dim"),
        Sample((_t(rng, (3, 4), dt),), {"dim": 1}, name="non-contiguous"),
        Sample((arr(rng, (2, 3, 4), dt),), {"dim": 1}, name="3-d"),
        Sample((arr(rng, (0, 3), dt),), {"dim": 0}, name="empty"),
        Sample((arr(rng, (2, 3), dt),), {"dim": 2}, name="dim-out-of-range"),
        Sample((arr(rng, (2, 3), dt),), {"dim": None}, name="dim-none"),
    ]


def _with_zeros(rng: Any, dt: Any) -> list[Sample]:
    """Products with one, two and all-zero rows, and zeros at the ends (exact gradients)."""
    x = np.asarray(arr(rng, (4, 5), dt, 0.5, 2.0))
    x[0, 2] = 0  # one zero
    x[1, 1] = x[1, 3] = 0  # two zeros
    x[2, :] = 0  # all zeros
    x[3, 0] = 0  # zero first
    y = np.asarray(arr(rng, (6,), dt, 0.5, 2.0))
    y[-1] = 0  # zero last
    z = np.asarray(arr(rng, (5,), dt, 0.5, 2.0))
    z[1] = z[3] = 0
    return [
        Sample((x,), {"dim": 1}, name="zeros-dim1"),
        Sample((x,), {"dim": 0}, name="zeros-dim0"),
        Sample((x.T.copy().T,), {"dim": -1, "keepdim": True}, name="zeros-keepdim"),
        Sample((y,), {"dim": 0}, name="zero-last"),
        Sample((z,), {"dim": 0}, name="two-zeros"),
    ]


def _prod_samples(rng: Any, dt: Any) -> list[Sample]:
    out = _single_dim_samples(rng, dt) + _with_zeros(rng, dt)
    out += [Sample((s.args[0],), name=s.name + "-all") for s in _with_zeros(rng, dt)[-2:]]
    out += [
        Sample((arr(rng, (), dt),), name="0-d-all"),
        Sample((arr(rng, (3, 4), dt),), name="all"),
        Sample((arr(rng, (0, 3), dt),), name="empty-all"),
        Sample((arr(rng, (2, 3), dt),), {"dim": None}, name="dim-none"),
    ]
    return out


def _ties(rng: Any, dt: Any) -> list[Sample]:
    """Repeated extremes and NaN (gradients vs torch; finite differences cannot judge ties)."""
    x = np.array([[3.0, 1.0, 3.0, -2.0], [0.5, 0.5, 0.5, 2.0], [-1.0, 4.0, -1.0, 4.0]], dtype=dt)
    n = np.array([[1.0, NAN, 2.0, NAN], [2.0, 1.0, 0.0, 3.0]], dtype=dt)
    return [
        Sample((x,), name="ties"),
        Sample((x,), {"dim": 1}, name="ties-dim1"),
        Sample((x,), {"dim": 0, "keepdim": True}, name="ties-dim0"),
        Sample((n,), name="nan"),
        Sample((n,), {"dim": 1}, name="nan-dim1"),
        Sample((np.array([2.0, 2.0, 2.0], dtype=dt),), name="all-equal"),
    ]


def _median_ties(rng: Any, dt: Any) -> list[Sample]:
    x = np.array([[2.0, 1.0, 2.0, 3.0, 2.0], [4.0, 4.0, 1.0, 1.0, 0.0]], dtype=dt)
    return [*_ties(rng, dt), Sample((x,), {"dim": 1}, name="median-ties")]


def _minmax_whole(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (), dt),), name="0-d"),
        Sample((arr(rng, (5,), dt),), name="1-d"),
        Sample((_t(rng, (3, 4), dt),), name="non-contiguous"),
        Sample((arr(rng, (2, 3, 4), dt),), name="3-d"),
        Sample((arr(rng, (0, 3), dt),), name="empty"),
        Sample((arr(rng, (3, 4), dt),), {"keepdim": True}, name="keepdim-without-dim"),
        Sample((arr(rng, (3, 4), dt),), {"dim": None}, name="dim-none"),
        Sample((arr(rng, (3, 4), dt),), {"dim": 1.5}, name="float-dim"),
    ]


def _median_whole(rng: Any, dt: Any) -> list[Sample]:
    """As _minmax_whole; an empty integer/bool median is left out (torch returns garbage)."""
    keep_empty = np.dtype(dt).kind == "f"
    return [s for s in _minmax_whole(rng, dt) if keep_empty or s.name != "empty"]


def _amax_samples(rng: Any, dt: Any) -> list[Sample]:
    return _multi_dim_samples(rng, dt) + [
        Sample((arr(rng, (0, 3), dt),), {"dim": (1, 0)}, name="empty-both"),
        Sample((arr(rng, (0, 3), dt),), {"dim": ()}, name="empty-unit-tuple"),
        Sample((arr(rng, (2, 3), dt),), {"dim": ()}, name="empty-tuple"),
        Sample((arr(rng, (2, 3), dt),), {"dim": 1.5}, name="float-dim"),
    ]


def _arg_samples(rng: Any, dt: Any) -> list[Sample]:
    return _single_dim_samples(rng, dt) + [
        Sample((arr(rng, (3, 4), dt),), name="flat"),
        Sample((arr(rng, (3, 4), dt),), {"keepdim": True}, name="flat-keepdim"),
        Sample((arr(rng, (), dt),), {"keepdim": True}, name="0-d-flat"),
        Sample((arr(rng, (0, 3), dt),), name="empty-flat"),
    ]


def _moment_samples(rng: Any, dt: Any) -> list[Sample]:
    out = [
        s for s in _multi_dim_samples(rng, dt, empty=False) if not s.name.startswith("0-d")
    ]  # fmt: skip
    out += [
        Sample((arr(rng, (3, 4), dt),), {"dim": 1, "unbiased": False}, name="biased"),
        Sample((arr(rng, (3, 4), dt),), {"dim": 0, "correction": 0}, name="correction0"),
        Sample(
            (arr(rng, (3, 4), dt),),
            {"dim": -1, "correction": 2, "keepdim": True},
            name="correction2",
        ),  # fmt: skip
        Sample((arr(rng, (3, 4), dt),), {"dim": None, "correction": 0.5}, name="correction-half"),
        Sample(
            (arr(rng, (3, 4), dt),),
            {"dim": 1, "unbiased": True, "correction": 1},
            name="unbiased-and-correction",
        ),  # fmt: skip
        Sample((np.full((2, 3), 1.5, dtype=dt),), {"dim": 1}, name="zero-spread", gradgrad=False),
    ]
    return out


def _moment_degenerate(rng: Any, dt: Any) -> list[Sample]:
    """d = N − correction ≤ 0: torch warns and gives inf/nan; its derivatives divide by the
    signed d (over all elements: inf · |x − μ|). Compared with torch, not gradcheck'd."""
    return [
        Sample((arr(rng, (1,), dt),), name="one-element"),
        Sample((arr(rng, (), dt),), name="0-d"),
        Sample((arr(rng, (2, 3), dt),), {"dim": 1, "correction": 3}, name="correction=N"),
        Sample((arr(rng, (2, 3), dt),), {"dim": 1, "correction": 5}, name="correction>N"),
        Sample((arr(rng, (0, 3), dt),), name="empty"),
        Sample((arr(rng, (0, 3), dt),), {"dim": 0}, name="empty-dim0"),
    ]


def _moment_empty_tuple(rng: Any, dt: Any) -> list[Sample]:
    """dim=(): torch's derivatives (backward and forward) divide by N = 1 although its
    forward reduces everything: values only; ours are those for all dims (gradcheck'd via
    dim=None)."""
    return [Sample((arr(rng, (3, 4), dt),), {"dim": (), "unbiased": True}, name="empty-tuple")]


def _lse_samples(rng: Any, dt: Any) -> list[Sample]:
    big = np.array([1000.0, 1000.0], dtype=dt)
    return [
        Sample((arr(rng, (), dt),), {"dim": 0}, name="0-d"),
        Sample((arr(rng, (), dt),), {"dim": ()}, name="0-d-empty-tuple"),
        Sample((arr(rng, (5,), dt),), {"dim": 0}, name="1-d"),
        Sample((arr(rng, (3, 4), dt),), {"dim": 1}, name="dim"),
        Sample((arr(rng, (3, 4), dt),), {"dim": -2, "keepdim": True}, name="keepdim"),
        Sample((_t(rng, (3, 4), dt),), {"dim": 1}, name="non-contiguous"),
        Sample((arr(rng, (2, 3, 4), dt),), {"dim": (0, -1)}, name="tuple-dim"),
        Sample((arr(rng, (0, 3), dt),), {"dim": 0}, name="empty"),
        Sample((arr(rng, (0, 3), dt),), {"dim": 1}, name="empty-other-dim"),
        Sample((big,), {"dim": 0}, name="large"),
        Sample(
            (np.array([[1e4, -1e4, 3.0], [-800.0, -801.0, -799.0]], dtype=dt),),
            {"dim": 1},
            name="huge-spread",
        ),  # fmt: skip
        Sample((arr(rng, (2, 3), dt),), {"dim": ()}, name="empty-tuple-error"),
        Sample((arr(rng, (2, 3), dt),), {"dim": 3}, name="dim-out-of-range"),
    ]


def _lse_infinities(rng: Any, dt: Any) -> list[Sample]:
    rows = np.array([[-INF, -INF], [INF, 1.0], [INF, INF], [INF, -INF], [-INF, 1.0],
                     [NAN, 1.0]], dtype=dt)  # fmt: skip
    return [Sample((rows,), {"dim": 1}, name="infinities")]


def _norm_samples(rng: Any, dt: Any) -> list[Sample]:
    g = away_from_zero
    out: list[Sample] = []
    for p in (2, 1, INF, -INF, 3, 0.5, -1, -2.5, 1.5):
        out += [
            Sample((g(rng, (5,), dt),), {"p": p}, name=f"p={p}"),
            Sample((g(rng, (3, 4), dt),), {"p": p, "dim": 1}, name=f"p={p}-dim"),
            Sample(
                (g(rng, (2, 3, 4), dt),),
                {"p": p, "dim": (0, -1), "keepdim": True},
                name=f"p={p}-tuple-keepdim",
            ),  # fmt: skip
        ]
    out += [
        Sample((g(rng, (), dt),), name="0-d"),
        Sample((g(rng, (), dt),), {"dim": 0}, name="0-d-dim"),
        Sample((np.asarray(g(rng, (4, 3), dt)).T,), {"p": 1, "dim": 0}, name="non-contiguous"),
        Sample((g(rng, (3, 4), dt),), {"p": "fro"}, name="fro"),
        Sample((g(rng, (3, 4), dt),), {"p": "fro", "dim": (0, 1)}, name="fro-dims"),
        Sample((g(rng, (2, 3, 4), dt),), {"p": "fro", "dim": -1}, name="fro-dim"),
        Sample((g(rng, (3, 4), dt),), {"p": None}, name="p-none"),
        Sample((g(rng, (3, 4), dt),), {"p": 0}, name="p=0"),
        Sample((g(rng, (3, 4), dt),), {"p": 0, "dim": 1}, name="p=0-dim"),
        Sample((arr(rng, (0, 3), dt),), name="empty"),
        Sample((arr(rng, (0, 3), dt),), {"p": 3, "dim": 0}, name="empty-p3"),
        Sample((arr(rng, (0, 3), dt),), {"p": INF}, name="empty-inf"),
        Sample((arr(rng, (0, 3), dt),), {"p": INF, "dim": 0}, name="empty-inf-dim0"),
        Sample((arr(rng, (0, 3), dt),), {"p": -INF, "dim": 1}, name="empty-inf-dim1"),
        Sample((arr(rng, (0, 3), dt),), {"p": -1}, name="empty-negative-p"),
        Sample((g(rng, (2, 3, 4), dt),), {"p": "fro", "dim": (0, 1, 2)}, name="fro-3-dims"),
        Sample((g(rng, (3, 4), dt),), {"p": "bad"}, name="unknown-order"),
    ]
    return out


def _norm_zeros(rng: Any, dt: Any) -> list[Sample]:
    """Zeros in the input: torch's gradient is 0 there (and wherever the norm is 0)."""
    x = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 0.0], [-0.5, 0.0, 1.0]], dtype=dt)
    return [
        Sample((x,), {"p": p, "dim": 1}, name=f"zeros-p={p}")
        for p in (2, 1, INF, -INF, 3, 0.5, -1, 1.5, 0)
    ]


def _logic_samples(rng: Any, dt: Any) -> list[Sample]:
    x = np.asarray(arr(rng, (3, 4), dt))
    x[0, 1] = 0
    x[2, :] = 0
    return [
        Sample((x,), name="all-elements"),
        Sample((x,), {"dim": 1}, name="dim"),
        Sample((x,), {"dim": -2, "keepdim": True}, name="keepdim"),
        Sample((x.T,), {"dim": 0}, name="non-contiguous"),
        Sample((x,), {"dim": (0, 1)}, name="tuple-dim"),
        Sample((x,), {"dim": ()}, name="empty-tuple"),
        Sample((arr(rng, (), dt),), {"dim": 0}, name="0-d"),
        Sample((arr(rng, (0, 3), dt),), name="empty"),
        Sample((arr(rng, (0, 3), dt),), {"dim": 0}, name="empty-dim0"),
        Sample((x,), {"dim": 2}, name="dim-out-of-range"),
    ]


def _count_samples(rng: Any, dt: Any) -> list[Sample]:
    return [s for s in _logic_samples(rng, dt) if "keepdim" not in s.kwargs] + [
        Sample((arr(rng, (3, 4), dt),), {"dim": 1, "keepdim": True}, name="keepdim-error"),
        Sample((arr(rng, (3, 4), dt),), {"dim": (1, -1)}, name="dim-repeated"),
    ]


def _values_indices(name: str) -> Any:
    """Call ``m.<name>(a, **k)`` and check the named tuple the same way on both modules."""

    def op(m: Any, a: Any, **k: Any) -> Any:
        r = getattr(m, name)(a, **k)
        values, indices = r  # tuple unpacking
        assert type(r).__name__ == name and isinstance(r, tuple) and len(r) == 2
        assert r.values is values and r.indices is indices and r[0] is values
        assert repr(r) == f"torch.return_types.{name}(\nvalues={values!r},\nindices={indices!r})"
        assert getattr(a, name)(**k)[0].shape == values.shape  # the method form agrees
        return r

    return op


def _dtype_kw(m: Any, k: dict[str, Any]) -> dict[str, Any]:
    """Turn a ``dtype`` given by name into the module's dtype object."""
    if "dtype" in k:
        k = {**k, "dtype": getattr(m, k["dtype"])}
    return k


def _float_dtype_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt),), {"dtype": "float64"}, name="to-float64"),
        Sample((arr(rng, (3, 4), dt),), {"dim": 1, "dtype": "float64"}, name="dim-to-float64"),
    ] + ([Sample((arr(rng, (3, 4), dt),), {"dim": 0, "dtype": "float32"}, name="to-float32")]
         if dt != np.float64 else [])  # float64 -> float32 is too coarse for gradcheck  # fmt: skip


def _int_dtype_samples(rng: Any, dt: Any) -> list[Sample]:
    """An integer ``dtype=``: refused for an input that requires grad. Not in the forward-mode
    tests: torch's forward mode fails an internal assert there (dyngrad gives the integer
    result without a tangent)."""
    return [Sample((arr(rng, (3, 4), dt),), {"dtype": "int32"}, name="to-int32")]


def _dtype_samples(rng: Any, dt: Any) -> list[Sample]:
    return _float_dtype_samples(rng, dt) + _int_dtype_samples(rng, dt)


def _reduce_dtypes(op: str) -> Any:
    return lambda m, a, **k: getattr(m, op)(a, **_dtype_kw(m, k))


FLOATS = ("float32", "float64")
ORDER_DTYPES = (*FLOATS, "int64", "int32", "uint8")


OPS = [
    OpInfo(
        "sum",
        lambda m, a, **k: m.sum(a, **k),
        _multi_dim_samples,
        ("SumBackward0", "SumBackward1"),
        dtypes=(*FLOATS, *INTS),
    ),  # fmt: skip
    OpInfo("sum_method", lambda m, a, **k: a.sum(**k), _multi_dim_samples, ("SumBackward1",)),
    OpInfo(
        "sum_dtype",
        _reduce_dtypes("sum"),
        _float_dtype_samples,
        ("SumBackward0",),
        dtypes=(*FLOATS, *INTS),
    ),  # fmt: skip
    OpInfo(
        "sum_dtype_int",
        _reduce_dtypes("sum"),
        _int_dtype_samples,
        dtypes=(*FLOATS, *INTS),
        forward_ad=False,
    ),  # fmt: skip
    OpInfo(
        "mean",
        lambda m, a, **k: a.mean(**k),
        _multi_dim_samples,
        ("MeanBackward0", "MeanBackward1"),
        dtypes=(*FLOATS, "int64", "bool"),
    ),  # fmt: skip
    OpInfo(
        "mean_dtype",
        _reduce_dtypes("mean"),
        _dtype_samples,
        ("MeanBackward1",),
        dtypes=(*FLOATS, "int64", "bool"),
    ),  # fmt: skip
    OpInfo(
        "prod",
        lambda m, a, **k: m.prod(a, **k),
        _prod_samples,
        ("ProdBackward0", "ProdBackward1"),
        dtypes=(*FLOATS, *INTS),
    ),  # fmt: skip
    OpInfo(
        "prod_dtype",
        _reduce_dtypes("prod"),
        _float_dtype_samples,
        ("ProdBackward0",),
        dtypes=(*FLOATS, "int64", "bool"),
    ),  # fmt: skip
    OpInfo(
        "prod_dtype_int",
        _reduce_dtypes("prod"),
        _int_dtype_samples,
        dtypes=(*FLOATS, "int64", "bool"),
        forward_ad=False,
    ),  # fmt: skip
    OpInfo(
        "max",
        lambda m, a, **k: m.max(a, **k),
        _minmax_whole,
        ("MaxBackward1",),
        dtypes=(*ORDER_DTYPES, "bool"),
    ),  # fmt: skip
    OpInfo(
        "min", lambda m, a, **k: a.min(**k), _minmax_whole, ("MinBackward1",), dtypes=ORDER_DTYPES
    ),  # fmt: skip
    OpInfo(
        "max_dim",
        _values_indices("max"),
        _single_dim_samples,
        ("MaxBackward0",),
        dtypes=(*ORDER_DTYPES, "bool"),
    ),  # fmt: skip
    OpInfo(
        "min_dim",
        _values_indices("min"),
        _single_dim_samples,
        ("MinBackward0",),
        dtypes=ORDER_DTYPES,
    ),  # fmt: skip
    OpInfo("max_binary", lambda m, a, b: m.max(a, b), binary_samples(), ("MaximumBackward0",)),
    OpInfo("min_binary", lambda m, a, b: a.min(other=b), binary_samples(), ("MinimumBackward0",)),
    OpInfo(
        "amax",
        lambda m, a, **k: m.amax(a, **k),
        _amax_samples,
        ("AmaxBackward0",),
        dtypes=(*ORDER_DTYPES, "bool"),
    ),  # fmt: skip
    OpInfo(
        "amin",
        lambda m, a, **k: a.amin(**k),
        _amax_samples,
        ("AminBackward0",),
        dtypes=ORDER_DTYPES,
    ),  # fmt: skip
    OpInfo(
        "argmax",
        lambda m, a, **k: m.argmax(a, **k),
        _arg_samples,
        grad=False,
        gradcheck=False,
        gradgrad=False,
        dtypes=(*ORDER_DTYPES, "bool"),
    ),  # fmt: skip
    OpInfo(
        "argmin",
        lambda m, a, **k: a.argmin(**k),
        _arg_samples,
        grad=False,
        gradcheck=False,
        gradgrad=False,
        dtypes=(*ORDER_DTYPES, "bool"),
    ),  # fmt: skip
    OpInfo(
        "median",
        lambda m, a, **k: m.median(a, **k),
        _median_whole,
        ("MedianBackward0",),
        dtypes=(*ORDER_DTYPES, "bool"),
    ),  # fmt: skip
    OpInfo(
        "median_dim",
        _values_indices("median"),
        _single_dim_samples,
        ("MedianBackward1",),
        dtypes=(*ORDER_DTYPES, "bool"),
    ),  # fmt: skip
    OpInfo(
        "var",
        lambda m, a, **k: a.var(**k),
        _moment_samples,
        ("VarBackward0",),
        dtypes=(*FLOATS, "int64"),
    ),  # fmt: skip
    OpInfo(
        "std",
        lambda m, a, **k: m.std(a, **k),
        _moment_samples,
        ("StdBackward0",),
        dtypes=(*FLOATS, "int64"),
    ),  # fmt: skip
    OpInfo(
        "var_mean", lambda m, a, **k: m.var_mean(a, **k), _moment_samples, ("VarMeanBackward0",)
    ),  # fmt: skip
    OpInfo(
        "std_mean", lambda m, a, **k: m.std_mean(a, **k), _moment_samples, ("StdMeanBackward0",)
    ),  # fmt: skip
    OpInfo(
        "var_unbiased_positional",
        lambda m, a: (a.var(False), a.std(1, False, True)),
        lambda rng, dt: [Sample((arr(rng, (3, 4), dt),))],
    ),  # fmt: skip
    OpInfo(
        "logsumexp",
        lambda m, a, **k: m.logsumexp(a, **k),
        _lse_samples,
        ("LogsumexpBackward0",),
        dtypes=(*FLOATS, "int64", "bool"),
    ),  # fmt: skip
    OpInfo(
        "norm",
        lambda m, a, **k: a.norm(**k),
        _norm_samples,
        ("LinalgVectorNormBackward0",),
        dtypes=(*FLOATS, "int64"),
    ),  # fmt: skip
    OpInfo(
        "norm_function",
        lambda m, a: (m.norm(a, 1, 1), m.norm(a, dim=0, keepdim=True)),
        lambda rng, dt: [Sample((away_from_zero(rng, (3, 4), dt),))],
    ),  # fmt: skip
    OpInfo(
        "norm_dtype",
        lambda m, a, **k: a.norm(**_dtype_kw(m, k)),
        lambda rng, dt: [
            Sample((away_from_zero(rng, (3, 4), dt),), {"dtype": d}, name=d)
            for d in ("float64", "float32", "int64")
        ],
    ),  # fmt: skip
    OpInfo(
        "cumsum",
        lambda m, a, **k: m.cumsum(a, **k),
        _scan_samples,
        ("CumsumBackward0",),
        dtypes=(*FLOATS, *INTS),
    ),  # fmt: skip
    OpInfo(
        "cumsum_dtype",
        lambda m, a: a.cumsum(0, dtype=m.float64),
        lambda rng, dt: [Sample((arr(rng, (3, 4), dt),))],
        dtypes=(*FLOATS, "int64"),
    ),  # fmt: skip
    OpInfo(
        "cumsum_dtype_int",  # forward mode: see _int_dtype_samples
        lambda m, a: a.cumsum(1, dtype=m.int32),
        lambda rng, dt: [Sample((arr(rng, (3, 4), dt),))],
        dtypes=(*FLOATS, "int64"),
        forward_ad=False,
    ),  # fmt: skip
    OpInfo(
        "cumprod",
        lambda m, a, **k: a.cumprod(**k),
        lambda rng, dt: (
            _scan_samples(rng, dt) + [s for s in _with_zeros(rng, dt) if "keepdim" not in s.kwargs]
        ),
        ("CumprodBackward0",),
        dtypes=(*FLOATS, *INTS),
    ),  # fmt: skip
    OpInfo(
        "all",
        lambda m, a, **k: m.all(a, **k),
        _logic_samples,
        grad=False,
        gradcheck=False,
        gradgrad=False,
        dtypes=(*FLOATS, *INTS),
    ),  # fmt: skip
    OpInfo(
        "any",
        lambda m, a, **k: a.any(**k),
        _logic_samples,
        grad=False,
        gradcheck=False,
        gradgrad=False,
        dtypes=(*FLOATS, *INTS),
    ),  # fmt: skip
    OpInfo(
        "count_nonzero",
        lambda m, a, **k: m.count_nonzero(a, **k),
        _count_samples,
        grad=False,
        gradcheck=False,
        gradgrad=False,
        dtypes=(*FLOATS, *INTS),
    ),  # fmt: skip
]

# Ties, NaN, infinities, zeros and degenerate spreads: compared with torch (values, dtypes,
# grad_fn names and gradients). Central differences cannot judge a tie or an infinity, so
# gradcheck runs on the smooth samples above instead.
_NO_FD = {"gradcheck": False, "gradgrad": False}
OPS += [
    OpInfo(
        "max_ties",
        lambda m, a, **k: m.max(a, **k),
        _ties,
        ("MaxBackward0", "MaxBackward1"),
        **_NO_FD,
    ),  # fmt: skip
    OpInfo(
        "min_ties",
        lambda m, a, **k: m.min(a, **k),
        _ties,
        ("MinBackward0", "MinBackward1"),
        **_NO_FD,
    ),  # fmt: skip
    OpInfo("amax_ties", lambda m, a, **k: m.amax(a, **k), _ties, ("AmaxBackward0",), **_NO_FD),
    OpInfo("amin_ties", lambda m, a, **k: a.amin(**k), _ties, ("AminBackward0",), **_NO_FD),
    OpInfo("argmax_ties", lambda m, a, **k: a.argmax(**k), _ties, grad=False, **_NO_FD),
    OpInfo("argmin_ties", lambda m, a, **k: m.argmin(a, **k), _ties, grad=False, **_NO_FD),
    OpInfo(
        "median_ties",
        lambda m, a, **k: m.median(a, **k),
        _median_ties,
        ("MedianBackward0", "MedianBackward1"),
        **_NO_FD,
    ),  # fmt: skip
    OpInfo(
        "logsumexp_infinities",
        lambda m, a, **k: m.logsumexp(a, **k),
        _lse_infinities,
        ("LogsumexpBackward0",),
        **_NO_FD,
    ),  # fmt: skip
    OpInfo(
        "norm_zeros",
        lambda m, a, **k: m.norm(a, **k),
        _norm_zeros,
        ("LinalgVectorNormBackward0",),
        **_NO_FD,
    ),  # fmt: skip
    OpInfo(
        "var_degenerate",
        lambda m, a, **k: (a.var(**k), m.std(a, **k), *m.var_mean(a, **k), *m.std_mean(a, **k)),
        _moment_degenerate,
        ("VarBackward0", "StdBackward0", "VarMeanBackward0", "StdMeanBackward0"),
        **_NO_FD,
    ),  # fmt: skip
    OpInfo(
        "var_empty_tuple",
        lambda m, a, **k: (a.var(**k), m.std(a, **k)),
        _moment_empty_tuple,
        ("VarBackward0", "StdBackward0"),
        grad=False,
        forward_ad=False,
        **_NO_FD,
    ),  # fmt: skip
]
