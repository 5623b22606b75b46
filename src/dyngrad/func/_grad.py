"""``grad``, ``grad_and_value``, ``vjp`` and ``jvp``: torch.func's functional autodiff.

Each call opens a :class:`GradLevel` (fresh inputs that require grad), runs ``func`` under
grad mode, takes gradients with ``autograd.grad`` and hands back results that keep a graph
only when they depend on tensors outside the call (so nesting works and nothing leaks).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from ..autograd.forward_ad import MissingJvpRule
from ..autograd.grad_mode import enable_grad
from ._argnums import normalize_argnums, replace_args, select_args
from ._forward import forward_jvp
from ._level import GradLevel, detached_zeros_like
from ._pytree import tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp"]

_GRAD_API = "grad_and_value(f)(*args)"
JVP_API = "jvp(f, primals, tangents)"
VJP_API = "vjp(f, *primals)"


def split_aux(output: Any, has_aux: bool, api: str) -> tuple[Any, Any]:
    if not has_aux:
        return output, None
    if not (isinstance(output, tuple) and len(output) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return output[0], output[1]


def grad_and_value(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """Like :func:`grad`, but the returned function gives ``(gradient, value)``.

    With ``has_aux=True`` it gives ``(gradient, (value, aux))``.

    >>> import dyngrad as torch
    >>> from dyngrad.func import grad_and_value
    >>> grad_and_value(lambda x: (x**2).sum())(torch.tensor([1.0, 2.0]))
    (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        which = normalize_argnums(argnums, len(args))
        flat_diff, diff_spec = tree_flatten(select_args(args, which))
        with GradLevel(flat_diff) as level:
            new_args = replace_args(args, tree_unflatten(level.inputs, diff_spec), which)
            with enable_grad():
                output, aux = split_aux(func(*new_args, **kwargs), has_aux, _GRAD_API)
            if not isinstance(output, Tensor):
                raise RuntimeError(
                    f"{_GRAD_API}: Expected f(*args) to return a Tensor, got {type(output)}"
                )
            if output.dim() != 0:
                raise RuntimeError(
                    f"{_GRAD_API}: Expected f(*args) to return a scalar Tensor, got tensor with "
                    f"{output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
                )
            gradients = tree_unflatten(level.vjp([output], None), diff_spec)
            value = level.release(output)
            if has_aux:
                return gradients, (value, tree_map(level.release, aux))
            return gradients, value

    return wrapper


def grad(
    func: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """The gradient of a scalar function, as a function: ``grad(f)(x) = ∂f/∂x``.

    ``argnums`` picks the argument(s) to differentiate (an int gives that argument's gradient,
    a tuple gives a tuple); an argument may be a tuple/list/dict of tensors, and its gradient
    has the same structure. ``has_aux=True``: ``func`` returns ``(output, aux)`` and the result
    is ``(gradient, aux)``. Inputs need not require grad; transforms nest (``grad(grad(f))``).

    >>> import dyngrad as torch
    >>> from dyngrad.func import grad
    >>> x = torch.tensor([0.0, 1.0])
    >>> grad(lambda x: torch.sin(x).sum())(x)
    tensor([1.0000, 0.5403])
    >>> grad(grad(lambda x: x**3))(torch.tensor(2.0))
    tensor(12.)
    """
    value_and_grad = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gradients, value = value_and_grad(*args, **kwargs)
        if has_aux:
            return gradients, value[1]
        return gradients

    return wrapper


def check_outputs(flat_outputs: list[Any], api: str) -> None:
    if len(flat_outputs) == 0:
        raise RuntimeError(
            f"{api}: Expected f to be a function that has non-empty output (got output = [])"
        )
    for out in flat_outputs:
        if not isinstance(out, Tensor):
            raise RuntimeError(
                f"{api}: expected f(*primals) to return only tensors, got unsupported type "
                f"{type(out)}"
            )


def check_floating_outputs(flat_outputs: list[Tensor]) -> None:
    for out in flat_outputs:
        if not out.is_floating_point():
            raise RuntimeError(
                "vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got "
                f"Tensor with dtype {out.dtype}"
            )


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Any:
    """``(func(*primals), vjp_fn)``, where ``vjp_fn(v)`` gives ``vᵀ·∂func/∂primals``.

    ``vjp_fn`` takes cotangents shaped like the output (same structure) and returns a tuple with
    one gradient per primal; it may be called any number of times. ``has_aux=True`` returns
    ``(output, vjp_fn, aux)``.

    >>> import dyngrad as torch
    >>> from dyngrad.func import vjp
    >>> out, vjp_fn = vjp(torch.sin, torch.tensor([0.0, 1.0]))
    >>> vjp_fn(torch.ones(2))
    (tensor([1.0000, 0.5403]),)
    """
    flat_primals, primals_spec = tree_flatten(primals)
    with GradLevel(flat_primals) as level:
        with enable_grad():
            output = func(*tree_unflatten(level.inputs, primals_spec))
            output, aux = split_aux(output, has_aux, VJP_API)
        flat_outputs, output_spec = tree_flatten(output)
        check_outputs(flat_outputs, VJP_API)
        check_floating_outputs(flat_outputs)

        def vjp_fn(cotangents: Any) -> tuple[Any, ...]:
            flat_cotangents, cotangent_spec = tree_flatten(cotangents)
            if cotangent_spec != output_spec:
                raise RuntimeError(
                    "Expected pytree structure of cotangents to be the same as pytree structure of "
                    f"outputs to the function. cotangents: {cotangent_spec}, primal output: "
                    f"{output_spec}"
                )
            gradients = level.vjp(flat_outputs, flat_cotangents, retain_graph=True)
            return tree_unflatten(gradients, primals_spec)  # type: ignore[no-any-return]

        released = tree_unflatten([level.release(o) for o in flat_outputs], output_spec)
        if has_aux:
            return released, vjp_fn, tree_map(level.release, aux)
        return released, vjp_fn


def jvp(
    func: Callable[..., Any],
    primals: Any,
    tangents: Any,
    *,
    strict: bool = False,
    has_aux: bool = False,
) -> Any:
    """``(func(*primals), ∂func/∂primals · tangents)``: a Jacobian-vector product, by
    forward-mode AD (one pass of ``func`` on dual tensors). ``strict=True`` rejects outputs
    independent of the primals.

    Note: a function reaching something without a jvp rule (a custom Function with no
    ``jvp``) is differentiated with the double-vjp trick instead (reverse mode twice).

    >>> import dyngrad as torch
    >>> from dyngrad.func import jvp
    >>> jvp(torch.sin, (torch.tensor([0.0, 1.0]),), (torch.ones(2),))
    (tensor([0.0000, 0.8415]), tensor([1.0000, 0.5403]))
    """
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"{JVP_API}: Expected primals to be a tuple. E.g. it should be valid to call "
            "f(*primals)."
        )
    flat_primals, primals_spec = tree_flatten(primals)
    flat_tangents, tangents_spec = tree_flatten(tangents)
    if primals_spec != tangents_spec:
        raise RuntimeError(
            f"{JVP_API}: Expected primals and tangents to have the same python structure. "
            "For example, if primals is a tuple of 3 tensors, tangents also must be. Got "
            f"primals with structure {primals_spec.torch_repr()} and tangents with structure "
            f"{tangents_spec.torch_repr()}"
        )
    for name, flat in (("primals", flat_primals), ("tangents", flat_tangents)):
        if len(flat) == 0:
            raise RuntimeError(f"{JVP_API}: Expected {name} to contain at least one Tensor.")
        for t in flat:
            if not isinstance(t, Tensor):
                raise RuntimeError(
                    f"{JVP_API}: Expected {name} to only contain Tensors, got {type(t)}"
                )
    for p, t in zip(flat_primals, flat_tangents):
        if p.shape != t.shape:
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} "
                f"while the given forward gradient is of size {list(t.shape)}."
            )
    tangents_cast = [
        t if t.dtype == p.dtype else t.to(p.dtype) for p, t in zip(flat_primals, flat_tangents)
    ]
    try:
        outs, products, output_spec, aux = forward_jvp(
            func,
            flat_primals,
            primals_spec,
            tangents_cast,
            lambda output: split_aux(output, has_aux, JVP_API),
            lambda flat: check_outputs(flat, JVP_API),
        )
    except MissingJvpRule:
        return _double_vjp_jvp(func, flat_primals, primals_spec, tangents_cast, strict, has_aux)
    tangents_out = []
    for out, product in zip(outs, products):
        if product is None:
            if strict:
                raise RuntimeError(_STRICT_JVP_MESSAGE)
            product = detached_zeros_like(out)
        tangents_out.append(product)
    result = (tree_unflatten(outs, output_spec), tree_unflatten(tangents_out, output_spec))
    if has_aux:
        return (*result, aux)
    return result


_STRICT_JVP_MESSAGE = (
    "jvp(f, primals, tangents, strict=True): The output of f is independent of the inputs. "
    "This is not allowed with strict=True."
)


def _double_vjp_jvp(
    func: Callable[..., Any],
    flat_primals: list[Tensor],
    primals_spec: Any,
    tangents_cast: list[Tensor],
    strict: bool,
    has_aux: bool,
) -> Any:
    """``jvp`` by reverse mode: the vjp ``u ↦ Jᵀu`` differentiated w.r.t. the dummy ``u``."""
    with GradLevel(flat_primals) as level:
        with enable_grad():
            output = func(*tree_unflatten(level.inputs, primals_spec))
            output, aux = split_aux(output, has_aux, JVP_API)
        flat_outputs, output_spec = tree_flatten(output)
        check_outputs(flat_outputs, JVP_API)
        products = level.jvp(flat_outputs, tangents_cast)
        tangents_out = []
        for out, product in zip(flat_outputs, products):
            if product is None:
                if strict:
                    raise RuntimeError(_STRICT_JVP_MESSAGE)
                product = detached_zeros_like(out)
            tangents_out.append(product)
        primals_out = tree_unflatten([level.release(o) for o in flat_outputs], output_spec)
        result = (primals_out, tree_unflatten(tangents_out, output_spec))
        if has_aux:
            return (*result, tree_map(level.release, aux))
        return result
