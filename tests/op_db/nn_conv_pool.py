"""Op table entries for pooling, unfold/fold and interpolate (listed in ``nn_conv.OPS``).

Random inputs have no ties, so max pooling is differentiable at the samples; ties and NaN
get their own entries (compared with torch, no finite differences).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr


def F(m: Any) -> Any:
    return m.nn.functional


def _sampler(build: Any) -> Any:
    def samples(rng: Any, dt: Any) -> list[Sample]:
        return build(lambda *s: arr(rng, s, dt), rng)

    return samples


# --- max pooling ------------------------------------------------------------------------------


@_sampler
def _max_pool2d(x: Any, rng: Any) -> list[Sample]:
    return [
        Sample((x(2, 3, 6, 6), 2), name="basic"),
        Sample((x(2, 3, 7, 7), 3), {"stride": 2, "padding": 1}, name="stride-pad"),
        Sample(
            (x(2, 2, 7, 8), (3, 2)),
            {"stride": (2, 1), "padding": (1, 1), "dilation": (2, 3)},
            name="tuples-dilation",
        ),  # fmt: skip
        Sample((x(1, 2, 5, 5), 2), {"stride": 2, "ceil_mode": True}, name="ceil"),
        Sample((x(1, 2, 6, 7), 3), {"stride": 2, "padding": 1, "ceil_mode": True}, name="ceil-pad"),
        Sample((x(2, 3, 6, 6), 3), {"stride": 1, "return_indices": True}, name="indices-overlap"),
        Sample((x(3, 5, 4), 2), {"return_indices": True}, name="unbatched"),
        Sample((x(0, 3, 4, 4), 2), name="empty-batch"),
        Sample(
            (np.arange(32).reshape(1, 2, 4, 4) - 9, 3),
            {"padding": 1, "return_indices": True},
            name="int64",
        ),  # fmt: skip
        Sample((x(2, 3, 9, 9), 3), {"padding": 2}, name="error-pad"),
        Sample((x(2, 3, 9, 9), 0), name="error-kernel-0"),
        Sample((x(2, 3, 9, 9), 2), {"stride": -1}, name="error-stride"),
        Sample((x(2, 3, 9, 9), 2), {"dilation": 0}, name="error-dilation"),
        Sample((x(9, 9), 2), name="error-2-d"),
        Sample((x(2, 0, 4, 4), 2), name="error-no-channels"),
        Sample((x(2, 3, 4, 4), 5), name="error-output-too-small"),
        Sample((x(2, 3, 4, 4), (2, 2, 2)), name="error-kernel-len"),
        Sample((np.ones((1, 1, 4, 4), bool), 2), name="error-bool"),
    ]


def _special_values(rng: Any, dt: Any) -> list[Sample]:
    ties = np.array([[[[1, 1, 0, 2], [1, 0, 2, 2], [3, 3, 3, 1], [0, 3, 1, 1]]]], dtype=dt)
    nans = np.array([[[[1, np.nan, 3, np.nan], [np.nan, 2, 0, 1]]]], dtype=dt)
    infs = np.full((1, 1, 3, 3), -np.inf, dtype=dt)
    return [
        Sample((ties, 2), {"stride": 1, "return_indices": True}, name="ties"),
        Sample((nans, 2), {"return_indices": True}, name="nan-wins"),
        Sample((nans, (2, 3)), {"stride": 1, "padding": 1, "return_indices": True}, name="nan-pad"),
        Sample(
            (infs, 3), {"stride": 2, "padding": 1, "return_indices": True}, name="all-minus-inf"
        ),
    ]


@_sampler
def _max_pool1d(x: Any, rng: Any) -> list[Sample]:
    return [
        Sample((x(2, 3, 8), 2), name="basic"),
        Sample(
            (x(2, 3, 9), 3),
            {"stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True, "return_indices": True},
            name="all-options",
        ),  # fmt: skip
        Sample((x(3, 7), (3,)), {"stride": [], "return_indices": True}, name="unbatched"),
        Sample((x(9), 2), name="error-1-d"),
        Sample((x(2, 3, 9), 2), {"padding": 2}, name="error-pad"),
        Sample((x(2, 3, 9), 12), name="error-output-size"),
        Sample((x(2, 3, 9), (2, 2)), name="error-kernel-len"),
        Sample((x(2, 0, 9), 2), name="error-no-channels"),
    ]


# --- average pooling --------------------------------------------------------------------------


@_sampler
def _avg_pool2d(x: Any, rng: Any) -> list[Sample]:
    return [
        Sample((x(2, 3, 6, 6), 2), name="basic"),
        Sample((x(2, 3, 7, 7), 3), {"stride": 2, "padding": 1, "ceil_mode": True}, name="ceil-pad"),
        Sample(
            (x(2, 3, 7, 7), 3),
            {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
            name="exclude-pad",
        ),  # fmt: skip
        Sample(
            (x(1, 2, 5, 5), 2),
            {"stride": 3, "padding": 1, "ceil_mode": True, "count_include_pad": False},
            name="window-in-padding",
        ),  # fmt: skip
        Sample(
            (x(3, 7, 6), (3, 2)),
            {"stride": (2, 3), "padding": (1, 1), "divisor_override": 5},
            name="unbatched-divisor",
        ),  # fmt: skip
        Sample((x(0, 3, 4, 4), 2), name="empty-batch"),
        Sample((np.arange(-8, 24).reshape(1, 2, 4, 4), 3), {"stride": 1}, name="int64-truncates"),
        Sample((x(2, 3, 9, 9), 3), {"padding": 2}, name="error-pad"),
        Sample((x(2, 3, 9, 9), 2), {"divisor_override": 0}, name="error-divisor"),
        Sample((x(9, 9), 2), name="error-2-d"),
        Sample((x(2, 3, 4, 4), 5), name="error-output-too-small"),
        Sample((x(2, 3, 4, 4), 2), {"padding": (1, 1, 1)}, name="error-padding-len"),
    ]


@_sampler
def _avg_pool1d(x: Any, rng: Any) -> list[Sample]:
    return [
        Sample((x(2, 3, 8), 2), name="basic"),
        Sample(
            (x(3, 9), 3),
            {"stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
            name="unbatched-options",
        ),  # fmt: skip
        Sample((x(9), 2), name="error-1-d"),
        Sample((x(2, 3, 9), (2, 2)), name="error-kernel-len"),
        Sample((x(2, 3, 9), 12), name="error-output-size"),
    ]


# --- adaptive pooling -------------------------------------------------------------------------


@_sampler
def _adaptive_avg2d(x: Any, rng: Any) -> list[Sample]:
    return [
        Sample((x(2, 3, 6, 6), 3), name="divisible"),
        Sample((x(2, 3, 7, 5), (3, 4)), name="overlapping"),
        Sample((x(2, 3, 7, 5), (None, 2)), name="none-entry"),
        Sample((x(3, 3, 4), (5, 7)), name="upsampling-unbatched"),
        Sample((x(2, 3, 5, 4), 1), name="global-mean"),
        Sample((x(9, 9), 2), name="error-2-d"),
        Sample((x(2, 3, 0, 4), 2), name="error-empty-spatial"),
        Sample((x(2, 3, 4, 4), -1), name="error-negative"),
        Sample((x(2, 3, 4, 4), (2, 2, 2)), name="error-len"),
        Sample((np.ones((1, 1, 4, 4), np.int64), 2), name="error-int"),
    ]


@_sampler
def _adaptive_avg2d_forward_only(x: Any, rng: Any) -> list[Sample]:
    # torch computes these but its backward refuses empty gradients
    return [
        Sample((x(2, 3, 5, 4), (2, 0)), name="zero-output"),
        Sample((x(2, 0, 4, 4), 2), name="no-channels"),
    ]


@_sampler
def _adaptive_max2d(x: Any, rng: Any) -> list[Sample]:
    return [
        Sample((x(2, 3, 6, 6), 3), {"return_indices": True}, name="divisible"),
        Sample((x(2, 3, 7, 5), (3, 4)), {"return_indices": True}, name="overlapping"),
        Sample((x(2, 3, 7, 5), (None, 2)), name="none-entry"),
        Sample((x(3, 3, 4), (5, 7)), {"return_indices": True}, name="upsampling-unbatched"),
        Sample((x(2, 3, 5, 4), 1), name="global"),
        Sample((x(0, 3, 4, 4), 2), name="empty-batch"),
        Sample((x(2, 0, 4, 4), 2), name="error-no-channels"),
        Sample((x(9, 9), 2), name="error-2-d"),
        Sample((np.ones((1, 1, 4, 4), np.int64), 2), name="error-int"),
    ]


@_sampler
def _adaptive_1d(x: Any, rng: Any) -> list[Sample]:
    return [
        Sample((x(2, 3, 7), 3), name="batched"),
        Sample((x(3, 5), 8), name="unbatched"),
        Sample((x(9), 2), name="error-1-d"),
        Sample((x(2, 3, 7), (3, 3)), name="error-len"),
    ]


# --- unfold / fold ----------------------------------------------------------------------------


@_sampler
def _unfold(x: Any, rng: Any) -> list[Sample]:
    return [
        Sample((x(2, 3, 5, 6), 2), name="basic"),
        Sample(
            (x(2, 2, 7, 6), (3, 2)), {"dilation": 2, "padding": 1, "stride": (2, 1)}, name="options"
        ),
        Sample((x(3, 4, 4), 3), {"padding": 1}, name="unbatched"),
        Sample((x(0, 2, 4, 4), 2), name="empty-batch"),
        Sample((x(2, 3, 4, 4), 5), name="error-too-big"),
        Sample((x(2, 3, 4, 4), 0), name="error-kernel"),
        Sample((x(2, 3, 4, 4), 2), {"stride": 0}, name="error-stride"),
        Sample((x(2, 0, 4, 4), 2), name="error-no-channels"),
        Sample((x(2, 3, 4, 4), (2, 2, 2)), name="error-kernel-len"),
        Sample((np.ones((1, 1, 4, 4), np.int64), 2), name="error-int"),
    ]


@_sampler
def _fold(x: Any, rng: Any) -> list[Sample]:
    return [
        Sample((x(2, 12, 20), (5, 6), 2), name="basic"),
        Sample(
            (x(12, 16), (7, 7), 2), {"stride": 2, "padding": 1, "dilation": 2}, name="unbatched"
        ),
        Sample((x(1, 8, 6), (3, 4), (2, 2)), {"stride": (1, 2)}, name="stride"),
        Sample((x(0, 12, 20), (5, 6), 2), name="empty-batch"),
        Sample((x(2, 13, 20), (5, 6), 2), name="error-channels"),
        Sample((x(2, 12, 19), (5, 6), 2), name="error-blocks"),
        Sample((x(2, 27, 1), (1, 1), 3), name="error-negative-blocks"),
        Sample(
            (
                x(
                    27,
                ),
                (8, 8),
                3,
            ),
            name="error-1-d",
        ),
    ]


# --- interpolate ------------------------------------------------------------------------------


@_sampler
def _interpolate(x: Any, rng: Any) -> list[Sample]:
    return [
        Sample((x(2, 3, 4, 5),), {"scale_factor": 2}, name="nearest-x2"),
        Sample((x(2, 3, 4, 5),), {"scale_factor": 1.7}, name="nearest-1.7"),
        Sample((x(2, 3, 5, 7),), {"size": (3, 11)}, name="nearest-size"),
        Sample(
            (x(2, 3, 7),), {"scale_factor": 0.6, "mode": "nearest-exact"}, name="nearest-exact-1d"
        ),
        Sample(
            (x(1, 2, 5, 7),), {"size": (8, 4), "mode": "nearest-exact"}, name="nearest-exact-2d"
        ),
        Sample((x(1, 2, 3, 4, 2),), {"scale_factor": (2, 1.5, 1)}, name="nearest-3d"),
        Sample(
            (x(1, 2, 3, 2, 3),),
            {"scale_factor": 1.5, "mode": "nearest-exact"},
            name="nearest-exact-3d",
        ),  # fmt: skip
        Sample((x(2, 3, 5),), {"scale_factor": 2.3, "mode": "linear"}, name="linear"),
        Sample(
            (x(2, 3, 5),), {"size": 9, "mode": "linear", "align_corners": True}, name="linear-ac"
        ),
        Sample((x(2, 3, 4, 5),), {"size": (3, 11), "mode": "bilinear"}, name="bilinear"),
        Sample(
            (x(2, 3, 4, 5),),
            {"scale_factor": 2, "mode": "bilinear", "align_corners": True},
            name="bilinear-ac",
        ),  # fmt: skip
        Sample(
            (x(1, 2, 5, 5),), {"scale_factor": (0.6, 1.5), "mode": "bilinear"}, name="bilinear-down"
        ),
        Sample(
            (x(1, 2, 4, 4),),
            {"size": (1, 3), "mode": "bilinear", "align_corners": True},
            name="bilinear-size-1",
        ),  # fmt: skip
        Sample((x(1, 2, 3, 2, 3),), {"scale_factor": 2, "mode": "trilinear"}, name="trilinear"),
        Sample((x(2, 3, 7, 6),), {"size": (3, 4), "mode": "area"}, name="area"),
        Sample((x(0, 3, 4, 4),), {"scale_factor": 2}, name="empty-batch"),
        Sample((x(4, 4),), {"scale_factor": 2}, name="error-2-d"),
        Sample((x(1, 1, 4, 4),), {"size": 3, "scale_factor": 2}, name="error-both"),
        Sample((x(1, 1, 4, 4),), {}, name="error-neither"),
        Sample(
            (x(1, 1, 4, 4),), {"scale_factor": 2, "align_corners": True}, name="error-nearest-ac"
        ),
        Sample((x(1, 4, 4),), {"scale_factor": 2, "mode": "bilinear"}, name="error-bilinear-3-d"),
        Sample((x(1, 1, 4, 4),), {"size": (3,)}, name="error-size-len"),
        Sample((x(1, 1, 4, 4),), {"size": 0}, name="error-zero-size"),
        Sample((x(1, 0, 4, 4),), {"scale_factor": 2}, name="error-no-channels"),
        Sample((x(1, 1, 4, 4),), {"scale_factor": 2, "mode": "cubist"}, name="error-mode"),
    ]


POOL_OPS = [
    OpInfo(
        "F.max_pool2d",
        lambda m, x, k, **kw: F(m).max_pool2d(x, k, **kw),
        _max_pool2d,
        ("MaxPool2DWithIndicesBackward0",),
    ),  # fmt: skip
    OpInfo(
        "max_pool2d",
        lambda m, x, k, **kw: m.max_pool2d(x, k, **kw),
        lambda rng, dt: _max_pool2d(rng, dt)[:3],
        ("MaxPool2DWithIndicesBackward0",),
    ),  # fmt: skip
    OpInfo(
        "F.max_pool2d_noncontiguous",
        lambda m, x, k, **kw: F(m).max_pool2d(x.transpose(-1, -2), k, **kw),
        lambda rng, dt: _max_pool2d(rng, dt)[1:3],
        ("MaxPool2DWithIndicesBackward0",),
    ),  # fmt: skip
    OpInfo(
        "F.max_pool2d_special",
        lambda m, x, k, **kw: F(m).max_pool2d(x, k, **kw),
        _special_values,
        ("MaxPool2DWithIndicesBackward0",),
        gradcheck=False,
        gradgrad=False,
    ),  # fmt: skip
    OpInfo("F.max_pool1d", lambda m, x, k, **kw: F(m).max_pool1d(x, k, **kw), _max_pool1d),
    OpInfo(
        "F.avg_pool2d",
        lambda m, x, k, **kw: F(m).avg_pool2d(x, k, **kw),
        _avg_pool2d,
        ("AvgPool2DBackward0",),
    ),  # fmt: skip
    OpInfo(
        "F.avg_pool2d_noncontiguous",
        lambda m, x, k, **kw: F(m).avg_pool2d(x.transpose(-1, -2), k, **kw),
        lambda rng, dt: _avg_pool2d(rng, dt)[1:3],
        ("AvgPool2DBackward0",),
    ),  # fmt: skip
    OpInfo("F.avg_pool1d", lambda m, x, k, **kw: F(m).avg_pool1d(x, k, **kw), _avg_pool1d),
    OpInfo(
        "F.adaptive_avg_pool2d",
        lambda m, x, o: F(m).adaptive_avg_pool2d(x, o),
        _adaptive_avg2d,
        ("AdaptiveAvgPool2DBackward0", "MeanBackward1"),
    ),  # fmt: skip
    OpInfo(
        "F.adaptive_avg_pool2d_empty",
        lambda m, x, o: F(m).adaptive_avg_pool2d(x, o),
        _adaptive_avg2d_forward_only,
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "F.adaptive_max_pool2d",
        lambda m, x, o, **kw: F(m).adaptive_max_pool2d(x, o, **kw),
        _adaptive_max2d,
        ("AdaptiveMaxPool2DBackward0",),
    ),  # fmt: skip
    OpInfo("F.adaptive_avg_pool1d", lambda m, x, o: F(m).adaptive_avg_pool1d(x, o), _adaptive_1d),
    OpInfo(
        "F.adaptive_max_pool1d",
        lambda m, x, o: F(m).adaptive_max_pool1d(x, o, return_indices=True),
        _adaptive_1d,
    ),  # fmt: skip
    OpInfo("adaptive_max_pool1d", lambda m, x, o: m.adaptive_max_pool1d(x, o), _adaptive_1d),
    OpInfo(
        "F.unfold", lambda m, x, k, **kw: F(m).unfold(x, k, **kw), _unfold, ("Im2ColBackward0",)
    ),
    OpInfo(
        "F.fold", lambda m, x, o, k, **kw: F(m).fold(x, o, k, **kw), _fold, ("Col2ImBackward0",)
    ),
    OpInfo(
        "F.interpolate",
        lambda m, x, **kw: F(m).interpolate(x, **kw),
        _interpolate,
        (
            "UpsampleNearest1DBackward0",
            "UpsampleNearest2DBackward0",
            "UpsampleNearest3DBackward0",
            "UpsampleNearestExact1DBackward0",
            "UpsampleNearestExact2DBackward0",
            "UpsampleNearestExact3DBackward0",
            "UpsampleLinear1DBackward0",
            "UpsampleBilinear2DBackward0",
            "UpsampleTrilinear3DBackward0",
            "AdaptiveAvgPool2DBackward0",
        ),
        atol=2e-5,
        grad_atol=2e-5,
    ),  # fmt: skip
]
