"""Fuzzer failures in indexing (setitem, index_put, index_select/add/fill/copy, gather,
scatter, take_along_dim, searchsorted, masked_fill), each shrunk by hand to the few lines
that matter and run on dyngrad and torch (``m`` is the module).

Error tests assert the same exception class and, where torch's message is its own wording
(not an internal backend error), torch's key phrase; value tests compare values, shapes,
grad_fn names and gradients.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest

from fuzz.parity import both as _both
from fuzz.parity import close as _close
from fuzz.parity import grad_fn_name as _name
from fuzz.parity import leaf as _leaf
from fuzz.parity import same_error as _same_error

# --- setitem / index_put ----------------------------------------------------------------------


def _put_into_empty(value: Callable[[Any], Any], index: Callable[[Any], Any]) -> Any:
    def run(m: Any) -> Any:
        y = m.zeros(0, 5)
        y[index(m)] = value(m)
        return y

    return run


def test_setitem_at_an_index_into_an_empty_dim_is_an_index_error_first() -> None:
    # torch checks that the index reads a dim of size 0 before the value's shape and dtype
    phrase = "index is out of bounds for dimension with size 0"
    rows = lambda m: m.tensor([0, 1])  # noqa: E731
    _same_error(_put_into_empty(lambda m: m.zeros(3), rows), phrase)
    _same_error(_put_into_empty(lambda m: m.zeros(2, 2, 5), rows), phrase)
    _same_error(_put_into_empty(lambda m: m.ones(5, dtype=m.float16), rows), phrase)
    cols = lambda m: (slice(None), m.tensor([0, 1]))  # noqa: E731
    _same_error(lambda m: m.zeros(4, 0).__setitem__(cols(m), m.zeros(3)), phrase)
    # an index into a dim that is not empty keeps the shape error
    _same_error(lambda m: m.zeros(4, 0).__setitem__(m.tensor([0, 1]), m.zeros(3)), "shape")


def test_index_put_into_an_empty_dim_is_an_index_error_first() -> None:
    phrase = "index is out of bounds for dimension with size 0"
    pair = lambda m: (m.tensor([0, 1, 1]), m.tensor([4, 0, 0]))  # noqa: E731
    _same_error(lambda m: m.index_put(m.zeros(0, 5), pair(m), m.zeros(4), True), phrase)
    _same_error(lambda m: m.index_put(m.zeros(0, 5), (m.tensor([0]),), m.zeros(5).double()), phrase)


def test_inplace_indexing_methods_refuse_a_view_of_a_leaf_before_reading_the_index() -> None:
    phrase = "a view of a leaf Variable that requires grad"

    def case(method: str, *args: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def run(m: Any) -> Any:
            v = m.zeros(4, requires_grad=True)[0]  # 0-d: every index below is invalid for it
            return getattr(v, method)(*(a(m) for a in args))

        return run

    i, s = (lambda m: m.tensor([3])), (lambda m: m.zeros(3))
    _same_error(case("index_put_", lambda m: (m.tensor([0]),), lambda m: m.tensor(1.0)), phrase)
    _same_error(case("index_fill_", lambda m: 0, i, lambda m: 1.0), phrase)
    _same_error(case("index_add_", lambda m: 0, i, s), phrase)
    _same_error(case("index_copy_", lambda m: 0, i, s), phrase)
    _same_error(case("scatter_", lambda m: 0, i, s), phrase)
    _same_error(case("masked_fill_", lambda m: m.tensor([True, False]), lambda m: 1.0), phrase)
    _same_error(case("put_", i, s), phrase)


# --- index_fill / index_copy / index_add / index_select -------------------------------------


def test_index_fill_and_copy_into_an_empty_dim_with_elements_raise_a_runtime_error() -> None:
    # torch fails with an internal storage error ("setStorage: ..."): the same class here
    x = lambda m: m.zeros(0, 4)  # noqa: E731
    idx = lambda m: m.tensor([0, 1])  # noqa: E731
    _same_error(lambda m: x(m).index_fill(0, idx(m), 1.0))
    _same_error(lambda m: x(m).clone().index_fill_(0, idx(m), m.tensor(1.0)))
    _same_error(lambda m: x(m).index_copy(0, idx(m), m.ones(2, 4)))
    _same_error(lambda m: m.zeros(3, 0).index_fill(1, m.tensor([0]), 1.0))
    _same_error(lambda m: m.zeros(0).index_copy(0, m.tensor([0]), m.ones(1)))


def test_index_fill_copy_and_add_read_no_index_of_an_empty_tensor() -> None:
    cases = [
        lambda m: m.zeros(0, 4).index_fill(1, m.tensor([5]), 1.0),
        lambda m: m.zeros(0, 4).clone().index_fill_(1, m.tensor([5]), m.tensor(1.0)),
        lambda m: m.zeros(0, 4).index_copy(1, m.tensor([-1]), m.ones(0, 1)),
        lambda m: m.zeros(0, 0).index_copy(0, m.tensor([3]), m.ones(1, 0)),
        lambda m: m.zeros(3, 0).index_add(1, m.tensor([0, 0, 2]), m.ones(3, 3)),
        lambda m: m.zeros(0, 4).index_add(0, m.tensor([5], dtype=m.int32), m.ones(1, 4)),
    ]
    for case in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # (an empty tensor is not an expanded one)
            ours, theirs = _both(case)
        assert tuple(ours.shape) == tuple(theirs.shape)


def test_index_fill_checks_the_value_rank_before_the_dim() -> None:
    phrase = "index_fill_ only supports a 0-dimensional value tensor"
    _same_error(lambda m: m.zeros(3).index_fill(-2, m.tensor([1]), m.ones(1)), phrase)
    _same_error(lambda m: m.zeros(3, 4).index_fill(5, m.tensor([1]), m.ones(1)), phrase)


def test_index_add_out_of_range_wording_follows_torchs_kernels() -> None:
    src = lambda m, shape: m.ones(shape)  # noqa: E731
    # alpha != 1, or a middle dim: "index out of range in self" (IndexError)
    _same_error(
        lambda m: m.zeros(1, 4).index_add(0, m.tensor([2, 2]), src(m, (2, 4)), alpha=2.5),
        "index out of range in self",
    )
    _same_error(
        lambda m: m.zeros(2, 3, 4).index_add(1, m.tensor([7]), src(m, (2, 1, 4))),
        "index out of range in self",
    )
    # alpha 1 along the first or last dim: torch's other kernel (RuntimeError)
    _same_error(
        lambda m: m.zeros(2, 3, 4).index_add(2, m.tensor([7]), src(m, (2, 3, 1))),
        "index 7 is out of bounds for dimension 2 with size 4",
    )


def test_index_select_out_of_range_along_dim_1_or_of_an_empty_tensor_is_a_runtime_error() -> None:
    phrase = "INDICES element is out of DATA bounds, id=3 axis_dim=3"
    _same_error(lambda m: m.zeros(1, 3, 4).index_select(1, m.tensor([0, 3, 0, 1])), phrase)
    _same_error(lambda m: m.zeros(3, 0).index_select(0, m.tensor([3])), phrase)
    _same_error(lambda m: m.zeros(2, 3, 4).index_select(2, m.tensor([4])), "out of range")


def test_backward_of_index_add_checks_its_index_as_index_select_does() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, np.zeros((3, 0)))
        s = _leaf(m, np.ones((3, 1)))
        x.index_add(1, m.tensor([0]), s).sum().backward()

    _same_error(run, "index_select(): self indexing axis dim should be positive")


# --- gather / scatter / take_along_dim ------------------------------------------------------


def test_gather_and_scatter_take_an_empty_index_of_any_dtype() -> None:
    empty = lambda m: m.zeros(0, 2, dtype=m.float64)  # noqa: E731
    for case in (
        lambda m: m.gather(m.zeros(3, 4), 0, empty(m)),
        lambda m: m.zeros(3, 4).scatter(0, empty(m), m.ones(1, 2)),
        lambda m: m.zeros(3, 4).scatter_add(0, empty(m), m.ones(1, 2)),
        lambda m: m.zeros(3, 4).scatter_reduce(0, empty(m), m.ones(1, 2), "sum"),
    ):
        ours, theirs = _both(case)
        _close(ours, theirs)
    _same_error(lambda m: m.gather(m.zeros(3, 4), 0, m.zeros(1, 2)), "Expected dtype int32/int64")


def test_take_along_dim_wraps_indices_and_broadcasts_dims_of_size_one() -> None:
    def run(m: Any, values: Any, index: Any, dim: int) -> Any:
        x = _leaf(m, values)
        y = m.take_along_dim(x, m.tensor(index), dim=dim)
        (y * m.arange(float(y.numel())).reshape(y.shape)).sum().backward()
        return y, x.grad

    for values, index, dim in (
        (np.arange(4.0).reshape(1, 4), [[1], [2]], -2),  # x broadcast along dim
        (np.arange(3.0).reshape(3, 1), [[2, 1], [1, 3], [3, 1]], 1),
        (np.arange(12.0).reshape(3, 4), [[5], [-1], [9]], 1),  # i % 4
    ):
        (y_o, g_o), (y_t, g_t) = _both(partial(run, values=values, index=index, dim=dim))
        _close(y_o, y_t)
        _close(g_o, g_t)
        assert _name(y_o) == _name(y_t) == "GatherBackward0"
    _same_error(lambda m: m.take_along_dim(m.zeros(3, 0), m.tensor([[1], [0], [2]]), 1))


def test_take_along_dim_without_dim_flattens_as_a_view() -> None:
    phrase = "view size is not compatible with input tensor's size and stride"
    _same_error(lambda m: m.take_along_dim(m.zeros(2, 3).t(), m.tensor([0, 1, 4])), phrase)
    _same_error(lambda m: m.take_along_dim(m.zeros(2, 3), m.tensor([7])), "out of bounds")
    ours, theirs = _both(lambda m: m.take_along_dim(m.arange(6.0), m.tensor([5], dtype=m.int32)))
    _close(ours, theirs)


def test_scatter_reduce_backward_with_an_empty_index_gives_zero_source_gradient() -> None:
    def run(m: Any, reduce: str, src_shape: tuple[int, ...], idx_shape: tuple[int, ...]) -> Any:
        x = _leaf(m, np.arange(12.0).reshape(3, 4))
        s = _leaf(m, np.ones(src_shape))
        y = x.scatter_reduce(0, m.zeros(idx_shape, dtype=m.int64), s, reduce)
        return m.autograd.grad(y, (x, s), m.ones(3, 4))

    for reduce in ("sum", "mean", "amax", "amin", "prod"):
        for src_shape, idx_shape in (((4,), (0, 4)), ((), (0,))):
            (gx_o, gs_o), (gx_t, gs_t) = _both(
                partial(run, reduce=reduce, src_shape=src_shape, idx_shape=idx_shape)
            )
            _close(gx_o, gx_t)
            _close(gs_o, gs_t)
        # a source the empty index cannot be summed back to: torch's backward fails
        _same_error(partial(run, reduce=reduce, src_shape=(3,), idx_shape=(0,)))


# --- overlap between self and the written source ------------------------------------------------


def test_inplace_scatter_and_copies_refuse_a_source_sharing_self_memory() -> None:
    phrase = "some elements of the input tensor and the written-to tensor refer to a single"
    x = lambda m: m.tensor([1.0, 2.0, 3.0])  # noqa: E731
    empty = lambda m: m.zeros(2, 0, dtype=m.int64)  # noqa: E731
    perm = lambda m: m.tensor([2, 1, 0])  # noqa: E731
    cases = [
        lambda m, t: t.scatter_(0, empty(m), t),  # (even when nothing is written)
        lambda m, t: t.scatter_add_(0, m.tensor([0, 2]), t),
        lambda m, t: t.scatter_reduce_(0, m.tensor([0, 2]), t, "sum"),
        lambda m, t: t.index_copy_(0, perm(m), t),
        lambda m, t: t.index_add_(0, perm(m), t),
        lambda m, t: t.index_put_((perm(m),), t),
        lambda m, t: t.put_(perm(m), t),
    ]
    for case in cases:

        def run(m: Any, case: Callable[[Any, Any], Any] = case) -> Any:
            return case(m, x(m))

        _same_error(run, phrase)
    _same_error(lambda m: (lambda t: t.scatter_(0, m.tensor([[1]]), t.t()))(m.zeros(2, 3)), phrase)
    ours, theirs = _both(lambda m: (lambda t: t[:2].scatter_(0, m.tensor([1]), t[2:]))(m.zeros(4)))
    _close(ours, theirs)


def test_index_fill_inplace_takes_a_value_viewing_self() -> None:
    def run(m: Any) -> Any:
        x = m.tensor([1.0, 2.0, 3.0])
        return x.index_fill_(0, m.tensor([1]), x[0])

    ours, theirs = _both(run)
    _close(ours, theirs)


# --- masked_fill_ / searchsorted --------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Use of masked_fill_ on expanded tensors")
def test_masked_fill_inplace_with_a_mask_of_more_dims_is_torchs_shape_error() -> None:
    phrase = "doesn't match the broadcast shape"
    mask = lambda m, *s: m.zeros(*s, dtype=m.bool)  # noqa: E731
    _same_error(lambda m: m.zeros(0, 4).masked_fill_(mask(m, 2, 0, 4), 1.0), phrase)
    _same_error(lambda m: m.zeros(4).expand(3, 4).masked_fill_(mask(m, 2, 3, 4), 1.0), phrase)


def test_searchsorted_checks_the_sorter() -> None:
    seq = lambda m: m.tensor([3.0, 1.0, 2.0])  # noqa: E731
    val = lambda m: m.tensor([2.5])  # noqa: E731
    _same_error(
        lambda m: m.searchsorted(seq(m)[:1], val(m), sorter=m.tensor([1, 2, 0])),
        "boundary and sorter must have the same size",
    )
    _same_error(
        lambda m: m.searchsorted(seq(m), val(m), sorter=m.tensor([[1, 2, 0]])),
        "boundary and sorter must have the same size",
    )
    _same_error(
        lambda m: m.searchsorted(seq(m), val(m), sorter=m.tensor([1, 2, 0], dtype=m.int32)),
        "sorter must be a tensor of long dtype",
    )
    _same_error(
        lambda m: m.searchsorted(seq(m), val(m), sorter=m.tensor([1, 5, 0])),
        "sorter index out of range",
    )
    ours, theirs = _both(lambda m: m.searchsorted(seq(m), val(m), sorter=m.tensor([1, 2, 0])))
    assert ours.tolist() == theirs.tolist()


# --- writes through expanded tensors ----------------------------------------------------------


def test_setitem_through_a_reshaped_expanded_view_writes_a_row_without_repeats() -> None:
    def run(m: Any, value: Any) -> Any:
        x = m.arange(12.0).reshape(3, 4)
        x2 = x.expand(2, 3, 4).reshape(2, 12)  # a view with stride 0 in dim 0
        x2[0] = value(m)  # a row: each element once
        x2[1, 5] = -1.0
        return x

    for value in (lambda m: 2.0, lambda m: m.arange(12.0)):
        ours, theirs = _both(partial(run, value=value))
        _close(ours, theirs)
    x2 = lambda m: m.arange(12.0).reshape(3, 4).expand(2, 3, 4).reshape(2, 12)  # noqa: E731
    _same_error(lambda m: x2(m).__setitem__((slice(None), 0), 1.0), "more than one element")


def test_setitem_into_an_empty_expanded_tensor_writes_nothing() -> None:
    def run(m: Any) -> Any:
        z = m.zeros(2, 0)
        z3 = z.expand(2, 2, 0)
        z3[0] = 0.0
        z3[...] = 1.0
        z3[m.tensor([0, 1])] = 2.0
        return z, z._version

    (z_o, v_o), (z_t, v_t) = _both(run)
    assert tuple(z_o.shape) == tuple(z_t.shape)
    assert v_o == v_t


# --- found by the restricted campaigns ------------------------------------------------------


def test_index_copy_with_0d_operands_gives_the_source_its_own_shape_of_gradient() -> None:
    def run(m: Any, x: Any, s: Any) -> Any:
        src = _leaf(m, s)
        y = m.tensor(x).index_copy(0, m.tensor(0), src)
        y.sum().backward()
        return y, src.grad

    for x, s in ((-1.7, [1.7]), ([0.0, 0.0], 0.4)):  # a 0-d x, then a 0-d source
        (y_o, g_o), (y_t, g_t) = _both(partial(run, x=x, s=s))
        _close(y_o, y_t)
        _close(g_o, g_t)

    def two_into_0d(m: Any) -> Any:  # torch's backward selects 2 slices of a 0-d gradient
        src = _leaf(m, [1.2, 1.2])
        m.tensor(0.7).index_copy(0, m.tensor([0, 0]), src).backward()

    _same_error(two_into_0d, "Index to scalar can have only 1 value, got 2 value(s)")


def test_scatter_reduce_amax_of_0d_tensors_shares_the_gradient_between_ties() -> None:
    def run(m: Any, same: bool) -> Any:
        x = _leaf(m, -0.95, "float64")
        s = x if same else _leaf(m, -0.95, "float64")
        y = x.scatter_reduce(0, m.tensor(0), s, "amax", include_self=True)
        return m.autograd.grad(3 * y, (x,) if same else (x, s))

    for same in (True, False):
        ours, theirs = _both(partial(run, same=same))
        for a, b in zip(ours, theirs, strict=True):
            _close(a, b)


def test_scatter_reduce_prod_refuses_double_backward_where_src_zeros_meet() -> None:
    def grads(m: Any, src: list[float]) -> Any:
        x = _leaf(m, [2.0, 3.0], "float64")
        s = _leaf(m, src, "float64")
        y = x.scatter_reduce(0, m.tensor([0, 0, 1]), s, "prod")
        gx, gs = m.autograd.grad(y.sum(), (x, s), create_graph=True)
        return x, s, gx, gs

    def second(m: Any) -> Any:
        x, s, _, gs = grads(m, [0.0, 0.0, 5.0])
        return m.autograd.grad(gs.sum(), (x, s))

    _same_error(second, "Double backward is unsupported for src when >1 zeros")
    (_, _, gx_o, gs_o), (_, _, gx_t, gs_t) = _both(partial(grads, src=[0.0, 0.0, 5.0]))
    _close(gx_o, gx_t)
    _close(gs_o, gs_t)  # (the first gradient is right)
    assert _name(gs_o) == _name(gs_t) == "Error"

    def one_zero(m: Any) -> Any:  # a lone zero: differentiable again
        x, s, gx, gs = grads(m, [0.0, 1.5, 5.0])
        return m.autograd.grad((gs * m.arange(1.0, 4.0, dtype=m.float64)).sum(), (x, s))

    for a, b in zip(*_both(one_zero), strict=True):
        _close(a, b)


def test_none_index_gives_the_new_dim_torchs_stride() -> None:
    """torch unsqueezes as it meets a None: the new dim's stride is size * stride of the dim
    that follows it then (before that dim is sliced), or 1 at the end."""
    keys = [
        (None,),
        (None, None),
        (Ellipsis, None),
        (slice(None, None, 2), None),
        (None, slice(None, None, 2)),
        (None, 0),
        (1, None, slice(1, 3)),
        (None, Ellipsis, None, None),
    ]
    for transposed in (False, True):
        for key in keys:

            def run(m: Any, key: Any = key, transposed: bool = transposed) -> Any:
                base = np.arange(20.0).reshape(5, 4)
                x = m.tensor(base).t() if transposed else m.tensor(base.T.copy())
                y = x[key]
                return y.stride(), y.numpy().copy()

            (s_o, v_o), (s_t, v_t) = _both(run)
            assert s_o == s_t, (key, transposed)
            np.testing.assert_array_equal(v_o, v_t)
    assert _both(lambda m: m.tensor(3.0)[None, None].stride())[0] == (1, 1)


def test_index_put_counts_its_indices_before_the_overlap_check() -> None:
    """Too many index tensors is torch's IndexError even when the values are ``self``."""
    phrase = "too many indices for tensor of dimension"
    _same_error(lambda m: (lambda a: a.index_put_((m.tensor([0]),), a))(m.tensor(2.0)), phrase)
    _same_error(lambda m: (lambda a: a.index_put_((m.tensor([0]),) * 3, a))(m.zeros(2, 3)), phrase)
    # a mask is one index tensor here, whatever its rank: the overlap comes first
    _same_error(
        lambda m: (lambda a: a.index_put_((m.ones(3, 3, dtype=m.bool),), a))(m.zeros(3)),
        "refer to a single memory location",
    )


def test_index_put_argument_type_errors_come_before_the_leaf_check() -> None:
    def put(indices: Callable[[Any], Any], values: Callable[[Any, Any], Any]) -> Any:
        def run(m: Any) -> Any:
            a = m.zeros(3, requires_grad=True)
            return a.index_put_(indices(m), values(m, a))

        return run

    same = lambda m, a: a  # noqa: E731
    _same_error(put(lambda m: m.tensor([0]), same), "must be tuple of Tensors")
    _same_error(put(lambda m: (None,), same), "expected Tensor as element 0")
    _same_error(put(lambda m: (m.tensor([0]),), lambda m, a: 1.0), "must be Tensor")


def test_index_put_with_no_index_tensor_is_a_runtime_error() -> None:
    # (torch fails inside its kernel, with a message that differs by rank)
    _same_error(lambda m: m.index_put(m.zeros(3), (), m.tensor(1.0)))
    _same_error(lambda m: m.index_put(m.tensor(2.0), [], m.tensor(1.0), accumulate=True))
    _same_error(lambda m: m.zeros(2, 3).index_put_((), m.tensor(1.0)))


def test_topk_with_tied_values_reports_torchs_indices() -> None:
    """Among equal values torch's selection (``nth_element``, then a sort of the first k - 1)
    decides which indices come back and, unsorted, their order; the gradient through a tied
    topk follows those indices."""
    rows = [
        [1.0, 1.0, 1.0, 1.0],
        [2.0, 0.0, 1.0, 2.0, 2.0, 0.0, 1.0, 1.0],
        [0.0, 1.0, float("nan"), 0.0, 3.0, 0.0, 0.0, float("nan")],
        [3.0, 1.0, 3.0, 3.0, 2.0] * 5,
    ]
    for values in rows:
        x = np.array([values, values[::-1]])
        n = x.shape[1]
        for k in sorted({1, 2, n // 2, n - 1, n} - {0}):
            for largest in (True, False):
                for sorted_ in (True, False):

                    def run(
                        m: Any, x: Any = x, k: int = k, largest: bool = largest, s: bool = sorted_
                    ) -> Any:
                        return m.tensor(x).topk(k, largest=largest, sorted=s).indices.tolist()

                    ours, theirs = _both(run)
                    assert ours == theirs, (values, k, largest, sorted_)

    def grad(m: Any) -> Any:
        x = m.ones(3, 4, dtype=m.float64, requires_grad=True)
        values = x[:, 1:].topk(3, dim=-1, sorted=False).values
        (values * m.arange(9.0, dtype=m.float64).view(3, 3)).sum().backward()
        return x.grad.numpy()

    ours, theirs = _both(grad)
    np.testing.assert_array_equal(ours, theirs)


def test_scatter_reduce_extremes_with_a_zero_dim_index_differentiate_its_one_element() -> None:
    for reduce in ("amax", "amin"):
        for include_self in (True, False):

            def run(m: Any, reduce: str = reduce, include_self: bool = include_self) -> Any:
                x = m.tensor([1.0, 2.0, 2.0], dtype=m.float64, requires_grad=True)
                src = m.tensor([2.0, 0.5], dtype=m.float64, requires_grad=True)
                y = x.scatter_reduce(0, m.tensor(1), src, reduce=reduce, include_self=include_self)
                seed = m.tensor([1.0, 2.0, 3.0], dtype=m.float64)
                return [t.tolist() for t in (y, *m.autograd.grad(y, (x, src), seed))]

            ours, theirs = _both(run)
            assert ours == theirs, (reduce, include_self)

    def self_as_source(m: Any) -> Any:
        x = m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True)
        x.scatter_reduce(0, m.tensor(0), x, reduce="amin", include_self=False).sum().backward()
        return x.grad.tolist()

    ours, theirs = _both(self_as_source)
    assert ours == theirs
