"""``argnums`` handling shared by ``grad``, ``jacrev``, ``jacfwd`` and ``hessian``."""

from __future__ import annotations

from typing import Any

__all__ = ["normalize_argnums", "select_args", "replace_args"]

Argnums = int | tuple[int, ...]


def _wrap_argnum(argnum: Any, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def normalize_argnums(argnums: Any, num_args: int) -> Argnums:
    """``argnums`` with negative positions wrapped, checked as torch.func checks it."""
    if not isinstance(argnums, (int, tuple)):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        return _wrap_argnum(argnums, num_args)
    wrapped = tuple(_wrap_argnum(a, num_args) for a in argnums)
    if len(wrapped) == 0:
        raise RuntimeError("argnums must be non-empty")
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return wrapped


def select_args(args: tuple[Any, ...], argnums: Argnums) -> Any:
    """The argument at ``argnums`` (an int), or the tuple of those at ``argnums`` (a tuple)."""
    if isinstance(argnums, int):
        return args[argnums]
    return tuple(args[i] for i in argnums)


def replace_args(args: tuple[Any, ...], new: Any, argnums: Argnums) -> tuple[Any, ...]:
    """``args`` with the entries at ``argnums`` replaced by ``new`` (shaped as select_args)."""
    replaced = list(args)
    if isinstance(argnums, int):
        replaced[argnums] = new
    else:
        for i, value in zip(argnums, new):
            replaced[i] = value
    return tuple(replaced)
