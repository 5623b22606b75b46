"""Pooling, unfold/fold and upsampling layers and functions against torch: forward, indices,
backward, second derivatives, reprs and torch's error messages."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

D = dyngrad.nn
T = torch.nn


def _pair(shape: tuple[int, ...], seed: int, dtype: Any = np.float64) -> tuple[Any, Any]:
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return dyngrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _outputs(r: Any) -> list[Any]:
    return list(r) if isinstance(r, tuple) else [r]


def _check(ours: Any, theirs: Any, x: Any, tx: Any, tol: float = 1e-12) -> None:
    """Same outputs (values, dtypes, indices) and the same input gradient."""
    outs, touts = _outputs(ours), _outputs(theirs)
    assert len(outs) == len(touts)
    for o, t in zip(outs, touts):
        assert tuple(o.shape) == tuple(t.shape) and str(o.dtype) == str(t.dtype)
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)
    seed = (
        np.random.default_rng(9)
        .standard_normal(tuple(touts[0].shape))
        .astype(touts[0].detach().numpy().dtype)
    )
    (g,) = dyngrad.autograd.grad(outs[0], [x], dyngrad.tensor(seed))
    (tg,) = torch.autograd.grad(touts[0], [tx], torch.tensor(seed))
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=tol, atol=tol)


# --- max / avg pooling grids ------------------------------------------------------------------

POOL_GRID = list(itertools.product([2, 3, (3, 2)], [None, 1, 2], [0, 1], [1, 2], [False, True]))


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", POOL_GRID)
def test_max_pool2d_grid(
    kernel: Any, stride: Any, padding: int, dilation: int, ceil_mode: bool
) -> None:
    x, tx = _pair((2, 3, 9, 8), 0)
    kw = {"stride": stride, "padding": padding, "dilation": dilation, "ceil_mode": ceil_mode,
          "return_indices": True}  # fmt: skip
    try:
        theirs = torch.nn.functional.max_pool2d(tx, kernel, **kw)
    except RuntimeError as exc:
        with pytest.raises(RuntimeError) as ours:
            dyngrad.nn.functional.max_pool2d(x, kernel, **kw)
        assert str(ours.value) == str(exc)
        return
    _check(dyngrad.nn.functional.max_pool2d(x, kernel, **kw), theirs, x, tx)


@pytest.mark.parametrize("kernel,stride,padding,ceil_mode,count_include_pad,divisor",
                         list(itertools.product([2, 3, (3, 2)], [None, 2], [0, 1], [False, True],
                                                [True, False], [None, 3])))  # fmt: skip
def test_avg_pool2d_grid(kernel: Any, stride: Any, padding: int, ceil_mode: bool,
                         count_include_pad: bool, divisor: Any) -> None:  # fmt: skip
    x, tx = _pair((2, 3, 9, 8), 0)
    kw = {"stride": stride, "padding": padding, "ceil_mode": ceil_mode,
          "count_include_pad": count_include_pad, "divisor_override": divisor}  # fmt: skip
    try:
        theirs = torch.nn.functional.avg_pool2d(tx, kernel, **kw)
    except RuntimeError as exc:
        with pytest.raises(RuntimeError) as ours:
            dyngrad.nn.functional.avg_pool2d(x, kernel, **kw)
        assert str(ours.value) == str(exc)
        return
    _check(dyngrad.nn.functional.avg_pool2d(x, kernel, **kw), theirs, x, tx)


@pytest.mark.parametrize("out", [1, 2, 3, 5, 11, (None, 4), (2, None), (1, 3), (9, 1)])
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pool2d(out: Any, kind: str) -> None:
    x, tx = _pair((2, 3, 9, 7), 0)
    if kind == "avg":
        _check(dyngrad.nn.functional.adaptive_avg_pool2d(x, out),
               torch.nn.functional.adaptive_avg_pool2d(tx, out), x, tx)  # fmt: skip
    else:
        _check(dyngrad.nn.functional.adaptive_max_pool2d(x, out, return_indices=True),
               torch.nn.functional.adaptive_max_pool2d(tx, out, return_indices=True), x, tx)  # fmt: skip


def test_max_pool_second_derivative_matches_torch() -> None:
    """The backward of max pooling is a scatter; its backward is a gather."""
    x, tx = _pair((2, 3, 7, 7), 0)
    for fn in ("max_pool2d", "adaptive_max_pool2d"):
        args: tuple[Any, ...] = (3, 2, 1) if fn == "max_pool2d" else ((3, 4),)
        y = getattr(dyngrad.nn.functional, fn)(x, *args)
        ty = getattr(torch.nn.functional, fn)(tx, *args)
        v, tv = _pair(tuple(ty.shape), 1)
        (g,) = dyngrad.autograd.grad(y, [x], v, create_graph=True)
        (tg,) = torch.autograd.grad(ty, [tx], tv, create_graph=True)
        u = np.random.default_rng(4).standard_normal(tuple(tx.shape))
        (gv,) = dyngrad.autograd.grad((g * dyngrad.tensor(u)).sum(), [v])
        (tgv,) = torch.autograd.grad((tg * torch.tensor(u)).sum(), [tv])
        np.testing.assert_allclose(gv.numpy(), tgv.numpy(), rtol=1e-12)


def test_pooling_nan_and_ties_follow_torch() -> None:
    a = np.array([[[[1, np.nan, 3, np.nan], [np.nan, 2, 0, 1], [2, 2, 5, 5], [2, 2, 5, 1]]]])
    for kw in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1}):
        ours = dyngrad.nn.functional.max_pool2d(dyngrad.tensor(a), return_indices=True, **kw)
        theirs = torch.nn.functional.max_pool2d(torch.tensor(a), return_indices=True, **kw)
        np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
        np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    ours = dyngrad.nn.functional.adaptive_max_pool2d(dyngrad.tensor(a), (2, 3), return_indices=True)
    theirs = torch.nn.functional.adaptive_max_pool2d(torch.tensor(a), (2, 3), return_indices=True)
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())


# --- layers -----------------------------------------------------------------------------------

LAYERS = [
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "return_indices": True}, (2, 3, 9)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", ((3, 2),), {"stride": 1, "padding": 1, "dilation": 2, "ceil_mode": True}, (3, 9, 8)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 9)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True, "divisor_override": 4}, (3, 9, 8)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((None, 3),), {}, (2, 3, 9, 7)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 9, 7)),
    ("AdaptiveMaxPool1d", (4,), {"return_indices": True}, (3, 9)),
    ("AdaptiveMaxPool2d", ((4, 3),), {}, (2, 3, 9, 7)),
    ("Upsample", (), {"scale_factor": 2}, (2, 3, 4, 5)),
    ("Upsample", (), {"size": (7, 9), "mode": "bilinear"}, (2, 3, 4, 5)),
    ("Upsample", (), {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True}, (2, 3, 4, 5)),
    ("Upsample", (), {"scale_factor": 2.5, "mode": "linear"}, (2, 3, 5)),
    ("Upsample", (), {"size": (3, 8, 4), "mode": "trilinear"}, (1, 2, 2, 4, 3)),
    ("Upsample", (), {"scale_factor": 0.5, "mode": "area"}, (2, 3, 8, 6)),
    ("Upsample", (), {"scale_factor": 1.75, "mode": "nearest-exact"}, (2, 3, 4, 5)),
    ("UpsamplingNearest2d", (), {"scale_factor": 3}, (1, 2, 3, 4)),
    ("UpsamplingBilinear2d", (), {"size": 7}, (1, 2, 3, 4)),
    ("Unfold", ((2, 3),), {"dilation": 2, "padding": 1, "stride": (1, 2)}, (2, 3, 7, 8)),
    ("Fold", ((5, 6), 2), {"stride": 1}, (2, 12, 20)),
]  # fmt: skip


@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS)
def test_layer_matches_torch(name: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                             shape: tuple[int, ...]) -> None:  # fmt: skip
    ours = getattr(D, name)(*args, **kwargs)
    theirs = getattr(T, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x, tx = _pair(shape, 0, np.float32)
    _check(ours(x), theirs(tx), x, tx, tol=1e-6)


def test_unfold_fold_round_trip_counts_overlaps() -> None:
    x, tx = _pair((2, 3, 6, 7), 0)
    kw = {"kernel_size": (2, 3), "padding": 1, "stride": (1, 2)}
    ours = dyngrad.nn.functional.fold(dyngrad.nn.functional.unfold(x, **kw), (6, 7), **kw)
    theirs = torch.nn.functional.fold(torch.nn.functional.unfold(tx, **kw), (6, 7), **kw)
    _check(ours, theirs, x, tx)
    ones = dyngrad.ones(1, 1, 6, 7)
    counts = dyngrad.nn.functional.fold(dyngrad.nn.functional.unfold(ones, **kw), (6, 7), **kw)
    np.testing.assert_allclose(ours.detach().numpy(), x.detach().numpy() * counts.numpy())


# --- torch's error messages -------------------------------------------------------------------

ERRORS = [
    ("max_pool2d", (2, 3, 9, 9), (3,), {"padding": 2}),
    ("max_pool2d", (2, 3, 9, 9), (0,), {}),
    ("max_pool2d", (2, 3, 9, 9), (2,), {"stride": -1}),
    ("max_pool2d", (2, 3, 9, 9), (2,), {"dilation": 0}),
    ("max_pool2d", (9, 9), (2,), {}),
    ("max_pool2d", (2, 0, 4, 4), (2,), {}),
    ("max_pool2d", (3, 9, 9), (10,), {}),
    ("max_pool2d", (2, 3, 9, 9), ((2, 2, 2),), {}),
    ("max_pool1d", (9,), (2,), {}),
    ("max_pool1d", (2, 3, 9), (2,), {"padding": 2}),
    ("max_pool1d", (2, 3, 9), (12,), {}),
    ("max_pool1d", (2, 3, 9), ((2, 2),), {}),
    ("max_pool1d", (2, 3, 9), (2,), {"stride": (1, 1)}),
    ("avg_pool2d", (2, 3, 9, 9), (3,), {"padding": 2}),
    ("avg_pool2d", (2, 3, 9, 9), (2,), {"divisor_override": 0}),
    ("avg_pool2d", (2, 3, 4, 4), (5,), {}),
    ("avg_pool2d", (9, 9), (2,), {}),
    ("avg_pool1d", (9,), (2,), {}),
    ("avg_pool1d", (2, 3, 9), ((2, 2),), {}),
    ("avg_pool1d", (2, 0, 9), (2,), {}),
    ("adaptive_avg_pool2d", (9, 9), (2,), {}),
    ("adaptive_avg_pool2d", (2, 3, 0, 4), (2,), {}),
    ("adaptive_avg_pool2d", (2, 3, 4, 4), (-1,), {}),
    ("adaptive_avg_pool2d", (2, 3, 4, 4), ((2, 2, 2),), {}),
    ("adaptive_max_pool2d", (9, 9), (2,), {}),
    ("adaptive_max_pool2d", (2, 0, 4, 4), (2,), {}),
    ("adaptive_avg_pool1d", (9,), (2,), {}),
    ("adaptive_avg_pool1d", (2, 3, 9), ((2, 2),), {}),
    ("unfold", (2, 3, 8, 8), (9,), {}),
    ("unfold", (2, 3, 8, 8), (0,), {}),
    ("unfold", (2, 3, 8, 8), (2,), {"stride": 0}),
    ("unfold", (2, 3, 8, 8), (2,), {"padding": -1}),
    ("unfold", (2, 3, 8, 8), (2,), {"dilation": 0}),
    ("unfold", (2, 3, 8, 8), ((2, 2, 2),), {}),
    ("unfold", (2, 0, 8, 8), (2,), {}),
    ("fold", (2, 28, 36), ((8, 8), 3), {}),
    ("fold", (2, 27, 35), ((8, 8), 3), {}),
    ("fold", (2, 27, 1), ((1, 1), 3), {}),
    ("fold", (27,), ((8, 8), 3), {}),
    ("fold", (2, 27, 36), ((8, 8, 8), 3), {}),
    ("interpolate", (4, 4), (), {"scale_factor": 2}),
    ("interpolate", (1, 1, 4, 4), (), {"scale_factor": 2, "align_corners": True}),
    ("interpolate", (1, 1, 4, 4), (), {"size": 3, "scale_factor": 2}),
    ("interpolate", (1, 1, 4, 4), (), {}),
    ("interpolate", (1, 1, 4, 4), (), {"size": (3,)}),
    ("interpolate", (1, 1, 4, 4), (), {"scale_factor": (2, 2, 2)}),
    ("interpolate", (1, 4, 4), (), {"scale_factor": 2, "mode": "bilinear"}),
    ("interpolate", (1, 1, 4, 4), (), {"scale_factor": 2, "mode": "linear"}),
    ("interpolate", (1, 1, 4, 4), (), {"size": 0}),
    ("interpolate", (1, 1, 4), (), {"size": 0}),
    ("interpolate", (1, 1, 4, 4), (), {"size": 3, "recompute_scale_factor": True}),
    ("interpolate", (1, 0, 4, 4), (), {"scale_factor": 2}),
]  # fmt: skip


@pytest.mark.parametrize("fn,shape,args,kw", ERRORS)
def test_error_messages_match_torch(fn: str, shape: tuple[int, ...], args: tuple[Any, ...],
                                    kw: dict[str, Any]) -> None:  # fmt: skip
    x, tx = _pair(shape, 0)
    with pytest.raises(Exception) as theirs:
        getattr(torch.nn.functional, fn)(tx, *args, **kw)
    with pytest.raises(type(theirs.value)) as ours:
        getattr(dyngrad.nn.functional, fn)(x, *args, **kw)
    assert str(ours.value) == str(theirs.value)
