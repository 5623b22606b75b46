"""Fuzzer failures of the tensor core, views, elementwise/shape/contraction ops and the odd
ones out (loss and linalg corner cases), each shrunk by hand to the lines that matter.

Each test runs the same lines on dyngrad and torch (``m`` is the module) and compares.
"""

from __future__ import annotations

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
from fuzz.parity import raised, torch


def _same_error(fn: Callable[[Any], Any]) -> str:
    """Both modules raise the same exception class with the same message; returns it."""
    theirs, ours = raised(fn)
    assert str(ours) == str(theirs)
    return str(theirs)


def _t(m: Any, values: Any, dtype: str = "float32") -> Any:
    return m.tensor(np.asarray(values, dtype=dtype))


# --- views of multi-output view ops and views made in no_grad mode ---------------------------


def _slice_of_split_output_changed(m: Any) -> Any:
    x = _leaf(m, np.arange(8.0).reshape(2, 4))
    a, _ = (x * 1).split(2, 1)
    v = a[:, 1:]  # a view of a view: still an output of a multi-output view op for torch
    with m.no_grad():
        v.exp_()
    return v


def _no_grad_view_of_a_view(m: Any) -> Any:
    x = _leaf(m, np.arange(8.0).reshape(2, 4))
    with m.no_grad():
        v = x[0:1]
    return v[:, 1:]  # made in grad mode of a view made in no_grad mode


def _multi_view_of_base_that_starts_requiring_grad(m: Any) -> Any:
    y = m.zeros(2, 4)
    a, _ = y.split(2, 1)
    y.copy_(_leaf(m, np.ones((2, 4))))
    return a


@pytest.mark.parametrize(
    "case",
    [
        lambda m: _slice_of_split_output_changed(m).grad_fn,
        lambda m: (lambda x: x[:, 1:].exp_())((_leaf(m, np.ones((2, 4))) * 1).split(2, 1)[0]),
        lambda m: _no_grad_view_of_a_view(m).exp_(),
        lambda m: (lambda v: (m.no_grad().__enter__(), v._base.mul_(2), v.grad_fn))(
            _no_grad_view_of_a_view(m)
        ),
        lambda m: _multi_view_of_base_that_starts_requiring_grad(m).grad_fn,
        lambda m: (lambda a: a.mul_(_leaf(m, np.ones((2, 2)))))(m.zeros(2, 4).split(2, 1)[0]),
    ],
    ids=["stale-slice-of-split", "inplace-slice-of-split", "no-grad-view-of-view",
         "stale-no-grad-view-of-view", "stale-multi-view-no-grad-fn", "multi-view-no-grad-fn"],
)  # fmt: skip
def test_views_of_refused_views_are_refused_too(case: Callable[[Any], Any]) -> None:
    """torch passes a view's creation kind on to views of it (unless the new view's own is
    not the default), and names the view's own node in the message."""
    try:
        message = _same_error(case)
    finally:
        dyngrad.set_grad_enabled(True)
        torch.set_grad_enabled(True)
    assert "modified inplace" in message


def test_unbind_of_a_1d_tensor_gives_views() -> None:
    """``x.unbind()`` of a 1-d tensor: 0-d views sharing x's memory (not copies)."""

    def run(m: Any) -> Any:
        x = _t(m, [0.0, 1.0, 2.0, 3.0], "float64")
        _, second, _, _ = x.unbind()
        with m.no_grad():
            second.mul_(0.0)
        leaf = _leaf(m, [1.0, 2.0], "float64")
        first, _ = iter(leaf)
        with m.no_grad():
            leaf.add_(1)
        return x, first.detach()

    (x_o, f_o), (x_t, f_t) = _both(run)
    _close(x_o, x_t)
    _close(f_o, f_t)


def test_a_view_requires_grad_once_its_base_does() -> None:
    """A view made before its base required grad requires grad then (torch), with no
    grad_fn and no accumulator: gradients through it go nowhere."""

    def run(m: Any) -> Any:
        y = m.zeros(4)
        v = y[0:2]
        a, _ = y.split(2)
        y.requires_grad_()
        flags = (v.requires_grad, v.grad_fn, a.requires_grad, v.is_leaf)
        (v * 2).sum().backward()
        return flags, y.grad

    ours, theirs = _both(run)
    assert ours == theirs == ((True, None, True, True), None)


# --- elementwise ---------------------------------------------------------------------------


def test_where_with_a_float64_0d_branch_is_one_where_node() -> None:
    """torch's where casts the branches inside its kernel: WhereBackward0, no ToCopy."""

    def run(m: Any) -> Any:
        c = m.tensor([True, False, True])
        a = _leaf(m, 0.5, "float64")
        b = _leaf(m, [1.0, 2.0, 3.0])
        y = m.where(c, a, b)
        y.sum().backward()
        return y, _name(y), a.grad, b.grad

    (y_o, n_o, ga_o, gb_o), (y_t, n_t, ga_t, gb_t) = _both(run)
    assert n_o == n_t == "WhereBackward0"
    assert y_o.dtype == dyngrad.float32 and ga_o.dtype == dyngrad.float64
    _close(y_o, y_t)
    _close(ga_o, ga_t)
    _close(gb_o, gb_t)


@pytest.mark.parametrize(
    "op",
    [
        lambda m, x: 2**x,
        lambda m, x: m.nn.functional.logsigmoid(x),
        lambda m, x: x.put(m.tensor([1, 2]), m.tensor([5.0, 6.0])),
    ],
    ids=["rpow", "logsigmoid", "put"],
)
def test_result_layout_of_a_transposed_input(op: Callable[[Any, Any], Any]) -> None:
    """rpow and logsigmoid give contiguous results, put keeps the input's layout: so
    ``view(-1)`` succeeds or fails as in torch."""

    def run(m: Any) -> Any:
        x = _t(m, np.arange(12.0).reshape(4, 3) / 10).t()
        return op(m, x).stride()

    ours, theirs = _both(run)
    assert ours == theirs


@pytest.mark.parametrize(
    "op",
    [
        lambda m, x, y: m.maximum(x, y),
        lambda m, x, y: x + y[0],
        lambda m, x, y: y[0] * x,
        lambda m, x, y: m.where(x > 0.5, x, y[0]),
        lambda m, x, y: x * 2.0,
    ],
    ids=["maximum-broadcast", "transposed-first", "transposed-second", "where", "scalar"],
)
def test_elementwise_result_layout_follows_the_inputs_as_in_torch(
    op: Callable[[Any, Any, Any], Any],
) -> None:
    """The first input that orders two dims decides (broadcast dims tell nothing), so
    ``view(-1)`` works or fails as in torch."""

    def run(m: Any) -> Any:
        x = _t(m, np.arange(12.0).reshape(4, 3) / 10).t()  # (3, 4), transposed layout
        y = m.ones(2, 3, 4)
        out = op(m, x, y)
        try:
            out.view(-1)
            viewable = True
        except RuntimeError:
            viewable = False
        return out.stride(), viewable

    ours, theirs = _both(run)
    assert ours == theirs


# --- order-based selection -------------------------------------------------------------------


def test_kthvalue_reports_torchs_index_among_ties() -> None:
    def run(m: Any) -> Any:
        rows = [
            [0.5, 0.5, 0.5],
            [1.0, 0.5, 0.5, 0.5],
            [0.0] * 7,
            [2.0, float("nan"), 1.0, float("nan")],
        ]
        out = []
        for row in rows:
            x = _t(m, row)
            out.append([int(m.kthvalue(x, k).indices) for k in range(1, len(row) + 1)])
        grid = _t(m, np.array([[1, 0, 1, 1], [2, 2, 0, 2], [0, 0, 0, 1]]), "float64")
        out.append(m.kthvalue(grid, 2, dim=1).indices.tolist())
        out.append(m.kthvalue(grid, 1, dim=0, keepdim=True).indices.tolist())
        return out

    ours, theirs = _both(run)
    assert ours == theirs


def test_searchsorted_on_unsorted_boundaries_gives_torchs_answer() -> None:
    """Unsorted (or NaN-holding) boundaries: torch's answer is its binary search's."""

    def run(m: Any) -> Any:
        values = _t(m, [-1.0, 0.0, 1.0, 1.5, 2.0, 3.0, float("nan")])
        out = []
        for seq in ([3.0, 1.0, 2.0, 0.0, 2.0], [0.0, float("nan"), 1.0, 2.0]):
            s = _t(m, seq)
            out.append(m.searchsorted(s, values).tolist())
            out.append(m.searchsorted(s, values, right=True).tolist())
            out.append(m.bucketize(values, s).tolist())
        return out

    ours, theirs = _both(run)
    assert ours == theirs


# --- gradients torch leaves finite (or makes inf/NaN) ---------------------------------------


def test_var_of_a_0d_tensor_over_dim_with_negative_dof_has_nan_gradient() -> None:
    """A 0-d input reduced over ``dim`` counts as reduced over all elements (torch)."""

    def run(m: Any) -> Any:
        grads = []
        for fn in (m.var, m.var_mean):
            x = _leaf(m, 1.5)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = fn(x, dim=-1, correction=2, keepdim=True)
            (out[0] if isinstance(out, tuple) else out).sum().backward()
            grads.append(float(x.grad))
        return grads

    ours, theirs = _both(run)
    assert np.isnan(theirs).all() and np.isnan(ours).all()


def test_var_mean_mean_of_infinities_is_torchs_running_mean() -> None:
    """torch's mean in var_mean/std_mean is a running one: ±inf only when the slice's one
    infinity is its last element, NaN otherwise."""
    inf = float("inf")

    def run(m: Any) -> Any:
        x = _t(m, [[-inf, 0.5, 1.0], [-inf, 2.0, inf], [0.58, 3.0, 4.0]])
        return [
            m.std_mean(x, dim=0)[1].tolist(),
            m.var_mean(x, dim=1)[1].tolist(),
            m.var_mean(_t(m, [1.0, 2.0, inf]))[1].item(),
            m.var_mean(_t(m, [inf, 1.0]))[1].item(),
        ]

    ours, theirs = _both(run)
    np.testing.assert_array_equal(np.hstack(ours[:2]), np.hstack(theirs[:2]))
    assert ours[2] == theirs[2] == inf and np.isnan(ours[3]) and np.isnan(theirs[3])


def test_std_gradient_is_zero_where_std_is_zero_even_for_a_nan_incoming_gradient() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, np.full((2, 3), 1.5))
        m.std(x, dim=1).backward(_t(m, [1.0, float("nan")]))
        return x.grad

    ours, theirs = _both(run)
    assert not np.isnan(_np(theirs)).any()
    _close(ours, theirs)


def test_binary_cross_entropy_target_gradient_is_the_unclamped_negative_logit() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, [0.0, 1.0, 0.3, 0.5], "float64")
        t = _leaf(m, [0.0, 1.0, 0.3, 0.2], "float64")
        m.nn.functional.binary_cross_entropy(x, t, reduction="sum").backward()
        return t.grad

    ours, theirs = _both(run)
    np.testing.assert_array_equal(_np(ours), _np(theirs))  # ±inf and the sign of 0 too


def test_nll_loss_gradient_is_exactly_zero_off_the_targets() -> None:
    """A NaN incoming gradient reaches only the picked entries (torch scatters)."""

    def run(m: Any) -> Any:
        grads = []
        x = _leaf(m, np.linspace(-1, 1, 24).reshape(3, 4, 2))
        t = m.tensor([[0, 1], [-100, 3], [2, 2]])
        for reduction in ("none", "sum", "mean"):
            x.grad = None
            loss = m.nn.functional.nll_loss(x, t, weight=_t(m, [1, 0, 2, 3]), reduction=reduction)
            (loss * float("nan")).sum().backward()
            grads.append(np.isnan(_np(x.grad)))
        return grads

    ours, theirs = _both(run)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o, t)


def test_selu_gradient_at_nan_takes_the_linear_branch() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, [float("nan"), -1.0, 2.0])
        m.nn.functional.selu(x).sum().backward()
        return x.grad

    ours, theirs = _both(run)
    _close(ours, theirs)


def test_trace_gradient_stays_on_the_diagonal() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, [[-1.7, 0.77, -1.6]], "float64")
        m.trace(x).backward(_t(m, float("nan"), "float64"))
        return x.grad

    ours, theirs = _both(run)
    np.testing.assert_array_equal(np.isnan(_np(ours)), np.isnan(_np(theirs)))
    assert np.isnan(_np(theirs)).sum() == 1


def test_cross_entropy_over_probabilities_ends_in_div_backward1() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, np.linspace(-1, 1, 24).reshape(2, 3, 4))
        t = _t(m, np.full((2, 3, 4), 1 / 3))
        loss = m.nn.functional.cross_entropy(x, t, weight=_t(m, [1.0, 2.0, 0.5]))
        loss.backward()
        return _name(loss), loss, x.grad

    (n_o, l_o, g_o), (n_t, l_t, g_t) = _both(run)
    assert n_o == n_t == "DivBackward1"
    _close(l_o, l_t)
    _close(g_o, g_t, rtol=1e-5)


# --- einsum, tensordot, roll ---------------------------------------------------------------

_EINSUM_CASES = [
    ("ij,jk->ik", (0, 3), "float64", (3, 2), "float32"),  # empty matmul: the right's dtype
    ("ij,jk->ik", (2, 0), "float32", (0, 2), "float64"),
    ("ij,jk->ik", (2, 1), "float32", (1, 2), "float64"),  # nothing contracted: a product
    ("ij,k->k", (2, 3), "float64", (4,), "float32"),  # sums then a product
    ("i,i", (3,), "int64", (1,), "float16"),
    ("ij,j->i", (2, 3), "int32", (1,), "int32"),  # a sum on the way: int64
    ("i,j->i", (2,), "int32", (1,), "int32"),  # a size-1 subscript is squeezed, not summed
    ("ij,jk->ik", (1, 3), "float64", (3, 1), "float32"),  # a real matmul: torch's error
    ("i,i", (3,), "int64", (3,), "float16"),
]


@pytest.mark.parametrize("eq,sa,da,sb,db", _EINSUM_CASES)
def test_einsum_with_operands_of_different_dtypes(
    eq: str, sa: tuple[int, ...], da: str, sb: tuple[int, ...], db: str
) -> None:
    def run(m: Any) -> Any:
        a = m.tensor(np.ones(sa, dtype=da))
        b = m.tensor(np.ones(sb, dtype=db))
        return m.einsum(eq, a, b)

    try:
        theirs = run(torch)
    except RuntimeError:
        _same_error(run)
        return
    ours = run(dyngrad)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    _close(ours, theirs)


@pytest.mark.parametrize(
    "eq,sa,sb",
    [
        ("...ij,...jk->...ik", (2, 1, 2, 3), (2, 3, 4)),  # the fuzzer's case
        ("...ij,...jk->...ik", (1, 2, 3), (2, 3, 4)),
        ("ijk,jl->ilk", (2, 3, 4), (3, 5)),
        ("ibk,bj->jik", (2, 3, 2), (3, 4)),
        ("ba,bea->ab", (3, 3), (3, 2, 3)),  # last step a product of a permuted operand
        ("dac,bdc->bcd", (4, 4, 4), (4, 4, 4)),
    ],
)
def test_einsum_result_layout_of_two_operands(
    eq: str, sa: tuple[int, ...], sb: tuple[int, ...]
) -> None:
    """torch's result is the matmul's (or product's) output seen in the output's order, so
    ``view(-1)`` may fail: compared through the strides."""

    def run(m: Any) -> Any:
        out = m.einsum(eq, m.ones(*sa, requires_grad=True), m.ones(*sb))
        return out.stride(), _name(out)

    ours, theirs = _both(run)
    assert ours == theirs


@pytest.mark.parametrize(
    "sa,sb,dims",
    [
        ((3,), (3, 2), ([0, 1], [1, 0])),  # sizes differ before the second dim is wrapped
        ((2,), (2, 2), ([0, 1], [0, 1])),  # the second pair's dim is out of range
        ((2, 3), (3, 2), ([0, 0], [1, 1])),  # a dim repeated
    ],
)
def test_tensordot_checks_the_dims_pair_by_pair(
    sa: tuple[int, ...], sb: tuple[int, ...], dims: Any
) -> None:
    _same_error(lambda m: m.tensordot(m.ones(*sa), m.ones(*sb), dims=dims))


def test_roll_of_an_empty_tensor_does_not_look_at_dims() -> None:
    def run(m: Any) -> Any:
        x = m.ones(0, 4, requires_grad=True)
        y = m.roll(x, 1, 2)
        z = m.roll(m.arange(6.0).reshape(2, 3), (1,), ())  # dims=() is the flattened roll
        return tuple(y.shape), _name(y), z

    (s_o, n_o, z_o), (s_t, n_t, z_t) = _both(run)
    assert (s_o, n_o) == (s_t, n_t)
    _close(z_o, z_t)
    _same_error(lambda m: m.roll(m.ones(0, 4), (1, 2), (0,)))


# --- linalg on empty matrices ----------------------------------------------------------------


def test_cholesky_ex_of_0_by_0_matrices() -> None:
    def run(m: Any) -> Any:
        a = m.ones(0, 1, dtype=m.float64)
        low, info = m.linalg.cholesky_ex((a + a.mT) * 0.5)  # (0,1) + (1,0) broadcast to 0×0
        batch_low, batch_info = m.linalg.cholesky_ex(m.ones(2, 0, 0))
        return tuple(low.shape), info.tolist(), tuple(batch_low.shape), batch_info.tolist()

    ours, theirs = _both(run)
    assert ours == theirs


@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (2, 0, 3)])
def test_matrix_rank_of_empty_matrices_is_zero_even_when_hermitian(shape: tuple[int, ...]) -> None:
    def run(m: Any) -> Any:
        a = m.ones(*shape, dtype=m.float64)
        return m.linalg.matrix_rank(a, hermitian=True).tolist(), m.linalg.matrix_rank(a).tolist()

    ours, theirs = _both(run)
    assert ours == theirs
