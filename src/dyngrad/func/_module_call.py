"""``functional_call`` and ``stack_module_state``: a module used as a pure function of its
parameters and buffers, so that ``grad``/``vmap`` can differentiate or batch over them
(per-sample gradients, model ensembles).

>>> import dyngrad as torch
>>> from dyngrad.func import functional_call
>>> m = torch.nn.Linear(2, 1)
>>> functional_call(m, {"weight": torch.ones(1, 2), "bias": torch.zeros(1)}, torch.ones(1, 2))
tensor([[2.]])
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .._tensor import Tensor

__all__ = ["functional_call", "stack_module_state"]


def _merged(dicts: Any) -> dict[str, Tensor]:
    if isinstance(dicts, dict):
        return dict(dicts)
    merged: dict[str, Tensor] = {}
    repeated: list[str] = []
    for d in dicts:
        for key, value in d.items():
            if key in merged:
                repeated.append(key)
            merged[key] = value
    if repeated:
        raise ValueError(
            f"{repeated} appeared in multiple dictionaries; behavior of functional call is "
            "ambiguous"
        )
    return merged


def _owner(module: Any, name: str) -> tuple[Any, str, str]:
    """(the submodule holding ``name``, the attribute's own name, its store)."""
    path, _, leaf = name.rpartition(".")
    owner = module.get_submodule(path) if path else module
    for store in ("_parameters", "_buffers"):
        if leaf in owner.__dict__.get(store, {}):
            return owner, leaf, store
    raise AttributeError(f"{type(owner).__name__} has no parameter or buffer `{leaf}`")


@contextmanager
def _swapped(module: Any, values: dict[str, Tensor], tie_weights: bool) -> Iterator[None]:
    """Within the block, each named parameter/buffer of ``module`` is the given tensor (and,
    with ``tie_weights``, so is every other name of a tied tensor not given itself)."""
    names: dict[int, list[str]] = {}
    for name, t in list(module.named_parameters(remove_duplicate=False)) + list(
        module.named_buffers(remove_duplicate=False)
    ):
        names.setdefault(id(t), []).append(name)
    targets = dict(values)
    if tie_weights:
        for name, value in values.items():
            owner, leaf, store = _owner(module, name)
            original = owner.__dict__[store][leaf]
            for other in names.get(id(original), ()):
                targets.setdefault(other, value)
    saved: list[tuple[dict[str, Any], str, Any]] = []
    try:
        for name, value in targets.items():
            owner, leaf, store = _owner(module, name)
            table = owner.__dict__[store]
            saved.append((table, leaf, table[leaf]))
            table[leaf] = value
        yield
    finally:
        for table, leaf, original in reversed(saved):
            table[leaf] = original


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: Any,
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """``module(*args, **kwargs)`` with its parameters and buffers replaced, for this call
    only, by the tensors of ``parameter_and_buffer_dicts`` (a dict, or a sequence of dicts,
    keyed by ``named_parameters``/``named_buffers`` names). Names not given keep the module's
    own values; ``strict=True`` requires exactly the module's names."""
    values = _merged(parameter_and_buffer_dicts)
    known = [n for n, _ in module.named_parameters(remove_duplicate=False)]
    known += [n for n, _ in module.named_buffers(remove_duplicate=False)]
    unexpected = [k for k in values if k not in known]
    if strict:
        missing = [k for k in known if k not in values]
        problems = []
        if unexpected:
            problems.append("Unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected))
        if missing:
            problems.append("Missing key(s): " + ", ".join(f"'{k}'" for k in missing))
        if problems:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                + "\n\t".join(p + "." for p in problems)
            )
    values = {k: v for k, v in values.items() if k not in unexpected}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, values, tie_weights):
        return module(*args, **(kwargs or {}))


def stack_module_state(models: Sequence[Any]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """The parameters (and buffers) of same-shaped ``models`` stacked along a new dim 0, as
    ``vmap`` over ``functional_call`` wants them: stacked parameters are new leaves (that
    require grad when the models' parameters do); buffers are stacked as they are."""
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    kinds = {type(m) for m in models}
    if len(kinds) != 1:
        raise RuntimeError(
            "stack_module_state: Expected all models to be of the same class, got: "
            + str(sorted(k.__name__ for k in kinds))
        )
    return _stacked(models, "named_parameters", True), _stacked(models, "named_buffers", False)


def _stacked(models: Sequence[Any], which: str, as_leaves: bool) -> dict[str, Tensor]:
    from .. import stack

    tables = [dict(getattr(m, which)()) for m in models]
    out: dict[str, Tensor] = {}
    for name in tables[0]:
        tensors = [t[name] for t in tables]
        if not as_leaves:
            out[name] = stack(tensors)
            continue
        flags = {t.requires_grad for t in tensors}
        if len(flags) != 1:
            raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
        stacked = stack([t.detach() for t in tensors])
        out[name] = stacked.requires_grad_(True) if flags.pop() else stacked
    return out
