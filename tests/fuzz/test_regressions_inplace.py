"""Fuzz failures about in-place refusals, result layouts and graph edges: each test runs the
same lines on dyngrad and torch (``m`` is the module) and compares.

- torch refuses an in-place op on a leaf that requires grad, a view of one, a view made in
  no_grad mode or an output of a multi-output view op before the op looks at its arguments
  (``leaf[0:2].add_(zeros(3))`` is the view error, not the shape error); the ops torch never
  records (``logical_and_``) are not refused at all;
- multi-input elementwise ops lay their result out as torch does (strides, and so whether
  ``view(-1)`` works) when an operand is transposed or broadcast;
- a node has edges for the inputs torch differentiates only (``WhereBackward0``: the two
  branches, not the condition; ``NllLossBackward0``: the input, not target and weight).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from fuzz.parity import both as _both
from fuzz.parity import raised


def _same_error(fn: Callable[[Any], Any]) -> tuple[str, str]:
    """Both modules raise the same exception class; returns (torch's, dyngrad's) messages."""
    theirs, ours = raised(fn)
    return str(theirs), str(ours)


def _leaf(m: Any, n: int = 3) -> Any:
    return m.tensor(np.linspace(0.5, 2.0, n), requires_grad=True)


# --- in-place refusals come before the op's own argument checks ---------------------------


def _view_of_leaf(m: Any) -> Any:
    return _leaf(m)[0:2]


def _no_grad_view(m: Any) -> Any:
    x = _leaf(m)
    with m.no_grad():
        return x[0:2]


def _no_grad_view_of_plain(m: Any) -> Any:
    x = m.ones(3)
    with m.no_grad():
        return x[0:2]


def _split_output(m: Any) -> Any:
    return (_leaf(m, 4) * 1).split(2)[0]


_TARGETS = {
    "view-of-leaf": (_view_of_leaf, "a view of a leaf Variable"),
    "no-grad-view": (_no_grad_view, "created in no_grad mode"),
    "split-output": (_split_output, "output of a function that returns multiple views"),
}

# in-place calls whose arguments are wrong for a 2-element tensor (shape, missing bound, ...)
_BAD_CALLS = {
    "add_": lambda m, t: t.add_(m.zeros(4)),
    "iadd": lambda m, t: t.__iadd__(m.zeros(4)),
    "mul_": lambda m, t: t.mul_(m.zeros(4)),
    "sub_": lambda m, t: t.sub_(m.zeros(4), alpha=2),
    "div_": lambda m, t: t.div_(m.ones(4), rounding_mode="floor"),
    "pow_": lambda m, t: t.pow_(m.ones(4)),
    "lerp_": lambda m, t: t.lerp_(m.ones(4), 0.5),
    "clamp_": lambda m, t: t.clamp_(),
    "copy_": lambda m, t: t.copy_(m.zeros(4)),
    "eq_": lambda m, t: t.eq_(m.zeros(4)),
    "floor_divide_": lambda m, t: t.floor_divide_(m.ones(4)),
    "fill_": lambda m, t: t.fill_(m.ones(2)),
}


@pytest.mark.parametrize("target", sorted(_TARGETS))
@pytest.mark.parametrize("call", sorted(_BAD_CALLS))
def test_inplace_refusal_comes_before_the_argument_checks(target: str, call: str) -> None:
    make, phrase = _TARGETS[target]
    op = _BAD_CALLS[call]
    theirs, ours = _same_error(lambda m: op(m, make(m)))
    assert phrase in theirs, theirs  # (what torch says, so the test checks the order)
    assert phrase in ours, ours


@pytest.mark.parametrize("call", ["add_", "copy_", "eq_", "lerp_"])
def test_a_no_grad_view_is_refused_first_when_only_the_operand_requires_grad(call: str) -> None:
    """The write records a graph because the operand requires grad: torch refuses the
    no_grad view (its base does not require grad) before looking at the shapes."""
    calls = {
        "add_": lambda m, t, o: t.add_(o),
        "copy_": lambda m, t, o: t.copy_(o),
        "eq_": lambda m, t, o: t.eq_(o),
        "lerp_": lambda m, t, o: t.lerp_(m.ones(4), weight=o),
    }
    theirs, ours = _same_error(lambda m: calls[call](m, _no_grad_view_of_plain(m), _leaf(m, 4)))
    assert "no_grad mode" in theirs and "no_grad mode" in ours


@pytest.mark.parametrize("name", ["logical_and_", "logical_or_", "logical_xor_"])
def test_logical_inplace_ops_are_not_refused(name: str) -> None:
    """torch never records them: a leaf that requires grad takes the 0/1 truth values."""

    def run(m: Any) -> Any:
        t = _leaf(m, 2)
        getattr(t, name)(m.tensor([1.0, 0.0]))
        return t.detach().numpy().copy(), t.requires_grad, t.grad_fn is None

    ours, theirs = _both(run)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]


def test_logical_not_inplace_on_a_leaf_that_requires_grad() -> None:
    def run(m: Any) -> Any:
        t = m.tensor([1.0, 0.0, 2.0], requires_grad=True)
        t.logical_not_()
        return t.detach().numpy().copy()

    ours, theirs = _both(run)
    np.testing.assert_array_equal(ours, theirs)


def test_logical_inplace_keeps_its_own_argument_error_on_a_leaf() -> None:
    theirs, ours = _same_error(lambda m: _leaf(m).logical_and_(m.ones(4)))
    assert "must match the size" in theirs and "must match the size" in ours


# guards: right before the fix too, kept so that the earlier refusal does not over-reach


@pytest.mark.parametrize("call", sorted(_BAD_CALLS))
def test_guard_a_leaf_is_refused_before_the_argument_checks(call: str) -> None:
    theirs, ours = _same_error(lambda m: _BAD_CALLS[call](m, _leaf(m, 2)))
    phrase = "a leaf Variable that requires grad"
    assert phrase in theirs and phrase in ours


@pytest.mark.parametrize(
    "make",
    [lambda m: m.ones(3), lambda m: m.ones(4)[0:3], lambda m: _no_grad_view_of_plain(m)],
    ids=["plain", "view-of-plain", "no-grad-view-of-plain"],
)
def test_guard_tensors_that_record_nothing_get_the_argument_error(
    make: Callable[[Any], Any],
) -> None:
    """No tensor requires grad: nothing to refuse, the shape error comes."""
    theirs, ours = _same_error(lambda m: make(m).add_(m.zeros(5)))
    assert "must match the size" in theirs and "must match the size" in ours


@pytest.mark.parametrize("name", ["logical_and_", "logical_or_", "logical_xor_"])
def test_guard_logical_inplace_ops_on_a_view_of_a_leaf(name: str) -> None:
    def run(m: Any) -> Any:
        t = _view_of_leaf(m)
        getattr(t, name)(m.tensor([1.0, 0.0]))
        return t.detach().numpy().copy(), t.requires_grad

    ours, theirs = _both(run)
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[1] == theirs[1]


# --- result layouts of multi-input elementwise ops ------------------------------------------


_A = np.random.default_rng(0).random((4, 3)).astype(np.float32) + 0.5
_B = np.random.default_rng(1).random((3, 4)).astype(np.float32) + 0.5
_C = np.random.default_rng(2).random((3, 4)).astype(np.float32) + 1.0

_LAYOUT_OPS = {
    "rsub": lambda m, a, b, c: m.rsub(a, b),
    "rsub-alpha": lambda m, a, b, c: m.rsub(a, b, alpha=2),
    "rsub-other-first": lambda m, a, b, c: m.rsub(b, a),
    "floor_divide": lambda m, a, b, c: m.floor_divide(a, b),
    "div-floor": lambda m, a, b, c: m.div(a, b, rounding_mode="floor"),
    "div-trunc": lambda m, a, b, c: m.div(a, b, rounding_mode="trunc"),
    "clamp-both": lambda m, a, b, c: m.clamp(a, b, c),
    "clamp-input-second": lambda m, a, b, c: m.clamp(b, a, c),
    "clamp-min": lambda m, a, b, c: m.clamp(a, min=b),
    "clamp_min": lambda m, a, b, c: m.clamp_min(a, b),
    "clamp_max": lambda m, a, b, c: m.clamp_max(a, c),
    "logical_and": lambda m, a, b, c: m.logical_and(a, b),
    "logical_xor": lambda m, a, b, c: m.logical_xor(a, b),
    "isclose": lambda m, a, b, c: m.isclose(a, b),
}

_OPERANDS = {
    # (a, b, c) from the arrays: ``a`` transposed, or the others
    "first-transposed": lambda m: (m.tensor(_A).t(), m.tensor(_B), m.tensor(_C)),
    "second-transposed": lambda m: (m.tensor(_B), m.tensor(_A).t(), m.tensor(_A).t() + 1),
    "broadcast-row": lambda m: (m.tensor(_B[:1]), m.tensor(_A).t(), m.tensor(_C)),
    "3d-permuted": lambda m: (
        m.tensor(_B.reshape(3, 2, 2)).permute(2, 0, 1),
        m.tensor(_C.reshape(2, 3, 2)),
        m.tensor(_C.reshape(2, 3, 2)),
    ),
}


# the (op, operands) pairs where NumPy's layout is not torch's
_LAYOUT_CASES = [
    *((op, operands) for op in ("clamp-min", "clamp_min", "clamp_max", "div-floor", "div-trunc",
                                "floor_divide", "isclose", "logical_and", "logical_xor")
      for operands in ("first-transposed", "3d-permuted")),
    ("clamp-both", "first-transposed"), ("clamp-both", "3d-permuted"),
    ("clamp-both", "broadcast-row"), ("clamp-input-second", "broadcast-row"),
    ("clamp-input-second", "second-transposed"), ("rsub", "second-transposed"),
    ("rsub-alpha", "second-transposed"), ("rsub-other-first", "first-transposed"),
    ("rsub-other-first", "3d-permuted"),
]  # fmt: skip


@pytest.mark.parametrize(("op", "operands"), _LAYOUT_CASES)
def test_multi_input_results_have_torchs_layout(op: str, operands: str) -> None:
    def run(m: Any) -> Any:
        out = _LAYOUT_OPS[op](m, *_OPERANDS[operands](m))
        try:
            out.view(-1)
            flat = True
        except RuntimeError:
            flat = False
        return tuple(out.stride()), flat, out.detach().numpy().copy()

    (s_o, f_o, v_o), (s_t, f_t, v_t) = _both(run)
    assert (s_o, f_o) == (s_t, f_t)
    np.testing.assert_array_equal(v_o, v_t)


# --- edges only for the inputs torch differentiates ------------------------------------------


def _x(m: Any) -> Any:
    return m.tensor([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3]], requires_grad=True)


_EDGE_CASES = {
    "where": lambda m, x: m.where(x.detach() > 0, x, x * 2),
    "where-number": lambda m, x: m.where(x.detach() > 0, x, 0.0),
    "where-number-first": lambda m, x: m.where(x.detach() > 0, 1.0, x),
    "masked_fill-number": lambda m, x: x.masked_fill(x.detach() > 0, 0.0),
    "scatter-number": lambda m, x: x.scatter(1, m.tensor([[0, 1], [2, 0]]), 1.0),
    "index_fill-number": lambda m, x: x.index_fill(1, m.tensor([0, 2]), 2.0),
    "embedding": lambda m, x: m.nn.functional.embedding(m.tensor([1, 0, 1]), x),
    "nll_loss": lambda m, x: m.nn.functional.nll_loss(x, m.tensor([0, 2])),
    "nll_loss-weight": lambda m, x: m.nn.functional.nll_loss(
        x, m.tensor([0, 2]), weight=m.tensor([1.0, 2.0, 3.0])
    ),
    "cross_entropy": lambda m, x: m.nn.functional.cross_entropy(x, m.tensor([0, 2])),
    "binary_cross_entropy-weight": lambda m, x: m.nn.functional.binary_cross_entropy(
        x.sigmoid(), m.full((2, 3), 0.25), weight=m.tensor([1.0, 2.0, 3.0])
    ),
    "binary_cross_entropy": lambda m, x: m.nn.functional.binary_cross_entropy(
        x.sigmoid(), m.full((2, 3), 0.25)
    ),
}


@pytest.mark.parametrize("case", sorted(_EDGE_CASES))
def test_next_functions_list_the_differentiable_inputs_only(case: str) -> None:
    def run(m: Any) -> Any:
        x = _x(m)
        out = _EDGE_CASES[case](m, x)
        edges = [None if fn is None else type(fn).__name__ for fn, _ in out.grad_fn.next_functions]
        out.sum().backward()
        return type(out.grad_fn).__name__, edges, x.grad.numpy().copy()

    (n_o, e_o, g_o), (n_t, e_t, g_t) = _both(run)
    assert (n_o, e_o) == (n_t, e_t)
    np.testing.assert_allclose(g_o, g_t, rtol=1e-5, atol=1e-7)


def test_guard_masked_fill_with_a_tensor_value_keeps_its_edge() -> None:
    def run(m: Any) -> Any:
        x = _x(m)
        out = x.masked_fill(x.detach() > 0, x[0, 0])
        return [None if fn is None else type(fn).__name__ for fn, _ in out.grad_fn.next_functions]

    ours, theirs = _both(run)
    assert ours == theirs


def test_guard_where_gradients_and_higher_order_through_its_two_edges() -> None:
    """Both branches get their gradient (and a second order one) through the two edges."""

    def run(m: Any) -> Any:
        a = m.tensor([0.5, -1.0, 2.0], dtype=m.float64, requires_grad=True)
        b = m.tensor([1.5, 0.2, -0.3], dtype=m.float64, requires_grad=True)
        z = m.where(a > 0, a * a, b * b * b).sum()
        ga, gb = m.autograd.grad(z, (a, b), create_graph=True)
        (ga.sum() + gb.sum()).backward()
        return ga.detach().numpy(), gb.detach().numpy(), a.grad.numpy(), b.grad.numpy()

    ours, theirs = _both(run)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=1e-12)


# --- overlap of self and the operand of an in-place binary op -------------------------------


def test_sub_of_a_none_indexed_view_by_its_unsqueezed_twin_is_a_full_overlap() -> None:
    """``x[..., None]`` and ``x.unsqueeze(2)`` view the same memory with the same strides
    (torch gives the new dim a stride, not 0): a full overlap, which torch allows."""

    def run(m: Any) -> Any:
        x = m.tensor(np.arange(20.0).reshape(5, 4)).t()
        with m.no_grad():
            x[..., None].sub_(x.unsqueeze(2))
        return x.numpy().copy()

    ours, theirs = _both(run)
    np.testing.assert_array_equal(ours, theirs)


def test_guard_sub_of_views_with_different_strides_over_the_same_memory_is_refused() -> None:
    """The same memory seen with other strides (or another shape) is a partial overlap."""
    phrase = "refer to a single memory location"

    def flat_by_matrix(m: Any) -> Any:
        x = m.arange(20.0)
        return x.view(4, 5).sub_(x)

    def rows_by_columns(m: Any) -> Any:
        x = m.arange(20.0)
        return x.view(4, 5).sub_(x.view(5, 4).t())

    for run in (flat_by_matrix, rows_by_columns):
        theirs, ours = _same_error(run)
        assert phrase in theirs and phrase in ours


def test_inplace_op_on_an_expanded_tensor_is_refused_before_the_shape_check() -> None:
    """torch checks that no two elements of the written-to tensor share memory before it
    looks at the operands' shapes or dtypes."""
    phrase = "more than one element of the written-to tensor refers to a single memory location"

    def expanded(m: Any) -> Any:
        return m.zeros(1).expand(6)

    cases: list[Callable[[Any], Any]] = [
        lambda m: expanded(m).add_(m.ones(2)),
        lambda m: expanded(m).sub_(m.ones(1, 6)),
        lambda m: expanded(m).clamp_(min=m.ones(2)),
        lambda m: expanded(m).lerp_(m.ones(2), 0.5),
        lambda m: (lambda x: x[:1].expand(6).sub_(x.view(4, 6)))(m.arange(24.0)),
    ]
    for case in cases:
        theirs, ours = _same_error(case)
        assert phrase in theirs and phrase in ours, (theirs, ours)
