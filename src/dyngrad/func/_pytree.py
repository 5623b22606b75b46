"""Nested containers of tensors ("pytrees"): flatten to a list of leaves and rebuild.

Tuples, lists and dicts are containers (dict keys keep their insertion order); everything else,
``None`` included, is a leaf, as in torch 2.13's pytree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["TreeSpec", "tree_flatten", "tree_unflatten", "tree_map", "broadcast_prefix"]

LEAF = "*"


class TreeSpec:
    """The shape of a pytree without its leaves: the container kind, its keys, its children."""

    __slots__ = ("kind", "keys", "children")

    def __init__(self, kind: str, keys: tuple[Any, ...] = (), children: tuple[TreeSpec, ...] = ()):
        self.kind = kind  # "leaf", "tuple", "list" or "dict"
        self.keys = keys
        self.children = children

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(child.num_leaves for child in self.children)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (
            self.kind == other.kind and self.keys == other.keys and self.children == other.children
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.keys, self.children))

    def __repr__(self) -> str:
        """Printed as torch's ``treespec_pprint``: ``*`` for a leaf, ``(*, {'a': *})``..."""
        if self.kind == "leaf":
            return LEAF
        parts = [repr(child) for child in self.children]
        if self.kind == "tuple":
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        if self.kind == "list":
            return "[" + ", ".join(parts) + "]"
        return "{" + ", ".join(f"{key!r}: {p}" for key, p in zip(self.keys, parts)) + "}"

    def torch_repr(self, indent: int = 0) -> str:
        """Printed as torch's ``TreeSpec`` repr: ``TreeSpec(tuple, None, [*,\n  *])``."""
        if self.kind == "leaf":
            return LEAF
        context = repr(list(self.keys)) if self.kind == "dict" else "None"
        indent += 2
        children = [child.torch_repr(indent) for child in self.children]
        body = (
            ",".join([children[0]] + ["\n" + " " * indent + child for child in children[1:]])
            if children
            else ""
        )
        return f"TreeSpec({self.kind}, {context}, [{body}])"


def tree_flatten(tree: Any) -> tuple[list[Any], TreeSpec]:
    """The leaves of ``tree`` in order, and its structure."""
    leaves: list[Any] = []
    return leaves, _flatten_into(tree, leaves)


def _flatten_into(tree: Any, leaves: list[Any]) -> TreeSpec:
    if type(tree) in (tuple, list):
        children = tuple(_flatten_into(item, leaves) for item in tree)
        return TreeSpec(type(tree).__name__, (), children)
    if type(tree) is dict:
        keys = tuple(tree)
        children = tuple(_flatten_into(tree[key], leaves) for key in keys)
        return TreeSpec("dict", keys, children)
    leaves.append(tree)
    return TreeSpec("leaf")


def tree_unflatten(leaves: list[Any] | tuple[Any, ...], spec: TreeSpec) -> Any:
    """Rebuild the container ``spec`` describes with ``leaves`` in it."""
    iterator = iter(leaves)
    return _build(spec, iterator)


def _build(spec: TreeSpec, leaves: Any) -> Any:
    if spec.kind == "leaf":
        return next(leaves)
    children = [_build(child, leaves) for child in spec.children]
    if spec.kind == "tuple":
        return tuple(children)
    if spec.kind == "list":
        return children
    return dict(zip(spec.keys, children))


def tree_map(fn: Callable[[Any], Any], tree: Any) -> Any:
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(leaf) for leaf in leaves], spec)


def broadcast_prefix(prefix: Any, spec: TreeSpec) -> list[Any] | None:
    """One value per leaf of ``spec``: a non-container in ``prefix`` covers its whole subtree.

    Returns None when ``prefix`` is not a prefix of the structure (e.g. a tuple of the wrong
    length), as torch's ``_broadcast_to_and_flatten`` does.
    """
    out: list[Any] = []
    return out if _broadcast_into(prefix, spec, out) else None


def _broadcast_into(prefix: Any, spec: TreeSpec, out: list[Any]) -> bool:
    prefix_is_container = type(prefix) in (tuple, list, dict)
    if not prefix_is_container:
        out.extend([prefix] * spec.num_leaves)
        return True
    if spec.kind != type(prefix).__name__ or len(prefix) != len(spec.children):
        return False
    if spec.kind == "dict":
        if set(prefix) != set(spec.keys):
            return False
        items = [prefix[key] for key in spec.keys]
    else:
        items = list(prefix)
    return all(_broadcast_into(item, child, out) for item, child in zip(items, spec.children))
