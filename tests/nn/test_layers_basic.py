"""Basic layers against torch: Linear, Identity, Flatten, Unflatten, Dropout*, Embedding and
the activation modules. Forward and backward are compared after copying torch's weights in;
default initialisations are checked against torch's distributions; reprs against torch's."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")


def _copy_weights(theirs: Any, ours: Any) -> None:
    ours.load_state_dict(
        {k: dyngrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    )


def _compare(theirs: Any, ours: Any, x: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Forward, input gradient and parameter gradients for a random upstream gradient."""
    _copy_weights(theirs, ours)
    xt = torch.tensor(x, requires_grad=x.dtype.kind == "f")
    xo = dyngrad.tensor(x, requires_grad=x.dtype.kind == "f")
    yt, yo = theirs(xt), ours(xo)
    assert str(yo.dtype) == str(yt.dtype) and tuple(yo.shape) == tuple(yt.shape)
    np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    if yt.grad_fn is not None:
        assert type(yo.grad_fn).__name__ == type(yt.grad_fn).__name__
    seed = (
        np.random.default_rng(1)
        .standard_normal(tuple(yt.shape))
        .astype(str(yt.dtype).split(".")[1])
    )
    yt.backward(torch.tensor(seed))
    yo.backward(dyngrad.tensor(seed))
    if xt.requires_grad:
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for (name, tp), (name_o, op) in zip(theirs.named_parameters(), ours.named_parameters()):
        assert name == name_o
        if tp.grad is None:
            assert op.grad is None
        else:
            assert op.grad is not None and op.grad.dtype == op.dtype
            np.testing.assert_allclose(op.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=atol)


def _x(*shape: int, dtype: str = "float32", seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# --- Linear ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (2, 2, 3, 4), (0, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape: tuple[int, ...], bias: bool) -> None:
    _compare(torch.nn.Linear(4, 3, bias=bias), dyngrad.nn.Linear(4, 3, bias=bias), _x(*shape))


def test_linear_float64() -> None:
    theirs = torch.nn.Linear(4, 3, dtype=torch.float64)
    ours = dyngrad.nn.Linear(4, 3, dtype=dyngrad.float64)
    assert ours.weight.dtype == dyngrad.float64 and ours.bias.dtype == dyngrad.float64
    _compare(theirs, ours, _x(5, 4, dtype="float64"), rtol=1e-12, atol=1e-12)


def test_linear_shape_error_matches_torch() -> None:
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.Linear(4, 3)(torch.zeros(2, 5))
    with pytest.raises(RuntimeError) as ours:
        dyngrad.nn.Linear(4, 3)(dyngrad.zeros(2, 5))
    assert str(ours.value) == str(theirs.value)


def _uniform_bound_ok(values: np.ndarray, bound: float) -> None:
    """Values inside [-bound, bound], spread over it like U(-bound, bound): mean 0 and std
    bound/√3, each within 5 standard errors of the n draws."""
    n = values.size
    assert values.min() >= -bound and values.max() <= bound
    assert values.max() > 0.9 * bound and values.min() < -0.9 * bound
    assert abs(values.mean()) < 5 * bound / math.sqrt(3 * n)
    assert abs(values.std() - bound / math.sqrt(3)) < 5 * bound / math.sqrt(n)


def test_linear_default_init_distribution() -> None:
    dyngrad.manual_seed(0)
    layer = dyngrad.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    _uniform_bound_ok(layer.weight.detach().numpy(), bound)
    _uniform_bound_ok(layer.bias.detach().numpy(), bound)
    assert layer.weight.requires_grad and layer.bias.requires_grad


def test_linear_attributes_and_repr() -> None:
    for bias in (True, False):
        theirs, ours = torch.nn.Linear(3, 4, bias=bias), dyngrad.nn.Linear(3, 4, bias=bias)
        assert repr(ours) == repr(theirs)
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
        assert (ours.in_features, ours.out_features) == (3, 4)
        assert tuple(ours.weight.shape) == (4, 3)


def test_linear_gradients_flow_after_one_step() -> None:
    """One forward/backward of a two-layer net with a loss: every parameter's grad as torch's."""
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    ours = dyngrad.nn.Sequential(
        dyngrad.nn.Linear(4, 6), dyngrad.nn.Tanh(), dyngrad.nn.Linear(6, 3)
    )
    _copy_weights(theirs, ours)
    x, y = _x(8, 4), np.random.default_rng(2).integers(0, 3, 8)
    torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(y)).backward()
    dyngrad.nn.CrossEntropyLoss()(ours(dyngrad.tensor(x)), dyngrad.tensor(y)).backward()
    for tp, op in zip(theirs.parameters(), ours.parameters()):
        np.testing.assert_allclose(op.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)


# --- Identity, Flatten, Unflatten -------------------------------------------------------------


def test_identity() -> None:
    layer = dyngrad.nn.Identity(54, unused="argument")
    x = dyngrad.ones(2)
    assert layer(x) is x
    assert repr(layer) == repr(torch.nn.Identity(54, unused="argument"))


@pytest.mark.parametrize("args", [(), (0,), (1, 2), (-3, -2), (0, -1)])
def test_flatten_matches_torch(args: tuple[int, ...]) -> None:
    theirs, ours = torch.nn.Flatten(*args), dyngrad.nn.Flatten(*args)
    assert repr(ours) == repr(theirs)
    _compare(theirs, ours, _x(2, 3, 4, 5))


@pytest.mark.parametrize("dim,sizes", [(1, (2, 3)), (-1, (5, 1)), (1, [3, -1]), (0, (1, 2))])
def test_unflatten_matches_torch(dim: int, sizes: Any) -> None:
    theirs, ours = torch.nn.Unflatten(dim, sizes), dyngrad.nn.Unflatten(dim, sizes)
    assert repr(ours) == repr(theirs)
    _compare(theirs, ours, _x(2, 6, 5))


def test_unflatten_repr_with_size() -> None:
    assert repr(dyngrad.nn.Unflatten(1, dyngrad.Size([2, 3]))) == repr(
        torch.nn.Unflatten(1, torch.Size([2, 3]))
    )
    with pytest.raises(TypeError):
        dyngrad.nn.Unflatten(1, 3)


# --- Dropout -----------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_zeroes_and_scales_in_training(p: float) -> None:
    dyngrad.manual_seed(0)
    layer = dyngrad.nn.Dropout(p)
    x = dyngrad.ones(400, 250, requires_grad=True)
    y = layer(x)
    values = y.detach().numpy()
    kept = values != 0
    assert abs(1 - kept.mean() - p) < 0.01
    np.testing.assert_allclose(values[kept], 1 / (1 - p), rtol=1e-6)
    assert type(y.grad_fn).__name__ == "MulBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), values)  # the gradient is the same mask


def test_dropout_eval_and_edge_probabilities() -> None:
    layer = dyngrad.nn.Dropout(0.5).eval()
    x = dyngrad.randn(3, 4)
    assert layer(x) is x
    assert dyngrad.nn.functional.dropout(x, 0.0) is x
    np.testing.assert_array_equal(dyngrad.nn.functional.dropout(x, 1.0).numpy(), 0)
    assert dyngrad.nn.functional.dropout(x, 0.5, training=False) is x


def test_dropout_inplace() -> None:
    x = dyngrad.ones(50, 50)
    y = dyngrad.nn.Dropout(0.5, inplace=True)(x)
    assert y is x
    assert set(np.unique(x.numpy())) <= {0.0, 2.0}


@pytest.mark.parametrize("cls", ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"])
def test_dropout_repr_and_p_validation(cls: str) -> None:
    assert repr(getattr(dyngrad.nn, cls)(0.3, True)) == repr(getattr(torch.nn, cls)(0.3, True))
    assert repr(getattr(dyngrad.nn, cls)()) == repr(getattr(torch.nn, cls)())
    with pytest.raises(ValueError) as theirs:
        getattr(torch.nn, cls)(1.5)
    with pytest.raises(ValueError) as ours:
        getattr(dyngrad.nn, cls)(1.5)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("cls,shape", [("Dropout1d", (30, 40, 7)), ("Dropout1d", (300, 7)),
                                       ("Dropout2d", (30, 40, 3, 3)),
                                       ("Dropout3d", (20, 30, 2, 2, 2)),
                                       ("Dropout3d", (300, 2, 2, 2))])  # fmt: skip
def test_channel_dropout_zeroes_whole_channels(cls: str, shape: tuple[int, ...]) -> None:
    dyngrad.manual_seed(0)
    y = getattr(dyngrad.nn, cls)(0.4)(dyngrad.ones(*shape)).numpy()
    batched = len(shape) == {"Dropout1d": 3, "Dropout2d": 4, "Dropout3d": 5}[cls]
    lead = 2 if batched else 1
    per_channel = y.reshape(*shape[:lead], -1)
    # each channel is either all zero or all 1/(1-p)
    assert np.all((per_channel == 0).all(-1) | np.isclose(per_channel, 1 / 0.6).all(-1))
    assert abs((per_channel[..., 0] == 0).mean() - 0.4) < 0.06


def test_dropout2d_warnings_match_torch() -> None:
    for shape in [(2, 3, 4), (2, 3), (2, 3, 4, 5, 6)]:
        with warnings.catch_warnings(record=True) as theirs:
            warnings.simplefilter("always")
            torch.nn.functional.dropout2d(torch.ones(*shape), 0.5)
        with warnings.catch_warnings(record=True) as ours:
            warnings.simplefilter("always")
            dyngrad.nn.functional.dropout2d(dyngrad.ones(*shape), 0.5)
        assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def test_dropout1d_rejects_other_ranks_like_torch() -> None:
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.functional.dropout1d(torch.ones(2, 3, 4, 5))
    with pytest.raises(RuntimeError) as ours:
        dyngrad.nn.functional.dropout1d(dyngrad.ones(2, 3, 4, 5))
    assert str(ours.value) == str(theirs.value)


# --- Embedding ---------------------------------------------------------------------------------


def _embedding_pair(**kwargs: Any) -> tuple[Any, Any]:
    return torch.nn.Embedding(7, 3, **kwargs), dyngrad.nn.Embedding(7, 3, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 2}, {"padding_idx": -1},
                                    {"scale_grad_by_freq": True}, {"max_norm": 1.0},
                                    {"max_norm": 0.5, "norm_type": 1.0}])  # fmt: skip
def test_embedding_matches_torch(kwargs: dict[str, Any]) -> None:
    theirs, ours = _embedding_pair(**kwargs)
    assert repr(ours) == repr(theirs)
    idx = np.array([[0, 2, 2, 6], [1, 2, 5, 0]])
    _compare(theirs, ours, idx)
    if "max_norm" in kwargs:  # the looked-up rows were renormalised in place, as in torch
        np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                                   rtol=1e-6)  # fmt: skip


def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient() -> None:
    emb = dyngrad.nn.Embedding(10, 4, padding_idx=3)
    np.testing.assert_array_equal(emb.weight.detach().numpy()[3], 0)
    emb(dyngrad.tensor([3, 3, 1])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[3], 0)
    np.testing.assert_array_equal(emb.weight.grad.numpy()[1], 1)
    assert emb.padding_idx == 3
    assert dyngrad.nn.Embedding(10, 4, padding_idx=-2).padding_idx == 8


def test_embedding_default_init_is_standard_normal() -> None:
    dyngrad.manual_seed(0)
    w = dyngrad.nn.Embedding(1000, 100).weight.detach().numpy()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01


def test_embedding_from_pretrained() -> None:
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    ours = dyngrad.nn.Embedding.from_pretrained(dyngrad.tensor(table))
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table))
    assert repr(ours) == repr(theirs)
    assert not ours.weight.requires_grad
    np.testing.assert_array_equal(ours(dyngrad.tensor([2, 0])).numpy(), table[[2, 0]])
    trainable = dyngrad.nn.Embedding.from_pretrained(dyngrad.tensor(table), freeze=False,
                                                     padding_idx=1)  # fmt: skip
    assert trainable.weight.requires_grad
    np.testing.assert_array_equal(trainable.weight.detach().numpy(), table)  # not zeroed
    with pytest.raises(AssertionError):
        dyngrad.nn.Embedding.from_pretrained(dyngrad.ones(3))


@pytest.mark.parametrize("bad", ["float", "range", "padding"])
def test_embedding_errors_match_torch(bad: str) -> None:
    def call(t: Any) -> Any:
        if bad == "padding":
            return t.nn.Embedding(5, 2, padding_idx=5)
        idx = t.tensor([0.0, 1.0]) if bad == "float" else t.tensor([0, 5])
        return t.nn.Embedding(5, 2)(idx)

    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(theirs.type) as ours:
        call(dyngrad)
    assert str(ours.value) == str(theirs.value)


# --- activations -------------------------------------------------------------------------------

ACTIVATIONS = [
    ("ReLU", (), {}), ("ReLU", (True,), {}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2,), {}),
    ("ELU", (), {}), ("ELU", (0.5,), {}), ("SELU", (), {}), ("GELU", (), {}),
    ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("Mish", (), {}), ("Sigmoid", (), {}),
    ("Tanh", (), {}), ("Softplus", (), {}), ("Softplus", (2.0, 1.0), {}), ("Hardtanh", (), {}),
    ("Hardtanh", (-0.5, 2.0), {}), ("ReLU6", (), {}), ("LogSigmoid", (), {}),
    ("Softmax", (), {"dim": 1}), ("Softmax", (-1,), {}), ("Softmin", (0,), {}),
    ("LogSoftmax", (), {"dim": 1}), ("PReLU", (), {}), ("PReLU", (3, 0.1), {}),
]  # fmt: skip


@pytest.mark.parametrize("name,args,kwargs", ACTIVATIONS)
def test_activation_modules_match_torch(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    ours = getattr(dyngrad.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = _x(4, 3, 5) * 3
    if getattr(theirs, "inplace", False):  # in place on a non-leaf, as one would use it
        xt = torch.tensor(x, requires_grad=True)
        xo = dyngrad.tensor(x, requires_grad=True)
        yt, yo = theirs(xt * 1), ours(xo * 1)
        yt.sum().backward()
        yo.sum().backward()
        np.testing.assert_allclose(yo.detach().numpy(), yt.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-6)
        return
    _compare(theirs, ours, x)


@pytest.mark.parametrize("name,args", [("ReLU", (True,)), ("LeakyReLU", (0.1, True)),
                                       ("ELU", (1.0, True)), ("SiLU", (True,)), ("Mish", (True,)),
                                       ("Hardtanh", (-1.0, 1.0, True)), ("ReLU6", (True,)),
                                       ("SELU", (True,))])  # fmt: skip
def test_inplace_activation_reprs_and_results(name: str, args: tuple[Any, ...]) -> None:
    assert repr(getattr(dyngrad.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    x = _x(3, 4)
    ours = dyngrad.tensor(x)
    out = getattr(dyngrad.nn, name)(*args)(ours)
    assert out is ours
    expected = getattr(torch.nn, name)(*args)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6, atol=1e-7)


def test_softmax_module_without_dim_warns_like_torch() -> None:
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = dyngrad.nn.Softmax()(dyngrad.ones(2, 3))
    np.testing.assert_allclose(y.numpy(), 1 / 3, rtol=1e-6)
    assert repr(dyngrad.nn.Softmax()) == repr(torch.nn.Softmax())


def test_prelu_default_init_and_hardtanh_check() -> None:
    np.testing.assert_array_equal(dyngrad.nn.PReLU(4).weight.detach().numpy(), 0.25)
    with pytest.raises(AssertionError):
        torch.nn.Hardtanh(1.0, -1.0)
    with pytest.raises(AssertionError):
        dyngrad.nn.Hardtanh(1.0, -1.0)


@pytest.mark.parametrize("name", ["Softplus", "LogSigmoid", "SiLU", "Mish", "GELU", "ELU"])
def test_activations_are_finite_for_huge_inputs(name: str) -> None:
    x = dyngrad.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    y = getattr(dyngrad.nn, name)()(x)
    y.sum().backward()
    assert np.all(np.isfinite(y.detach().numpy())) and np.all(np.isfinite(x.grad.numpy()))
    expected = getattr(torch.nn, name)()(torch.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    np.testing.assert_allclose(y.detach().numpy(), expected.numpy(), rtol=1e-6)


def _manual_sgd_trajectory(lib: Any, state: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                           steps: int = 20, lr: float = 0.1) -> list[float]:  # fmt: skip
    nn = lib.nn
    model = nn.Sequential(nn.Embedding(10, 4, padding_idx=0), nn.Flatten(), nn.Linear(12, 8),
                          nn.GELU(), nn.Linear(8, 8), nn.LogSoftmax(dim=1))  # fmt: skip
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    losses = []
    for _ in range(steps):
        model.zero_grad()
        loss = nn.NLLLoss()(model(lib.tensor(x)), lib.tensor(y))
        loss.backward()
        with lib.no_grad():
            for p in model.parameters():
                p.sub_(p.grad * lr)
        losses.append(loss.item())
    return losses


def test_training_trajectory_matches_torch() -> None:
    """20 plain gradient steps (no optimizer) of an embedding + MLP classifier."""
    reference = torch.nn.Sequential(torch.nn.Embedding(10, 4, padding_idx=0), torch.nn.Flatten(),
                                    torch.nn.Linear(12, 8), torch.nn.GELU(),
                                    torch.nn.Linear(8, 8), torch.nn.LogSoftmax(dim=1))  # fmt: skip
    state = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
    rng = np.random.default_rng(3)
    x, y = rng.integers(0, 10, (16, 3)), rng.integers(0, 8, 16)
    theirs = _manual_sgd_trajectory(torch, state, x, y)
    ours = _manual_sgd_trajectory(dyngrad, state, x, y)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert theirs[-1] < theirs[0]
