"""In-place changes through views: the base's history is rewritten (``CopySlices``) and views
whose memory changed get ``AsStridedBackward0`` of the base (see ``autograd/views.py``).

A view is described here by its *positions*: for each element of the view, the index of the
same memory in its base flattened in C order (computed from the two arrays' addresses and
strides, so any view op, or chain of them, is covered).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import Node, grad_accumulator, init_node

__all__ = ["AsStridedBackward0", "CopySlices", "regenerate", "rebase_view", "positions"]


def positions(base: np.ndarray, view: np.ndarray) -> np.ndarray:
    """For each element of ``view`` (an array viewing ``base``'s memory), its index in
    ``base`` flattened in C order."""
    start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    offsets = _byte_offsets(view.shape, view.strides, start)
    if base.flags.c_contiguous:
        return offsets // base.itemsize
    in_base = _byte_offsets(base.shape, base.strides, 0).ravel()
    order = np.argsort(in_base, kind="stable")
    return order[np.searchsorted(in_base[order], offsets)]  # type: ignore[no-any-return]


def _byte_offsets(shape: tuple[int, ...], strides: tuple[int, ...], start: int) -> np.ndarray:
    out = np.full(shape, start, dtype=np.int64)
    nd = len(shape)
    for d, (n, s) in enumerate(zip(shape, strides)):
        out += (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (nd - d - 1))
    return out


def _edge(t: Tensor) -> tuple[Any, int]:
    if t._grad_fn is not None:
        return t._grad_fn, t._output_nr
    if t._rg:
        return grad_accumulator(t), 0
    return None, 0


class AsStridedBackward0(Node):
    """y = the base's elements at the view's positions p;  b̄ = zeros of the base's shape with
    ȳ added at p (positions may repeat: an expanded view)."""

    index: Tensor  # the view's positions p

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        g = grads[0]
        if g is None:
            return (None,)
        from .._creation import zeros

        shape, dtype = self._in_meta[0]
        flat = zeros(int(np.prod(shape)), dtype=g.dtype)
        return (flat.index_add(0, self.index.reshape(-1), g.reshape(-1)).view(shape),)


class CopySlices(Node):
    """base[p] = f(base[p], others...) in place, through a view at positions p:
    b̄ = ȳ with ȳ[p] replaced by the gradient f gives its view input; the other inputs get
    what f gives them."""

    fn: Node | None  # the in-place op's node
    index: Tensor  # the view's positions p
    overlapping = False  # p repeats (an expanded view)

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        g = grads[0]
        fn = self.fn
        n_others = len(self.next_functions) - 1
        if g is None:
            return (None,) * (1 + n_others)
        if fn is not None and self.overlapping:  # torch writes f's gradient into the view
            from ._registry import INTERNAL_OVERLAP_MESSAGE

            raise RuntimeError(INTERNAL_OVERLAP_MESSAGE)
        flat = g.reshape(-1)
        index = self.index.reshape(-1)
        region = None
        others: tuple[Any, ...] = (None,) * n_others
        if fn is not None:
            from ..autograd.engine import _reduce_to_input

            out = fn.apply_backward((flat.take(self.index),))
            meta = fn._in_meta[0]
            region = out[0]
            if region is not None and meta is not None:
                data = region._data
                if data.shape != meta[0] or data.dtype != meta[1]:
                    region = _reduce_to_input(region, meta, fn, 0)
            others = tuple(out[1:])
        if region is None:
            from .._creation import zeros

            region = zeros(index.shape, dtype=g.dtype)
        new = flat.index_put((index,), region.reshape(-1))
        return (new.view(self._in_meta[0][0]), *others)

    def _release(self) -> None:
        # Note: as torch, the node lets go of f (whose saved values go with it unless f is
        # still reachable elsewhere, e.g. through its saved output in a double backward);
        # running this node again then raises the "backward through the graph a second
        # time" error.
        if self.fn is not None:
            self.fn = None
            self._released = True


def _make(cls: type[Node], edges: tuple[Any, ...], metas: tuple[Any, ...]) -> Any:
    node = cls.__new__(cls)
    init_node(node, edges, metas)
    return node


def regenerate(view: Tensor) -> None:
    """Give the view ``AsStridedBackward0`` of its base's current history."""
    base = view._view[0]  # type: ignore[index]
    node = _make(AsStridedBackward0, (_edge(base),), ((base._data.shape, base._data.dtype),))
    node.index = Tensor._make(positions(base._data, view._data), False, None, 0)
    view._grad_fn = node
    view._output_nr = 0
    view._rg = True


def rebase_view(view: Tensor, fn: Node | None) -> None:
    """After ``fn`` (the in-place op's node, None when its result has no graph) changed
    ``view`` in place: the base becomes ``CopySlices`` of its old history and ``fn``, and the
    view ``AsStridedBackward0`` of the base."""
    base, kind, _ = view._view  # type: ignore[misc]
    index = Tensor._make(positions(base._data, view._data), False, None, 0)
    base_meta = (base._data.shape, base._data.dtype)
    if fn is None:
        edges: tuple[Any, ...] = (_edge(base),)
        metas: tuple[Any, ...] = (base_meta,)
    else:
        edges = (_edge(base), *fn.next_functions[1:])
        metas = (base_meta, *fn._in_meta[1:])
    node = _make(CopySlices, edges, metas)
    node.fn = fn
    node.index = index
    node.overlapping = view._data.size > 1 and any(
        st == 0 and n > 1 for n, st in zip(view._data.shape, view._data.strides)
    )
    base._grad_fn = node
    base._output_nr = 0
    base._rg = True
    strided = _make(AsStridedBackward0, ((node, 0),), (base_meta,))
    strided.index = index
    if fn is not None and fn._out_saved.__class__ is tuple:
        # fn saved its output (the view): unpacked, it has the view's new history
        fn._out_saved = (*fn._out_saved[:4], weakref.ref(strided))
    view._grad_fn = strided
    view._output_nr = 0
    view._rg = True
    view._view = (base, kind, view._vc.value)  # type: ignore[union-attr]
