"""Op table entries for the losses of nn.functional: the fused kernels of ops/nn_loss.py
(MseLoss, SmoothL1Loss, HuberLoss, BinaryCrossEntropy(WithLogits), NllLoss, NllLoss2D) and
the composite losses built on them (cross_entropy with every option, l1_loss, kl_div).

Every loss is run with each reduction. Float targets require grad too (torch differentiates
them), class weights never do. Samples cover 0-d, broadcast targets, empty batches,
non-contiguous inputs, ignored targets, spatial dims and torch's errors.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from . import OpInfo, Sample, arr

REDUCTIONS = ("none", "mean", "sum")


def F(m: Any) -> Any:
    return m.nn.functional


def _t(rng: Any, shape: tuple[int, ...], dt: Any) -> np.ndarray:
    return arr(rng, shape[::-1], dt).T


def _quiet(fn: Any) -> Any:
    """Run ``fn`` with torch's (and our) UserWarnings silenced: broadcast targets warn."""

    def op(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return fn(*args, **kwargs)

    return op


def _pointwise_samples(**extra: Any) -> Any:
    """Input/target pairs for an elementwise regression loss, with each reduction."""

    def samples(rng: Any, dt: Any) -> list[Sample]:
        pairs = [
            ((3, 4), (3, 4), "2-d"),
            ((), (), "0-d"),
            ((5,), (5,), "1-d"),
            ((2, 3, 4), (2, 3, 4), "3-d"),
            ((3, 4), (4,), "broadcast-target"),
            ((0, 3), (0, 3), "empty"),
        ]
        out = []
        for reduction in REDUCTIONS:
            kw = {"reduction": reduction, **extra}
            for a, b, name in pairs:
                out.append(Sample((arr(rng, a, dt), arr(rng, b, dt, -3.0, 3.0)), kw,
                                  name=f"{name}-{reduction}"))  # fmt: skip
            out.append(Sample((_t(rng, (3, 4), dt), arr(rng, (3, 4), dt)), kw,
                              name=f"non-contiguous-{reduction}"))  # fmt: skip
        out.append(Sample((arr(rng, (3, 4), dt), arr(rng, (2, 4), dt)), dict(extra),
                          name="error-shapes"))  # fmt: skip
        out.append(Sample((arr(rng, (3, 4), dt), arr(rng, (3, 4), dt)),
                          {"reduction": "avg", **extra}, name="error-reduction"))  # fmt: skip
        return out

    return samples


def _weighted_pointwise(rng: Any, dt: Any) -> list[Sample]:
    x, t, w = arr(rng, (3, 4), dt), arr(rng, (3, 4), dt), arr(rng, (3, 4), dt, 0.1, 1.0)
    out = [Sample((x, t, w), {"reduction": r}, grad=(True, True, False), name=f"weight-{r}")
           for r in REDUCTIONS]  # fmt: skip
    out.append(Sample((x, t, arr(rng, (4,), dt)), grad=(True, True, False), name="error-weight"))
    return out


def _beta_errors(name: str, value: float) -> Any:
    def samples(rng: Any, dt: Any) -> list[Sample]:
        return [Sample((arr(rng, (3,), dt), arr(rng, (3,), dt)), {name: value}, name="error")]

    return samples


def _probabilities(rng: Any, shape: tuple[int, ...], dt: Any) -> np.ndarray:
    return arr(rng, shape, dt, 0.05, 0.95)


def _bce_samples(rng: Any, dt: Any) -> list[Sample]:
    out = []
    for r in REDUCTIONS:
        kw = {"reduction": r}
        for shape in ((3, 4), (), (5,), (0, 2)):
            out.append(Sample((_probabilities(rng, shape, dt), _probabilities(rng, shape, dt)),
                              kw, name=f"{shape}-{r}"))  # fmt: skip
        out.append(Sample((_probabilities(rng, (3, 4), dt), _probabilities(rng, (3, 4), dt),
                           arr(rng, (4,), dt, 0.1, 2.0)), kw, grad=(True, True, False),
                          name=f"weight-{r}"))  # fmt: skip
        out.append(Sample((_probabilities(rng, (4, 3), dt).T, _probabilities(rng, (3, 4), dt)),
                          kw, name=f"non-contiguous-{r}"))  # fmt: skip
    out.append(Sample((_probabilities(rng, (3, 4), dt), _probabilities(rng, (4,), dt)),
                      name="error-target-shape"))  # fmt: skip
    out.append(Sample((_probabilities(rng, (4,), dt), np.array([0.0, 1.5, 1.0, 0.5], dt)),
                      name="error-target-range"))  # fmt: skip
    out.append(Sample((_probabilities(rng, (), dt), _probabilities(rng, (), dt),
                       arr(rng, (4,), dt, 0.1, 2.0)), grad=(True, True, False),
                      name="error-weight-enlarges"))  # fmt: skip
    return out


def _bce_edge_samples(rng: Any, dt: Any) -> list[Sample]:
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=dt)
    t = np.array([0.0, 1.0, 1.0, 0.0, 0.5], dtype=dt)
    return [Sample((x, t), {"reduction": r}, name=f"clamped-logs-{r}") for r in REDUCTIONS] + [
        Sample((np.array([1.5, 0.5], dtype=dt), t[:2]), name="error-range")
    ]


def _logit_samples(rng: Any, dt: Any) -> list[Sample]:
    huge = np.array([[1000.0, -1000.0, 3.0], [-1000.0, 1000.0, -0.5]], dtype=dt)
    out = []
    for r in REDUCTIONS:
        kw = {"reduction": r}
        for shape in ((3, 4), (), (0, 2)):
            out.append(Sample((arr(rng, shape, dt, -4.0, 4.0), _probabilities(rng, shape, dt)),
                              kw, name=f"{shape}-{r}"))  # fmt: skip
        out.append(Sample((huge, _probabilities(rng, (2, 3), dt)), kw, name=f"huge-{r}"))
        x, t = arr(rng, (3, 4), dt), _probabilities(rng, (3, 4), dt)
        w, pw = arr(rng, (3, 1), dt, 0.1, 2.0), arr(rng, (4,), dt, 0.5, 3.0)
        out.append(Sample((x, t), {**kw, "weight_": w}, name=f"weight-{r}"))
        out.append(Sample((x, t), {**kw, "pos_weight_": pw}, name=f"pos-weight-{r}"))
        out.append(Sample((x, t), {**kw, "weight_": w, "pos_weight_": pw}, name=f"both-{r}"))
        out.append(Sample((huge, _probabilities(rng, (2, 3), dt)), {**kw, "pos_weight_": pw[:3]},
                          name=f"huge-pos-weight-{r}"))  # fmt: skip
    out.append(Sample((arr(rng, (3, 4), dt), _probabilities(rng, (4,), dt)), name="error-shape"))
    x4, t4 = arr(rng, (4,), dt), _probabilities(rng, (4,), dt)
    out.append(Sample((x4, t4), {"weight_": arr(rng, (3, 1), dt, 0.1, 2.0)},
                      name="error-weight-enlarges"))  # fmt: skip
    out.append(Sample((x4, t4), {"pos_weight_": arr(rng, (3, 4), dt, 0.5, 3.0)},
                      name="error-pos-weight-enlarges"))  # fmt: skip
    return out


def _bce_logits(m: Any, x: Any, t: Any, weight_: Any = None, pos_weight_: Any = None,
                **kw: Any) -> Any:  # fmt: skip
    """Class weights as constant tensors (torch does not differentiate them)."""
    w = None if weight_ is None else m.tensor(weight_)
    pw = None if pos_weight_ is None else m.tensor(pos_weight_)
    return F(m).binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, **kw)


def _targets(rng: Any, shape: tuple[int, ...], classes: int, ignored: bool = False) -> np.ndarray:
    t = rng.integers(0, classes, size=shape).astype(np.int64)
    if ignored and t.size:
        t.flat[::3] = -100  # a third of the targets (the first one included)
    return t


def _nll_samples(rng: Any, dt: Any) -> list[Sample]:
    out = []
    for r in REDUCTIONS:
        kw = {"reduction": r}
        out += [
            Sample((arr(rng, (4, 5), dt), _targets(rng, (4,), 5)), kw, name=f"2-d-{r}"),
            Sample((arr(rng, (5,), dt), _targets(rng, (), 5)), kw, name=f"1-d-{r}"),
            Sample((arr(rng, (4, 5), dt), _targets(rng, (4,), 5, True)), kw, name=f"ignored-{r}"),
            Sample(
                (arr(rng, (4, 5), dt), _targets(rng, (4,), 5)),
                {**kw, "weight_": True},
                name=f"weight-{r}",
            ),  # fmt: skip
            Sample(
                (arr(rng, (4, 5), dt), _targets(rng, (4,), 5, True)),
                {**kw, "weight_": True, "ignore_index": -100},
                name=f"weight-ignored-{r}",
            ),
            Sample(
                (arr(rng, (4, 5), dt), _targets(rng, (4,), 5)),
                {**kw, "ignore_index": 2},
                name=f"ignore-2-{r}",
            ),  # fmt: skip
            Sample((arr(rng, (2, 3, 4), dt), _targets(rng, (2, 4), 3)), kw, name=f"3-d-{r}"),
            Sample(
                (arr(rng, (2, 3, 4, 2), dt), _targets(rng, (2, 4, 2), 3, True)),
                {**kw, "weight_": True},
                name=f"4-d-{r}",
            ),  # fmt: skip
            Sample(
                (arr(rng, (2, 3, 2, 2, 2), dt), _targets(rng, (2, 2, 2, 2), 3)), kw, name=f"5-d-{r}"
            ),  # fmt: skip
            Sample((arr(rng, (0, 5), dt), _targets(rng, (0,), 5)), kw, name=f"empty-{r}"),
            Sample((_t(rng, (4, 5), dt), _targets(rng, (4,), 5)), kw, name=f"non-contiguous-{r}"),
        ]
    x = arr(rng, (4, 5), dt)
    out += [
        Sample((x, np.array([0, 1, 7, 2])), name="error-out-of-bounds"),
        Sample((x, np.array([0, 1, -1, 2])), name="error-negative"),
        Sample((x, _targets(rng, (3,), 5)), name="error-batch"),
        Sample((x, _targets(rng, (4,), 5).astype(np.int32)), name="error-int32"),
        Sample((x, _targets(rng, (4,), 5)), {"weight_": "wrong"}, name="error-weight-size"),
        Sample((arr(rng, (2, 3, 4), dt), _targets(rng, (2, 3), 3)), name="error-spatial"),
        Sample((arr(rng, (2, 3, 4, 2), dt), _targets(rng, (2, 4, 3), 3)), name="error-4d"),
        Sample((arr(rng, (), dt), _targets(rng, (), 3)), name="error-0-d"),
    ]
    return out


def _all_ignored_samples(rng: Any, dt: Any) -> list[Sample]:
    """Every target ignored: the mean is 0/0 = nan and the gradient zero, as in torch."""
    x = arr(rng, (3, 5), dt)
    no_classes = arr(rng, (3, 0), dt)  # (no class to look up: every target must be ignored)
    return [Sample((x, np.full(3, -100)), {"reduction": r}, name=f"all-ignored-{r}")
            for r in REDUCTIONS] + [
        Sample((no_classes, np.full(3, -100)), {"reduction": r}, name=f"no-classes-{r}")
        for r in REDUCTIONS
    ]  # fmt: skip


def _class_weight(m: Any, x: Any, which: Any) -> Any:
    if which is None:
        return None
    classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    n = classes + 1 if which == "wrong" else classes
    w = np.linspace(0.5, 1.5, n).astype(str(x.dtype).split(".")[-1])
    return m.tensor(w)


def _nll(m: Any, x: Any, t: Any, weight_: Any = None, **kw: Any) -> Any:
    return F(m).nll_loss(x, t, weight=_class_weight(m, x, weight_), **kw)


def _cross_entropy(m: Any, x: Any, t: Any, weight_: Any = None, **kw: Any) -> Any:
    return F(m).cross_entropy(x, t, weight=_class_weight(m, x, weight_), **kw)


def _cross_entropy_samples(rng: Any, dt: Any) -> list[Sample]:
    out = []
    huge = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], dtype=dt)
    for r in REDUCTIONS:
        kw = {"reduction": r}
        for ls in (0.0, 0.2):
            k = {**kw, "label_smoothing": ls}
            out += [
                Sample((arr(rng, (4, 5), dt), _targets(rng, (4,), 5)), k, name=f"2-d-{r}-{ls}"),
                Sample((arr(rng, (5,), dt), _targets(rng, (), 5)), k, name=f"1-d-{r}-{ls}"),
                Sample(
                    (arr(rng, (4, 5), dt), _targets(rng, (4,), 5, True)),
                    k,
                    name=f"ignored-{r}-{ls}",
                ),  # fmt: skip
                Sample(
                    (arr(rng, (4, 5), dt), _targets(rng, (4,), 5, True)),
                    {**k, "weight_": True},
                    name=f"weight-ignored-{r}-{ls}",
                ),
                Sample(
                    (arr(rng, (2, 3, 4), dt), _targets(rng, (2, 4), 3, True)),
                    {**k, "weight_": True},
                    name=f"3-d-{r}-{ls}",
                ),  # fmt: skip
                Sample(
                    (arr(rng, (2, 3, 2, 2), dt), _targets(rng, (2, 2, 2), 3)),
                    k,
                    name=f"4-d-{r}-{ls}",
                ),  # fmt: skip
                Sample((huge, np.array([1, 0])), k, name=f"huge-{r}-{ls}"),
                Sample(
                    (_t(rng, (4, 5), dt), _targets(rng, (4,), 5)),
                    k,
                    name=f"non-contiguous-{r}-{ls}",
                ),  # fmt: skip
            ]
    out += [
        Sample(
            (arr(rng, (4, 5), dt), _targets(rng, (4,), 5)),
            {"label_smoothing": 1.5},
            name="error-smoothing",
        ),  # fmt: skip
        Sample((arr(rng, (4, 5), dt), arr(rng, (4,), dt)), name="error-float-indices"),
        Sample((arr(rng, (), dt), _targets(rng, (), 5)), name="error-0-d"),
    ]
    return out


def _soft_targets(rng: Any, shape: tuple[int, ...], dt: Any, axis: int) -> np.ndarray:
    p = rng.uniform(0.1, 1.0, size=shape)
    return (p / p.sum(axis=axis, keepdims=True)).astype(dt)


def _probability_target_samples(rng: Any, dt: Any) -> list[Sample]:
    out = []
    for r in REDUCTIONS:
        for ls in (0.0, 0.3):
            k = {"reduction": r, "label_smoothing": ls}
            out += [
                Sample(
                    (arr(rng, (4, 5), dt), _soft_targets(rng, (4, 5), dt, 1)),
                    k,
                    name=f"2-d-{r}-{ls}",
                ),  # fmt: skip
                Sample(
                    (arr(rng, (5,), dt), _soft_targets(rng, (5,), dt, 0)), k, name=f"1-d-{r}-{ls}"
                ),  # fmt: skip
                Sample(
                    (arr(rng, (2, 3, 4), dt), _soft_targets(rng, (2, 3, 4), dt, 1)),
                    {**k, "weight_": True},
                    name=f"3-d-weight-{r}-{ls}",
                ),  # fmt: skip
            ]
    out.append(Sample((arr(rng, (4, 5), dt), _soft_targets(rng, (4, 5), dt, 1)),
                      {"ignore_index": 1}, name="error-ignore-index"))  # fmt: skip
    return out


def _kl_samples(rng: Any, dt: Any) -> list[Sample]:
    out = []
    for r in (*REDUCTIONS, "batchmean"):
        for log_target in (False, True):
            k = {"reduction": r, "log_target": log_target}
            t = arr(rng, (3, 4), dt, -2.0, 0.0) if log_target else _probabilities(rng, (3, 4), dt)
            out.append(Sample((arr(rng, (3, 4), dt, -3.0, 0.0), t), k, name=f"{r}-{log_target}"))
        out.append(Sample((arr(rng, (3, 4), dt), np.array([[0.0, 0.5, 0.0, 0.5]] * 3, dtype=dt)),
                          {"reduction": r}, grad=(True, False), name=f"zero-target-{r}"))  # fmt: skip
    return out


OPS = [
    OpInfo(
        "F.mse_loss",
        _quiet(lambda m, x, t, **k: F(m).mse_loss(x, t, **k)),
        _pointwise_samples(),
        ("MseLossBackward0",),
    ),
    OpInfo(
        "F.mse_loss_weight",
        lambda m, x, t, w, **k: F(m).mse_loss(x, t, weight=w, **k),
        _weighted_pointwise,
    ),
    OpInfo("F.l1_loss", _quiet(lambda m, x, t, **k: F(m).l1_loss(x, t, **k)), _pointwise_samples()),
    OpInfo(
        "F.l1_loss_weight",
        lambda m, x, t, w, **k: F(m).l1_loss(x, t, weight=w, **k),
        _weighted_pointwise,
    ),
    OpInfo(
        "F.smooth_l1_loss",
        _quiet(lambda m, x, t, **k: F(m).smooth_l1_loss(x, t, **k)),
        _pointwise_samples(),
        ("SmoothL1LossBackward0",),
    ),
    OpInfo(
        "F.smooth_l1_loss_beta",
        _quiet(lambda m, x, t, **k: F(m).smooth_l1_loss(x, t, **k)),
        _pointwise_samples(beta=0.5),
        ("SmoothL1LossBackward0",),
    ),
    OpInfo(
        "F.smooth_l1_loss_beta0",
        _quiet(lambda m, x, t, **k: F(m).smooth_l1_loss(x, t, **k)),
        _pointwise_samples(beta=0.0),
    ),
    OpInfo(
        "F.smooth_l1_loss_error",
        lambda m, x, t, **k: F(m).smooth_l1_loss(x, t, **k),
        _beta_errors("beta", -1.0),
    ),
    OpInfo(
        "F.huber_loss",
        _quiet(lambda m, x, t, **k: F(m).huber_loss(x, t, **k)),
        _pointwise_samples(),
        ("HuberLossBackward0",),
    ),
    OpInfo(
        "F.huber_loss_delta",
        _quiet(lambda m, x, t, **k: F(m).huber_loss(x, t, **k)),
        _pointwise_samples(delta=2.0),
        ("HuberLossBackward0",),
    ),
    OpInfo(
        "F.huber_loss_weight",
        lambda m, x, t, w, **k: F(m).huber_loss(x, t, weight=w, **k),
        _weighted_pointwise,
    ),
    OpInfo(
        "F.huber_loss_error",
        lambda m, x, t, **k: F(m).huber_loss(x, t, **k),
        _beta_errors("delta", 0.0),
    ),
    OpInfo(
        "F.binary_cross_entropy",
        lambda m, *a, **k: F(m).binary_cross_entropy(*a, **k),
        _bce_samples,
        ("BinaryCrossEntropyBackward0",),
    ),
    OpInfo(
        "F.binary_cross_entropy_edges",
        lambda m, *a, **k: F(m).binary_cross_entropy(*a, **k),
        _bce_edge_samples,
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "F.binary_cross_entropy_with_logits",
        _bce_logits,
        _logit_samples,
        ("BinaryCrossEntropyWithLogitsBackward0",),
    ),
    OpInfo("F.nll_loss", _nll, _nll_samples, ("NllLossBackward0", "NllLoss2DBackward0")),
    # A nan loss has no finite-difference Jacobian: compared with torch only.
    OpInfo("F.nll_loss_all_ignored", _nll, _all_ignored_samples, gradcheck=False, gradgrad=False),
    OpInfo(
        "F.cross_entropy",
        _cross_entropy,
        _cross_entropy_samples,
        ("NllLossBackward0", "NllLoss2DBackward0", "LogSoftmaxBackward0"),
    ),
    # Note: torch's mean over probability targets divides by a Python number
    # (DivBackward1); dyngrad names every tensor/number division DivBackward0.
    OpInfo(
        "F.cross_entropy_probabilities",
        _cross_entropy,
        _probability_target_samples,
        check_grad_fn=False,
    ),
    OpInfo("F.kl_div", _quiet(lambda m, x, t, **k: F(m).kl_div(x, t, **k)), _kl_samples),
]
