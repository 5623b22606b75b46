"""Loss modules against torch, each with every reduction: values, result dtype, node names,
gradients of input (and target where torch differentiates it); class weights as buffers;
the deprecated size_average/reduce arguments; stability for logits of ±1000; double
backward through the fused kernels."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

REDUCTIONS = ("none", "mean", "sum")
RNG = np.random.default_rng(0)


def _f(*shape: int, low: float = -2.0, high: float = 2.0, dtype: str = "float32") -> np.ndarray:
    return RNG.uniform(low, high, size=shape).astype(dtype)


def _run(lib: Any, cls: str, init: dict[str, Any], x: np.ndarray, t: np.ndarray,
         target_grad: bool) -> tuple[Any, Any, Any, Any]:  # fmt: skip
    init = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in init.items()}
    loss_fn = getattr(lib.nn, cls)(**init)
    xi = lib.tensor(x, requires_grad=True)
    ti = lib.tensor(t, requires_grad=target_grad)
    out = loss_fn(xi, ti)
    seed = np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(x.dtype)
    out.backward(lib.tensor(seed))
    return loss_fn, out, xi.grad, ti.grad


def _check(cls: str, init: dict[str, Any], x: np.ndarray, t: np.ndarray,
           target_grad: bool = False, rtol: float = 1e-5) -> None:  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm, to, txg, ttg = _run(torch, cls, init, x, t, target_grad)
        dm, do, dxg, dtg = _run(dyngrad, cls, init, x, t, target_grad)
    assert repr(dm) == repr(tm)
    assert str(do.dtype) == str(to.dtype) and tuple(do.shape) == tuple(to.shape)
    np.testing.assert_allclose(do.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=1e-6)
    assert type(do.grad_fn).__name__ == type(to.grad_fn).__name__
    np.testing.assert_allclose(dxg.numpy(), txg.numpy(), rtol=rtol, atol=1e-6)
    if target_grad:
        np.testing.assert_allclose(dtg.numpy(), ttg.numpy(), rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls,extra", [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {}),
                                       ("SmoothL1Loss", {"beta": 0.3}), ("HuberLoss", {}),
                                       ("HuberLoss", {"delta": 0.4})])  # fmt: skip
def test_regression_losses(cls: str, extra: dict[str, Any], reduction: str) -> None:
    _check(cls, {"reduction": reduction, **extra}, _f(4, 5), _f(4, 5), target_grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_loss(reduction: str) -> None:
    x, t = _f(4, 5, low=0.02, high=0.98), _f(4, 5, low=0.0, high=1.0)
    _check("BCELoss", {"reduction": reduction}, x, t, target_grad=True)
    _check("BCELoss", {"reduction": reduction, "weight": _f(5, low=0.1, high=2.0)}, x, t)


def test_bce_loss_clamps_logs_at_minus_100() -> None:
    x = np.array([0.0, 1.0, 0.0, 1.0], dtype=np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32)
    _check("BCELoss", {"reduction": "none"}, x, t)
    out = dyngrad.nn.BCELoss(reduction="none")(dyngrad.tensor(x), dyngrad.tensor(t))
    np.testing.assert_array_equal(out.numpy(), [100.0, 100.0, 0.0, 0.0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "pos_weight", "both"])
def test_bce_with_logits_loss(reduction: str, options: str) -> None:
    init: dict[str, Any] = {"reduction": reduction}
    if options in ("weight", "both"):
        init["weight"] = _f(4, 1, low=0.1, high=2.0)
    if options in ("pos_weight", "both"):
        init["pos_weight"] = _f(5, low=0.5, high=3.0)
    _check("BCEWithLogitsLoss", init, _f(4, 5, low=-5, high=5), _f(4, 5, low=0, high=1),
           target_grad=True)  # fmt: skip


def _classes(*shape: int, n: int = 5, ignore: bool = False) -> np.ndarray:
    t = RNG.integers(0, n, size=shape)
    if ignore:
        t.flat[::3] = -100
    return t


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.15, 1.0, -0.1])
@pytest.mark.parametrize("options", ["plain", "weight", "ignore", "weight+ignore"])
@pytest.mark.parametrize("shape", [(6, 5), (5,), (3, 5, 4), (2, 5, 3, 2)])
def test_cross_entropy_class_indices(reduction: str, smoothing: float, options: str,
                                     shape: tuple[int, ...]) -> None:  # fmt: skip
    init: dict[str, Any] = {"reduction": reduction, "label_smoothing": smoothing}
    if "weight" in options:
        init["weight"] = np.linspace(0.2, 2.0, 5).astype(np.float32)
    target_shape = () if len(shape) == 1 else (shape[0], *shape[2:])
    target = _classes(*target_shape, ignore="ignore" in options)
    if not target_shape and "ignore" in options:
        target = np.array(-100)
    _check("CrossEntropyLoss", init, _f(*shape), target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probability_targets(
    reduction: str, smoothing: float, weighted: bool
) -> None:
    init: dict[str, Any] = {"reduction": reduction, "label_smoothing": smoothing}
    if weighted:
        init["weight"] = np.linspace(0.2, 2.0, 5).astype(np.float32)
    p = _f(6, 5, low=0.1, high=1.0)
    p /= p.sum(1, keepdims=True)
    x = _f(6, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        to = torch.nn.CrossEntropyLoss(**{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                          for k, v in init.items()})(torch.tensor(x), torch.tensor(p))  # fmt: skip
        do = dyngrad.nn.CrossEntropyLoss(**{k: dyngrad.tensor(v) if isinstance(v, np.ndarray)
                                            else v for k, v in init.items()})(dyngrad.tensor(x), dyngrad.tensor(p))  # fmt: skip
    np.testing.assert_allclose(do.numpy(), to.numpy(), rtol=1e-5, atol=1e-6)
    xt, pt = torch.tensor(x, requires_grad=True), torch.tensor(p, requires_grad=True)
    xo, po = dyngrad.tensor(x, requires_grad=True), dyngrad.tensor(p, requires_grad=True)
    torch.nn.functional.cross_entropy(xt, pt, label_smoothing=smoothing).backward()
    dyngrad.nn.functional.cross_entropy(xo, po, label_smoothing=smoothing).backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(po.grad.numpy(), pt.grad.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", ["plain", "weight", "ignore"])
@pytest.mark.parametrize("shape", [(6, 5), (3, 5, 4), (2, 5, 3, 2), (2, 5, 2, 2, 2)])
def test_nll_loss(reduction: str, options: str, shape: tuple[int, ...]) -> None:
    init: dict[str, Any] = {"reduction": reduction}
    if options == "weight":
        init["weight"] = np.linspace(0.2, 2.0, 5).astype(np.float32)
    if options == "ignore":
        init["ignore_index"] = 1
    target = _classes(shape[0], *shape[2:])
    _check("NLLLoss", init, _f(*shape), target)


@pytest.mark.parametrize("reduction", [*REDUCTIONS, "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_loss(reduction: str, log_target: bool) -> None:
    x = np.log(_f(4, 5, low=0.05, high=1.0))
    t = _f(4, 5, low=0.0, high=1.0)
    if log_target:
        t = np.log(t + 0.05).astype(np.float32)
    _check("KLDivLoss", {"reduction": reduction, "log_target": log_target}, x, t,
           target_grad=True)  # fmt: skip


def test_kl_div_mean_warns_like_torch() -> None:
    x, t = _f(2, 3), _f(2, 3, low=0, high=1)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.nn.functional.kl_div(torch.tensor(x), torch.tensor(t))
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        dyngrad.nn.functional.kl_div(dyngrad.tensor(x), dyngrad.tensor(t))
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def test_float64_losses_stay_float64() -> None:
    x, t = _f(3, 4, dtype="float64"), _classes(3, n=4)
    _check("CrossEntropyLoss", {}, x, t, rtol=1e-12)
    _check("MSELoss", {}, x, _f(3, 4, dtype="float64"), target_grad=True, rtol=1e-12)


@pytest.mark.parametrize("cls", ["CrossEntropyLoss", "NLLLoss", "BCELoss"])
def test_weight_is_a_buffer(cls: str) -> None:
    w = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    theirs = getattr(torch.nn, cls)(weight=torch.tensor(w))
    ours = getattr(dyngrad.nn, cls)(weight=dyngrad.tensor(w))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert [n for n, _ in ours.named_buffers()] == ["weight"]
    assert list(getattr(dyngrad.nn, cls)().state_dict()) == []


def test_bce_with_logits_buffers() -> None:
    pw = dyngrad.ones(2)
    ours = dyngrad.nn.BCEWithLogitsLoss(pos_weight=pw)
    theirs = torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(2))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["pos_weight"]
    assert ours.weight is None and ours.pos_weight is pw


@pytest.mark.parametrize("size_average,reduce", [(False, None), (None, False), (True, True),
                                                 (False, True)])  # fmt: skip
def test_legacy_reduction_arguments(size_average: Any, reduce: Any) -> None:
    with pytest.warns(UserWarning) as theirs:
        t_loss = torch.nn.MSELoss(size_average=size_average, reduce=reduce)
    with pytest.warns(UserWarning) as ours:
        d_loss = dyngrad.nn.MSELoss(size_average=size_average, reduce=reduce)
    assert d_loss.reduction == t_loss.reduction
    assert str(ours[0].message) == str(theirs[0].message)
    x, t = _f(3, 2), _f(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.nn.functional.mse_loss(torch.tensor(x), torch.tensor(t),
                                                size_average=size_average, reduce=reduce)  # fmt: skip
        got = dyngrad.nn.functional.mse_loss(dyngrad.tensor(x), dyngrad.tensor(t),
                                             size_average=size_average, reduce=reduce)  # fmt: skip
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


LOSS_REPRS = [("MSELoss", {}), ("L1Loss", {}), ("SmoothL1Loss", {"beta": 0.5}),
              ("HuberLoss", {"delta": 2.0}), ("CrossEntropyLoss", {"label_smoothing": 0.1}),
              ("NLLLoss", {"ignore_index": 3}), ("BCELoss", {}), ("BCEWithLogitsLoss", {}),
              ("KLDivLoss", {"reduction": "batchmean", "log_target": True})]  # fmt: skip


@pytest.mark.parametrize("cls,kwargs", LOSS_REPRS)
def test_loss_reprs_and_attributes(cls: str, kwargs: dict[str, Any]) -> None:
    theirs, ours = getattr(torch.nn, cls)(**kwargs), getattr(dyngrad.nn, cls)(**kwargs)
    assert repr(ours) == repr(theirs)
    for name in ("reduction", "beta", "delta", "ignore_index", "label_smoothing", "log_target"):
        if hasattr(theirs, name):
            assert getattr(ours, name) == getattr(theirs, name)


def _raises_like_torch(fn: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            fn(torch)
        with pytest.raises(theirs.type) as ours:
            fn(dyngrad)
    assert str(ours.value) == str(theirs.value)


ERRORS = {
    "bad-reduction": lambda t: t.nn.MSELoss(reduction="avg")(t.ones(2), t.ones(2)),
    "bce-range": lambda t: t.nn.BCELoss()(t.tensor([1.5]), t.tensor([1.0])),
    "bce-shape": lambda t: t.nn.BCELoss()(t.ones(2, 1), t.ones(2)),
    "bce-logits-shape": lambda t: t.nn.BCEWithLogitsLoss()(t.ones(2, 1), t.ones(2)),
    "ce-target-range": lambda t: t.nn.CrossEntropyLoss()(t.ones(2, 3), t.tensor([0, 3])),
    "ce-batch": lambda t: t.nn.CrossEntropyLoss()(t.ones(2, 3), t.tensor([0, 1, 2])),
    "ce-smoothing": lambda t: t.nn.CrossEntropyLoss(label_smoothing=1.1)(
        t.ones(2, 3), t.tensor([0, 1])
    ),
    "ce-weight": lambda t: t.nn.CrossEntropyLoss(weight=t.ones(2))(t.ones(2, 3), t.tensor([0, 1])),
    "ce-prob-ignore": lambda t: t.nn.CrossEntropyLoss(ignore_index=0)(t.ones(2, 3), t.ones(2, 3)),
    "ce-long-probs": lambda t: t.nn.CrossEntropyLoss()(t.ones(3), t.tensor([0, 1, 2])),
    "nll-dtype": lambda t: t.nn.NLLLoss()(t.ones(2, 3), t.tensor([0, 1], dtype=t.int32)),
    "nll-0d": lambda t: t.nn.NLLLoss()(t.tensor(1.0), t.tensor(0)),
    "nll-1d-target": lambda t: t.nn.NLLLoss()(t.ones(3), t.tensor([0, 1])),
    "huber-delta": lambda t: t.nn.HuberLoss(delta=0.0)(t.ones(2), t.ones(2)),
    "smooth-beta": lambda t: t.nn.SmoothL1Loss(beta=-1.0)(t.ones(2), t.ones(2)),
    "mse-broadcast": lambda t: t.nn.MSELoss()(t.ones(3, 2), t.ones(4, 2)),
    "mse-weight": lambda t: t.nn.functional.mse_loss(t.ones(3), t.ones(3), weight=t.ones(2)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_loss_errors_match_torch(name: str) -> None:
    _raises_like_torch(ERRORS[name])


def test_mse_broadcast_warning_matches_torch() -> None:
    with pytest.warns(UserWarning) as theirs:
        torch.nn.functional.mse_loss(torch.ones(3, 2), torch.ones(2))
    with pytest.warns(UserWarning) as ours:
        dyngrad.nn.functional.mse_loss(dyngrad.ones(3, 2), dyngrad.ones(2))
    assert str(ours[0].message) == str(theirs[0].message)


HUGE = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.5, 1000.0, -2.0]],
                dtype=np.float32)  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_is_stable_for_huge_logits(reduction: str) -> None:
    target = np.array([1, 0, 1])
    _check("CrossEntropyLoss", {"reduction": reduction}, HUGE, target)
    _check("CrossEntropyLoss", {"reduction": reduction, "label_smoothing": 0.1}, HUGE, target)
    x = dyngrad.tensor(HUGE, requires_grad=True)
    loss = dyngrad.nn.functional.cross_entropy(x, dyngrad.tensor(target), reduction="sum")
    loss.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(x.grad.numpy()))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_is_stable_for_huge_logits(reduction: str) -> None:
    target = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.5], [1.0, 0.0, 0.0]], dtype=np.float32)
    _check("BCEWithLogitsLoss", {"reduction": reduction}, HUGE, target, target_grad=True)
    _check("BCEWithLogitsLoss", {"reduction": reduction, "pos_weight": np.full(3, 2.0, np.float32)},
           HUGE, target, target_grad=True)  # fmt: skip


def test_log_softmax_and_softplus_are_stable_for_huge_logits() -> None:
    x = dyngrad.tensor(HUGE, requires_grad=True)
    y = dyngrad.nn.functional.log_softmax(x, 1) + dyngrad.nn.functional.softplus(x)
    y.sum().backward()
    assert np.all(np.isfinite(y.detach().numpy())) and np.all(np.isfinite(x.grad.numpy()))
    expected = torch.nn.functional.log_softmax(
        torch.tensor(HUGE), 1
    ) + torch.nn.functional.softplus(torch.tensor(HUGE))
    np.testing.assert_allclose(y.detach().numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_softmax", "mse", "bce_logits", "huber",
                                  "smooth_l1", "bce"])  # fmt: skip
def test_double_backward_matches_torch(loss: str) -> None:
    """Gradient of (the squared norm of) the input gradient: the backward is differentiable."""
    x = _f(4, 3, dtype="float64")
    t_cls = np.array([0, 2, 1, 2])
    t_real = _f(4, 3, low=0.05, high=0.95, dtype="float64")

    def run(lib: Any) -> np.ndarray:
        F = lib.nn.functional
        xi = lib.tensor(x if loss != "bce" else 1 / (1 + np.exp(-x)), requires_grad=True)
        if loss == "cross_entropy":
            out = F.cross_entropy(xi, lib.tensor(t_cls), label_smoothing=0.1)
        elif loss == "nll_softmax":
            out = F.nll_loss(F.log_softmax(xi, 1) * F.softmax(xi, 0), lib.tensor(t_cls))
        elif loss == "mse":
            out = F.mse_loss(xi.tanh(), lib.tensor(t_real))
        elif loss == "bce_logits":
            out = F.binary_cross_entropy_with_logits(xi, lib.tensor(t_real),
                                                     pos_weight=lib.tensor([1.0, 2.0, 0.5], dtype=lib.float64))  # fmt: skip
        elif loss == "huber":
            out = F.huber_loss(xi * xi, lib.tensor(t_real), delta=0.5)
        elif loss == "smooth_l1":
            out = F.smooth_l1_loss(xi * xi, lib.tensor(t_real), beta=0.5)
        else:
            out = F.binary_cross_entropy(xi, lib.tensor(t_real))
        (g,) = lib.autograd.grad(out, xi, create_graph=True)
        (g * g).sum().backward()
        return xi.grad.numpy()  # type: ignore[no-any-return]

    np.testing.assert_allclose(run(dyngrad), run(torch), rtol=1e-9, atol=1e-12)
