"""Fuzz failures that are torch's, not dyngrad's: torch itself fails on a valid program (its
backward kernel raises) where dyngrad gives the gradient torch gives once the input is
rewritten by hand. Each has a regression test (``test_regressions*.py``) that checks both
halves: torch raises, and dyngrad's answer equals torch's on the rewritten program. The
bounded run and the campaign recognise them (by the failure's first line and an op in the
program) and count them apart; anything else is a new failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Known:
    failure: str  # regex searched in the failure's first line
    program: str  # regex searched in the program text ("" matches any)
    test: str  # the regression test (in tests/fuzz/test_regressions*.py)
    owner: str  # who holds the fix (torch, for the entries left)


def _ops(*names: str) -> str:
    """A regex for a call of any of these op-table entries in a program."""
    return r"OP\['(" + "|".join(re.escape(n) for n in names) + r")'\]"


KNOWN: list[Known] = [
    Known(
        r"^after the last step, x\d+: shape \(0,\) != torch \((1,)?\)",
        _ops("addmv"),
        "test_addmv_with_an_empty_matrix_has_no_rows",
        "torch (its addmv with an empty matrix returns the input's shape)",
    ),
    Known(
        r"^(backward #\d|autograd.grad\(create_graph=True\)): torch raised RuntimeError: "
        r"TensorAccessor expected 1 dims but tensor has 2",
        _ops("F.batch_norm"),
        "test_batch_norm_with_a_two_dim_weight_gives_its_gradient_that_shape",
        "torch (its batch_norm backward refuses the (1, C) weight its forward took)",
    ),
    Known(
        r"^(backward #\d|autograd.grad\(create_graph=True\)): torch raised RuntimeError: The size "
        r"of tensor a \(\d+\) must match the size of tensor b \(0\)",
        _ops(
            "scatter_reduce", "scatter_reduce_", "scatter_reduce_ties", "scatter_reduce_max_alias"
        ),
        "test_scatter_reduce_with_an_empty_index_passes_the_gradient_through",
        "torch (its amax/amin/prod scatter_reduce backward fails on an empty index)",
    ),
    Known(
        r"^backward #\d: torch raised RuntimeError: size mismatch \(got input: \[\d+\], target: \[1\]\)",
        _ops("F.nll_loss", "F.nll_loss_all_ignored", "F.cross_entropy"),
        "test_nll_loss_of_one_sample_with_a_one_element_target_backward",
        "torch (its nll_loss backward refuses the (1,) target its forward took for a (C,) input)",
    ),
    Known(
        r"^backward #\d: torch raised RuntimeError: adaptive_(avg|max)_pool2d_backward\(\): "
        r"Expected grad_output to have non-zero size",
        _ops(
            "F.adaptive_avg_pool2d",
            "F.adaptive_avg_pool2d_empty",
            "F.adaptive_max_pool2d",
            "F.adaptive_avg_pool1d",
            "F.adaptive_max_pool1d",
            "adaptive_max_pool1d",
        ),
        "test_adaptive_avg_pool2d_with_no_channels_has_an_empty_gradient",
        "torch (its adaptive pool backward refuses the empty gradient its forward produced)",
    ),
    Known(
        r"^(backward #\d|autograd.grad\(create_graph=True\)): torch raised RuntimeError: output "
        r"with shape \[[\d, ]*\] doesn't match "
        r"the broadcast shape",
        _ops("clamp", "clamp_nan", "clamp_more", "clamp_", "clip"),
        "test_clamp_with_broadcast_tensor_bounds_backward",
        "torch (its clamp backward writes a broadcast gradient into the smaller input)",
    ),
    Known(
        r"^(backward #\d|autograd.grad\(create_graph=True\)): torch raised RuntimeError: "
        r"Found dtype (Float|Double|Half) but expected",
        _ops("F.huber_loss", "F.huber_loss_weight", "F.huber_loss_delta"),
        "test_huber_loss_keeps_the_input_dtype",
        "torch (its huber_loss backward fails when target's dtype is not input's)",
    ),
]


def find_known(message: str) -> Known | None:
    """The known failure this fuzz failure message is, if any."""
    first, _, rest = message.partition("\n")
    for k in KNOWN:
        if re.search(k.failure, first) and (not k.program or re.search(k.program, rest)):
            return k
    return None
