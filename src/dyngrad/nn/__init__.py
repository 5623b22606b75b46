"""``dyngrad.nn``: modules, layers, losses and their functional forms, built from public ops."""

from . import functional, init
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .module import Module
from .parameter import Buffer, Parameter
from .modules import activation as _activation
from .modules import dropout as _dropout
from .modules import loss as _loss
from .modules.activation import *  # noqa: F403
from .modules.dropout import *  # noqa: F403
from .modules.flatten import Flatten, Unflatten
from .modules.linear import Identity, Linear
from .modules.loss import *  # noqa: F403
from .modules.sparse import Embedding
from .modules import conv as _conv, fold as _fold, pooling as _pooling, upsampling as _upsampling
from .modules.conv import *  # noqa: F403
from .modules.fold import *  # noqa: F403
from .modules.pooling import *  # noqa: F403
from .modules.upsampling import *  # noqa: F403
from .modules import activation_attention as _attention, batchnorm as _batchnorm, normalization as _normalization, rnn as _rnn, transformer as _transformer
from .modules.activation_attention import *  # noqa: F403
from .modules.batchnorm import *  # noqa: F403
from .modules.normalization import *  # noqa: F403
from .modules.rnn import *  # noqa: F403
from .modules.transformer import TransformerEncoder, TransformerEncoderLayer
from . import utils

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
__all__ += [*_activation.__all__, *_dropout.__all__, *_loss.__all__, "Flatten", "Unflatten", "Identity", "Linear", "Embedding", "utils"]
__all__ += [*_conv.__all__, *_fold.__all__, *_pooling.__all__, *_upsampling.__all__]
__all__ += [*_attention.__all__, *_batchnorm.__all__, *_normalization.__all__, *_rnn.__all__, "TransformerEncoder", "TransformerEncoderLayer"]
