"""Op table entries for convolution, pooling, unfold/fold and interpolate (ops/nn_ops*.py):
ConvolutionBackward0 (conv1d/2d/3d, conv_transpose1d/2d/3d, torch.convolution),
MaxPool2DWithIndicesBackward0, AvgPool2DBackward0, AdaptiveAvgPool2DBackward0,
AdaptiveMaxPool2DBackward0, Im2ColBackward0, Col2ImBackward0 and the Upsample* nodes.

Samples cover strides, paddings (ints, tuples, 'same', 'valid'), dilations, groups, bias or
none, unbatched and empty-batch inputs, non-contiguous inputs (transposed inside the op),
integer inputs where torch allows them, and torch's errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr


def F(m: Any) -> Any:
    return m.nn.functional


def _x(rng: Any, shape: tuple[int, ...], dt: Any) -> np.ndarray:
    return arr(rng, shape, dt)


def _ints(rng: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.asarray(rng.integers(-3, 4, size=shape), dtype=np.int64)


# --- convolution ------------------------------------------------------------------------------


def _conv2d_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return _x(rng, s, dt)

    other = np.float64 if np.dtype(dt) == np.float32 else np.float32
    return [
        Sample((x(2, 3, 6, 6), x(4, 3, 3, 3), x(4)), name="basic"),
        Sample(
            (x(2, 3, 7, 6), x(4, 3, 3, 3), x(4)), {"stride": 2, "padding": 1}, name="stride-pad"
        ),
        Sample(
            (x(2, 3, 7, 8), x(2, 3, 3, 2), x(2)),
            {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)},
            name="tuples",
        ),  # fmt: skip
        Sample((x(2, 4, 6, 5), x(6, 2, 3, 2), x(6)), {"groups": 2, "padding": 1}, name="groups"),
        Sample((x(1, 3, 5, 5), x(3, 1, 3, 3), x(3)), {"groups": 3}, name="depthwise"),
        Sample((x(2, 3, 5, 5), x(4, 3, 2, 2), None), {"stride": 3}, name="no-bias-stride>kernel"),
        Sample((x(2, 2, 5, 6), x(3, 2, 3, 3), x(3)), {"padding": "same"}, name="same"),
        Sample(
            (x(1, 2, 5, 6), x(3, 2, 4, 2), x(3)),
            {"padding": "same", "dilation": (1, 2)},
            name="same-even-kernel",
        ),  # fmt: skip
        Sample((x(2, 2, 5, 6), x(3, 2, 3, 3), x(3)), {"padding": "valid"}, name="valid"),
        Sample((x(3, 5, 5), x(2, 3, 3, 3), x(2)), {"padding": 1}, name="unbatched"),
        Sample((x(0, 3, 5, 5), x(2, 3, 3, 3), x(2)), name="empty-batch"),
        Sample((x(2, 0, 5, 5), x(2, 0, 3, 3), x(2)), name="no-channels"),
        Sample((x(2, 3, 3, 3), x(2, 3, 3, 3), x(2)), name="kernel-equals-input"),
        Sample((x(1, 2, 4, 4), x(2, 2, 1, 1), x(2)), name="1x1"),
        Sample((_ints(rng, (1, 2, 4, 4)), _ints(rng, (3, 2, 2, 2)), None), name="int64"),
        Sample((x(64, 3, 28, 28), x(6, 1, 5, 5), None), name="error-channels"),
        Sample((x(1, 1, 3, 3), x(1, 1, 5, 5), None), name="error-kernel-too-big"),
        Sample((x(1, 1, 8, 8), x(1, 1, 3, 3), None), {"dilation": 4}, name="error-dilated-too-big"),
        Sample((x(1, 4, 8, 8), x(6, 2, 3, 3), None), {"groups": 4}, name="error-groups"),
        Sample((x(1, 4, 8, 8), x(6, 4, 3, 3), x(5)), name="error-bias-size"),
        Sample((x(1, 4, 8, 8), x(6, 4, 3, 3).astype(other), None), name="error-dtype"),
        Sample((x(1, 4, 8, 8), x(6, 4, 3, 3), x(6).astype(other)), name="error-bias-dtype"),
        Sample((x(1, 4, 8, 8), x(6, 4, 3, 3), None), {"stride": 0}, name="error-stride"),
        Sample((x(1, 4, 8, 8), x(6, 4, 3, 3), None), {"padding": -1}, name="error-padding"),
        Sample((x(1, 4, 8, 8), x(6, 4, 3, 3), None), {"dilation": 0}, name="error-dilation"),
        Sample((x(1, 4, 8, 8), x(6, 4, 3, 3), None), {"groups": 0}, name="error-groups-0"),
        Sample((x(1, 4, 8, 8), x(6, 4, 3, 3), None), {"padding": "full"}, name="error-pad-string"),
        Sample(
            (x(1, 4, 8, 8), x(6, 4, 3, 3), None),
            {"padding": "same", "stride": 2},
            name="error-same-strided",
        ),  # fmt: skip
        Sample(
            (x(1, 4, 8, 8), x(6, 4, 3, 3), None), {"stride": (1, 1, 1)}, name="error-stride-len"
        ),
        Sample((x(4, 8), x(6, 4, 3, 3), None), name="error-2-d-input"),
        Sample((x(1, 4, 8, 8), x(6, 4, 3), None), name="error-3-d-weight"),
        Sample((x(2, 4, 0, 8), x(6, 4, 3, 3), None), name="error-empty-spatial"),
        Sample((x(2, 3, 6, 6), x(4, 3, 0, 3), None), name="error-kernel-zero"),
        Sample(
            (x(2, 3, 6, 6), x(4, 3, 2, 0), None), {"dilation": 2}, name="error-dilated-kernel-zero"
        ),
        Sample((x(0, 3, 5, 5), x(2, 3, 0, 3), None), name="error-empty-batch-empty-weight"),
    ]


def _conv1d_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return _x(rng, s, dt)

    return [
        Sample((x(2, 3, 8), x(4, 3, 3), x(4)), name="basic"),
        Sample(
            (x(2, 3, 9), x(4, 3, 3), x(4)),
            {"stride": 2, "padding": 1, "dilation": 2},
            name="stride-pad-dilation",
        ),  # fmt: skip
        Sample((x(2, 4, 7), x(6, 2, 2), None), {"groups": 2}, name="groups"),
        Sample((x(3, 7), x(2, 3, 3), x(2)), name="unbatched"),
        Sample((x(2, 3, 7), x(2, 3, 4), x(2)), {"padding": "same"}, name="same-even"),
        Sample((x(2, 3, 8), x(4, 3, 3), x(4)), {"stride": (2,)}, name="tuple-stride"),
        Sample((x(2, 3, 2), x(4, 3, 3), None), name="error-kernel-too-big"),
        Sample((x(2, 4, 8), x(6, 3, 3), None), name="error-channels"),
        Sample((x(1, 4, 2, 2), x(6, 4, 3), None), name="error-4-d-input"),
        Sample((x(1, 4, 8), x(4, 4, 3), None), {"dilation": (1, 1)}, name="error-dilation-len"),
    ]


def _conv_transpose2d_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return _x(rng, s, dt)

    return [
        Sample((x(2, 3, 4, 4), x(3, 2, 3, 3), x(2)), name="basic"),
        Sample(
            (x(2, 3, 4, 3), x(3, 2, 3, 3), x(2)),
            {"stride": 2, "padding": 1, "output_padding": 1},
            name="stride-output-padding",
        ),  # fmt: skip
        Sample(
            (x(1, 4, 3, 4), x(4, 3, 3, 2), x(6)),
            {"groups": 2, "dilation": (2, 1), "stride": (1, 2), "padding": (1, 0)},
            name="groups",
        ),  # fmt: skip
        Sample(
            (x(2, 2, 4, 4), x(2, 3, 3, 3), None),
            {"output_padding": 1, "dilation": 2},
            name="output-padding-below-dilation",
        ),  # fmt: skip
        Sample((x(2, 3, 3), x(2, 2, 2, 2), x(2)), {"stride": (2, 3)}, name="unbatched"),
        Sample((x(1, 2, 2, 2), x(2, 3, 4, 4), None), name="kernel-larger-than-input"),
        Sample((x(0, 3, 4, 4), x(3, 2, 3, 3), x(2)), name="empty-batch"),
        Sample((x(2, 4, 5, 5), x(3, 6, 3, 3), None), name="error-channels"),
        Sample(
            (x(2, 4, 5, 5), x(4, 6, 3, 3), None), {"output_padding": 1}, name="error-output-padding"
        ),
        Sample((x(2, 4, 5, 5), x(4, 3, 3, 3), x(4)), name="error-bias-size"),
        Sample((x(1, 4, 2, 2), x(4, 6, 3, 3), None), {"padding": 3}, name="error-output-too-small"),
        Sample(
            (x(1, 4, 2, 2), x(4, 6, 3, 3), None), {"output_padding": -1}, name="error-negative-op"
        ),
        Sample((x(4, 8), x(4, 6, 3, 3), None), name="error-2-d-input"),
        Sample((x(2, 4, 5, 5), x(4, 0, 3, 3), None), name="error-empty-weight"),
        Sample((x(2, 4, 5, 5), x(4, 3, 3, 0), None), name="error-kernel-zero"),
        Sample((x(2, 4, 0, 5), x(4, 3, 3, 3), None), name="error-empty-spatial"),
        Sample(
            (x(0, 4, 5, 5), x(4, 3, 3, 3), x(3)),
            {"output_padding": 2},
            name="empty-batch-op-ignored",
        ),
        Sample(
            (x(0, 2, 1, 1), x(2, 2, 2, 2), None), {"padding": 1}, name="empty-batch-empty-output"
        ),
    ]


def _conv_transpose1d_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return _x(rng, s, dt)

    return [
        Sample((x(2, 3, 5), x(3, 2, 3), x(2)), {"stride": 2, "output_padding": 1}, name="stride"),
        Sample((x(4, 5), x(4, 2, 2), None), {"groups": 2, "dilation": 2}, name="unbatched-groups"),
        Sample((x(1, 4, 8), x(4, 6, 3), None), {"output_padding": 1}, name="error-output-padding"),
    ]


def _conv3d_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return _x(rng, s, dt)

    return [
        Sample(
            (x(1, 2, 4, 3, 4), x(2, 2, 2, 2, 3), x(2)),
            {"stride": (1, 2, 1), "padding": 1},
            name="basic",
        ),  # fmt: skip
        Sample((x(2, 3, 3, 4), x(2, 2, 2, 2, 2), None), name="unbatched"),
        Sample((x(1, 2, 2, 2, 2), x(2, 2, 3, 3, 3), None), name="error-kernel-too-big"),
        Sample((x(2, 2, 3, 4, 4), x(2, 2, 2, 2, 0), None), name="error-kernel-zero"),
    ]


def _conv_transpose3d_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample(
            (_x(rng, (1, 2, 2, 3, 2), dt), _x(rng, (2, 2, 2, 2, 2), dt), _x(rng, (2,), dt)),
            {"stride": 2, "output_padding": (1, 0, 1)},
            name="basic",
        ),  # fmt: skip
        Sample(
            (_x(rng, (1, 2, 2, 3, 2), dt), _x(rng, (2, 2, 2, 0, 2), dt), None),
            name="error-empty-weight",
        ),  # fmt: skip
    ]


def _convolution_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(*s: int) -> np.ndarray:
        return _x(rng, s, dt)

    return [
        Sample(
            (x(2, 3, 5, 5), x(4, 3, 3, 3), x(4), [1, 1], [1, 1], [1, 1], False, [0, 0], 1),
            name="conv",
        ),  # fmt: skip
        Sample(
            (x(2, 4, 3, 3), x(4, 1, 2, 2), None, [2, 2], [0, 0], [1, 1], True, [1, 1], 2),
            name="transposed",
        ),  # fmt: skip
        Sample(
            (x(3, 5, 5), x(4, 3, 3, 3), None, [1, 1], [0, 0], [1, 1], False, [0, 0], 1),
            name="error-unbatched",
        ),  # fmt: skip
    ]


def _noncontiguous_conv(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample(
            (_x(rng, (2, 3, 6, 5), dt), _x(rng, (4, 3, 3, 2), dt), _x(rng, (4,), dt)),
            {"stride": (2, 1), "padding": 1},
            name="transposed-views",
        ),  # fmt: skip
    ]


def _top_level_samples(rng: Any, dt: Any) -> list[Sample]:
    return _conv2d_samples(rng, dt)[:3]


_CONV_TOL = {"atol": 1e-4, "rtol": 1e-5, "grad_atol": 1e-4}

CONV_OPS = [
    OpInfo(
        "F.conv2d",
        lambda m, x, w, b, **k: F(m).conv2d(x, w, b, **k),
        _conv2d_samples,
        ("ConvolutionBackward0",),
        **_CONV_TOL,
    ),  # fmt: skip
    OpInfo(
        "conv2d",
        lambda m, x, w, b, **k: m.conv2d(x, w, b, **k),
        _top_level_samples,
        ("ConvolutionBackward0",),
        **_CONV_TOL,
    ),  # fmt: skip
    OpInfo(
        "F.conv2d_noncontiguous",
        lambda m, x, w, b, **k: F(m).conv2d(x.transpose(2, 3), w.transpose(2, 3), b, **k),
        _noncontiguous_conv,
        ("ConvolutionBackward0",),
        **_CONV_TOL,
    ),  # fmt: skip
    OpInfo(
        "F.conv1d",
        lambda m, x, w, b, **k: F(m).conv1d(x, w, b, **k),
        _conv1d_samples,
        ("ConvolutionBackward0",),
        **_CONV_TOL,
    ),  # fmt: skip
    OpInfo(
        "F.conv3d",
        lambda m, x, w, b, **k: F(m).conv3d(x, w, b, **k),
        _conv3d_samples,
        ("ConvolutionBackward0",),
        **_CONV_TOL,
    ),  # fmt: skip
    OpInfo(
        "F.conv_transpose2d",
        lambda m, x, w, b, **k: F(m).conv_transpose2d(x, w, b, **k),
        _conv_transpose2d_samples,
        ("ConvolutionBackward0",),
        **_CONV_TOL,
    ),  # fmt: skip
    OpInfo(
        "F.conv_transpose1d",
        lambda m, x, w, b, **k: F(m).conv_transpose1d(x, w, b, **k),
        _conv_transpose1d_samples,
        ("ConvolutionBackward0",),
        **_CONV_TOL,
    ),  # fmt: skip
    OpInfo(
        "F.conv_transpose3d",
        lambda m, x, w, b, **k: F(m).conv_transpose3d(x, w, b, **k),
        _conv_transpose3d_samples,
        ("ConvolutionBackward0",),
        **_CONV_TOL,
    ),  # fmt: skip
    OpInfo(
        "convolution",
        lambda m, *a, **k: m.convolution(*a, **k),
        _convolution_samples,
        ("ConvolutionBackward0",),
        **_CONV_TOL,
    ),  # fmt: skip
]


def _ops() -> list[OpInfo]:
    from .nn_conv_pool import POOL_OPS

    return CONV_OPS + POOL_OPS


OPS = _ops()
