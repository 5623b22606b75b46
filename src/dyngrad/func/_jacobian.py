"""``jacrev``, ``jacfwd`` and ``hessian``: full Jacobians as functions, as torch.func has them.

The Jacobian of an output ``y`` w.r.t. an input ``x`` has shape ``y.shape + x.shape``; row
``k`` (over the flattened output) is the vjp of the one-hot cotangent ``e_k``. The result is
nested like torch's: the output's structure outside, the structure of the argument(s) at
``argnums`` inside (a tuple when ``argnums`` is a tuple).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._creation import zeros
from .._tensor import Tensor
from ..autograd.forward_ad import MissingJvpRule
from ..autograd.grad_mode import enable_grad
from ..ops.shape import stack
from ._argnums import normalize_argnums, replace_args, select_args
from ._forward import forward_jacobian
from ._grad import JVP_API, VJP_API, check_floating_outputs, check_outputs, split_aux
from ._level import GradLevel
from ._pytree import tree_flatten, tree_map, tree_unflatten

__all__ = ["jacrev", "jacfwd", "hessian"]


def _jacobian_rows(level: GradLevel, output: Tensor) -> list[list[Tensor]]:
    """For each input of ``level``: the rows ``e_kᵀ ∂output/∂input``, one per output element."""
    flat_size = output.numel()
    rows: list[list[Tensor]] = [[] for _ in level.inputs]
    for k in range(flat_size):
        basis = zeros(flat_size, dtype=output.dtype)
        basis[k] = 1.0  # type: ignore[index]
        cotangent = basis.reshape(output.shape)  # type: ignore[attr-defined]
        for per_input, grad in zip(rows, level.vjp([output], [cotangent], retain_graph=True)):
            per_input.append(grad)
    return rows


def _jacobian_of(level: GradLevel, output: Tensor) -> list[Tensor]:
    """``∂output/∂input`` for every input of ``level``, each shaped ``output.shape + input.shape``."""
    if output.numel() == 0:
        return [zeros(tuple(output.shape) + tuple(x.shape), dtype=x.dtype) for x in level.inputs]
    jacobians = []
    for x, rows in zip(level.inputs, _jacobian_rows(level, output)):
        with enable_grad():
            jacobians.append(stack(rows, 0).reshape(tuple(output.shape) + tuple(x.shape)))
    return jacobians


def _make_jacobian_transform(
    func: Callable[..., Any], argnums: Any, has_aux: bool, api: str
) -> Callable[..., Any]:
    """The Jacobian transform; ``api`` names torch's underlying transform in error messages."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        which = normalize_argnums(argnums, len(args))
        flat_diff, diff_spec = tree_flatten(select_args(args, which))
        with GradLevel(flat_diff) as level:
            new_args = replace_args(args, tree_unflatten(level.inputs, diff_spec), which)
            with enable_grad():
                output, aux = split_aux(func(*new_args, **kwargs), has_aux, api)
            flat_outputs, output_spec = tree_flatten(output)
            check_outputs(flat_outputs, api)
            if api == VJP_API:
                check_floating_outputs(flat_outputs)
            per_output = [
                tree_unflatten(_jacobian_of(level, out), diff_spec) for out in flat_outputs
            ]
            jacobian = tree_unflatten(per_output, output_spec)
            if has_aux:
                return jacobian, tree_map(level.release, aux)
            return jacobian

    return wrapper


def jacrev(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
    _preallocate_and_copy: bool = False,
) -> Callable[..., Any]:
    """The Jacobian of ``func`` w.r.t. the argument(s) at ``argnums``, by reverse mode.

    ``jacrev(f)(x)[i..., j...] = ∂f(x)[i...]/∂x[j...]``. ``chunk_size`` is accepted; rows are
    computed one vjp at a time whatever its value.

    >>> import dyngrad as torch
    >>> from dyngrad.func import jacrev
    >>> jacrev(torch.sin)(torch.tensor([0.0, 1.0]))
    tensor([[1.0000, 0.0000],
            [0.0000, 0.5403]])
    """
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _make_jacobian_transform(func, argnums, has_aux, VJP_API)


def jacfwd(
    func: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    has_aux: bool = False,
    *,
    randomness: str = "error",
) -> Callable[..., Any]:
    """The Jacobian of ``func`` w.r.t. the argument(s) at ``argnums``, by forward mode: one
    jvp per input element, with one-hot tangents (column k is ``J e_k``).

    Note: a function reaching something without a jvp rule (a custom Function with no
    ``jvp``) gets its Jacobian from reverse-mode vjps instead (same values, same nesting).

    >>> import dyngrad as torch
    >>> from dyngrad.func import jacfwd
    >>> jacfwd(lambda x: x**2)(torch.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    by_reverse_mode = _make_jacobian_transform(func, argnums, has_aux, JVP_API)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if randomness not in ("error", "different", "same"):
            raise RuntimeError(
                "Only allowed values for randomness are 'error', 'different', or 'same'. "
                f"Got {randomness}"
            )
        which = normalize_argnums(argnums, len(args))
        flat_diff, diff_spec = tree_flatten(select_args(args, which))
        for primal in flat_diff:
            if not isinstance(primal, Tensor):
                raise ValueError(
                    f"Thing passed to transform API must be Tensor, got {type(primal)}"
                )
        try:
            jacobian, aux = forward_jacobian(
                func,
                args,
                kwargs,
                which,
                flat_diff,
                diff_spec,
                lambda output: split_aux(output, has_aux, JVP_API),
                lambda flat: check_outputs(flat, JVP_API),
            )
        except MissingJvpRule:
            return by_reverse_mode(*args, **kwargs)
        return (jacobian, aux) if has_aux else jacobian

    return wrapper


def hessian(func: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Hessian of a function: ``jacfwd(jacrev(func, argnums), argnums)``.

    >>> import dyngrad as torch
    >>> from dyngrad.func import hessian
    >>> hessian(lambda x: (x**3).sum())(torch.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)
