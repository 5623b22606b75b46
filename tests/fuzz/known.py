"""Failures the fuzzer found whose fix belongs to an op family still being worked on by its
owner (or, once, to torch itself). Each has a regression test in ``test_regressions.py``
(``xfail(strict=True)`` while the fix is pending). The bounded run and the campaign recognise them (by the failure's
first line and an op in the program) and count them apart; anything else is a new failure.
When an owner fixes one, its regression test XPASSes (strict: it fails) and the entry goes.

The op lists come from targeted scans over the op table (every sample: in-place change of
each input and output, then backward; backward twice), so they name exactly the entries
that showed the problem.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache

from op_db import FAMILIES


@dataclass(frozen=True)
class Known:
    failure: str  # regex searched in the failure's first line
    program: str  # regex searched in the program text ("" matches any)
    test: str  # the regression test in test_regressions.py
    owner: str  # the op family that holds the fix


def _ops(*names: str) -> str:
    """A regex for a call of any of these op-table entries in a program."""
    return r"OP\['(" + "|".join(re.escape(n) for n in names) + r")'\]"


@cache
def _family(family: str) -> tuple[str, ...]:
    return tuple(info.name for info in importlib.import_module(f"op_db.{family}").OPS)


def _errors_of(*families: str) -> str:
    """An op of these families raised where the other library did not, or another class."""
    names = [n for f in families if f in FAMILIES for n in _family(f)]
    return r"^op '(" + "|".join(re.escape(n) for n in names) + r")' \(.*\): (torch|dyngrad) raised"


_SECOND = r"^backward #2: (torch|dyngrad) raised RuntimeError: Trying to backward through the graph"
_VERSION = (
    r"(torch|dyngrad) raised RuntimeError: one of the variables needed for gradient computation"
)

_ADVANCED_INDEXING = _ops(
    "getitem_list_repeated", "getitem_tensor_repeated", "getitem_int32_tensor",
    "getitem_neg_tensor", "getitem_tensor_2d", "getitem_empty_list",
    "getitem_float_list_truncates", "getitem_mask", "getitem_mask_list", "getitem_uint8_mask",
    "getitem_mask_2d", "getitem_mask_all_false", "getitem_true", "getitem_false",
    "getitem_zero_dim_bool_tensor", "getitem_int_and_list", "getitem_slice_and_list",
    "getitem_list_and_list", "getitem_broadcast_indices", "getitem_mask_then_int",
    "getitem_list_seq_as_tuple", "getitem_int_slice_list_3d", "getitem_separated_lists_3d",
    "getitem_tensor_none_tensor", "getitem_ellipsis_tensor", "getitem_true_slice_tensor",
    "getitem_empty_index_tensor", "setitem_int", "setitem_int_scalar", "setitem_column",
    "setitem_slice_broadcast", "setitem_leading_ones_value", "setitem_tensor_index",
    "setitem_mask_scalar", "setitem_data_mask", "setitem_mixed_basic_advanced", "setitem_none",
    "setitem_true", "setitem_zero_dim_int_tensor_index", "setitem_into_tensor_without_grad",
    "setitem_twice", "setitem_converts_value", "setitem_disjoint_self_copy", "index_put",
    "index_put_two_indices", "index_put_mask", "index_put_", "scatter_add", "scatter_add_",
)  # fmt: skip
_SECOND_NN_REDUCTION = _ops(
    "F.avg_pool2d", "F.avg_pool2d_noncontiguous", "F.avg_pool1d", "F.adaptive_avg_pool2d",
    "F.adaptive_avg_pool1d", "F.interpolate", "F.pad_reflect", "F.pad_replicate",
    "F.pad_circular", "max_dim", "min_dim", "median_dim",
)  # fmt: skip
_VERSION_INDEXING = _ops(
    "gather", "index_add", "index_add_", "index_copy", "index_copy_", "index_fill",
    "index_fill_", "index_fill_tensor", "index_select", "kthvalue", "masked_fill",
    "masked_fill_", "masked_fill_tensor", "masked_scatter", "masked_scatter_", "masked_select",
    "put", "put_", "put_accumulate", "scatter", "scatter_", "scatter_add", "scatter_add_",
    "scatter_leaf_error", "scatter_reduce", "scatter_reduce_", "scatter_reduce_ties",
    "scatter_value", "scatter_value_kw", "sort", "sort_stable", "sort_ties_stable", "take",
    "take_along_dim", "topk", "msort", "argsort", "setitem_into_tensor_without_grad",
    "setitem_tensor_index", "index_put", "index_put_",
)  # fmt: skip
_VERSION_LINALG = _ops(
    "einsum", "einsum_list", "linalg.eigvalsh", "linalg.eigh", "linalg.matrix_norm",
    "linalg.norm", "linalg.qr", "linalg.qr_complete", "linalg.slogdet", "linalg.svd",
    "linalg.svd_full", "linalg.svdvals", "matmul", "qr", "slogdet", "svd", "tensordot",
)  # fmt: skip
_VERSION_NN_REDUCTION = _ops(
    "F.adaptive_avg_pool1d", "F.adaptive_avg_pool2d", "F.adaptive_max_pool1d",
    "F.adaptive_max_pool2d", "F.avg_pool1d", "F.avg_pool2d", "F.avg_pool2d_noncontiguous",
    "F.interpolate", "F.max_pool1d", "F.max_pool2d", "F.max_pool2d_noncontiguous",
    "F.max_pool2d_special", "adaptive_max_pool1d", "max_pool2d", "F.embedding",
    "F.embedding_grad_rules", "F.pad_reflect", "F.pad_replicate", "F.cross_entropy",
    "F.nll_loss", "F.nll_loss_all_ignored", "F.batch_norm", "F.layer_norm", "cumprod",
    "max_dim", "max_ties", "median_dim", "median_ties", "min_dim", "min_ties", "prod",
    "std_mean",
)  # fmt: skip

KNOWN: list[Known] = [
    # --- error parity on inputs nobody wrote a sample for (0-d, size 0/1, broadcast shapes)
    Known(
        _errors_of("indexing"), "", "test_indexing_errors_on_shapes_without_a_sample", "indexing"
    ),
    Known(_errors_of("linalg"), "", "test_linalg_errors_on_shapes_without_a_sample", "linalg"),
    Known(
        _errors_of("reduction"), "", "test_reduction_errors_on_shapes_without_a_sample", "reduction"
    ),
    Known(
        _errors_of("nn_activation", "nn_loss", "nn_indexing", "nn_conv", "nn_norm"),
        "",
        "test_nn_errors_on_shapes_without_a_sample",
        "nn",
    ),
    # --- saved data kept as plain arrays (no version counter, never released)
    Known(
        _SECOND,
        _ADVANCED_INDEXING,
        "test_second_backward_through_advanced_indexing_raises",
        "indexing",
    ),
    Known(
        _SECOND,
        _SECOND_NN_REDUCTION,
        "test_second_backward_through_pooling_raises",
        "nn, reduction",
    ),
    Known(
        _VERSION, _VERSION_INDEXING, "test_changing_saved_indices_in_place_is_caught", "indexing"
    ),
    Known(_VERSION, _VERSION_LINALG, "test_changing_a_qr_output_in_place_is_caught", "linalg"),
    Known(
        _VERSION,
        _VERSION_NN_REDUCTION,
        "test_adaptive_max_pool_indices_changed_in_place",
        "nn, reduction",
    ),
    # --- single findings
    Known(
        r"grad_fn AsStridedBackward0 != torch|grad_fn CopySlices != torch|!= torch AsStridedBackward0",
        _ops("matmul_vec_mat", "matmul", "linalg.matmul"),
        "test_matmul_of_a_vector_and_a_matrix_is_not_a_view",
        "linalg",
    ),
    Known(
        r"\.grad: ours set, torch None",
        _ops("linalg.slogdet", "slogdet"),
        "test_slogdet_sign_only_gradient_is_none",
        "linalg",
    ),  # fmt: skip
    Known(
        r"in-place x\d+(\.fill_\(|\.zero_\(|\[0\] = ).*dyngrad raised RuntimeError: unsupported "
        r"operation: more than one element",
        "",
        "test_fill_of_an_expanded_tensor_is_allowed",
        "indexing",
    ),
    Known(
        r"in-place x\d+(\.fill_\(|\[0\] = ).*value cannot be converted to type",
        "",
        "test_filling_uint8_with_an_out_of_range_value_raises",
        "indexing",
    ),  # fmt: skip
    Known(
        r"view x\d+\.view\(-1\): (torch|dyngrad) raised RuntimeError: view size is not compatible",
        _ops(*_family("indexing"), *_family("linalg")),
        "test_layout_of_advanced_indexing_results",
        "indexing, linalg",
    ),  # fmt: skip
    Known(
        r"^backward #\d: torch raised RuntimeError: output with shape \[\] doesn't match the "
        r"broadcast shape",
        _ops("clamp", "clamp_nan", "clamp_more", "clamp_"),
        "test_clamp_with_broadcast_tensor_bounds_backward",
        "torch (its clamp backward writes a broadcast gradient into a 0-d tensor)",
    ),
    Known(
        r"\.grad: NaN in one only",
        _ops("var", "std", "var_mean", "std_mean", "var_degenerate", "var_unbiased_positional"),
        "test_var_gradient_when_correction_exceeds_the_count",
        "reduction",
    ),
    Known(
        r"dtype torch\.float\d+ != torch torch\.float\d+",
        _ops("F.smooth_l1_loss_beta0"),
        "test_smooth_l1_loss_beta_zero_dtype",
        "nn",
    ),
]


def find_known(message: str) -> Known | None:
    """The known failure this fuzz failure message is, if any."""
    first, _, rest = message.partition("\n")
    for k in KNOWN:
        if re.search(k.failure, first) and (not k.program or re.search(k.program, rest)):
            return k
    return None
