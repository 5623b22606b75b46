"""``dyngrad.func``: composable function transforms, as ``torch.func`` has them.

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``,
``vmap`` and ``linearize``, with ``functional_call``/``stack_module_state`` to use a module
as a function of its parameters; built only on ``dyngrad.autograd.grad`` and forward mode
(no backward code of their own). They are functional: inputs need not require grad, results carry no graph unless they depend on tensors
outside the call that require grad, and they nest (``vmap(grad(f))``, ``grad(grad(f))``).

>>> import dyngrad as torch
>>> from dyngrad.func import grad, vmap
>>> x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
>>> vmap(grad(lambda row: (row**2).sum()))(x)
tensor([[2., 4.],
        [6., 8.]])
"""

from __future__ import annotations

from ._grad import grad, grad_and_value, jvp, vjp
from ._jacobian import hessian, jacfwd, jacrev
from ._linearize import linearize
from ._module_call import functional_call, stack_module_state
from ._vmap import vmap

__all__ = [
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "jacrev",
    "jacfwd",
    "hessian",
    "vmap",
    "linearize",
    "functional_call",
    "stack_module_state",
]
