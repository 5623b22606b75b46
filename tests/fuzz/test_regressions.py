"""Every failure the differential fuzzer found, as a plain test (shrunk by hand to the few
lines that matter). Fixed ones pass; the ones whose fix belongs to an op family still being
worked on are ``xfail(strict=True)`` with the owner in the reason (``known.py`` lets the fuzzer
count them apart), so a fix makes them fail until the mark goes.

Each test runs the same lines on dyngrad and torch (``m`` is the module) and compares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _name(t: Any) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _both(fn: Callable[[Any], Any]) -> tuple[Any, Any]:
    return fn(dyngrad), fn(torch)


def _same_error(fn: Callable[[Any], Any]) -> str:
    """Both modules raise the same exception class; returns torch's message."""
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(type(theirs.value)) as ours:
        fn(dyngrad)
    return f"{theirs.value} | {ours.value}"


def _close(a: Any, b: Any, rtol: float = 1e-6) -> None:
    np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=1e-7)


def _leaf(m: Any, values: Any, dtype: str = "float32") -> Any:
    return m.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


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


@pytest.mark.xfail(strict=True, reason="indexing family: advanced indexing keeps its indices "
                   "as arrays, so a second backward through it runs where torch says the "
                   "graph was freed")  # fmt: skip
def test_second_backward_through_advanced_indexing_raises() -> None:
    def run(m: Any) -> None:
        x = _leaf(m, np.ones((4, 5)))
        y = x[[0, 1, 2], [1, 2, 3]]
        y.sum().backward()
        y.sum().backward()

    _same_error(run)


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


@pytest.mark.xfail(strict=True, reason="indexing family: errors on shapes without a sample "
                   "(scatter with an empty index raises; torch writes nothing)")  # fmt: skip
def test_indexing_errors_on_shapes_without_a_sample() -> None:
    _same_outcome(lambda m: m.zeros(3, 4).scatter(1, m.zeros(0, dtype=m.int64), 1.0))


@pytest.mark.xfail(strict=True, reason="linalg family: errors on shapes without a sample "
                   "(mv of a 0-d tensor: RuntimeError, torch IndexError; vecdot of float32 and "
                   "float64 passes, torch refuses mixed dtypes)")  # fmt: skip
@pytest.mark.parametrize("case", ["mv-0d", "vecdot-dtypes"])
def test_linalg_errors_on_shapes_without_a_sample(case: str) -> None:
    if case == "mv-0d":
        _same_outcome(lambda m: m.mv(m.tensor(1.0), m.ones(3)))
    else:
        _same_outcome(lambda m: m.linalg.vecdot(m.ones(3), m.ones(3, dtype=m.float64)))


@pytest.mark.xfail(strict=True, reason="reduction family: errors on shapes without a sample "
                   "(cumsum checks the dtype before the dim; logsumexp over dim=() of an "
                   "empty tensor raises)")  # fmt: skip
@pytest.mark.parametrize("case", ["cumsum-dim-first", "logsumexp-empty-dims"])
def test_reduction_errors_on_shapes_without_a_sample(case: str) -> None:
    if case == "cumsum-dim-first":
        _same_outcome(lambda m: m.ones(4, requires_grad=True).cumsum(1, dtype=m.int32))
    else:
        _same_outcome(lambda m: m.logsumexp(m.ones(2, 0), dim=()))


@pytest.mark.xfail(strict=True, reason="nn family: errors on shapes without a sample "
                   "(rms_norm of a 1-d input with a 2-d normalized_shape: RuntimeError, torch "
                   "ValueError)")  # fmt: skip
def test_nn_errors_on_shapes_without_a_sample() -> None:
    _same_outcome(lambda m: m.nn.functional.rms_norm(m.ones(4), (3, 4)))


@pytest.mark.xfail(strict=True, reason="nn/reduction families: avg_pool, interpolate, pad "
                   "(reflect, replicate, circular), max/min/median with dim keep backward data "
                   "as arrays: a second backward runs where torch says the graph was freed")  # fmt: skip
def test_second_backward_through_pooling_raises() -> None:
    def run(m: Any) -> None:
        x = _leaf(m, np.ones((1, 1, 4, 4)))
        y = m.nn.functional.avg_pool2d(x, 2).sum()
        y.backward()
        y.backward()

    _same_error(run)


@pytest.mark.xfail(strict=True, reason="indexing family: sort/topk/kthvalue indices, gather, "
                   "scatter, index_* and masked_* keep their index or mask as arrays: an "
                   "in-place change of one is not caught (torch raises)")  # fmt: skip
def test_changing_saved_indices_in_place_is_caught() -> None:
    def run(m: Any) -> None:
        x = _leaf(m, [3.0, 1.0, 2.0]) * 1
        values, indices = x.sort()
        indices.add_(0)
        values.sum().backward()

    _same_error(run)


@pytest.mark.xfail(strict=True, reason="linalg family: matmul(vector, matrix) returns a view "
                   "of an internal temporary (torch squeezes it in place): in-place ops on the "
                   "result show CopySlices/AsStridedBackward0")  # fmt: skip
def test_matmul_of_a_vector_and_a_matrix_is_not_a_view() -> None:
    def run(m: Any) -> Any:
        y = m.ones(3) @ _leaf(m, np.ones((3, 3)))
        y.add_(1)
        return _name(y), y._base is None

    assert run(dyngrad) == run(torch)


@pytest.mark.xfail(strict=True, reason="linalg family: a gradient that reaches only the sign "
                   "output of slogdet gives zeros (torch: None)")  # fmt: skip
def test_slogdet_sign_only_gradient_is_none() -> None:
    def run(m: Any) -> Any:
        a = _leaf(m, [[2.0, 0.5], [0.3, 1.0]])
        sign, _ = m.linalg.slogdet(a)
        sign.backward()
        return a.grad

    assert run(dyngrad) is None and run(torch) is None


@pytest.mark.xfail(strict=True, reason="indexing family: fill_, zero_ and x[i] = number on an "
                   "expanded tensor write one value everywhere: torch allows it; they need "
                   "commit_inplace(..., overlap_ok=True)")  # fmt: skip
def test_fill_of_an_expanded_tensor_is_allowed() -> None:
    def run(m: Any) -> Any:
        base = m.ones(1, 4)
        e = base.expand(3, 4)
        e.fill_(2.0)
        e[0] = 5.0
        return base

    ours, theirs = _both(run)
    _close(ours, theirs)


@pytest.mark.xfail(strict=True, reason="indexing family: advanced indexing results have NumPy's "
                   "memory layout, not torch's, so view() accepts different shapes")  # fmt: skip
def test_layout_of_advanced_indexing_results() -> None:
    _same_outcome(lambda m: m.arange(24.0).reshape(2, 3, 4)[0, :, [0, 1, 2]].view(-1))


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


@pytest.mark.xfail(strict=True, reason="linalg family: linalg.qr keeps Q and R as arrays "
                   "without version counters; torch raises when one was changed in place")  # fmt: skip
def test_changing_a_qr_output_in_place_is_caught() -> None:
    def run(m: Any) -> None:
        q, r = m.linalg.qr(_leaf(m, np.eye(4, 3) + 0.5))
        q.add_(2.0)
        q.sum().backward()

    _same_error(run)


@pytest.mark.xfail(strict=True, reason="reduction family: var with correction > N has a NaN "
                   "gradient where torch's is 0")  # fmt: skip
def test_var_gradient_when_correction_exceeds_the_count() -> None:
    def run(m: Any) -> Any:
        x = _leaf(m, [[0.5], [1.0], [-1.0]])
        x.var(dim=-1, correction=2, keepdim=True).sum().backward()
        return x.grad

    ours, theirs = _both(run)
    np.testing.assert_array_equal(_np(ours), _np(theirs))


@pytest.mark.xfail(strict=True, reason="indexing family: fill_ and setitem of a value out of "
                   "range for uint8 (-0.5, 256) write instead of raising torch's RuntimeError")  # fmt: skip
@pytest.mark.parametrize("value", [-0.5, 256])
def test_filling_uint8_with_an_out_of_range_value_raises(value: float) -> None:
    _same_error(lambda m: m.zeros(3, dtype=m.uint8).fill_(value))
    _same_error(lambda m: m.zeros(3, dtype=m.uint8).__setitem__(0, value))


@pytest.mark.xfail(strict=True, reason="nn family: smooth_l1_loss with beta=0 promotes like "
                   "l1_loss after broadcasting (a 0-d float64 input with a (1, 1) float32 "
                   "target gives float64 in torch)")  # fmt: skip
def test_smooth_l1_loss_beta_zero_dtype() -> None:
    def run(m: Any) -> Any:
        a = m.tensor(0.3, dtype=m.float64)
        b = m.tensor([[1.5]], dtype=m.float32)
        return m.nn.functional.smooth_l1_loss(a, b, beta=0.0).dtype

    assert str(run(dyngrad)) == str(run(torch))


@pytest.mark.xfail(strict=True, reason="nn family: adaptive_max_pool1d keeps its indices as "
                   "the output's own array: changing the indices output in place corrupts the "
                   "backward (ValueError) where torch raises its version error")  # fmt: skip
def test_adaptive_max_pool_indices_changed_in_place() -> None:
    def run(m: Any) -> None:
        x = _leaf(m, np.arange(42.0).reshape(2, 3, 7))
        out, idx = m.nn.functional.adaptive_max_pool1d(x, 3, return_indices=True)
        idx.add_(3)
        out.sum().backward()

    _same_error(run)


def test_every_known_failure_has_a_regression_test() -> None:
    from fuzz.known import KNOWN

    missing = sorted({k.test for k in KNOWN} - set(globals()))
    assert not missing, f"known.py names tests that do not exist: {missing}"
