"""Op table entries for sort, argsort, topk, kthvalue, unique, unique_consecutive,
searchsorted and bucketize.

Random floats have no ties, so indices are comparable with torch; ties appear only where the
order among equal elements is defined (stable sorts, unique), and those entries skip the
finite-difference checks (the values are not differentiable at a tie).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr

NAN = float("nan")
NO_DERIVATIVE = {"grad": False, "gradcheck": False, "gradgrad": False}
# unique: no forward-mode rule in torch either (both raise "Trying to use forward AD with
# _unique2 ..."; test_forward_ad.py compares the errors), so no jvp comparison
NO_FORWARD_DERIVATIVE = {**NO_DERIVATIVE, "forward_ad": False}


def _nc(rng: Any, shape: tuple[int, int], dt: Any) -> np.ndarray:
    return arr(rng, shape[::-1], dt).T


def _sort_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (5,), dt),), name="1d"),
        Sample((arr(rng, (3, 4), dt),), {"dim": 0}, name="dim0"),
        Sample((_nc(rng, (3, 4), dt),), {"dim": -1, "descending": True}, name="nc-desc"),
        Sample((arr(rng, (2, 3, 4), dt),), {"dim": 1, "descending": True}, name="3d"),
        Sample((arr(rng, (), dt),), name="0-d"),
        Sample((arr(rng, (0, 3), dt),), {"dim": 0}, name="empty"),
        Sample((arr(rng, (3, 4), "int64"),), {"dim": 1}, name="int"),
        Sample((arr(rng, (3, 4), dt),), {"dim": 2}, name="bad-dim"),
    ]


def _ties(rng: Any, dt: Any) -> list[Sample]:
    """Repeated values, NaN and infinities: stable order is defined, so indices must match."""
    row = np.array([1.0, NAN, -2.0, 1.0, float("inf"), -2.0, NAN, 1.0, float("-inf")], dt)
    return [
        Sample((row,), {"descending": False}, name="asc"),
        Sample((row,), {"descending": True}, name="desc"),
        Sample((np.stack([row, row[::-1]]).T.copy(),), {"dim": 0, "descending": True}, name="2d"),
        Sample((np.array([True, False, True, False]),), {"descending": True}, name="bool"),
    ]


def _topk_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (6,), dt), 3), name="1d"),
        Sample((arr(rng, (3, 4), dt), 2), {"dim": 0, "largest": False}, name="smallest"),
        Sample((_nc(rng, (3, 4), dt), 4), {"dim": -1}, name="nc-all"),
        Sample((arr(rng, (3, 4), dt), 0), name="k0"),
        Sample((arr(rng, (), dt), 1), name="0-d"),
        Sample((arr(rng, (2, 0), dt), 2), {"dim": 0}, name="empty"),
        Sample((arr(rng, (3, 4), "int64") * 10 + np.arange(4), 2), name="int"),
        Sample((arr(rng, (3, 4), dt), 5), name="k-too-big"),
        Sample((arr(rng, (3, 4), dt), -1), name="k-negative"),
    ]


def _kth_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (6,), dt), 3), name="1d"),
        Sample((arr(rng, (3, 4), dt), 2), {"dim": 0, "keepdim": True}, name="keepdim"),
        Sample((_nc(rng, (3, 4), dt), 4), {"dim": -1}, name="nc-last"),
        Sample((arr(rng, (), dt), 1), name="0-d"),
        Sample((arr(rng, (0, 3), dt), 1), {"dim": 1}, name="empty"),
        Sample((arr(rng, (3, 4), dt), 5), name="k-too-big"),
        Sample((arr(rng, (3, 4), dt), 0), name="k-zero"),
    ]


def _sorted_values(m: Any, r: Any) -> Any:
    """topk(sorted=False) promises only the set of values: compare them sorted."""
    return m.sort(r.values).values


ORDER_OPS = [
    OpInfo("sort", lambda m, a, **kw: m.sort(a, **kw), _sort_samples, ("SortBackward0",)),
    OpInfo(
        "sort_stable",
        lambda m, a, **kw: a.sort(stable=True, **kw),
        _sort_samples,
        ("SortBackward1",),
    ),
    OpInfo(
        "sort_ties_stable",
        lambda m, a, **kw: m.sort(a, stable=True, **kw),
        _ties,
        ("SortBackward1",),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "sort_fields",
        lambda m, a, **kw: (m.sort(a, **kw).values, m.sort(a, **kw).indices),
        _sort_samples,
        ("SortBackward0",),
    ),
    OpInfo("msort", lambda m, a, **kw: m.msort(a), _sort_samples, ("SortBackward0",)),
    OpInfo("argsort", lambda m, a, **kw: m.argsort(a, **kw), _sort_samples, **NO_DERIVATIVE),
    OpInfo(
        "argsort_stable_ties",
        lambda m, a, **kw: a.argsort(stable=True, **kw),
        _ties,
        **NO_DERIVATIVE,
    ),
    OpInfo("topk", lambda m, a, k, **kw: m.topk(a, k, **kw), _topk_samples, ("TopkBackward0",)),
    OpInfo(
        "topk_unsorted",
        lambda m, a, k, **kw: _sorted_values(m, a.topk(k, sorted=False, **kw)),
        _topk_samples,
        ("SortBackward0",),
    ),
    OpInfo(
        "kthvalue",
        lambda m, a, k, **kw: m.kthvalue(a, k, **kw),
        _kth_samples,
        ("KthvalueBackward0",),
    ),
]


# --- unique ---------------------------------------------------------------------------------


def _unique_samples(rng: Any, dt: Any) -> list[Sample]:
    small = np.round(arr(rng, (3, 4), dt))
    rows = np.array([[1, 2], [1, 2], [0, 5], [1, 2]], dt)
    return [
        Sample((small,), name="2d"),
        Sample((small,), {"return_inverse": True}, name="inverse"),
        Sample((small,), {"return_counts": True, "sorted": False}, name="counts"),
        Sample((small.T,), {"return_inverse": True, "return_counts": True}, name="nc-all"),
        Sample((rows,), {"dim": 0, "return_inverse": True, "return_counts": True}, name="dim0"),
        Sample((rows,), {"dim": -1, "return_counts": True}, name="dim-1"),
        Sample((np.array(3.0, dt),), {"return_inverse": True, "return_counts": True}, name="0-d"),
        Sample((np.zeros(0, dt),), {"return_inverse": True, "return_counts": True}, name="empty"),
        Sample((np.zeros((0, 3), dt),), {"dim": 0, "return_inverse": True}, name="empty-dim"),
        Sample((np.array([NAN, 1.0, NAN], dt),), {"return_counts": True}, name="nan"),
        Sample((np.array([3, 1, 3, 1]),), {"return_counts": True}, name="int"),
        Sample((np.array([True, False, True]),), name="bool"),
        Sample((np.array(3.0, dt),), {"dim": 0}, name="0-d-dim"),
        Sample((np.zeros((2, 0), dt),), {"dim": 0}, name="zero-size-other-dim"),
    ]


def _unique_consecutive_samples(rng: Any, dt: Any) -> list[Sample]:
    runs = np.array([1, 1, 2, 2, 3, 1, 1, 2], dt)
    rows = np.array([[1, 1], [1, 1], [2, 3], [1, 1]], dt)
    return [
        Sample((runs,), name="1d"),
        Sample((runs,), {"return_inverse": True, "return_counts": True}, name="all"),
        Sample((runs.reshape(2, 4),), {"return_inverse": True}, name="2d-flat"),
        Sample((rows,), {"dim": 0, "return_inverse": True, "return_counts": True}, name="dim0"),
        Sample((rows.T.copy(),), {"dim": 1, "return_counts": True}, name="dim1"),
        Sample((np.array(1.0, dt),), {"return_inverse": True, "return_counts": True}, name="0-d"),
        Sample((np.zeros(0, dt),), {"return_inverse": True, "return_counts": True}, name="empty"),
        Sample((np.array([NAN, NAN, 1.0], dt),), name="nan"),
    ]


def _unique_backward(m: Any, a: Any, **kw: Any) -> Any:
    out = m.unique(a, **kw)
    (out[0] if isinstance(out, tuple) else out).sum().backward()
    return a.grad


UNIQUE_OPS = [
    OpInfo(
        "unique",
        lambda m, a, **kw: m.unique(a, **kw),
        _unique_samples,
        ("Unique2Backward0", "UniqueDimBackward0"),
        **NO_FORWARD_DERIVATIVE,
    ),
    OpInfo(
        "unique_method",
        lambda m, a, **kw: a.unique(**kw),
        _unique_samples,
        **NO_FORWARD_DERIVATIVE,
    ),
    OpInfo(
        "unique_consecutive",
        lambda m, a, **kw: m.unique_consecutive(a, **kw),
        _unique_consecutive_samples,
        ("UniqueConsecutiveBackward0",),
        **NO_FORWARD_DERIVATIVE,
    ),
    # torch has no derivative for unique: backward raises NotImplementedError
    OpInfo(
        "unique_backward_raises",
        _unique_backward,
        lambda rng, dt: [s for s in _unique_samples(rng, dt) if s.name in ("2d", "dim0")],
        **NO_DERIVATIVE,
    ),
]


# --- searchsorted / bucketize -----------------------------------------------------------------


def _search_samples(rng: Any, dt: Any) -> list[Sample]:
    seq = np.sort(arr(rng, (6,), dt))
    seq2 = np.sort(arr(rng, (2, 5), dt), axis=1)
    with_ties = np.array([1.0, 2.0, 2.0, 3.0], dt)
    return [
        Sample((seq, arr(rng, (3, 4), dt)), name="1d-seq"),
        Sample((with_ties, np.array([2.0, 0.0, 5.0], dt)), {"right": True}, name="right"),
        Sample((with_ties, np.array([2.0, 0.0, 5.0], dt)), {"side": "right"}, name="side-right"),
        Sample((with_ties, np.array([2.0, 0.0, 5.0], dt)), {"side": "left"}, name="side-left"),
        Sample((seq2, arr(rng, (2, 3), dt)), name="nd"),
        Sample((seq, 0.25), name="scalar"),
        Sample((seq, arr(rng, (4,), dt)), {"out_int32": True}, name="int32"),
        Sample((np.array([1, 2, 3]), np.array([2.5, 0.5])), name="int-seq"),
        Sample(
            (
                np.array([3.0, 1.0, 2.0], dt),
                np.array([2.5], dt),
            ),
            {"sorter": np.array([1, 2, 0])},
            name="sorter",
        ),
        Sample((seq, np.zeros(0, dt)), name="empty"),
        Sample((with_ties, np.array([2.0], dt)), {"side": "left", "right": True}, name="conflict"),
        Sample((seq2, arr(rng, (3,), dt)), name="nd-mismatch"),
    ]


def _searchsorted(m: Any, seq: Any, x: Any, **kw: Any) -> Any:
    if "sorter" in kw:
        kw["sorter"] = m.tensor(kw["sorter"])
    return m.searchsorted(seq, x, **kw)


def _bucketize_samples(rng: Any, dt: Any) -> list[Sample]:
    bounds = np.array([-1.0, 0.0, 0.0, 1.5], dt)
    return [
        Sample((arr(rng, (3, 4), dt), bounds), name="2d"),
        Sample((np.array([0.0, -1.0, 2.0], dt), bounds), {"right": True}, name="right"),
        Sample((np.array([0.0, 7.0], dt), bounds), {"out_int32": True}, name="int32"),
        Sample((0.0, bounds), name="scalar"),
        Sample((arr(rng, (3,), dt), np.stack([bounds, bounds])), name="2d-boundaries"),
    ]


SEARCH_OPS = [
    OpInfo("searchsorted", _searchsorted, _search_samples, **NO_DERIVATIVE),
    OpInfo(
        "bucketize",
        lambda m, x, b, **kw: m.bucketize(x, b, **kw),
        _bucketize_samples,
        **NO_DERIVATIVE,
    ),
]

OPS = ORDER_OPS + UNIQUE_OPS + SEARCH_OPS
