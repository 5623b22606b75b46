"""Fuzzer failures about what an op saves for backward, each as a plain test: an in-place change
of an input or output after the op makes backward raise torch's "modified by an inplace
operation" exactly when torch's does (tests/test_saved_versions.py checks every op this way).

Each test runs the same lines on dyngrad and torch (``m`` is the module) and compares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

MODIFIED = "modified by an inplace operation"


def _outcome(fn: Callable[[Any], Any], m: Any) -> str:
    try:
        fn(m)
    except RuntimeError as exc:
        return "modified" if MODIFIED in str(exc) else f"RuntimeError: {exc}"
    return "ok"


def _same_outcome(fn: Callable[[Any], Any], expected: str) -> None:
    """torch gives ``expected`` (a check on the test itself), and dyngrad the same."""
    assert _outcome(fn, torch) == expected
    assert _outcome(fn, dyngrad) == expected


def _x(m: Any, values: Any) -> Any:
    """A non-leaf float64 tensor that requires grad (so it may be changed in place)."""
    return m.tensor(np.asarray(values, dtype="float64"), requires_grad=True).clone()


def _bump(t: Any) -> None:
    """Move the version counter without changing the values."""
    with dyngrad.no_grad(), torch.no_grad():
        t.add_(0)


# --- a saved value is checked even where the backward formula does not read it -----------


@pytest.mark.parametrize("dim", [None, 1])
def test_norm_p0_saves_its_result(dim: Any) -> None:
    def run(m: Any) -> None:
        x = _x(m, [[0.0, 1.5, -2.0], [0.0, 0.0, 0.0], [-0.5, 0.0, 1.0]])
        y = m.norm(x, p=0, dim=dim)
        _bump(y)
        y.sum().backward()

    _same_outcome(run, "modified")


def test_prod_of_a_0d_tensor_saves_its_result() -> None:
    def run(m: Any) -> None:
        y = _x(m, 1.5).prod()
        _bump(y)
        y.backward()

    _same_outcome(run, "modified")


def test_cumprod_with_a_zero_saves_its_result() -> None:
    def run(m: Any) -> None:
        y = m.cumprod(_x(m, [1.9, 1.3, 0.7, 0.0, 0.6]), dim=0)
        _bump(y)
        y.sum().backward()

    _same_outcome(run, "modified")


def test_scatter_reduce_sum_saves_its_result() -> None:
    def run(m: Any) -> None:
        index = m.tensor([[1, 0, 2, 2], [1, 2, 0, 2]])
        src = m.tensor(np.linspace(-1, 1, 8).reshape(2, 4))
        y = m.scatter_reduce(_x(m, np.ones((3, 4))), 0, index, src, "sum", include_self=False)
        _bump(y)
        y.sum().backward()

    _same_outcome(run, "modified")


def test_slogdet_sign_is_checked_when_only_the_sign_gets_a_gradient() -> None:
    def run(m: Any) -> None:
        sign, _ = m.linalg.slogdet(_x(m, [[2.4, -0.6], [-0.1, 3.6]]))
        sign.mul_(3)
        sign.backward()

    _same_outcome(run, "modified")


def test_std_mean_std_is_checked_when_only_the_mean_gets_a_gradient() -> None:
    def run(m: Any) -> None:
        std, mean = m.std_mean(_x(m, [1.4, 1.9, 1.4, 1.9, -1.9]))
        std.sigmoid_()
        mean.backward()

    _same_outcome(run, "modified")


@pytest.mark.parametrize("accumulate", [False, True])
def test_put_checks_its_index_even_when_only_self_needs_a_gradient(accumulate: bool) -> None:
    def run(m: Any) -> None:
        index = m.tensor([0, 2])
        y = _x(m, [1.0, 2.0, 3.0]).put(index, m.tensor([5.0, 6.0], dtype=m.float64), accumulate)
        index.add_(0)
        y.sum().backward()

    _same_outcome(run, "modified")


# --- inputs torch saves for their own gradient ---------------------------------------------


_SELF_SAVED: list[Callable[[Any, Any], Any]] = [
    lambda m, x: x.take(m.tensor([0, 2])),
    lambda m, x: x.gather(0, m.tensor([2, 0])),
    lambda m, x: x.masked_select(m.tensor([True, False, True])),
    lambda m, x: m.take_along_dim(x.reshape(3, 1), m.tensor([[2], [0]]), dim=0),
]


@pytest.mark.parametrize("op", _SELF_SAVED, ids=["take", "gather", "masked_select", "along"])
def test_indexing_ops_save_self(op: Callable[[Any, Any], Any]) -> None:
    def run(m: Any) -> None:
        x = _x(m, [1.0, 2.0, 3.0])
        y = op(m, x)
        _bump(x)
        y.sum().backward()

    _same_outcome(run, "modified")


_SOURCE_SAVED: list[Callable[[Any, Any, Any], Any]] = [
    lambda m, x, s: x.index_add(0, m.tensor([0, 2]), s),
    lambda m, x, s: x.index_copy(0, m.tensor([0, 2]), s),
    lambda m, x, s: x.put(m.tensor([0, 2]), s),
]


@pytest.mark.parametrize("op", _SOURCE_SAVED, ids=["index_add", "index_copy", "put"])
@pytest.mark.parametrize("source_grad", [True, False])
def test_source_is_saved_only_for_its_own_gradient(
    op: Callable[[Any, Any, Any], Any], source_grad: bool
) -> None:
    def run(m: Any) -> None:
        x = _x(m, [1.0, 2.0, 3.0])
        source = m.tensor([5.0, 6.0], dtype=m.float64, requires_grad=source_grad).clone()
        y = op(m, x, source)
        _bump(source)
        y.sum().backward()

    _same_outcome(run, "modified" if source_grad else "ok")


def test_lerp_saves_its_weight_for_the_weights_own_gradient() -> None:
    def run(m: Any) -> None:
        start = m.tensor([1.0, 2.0], dtype=m.float64)
        end = m.tensor([3.0, 5.0], dtype=m.float64)
        weight = _x(m, [0.2, 0.7])
        y = m.lerp(start, end, weight)
        _bump(weight)
        y.sum().backward()

    _same_outcome(run, "modified")


# --- products save each operand only for the other's gradient --------------------------------


_PRODUCTS: list[tuple[str, Callable[[Any, Any, Any], Any], tuple[int, ...], tuple[int, ...]]] = [
    ("dot", lambda m, a, b: m.dot(a, b), (3,), (3,)),
    ("mv", lambda m, a, b: m.mv(a, b), (2, 3), (3,)),
    ("mm", lambda m, a, b: m.mm(a, b), (2, 3), (3, 4)),
    ("bmm", lambda m, a, b: m.bmm(a, b), (2, 2, 3), (2, 3, 4)),
    ("matmul", lambda m, a, b: a @ b, (2, 2, 3), (3, 4)),
    ("tensordot", lambda m, a, b: m.tensordot(a, b, dims=1), (2, 3), (3, 4)),
    ("addmm", lambda m, a, b: m.addmm(m.zeros(2, 4, dtype=m.float64), a, b), (2, 3), (3, 4)),
]


@pytest.mark.parametrize("case", _PRODUCTS, ids=[c[0] for c in _PRODUCTS])
@pytest.mark.parametrize("changed", [0, 1])
def test_product_operand_changed_whose_gradient_is_not_needed(case: Any, changed: int) -> None:
    _, op, shape_a, shape_b = case

    def run(m: Any) -> None:
        a = m.tensor(np.linspace(-1, 1, int(np.prod(shape_a))).reshape(shape_a))
        b = m.tensor(np.linspace(-2, 1, int(np.prod(shape_b))).reshape(shape_b))
        (a if changed == 0 else b).requires_grad_()  # the changed one needs a gradient ...
        a, b = a.clone(), b.clone()
        y = op(m, a, b)
        _bump(a if changed == 0 else b)  # ... but only the other operand's formula reads it
        y.sum().backward()

    _same_outcome(run, "ok")

    def run_other(m: Any) -> None:  # the other operand needs a gradient: then it raises
        a = m.tensor(np.linspace(-1, 1, int(np.prod(shape_a))).reshape(shape_a))
        b = m.tensor(np.linspace(-2, 1, int(np.prod(shape_b))).reshape(shape_b))
        (b if changed == 0 else a).requires_grad_()
        a, b = a.clone(), b.clone()
        y = op(m, a, b)
        _bump(a if changed == 0 else b)
        y.sum().backward()

    _same_outcome(run_other, "modified")


@pytest.mark.parametrize("changed", ["input", "output"])
def test_sgn_saves_its_input_and_result(changed: str) -> None:
    def run(m: Any) -> None:
        x = _x(m, [1.5, -2.0])
        y = m.sgn(x)
        _bump(x if changed == "input" else y.unsqueeze(0))  # (a view shares the version)
        y.sum().backward()

    _same_outcome(run, "modified")


# --- einsum and tensordot save what torch's pairwise products read ---------------------------


_EINSUM_OPERAND_CASES = [
    # (equation, shapes, which operands need a gradient, the changed operand, torch's outcome)
    ("ij,jk->ik", [(2, 3), (3, 4)], (True, False), 0, "ok"),  # a: read by b's gradient only
    ("ij,jk->ik", [(2, 3), (3, 4)], (True, False), 1, "modified"),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], (False, False, True), 0, "ok"),  # left to right
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)], (True, False, False), 2, "modified"),
    ("bA,Ab", [(2, 3), (3, 2)], (False, True), 0, "ok"),  # torch's product reads a copy of a
    ("bA,Ab", [(2, 3), (3, 2)], (True, False), 1, "modified"),
]


@pytest.mark.parametrize("case", _EINSUM_OPERAND_CASES, ids=lambda c: f"{c[0]}-{c[2]}-{c[3]}")
def test_einsum_saves_an_operand_only_for_another_operands_gradient(case: Any) -> None:
    equation, shapes, wants, changed, expected = case

    def run(m: Any) -> None:
        xs = []
        for shape, wanted in zip(shapes, wants):
            x = m.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape))
            xs.append(x.requires_grad_(wanted).clone())
        y = m.einsum(equation, *xs)
        _bump(xs[changed])
        y.sum().backward()

    _same_outcome(run, expected)


def test_tensordot_over_every_dim_saves_views_of_the_operands() -> None:
    def run(m: Any) -> None:
        a = _x(m, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        b = m.tensor(np.linspace(-1, 1, 6).reshape(3, 2)).clone()
        y = m.tensordot(a, b, dims=([0, 1], [1, 0]))
        _bump(b)  # (a needs a gradient: torch's product saved a view of b)
        y.backward()

    _same_outcome(run, "modified")


# --- reductions and linear algebra -------------------------------------------------------------


def test_norm_with_dtype_saves_its_input() -> None:  # fuzz seed 25013691
    def run(m: Any) -> None:
        x = m.tensor([[1.5, -2.0], [0.5, 3.0]], dtype=m.float32, requires_grad=True).clone()
        y = m.norm(x, dtype=m.float64)
        _bump(x)
        y.backward()

    _same_outcome(run, "modified")


@pytest.mark.parametrize(
    "a, b, left",
    [
        ([[1.0, 2.0], [2.0, 4.0]], [[1.0], [3.0]], True),  # fuzz seed 25013188
        ([[0.0, 1.0], [0.0, 1.0]], [[1.0], [2.0]], True),  # a zero column: no pivot swap
        ([[0.0, 1.0], [0.0, 1.0]], [[1.0, 2.0]], False),  # XA = B: from the factors of A
        ([[1.0, 0.0], [0.0, 0.0]], [[1.0], [0.0]], True),  # 0/0
        ([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [1.0, 3.0]]], [[1.0], [3.0]], True),  # batch
    ],
)
def test_solve_ex_of_a_singular_matrix_returns_lapacks_result_and_info(
    a: Any, b: Any, left: bool
) -> None:
    result, info = dyngrad.linalg.solve_ex(dyngrad.tensor(a), dyngrad.tensor(b), left=left)
    expected, expected_info = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b), left=left)
    np.testing.assert_allclose(result.numpy(), expected.numpy(), rtol=1e-6)  # (NaNs equal)
    assert info.dtype == dyngrad.int32
    np.testing.assert_array_equal(info.numpy(), expected_info.numpy())
    with pytest.raises(RuntimeError, match="The solver failed because the input matrix is sing"):
        dyngrad.linalg.solve_ex(dyngrad.tensor(a), dyngrad.tensor(b), left=left, check_errors=True)


# --- recurrent cells and layers save what torch's CPU composition saves -----------------------


def test_lstm_cell_does_not_save_the_cell_state_for_its_own_gradient() -> None:
    def run(m: Any) -> None:
        m.manual_seed(0)
        cell = m.nn.LSTMCell(3, 2).double().requires_grad_(False)
        x = m.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
        h = m.tensor(np.linspace(-0.5, 0.5, 4).reshape(2, 2))
        c = _x(m, [[0.1, -0.2], [0.3, 0.4]])
        _, c_next = cell(x, (h, c))
        _bump(c)  # (torch saves c for the forget gate's gradient only)
        c_next.sum().backward()

    _same_outcome(run, "ok")


def _gru_cell(m: Any, ig: Any, hg: Any, hx: Any) -> Any:
    """dyngrad's fused GRU cell; torch's CPU cell computes it as this composition."""
    if m is dyngrad:
        from dyngrad.ops.nn_rnn import fused_gru_cell

        return fused_gru_cell(ig, hg, hx)
    x_r, x_z, x_n = ig.chunk(3, -1)
    h_r, h_z, h_n = hg.chunk(3, -1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    return (1 - z) * (x_n + r * h_n).tanh() + z * hx


@pytest.mark.parametrize("changed, expected", [(0, "ok"), (1, "modified"), (2, "modified")])
def test_gru_cell_saves_the_hidden_gates_and_state_not_the_input_gates(
    changed: int, expected: str
) -> None:
    def run(m: Any) -> None:
        ig = _x(m, np.linspace(-1, 1, 6).reshape(1, 6))  # (only it needs a gradient)
        hg = m.tensor(np.linspace(-2, 1, 6).reshape(1, 6))
        hx = m.tensor([[0.3, -0.4]], dtype=m.float64)
        y = _gru_cell(m, ig, hg, hx)
        _bump((ig, hg, hx)[changed])
        y.sum().backward()

    _same_outcome(run, expected)


def _lstm_run(m: Any, *, grads: tuple[str, ...], changed: str, batch_first: bool = False,
              bidirectional: bool = False) -> None:  # fmt: skip
    """nn.LSTM in float64 (torch's CPU composition) where only the parameters named in
    ``grads`` need a gradient; then ``changed`` ("x", "h0" or "c0") is changed in place."""
    m.manual_seed(0)
    lstm = m.nn.LSTM(3, 2, batch_first=batch_first, bidirectional=bidirectional).double()
    for name, p in lstm.named_parameters():
        p.requires_grad_(name in grads)
    n = 2 if bidirectional else 1
    x = m.tensor(np.linspace(-1, 1, 18).reshape((2, 3, 3) if batch_first else (3, 2, 3)))
    h0 = m.tensor(np.linspace(-0.5, 0.5, 4 * n).reshape(n, 2, 2))
    c0 = m.tensor(np.linspace(-0.2, 0.6, 4 * n).reshape(n, 2, 2))
    out, _ = lstm(x, (h0, c0))
    _bump({"x": x, "h0": h0, "c0": c0}[changed])
    out.sum().backward()


@pytest.mark.parametrize(
    "grads, changed, expected",
    [
        (("bias_ih_l0",), "h0", "ok"),  # h₀ is saved for W_hh's gradient only
        (("bias_ih_l0",), "c0", "modified"),  # c₀ for the forget gate's
        (("weight_hh_l0",), "x", "ok"),  # x for W_ih's only
        (("weight_ih_l0",), "x", "modified"),
    ],
)
def test_lstm_layer_saves_each_input_for_the_gradients_that_read_it(
    grads: tuple[str, ...], changed: str, expected: str
) -> None:
    _same_outcome(lambda m: _lstm_run(m, grads=grads, changed=changed), expected)


def test_lstm_layer_batch_first_saves_a_copy_of_x() -> None:
    # (x (B, T, I) is seen as a (T, B, I) view: torch's input product reads a copy of it)
    run = lambda m: _lstm_run(m, grads=("weight_ih_l0",), changed="x", batch_first=True)  # noqa: E731
    _same_outcome(run, "ok")


def test_lstm_reverse_direction_saves_x() -> None:
    run = lambda m: _lstm_run(m, grads=("weight_ih_l0_reverse",), changed="x", bidirectional=True)  # noqa: E731
    _same_outcome(run, "modified")


def test_group_norm_of_a_non_contiguous_input_saves_a_contiguous_copy() -> None:
    def run(m: Any) -> None:
        x = _x(m, np.linspace(-1, 1, 24).reshape(4, 3, 2)).transpose(0, 2)  # (2, 3, 4)
        y = m.nn.functional.group_norm(x, 1)
        _bump(x)
        y.sum().backward()

    _same_outcome(run, "ok")
