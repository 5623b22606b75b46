"""Every failure the differential fuzzer found, as a plain test (shrunk by hand to the few
lines that matter); all of them pass. The two torch limitations listed in ``known.py`` have
tests here too, checking that torch raises and that dyngrad gives torch's answer for the
program rewritten the way torch accepts. Newer failures live beside this file, by area
(``test_regressions_<area>.py``).

Each test runs the same lines on dyngrad and torch (``m`` is the module) and compares.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad
from fuzz.parity import both as _both
from fuzz.parity import close as _close
from fuzz.parity import grad_fn_name as _name
from fuzz.parity import leaf as _leaf
from fuzz.parity import np_of as _np
from fuzz.parity import same_error as _same_error
from fuzz.parity import torch

# --- in-place changes through views (fixed in the tensor core: CopySlices) ------------------


def test_inplace_through_a_slice_changes_the_base_gradient() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, np.arange(12.0).reshape(3, 4))
        y = x * 2
        v = y[1:]
        v.mul_(3)
        names = (_name(v), _name(y))
        (y * y).sum().backward()
        return names, x.grad

    (n_o, g_o), (n_t, g_t) = _both(run)
    assert n_o == n_t == ("AsStridedBackward0", "CopySlices")
    _close(g_o, g_t)


def test_inplace_through_a_transpose_and_a_stale_sibling_view() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, np.linspace(-1, 1, 12).reshape(3, 4))
        y = x * 1
        row = y[0]  # made before the change: stale afterwards
        y.t().add_(x.t().detach().clone() * 5)
        y.t()[1].exp_()  # saves its output (a view)
        names = (_name(row), _name(y))
        loss = (row * row).sum() + y.pow(2).sum()
        loss.backward()
        return names, x.grad

    (n_o, g_o), (n_t, g_t) = _both(run)
    assert n_o == n_t
    _close(g_o, g_t, rtol=1e-5)


def test_inplace_through_an_expanded_slice_writes_each_element_once() -> None:
    """A slice of an expanded tensor that picks each element once is writable in torch."""

    def run(m: Any) -> Any:
        x = m.arange(5.0)
        s = x.expand(2, 5)[1::2]
        s.sigmoid_()
        return x

    ours, theirs = _both(run)
    _close(ours, theirs)
    _same_error(lambda m: m.arange(5.0).expand(2, 5).add_(1))


def test_inplace_on_an_empty_expanded_tensor_is_a_no_op() -> None:
    ours, theirs = _both(lambda m: m.ones(0, 1).expand(2, 0, 3).exp_())
    assert tuple(ours.shape) == tuple(theirs.shape) == (2, 0, 3)


def test_double_backward_through_copyslices_with_a_saved_view_output() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, np.arange(12.0).reshape(3, 4) / 10)
        y = x * 1
        y[0].mul_(x[1])
        y[1:].exp_()
        (g,) = m.autograd.grad((y**2).sum(), x, create_graph=True)
        g.sum().backward()
        return g, x.grad

    (g_o, gg_o), (g_t, gg_t) = _both(run)
    _close(g_o, g_t, rtol=1e-5)
    _close(gg_o, gg_t, rtol=1e-5)


@pytest.mark.parametrize(
    "case",
    [
        lambda m: _leaf(m, [1.0, 2.0, 3.0])[0].add_(1),  # a view of a leaf
        lambda m: m.arange(6.0).reshape(2, 3).requires_grad_().add_(1),  # a leaf that is a view
        lambda m: (_leaf(m, [[1.0, 2.0], [3.0, 4.0]]) * 1).unbind(0)[0].mul_(2),  # multi-output
        lambda m: _no_grad_view(m).add_(1),  # a view made under no_grad
        lambda m: _no_grad_view(m).backward(m.ones(4)),  # no accumulator for it
        lambda m: _stale_no_grad_view(m).grad_fn,
        lambda m: _stale_unbind_output(m).grad_fn,
        lambda m: m.zeros(3, 4)[:2].copy_(_leaf(m, [1.0, 2.0, 3.0, 4.0])) if False else
        _no_grad_view_of(m, m.zeros(3, 4)).copy_(_leaf(m, [1.0, 2.0, 3.0, 4.0])),
    ],
    ids=["view-of-leaf", "leaf-view", "unbind-output", "no-grad-view", "no-grad-view-root",
         "stale-no-grad-view", "stale-unbind-output", "no-grad-view-copy"],
)  # fmt: skip
def test_inplace_on_views_refused_as_torch_refuses(case: Callable[[Any], Any]) -> None:
    _same_error(case)


def _no_grad_view(m: Any) -> Any:
    x = _leaf(m, [1.0, 2.0, 3.0, 4.0])
    return _no_grad_view_of(m, x)


def _no_grad_view_of(m: Any, x: Any) -> Any:
    with m.no_grad():
        return x[:4] if x.ndim == 1 else x[0]


def _stale_no_grad_view(m: Any) -> Any:
    y = _leaf(m, [1.0, 2.0, 3.0]) * 1
    with m.no_grad():
        v = y[:2]
    y.mul_(2)
    return v


def _stale_unbind_output(m: Any) -> Any:
    y = _leaf(m, [[1.0, 2.0], [3.0, 4.0]]) * 1
    u = y.unbind(0)
    with m.no_grad():
        u[0].mul_(2)
    return u[1]


def test_a_view_made_under_no_grad_requires_grad_with_no_grad_fn() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, [1.0, 2.0, 3.0])
        with m.no_grad():
            v = x.view(-1)
            w = m.arange(3.0).view(-1)  # its base does not require grad
        y = v * 2
        return (v.requires_grad, v.is_leaf, v.grad_fn, w.requires_grad, y.requires_grad,
                y.grad_fn.next_functions[0][0])  # fmt: skip

    assert run(dyngrad) == run(torch) == (True, True, None, False, True, None)


def test_a_leaf_view_of_a_base_without_grad_stays_a_leaf_after_a_change() -> None:
    def run(m: Any) -> Any:
        x = m.arange(6.0).reshape(2, 3).requires_grad_()
        with m.no_grad():
            x.view(-1).add_(1)
        return x.is_leaf, x.grad_fn, x.requires_grad

    assert run(dyngrad) == run(torch) == (True, None, True)


# --- copy_ (was missing) --------------------------------------------------------------------


def test_copy_broadcasts_converts_and_records_copybackwards() -> None:
    def run(m: Any) -> Any:
        src = _leaf(m, [1.5, -2.5, 3.5])
        y = m.zeros(2, 3, dtype=m.float64)
        y.copy_(src)
        ints = m.zeros(3, dtype=m.int64).copy_(m.tensor([1.7, -2.5, 3.2]))
        y.sum().backward()
        return _name(y), y.dtype, _np(y), _np(ints), src.grad

    o, t = _both(run)
    assert o[0] == t[0] == "CopyBackwards"
    assert str(o[1]) == str(t[1])
    np.testing.assert_array_equal(o[2], t[2])
    np.testing.assert_array_equal(o[3], t[3])
    _close(o[4], t[4])


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.zeros(3).copy_([1, 2, 3]),
        lambda m: m.zeros(3, 3).copy_(m.ones(3, 4)),
        lambda m: m.zeros(3, 3).copy_(m.ones(2, 3, 3)),
        lambda m: (lambda x: x[1:].copy_(x[:-1]))(m.arange(4.0)),
        lambda m: (lambda x: x.copy_(x.t()))(m.ones(3, 3)),
        lambda m: _leaf(m, [1.0]).copy_(m.ones(1)),
    ],
    ids=["list", "sizes", "broadcast-up", "partial-overlap", "transposed-self", "leaf"],
)
def test_copy_refuses_what_torch_refuses(case: Callable[[Any], Any]) -> None:
    _same_error(case)


# --- other in-place fixes -------------------------------------------------------------------


def test_inplace_partial_overlap_is_refused_and_full_overlap_allowed() -> None:
    _same_error(lambda m: (lambda x: x[1:].sub_(x[:-1]))(m.arange(6.0)))
    _same_error(lambda m: (lambda x: x.mul_(x.t()))(m.ones(3, 3)))
    ours, theirs = _both(lambda m: (lambda x: x.add_(x))(m.arange(4.0)))
    _close(ours, theirs)


def test_inplace_comparison_records_when_only_the_other_operand_requires_grad() -> None:
    def run(m: Any) -> Any:
        y = m.zeros(3)
        y.eq_(_leaf(m, [0.0, 1.0, 0.0]))
        return _name(y), y.requires_grad

    assert run(dyngrad) == run(torch) == ("EqBackward1", True)


def test_saving_only_what_the_needed_gradients_use() -> None:
    """torch saves an input only for the gradients that need it: changing the others in
    place afterwards is no error, and a node that kept nothing can run twice."""

    def run(m: Any) -> Any:
        x = _leaf(m, [1.0, 2.0, 3.0])
        c = m.tensor([2.0, 3.0, 4.0])
        h = x * 1
        y = h * c  # h is needed only for c's gradient: not saved
        h.relu_()
        d = m.tensor([2.0, 3.0, 4.0])
        z = m.fmod(x, d)  # nothing saved: d does not require grad
        d.add_(1)
        (y.sum() + z.sum()).backward()
        z.sum().backward()  # FmodBackward1 kept nothing: it may run again
        return x.grad

    _close(*_both(run))


def test_division_gradient_does_not_overflow_through_b_squared() -> None:
    def run(m: Any) -> Any:
        a = _leaf(m, [2.0, 1e-45, 1.0])
        b = _leaf(m, [1e20, 1e-45, 3.0])
        (a / b).sum().backward()
        return b.grad

    ours, theirs = _both(run)
    np.testing.assert_array_equal(_np(ours), _np(theirs))


# --- shape family: argument checks in torch's order ---------------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.tensor(1.0).unflatten(1, (5, -1)),
        lambda m: m.tensor(1.0).unflatten(0, (1,)),
        lambda m: m.stack([m.tensor(1.0), m.zeros(3, 4)], dim=3),
        lambda m: m.repeat_interleave(m.tensor(0)),
        lambda m: m.repeat_interleave(m.tensor([[2]])),
        lambda m: m.ones(2, 3).transpose(0.5, 1),
        lambda m: m.arange(6.0).reshape(2, 3).expand(3, 2),
        lambda m: m.where(True, m.ones(2), m.ones(2)),
        lambda m: m.add(m.ones(2), "a"),
        lambda m: m.exp([1.0]),
    ],
    ids=["unflatten-0d-dim", "unflatten-0d", "stack-dim-first", "repeat-interleave-0d",
         "repeat-interleave-2d", "transpose-float-dim", "expand-last-dim", "where-bool",
         "add-str", "exp-list"],
)  # fmt: skip
def test_errors_match_torch_in_class_and_message(case: Callable[[Any], Any]) -> None:
    message = _same_error(case)
    theirs, ours = message.split(" | ")
    assert theirs.split("\n")[0] == ours.split("\n")[0] or "invalid combination" in theirs


def test_tensor_where_method_takes_torchs_argument_order() -> None:
    ours, theirs = _both(lambda m: m.ones(2).where(m.tensor([True, False]), 5.0))
    _close(ours, theirs)


# --- found in other families: routed to their owners ------------------------------------------


def _setitem(y: Any, key: Any, value: Any) -> Any:
    y[key] = value
    return y


@pytest.mark.parametrize(
    "make",
    [
        lambda m, x: x[[0, 1, 2], [1, 2, 3]],
        lambda m, x: x[x.detach() > 0],
        lambda m, x: x[1:, m.tensor([0, 2])],
        lambda m, x: _setitem(x * 1, (slice(0, 2),), 5.0),
        lambda m, x: _setitem(x * 1, ([0, 1],), 5.0),
        lambda m, x: (x * 1).index_put((m.tensor([0, 3]),), m.ones(5)),
        lambda m, x: x.gather(1, m.tensor([[0], [1], [2], [3]])),
        lambda m, x: x.masked_fill(m.tensor([True, False, True, False, True]), 0.0),
    ],
    ids=["list-pair", "mask", "slice-tensor", "setitem-slice", "setitem-list", "index-put",
         "gather", "masked-fill"],
)  # fmt: skip
def test_second_backward_through_advanced_indexing_raises(make: Callable[..., Any]) -> None:
    """The keys and indices are saved as torch saves tensors: freed by the first backward."""

    def run(m: Any) -> None:
        x = _leaf(m, np.arange(20.0).reshape(4, 5) - 6)
        y = make(m, x).sum()
        y.backward()
        y.backward()

    _same_error(run)


def test_backward_through_a_basic_index_runs_twice() -> None:
    """A basic index saves no tensor (torch's SelectBackward0/SliceBackward0): no error."""

    def run(m: Any) -> Any:
        x = _leaf(m, np.ones((3, 4)))
        y = x[1, 1:3].sum()
        y.backward()
        y.backward()
        return x.grad

    _close(*_both(run))


def _same_outcome(fn: Callable[[Any], Any]) -> None:
    """Both modules succeed with the same values, or raise the same exception class."""
    try:
        theirs = fn(torch)
    except Exception as exc:  # noqa: BLE001 - torch's own error is the expectation
        with pytest.raises(type(exc)):
            fn(dyngrad)
        return
    ours = fn(dyngrad)
    if isinstance(theirs, torch.Tensor):
        _close(ours, theirs)
    else:
        assert ours == theirs


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.zeros(3, 4).scatter(1, m.zeros(0, dtype=m.int64), 1.0),
        lambda m: m.zeros(3, 4).scatter(1, m.zeros(0, dtype=m.int64), m.ones(3)),
        lambda m: m.zeros(3, 4).scatter(0, m.zeros(0, 7, dtype=m.int64) + 9, 1.0),
        lambda m: m.zeros(3, 4).scatter_add(1, m.zeros(0, 1, 1, dtype=m.int64), m.ones(3)),
        lambda m: m.zeros(3, 4).scatter_reduce(1, m.zeros(0, dtype=m.int64), m.ones(3), "sum"),
        lambda m: m.zeros(3, 4).gather(1, m.zeros(0, 5, dtype=m.int64)),
        lambda m: m.zeros(3, 4).scatter(1, m.zeros(0, dtype=m.int64), m.ones(3, dtype=m.float64)),
        lambda m: m.zeros(3, 4).gather(5, m.zeros(0, dtype=m.int64)),
    ],
    ids=["scatter-number", "scatter-src", "scatter-too-big", "scatter-add-3d",
         "scatter-reduce", "gather", "scatter-src-dtype", "gather-bad-dim"],
)  # fmt: skip
def test_indexing_errors_on_shapes_without_a_sample(case: Callable[[Any], Any]) -> None:
    """An empty index is checked for nothing but its dtype (and the dim): nothing is written."""
    _same_outcome(case)


@pytest.mark.parametrize("case", ["mv-0d", "vecdot-dtypes"])
def test_linalg_errors_on_shapes_without_a_sample(case: str) -> None:
    if case == "mv-0d":
        _same_outcome(lambda m: m.mv(m.tensor(1.0), m.ones(3)))
    else:
        _same_outcome(lambda m: m.linalg.vecdot(m.ones(3), m.ones(3, dtype=m.float64)))


@pytest.mark.parametrize("case", ["cumsum-dim-first", "logsumexp-empty-dims"])
def test_reduction_errors_on_shapes_without_a_sample(case: str) -> None:
    if case == "cumsum-dim-first":
        _same_outcome(lambda m: m.ones(4, requires_grad=True).cumsum(1, dtype=m.int32))
    else:
        _same_outcome(lambda m: m.logsumexp(m.ones(2, 0), dim=()))


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.ones(4, requires_grad=True).sum(3, dtype=m.int32),
        lambda m: m.ones(4, requires_grad=True).prod(3, dtype=m.int32),
        lambda m: m.ones(4, requires_grad=True).cumprod(1, dtype=m.int32),
        lambda m: m.ones(4).cumsum(1, dtype=m.bool),
        lambda m: m.ones(4, requires_grad=True).cumsum(0.5, dtype=m.int32),
        lambda m: m.logsumexp(m.ones(2, 3), dim=(), keepdim=True),
        lambda m: m.logsumexp(m.ones(2, 3), dim=()),
        lambda m: m.logsumexp(m.ones(2, 0, dtype=m.int64), dim=[]),
        lambda m: m.ones(2, 3).sum(dim=1.5),
        lambda m: m.ones(2, 3).sum(dim=[1.5]),
        lambda m: m.ones(2, 3).sum(dim=True),
        lambda m: m.ones(2, 3).mean(dim="a"),
        lambda m: m.ones(2, 3).any(dim=1.5),
        lambda m: m.ones(2, 3).var(dim=(0.5,)),
        lambda m: m.ones(2, 3).sum(dim=m.tensor(1)),
    ],
    ids=["sum-dim-first", "prod-dim-first", "cumprod-dim-first", "cumsum-bool-dim-first",
         "cumsum-float-dim", "logsumexp-all-keepdim", "logsumexp-all", "logsumexp-empty-int",
         "sum-float-dim", "sum-float-in-list", "sum-bool-dim", "mean-str-dim", "any-float-dim",
         "var-float-in-tuple", "sum-tensor-dim"],
)  # fmt: skip
def test_reduction_argument_checks_in_torchs_order(case: Callable[[Any], Any]) -> None:
    _same_outcome(case)


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.nn.functional.rms_norm(m.ones(4), (3, 4)),
        lambda m: m.nn.functional.rms_norm(m.tensor(1.0), (1,)),
        lambda m: m.nn.functional.rms_norm(m.ones(4), (3, 4), weight=m.ones(2)),
        lambda m: m.nn.functional.rms_norm(m.ones(2, 4), (3, 4)),
        lambda m: m.nn.functional.rms_norm(m.ones(2, 4), (2, 4)),
    ],
    ids=["rank-too-small", "0-d", "weight-first", "sizes", "fits"],
)
def test_nn_errors_on_shapes_without_a_sample(case: Callable[[Any], Any]) -> None:
    """rms_norm checks the weight, then the rank (ValueError), then the trailing sizes."""
    _same_outcome(case)


_POOLING = {
    "avg_pool2d": lambda F, x: F.avg_pool2d(x, 2),
    "avg_pool1d": lambda F, x: F.avg_pool1d(x[0], 2),
    "adaptive_avg_pool2d": lambda F, x: F.adaptive_avg_pool2d(x, 3),
    "adaptive_avg_pool1d": lambda F, x: F.adaptive_avg_pool1d(x[0], 3),
    "interpolate-area": lambda F, x: F.interpolate(x, size=3, mode="area"),
    "pad-reflect": lambda F, x: F.pad(x, (1, 1), mode="reflect"),
    "pad-replicate": lambda F, x: F.pad(x, (1, 2, 0, 1), mode="replicate"),
    "max_pool2d": lambda F, x: F.max_pool2d(x, 2),
    "max_pool1d": lambda F, x: F.max_pool1d(x[0], 2),
    "adaptive_max_pool2d": lambda F, x: F.adaptive_max_pool2d(x, 3),
    "nll_loss": lambda F, x: F.nll_loss(x.reshape(4, 4), x.new_tensor([0, 3, 1, 1]).long()),
}


@pytest.mark.parametrize("op", sorted(_POOLING))
def test_second_backward_through_pooling_raises(op: str) -> None:
    """torch saves these ops' input: the first backward frees it."""

    def run(m: Any) -> None:
        x = _leaf(m, np.arange(16.0).reshape(1, 1, 4, 4) % 7)
        y = _POOLING[op](m.nn.functional, x).sum()
        y.backward()
        y.backward()

    _same_error(run)


@pytest.mark.parametrize("op", sorted(_POOLING))
def test_changing_a_pooling_input_in_place_is_caught(op: str) -> None:
    def run(m: Any) -> None:
        x = _leaf(m, np.arange(16.0).reshape(1, 1, 4, 4) % 7)
        h = x * 1
        y = _POOLING[op](m.nn.functional, h).sum()
        h.add_(1)
        y.backward()

    _same_error(run)


@pytest.mark.parametrize("op", ["max", "min", "median"])
def test_second_backward_through_a_reduction_with_dim_raises(op: str) -> None:
    def run(m: Any) -> None:
        x = _leaf(m, np.arange(12.0).reshape(3, 4))
        y = getattr(x, op)(1)[0].sum()
        y.backward()
        y.backward()

    _same_error(run)


@pytest.mark.parametrize("op", ["max", "min", "median"])
def test_second_backward_through_a_0d_reduction_with_dim_raises(op: str) -> None:
    def run(m: Any) -> None:
        y = getattr(_leaf(m, 2.5), op)(0)[0] * 1
        y.backward()
        y.backward()

    _same_error(run)


@pytest.mark.parametrize("op", ["max", "min", "median"])
def test_changing_the_indices_of_a_reduction_with_dim_is_caught(op: str) -> None:
    def run(m: Any) -> None:
        values, indices = getattr(_leaf(m, np.arange(12.0).reshape(3, 4) % 5), op)(1)
        indices.add_(0)
        values.sum().backward()

    message = _same_error(run)
    theirs, ours = message.split(" | ")
    assert theirs.split(" Hint")[0] == ours.split(" Hint")[0]


def test_changing_the_std_of_std_mean_in_place_is_caught() -> None:
    def run(m: Any) -> None:
        std, mean = m.std_mean(_leaf(m, [[1.0, 2.0, 3.0], [4.0, 5.0, 2.0]]) * 1, 1)
        std.add_(1)
        (std.sum() + mean.sum()).backward()

    message = _same_error(run)
    theirs, ours = message.split(" | ")
    assert theirs.split(" Hint")[0] == ours.split(" Hint")[0]


def _index(m: Any) -> Any:
    return m.tensor([2, 0, 1])


def _mask(m: Any) -> Any:
    return m.tensor([True, False, True])


_SAVED_INDEX_CASES: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {
    "sort": lambda m, x: x.sort(),
    "topk": lambda m, x: x.topk(2),
    "kthvalue": lambda m, x: x.kthvalue(2),
    "gather": lambda m, x: (lambda i: (x.gather(0, i), i))(_index(m)),
    "scatter": lambda m, x: (lambda i: (m.zeros(3).scatter(0, i, x), i))(_index(m)),
    "scatter-add": lambda m, x: (lambda i: (m.zeros(3).scatter_add(0, i, x), i))(_index(m)),
    "scatter-reduce": lambda m, x: (lambda i: (x.scatter_reduce(0, i, x, "amax"), i))(_index(m)),
    "index-select": lambda m, x: (lambda i: (x.index_select(0, i), i))(_index(m)),
    "index-add": lambda m, x: (lambda i: (m.zeros(3).index_add(0, i, x), i))(_index(m)),
    "index-copy": lambda m, x: (lambda i: (m.zeros(3).index_copy(0, i, x), i))(_index(m)),
    "index-fill": lambda m, x: (lambda i: (x.index_fill(0, i[:1], 0.0), i))(_index(m)),
    "take": lambda m, x: (lambda i: (x.take(i), i))(_index(m)),
    "put": lambda m, x: (lambda i: (m.zeros(3).put(i, x), i))(_index(m)),
    "getitem": lambda m, x: (lambda i: (x[i], i))(_index(m)),
    "getitem-mask": lambda m, x: (lambda k: (x[k], k))(_mask(m)),
    "setitem": lambda m, x: (lambda i: (_setitem(m.zeros(3), i, x), i))(_index(m)),
    "index-put": lambda m, x: (lambda i: (m.zeros(3).index_put((i,), x), i))(_index(m)),
    "masked-fill": lambda m, x: (lambda k: (x.masked_fill(k, 0.0), k))(_mask(m)),
    "masked-select": lambda m, x: (lambda k: (x.masked_select(k), k))(_mask(m)),
    "masked-scatter": lambda m, x: (lambda k: (m.zeros(3).masked_scatter(k, x), k))(_mask(m)),
    "max-pool-indices": lambda m, x: m.nn.functional.max_pool1d(
        x.reshape(1, 3), 2, return_indices=True
    ),
    "nll-loss-target": lambda m, x: (lambda t: (m.nn.functional.nll_loss(x.reshape(1, 3), t), t))(
        m.tensor([1])
    ),
    "embedding-indices": lambda m, x: (
        lambda i: (m.nn.functional.embedding(i, x.reshape(3, 1)), i)
    )(_index(m)),
    "batch-norm-eval-running-mean": lambda m, x: (
        lambda r: (m.nn.functional.batch_norm(x.reshape(3, 1), r, m.ones(1), training=False), r)
    )(m.zeros(1)),
}


@pytest.mark.parametrize("op", sorted(_SAVED_INDEX_CASES))
def test_changing_saved_indices_in_place_is_caught(op: str) -> None:
    """Indices and masks a backward reads are version-checked as torch's saved tensors."""

    def run(m: Any) -> str:
        x = _leaf(m, [3.0, 1.0, 2.0]) * 1
        out, index = _SAVED_INDEX_CASES[op](m, x)
        if index.dtype == m.bool:
            index.logical_not_()
        else:
            index.mul_(1)
        out.sum().backward()
        return "no error"

    message = _same_error(run)
    theirs, ours = message.split(" | ")
    assert theirs.split(" Hint:")[0] == ours.split(" Hint:")[0]


def test_matmul_of_a_vector_and_a_matrix_is_not_a_view() -> None:
    def run(m: Any) -> Any:
        y = m.ones(3) @ _leaf(m, np.ones((3, 3)))
        y.add_(1)
        return _name(y), y._base is None

    assert run(dyngrad) == run(torch)


def test_slogdet_sign_only_gradient_is_none() -> None:
    def run(m: Any) -> Any:
        a = _leaf(m, [[2.0, 0.5], [0.3, 1.0]])
        sign, _ = m.linalg.slogdet(a)
        sign.backward()
        return a.grad

    assert run(dyngrad) is None and run(torch) is None


def test_fill_of_an_expanded_tensor_is_allowed() -> None:
    def run(m: Any) -> Any:
        base = m.ones(1, 4)
        e = base.expand(3, 4)
        e.fill_(2.0)
        e[0] = 5.0
        e[1, 2] = m.tensor(7.0)
        return base

    ours, theirs = _both(run)
    _close(ours, theirs)

    def zero(m: Any) -> Any:
        base = m.ones(2, 1)
        base.expand(2, 3).zero_()
        return base

    _close(*_both(zero))

    def recorded(m: Any) -> Any:
        x = _leaf(m, [[1.0, 2.0, 3.0, 4.0]])
        e = (x * 1).expand(3, 4)
        e[0] = 2.0
        (e * x).sum().backward()
        return x.grad

    _close(*_both(recorded))


@pytest.mark.parametrize(
    "write",
    [
        lambda e: e.__setitem__((slice(None), 0), 5.0),  # a column: its elements share memory
        lambda e: e.__setitem__(slice(1, None), 3.0),
        lambda e: e.fill_(e.new_tensor(3.0)),
        lambda e: e.add_(1),
    ],
    ids=["column", "rows", "fill-tensor", "add"],
)
def test_writes_into_overlapping_memory_of_an_expanded_tensor_are_refused(
    write: Callable[[Any], Any],
) -> None:
    _same_error(lambda m: write(m.ones(1, 4).expand(3, 4)))


_DEPRECATED_EXPANDED_WRITES: dict[str, Callable[[Any, Any], Any]] = {
    "setitem-pairs": lambda m, e: e.__setitem__((m.tensor([0, 2]), m.tensor([1, 3])), 9.0),
    "setitem-rows": lambda m, e: e.__setitem__(m.tensor([0]), 7.0),
    "setitem-order": lambda m, e: e.__setitem__(
        (m.tensor([2, 0]), m.tensor([1, 1])), m.tensor([7.0, 8.0])),
    "setitem-slice-and-index": lambda m, e: e.__setitem__((slice(0, 2), m.tensor([1])), 9.0),
    "setitem-mask-scalar": lambda m, e: e.__setitem__(e > 1, 7.0),
    "setitem-mask-0d": lambda m, e: e.__setitem__(e > 1, m.tensor(7.0)),
    "setitem-row-mask": lambda m, e: e.__setitem__(
        m.tensor([True, False, True]), m.tensor([1.0, 2.0, 3.0, 4.0])),
    "setitem-out-of-range": lambda m, e: e.__setitem__(m.tensor([5]), 1.0),
    "masked-fill": lambda m, e: e.masked_fill_(m.tensor([True, False, False, True]), 5.0),
    "masked-fill-diagonal": lambda m, e: e.masked_fill_(m.eye(3, 4).bool(), 5.0),
    "masked-fill-none": lambda m, e: e.masked_fill_(m.zeros(4, dtype=m.bool), 5.0),
    "masked-fill-tensor": lambda m, e: e.masked_fill_(m.tensor([True, False, False, True]),
                                                      m.tensor(-2.0)),
    "index-fill-dim1": lambda m, e: e.index_fill_(1, m.tensor([1, -1]), 5.0),
    "index-fill-dim0": lambda m, e: e.index_fill_(0, m.tensor([1]), 5.0),
    "index-fill-out-of-range": lambda m, e: e.index_fill_(0, m.tensor([5]), 5.0),
    "index-put": lambda m, e: e.index_put_((m.tensor([1]),), m.tensor(5.0)),
    "index-put-accumulate": lambda m, e: e.index_put_(
        (m.tensor([1]), m.tensor([1])), m.tensor(5.0), accumulate=True),
}  # fmt: skip


@pytest.mark.parametrize(
    "write",
    [lambda e: e.fill_(2.0), lambda e: e.zero_(), lambda e: e.copy_(e), lambda e: e.fill_(2.0)[0]],
    ids=["fill", "zero", "copy-itself", "fill-then-row"],
)  # fmt: skip
def test_backward_through_a_write_into_an_expanded_view_is_refused(
    write: Callable[[Any], Any],
) -> None:
    """torch's CopySlices writes the in-place op's gradient into a buffer laid out as the
    expanded view: its elements share memory, so the backward refuses."""

    def run(m: Any) -> Any:
        leaf = m.arange(1.0, 5.0, requires_grad=True)
        base = leaf * 1
        write(base.expand(3, 4))
        base.sum().backward()

    _same_error(run)


@pytest.mark.parametrize("case", list(_DEPRECATED_EXPANDED_WRITES))
@pytest.mark.parametrize("grad", [False, True], ids=["plain", "recorded"])
def test_deprecated_writes_into_an_expanded_tensor(case: str, grad: bool) -> None:
    """torch warns that index_put_ (advanced setitem), masked_fill_ and index_fill_ on an
    expanded tensor are deprecated, then writes into the shared memory (the last write to a
    location stays): the base's values, the warnings and, recorded, the gradient match."""
    write = _DEPRECATED_EXPANDED_WRITES[case]

    def run(m: Any) -> Any:
        leaf = m.arange(1.0, 5.0, requires_grad=grad)
        base = leaf * 1 if grad else leaf
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                write(m, base.expand(3, 4))
            except Exception as exc:  # noqa: BLE001 - compared with torch's below
                outcome: Any = type(exc).__name__
            else:
                outcome = base.detach().clone()
        messages = [str(w.message).split(" (Triggered internally")[0] for w in caught]
        grad_out = None
        if grad and not isinstance(outcome, str):
            try:  # torch's CopySlices writes the gradient into an expanded buffer: refused
                (base * m.arange(1.0, 5.0)).sum().backward()
            except RuntimeError as exc:
                grad_out = str(exc)
            else:
                grad_out = leaf.grad
        return outcome, messages, grad_out

    ours, theirs = _both(run)
    assert ours[1] == theirs[1]
    if isinstance(theirs[0], str):
        assert ours[0] == theirs[0]
        return
    _close(ours[0], theirs[0])
    if isinstance(theirs[2], str):
        assert ours[2] == theirs[2]
    elif grad:
        _close(ours[2], theirs[2])


@pytest.mark.parametrize(
    "key",
    [
        (0, slice(None), [0, 1, 2]),
        (slice(None), [0, 1]),
        (slice(None), slice(None), [0, 1]),
        ([0, 1], slice(None), [0, 1]),
        (slice(None), [[0], [1]], slice(None)),
        (slice(None), 1, [0, 1]),
    ],
)
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "permuted"])
def test_layout_of_advanced_indexing_results(key: Any, layout: str) -> None:
    """torch lays the result out by its TensorIterator's rule (following the source's
    strides): view() accepts the same shapes and stride() agrees."""

    def run(m: Any) -> Any:
        a = m.arange(24.0).reshape(2, 3, 4)
        a = {"contiguous": a, "transposed": a.transpose(0, 2), "permuted": a.permute(2, 0, 1)}
        r = a[layout][key]
        return r.stride(), r.view(-1)

    try:
        s_t, v_t = run(torch)
    except (IndexError, RuntimeError) as exc:
        with pytest.raises(type(exc)):
            run(dyngrad)
        return
    s_o, v_o = run(dyngrad)
    assert s_o == s_t
    _close(v_o, v_t)


def test_clamp_with_broadcast_tensor_bounds_backward() -> None:
    """torch's backward raises here (its clamp backward writes a broadcast gradient into the
    0-d input: a torch limitation, listed in known.py); dyngrad gives the gradient torch gives
    once the input is expanded by hand."""

    def run(m: Any, expand: bool) -> Any:
        x = _leaf(m, 3.25)
        hi = _leaf(m, [3.0, 3.0, 4.0, 2.0], "float64")
        y = m.clamp(x.expand(4) if expand else x, x, hi)
        y.sum().backward()
        return x.grad, hi.grad

    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        run(torch, expand=False)
    for a, b in zip(run(dyngrad, expand=False), run(torch, expand=True)):
        _close(a, b)


def test_clamp_of_a_row_with_broadcast_bounds_backward() -> None:
    """The same torch limitation with a (1, 4) input and (4,) / (3, 1) bounds."""

    def run(m: Any, expand: bool) -> Any:
        x = m.tensor([[1.9, -1.8, -1.5, -0.1]], dtype=m.float64)
        lo = _leaf(m, [0.3, 0.5, 0.9, 0.3], "float64")
        hi = _leaf(m, [[-0.7], [-0.2], [-0.3]], "float64")
        y = m.clamp(x.expand(3, 4) if expand else x, lo, hi)
        y.sum().backward()
        return lo.grad, hi.grad

    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        run(torch, expand=False)
    for a, b in zip(run(dyngrad, expand=False), run(torch, expand=True)):
        _close(a, b)


def test_changing_a_qr_output_in_place_is_caught() -> None:
    def run(m: Any) -> None:
        q, r = m.linalg.qr(_leaf(m, np.eye(4, 3) + 0.5))
        q.add_(2.0)
        q.sum().backward()

    _same_error(run)


def test_var_gradient_when_correction_exceeds_the_count() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, [[0.5], [1.0], [-1.0]])
        x.var(dim=-1, correction=2, keepdim=True).sum().backward()
        return x.grad

    ours, theirs = _both(run)
    np.testing.assert_array_equal(_np(ours), _np(theirs))


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize("op", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("dim", [None, 0, -1])
@pytest.mark.parametrize("correction", [2, 3, 5])
def test_moment_gradients_with_no_degrees_of_freedom(op: str, dim: Any, correction: int) -> None:
    """d = N − correction ≤ 0: the derivatives divide by the signed d; over all elements
    torch's is inf · |x − μ| instead (both modes)."""

    def run(m: Any) -> Any:
        x = _leaf(m, [[3.0, 1.0, -1.0], [1.0, 2.0, 0.5]], "float64")
        out = getattr(m, op)(x, dim=dim, correction=correction)
        total = out[0] * 1.5 + out[1] if isinstance(out, tuple) else out
        (grad,) = m.autograd.grad(total.sum(), x)
        return grad

    ours, theirs = _both(run)  # (the same inf and NaN positions; finite values to rounding)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("dtype", "value"),
    [("uint8", -0.5), ("uint8", 256), ("uint8", -1.0), ("int8", 127.5), ("int8", -129),
     ("int16", 1e10), ("int64", float("nan")), ("float32", 1e39)],
)  # fmt: skip
def test_filling_with_an_out_of_range_value_raises(dtype: str, value: float) -> None:
    _same_error(lambda m: m.zeros(3, dtype=getattr(m, dtype)).fill_(value))
    _same_error(lambda m: m.zeros(3, dtype=getattr(m, dtype)).__setitem__(0, value))
    _same_error(
        lambda m: m.zeros(3, dtype=getattr(m, dtype)).masked_fill_(m.tensor([True] * 3), value)
    )


@pytest.mark.parametrize(("dtype", "value"), [("uint8", -1), ("uint8", -129), ("int8", -0.5)])
def test_filling_with_a_value_torch_converts(dtype: str, value: float) -> None:
    """Negative Python ints wrap around into uint8; floats truncate toward zero."""

    def run(m: Any) -> Any:
        t = m.zeros(3, dtype=getattr(m, dtype))
        t.fill_(value)
        t[0] = value
        return t

    np.testing.assert_array_equal(*(_np(t) for t in _both(run)))


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize(
    "loss",
    [
        lambda F, a, b: F.smooth_l1_loss(a, b, beta=0.0),
        lambda F, a, b: F.smooth_l1_loss(a, b),
        lambda F, a, b: F.l1_loss(a, b),
        lambda F, a, b: F.mse_loss(a, b, reduction="none"),
        lambda F, a, b: F.huber_loss(a, b),  # (torch's backward fails here: values only)
    ],
    ids=["smooth-l1-beta0", "smooth-l1", "l1", "mse", "huber"],
)
def test_smooth_l1_loss_beta_zero_dtype(loss: Callable[..., Any], request: Any) -> None:
    """torch's pointwise losses broadcast input and target first: a 0-d float64 input with a
    (1, 1) float32 target promotes to float64 (both are dimensioned by then)."""
    backward = "huber" not in request.node.name

    def run(m: Any) -> Any:
        a = m.tensor(0.3, dtype=m.float64, requires_grad=True)
        b = m.tensor([[1.5]], dtype=m.float32)
        y = loss(m.nn.functional, a, b)
        if backward:
            y.sum().backward()
        return str(y.dtype), y, a.grad

    (d_o, y_o, g_o), (d_t, y_t, g_t) = _both(run)
    assert d_o == d_t
    _close(y_o, y_t)
    if backward:
        _close(g_o, g_t)


def test_adaptive_max_pool_indices_changed_in_place() -> None:
    def run(m: Any) -> None:
        x = _leaf(m, np.arange(42.0).reshape(2, 3, 7))
        out, idx = m.nn.functional.adaptive_max_pool1d(x, 3, return_indices=True)
        idx.add_(3)
        out.sum().backward()

    _same_error(run)


def test_every_known_failure_has_a_regression_test() -> None:
    import re
    from pathlib import Path

    from fuzz.known import KNOWN

    defined = {
        name
        for path in Path(__file__).parent.glob("test_regressions*.py")
        for name in re.findall(r"^def (test_\w+)\(", path.read_text(), re.M)
    }
    missing = sorted({k.test for k in KNOWN} - defined)
    assert not missing, f"known.py names tests that do not exist: {missing}"


# --- found by the long campaign (seeds 5000000 on) and the bounded run ------------------------


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.zeros(3, 1).index_add_(-1, m.tensor([1], dtype=m.int32), m.ones(3, 1)),
        lambda m: m.zeros(3, 4).index_add_(0, m.tensor([5]), m.ones(1, 4)),
        lambda m: m.zeros(5).index_add_(0, m.tensor([7]), m.ones(1)),
    ],
    ids=["int32-index", "int64-2d", "int64-1d"],
)
def test_index_add_out_of_range_raises_torchs_class(case: Callable[[Any], Any]) -> None:
    """An int32 index, or a 1-d input, goes through torch's other kernel: IndexError."""
    _same_error(case)


@pytest.mark.parametrize("op", ["scatter", "scatter_add", "scatter_reduce"])
def test_scatter_with_a_0d_src_counts_it_as_size_1(op: str) -> None:
    def run(m: Any) -> Any:
        x, index, src = m.zeros(()), m.tensor([0, 0]), m.tensor(1.5)
        if op == "scatter_reduce":
            return x.scatter_reduce(0, index, src, "sum")
        return getattr(x, op)(0, index, src)

    _same_error(run)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_backward_of_a_0d_input(reduce: str, include_self: bool) -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, 1.19)
        src = _leaf(m, 0.5)
        y = m.scatter_reduce(x, 0, m.tensor([0]), src, reduce=reduce, include_self=include_self)
        y.backward()
        return y, x.grad, src.grad

    for ours, theirs in zip(*_both(run)):
        _close(ours, theirs)


def test_in_place_op_on_a_0d_result_of_isnan() -> None:
    """isnan of a 0-d tensor held a NumPy scalar, not an array (sigmoid_ then failed with
    NumPy's TypeError instead of torch's cast error)."""
    _same_error(lambda m: m.isnan(m.tensor(0.5)).sigmoid_())
    ours, theirs = _both(lambda m: m.isinf(m.tensor(0.5)).float() + m.isfinite(m.tensor(1.0)))
    _close(ours, theirs)


def test_nan_to_num_backward_of_an_infinite_gradient() -> None:
    """x̄ = ȳ · [x finite]: inf · 0 is NaN where x is not finite, as in torch."""

    def run(m: Any) -> Any:
        x = _leaf(m, [math.nan, math.inf, -math.inf, 1.5], "float64")
        y = x.clone().nan_to_num_(nan=1e300)
        y.exp_()
        y.backward(m.ones(4, dtype=m.float64))
        return x.grad

    ours, theirs = _both(run)
    np.testing.assert_array_equal(np.isnan(_np(ours)), np.isnan(_np(theirs)))
    _close(ours, theirs)


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.nn.functional.adaptive_avg_pool2d(m.tensor(0.5), (3, 4)),
        lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(2, 3), (1, 2)),
        lambda m: m.nn.functional.adaptive_max_pool2d(m.ones(2, 3), (1, 2)),
        lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(2, 3, 3), (1, 2, 3)),
        lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(2, 3), 2),
    ],
    ids=["0-d", "2-d", "max-2-d", "3-sizes", "int-size"],
)
def test_adaptive_pooling_checks_the_rank_first(case: Callable[[Any], Any]) -> None:
    """torch's Python wrapper refuses a sequence output_size longer than the input's rank
    with ValueError before its kernel checks anything."""
    _same_error(case)


@pytest.mark.parametrize(
    "shapes",
    [((0,), (1, 1), (1,)), ((0,), (1,), (1, 1, 1)), ((0,), (1, 1), (1, 1, 1)),
     ((1, 1, 1), (1, 1), (1, 1, 1)), ((2, 1, 1), (1, 1, 1), (1, 1, 1)), ((0,), (), (1, 1, 1))],
    ids=["batch2-1d", "batch1-1d", "expand-first", "batch1-2d", "input-too-big", "batch1-0d"],
)  # fmt: skip
def test_baddbmm_with_low_rank_batches_raises_torchs_class(shapes: Any) -> None:
    """torch reads batch1's dims 0, 1 and batch2's dim 2 (IndexError) and expands ``input``
    to them before it checks that the batches are 3-D."""
    a, b, c = shapes
    message = _same_error(lambda m: m.baddbmm(m.ones(a), m.ones(b), m.ones(c)))
    theirs, ours = message.split(" | ")
    assert theirs == ours


@pytest.mark.parametrize("reduce", ["amax", "amin", "prod", "sum"])
@pytest.mark.parametrize("rows", [5, 2])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("x_value", [0.0, 2.0])
def test_scatter_reduce_backward_with_a_larger_src(
    reduce: str, rows: int, include_self: bool, x_value: float
) -> None:
    """torch broadcasts the index-shaped terms of the amax/amin/prod backward against the
    whole src (src elements index does not cover get gradients too); for sum the engine
    refuses the index-shaped gradient in both."""

    def run(m: Any) -> Any:
        x = _leaf(m, np.full((2, 5), x_value))
        src = _leaf(m, np.arange(rows * 4.0).reshape(rows, 4) % 3 + (reduce == "prod"))
        y = m.scatter_reduce(
            x, 1, m.tensor([[0, 1, 1, 3]]), src, reduce=reduce, include_self=include_self
        )
        return m.autograd.grad((y * y).sum(), (x, src))

    if reduce == "sum":
        theirs, ours = _same_error(run).split(" | ")
        assert theirs == ours
        return
    for a, b in zip(*_both(run), strict=True):
        assert a.shape == b.shape
        _close(a, b)


def test_weighted_losses_check_the_weight_against_the_input_as_given() -> None:
    """The pointwise losses broadcast input and target, but the weight must match the
    input's own shape (torch: ValueError), after torch's broadcast error."""

    def run(m: Any, loss: str, a: tuple[int, ...], b: tuple[int, ...]) -> Any:
        with pytest.warns(UserWarning):
            return getattr(m.nn.functional, loss)(m.ones(a), m.ones(b), weight=m.ones(3, 4))

    for loss in ("mse_loss", "l1_loss", "huber_loss"):
        _same_error(lambda m, loss=loss: run(m, loss, (1, 4), (3, 4)))
        _close(run(dyngrad, loss, (3, 4), (1, 4)), run(torch, loss, (3, 4), (1, 4)))


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_result_is_contiguous_and_0d_follows_the_formula(op: str) -> None:
    """torch's kernel works on a contiguous copy (view(-1) of the result works); a 0-d input
    gives e^(x−x)/e^(x−x): NaN for ±inf and NaN, with NaN gradients."""

    def run(m: Any) -> Any:
        x = m.arange(12.0, dtype=m.float64).reshape(4, 3).t()
        flat = getattr(m, op)(x, 1).view(-1)
        z = _leaf(m, [-math.inf, math.inf, math.nan, 0.5]).unbind(0)
        outs = [getattr(m, op)(t, 0) for t in z]
        grads = m.autograd.grad(outs, z)
        return flat, m.stack(outs), m.stack(grads)

    ours, theirs = _both(run)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(np.isnan(_np(a)), np.isnan(_np(b)))
        _close(a, b)


def test_clamp_with_equal_bounds_gives_neither_bound_a_gradient() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, [0.0, 3.0, 1.0], "float64")
        lo = _leaf(m, [1.0, 1.0, 2.0], "float64")
        hi = _leaf(m, [1.0, 1.0, 2.0], "float64")
        m.clamp(x, lo, hi).sum().backward()
        return x.grad, lo.grad, hi.grad

    for a, b in zip(*_both(run)):
        _close(a, b)


@pytest.mark.parametrize("exponent_requires_grad", [False, True])
def test_pow_checks_its_saved_output_whatever_gradient_is_needed(
    exponent_requires_grad: bool,
) -> None:
    def run(m: Any) -> None:
        x = _leaf(m, [[0.5, 1.2]])
        e = m.tensor([0.19, -1.3], requires_grad=exponent_requires_grad)
        y = m.pow(x, e)
        y[0, 0] = 2.0
        m.autograd.grad([y], [x], m.ones(1, 2))

    _same_error(run)


@pytest.mark.filterwarnings("ignore:Using a target size")
def test_nll_loss_of_one_sample_with_a_one_element_target_backward() -> None:
    """torch's forward takes a (C,) input with a (1,) target but its backward raises "size
    mismatch" (a torch limitation, listed in known.py); dyngrad gives the gradient torch gives
    for the 0-d target its forward treats it as."""

    def run(m: Any, target: Any) -> Any:
        x = _leaf(m, [0.1, 0.2, 0.3, 0.4, 0.5])
        y = m.nn.functional.nll_loss(x, m.tensor(target))
        y.backward()
        return y, x.grad

    with pytest.raises(RuntimeError, match="size mismatch"):
        run(torch, [4])
    for a, b in zip(run(dyngrad, [4]), run(torch, 4)):
        _close(a, b)


@pytest.mark.parametrize("reduce", ["amax", "amin", "prod"])
def test_scatter_reduce_with_an_empty_index_passes_the_gradient_through(reduce: str) -> None:
    """An empty index scatters nothing: the result is ``self`` and so is its gradient. torch's
    amax/amin/prod backward raises a size mismatch there (a torch limitation, listed in
    known.py); dyngrad gives the gradient torch's sum reduction gives, the identity."""

    def run(m: Any, how: str) -> Any:
        x = m.tensor([[1.0, 2.0], [3.0, 0.0]], dtype=m.float64, requires_grad=True)
        index = m.zeros(3, 0, dtype=m.int64)
        y = x.scatter_reduce(0, index, m.ones(3, 2, dtype=m.float64), reduce=how)
        y.backward(m.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=m.float64))
        return y, x.grad

    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        run(torch, reduce)
    for a, b in zip(run(dyngrad, reduce), run(torch, "sum")):
        _close(a, b)


@pytest.mark.parametrize("shape", [(), (1,)])
def test_addmv_with_an_empty_matrix_has_no_rows(shape: tuple[int, ...]) -> None:
    """``addmv(input, mat (0, 3), vec)`` is ``input + mat @ vec``, of shape (0,); torch returns
    ``input``'s shape there and its backward fails (a torch limitation, listed in known.py;
    its addmm gets it right).
    dyngrad's result and gradient equal torch's for the written-out sum."""

    def run(m: Any, fused: bool, backward: bool = True) -> Any:
        a = m.full(shape, 2.0, requires_grad=True)
        mat, vec = m.ones(0, 3, requires_grad=True), m.ones(3, requires_grad=True)
        y = m.addmv(a, mat, vec) if fused else a + m.mv(mat, vec)
        if backward:
            y.sum().backward()
        return y, a.grad, vec.grad

    assert tuple(run(torch, fused=True, backward=False)[0].shape) == shape
    for ours, theirs in zip(run(dyngrad, fused=True), run(torch, fused=False)):
        _close(ours, theirs)


def test_huber_loss_keeps_the_input_dtype() -> None:
    """torch's huber_loss computes in the input's dtype (its backward then fails on a target
    of another dtype: a torch limitation, listed in known.py; dyngrad gives the gradient
    torch gives once the target is converted by hand)."""

    def run(m: Any, convert: bool) -> Any:
        x = _leaf(m, [[0.5], [-1.0], [2.5]])
        t = _leaf(m, [0.1, 0.2, -0.3, 4.0], "float64")
        y = m.nn.functional.huber_loss(x, t.float() if convert else t, reduction="none")
        dtype = str(y.dtype)
        y.sum().backward()
        return dtype, x.grad

    with pytest.raises(RuntimeError, match="Found dtype"):
        run(torch, convert=False)
    (d_o, g_o), (d_t, g_t) = run(dyngrad, convert=False), run(torch, convert=True)
    assert d_o == d_t == "torch.float32"
    _close(g_o, g_t)


@pytest.mark.parametrize(("a", "b"), [("float32", "float64"), ("float64", "float32")])
def test_binary_cross_entropy_refuses_a_target_of_another_dtype(a: str, b: str) -> None:
    message = _same_error(
        lambda m: m.nn.functional.binary_cross_entropy(
            m.full((3,), 0.5, dtype=getattr(m, a)), m.full((3,), 0.5, dtype=getattr(m, b))
        )
    )
    theirs, ours = message.split(" | ")
    assert theirs == ours


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.searchsorted(m.tensor(1.0), m.tensor([0.5])),
        lambda m: m.searchsorted(m.tensor(1.0), 0.5),
        lambda m: m.searchsorted(m.ones(2, 3), 0.5),
    ],
    ids=["0-d-boundaries", "0-d-scalar", "2-d-scalar"],
)
def test_searchsorted_boundaries_of_the_wrong_rank(case: Callable[[Any], Any]) -> None:
    message = _same_error(case)
    theirs, ours = message.split(" | ")
    assert theirs == ours


_LINALG_CAMPAIGN_CASES: dict[str, Callable[[Any], Any]] = {
    "pinv-0d-atol": lambda m: m.linalg.pinv(m.tensor(1.0), atol=0.1),
    "pinv-1d-atol": lambda m: m.linalg.pinv(m.ones(3), atol=0.1),
    "pinv-1d-atol-rtol": lambda m: m.linalg.pinv(m.ones(3), atol=0.1, rtol=0.1),
    "pinv-0d-rtol": lambda m: m.linalg.pinv(m.tensor(1.0), rtol=0.1),
    "cholesky-ex-not-pd": lambda m: m.linalg.cholesky_ex(-m.eye(2)).info,
    "cholesky-ex-not-pd-L": lambda m: m.linalg.cholesky_ex(-m.eye(2)).L,
    "cholesky-ex-minor-2": lambda m: m.linalg.cholesky_ex(m.tensor([[1.0, 2.0], [2.0, 1.0]])).L,
    "cholesky-ex-upper": lambda m: m.linalg.cholesky_ex(
        m.tensor([[4.0, 2.0, 1.0], [2.0, 1.0, 0.0], [1.0, 0.0, 5.0]]), upper=True).L,
    "cholesky-ex-batch-info": lambda m: m.linalg.cholesky_ex(
        m.stack([m.eye(3), -m.eye(3), m.tensor([[4.0, 2, 1], [2, 1, 0], [1, 0, 5]])])).info,
    "cholesky-ex-nan": lambda m: m.linalg.cholesky_ex(m.tensor([[math.nan, 0.0], [0.0, 1.0]])),
    "cholesky-ex-check-errors": lambda m: m.linalg.cholesky_ex(-m.eye(2), check_errors=True),
    "cholesky-ex-nan-check-errors": lambda m: m.linalg.cholesky_ex(
        m.tensor([[1.0, 0.0], [0.0, math.nan]]), check_errors=True),
    "cholesky-nan-batch": lambda m: m.linalg.cholesky(
        m.stack([m.eye(2), m.tensor([[1.0, math.nan], [math.nan, 1.0]])])),
    "cholesky-ex-nan-upper": lambda m: m.linalg.cholesky_ex(
        m.tensor([[1.0, math.nan], [math.nan, 1.0]]), upper=True),
    "matrix-rank-hermitian": lambda m: m.linalg.matrix_rank(m.ones(3, 1), hermitian=True),
    "matrix-rank-hermitian-int": lambda m: m.linalg.matrix_rank(
        m.ones(3, 1, dtype=m.int64), hermitian=True),
}  # fmt: skip


@pytest.mark.parametrize("case", list(_LINALG_CAMPAIGN_CASES))
def test_linalg_errors_found_by_the_verification_campaign(case: str) -> None:
    """Errors (class) and results of linalg ops on shapes the op tables had no sample for
    (found by the verification campaign, seeds 6000000 on). cholesky_ex of a matrix that is
    not positive-definite returns LAPACK's partial factor and the failing minor's order."""
    fn = _LINALG_CAMPAIGN_CASES[case]
    try:
        theirs = fn(torch)
    except RuntimeError as exc:  # torch's _LinAlgError is not dyngrad's class: compare text
        with pytest.raises(RuntimeError) as ours:
            fn(dyngrad)
        assert isinstance(exc, torch.linalg.LinAlgError) == isinstance(
            ours.value, dyngrad.linalg.LinAlgError
        )
        assert str(ours.value) == str(exc)
        return
    except Exception:  # noqa: BLE001 - torch's own error is the expectation
        _same_outcome(fn)
        return
    ours = fn(dyngrad)
    if isinstance(theirs, tuple):
        assert type(ours).__name__ == type(theirs).__name__
        for a, b in zip(ours, theirs, strict=True):
            assert str(a.dtype) == str(b.dtype)
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-7)
    else:
        assert str(ours.dtype) == str(theirs.dtype)
        _close(ours, theirs)


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.nn.functional.batch_norm(m.ones(2, 3), m.zeros(4), None, training=True),
        lambda m: m.nn.functional.batch_norm(m.ones(2, 3), None, m.ones(4), training=True),
        lambda m: m.nn.functional.batch_norm(m.ones(2, 3), m.zeros(3), None, m.ones(4),
                                             training=True),
        lambda m: m.nn.functional.batch_norm(m.ones(2, 3), m.zeros(3), None, training=True),
        lambda m: m.nn.functional.batch_norm(m.ones(2, 3), m.zeros(3, dtype=m.float64), None,
                                             training=True),
        lambda m: m.nn.functional.batch_norm(m.ones(2, 3, dtype=m.int64), m.zeros(3), None,
                                             training=True),
        lambda m: m.nn.functional.batch_norm(m.ones(2, 3, dtype=m.int64), m.zeros(3), m.ones(3),
                                             m.ones(4), training=True),
    ],
    ids=["mean-size", "var-size", "weight-size", "mean-only", "mean-only-f64", "int-mean-only",
         "int-weight-size"],
)  # fmt: skip
def test_batch_norm_with_only_a_running_mean(case: Callable[[Any], Any]) -> None:
    """torch's kernel checks the sizes of the running statistics, weight and bias before it
    refuses one running statistic without the other (ValueError), and that before the dtype."""
    theirs, ours = _same_error(case).split(" | ")
    assert theirs == ours


def test_batch_norm_with_only_a_running_mean_and_an_empty_input() -> None:
    """An empty input returns before the both-or-neither check, as in torch."""
    _close(*_both(lambda m: m.nn.functional.batch_norm(m.ones(0, 3), m.zeros(3), None,
                                                       training=True)))  # fmt: skip


@pytest.mark.parametrize(
    "make",
    [
        lambda m, x, i: x.scatter_add(0, i, m.ones(2)),
        lambda m, x, i: m.zeros(4).scatter_add(0, i, x[:2]),
        lambda m, x, i: x.index_add(0, i, m.ones(2)),
        lambda m, x, i: m.zeros(4).index_add(0, i, x[:2]),
        lambda m, x, i: x.put(i, m.ones(2), accumulate=True),
    ],
    ids=["scatter-add-self", "scatter-add-src", "index-add-self", "index-add-src", "put-acc"],
)
def test_an_index_only_the_source_gradient_reads_is_saved_only_for_it(
    make: Callable[..., Any],
) -> None:
    """torch saves scatter_add's and index_add's index only when src needs a gradient
    (x̄ = ȳ reads none): then a second backward is allowed."""

    def run(m: Any) -> Any:
        x = _leaf(m, [1.0, 2.0, 3.0, 4.0])
        y = make(m, x, m.tensor([0, 2])).sum()
        y.backward()
        y.backward()
        return x.grad

    _same_outcome(run)


# --- memory layout: torch's `view` works or refuses by strides, so results need its strides --


def _layout(t: Any) -> tuple[int, ...]:
    """Strides of the dims longer than 1 (the ones that decide whether ``view`` works)."""
    return tuple(s for s, n in zip(t.stride(), t.shape) if n > 1)


def _mat(m: Any, *shape: int, transposed: bool = False) -> Any:
    a = np.random.default_rng(sum(shape)).standard_normal(shape)
    if transposed:
        return m.tensor(np.ascontiguousarray(a.swapaxes(-1, -2))).transpose(-1, -2)
    return m.tensor(a)


def _spd(m: Any) -> Any:
    a = np.random.default_rng(1).standard_normal((2, 3, 3))
    return m.tensor(a @ a.swapaxes(-1, -2) + 3 * np.eye(3))


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.linalg.qr(_mat(m, 2, 4, 3)),
        lambda m: m.linalg.qr(_mat(m, 4, 3), mode="complete"),
        lambda m: m.linalg.qr(_mat(m, 4, 3), mode="r")[1:],
        lambda m: m.linalg.svd(_mat(m, 2, 4, 3), full_matrices=False),
        lambda m: m.linalg.svd(_mat(m, 4, 3)),
        lambda m: m.svd(_mat(m, 4, 3)),
        lambda m: m.linalg.eigh(_spd(m)),
        lambda m: (m.linalg.inv(_spd(m)), m.inverse(_spd(m)), m.linalg.inv_ex(_spd(m)).inverse),
        lambda m: m.linalg.solve(_spd(m), _mat(m, 2, 3, 4)),
        lambda m: m.linalg.solve(_spd(m), _mat(m, 2, 4, 3), left=False),
        lambda m: m.linalg.solve(_spd(m), _mat(m, 2, 3)),
        lambda m: (m.linalg.cholesky(_spd(m)), m.linalg.cholesky(_spd(m), upper=True)),
    ],
    ids=[
        "qr",
        "qr-complete",
        "qr-r",
        "svd",
        "svd-full",
        "torch-svd",
        "eigh",
        "inv",
        "solve",
        "solve-right",
        "solve-vector",
        "cholesky",
    ],
)
def test_factorizations_return_lapacks_column_major_layout(case: Callable[[Any], Any]) -> None:
    """torch's factorizations return each matrix column by column (as LAPACK writes it), so
    ``Q.view(-1)`` refuses where a row-major Q would allow it (fuzz: ~80 programs)."""
    ours, theirs = _both(case)
    for a, b in zip(ours, theirs):
        assert _layout(a) == _layout(b)
        _close(a.abs(), b.abs(), rtol=1e-5)  # (singular vectors: up to sign)
        views = {dyngrad: a, torch: b}
        _same_outcome(lambda m, views=views: views[m].view(-1).shape)  # type: ignore[misc]


@pytest.mark.parametrize(
    "case",
    [
        lambda m, x: m.cat([x, x]),
        lambda m, x: m.stack([x, x], 1),
        lambda m, x: m.cumsum(x, 0),
        lambda m, x: m.cumprod(x, 1),
        lambda m, x: x.masked_fill(x > 0, 1.0),
        lambda m, x: x.masked_scatter(x > 0, m.ones(12, dtype=m.float64)),
        lambda m, x: x.roll(1, 0),
        lambda m, x: x.repeat(2, 1),
        lambda m, x: m.nn.functional.pad(x, (1, 1)),
        lambda m, x: x.gather(0, m.tensor([[0, 1, 2, 0]])),
        lambda m, x: x.take(m.tensor([[0, 1], [2, 3]]).t()),
        lambda m, x: m.sort(x, 0),
        lambda m, x: m.argsort(x, 1),
        lambda m, x: x.index_put((m.tensor([0, 2]),), m.tensor(1.0, dtype=m.float64)),
        lambda m, x: x.index_fill(1, m.tensor([0]), 2.0),
        lambda m, x: m.erf(x),
        lambda m, x: m.nn.functional.gelu(x),
        lambda m, x: m.floor(x.long()),
        lambda m, x: m.isnan(x.long()),
    ],
    ids=[
        "cat",
        "stack",
        "cumsum",
        "cumprod",
        "masked_fill",
        "masked_scatter",
        "roll",
        "repeat",
        "pad",
        "gather",
        "take",
        "sort",
        "argsort",
        "index_put",
        "index_fill",
        "erf",
        "gelu",
        "floor-int",
        "isnan-int",
    ],
)
def test_results_of_a_transposed_input_have_torchs_layout(case: Callable[..., Any]) -> None:
    """Some torch ops keep a transposed input's layout (clones, sort, elementwise kernels),
    others write a contiguous result (cat, scans, masked_fill, gather): ``view`` sees it."""

    def run(m: Any) -> Any:
        return case(m, _mat(m, 4, 3, transposed=True).t())

    for a, b in zip(*(_both(lambda m: tuple(_flat(run(m)))))):
        assert _layout(a) == _layout(b)
        _close(a, b)


def _flat(result: Any) -> list[Any]:
    return list(result) if isinstance(result, tuple) else [result]


# --- error parity found by the reliability campaigns (seeds 8000000 on) ----------------------


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.zeros(3, 4).scatter(1, m.tensor([[2, 3], [2, 0]]), m.ones(3)),
        lambda m: m.zeros(3, 4).scatter_add(0, m.tensor([[0, 1]]), m.ones(2)),
        lambda m: m.zeros(3, 3).scatter_reduce(0, m.zeros(1, 1, dtype=m.int64), m.ones(1), "sum"),
        lambda m: m.zeros(3, 3).scatter(0, m.zeros(1, 1, dtype=m.int64), m.ones(0)),
        lambda m: m.zeros(3, 4).scatter(0, m.tensor([[0]]), m.tensor(1.0)),
        lambda m: m.zeros(5, 4).scatter(0, m.zeros(5, 4, dtype=m.int64), m.ones(4)),
        lambda m: m.zeros(5, 4).scatter(1, m.zeros(4, 1, dtype=m.int64), m.ones(5)),
        lambda m: m.zeros(3, 4).scatter_add(1, m.tensor([[0, 1]]), m.ones(3, dtype=m.float64)),
        lambda m: m.zeros(3, 4).scatter_reduce(1, m.tensor([[0, 1]]), m.ones(3), "add"),
    ],
    ids=[
        "scatter",
        "scatter_add",
        "scatter_reduce",
        "empty-src",
        "0-d-src",
        "src-too-small",
        "index-larger-than-self",
        "dtype-first",
        "bad-reduce-last",
    ],
)
def test_scatter_with_a_src_of_lower_rank_than_the_index(case: Callable[[Any], Any]) -> None:
    """torch reads src.size(d) for each of the index's dims: IndexError when src has fewer
    (and elements); RuntimeError on the rank for an empty or 0-d src."""
    _same_error(case)


@pytest.mark.parametrize("grad_mode", ["enabled", "no_grad"])
def test_embedding_with_a_0d_weight_that_requires_grad(grad_mode: str) -> None:
    """torch's autograd wrapper reads weight.size(0) before the kernel checks the rank or the
    indices' dtype: IndexError when the weight requires grad and grad mode is on."""

    def run(m: Any, indices: Any) -> Any:
        w = m.tensor(1.0, requires_grad=True)
        if grad_mode == "no_grad":
            with m.no_grad():
                return m.nn.functional.embedding(indices(m), w)
        return m.nn.functional.embedding(indices(m), w)

    _same_error(lambda m: run(m, lambda m: m.tensor([0])))
    _same_error(lambda m: run(m, lambda m: m.tensor([0.5])))
    _same_error(lambda m: run(m, lambda m: m.zeros(0, dtype=m.int64)))


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.zeros(3, 4).index_copy(0, m.tensor([0], dtype=m.int32), m.ones(4)),
        lambda m: m.zeros(3, 4).index_copy(0, m.tensor([0]), m.ones(4, dtype=m.float64)),
        lambda m: m.zeros(3, 4).index_copy(0, m.tensor([0.0]), m.ones(4)),
        lambda m: m.zeros(3, 4).index_copy(0, m.tensor([0, 1], dtype=m.int32), m.tensor(1.0)),
        lambda m: m.zeros(3, 4).index_fill(0, m.tensor([5]), m.ones(1)),
        lambda m: m.zeros(3, 4).index_fill(0, m.tensor([0], dtype=m.int32), m.ones(1)),
        lambda m: m.zeros(3, 4).index_fill(0, m.tensor([[0]]), m.ones(1)),
        lambda m: m.zeros(0, 4).index_fill(0, m.tensor([0]), m.ones(1)),
        lambda m: m.zeros(3, 4).index_add(1, m.tensor([0, 1]), m.tensor(1.0)),
        lambda m: m.zeros(3, 4).index_add(1, m.tensor([0]), m.tensor(1.0)),
        lambda m: m.zeros(3, 4).index_add(1, m.tensor([0, 1]), m.ones(2)),
        lambda m: m.zeros(3, 4).index_add(1, m.tensor([0]), m.ones(3)),
        lambda m: m.zeros(3, 4).index_add(0, m.tensor([0, 1]), m.tensor(1.0)),
    ],
    ids=[
        "copy-rank-before-index-dtype",
        "copy-rank-before-dtype",
        "copy-float-index",
        "copy-scalar-count",
        "fill-value-before-bounds",
        "fill-value-before-index-dtype",
        "fill-value-before-index-rank",
        "fill-value-empty",
        "add-0d-src-dim1",
        "add-0d-src-dim1-one",
        "add-1d-src-dim1",
        "add-1d-src-dim1-n",
        "add-0d-src-dim0",
    ],
)
def test_index_copy_fill_add_check_in_torchs_order(case: Callable[[Any], Any]) -> None:
    message = _same_error(case)
    theirs, ours = message.split(" | ")
    assert theirs.split(":")[0] == ours.split(":")[0]


def test_index_put_converts_one_value_put_through_a_single_mask() -> None:
    """torch puts a one-element value at a single boolean mask as masked_fill does (converted
    to the input's dtype); other index_puts refuse a value of another dtype."""
    mask = np.array([[True, False, True, False]] * 3)

    def run(m: Any, value: Any, accumulate: bool = False) -> Any:
        x = _leaf(m, np.arange(12.0).reshape(3, 4))
        v = m.tensor(value, dtype=m.float64, requires_grad=True)
        y = x.index_put((m.tensor(mask),), v, accumulate=accumulate)
        (y * y).sum().backward()
        return y, x.grad, v.grad, _name(y)

    for value in (2.0, [2.0]):
        ours, theirs = run(dyngrad, value), run(torch, value)
        assert ours[3] == theirs[3]
        for a, b in zip(ours[:3], theirs[:3]):
            assert str(a.dtype) == str(b.dtype)
            _close(a, b)
    _same_error(lambda m: run(m, 2.0, accumulate=True))
    _same_error(
        lambda m: m.zeros(3, 4).index_put((m.tensor([0, 2]),), m.tensor(1.0, dtype=m.float64))
    )


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize("op", ["var_mean", "std_mean"])
def test_moments_with_only_the_mean_used_leave_out_the_spread_term(op: str) -> None:
    """One element (d = 0: the spread is NaN): torch adds no 0 · NaN term for the unused
    spread, so the mean's gradient stays finite (fuzz seeds 8102980, 8103981)."""

    def run(m: Any, dim: Any) -> Any:
        x = _leaf(m, [0.97])
        _, mean = getattr(m, op)(x, dim)
        (mean * 3).sum().backward()
        return x.grad

    for dim in (None, 0):
        ours, theirs = run(dyngrad, dim), run(torch, dim)
        np.testing.assert_array_equal(np.isnan(_np(ours)), np.isnan(_np(theirs)))
        _close(ours, theirs)


def test_a_zero_norm_gives_no_gradient_at_all() -> None:
    """p = 0 counts the non-zero elements: torch's backward returns no gradient (not zeros),
    so a leaf's ``.grad`` stays None (fuzz seed 8102669)."""

    def run(m: Any) -> Any:
        x = _leaf(m, [[0.0, 1.5, -2.0], [0.0, 0.0, 0.0]])
        m.autograd.backward([m.norm(x * 2, p=0, dim=1)], [m.ones(2)])
        (g,) = m.autograd.grad(m.linalg.vector_norm(x, ord=0), x, allow_unused=True)
        return x.grad, g

    assert _both(run) == ((None, None), (None, None))


@pytest.mark.filterwarnings("ignore:.*degrees of freedom")
@pytest.mark.parametrize(
    "case",
    [
        lambda m, x: x.var(dim=(), unbiased=True),
        lambda m, x: m.std(x, dim=(), unbiased=True),
        lambda m, x: x.var(dim=(), unbiased=False),
        lambda m, x: m.std(x, dim=(), correction=0),
        lambda m, x: m.var(x, dim=(), correction=-1),
        lambda m, x: m.var_mean(x, dim=())[0],
        lambda m, x: m.std_mean(x, dim=(), correction=0)[0] + m.std_mean(x, dim=())[1],
    ],
    ids=[
        "var",
        "std",
        "var-biased",
        "std-biased",
        "var-negative-correction",
        "var_mean",
        "std_mean",
    ],
)
def test_moments_over_an_empty_dim_list_count_one_element_in_backward(
    case: Callable[..., Any],
) -> None:
    """dim=() reduces over every element, but torch's derivative counts N = 1 (the product
    over no dims): d = 1 − correction, ±inf for d = 0 (fuzz seeds 8200764, 8202460, ...)."""

    def run(m: Any) -> Any:
        x = _leaf(m, [[0.5, -1.0, 2.0], [1.0, 3.0, -2.0]])
        (g,) = m.autograd.grad(case(m, x), x)
        return g

    ours, theirs = _both(run)
    np.testing.assert_array_equal(np.isinf(_np(ours)), np.isinf(_np(theirs)))
    _close(ours, theirs, rtol=1e-5)


@pytest.mark.parametrize("op", ["min", "max", "median"])
@pytest.mark.parametrize("seed", [math.nan, math.inf, 2.0])
def test_whole_min_max_median_give_exact_zeros_away_from_the_ties(op: str, seed: float) -> None:
    """torch's gradient of min/max/median over all elements is zero off the ties even when ȳ
    is inf or NaN (not ȳ · 0 = NaN); a NaN result's ties are the NaNs (fuzz seed 8206044)."""

    def run(m: Any, values: list[list[float]]) -> Any:
        x = _leaf(m, values)
        (g,) = m.autograd.grad(getattr(m, op)(x) * seed, x)
        return g

    for values in ([[1.0, math.nan, 2.0], [2.0, 1.0, 0.0]], [[1.0, 0.0, 2.0], [2.0, 1.0, 0.0]]):
        ours, theirs = run(dyngrad, values), run(torch, values)
        np.testing.assert_array_equal(np.isnan(_np(ours)), np.isnan(_np(theirs)))
        _close(ours, theirs)


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.linalg.solve(m.eye(3), m.tensor(1.0)),
        lambda m: m.linalg.solve_ex(m.eye(3), m.tensor(1.0)),
        lambda m: m.linalg.solve(m.eye(3), m.tensor(1.0, dtype=m.float64)),
        lambda m: m.addmv(m.tensor(0.3), m.ones(1, 1), m.ones(3)),
        lambda m: m.addmv(m.tensor(0.3), m.ones(2, 3), m.ones(2)),
        lambda m: m.addmv(m.ones(1), m.ones(1, 1), m.ones(3)),
    ],
    ids=[
        "solve-0d-b",
        "solve-ex-0d-b",
        "solve-dtype-first",
        "addmv-0d",
        "addmv-0d-rows",
        "addmv-1d",
    ],
)
def test_linalg_errors_found_by_the_reliability_campaign(case: Callable[[Any], Any]) -> None:
    """A 0-d B in solve (dyngrad crashed with ValueError); addmv's size-mismatch message
    reads a 0-d input's size(0) in torch: IndexError."""
    _same_error(case)


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.nn.functional.embedding(m.tensor(3), m.zeros(0, 3)),
        lambda m: m.nn.functional.embedding(m.tensor([[3]]), m.zeros(0, 3, requires_grad=True)),
        lambda m: m.repeat_interleave(m.tensor(1.0), m.tensor([[1, 2]]), dim=0),
        lambda m: m.repeat_interleave(m.tensor(1.0), m.tensor([1.0]), dim=0),
        lambda m: m.nn.functional.unfold(m.ones(2, 3), (2, 2, 2)),
        lambda m: m.nn.functional.unfold(m.ones(()), 0),
        lambda m: m.nn.functional.unfold(m.ones(3), 2, stride=0),
        lambda m: m.nn.functional.unfold(m.ones(2, 3), 2, dilation=0),
        lambda m: m.nn.functional.unfold(m.ones(2, 3), 2),
    ],
    ids=[
        "embedding-no-rows",
        "embedding-no-rows-grad",
        "repeat-interleave-2d-repeats",
        "repeat-interleave-float-repeats",
        "unfold-kernel-len",
        "unfold-kernel-0",
        "unfold-stride-0",
        "unfold-dilation-0",
        "unfold-2d",
    ],
)
def test_argument_checks_before_shape_checks(case: Callable[[Any], Any]) -> None:
    """torch checks these arguments before the input's rank (fuzz: F.unfold error samples on
    0-d inputs, repeat_interleave's 2-d repeats on a 0-d input, embedding with no rows)."""
    _same_error(case)


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
def test_softmax_of_an_empty_integer_tensor_returns_it(op: str) -> None:
    """torch's kernel refuses integers, but never runs on no elements: an empty integer
    input comes back in its own dtype (with ``dtype=`` it is converted first)."""
    for dtype in (None, "float64"):

        def run(m: Any, dtype: str | None = dtype) -> Any:
            to = None if dtype is None else getattr(m, dtype)
            return getattr(m.nn.functional, op)(m.zeros(3, 0, dtype=m.int32), -1, dtype=to)

        ours, theirs = _both(run)
        assert str(ours.dtype) == str(theirs.dtype)
        assert tuple(ours.shape) == tuple(theirs.shape) == (3, 0)
    _same_error(lambda m: getattr(m.nn.functional, op)(m.ones(2, dtype=m.int64), -1))


@pytest.mark.parametrize(
    ("a", "b", "dims"),
    [
        ((2, 1), (3, 4), 1),
        ((3, 4), (1, 2), 1),
        ((2, 1, 3), (4, 2), ([0, 1], [1, 0])),
        ((), (), 0),
        ((), (3,), 0),
        ((2, 3), (1, 1), 2),
    ],
    ids=["left-size-1", "right-size-1", "lists", "0-d", "0-d-vector", "both-size-1"],
)
def test_tensordot_contracts_a_size_1_dim_with_any_size(
    a: tuple[int, ...], b: tuple[int, ...], dims: Any
) -> None:
    """torch sums the other side over a contracted dim of size 1 (dyngrad refused it), and
    takes 0-d operands (dyngrad crashed in permute(); fuzz: tensordot 'dims-0', 'mismatch')."""

    def run(m: Any) -> Any:
        x = _leaf(m, np.arange(math.prod(a), dtype=float).reshape(a) / 3)
        y = _leaf(m, np.arange(math.prod(b), dtype=float).reshape(b) / 5 - 1)
        z = m.tensordot(x, y, dims=dims)
        z.pow(2).sum().backward()
        return z, x.grad, y.grad

    for ours, theirs in zip(*_both(run)):
        assert tuple(ours.shape) == tuple(theirs.shape)
        _close(ours, theirs, rtol=1e-5)
    _same_error(lambda m: m.tensordot(m.ones(3, 1, 2), m.ones(4, 2), dims=([0, 2], [1, 0])))


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.zeros(3, 4).index_put((m.tensor([0, 2]),) * 2, m.ones(1, 2)),
        lambda m: m.zeros(3, 4).index_put((m.tensor([0, 2]),) * 2, m.ones(1, 2), accumulate=True),
        lambda m: m.zeros(3, 4).index_put_((m.tensor([0, 2]),), m.ones(1, 1, 4)),
        lambda m: m.zeros(3, 4).index_put((m.tensor([0, 5]), m.tensor([0, 2])), m.ones(1, 2)),
        lambda m: m.zeros(3, 4).index_put(
            (m.tensor([[True, False, True, False]] * 3),), m.ones(1, 1), accumulate=True
        ),
    ],
    ids=["pairs", "pairs-accumulate", "rows", "shape-before-bounds", "mask-accumulate"],
)
def test_index_put_keeps_a_values_leading_ones(case: Callable[[Any], Any]) -> None:
    """Unlike ``x[idx] = v``, index_put drops no leading 1s of the value: a value of more dims
    than the indexing result is a shape mismatch, checked before the index bounds (fuzz:
    index_put_two_indices, index_put 'rows'/'acc')."""
    _same_error(case)
    mask = [[True, False, True, False]] * 3
    ours, theirs = _both(lambda m: m.zeros(3, 4).index_put((m.tensor(mask),), m.ones(1, 1)))
    _close(ours, theirs)


@pytest.mark.filterwarnings("ignore:Mismatch dtype")
def test_rms_norm_returns_the_inputs_dtype() -> None:
    """A float64 weight on a float32 input: torch's composite ends with type_as(input)
    (ToCopyBackward0), so the result is float32 (fuzz seeds 8403373, 8418151)."""

    def run(m: Any) -> Any:
        x = _leaf(m, np.linspace(-1, 1, 10).reshape(2, 5))
        w = _leaf(m, np.arange(1.0, 6.0), "float64")
        y = m.nn.functional.rms_norm(x, (5,), w)
        (y * y).sum().backward()
        return str(y.dtype), _name(y), y, x.grad, w.grad

    ours, theirs = _both(run)
    assert ours[:2] == theirs[:2] == ("torch.float32", "ToCopyBackward0")
    for a, b in zip(ours[2:], theirs[2:]):
        assert str(a.dtype) == str(b.dtype)
        _close(a, b, rtol=1e-5)
