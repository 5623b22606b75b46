"""Record torch's repr of many tensors into fixtures.json, for test_printing.py.

Run with torch installed (from the repository root)::

    .venv/bin/python tests/printing/gen_fixtures.py

Each case says how to rebuild its array with NumPy alone (``build_array``): small data is
stored as values (floats as the float64 repr of the stored value, which round-trips exactly;
nan/inf as strings), large data as a recipe over ``np.random.default_rng(seed).random``
or an arange, plus a sha256 of the bytes so the test can tell the rebuild is exact. A case may
also carry print options, a default dtype, requires_grad, an op that gives a grad_fn, or ask for
the ``nn.Parameter`` form. ``build_array`` is imported by the test, so this module imports
torch only inside the functions that record.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

FIXTURES = Path(__file__).with_name("fixtures.json")
NAN, INF = math.nan, math.inf

# ----------------------------------------------------------------------------- rebuilding


def _decode(value: Any) -> Any:
    """Nested lists with 'nan' / 'inf' / '-inf' strings -> nested lists of floats."""
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, str):
        return float(value)
    return value


def _encode(value: Any) -> Any:
    """Nested lists of Python scalars -> JSON-safe (non-finite floats as strings)."""
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def _from_recipe(recipe: dict[str, Any], numel: int, dtype: np.dtype[Any]) -> np.ndarray[Any, Any]:
    """Values from a recipe: only exactly rounded NumPy operations, so every platform agrees."""
    kind = recipe["kind"]
    if kind == "arange":
        base = np.arange(numel, dtype=np.float64) * recipe.get("step", 1.0) + recipe.get(
            "start", 0.0
        )
    elif kind == "uniform":
        rng = np.random.default_rng(recipe["seed"])
        base = rng.random(numel) * recipe.get("scale", 1.0) + recipe.get("offset", 0.0)
    else:
        raise ValueError(f"unknown recipe {kind!r}")
    if dtype.kind == "b":
        return base >= recipe.get("bool_cut", 0.5)
    if dtype.kind == "u":
        # Note: casting a negative float to an unsigned type is platform-dependent; wrap first.
        return (np.floor(base) % 256).astype(dtype)
    if dtype.kind == "i":
        return np.floor(base).astype(dtype)
    return base.astype(dtype)


def build_array(case: dict[str, Any]) -> np.ndarray[Any, Any]:
    """The exact array a case prints, rebuilt with NumPy only."""
    dtype = np.dtype(case["dtype"])
    shape = tuple(case["shape"])
    if "values" in case:
        array = np.array(_decode(case["values"]), dtype=dtype).reshape(shape)
    else:
        array = _from_recipe(case["recipe"], math.prod(shape), dtype).reshape(shape)
    for index, value in case.get("patch", []):
        array.flat[index] = float(value) if isinstance(value, str) else value
    return array


def digest(array: np.ndarray[Any, Any]) -> str:
    """sha256 of the array's bytes (C order), to check a rebuild against the recorded data."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


# ----------------------------------------------------------------------------- case list


def _flatten(values: Any) -> list[Any]:
    """Nested lists (or one scalar) -> flat list of scalars, row-major."""
    if not isinstance(values, list):
        return [values]
    return [item for v in values for item in _flatten(v)]


def _case(
    name: str, values: Any, dtype: str = "float32", shape: Any = None, **extra: Any
) -> dict[str, Any]:
    """A case with its values given inline; shape defaults to the shape of the values.

    Values are stored after conversion to the dtype (a float32 value as its exact float64
    repr), so the fixture holds exactly what torch printed.
    """
    if shape is None:
        shape = list(np.shape(values))
    stored = np.array(_flatten(values), dtype=np.dtype(dtype)).tolist()
    return {"name": name, "dtype": dtype, "shape": list(shape), "values": _encode(stored), **extra}


def _recipe(
    name: str, shape: Any, dtype: str = "float32", **recipe_and_extra: Any
) -> dict[str, Any]:
    """A case built from a recipe (see _from_recipe); non-recipe keys pass through."""
    recipe_keys = {"kind", "seed", "scale", "offset", "start", "step", "bool_cut"}
    recipe = {k: v for k, v in recipe_and_extra.items() if k in recipe_keys}
    extra = {k: v for k, v in recipe_and_extra.items() if k not in recipe_keys}
    recipe.setdefault("kind", "uniform")
    return {"name": name, "dtype": dtype, "shape": list(shape), "recipe": recipe, **extra}


FLOATS = ("float16", "float32", "float64")
INTS = ("int8", "int16", "int32", "int64", "uint8")
ALL_DTYPES = (*FLOATS, *INTS, "bool")


def _dtype_cases() -> list[dict[str, Any]]:
    """Small tensors of every dtype, in ranks 0 to 4."""
    cases = []
    for dt in ALL_DTYPES:
        small = [1, 0, 1] if dt == "bool" else [1, 2, 3]
        cases.append(_case(f"{dt}_0d", small[0], dt, shape=[]))
        cases.append(_case(f"{dt}_1d", small, dt))
        cases.append(_recipe(f"{dt}_2d", [3, 4], dt, seed=1, scale=200.0, offset=-100.0))
        cases.append(_recipe(f"{dt}_3d", [2, 3, 4], dt, seed=2, scale=20.0, offset=-10.0))
        cases.append(_recipe(f"{dt}_4d", [2, 2, 2, 3], dt, seed=3, scale=8.0, offset=-4.0))
        cases.append(_case(f"{dt}_empty_0", [], dt, shape=[0]))
        cases.append(_case(f"{dt}_empty_0x3", [], dt, shape=[0, 3]))
        cases.append(_case(f"{dt}_empty_2x0x4", [], dt, shape=[2, 0, 4]))
    return cases


def _int_cases() -> list[dict[str, Any]]:
    """Signs and extremes of every integer width, and rows of wide values."""
    return [
        _case("int8_extremes", [-128, 127, 0, -1], "int8"),
        _case("uint8_extremes", [0, 255, 7], "uint8"),
        _case("int16_extremes", [-32768, 32767, 5], "int16"),
        _case("int32_extremes", [-2147483648, 2147483647, 10], "int32"),
        _case("int64_extremes", [-9223372036854775808, 9223372036854775807, 0], "int64"),
        _case("int64_negatives_2d", [[-1, 20], [300, -4000]], "int64"),
        _recipe("int64_wide_wrap", [40], "int64", seed=4, scale=2e12, offset=-1e12),
        _recipe("int32_wrap_2d", [3, 30], "int32", seed=5, scale=2e6, offset=-1e6),
        _case("int64_single_0d_negative", -42, "int64", shape=[]),
        _case("bool_2d_values", [[True, False, True], [False, False, True]], "bool"),
        _case("bool_all_true", [True, True], "bool"),
    ]


def _float_value_cases() -> list[dict[str, Any]]:
    """Integer mode, fixed and scientific choice, nan/inf, negative zero, precision."""
    cases = [
        _case("f32_basic", [1.5, -2.25, 3.0]),
        _case("f32_int_valued", [28.0, -3.0, 100.0]),
        _case("f32_int_valued_0d", 28.0, shape=[]),
        _case("f32_fraction_0d", 3.14159265, shape=[]),
        _case("f32_tenths", [0.1, 0.2, 0.3]),
        _case("f32_zeros", [0.0, 0.0, 0.0]),
        _case("f32_zero_0d", 0.0, shape=[]),
        _case("f32_zero_and_int", [0.0, 100.0]),
        _case("f32_zero_and_fraction", [0.0, 12.5]),
        _case("f32_neg_zero_0d", -0.0, shape=[]),
        _case("f32_neg_zero_pair", [-0.0, 0.0]),
        _case("f32_neg_zero_fraction", [-0.0, 1.5]),
        _case("f32_neg_zero_sci", [-0.0, 1e-5, 1.0]),
        _case("f32_neg_zero_int", [-0.0, 2.0, -7.0]),
        _case("f32_nan_0d", NAN, shape=[]),
        _case("f32_inf_0d", INF, shape=[]),
        _case("f32_neginf_0d", -INF, shape=[]),
        _case("f32_nonfinite", [NAN, INF, -INF]),
        _case("f32_nan_int", [NAN, 1.0]),
        _case("f32_nan_fraction", [NAN, 1.5, -INF]),
        _case("f32_inf_sci", [INF, 1e10, 2.0]),
        _case("f32_nan_2d", [[NAN, NAN], [NAN, NAN]]),
        _case("f32_nan_zero", [0.0, NAN]),
        _case("f32_small_sci", [1e-5, 1.0]),
        _case("f32_large_sci", [1e8, 1.0]),
        _case("f32_above_1e8", [1.5e9]),
        _case("f32_exactly_1e8", [1e8]),
        _case("f32_int_ratio_sci", [1.0, 2000.0]),
        _case("f32_int_ratio_999", [1.0, 999.0]),
        _case("f32_int_ratio_1000", [1.0, 1000.0]),
        _case("f32_1e-4_is_below", [1e-4]),
        _case("f32_fraction_ratio", [0.5, 600.25]),
        _case("f32_mixed_sci_2d", [[1e-3, 5e4], [-2.5, 7.0]]),
        _case("f32_tiny_0d", 1e-5, shape=[]),
        _case("f32_huge_0d", 1e10, shape=[]),
        _case("f32_big_fraction", [123456.789, 1.5]),
        _case("f32_negative_sci", [-1e-6, 3e-6]),
        _case("f32_rounding", [0.00005, 0.12345, 0.99995]),
        _case("f32_max", [3.4028234663852886e38, -1.0]),
        _case("f32_subnormal", [1e-45, 1.0]),
        _case("f64_thirds", [1 / 3, 2 / 3], "float64"),
        _case("f64_pi_0d", math.pi, "float64", shape=[]),
        _case("f64_3digit_exponent", [1e-100, 1.0], "float64"),
        _case("f64_3digit_exp_zero", [1e-100, 0.0], "float64"),
        _case("f64_huge", [1e300, -1e-300], "float64"),
        _case("f64_1e-4_not_below", [1e-4, 0.05], "float64"),
        _case("f64_1e-4_alone_0d", 1e-4, "float64", shape=[]),
        _case("f64_int_valued", [1.0, 2.0, 3.0], "float64"),
        _case("f64_nonfinite", [NAN, -INF, 2.5], "float64"),
        _case("f16_values", [0.1, 65504.0, -3.5], "float16"),
        _case("f16_0d", 0.1, "float16", shape=[]),
        _case("f16_subnormal", [6e-8, 1.0], "float16"),
        _case("f16_int_valued", [1.0, 2048.0], "float16"),
        _case("f16_nonfinite", [INF, NAN, 1.25], "float16"),
        _recipe("f64_random_2d", [4, 5], "float64", seed=6, scale=2.0, offset=-1.0),
        _recipe("f16_random_2d", [3, 6], "float16", seed=7, scale=20.0, offset=-10.0),
        _recipe("f32_random_3d", [2, 2, 5], seed=8, scale=1e-3),
    ]
    return cases


def _shape_cases() -> list[dict[str, Any]]:
    """Unit dimensions, wrapping of rows at the line width, more empty shapes."""
    return [
        _case("f32_1x1x1", [[[5.0]]]),
        _case("f32_column", [[1.0], [2.5], [3.0]]),
        _case("f32_row", [[1.0, 2.0, 3.0, 4.0, 5.0]]),
        _case("f32_3x0", [], shape=[3, 0]),
        _case("f32_0x0", [], shape=[0, 0]),
        _case("f32_1x0", [], shape=[1, 0]),
        _recipe("f32_wrap_1d", [30], seed=9, scale=2.0, offset=-1.0),
        _recipe("f32_wrap_1d_int", [30], kind="arange"),
        _recipe("f32_wrap_2d", [2, 25], seed=10, scale=100.0),
        _recipe("f32_wrap_3d", [2, 2, 20], seed=11, scale=1e-6),
        _recipe("f64_wrap_1d", [26], "float64", seed=12, scale=1000.0, offset=-500.0),
        _recipe("f32_wrap_sci", [20], seed=13, scale=1e9),
        _recipe("f32_5d", [2, 1, 2, 1, 3], seed=14),
        _recipe("f32_just_fits", [12], kind="arange", start=100.5),
        _recipe("f32_one_over", [13], kind="arange", start=100.5),
    ]


def _summary_cases() -> list[dict[str, Any]]:
    """Tensors past the threshold: only the edges are printed and decide the format."""
    return [
        _recipe("sum_1d_arange", [2000], kind="arange"),
        _recipe("sum_1d_uniform", [1001], seed=15),
        _recipe("sum_1d_int", [5000], "int64", kind="arange", start=-2500.0),
        _recipe("sum_1d_bool", [1500], "bool", seed=16),
        _recipe("sum_1d_f16", [1200], "float16", seed=17, scale=10.0),
        _recipe("sum_1d_f64", [1100], "float64", seed=18, scale=1e6),
        _recipe("sum_2d", [40, 40], seed=19, scale=2.0, offset=-1.0),
        _recipe("sum_2d_tall", [500, 3], seed=20),
        _recipe("sum_2d_wide", [3, 500], seed=21),
        _recipe("sum_2d_int", [50, 50], "int32", seed=22, scale=1e5),
        _recipe("sum_3d", [10, 10, 20], seed=23, scale=100.0),
        _recipe("sum_4d", [5, 5, 5, 10], seed=24),
        _recipe("sum_3d_uint8", [12, 12, 12], "uint8", seed=25, scale=256.0),
        _recipe(
            "sum_middle_ignored",
            [2000],
            kind="arange",
            start=1.0,
            patch=[[1000, 1e-10], [1001, "nan"]],
        ),
        _recipe("sum_edges_nan", [1500], seed=26, patch=[[0, "nan"], [1499, "-inf"]]),
        _recipe("sum_2d_sci", [100, 100], seed=27, scale=1e-7),
        _recipe("exactly_threshold", [1000], kind="arange"),
        _recipe("threshold_plus_one", [1001], kind="arange"),
        _recipe("sum_2d_grad", [40, 30], seed=28, requires_grad=True),
        _recipe("sum_3d_grad_fn", [10, 10, 11], "float64", seed=29, grad_op="mul1"),
    ]


def _autograd_cases() -> list[dict[str, Any]]:
    """requires_grad leaves and grad_fn results, alone and next to a dtype suffix."""
    cases = [
        _case("grad_leaf_1d", [1.0, 2.0], requires_grad=True),
        _case("grad_leaf_0d", 3.5, shape=[], requires_grad=True),
        _case("grad_leaf_2d", [[1.5, 2.0], [3.0, 4.25]], requires_grad=True),
        _case("grad_leaf_f64", [1.0, 2.5], "float64", requires_grad=True),
        _case("grad_leaf_f16", [1.0, 2.5], "float16", requires_grad=True),
        _case("grad_leaf_empty", [], shape=[0], requires_grad=True),
        _case("grad_leaf_empty_0x3_f64", [], "float64", shape=[0, 3], requires_grad=True),
        _case("grad_fn_mul", [2.0, 4.0], grad_op="mul1"),
        _case("grad_fn_mul_f64", [2.0, 4.0], "float64", grad_op="mul1"),
        _case("grad_fn_clone_0d", 1.25, shape=[], grad_op="clone"),
        _case("grad_fn_view_2d", [[1.0, -2.0], [3.5, 0.0]], grad_op="view"),
        _case("grad_fn_f16", [0.5, 1.0], "float16", grad_op="mul1"),
        _case("grad_fn_nan", [NAN, 1.0], grad_op="clone"),
    ]
    # Rows whose length sweeps across the line width, so the suffixes wrap at every point.
    for n in range(8, 14):
        cases.append(
            _recipe(f"suffix_sweep_f64_grad_{n}", [n], "float64", seed=30 + n, requires_grad=True)
        )
    for n in range(10, 14):
        cases.append(_recipe(f"suffix_sweep_f32_fn_{n}", [n], seed=50 + n, grad_op="mul1"))
    for n in range(10, 13):
        cases.append(_recipe(f"suffix_sweep_f16_{n}", [n], "float16", seed=60 + n, scale=100.0))
    cases.append(_recipe("suffix_after_wrap_2d", [2, 9], "float64", seed=70, grad_op="mul1"))
    return cases


def _option_cases() -> list[dict[str, Any]]:
    """The same kinds of tensor under other print options."""
    mixed = [1e-5, 0.5, 123.456]
    return [
        _case("opt_precision_2", [1.23456, 2.5], printoptions={"precision": 2}),
        _case("opt_precision_0", [1.5, 2.5, -0.4], printoptions={"precision": 0}),
        _case("opt_precision_0_sci", [1e-5, 1.0], printoptions={"precision": 0}),
        _case("opt_precision_8_f64", [1 / 3, 1e-3], "float64", printoptions={"precision": 8}),
        _case("opt_precision_10_f32", [0.1, 0.7], printoptions={"precision": 10}),
        _case("opt_precision_1_0d", 2.75, shape=[], printoptions={"precision": 1}),
        _case("opt_sci_true", [1.5, 2.0], printoptions={"sci_mode": True}),
        _case("opt_sci_true_int", [1.0, 2.0, 300.0], printoptions={"sci_mode": True}),
        _case("opt_sci_true_zeros", [0.0, 0.0], printoptions={"sci_mode": True}),
        _case("opt_sci_true_nan", [NAN, 4.0], printoptions={"sci_mode": True}),
        _case("opt_sci_true_int_dtype", [1, 2], "int64", printoptions={"sci_mode": True}),
        _case("opt_sci_false", mixed, printoptions={"sci_mode": False}),
        _case("opt_sci_false_0d", 1e-5, shape=[], printoptions={"sci_mode": False}),
        _case("opt_sci_false_nan", [1e-5, 1.0, NAN], printoptions={"sci_mode": False}),
        _case("opt_sci_false_huge", [1e20, 1.0], printoptions={"sci_mode": False}),
        _case("opt_sci_false_int_huge", [1e10, 1.0], "float64", printoptions={"sci_mode": False}),
        _case("opt_sci_false_prec2", mixed, printoptions={"sci_mode": False, "precision": 2}),
        _recipe("opt_linewidth_40", [20], seed=80, printoptions={"linewidth": 40}),
        _recipe("opt_linewidth_40_2d", [3, 10], seed=81, printoptions={"linewidth": 40}),
        _recipe(
            "opt_linewidth_40_grad",
            [4],
            "float64",
            seed=82,
            requires_grad=True,
            printoptions={"linewidth": 40},
        ),
        _recipe("opt_linewidth_20_wide", [5], seed=83, scale=1e9, printoptions={"linewidth": 20}),
        _recipe(
            "opt_linewidth_5", [3, 3], "int64", seed=84, scale=1e6, printoptions={"linewidth": 5}
        ),
        _recipe("opt_linewidth_120", [40], seed=85, printoptions={"linewidth": 120}),
        _recipe("opt_threshold_5", [10], "int64", kind="arange", printoptions={"threshold": 5}),
        _recipe("opt_threshold_5_2d", [4, 4], seed=86, printoptions={"threshold": 5}),
        _recipe("opt_threshold_5_small_rows", [2, 3], seed=87, printoptions={"threshold": 5}),
        _recipe("opt_threshold_0", [3], kind="arange", printoptions={"threshold": 0}),
        _case("opt_threshold_0_0d", 7.5, shape=[], printoptions={"threshold": 0}),
        _recipe("opt_threshold_100_3d", [5, 5, 5], seed=88, printoptions={"threshold": 100}),
        _recipe("opt_edgeitems_1", [2000], kind="arange", printoptions={"edgeitems": 1}),
        _recipe("opt_edgeitems_1_3d", [10, 10, 20], seed=89, printoptions={"edgeitems": 1}),
        _recipe("opt_edgeitems_5", [1200], "int16", kind="arange", printoptions={"edgeitems": 5}),
        _recipe(
            "opt_edgeitems_0_sum",
            [10],
            kind="arange",
            printoptions={"edgeitems": 0, "threshold": 5},
        ),
        _recipe(
            "opt_edgeitems_0_sum_3d",
            [2, 3, 4],
            "float64",
            kind="arange",
            printoptions={"edgeitems": 0, "threshold": 5},
        ),
        _recipe("opt_edgeitems_0_small", [4], kind="arange", printoptions={"edgeitems": 0}),
        _case("opt_edgeitems_0_0d", 2.0, shape=[], printoptions={"edgeitems": 0}),
        _case("opt_edgeitems_0_empty", [], shape=[0, 2], printoptions={"edgeitems": 0}),
        _recipe(
            "opt_edgeitems_0_grad", [3], seed=90, requires_grad=True, printoptions={"edgeitems": 0}
        ),
        _recipe("opt_profile_short", [2000], seed=91, printoptions={"profile": "short"}),
        _recipe("opt_profile_short_2d", [40, 40], seed=92, printoptions={"profile": "short"}),
        _case("opt_profile_short_small", [1.23456, 7.0], printoptions={"profile": "short"}),
        _recipe(
            "opt_profile_full", [1200], "int16", kind="arange", printoptions={"profile": "full"}
        ),
        _recipe(
            "opt_profile_full_2d",
            [35, 35],
            "uint8",
            seed=93,
            scale=256.0,
            printoptions={"profile": "full"},
        ),
        _recipe("opt_profile_default", [2000], kind="arange", printoptions={"profile": "default"}),
        _case(
            "opt_short_precision_5", [1.23456789], printoptions={"profile": "short", "precision": 5}
        ),
        _recipe(
            "opt_short_linewidth_30",
            [50, 50],
            seed=94,
            printoptions={"profile": "short", "linewidth": 30},
        ),
    ]


def _default_dtype_cases() -> list[dict[str, Any]]:
    """With float64 as the default dtype, float32 is the one that gets named."""
    dd = {"default_dtype": "float64"}
    return [
        _case("dd64_f64", [1.5, 2.0], "float64", **dd),
        _case("dd64_f32", [1.5, 2.0], "float32", **dd),
        _case("dd64_f32_empty", [], "float32", shape=[0], **dd),
        _case("dd64_f64_empty", [], "float64", shape=[2, 0], **dd),
        _case("dd64_int64_empty", [], "int64", shape=[0], **dd),
        _case("dd64_int64", [1, 2], "int64", **dd),
        _case("dd64_f64_grad", [1.0], "float64", requires_grad=True, **dd),
    ]


def _parameter_cases() -> list[dict[str, Any]]:
    """nn.Parameter's two-line form, with and without requires_grad."""
    return [
        _case("param_1d", [1.0, 2.0], parameter=True, requires_grad=True),
        _case("param_no_grad", [1.0, 2.0], parameter=True),
        _case("param_f64", [1.0, 2.0], "float64", parameter=True, requires_grad=True),
        _case("param_int", [1, 2], "int64", parameter=True),
        _case("param_empty", [], shape=[0, 3], parameter=True, requires_grad=True),
        _recipe("param_2d", [3, 4], seed=95, parameter=True, requires_grad=True),
        _recipe("param_summarised", [50, 30], seed=96, parameter=True, requires_grad=True),
    ]


def all_cases() -> list[dict[str, Any]]:
    """Every case, in a stable order, names unique."""
    cases = [
        *_dtype_cases(),
        *_int_cases(),
        *_float_value_cases(),
        *_shape_cases(),
        *_summary_cases(),
        *_autograd_cases(),
        *_option_cases(),
        *_default_dtype_cases(),
        *_parameter_cases(),
    ]
    names = [c["name"] for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, duplicates
    return cases


# Sequences of set_printoptions calls and what get_printoptions then returns.
OPTION_SEQUENCES: list[list[dict[str, Any]]] = [
    [],
    [{"precision": 2}],
    [{"sci_mode": True, "precision": 6}, {"threshold": 5}],
    [{"profile": "short"}],
    [{"profile": "full"}],
    [{"profile": "full", "precision": 6}],
    [{"linewidth": 40}, {"profile": "default"}],
    [{"edgeitems": 1}, {"profile": "nonsense"}],
    [{"sci_mode": False}],
    [{"threshold": 10, "edgeitems": 0, "linewidth": 200}],
]

# ----------------------------------------------------------------------------- recording


def _torch_tensor(case: dict[str, Any], array: np.ndarray[Any, Any]) -> Any:
    """The torch tensor (or Parameter) a case describes; returns it with its grad_fn name."""
    import torch

    t = torch.from_numpy(array.copy())
    op = case.get("grad_op")
    if op is not None:
        leaf = t.requires_grad_()
        t = {"mul1": lambda x: x * 1, "clone": torch.clone, "view": lambda x: x.view(x.shape)}[op](
            leaf
        )
    elif case.get("parameter"):
        t = torch.nn.Parameter(t, requires_grad=bool(case.get("requires_grad")))
    elif case.get("requires_grad"):
        t.requires_grad_()
    return t


def _record_case(case: dict[str, Any]) -> dict[str, Any]:
    """Print one case with torch; store what it printed and how to rebuild the data."""
    import torch

    array = build_array(case)
    t = _torch_tensor(case, array)
    assert digest(t.detach().numpy()) == digest(array), case["name"]
    default = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, case.get("default_dtype", "float32")))
    try:
        with torch._tensor_str.printoptions(**case.get("printoptions", {})):
            expected = repr(t)
    finally:
        torch.set_default_dtype(default)
    recorded = {**case, "sha256": digest(array), "expected": expected}
    if t.grad_fn is not None:
        recorded["grad_fn"] = type(t.grad_fn).__name__
    return recorded


def _record_option_sequence(calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply set_printoptions calls in torch and record get_printoptions() after them."""
    import torch

    with torch._tensor_str.printoptions():
        for kwargs in calls:
            torch.set_printoptions(**kwargs)
        options = torch._tensor_str.get_printoptions()
    options = {k: ("inf" if v == math.inf else v) for k, v in options.items()}
    return {"calls": calls, "expected": options}


def main() -> None:
    """Record every case and write fixtures.json."""
    import torch

    fixtures = {
        "torch_version": torch.__version__,
        "cases": [_record_case(case) for case in all_cases()],
        "option_sequences": [_record_option_sequence(calls) for calls in OPTION_SEQUENCES],
    }
    FIXTURES.write_text(json.dumps(fixtures, indent=1, allow_nan=False) + "\n")
    print(f"wrote {len(fixtures['cases'])} cases to {FIXTURES}")


if __name__ == "__main__":
    main()
