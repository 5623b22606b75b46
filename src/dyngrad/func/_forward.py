"""Forward-mode ``jvp`` and ``jacfwd`` for ``dyngrad.func``, on dual tensors.

Each call opens a private forward-AD level (``autograd.forward_ad.push_level``), makes every
primal a dual tensor with its tangent at that level, runs the function and reads the outputs'
tangents back: ``jvp`` is one such pass, ``jacfwd`` one pass per input element with one-hot
tangents (column k of the Jacobian is ``J e_k``). Levels nest, so ``jvp(jvp(f))`` and
``jacfwd(jacrev(f))`` (the Hessian) work.

Note: until every op family has jvp rules, a function that reaches an op without one raises
``MissingJvpRule``; the callers (``_grad.jvp``, ``_jacobian.jacfwd``) then compute the same
values with reverse mode (the double-vjp trick, vjps with one-hot cotangents).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._creation import zeros, zeros_like
from .._tensor import Tensor
from ..autograd import forward_ad
from ..ops.shape import stack
from ._argnums import replace_args
from ._pytree import tree_flatten, tree_map, tree_unflatten

__all__ = ["forward_jvp", "forward_jacobian"]


def _primal(value: Any, level: forward_ad.DualLevel) -> Any:
    """``value`` without its tangent at ``level`` (non-tensors as they are)."""
    if isinstance(value, Tensor):
        return forward_ad.unpack_at(value, level).primal
    return value


def forward_jvp(
    func: Callable[..., Any],
    flat_primals: list[Tensor],
    primals_spec: Any,
    flat_tangents: list[Tensor],
    split: Callable[[Any], tuple[Any, Any]],
    check: Callable[[list[Any]], None],
) -> tuple[list[Tensor], list[Tensor | None], Any, Any]:
    """One forward pass of ``func`` on dual primals: (flat outputs, their tangents or None,
    the output structure, aux). ``split`` separates ``(output, aux)``; ``check`` validates
    the flat outputs."""
    level = forward_ad.push_level()
    try:
        duals = [forward_ad.make_dual_at(p, t, level) for p, t in zip(flat_primals, flat_tangents)]
        output, aux = split(func(*tree_unflatten(duals, primals_spec)))
        flat_outputs, output_spec = tree_flatten(output)
        check(flat_outputs)
        outs, tangents = [], []
        for out in flat_outputs:
            primal, tangent = forward_ad.unpack_at(out, level)
            outs.append(primal)
            tangents.append(tangent)
        aux = tree_map(lambda a: _primal(a, level), aux)
    finally:
        forward_ad.pop_level(level)
    return outs, tangents, output_spec, aux


def forward_jacobian(
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    which: Any,
    flat_diff: list[Tensor],
    diff_spec: Any,
    split: Callable[[Any], tuple[Any, Any]],
    check: Callable[[list[Any]], None],
) -> tuple[Any, Any]:
    """(the Jacobian nested as torch.func.jacfwd nests it, aux): one forward pass per element
    of the differentiated inputs, with a one-hot tangent; column k is ``∂output/∂x · e_k``."""

    def run(index: int, k: int) -> tuple[list[Tensor], list[Tensor], Any, Any]:
        x = flat_diff[index]
        basis = zeros(x.numel(), dtype=x.dtype)
        basis[k] = 1.0  # type: ignore[index]
        tangent = basis.reshape(x.shape)
        level = forward_ad.push_level()
        try:
            diff = list(flat_diff)
            diff[index] = forward_ad.make_dual_at(x, tangent, level)
            new_args = replace_args(args, tree_unflatten(diff, diff_spec), which)
            output, aux = split(func(*new_args, **kwargs))
            flat_outputs, output_spec = tree_flatten(output)
            check(flat_outputs)
            outs, columns = [], []
            for out in flat_outputs:
                primal, t = forward_ad.unpack_at(out, level)
                outs.append(primal)
                columns.append(zeros_like(primal) if t is None else t)
            aux = tree_map(lambda a: _primal(a, level), aux)
        finally:
            forward_ad.pop_level(level)
        return outs, columns, output_spec, aux

    # columns[j][i]: the columns of ∂output_j/∂input_i
    columns: list[list[list[Tensor]]] | None = None
    outs: list[Tensor] = []
    output_spec: Any = None
    aux: Any = None
    for i, x in enumerate(flat_diff):
        for k in range(x.numel()):
            outs, cols, output_spec, aux = run(i, k)
            if columns is None:
                columns = [[[] for _ in flat_diff] for _ in outs]
            for j, c in enumerate(cols):
                columns[j][i].append(c)
    if columns is None:  # every differentiated input is empty: one pass for the outputs
        output, aux = split(func(*args, **kwargs))
        outs, output_spec = tree_flatten(output)
        check(outs)
        columns = [[[] for _ in flat_diff] for _ in outs]
    per_output = []
    for out, per_input in zip(outs, columns):
        jacobians = []
        for x, cols in zip(flat_diff, per_input):
            shape = tuple(out.shape) + tuple(x.shape)
            if cols:
                jacobians.append(stack(cols, -1).reshape(shape))
            else:
                jacobians.append(zeros(shape, dtype=out.dtype))
        per_output.append(tree_unflatten(jacobians, diff_spec))
    return tree_unflatten(per_output, output_spec), aux
