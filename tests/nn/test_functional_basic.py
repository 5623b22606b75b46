"""nn.functional (basic part) against torch: linear, one_hot, normalize, cosine_similarity,
pairwise_distance, scaled_dot_product_attention, dropout's flags, softmax's implicit dim,
in-place activations. The fused kernels (activations, losses, pad, embedding) are covered
by the op table (tests/op_db/nn_*.py); here are the compositions and the Python-level
arguments."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import dyngrad
from dyngrad.autograd.gradcheck import gradcheck, gradgradcheck

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")


def _x(*shape: int, seed: int = 0, dtype: str = "float64") -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _parity(fn: Any, *arrays: Any, grad_fn: bool = True, rtol: float = 1e-7, check_grads: bool = True,
            **kwargs: Any) -> None:  # fmt: skip
    """``fn(F, *tensors, **kwargs)`` on both libraries: values, dtype, node name, gradients of
    every float input; then gradcheck and gradgradcheck on dyngrad's (float64 inputs)."""

    def run(lib: Any) -> tuple[Any, list[Any]]:
        ins = [lib.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray)
               else a for a in arrays]  # fmt: skip
        out = fn(lib.nn.functional, *ins, **kwargs)
        leaves = [i for i in ins if getattr(i, "requires_grad", False)]
        grads: list[Any] = []
        if check_grads and out.requires_grad and leaves:
            seed = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape))
            grads = list(lib.autograd.grad(out, leaves, lib.tensor(seed, dtype=out.dtype),
                                           allow_unused=True))  # fmt: skip
        return out, grads

    t_out, t_grads = run(torch)
    d_out, d_grads = run(dyngrad)
    assert str(d_out.dtype) == str(t_out.dtype) and tuple(d_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(
        d_out.detach().numpy(), t_out.detach().numpy(), rtol=rtol, atol=1e-12
    )
    if grad_fn and t_out.grad_fn is not None:
        assert type(d_out.grad_fn).__name__ == type(t_out.grad_fn).__name__
    for d, t in zip(d_grads, t_grads):
        if t is None:
            assert d is None or not np.any(d.numpy())
        else:
            np.testing.assert_allclose(d.numpy(), t.numpy(), rtol=rtol, atol=1e-10)
    if check_grads:
        ins = [dyngrad.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray)
               else a for a in arrays]  # fmt: skip

        def f(*xs: Any) -> Any:
            return fn(dyngrad.nn.functional, *xs, **kwargs)

        assert gradcheck(f, ins, eps=1e-6, atol=1e-5, rtol=1e-3)
        assert gradgradcheck(f, ins, eps=1e-6, atol=1e-5, rtol=1e-3)


# --- linear ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (2, 2, 1, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(shape: tuple[int, ...], bias: bool) -> None:
    args = [_x(*shape), _x(3, 4, seed=1)] + ([_x(3, seed=2)] if bias else [])
    _parity(lambda F, *a: F.linear(*a), *args)


def test_linear_non_contiguous_and_errors() -> None:
    _parity(lambda F, a, w: F.linear(a.t(), w), _x(4, 5), _x(3, 4))
    for bad in [(np.array(1.0), _x(3, 4)), (_x(2, 5), _x(3, 4))]:
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.functional.linear(*[torch.tensor(b) for b in bad])
        with pytest.raises(RuntimeError) as ours:
            dyngrad.nn.functional.linear(*[dyngrad.tensor(b) for b in bad])
        assert str(ours.value) == str(theirs.value)


# --- one_hot ---------------------------------------------------------------------------------


@pytest.mark.parametrize("values,classes", [([0, 2, 1], -1), ([[0, 1], [3, 3]], 5), (0, 3),
                                            ([], 4), ([1, 1], 2)])  # fmt: skip
def test_one_hot(values: Any, classes: int) -> None:
    theirs = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), classes)
    ours = dyngrad.nn.functional.one_hot(dyngrad.tensor(values, dtype=dyngrad.int64), classes)
    assert ours.dtype == dyngrad.int64 and tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("values,classes,dtype", [([0, 3], 3, "int64"), ([-1], 3, "int64"),
                                                  ([], -1, "int64"), ([1], 3, "int32"),
                                                  ([1.0], 3, "float32")])  # fmt: skip
def test_one_hot_errors(values: Any, classes: int, dtype: str) -> None:
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.one_hot(torch.tensor(values, dtype=getattr(torch, dtype)), classes)
    with pytest.raises(RuntimeError) as ours:
        dyngrad.nn.functional.one_hot(
            dyngrad.tensor(values, dtype=getattr(dyngrad, dtype)), classes
        )
    assert str(ours.value) == str(theirs.value)


# --- normalize and distances -----------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [{}, {"p": 1.0}, {"dim": 0}, {"dim": -1, "p": 3.0},
                                    {"p": float("inf"), "dim": 1}])  # fmt: skip
def test_normalize(kwargs: dict[str, Any]) -> None:
    _parity(lambda F, x, **k: F.normalize(x, **k), _x(3, 4), **kwargs)


def test_normalize_zero_rows_use_eps() -> None:
    x = np.zeros((2, 3))
    x[1] = [3.0, 4.0, 0.0]
    _parity(lambda F, a: F.normalize(a), x, check_grads=False)


@pytest.mark.parametrize("shapes,dim", [(((4, 5), (4, 5)), 1), (((4, 5), (5,)), -1),
                                        (((2, 3, 4), (2, 1, 4)), 2), (((6,), (6,)), 0)])  # fmt: skip
def test_cosine_similarity(shapes: tuple[tuple[int, ...], ...], dim: int) -> None:
    a, b = _x(*shapes[0]), _x(*shapes[1], seed=3)
    _parity(lambda F, x, y: F.cosine_similarity(x, y, dim=dim), a, b)


def test_cosine_similarity_of_zero_vector_is_zero() -> None:
    _parity(lambda F, x, y: F.cosine_similarity(x, y), np.zeros((2, 3)), _x(2, 3),
            check_grads=False)  # fmt: skip


@pytest.mark.parametrize("kwargs", [{}, {"p": 1.0}, {"keepdim": True}, {"eps": 0.0, "p": 3.0}])
@pytest.mark.parametrize("shapes", [((4, 5), (4, 5)), ((4, 5), (5,)), ((3,), (3,))])
def test_pairwise_distance(kwargs: dict[str, Any], shapes: tuple[tuple[int, ...], ...]) -> None:
    # Note: torch's node is NormBackward1 (at::norm); dyngrad's norm is a vector norm.
    _parity(lambda F, x, y, **k: F.pairwise_distance(x, y, **k), _x(*shapes[0]),
            _x(*shapes[1], seed=4), grad_fn=False, **kwargs)  # fmt: skip


# --- attention -------------------------------------------------------------------------------


def _attention_inputs(batch: tuple[int, ...] = (2,), heads: int = 3) -> list[np.ndarray]:
    return [_x(*batch, heads, 4, 5, seed=1), _x(*batch, heads, 6, 5, seed=2),
            _x(*batch, heads, 6, 7, seed=3)]  # fmt: skip


@pytest.mark.parametrize("kwargs", [{}, {"scale": 0.3}])
def test_sdpa_plain(kwargs: dict[str, Any]) -> None:
    _parity(lambda F, q, k, v, **kw: F.scaled_dot_product_attention(q, k, v, **kw),
            *_attention_inputs(), grad_fn=False, **kwargs)  # fmt: skip


def test_sdpa_masks() -> None:
    q, k, v = _attention_inputs()
    rng = np.random.default_rng(5)
    bool_mask = rng.random((4, 6)) < 0.7
    bool_mask[:, 0] = True  # every query may attend to something
    float_mask = rng.standard_normal((2, 1, 4, 6))
    _parity(lambda F, *a: F.scaled_dot_product_attention(*a[:3], attn_mask=a[3]), q, k, v,
            bool_mask, grad_fn=False)  # fmt: skip
    _parity(lambda F, *a: F.scaled_dot_product_attention(*a[:3], attn_mask=a[3]), q, k, v,
            float_mask, grad_fn=False)  # fmt: skip


def test_sdpa_causal_and_3d() -> None:
    q, k, v = (_x(2, 5, 4, seed=s) for s in (1, 2, 3))
    _parity(lambda F, *a: F.scaled_dot_product_attention(*a, is_causal=True), q, k, v,
            grad_fn=False)  # fmt: skip
    q4, k4, v4 = _attention_inputs()  # 4 queries, 6 keys: the causal mask is upper-left
    mask = np.random.default_rng(0).standard_normal((4, 6))
    _parity(lambda F, *a: F.scaled_dot_product_attention(*a, is_causal=True), q4, k4, v4,
            grad_fn=False)  # fmt: skip
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.scaled_dot_product_attention(
            *(torch.tensor(a, requires_grad=True) for a in (q4, k4, v4)),
            attn_mask=torch.tensor(mask),
            is_causal=True,
        )
    with pytest.raises(RuntimeError) as ours:
        dyngrad.nn.functional.scaled_dot_product_attention(
            *(dyngrad.tensor(a, requires_grad=True) for a in (q4, k4, v4)),
            attn_mask=dyngrad.tensor(mask),
            is_causal=True,
        )
    assert str(ours.value) == str(theirs.value)


def test_sdpa_fully_masked_queries_give_zeros() -> None:
    q, k, v = _attention_inputs()
    mask = np.ones((4, 6), dtype=bool)
    mask[1] = False
    _parity(lambda F, *a: F.scaled_dot_product_attention(*a[:3], attn_mask=a[3]), q, k, v, mask,
            grad_fn=False, check_grads=False)  # fmt: skip
    float_mask = np.zeros((4, 6))
    float_mask[2] = -np.inf
    _parity(lambda F, *a: F.scaled_dot_product_attention(*a[:3], attn_mask=a[3]), q, k, v,
            float_mask, grad_fn=False, check_grads=False)  # fmt: skip
    # the gradient of the blocked query is zero, as torch's
    qt = torch.tensor(q, requires_grad=True)
    qo = dyngrad.tensor(q, requires_grad=True)
    torch.nn.functional.scaled_dot_product_attention(qt, torch.tensor(k), torch.tensor(v),
                                                     attn_mask=torch.tensor(mask)).sum().backward()  # fmt: skip
    dyngrad.nn.functional.scaled_dot_product_attention(qo, dyngrad.tensor(k), dyngrad.tensor(v),
                                                       attn_mask=dyngrad.tensor(mask)).sum().backward()  # fmt: skip
    np.testing.assert_allclose(qo.grad.numpy(), qt.grad.numpy(), rtol=1e-7, atol=1e-12)


def test_sdpa_dropout_drops_weights() -> None:
    dyngrad.manual_seed(0)
    q, k, v = dyngrad.zeros(1, 200, 4), dyngrad.zeros(1, 300, 4), dyngrad.ones(1, 300, 1)
    out = dyngrad.nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    # uniform weights 1/300, half dropped and the rest doubled: the mean stays near 1
    values = out.numpy().ravel()
    assert values.std() > 0.01 and abs(values.mean() - 1) < 0.05


# --- dropout flags and softmax's implicit dim -------------------------------------------------


def test_dropout_argument_checks_match_torch() -> None:
    for fn in ("dropout", "dropout1d", "dropout2d", "dropout3d"):
        with pytest.raises(ValueError) as theirs:
            getattr(torch.nn.functional, fn)(torch.ones(2, 3, 4, 5), -0.1)
        with pytest.raises(ValueError) as ours:
            getattr(dyngrad.nn.functional, fn)(dyngrad.ones(2, 3, 4, 5), -0.1)
        assert str(ours.value) == str(theirs.value)
    x = dyngrad.ones(2, 3, 3, 3, requires_grad=True)
    assert dyngrad.nn.functional.dropout2d(x, 0.5, training=False) is x


def test_functional_dropout_training_flag() -> None:
    dyngrad.manual_seed(0)
    x = dyngrad.ones(100, 100)
    y = dyngrad.nn.functional.dropout(x, 0.3, training=True)
    assert 0.25 < (y.numpy() == 0).mean() < 0.35
    assert dyngrad.nn.functional.dropout(x, 0.3, training=False) is x


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_implicit_softmax_dim_matches_torch(fn: str, shape: tuple[int, ...]) -> None:
    x = _x(*shape)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        expected = getattr(torch.nn.functional, fn)(torch.tensor(x))
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        got = getattr(dyngrad.nn.functional, fn)(dyngrad.tensor(x))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert [w.category for w in ours] == [w.category for w in theirs]


def test_implicit_softmax_warning_points_at_the_caller() -> None:
    with pytest.warns(UserWarning) as record:
        dyngrad.nn.functional.softmax(dyngrad.ones(2, 2))
    assert record[0].filename == __file__


@pytest.mark.parametrize("fn,args", [("relu", ()), ("leaky_relu", (0.1,)), ("elu", (0.5,)),
                                     ("hardtanh", (-0.5, 0.5)), ("relu6", ()), ("silu", ()),
                                     ("mish", ()), ("selu", ())])  # fmt: skip
def test_inplace_functional_activations(fn: str, args: tuple[Any, ...]) -> None:
    x = _x(3, 4)
    theirs = torch.tensor(x, requires_grad=True)
    ours = dyngrad.tensor(x, requires_grad=True)
    yt = getattr(torch.nn.functional, fn)(theirs * 2, *args, inplace=True)
    yo = getattr(dyngrad.nn.functional, fn)(ours * 2, *args, inplace=True)
    assert type(yo.grad_fn).__name__ == type(yt.grad_fn).__name__
    (yt * yt).sum().backward()
    (yo * yo).sum().backward()
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError):
        getattr(dyngrad.nn.functional, fn)(ours, *args, inplace=True)  # a leaf needing grad


@pytest.mark.parametrize("fn,arg", [("leaky_relu", -0.1), ("elu", -1.0)])
def test_inplace_negative_slope_is_refused_at_backward_like_torch(fn: str, arg: float) -> None:
    def run(lib: Any) -> Any:
        x = lib.ones(3, requires_grad=True)
        y = getattr(lib.nn.functional, fn)(x * -1, arg, inplace=True)  # the forward runs
        y.sum().backward()

    with pytest.raises(RuntimeError) as theirs:
        run(torch)
    with pytest.raises(RuntimeError) as ours:
        run(dyngrad)
    assert str(ours.value) == str(theirs.value)


def test_functional_namespace_has_everything_listed() -> None:
    names = ["linear", "dropout", "dropout1d", "dropout2d", "embedding", "one_hot", "pad",
             "normalize", "cosine_similarity", "pairwise_distance",
             "scaled_dot_product_attention", "softmax", "log_softmax", "softmin", "relu",
             "leaky_relu", "elu", "gelu", "silu", "mish", "softplus", "hardtanh", "relu6",
             "sigmoid", "tanh", "logsigmoid", "prelu", "mse_loss", "l1_loss", "smooth_l1_loss",
             "huber_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
             "binary_cross_entropy_with_logits", "kl_div"]  # fmt: skip
    missing = [n for n in names if not hasattr(dyngrad.nn.functional, n)]
    assert not missing
    assert all(hasattr(torch.nn.functional, n) for n in names)
