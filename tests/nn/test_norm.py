"""Normalization layers against torch: BatchNorm1d/2d/3d (running statistics over several
training steps, momentum and its cumulative form, evaluation mode, affine and bias options,
track_running_stats, num_batches_tracked), InstanceNorm, LayerNorm, GroupNorm and RMSNorm
with torch's weights copied in; reprs, state_dict keys, default init, torch's errors, and
second derivatives of layer norm (which torch supports)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from nn_parity import close
from nn_parity import copy_weights as _copy_weights
from nn_parity import pair as _pair

import dyngrad
from dyngrad.autograd.gradcheck import gradgradcheck

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

D = dyngrad.nn
T = torch.nn


def _close(ours: Any, theirs: Any, tol: float = 2e-5) -> None:
    close(ours, theirs, tol)


def _randomize(module: Any, seed: int) -> None:
    """Non-trivial affine parameters on torch's side (they start at 1 and 0)."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.tensor(rng.uniform(0.5, 1.5, tuple(p.shape)).astype(np.float32)))


def _same_state(ours: Any, theirs: Any, tol: float = 1e-5) -> None:
    mine, other = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(other)
    for key in other:
        np.testing.assert_allclose(
            mine[key].numpy(), other[key].numpy(), rtol=tol, atol=tol, err_msg=key
        )
        assert str(mine[key].dtype) == str(other[key].dtype), key


def _same_grads(ours: Any, theirs: Any, tol: float = 5e-5) -> None:
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=tol, atol=tol, err_msg=name)


# --- BatchNorm --------------------------------------------------------------------------------

BN_CASES = [
    ("BatchNorm1d", (8, 3)),
    ("BatchNorm1d", (4, 3, 5)),
    ("BatchNorm2d", (4, 3, 5, 4)),
    ("BatchNorm3d", (2, 3, 3, 2, 4)),
]
BN_OPTIONS = [
    {},
    {"momentum": 0.5},
    {"momentum": None},
    {"affine": False},
    {"bias": False},
    {"track_running_stats": False},
    {"eps": 1e-2, "momentum": None, "affine": False},
]


@pytest.mark.parametrize("name,shape", BN_CASES)
@pytest.mark.parametrize("options", BN_OPTIONS)
def test_batchnorm_training_steps_match_torch(
    name: str, shape: tuple[int, ...], options: dict[str, Any]
) -> None:
    theirs = getattr(T, name)(3, **options)
    ours = getattr(D, name)(3, **options)
    _randomize(theirs, 0)
    _copy_weights(ours, theirs)
    for step in range(4):  # the running statistics after each training step, and the grads
        x, tx = _pair(shape, step, scale=1.0 + step, shift=step - 1.0)
        ours.zero_grad()
        theirs.zero_grad()
        y, ty = ours(x), theirs(tx)
        _close(y, ty)
        seed = np.random.default_rng(10 + step).standard_normal(shape).astype(np.float32)
        (y * dyngrad.tensor(seed)).sum().backward()
        (ty * torch.tensor(seed)).sum().backward()
        _close(x.grad, tx.grad, 5e-5)
        _same_grads(ours, theirs)
        _same_state(ours, theirs)
    ours.eval()
    theirs.eval()
    x, tx = _pair(shape, 99)
    y, ty = ours(x), theirs(tx)
    _close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    _close(x.grad, tx.grad, 5e-5)
    _same_state(ours, theirs)  # evaluation leaves the statistics alone


def test_batchnorm_grad_fn_and_buffers() -> None:
    bn = D.BatchNorm1d(3)
    assert [n for n, _ in bn.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert bn.num_batches_tracked.dtype == dyngrad.int64
    x = dyngrad.randn(4, 3, requires_grad=True)
    assert type(bn(x).grad_fn).__name__ == "NativeBatchNormBackward0"
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    assert type(bn(x).grad_fn).__name__ == "NativeBatchNormBackward0"
    assert int(bn.num_batches_tracked.item()) == 1
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3, np.float32))
    assert int(bn.num_batches_tracked.item()) == 0
    plain = D.BatchNorm1d(3, track_running_stats=False)
    assert plain.running_mean is None and plain.num_batches_tracked is None
    assert list(plain.state_dict()) == ["weight", "bias"]


def test_batchnorm_running_var_is_unbiased_and_cumulative() -> None:
    """momentum=None averages the batches' statistics equally; running_var uses n − 1."""
    bn = D.BatchNorm1d(2, momentum=None, affine=False)
    batches = [
        np.random.default_rng(s).standard_normal((5, 2)).astype(np.float32) * (s + 1)
        for s in range(3)
    ]
    for b in batches:
        bn(dyngrad.tensor(b))
    np.testing.assert_allclose(
        bn.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0), rtol=1e-5, atol=1e-6
    )
    expected_var = np.mean([b.var(0, ddof=1) for b in batches], 0)
    np.testing.assert_allclose(bn.running_var.numpy(), expected_var, rtol=1e-5)


@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (1, 3)), ("BatchNorm1d", (1, 3, 1)),
                                        ("BatchNorm2d", (1, 3, 1, 1))])  # fmt: skip
def test_batchnorm_one_value_per_channel_error(name: str, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError) as theirs:
        getattr(T, name)(3)(torch.zeros(shape))
    with pytest.raises(ValueError) as ours:
        getattr(D, name)(3)(dyngrad.zeros(shape))
    assert str(ours.value) == str(theirs.value)
    if shape == (1, 3):
        assert (
            str(ours.value)
            == "Expected more than 1 value per channel when training, got input size torch.Size([1, 3])"
        )
    getattr(D, name)(3).eval()(dyngrad.zeros(shape))  # evaluation has no such limit


@pytest.mark.parametrize("name,shape", [("BatchNorm1d", (2, 3, 4, 5)), ("BatchNorm1d", (3,)),
                                        ("BatchNorm2d", (2, 3, 4)), ("BatchNorm3d", (2, 3))])  # fmt: skip
def test_batchnorm_input_rank_errors(name: str, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError) as theirs:
        getattr(T, name)(3)(torch.zeros(shape))
    with pytest.raises(ValueError) as ours:
        getattr(D, name)(3)(dyngrad.zeros(shape))
    assert str(ours.value) == str(theirs.value)


def test_batchnorm_functional_errors_match_torch() -> None:
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    cases = [
        ((np.zeros(4), np.ones(4)), {"training": True}),
        ((None, None), {"training": False}),
        ((np.zeros(3), None), {"training": True}),
        ((np.zeros(3), np.ones(3)), {"training": True, "weight": np.ones(4)}),
    ]
    for (rm, rv), kw in cases:

        def call(m: Any, rm: Any = rm, rv: Any = rv, kw: Any = kw) -> Any:
            conv = {
                k: (m.tensor(v.astype(np.float32)) if isinstance(v, np.ndarray) else v)
                for k, v in kw.items()
            }
            stats = [None if s is None else m.tensor(s.astype(np.float32)) for s in (rm, rv)]
            return m.nn.functional.batch_norm(m.tensor(x), *stats, **conv)

        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(type(theirs.value)) as ours:
            call(dyngrad)
        assert str(ours.value) == str(theirs.value)


# --- InstanceNorm -----------------------------------------------------------------------------


@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (2, 3, 6)), ("InstanceNorm1d", (3, 6)),
                                        ("InstanceNorm2d", (2, 3, 4, 4)),
                                        ("InstanceNorm3d", (2, 3, 2, 3, 2))])  # fmt: skip
@pytest.mark.parametrize(
    "options", [{}, {"affine": True}, {"track_running_stats": True, "momentum": 0.3}]
)
def test_instancenorm_matches_torch(
    name: str, shape: tuple[int, ...], options: dict[str, Any]
) -> None:
    theirs, ours = getattr(T, name)(3, **options), getattr(D, name)(3, **options)
    _randomize(theirs, 1)
    _copy_weights(ours, theirs)
    assert repr(ours) == repr(theirs)
    for step in range(2):
        x, tx = _pair(shape, step, shift=float(step))
        y, ty = ours(x), theirs(tx)
        _close(y, ty)
        y.sum().backward()
        ty.sum().backward()
        _close(x.grad, tx.grad, 5e-5)
        _same_state(ours, theirs)
    ours.eval()
    theirs.eval()
    x, tx = _pair(shape, 7)
    _close(ours(x), theirs(tx))


def test_instancenorm_channel_mismatch() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        D.InstanceNorm1d(4)(dyngrad.randn(2, 3, 5))
    assert any("does not match num_features" in str(w.message) for w in caught)
    with pytest.raises(
        ValueError, match=r"expected input's size at dim=1 to match num_features \(4\), but got: 3."
    ):
        D.InstanceNorm1d(4, affine=True)(dyngrad.randn(2, 3, 5))


# --- LayerNorm, GroupNorm, RMSNorm ------------------------------------------------------------

LN_CASES = [
    (5, (3, 4, 5), {}),
    ((4, 5), (3, 4, 5), {}),
    ([5], (2, 5), {"elementwise_affine": False}),
    (5, (2, 5), {"bias": False}),
    (6, (6,), {"eps": 1e-3}),
]


@pytest.mark.parametrize("shape,input_shape,options", LN_CASES)
def test_layernorm_matches_torch(
    shape: Any, input_shape: tuple[int, ...], options: dict[str, Any]
) -> None:
    theirs, ours = T.LayerNorm(shape, **options), D.LayerNorm(shape, **options)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _same_state(ours, theirs)  # default init: ones and zeros
    _randomize(theirs, 2)
    _copy_weights(ours, theirs)
    x, tx = _pair(input_shape, 3, shift=2.0)
    y, ty = ours(x), theirs(tx)
    _close(y, ty)
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__ == "NativeLayerNormBackward0"
    seed = np.random.default_rng(4).standard_normal(input_shape).astype(np.float32)
    (y * dyngrad.tensor(seed)).sum().backward()
    (ty * torch.tensor(seed)).sum().backward()
    _close(x.grad, tx.grad, 5e-5)
    _same_grads(ours, theirs)


def test_layer_norm_double_backward_matches_torch() -> None:
    x, tx = _pair((3, 5), 0, np.float64)
    w, tw = _pair((5,), 1, np.float64)
    b, tb = _pair((5,), 2, np.float64)
    y = dyngrad.nn.functional.layer_norm(x, (5,), w, b)
    ty = torch.nn.functional.layer_norm(tx, (5,), tw, tb)
    g = np.random.default_rng(3).standard_normal((3, 5))
    gx, gw = dyngrad.autograd.grad(y, (x, w), dyngrad.tensor(g), create_graph=True)
    tgx, tgw = torch.autograd.grad(ty, (tx, tw), torch.tensor(g), create_graph=True)
    _close(gx, tgx, 1e-10)
    ((gx * gx).sum() + gw.sum()).backward()
    ((tgx * tgx).sum() + tgw.sum()).backward()
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        if theirs.grad is None:
            assert ours.grad is None or not np.any(ours.grad.numpy())
        else:
            _close(ours.grad, theirs.grad, 1e-9)
    assert gradgradcheck(lambda a, c, d: dyngrad.nn.functional.layer_norm(a, (5,), c, d),
                         [x.detach().requires_grad_(), w.detach().requires_grad_(),
                          b.detach().requires_grad_()])  # fmt: skip


@pytest.mark.parametrize("groups,channels,shape,options", [
    (3, 6, (2, 6, 4), {}), (2, 4, (3, 4, 3, 3), {}), (1, 4, (2, 4, 5), {"affine": False}),
    (4, 4, (2, 4, 5), {"eps": 1e-3}), (2, 6, (2, 6), {"bias": False}),
])  # fmt: skip
def test_groupnorm_matches_torch(
    groups: int, channels: int, shape: tuple[int, ...], options: dict[str, Any]
) -> None:
    theirs, ours = (
        T.GroupNorm(groups, channels, **options),
        D.GroupNorm(groups, channels, **options),
    )
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _same_state(ours, theirs)
    _randomize(theirs, 5)
    _copy_weights(ours, theirs)
    x, tx = _pair(shape, 6, scale=3.0)
    y, ty = ours(x), theirs(tx)
    _close(y, ty)
    assert type(y.grad_fn).__name__ == type(ty.grad_fn).__name__
    y.pow(2).sum().backward()
    ty.pow(2).sum().backward()
    _close(x.grad, tx.grad, 5e-5)
    _same_grads(ours, theirs)


def test_groupnorm_divisibility_error() -> None:
    with pytest.raises(
        ValueError, match=r"num_channels \(6\) must be divisible by num_groups \(4\)"
    ):
        D.GroupNorm(4, 6)


@pytest.mark.parametrize(
    "shape,options", [(5, {}), ((3, 5), {"eps": 1e-3}), (5, {"elementwise_affine": False})]
)
def test_rmsnorm_matches_torch(shape: Any, options: dict[str, Any]) -> None:
    theirs, ours = T.RMSNorm(shape, **options), D.RMSNorm(shape, **options)
    assert repr(ours) == repr(theirs)
    _randomize(theirs, 8)
    _copy_weights(ours, theirs)
    x, tx = _pair((2, 3, 5), 9)
    y, ty = ours(x), theirs(tx)
    _close(y, ty)
    y.sum().backward()
    ty.sum().backward()
    _close(x.grad, tx.grad, 5e-5)


def test_norm_reprs_match_torch() -> None:
    pairs = [
        (D.BatchNorm1d(3), T.BatchNorm1d(3)),
        (
            D.BatchNorm2d(4, momentum=None, affine=False),
            T.BatchNorm2d(4, momentum=None, affine=False),
        ),
        (
            D.BatchNorm3d(2, eps=1e-3, track_running_stats=False),
            T.BatchNorm3d(2, eps=1e-3, track_running_stats=False),
        ),
        (D.BatchNorm1d(3, bias=False), T.BatchNorm1d(3, bias=False)),
        (D.InstanceNorm2d(3, affine=True), T.InstanceNorm2d(3, affine=True)),
        (
            D.LayerNorm((3, 4), elementwise_affine=False),
            T.LayerNorm((3, 4), elementwise_affine=False),
        ),
        (D.GroupNorm(2, 4, affine=False), T.GroupNorm(2, 4, affine=False)),
        (D.RMSNorm([3]), T.RMSNorm([3])),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert list(ours.state_dict()) == list(theirs.state_dict())
    model_ours = D.Sequential(D.Linear(4, 4), D.BatchNorm1d(4), D.LayerNorm(4))
    model_theirs = T.Sequential(T.Linear(4, 4), T.BatchNorm1d(4), T.LayerNorm(4))
    assert repr(model_ours) == repr(model_theirs)


def test_norm_state_dict_loads_from_torch() -> None:
    theirs = T.BatchNorm2d(3)
    theirs(torch.randn(4, 3, 2, 2))  # running statistics that are not the defaults
    ours = D.BatchNorm2d(3)
    _copy_weights(ours, theirs)
    _same_state(ours, theirs)
    assert int(ours.num_batches_tracked.item()) == 1


def test_layer_and_group_norm_functional_errors_match_torch() -> None:
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    cases = [
        lambda m: m.nn.functional.layer_norm(m.tensor(x), (4,)),
        lambda m: m.nn.functional.layer_norm(m.tensor(x), (3,), m.ones(4)),
        lambda m: m.nn.functional.layer_norm(m.tensor(x), 3),
        lambda m: m.nn.functional.group_norm(m.tensor(x), 2),
        lambda m: m.nn.functional.group_norm(m.tensor(x), 3, m.ones(4)),
        lambda m: m.nn.functional.group_norm(m.tensor(x[0]), 3),
        lambda m: m.nn.functional.layer_norm(m.tensor(x).double(), (3,), m.ones(3)),
    ]
    for case in cases:
        with pytest.raises(Exception) as theirs:
            case(torch)
        with pytest.raises(type(theirs.value)) as ours:
            case(dyngrad)
        key = str(theirs.value).split(",")[0]
        assert key in str(ours.value)
