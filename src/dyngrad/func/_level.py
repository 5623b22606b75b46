"""One level of differentiation for the ``dyngrad.func`` transforms, built on ``autograd.grad``.

torch.func keeps a "level" per transform so that ``grad(grad(f))`` differentiates each input
only through its own level. Here a level is emulated with plain autograd:

* every primal gets a fresh tensor that the function sees: a private leaf
  (``x.detach().requires_grad_()``) when nothing outside needs gradients through it, or a view
  ``x.view_as(x)`` when ``x`` already requires grad (and grad mode is on), so gradients also
  flow on to ``x`` through the outer graph;
* gradients are taken w.r.t. those fresh tensors (never w.r.t. the caller's ``x`` directly,
  which avoids perturbation confusion in ``grad(lambda x: grad(lambda y: x * y)(x))``);
* ``create_graph`` is used only when a result can depend on something outside the level
  (a view of an outer tensor, a closed-over tensor that requires grad, a cotangent that
  requires grad), and every result that depends on nothing but the level's private leaves
  (or those of transforms that already returned) is detached, so results keep a graph
  exactly when torch's would.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from .._tensor import Tensor
from ..autograd import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from ..autograd.graph import AccumulateGrad, grad_accumulator

__all__ = ["GradLevel", "detached_zeros_like", "keep_tangents"]


# The level that made each private leaf, keyed by the leaf's AccumulateGrad node. Both sides
# are weak: an entry lives while the node does (its level or a graph holds it), and a level
# that is gone counts as returned. Nothing here keeps a level or a graph alive.
_OWNER: weakref.WeakKeyDictionary[AccumulateGrad, weakref.ref[GradLevel]] = (
    weakref.WeakKeyDictionary()
)


class GradLevel:
    """The fresh inputs of one transform call and the rules to leave the level again.

    Use as a context manager: on exit the level is no longer active, and its private leaves
    count as constants for every other level (see ``depends_on_outer``).
    """

    def __init__(self, primals: Sequence[Any]) -> None:
        self.outer_grad_enabled = is_grad_enabled()
        self.active = True
        self.inputs: list[Tensor] = []
        self._nodes: list[AccumulateGrad] = []  # keeps the _OWNER entries alive
        self.connected = False
        for primal in primals:
            if not isinstance(primal, Tensor):
                raise ValueError(
                    f"Thing passed to transform API must be Tensor, got {type(primal)}"
                )
            if self.outer_grad_enabled and primal.requires_grad:
                with enable_grad():
                    fresh = primal.view_as(primal)  # type: ignore[attr-defined]
                self.connected = True
            else:
                fresh = self.private_leaf(primal)
            self.inputs.append(fresh)

    def __enter__(self) -> GradLevel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.active = False

    def private_leaf(self, like: Tensor) -> Tensor:
        """A new leaf with ``like``'s value that requires grad and belongs to this level (and
        ``like``'s forward-mode tangents: ``jvp``/``jacfwd`` over this transform)."""
        leaf = keep_tangents(like.detach().requires_grad_(True), like)
        node = grad_accumulator(leaf)
        _OWNER[node] = weakref.ref(self)
        self._nodes.append(node)
        return leaf

    # --- is a tensor tied to something outside this level? ------------------------------
    def _is_outside(self, leaf_node: AccumulateGrad) -> bool:
        """Whether a leaf is a real dependency for this level's caller.

        A user's leaf is; so is a private leaf of another level that is still active (an
        enclosing transform differentiating through this one). This level's own leaves, and
        those of levels that have returned (nested transforms already done), are constants.
        """
        owner_ref = _OWNER.get(leaf_node)
        if owner_ref is None:
            return True
        owner = owner_ref()
        return owner is not None and owner is not self and owner.active

    def depends_on_outer(self, tensors: Sequence[Any]) -> bool:
        """True if a graph of ``tensors`` reaches a leaf that is outside this level."""
        if not self.outer_grad_enabled:
            return False
        stack: list[Any] = []
        for t in tensors:
            if isinstance(t, Tensor) and t.requires_grad:
                stack.append(t.grad_fn if t.grad_fn is not None else grad_accumulator(t))
        seen = set(stack)
        while stack:
            node = stack.pop()
            if isinstance(node, AccumulateGrad):
                if self._is_outside(node):
                    return True
                continue
            for nxt, _ in node.next_functions:
                if nxt is not None and nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    def release(self, value: Any) -> Any:
        """``value`` as the caller outside the level sees it: detached unless tied to outside."""
        if isinstance(value, Tensor) and value.requires_grad and not self.depends_on_outer([value]):
            return keep_tangents(value.detach(), value)
        return value

    # --- vector-Jacobian product -------------------------------------------------------
    def vjp(
        self,
        outputs: Sequence[Tensor],
        cotangents: Sequence[Any] | None,
        retain_graph: bool = False,
    ) -> list[Tensor]:
        """``Σ_j cotangent_j · ∂output_j/∂input_i`` for every input (zeros where unused)."""
        if cotangents is None:
            cotangents = [None] * len(outputs)
        pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
        if not pairs:
            return [detached_zeros_like(x) for x in self.inputs]
        outs = [o for o, _ in pairs]
        cots = [c for _, c in pairs]
        create = self.outer_grad_enabled and (
            self.connected
            or any(isinstance(c, Tensor) and c.requires_grad for c in cots)
            or self.depends_on_outer(outs)
        )
        with enable_grad() if create else no_grad():
            grads = autograd_grad(
                outs,
                self.inputs,
                cots,
                retain_graph=retain_graph or create,
                create_graph=create,
                allow_unused=True,
            )
        return [
            detached_zeros_like(x) if g is None else self.release(g)
            for g, x in zip(grads, self.inputs)
        ]

    # --- Jacobian-vector product (the double-vjp trick) ---------------------------------
    def jvp(self, outputs: Sequence[Tensor], tangents: Sequence[Tensor]) -> list[Tensor | None]:
        """``Σ_i ∂output_j/∂input_i · tangent_i`` for every output; None where independent.

        Note: computed without forward-mode AD. ``u ↦ vjp(u) = Jᵀu`` is linear in a dummy
        cotangent ``u``, so differentiating ``⟨vjp(u), t⟩`` w.r.t. ``u`` gives ``J t``.
        """
        dependent = [j for j, o in enumerate(outputs) if o.requires_grad]
        result: list[Tensor | None] = [None] * len(outputs)
        if not dependent:
            return result
        dummies = [self.private_leaf(detached_zeros_like(outputs[j])) for j in dependent]
        with enable_grad():
            grads = autograd_grad(
                [outputs[j] for j in dependent],
                self.inputs,
                dummies,
                retain_graph=True,
                create_graph=True,
                allow_unused=True,
            )
        pairs = [(g, t) for g, t in zip(grads, tangents) if g is not None and g.requires_grad]
        if not pairs:
            return result
        create = self.outer_grad_enabled and (
            self.connected
            or any(t.requires_grad for _, t in pairs)
            or self.depends_on_outer(outputs)
        )
        with enable_grad() if create else no_grad():
            products = autograd_grad(
                [g for g, _ in pairs],
                dummies,
                [t for _, t in pairs],
                retain_graph=True,
                create_graph=create,
                allow_unused=True,
            )
        for j, product in zip(dependent, products):
            result[j] = None if product is None else self.release(product)
        return result


def keep_tangents(detached: Tensor, source: Tensor) -> Tensor:
    """``detached`` (made from ``source`` by ``detach()``) with ``source``'s forward-mode
    tangents: leaving a grad level drops the reverse-mode graph only."""
    detached._fw = source._fw
    return detached


def detached_zeros_like(t: Tensor) -> Tensor:
    from .._creation import zeros_like

    return zeros_like(t.detach())
