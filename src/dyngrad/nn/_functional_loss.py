"""nn.functional losses, with torch's argument checks, warnings and reduction semantics.

The fused kernels (``MseLossBackward0``, ``NllLossBackward0`` …) are ops in
``dyngrad/ops/nn_loss.py``; ``l1_loss``, ``kl_div``, label smoothing and probability targets
are composed of public ops, as in torch (so their nodes are torch's too).
"""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor
from ..ops import nn_loss as _kernels
from ..ops.elementwise import where
from ..ops.elementwise_division import div_by_number
from ..ops.nn_softmax import log_softmax

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
]  # fmt: skip

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """torch's mapping of the deprecated ``size_average``/``reduce`` flags, with its warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
        stacklevel=3,
    )
    return ret


def _reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn(
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
            stacklevel=3,
        )
        reduction = "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _warn_broadcast(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def _reduce(values: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return values
    return values.mean() if reduction == "mean" else values.sum()  # type: ignore[attr-defined,no-any-return]


def _weighted(
    values: Tensor, weight: Tensor, input: Tensor, reduction: str, mean_by_weight: bool
) -> Tensor:
    """The per-sample ``weight`` of mse/l1/huber: the mean divides by Σw (mse, l1) or by the
    element count (huber), as torch does."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    values = values * weight
    if reduction == "none":
        return values
    if reduction == "sum":
        return values.sum()  # type: ignore[attr-defined,no-any-return]
    return values.sum() / weight.sum() if mean_by_weight else values.mean()  # type: ignore[attr-defined,no-any-return]


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:  # fmt: skip
    """Mean squared error ``(x − t)²``, reduced."""
    _warn_broadcast(input, target)
    given = input  # (the weight is checked against the input as given)
    input, target = _kernels.broadcast_operands(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if weight is not None:
        values = (input - target) ** 2  # type: ignore[operator]
        return _weighted(values, weight, given, reduction, True)
    return _kernels.mse_loss(input, target, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:  # fmt: skip
    """Mean absolute error ``|x − t|``, reduced (composed of ``abs`` and a reduction)."""
    _warn_broadcast(input, target)
    given = input  # (the weight is checked against the input as given)
    input, target = _kernels.broadcast_operands(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    values = (input - target).abs()  # type: ignore[operator]
    if weight is not None:
        return _weighted(values, weight, given, reduction, True)
    return _reduce(values, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:  # fmt: skip
    """``½d²/β`` where ``|d| < β``, else ``|d| − ½β`` (d = x − t); β = 0 is the L1 loss."""
    _warn_broadcast(input, target)
    input, target = _kernels.broadcast_operands(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return _reduce((input - target).abs(), reduction)  # type: ignore[operator]
    return _kernels.smooth_l1_loss(input, target, reduction, beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:  # fmt: skip
    """``½d²`` where ``|d| < δ``, else ``δ(|d| − ½δ)`` (d = x − t)."""
    _warn_broadcast(input, target)
    given = input  # (the weight is checked against the input as given)
    input, target = _kernels.broadcast_operands(input, target)
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        values = _kernels.huber_loss(input, target, "none", delta)
        return _weighted(values, weight, given, reduction, False)
    return _kernels.huber_loss(input, target, reduction, delta)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:  # fmt: skip
    """``−w·(t·log x + (1 − t)·log(1 − x))`` for probabilities x (logs clamped at −100)."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape}) is deprecated. Please ensure they have the same size."
        )
    if weight is not None:
        weight = weight.expand(_broadcast_to_target(target, weight))  # type: ignore[attr-defined]
    return _kernels.binary_cross_entropy(input, target, weight, reduction)


def _broadcast_to_target(target: Tensor, weight: Tensor) -> tuple[int, ...]:
    """The common shape of target and weight, with torch's message when there is none."""
    t_shape, w_shape = tuple(target.shape), tuple(weight.shape)
    for i in range(1, min(len(t_shape), len(w_shape)) + 1):
        t, w = t_shape[-i], w_shape[-i]
        if t != w and t != 1 and w != 1:
            raise RuntimeError(
                f"Attempting to broadcast a dimension of length {w} at -{i}! Mismatching "
                f"argument at index 1 had torch.Size([{', '.join(map(str, w_shape))}]); but "
                f"expected shape should be broadcastable to [{', '.join(map(str, t_shape))}]"
            )
    return tuple(np.broadcast_shapes(t_shape, w_shape))


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:  # fmt: skip
    """BCE of ``sigmoid(x)``, computed stably from the logits x; ``pos_weight`` scales the
    positive term."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Target size ({target.shape}) must be the same as input size ({input.shape})"
        )
    return _kernels.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def _check_nll(input: Tensor, target: Tensor, weight: Tensor | None) -> None:
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim >= 2 and target.ndim == 0 and input.shape[0] == 0:
        # torch reads a 0-d target's batch size as 0, then fails on the target's rank
        if input.ndim == 2:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        if input.ndim == 4:
            raise RuntimeError(
                "only batches of spatial targets supported (3D tensors) but got targets of "
                "dimension: 0"
            )
        raise RuntimeError(  # (torch fails inside its kernel here, with an internal error)
            f"nll_loss: expected a target of {input.ndim - 1} dims, got a 0-d target"
        )
    if input.ndim >= 2 and (target.ndim == 0 or input.shape[0] != target.shape[0]):
        batch = target.shape[0] if target.ndim else 0
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({batch})."
        )
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_legacy(target)}")
    if input.ndim <= 2 and target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim == 1 and target.ndim == 1 and target.shape[0] != 1:
        raise ValueError(
            f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}"
        )
    if input.ndim >= 3 and tuple(target.shape) != (input.shape[0], *input.shape[2:]):
        want = ", ".join(map(str, (input.shape[0], *input.shape[2:])))
        got = ", ".join(map(str, target.shape))
        if input.ndim == 4:
            raise RuntimeError(
                f"size mismatch (got input: [{', '.join(map(str, input.shape))}] , target: [{got}]"
            )
        raise RuntimeError(f"Expected target size [{want}], got [{got}]")
    classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    if weight is not None:
        if weight.numel() != classes:
            raise RuntimeError(
                f"weight tensor should be defined either for all {classes} classes or no "
                f"classes but got weight tensor of shape: [{', '.join(map(str, weight.shape))}]"
            )
        if weight.dtype is not input.dtype:
            raise RuntimeError(f"expected scalar type {_legacy(input)} but found {_legacy(weight)}")


_LEGACY_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                 "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}  # fmt: skip


def _legacy(t: Tensor) -> str:
    """torch's legacy scalar type name (``Float``, ``Long`` …) used in its messages."""
    return _LEGACY_NAMES[t.dtype.name]


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:  # fmt: skip
    """Negative log-likelihood of class-index targets: ``−w[t]·x[t]`` (input holds
    log-probabilities, shape (N, C, d…) or (C,)); the mean is weighted by ``w[t]``."""
    reduction = _reduction(size_average, reduce, reduction)
    _check_nll(input, target, weight)
    if target.dtype.name == "uint8":
        target = target.long()  # type: ignore[attr-defined]
    if input.ndim == 3 or input.ndim > 4:  # torch runs these through the 2-D kernel
        n, c = input.shape[0], input.shape[1]
        out = _kernels.nll_loss_kernel(
            input.reshape(n, c, 1, -1),
            target.reshape(n, 1, -1),
            weight,
            reduction,
            ignore_index,  # type: ignore[attr-defined]
        )
        return out.view(target.shape) if reduction == "none" else out  # type: ignore[attr-defined,no-any-return]
    return _kernels.nll_loss_kernel(input, target, weight, reduction, ignore_index)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:  # fmt: skip
    """``nll_loss(log_softmax(x, class_dim), t)`` for class indices t, or
    ``−Σ_c w_c·t_c·log_softmax(x)_c`` for class probabilities t (same shape as x)."""
    reduction = _reduction(size_average, reduce, reduction)
    if label_smoothing > 1.0:  # torch checks only the upper bound; ε ≤ 0 means no smoothing
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
    class_dim = 0 if input.ndim == 1 else 1
    if target.shape == input.shape:  # class probabilities
        if not target.is_floating_point():  # type: ignore[attr-defined]
            raise RuntimeError(
                "Expected floating point type for target with class probabilities, got "
                f"{_legacy(target)}"
            )
        if ignore_index != -100:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing, class_dim)
    log_p = log_softmax(input, class_dim)
    if label_smoothing <= 0.0:
        return nll_loss(log_p, target, weight, None, ignore_index, None, reduction)
    return _smoothed_cross_entropy(log_p, target, weight, reduction, label_smoothing,
                                   ignore_index, class_dim)  # fmt: skip


def _class_view(weight: Tensor, ndim: int, class_dim: int) -> Tensor:
    shape = [1] * ndim
    shape[class_dim] = weight.numel()
    return weight.reshape(shape)  # type: ignore[attr-defined,no-any-return]


def _soft_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                        label_smoothing: float, class_dim: int) -> Tensor:  # fmt: skip
    n_classes = input.shape[class_dim]
    if weight is not None and weight.numel() != n_classes:
        raise RuntimeError(
            f"weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: [{', '.join(map(str, weight.shape))}]"
        )
    log_p = log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = log_p * target
    if weight is not None:
        terms = terms * _class_view(weight, input.ndim, class_dim)
    if reduction == "none":
        return -terms.sum(class_dim)  # type: ignore[attr-defined,no-any-return]
    if reduction == "sum":
        return -terms.sum()  # type: ignore[attr-defined,no-any-return]
    if input.numel() == 0:  # torch: nan, its last node a negation
        return -(terms.sum() / 0.0)  # type: ignore[attr-defined,no-any-return]
    return div_by_number(-terms.sum(), input.numel() / n_classes)  # type: ignore[attr-defined]


def _smoothed_cross_entropy(log_p: Tensor, target: Tensor, weight: Tensor | None,
                            reduction: str, label_smoothing: float, ignore_index: int,
                            class_dim: int) -> Tensor:  # fmt: skip
    """(1 − ε)·nll + ε/C · Σ_c −w_c·log p_c, the second term masked at ignored targets and
    averaged like the nll term (over Σ w[t] with weights, else over the kept targets)."""
    n_classes = log_p.shape[class_dim]
    nll = nll_loss(log_p, target, weight, None, ignore_index, None, reduction)
    if log_p.ndim == 1 and target.ndim == 1:  # torch's smoothing term is 0-d, the target (1,)
        raise RuntimeError("output with shape [] doesn't match the broadcast shape [1]")
    terms = log_p if weight is None else log_p * _class_view(weight, log_p.ndim, class_dim)
    smooth = -terms.sum(class_dim)  # type: ignore[attr-defined]
    ignored = target == ignore_index
    smooth = where(ignored, 0.0, smooth)
    if reduction == "sum":
        smooth = smooth.sum()  # type: ignore[attr-defined]
    elif reduction == "mean":
        if weight is not None:
            kept = target.masked_select(ignored.logical_not())  # type: ignore[attr-defined]
            smooth = smooth.sum() / weight.gather(0, kept.flatten()).sum()  # type: ignore[attr-defined]
        else:
            smooth = smooth.sum() / ignored.logical_not().sum()  # type: ignore[attr-defined]
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean", log_target: bool = False) -> Tensor:  # fmt: skip
    """Pointwise ``t·(log t − x)`` (input holds log-probabilities; ``log_target``: t is given
    as log t); ``'batchmean'`` divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    if reduction != "batchmean":
        reduction = _reduction(None, None, reduction)
    if log_target:
        values = target.exp() * (target - input)  # type: ignore[attr-defined]
    else:
        values = _kernels.xlogy(target, target) - target * input  # type: ignore[operator]
    if reduction == "batchmean":
        total = values.sum()  # type: ignore[attr-defined]
        return total / input.shape[0] if input.ndim else total  # type: ignore[no-any-return]
    return _reduce(values, reduction)
