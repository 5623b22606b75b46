"""gradcheck / gradgradcheck: compare analytical gradients with central finite differences.

For f: ℝⁿ → ℝᵐ the analytical Jacobian column for input element j comes from backward with
unit vectors, and the numerical one from (f(x + ε·eⱼ) − f(x − ε·eⱼ)) / 2ε, in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck when a gradient does not match its finite-difference estimate."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> tuple[Tensor, ...]:
    return tuple(o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor))


def _numerical_jacobian(
    fn: Callable[..., Any], inputs: Sequence[Any], eps: float
) -> list[list[np.ndarray]]:
    """jac[i][k] has shape (inputs[i].numel(), outputs[k].numel())."""
    from .grad_mode import no_grad

    with no_grad():
        outs = _outputs(fn, inputs)
        jac: list[list[np.ndarray]] = []
        for x in inputs:
            if not (isinstance(x, Tensor) and x.requires_grad):
                jac.append([])
                continue
            data = x._data  # perturbed in place, element by element (any memory layout)
            cols = [np.zeros((data.size, o._data.size)) for o in outs]
            for j in range(data.size):
                where = np.unravel_index(j, data.shape)
                orig = data[where].item()
                data[where] = orig + eps
                plus = [o._data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
                data[where] = orig - eps
                minus = [o._data.astype(np.float64).reshape(-1) for o in _outputs(fn, inputs)]
                data[where] = orig
                for k in range(len(outs)):
                    cols[k][j] = (plus[k] - minus[k]) / (2 * eps)
            jac.append(cols)
    return jac


def _analytical_jacobian(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[list[np.ndarray]]:
    from . import grad as autograd_grad

    outs = _outputs(fn, inputs)
    is_diff = [isinstance(x, Tensor) and x.requires_grad for x in inputs]
    diff_inputs = [x for x, d in zip(inputs, is_diff) if d]
    jac = [
        [np.zeros((x._data.size, o._data.size)) for o in outs] if d else []
        for x, d in zip(inputs, is_diff)
    ]
    for k, out in enumerate(outs):
        if not out.requires_grad:
            continue
        for m in range(out._data.size):
            seed = np.zeros(out._data.size, dtype=out._data.dtype)
            seed[m] = 1
            grads = autograd_grad(
                out,
                diff_inputs,
                Tensor._make(seed.reshape(out._data.shape), False, None, 0),
                retain_graph=True,
                allow_unused=True,
            )
            d = 0
            for i in range(len(inputs)):
                if is_diff[i]:
                    g = grads[d]
                    d += 1
                    if g is not None:
                        jac[i][k][:, m] = g._data.reshape(-1)
    return jac


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_: Any,
) -> bool:
    """True when ``func``'s backward agrees with central differences on float64 ``inputs``."""
    inputs = _as_tuple(inputs)
    for x in inputs:
        if isinstance(x, Tensor) and x.requires_grad and x.dtype.name != "float64":
            import warnings

            warnings.warn(
                "Input #0 requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision "
                "floating point. ",
                UserWarning,
                stacklevel=2,
            )
            break
    numerical = _numerical_jacobian(func, inputs, eps)
    analytical = _analytical_jacobian(func, inputs)
    for i, (num_cols, ana_cols) in enumerate(zip(numerical, analytical)):
        for k, (n, a) in enumerate(zip(num_cols, ana_cols)):
            if not np.allclose(a, n, rtol=rtol, atol=atol, equal_nan=True):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {k} with respect to input {i},\n"
                        f"numerical:{n}\nanalytical:{a}\n"
                    )
                return False
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
    **_: Any,
) -> bool:
    """gradcheck of the map (inputs, v) -> vᵀ·J(inputs): checks second derivatives."""
    from . import grad as autograd_grad
    from .grad_mode import enable_grad

    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o._data.shape), False, None, 0).requires_grad_()
            for o in outs
        )
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_grads(*args: Any) -> tuple[Any, ...]:
        """vᵀ·J(xs) for each differentiable input, itself differentiable (create_graph).
        Note: gradcheck's numerical half calls this under no_grad; the first derivative must
        still be taken there, so grad mode is switched back on for it."""
        xs, vs = args[:n_in], args[n_in:]
        with enable_grad():
            ys = _outputs(func, xs)
            pairs = [(y, v) for y, v in zip(ys, vs) if y.requires_grad]
            if not pairs:
                return ()
            grads = autograd_grad(
                [y for y, _ in pairs],
                [xs[i] for i in diff_idx],
                [v for _, v in pairs],
                create_graph=True,
                allow_unused=True,
                materialize_grads=True,
            )
        return tuple(grads)

    return gradcheck(
        first_grads,
        (*inputs, *grad_outputs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
    )
