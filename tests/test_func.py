"""dyngrad.func against torch.func: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian and
vmap (values, result structure, graphs kept or not, nesting, per-sample gradients, errors)."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad
from dyngrad import func as DF

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")
TF = torch.func


# --- helpers ----------------------------------------------------------------------------
def make_inputs(shapes: list[tuple[int, ...]], seed: int = 0, requires_grad: bool = False) -> Any:
    """The same float64 inputs as (dyngrad tensors, torch tensors)."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = tuple(dyngrad.tensor(a, requires_grad=requires_grad) for a in arrays)
    theirs = tuple(torch.tensor(a, requires_grad=requires_grad) for a in arrays)
    return ours, theirs


def assert_matches(ours: Any, theirs: Any, path: str = "result", check_graph: bool = True) -> None:
    """Same pytree structure, shapes, dtypes, values (and requires_grad) as torch's result."""
    if isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs), f"{path}: {type(ours)} is not {type(theirs)}"
        assert len(ours) == len(theirs), f"{path}: length"
        for i, (o, t) in enumerate(zip(ours, theirs)):
            assert_matches(o, t, f"{path}[{i}]", check_graph)
        return
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs), f"{path}: keys"
        for key in theirs:
            assert_matches(ours[key], theirs[key], f"{path}[{key!r}]", check_graph)
        return
    assert isinstance(ours, dyngrad.Tensor), f"{path}: expected a Tensor, got {type(ours)}"
    assert tuple(ours.shape) == tuple(theirs.shape), f"{path}: shape"
    assert str(ours.dtype) == str(theirs.dtype), f"{path}: dtype"
    np.testing.assert_allclose(
        ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=path
    )
    if check_graph:
        assert ours.requires_grad == theirs.requires_grad, f"{path}: requires_grad"


def assert_same_error(
    ours: Callable[[], Any], theirs: Callable[[], Any], exact: bool = True
) -> None:
    with pytest.raises(Exception) as expected:
        theirs()
    with pytest.raises(expected.type) as got:
        ours()
    if exact:
        assert str(got.value) == str(expected.value)


def both(
    call: Callable[[Any, Any, tuple[Any, ...]], Any], shapes: list[tuple[int, ...]], **kw: Any
) -> None:
    """Run ``call(func_module, tensor_module, inputs)`` on both libraries and compare."""
    ours, theirs = make_inputs(shapes, **kw)
    assert_matches(call(DF, dyngrad, ours), call(TF, torch, theirs))


# --- grad / grad_and_value ----------------------------------------------------------------
def test_grad_of_single_input() -> None:
    both(lambda F, m, a: F.grad(lambda x: (x.sin() * x).sum())(a[0]), [(3,)])


def test_grad_of_zero_dim_input() -> None:
    both(lambda F, m, a: F.grad(lambda x: x.exp() * x)(a[0]), [()])


@pytest.mark.parametrize("argnums", [0, 1, -1, (0, 1), (1,), (2, 0)])
def test_grad_argnums(argnums: Any) -> None:
    def f(x: Any, y: Any, z: Any) -> Any:
        return (x * y.tanh() + z).sum() * (z**2).sum()

    both(lambda F, m, a: F.grad(f, argnums=argnums)(*a), [(3,), (3,), (3,)])


def test_grad_of_dict_and_tuple_arguments() -> None:
    def f(params: Any, pair: Any) -> Any:
        w, b = pair
        return ((params["a"] * w).sum() + (params["b"] @ b).sum()).tanh()

    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        params = {"a": a[0], "b": a[1]}
        return F.grad(f, argnums=(0, 1))(params, (a[2], a[3]))

    both(call, [(3,), (2, 3), (3,), (3,)])


def test_grad_has_aux_and_kwargs() -> None:
    def f(x: Any, scale: float = 1.0) -> Any:
        y = (x**2).sum() * scale
        return y, {"double": x * 2.0, "value": y}

    both(lambda F, m, a: F.grad(f, has_aux=True)(a[0], scale=3.0), [(3,)])
    both(lambda F, m, a: F.grad_and_value(f, has_aux=True)(a[0], scale=3.0), [(3,)])


def test_grad_and_value() -> None:
    both(
        lambda F, m, a: F.grad_and_value(lambda x, y: (x * y).sum(), argnums=(0, 1))(*a),
        [(2,), (2,)],
    )


def test_grad_of_unused_input_is_zeros() -> None:
    both(lambda F, m, a: F.grad(lambda x, y: (x**2).sum(), argnums=(0, 1))(*a), [(2,), (3,)])


def test_grad_of_constant_function_is_zeros() -> None:
    both(lambda F, m, a: F.grad(lambda x: m.ones((), dtype=m.float64))(a[0]), [(3,)])


def test_grad_keeps_float32() -> None:
    x = dyngrad.tensor([1.0, 2.0])
    g = DF.grad(lambda t: (t**3).sum())(x)
    assert g.dtype == dyngrad.float32
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])


def test_nested_grad() -> None:
    both(lambda F, m, a: F.grad(F.grad(lambda x: x.sin() * x**3))(a[0]), [()])
    both(lambda F, m, a: F.grad(F.grad(F.grad(lambda x: x.exp() * x**4)))(a[0]), [()])
    both(
        lambda F, m, a: F.grad(lambda x: F.grad(lambda y: (y**3 * x).sum())(x).sum())(a[0]),
        [(3,)],
    )


def test_nested_grad_has_no_perturbation_confusion() -> None:
    # f(x) = d/dy (x * y) at y = x = x, so f'(x) = 1 (not 2)
    def outer(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        return F.grad(lambda x: F.grad(lambda y: (x * y).sum())(x).sum())(a[0])

    both(outer, [(3,)])
    ours, _ = make_inputs([(3,)])
    np.testing.assert_allclose(outer(DF, dyngrad, ours).numpy(), np.ones(3))


def test_grad_results_have_no_graph() -> None:
    x = dyngrad.tensor([1.0, 2.0], dtype=dyngrad.float64)
    g = DF.grad(lambda t: (t**3).sum())(x)
    assert g.grad_fn is None and not g.requires_grad
    assert not x.requires_grad  # the caller's tensor is not touched


@pytest.mark.parametrize(
    "case",
    ["input_requires_grad", "closure_requires_grad", "closure_only_in_value", "under_no_grad"],
)
def test_grad_keeps_a_graph_exactly_when_torch_does(case: str) -> None:
    ours, theirs = make_inputs([(3,), (3,)])
    results = []
    for F, m, (x, w) in ((DF, dyngrad, ours), (TF, torch, theirs)):
        w = w.detach().requires_grad_(True)
        if case == "input_requires_grad":
            x = x.detach().requires_grad_(True)
            out = F.grad_and_value(lambda t: (t**3).sum())(x)
            assert out[0].requires_grad
            backprop = m.autograd.grad(out[0].sum() + out[1], x)
            results.append((out, backprop))
        elif case == "closure_requires_grad":
            out = F.grad_and_value(lambda t: (t * w).sum())(x)  # noqa: B023
            results.append((out, m.autograd.grad(out[0].sum(), w)))
        elif case == "closure_only_in_value":
            results.append(F.grad_and_value(lambda t: (t**2).sum() + w.sum())(x))  # noqa: B023
        else:
            x = x.detach().requires_grad_(True)
            with m.no_grad():
                results.append(F.grad_and_value(lambda t: (t**3).sum())(x))
    assert_matches(results[0], results[1])


def test_grad_of_grad_result_backpropagates_to_caller() -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        x = a[0].detach().requires_grad_(True)
        g = F.grad(lambda t: (t.sin() * t).sum())(x)
        return g, m.autograd.grad((g**2).sum(), x)

    both(call, [(3,)])


# --- vjp / jvp -----------------------------------------------------------------------------
def test_vjp_single_and_multiple_primals() -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        out, vjp_fn = F.vjp(lambda x, y: (x * y.exp(), (x**2).sum()), a[0], a[1])
        first = vjp_fn((a[2], m.ones((), dtype=m.float64)))
        second = vjp_fn((a[2] * 2.0, m.zeros((), dtype=m.float64)))  # callable again
        return out, first, second

    both(call, [(3,), (3,), (3,)])
    both(lambda F, m, a: F.vjp(lambda x: x.sin(), a[0])[1](a[1]), [(2, 2), (2, 2)])


def test_vjp_dict_output_and_aux() -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        out, vjp_fn, aux = F.vjp(lambda x: ({"u": x.tanh()}, x.sum()), a[0], has_aux=True)
        return out, vjp_fn({"u": a[1]}), aux

    both(call, [(3,), (3,)])


def test_vjp_of_pytree_primal() -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        out, vjp_fn = F.vjp(lambda p: p["w"] @ p["x"], {"w": a[0], "x": a[1]})
        return out, vjp_fn(a[2])

    both(call, [(2, 3), (3,), (2,)])


@pytest.mark.parametrize("has_aux", [False, True])
def test_jvp(has_aux: bool) -> None:
    def f(x: Any, y: Any) -> Any:
        out = (x * y.sin(), (x @ y.cos()).exp())
        return (out, x.sum()) if has_aux else out

    both(lambda F, m, a: F.jvp(f, (a[0], a[1]), (a[2], a[3]), has_aux=has_aux), [(3,)] * 4)


def test_jvp_of_output_independent_of_inputs_is_zero() -> None:
    both(lambda F, m, a: F.jvp(lambda x: m.ones(2), (a[0],), (a[1],)), [(3,), (3,)])


def test_jvp_nested_in_grad() -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        def directional(x: Any) -> Any:
            return F.jvp(lambda t: (t**3).sin(), (x,), (a[1],))[1].sum()

        return F.grad(directional)(a[0])

    both(call, [(3,), (3,)])


# --- jacrev / jacfwd / hessian -----------------------------------------------------------
@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
@pytest.mark.parametrize(
    "case",
    ["single", "zero_dim", "tuple_out", "argnums_tuple", "dict_in", "has_aux", "matrix"],
)
def test_jacobians(transform: str, case: str) -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        jac = getattr(F, transform)
        if case == "single":
            return jac(lambda x: x.sin() * x.sum())(a[0])
        if case == "zero_dim":
            return jac(lambda x: x.exp() * 2.0)(a[0].sum())
        if case == "tuple_out":
            return jac(lambda x, y: (x * y, (x**2).sum()), argnums=1)(a[0], a[1])
        if case == "argnums_tuple":
            return jac(lambda x, y: (x * y.tanh(), {"s": (x @ y)}), argnums=(0, 1))(a[0], a[1])
        if case == "dict_in":
            return jac(lambda p: p["a"] * p["b"].exp())({"a": a[0], "b": a[1]})
        if case == "has_aux":
            return jac(lambda x: (x.cos(), {"aux": x * 3.0}), has_aux=True)(a[0])
        return jac(lambda w: (w @ a[2].reshape(3, 1)).tanh())(a[3])

    both(call, [(3,), (3,), (3,), (2, 3)])


def test_jacobian_of_closure_requiring_grad_keeps_graph() -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        w = a[1].detach().requires_grad_(True)
        jac = F.jacrev(lambda x: x * w)(a[0])
        return jac, m.autograd.grad(jac.sum(), w)

    both(call, [(3,), (3,)])


@pytest.mark.parametrize("argnums", [0, 1, (0, 1)])
def test_hessian(argnums: Any) -> None:
    def f(x: Any, y: Any) -> Any:
        return (x.sin() * y**2).sum() + (x**3 * y).sum()

    both(lambda F, m, a: F.hessian(f, argnums=argnums)(a[0], a[1]), [(3,), (3,)])


def mlp_loss(params: Any, x: Any, y: Any) -> Any:
    hidden = (x @ params["w1"] + params["b1"]).tanh()
    return ((hidden @ params["w2"] + params["b2"] - y) ** 2).mean()


PARAM_SHAPES = {"w1": (3, 4), "b1": (4,), "w2": (4, 2), "b2": (2,)}


def mlp_params(module_index: int, seed: int = 0) -> dict[str, Any]:
    tensors = make_inputs(list(PARAM_SHAPES.values()), seed=seed)[module_index]
    return dict(zip(PARAM_SHAPES, tensors))


def test_hessian_of_mlp_loss() -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        params = mlp_params(0 if m is dyngrad else 1)
        return F.hessian(mlp_loss)(params, a[0], a[1])

    both(call, [(5, 3), (5, 2)])


# --- vmap ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case",
    [
        "dot",
        "in_dim_1",
        "negative_in_dim",
        "unmapped_arg",
        "out_dim_1",
        "negative_out_dim",
        "tuple_out_dims",
        "nested_in_dims",
        "dict_arg",
        "kwargs",
        "dict_output",
        "nested_vmap",
        "constant_output",
        "out_dims_none",
        "python_scalar_arg",
        "chunk_size",
    ],
)
def test_vmap(case: str) -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        x, y, z = a
        if case == "dot":
            return F.vmap(m.dot)(x, y)
        if case == "in_dim_1":
            return F.vmap(lambda u, v: u * v.sum(), in_dims=(1, 0))(x.t(), y)
        if case == "negative_in_dim":
            return F.vmap(lambda u: u.exp(), in_dims=-1)(x)
        if case == "unmapped_arg":
            return F.vmap(lambda u, v: u @ v, in_dims=(0, None))(x, z)
        if case == "out_dim_1":
            return F.vmap(lambda u: u.outer(u), out_dims=1)(x)
        if case == "negative_out_dim":
            return F.vmap(lambda u: u * 2.0, out_dims=-1)(x)
        if case == "tuple_out_dims":
            return F.vmap(lambda u: (u.sin(), u.sum()), out_dims=(1, 0))(x)
        if case == "nested_in_dims":
            return F.vmap(lambda p, v: p[0] * v + p[1], in_dims=((0, None), 0))((x, z[0]), y)
        if case == "dict_arg":
            return F.vmap(lambda d: d["a"] + d["b"], in_dims=({"a": 0, "b": None},))(
                {"a": x, "b": z[0]}
            )
        if case == "kwargs":
            return F.vmap(lambda u, scale: u * scale)(x, scale=z[0])
        if case == "dict_output":
            return F.vmap(lambda u: {"s": u.sum(), "l": [u.exp()]})(x)
        if case == "nested_vmap":
            return F.vmap(F.vmap(lambda s, t: s * t, in_dims=(0, None)), in_dims=(0, None))(
                x, z[1, 0]
            )
        if case == "constant_output":
            return F.vmap(lambda u: m.ones(2, dtype=m.float64))(x)
        if case == "out_dims_none":
            return F.vmap(lambda u: (u * 2.0, z), out_dims=(0, None))(x)
        if case == "python_scalar_arg":
            return F.vmap(lambda u, k: u * k, in_dims=(0, None))(x, 3.0)
        return F.vmap(lambda u: u.sin(), chunk_size=2)(x)

    both(call, [(4, 3), (4, 3), (3, 3)])


def test_vmap_keeps_graph_to_inputs() -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        x = a[0].detach().requires_grad_(True)
        out = F.vmap(lambda u: (u**2).sum())(x)
        return out, m.autograd.grad(out.sum(), x)

    both(call, [(4, 3)])


def test_vmap_of_size_zero_batch() -> None:
    both(lambda F, m, a: F.vmap(lambda u: (u * 2.0, u.sum()))(a[0]), [(0, 3)])
    both(lambda F, m, a: F.vmap(lambda u: u.sum(), in_dims=1)(a[0]), [(3, 0)])


def test_per_sample_gradients_match_torch_func_and_a_loop() -> None:
    ours_xy, theirs_xy = make_inputs([(6, 3), (6, 2)], seed=5)
    params_d, params_t = mlp_params(0, seed=3), mlp_params(1, seed=3)

    def loss_of_one(m: Any) -> Callable[..., Any]:
        def loss(params: Any, x: Any, y: Any) -> Any:
            return mlp_loss(params, x.unsqueeze(0), y.unsqueeze(0))

        return loss

    ours = DF.vmap(DF.grad(loss_of_one(dyngrad)), in_dims=(None, 0, 0))(params_d, *ours_xy)
    theirs = TF.vmap(TF.grad(loss_of_one(torch)), in_dims=(None, 0, 0))(params_t, *theirs_xy)
    assert_matches(ours, theirs)
    for b in range(6):  # the loop: one backward per sample
        single = {k: v.detach().requires_grad_(True) for k, v in params_d.items()}
        loss = loss_of_one(dyngrad)(single, ours_xy[0][b], ours_xy[1][b])
        grads = dyngrad.autograd.grad(loss, list(single.values()))
        for key, g in zip(single, grads):
            np.testing.assert_allclose(ours[key][b].numpy(), g.numpy(), rtol=1e-12, atol=1e-14)


def test_per_sample_gradients_with_params_requiring_grad() -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        params = {
            k: v.requires_grad_(True) for k, v in mlp_params(0 if m is dyngrad else 1).items()
        }
        per_sample = F.vmap(F.grad(mlp_loss), in_dims=(None, 0, 0))(params, a[0], a[1])
        return per_sample, F.vmap(F.jacrev(mlp_loss), in_dims=(None, 0, 0))(params, a[0], a[1])

    both(call, [(4, 2, 3), (4, 2, 2)])


def test_grad_of_vmapped_function() -> None:
    both(lambda F, m, a: F.grad(lambda x: F.vmap(lambda r: r.sin().sum())(x).sum())(a[0]), [(3, 2)])


def test_vmap_randomness() -> None:
    x = dyngrad.zeros(3, 2)
    with pytest.raises(RuntimeError) as ours:
        DF.vmap(lambda u: u + dyngrad.rand(2))(x)
    with pytest.raises(RuntimeError) as theirs:
        TF.vmap(lambda u: u + torch.rand(2))(torch.zeros(3, 2))
    assert str(ours.value) == str(theirs.value)
    same = DF.vmap(lambda u: u + dyngrad.rand(2), randomness="same")(x).numpy()
    assert np.array_equal(same[0], same[1]) and np.array_equal(same[0], same[2])
    different = DF.vmap(lambda u: u + dyngrad.rand(2), randomness="different")(x).numpy()
    assert not np.array_equal(different[0], different[1])


def vmap_error_cases() -> list[tuple[str, Callable[[Any, Any], Any]]]:
    def t(m: Any, *shape: int) -> Any:
        return m.zeros(shape, dtype=m.float64)

    def add(u: Any, v: Any) -> Any:
        return u + v

    return [
        ("batch_sizes", lambda F, m: F.vmap(add)(t(m, 3, 2), t(m, 4, 2))),
        ("batch_sizes_three", lambda F, m: F.vmap(add, in_dims=(0, 1))(t(m, 3, 2), t(m, 2, 5))),
        ("in_dim_too_large", lambda F, m: F.vmap(add, in_dims=(0, 2))(t(m, 3, 2), t(m, 3, 2))),
        ("in_dim_too_negative", lambda F, m: F.vmap(add, in_dims=(0, -3))(t(m, 3, 2), t(m, 3, 2))),
        ("in_dims_none", lambda F, m: F.vmap(add, in_dims=None)(t(m, 3), t(m, 3))),
        ("in_dims_list", lambda F, m: F.vmap(add, in_dims=[0, 0])(t(m, 3), t(m, 3))),
        ("in_dims_float", lambda F, m: F.vmap(add, in_dims=(0, 1.5))(t(m, 3), t(m, 3))),
        ("no_inputs", lambda F, m: F.vmap(lambda: t(m, 3))()),
        ("nothing_mapped", lambda F, m: F.vmap(add, in_dims=(None, None))(t(m, 3), t(m, 3))),
        ("map_over_float", lambda F, m: F.vmap(add)(t(m, 3), 2.0)),
        ("zero_dim_input", lambda F, m: F.vmap(lambda u: u)(t(m))),
        ("float_output", lambda F, m: F.vmap(lambda u: 2.0)(t(m, 3))),
        ("randomness_value", lambda F, m: F.vmap(add, randomness="sometimes")),
        ("chunk_size_zero", lambda F, m: F.vmap(add, chunk_size=0)),
        ("out_dims_float", lambda F, m: F.vmap(lambda u: u, out_dims=1.5)(t(m, 3))),
        ("out_dim_out_of_range", lambda F, m: F.vmap(lambda u: u, out_dims=3)(t(m, 3, 2))),
    ]


@pytest.mark.parametrize("case", vmap_error_cases(), ids=lambda c: c[0])
def test_vmap_errors_match_torch(case: tuple[str, Callable[[Any, Any], Any]]) -> None:
    name, call = case
    exact = name not in ("out_dim_out_of_range",)  # torch's IndexError wording differs
    assert_same_error(lambda: call(DF, dyngrad), lambda: call(TF, torch), exact=exact)


def test_vmap_structure_errors_match_torch() -> None:
    def identity(u: Any) -> Any:
        return u

    def pair(u: Any) -> Any:
        return u, [u]

    assert_same_error(
        lambda: DF.vmap(identity, in_dims=(0, 1))(dyngrad.zeros(3, 2)),
        lambda: TF.vmap(identity, in_dims=(0, 1))(torch.zeros(3, 2)),
    )
    assert_same_error(
        lambda: DF.vmap(pair, in_dims=({"a": 0},))((dyngrad.zeros(3, 2),)),
        lambda: TF.vmap(pair, in_dims=({"a": 0},))((torch.zeros(3, 2),)),
    )
    assert_same_error(
        lambda: DF.vmap(pair, out_dims=(0, 1, 0))(dyngrad.zeros(3, 2)),
        lambda: TF.vmap(pair, out_dims=(0, 1, 0))(torch.zeros(3, 2)),
    )
    assert_same_error(
        lambda: DF.vmap(identity, out_dims=(0, 1))(dyngrad.zeros(3, 2)),
        lambda: TF.vmap(identity, out_dims=(0, 1))(torch.zeros(3, 2)),
    )


# --- transform errors --------------------------------------------------------------------
def transform_error_cases() -> list[tuple[str, Callable[[Any, Any], Any]]]:
    def t(m: Any, *shape: int) -> Any:
        return m.ones(shape, dtype=m.float64)

    total = lambda u: (u**2).sum()  # noqa: E731
    return [
        ("grad_non_scalar", lambda F, m: F.grad(lambda u: u * 2.0)(t(m, 3))),
        ("grad_non_tensor_output", lambda F, m: F.grad(lambda u: 2.0)(t(m, 3))),
        ("grad_float_input", lambda F, m: F.grad(total)(3.0)),
        ("grad_int_input", lambda F, m: F.grad(total)(m.ones(3, dtype=m.int64))),
        ("grad_argnum_out_of_range", lambda F, m: F.grad(total, argnums=2)(t(m, 3))),
        ("grad_argnums_repeated", lambda F, m: F.grad(total, argnums=(0, 0))(t(m, 3))),
        ("grad_argnums_empty", lambda F, m: F.grad(total, argnums=())(t(m, 3))),
        ("grad_argnums_float", lambda F, m: F.grad(total, argnums=0.5)(t(m, 3))),
        ("grad_argnums_list", lambda F, m: F.grad(total, argnums=[0])(t(m, 3))),
        ("grad_argnums_tuple_of_float", lambda F, m: F.grad(total, argnums=(0.5,))(t(m, 3))),
        ("grad_aux_not_pair", lambda F, m: F.grad(total, has_aux=True)(t(m, 3))),
        ("vjp_int_output", lambda F, m: F.vjp(lambda u: u.long(), t(m, 3))),
        ("vjp_float_output", lambda F, m: F.vjp(lambda u: 2.0, t(m, 3))),
        ("vjp_cotangent_structure", lambda F, m: F.vjp(lambda u: {"a": u}, t(m, 3))[1](t(m, 3))),
        ("vjp_cotangent_shape", lambda F, m: F.vjp(lambda u: u * 2.0, t(m, 3))[1](t(m, 2))),
        ("jvp_primals_not_tuple", lambda F, m: F.jvp(total, t(m, 3), (t(m, 3),))),
        ("jvp_structure", lambda F, m: F.jvp(total, (t(m, 3),), t(m, 3))),
        ("jvp_tangent_shape", lambda F, m: F.jvp(total, (t(m, 3),), (t(m, 2),))),
        (
            "jvp_strict",
            lambda F, m: F.jvp(lambda u: m.ones(2), (t(m, 3),), (t(m, 3),), strict=True),
        ),
        ("jvp_non_tensor_output", lambda F, m: F.jvp(lambda u: 2.0, (t(m, 3),), (t(m, 3),))),
        ("jvp_aux_not_pair", lambda F, m: F.jvp(total, (t(m, 3),), (t(m, 3),), has_aux=True)),
        ("jvp_float_primal", lambda F, m: F.jvp(total, (2.0,), (2.0,))),
        ("jacrev_non_tensor_output", lambda F, m: F.jacrev(lambda u: (u, 2.0))(t(m, 3))),
        ("jacrev_chunk_size", lambda F, m: F.jacrev(total, chunk_size=0)),
        ("jacrev_int_output", lambda F, m: F.jacrev(lambda u: u.long())(t(m, 3))),
        ("jacrev_aux_not_pair", lambda F, m: F.jacrev(total, has_aux=True)(t(m, 3))),
        ("jacfwd_aux_not_pair", lambda F, m: F.jacfwd(total, has_aux=True)(t(m, 3))),
        ("jacfwd_non_tensor_output", lambda F, m: F.jacfwd(lambda u: [u, None])(t(m, 3))),
        ("jacrev_float_input", lambda F, m: F.jacrev(total)(3.0)),
        ("jacfwd_randomness", lambda F, m: F.jacfwd(total, randomness="never")(t(m, 3))),
        ("hessian_argnum_out_of_range", lambda F, m: F.hessian(total, argnums=1)(t(m, 3))),
    ]


@pytest.mark.parametrize("case", transform_error_cases(), ids=lambda c: c[0])
def test_transform_errors_match_torch(case: tuple[str, Callable[[Any, Any], Any]]) -> None:
    _, call = case
    assert_same_error(lambda: call(DF, dyngrad), lambda: call(TF, torch))


def test_func_is_a_submodule() -> None:
    assert dyngrad.func.grad is DF.grad
    assert set(DF.__all__) >= {
        "grad",
        "grad_and_value",
        "vjp",
        "jvp",
        "jacrev",
        "jacfwd",
        "hessian",
        "vmap",
    }


@pytest.mark.parametrize(
    "case",
    [
        "vmap_hessian",
        "vmap_jvp",
        "vmap_vjp",
        "jacrev_jacrev",
        "vmap_grad_batched_params",
        "jacfwd_vmap",
        "grad_over_vmap_grad_closure",
        "vjp_fn_inside_later_grad",
    ],
)
def test_compositions(case: str) -> None:
    def call(F: Any, m: Any, a: tuple[Any, ...]) -> Any:
        x, v = a

        def f(t: Any) -> Any:
            return (t.sin() * t).sum()

        if case == "vmap_hessian":
            return F.vmap(F.hessian(f))(x)
        if case == "vmap_jvp":
            return F.vmap(lambda p, t: F.jvp(lambda u: u.exp() * u, (p,), (t,)))(x, v)
        if case == "vmap_vjp":
            return F.vmap(lambda p, c: F.vjp(lambda u: u.exp() * u, p)[1](c))(x, v)
        if case == "jacrev_jacrev":
            return F.jacrev(F.jacrev(lambda t: t.sin() * t.sum()))(x[0])
        if case == "vmap_grad_batched_params":
            return F.vmap(F.grad(lambda w, p: (w * p).sum().tanh()))(x, v)
        if case == "jacfwd_vmap":
            return F.jacfwd(F.vmap(lambda t: t.cos()))(x)
        if case == "grad_over_vmap_grad_closure":
            # the inner grads close over the outer input: only it may keep a graph
            return F.grad(lambda w: F.vmap(F.grad(lambda p: (w * p).sin().sum()))(x).sum())(v[0])
        _, vjp_fn = F.vjp(lambda u: u.exp() * u, x)
        return F.grad(lambda c: (vjp_fn(c)[0] ** 2).sum())(v)

    both(call, [(4, 3), (4, 3)])


def test_transforms_free_everything_by_reference_counting() -> None:
    from dyngrad.func._level import _OWNER, GradLevel

    x = dyngrad.tensor(np.random.default_rng(0).standard_normal((3, 2)))
    w = dyngrad.tensor([0.5, -1.0], dtype=dyngrad.float64, requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            DF.vmap(DF.grad(lambda r: (r.sin() * r).sum()))(x)
            DF.hessian(lambda r: (r**3).sum())(x[0])
            DF.grad(lambda r: (r * w).sum())(x[0])  # noqa: B023
            out, vjp_fn = DF.vjp(lambda r: r.exp(), x)
            vjp_fn(x)
            DF.jvp(lambda r: r.exp(), (x,), (x,))
            del out, vjp_fn
        alive = [o for o in gc.get_objects() if type(o) is GradLevel]
        assert not alive and len(_OWNER) == 0
    finally:
        gc.enable()
