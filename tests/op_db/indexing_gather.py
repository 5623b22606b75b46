"""Op table entries for gather/scatter/scatter_add/take_along_dim, index_select/index_add/
index_fill/index_copy and take/put (the mask ops are in ``indexing_mask.py``).

Index tensors that write (scatter, index_copy, put) are permutations where torch's result
would otherwise depend on which repeated write lands last; those that read or add repeat
indices on purpose (their gradients must accumulate).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr


def _perm_columns(rng: Any, n: int, cols: int, keep: int) -> np.ndarray:
    """(keep, cols) int64: in each column, ``keep`` distinct rows out of ``n``."""
    return np.stack([rng.permutation(n)[:keep] for _ in range(cols)], axis=1).astype(np.int64)


def _idx(rng: Any, high: int, shape: tuple[int, ...]) -> np.ndarray:
    return rng.integers(0, high, size=shape).astype(np.int64)


def _nc(rng: Any, shape: tuple[int, int], dt: Any) -> np.ndarray:
    return arr(rng, shape[::-1], dt).T


# --- gather / scatter -------------------------------------------------------------------------


def _gather_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), 0, _idx(rng, 3, (5, 4))), name="dim0-repeats"),
        Sample((arr(rng, (3, 4), dt), 1, _idx(rng, 4, (2, 3))), name="smaller-index"),
        Sample((_nc(rng, (3, 4), dt), -1, _idx(rng, 4, (3, 6))), name="non-contiguous-neg-dim"),
        Sample((arr(rng, (2, 3, 4), dt), 1, _idx(rng, 3, (2, 2, 4))), name="3d"),
        Sample((arr(rng, (), dt), 0, np.zeros((), np.int64)), name="0-d"),
        Sample((arr(rng, (), dt), 0, np.zeros(3, np.int64)), name="0-d-input-1d-index"),
        Sample((arr(rng, (4,), dt), 0, np.array(2)), name="1d-input-0d-index"),
        Sample((arr(rng, (3, 4), dt), 0, np.zeros((0, 4), np.int64)), name="empty-index"),
        Sample((arr(rng, (3, 4), dt), 1, np.array([[0], [1], [2]], np.int32)), name="int32"),
        # torch's errors
        Sample((arr(rng, (3, 4), dt), 0, np.array([[0, 5]])), name="out-of-range"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([[0, -1]])), name="negative"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([0, 1])), name="ndim-mismatch"),
        Sample((arr(rng, (3, 4), dt), 0, np.zeros((1, 5), np.int64)), name="index-too-large"),
        Sample((arr(rng, (3, 4), dt), 2, np.zeros((1, 2), np.int64)), name="bad-dim"),
        Sample((arr(rng, (3, 4), dt), 0, np.zeros((1, 2))), name="float-index"),
    ]


def _scatter_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample(
            (arr(rng, (3, 4), dt), 0, _perm_columns(rng, 3, 4, 2), arr(rng, (2, 4), dt)),
            name="dim0",
        ),
        Sample(
            (arr(rng, (4, 3), dt), 1, _perm_columns(rng, 3, 4, 2).T.copy(), arr(rng, (4, 2), dt)),
            name="dim1",
        ),
        Sample(
            (_nc(rng, (3, 4), dt), -2, _perm_columns(rng, 3, 2, 3), arr(rng, (3, 2), dt)),
            name="non-contiguous-smaller-index",
        ),
        Sample(
            (arr(rng, (3, 4), dt), 0, _perm_columns(rng, 3, 4, 2), arr(rng, (5, 5), dt)),
            grad=(True, False, False, False),
            name="larger-src",
        ),
        Sample((arr(rng, (), dt), 0, np.zeros((), np.int64), arr(rng, (), dt)), name="0-d"),
        Sample(
            (arr(rng, (3, 4), dt), 0, np.zeros((0, 4), np.int64), arr(rng, (0, 4), dt)),
            name="empty",
        ),
        Sample((arr(rng, (3, 4), dt), 0, np.array([[0, 7]]), arr(rng, (1, 2), dt)), name="oob"),
        Sample(
            (arr(rng, (3, 4), dt), 0, np.array([[0, 1]]), arr(rng, (1, 1), dt)),
            name="src-too-small",
        ),
        Sample(
            (arr(rng, (3, 4), dt), 0, np.array([[0, 1]]), arr(rng, (1, 2), "float16")),
            name="dtype-mismatch",
        ),
    ]


def _scatter_value_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), 0, _idx(rng, 3, (2, 4))), {"value": 2.5}, name="repeats-ok"),
        Sample((_nc(rng, (3, 4), dt), 1, _idx(rng, 4, (3, 2))), {"value": -1}, name="nc"),
        Sample((arr(rng, (), dt), 0, np.zeros((), np.int64)), {"value": 3.0}, name="0-d"),
        Sample((arr(rng, (3, 4), "int64"), 0, _idx(rng, 3, (2, 4))), {"value": 1.7}, name="int"),
    ]


def _scatter_add_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), 0, _idx(rng, 3, (5, 4)), arr(rng, (5, 4), dt)), name="dup"),
        Sample(
            (_nc(rng, (3, 4), dt), 1, _idx(rng, 4, (2, 6)), arr(rng, (2, 7), dt)),
            grad=(True, False, False, False),
            name="nc-larger-src",
        ),
        Sample((arr(rng, (), dt), 0, np.zeros((), np.int64), arr(rng, (), dt)), name="0-d"),
        Sample(
            (arr(rng, (3, 4), dt), 0, _idx(rng, 3, (2, 4)), arr(rng, (2, 4), "float16")),
            name="dtype-mismatch",
        ),
    ]


def _reduce_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample(
            (arr(rng, (3, 4), dt), _idx(rng, 3, (2, 4)), arr(rng, (2, 4), dt)),
            {"reduce": r},
            name=r,
        )
        for r in ("add", "multiply", "mean")
    ]


def _backward_of_scatter_reduce(m: Any, a: Any, idx: Any, src: Any) -> Any:
    m.scatter(a.clone(), 0, idx, src, reduce="add").sum().backward()
    return a.grad


def _scatter_reduce_samples(rng: Any, dt: Any) -> list[Sample]:
    """Every reduction with and without self; zeros for prod (one and several per slot)."""
    out = []
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            x, src = arr(rng, (3, 4), dt), arr(rng, (5, 4), dt)
            if reduce == "prod":
                x[0, 0] = src[1, 1] = src[2, 1] = 0
            out.append(
                Sample(
                    (x, 0, _idx(rng, 3, (5, 4)), src),
                    {"reduce": reduce, "include_self": include_self},
                    name=f"{reduce}-{include_self}",
                )
            )
    out += [
        Sample(
            (_nc(rng, (3, 4), dt), 1, _idx(rng, 4, (3, 2)), arr(rng, (3, 3), dt)),
            {"reduce": "sum"},
            grad=(True, False, False, False),
            name="nc-larger-src",
        ),
        Sample(
            (arr(rng, (), dt), 0, np.zeros((), np.int64), arr(rng, (), dt)),
            {"reduce": "prod"},
            name="0-d",
        ),
        Sample(
            (arr(rng, (3, 4), "int64"), 0, _idx(rng, 3, (2, 4)), arr(rng, (2, 4), "int64")),
            {"reduce": "mean"},
            name="int-mean-floors",
        ),
        Sample(
            (arr(rng, (3, 4), dt), 0, _idx(rng, 3, (2, 4)), arr(rng, (2, 4), dt)),
            {"reduce": "add"},
            name="bad-reduce",
        ),
        Sample(
            (arr(rng, (3, 4), dt), 0, _idx(rng, 3, (2, 4)), 1.0),
            {"reduce": "sum"},
            name="number-src",
        ),
        Sample(
            (arr(rng, (3, 4), dt), 0, np.array([[0, 9]]), arr(rng, (1, 2), dt)),
            {"reduce": "sum"},
            name="oob",
        ),
    ]
    return out


def _max_alias_samples(rng: Any, dt: Any) -> list[Sample]:
    """torch's forward also takes 'max'/'min' (its backward then raises)."""
    return [
        Sample(
            (arr(rng, (3, 4), dt), 0, _idx(rng, 3, (2, 4)), arr(rng, (2, 4), dt)),
            {"reduce": r},
            name=r,
        )
        for r in ("max", "min")
    ]


def _backward_of_max_alias(m: Any, a: Any, d: Any, i: Any, s: Any, **kw: Any) -> Any:
    m.scatter_reduce(a, d, i, s, **kw).sum().backward()
    return a.grad


def _scatter_reduce_ties(rng: Any, dt: Any) -> list[Sample]:
    """Equal values share the gradient of amax/amin (not differentiable: no gradcheck)."""
    x = np.array([[1.0, 2.0], [3.0, 0.0]], dt)
    src = np.array([[1.0, 2.0], [1.0, 0.5], [3.0, 2.0]], dt)
    idx = np.array([[0, 0], [0, 0], [1, 0]])
    return [
        Sample((x, 0, idx, src), {"reduce": r, "include_self": i}, name=f"{r}-{i}")
        for r in ("amax", "amin")
        for i in (True, False)
    ]


def _take_along_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), _idx(rng, 4, (3, 2))), {"dim": 1}, name="dim1"),
        Sample((arr(rng, (3, 1), dt), _idx(rng, 3, (2, 5))), {"dim": 0}, name="broadcast"),
        Sample((_nc(rng, (3, 4), dt), _idx(rng, 3, (2, 1))), {"dim": -2}, name="nc-broadcast"),
        Sample((arr(rng, (3, 4), dt), _idx(rng, 12, (5,))), {"dim": None}, name="flat"),
        Sample((arr(rng, (3, 4), dt), _idx(rng, 4, (3,))), {"dim": 1}, name="ndim-error"),
        Sample(
            (arr(rng, (3, 4), dt), _idx(rng, 4, (3, 1)).astype(np.int32)),
            {"dim": 1},
            name="int32-error",
        ),
    ]


GATHER_OPS = [
    OpInfo("gather", lambda m, a, d, i: m.gather(a, d, i), _gather_samples, ("GatherBackward0",)),
    OpInfo(
        "scatter",
        lambda m, a, d, i, s: m.scatter(a, d, i, s),
        _scatter_samples,
        ("ScatterBackward0",),
    ),
    OpInfo(
        "scatter_value",
        lambda m, a, d, i, value: m.scatter(a, d, i, value),
        _scatter_value_samples,
        ("ScatterBackward1",),
    ),
    OpInfo(
        "scatter_value_kw",
        lambda m, a, d, i, value: a.scatter(d, i, value=value),
        _scatter_value_samples,
        ("ScatterBackward1",),
    ),
    OpInfo(
        "scatter_",
        lambda m, a, d, i, s: a.clone().scatter_(d, i, s),
        _scatter_samples,
        ("ScatterBackward0",),
    ),
    OpInfo(
        "scatter_leaf_error",
        lambda m, a, d, i, s: a.scatter_(d, i, s),
        lambda rng, dt: _scatter_samples(rng, dt)[:1],
        forward_ad=False,  # (the leaf error needs an input that requires grad)
    ),
    OpInfo(
        "scatter_add",
        lambda m, a, d, i, s: m.scatter_add(a, d, i, s),
        _scatter_add_samples,
        ("ScatterAddBackward0",),
    ),
    OpInfo(
        "scatter_add_",
        lambda m, a, d, i, s: a.clone().scatter_add_(d, i, s),
        _scatter_add_samples,
        ("ScatterAddBackward0",),
    ),
    # reduce= has no derivative in torch: the node is named NotImplemented and backward raises
    OpInfo(
        "scatter_reduce_arg",
        lambda m, a, i, s, reduce: m.scatter(a.clone(), 0, i, s, reduce=reduce),
        _reduce_samples,
        ("NotImplemented",),
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "scatter_reduce_arg_backward",
        _backward_of_scatter_reduce,
        lambda rng, dt: [Sample(s.args, name=s.name) for s in _reduce_samples(rng, dt)[:1]],
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "scatter_reduce",
        lambda m, a, d, i, s, **kw: m.scatter_reduce(a, d, i, s, **kw),
        _scatter_reduce_samples,
        ("ScatterReduceBackward0",),
        grad_atol=1e-4,
    ),
    OpInfo(
        "scatter_reduce_",
        lambda m, a, d, i, s, **kw: a.clone().scatter_reduce_(d, i, s, **kw),
        lambda rng, dt: _scatter_reduce_samples(rng, dt)[:10],
        ("ScatterReduceBackward0",),
        grad_atol=1e-4,
    ),
    OpInfo(
        "scatter_reduce_max_alias",
        lambda m, a, d, i, s, **kw: m.scatter_reduce(a, d, i, s, **kw),
        _max_alias_samples,
        ("ScatterReduceBackward0",),
        grad=False,
        gradcheck=False,
        gradgrad=False,
        # (torch's backward raises for the aliases and its forward mode gives no tangent;
        # dyngrad's gives amax/amin's, checked by the entries above)
        forward_ad=False,
    ),
    OpInfo(
        "scatter_reduce_max_alias_backward",
        _backward_of_max_alias,
        _max_alias_samples,
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "scatter_reduce_ties",
        lambda m, a, d, i, s, **kw: a.scatter_reduce(d, i, s, **kw),
        _scatter_reduce_ties,
        ("ScatterReduceBackward0",),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "take_along_dim",
        lambda m, a, i, dim: m.take_along_dim(a, i, dim),
        _take_along_samples,
        ("GatherBackward0",),
    ),
]


# --- index_select / index_add / index_fill / index_copy ----------------------------------------


def _index_select_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), 1, np.array([0, 3, 0, 1])), name="repeats"),
        Sample((_nc(rng, (3, 4), dt), -2, np.array([2, 0], np.int32)), name="nc-int32"),
        Sample((arr(rng, (3, 4), dt), 0, np.array(1)), name="0-d-index"),
        Sample((arr(rng, (), dt), 0, np.array([0])), name="0-d-input"),
        Sample((arr(rng, (3, 4), dt), 0, np.zeros(0, np.int64)), name="empty"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([3])), name="oob"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([-1])), name="negative"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([[0]])), name="2d-index"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([0.0])), name="float-index"),
        Sample((arr(rng, (), dt), 0, np.array([0, 0])), name="0-d-two-values"),
    ]


def _index_add_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), 1, np.array([0, 0, 2]), arr(rng, (3, 3), dt)), name="dup"),
        Sample(
            (arr(rng, (3, 4), dt), 0, np.array([2, 2]), arr(rng, (2, 4), dt)),
            {"alpha": 2.5},
            name="alpha",
        ),
        Sample(
            (_nc(rng, (3, 4), dt), -1, np.array([1], np.int32), arr(rng, (3, 1), dt)),
            {"alpha": -1},
            name="nc-int32",
        ),
        Sample((arr(rng, (), dt), 0, np.array(0), arr(rng, (), dt)), name="0-d"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([0, 1]), arr(rng, (2, 3), dt)), name="shape-err"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([0, 7]), arr(rng, (2, 4), dt)), name="oob"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([0, 1, 2]), arr(rng, (2, 4), dt)), name="count"),
        Sample(
            (arr(rng, (3, 4), dt), 0, np.array([0, 1]), arr(rng, (2, 4), "float16")),
            name="dtype-mismatch",
        ),
    ]


def _index_fill_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), 1, np.array([0, 0, 2]), 2.5), name="dup"),
        Sample((_nc(rng, (3, 4), dt), 0, np.array([-1]), -1), name="nc-negative"),
        Sample((arr(rng, (), dt), 0, np.array(0), 7.0), name="0-d"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([3]), 1.0), name="oob"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([[0]]), 1.0), name="2d-index"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([0], np.int32), 1.0), name="int32-index"),
    ]


def _index_fill_tensor_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), 1, np.array([0, 0, 2]), arr(rng, (), dt)), name="dup"),
        # (no negative index here: torch's backward for a tensor value rejects them)
        Sample((_nc(rng, (3, 4), dt), -2, np.array([1, 3]), arr(rng, (), dt)), name="nc"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([1]), arr(rng, (1,), dt)), name="1d-value"),
    ]


def _index_copy_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), 1, np.array([3, 0]), arr(rng, (3, 2), dt)), name="dim1"),
        Sample((_nc(rng, (3, 4), dt), 0, np.array([2, 0, 1]), arr(rng, (3, 4), dt)), name="nc"),
        Sample((arr(rng, (), dt), 0, np.array(0), arr(rng, (), dt)), name="0-d"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([0, 1]), arr(rng, (3, 4), dt)), name="count"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([0, 7]), arr(rng, (2, 4), dt)), name="oob"),
        Sample((arr(rng, (3, 4), dt), 0, np.array([0, -1]), arr(rng, (2, 4), dt)), name="negative"),
        Sample(
            (arr(rng, (3, 4), dt), 0, np.array([0], np.int32), arr(rng, (1, 4), dt)),
            name="int32-index",
        ),
    ]


SELECT_OPS = [
    OpInfo(
        "index_select",
        lambda m, a, d, i: m.index_select(a, d, i),
        _index_select_samples,
        ("IndexSelectBackward0",),
    ),
    OpInfo(
        "index_add",
        lambda m, a, d, i, s, **kw: m.index_add(a, d, i, s, **kw),
        _index_add_samples,
        ("IndexAddBackward0",),
    ),
    OpInfo(
        "index_add_",
        lambda m, a, d, i, s, **kw: a.clone().index_add_(d, i, s, **kw),
        _index_add_samples,
        ("IndexAddBackward0",),
    ),
    OpInfo(
        "index_fill",
        lambda m, a, d, i, v: m.index_fill(a, d, i, v),
        _index_fill_samples,
        ("IndexFillBackward0",),
    ),
    OpInfo(
        "index_fill_tensor",
        lambda m, a, d, i, v: a.index_fill(d, i, v),
        _index_fill_tensor_samples,
        ("IndexFillBackward1",),
    ),
    OpInfo(
        "index_fill_",
        lambda m, a, d, i, v: a.clone().index_fill_(d, i, v),
        _index_fill_samples,
        ("IndexFillBackward0",),
    ),
    OpInfo(
        "index_copy",
        lambda m, a, d, i, s: m.index_copy(a, d, i, s),
        _index_copy_samples,
        ("IndexCopyBackward0",),
    ),
    OpInfo(
        "index_copy_",
        lambda m, a, d, i, s: a.clone().index_copy_(d, i, s),
        _index_copy_samples,
        ("IndexCopyBackward0",),
    ),
]


# --- take / put ---------------------------------------------------------------------------------


def _take_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), np.array([[0, 11], [5, 0]])), name="repeats"),
        Sample((_nc(rng, (3, 4), dt), np.array([1, -1, 4])), name="nc-negative"),
        Sample((arr(rng, (), dt), np.array(0)), name="0-d"),
        Sample((arr(rng, (3, 4), dt), np.zeros(0, np.int64)), name="empty-index"),
        Sample((arr(rng, (3, 4), dt), np.array([12])), name="oob"),
        Sample((arr(rng, (0,), dt), np.array([0])), name="empty-input"),
        Sample((arr(rng, (3, 4), dt), np.array([0], np.int32)), name="int32-index"),
    ]


def _put_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample(
            (arr(rng, (3, 4), dt), np.array([[0, 11], [5, 3]]), arr(rng, (4,), dt)), name="2d-idx"
        ),
        Sample(
            (_nc(rng, (3, 4), dt), np.array([1, -1, 4]), arr(rng, (3,), dt)), name="nc-negative"
        ),
        Sample((arr(rng, (), dt), np.array(0), arr(rng, (), dt)), name="0-d"),
        Sample((arr(rng, (3, 4), dt), np.array([12]), arr(rng, (1,), dt)), name="oob"),
        Sample((arr(rng, (3, 4), dt), np.array([1, 2]), arr(rng, (1,), dt)), name="count"),
        Sample((arr(rng, (3, 4), dt), np.array([1]), arr(rng, (1,), "float16")), name="dtype"),
    ]


def _put_acc_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), np.array([0, 0, 5, -12]), arr(rng, (2, 2), dt)), name="dup"),
        Sample((_nc(rng, (3, 4), dt), np.array([[1], [1]]), arr(rng, (2,), dt)), name="nc"),
    ]


TAKE_OPS = [
    OpInfo("take", lambda m, a, i: m.take(a, i), _take_samples, ("TakeBackward0",)),
    OpInfo("put", lambda m, a, i, s: a.put(i, s), _put_samples, ("PutBackward0",)),
    OpInfo("put_", lambda m, a, i, s: a.clone().put_(i, s), _put_samples, ("PutBackward0",)),
    OpInfo(
        "put_accumulate",
        lambda m, a, i, s: m.put(a, i, s, accumulate=True),
        _put_acc_samples,
        ("PutBackward0",),
    ),
]

OPS = GATHER_OPS + SELECT_OPS + TAKE_OPS
