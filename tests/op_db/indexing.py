"""Op table entries for indexing: ``x[idx]`` (every index kind and their combinations, with
torch's node names and errors), ``x[idx] = v`` (CopySlices, IndexPutBackward0, whole-tensor
copies and fills; the gradients of both the tensor written into and the value), index_put,
fill_ and zero_.

The gather/scatter/index_*/take/put ops are in ``indexing_gather.py``, the mask ops in
``indexing_mask.py``, the order-based ones (sort, topk, unique, searchsorted...) in
``indexing_sort.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import OpInfo, Sample, arr
from .indexing_gather import OPS as GATHER_OPS
from .indexing_mask import OPS as MASK_OPS
from .indexing_sort import OPS as SORT_OPS

MASK4 = [True, False, True, True]
MASK45 = np.array(
    [[True, False, True, False, True], [False] * 5, [True] * 5, [False, True] * 2 + [False]]
)


def _x(*shapes: tuple[int, ...]) -> Callable[..., list[Sample]]:
    """One float input per shape; 2-d shapes also as a transposed (non-contiguous) array."""

    def samples(rng: Any, dt: Any) -> list[Sample]:
        out = []
        for s in shapes:
            out.append(Sample((arr(rng, s, dt),), name=str(s)))
            if len(s) == 2:
                out.append(Sample((arr(rng, s[::-1], dt).T,), name=f"{s}-non-contiguous"))
        return out

    return samples


def _getitem(
    name: str, index: Callable[[Any], Any], node: str, *shapes: tuple[int, ...], **kw: Any
) -> OpInfo:
    return OpInfo(
        f"getitem_{name}",
        lambda m, a: a[index(m)],
        _x(*(shapes or ((4, 5),))),
        (node,) if node else (),
        **kw,
    )


S = slice
SEL, SLI, UNSQ, ALIAS, IDX = (
    "SelectBackward0",
    "SliceBackward0",
    "UnsqueezeBackward0",
    "AliasBackward0",
    "IndexBackward0",
)

GETITEM_OPS = [
    _getitem("int", lambda m: 1, SEL),
    _getitem("neg_int", lambda m: (S(None), -2), SEL),
    _getitem("int_int", lambda m: (1, 2), SEL, (4, 5), (2, 3, 4)),
    _getitem("slice", lambda m: S(1, 3), SLI, (4, 5), (4,)),
    _getitem("slice_step", lambda m: (S(None), S(None, None, 2)), SLI),
    _getitem("slice_step3_start", lambda m: S(1, None, 3), SLI, (4, 5), (7,)),
    _getitem("slice_neg_start", lambda m: S(-3, None), SLI),
    _getitem("slice_empty", lambda m: S(2, 2), SLI),
    _getitem("slice_past_end", lambda m: S(2, 100), SLI),
    _getitem("lone_full_slice", lambda m: S(None), SLI),
    _getitem("tuple_full_slices", lambda m: (S(None), S(0, 5)), ALIAS),
    _getitem("ellipsis", lambda m: Ellipsis, ALIAS, (4, 5), ()),
    _getitem("empty_tuple", lambda m: (), ALIAS, (4, 5), ()),
    _getitem("ellipsis_int", lambda m: (Ellipsis, 1), SEL, (4, 5), (2, 3, 4)),
    _getitem("int_ellipsis_int", lambda m: (1, Ellipsis, 2), SEL, (2, 3, 4)),
    _getitem("none", lambda m: None, UNSQ, (4, 5), ()),
    _getitem("none_then_int", lambda m: (None, 1), SEL),
    _getitem("int_then_none", lambda m: (1, None), UNSQ),
    _getitem("ellipsis_none", lambda m: (Ellipsis, None), UNSQ, (4, 5), ()),
    _getitem("list_repeated", lambda m: [0, 2, 0], IDX, (4, 5), (4,)),
    _getitem("tensor_repeated", lambda m: m.tensor([0, 2, 0, 0]), IDX, (4, 5), (4,)),
    _getitem("int32_tensor", lambda m: m.tensor([3, 1], dtype=m.int32), IDX),
    _getitem("neg_tensor", lambda m: m.tensor([-1, -4]), IDX),
    _getitem("tensor_2d", lambda m: m.tensor([[0, 1], [1, 3]]), IDX, (4, 5), (4,)),
    _getitem("empty_list", lambda m: [], IDX, (4, 5), (0, 5)),
    _getitem("float_list_truncates", lambda m: [0.5, 2.7, -1.2], IDX),
    _getitem("zero_dim_int_tensor", lambda m: m.tensor(1), SEL),
    _getitem("zero_dim_tensor_then_slice", lambda m: (m.tensor(1), S(1, 3)), SLI),
    _getitem("mask", lambda m: m.tensor(MASK4), IDX),
    _getitem("mask_list", lambda m: MASK4, IDX),
    _getitem("uint8_mask", lambda m: m.tensor([1, 0, 1, 1], dtype=m.uint8), IDX),
    _getitem("mask_2d", lambda m: m.tensor(MASK45), IDX),
    _getitem("mask_all_false", lambda m: m.tensor([False] * 4), IDX),
    _getitem("true", lambda m: True, IDX, (4, 5), ()),
    _getitem("false", lambda m: False, IDX, (4, 5), ()),
    _getitem("zero_dim_bool_tensor", lambda m: m.tensor(True), IDX, (4, 5), ()),
    _getitem("int_and_list", lambda m: (1, [0, 2, 2]), IDX),
    _getitem("slice_and_list", lambda m: (S(1, 3), [0, 2, 0]), IDX),
    _getitem("list_and_list", lambda m: ([0, 1, 1], [0, 2, 2]), IDX),
    _getitem("broadcast_indices", lambda m: (m.tensor([[0], [3]]), m.tensor([0, 2, 4])), IDX),
    _getitem("mask_then_int", lambda m: (m.tensor(MASK4), 1), IDX),
    _getitem("list_seq_as_tuple", lambda m: [[0, 1], [2, 3]], IDX),
    # an int is applied first (a select), so the slice dim stays in front here ...
    _getitem("int_slice_list_3d", lambda m: (1, S(None), [0, 2]), IDX, (4, 5, 6)),
    # ... while separated index tensors move their dims to the front, as in NumPy
    _getitem("separated_lists_3d", lambda m: ([0, 1], S(None), [0, 2]), IDX, (4, 5, 6)),
    _getitem(
        "tensor_none_tensor", lambda m: (m.tensor([0, 1]), None, m.tensor([1, 2])), IDX, (4, 5, 6)
    ),
    _getitem("ellipsis_tensor", lambda m: (Ellipsis, m.tensor([0, 2, 2])), IDX, (4, 5, 6)),
    _getitem("true_slice_tensor", lambda m: (True, S(None), m.tensor([0, 1])), IDX, (4, 5, 6)),
    _getitem("empty_input_column", lambda m: (S(None), 1), SEL, (0, 5)),
    _getitem("empty_index_tensor", lambda m: m.tensor([], dtype=m.int64), IDX, (0, 5), (3, 2)),
    # torch's errors
    _getitem("out_of_range", lambda m: 5, ""),
    _getitem("out_of_range_neg", lambda m: -5, ""),
    _getitem("out_of_range_second_dim", lambda m: (1, 7), ""),
    _getitem("too_many_indices", lambda m: (1, 1, 1), ""),
    _getitem("tensor_out_of_range", lambda m: m.tensor([0, 5]), ""),
    _getitem("negative_step", lambda m: S(None, None, -1), ""),
    _getitem("zero_step", lambda m: (S(None), S(None, None, 0)), ""),
    _getitem("float_index", lambda m: 1.5, ""),
    _getitem("float_tensor_index", lambda m: m.tensor([0.0]), ""),
    _getitem("int16_tensor_index", lambda m: m.tensor([0], dtype=m.int16), ""),
    _getitem("mask_wrong_shape", lambda m: m.tensor([True, False]), ""),
    _getitem("indices_do_not_broadcast", lambda m: (m.tensor([0, 1]), m.tensor([0, 1, 2])), ""),
    _getitem("int_on_zero_dim", lambda m: 0, "", ()),
    _getitem("slice_on_zero_dim", lambda m: S(None), "", ()),
]


# --- setitem ----------------------------------------------------------------------------------


def _setitem(
    index: Callable[..., Any], value: Any = None, base: str = "clone", version: bool = False
) -> Callable[..., Any]:
    """``y[index] = v`` on a copy of the input (``base='zeros'``: on a fresh tensor that does
    not require grad); the value is the second input or ``value``. With ``version`` the
    version counter comes back too."""

    def op(m: Any, a: Any, *vals: Any) -> Any:
        y = a.clone() if base == "clone" else m.zeros(tuple(a.shape), dtype=a.dtype)
        y[index(m, y)] = vals[0] if vals else value
        if version:
            return y, m.tensor(y._version)  # (an int: no tangent to compare)
        return y

    return op


def _xv(x_shape: tuple[int, ...], *v_shapes: tuple[int, ...]) -> Callable[..., list[Sample]]:
    def samples(rng: Any, dt: Any) -> list[Sample]:
        out = []
        for v in v_shapes:
            out.append(Sample((arr(rng, x_shape, dt), arr(rng, v, dt)), name=f"v{v}"))
        if len(x_shape) == 2:
            out.append(
                Sample(
                    (arr(rng, x_shape[::-1], dt).T, arr(rng, v_shapes[0], dt)),
                    name="non-contiguous",
                )
            )
        return out

    return samples


def _set(
    name: str,
    index: Callable[..., Any],
    samples: Callable[..., list[Sample]],
    nodes: tuple[str, ...],
    **kw: Any,
) -> OpInfo:
    value = kw.pop("value", None)
    base = kw.pop("base", "clone")
    version = kw.pop("version", False)
    return OpInfo(f"setitem_{name}", _setitem(index, value, base, version), samples, nodes, **kw)


def _view_of_leaf_write(m: Any, a: Any) -> Any:
    a[0][1] = 1.0
    return a


def _leaf_write(m: Any, a: Any) -> Any:
    a[0] = 1.0
    return a


def _write_twice(m: Any, a: Any, v: Any, w: Any) -> Any:
    """The brief's example: y = x.clone(); y[0] = v; y[:, 1] = w."""
    y = a.clone()
    y[0] = v
    y[:, 1] = w
    return y


def _write_through_view(m: Any, a: Any, v: Any) -> Any:
    """Writes into views of a copy: the copy's history must take them in (CopySlices)."""
    y = a.clone()
    y[0][1:3] = v
    z = y[:, 1]
    z[m.tensor([0, 2])] = 5.0
    return y, z


def _write_other_dtype_advanced(m: Any, a: Any) -> Any:
    y = a.clone()
    y[m.tensor([0, 1])] = m.ones(5, dtype=m.float16)  # torch: index_put needs equal dtypes
    return y


def _write_other_dtype_basic(m: Any, a: Any, v: Any) -> Any:
    y = a.clone()
    y[1] = v.double() if a.dtype == m.float32 else v.float()  # a copy converts
    y[m.tensor([True, False, True, False])] = m.tensor(2, dtype=m.int64)  # so does a mask fill
    return y


def _write_into_no_grad_view(m: Any, a: Any) -> Any:
    with m.no_grad():
        z = a[0]
    z[1] = 5.0
    return z


def _write_list_value(m: Any, a: Any) -> Any:
    y = a.clone()
    y[0] = [1.0, 2.0]
    return y


def _write_into_int(m: Any, a: Any) -> Any:
    y = m.zeros(3, dtype=m.int64)
    y[0] = 2.7
    y[m.tensor([1, 2])] = -1.9
    return y


def _write_overlapping(m: Any, a: Any) -> Any:
    # (contiguous: for other layouts torch skips the check and smears the copy, in memory
    # order; the fuzzer passes transposed inputs too)
    y = a.contiguous().clone()
    y[1:] = y[:-1]  # torch refuses: the result would depend on the copy order
    return y


def _write_disjoint_self(m: Any, a: Any) -> Any:
    y = a.clone()
    y[:2] = y[2:]
    y[...] = y
    return y


CS, IP = ("CopySlices",), ("IndexPutBackward0",)

SETITEM_OPS = [
    _set("int", lambda m, y: 0, _xv((4, 5), (5,), (1,), ()), CS, version=True),
    _set("int_scalar", lambda m, y: 0, _x((4, 5)), CS, value=2.5),
    _set("column", lambda m, y: (S(None), 1), _xv((4, 5), (4,)), CS),
    _set("slice_broadcast", lambda m, y: S(1, 3), _xv((4, 5), (1, 5), (2, 1), (5,)), CS),
    _set("leading_ones_value", lambda m, y: 1, _xv((4, 5), (1, 1, 5)), CS),
    _set("tensor_index", lambda m, y: m.tensor([0, 2]), _xv((4, 5), (2, 5), (5,), ()), IP),
    _set("mask_scalar", lambda m, y: m.tensor(MASK4), _x((4, 5)), IP, value=0.0),
    _set("data_mask", lambda m, y: y > 0, _xv((4, 5), ()), IP),
    _set("mask_values", lambda m, y: m.tensor(MASK45), _xv((4, 5), (9,)), IP),
    _set("ellipsis_tensor", lambda m, y: Ellipsis, _xv((4, 5), (5,), (4, 1)), ("CopyBackwards",)),
    _set("ellipsis_scalar", lambda m, y: Ellipsis, _x((4, 5)), ("FillBackward3",), value=1.5),
    _set("full_slice_zero_dim", lambda m, y: S(None), _xv((4, 5), ()), ("FillBackward3",)),
    _set("zero_dim_self", lambda m, y: Ellipsis, _xv((), ()), ("CopyBackwards",)),
    _set(
        "mixed_basic_advanced",
        lambda m, y: (S(1, 3), m.tensor([0, 2])),
        _xv((4, 5), (2, 2), ()),
        CS,
    ),
    _set("none", lambda m, y: None, _xv((4, 5), (4, 5), (5,)), CS),
    _set("true", lambda m, y: True, _xv((4, 5), (5,)), CS),
    _set("false_writes_nothing", lambda m, y: False, _xv((4, 5), (5,)), ("CloneBackward0",)),
    _set("zero_dim_int_tensor_index", lambda m, y: m.tensor(1), _xv((4, 5), (5,)), CS),
    _set("into_tensor_without_grad", lambda m, y: 0, _xv((4, 5), (5,)), CS, base="zeros"),
    OpInfo(
        "setitem_twice",
        _write_twice,
        lambda rng, dt: [Sample((arr(rng, (4, 5), dt), arr(rng, (5,), dt), arr(rng, (4,), dt)))],
        CS,
    ),
    OpInfo(
        "setitem_through_views",
        _write_through_view,
        lambda rng, dt: [Sample((arr(rng, (4, 5), dt), arr(rng, (2,), dt)))],
        CS,
    ),
    # (no finite-difference check: the value goes through a lower precision on the way)
    OpInfo(
        "setitem_converts_value",
        _write_other_dtype_basic,
        lambda rng, dt: [Sample((arr(rng, (4, 5), dt), arr(rng, (5,), dt)))],
        CS,
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo("setitem_int_tensor_truncates", _write_into_int, _x(()), grad=False),
    OpInfo("setitem_disjoint_self_copy", _write_disjoint_self, _x((4, 5), (4,)), CS),
    # (only contiguous inputs: for other layouts torch skips the check and smears the copy)
    OpInfo(
        "setitem_partial_overlap",
        _write_overlapping,
        lambda rng, dt: [Sample((arr(rng, s, dt),), name=str(s)) for s in ((4, 5), (4,))],
    ),
    # torch's errors (those needing an input that requires grad: no forward-mode comparison,
    # whose reverse-mode half would raise them; test_forward_ad.py writes into dual tensors)
    OpInfo("setitem_leaf", _leaf_write, _x((4, 5)), forward_ad=False),
    OpInfo("setitem_view_of_leaf", _view_of_leaf_write, _x((4, 5)), forward_ad=False),
    OpInfo("setitem_list_value", _write_list_value, _x((4, 5))),
    OpInfo("setitem_other_dtype_advanced", _write_other_dtype_advanced, _x((4, 5))),
    # (contiguous only: the harness makes non-contiguous leaves with detach() of a view, which
    # dyngrad still treats as a view of the original, unlike torch)
    OpInfo(
        "setitem_no_grad_view",
        _write_into_no_grad_view,
        lambda rng, dt: [Sample((arr(rng, (4, 5), dt),))],
        forward_ad=False,
    ),
    _set("bad_value_shape", lambda m, y: 0, _xv((4, 5), (3,), (2, 1, 5)), ()),
    _set("bad_value_shape_index", lambda m, y: m.tensor([0, 1]), _xv((4, 5), (3,), (2, 2, 5)), ()),
    _set("out_of_range", lambda m, y: 7, _x((4, 5)), (), value=1.0),
    _set("tensor_out_of_range", lambda m, y: m.tensor([7]), _x((4, 5)), (), value=1.0),
    _set(
        "uint8_mask_scalar",
        lambda m, y: m.tensor([1, 0, 1, 1], dtype=m.uint8),
        _x((4, 5)),
        (),
        value=1.0,
    ),
]


# --- index_put, fill_, zero_ -----------------------------------------------------------------


def _index_put_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (4, 5), dt), arr(rng, (3, 5), dt)), {"accumulate": False}, name="rows"),
        Sample((arr(rng, (4, 5), dt), arr(rng, (3, 5), dt)), {"accumulate": True}, name="acc"),
        Sample((arr(rng, (4, 5), dt), arr(rng, (5,), dt)), {"accumulate": True}, name="bcast"),
        Sample((arr(rng, (5, 4), dt).T, arr(rng, (), dt)), {"accumulate": True}, name="nc"),
    ]


def _fill(m: Any, a: Any, *v: Any) -> Any:
    y = a.clone()
    return y.fill_(v[0] if v else -1.5)


def _zero(m: Any, a: Any) -> Any:
    return a.clone().zero_()


INDEX_PUT_OPS = [
    # repeated rows: written once (last wins is not at stake: equal rows get equal gradients)
    OpInfo(
        "index_put",
        lambda m, a, v, accumulate: m.index_put(
            a, (m.tensor([0, 2, 2]) if accumulate else m.tensor([0, 2, 3]),), v, accumulate
        ),
        _index_put_samples,
        IP,
    ),
    OpInfo(
        "index_put_two_indices",
        lambda m, a, v: m.index_put(
            a, (m.tensor([0, 1, 1]), m.tensor([4, 0, 0])), v, accumulate=True
        ),
        lambda rng, dt: [Sample((arr(rng, (4, 5), dt), arr(rng, (3,), dt)))],
        IP,
    ),
    OpInfo(
        "index_put_mask",
        lambda m, a, v: a.index_put((a > 0,), v),
        lambda rng, dt: [Sample((arr(rng, (4, 5), dt), arr(rng, (), dt)))],
        IP,
    ),
    OpInfo(
        "index_put_",
        lambda m, a, v: a.clone().index_put_((m.tensor([1, 1]),), v, accumulate=True),
        lambda rng, dt: [Sample((arr(rng, (4, 5), dt), arr(rng, (2, 5), dt)))],
        IP,
    ),
    OpInfo(
        "index_put_errors",
        lambda m, a, v, k: [
            lambda: m.index_put(a, (m.tensor([0]),), 1.0),
            lambda: m.index_put(a, (None, m.tensor([0])), v),
            lambda: m.index_put(a, m.tensor([0]), v),
            lambda: m.index_put(
                a, (m.tensor([0]),), v.double() if a.dtype == m.float32 else v.float()
            ),
            lambda: m.index_put(a, (m.tensor([0, 1]),), m.ones(3, dtype=a.dtype)),
            lambda: a.index_put_((m.tensor([0]),), v),
        ][k](),
        lambda rng, dt: [
            Sample((arr(rng, (4, 5), dt), arr(rng, (), dt), k), name=str(k)) for k in range(6)
        ],
        forward_ad=False,  # (sample 5: the leaf error)
    ),
    OpInfo("fill_", _fill, _x((4, 5), (), (0, 3)), ("FillBackward2",)),
    OpInfo(
        "fill_tensor",
        _fill,
        lambda rng, dt: [
            Sample((arr(rng, (4, 5), dt), arr(rng, (), dt))),
            Sample((arr(rng, (), dt), arr(rng, (), dt))),
        ],
        ("FillBackward3",),
    ),
    OpInfo(
        "fill_errors",
        lambda m, a, k: [lambda: a.fill_(1.0), lambda: a.clone().fill_(a[0])][k](),
        lambda rng, dt: [Sample((arr(rng, (4, 5), dt), k), name=str(k)) for k in range(2)],
        forward_ad=False,  # (sample 0: the leaf error)
    ),
    OpInfo("zero_", _zero, _x((4, 5), ()), ("ZeroBackward0",)),
]

OPS = GETITEM_OPS + SETITEM_OPS + INDEX_PUT_OPS + GATHER_OPS + MASK_OPS + SORT_OPS
