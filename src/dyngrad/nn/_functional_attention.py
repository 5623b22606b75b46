"""nn.functional (attention part): ``multi_head_attention_forward``, the computation behind
``nn.MultiheadAttention``, composed of public ops.

With E the embedding size, H heads of size d = E/H, and inputs laid out (L, N, E):

    Q = q W_qᵀ + b_q,  K = k W_kᵀ + b_k,  V = v W_vᵀ + b_v      (split into H heads)
    A = softmax(Q Kᵀ/√d + mask)                                  (per head, over keys)
    y = concat_heads(A V) W_oᵀ + b_o

A boolean mask marks the positions that may NOT be attended to (True → −inf), the opposite
of ``scaled_dot_product_attention``'s convention; a float mask is added to the scores.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..ops.indexing_mask import masked_fill
from ..ops.linalg import bmm
from ..ops.linalg_fused import baddbmm
from ..ops.nn_softmax import softmax
from ..ops.shape_join import cat
from ._functional_basic import dropout, linear, pad, scaled_dot_product_attention

__all__ = ["multi_head_attention_forward"]


def _float_mask(mask: Tensor | None, name: str, target: Any) -> Tensor | None:
    """A bool mask becomes an additive float mask (−inf where True); float masks stay."""
    if mask is None:
        return None
    if mask.dtype.name == "bool":
        zeros = Tensor._make(np.zeros(mask.shape, target.np), False, None, 0)
        return masked_fill(zeros, mask, -math.inf)
    if not mask.is_floating_point():  # type: ignore[attr-defined]
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def _warn_mismatch(key_padding_mask: Tensor | None, attn_mask: Tensor | None) -> None:
    if key_padding_mask is None or attn_mask is None:
        return
    if (key_padding_mask.dtype.name == "bool") != (attn_mask.dtype.name == "bool"):
        warnings.warn(
            "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same "
            "type for both instead.",
            UserWarning,
            stacklevel=3,
        )


def _projections(query: Tensor, key: Tensor, value: Tensor, in_proj_weight: Tensor | None,
                 in_proj_bias: Tensor | None, separate: bool, weights: tuple[Any, Any, Any]) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
    """Q, K, V: the packed (3E, E) weight split in three, or the three separate weights."""
    e = query.shape[-1]
    if separate:
        w_q, w_k, w_v = weights
        if w_q is None or w_k is None or w_v is None:
            raise AssertionError(
                "use_separate_proj_weight is True but q_proj_weight, k_proj_weight or v_proj_weight is None"
            )
    else:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        w_q, w_k, w_v = in_proj_weight[:e], in_proj_weight[e : 2 * e], in_proj_weight[2 * e :]
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias[:e], in_proj_bias[e : 2 * e], in_proj_bias[2 * e :]
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _check_attn_mask(attn_mask: Tensor, tgt_len: int, src_len: int, heads: int) -> Tensor:
    if attn_mask.ndim == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 2D attn_mask is {attn_mask.size()}, but should be "  # type: ignore[attr-defined]
                f"{(tgt_len, src_len)}."
            )
        return attn_mask.unsqueeze(0)  # type: ignore[attr-defined,no-any-return]
    if attn_mask.ndim == 3:
        if tuple(attn_mask.shape) != (heads, tgt_len, src_len):
            raise RuntimeError(
                f"The shape of the 3D attn_mask is {attn_mask.size()}, but should be "  # type: ignore[attr-defined]
                f"{(heads, tgt_len, src_len)}."
            )
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
    bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
    out_proj_bias: Tensor | None, training: bool = True, key_padding_mask: Tensor | None = None,
    need_weights: bool = True, attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None, static_v: Tensor | None = None,
    average_attn_weights: bool = True, is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:  # fmt: skip
    """Multi-head attention on (L, N, E) query and (S, N, E_k/E_v) key/value (or unbatched
    (L, E), (S, E)); returns the output (L, N, E) and, with ``need_weights``, the attention
    weights (N, L, S), averaged over heads unless ``average_attn_weights`` is False."""
    batched = query.ndim == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)  # type: ignore[attr-defined]
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)  # type: ignore[attr-defined]
    tgt_len, bsz, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    _warn_mismatch(key_padding_mask, attn_mask)
    key_padding_mask = _float_mask(key_padding_mask, "key_padding_mask", query.dtype)
    attn_mask = _float_mask(attn_mask, "attn_mask", query.dtype)

    q, k, v = _projections(query, key, value, in_proj_weight, in_proj_bias,
                           use_separate_proj_weight, (q_proj_weight, k_proj_weight, v_proj_weight))  # fmt: skip
    heads = bsz * num_heads
    if attn_mask is not None:
        attn_mask = _check_attn_mask(attn_mask, tgt_len, key.shape[0], heads)
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.repeat(1, bsz, 1)])  # type: ignore[attr-defined]
        v = cat([v, bias_v.repeat(1, bsz, 1)])  # type: ignore[attr-defined]
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))

    q = q.reshape(tgt_len, heads, head_dim).transpose(0, 1)  # type: ignore[attr-defined]
    k = static_k if static_k is not None else k.reshape(k.shape[0], heads, head_dim).transpose(0, 1)  # type: ignore[attr-defined]
    v = static_v if static_v is not None else v.reshape(v.shape[0], heads, head_dim).transpose(0, 1)  # type: ignore[attr-defined]
    if add_zero_attn:
        zeros = Tensor._make(np.zeros((heads, 1, head_dim), q._data.dtype), False, None, 0)
        k, v = cat([k, zeros], 1), cat([v, zeros], 1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(
                f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                f"{key_padding_mask.size()}"  # type: ignore[attr-defined]
            )
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)  # type: ignore[attr-defined]
        kpm = kpm.reshape(heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        scores_q = q * math.sqrt(1.0 / head_dim)
        k_t = k.transpose(-2, -1)  # type: ignore[attr-defined]
        scores = bmm(scores_q, k_t) if attn_mask is None else baddbmm(attn_mask, scores_q, k_t)
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = bmm(weights, v)
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)  # type: ignore[attr-defined]
        out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, embed_dim)  # type: ignore[attr-defined]
        weights = weights.view(bsz, num_heads, tgt_len, src_len)  # type: ignore[attr-defined]
        if average_attn_weights:
            weights = weights.mean(1)  # type: ignore[attr-defined]
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)  # type: ignore[attr-defined]
        return out, weights

    if attn_mask is not None:
        attn_mask = (
            attn_mask.reshape(bsz, num_heads, -1, src_len)
            if attn_mask.shape[0] != 1
            else attn_mask.unsqueeze(0)
        )  # type: ignore[attr-defined]
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)  # type: ignore[attr-defined]
    k = k.reshape(bsz, num_heads, src_len, head_dim)  # type: ignore[attr-defined]
    v = v.reshape(bsz, num_heads, src_len, head_dim)  # type: ignore[attr-defined]
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)  # type: ignore[attr-defined]
    out = linear(out, out_proj_weight, out_proj_bias).view(tgt_len, bsz, embed_dim)  # type: ignore[attr-defined]
    if not batched:
        out = out.squeeze(1)  # type: ignore[attr-defined]
    return out, None
