"""dyngrad: automatic differentiation on NumPy with PyTorch's API.

>>> import dyngrad as torch
>>> x = torch.arange(4.0)
>>> x.requires_grad_(True)
tensor([0., 1., 2., 3.], requires_grad=True)
>>> y = 2 * torch.dot(x, x)
>>> y.backward()
>>> x.grad
tensor([ 0.,  4.,  8., 12.])
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from . import autograd, linalg, ops
from ._creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from ._device import device
from ._dtype import ALIASES as _ALIASES
from ._dtype import (
    bool_ as bool,  # noqa: A004 - torch.bool
)
from ._dtype import (
    can_cast,
    dtype,
    float16,
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    uint8,
)
from ._dtype import public_result_type as result_type
from ._random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ._size import Size
from ._tensor import Tensor
from ._tensor_str import set_printoptions
from .autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops import reduction_return_types as return_types
from .ops.elementwise import (
    abs,
    add,
    clamp,
    clip,
    cos,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    lt,
    maximum,
    minimum,
    mul,
    ne,
    neg,
    pow,
    reciprocal,
    relu,
    rsub,
    sigmoid,
    sign,
    sin,
    sqrt,
    sub,
    tanh,
    true_divide,
    where,
)
from .ops.linalg import bmm, dot, matmul, mm, mv
from .ops.reduction import mean, norm, sum
from .ops.shape import clone, reshape, squeeze, stack, t, transpose, unbind, unsqueeze

# Every other registered op function (ops/*.py register them), without listing each here.
globals().update({k: v for k, v in ops.FUNCTIONS.items() if k not in globals()})

half = _ALIASES["half"]
float = _ALIASES["float"]  # noqa: A001
double = _ALIASES["double"]
short = _ALIASES["short"]
int = _ALIASES["int"]  # noqa: A001
long = _ALIASES["long"]

__version__ = "0.1.0"


# Note: nn, optim, func, utils and viz load on first use (PEP 562 __getattr__ below), so that
# `import dyngrad` stays fast; `dyngrad.nn.Linear` and `import dyngrad.nn` work as in torch.
# The learner tools and save/load are functions of modules loaded on first use the same way.
_LAZY_SUBMODULES = frozenset({"func", "nn", "optim", "utils", "viz"})
_LAZY_FUNCTIONS = {"explain": "_explain", "why_no_grad": "_why", "save": "serialization",
                   "load": "serialization"}  # fmt: skip
if TYPE_CHECKING:
    from . import func, nn, optim, utils, viz
    from ._explain import explain
    from ._why import why_no_grad
    from .serialization import load, save


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY_SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _LAZY_FUNCTIONS:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY_FUNCTIONS[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def set_default_dtype(d: dtype) -> None:
    """Set the dtype Python floats become (float32 or float64)."""
    from . import _dtype, _tensor_str

    _dtype.set_default_dtype(d)
    _tensor_str.default_float_name = d.name


def is_tensor(obj: object) -> builtins.bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> builtins.int:  # noqa: A002
    """The number of elements of ``input``."""
    return input.numel()
