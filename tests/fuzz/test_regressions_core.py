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


# --- order reductions, matmul, solve and linalg dtypes (fuzz campaign 30000000) ---------------


@pytest.mark.parametrize("fn", ["amax", "amin"])
@pytest.mark.parametrize(
    ("shape", "dim"),
    [
        ((0, 3), (0, -2)),  # repeated and empty: the emptiness error comes first
        ((0, 3), (1, 0)),
        ((0, 0), (-1, 0)),  # the dim is named as given
        ((0, 3), (0, 5)),  # empty before out of range
        ((0, 3), (5, 0)),
        ((3, 0), (0, 0)),  # repeated, not empty
        ((0, 3), -2),
    ],
)
def test_amax_amin_check_each_listed_dim_before_looking_for_repeats(
    fn: str, shape: tuple[int, ...], dim: Any
) -> None:
    """amax/amin walk the listed dims in order (range, then non-zero size, naming the dim as
    given) and only then refuse a repeated dim (fuzz seed 30009146)."""
    _same_error(lambda m: getattr(m, fn)(m.zeros(*shape, dtype=m.bool), dim=dim))


@pytest.mark.parametrize(
    ("a_shape", "b_shape"),
    [((1, 2, 0), (0, 3)), ((2, 3, 0), (0,)), ((2, 0), (2, 0, 3)), ((0,), (2, 0, 3))],
)
def test_matmul_folding_a_batched_operand_with_an_empty_inner_dim(
    a_shape: tuple[int, ...], b_shape: tuple[int, ...]
) -> None:
    """The batched operand folds into the rows of one matrix; with an inner size of 0 the row
    count cannot be inferred from -1 (fuzz seed 30022227)."""

    def run(m: Any) -> Any:
        a = _leaf(m, np.ones(a_shape))
        b = _leaf(m, np.ones(b_shape))
        y = m.matmul(a, b)
        y.sum().backward()
        ints = m.matmul(m.ones(a_shape, dtype=m.int64), m.ones(b_shape, dtype=m.int64))
        return y, _name(y), tuple(a.grad.shape), tuple(b.grad.shape), ints

    (y_o, *rest_o, i_o), (y_t, *rest_t, i_t) = _both(run)
    assert rest_o == rest_t
    _close(y_o, y_t)
    assert (tuple(i_o.shape), str(i_o.dtype)) == (tuple(i_t.shape), str(i_t.dtype))


@pytest.mark.parametrize("b_shape", [(3, 0), (0, 3, 2)], ids=["no-columns", "empty-batch"])
def test_solve_refuses_a_singular_matrix_even_when_b_is_empty(b_shape: tuple[int, ...]) -> None:
    """torch factors A before it looks at B: a singular A is an error even when there is
    nothing to solve for; solve_ex gives the (empty) result and A's info."""
    with pytest.raises(RuntimeError) as theirs:
        torch.linalg.solve(torch.zeros(3, 3), torch.zeros(b_shape))
    with pytest.raises(dyngrad.linalg.LinAlgError) as ours:
        dyngrad.linalg.solve(dyngrad.zeros(3, 3), dyngrad.zeros(b_shape))
    assert "the input matrix is singular" in str(theirs.value)
    assert str(ours.value) == str(theirs.value)

    def run_ex(m: Any) -> Any:
        x, info = m.linalg.solve_ex(m.zeros(3, 3), m.zeros(b_shape))
        return tuple(x.shape), info.tolist()

    ours_ex, theirs_ex = _both(run_ex)
    assert ours_ex == theirs_ex


_HALF_MATRIX = np.arange(12.0).reshape(3, 4) / 7
_HALF_SQUARE = np.eye(3) * 2


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.linalg.svd(_t(m, _HALF_MATRIX, "float16")),
        lambda m: m.linalg.svdvals(_t(m, _HALF_MATRIX, "float16")),
        lambda m: m.svd(_t(m, _HALF_MATRIX, "float16"), compute_uv=False),
        lambda m: m.linalg.eigh(_t(m, _HALF_SQUARE, "float16")),
        lambda m: m.linalg.eigvalsh(_t(m, _HALF_SQUARE, "float16")),
        lambda m: m.linalg.qr(_t(m, _HALF_MATRIX, "float16")),
        lambda m: m.linalg.qr(m.zeros(0, 3, dtype=m.float16)),  # (even when empty)
        lambda m: m.linalg.det(_t(m, _HALF_SQUARE, "float16")),
        lambda m: m.linalg.solve(_t(m, _HALF_SQUARE, "float16"), m.ones(3, 2, dtype=m.float16)),
        lambda m: m.linalg.solve(_t(m, _HALF_SQUARE, "float16"), m.ones(3, 0, dtype=m.float16)),
        lambda m: m.linalg.solve_ex(_t(m, _HALF_SQUARE, "float16"), m.ones(3, dtype=m.float16)),
        lambda m: m.linalg.cholesky(_t(m, _HALF_SQUARE, "float16")),
        lambda m: m.linalg.cholesky_ex(_t(m, _HALF_SQUARE, "float16"), upper=True),
        lambda m: m.linalg.inv(m.zeros(0, 0, dtype=m.float16)),  # (even when empty)
        lambda m: m.linalg.inv_ex(_t(m, _HALF_SQUARE, "float16")),
        lambda m: m.linalg.slogdet(_t(m, _HALF_SQUARE, "float16")),
        lambda m: m.logdet(_t(m, _HALF_SQUARE, "float16")),
        lambda m: m.linalg.matrix_norm(_t(m, _HALF_MATRIX, "float16"), ord="nuc"),
        lambda m: m.linalg.matrix_norm(_t(m, _HALF_MATRIX, "float16"), ord=-2, dim=(0, 5)),
        lambda m: m.linalg.norm(_t(m, _HALF_MATRIX, "float16"), ord=2),
        lambda m: m.norm(_t(m, _HALF_MATRIX, "float16"), p="nuc"),
    ],
    ids=["svd", "svdvals", "torch-svd", "eigh", "eigvalsh", "qr", "qr-empty", "det", "solve",
         "solve-empty-b", "solve_ex", "cholesky", "cholesky_ex", "inv-empty", "inv_ex",
         "slogdet", "logdet", "matrix-norm-nuc", "matrix-norm-before-dims", "norm-2",
         "torch-norm-nuc"],
)  # fmt: skip
def test_linalg_refuses_float16_with_torchs_error(case: Callable[[Any], Any]) -> None:
    """torch's LAPACK kernels have no Half version (NotImplementedError naming the kernel);
    inv, slogdet and the spectral matrix norms refuse Half up front (fuzz seed 30032853)."""
    _same_error(case)


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.linalg.svd(m.zeros(0, 3, dtype=m.float16, requires_grad=True)),
        lambda m: (m.linalg.svdvals(m.zeros(2, 3, 0, dtype=m.float16)),),
        lambda m: m.linalg.eigh(m.zeros(0, 3, 3, dtype=m.float16, requires_grad=True)),
        lambda m: (m.linalg.det(m.zeros(2, 0, 0, dtype=m.float16, requires_grad=True)),),
        lambda m: (m.linalg.cholesky(m.zeros(0, 0, dtype=m.float16)),),
        lambda m: (m.linalg.solve(m.zeros(0, 0, dtype=m.float16), m.zeros(0, 2, dtype=m.float16)),),
    ],
    ids=["svd", "svdvals", "eigh", "det", "cholesky", "solve"],
)
def test_linalg_decompositions_of_empty_float16_input(case: Callable[[Any], Any]) -> None:
    """With nothing to factor torch runs no kernel: an empty float16 input gives float16
    results (det of 0×0 matrices is 1)."""

    def run(m: Any) -> Any:
        outs = case(m)
        return [(tuple(t.shape), str(t.dtype).split(".")[-1], _name(t), _np(t).tolist())
                for t in outs]  # fmt: skip

    ours, theirs = _both(run)
    assert ours == theirs


@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [((3, 4), {}), ((2, 3, 4), {"dim": (0, 2)}), ((2, 3, 4), {"dim": [2, 0], "keepdim": True}),
     ((0, 3), {})],
)  # fmt: skip
def test_torch_norm_nuc_is_the_nuclear_matrix_norm(shape: tuple[int, ...], kwargs: Any) -> None:
    """torch.norm(p='nuc') is linalg.matrix_norm(ord='nuc') over two dims, gradient included."""

    def run(m: Any) -> Any:
        x = _leaf(m, np.arange(np.prod(shape), dtype=np.float64).reshape(shape) % 5, "float64")
        y = m.norm(x, p="nuc", **kwargs)
        y.sum().backward()
        return y, x.grad

    (y_o, g_o), (y_t, g_t) = _both(run)
    _close(y_o, y_t)
    _close(g_o, g_t)


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.norm(m.ones(2, 3, 4), p="nuc"),
        lambda m: m.norm(m.ones(2, 3, 4), p="nuc", dim=1),
        lambda m: m.norm(m.ones(4), p="nuc", dim=(0, 1, 2)),
        lambda m: m.norm(m.ones(3, 4, dtype=m.int64), p="nuc"),
    ],
    ids=["3-d", "one-dim", "1-d-first", "int"],
)
def test_torch_norm_nuc_errors(case: Callable[[Any], Any]) -> None:
    _same_error(case)


@pytest.mark.parametrize(
    ("equation", "a_shape", "b_shape"),
    [
        ("ij,jk->ki", (0, 3), (3, 4)),  # the right side leads the output: it goes first
        ("ij,jk->ik", (0, 3), (3, 4)),
        ("ij,jk->ki", (2, 3), (3, 0)),
        ("ij,jk->ik", (2, 3), (3, 0)),
        ("bij,bjk->kbi", (2, 0, 3), (2, 3, 4)),
        ("abc,cd->ad", (2, 0, 4), (4, 5)),  # b is summed first: nothing empty is multiplied
    ],
)
@pytest.mark.parametrize("dtypes", [("float64", "float32"), ("float32", "float64")])
def test_einsum_of_mixed_dtypes_follows_torchs_operand_order(
    equation: str, a_shape: tuple[int, ...], b_shape: tuple[int, ...], dtypes: tuple[str, str]
) -> None:
    """torch's batched matmul refuses operands of different dtypes naming the first as
    expected, and for an empty product takes the second's dtype; which side goes first
    depends on the output's order (fuzz: einsum_sublist of a (0, 3) float64 and a float32)."""

    def run(m: Any) -> Any:
        a = m.ones(a_shape, dtype=getattr(m, dtypes[0]))
        b = m.ones(b_shape, dtype=getattr(m, dtypes[1]))
        return m.einsum(equation, a, b)

    try:
        theirs = run(torch)
    except RuntimeError:
        _same_error(run)
        return
    ours = run(dyngrad)
    assert (tuple(ours.shape), str(ours.dtype)) == (tuple(theirs.shape), str(theirs.dtype))


@pytest.mark.parametrize(
    "values",
    [[[0.0, 1.5, -2.0], [0.0, 0.0, 0.0], [-0.5, 0.0, 1.0]], [[0.0] * 3] * 3],
    ids=["rank-2", "zero"],
)
def test_qr_backward_of_a_rank_deficient_matrix_is_nan_not_an_error(values: Any) -> None:
    """torch's QR backward solves with R by a triangular solve: a zero on R's diagonal gives
    inf/NaN, no error (fuzz seed 30519012 of the linalg families)."""

    def run(m: Any) -> Any:
        x = _leaf(m, values)
        q, r = m.linalg.qr(x)
        (q.sum() + 2 * r.sum()).backward()
        return x.grad

    ours, theirs = _both(run)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert np.isnan(_np(ours)).all() and np.isnan(_np(theirs)).all()


@pytest.mark.parametrize(
    "matrix",
    [
        [[0.0, 1.5, -2.0], [0.0, 0.0, 0.0], [-0.5, 0.0, 1.0]],
        [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]],
        [[0.0, 0.0], [0.0, 0.0]],
    ],
    ids=["zero-row", "batch", "zero"],
)
def test_inv_ex_of_a_singular_matrix_gives_info_not_an_error(matrix: Any) -> None:
    """inv_ex reports a singular matrix in ``info`` (LU's first zero pivot) and returns
    LAPACK's inf/NaN inverse; check_errors=True raises inv_ex's error (fuzz seed 30513684)."""

    def run(m: Any) -> Any:
        inverse, info = m.linalg.inv_ex(_leaf(m, matrix))
        return str(_np(inverse).tolist()), info.tolist(), str(info.dtype), _name(inverse)

    ours, theirs = _both(run)
    assert ours == theirs
    phrase = "is zero, the inversion could not be completed because the input matrix is singular"
    theirs_err = pytest.raises(RuntimeError, torch.linalg.inv_ex, torch.tensor(matrix),
                               check_errors=True)  # fmt: skip
    ours_err = pytest.raises(
        dyngrad.linalg.LinAlgError,
        dyngrad.linalg.inv_ex,
        dyngrad.tensor(matrix),
        check_errors=True,
    )
    assert phrase in str(theirs_err.value)
    assert str(ours_err.value) == str(theirs_err.value)


@pytest.mark.parametrize("fn", ["var", "var_mean", "std"])
@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [((), {"dim": 0}), ((1,), {}), ((2,), {"correction": 2}), ((), {"dim": ()}),
     ((1,), {"dim": 0}), ((1,), {"dim": ()}), ((), {"correction": 0.5})],
)  # fmt: skip
def test_variance_over_the_whole_input_without_degrees_of_freedom_has_a_constant_nan_grad(
    fn: str, shape: tuple[int, ...], kwargs: Any
) -> None:
    """torch's var (not std) over the whole input (no dim, or a 0-d input) with
    N − correction ≤ 0 gives a NaN gradient that is a constant: no graph to differentiate
    again (fuzz seed 30516619 of the linalg families)."""

    def run(m: Any) -> Any:
        x = m.full(shape, 3.0, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = getattr(m, fn)(x, **kwargs)
        v = out[0] if isinstance(out, tuple) else out
        (g,) = m.autograd.grad(v.sum(), x, create_graph=True)
        return str(_np(g).tolist()), g.requires_grad

    ours, theirs = _both(run)
    assert ours == theirs


@pytest.mark.parametrize(
    ("a_shape", "b_shape"), [((1, 1), (3,)), ((2, 1, 1), (2, 1)), ((1, 1), (0,))]
)
def test_solve_left_false_refuses_a_vector_b_for_1_by_1_matrices(
    a_shape: tuple[int, ...], b_shape: tuple[int, ...]
) -> None:
    """XA = B with a vector B and n = 1 is torch's 'Vector broadcasting' error (fuzz seed
    30616627 of the linalg families)."""
    _same_error(lambda m: m.linalg.solve(m.ones(a_shape), m.ones(b_shape), left=False))


def test_det_gradient_of_1_by_1_matrices_does_not_depend_on_the_input() -> None:
    """det A = a₁₁ for n = 1: Ā = d̄, with no graph back to A (fuzz seed 30604161)."""

    def run(m: Any) -> Any:
        x = _leaf(m, [[[1.5]], [[0.0]]])
        (g,) = m.autograd.grad(m.linalg.det(x).sum(), x, create_graph=True)
        return _np(g).tolist(), g.requires_grad

    ours, theirs = _both(run)
    assert ours == theirs


def test_cholesky_ex_backward_of_a_matrix_that_is_not_positive_definite() -> None:
    """The partial factor's backward meets a zero on L's diagonal: NaN/inf, no error (fuzz
    seed 30628896)."""

    def run(m: Any) -> Any:
        x = _leaf(m, [[4.0, 2.0], [2.0, 1.0]])
        low, info = m.linalg.cholesky_ex(x)
        low.sum().backward()
        return str(_np(x.grad).tolist()), info.tolist()

    ours, theirs = _both(run)
    assert ours == theirs
