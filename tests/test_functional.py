"""dyngrad.autograd.functional against torch.autograd.functional: values, the nesting of the
results (tuple vs Tensor), requires_grad of the results, create_graph, strict mode, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad
from dyngrad.autograd import functional as DF

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")
TF = torch.autograd.functional


# --- helpers ----------------------------------------------------------------------------
def make_inputs(shapes: list[tuple[int, ...]], seed: int = 0, requires_grad: bool = False) -> Any:
    """The same float64 inputs as (dyngrad tensors, torch tensors)."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = tuple(dyngrad.tensor(a, requires_grad=requires_grad) for a in arrays)
    theirs = tuple(torch.tensor(a, requires_grad=requires_grad) for a in arrays)
    return ours, theirs


def assert_matches(ours: Any, theirs: Any, path: str = "result") -> None:
    """Same nesting, shapes, dtypes, values and requires_grad as torch's result."""
    if isinstance(theirs, (tuple, list)):
        kind = type(theirs)
        assert type(ours) is kind, f"{path}: expected a {kind.__name__}, got {type(ours)}"
        assert len(ours) == len(theirs), f"{path}: length {len(ours)} != {len(theirs)}"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert_matches(o, t, f"{path}[{i}]")
        return
    assert isinstance(ours, dyngrad.Tensor), f"{path}: expected a Tensor, got {type(ours)}"
    assert tuple(ours.shape) == tuple(theirs.shape), f"{path}: shape"
    assert str(ours.dtype) == str(theirs.dtype), f"{path}: dtype"
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=path
    )
    assert ours.requires_grad == theirs.requires_grad, f"{path}: requires_grad"


def unpack(args: tuple[Any, ...], as_tuple: bool) -> Any:
    return args if as_tuple else args[0]


def assert_same_error(
    ours: Callable[[], Any], theirs: Callable[[], Any], exact: bool = True
) -> None:
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(expected.type) as got:
        ours()
    if exact:
        assert str(got.value) == str(expected.value)


# --- functions, written once for both libraries (methods and operators only) -------------
# name: (function, input shapes, whether the inputs are passed as a tuple)
FUNCTIONS: dict[str, tuple[Callable[..., Any], list[tuple[int, ...]], bool]] = {
    "single_to_single": (lambda x: x.sin() * x, [(3,)], False),
    "single_to_tuple": (lambda x: (x.exp(), (x**2).sum()), [(2, 2)], False),
    "tuple_to_single": (lambda x, y: (x * y).tanh(), [(3,), (3,)], True),
    "tuple_to_tuple": (lambda x, y: (x @ y, (x.sum() * y).cos()), [(2, 3), (3,)], True),
    "one_tuple_to_tuple1": (lambda x: (x.sigmoid(),), [(2,)], True),
    "zero_dim": (lambda x: x.exp() * 3.0, [()], False),
    "unused_input": (lambda x, y: x * 2.0, [(2,), (3,)], True),
    "three_inputs": (lambda x, y, z: (x * y + z).sum(dim=0), [(2, 3), (2, 3), (3,)], True),
}

SCALAR_FUNCTIONS: dict[str, tuple[Callable[..., Any], list[tuple[int, ...]], bool]] = {
    "cube_sum": (lambda x: (x**3).sum(), [(2, 2)], False),
    "zero_dim": (lambda x: x.sin() * x.exp(), [()], False),
    "one_element_1d": (lambda x: (x**4).sum(dim=0, keepdim=True), [(1,)], False),
    "two_inputs": (lambda x, y: (x.sin() * y.exp()).sum(), [(3,), (3,)], True),
    "mixed_terms": (lambda x, y: (x @ y).tanh().sum() + (x**2).sum(), [(2, 3), (3,)], True),
    "unused_input": (lambda x, y: (x**2).sum(), [(2,), (3,)], True),
    "quadratic": (lambda x: (x**2).sum(), [(2,)], False),
}


# --- jacobian ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(FUNCTIONS))
@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_matches_torch(name: str, vectorize: bool) -> None:
    func, shapes, as_tuple = FUNCTIONS[name]
    ours, theirs = make_inputs(shapes)
    expected = TF.jacobian(func, unpack(theirs, as_tuple), vectorize=vectorize)
    got = DF.jacobian(func, unpack(ours, as_tuple), vectorize=vectorize)
    assert_matches(got, expected)


@pytest.mark.parametrize("name", ["single_to_single", "tuple_to_tuple", "single_to_tuple"])
def test_jacobian_forward_mode_strategy(name: str) -> None:
    func, shapes, as_tuple = FUNCTIONS[name]
    ours, theirs = make_inputs(shapes)
    expected = TF.jacobian(func, unpack(theirs, as_tuple), vectorize=True, strategy="forward-mode")
    got = DF.jacobian(func, unpack(ours, as_tuple), vectorize=True, strategy="forward-mode")
    assert_matches(got, expected)


@pytest.mark.parametrize("name", ["single_to_single", "tuple_to_tuple", "unused_input"])
@pytest.mark.parametrize("inputs_require_grad", [False, True])
def test_jacobian_create_graph_is_differentiable(name: str, inputs_require_grad: bool) -> None:
    func, shapes, as_tuple = FUNCTIONS[name]
    ours, theirs = make_inputs(shapes, requires_grad=inputs_require_grad)
    expected = TF.jacobian(func, unpack(theirs, as_tuple), create_graph=True)
    got = DF.jacobian(func, unpack(ours, as_tuple), create_graph=True)
    assert_matches(got, expected)
    if not inputs_require_grad:
        return
    # backward through the Jacobian reaches the caller's inputs (a second derivative)
    flat_t = [t for t in (expected if isinstance(expected, tuple) else (expected,))]
    flat_o = [t for t in (got if isinstance(got, tuple) else (got,))]
    if isinstance(flat_t[0], tuple):
        flat_t = [t for row in flat_t for t in row]
        flat_o = [t for row in flat_o for t in row]
    total_t = sum((t * t).sum() for t in flat_t if t.requires_grad)
    total_o = sum((t * t).sum() for t in flat_o if t.requires_grad)
    if isinstance(total_t, int):
        return  # a linear function: nothing to differentiate
    second_t = torch.autograd.grad(total_t, theirs, allow_unused=True, materialize_grads=True)
    second_o = dyngrad.autograd.grad(total_o, ours, allow_unused=True, materialize_grads=True)
    assert_matches(second_o, second_t)


def test_jacobian_results_have_no_graph_without_create_graph() -> None:
    ours, _ = make_inputs([(3,)], requires_grad=True)
    jac = DF.jacobian(lambda x: x.exp(), ours[0])
    assert jac.grad_fn is None and not jac.requires_grad


def test_jacobian_restores_no_caller_state() -> None:
    ours, _ = make_inputs([(3,)], requires_grad=True)
    x = ours[0]
    DF.jacobian(lambda x: (x**2).sum(), x)
    DF.hessian(lambda x: (x**2).sum(), x)
    assert x.grad is None  # functional API never writes .grad


# --- hessian -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SCALAR_FUNCTIONS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian_matches_torch(name: str, create_graph: bool) -> None:
    func, shapes, as_tuple = SCALAR_FUNCTIONS[name]
    ours, theirs = make_inputs(shapes)
    expected = TF.hessian(func, unpack(theirs, as_tuple), create_graph=create_graph)
    got = DF.hessian(func, unpack(ours, as_tuple), create_graph=create_graph)
    assert_matches(got, expected)


def mlp_loss(features: Any, targets: Any) -> Callable[..., Any]:
    def loss(w1: Any, b1: Any, w2: Any, b2: Any) -> Any:
        hidden = (features @ w1 + b1).tanh()
        return ((hidden @ w2 + b2 - targets) ** 2).mean()

    return loss


def mlp_setup(seed: int = 1) -> tuple[Any, Any, Any, Any]:
    ours_p, theirs_p = make_inputs([(3, 4), (4,), (4, 2), (2,)], seed=seed)
    ours_d, theirs_d = make_inputs([(5, 3), (5, 2)], seed=seed + 1)
    return ours_p, theirs_p, mlp_loss(*ours_d), mlp_loss(*theirs_d)


def test_hessian_of_mlp_loss() -> None:
    ours_p, theirs_p, loss_d, loss_t = mlp_setup()
    expected = TF.hessian(loss_t, theirs_p)
    got = DF.hessian(loss_d, ours_p)
    assert_matches(got, expected)
    assert tuple(got[0][2].shape) == (3, 4, 4, 2)


def test_hessian_of_mlp_loss_vectorized_forward_over_reverse() -> None:
    ours_p, theirs_p, loss_d, loss_t = mlp_setup(seed=3)
    expected = TF.hessian(loss_t, theirs_p, vectorize=True)
    got = DF.hessian(loss_d, ours_p, vectorize=True, outer_jacobian_strategy="forward-mode")
    # torch's forward-over-reverse result (lists of lists) carries a stray graph; we do not
    assert_matches(got, [[h.detach() for h in row] for row in expected])


# --- vjp / jvp ---------------------------------------------------------------------------
def cotangent_like(tensors: Any, seed: int) -> tuple[Any, Any]:
    shapes = [tuple(t.shape) for t in (tensors if isinstance(tensors, tuple) else (tensors,))]
    ours, theirs = make_inputs(shapes, seed=seed)
    if isinstance(tensors, tuple):
        return ours, theirs
    return ours[0], theirs[0]


@pytest.mark.parametrize("name", list(FUNCTIONS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_matches_torch(name: str, create_graph: bool) -> None:
    func, shapes, as_tuple = FUNCTIONS[name]
    ours, theirs = make_inputs(shapes)
    v_ours, v_theirs = cotangent_like(func(*theirs), seed=7)
    expected = TF.vjp(func, unpack(theirs, as_tuple), v_theirs, create_graph=create_graph)
    got = DF.vjp(func, unpack(ours, as_tuple), v_ours, create_graph=create_graph)
    assert_matches(got, expected)


@pytest.mark.parametrize("name", list(FUNCTIONS))
@pytest.mark.parametrize("create_graph", [False, True])
def test_jvp_matches_torch(name: str, create_graph: bool) -> None:
    func, shapes, as_tuple = FUNCTIONS[name]
    ours, theirs = make_inputs(shapes)
    v_ours, v_theirs = make_inputs(shapes, seed=5)
    expected = TF.jvp(
        func, unpack(theirs, as_tuple), unpack(v_theirs, as_tuple), create_graph=create_graph
    )
    got = DF.jvp(func, unpack(ours, as_tuple), unpack(v_ours, as_tuple), create_graph=create_graph)
    assert_matches(got, expected)


def test_vjp_and_jvp_default_v_for_single_elements() -> None:
    ours, theirs = make_inputs([()])
    assert_matches(DF.vjp(lambda x: x.exp(), ours[0]), TF.vjp(lambda x: x.exp(), theirs[0]))
    assert_matches(DF.jvp(lambda x: x.exp(), ours[0]), TF.jvp(lambda x: x.exp(), theirs[0]))


def test_vjp_create_graph_keeps_graph_to_caller_inputs() -> None:
    ours, theirs = make_inputs([(3,)], requires_grad=True)
    v_ours, v_theirs = make_inputs([(3,)], seed=2, requires_grad=True)
    out_t, g_t = TF.vjp(lambda x: x.sin() * x, theirs[0], v_theirs[0], create_graph=True)
    out_o, g_o = DF.vjp(lambda x: x.sin() * x, ours[0], v_ours[0], create_graph=True)
    assert_matches((out_o, g_o), (out_t, g_t))
    second_t = torch.autograd.grad(g_t.sum(), (theirs[0], v_theirs[0]))
    second_o = dyngrad.autograd.grad(g_o.sum(), (ours[0], v_ours[0]))
    assert_matches(second_o, second_t)


def test_functional_works_under_no_grad() -> None:
    ours, theirs = make_inputs([(3,)])
    with torch.no_grad():
        expected = TF.jacobian(lambda x: x**3, theirs[0])
    with dyngrad.no_grad():
        got = DF.jacobian(lambda x: x**3, ours[0])
    assert_matches(got, expected)


# --- hvp / vhp ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SCALAR_FUNCTIONS))
@pytest.mark.parametrize("which", ["hvp", "vhp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian_vector_products_match_torch(name: str, which: str, create_graph: bool) -> None:
    func, shapes, as_tuple = SCALAR_FUNCTIONS[name]
    ours, theirs = make_inputs(shapes)
    v_ours, v_theirs = make_inputs(shapes, seed=9)
    expected = getattr(TF, which)(
        func, unpack(theirs, as_tuple), unpack(v_theirs, as_tuple), create_graph=create_graph
    )
    got = getattr(DF, which)(
        func, unpack(ours, as_tuple), unpack(v_ours, as_tuple), create_graph=create_graph
    )
    assert_matches(got, expected)


def test_hvp_of_mlp_loss_equals_hessian_times_v() -> None:
    ours_p, theirs_p, loss_d, loss_t = mlp_setup(seed=4)
    v_ours, v_theirs = make_inputs([tuple(p.shape) for p in theirs_p], seed=11)
    assert_matches(DF.hvp(loss_d, ours_p, v_ours), TF.hvp(loss_t, theirs_p, v_theirs))
    assert_matches(DF.vhp(loss_d, ours_p, v_ours), TF.vhp(loss_t, theirs_p, v_theirs))
    # and against the full Hessian: (H v)_i = Σ_j H[i][j] · v_j
    hess = DF.hessian(loss_d, ours_p)
    _, hv = DF.hvp(loss_d, ours_p, v_ours)
    for i, p in enumerate(ours_p):
        manual = sum(
            (hess[i][j].reshape(p.numel(), v.numel()) @ v.reshape(-1)).reshape(p.shape)
            for j, v in enumerate(v_ours)
        )
        np.testing.assert_allclose(hv[i].numpy(), manual.numpy(), rtol=1e-10, atol=1e-12)


# --- strict mode -------------------------------------------------------------------------
def strict_cases() -> list[tuple[str, Callable[[Any, Any], Any]]]:
    two = [(2,), (3,)]
    return [
        ("vjp_unused", lambda F, m: F.vjp(lambda x, y: x * 2.0, m(two), m([(2,)])[0], strict=True)),
        (
            "vjp_detached",
            lambda F, m: F.vjp(lambda x: x.detach(), m([(2,)])[0], m([(2,)])[0], strict=True),
        ),
        ("jvp_unused", lambda F, m: F.jvp(lambda x, y: x * 2.0, m(two), m(two), strict=True)),
        (
            "jvp_detached",
            lambda F, m: F.jvp(lambda x: x.detach(), m([(2,)])[0], m([(2,)])[0], strict=True),
        ),
        ("jacobian_unused", lambda F, m: F.jacobian(lambda x, y: x * 2.0, m(two), strict=True)),
        (
            "jacobian_detached",
            lambda F, m: F.jacobian(lambda x: x.detach() * 2.0, m([(2,)])[0], strict=True),
        ),
        (
            "jacobian_strict_create_graph_constant",
            lambda F, m: F.jacobian(
                lambda x: x * 2.0, m([(2,)])[0], strict=True, create_graph=True
            ),
        ),
        ("hessian_linear", lambda F, m: F.hessian(lambda x: x.sum(), m([(2,)])[0], strict=True)),
        ("hessian_unused", lambda F, m: F.hessian(lambda x, y: (x**2).sum(), m(two), strict=True)),
        (
            "vhp_linear",
            lambda F, m: F.vhp(lambda x: x.sum(), m([(2,)])[0], m([(2,)])[0], strict=True),
        ),
        ("vhp_unused", lambda F, m: F.vhp(lambda x, y: (x**2).sum(), m(two), m(two), strict=True)),
        (
            "hvp_linear",
            lambda F, m: F.hvp(lambda x: x.sum(), m([(2,)])[0], m([(2,)])[0], strict=True),
        ),
        (
            "vjp_linear_create_graph",
            lambda F, m: F.vjp(
                lambda x: x * 2.0, m([(2,)])[0], m([(2,)])[0], strict=True, create_graph=True
            ),
        ),
        (
            "jvp_linear_create_graph",
            lambda F, m: F.jvp(
                lambda x: x * 2.0, m([(2,)])[0], m([(2,)])[0], strict=True, create_graph=True
            ),
        ),
    ]


@pytest.mark.parametrize("case", strict_cases(), ids=lambda c: c[0])
def test_strict_mode_errors_match_torch(case: tuple[str, Callable[[Any, Any], Any]]) -> None:
    _, call = case

    def ours_maker(shapes: list[tuple[int, ...]]) -> Any:
        return make_inputs(shapes)[0]

    def theirs_maker(shapes: list[tuple[int, ...]]) -> Any:
        return make_inputs(shapes)[1]

    assert_same_error(lambda: call(DF, ours_maker), lambda: call(TF, theirs_maker))


@pytest.mark.parametrize("name", ["single_to_single", "tuple_to_tuple", "three_inputs"])
def test_strict_mode_passes_when_every_output_depends_on_every_input(name: str) -> None:
    func, shapes, as_tuple = FUNCTIONS[name]
    ours, theirs = make_inputs(shapes)
    expected = TF.jacobian(func, unpack(theirs, as_tuple), strict=True)
    assert_matches(DF.jacobian(func, unpack(ours, as_tuple), strict=True), expected)


# --- argument errors ---------------------------------------------------------------------
def error_cases() -> list[tuple[str, Callable[[Any, Any], Any]]]:
    def x(m: Any, shape: tuple[int, ...] = (3,)) -> Any:
        return m.ones(shape, dtype=m.float64)

    square = lambda t: t**2  # noqa: E731
    total = lambda t: (t**2).sum()  # noqa: E731
    return [
        ("vjp_v_none_non_scalar", lambda F, m: F.vjp(square, x(m))),
        ("jvp_v_none_non_scalar", lambda F, m: F.jvp(square, x(m))),
        ("hvp_v_none_non_scalar", lambda F, m: F.hvp(total, x(m))),
        ("vhp_v_none_non_scalar", lambda F, m: F.vhp(total, x(m))),
        ("v_wrong_size", lambda F, m: F.vjp(square, x(m), x(m, (2,)))),
        (
            "v_wrong_size_in_tuple",
            lambda F, m: F.jvp(lambda a, b: a * b, (x(m), x(m)), (x(m), x(m, (2,)))),
        ),
        ("v_tuple_too_short", lambda F, m: F.jvp(lambda a, b: a * b, (x(m), x(m)), (x(m),))),
        ("v_tuple_for_single", lambda F, m: F.vjp(square, x(m), (x(m), x(m)))),
        ("inputs_list", lambda F, m: F.jacobian(square, [x(m)])),
        ("inputs_tuple_with_float", lambda F, m: F.jacobian(lambda a, b: a, (x(m), 2.0))),
        ("output_float", lambda F, m: F.vjp(lambda a: 2.0, x(m), x(m))),
        ("output_tuple_with_float", lambda F, m: F.jacobian(lambda a: (a, 2.0), x(m))),
        ("v_not_tensor", lambda F, m: F.vjp(square, x(m), [1.0, 2.0, 3.0])),
        ("hessian_tuple_output", lambda F, m: F.hessian(lambda a: (a.sum(),), x(m))),
        ("hessian_non_scalar", lambda F, m: F.hessian(square, x(m))),
        ("vhp_tuple_output", lambda F, m: F.vhp(lambda a: (a.sum(),), x(m), x(m))),
        ("hvp_non_scalar", lambda F, m: F.hvp(square, x(m), x(m))),
        ("bad_strategy", lambda F, m: F.jacobian(square, x(m), strategy="sideways")),
        (
            "forward_mode_needs_vectorize",
            lambda F, m: F.jacobian(square, x(m), strategy="forward-mode"),
        ),
        (
            "forward_mode_create_graph",
            lambda F, m: F.jacobian(
                square, x(m), strategy="forward-mode", vectorize=True, create_graph=True
            ),
        ),
        (
            "forward_mode_strict",
            lambda F, m: F.jacobian(
                square, x(m), strategy="forward-mode", vectorize=True, strict=True
            ),
        ),
        ("vectorize_strict", lambda F, m: F.jacobian(square, x(m), vectorize=True, strict=True)),
        ("hessian_bad_strategy", lambda F, m: F.hessian(total, x(m), outer_jacobian_strategy="x")),
        (
            "hessian_forward_needs_vectorize",
            lambda F, m: F.hessian(total, x(m), outer_jacobian_strategy="forward-mode"),
        ),
    ]


@pytest.mark.parametrize("case", error_cases(), ids=lambda c: c[0])
def test_errors_match_torch(case: tuple[str, Callable[[Any, Any], Any]]) -> None:
    _, call = case
    assert_same_error(lambda: call(DF, dyngrad), lambda: call(TF, torch))


def test_jacobian_of_empty_output_raises_like_torch() -> None:
    assert_same_error(
        lambda: DF.jacobian(lambda a: a[:0], dyngrad.ones(2, dtype=dyngrad.float64)),
        lambda: TF.jacobian(lambda a: a[:0], torch.ones(2, dtype=torch.float64)),
    )


def test_float32_stays_float32() -> None:
    x = dyngrad.tensor([1.0, 2.0])
    jac = DF.jacobian(lambda t: t.exp(), x)
    hess = DF.hessian(lambda t: (t**3).sum(), x)
    assert jac.dtype == dyngrad.float32 and hess.dtype == dyngrad.float32


def test_exported_from_autograd() -> None:
    assert dyngrad.autograd.functional.jacobian is DF.jacobian
