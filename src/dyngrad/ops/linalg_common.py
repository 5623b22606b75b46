"""Shared pieces of the matrix decompositions: torch's input checks and error wording,
``LinAlgError``, the named-tuple result types (``torch.return_types.linalg_qr`` ...), and
small helpers for backward formulas on stacks of matrices.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import (
    FREED_MESSAGE,
    _modified_output_error,
    make_tensor,
    version_counter,
)
from ._registry import _TYPE_NAMES

__all__ = [
    "LinAlgError",
    "check_float",
    "check_lapack_dtype",
    "check_not_low_precision",
    "check_square",
    "constant",
    "eye_like",
    "half_through_single",
    "result_type",
]


class LinAlgError(RuntimeError):
    """A matrix that the requested decomposition cannot handle (singular, not positive-definite).

    Like ``torch.linalg.LinAlgError``, a subclass of RuntimeError."""


def check_float(op: str, a: Tensor) -> None:
    if not a.dtype.is_floating_point:
        raise RuntimeError(
            f"{op}: Expected a floating point or complex tensor as input. Got "
            f"{_TYPE_NAMES[a.dtype.name]}"
        )


def check_matrix(op: str, a: Tensor) -> None:
    if a.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")


def check_square(op: str, a: Tensor) -> None:
    """torch's checks for ops on (batches of) square float matrices, in torch's order."""
    check_matrix(op, a)
    rows, cols = a.shape[-2:]
    if rows != cols:
        raise RuntimeError(
            f"{op}: A must be batches of square matrices, but they are {rows} by {cols} matrices"
        )
    check_float(op, a)


def check_lapack_dtype(kernel: str, a: Tensor) -> None:
    """torch's CPU LAPACK kernels (``"lu_cpu"``, ``"linalg_svd_cpu"`` ...) have no float16
    version: NotImplementedError naming the kernel. Callers skip this where torch runs no
    kernel (most decompositions of an empty input)."""
    if a.dtype.name == "float16":
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Half'")


def check_not_low_precision(op: str, a: Tensor) -> None:
    """torch's up-front refusal of float16 (inv, slogdet, the spectral matrix norms), made
    whatever the input's size."""
    if a.dtype.name == "float16":
        raise RuntimeError(f"{op}: Low precision dtypes not supported. Got Half")


def half_through_single(forward: Callable[..., Any]) -> Callable[..., Any]:
    """A decomposition's ``forward`` on float16 arrays (only empty ones reach it: the checks
    refuse the others, and NumPy's linalg has no float16) runs in float32, its results and
    the arrays it kept on the node coming back as float16."""

    @functools.wraps(forward)
    def run(self: Any, *arrays: Any, **params: Any) -> Any:
        if not any(isinstance(x, np.ndarray) and x.dtype == np.float16 for x in arrays):
            return forward(self, *arrays, **params)
        single = [x.astype(np.float32) if isinstance(x, np.ndarray) else x for x in arrays]
        out = forward(self, *single, **params)
        for name, value in list(vars(self).items()):
            if isinstance(value, np.ndarray) and value.dtype == np.float32:
                setattr(self, name, value.astype(np.float16))
        if isinstance(out, tuple):
            return tuple(o.astype(np.float16) for o in out)
        return np.asarray(out).astype(np.float16)

    return run


def batch_prefix(shape: tuple[int, ...], flat_index: int) -> str:
    """torch names the failing matrix of a batch: ``(Batch element 1): ``."""
    return f"(Batch element {flat_index}): " if len(shape) > 2 else ""


def constant(a: np.ndarray) -> Tensor:
    """An array as a tensor outside the graph (a value the backward only reads)."""
    return Tensor._make(a, False, None, 0)


def eye_like(n: int, like: Tensor) -> Tensor:
    return constant(np.eye(n, dtype=like._data.dtype))


def result_type(name: str, fields: tuple[str, ...]) -> type:
    """A tuple subclass with named fields that prints as ``torch.return_types.<name>``."""

    def new(cls: type, sequence: Iterable[Any]) -> Any:
        items = tuple(sequence)
        if len(items) != len(fields):
            raise TypeError(
                f"torch.return_types.{name}() takes a {len(fields)}-sequence "
                f"({len(items)}-sequence given)"
            )
        return tuple.__new__(cls, items)

    def rep(self: tuple[Any, ...]) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    def reduce(self: tuple[Any, ...]) -> tuple[Any, ...]:
        return (type(self), (tuple(self),))

    namespace: dict[str, Any] = {
        "__slots__": (),
        "__new__": new,
        "__repr__": rep,
        "__str__": rep,
        "__reduce__": reduce,
        "n_fields": len(fields),
        "n_sequence_fields": len(fields),
        "n_unnamed_fields": 0,
        "__module__": "dyngrad.return_types",
    }
    for i, f in enumerate(fields):
        namespace[f] = property(itemgetter(i))
    return type(name, (tuple,), namespace)


def watch_outputs(outputs: tuple[Tensor, ...], tangents: bool = True) -> None:
    """Remember the outputs' versions on their node (a decomposition whose backward reads its
    outputs, kept on the node as arrays): :func:`node_outputs` then raises torch's error when
    one was changed in place. ``tangents``: keep their forward-mode tangents too (for a
    backward that reads them as values, under forward over reverse)."""
    node = outputs[0]._grad_fn
    if node is None:
        return
    watched = []
    for t in outputs:
        vc = version_counter(t)
        watched.append((vc, vc.value))
    node.__dict__["watched"] = tuple(watched)
    if tangents and any(t._fw for t in outputs):
        # Forward over reverse: the outputs the backward reads carry their tangents (as
        # ``OpNode.saved_output`` does for single-output ops).
        node.__dict__["out_fw"] = tuple(t._fw for t in outputs)


def check_outputs(node: Any, names: tuple[str, ...]) -> None:
    """torch's "modified by an inplace operation" error if a watched output was changed
    (``names``: the node's attributes holding the outputs, in output order)."""
    for nr, (vc, version) in enumerate(node.__dict__.get("watched", ())):
        if vc.value != version:
            raise _modified_output_error(node.__dict__[names[nr]], node, nr, vc.value, version, vc)


def node_outputs(node: Any, names: tuple[str, ...]) -> tuple[Tensor, ...]:
    """A decomposition's outputs for its backward, from the arrays its forward kept on the node
    (``names``, in output order): constants, or, while the backward is recorded
    (create_graph), the node's own outputs again, so that the gradient is differentiable
    (the second derivative runs this node's backward again). torch's errors when the graph
    was freed or an output was changed in place."""
    if node._released:
        raise RuntimeError(FREED_MESSAGE)
    check_outputs(node, names)
    arrays = [node.__dict__[n] for n in names]
    if grad_mode.state.grad_enabled:
        outs = tuple(make_tensor(a, True, node, nr) for nr, a in enumerate(arrays))
    else:
        outs = tuple(constant(a) for a in arrays)
    tangents = node.__dict__.get("out_fw")
    if tangents is not None:
        for t, fw in zip(outs, tangents):
            t._fw = fw
    return outs


def lapack_layout(x: np.ndarray) -> np.ndarray:
    """``x`` with each matrix stored column by column (LAPACK's layout, which torch's
    factorizations return: strides (..., 1, m)); the layout decides where ``view`` works."""
    if x.ndim < 2:
        return x
    return np.swapaxes(np.ascontiguousarray(np.swapaxes(x, -1, -2)), -1, -2)


def sym(x: Tensor) -> Tensor:
    """(X + Xᵀ) / 2 over the last two dims."""
    return (x + x.mT) * 0.5  # type: ignore[attr-defined,no-any-return]


def batch_trace(x: Tensor) -> Tensor:
    """tr X over the last two dims (a batch of traces)."""
    return x.diagonal(0, -2, -1).sum(-1)  # type: ignore[attr-defined,no-any-return]


def off_diagonal_reciprocal(d: Tensor) -> Tensor:
    """1 / D with zeros on the diagonal (D's diagonal is 0 by construction)."""
    n = d.shape[-1]
    mask = constant(np.eye(n, dtype=bool))
    from .elementwise import where

    return 1.0 / where(mask, float("inf"), d)  # type: ignore[no-any-return]
