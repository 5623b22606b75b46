"""``linearize``: a function's value at a point and its Jacobian-vector product there, as a
function of the tangents (forward mode: ``jvp_fn(v) = J(primals) · v``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._grad import jvp

__all__ = ["linearize"]


def linearize(func: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """``(func(*primals), jvp_fn)`` with ``jvp_fn(*tangents) = ∂func/∂primals · tangents``.

    Note: torch traces ``func`` once and replays the linear part; here each call of
    ``jvp_fn`` runs ``func`` again on dual tensors (same values, more time per call).

    >>> import dyngrad as torch
    >>> from dyngrad.func import linearize
    >>> y, jvp_fn = linearize(torch.sin, torch.tensor([0.0, 1.0]))
    >>> jvp_fn(torch.ones(2))
    tensor([1.0000, 0.5403])
    """
    output = func(*primals)

    def jvp_fn(*tangents: Any) -> Any:
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn
