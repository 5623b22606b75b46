"""How torch's einsum gets to its result, replayed on shapes and dtypes only: the result's
dtype (or torch's error for operands of different dtypes) and, for two operands, its memory
layout. ``contraction.einsum`` computes the values its own way and uses these to match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _dtype
from ._registry import _TYPE_NAMES
from .elementwise_layout import order_by_strides

if TYPE_CHECKING:
    from .._tensor import Tensor
    from .contraction import _Plan

__all__ = ["torch_copies_operand", "torch_dtype_and_layout"]


def _sum_dtype(d: Any) -> Any:
    return _dtype.int64 if not d.is_floating_point else d


def torch_dtype_and_layout(
    operands: list[Tensor], plan: _Plan
) -> tuple[Any, tuple[int, ...] | None]:
    """The result dtype torch's einsum gives (or its error) and, when its last step is a
    contraction, the result's layout; following its steps: operands
    are taken left to right into a running result; a subscript is dealt with at the last
    operand that has it (if not in the output): squeezed where both sides have size 1,
    summed on the one side where only that side has it (sums turn integers into int64),
    else contracted. No contraction: a product (the dtypes promote). A contraction is a
    batched matmul: the dtypes must match (torch's error) unless a side is empty, where
    the result takes the right side's dtype. Its result's dims lie in memory as: those both
    sides have (size > 1), then those of one side only, the running result's first unless
    the first of these output subscripts is one the running result does not have at all
    (so ``ij,jk->ki`` is laid out as its own C order); observed, not derived."""
    out = set(plan.out)
    last: dict[int, int] = {}
    for k, labels in enumerate(plan.subs):
        for label in labels:
            if label not in out:
                last[label] = k

    def sizes(k: int) -> dict[int, int]:
        return dict(zip(plan.subs[k], operands[k].shape))

    result, dt = sizes(0), operands[0].dtype
    seen = set(plan.subs[0])
    layout: tuple[int, ...] | None = None
    private_sums = False
    for label, k in last.items():
        if k == 0 and result[label] != 1:
            dt = _sum_dtype(dt)
            private_sums = True
    for k in range(1, len(operands)):
        other, other_dt = sizes(k), operands[k].dtype
        contracted = False
        for label, at in last.items():
            if at != k:
                continue
            mine, theirs = result.get(label, 1), other.get(label, 1)
            if mine == 1 and theirs != 1:
                other_dt = _sum_dtype(other_dt)
                private_sums = True
            elif theirs == 1 and mine != 1:
                dt = _sum_dtype(dt)
            elif mine != 1:
                contracted = True
        empty = _empty_product(result, other, last, k)
        # (observed for two operands that contract without summing dims of their own first;
        # the other cases keep the left side first, which is not always torch's order)
        swapped = (contracted and len(operands) == 2 and not private_sums
                   and _right_first(plan.out, result, other, seen))  # fmt: skip
        if k == 1 == len(operands) - 1:  # (two operands: what was observed)
            if contracted:
                layout = _pair_layout(plan.out, result, other, swapped)
            else:
                layout = _product_layout(plan, operands)
        seen.update(plan.subs[k])
        if not contracted:
            dt = _dtype.promote_types(dt, other_dt)
        elif dt is not other_dt:
            # (the batched matmul takes the right side first when it leads the output)
            first, second = (other_dt, dt) if swapped else (dt, other_dt)
            if not empty:
                raise RuntimeError(
                    f"expected scalar type {_TYPE_NAMES[first.name]} but found "
                    f"{_TYPE_NAMES[second.name]}"
                )
            dt = second
        for label, size in other.items():
            if label not in last or last[label] > k:
                result[label] = max(size, result.get(label, 1)) if size else 0
        for label in [lbl for lbl in result if lbl in last and last[lbl] <= k]:
            del result[label]
    return dt, layout


def _empty_product(
    result: dict[int, int], other: dict[int, int], last: dict[int, int], k: int
) -> bool:
    """Whether step ``k`` multiplies an empty side: a dim summed on one side only (first, into
    zeros where it is empty) does not count."""

    def summed_alone(label: int, mine: dict[int, int], theirs: dict[int, int]) -> bool:
        at = last.get(label, len(last) + k + 1)
        return at < k or (at == k and theirs.get(label, 1) == 1 and mine[label] != 1)

    return any(n == 0 and not summed_alone(lbl, result, other) for lbl, n in result.items()) or any(
        n == 0 and not summed_alone(lbl, other, result) for lbl, n in other.items()
    )


def _product_layout(plan: _Plan, operands: list[Tensor]) -> tuple[int, ...]:
    """The output positions from the outermost in memory when torch's last step is the
    product of the two operands seen along the output's subscripts (their own dims' strides,
    or C order along the output for one first summed over subscripts of its own; a subscript
    an operand lacks or broadcasts from size 1 tells nothing): the layout of an elementwise
    result of them."""
    shape = tuple(plan.sizes[label] for label in plan.out)
    strides = []
    for k, (x, labels) in enumerate(zip(operands, plan.subs)):
        own = dict(zip(labels, zip(x.shape, x._data.strides)))
        if any(lbl not in plan.out and lbl not in plan.subs[1 - k] for lbl in labels):
            # summed over its own subscripts first: a new tensor, C-ordered along the output
            step = 1
            for label in reversed([lbl for lbl in plan.out if lbl in own]):
                own[label] = (own[label][0], step)
                step *= own[label][0]
        strides.append([
            0 if label not in own or (own[label][0] == 1 and size != 1) else own[label][1]
            for label, size in zip(plan.out, shape)
        ])  # fmt: skip
    return tuple(order_by_strides(shape, strides)[::-1])


def _right_first(
    out: list[int], left: dict[int, int], right: dict[int, int], left_labels: set[int]
) -> bool:
    """Whether torch's contraction of ``left`` (the running result) with ``right`` puts the
    right side first: the first output subscript of one side only (not of size 1 on both)
    is one the running result does not have at all."""
    deciding = [  # (a size-1 dim counts as absent; an empty one does not)
        label for label in out if (left.get(label, 1) != 1) != (right.get(label, 1) != 1)
    ]  # fmt: skip
    left_own = any(left.get(label, 1) != 1 for label in deciding)
    return left_own and deciding[0] not in left_labels


def _pair_layout(
    out: list[int], left: dict[int, int], right: dict[int, int], right_first: bool
) -> tuple[int, ...]:
    """The output positions from the outermost in memory after a contraction of ``left``
    (the running result) with ``right`` (see ``torch_dtype_and_layout``)."""
    both, left_only, right_only = [], [], []
    for pos, label in enumerate(out):
        in_left, in_right = left.get(label, 1) != 1, right.get(label, 1) != 1
        if in_left and in_right:
            both.append(pos)
        elif in_left:
            left_only.append(pos)
        else:
            right_only.append(pos)
    if right_first:
        return (*both, *right_only, *left_only)
    return (*both, *left_only, *right_only)


def torch_copies_operand(
    x: Tensor, labels: tuple[int, ...], other: dict[int, int], keep: tuple[int, ...],
    canonical: list[int], left: bool,
) -> bool:  # fmt: skip
    """Whether torch's pairwise contraction step reads a copy of operand ``x`` (so an in-place
    change of ``x`` afterwards does not reach what the step saves), not a view of it.

    Replays the step on shapes and strides: the dims, in torch's label order ``canonical``
    (the output's subscripts, then the summed ones), fall into batch dims (size > 1 on both
    sides and kept), own kept dims, summed dims (both sides > 1; a dim only this side has at
    size > 1 while the other has it at 1 is summed away on this side first: a new tensor)
    and the other side's dims. The left side is then laid out as (batch, own, summed), the
    right as (batch, summed, own), each group merged into one dim: a view where each group's
    dims of size > 1 follow each other in memory (stride = next stride · next size), else a
    copy. ``other``: the other side's size per subscript; ``keep``: the step's result's."""
    item = x._data.itemsize
    own: dict[int, list[int]] = {}
    for label, size, stride in zip(labels, x.shape, x._data.strides):
        if label in own:  # a diagonal: one dim stepping through both
            own[label][1] += stride // item
        else:
            own[label] = [size, stride // item]
    batch: list[int] = []
    mine: list[int] = []
    summed: list[int] = []
    for label in canonical:
        if label not in own or own[label][0] == 1:
            continue
        theirs = other.get(label, 1)
        if label in keep:
            (batch if theirs != 1 else mine).append(label)
        elif theirs == 1:
            return True  # summed on this side alone first
        else:
            summed.append(label)
    groups = (batch, mine, summed) if left else (batch, summed, mine)
    for group in groups:
        for a, b in zip(group, group[1:]):
            if own[a][1] != own[b][1] * own[b][0]:
                return True
    return False
