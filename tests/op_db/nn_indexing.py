"""Op table entries for the indexing kernels of nn.functional (ops/nn_indexing.py):
``embedding`` (EmbeddingBackward0) and ``pad`` in every mode (ConstantPadNdBackward0,
ReflectionPad{1,2,3}DBackward0, ReplicationPad{1,2,3}DBackward0; circular is composite).

Samples cover batched and unbatched inputs, negative pads (cropping), 0-d, empty and
non-contiguous inputs, repeated and padding indices, and torch's errors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import OpInfo, Sample, arr


def F(m: Any) -> Any:
    return m.nn.functional


def _t(rng: Any, shape: tuple[int, ...], dt: Any) -> np.ndarray:
    return arr(rng, shape[::-1], dt).T


def _embedding_samples(rng: Any, dt: Any) -> list[Sample]:
    table = arr(rng, (6, 3), dt)
    repeated = np.array([[0, 2, 2], [5, 1, 2]])
    return [
        Sample((np.array([1, 4, 0, 4]), table), name="1-d"),
        Sample((repeated, table), name="2-d-repeats"),
        Sample((np.array(3), table), name="0-d"),
        Sample((np.zeros(0, dtype=np.int64), table), name="empty"),
        Sample((repeated.astype(np.int32), table), name="int32"),
        Sample((repeated, _t(rng, (6, 3), dt)), name="non-contiguous"),
        Sample((np.array([0, 6]), table), name="error-out-of-range"),
        Sample((np.array([0, -1]), table), name="error-negative"),
        Sample((np.array([0, 6]), arr(rng, (6, 0), dt)), name="error-out-of-range-no-width"),
        Sample((np.array([0.0, 1.0], dtype=dt), table), name="error-float-indices"),
    ]


def _embedding_grad_rule_samples(rng: Any, dt: Any) -> list[Sample]:
    """``padding_idx`` and ``scale_grad_by_freq`` change the gradient on purpose (it is not
    the derivative of the lookup), so these are compared with torch, not gradchecked."""
    table = arr(rng, (6, 3), dt)
    repeated = np.array([[0, 2, 2], [5, 1, 2]])
    return [
        Sample((repeated, table), {"padding_idx": 2}, name="padding"),
        Sample((repeated, table), {"padding_idx": -1}, name="padding-negative"),
        Sample((repeated, table), {"padding_idx": 0}, name="padding-zero"),
        Sample((repeated, table), {"scale_grad_by_freq": True}, name="scale-by-freq"),
        Sample((repeated, table), {"padding_idx": 2, "scale_grad_by_freq": True}, name="both"),
    ]


def _padding_idx_errors(rng: Any, dt: Any) -> list[Sample]:
    """torch raises AssertionError here (checked by the forward test only)."""
    table = arr(rng, (6, 3), dt)
    return [
        Sample((np.array([1, 2]), table), {"padding_idx": 6}, name="error-padding-idx"),
        Sample((np.array([1, 2]), table), {"padding_idx": -7}, name="error-padding-negative"),
    ]


def _constant_samples(rng: Any, dt: Any) -> list[Sample]:
    def x(shape: tuple[int, ...]) -> np.ndarray:
        return arr(rng, shape, dt)

    return [
        Sample((x((2, 3, 4)), (1, 2)), name="last-dim"),
        Sample((x((2, 3, 4)), (1, 2, 0, 3)), name="two-dims"),
        Sample((x((2, 3, 4)), (1, 1, 1, 1, 1, 1)), name="all-dims"),
        Sample((x((2, 3, 4)), (-1, 2, 1, -2)), name="negative-crop"),
        Sample((x((2, 3, 4)), (-2, -2)), name="crop-to-empty"),
        Sample((x((2, 3, 4)), (1, 2)), {"value": 2.5}, name="value"),
        Sample((x((5,)), (2, 0)), name="1-d"),
        Sample((x(()), ()), name="0-d"),
        Sample((x((2, 0)), (1, 1)), name="empty"),
        Sample((_t(rng, (3, 4), dt), (1, 0, 2, 1)), name="non-contiguous"),
        Sample((arr(rng, (2, 3), "int64"), (1, 1)), {"value": 1.5}, name="int-value"),
        Sample((x((2, 3, 4)), (1,)), name="error-odd"),
        Sample((x((2, 3)), (1, 1, 1, 1, 1, 1)), name="error-too-long"),
        Sample((x((2, 3, 4)), (-2, -3)), name="error-negative-size"),
        Sample((x((2, 3, 4)), (-5, 3)), name="error-crop-before-pad"),  # (torch crops first)
    ]


def _mode_samples(mode: str) -> Any:
    def samples(rng: Any, dt: Any) -> list[Sample]:
        def x(shape: tuple[int, ...]) -> np.ndarray:
            return arr(rng, shape, dt)

        k = {"mode": mode}
        out = [
            Sample((x((2, 3, 5)), (2, 1)), k, name="1d-batched"),
            Sample((x((3, 5)), (1, 3)), k, name="1d-unbatched"),
            Sample((x((2, 3, 5)), (-1, 2)), k, name="1d-negative"),
            Sample((_t(rng, (5, 3), dt), (2, 2)), k, name="1d-non-contiguous"),
            Sample((x((0, 3, 5)), (1, 1)), k, name="1d-empty-batch"),
            Sample((x((2, 3, 4, 5)), (1, 2, 2, 1)), k, name="2d-batched"),
            Sample((x((3, 4, 5)), (0, 3, 1, 0)), k, name="2d-unbatched"),
            Sample((x((1, 2, 3, 4, 5)), (1, 1, 2, 0, 1, 2)), k, name="3d-batched"),
            Sample((x((2, 3, 4, 5)), (2, 1, 1, 1, 1, 1)), k, name="3d-unbatched"),
            Sample((x((2, 3, 5)), (1, 1, 1, 1, 1, 1)), k, name="error-dims"),
            Sample((x((5,)), (1, 1)), k, name="error-1-d"),
            Sample((x((2, 3, 5)), (1,)), k, name="error-odd"),
            Sample((x((2, 0, 5)), (1, 1)), k, name="error-empty-channel"),
            Sample((x((2, 3, 5)), (1, 1)), {**k, "value": 1.0}, name="error-value"),
            Sample((x((2, 3, 5)), (-3, -3)), k, name="error-too-small"),
        ]
        if mode != "replicate":
            out.append(Sample((x((2, 3, 5)), (6, 1)), k, name="error-too-large"))
        if mode == "circular":
            out = [s for s in out if s.name != "error-empty-channel"]
        return out

    return samples


def _bad_mode(rng: Any, dt: Any) -> list[Sample]:
    return [Sample((arr(rng, (2, 3, 4), dt), (1, 1)), {"mode": "mirror"}, name="error-mode")]


OPS = [
    OpInfo(
        "F.embedding",
        lambda m, i, w, **k: F(m).embedding(i, w, **k),
        _embedding_samples,
        ("EmbeddingBackward0",),
    ),
    OpInfo(
        "F.embedding_grad_rules",
        lambda m, i, w, **k: F(m).embedding(i, w, **k),
        _embedding_grad_rule_samples,
        ("EmbeddingBackward0",),
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "F.embedding_errors",
        lambda m, i, w, **k: F(m).embedding(i, w, **k),
        _padding_idx_errors,
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),
    OpInfo(
        "F.pad",
        lambda m, x, p, **k: F(m).pad(x, p, **k),
        _constant_samples,
        ("ConstantPadNdBackward0",),
    ),
    OpInfo(
        "constant_pad_nd",
        lambda m, x, p, **k: m.constant_pad_nd(x, p, **k),
        _constant_samples,
        ("ConstantPadNdBackward0",),
    ),
    OpInfo(
        "F.pad_reflect",
        lambda m, x, p, **k: F(m).pad(x, p, **k),
        _mode_samples("reflect"),
        ("ReflectionPad1DBackward0", "ReflectionPad2DBackward0", "ReflectionPad3DBackward0"),
    ),
    OpInfo(
        "F.pad_replicate",
        lambda m, x, p, **k: F(m).pad(x, p, **k),
        _mode_samples("replicate"),
        ("ReplicationPad1DBackward0", "ReplicationPad2DBackward0", "ReplicationPad3DBackward0"),
    ),  # fmt: skip
    # Note: torch writes circular padding with slice assignments (node CopySlices);
    # dyngrad concatenates slices (CatBackward0).
    OpInfo(
        "F.pad_circular",
        lambda m, x, p, **k: F(m).pad(x, p, **k),
        _mode_samples("circular"),
        check_grad_fn=False,
    ),
    OpInfo(
        "F.pad_bad_mode",
        lambda m, x, p, **k: F(m).pad(x, p, **k),
        _bad_mode,
        grad=False,
        gradcheck=False,
        gradgrad=False,
    ),
]
