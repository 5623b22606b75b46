"""Ops of ``nn.functional`` that copy elements by index: ``embedding`` (rows of a table) and
padding (``constant_pad_nd``, and reflect/replicate padding as index maps along the last
one to three dims).

A reflect or replicate pad is ``y = take(x, idx)`` along each padded dim, where ``idx`` maps
every output position to the input position it copies; its backward adds ȳ back at those
positions (``index_add``), which is itself differentiable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ._registry import OWN, OpNode, register
from .elementwise import where
from .indexing_select import IndexAddBackward0

__all__ = ["embedding_kernel", "constant_pad_nd", "index_pad"]


def _zeros(shape: tuple[int, ...], dtype: np.dtype) -> Tensor:
    return Tensor._make(np.zeros(shape, dtype), False, None, 0)


class EmbeddingBackward0(OpNode):
    """y = W[i] (rows of the table W picked by the integer indices i);
    W̄ = Σ over positions with index r of ȳ (rows equal to ``padding_idx`` get none; with
    ``scale_grad_by_freq`` each contribution is divided by how often its index occurs)."""

    promote = OWN
    save = (1,)  # the indices, as torch saves them: an in-place change of them is caught
    no_edge = (1,)  # the indices (torch's node has one edge, for the table)

    def forward(self, w: np.ndarray, idx: np.ndarray, padding_idx: int | None,
                scale_grad_by_freq: bool) -> Any:  # fmt: skip
        self.index = idx.reshape(-1)
        self.table_shape = w.shape
        self.padding_idx = padding_idx
        self.counts = None
        if scale_grad_by_freq:
            uniques, inverse, counts = np.unique(
                self.index, return_inverse=True, return_counts=True
            )
            self.counts = counts[inverse].astype(w.dtype)
        return np.take(w, idx, axis=0)

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        self.saved_tensors  # noqa: B018 - version check only (the indices are in self.index)
        rows = g.reshape(self.index.size, self.table_shape[1])  # type: ignore[attr-defined]
        if self.padding_idx is not None:
            hit = Tensor._make((self.index == self.padding_idx)[:, None], False, None, 0)
            rows = where(hit, 0.0, rows)
        if self.counts is not None:
            rows = rows / Tensor._make(self.counts[:, None], False, None, 0)
        table = _zeros(self.table_shape, g.dtype.np)
        return IndexAddBackward0.apply(table, rows, dim=0, index=self.index, alpha=1)

    def jvp(self, dw: Any, di: Any, w: Tensor, idx: Tensor, y: Tensor) -> Any:
        """ẏ = Ẇ[i]. As in torch, ``padding_idx`` and ``scale_grad_by_freq`` shape only the
        backward: the padding row's tangent passes, unscaled."""
        if dw is None:
            return None
        return EmbeddingBackward0.apply(dw, idx, padding_idx=None, scale_grad_by_freq=False)


def embedding_kernel(weight: Tensor, indices: Tensor, padding_idx: int | None,
                     scale_grad_by_freq: bool) -> Tensor:  # fmt: skip
    """Rows of ``weight`` at ``indices`` (checked by the caller)."""
    return EmbeddingBackward0.apply(  # type: ignore[no-any-return]
        weight, indices, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
    )


# --- constant padding ------------------------------------------------------------------------


class ConstantPadNdBackward0(OpNode):
    """y = x with ``value`` added around the last dims (negative pads crop);
    x̄ = ȳ cropped back, i.e. constant_pad_nd(ȳ, −pad)."""

    promote = OWN

    def forward(self, a: np.ndarray, pad: tuple[int, ...], value: Any) -> Any:
        self.pad = pad
        if not pad:
            return a.copy()
        out = a
        widths = []
        for k in range(len(pad) // 2):
            axis = a.ndim - 1 - k
            left, right = pad[2 * k], pad[2 * k + 1]
            start, stop = max(-left, 0), a.shape[axis] - max(-right, 0)
            out = (
                np.take(out, np.arange(start, stop), axis=axis)
                if (start or stop != a.shape[axis])
                else out
            )
            widths.append((axis, max(left, 0), max(right, 0)))
        spec = [(0, 0)] * a.ndim
        for axis, left, right in widths:
            spec[axis] = (left, right)
        fill = np.array(value).astype(a.dtype) if a.dtype.kind != "b" else bool(value)
        padded = np.pad(out, spec, mode="constant", constant_values=fill)
        return np.asarray(padded, order="C")  # (torch's layout)

    def backward(self, g: Tensor) -> Tensor:
        return ConstantPadNdBackward0.apply(g, pad=tuple(-p for p in self.pad), value=0)  # type: ignore[no-any-return]

    def jvp(self, dx: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """ẏ = ẋ padded with zeros (the fill value is a constant)."""
        return ConstantPadNdBackward0.apply(dx, pad=self.pad, value=0)  # type: ignore[no-any-return]


@register(method=False)
def constant_pad_nd(input: Tensor, pad: Any, value: Any = 0) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims with ``value``; ``pad`` lists (left, right) pairs
    starting from the last dim. Negative amounts remove elements."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    for k in range(len(pad) // 2):
        axis = input.ndim - 1 - k
        # (torch crops first: what the negative amounts keep may not be negative)
        if input.shape[axis] + min(pad[2 * k], 0) + min(pad[2 * k + 1], 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
    return ConstantPadNdBackward0.apply(input, pad=pad, value=value)  # type: ignore[no-any-return]


# --- reflect and replicate padding -----------------------------------------------------------


def _source_positions(size: int, left: int, right: int, mode: str) -> np.ndarray:
    """For each output position along one dim, the input position it copies."""
    p = np.arange(-left, size + right)
    if mode == "reflect":
        p = np.abs(p)
        return np.where(p >= size, 2 * (size - 1) - p, p)
    return np.clip(p, 0, size - 1)


class _IndexPad(OpNode):
    """y = take(x, idxₖ) along each padded dim k;  x̄ = index_add of ȳ back, dim by dim."""

    save = (0,)  # torch saves the input: an in-place change of it is caught
    linear = True  # forward mode: ẏ = take(ẋ, idxₖ), the same pad of the tangent

    def forward(self, a: np.ndarray, pad: tuple[int, ...], mode: str) -> Any:
        self.steps = []
        out = a
        for k in range(len(pad) // 2):
            axis = a.ndim - 1 - k
            idx = _source_positions(a.shape[axis], pad[2 * k], pad[2 * k + 1], mode)
            self.steps.append((axis, out.shape, idx))
            out = np.take(out, idx, axis=axis)
        return out

    def backward(self, g: Tensor) -> Tensor:
        self.saved_tensors  # noqa: B018 - version check only
        for axis, shape, idx in reversed(self.steps):
            g = IndexAddBackward0.apply(_zeros(shape, g.dtype.np), g, dim=axis, index=idx, alpha=1)
        return g


class ReflectionPad1DBackward0(_IndexPad):
    """Reflect padding of the last dim (mirrored without repeating the edge)."""


class ReflectionPad2DBackward0(_IndexPad):
    """Reflect padding of the last two dims."""


class ReflectionPad3DBackward0(_IndexPad):
    """Reflect padding of the last three dims."""


class ReplicationPad1DBackward0(_IndexPad):
    """Replicate padding of the last dim (the edge value repeated)."""


class ReplicationPad2DBackward0(_IndexPad):
    """Replicate padding of the last two dims."""


class ReplicationPad3DBackward0(_IndexPad):
    """Replicate padding of the last three dims."""


_INDEX_PAD_NODES: dict[tuple[str, int], type[_IndexPad]] = {
    ("reflect", 1): ReflectionPad1DBackward0,
    ("reflect", 2): ReflectionPad2DBackward0,
    ("reflect", 3): ReflectionPad3DBackward0,
    ("replicate", 1): ReplicationPad1DBackward0,
    ("replicate", 2): ReplicationPad2DBackward0,
    ("replicate", 3): ReplicationPad3DBackward0,
}

_DIM_LETTERS = ("W", "H", "D")


def index_pad(input: Tensor, pad: tuple[int, ...], mode: str) -> Tensor:
    """Reflect or replicate padding of the last ``len(pad) // 2`` (1 to 3) dims; the caller
    has checked that the input has one or two more dims than that."""
    n = len(pad) // 2
    shape = tuple(input.shape)
    batched = input.ndim == n + 2
    if any(s == 0 for s in shape[1 if batched else 0 :]):
        raise RuntimeError(
            f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 batch size and "
            f"other non-zero dimensions for input, but got: [{', '.join(map(str, shape))}]"
        )
    for k in range(n):
        axis = input.ndim - 1 - k
        size, left, right = shape[axis], pad[2 * k], pad[2 * k + 1]
        if mode == "reflect" and (left >= size or right >= size):
            raise RuntimeError(
                f"Argument #{4 + 2 * k}: Padding size should be less than the corresponding "
                f"input dimension, but got: padding ({left}, {right}) at dimension {axis} of "
                f"input [{', '.join(map(str, shape))}]"
            )
        if size + left + right < 0:
            raise RuntimeError(
                f"input ({_DIM_LETTERS[k]}: {size}) is too small. Calculated output "
                f"{_DIM_LETTERS[k]}: {size + left + right}"
            )
    return _INDEX_PAD_NODES[mode, n].apply(input, pad=pad, mode=mode)  # type: ignore[no-any-return]
