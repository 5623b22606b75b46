"""``dyngrad.nn``: modules, layers, losses and their functional forms, built from public ops."""

from . import functional, init, utils
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module
from .modules import activation as _activation
from .modules import (
    activation_attention as _attention,
)
from .modules import (
    batchnorm as _batchnorm,
)
from .modules import conv as _conv
from .modules import dropout as _dropout
from .modules import fold as _fold
from .modules import loss as _loss
from .modules import (
    normalization as _normalization,
)
from .modules import pooling as _pooling
from .modules import (
    rnn as _rnn,
)
from .modules import (
    transformer as _transformer,
)
from .modules import upsampling as _upsampling
from .modules.activation import *  # noqa: F403
from .modules.activation_attention import *  # noqa: F403
from .modules.batchnorm import *  # noqa: F403
from .modules.conv import *  # noqa: F403
from .modules.dropout import *  # noqa: F403
from .modules.flatten import Flatten, Unflatten
from .modules.fold import *  # noqa: F403
from .modules.linear import Identity, Linear
from .modules.loss import *  # noqa: F403
from .modules.normalization import *  # noqa: F403
from .modules.pooling import *  # noqa: F403
from .modules.rnn import *  # noqa: F403
from .modules.sparse import Embedding
from .modules.transformer import TransformerEncoder, TransformerEncoderLayer
from .modules.upsampling import *  # noqa: F403
from .parameter import Buffer, Parameter

__all__ = [
    "Module",
    "Parameter",
    "Buffer",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ParameterList",
    "ParameterDict",
    "functional",
    "init",
]
__all__ += [
    *_activation.__all__,
    *_dropout.__all__,
    *_loss.__all__,
    "Flatten",
    "Unflatten",
    "Identity",
    "Linear",
    "Embedding",
    "utils",
]
__all__ += [*_conv.__all__, *_fold.__all__, *_pooling.__all__, *_upsampling.__all__]
__all__ += [
    *_attention.__all__,
    *_batchnorm.__all__,
    *_normalization.__all__,
    *_rnn.__all__,
    "TransformerEncoder",
    "TransformerEncoderLayer",
]
