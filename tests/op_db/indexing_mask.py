"""Op table entries for the boolean-mask ops: masked_fill (number and 0-d tensor values),
masked_select, masked_scatter (and their in-place forms), nonzero and argwhere.

Masks broadcast against the input (both ways); the errors are torch's for non-bool masks,
shapes that do not broadcast, too short a source and mismatched dtypes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr


def _nc(rng: Any, shape: tuple[int, int], dt: Any) -> np.ndarray:
    return arr(rng, shape[::-1], dt).T


# --- masks ------------------------------------------------------------------------------------


def _mask(rng: Any, shape: tuple[int, ...]) -> np.ndarray:
    return np.asarray(rng.random(shape) < 0.5)


def _masked_fill_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), _mask(rng, (3, 4)), 0.5), name="same-shape"),
        Sample((arr(rng, (3, 4), dt), _mask(rng, (4,)), -2), name="broadcast-mask"),
        Sample((arr(rng, (4,), dt), _mask(rng, (3, 4)), 1.0), name="broadcast-input"),
        Sample((_nc(rng, (3, 4), dt), _mask(rng, (3, 1)), -1e3), name="nc-column-mask"),
        Sample((arr(rng, (), dt), np.array(True), 3.0), name="0-d"),
        Sample((arr(rng, (0, 4), dt), _mask(rng, (0, 4)), 3.0), name="empty"),
        Sample((arr(rng, (3,), "int64"), _mask(rng, (3,)), 2.7), name="int-input"),
        Sample((arr(rng, (3, 4), dt), np.ones((3, 4), np.uint8), 1.0), name="uint8-mask"),
        Sample((arr(rng, (3, 4), dt), np.ones((3, 4)), 1.0), name="float-mask"),
        Sample((arr(rng, (3, 4), dt), _mask(rng, (2, 4)), 1.0), name="shape-mismatch"),
    ]


def _masked_fill_tensor_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), _mask(rng, (3, 4)), arr(rng, (), dt)), name="same-shape"),
        Sample((arr(rng, (4,), dt), _mask(rng, (3, 4)), arr(rng, (), dt)), name="broadcast-input"),
        Sample(
            (_nc(rng, (3, 4), dt), _mask(rng, (4,)), arr(rng, (), "float64")),
            grad=(True, False, False),
            name="f64-value",
        ),
        Sample((arr(rng, (3, 4), dt), _mask(rng, (3, 4)), np.array(2)), name="int-value"),
        Sample((arr(rng, (3, 4), dt), _mask(rng, (3, 4)), arr(rng, (1,), dt)), name="1d-value"),
    ]


def _masked_select_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), _mask(rng, (3, 4))), name="same-shape"),
        Sample((arr(rng, (4,), dt), _mask(rng, (3, 4))), name="broadcast-input"),
        Sample((_nc(rng, (3, 4), dt), _mask(rng, (4,))), name="nc-broadcast-mask"),
        Sample((arr(rng, (), dt), np.array(True)), name="0-d"),
        Sample((arr(rng, (3, 4), dt), np.zeros((3, 4), bool)), name="none-selected"),
        Sample((arr(rng, (3, 4), dt), np.ones((3, 4))), name="float-mask"),
    ]


def _masked_scatter_samples(rng: Any, dt: Any) -> list[Sample]:
    return [
        Sample((arr(rng, (3, 4), dt), _mask(rng, (3, 4)), arr(rng, (12,), dt)), name="same-shape"),
        Sample((arr(rng, (3, 4), dt), _mask(rng, (4,)), arr(rng, (4, 5), dt)), name="more-source"),
        Sample((arr(rng, (4,), dt), _mask(rng, (2, 4)), arr(rng, (8,), dt)), name="bcast-input"),
        Sample((_nc(rng, (3, 4), dt), _mask(rng, (3, 4)), arr(rng, (3, 4), dt)), name="nc"),
        Sample((arr(rng, (), dt), np.array(True), arr(rng, (), dt)), name="0-d"),
        Sample((arr(rng, (3, 4), dt), np.ones((3, 4), bool), arr(rng, (5,), dt)), name="short"),
        Sample((arr(rng, (3, 4), dt), np.ones((3, 4)), arr(rng, (12,), dt)), name="float-mask"),
        Sample(
            (arr(rng, (3, 4), dt), _mask(rng, (3, 4)), arr(rng, (12,), "float16")), name="dtype"
        ),
    ]


def _nonzero_samples(rng: Any, dt: Any) -> list[Sample]:
    def sparse(shape: tuple[int, ...]) -> np.ndarray:
        a = arr(rng, shape, dt)
        return np.where(rng.random(shape) < 0.5, 0, a).astype(a.dtype)

    return [
        Sample((sparse((3, 4)),), name="2d"),
        Sample((sparse((2, 3, 2)),), name="3d"),
        Sample((np.array(2.0, dt),), name="0-d"),
        Sample((np.array(0.0, dt),), name="0-d-zero"),
        Sample((np.zeros((0, 3), dt),), name="empty"),
        Sample((_mask(rng, (5,)),), name="bool"),
    ]


NOT_DIFFERENTIABLE = {"grad": False, "gradcheck": False, "gradgrad": False}

MASK_OPS = [
    OpInfo(
        "masked_fill",
        lambda m, a, k, v: m.masked_fill(a, k, v),
        _masked_fill_samples,
        ("MaskedFillBackward0",),
    ),
    OpInfo(
        "masked_fill_tensor",
        lambda m, a, k, v: a.masked_fill(k, v),
        _masked_fill_tensor_samples,
        ("MaskedFillBackward1",),
    ),
    OpInfo(
        "masked_fill_",
        lambda m, a, k, v: a.clone().masked_fill_(k, v),
        _masked_fill_samples,
        ("MaskedFillBackward0",),
    ),
    OpInfo(
        "masked_select",
        lambda m, a, k: m.masked_select(a, k),
        _masked_select_samples,
        ("MaskedSelectBackward0",),
    ),
    OpInfo(
        "masked_scatter",
        lambda m, a, k, s: m.masked_scatter(a, k, s),
        _masked_scatter_samples,
        ("MaskedScatterBackward0",),
    ),
    OpInfo(
        "masked_scatter_",
        lambda m, a, k, s: a.clone().masked_scatter_(k, s),
        _masked_scatter_samples,
        ("MaskedScatterBackward0",),
    ),
    OpInfo("nonzero", lambda m, a: m.nonzero(a), _nonzero_samples, **NOT_DIFFERENTIABLE),
    OpInfo(
        "nonzero_as_tuple",
        lambda m, a: a.nonzero(as_tuple=True),
        _nonzero_samples,
        **NOT_DIFFERENTIABLE,
    ),
    OpInfo("argwhere", lambda m, a: m.argwhere(a), _nonzero_samples, **NOT_DIFFERENTIABLE),
]

OPS = MASK_OPS
