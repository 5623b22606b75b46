"""Every op: forward and backward side by side, one registration each (see _registry)."""

from . import (
    contraction,
    elementwise,
    elementwise_division,
    elementwise_logical,
    elementwise_math,
    elementwise_pow,
    elementwise_rounding,
    indexing,
    indexing_gather,
    indexing_mask,
    indexing_scatter_reduce,
    indexing_select,
    indexing_sort,
    indexing_unique,
    linalg,
    linalg_decomp,
    linalg_fused,
    linalg_spectral,
    matrix_parts,
    reduction,
    reduction_minmax,
    reduction_norm,
    reduction_return_types,
    reduction_scan,
    reduction_stats,
    shape,
    shape_convert,
    shape_join,
    shape_permute,
    shape_rearrange,
)
from . import nn_activation, nn_indexing, nn_loss, nn_softmax  # nn.functional's fused kernels
from . import nn_ops, nn_ops_adaptive, nn_ops_fold, nn_ops_interpolate, nn_ops_pool_api  # conv, pooling
from . import nn_norm, nn_rnn, nn_rnn_layer  # normalization kernels, fused recurrent cells and layer
from ._registry import FUNCTIONS
