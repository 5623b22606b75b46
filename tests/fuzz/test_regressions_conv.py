"""Failures the differential fuzzer found in convolution, transposed convolution and
``F.unfold``, each shrunk by hand to the lines that matter, as a plain test.

Each test runs the same lines on dyngrad and torch (``m`` is the module) and compares: error
tests assert the same exception class and torch's key phrase (where torch's own message
comes from an internal backend, e.g. oneDNN's "could not create a primitive descriptor",
only the class is compared: dyngrad says what is wrong with the input instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dyngrad
from fuzz.parity import np_of as _np
from fuzz.parity import raised as _errors
from fuzz.parity import same_error as _same_error
from fuzz.parity import torch


def _ones(m: Any, *shape: int, dtype: str = "float64", grad: bool = False) -> Any:
    return m.ones(shape, dtype=getattr(m, dtype), requires_grad=grad)


@pytest.mark.parametrize(
    ("name", "x_shape", "w_shape", "kwargs", "phrase"),
    [
        ("conv1d", (2, 2, 5), (3, 2, 0), {}, "but got kernel_height: 1 kernel_width: 0"),
        ("conv1d", (2, 5), (3, 2, 0), {}, "but got kernel_height: 1 kernel_width: 0"),
        ("conv2d", (2, 2, 5, 5), (3, 2, 0, 3), {}, "but got kernel_height: 0 kernel_width: 3"),
        ("conv2d", (2, 2, 5, 5), (3, 2, 2, 0), {"dilation": 2}, "but got [2, 0]"),
        ("conv3d", (2, 2, 3, 4, 4), (2, 2, 2, 2, 0), {}, "but got: 2 x 2 x 0 (TxHxW)"),
        (
            "conv_transpose1d",
            (2, 2, 5),
            (2, 3, 0),
            {"stride": 2},
            "but got kernel_height: 1 kernel_width: 0",
        ),
        (
            "conv_transpose2d",
            (2, 2, 5, 5),
            (2, 0, 0, 2),
            {},
            "but got kernel_height: 0 kernel_width: 2",
        ),
    ],
)
def test_conv_with_a_zero_kernel_size_is_refused(
    name: str, x_shape: tuple[int, ...], w_shape: tuple[int, ...], kwargs: dict[str, Any],
    phrase: str,
) -> None:  # fmt: skip
    def run(m: Any) -> Any:
        conv = getattr(m.nn.functional, name)
        return conv(_ones(m, *x_shape), _ones(m, *w_shape, grad=True), **kwargs)

    _same_error(run, "kernel size should be greater than zero, " + phrase)


def test_conv_with_a_zero_kernel_size_in_float32_raises_runtime_error() -> None:
    """torch's oneDNN kernel (float32, batch > 1) fails with "could not create a primitive
    descriptor"; dyngrad raises the same class and names the empty kernel."""

    def run(m: Any) -> Any:
        x = _ones(m, 3, 3, 5, 6, dtype="float32")
        return m.nn.functional.conv2d(x, _ones(m, 4, 3, 0, 3, dtype="float32"), None)

    theirs, ours = _errors(run)
    assert isinstance(theirs, RuntimeError)
    assert "kernel size should be greater than zero" in str(ours)


@pytest.mark.parametrize(
    ("call", "shown"),
    [
        (
            lambda m: m.convolution(
                _ones(m, 2, 4, 3, 0),
                _ones(m, 4, 1, 2, 2),
                None,
                [2, 2],
                [0, 0],
                [1, 1],
                True,
                [1, 1],
                2,
            ),
            "[2, 4, 3, 0]",
        ),  # fmt: skip
        (
            lambda m: m.nn.functional.conv2d(_ones(m, 2, 3, 0, 4), _ones(m, 2, 3, 1, 1), padding=1),
            "[2, 3, 0, 4]",
        ),  # fmt: skip
        (
            lambda m: m.nn.functional.conv_transpose1d(_ones(m, 4, 0), _ones(m, 4, 1, 2), groups=2),
            "[1, 4, 1, 0]",
        ),  # fmt: skip
    ],
)
def test_conv_of_an_input_with_empty_spatial_dims_is_refused(call: Any, shown: str) -> None:
    _same_error(
        call,
        f"Only zero batch or zero channel inputs are supported, but got input shape: {shown}",
    )


@pytest.mark.parametrize(
    ("name", "x_shape", "w_shape", "groups", "phrase"),
    [
        ("conv_transpose1d", (4, 5), (4, 0, 2), 2,
         "non-empty 2D or 4D weight tensor expected, but got: [2, 0, 1, 2]"),
        ("conv_transpose2d", (2, 2, 3, 3), (2, 0, 2, 2), 1,
         "non-empty 2D or 4D weight tensor expected, but got: [2, 0, 2, 2]"),
        ("conv_transpose3d", (1, 2, 2, 3, 2), (2, 2, 2, 0, 2), 1,
         "tensor expected for weight, but got: [2, 2, 2, 0, 2]"),
    ],
)  # fmt: skip
def test_conv_transpose_with_an_empty_weight_is_refused(
    name: str, x_shape: tuple[int, ...], w_shape: tuple[int, ...], groups: int, phrase: str
) -> None:
    def run(m: Any) -> Any:
        conv = getattr(m.nn.functional, name)
        return conv(_ones(m, *x_shape), _ones(m, *w_shape, grad=True), groups=groups)

    _same_error(run, phrase)


def test_conv_transpose_of_an_empty_batch_ignores_output_padding() -> None:
    """With no batch torch computes no kernel, so output_padding ≥ stride passes; the
    result (and its gradients) are empty."""

    def run(m: Any) -> Any:
        x = _ones(m, 0, 4, 8, grad=True)
        w = m.tensor(np.linspace(-1, 1, 24).reshape(4, 2, 3), requires_grad=True)
        b = m.tensor([0.5, -0.5], dtype=m.float64, requires_grad=True)
        y = m.nn.functional.conv_transpose1d(x, w, b, output_padding=1)
        y.sum().backward()
        return y, x.grad, w.grad, b.grad, type(y.grad_fn).__name__

    ours, theirs = run(dyngrad), run(torch)
    assert ours[4] == theirs[4] == "ConvolutionBackward0"
    for a, b in zip(ours[:4], theirs[:4]):
        assert a.shape == tuple(b.shape)
        np.testing.assert_array_equal(_np(a), _np(b))


def test_conv_transpose_of_an_empty_batch_may_have_an_empty_output() -> None:
    def run(m: Any) -> Any:
        return m.nn.functional.conv_transpose2d(_ones(m, 0, 2, 1, 1), _ones(m, 2, 2, 2, 2),
                                                padding=1)  # fmt: skip

    assert tuple(run(dyngrad).shape) == tuple(run(torch).shape) == (0, 2, 0, 0)


def test_conv_of_an_empty_batch_skips_the_kernel_dtype_checks() -> None:
    """No kernel runs for an empty batch: a bool input and a weight of another dtype pass,
    and the result has the input's dtype."""

    def run(m: Any) -> Any:
        mixed = m.nn.functional.conv2d(_ones(m, 0, 2, 6, 6, dtype="float32"), _ones(m, 2, 2, 2, 2))
        flags = m.nn.functional.conv_transpose2d(
            _ones(m, 0, 2, 6, 6, dtype="bool"), _ones(m, 2, 2, 2, 2, dtype="bool")
        )
        return [(tuple(t.shape), str(t.dtype).split(".")[-1]) for t in (mixed, flags)]

    assert run(dyngrad) == run(torch)


@pytest.mark.parametrize(
    ("name", "w_shape"),
    [("conv_transpose2d", (3, 2, 0, 3)), ("conv2d", (3, 3, 0, 3)), ("conv_transpose1d", (3, 0, 2))],
)
def test_conv_of_an_empty_batch_with_an_empty_weight_raises_index_error(
    name: str, w_shape: tuple[int, ...]
) -> None:
    x_shape = (0, 3, 4) if name.endswith("1d") else (0, 3, 4, 4)

    def run(m: Any) -> Any:
        conv = getattr(m.nn.functional, name)
        return conv(_ones(m, *x_shape, grad=True), _ones(m, *w_shape, grad=True))

    _same_error(run, "select(): index 0 out of range for tensor of size [0] at dimension 0")


@pytest.mark.parametrize(
    ("shape", "kernel", "phrase"),
    [
        ((), 0, "Dimension specified as -1 but tensor has no dimensions"),
        ((), (2, 2, 2), "Dimension specified as -1 but tensor has no dimensions"),
        ((3,), 0, "Dimension out of range (expected to be in range of [-1, 0], but got -2)"),
        ((3,), 2, "Dimension out of range (expected to be in range of [-1, 0], but got -2)"),
    ],
)
def test_unfold_of_a_0d_or_1d_input_that_requires_grad_raises_index_error(
    shape: tuple[int, ...], kernel: Any, phrase: str
) -> None:
    """torch's autograd wrapper reads the last two sizes before the kernel checks anything."""
    _same_error(lambda m: m.nn.functional.unfold(_ones(m, *shape, grad=True), kernel), phrase)


def test_unfold_of_a_0d_input_names_the_missing_dim() -> None:
    _same_error(
        lambda m: m.nn.functional.unfold(_ones(m), 2),
        "Dimension specified as 1 but tensor has no dimensions",
    )


# --- bias dtype: checked by conv1d/2d/3d with integer padding, else by the kernel ---------------


def test_conv_transpose_adds_a_bias_of_another_dtype_on_the_cpu_kernel() -> None:
    """Only conv1d/2d/3d with integer padding check the bias dtype up front; torch's float64
    kernels add a float32 bias (its gradient stays float32)."""

    def run(m: Any) -> Any:
        x = m.tensor(np.linspace(-1, 1, 48).reshape(2, 3, 2, 4), requires_grad=True)
        w = m.tensor(np.linspace(-2, 1, 54).reshape(3, 2, 3, 3), requires_grad=True)
        b = m.tensor([0.25, -0.5], dtype=m.float32, requires_grad=True)
        y = m.nn.functional.conv_transpose2d(x, w, b, stride=2)
        z = m.nn.functional.conv1d(x.flatten(2), w.transpose(0, 1).flatten(2), b, padding="same")
        ((y * y).sum() + (z * z).sum()).backward()
        return y, z, b.grad, x.grad

    ours, theirs = run(dyngrad), run(torch)
    for a, t in zip(ours, theirs):
        assert str(a.dtype) == str(t.dtype)
        np.testing.assert_allclose(_np(a), _np(t), rtol=1e-6)


@pytest.mark.parametrize(
    ("call", "phrase"),
    [
        (lambda m: m.nn.functional.conv2d(_ones(m, 2, 3, 5, 5), _ones(m, 2, 3, 2, 2),
                                          _ones(m, 2, dtype="float32"), padding=1),
         "Input type (double) and bias type (float) should be the same"),
        (lambda m: m.nn.functional.conv_transpose2d(_ones(m, 2, 3, 5, 5, dtype="float32"),
                                                    _ones(m, 3, 2, 2, 2, dtype="float32"),
                                                    _ones(m, 2)),
         "Input type (torch.FloatTensor) and bias type (torch.DoubleTensor) should be the same"),
        (lambda m: m.nn.functional.conv_transpose3d(_ones(m, 1, 3, 2, 2, 2),
                                                    _ones(m, 3, 2, 2, 2, 2),
                                                    _ones(m, 2, dtype="float32")),
         "expected scalar type Double but found Float"),
    ],
)  # fmt: skip
def test_conv_bias_of_another_dtype_is_refused_where_torch_checks_it(
    call: Any, phrase: str
) -> None:
    _same_error(call, phrase)


# --- pooling, unfold/fold and interpolate dtypes ------------------------------------------------


def test_adaptive_avg_pool_of_an_empty_integer_input_is_an_empty_result() -> None:
    def run(m: Any) -> Any:
        return [
            m.nn.functional.adaptive_avg_pool2d(m.zeros((0, 3, 5, 5), dtype=m.int64), 2),
            m.nn.functional.adaptive_avg_pool1d(m.zeros((2, 0, 5), dtype=m.bool), 2),
        ]

    for a, t in zip(run(dyngrad), run(torch)):
        assert (tuple(a.shape), str(a.dtype)) == (tuple(t.shape), str(t.dtype))


def test_avg_pool_of_int32_is_not_implemented() -> None:
    """torch's avg_pool2d kernel takes floating dtypes and int64 only."""
    x = np.arange(32).reshape(2, 4, 4)
    _same_error(
        lambda m: m.nn.functional.avg_pool2d(m.tensor(x, dtype=m.int32), 2),
        "\"avg_pool2d\" not implemented for 'Int'",
    )
    ours, theirs = (m.nn.functional.avg_pool1d(m.tensor(x), 2) for m in (dyngrad, torch))
    np.testing.assert_array_equal(_np(ours), _np(theirs))


def test_unfold_and_fold_take_bool() -> None:
    rng = np.random.RandomState(0)
    image, cols = rng.rand(2, 3, 5, 6) > 0.5, rng.rand(2, 8, 12) > 0.5

    def run(m: Any) -> Any:
        windows = m.nn.functional.unfold(m.tensor(image), 2, padding=1, stride=2)
        return windows, m.nn.functional.fold(m.tensor(cols), (4, 5), 2)

    for a, t in zip(run(dyngrad), run(torch)):
        assert str(a.dtype) == str(t.dtype) == "torch.bool"
        np.testing.assert_array_equal(_np(a), _np(t))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_interpolate_nearest_takes_uint8(mode: str) -> None:
    image = np.random.RandomState(1).randint(0, 256, (2, 3, 5, 7)).astype("uint8")

    def run(m: Any) -> Any:
        x = m.tensor(image)
        f = m.nn.functional.interpolate
        return f(x, scale_factor=1.6, mode=mode), f(x[0], size=4, mode=mode)

    for a, t in zip(run(dyngrad), run(torch)):
        assert str(a.dtype) == str(t.dtype) == "torch.uint8"
        np.testing.assert_array_equal(_np(a), _np(t))


def test_adaptive_avg_pool2d_with_no_channels_has_an_empty_gradient() -> None:
    """torch's forward takes ``(N, 0, H, W)`` but its backward kernel refuses the empty
    gradient (a torch bug, not imitated). dyngrad's gradient equals torch's on the same pool
    with batch and channel dims swapped, which torch's backward accepts."""
    x = torch.ones(2, 0, 6, 6, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Expected grad_output to have non-zero size"):
        torch.nn.functional.adaptive_avg_pool2d(x, 3).sum().backward()
    x.grad = None
    torch.nn.functional.adaptive_avg_pool2d(x.transpose(0, 1), 3).sum().backward()
    ours = dyngrad.ones((2, 0, 6, 6), dtype=dyngrad.float64, requires_grad=True)
    dyngrad.nn.functional.adaptive_avg_pool2d(ours, 3).sum().backward()
    assert ours.grad is not None and x.grad is not None
    assert tuple(ours.grad.shape) == tuple(x.grad.shape) == (2, 0, 6, 6)


@pytest.mark.parametrize("pool", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_adaptive_pool_to_an_empty_output_has_a_zero_gradient(pool: str) -> None:
    """torch's forward takes output_size 0 but its backward kernel refuses the empty
    gradient (a torch bug, not imitated). No output element depends on the input, so the
    gradient is zero: torch's gradient of an empty slice of the input."""
    x = torch.linspace(-1, 1, 90, dtype=torch.float64).reshape(2, 3, 5, 3).requires_grad_()
    with pytest.raises(RuntimeError, match="Expected grad_output to have non-zero size"):
        getattr(torch.nn.functional, pool)(x, 0).sum().backward()
    x.grad = None
    x[..., :0, :0].sum().backward()
    ours = dyngrad.tensor(x.detach().numpy(), requires_grad=True)
    y = getattr(dyngrad.nn.functional, pool)(ours, 0)
    assert tuple(y.shape) == (2, 3, 0, 0)
    y.sum().backward()
    assert ours.grad is not None and x.grad is not None
    np.testing.assert_array_equal(_np(ours.grad), _np(x.grad))


@pytest.mark.parametrize(
    ("call", "phrase"),
    [
        (lambda m: m.nn.functional.conv1d(_ones(m, 2, 2, 3), _ones(m, 4, 2, 0), padding="same"),
         "kernel size should be greater than zero"),
        (lambda m: m.nn.functional.conv2d(_ones(m, 0, 2, 2, 4), _ones(m, 4, 2, 3, 0),
                                          padding="same"),
         "select(): index 0 out of range"),
    ],
)  # fmt: skip
def test_conv_same_padding_of_a_zero_kernel_rounds_the_half_toward_zero(
    call: Any, phrase: str
) -> None:
    """padding='same' pads d·(k−1)/2 (rounded toward zero) and the odd rest on the right: a
    kernel of size 0 narrows the input by one instead of padding by −1."""
    with pytest.warns(UserWarning, match="padding='same'"):
        _same_error(call, phrase)


def test_conv_transpose_in_float32_batches_may_have_an_empty_output() -> None:
    """torch's oneDNN kernel (float32, batch > 1) gives an empty result for an output size
    of 0 (its CPU kernel, batch 1 or float64, refuses it: both matched)."""

    def run(m: Any, n: int, dtype: str) -> Any:
        x = _ones(m, n, 2, 4, dtype=dtype, grad=True)
        w = _ones(m, 2, 2, 1, dtype=dtype, grad=True)
        y = m.nn.functional.conv_transpose1d(x, w, padding=2)
        y.sum().backward()
        return tuple(y.shape), tuple(x.grad.shape), float(x.grad.abs().sum())

    assert run(dyngrad, 2, "float32") == run(torch, 2, "float32") == ((2, 2, 0), (2, 2, 4), 0.0)
    _same_error(lambda m: run(m, 1, "float32"), "Output size is too small")
    _same_error(lambda m: run(m, 2, "float64"), "Output size is too small")


def test_integer_pools_and_resizes_with_an_empty_result_run_no_kernel() -> None:
    """An empty batch or an output size of 0 needs no kernel: torch returns an empty result
    of the input's dtype where the kernel has no loop for it (adaptive avg pool of int64,
    bilinear resize of uint8)."""

    def run(m: Any) -> Any:
        return [
            m.nn.functional.adaptive_avg_pool2d(m.zeros((2, 3, 4, 4), dtype=m.int64), (0, 2)),
            m.nn.functional.interpolate(
                m.zeros((0, 3, 4, 4), dtype=m.uint8), scale_factor=2, mode="bilinear"
            ),
        ]

    for a, t in zip(run(dyngrad), run(torch)):
        assert (tuple(a.shape), str(a.dtype)) == (tuple(t.shape), str(t.dtype))


def test_max_pool_second_order_backward_of_an_empty_batch() -> None:
    """The gradient of max pooling's gradient on an empty batch (its flat indices have no
    size to infer a -1 from) is empty, as torch's."""

    def run(m: Any) -> Any:
        x = m.zeros((0, 3, 4, 4), dtype=m.float64, requires_grad=True)
        g = m.ones((0, 3, 2, 2), dtype=m.float64, requires_grad=True)
        y = m.nn.functional.adaptive_max_pool2d(x, 2)
        (gx,) = m.autograd.grad(y, x, g, create_graph=True)
        gx.sum().backward()
        return g.grad

    ours, theirs = run(dyngrad), run(torch)
    assert tuple(ours.shape) == tuple(theirs.shape) == (0, 3, 2, 2)
