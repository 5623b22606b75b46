"""einsum (any equation: implicit or explicit output, repeated subscripts, ellipsis,
size-1 broadcasting) and tensordot.

A contraction of two operands runs in one node on ``numpy.einsum``; of more, in one such
node per operand taken left to right into a running result, as torch takes them (so each
node saves what torch's pairwise product saves: each side only for the other's gradient).
A node's backward is again an einsum: for y = einsum(x₀, x₁, …), x̄ₖ = einsum(ȳ, the other
xⱼ) onto xₖ's subscripts. A subscript that repeats inside xₖ (a diagonal, ``'ii->i'``) gets
a fresh name for each repeat plus an identity matrix tying the two, so the gradient lands on
that diagonal only; a subscript that only xₖ has (summed inside xₖ) gets a vector of ones,
which spreads ȳ along it.

Like torch, an equation with one operand is a diagonal/permute/sum of it, and with several
operands the result comes from a final view of the contraction (or, when no subscript is
summed, from a product of the last operand with the rest), so ``grad_fn`` names match torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import save_inputs
from ._registry import OWN, OpNode, register, tangent_sum
from .contraction_steps import torch_copies_operand, torch_dtype_and_layout

__all__ = ["einsum", "tensordot"]

_ELLIPSIS_BASE = 52  # labels 0-51 are 'A'-'Z', 'a'-'z' (ASCII order); ellipsis dims follow


def _invalid_subscript(index: int) -> RuntimeError:
    return RuntimeError(
        f"einsum(): invalid subscript given at index {index} in the equation string, "
        "subscripts must be in [a-zA-Z]"
    )


def _label_of(ch: str, index: int) -> int:
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A")
    if "a" <= ch <= "z":
        return 26 + ord(ch) - ord("a")
    raise _invalid_subscript(index)


def _name(label: int) -> str:
    return chr(ord("A") + label) if label < 26 else chr(ord("a") + label - 26)


_Term = list[Any]  # subscripts of one operand: label ints, and Ellipsis at most once


def _parse_equation(equation: str) -> tuple[list[_Term], _Term | None]:
    """Split ``'ij,jk->ik'`` into per-operand subscript lists and the output (None: implicit)."""
    lhs, arrow, rhs = equation.partition("->")
    terms = _parse_terms(lhs, 0)
    if not arrow:
        return terms, None
    if "," in rhs:
        raise _invalid_subscript(len(lhs) + 2 + rhs.index(","))
    return terms, _parse_terms(rhs, len(lhs) + 2)[0]


def _parse_terms(part: str, start: int) -> list[_Term]:
    """Comma-separated subscripts (letters, at most one ``...`` each; spaces ignored)."""
    terms: list[_Term] = [[]]
    i = 0
    while i < len(part):
        ch = part[i]
        if ch == ",":
            terms.append([])
        elif ch == ".":
            k = len(terms) - 1
            if part[i : i + 3] != "...":
                raise RuntimeError(
                    f"einsum(): found '.' for operand {k} that is not part of any ellipsis"
                )
            if Ellipsis in terms[-1]:
                raise RuntimeError(
                    f"einsum(): found '.' for operand {k} for which an ellipsis was already found"
                )
            terms[-1].append(Ellipsis)
            i += 2
        elif not ch.isspace():
            terms[-1].append(_label_of(ch, start + i))
        i += 1
    return terms


def _parse_sublists(args: tuple[Any, ...]) -> tuple[list[Tensor], list[_Term], _Term | None]:
    """torch.einsum(op0, [0, 1], op1, [1, 2], [0, 2]) (the sublist format)."""
    operands, terms = [], []
    i = 0
    while i + 1 < len(args):
        operands.append(args[i])
        terms.append([s if s is Ellipsis else _sublist_label(s) for s in args[i + 1]])
        i += 2
    out = None
    if i < len(args):
        out = [s if s is Ellipsis else _sublist_label(s) for s in args[i]]
    return operands, terms, out


def _sublist_label(s: Any) -> int:
    s = int(s)
    if not 0 <= s < 52:
        raise RuntimeError(
            f"einsum(): expected subscript to be within the range [0, 52), but got {s}"
        )
    return s


class _Plan:
    """An equation resolved against the operands' shapes: explicit labels everywhere."""

    def __init__(self, operands: list[Tensor], terms: list[_Term], out: _Term | None) -> None:
        n_ell = 0
        for k, (x, term) in enumerate(zip(operands, terms)):
            named = len(term) - (Ellipsis in term)
            if Ellipsis in term:
                if named > x.ndim:
                    raise RuntimeError(
                        f"einsum(): the number of subscripts in the equation ({named}) is more "
                        f"than the number of dimensions ({x.ndim}) for operand {k}"
                    )
                n_ell = max(n_ell, x.ndim - named)
            elif named != x.ndim:
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({named}) does not "
                    f"match the number of dimensions ({x.ndim}) for operand {k} and no ellipsis "
                    "was given"
                )
        ell = [_ELLIPSIS_BASE + i for i in range(n_ell)]
        self.subs: list[list[int]] = []
        self.sizes: dict[int, int] = {}
        for k, (x, term) in enumerate(zip(operands, terms)):
            labels: list[int] = []
            for s in term:
                if s is Ellipsis:
                    count = x.ndim - (len(term) - 1)
                    labels.extend(ell[n_ell - count :])
                else:
                    labels.append(s)
            self._record_sizes(k, labels, tuple(x.shape))
            self.subs.append(labels)
        self.out = self._output(out, ell)

    def _record_sizes(self, k: int, labels: list[int], shape: tuple[int, ...]) -> None:
        seen: dict[int, int] = {}
        for label, size in zip(labels, shape):
            if label in seen and seen[label] != size:
                raise RuntimeError(
                    f"einsum(): subscript {_name(label)} is repeated for operand {k} but the "
                    f"sizes don't match, {size} != {seen[label]}"
                )
            seen[label] = size
            before = self.sizes.get(label)
            if before is None or before == 1:
                self.sizes[label] = size
            elif size != 1 and size != before:
                what = _name(label) if label < _ELLIPSIS_BASE else "..."
                raise RuntimeError(
                    f"einsum(): subscript {what} has size {size} for operand {k} which does not "
                    f"broadcast with previously seen size {before}"
                )

    def _output(self, out: _Term | None, ell: list[int]) -> list[int]:
        counts: dict[int, int] = {}
        for operand in self.subs:
            for label in operand:
                counts[label] = counts.get(label, 0) + 1
        if out is None:
            once = sorted(lbl for lbl, c in counts.items() if c == 1 and lbl < _ELLIPSIS_BASE)
            return ell + once
        labels: list[int] = []
        for s in out:
            if s is Ellipsis:
                labels.extend(ell)
                continue
            if s in labels:
                raise RuntimeError(
                    f"einsum(): output subscript {_name(s)} appears more than once in the output"
                )
            if s not in counts:
                raise RuntimeError(
                    f"einsum(): output subscript {_name(s)} does not appear in the equation for "
                    "any input operand"
                )
            labels.append(s)
        return labels


class EinsumBackward0(OpNode):
    """y = Σ over the summed subscripts of ∏ₖ xₖ (numpy.einsum);
    x̄ₖ = einsum(ȳ, xⱼ (j ≠ k), identities for xₖ's repeated subscripts, ones for its own);
    ẏ = Σₖ einsum(x₀, …, ẋₖ, …) (multilinear: one term per operand with a tangent)."""

    promote = OWN

    def forward(self, *arrays: np.ndarray, subs: tuple[tuple[int, ...], ...],
                out: tuple[int, ...], sizes: dict[int, int],
                layout: tuple[int, ...] | None = None) -> Any:  # fmt: skip
        """``layout``: the result's dims from the outermost in memory (None: C order)."""
        self.subs, self.out, self.sizes = subs, out, sizes
        self.shapes = tuple(a.shape for a in arrays)
        ops: list[Any] = []
        compact = {label: i for i, label in enumerate(sorted(sizes))}
        for a, labels in zip(arrays, subs):
            ops += [a, [compact[lbl] for lbl in labels]]
        result = np.einsum(*ops, [compact[lbl] for lbl in out], optimize=len(arrays) > 2)
        result = np.asarray(result, dtype=arrays[0].dtype)
        if layout is not None and list(layout) != sorted(layout):
            laid = np.empty([result.shape[d] for d in layout], result.dtype)
            laid = laid.transpose(np.argsort(layout))
            laid[...] = result
            return laid
        return result if result.flags.c_contiguous else result.copy()

    def backward(self, g: Tensor) -> tuple[Any, ...]:
        inputs = self.saved_tensors
        grads = []
        for k, needed in enumerate(self.needs_input_grad):
            grads.append(self._grad_of(k, g, inputs) if needed else None)
        return tuple(grads)

    def jvp(self, *args: Any) -> Any:
        """ẏ = Σₖ einsum(x₀, …, ẋₖ, …, xₙ₋₁) over the operands k that have a tangent."""
        n = len(self.subs)
        tangents, primals = args[:n], list(args[n : 2 * n])
        terms = []
        for k, tangent in enumerate(tangents):
            if tangent is not None:
                operands = primals[:k] + [tangent] + primals[k + 1 :]
                terms.append(contract(operands, list(self.subs), self.out, self.sizes))
        return tangent_sum(*terms)

    def _grad_of(self, k: int, g: Tensor, inputs: tuple[Tensor, ...]) -> Tensor:
        tensors: list[Tensor] = [g]
        subs: list[tuple[int, ...]] = [self.out]
        for j, x in enumerate(inputs):
            if j != k:
                tensors.append(x)
                subs.append(self.subs[j])
        sizes = dict(self.sizes)
        fresh = max(sizes) + 1
        target: list[int] = []
        for label in self.subs[k]:
            if label in target:  # a repeat: its own name, tied to the first by an identity
                sizes[fresh] = sizes[label]
                eye = np.eye(sizes[label], dtype=g._data.dtype)
                tensors.append(Tensor._make(eye, False, None, 0))
                subs.append((label, fresh))
                target.append(fresh)
                fresh += 1
            else:
                target.append(label)
        provided = {lbl for labels in subs for lbl in labels}
        for label in target:
            if label not in provided:  # summed within x_k alone: the gradient spreads along it
                ones = np.ones(sizes[label], dtype=g._data.dtype)
                tensors.append(Tensor._make(ones, False, None, 0))
                subs.append((label,))
                provided.add(label)
        grad = contract(tensors, subs, tuple(target), sizes)
        # a subscript xₖ has at full size while every other operand broadcasts it from 1
        shape = np.broadcast_shapes(tuple(grad.shape), self.shapes[k])
        return grad if shape == tuple(grad.shape) else grad.expand(shape)  # type: ignore[attr-defined,no-any-return]


def contract(
    tensors: list[Tensor], subs: list[tuple[int, ...]], out: tuple[int, ...], sizes: dict[int, int],
    layout: tuple[int, ...] | None = None,
) -> Tensor:  # fmt: skip
    """One einsum node over explicit integer labels, saving for the backward each operand
    another operand's gradient reads (xₖ's gradient reads every xⱼ, j ≠ k; as torch's
    products, an operand no other operand's gradient needs is not saved, so an in-place
    change of it is no error)."""
    result = EinsumBackward0.apply(*tensors, subs=tuple(subs), out=out, sizes=sizes, layout=layout)
    node = result.grad_fn
    if isinstance(node, EinsumBackward0):
        needed = [edge[0] is not None for edge in node.next_functions]
        wanted = sum(needed)
        save_inputs(
            node,
            tuple(x if wanted - needed[k] > 0 else None for k, x in enumerate(tensors)),
        )
    return result  # type: ignore[no-any-return]


# --- torch's structure: one operand -> diagonal/permute/sum, several -> contraction ---------


def _single(x: Tensor, labels: list[int], keep: list[int]) -> Tensor:
    """x's repeated subscripts as diagonals, permuted to ``keep`` + the rest, the rest summed."""
    labels = list(labels)
    while len(set(labels)) != len(labels):
        first = next(lbl for lbl in labels if labels.count(lbl) > 1)
        p = labels.index(first)
        q = labels.index(first, p + 1)
        x = x.diagonal(0, p, q)  # type: ignore[attr-defined]
        labels = [lbl for i, lbl in enumerate(labels) if i not in (p, q)] + [first]
    summed = [lbl for lbl in labels if lbl not in keep]
    order = [labels.index(lbl) for lbl in keep] + [labels.index(lbl) for lbl in summed]
    x = x.permute(tuple(order))  # type: ignore[attr-defined]
    if summed:
        x = x.sum(tuple(range(len(keep), len(order))))  # type: ignore[attr-defined]
    return x


def _sum_private_subscripts(
    operands: list[Tensor], plan: _Plan
) -> tuple[list[Tensor], list[tuple[int, ...]], list[bool]]:
    """Each operand with subscripts no other operand and not the output has, summed over them
    first (as torch does: the contraction then keeps the sums, not the operand, for its
    backward, so an in-place change of the operand is no error, as in torch); and for each,
    whether it is still the operand itself."""
    new_operands, new_subs, unchanged = [], [], []
    for k, (x, labels) in enumerate(zip(operands, plan.subs)):
        elsewhere = set(plan.out).union(*(s for j, s in enumerate(plan.subs) if j != k))
        keep = list(dict.fromkeys(lbl for lbl in labels if lbl in elsewhere))
        if len(keep) == len(set(labels)):
            new_operands.append(x)
            new_subs.append(tuple(labels))
            unchanged.append(True)
        else:
            new_operands.append(_single(x, labels, keep))
            new_subs.append(tuple(keep))
            unchanged.append(False)
    return new_operands, new_subs, unchanged


def _sums_a_subscript(plan: _Plan) -> bool:
    """Whether any subscript is summed over (torch then ends with a view of the contraction;
    otherwise every subscript is in the output and torch's last step is a product)."""
    return any(lbl not in plan.out for labels in plan.subs for lbl in labels)


def _left_to_right(
    operands: list[Tensor], subs: list[tuple[int, ...]], unchanged: list[bool], out: list[int],
    sizes: dict[int, int], layout: tuple[int, ...] | None,
) -> Tensor:  # fmt: skip
    """The contraction taken as torch takes it: a running result contracted with one operand
    at a time, left to right, keeping the subscripts a later operand or the output has. Each
    step saves its two sides, as torch's pairwise products do, not every operand; a side
    torch lays out for its product by a copy (``torch_copies_operand``) goes through a clone
    here too, so an in-place change of the operand itself is no error, as in torch."""
    labels = {lbl for s in subs for lbl in s}
    canonical = list(out) + sorted(lbl for lbl in labels if lbl not in out)
    running, running_subs = operands[0], subs[0]
    for k in range(1, len(operands)):
        if k == len(operands) - 1:
            keep = tuple(out)
        else:
            later = set(out).union(*subs[k + 1 :])
            seen = dict.fromkeys((*running_subs, *subs[k]))
            keep = tuple(lbl for lbl in seen if lbl in later)
        right = operands[k]
        left_sizes = dict(zip(running_subs, running.shape))
        right_sizes = dict(zip(subs[k], right.shape))
        if (
            k == 1
            and unchanged[0]
            and torch_copies_operand(running, running_subs, right_sizes, keep, canonical, left=True)
        ):
            running = running.clone()  # type: ignore[attr-defined]
        if unchanged[k] and torch_copies_operand(
            right, subs[k], left_sizes, keep, canonical, left=False
        ):
            right = right.clone()  # type: ignore[attr-defined]
        step_layout = layout if k == len(operands) - 1 else None
        running = contract([running, right], [running_subs, subs[k]], keep, sizes, step_layout)
        running_subs = keep
    return running


def _broadcast_to_out(x: Tensor, labels: list[int], out: list[int]) -> Tensor:
    shape = [x.shape[labels.index(lbl)] if lbl in labels else 1 for lbl in out]
    return x.reshape(shape)  # type: ignore[attr-defined,no-any-return]


def _evaluate(operands: list[Tensor], plan: _Plan, layout: tuple[int, ...] | None = None) -> Tensor:
    out = plan.out
    if len(operands) == 1:
        return _single(operands[0], plan.subs[0], out)
    if _sums_a_subscript(plan):
        operands, subs, unchanged = _sum_private_subscripts(operands, plan)
        result = _left_to_right(operands, subs, unchanged, out, plan.sizes, layout)
        return result.view(tuple(result.shape))  # type: ignore[attr-defined,no-any-return]
    # the last operand only multiplies: (everything before it) * (it), broadcast to the output
    last = plan.subs[-1]
    last_keep = [lbl for lbl in out if lbl in last]
    before = {lbl for s in plan.subs[:-1] for lbl in s}
    left_keep = [lbl for lbl in out if lbl in before]
    if len(operands) == 2:
        left = _single(operands[0], plan.subs[0], left_keep)
    else:
        left_plan = _sub_plan(plan, left_keep)
        left = _evaluate(operands[:-1], left_plan)
    right = _single(operands[-1], last, last_keep)
    return _broadcast_to_out(left, left_keep, out) * _broadcast_to_out(right, last_keep, out)  # type: ignore[operator,no-any-return]


def _sub_plan(plan: _Plan, out: list[int]) -> _Plan:
    sub = _Plan.__new__(_Plan)
    sub.subs, sub.sizes, sub.out = plan.subs[:-1], plan.sizes, out
    return sub


@register(method=False)
def einsum(*args: Any) -> Tensor:
    """Sum of products over subscripts: ``einsum('ij,jk->ik', a, b)`` is ``a @ b``.

    Accepts torch's forms: an equation with the operands (or a list of them), implicit
    output (the subscripts used once, in alphabetical order, after any ellipsis dims),
    ``...`` for broadcast dims, and the sublist form ``einsum(a, [0, 1], b, [1, 2])``.

    >>> a = dyngrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> dyngrad.einsum("ii", a)
    tensor(5.)
    >>> dyngrad.einsum("ij,j->i", a, dyngrad.tensor([1.0, -1.0]))
    tensor([-1., -1.])
    """
    if not args:
        raise TypeError(
            "einsum(): must specify the equation string and at least one operand, or at least one operand and its subscripts list"
        )
    if isinstance(args[0], str):
        equation, rest = args[0], args[1:]
        operands = (
            list(rest[0]) if len(rest) == 1 and isinstance(rest[0], (list, tuple)) else list(rest)
        )
        terms, out = _parse_equation(equation)
    else:
        operands, terms, out = _parse_sublists(args)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    if len(operands) < len(terms):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(operands) > len(terms):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    for x in operands:
        if not isinstance(x, Tensor):
            raise TypeError(f"einsum(): operands must be tensors, got {type(x).__name__}")
    plan = _Plan(operands, terms, out)
    if len(operands) == 1:
        return _evaluate(operands, plan)
    want, layout = torch_dtype_and_layout(operands, plan)
    if any(x.dtype is not want for x in operands) and len({x.dtype for x in operands}) > 1:
        operands = [x if x.dtype is want else x.to(want) for x in operands]  # type: ignore[attr-defined]
    result = _evaluate(operands, plan, layout)
    if result.dtype is not want:  # (integers only: torch's sums along the way give int64)
        result = result.to(want)  # type: ignore[attr-defined]
    return result


# --- tensordot --------------------------------------------------------------------------


def _tensordot_dims(a: Tensor, b: Tensor, dims: Any) -> tuple[list[int], list[int]]:
    if isinstance(dims, Tensor):
        dims = dims.item() if dims.ndim == 0 else dims.tolist()
    if isinstance(dims, (int, np.integer)):
        n = int(dims)
        if n < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
        if n > a.ndim or n > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={n}")
        return list(range(-n, 0)), list(range(n))
    dims_a, dims_b = dims
    dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
    dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    return [int(d) for d in dims_a], [int(d) for d in dims_b]


@register(method=False)
def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """Contract ``dims`` of ``a`` with ``dims`` of ``b`` (an int n: a's last n with b's first n).

    As in torch, a permute and reshape of each side into a matrix, one mm, and a view (over
    every dim of both: the sum of the product of the permuted sides, so what is saved for
    the backward are views of the operands, as in torch)."""
    from .._tensor import _wrap_dim

    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    dims_a, dims_b = _tensordot_dims(a, b, dims)
    wa: list[int] = []
    wb: list[int] = []
    for ra, rb in zip(dims_a, dims_b):  # (pair by pair: torch's first error wins)
        da, db = _wrap_dim(ra, a.ndim), _wrap_dim(rb, b.ndim)
        wa.append(da)
        wb.append(db)
        # (as torch: a size-1 dim contracts with any size: the other side is summed over it)
        if b.shape[db] == 1:
            a = a.sum(da, keepdim=True)  # type: ignore[attr-defined]
        elif a.shape[da] == 1:
            b = b.sum(db, keepdim=True)  # type: ignore[attr-defined]
        elif a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[da]} in dim "
                f"{ra} and second has size {b.shape[db]} in dim {rb}"
            )
    for wrapped in (wa, wb):
        repeated = next((d for d in wrapped if wrapped.count(d) > 1), None)
        if repeated is not None:
            raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    free_a = [d for d in range(a.ndim) if d not in wa]
    free_b = [d for d in range(b.ndim) if d not in wb]
    if not free_a and not free_b:  # every dim: as torch, the sum of a product of views
        return (a.permute(wa) * b.permute(wb)).sum().reshape(())  # type: ignore[attr-defined,no-any-return]
    k = int(np.prod([a.shape[d] for d in wa]))
    rows = int(np.prod([a.shape[d] for d in free_a]))
    cols = int(np.prod([b.shape[d] for d in free_b]))
    left = a.permute((*free_a, *wa)).reshape(rows, k)  # type: ignore[attr-defined]
    right = b.permute((*wb, *free_b)).reshape(k, cols)  # type: ignore[attr-defined]
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return (left @ right).reshape(shape)  # type: ignore[no-any-return]
