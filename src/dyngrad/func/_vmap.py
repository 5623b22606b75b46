"""``vmap``: map a function over one dimension of its inputs, as torch.func.vmap does.

Note: dyngrad has no batched tensors. ``vmap`` runs ``func`` once per index of the mapped
dimension, on the slices ``x.unbind(in_dim)[b]`` (plain, differentiable ops), and stacks the
per-sample outputs along ``out_dims``. That is correct for every function built from dyngrad
ops, including other transforms (``vmap(grad(f))`` gives per-sample gradients, ``vmap(vmap(f))``
nests), at the speed of a Python loop. ``chunk_size`` is accepted and changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _random
from .._creation import zeros
from .._tensor import Tensor
from ..ops.shape import stack
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOM_IN_ERROR_MODE = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap"
)


def _name(func: Callable[..., Any]) -> str:
    if hasattr(func, "__name__"):
        return str(func.__name__)
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


def _check_out_dims(out_dims: Any, func: Callable[..., Any]) -> None:
    if isinstance(out_dims, int):
        return
    for leaf in tree_flatten(out_dims)[0]:
        if leaf is not None and not isinstance(leaf, int):
            raise ValueError(
                f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, "
                "None or a python collection of ints representing where in the outputs the "
                "vmapped dimension should appear."
            )


def _flat_in_dims(in_dims: Any, args: tuple[Any, ...], func: Callable[..., Any]) -> Any:
    """(flat args, their spec, one in_dim per flat arg (wrapped to >= 0), the batch size)."""
    name = _name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
            f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}."
        )
    if len(args) == 0:
        raise ValueError(
            f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
            "trying to vmap over a function with no inputs. The latter is unsupported."
        )
    flat_args, args_spec = tree_flatten(args)
    flat_dims = broadcast_prefix(in_dims, args_spec)
    if flat_dims is None:
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with "
            f"the structure of `inputs`. in_dims has structure "
            f"{tree_flatten(in_dims)[1].torch_repr()} but inputs has structure "
            f"{args_spec.torch_repr()}."
        )
    for i, (arg, dim) in enumerate(zip(flat_args, flat_dims)):
        if dim is None:
            continue
        if not isinstance(dim, int):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={dim} for an input "
                "but in_dim must be either an integer dimension or None."
            )
        if not isinstance(arg, Tensor):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={dim} for an input "
                f"but the input is of type {type(arg)}. We cannot vmap over non-Tensor "
                "arguments, please use None as the respective in_dim"
            )
        ndim = arg.dim()
        if dim < -ndim or dim >= ndim:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={dim} for some "
                f"input, but that input is a Tensor of dimensionality {ndim} so expected in_dim "
                f"to satisfy -{ndim} <= in_dim < {ndim}."
            )
        flat_dims[i] = dim % ndim
    sizes = [arg.shape[d] for arg, d in zip(flat_args, flat_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(size != sizes[0] for size in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    return flat_args, args_spec, flat_dims, sizes[0]


def _slices_of(flat_args: list[Any], flat_dims: list[Any], batch_size: int) -> list[list[Any]]:
    """``per_sample[b]``: the flat args of sample ``b`` (unmapped args shared by all)."""
    columns = [
        list(arg.unbind(dim)) if dim is not None else [arg] * batch_size
        for arg, dim in zip(flat_args, flat_dims)
    ]
    return [[column[b] for column in columns] for b in range(batch_size)]


def _zero_sample(flat_args: list[Any], flat_dims: list[Any]) -> list[Any]:
    """Stand-in inputs for a batch of size 0: zeros with the per-sample shape."""
    sample = []
    for arg, dim in zip(flat_args, flat_dims):
        if dim is None:
            sample.append(arg)
        else:
            shape = tuple(s for d, s in enumerate(arg.shape) if d != dim)
            sample.append(zeros(shape, dtype=arg.dtype))
    return sample


def _run_samples(
    func: Callable[..., Any],
    per_sample: list[list[Any]],
    args_spec: Any,
    kwargs: dict[str, Any],
    randomness: str,
) -> list[Any]:
    generator = _random.default_generator
    start_state = generator.get_state()
    outputs = []
    for flat_sample in per_sample:
        if randomness == "same":
            generator.set_state(start_state)
        outputs.append(func(*tree_unflatten(flat_sample, args_spec), **kwargs))
        if randomness == "error" and generator.get_state() != start_state:
            raise RuntimeError(_RANDOM_IN_ERROR_MODE)
    return outputs


def _combine(func: Callable[..., Any], outputs: list[Any], out_dims: Any, batch_size: int) -> Any:
    """Stack the per-sample outputs, leaf by leaf, along each leaf's out_dim."""
    name = _name(func)
    flat_per_sample = [tree_flatten(out) for out in outputs]
    output_spec = flat_per_sample[0][1]
    if isinstance(outputs[0], Tensor) and isinstance(out_dims, tuple) and len(out_dims) == 1:
        flat_out_dims: list[Any] | None = list(out_dims)
    else:
        flat_out_dims = broadcast_prefix(out_dims, output_spec)
    if flat_out_dims is None:
        raise ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
            f"the structure of `outputs`. out_dims has structure "
            f"{tree_flatten(out_dims)[1].torch_repr()} but outputs has structure "
            f"{output_spec.torch_repr()}."
        )
    results = []
    for i, dim in enumerate(flat_out_dims):
        column = [flat[i] for flat, _ in flat_per_sample]
        if dim is None:
            if any(isinstance(v, Tensor) and not _same_tensor(v, column[0]) for v in column[1:]):
                raise ValueError(
                    f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is "
                    "None"
                )
            results.append(column[0])
            continue
        if not isinstance(column[0], Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                f"{type(column[0])}. Did you mean to set out_dims= to None for output?"
            )
        if batch_size == 0:
            shape = list(column[0].shape)
            shape.insert(dim % (len(shape) + 1), 0)
            results.append(zeros(tuple(shape), dtype=column[0].dtype))
        else:
            results.append(stack(column, dim))
    return tree_unflatten(results, output_spec)


def _same_tensor(a: Tensor, b: Any) -> bool:
    """Whether two per-sample outputs hold the same values (then they are not batched)."""
    if a is b:
        return True
    if not isinstance(b, Tensor) or a.shape != b.shape:
        return False
    return bool(
        np.array_equal(a.detach().numpy(), b.detach().numpy(), equal_nan=a.is_floating_point())
    )


def vmap(
    func: Callable[..., Any],
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable[..., Any]:
    """Vectorize ``func`` over one dimension: ``vmap(f)(x)[b] == f(x[b])``.

    ``in_dims``: an int (every tensor argument mapped over that dimension), or a tuple with one
    entry per positional argument (nested like a tuple/list/dict argument); ``None`` leaves an
    argument unmapped. ``out_dims``: where the mapped dimension goes in each output. Keyword
    arguments are passed through unmapped. ``randomness``: ``'error'`` (a random op inside
    raises), ``'different'`` or ``'same'`` (every sample sees the same random numbers).

    >>> import dyngrad as torch
    >>> from dyngrad.func import vmap
    >>> vmap(torch.dot)(torch.ones(3, 2), torch.ones(3, 2))
    tensor([2., 2., 2.])
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. "
            f"Got {randomness}"
        )
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _check_out_dims(out_dims, func)
        flat_args, args_spec, flat_dims, batch_size = _flat_in_dims(in_dims, args, func)
        if batch_size == 0:
            per_sample = [_zero_sample(flat_args, flat_dims)]
        else:
            per_sample = _slices_of(flat_args, flat_dims, batch_size)
        outputs = _run_samples(func, per_sample, args_spec, kwargs, randomness)
        return _combine(func, outputs, out_dims, batch_size)

    return wrapped
