"""Convolution layers and functions against torch: forward and backward over a grid of
geometries, layers with torch's weights copied in, second derivatives, default init, reprs,
state_dict keys and torch's error messages."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pytest
from nn_parity import close as _close
from nn_parity import copy_weights as _copy_weights
from nn_parity import pair as _pair

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

D = dyngrad.nn
T = torch.nn


# --- functional grid --------------------------------------------------------------------------

GRID = list(
    itertools.product(
        [1, 2],  # stride
        [0, 1, (2, 0), "same", "valid"],  # padding
        [1, (2, 1)],  # dilation
        [1, 2],  # groups
        [(3, 3), (2, 3), (1, 1)],  # kernel
        [True, False],  # bias
    )
)


@pytest.mark.parametrize("stride,padding,dilation,groups,kernel,bias", GRID)
def test_conv2d_grid_matches_torch(stride: int, padding: Any, dilation: Any, groups: int,
                                   kernel: tuple[int, int], bias: bool) -> None:  # fmt: skip
    x, tx = _pair((2, 4, 7, 6), 0, np.float64)
    w, tw = _pair((6, 4 // groups, *kernel), 1, np.float64)
    b, tb = _pair((6,), 2, np.float64) if bias else (None, None)
    kw = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's padding='same' copy warning
        try:
            ty = torch.nn.functional.conv2d(tx, tw, tb, **kw)
        except RuntimeError as exc:
            with pytest.raises(RuntimeError) as ours:
                dyngrad.nn.functional.conv2d(x, w, b, **kw)
            assert str(ours.value) == str(exc)
            return
        y = dyngrad.nn.functional.conv2d(x, w, b, **kw)
    _close(y, ty, 1e-10)
    seed = np.random.default_rng(3).standard_normal(tuple(ty.shape))
    leaves = [v for v in (x, w, b) if v is not None]
    tleaves = [v for v in (tx, tw, tb) if v is not None]
    for g, tg in zip(dyngrad.autograd.grad(y, leaves, dyngrad.tensor(seed)),
                     torch.autograd.grad(ty, tleaves, torch.tensor(seed))):  # fmt: skip
        _close(g, tg, 1e-10)


@pytest.mark.parametrize("stride,padding,output_padding,dilation,groups", [
    (1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (3, 2, (2, 0), 1, 2), (1, 1, 1, 2, 1), ((2, 1), 0, (1, 0), (1, 2), 2),
])  # fmt: skip
def test_conv_transpose2d_matches_torch(stride: Any, padding: Any, output_padding: Any,
                                        dilation: Any, groups: int) -> None:  # fmt: skip
    x, tx = _pair((2, 4, 5, 4), 0, np.float64)
    w, tw = _pair((4, 6 // groups, 3, 2), 1, np.float64)
    b, tb = _pair((6,), 2, np.float64)
    kw = {"stride": stride, "padding": padding, "output_padding": output_padding,
          "dilation": dilation, "groups": groups}  # fmt: skip
    ty = torch.nn.functional.conv_transpose2d(tx, tw, tb, **kw)
    y = dyngrad.nn.functional.conv_transpose2d(x, w, b, **kw)
    _close(y, ty, 1e-10)
    seed = np.random.default_rng(3).standard_normal(tuple(ty.shape))
    for g, tg in zip(dyngrad.autograd.grad(y, [x, w, b], dyngrad.tensor(seed)),
                     torch.autograd.grad(ty, [tx, tw, tb], torch.tensor(seed))):  # fmt: skip
        _close(g, tg, 1e-10)


def test_second_derivatives_match_torch() -> None:
    """d/dw of ⟨v, ∂y/∂x⟩ and d/dx of ⟨v, ∂y/∂w⟩ with create_graph, against torch."""
    x, tx = _pair((2, 4, 6, 5), 0, np.float64)
    w, tw = _pair((6, 2, 3, 2), 1, np.float64)
    kw = {"stride": (2, 1), "padding": 1, "dilation": (1, 2), "groups": 2}
    y = dyngrad.nn.functional.conv2d(x, w, **kw)
    ty = torch.nn.functional.conv2d(tx, tw, **kw)
    v = np.random.default_rng(5).standard_normal(tuple(ty.shape))
    gx, gw = dyngrad.autograd.grad(y, [x, w], dyngrad.tensor(v), create_graph=True)
    tgx, tgw = torch.autograd.grad(ty, [tx, tw], torch.tensor(v), create_graph=True)
    u = np.random.default_rng(6).standard_normal(tuple(tx.shape))
    s = np.random.default_rng(7).standard_normal(tuple(tw.shape))
    ours = dyngrad.autograd.grad(
        (gx * dyngrad.tensor(u)).sum() + (gw * dyngrad.tensor(s)).sum(), [x, w]
    )
    theirs = torch.autograd.grad(
        (tgx * torch.tensor(u)).sum() + (tgw * torch.tensor(s)).sum(), [tx, tw]
    )
    for a, b in zip(ours, theirs):
        _close(a, b, 1e-10)


def test_float32_stays_float32() -> None:
    x, _ = _pair((2, 3, 6, 6), 0)
    w, _ = _pair((4, 3, 3, 3), 1)
    y = dyngrad.nn.functional.conv2d(x, w, padding=1)
    gx, gw = dyngrad.autograd.grad(y.sum(), [x, w])
    assert y.dtype == gx.dtype == gw.dtype == dyngrad.float32


# --- layers -----------------------------------------------------------------------------------

LAYERS = [
    ("Conv1d", (3, 6, 3), {}, (2, 3, 9)),
    ("Conv1d", (4, 6, 4), {"stride": 2, "padding": 2, "groups": 2}, (2, 4, 11)),
    ("Conv1d", (3, 5, 3), {"padding": 2, "padding_mode": "circular"}, (2, 3, 9)),
    ("Conv2d", (1, 6, 5), {"padding": 2}, (4, 1, 28, 28)),
    ("Conv2d", (6, 16, 5), {}, (4, 6, 14, 14)),
    ("Conv2d", (4, 8, (3, 2)), {"stride": (2, 1), "padding": 1, "dilation": 2, "groups": 4, "bias": False}, (2, 4, 9, 8)),
    ("Conv2d", (3, 4, 4), {"padding": "same"}, (2, 3, 7, 6)),
    ("Conv2d", (3, 4, 3), {"padding": (1, 2), "padding_mode": "reflect"}, (2, 3, 7, 6)),
    ("Conv2d", (3, 4, 3), {"padding": 2, "padding_mode": "replicate"}, (3, 7, 6)),
    ("Conv3d", (2, 3, 2), {"padding": 1}, (1, 2, 4, 3, 4)),
    ("ConvTranspose1d", (3, 4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 6)),
    ("ConvTranspose2d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}, (2, 4, 5, 5)),
    ("ConvTranspose2d", (3, 2, (2, 3)), {"dilation": (2, 1), "bias": False}, (3, 4, 4)),
    ("ConvTranspose3d", (2, 2, 2), {"stride": 2}, (1, 2, 2, 3, 2)),
]  # fmt: skip


@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_matches_torch_with_copied_weights(name: str, args: tuple[Any, ...],
                                                 kwargs: dict[str, Any], shape: tuple[int, ...],
                                                 dtype: str) -> None:  # fmt: skip
    torch.manual_seed(0)
    theirs = getattr(T, name)(*args, **kwargs, dtype=getattr(torch, dtype))
    ours = getattr(D, name)(*args, **kwargs, dtype=getattr(dyngrad, dtype))
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_weights(ours, theirs)
    x, tx = _pair(shape, 1, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        y, ty = ours(x), theirs(tx)
    tol = 1e-5 if dtype == "float32" else 1e-12
    _close(y, ty, tol)
    seed = np.random.default_rng(2).standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(dyngrad.tensor(seed))
    ty.backward(torch.tensor(seed))
    _close(x.grad, tx.grad, tol)
    for (k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.grad is not None, k
        _close(p.grad, tp.grad, tol * 10)


def test_conv_transpose_output_size() -> None:
    torch.manual_seed(0)
    theirs = T.ConvTranspose2d(4, 3, 3, stride=2)
    ours = D.ConvTranspose2d(4, 3, 3, stride=2)
    _copy_weights(ours, theirs)
    x, tx = _pair((2, 4, 9, 9), 0)
    _close(ours(x, output_size=[20, 20]), theirs(tx, output_size=[20, 20]))
    _close(ours(x, output_size=(2, 3, 19, 20)), theirs(tx, output_size=(2, 3, 19, 20)))
    with pytest.raises(
        ValueError,
        match=r"requested an output size of \[22, 22\], but valid sizes range from \[19, 19\] to \[20, 20\]",
    ):
        ours(x, output_size=[22, 22])
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        ours(x, output_size=[20])


def test_default_init_follows_torch_bounds() -> None:
    """kaiming_uniform_(a=√5): U(−1/√fan_in, 1/√fan_in) for weight and bias."""
    dyngrad.manual_seed(0)
    layer = D.Conv2d(32, 64, 3)
    fan_in = 32 * 9
    bound = 1 / math.sqrt(fan_in)
    w = layer.weight.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(w.mean()) < 0.02 * bound
    b = layer.bias.detach().numpy()
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.5 * bound
    t = D.ConvTranspose2d(8, 6, 3, groups=2)
    assert tuple(t.weight.shape) == (8, 3, 3, 3)
    assert np.abs(t.bias.detach().numpy()).max() <= 1 / math.sqrt(3 * 9)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(4, 8, 3, groups=3),
    lambda nn: nn.Conv2d(4, 6, 3, groups=4),
    lambda nn: nn.Conv2d(4, 8, 3, groups=0),
    lambda nn: nn.Conv2d(4, 8, 3, padding="same", stride=2),
    lambda nn: nn.ConvTranspose2d(4, 8, 3, padding_mode="reflect"),
])  # fmt: skip
def test_layer_constructor_errors(make: Any) -> None:
    with pytest.raises(ValueError) as theirs:
        make(T)
    with pytest.raises(ValueError) as ours:
        make(D)
    assert str(ours.value) == str(theirs.value)


def test_bad_padding_string_and_mode() -> None:
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        D.Conv2d(4, 8, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        D.Conv2d(4, 8, 3, padding_mode="mirror")


# --- functional errors: torch's messages ------------------------------------------------------

ERRORS = [
    ("conv2d", (64, 3, 28, 28), (6, 1, 5, 5), {}),
    ("conv2d", (1, 1, 3, 3), (1, 1, 5, 5), {}),
    ("conv2d", (1, 1, 8, 8), (1, 1, 3, 3), {"dilation": 4}),
    ("conv2d", (1, 4, 8, 8), (6, 2, 3, 3), {"groups": 4}),
    ("conv2d", (1, 4, 8, 8), (0, 4, 3, 3), {}),
    ("conv2d", (1, 4, 8, 8), (6, 4, 3, 3), {"stride": 0}),
    ("conv2d", (1, 4, 8, 8), (6, 4, 3, 3), {"padding": -1}),
    ("conv2d", (1, 4, 8, 8), (6, 4, 3, 3), {"dilation": 0}),
    ("conv2d", (1, 4, 8, 8), (6, 4, 3, 3), {"groups": 0}),
    ("conv2d", (1, 4, 8, 8), (6, 4, 3, 3), {"stride": (1, 1, 1)}),
    ("conv2d", (1, 4, 8, 8), (6, 4, 3, 3), {"padding": "same", "stride": 2}),
    ("conv2d", (1, 4, 8, 8), (6, 4, 3, 3), {"padding": "full"}),
    ("conv2d", (3, 3), (1, 1, 5, 5), {}),
    ("conv2d", (1, 4, 8, 8), (6, 4, 3), {}),
    ("conv2d", (2, 4, 0, 8), (6, 4, 3, 3), {}),
    ("conv1d", (2, 4, 8), (6, 4, 3, 3), {}),
    ("conv1d", (1, 4, 2, 2), (6, 4, 3), {}),
    ("conv1d", (1, 4, 2), (6, 4, 3), {}),
    ("conv_transpose2d", (2, 4, 8, 8), (3, 6, 3, 3), {}),
    ("conv_transpose2d", (2, 4, 8, 8), (4, 6, 3, 3), {"output_padding": 1}),
    ("conv_transpose2d", (1, 4, 2, 2), (4, 6, 3, 3), {"padding": 2}),
    ("conv_transpose2d", (2, 4, 8, 8), (4, 3, 3, 3), {"groups": 3}),
    ("conv_transpose1d", (1, 4, 8), (4, 6, 3), {"output_padding": 1}),
    ("conv_transpose1d", (1, 4, 2), (4, 6, 3), {"padding": 3}),
    ("conv3d", (1, 4, 2, 2, 2), (4, 4, 3, 3, 3), {}),
]  # fmt: skip


@pytest.mark.parametrize("fn,xs,ws,kw", ERRORS)
def test_error_messages_match_torch(fn: str, xs: tuple[int, ...], ws: tuple[int, ...],
                                    kw: dict[str, Any]) -> None:  # fmt: skip
    x, tx = _pair(xs, 0)
    w, tw = _pair(ws, 1)
    with pytest.raises(Exception) as theirs:
        getattr(torch.nn.functional, fn)(tx, tw, **kw)
    with pytest.raises(type(theirs.value)) as ours:
        getattr(dyngrad.nn.functional, fn)(x, w, **kw)
    assert str(ours.value) == str(theirs.value)


def test_dtype_errors_match_torch() -> None:
    x, tx = _pair((1, 4, 8, 8), 0)
    w, tw = _pair((6, 4, 3, 3), 1, np.float64)
    b, tb = _pair((6,), 2, np.float64)
    for args, targs in [((x, w), (tx, tw)), ((x, w.float(), b), (tx, tw.float(), tb))]:
        with pytest.raises(RuntimeError) as theirs:
            torch.nn.functional.conv2d(*targs)
        with pytest.raises(RuntimeError) as ours:
            dyngrad.nn.functional.conv2d(*args)
        assert str(ours.value) == str(theirs.value)


# --- a LeNet trains as torch's does ------------------------------------------------------------


def _lenet(nn: Any) -> Any:
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )  # fmt: skip


def test_lenet_sgd_trajectory_matches_torch() -> None:
    torch.manual_seed(0)
    theirs = _lenet(T)
    ours = _lenet(D)
    assert repr(ours) == repr(theirs)
    _copy_weights(ours, theirs)
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    ys = rng.integers(0, 10, 16)
    for _ in range(5):
        losses = []
        for net, m in ((ours, dyngrad), (theirs, torch)):
            loss = m.nn.functional.cross_entropy(net(m.tensor(xs)), m.tensor(ys))
            for p in net.parameters():
                p.grad = None
            loss.backward()
            with m.no_grad():
                for p in net.parameters():
                    p -= 0.5 * p.grad
            losses.append(loss.item())
        assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    for (k, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(
            p.detach().numpy(), tp.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=k
        )


def test_results_never_share_reused_buffers() -> None:
    """The kernels reuse scratch and pooled buffers between calls: no result, output or
    gradient, may point into one (batch of one and no padding make views tempting)."""
    from dyngrad.ops import nn_ops_arrays

    F = dyngrad.nn.functional
    w = dyngrad.randn(4, 3, 3, 3, requires_grad=True)
    kept = []
    for _ in range(3):
        x = dyngrad.randn(1, 4, 5, 5, requires_grad=True)
        y = F.conv_transpose2d(x, w)
        z = F.conv2d(y, w)
        p = F.max_pool2d(z, 2) + F.avg_pool2d(z, 2)
        gx, gw = dyngrad.autograd.grad(p.sum(), [x, w])
        kept += [(t, t.detach().numpy().copy()) for t in (y, z, p, gx, gw)]
    buffers = [*nn_ops_arrays._scratch.buffers.values(), *nn_ops_arrays._pool.bases]
    for t, values in kept:
        np.testing.assert_array_equal(t.detach().numpy(), values)
        assert not any(np.shares_memory(t.detach().numpy(), b) for b in buffers)
