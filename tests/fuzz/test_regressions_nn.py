"""Fuzzer failures in nn losses, normalization, prelu and embedding, each shrunk by hand to
the few lines that matter and run on dyngrad and torch (``m`` is the module).

Error tests assert the same exception class and torch's key phrase; value tests compare
values, dtypes, shapes and grad_fn names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import dyngrad
from fuzz.parity import both as _both
from fuzz.parity import grad_fn_name as _name
from fuzz.parity import np_of as _np
from fuzz.parity import same_error as _same_error
from fuzz.parity import torch


def _same_result(fn: Callable[[Any], Any]) -> None:
    """Same values (nan where torch has nan), dtype, shape and grad_fn name."""
    ours, theirs = _both(fn)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    assert _name(ours) == _name(theirs)
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=1e-5, atol=1e-6)


def _t(m: Any, values: Any, dtype: str = "float32", requires_grad: bool = False) -> Any:
    return m.tensor(np.asarray(values, dtype=dtype), requires_grad=requires_grad)


def _F(m: Any) -> Any:
    return m.nn.functional


_X34 = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
_P4 = [0.2, 0.7, 0.5, 0.9]


# --- batch norm --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "phrase"),
    [
        # torch reads the channel count of a 1-d or 0-d input as 0
        (lambda m: _F(m).batch_norm(_t(m, _P4), m.zeros(4), m.ones(4)),
         "running_mean should contain 0 elements not 4"),
        (lambda m: _F(m).batch_norm(_t(m, _P4), None, None, m.ones(4), training=True),
         "weight should contain 0 elements not 4"),
        (lambda m: _F(m).batch_norm(_t(m, 1.0), m.zeros(1), m.ones(1)),
         "running_mean should contain 0 elements not 1"),
        # the sizes are checked before the input's rank
        (lambda m: _F(m).batch_norm(_t(m, _P4), m.zeros(0), m.ones(0)),
         "Dimension out of range"),
        # each running statistic: defined, then sized, before the next one
        (lambda m: _F(m).batch_norm(_t(m, _X34), m.zeros(3), None),
         "running_mean should contain 4 elements not 3"),
    ],
    ids=["1-d-running-stats", "1-d-weight", "0-d-running-stats", "1-d-rank", "size-then-defined"],
)  # fmt: skip
def test_batch_norm_checks_sizes_against_channels_of_low_rank_inputs(
    case: Callable[[Any], Any], phrase: str
) -> None:
    _same_error(case, phrase)


def test_batch_norm_of_an_empty_input_checks_nothing_but_picks_weight_and_bias() -> None:
    """No values: torch skips the size and dtype checks, returning x·w[0] + b[0]."""
    _same_result(
        lambda m: _F(m).batch_norm(
            m.zeros(0, 1, requires_grad=True), m.zeros(4), m.zeros(4), m.ones(4), m.ones(4),
            training=True,
        )
    )  # fmt: skip
    _same_result(lambda m: _F(m).batch_norm(m.zeros(0, 4, dtype=m.float64), m.zeros(4), m.ones(4)))
    _same_result(lambda m: _F(m).batch_norm(m.zeros(0, 4), None, None))  # eval without stats
    _same_error(
        lambda m: _F(m).batch_norm(m.zeros(0, 4), m.zeros(4), m.ones(4), m.tensor(2.0)),
        "select() cannot be applied to a 0-dim tensor",
    )
    _same_error(
        lambda m: _F(m).batch_norm(m.zeros(0, 4), m.zeros(4), m.ones(4), m.ones(0)),
        "index 0 out of range",
    )


@pytest.mark.parametrize("training", [False, True])
def test_batch_norm_refuses_running_stats_that_require_grad(training: bool) -> None:
    def run(m: Any) -> Any:
        rm = m.zeros(4, requires_grad=True)
        return _F(m).batch_norm(_t(m, _X34), rm, m.ones(4), training=training)

    _same_error(run, "is not differentiable with respect to argument 'running_mean'")
    with dyngrad.no_grad():  # (no graph, no refusal)
        run(dyngrad)


def test_batch_norm_needs_one_dimensional_running_stats() -> None:
    _same_error(
        lambda m: _F(m).batch_norm(_t(m, _X34), m.zeros(1, 4), m.ones(4), training=True),
        "TensorAccessor expected 1 dims but tensor has 2",
    )
    _same_error(
        lambda m: _F(m).batch_norm(_t(m, [[1.0], [2.0]]), m.tensor(0.0), m.ones(1)),
        "TensorAccessor expected 1 dims but tensor has 0",
    )


def test_batch_norm_mixed_dtypes_follow_the_first_parameter() -> None:
    _same_error(
        lambda m: _F(m).batch_norm(_t(m, _X34), m.zeros(4, dtype=m.float64), m.ones(4)),
        "mixed dtype (CPU): expect parameter to have scalar type of Float",
    )
    _same_error(
        lambda m: _F(m).batch_norm(_t(m, _X34, "float64"), m.zeros(4), m.ones(4)),
        "mixed dtype (CPU): all inputs must share same datatype.",
    )
    _same_error(
        lambda m: _F(m).batch_norm(_t(m, _X34, "float64"), m.zeros(4, dtype=m.float64), m.ones(4)),
        "expected scalar type Double but found Float",
    )


# --- instance norm -----------------------------------------------------------------------------


def test_instance_norm_with_no_channels_skips_the_running_stats_in_evaluation() -> None:
    _same_result(
        lambda m: _F(m).instance_norm(
            m.zeros(2, 0, 5, requires_grad=True), m.zeros(3), m.ones(3), use_input_stats=False
        )
    )
    _same_error(  # (training: the per-sample statistics cannot be viewed as (2, 0))
        lambda m: _F(m).instance_norm(m.zeros(2, 0, 5), m.zeros(3), m.ones(3)),
        "shape '[2, 0]' is invalid for input of size 6",
    )


def test_instance_norm_of_an_empty_batch_picks_the_repeated_weight() -> None:
    _same_error(
        lambda m: _F(m).instance_norm(
            m.zeros(0, 3, 5), m.tensor(0.5), m.ones(3, dtype=m.float64),
            m.ones(3, dtype=m.float64), m.ones(3, dtype=m.float64),
        ),
        "index 0 out of range",
    )  # fmt: skip

    def running_after(m: Any) -> Any:
        rm, rv = m.zeros(3), m.ones(3)
        _F(m).instance_norm(m.zeros(0, 3, 5), rm, rv)
        return m.stack([rm, rv])

    _same_result(running_after)  # the mean over no samples: nan


def test_instance_norm_takes_running_stats_of_another_dtype() -> None:
    def run(m: Any, dtype: str, use_input_stats: bool) -> Any:
        rm = m.zeros(3, dtype=getattr(m, dtype))
        rv = m.ones(3, dtype=getattr(m, dtype))
        x = _t(m, np.linspace(-2.0, 2.0, 30).reshape(2, 3, 5))
        out = _F(m).instance_norm(x, rm, rv, use_input_stats=use_input_stats)
        return m.cat([out.reshape(-1).double(), rm.double(), rv.double()])

    for dtype in ("float64", "int64"):
        for use_input_stats in (False, True):
            _same_result(lambda m: run(m, dtype, use_input_stats))  # noqa: B023


# --- binary cross entropy ----------------------------------------------------------------------


@pytest.mark.parametrize("target", [[0.0, 1.0, 1.5, 0.0], [0.0, -1.0, 1.0, 0.0],
                                    [0.0, float("nan"), 1.0, 0.0]], ids=["above", "below", "nan"])  # fmt: skip
def test_binary_cross_entropy_checks_the_target_range(target: list[float]) -> None:
    _same_error(
        lambda m: _F(m).binary_cross_entropy(_t(m, _P4), _t(m, target)),
        "all elements of target should be between 0 and 1",
    )


def test_binary_cross_entropy_weight_may_not_enlarge_the_loss() -> None:
    _same_error(
        lambda m: _F(m).binary_cross_entropy(_t(m, 0.3), _t(m, 0.2), _t(m, _P4), reduction="sum"),
        "output with shape [] doesn't match the broadcast shape [4]",
    )
    _same_error(
        lambda m: _F(m).binary_cross_entropy(_t(m, _P4), _t(m, _P4), _t(m, [_P4])),
        "output with shape [4] doesn't match the broadcast shape [1, 4]",
    )
    _same_error(
        lambda m: _F(m).binary_cross_entropy(_t(m, [_P4] * 3), _t(m, [_P4] * 3), m.ones(3)),
        "Attempting to broadcast a dimension of length 3",
    )


def test_binary_cross_entropy_keeps_the_input_dtype_with_a_wider_weight() -> None:
    _same_result(
        lambda m: _F(m).binary_cross_entropy(
            _t(m, _P4, requires_grad=True), _t(m, _P4), _t(m, _P4, "float64")
        )
    )


def test_binary_cross_entropy_refuses_a_weight_that_requires_grad() -> None:
    _same_error(
        lambda m: _F(m).binary_cross_entropy(
            _t(m, _P4, "float64"), _t(m, _P4, "float64"), _t(m, _P4, "float64", True)
        ),
        "not differentiable with respect to argument 'weight'",
    )


@pytest.mark.parametrize(
    ("x_shape", "name", "w_shape", "phrase"),
    [
        ((4,), "weight", (3, 1), "output with shape [4] doesn't match the broadcast shape [3, 4]"),
        ((4,), "pos_weight", (3, 4), "output with shape [4] doesn't match the broadcast shape [3, 4]"),
        ((), "weight", (3, 1), "output with shape [] doesn't match the broadcast shape [3, 1]"),
        ((), "pos_weight", (1,), "output with shape [] doesn't match the broadcast shape [1]"),
    ],
)  # fmt: skip
def test_binary_cross_entropy_with_logits_weights_may_not_enlarge_the_loss(
    x_shape: tuple[int, ...], name: str, w_shape: tuple[int, ...], phrase: str
) -> None:
    def run(m: Any) -> Any:
        x = _t(m, np.full(x_shape, 0.3), requires_grad=True)
        return _F(m).binary_cross_entropy_with_logits(x, x.detach(), **{name: m.ones(w_shape)})

    _same_error(run, phrase)


def test_binary_cross_entropy_with_logits_weights_refuse_grad_and_keep_the_dtype() -> None:
    for name in ("weight", "pos_weight"):
        _same_error(
            lambda m: _F(m).binary_cross_entropy_with_logits(
                _t(m, _P4),
                _t(m, _P4),
                **{name: _t(m, _P4, requires_grad=True)},  # noqa: B023
            ),
            f"not differentiable with respect to argument '{name}'",
        )
        _same_result(
            lambda m: _F(m).binary_cross_entropy_with_logits(
                _t(m, _P4, requires_grad=True),
                _t(m, _P4),
                **{name: _t(m, _P4, "float64")},  # noqa: B023
            )
        )


# --- nll loss, cross entropy -------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_nll_loss_with_no_classes_and_every_target_ignored(reduction: str) -> None:
    def run(m: Any) -> Any:
        x = m.zeros(3, 0, requires_grad=True)
        loss = _F(m).nll_loss(x, _t(m, [-100, -100, -100], "int64"), reduction=reduction)
        loss.sum().backward()
        return m.cat([loss.detach().reshape(-1), x.grad.reshape(-1)])

    _same_result(run)
    _same_result(
        lambda m: _F(m).nll_loss(
            m.zeros(0),
            _t(m, -100, "int64"),
            reduction=reduction,  # noqa: B023
        )
    )


def test_nll_loss_reads_a_zero_dim_target_batch_as_zero() -> None:
    _same_error(
        lambda m: _F(m).nll_loss(m.zeros(0, 5), _t(m, 1, "int64"), reduction="sum"),
        "Dimension specified as 0 but tensor has no dimensions",
    )
    _same_error(
        lambda m: _F(m).nll_loss(m.zeros(3, 5), _t(m, 1, "int64")),
        "to match target batch_size (0)",
    )


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_cross_entropy_label_smoothing_refuses_a_one_element_target_for_1d_input(
    reduction: str,
) -> None:
    _same_error(
        lambda m: _F(m).cross_entropy(
            _t(m, [1.0, 2.0, 3.0]), _t(m, [-100], "int64"), m.ones(3),
            reduction=reduction, label_smoothing=0.2,
        ),
        "output with shape [] doesn't match the broadcast shape [1]",
    )  # fmt: skip
    _same_result(  # (a 0-d target is fine)
        lambda m: _F(m).cross_entropy(
            _t(m, [1.0, 2.0, 3.0], requires_grad=True), _t(m, 1, "int64"),
            reduction=reduction, label_smoothing=0.2,
        )
    )  # fmt: skip


# --- prelu, embedding --------------------------------------------------------------------------


@pytest.mark.parametrize("weight_shape", [(1, 1), (1, 3), (1, 1, 1)])
def test_prelu_refuses_a_weight_of_two_or_more_dims(weight_shape: tuple[int, ...]) -> None:
    ndim = len(weight_shape)
    x = np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4)
    _same_error(
        lambda m: _F(m).prelu(_t(m, x), m.full(weight_shape, 0.25)),
        f"Expected `weight` to be a scalar or 1D tensor, but got: ndim = {ndim}",
    )
    _same_error(
        lambda m: _t(m, x).prelu(m.full(weight_shape, 0.25)),
        f"Expected `weight` to be a scalar or 1D tensor, but got: ndim = {ndim}",
    )


@pytest.mark.parametrize(
    "indices", [[0, -1], [0, 6], [[6, -2]]], ids=["negative", "past-end", "2-d"]
)
def test_embedding_out_of_range_in_a_table_of_empty_rows(indices: Any) -> None:
    _same_error(
        lambda m: _F(m).embedding(_t(m, indices, "int64"), m.zeros(6, 0, requires_grad=True)),
        "INDICES element is out of DATA bounds",
    )
    _same_error(  # (rows of some width: torch's usual message)
        lambda m: _F(m).embedding(_t(m, indices, "int64"), m.zeros(6, 2)),
        "index out of range in self",
    )


# --- found by the restricted campaign -----------------------------------------------------------


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_saves_the_running_stats_in_training_too(training: bool) -> None:
    """torch's backward refuses once a running statistic it saved was changed in place."""

    def run(m: Any) -> Any:
        x = _t(m, _X34, requires_grad=True)
        running_mean, running_var = m.zeros(4), m.ones(4)
        y = _F(m).batch_norm(x, running_mean, running_var, training=training)
        running_var.add_(1)
        y.sum().backward()

    _same_error(run, "modified by an inplace operation")


@pytest.mark.parametrize("loss", ["mse_loss", "huber_loss", "smooth_l1_loss"])
def test_pointwise_loss_without_reduction_takes_torch_layout(loss: str) -> None:
    """A transposed input broadcast against a contiguous target: the per-element loss is laid
    out as torch lays it (so ``view(-1)`` refuses in both)."""

    def run(m: Any) -> Any:
        x = _t(m, np.arange(12.0).reshape(4, 3)).t()
        target = _t(m, np.linspace(-1.0, 1.0, 24).reshape(2, 3, 4))
        with pytest.warns(UserWarning, match="target size"):
            return getattr(_F(m), loss)(x, target, reduction="none")

    ours, theirs = _both(run)
    assert ours.stride() == theirs.stride()
    _same_error(lambda m: run(m).view(-1), "view size is not compatible")


def test_kl_div_gradients_follow_torch_xlogy() -> None:
    """t·log t as torch's xlogy: its x̄ is xlogy(ḡ, t), so a zero ḡ gives 0 even where log t
    is nan, and its t̄ = ḡ·x/t is nan at t = 0."""

    def run(m: Any) -> Any:
        x = _t(m, [0.3, -0.4, 0.2, 0.1], "float64", requires_grad=True)
        t = _t(m, [0.0, 0.5, -1.0, 1.0], "float64", requires_grad=True)
        loss = _F(m).kl_div(x, t, reduction="sum")
        zero = m.tensor(0.0, dtype=m.float64)
        g_zero = m.autograd.grad(loss, (x, t), zero, retain_graph=True)
        g_x, g_t = m.autograd.grad(loss, (x, t), create_graph=True)
        (gg,) = m.autograd.grad(g_t.sum(), t)
        assert _name(loss) == "SumBackward0"
        return m.cat([*g_zero, g_x.detach(), g_t.detach(), gg])

    _same_result(run)


def test_binary_cross_entropy_with_logits_returns_the_target_dtype() -> None:
    _same_result(
        lambda m: _F(m).binary_cross_entropy_with_logits(
            _t(m, [0.2, -0.7], "float64", requires_grad=True), _t(m, [0.0, 1.0])
        )
    )
    _same_error(
        lambda m: _F(m).binary_cross_entropy_with_logits(_t(m, _P4), _t(m, [0, 1, 1, 0], "int64")),
        "result type Float can't be cast to the desired output type Long",
    )
    _same_error(
        lambda m: _F(m).binary_cross_entropy_with_logits(_t(m, _P4), _t(m, [0, 1, 1, 0], "bool")),
        "with two bool tensors is not supported",
    )


def test_layer_norm_saves_its_bias() -> None:
    """torch's backward refuses once the bias it saved was changed in place (even when the
    bias needs no gradient, and for an empty input)."""
    for shape in ((2, 5), (0, 5)):

        def run(m: Any) -> Any:
            x = _t(m, np.ones(shape), requires_grad=True)  # noqa: B023
            bias = _t(m, np.linspace(-1.0, 1.0, 5))
            y = _F(m).layer_norm(x, (5,), _t(m, np.ones(5), requires_grad=True), bias)
            bias.add_(1)
            y.sum().backward()

        _same_error(run, "modified by an inplace operation")


@pytest.mark.parametrize(("size", "pad"), [(0, (-1, 2)), (4, (-5, 3)), (0, (3, -2)), (4, (5, -5))])
def test_constant_pad_crops_before_it_pads(size: int, pad: tuple[int, int]) -> None:
    """What the negative amounts keep must not be negative, whatever the positive ones add."""
    _same_error(
        lambda m: _F(m).pad(m.zeros(2, 3, size), pad), "narrow(): length must be non-negative"
    )
    _same_result(lambda m: _F(m).pad(m.zeros(2, 3, 4, requires_grad=True), (-4, 1)))


@pytest.mark.parametrize("ndim", [3, 4, 5])
def test_nll_loss_of_an_empty_spatial_batch_refuses_a_zero_dim_target(ndim: int) -> None:
    shape = (0, 3) + (2,) * (ndim - 2)
    with pytest.raises(RuntimeError):
        _F(torch).nll_loss(torch.zeros(shape), torch.tensor(1))
    with pytest.raises(RuntimeError) as ours:
        _F(dyngrad).nll_loss(dyngrad.zeros(shape), dyngrad.tensor(1))
    if ndim == 4:  # (otherwise torch fails inside its kernel; ours says what is wrong)
        assert "only batches of spatial targets supported (3D tensors)" in str(ours.value)


def test_batch_norm_with_a_two_dim_weight_gives_its_gradient_that_shape() -> None:
    """torch takes a (1, C) weight in the forward but its backward kernel refuses it (a torch
    bug, not imitated): dyngrad's gradient is torch's for the (C,) weight, shaped (1, C)."""

    def run(m: Any, shape: tuple[int, ...]) -> Any:
        x = _t(m, _X34, "float64", requires_grad=True)
        w = _t(m, np.linspace(0.5, 2.0, 4).reshape(shape), "float64", requires_grad=True)
        b = _t(m, np.linspace(-1.0, 1.0, 4).reshape(shape), "float64", requires_grad=True)
        y = _F(m).batch_norm(x, m.zeros(4, dtype=m.float64), m.ones(4, dtype=m.float64), w, b)
        (y * y).sum().backward()
        return x.grad, w.grad, b.grad

    with pytest.raises(RuntimeError):  # (its kernel, or its engine on the (C,) gradient)
        run(torch, (1, 4))
    ours = run(dyngrad, (1, 4))
    theirs = run(torch, (4,))
    assert tuple(ours[1].shape) == tuple(ours[2].shape) == (1, 4)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(_np(a).reshape(-1), _np(b).reshape(-1), rtol=1e-10)


@pytest.mark.parametrize("spatial", [False, True])
def test_nll_loss_refuses_a_class_weight_that_requires_grad(spatial: bool) -> None:
    """torch's nll_loss kernels give the class weight no gradient, so they refuse one that
    requires grad (cross_entropy goes through them too); without grad mode it is accepted."""
    shape, target = ((3, 4, 2), (3, 2)) if spatial else ((3, 4), (3,))

    def run(m: Any, loss: str) -> Any:
        x = m.ones(shape, requires_grad=True)
        w = m.ones(4, requires_grad=True)
        return getattr(_F(m), loss)(x, m.zeros(target, dtype=m.int64), weight=w)

    for loss in ("nll_loss", "cross_entropy"):
        _same_error(
            lambda m, loss=loss: run(m, loss),  # type: ignore[misc]
            "is not differentiable with respect to argument 'weight'",
        )
    with torch.no_grad(), dyngrad.no_grad():
        np.testing.assert_allclose(_np(run(dyngrad, "nll_loss")), _np(run(torch, "nll_loss")))
