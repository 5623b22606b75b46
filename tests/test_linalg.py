"""Linear algebra beyond the op table: error messages word for word (the op table only compares
exception classes, and torch's LinAlgError is its own class), every matmul dispatch path,
random einsum equations, and gradients at singular matrices."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")


def _error(fn: Callable[[Any], Any], module: Any) -> BaseException | None:
    try:
        fn(module)
    except Exception as exc:  # noqa: BLE001 - any exception is the result here
        return exc
    return None


def _class_name(exc: BaseException) -> str:
    name = type(exc).__name__
    return "LinAlgError" if name == "_LinAlgError" else name


_SINGULAR = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]]
_ERROR_CASES: dict[str, Callable[[Any], Any]] = {
    "inv-singular": lambda m: m.linalg.inv(m.tensor(_SINGULAR)),
    "inv-zeros": lambda m: m.linalg.inv(m.zeros(3, 3)),
    "inv-batch-singular": lambda m: m.linalg.inv(m.stack([m.eye(3), m.zeros(3, 3)])),
    "inv-non-square": lambda m: m.linalg.inv(m.ones(2, 3)),
    "inv-1-d": lambda m: m.linalg.inv(m.ones(3)),
    "inv-int": lambda m: m.linalg.inv(m.eye(3, dtype=m.int64)),
    "det-non-square": lambda m: m.linalg.det(m.ones(2, 3)),
    "det-int": lambda m: m.det(m.eye(3, dtype=m.int64)),
    "slogdet-non-square": lambda m: m.linalg.slogdet(m.ones(2, 3)),
    "solve-singular": lambda m: m.linalg.solve(m.zeros(3, 3), m.ones(3)),
    "solve-vector-size": lambda m: m.linalg.solve(m.eye(3), m.ones(4)),
    "solve-matrix-size": lambda m: m.linalg.solve(m.eye(3), m.ones(4, 2)),
    "solve-left-false-size": lambda m: m.linalg.solve(m.eye(3), m.ones(3, 2), left=False),
    "solve-dtype": lambda m: m.linalg.solve(m.eye(3), m.ones(3, dtype=m.float64)),
    "cholesky-not-pd": lambda m: m.linalg.cholesky(-m.eye(3)),
    "cholesky-minor-2": lambda m: m.linalg.cholesky(m.tensor([[1.0, 2.0], [2.0, 1.0]])),
    "cholesky-batch": lambda m: m.linalg.cholesky(m.stack([m.eye(2), -m.eye(2)])),
    "cholesky-non-square": lambda m: m.linalg.cholesky(m.ones(2, 3)),
    "qr-mode": lambda m: m.linalg.qr(m.ones(3, 2), mode="bad"),
    "qr-1-d": lambda m: m.linalg.qr(m.ones(3)),
    "svd-int": lambda m: m.linalg.svdvals(m.eye(3, dtype=m.int64)),
    "eigh-uplo": lambda m: m.linalg.eigh(m.eye(3), UPLO="X"),
    "eigh-non-square": lambda m: m.linalg.eigh(m.ones(2, 3)),
    "eigh-int": lambda m: m.linalg.eigh(m.eye(3, dtype=m.int64)),
    "matrix-norm-ord": lambda m: m.linalg.matrix_norm(m.ones(3, 3), 3),
    "matrix-norm-1-d": lambda m: m.linalg.matrix_norm(m.ones(3)),
    "norm-3-d-ord": lambda m: m.linalg.norm(m.ones(2, 3, 3), 2),
    "norm-three-dims": lambda m: m.linalg.norm(m.ones(2, 3, 3), dim=(0, 1, 2)),
    "norm-fro-vector": lambda m: m.linalg.norm(m.ones(3), "fro"),
    "trace-3-d": lambda m: m.trace(m.ones(2, 2, 2)),
    "trace-bool": lambda m: m.trace(m.ones(2, 2, dtype=m.bool)),
    "diag-3-d": lambda m: m.diag(m.ones(2, 2, 2)),
    "diagonal-same-dims": lambda m: m.diagonal(m.ones(3, 3), 0, 0, 0),
    "tril-1-d": lambda m: m.tril(m.ones(3)),
    "dot-size": lambda m: m.dot(m.ones(3), m.ones(4)),
    "dot-dtype": lambda m: m.dot(m.ones(3), m.ones(3, dtype=m.float64)),
    "dot-bool": lambda m: m.dot(m.ones(3, dtype=m.bool), m.ones(3, dtype=m.bool)),
    "mv-size": lambda m: m.mv(m.ones(2, 3), m.ones(4)),
    "mv-dtype": lambda m: m.mv(m.ones(2, 3), m.ones(3, dtype=m.float64)),
    "mm-size": lambda m: m.mm(m.ones(2, 3), m.ones(2, 3)),
    "mm-dtype": lambda m: m.mm(m.ones(2, 3), m.ones(3, 2, dtype=m.int64)),
    "bmm-size": lambda m: m.bmm(m.ones(5, 2, 3), m.ones(4, 3, 2)),
    "bmm-dtype": lambda m: m.bmm(m.ones(5, 2, 3), m.ones(5, 3, 2, dtype=m.float64)),
    "matmul-0-d": lambda m: m.matmul(m.ones(()), m.ones(3)),
    "matmul-batch": lambda m: m.ones(5, 2, 3) @ m.ones(4, 3, 2),
    "outer-2-d": lambda m: m.outer(m.ones(3, 3), m.ones(3)),
    "addmm-input": lambda m: m.addmm(m.ones(3), m.ones(2, 3), m.ones(3, 4)),
    "addmm-dtype": lambda m: m.addmm(m.ones(2, 4), m.ones(2, 3), m.ones(3, 4, dtype=m.float64)),
    "addmv-size": lambda m: m.addmv(m.ones(3), m.ones(2, 3), m.ones(3)),
    "baddbmm-dtype": lambda m: m.baddbmm(
        m.ones(2, 2, 5, dtype=m.float64), m.ones(2, 2, 3), m.ones(2, 3, 5)
    ),  # fmt: skip
    "tensordot-size": lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 3), 1),
    "tensordot-negative": lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 2), -1),
    "tensordot-lists": lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 2), ([0, 1], [1])),
    "einsum-size": lambda m: m.einsum("ij,jk", m.ones(2, 3), m.ones(4, 5)),
    "einsum-operands": lambda m: m.einsum("ij,jk", m.ones(2, 3)),
    "einsum-more-operands": lambda m: m.einsum("i", m.ones(2), m.ones(2)),
    "einsum-dims": lambda m: m.einsum("ijk", m.ones(2, 3)),
    "einsum-ellipsis-dims": lambda m: m.einsum("...ijk", m.ones(2, 3)),
    "einsum-output-twice": lambda m: m.einsum("ij->ii", m.ones(3, 3)),
    "einsum-output-unknown": lambda m: m.einsum("ij->k", m.ones(3, 3)),
    "einsum-repeated-size": lambda m: m.einsum("ii->i", m.ones(3, 4)),
    "einsum-bad-subscript": lambda m: m.einsum("i1", m.ones(3, 3)),
    "einsum-dtype": lambda m: m.einsum("i,i", m.ones(3), m.ones(3, dtype=m.float64)),
}


@pytest.mark.parametrize("case", list(_ERROR_CASES))
def test_error_class_and_message_match_torch(case: str) -> None:
    fn = _ERROR_CASES[case]
    theirs = _error(fn, torch)
    ours = _error(fn, dyngrad)
    assert theirs is not None and ours is not None, (theirs, ours)
    assert _class_name(ours) == _class_name(theirs)
    assert str(ours) == str(theirs).split("\n")[0]


def test_linalg_error_is_a_runtime_error() -> None:
    assert issubclass(dyngrad.linalg.LinAlgError, RuntimeError)
    with pytest.raises(dyngrad.linalg.LinAlgError):
        dyngrad.linalg.inv(dyngrad.zeros(2, 2))


_SHAPES = [(3,), (4,), (2, 4), (4, 3), (5, 4, 3), (1, 4, 3), (5, 3, 4), (1, 3, 4), (2, 1, 3, 4),
           (2, 5, 4, 3), (1, 1, 4, 3), (0, 4, 3), (4, 0), (0,), (1, 4), (4, 1), (5, 1, 4)]  # fmt: skip


def _grad_fn_name(t: Any) -> str | None:
    return None if t.grad_fn is None else type(t.grad_fn).__name__


@pytest.mark.parametrize("grads", [(True, True), (True, False), (False, True), (False, False)])
def test_matmul_dispatch_matches_torch_for_every_shape_pair(grads: tuple[bool, bool]) -> None:
    """Values, shapes, errors and the grad_fn node of ``a @ b`` (which of mm/mv/bmm runs)."""
    rng = np.random.default_rng(0)
    for sa in _SHAPES:
        for sb in _SHAPES:
            a = rng.standard_normal(sa).astype(np.float32)
            b = rng.standard_normal(sb).astype(np.float32)
            ta, tb = (
                torch.tensor(a, requires_grad=grads[0]),
                torch.tensor(b, requires_grad=grads[1]),
            )
            da, db = (
                dyngrad.tensor(a, requires_grad=grads[0]),
                dyngrad.tensor(b, requires_grad=grads[1]),
            )
            expected = _error(lambda m, x=ta, y=tb: x @ y, torch)
            if expected is not None:
                got = _error(lambda m, x=da, y=db: x @ y, dyngrad)
                assert got is not None and str(got) == str(expected), (sa, sb)
                continue
            rt, rd = ta @ tb, da @ db
            assert tuple(rd.shape) == tuple(rt.shape), (sa, sb)
            np.testing.assert_allclose(rd.detach().numpy(), rt.detach().numpy(), atol=1e-5)
            assert _grad_fn_name(rd) == _grad_fn_name(rt), (sa, sb, grads)


def _random_equation(rnd: random.Random) -> tuple[str, list[str]]:
    terms = ["".join(rnd.choice("abcd") for _ in range(rnd.randint(0, 3)))
             for _ in range(rnd.randint(1, 3))]  # fmt: skip
    used = sorted(set("".join(terms)))
    if rnd.random() < 0.6:
        return ",".join(terms) + "->" + "".join(rnd.sample(used, rnd.randint(0, len(used)))), terms
    return ",".join(terms), terms


def test_einsum_random_equations_match_torch() -> None:
    """Random equations (repeated subscripts, size-1 broadcasting, implicit output): values,
    grad_fn names and gradients as torch."""
    rnd = random.Random(0)
    rng = np.random.default_rng(0)
    sizes = {"a": 2, "b": 3, "c": 4, "d": 2}
    for _ in range(300):
        eq, terms = _random_equation(rnd)
        arrays = []
        for t in terms:
            repeated = len(set(t)) < len(t)
            shape = [sizes[c] if repeated or rnd.random() < 0.85 else 1 for c in t]
            arrays.append(np.asarray(rng.standard_normal(shape)))
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
        ds = [dyngrad.tensor(a, requires_grad=True) for a in arrays]
        rt = torch.einsum(eq, *ts)
        rd = dyngrad.einsum(eq, *ds)
        np.testing.assert_allclose(rd.detach().numpy(), rt.detach().numpy(), atol=1e-12)
        assert _grad_fn_name(rd) == _grad_fn_name(rt), eq
        seed = rng.standard_normal(tuple(rt.shape))
        gt = torch.autograd.grad(rt, ts, torch.tensor(seed))
        gd = dyngrad.autograd.grad(rd, ds, dyngrad.tensor(seed))
        for x, y in zip(gt, gd):
            np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-12, err_msg=eq)


def test_einsum_ellipsis_double_backward() -> None:
    from dyngrad.autograd.gradcheck import gradgradcheck

    rng = np.random.default_rng(1)
    a = dyngrad.tensor(rng.standard_normal((2, 1, 3, 3)), requires_grad=True)
    b = dyngrad.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert gradgradcheck(lambda x, y: dyngrad.einsum("...ii,...i->...i", x, y), (a, b))


def test_det_gradient_at_a_singular_matrix_is_the_adjugate() -> None:
    """torch gives the adjugate only under create_graph (zeros otherwise); dyngrad always."""
    m = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]
    t = torch.tensor(m, dtype=torch.float64, requires_grad=True)
    (expected,) = torch.autograd.grad(torch.linalg.det(t), t, create_graph=True)
    d = dyngrad.tensor(m, dtype=dyngrad.float64, requires_grad=True)
    (got,) = dyngrad.autograd.grad(dyngrad.linalg.det(d), d)
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), atol=1e-10)


@pytest.mark.parametrize("mode,shape", [("r", (4, 3)), ("complete", (4, 3))])
def test_qr_backward_refusals_match_torch(mode: str, shape: tuple[int, int]) -> None:
    a = np.random.default_rng(2).standard_normal(shape)
    messages = []
    for m in (torch, dyngrad):
        x = m.tensor(a, requires_grad=True)
        q, r = m.linalg.qr(x, mode=mode)
        with pytest.raises(RuntimeError) as info:
            r.sum().backward()
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_svd_gauge_invariant_losses_match_torch() -> None:
    """Losses that do not depend on the signs of singular vectors: U diag(S) Vh, S, |U|."""
    a = np.random.default_rng(3).standard_normal((5, 3))
    grads = []
    for m in (torch, dyngrad):
        x = m.tensor(a, requires_grad=True)
        u, s, vh = m.linalg.svd(x, full_matrices=False)
        loss = ((u * s.unsqueeze(-2)) @ vh).pow(2).sum() + s.sum() + (u.abs() * 0.3).sum()
        loss = loss + (vh[0] * vh[1]).pow(2).sum()
        (g,) = m.autograd.grad(loss, x)
        grads.append(g.numpy())
    np.testing.assert_allclose(grads[1], grads[0], atol=1e-10)


def test_result_types_print_and_name_fields_as_torch() -> None:
    a = [[2.0, 1.0], [1.0, 3.0]]
    for fn, fields in [
        (lambda m: m.linalg.slogdet(m.tensor(a)), ("sign", "logabsdet")),
        (lambda m: m.slogdet(m.tensor(a)), ("sign", "logabsdet")),
        (lambda m: m.linalg.eigh(m.tensor(a)), ("eigenvalues", "eigenvectors")),
        (lambda m: m.linalg.qr(m.tensor(a)), ("Q", "R")),
        (lambda m: m.linalg.svd(m.tensor(a)), ("U", "S", "Vh")),
        (lambda m: m.svd(m.tensor(a)), ("U", "S", "V")),
        (lambda m: m.linalg.inv_ex(m.tensor(a)), ("inverse", "info")),
        (lambda m: m.linalg.cholesky_ex(m.tensor(a)), ("L", "info")),
    ]:
        theirs, ours = fn(torch), fn(dyngrad)
        assert type(ours).__name__ == type(theirs).__name__
        assert isinstance(ours, tuple) and len(ours) == len(theirs) == len(fields)
        for i, f in enumerate(fields):
            assert getattr(ours, f) is ours[i]
        assert repr(ours).split("(")[0] == repr(theirs).split("(")[0]


def test_diagonal_is_a_writable_view() -> None:
    for m in (torch, dyngrad):
        x = m.ones(3, 3)
        x.diagonal().mul_(5)
        assert x.sum().item() == 21.0


def test_svd_of_non_finite_input_never_reaches_lapack() -> None:
    """Found by the fuzzer (seed 8564451): LAPACK's float32 SVD loops forever on this matrix.
    NaN raises torch's LinAlgError (same message); ±inf without NaN gives NaN factors (torch's
    answer there depends on its LAPACK: NaN, or a convergence error)."""
    inf = float("inf")
    a = dyngrad.tensor(
        [[1.0986123, -inf, 1.0986123], [0.6931472, 5.5373344, 1.0986123],
         [-inf, 5.5333896, 1.0986123], [-inf, -inf, 0.0]]
    )  # fmt: skip
    u, s, vh = dyngrad.linalg.svd(a)
    assert (u.shape, s.shape, vh.shape) == ((4, 4), (3,), (3, 3))
    assert all(bool(t.isnan().all()) for t in (u, s, vh, dyngrad.linalg.pinv(a)))
    assert dyngrad.linalg.matrix_rank(a).item() == 0
    batch = dyngrad.stack([dyngrad.eye(3), dyngrad.eye(3)])
    batch[1, 0, 1] = inf
    values = dyngrad.linalg.svdvals(batch)
    assert values[0].tolist() == [1.0, 1.0, 1.0] and bool(values[1].isnan().all())
    nan_matrix = dyngrad.tensor([[1.0, float("nan")], [2.0, 3.0]])
    with pytest.raises(RuntimeError, match="because the input matrix contained non-finite"):
        dyngrad.linalg.svd(nan_matrix)
    if torch is not None:
        with pytest.raises(RuntimeError, match="because the input matrix contained non-finite"):
            torch.linalg.svd(torch.tensor([[1.0, float("nan")], [2.0, 3.0]]))
