"""Adaptive pooling: the output size is given and each output (i, j) covers the input window
rows [⌊i·H/Ho⌋, ⌈(i+1)·H/Ho⌉) × columns [⌊j·W/Wo⌋, ⌈(j+1)·W/Wo⌉).

- average: a separable window mean (nn_ops_resample.py), y = Σ window / size, x̄ = Mᵀȳ;
  an output of 1×1 is ``mean`` over the last two dims, as torch computes it.
- max: every window gathered (the windows' own taps, the last one repeated to the longest
  window's length), y = max, i = flat index of the first maximum (or the last NaN);
  x̄ = ȳ added at i, as for max pooling.
1-d forms pool a height-one 2-d input (node ``SqueezeBackward1``, as in torch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OWN, OpNode, register
from .elementwise_scalars import not_implemented_for
from .indexing_saved import saved_index, watch
from .nn_ops_pool import gather_at, max_scatter
from .nn_ops_resample import AdaptiveAvgPool2DBackward0, AxisMap, resample, window_map
from .reduction import mean
from .shape import squeeze, unsqueeze

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
]


def _dims(shape: Any) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _argmax_last(win: np.ndarray) -> np.ndarray:
    """Index of the first maximum along the last axis; of the last NaN where there is one
    (torch's rule: a NaN replaces the running maximum)."""
    arg = np.argmax(win, axis=-1)
    if win.dtype.kind == "f":
        nan = np.isnan(win)
        if nan.any():
            last_nan = win.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
            arg = np.where(nan.any(axis=-1), last_nan, arg)
    return arg


def _overlapping(m: AxisMap) -> bool:
    """Whether some window ends after the next one starts (then indices may repeat)."""
    if m.out < 2 or m.index.shape[0] == 0:
        return False
    return bool((m.index[-1, :-1] >= m.index[0, 1:]).any())


class AdaptiveMaxPool2DBackward0(OpNode):
    """(y, i) = max and argmax over each adaptive window;  x̄ = ȳ added at i."""

    promote = OWN
    n_outputs = 2
    save = (0,)  # as torch: the input and the indices output are checked for in-place changes
    indices = saved_index()

    def forward(self, x: np.ndarray, out: tuple[int, int]) -> Any:
        lead = x.shape[:-2]
        h, w = x.shape[-2:]
        rows, cols = window_map(h, out[0]), window_map(w, out[1])
        if 0 in out or 0 in lead:
            values, idx = np.zeros(lead + out, x.dtype), np.zeros(lead + out, np.int64)
        else:
            ri, ci = rows.index.T, cols.index.T  # (Ho, th), (Wo, tw)
            win = x[..., ri[:, None, :, None], ci[None, :, None, :]]  # (..., Ho, Wo, th, tw)
            win = win.reshape(win.shape[:-2] + (-1,))
            arg = _argmax_last(win)
            values = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
            tw = ci.shape[1]
            r = ri[np.arange(out[0])[:, None], arg // tw]  # the row and column each
            c = ci[np.arange(out[1])[None, :], arg % tw]  # maximum was taken from
            idx = r * w + c
        if isinstance(self, OpNode):
            self.indices = idx
            self.plane = (h, w)
            self.unique = not (_overlapping(rows) or _overlapping(cols))
        return values, idx

    def backward(self, g: Tensor, _g_indices: Any) -> tuple[Any, ...]:
        self.saved_tensors  # noqa: B018 - version check only
        return (max_scatter(g, self.indices, self.plane, self.unique),)

    def jvp(self, dx: Tensor, x: Tensor, out: tuple[Tensor, Tensor]) -> tuple[Any, None]:
        """ẏ = ẋ gathered at i (the indices get no tangent)."""
        return gather_at(dx, out[1]), None


def _output_size(fn: str, input: Tensor, output_size: Any, n: int) -> tuple[int, ...]:
    """torch's output_size: an int, or a sequence with None meaning "the input's size"."""
    if isinstance(output_size, (list, tuple)) and input.ndim <= len(output_size):
        # (torch's Python wrapper checks this before the kernel checks anything)
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != n:
            raise RuntimeError(f"{fn}: output_size must be {n}")
        sizes = tuple(
            input.shape[input.ndim - n + i] if v is None else v for i, v in enumerate(output_size)
        )
    elif output_size is None or not hasattr(output_size, "__index__"):
        raise TypeError(f"object of type '{type(output_size).__name__}' has no len()")
    else:
        sizes = (int(output_size),) * n
    return tuple(int(v) for v in sizes)


def _check_input(fn: str, input: Tensor, out: tuple[int, ...], first_checked: int) -> None:
    if input.ndim not in (3, 4):
        sep = ": " if fn == "adaptive_max_pool2d" else " "
        raise RuntimeError(f"{fn}(): Expected 3D or 4D tensor, but got{sep}{_dims(input.shape)}")
    for d in range(input.ndim - first_checked, input.ndim):
        if input.shape[d] == 0:
            raise RuntimeError(
                f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input "
                f"has sizes {_dims(input.shape)} with dimension {d} being empty"
            )
    if any(o < 0 for o in out):
        raise RuntimeError(
            f"{fn}: elements of output_size must be greater than or equal to 0 but received "
            "{" + ", ".join(str(o) for o in out) + "}"
        )


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average over adaptive windows of the last two dims of ``(C, H, W)`` / ``(N, C, H, W)``."""
    out = _output_size("adaptive_avg_pool2d", input, output_size, 2)
    if out == (1, 1):
        return mean(input, (-1, -2), keepdim=True)
    _check_input("adaptive_avg_pool2d", input, out, 2)
    if input._data.dtype.kind != "f":
        shape = tuple(input.shape[:-2]) + tuple(out)
        if input.numel() != 0 and 0 not in shape:
            raise not_implemented_for("adaptive_avg_pool2d", input._data.dtype)
        # an empty input or result: no kernel runs, torch gives an empty result of its dtype
        empty = np.zeros(shape, input._data.dtype)
        return Tensor._make(empty, False, None, 0)
    h, w = input.shape[-2:]
    return resample(
        AdaptiveAvgPool2DBackward0, input, (window_map(h, out[0]), window_map(w, out[1]))
    )


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Maximum over adaptive windows; with ``return_indices`` also their flat indices."""
    out = _output_size("adaptive_max_pool2d", input, output_size, 2)
    _check_input("adaptive_max_pool2d", input, out, input.ndim - 1 if input.ndim == 4 else 2)
    if input._data.dtype.kind != "f":
        raise not_implemented_for("adaptive_max_pool2d", input._data.dtype)
    values, indices = AdaptiveMaxPool2DBackward0.apply(input, out=(out[0], out[1]))
    watch(values, "indices", indices)
    return (values, indices) if return_indices else values


def _check_1d(fn: str, input: Tensor, output_size: Any) -> int:
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
            f"'self' (while checking arguments for {fn})"
        )
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != 1:
            raise RuntimeError(
                f"{fn}() argument 'output_size' should contain one int (got {len(output_size)})"
            )
        output_size = output_size[0]
    return int(output_size)


@register(method=False)
def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average over adaptive windows of the last dim of ``(C, L)`` / ``(N, C, L)``."""
    size = _check_1d("adaptive_avg_pool1d", input, output_size)
    return squeeze(adaptive_avg_pool2d(unsqueeze(input, -2), (1, size)), -2)


@register(method=False)
def adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """Maximum over adaptive windows of the last dim of ``(C, L)`` / ``(N, C, L)``: (values,
    indices), as ``torch.adaptive_max_pool1d`` returns them."""
    size = _check_1d("adaptive_max_pool1d", input, output_size)
    values, indices = adaptive_max_pool2d(unsqueeze(input, -2), (1, size), return_indices=True)
    return squeeze(values, -2), squeeze(indices, -2)
