"""nn.functional (basic part): linear, dropout, embedding, one_hot, pad, normalize,
distances and scaled dot-product attention, plus the activations and losses of
``_functional_activation`` and ``_functional_loss``, re-exported here.

Everything is composed of public dyngrad ops; the fused kernels with their own backward
(embedding, padding, activations, losses) are ops in ``dyngrad/ops/nn_*.py``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _dtype
from .._random import rand
from .._tensor import Tensor
from ..ops.elementwise import where
from ..ops.indexing_mask import masked_fill
from ..ops.linalg import matmul
from ..ops.linalg_fused import addmm
from ..ops.nn_indexing import constant_pad_nd, embedding_kernel, index_pad
from ..ops.nn_softmax import softmax as _softmax
from . import _functional_activation, _functional_loss
from ._functional_activation import *  # noqa: F403
from ._functional_loss import *  # noqa: F403

__all__ = [
    "linear", "dropout", "dropout1d", "dropout2d", "dropout3d", "embedding", "one_hot",
    "pad", "normalize", "cosine_similarity", "pairwise_distance",
    "scaled_dot_product_attention",
]  # fmt: skip
__all__ += _functional_activation.__all__
__all__ += _functional_loss.__all__


# --- linear --------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y = x Wᵀ + b`` over the last dim of ``input``.

    As in torch, a 2-D input with a bias is one ``addmm`` (node ``AddmmBackward0``); other
    shapes with a bias are flattened to 2-D and viewed back (``ViewBackward0``)."""
    for position, (name, value) in enumerate(
        (("input", input), ("weight", weight), ("bias", bias))
    ):
        if not isinstance(value, Tensor) and (value is not None or name != "bias"):
            raise TypeError(
                f"linear(): argument '{name}' (position {position + 1}) must be Tensor, not "
                f"{type(value).__name__}"
            )
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(
            "both arguments to linear need to be at least 1D, but they are "
            f"{input.ndim}D and {weight.ndim}D"
        )
    w_t = weight.t() if weight.ndim == 2 else weight  # type: ignore[attr-defined]
    if bias is None or weight.ndim != 2:
        out = matmul(input, w_t)
        return out if bias is None else out + bias
    if input.ndim == 2:
        return addmm(bias, input, w_t)
    flat = input.reshape(-1, input.shape[-1])  # type: ignore[attr-defined]
    return addmm(bias, flat, w_t).view(*input.shape[:-1], weight.shape[0])  # type: ignore[attr-defined,no-any-return]


# --- dropout -------------------------------------------------------------------------------


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p != p:  # NaN passes torch's Python check; its kernel refuses it (in eval mode too)
        raise RuntimeError("dropout probability has to be between 0 and 1, but got nan")


def _dropout_mask(shape: tuple[int, ...], p: float, dtype: _dtype.dtype) -> Tensor:
    """Bernoulli(1 − p) draws scaled by 1/(1 − p) (all zeros when p = 1)."""
    if p == 1.0:
        return Tensor._make(np.zeros(shape, dtype.np), False, None, 0)
    keep = rand(*shape, dtype=dtype) < (1.0 - p)  # type: ignore[operator]
    return keep.to(dtype) / (1.0 - p)  # type: ignore[no-any-return]


def _apply_mask(input: Tensor, mask: Tensor, inplace: bool) -> Tensor:
    return input.mul_(mask) if inplace else input * mask  # type: ignore[attr-defined,no-any-return]


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1 − p) (training
    only; otherwise the input itself is returned)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _apply_mask(input, _dropout_mask(tuple(input.shape), p, input.dtype), inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                     batched: bool = True) -> Tensor:  # fmt: skip
    """Zero whole channels: one draw per (sample, channel), shared over the other dims. An
    unbatched input (C, ...) draws one per channel."""
    if input.ndim < (2 if batched else 1):
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if not training or p == 0.0:
        return input
    lead = 2 if batched else 1
    shape = tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)
    return _apply_mask(input, _dropout_mask(shape, p, input.dtype), inplace)


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Channel-wise dropout of (N, C, L) or (C, L) inputs."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. "
            "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
            "spatial dimension, a channel dimension, and an optional batch dimension "
            "(i.e. 2D or 3D inputs)."
        )
    return _feature_dropout(input, p, training, inplace, batched=input.ndim == 3)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Channel-wise dropout of (N, C, H, W) inputs (a 3-D input is read as (N, C, L))."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout2d "
            "exists to provide channel-wise dropout on inputs with 2 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
            "1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace)


def dropout3d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Channel-wise dropout of (N, C, D, H, W) or (C, D, H, W) inputs."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated "
            "and will result in an error in a future release. To retain the behavior "
            "and silence this warning, please use dropout instead. Note that dropout3d "
            "exists to provide channel-wise dropout on inputs with 3 spatial dimensions, "
            "a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
            stacklevel=2,
        )
    return _feature_dropout(input, p, training, inplace, batched=input.ndim == 5)


# --- embedding and one_hot -------------------------------------------------------------------


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:  # fmt: skip
    """Rows of the table ``weight`` at the integer indices ``input``; ``padding_idx``'s row
    gets no gradient. ``max_norm`` first rescales (in place) the looked-up rows whose
    ``norm_type``-norm exceeds it."""
    if padding_idx is not None:
        if padding_idx > 0 and padding_idx >= weight.shape[0]:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -weight.shape[0]:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.shape[0] + padding_idx
    if weight.ndim == 0 and max_norm is None and weight.requires_grad:
        from ..autograd.grad_mode import is_grad_enabled

        if is_grad_enabled():  # (torch's autograd wrapper reads weight.size(0) first)
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    if input.dtype.name not in ("int64", "int32"):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {input.type()} instead (while checking arguments for "  # type: ignore[attr-defined]
            "embedding)"
        )
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    if sparse:
        raise NotImplementedError("dyngrad has no sparse tensors: use sparse=False")
    idx = input.numpy()  # type: ignore[attr-defined]
    if idx.size and weight.shape[0] == 0:
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if idx.size and (idx.min() < 0 or idx.max() >= weight.shape[0]):
        if weight.shape[1] == 0:  # (torch's kernel for rows of no width says it differently)
            bad = idx[(idx < 0) | (idx >= weight.shape[0])].flat[0]
            raise RuntimeError(
                f"INDICES element is out of DATA bounds, id={bad} axis_dim={weight.shape[0]}"
            )
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, np.unique(idx), max_norm, norm_type)
    return embedding_kernel(weight, input, padding_idx, scale_grad_by_freq)


def _renorm_rows(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """torch's embedding_renorm_: rows with norm > max_norm scaled to max_norm (+1e-7)."""
    from ..autograd.grad_mode import no_grad

    with no_grad():
        data = weight.detach().numpy()  # type: ignore[attr-defined]
        norms = np.linalg.norm(data[rows], ord=norm_type, axis=1)
        scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(data.dtype)
        data[rows] *= scale[:, None]
        weight._bump_version()


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``(*tensor.shape, num_classes)`` with a 1 at each index."""
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    idx = tensor.numpy()  # type: ignore[attr-defined]
    if num_classes == -1:
        if idx.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(idx.max()) + 1
    if idx.size:
        if idx.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if idx.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (idx[..., None] == np.arange(num_classes)).astype(np.int64)
    return Tensor._make(out, False, None, 0)


# --- pad -------------------------------------------------------------------------------------

_NON_CONSTANT_HELP = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)


def _pad_ints(pad: Any) -> tuple[int, ...]:
    out = []
    for i, p in enumerate(pad):
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
            if isinstance(p, Tensor) and p.ndim == 0 and not p.is_floating_point():  # type: ignore[attr-defined]
                out.append(int(p.item()))  # type: ignore[attr-defined]
                continue
            raise TypeError(
                "pad(): argument 'pad' (position 2) must be tuple of ints, but found element "
                f"of type {type(p).__name__} at pos {i}"
            )
        out.append(int(p))
    return tuple(out)


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims; ``pad`` = (left, right) of the last dim, then of
    the one before, …. ``'constant'`` (fill with ``value``, any number of dims, negative pads
    crop), ``'reflect'``, ``'replicate'``, ``'circular'`` (1 to 3 trailing dims)."""
    pads = _pad_ints(pad)
    if mode == "constant":
        return constant_pad_nd(input, pads, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    n = len(pads) // 2
    if n not in (1, 2, 3) or input.ndim not in (n + 1, n + 2):
        raise NotImplementedError(
            f"Padding size {len(pads)} is not supported for {input.ndim}D input tensor.\n"
            + _NON_CONSTANT_HELP
        )
    if mode == "circular":
        return _circular_pad(input, pads)
    return index_pad(input, pads, mode)


def _circular_pad(input: Tensor, pads: tuple[int, ...]) -> Tensor:
    """Wrap-around padding: the values past one edge are those at the other edge (of the
    input after any negative pad has cropped it). Built as torch builds it (so the graph is
    torch's: ``CopySlices``): the cropped input is copied into the middle of a new tensor,
    then, dim by dim, each border is copied from the opposite side of that tensor."""
    n = len(pads) // 2
    in_shape = tuple(input.shape)
    out_shape = list(in_shape)
    for k in range(n):
        axis = input.ndim - 1 - k
        left, right = pads[2 * k], pads[2 * k + 1]
        size = in_shape[axis]
        if left > size or right > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if size + min(left, 0) + min(right, 0) < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension.")
        out_shape[axis] = size + left + right
    out = Tensor._make(np.zeros(out_shape, input._data.dtype), False, None, 0)
    middle, source = out, input
    for k in range(n):
        axis = input.ndim - 1 - k
        left, right = pads[2 * k], pads[2 * k + 1]
        length = out_shape[axis] - max(left, 0) - max(right, 0)
        middle = middle.narrow(axis, max(left, 0), length)  # type: ignore[attr-defined]
        source = source.narrow(axis, max(-left, 0), length)  # type: ignore[attr-defined]
    middle.copy_(source)  # type: ignore[attr-defined]
    for k in range(n):
        axis = input.ndim - 1 - k
        left, right = pads[2 * k], pads[2 * k + 1]
        end = out_shape[axis] - max(right, 0)
        if left > 0:
            out.narrow(axis, 0, left).copy_(out.narrow(axis, end - left, left))  # type: ignore[attr-defined]
        if right > 0:
            start = max(left, 0)
            out.narrow(axis, end, right).copy_(out.narrow(axis, start, right))  # type: ignore[attr-defined]
    return out


# --- normalisation and distances -------------------------------------------------------------


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:  # fmt: skip
    """``x / max(‖x‖_p, eps)`` along ``dim``."""
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported by dyngrad")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)  # type: ignore[attr-defined]
    return input / denom  # type: ignore[no-any-return]


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``Σ x₁x₂ / (max(‖x₁‖, eps) · max(‖x₂‖, eps))`` along ``dim`` (inputs broadcast)."""
    n1 = x1.norm(2, dim, keepdim=True).clamp_min(eps)  # type: ignore[attr-defined]
    n2 = x2.norm(2, dim, keepdim=True).clamp_min(eps)  # type: ignore[attr-defined]
    return ((x1 / n1) * (x2 / n2)).sum(dim)  # type: ignore[no-any-return]


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:  # fmt: skip
    """``‖x₁ − x₂ + eps‖_p`` over the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)  # type: ignore[no-any-return,operator]


# --- attention -------------------------------------------------------------------------------


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:  # fmt: skip
    """``softmax(Q Kᵀ · scale + mask) V`` over the last two dims (scale = 1/√E by default).

    A bool ``attn_mask`` marks the positions that may be attended to (False → −inf); a float
    mask is added. ``is_causal`` masks the upper triangle instead (not with ``attn_mask``:
    torch's documented contract and its reference kernel refuse both). A query that may
    attend to nothing gets zeros, as in torch. ``dropout_p`` drops
    attention weights (always, as torch's function does: pass 0.0 in eval mode)."""
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        repeats = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(repeats, -3)  # type: ignore[attr-defined]
        value = value.repeat_interleave(repeats, -3)  # type: ignore[attr-defined]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = matmul(query, key.transpose(-2, -1)) * factor  # type: ignore[attr-defined]
    if is_causal:
        allowed = np.tril(np.ones((query.shape[-2], key.shape[-2]), dtype=bool))
        scores = masked_fill(scores, Tensor._make(~allowed, False, None, 0), -math.inf)
    if attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            scores = masked_fill(scores, attn_mask.logical_not(), -math.inf)  # type: ignore[attr-defined]
        else:
            scores = scores + attn_mask
    weights = _softmax(scores, -1)
    if is_causal or attn_mask is not None:
        blocked = scores.amax(-1, keepdim=True) == -math.inf  # type: ignore[attr-defined]
        weights = where(blocked, 0.0, weights)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return matmul(weights, value)
