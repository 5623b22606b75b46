"""``dyngrad.autograd.functional``: jacobian, hessian, vjp, jvp, vhp, hvp of a Python function.

Everything here is built on ``autograd.grad``: no backward code of its own. With ``J`` the
Jacobian of ``func`` at ``inputs`` and ``H`` the Hessian of a scalar ``func``:

* ``vjp(func, x, v) = (func(x), vᵀ J)``, ``jvp(func, x, v) = (func(x), J v)``
* ``vhp(func, x, v) = (func(x), vᵀ H)``, ``hvp(func, x, v) = (func(x), H v)``
* ``jacobian(func, x)[i][j]`` has shape ``outputs[i].shape + inputs[j].shape``;
  ``hessian(func, x)[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``.

As in torch, a Tensor (not a tuple) given as ``inputs`` or returned by ``func`` drops the
matching tuple level of the result. Results are detached unless ``create_graph=True``; with
``strict=True`` an output that does not depend on an input is an error instead of zeros.

>>> import dyngrad as torch
>>> from dyngrad.autograd.functional import jacobian
>>> jacobian(lambda x: x**2, torch.tensor([1.0, 2.0]))
tensor([[2., 0.],
        [0., 4.]])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import forward_ad
from .forward_ad import MissingJvpRule
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

if TYPE_CHECKING:  # Note: imported lazily at run time; dyngrad.autograd loads before Tensor
    from .._tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


# --- shared plumbing --------------------------------------------------------------------
def _as_tuple(value: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether ``value`` was a tuple, ``value`` as a tuple), checking it holds only Tensors."""
    from .._tensor import Tensor

    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors "
                f"but the {where} has type {type(item)}."
            )
    return is_tuple, items


def _fresh(
    tensors: tuple[Tensor, ...], create_graph: bool, requires_grad: bool
) -> tuple[Tensor, ...]:
    """Inputs the function is run on: views keeping the caller's graph when ``create_graph``
    (so results stay differentiable w.r.t. the caller's tensors), detached copies otherwise
    (which keep forward-mode tangents: ``jacobian(..., strategy="forward-mode")`` of a
    function that itself uses this module)."""
    with enable_grad():
        return tuple(
            t.view_as(t)  # type: ignore[attr-defined]
            if create_graph and t.requires_grad
            else _detached(t).requires_grad_(requires_grad)
            for t in tensors
        )


def _detached(t: Tensor) -> Tensor:
    d = t.detach()
    d._fw = t._fw
    return d


def _unpack(result: Any, keep_tuple: bool | tuple[bool, bool]) -> Any:
    """Undo ``_as_tuple``: drop the tuple level(s) the caller did not use."""
    if isinstance(keep_tuple, tuple):
        outer, inner = keep_tuple
        if not inner:
            result = tuple(row[0] for row in result)
        return result if outer else result[0]
    return result if keep_tuple else result[0]


def _finish(result: Any, create_graph: bool) -> Any:
    """Detach every tensor of a (nested) tuple unless ``create_graph``."""
    if isinstance(result, tuple):
        return tuple(_finish(r, create_graph) for r in result)
    return result if create_graph else result.detach()


def _check_v(v: tuple[Tensor, ...], other: tuple[Tensor, ...], is_other_tuple: bool) -> None:
    if len(v) != len(other):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.shape != el_other.shape:
            prefix = f"Entry {i} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {el_other.shape} but got {el_v.shape}."
            )


def _prepare_v(
    v: Any, against: tuple[Tensor, ...], against_is_tuple: bool, create_graph: bool, fn_name: str
) -> tuple[Tensor, ...]:
    _, v_tuple = _as_tuple(v, "v", fn_name)
    v_tuple = _fresh(v_tuple, create_graph, requires_grad=False)
    _check_v(v_tuple, against, against_is_tuple)
    return v_tuple


_NO_GRAD_MESSAGES = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
    "outputs must be computed in a differentiable manner from the input when running in "
    "strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
    "user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
    "function with respect to input {i} is independent of the input. This is not allowed in "
    "strict mode. You should ensure that your function is twice differentiable and that the "
    "jacobian depends on the inputs (this would be violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
    "independent of the input. This is not allowed in strict mode. You should ensure that your "
    "function is thrice differentiable and that the hessian depends on the inputs.",
}


def _strict_requires_grad(tensors: tuple[Any, ...], kind: str, strict: bool) -> None:
    """In strict mode, every tensor must exist and require grad (torch's message per kind)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode."
            )
        if not t.requires_grad:
            raise RuntimeError(_NO_GRAD_MESSAGES[kind].format(i=i))


def _grad(
    outputs: tuple[Any, ...],
    inputs: tuple[Tensor, ...],
    grad_outputs: tuple[Any, ...] | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
) -> tuple[Tensor | None, ...]:
    """``autograd.grad`` over the outputs that require grad; None for unreached inputs."""
    from . import grad as autograd_grad

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return autograd_grad(
        [o for o, _ in pairs],
        inputs,
        [g for _, g in pairs],
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
    )


_MISSING_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
    "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. This "
    "is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
    "in the grad_jacobian. This is not allowed in strict mode as it prevents from using the "
    "double backward trick to replace forward mode AD.",
}


def _fill_zeros(
    grads: tuple[Tensor | None, ...],
    refs: tuple[Tensor, ...],
    strict: bool,
    create_graph: bool,
    stage: str,
) -> tuple[Tensor, ...]:
    """Zeros (shaped like ``refs``) for missing gradients; errors instead in strict mode."""
    from .._creation import zeros_like

    filled = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING_MESSAGES[stage].format(i=i))
            g = zeros_like(refs[i].detach())
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This is "
                "not allowed in strict mode when create_graph=True."
            )
        filled.append(g)
    return tuple(filled)


def _run(
    func: Callable[..., Any], inputs: tuple[Tensor, ...], fn_name: str
) -> tuple[bool, tuple[Tensor, ...]]:
    with enable_grad():
        return _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)


def _single_scalar_output(outputs: tuple[Tensor, ...], is_tuple: bool, fn_name: str) -> None:
    if is_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {fn_name} should contain a single "
            "element"
        )


# --- products ----------------------------------------------------------------------------
def vjp(
    func: Callable[..., Any],
    inputs: Tensor | tuple[Tensor, ...],
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), vᵀ·J)``: the vector-Jacobian product, shaped like ``inputs``.

    ``v`` is shaped like the output; it may be omitted when the output has one element.
    """
    is_inputs_tuple, inputs_t = _as_tuple(inputs, "inputs", "vjp")
    inputs_t = _fresh(inputs_t, create_graph, requires_grad=True)
    is_outputs_tuple, outputs = _run(func, inputs_t, "vjp")
    _strict_requires_grad(outputs, "outputs", strict)
    if v is not None:
        v_t: tuple[Any, ...] | None = _prepare_v(v, outputs, is_outputs_tuple, create_graph, "vjp")
    elif len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the user-provided function returns a single "
            "Tensor with a single element."
        )
    else:
        v_t = None
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _grad(outputs, inputs_t, v_t, create_graph=create_graph)
        result = _fill_zeros(grads, inputs_t, strict, create_graph, "back")
    return (
        _unpack(_finish(outputs, create_graph), is_outputs_tuple),
        _unpack(_finish(result, create_graph), is_inputs_tuple),
    )


def jvp(
    func: Callable[..., Any],
    inputs: Tensor | tuple[Tensor, ...],
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), J·v)``: the Jacobian-vector product, shaped like the output, by
    forward-mode AD (one pass of ``func`` on dual tensors). ``v`` may be omitted when the
    input has one element.

    Note: torch computes it with the double-backward trick (``u ↦ uᵀJ`` is linear in a
    dummy cotangent ``u``, so differentiating ``⟨uᵀJ, v⟩`` w.r.t. ``u`` gives ``J v``); its
    ``strict=True`` errors are defined by that trick, so ``strict=True`` uses it here too,
    as does a function that reaches an op without a jvp rule (yet).
    """
    if not strict:
        try:
            return _forward_jvp(func, inputs, v, create_graph)
        except MissingJvpRule:
            pass
    return _double_backward_jvp(func, inputs, v, create_graph, strict)


def _forward_jvp(
    func: Callable[..., Any], inputs: Tensor | tuple[Tensor, ...], v: Any, create_graph: bool
) -> tuple[Any, Any]:
    from .._creation import ones_like, zeros_like

    is_inputs_tuple, inputs_t, v_t = _jvp_inputs(inputs, v, create_graph, create_graph)
    if v_t is None:
        v_t = (ones_like(inputs_t[0]),)
    level = forward_ad.push_level()
    try:
        duals = tuple(forward_ad.make_dual_at(x, t, level) for x, t in zip(inputs_t, v_t))
        is_outputs_tuple, outputs = _run(func, duals, "jvp")
        unpacked = [forward_ad.unpack_at(o, level) for o in outputs]
    finally:
        forward_ad.pop_level(level)
    primals = tuple(p for p, _ in unpacked)
    products = tuple(zeros_like(p.detach()) if t is None else t for p, t in unpacked)
    return (
        _unpack(_finish(primals, create_graph), is_outputs_tuple),
        _unpack(_finish(products, create_graph), is_outputs_tuple),
    )


def _jvp_inputs(
    inputs: Tensor | tuple[Tensor, ...], v: Any, create_graph: bool, requires_grad: bool
) -> tuple[bool, tuple[Tensor, ...], tuple[Any, ...] | None]:
    """``jvp``'s inputs made fresh, and ``v`` checked against them (None: omitted, allowed
    only for a single one-element input)."""
    is_inputs_tuple, inputs_t = _as_tuple(inputs, "inputs", "jvp")
    inputs_t = _fresh(inputs_t, create_graph, requires_grad=requires_grad)
    if v is not None:
        return (
            is_inputs_tuple,
            inputs_t,
            _prepare_v(v, inputs_t, is_inputs_tuple, create_graph, "jvp"),
        )
    if len(inputs_t) != 1 or inputs_t[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element."
        )
    return is_inputs_tuple, inputs_t, None


def _double_backward_jvp(
    func: Callable[..., Any],
    inputs: Tensor | tuple[Tensor, ...],
    v: Any,
    create_graph: bool,
    strict: bool,
) -> tuple[Any, Any]:
    """``jvp`` as torch computes it: the double-backward trick (see :func:`jvp`)."""
    is_inputs_tuple, inputs_t, v_t = _jvp_inputs(inputs, v, create_graph, True)
    is_outputs_tuple, outputs = _run(func, inputs_t, "jvp")
    _strict_requires_grad(outputs, "outputs", strict)
    from .._creation import zeros_like

    with enable_grad():
        # the value of the dummy cotangent does not matter (the vjp is linear in it)
        dummies = tuple(zeros_like(o.detach(), requires_grad=True) for o in outputs)
        grad_inputs = _grad(outputs, inputs_t, dummies, create_graph=True)
    _strict_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        products = _grad(grad_inputs, dummies, v_t, create_graph=create_graph)
        result = _fill_zeros(products, outputs, strict, create_graph, "back_trick")
    return (
        _unpack(_finish(outputs, create_graph), is_outputs_tuple),
        _unpack(_finish(result, create_graph), is_outputs_tuple),
    )


def vhp(
    func: Callable[..., Any],
    inputs: Tensor | tuple[Tensor, ...],
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), vᵀ·H)`` for a function with a single-element output."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(
    func: Callable[..., Any],
    inputs: Tensor | tuple[Tensor, ...],
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """``(func(inputs), H·v)`` for a function with a single-element output.

    Computed as torch does, by differentiating ``vᵀ·(uᵀH)`` w.r.t. a dummy ``u`` (double-backward
    trick), so it equals ``vhp`` also for functions whose Hessian is not symmetric.
    """
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(
    func: Callable[..., Any],
    inputs: Tensor | tuple[Tensor, ...],
    v: Any,
    create_graph: bool,
    strict: bool,
    fn_name: str,
) -> tuple[Any, Any]:
    is_inputs_tuple, inputs_t = _as_tuple(inputs, "inputs", fn_name)
    inputs_t = _fresh(inputs_t, create_graph, requires_grad=True)
    if v is not None:
        v_t: tuple[Any, ...] | None = _prepare_v(
            v, inputs_t, is_inputs_tuple, create_graph, fn_name
        )
    elif len(inputs_t) != 1 or inputs_t[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element."
        )
    else:
        v_t = None
    is_outputs_tuple, outputs = _run(func, inputs_t, fn_name)
    _strict_requires_grad(outputs, "outputs", strict)
    _single_scalar_output(outputs, is_outputs_tuple, fn_name)
    with enable_grad():
        jac = _grad(outputs, inputs_t, create_graph=True)
    _strict_requires_grad(jac, "jacobian", strict)
    if fn_name == "vhp":
        with set_grad_enabled(create_graph or is_grad_enabled()):
            product = _grad(jac, inputs_t, v_t, create_graph=create_graph)
            result = _fill_zeros(product, inputs_t, strict, create_graph, "double_back")
    else:
        from .._creation import zeros_like

        with enable_grad():
            dummies = tuple(zeros_like(t.detach(), requires_grad=True) for t in inputs_t)
            double_back = _grad(jac, inputs_t, dummies, create_graph=True)
        _strict_requires_grad(jac, "hessian", strict)
        with set_grad_enabled(create_graph or is_grad_enabled()):
            product = _grad(double_back, dummies, v_t, create_graph=create_graph)
            result = _fill_zeros(product, inputs_t, strict, create_graph, "double_back_trick")
    return (
        _unpack(_finish(outputs, create_graph), is_outputs_tuple),
        _unpack(_finish(result, create_graph), is_inputs_tuple),
    )


# --- full matrices ----------------------------------------------------------------------
_STRATEGY_HINT = (
    'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function '
    'has more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, '
    'prefer to use "reverse-mode".'
)


def jacobian(
    func: Callable[..., Any],
    inputs: Tensor | tuple[Tensor, ...],
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian ``∂func(inputs)[i]/∂inputs[j]``, shaped ``outputs[i].shape + inputs[j].shape``.

    A tuple of tuples when both ``inputs`` and the output are tuples, a tuple when one of them
    is, a Tensor otherwise.

    Note: ``vectorize=True`` is accepted and gives the same result by looping over the output
    elements (one vjp per row). ``strategy="forward-mode"`` (which torch allows only with
    ``vectorize=True``) computes one jvp per input element with forward-mode AD (reverse-mode
    vjps while the function reaches an op without a jvp rule yet).
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(_STRATEGY_HINT)
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.'
            )
        _check_forward_mode(strict, vectorize)
    is_inputs_tuple, inputs_t = _as_tuple(inputs, "inputs", "jacobian")
    if strategy == "forward-mode":
        try:
            return _forward_jacobian(func, inputs_t, is_inputs_tuple)
        except MissingJvpRule:
            pass
    inputs_t = _fresh(inputs_t, create_graph, requires_grad=True)
    is_outputs_tuple, outputs = _run(func, inputs_t, "jacobian")
    _strict_requires_grad(outputs, "outputs", strict)
    if vectorize and strict:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
            "supported together. Please either set `strict=False` or `vectorize=False`."
        )
    result: Any = _finish(
        tuple(
            _jacobian_of_output(i, out, inputs_t, create_graph, strict)
            for i, out in enumerate(outputs)
        ),
        create_graph,
    )
    if strategy == "forward-mode":
        # Note: torch's forward-mode path nests lists, not tuples (a tuple of Tensors is left
        # only when the output is a tuple and the input is not); reproduced for parity.
        result = [list(row) for row in result]
    return _unpack(result, (is_outputs_tuple, is_inputs_tuple))


def _forward_jacobian(
    func: Callable[..., Any], inputs: tuple[Tensor, ...], is_inputs_tuple: bool
) -> Any:
    """The Jacobian by forward mode: column k of ``∂outputs/∂inputs[j]`` is the jvp with the
    one-hot tangent ``e_k`` on ``inputs[j]``. Nested in lists, as torch's forward-mode path."""
    from .._creation import zeros, zeros_like
    from ..ops.shape import stack

    inputs = _fresh(inputs, False, requires_grad=False)
    columns: list[list[list[Tensor]]] | None = None
    outputs: tuple[Tensor, ...] = ()
    is_outputs_tuple = False
    for j, x in enumerate(inputs):
        for k in range(x.numel()):
            basis = zeros(x.numel(), dtype=x.dtype)
            basis[k] = 1.0  # type: ignore[index]
            level = forward_ad.push_level()
            try:
                duals = list(inputs)
                duals[j] = forward_ad.make_dual_at(x, basis.view(x.shape), level)
                is_outputs_tuple, outs = _run(func, tuple(duals), "jacobian")
                unpacked = [forward_ad.unpack_at(o, level) for o in outs]
            finally:
                forward_ad.pop_level(level)
            outputs = tuple(p for p, _ in unpacked)
            if columns is None:
                columns = [[[] for _ in inputs] for _ in outputs]
            for i, (p, t) in enumerate(unpacked):
                columns[i][j].append(zeros_like(p.detach()) if t is None else t)
    if columns is None:  # every input is empty
        is_outputs_tuple, outputs = _run(func, inputs, "jacobian")
        columns = [[[] for _ in inputs] for _ in outputs]
    result = [
        [
            stack(cols, -1).view(tuple(out.shape) + tuple(x.shape)).detach()
            if cols
            else zeros(tuple(out.shape) + tuple(x.shape), dtype=out.dtype)
            for cols, x in zip(per_input, inputs)
        ]
        for out, per_input in zip(outputs, columns)
    ]
    return _unpack(result, (is_outputs_tuple, is_inputs_tuple))


def _check_forward_mode(strict: bool, vectorize: bool) -> None:
    if strict:
        raise RuntimeError(
            'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` '
            "are not supported together (yet). Please either set `strict=False` or "
            '`strategy="reverse-mode"`.'
        )
    if not vectorize:
        # torch's message, missing space included
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
            "only implemented for `vectorize=True`."
        )


def _jacobian_of_output(
    i: int, out: Tensor, inputs: tuple[Tensor, ...], create_graph: bool, strict: bool
) -> tuple[Tensor, ...]:
    """``∂out/∂inputs[j]`` for every j: one vjp with a one-hot cotangent per element of out."""
    from .._creation import zeros, zeros_like
    from ..ops.shape import stack

    rows: list[list[Tensor]] = [[] for _ in inputs]
    n = out.numel()
    for k in range(n):
        one_hot = zeros(n, dtype=out.dtype)
        one_hot[k] = 1.0  # type: ignore[index]
        cotangent = one_hot.view(out.shape)  # type: ignore[attr-defined]
        with set_grad_enabled(create_graph or is_grad_enabled()):
            row = _grad((out,), inputs, (cotangent,), create_graph, retain_graph=True)
        for j, (g, x) in enumerate(zip(row, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(
                        f"Output {i} of the user-provided function is independent of input {j}. "
                        "This is not allowed in strict mode."
                    )
                g = zeros_like(x.detach())
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(
                    f"The jacobian of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode when create_graph=True."
                )
            rows[j].append(g)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        return tuple(
            stack(per_input, 0).view(tuple(out.shape) + tuple(x.shape))
            for per_input, x in zip(rows, inputs)
        )


def hessian(
    func: Callable[..., Any],
    inputs: Tensor | tuple[Tensor, ...],
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian ``∂²func/∂inputs[i]∂inputs[j]`` of a function with a single-element output,
    shaped ``inputs[i].shape + inputs[j].shape`` (a tuple of tuples for tuple inputs).

    Note: computed as the Jacobian of the Jacobian, both by reverse-mode vjps, whatever
    ``vectorize`` and ``outer_jacobian_strategy`` say (same values).
    """
    is_inputs_tuple, inputs_t = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_output(*xs: Tensor) -> Tensor:
        is_tuple, outs = _as_tuple(func(*xs), "outputs of the user-provided function", "hessian")
        _strict_requires_grad(outs, "outputs", strict)
        _single_scalar_output(outs, is_tuple, "hessian")
        return outs[0].squeeze()  # type: ignore[attr-defined]

    def gradient(*xs: Tensor) -> tuple[Tensor, ...]:
        jac = jacobian(scalar_output, xs, create_graph=True)
        _strict_requires_grad(jac, "jacobian", strict)
        return jac  # type: ignore[no-any-return]

    result = jacobian(
        gradient,
        inputs_t,
        create_graph=create_graph,
        strict=strict,
        vectorize=vectorize,
        strategy=outer_jacobian_strategy,
    )
    return _unpack(result, (is_inputs_tuple, is_inputs_tuple))
