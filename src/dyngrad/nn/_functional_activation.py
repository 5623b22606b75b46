"""nn.functional activations: ReLU family, smooth units, softmax family.

The fused kernels (one autograd node each, as in torch) are ops in
``dyngrad/ops/nn_activation.py`` and ``ops/nn_softmax.py``; this module adds torch's
Python-level arguments (``inplace``, implicit softmax dims, ``relu6`` as a hardtanh).
"""

from __future__ import annotations

import warnings

from .. import _dtype
from .._tensor import Tensor
from ..ops import elementwise as _elementwise
from ..ops import nn_activation as _act
from ..ops import nn_softmax as _softmax

__all__ = [
    "relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "gelu", "silu",
    "mish", "softplus", "hardtanh", "hardtanh_", "relu6", "sigmoid", "tanh", "logsigmoid",
    "softmax", "softmin", "log_softmax", "prelu",
]  # fmt: skip


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``; node ``ReluBackward0``."""
    return input.relu_() if inplace else _elementwise.relu(input)  # type: ignore[attr-defined]


def relu_(input: Tensor) -> Tensor:
    return input.relu_()  # type: ignore[attr-defined,no-any-return]


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x if x > 0 else negative_slope · x``."""
    if inplace:
        return _act.leaky_relu_(input, negative_slope)
    return _act.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return _act.leaky_relu_(input, negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha · (eˣ − 1)``."""
    return _act.elu_(input, alpha) if inplace else _act.elu(input, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return _act.elu_(input, alpha)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """Scaled ELU with torch's self-normalising constants."""
    return _act.selu_(input) if inplace else _act.selu(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x · Φ(x)`` (``approximate='tanh'``: the tanh formula)."""
    return _act.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x · σ(x)``."""
    return _act.silu_(input) if inplace else _act.silu(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x · tanh(softplus(x))``."""
    return _act.mish_(input) if inplace else _act.mish(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + e^(βx)) / β``, linear where ``βx > threshold`` (finite for any x)."""
    return _act.softplus(input, beta, threshold)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:  # fmt: skip
    """``clamp(x, min_val, max_val)``."""
    if inplace:
        return _act.hardtanh_(input, min_val, max_val)
    return _act.hardtanh(input, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return _act.hardtanh_(input, min_val, max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``; torch computes it as a hardtanh (node ``HardtanhBackward0``)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + e⁻ˣ)``."""
    return _elementwise.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return _elementwise.tanh(input)


def logsigmoid(input: Tensor) -> Tensor:
    """``log σ(x)``, finite for large |x|."""
    return _act.logsigmoid(input)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with learned slopes ``weight`` (one, or one per channel of dim 1)."""
    return _act.prelu(input, weight)


def _implicit_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: _dtype.dtype | None = None) -> Tensor:  # fmt: skip
    """``exp(x) / Σ exp(x)`` along ``dim`` (without ``dim``: torch's deprecated guess)."""
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    return _softmax.softmax(input, dim, dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: _dtype.dtype | None = None) -> Tensor:  # fmt: skip
    """``softmax(−x)`` along ``dim``."""
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim, _stacklevel)
    return _softmax.softmax(-input, dim, dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: _dtype.dtype | None = None) -> Tensor:  # fmt: skip
    """``log(softmax(x))`` along ``dim``, computed stably."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    return _softmax.log_softmax(input, dim, dtype)
