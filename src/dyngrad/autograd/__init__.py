"""``dyngrad.autograd``: backward, grad and the grad modes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import forward_ad, functional, grad_mode
from .anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .engine import run_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
    set_multithreading_enabled,
)
from .gradcheck import gradcheck, gradgradcheck
from .graph import Node, make_tensor, tensor_type
from .graph_summary import graph_summary
from .variable import Variable

if TYPE_CHECKING:
    from .._tensor import Tensor

__all__ = [
    "backward",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
    "is_inference_mode_enabled",
    "Node",
    "Function",
    "FunctionCtx",
    "once_differentiable",
    "gradcheck",
    "gradgradcheck",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "Variable",
    "set_multithreading_enabled",
]


def _as_tuple(x: Any) -> tuple[Any, ...]:
    if x is None:
        return ()
    if isinstance(x, tensor_type()) or hasattr(x, "output_nr"):  # (a graph.GradientEdge)
        return (x,)
    return tuple(x)


def _make_grads(outputs: tuple[Tensor, ...], grads: tuple[Any, ...]) -> list[Tensor]:
    """Check or create the gradient for each output (ones for scalars, as torch does)."""
    Tensor = tensor_type()  # noqa: N806 - the class

    if len(grads) < len(outputs):  # torch ignores extra gradients
        raise RuntimeError(
            f"got {len(outputs)} tensors and {len(grads)} gradients"
            if grads
            else "grad can be implicitly created only for scalar outputs"
        )
    grads = grads[: len(outputs)]
    result = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if g is None:
            # Note: as torch, only outputs that require grad are checked here; the engine
            # reports the others ("element 0 of tensors does not require grad ...").
            if out._rg and out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._rg and out._data.dtype.kind != "f":
                raise RuntimeError(
                    "grad can be implicitly created only for real scalar outputs but got "
                    f"{out.dtype}"
                )
            result.append(Tensor._make(np.ones(out._data.shape, out._data.dtype), False, None, 0))
            continue
        if not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g, dtype=out._data.dtype), False, None, 0)
        if g._data.shape != out._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {out.shape}."
            )
        result.append(g)
    return result


def _ones_like_output(out: Tensor) -> Tensor:
    """The implicit gradient of a scalar output (a fresh array: a leaf may adopt it)."""
    data = out._data
    if out._rg:  # as torch, only outputs that require grad are checked here
        if data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs")
        if data.dtype.kind != "f":
            raise RuntimeError(
                f"grad can be implicitly created only for real scalar outputs but got {out.dtype}"
            )
    ones = np.empty(data.shape, data.dtype)  # (np.ones is a Python function: 4x the time)
    ones.fill(1)
    return make_tensor(ones, False, None, 0)


def backward_implicit(
    tensor: Tensor, retain_graph: bool | None = None, create_graph: bool = False
) -> None:
    """``tensor.backward()`` without a gradient or ``inputs``: the common case, without the
    general argument handling of :func:`backward` (``Tensor.backward`` calls this)."""
    run_backward(
        (tensor,),
        [_ones_like_output(tensor)],
        create_graph if retain_graph is None else retain_graph,
        create_graph,
    )


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Any = None,
) -> None:
    """Add the gradients of ``tensors`` w.r.t. the graph's leaves into their ``.grad``."""
    if (
        grad_tensors is None
        and grad_variables is None
        and inputs is None
        and tensors.__class__ is tensor_type()
    ):
        backward_implicit(tensors, retain_graph, create_graph)
        return
    outputs = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors if grad_tensors is not None else grad_variables)
    if not grads:
        grads = (None,) * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    input_list = _as_tuple(inputs) if inputs is not None else None
    if input_list is not None and not input_list:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(
        outputs, _make_grads(outputs, grads), retain_graph, create_graph, inputs=input_list
    )


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` w.r.t. ``inputs``, returned (``.grad`` is not touched)."""
    Tensor = tensor_type()  # noqa: N806 - the class
    if (
        grad_outputs is None
        and not materialize_grads
        and outputs.__class__ is Tensor
        and inputs.__class__ is Tensor
    ):  # one output, one input, implicit gradient: no argument normalisation
        found = run_backward(
            (outputs,),
            [_ones_like_output(outputs)],
            create_graph if retain_graph is None else retain_graph,
            create_graph,
            inputs=(inputs,),
            accumulate=False,
        )[0]
        if found is None and not allow_unused:
            raise RuntimeError(
                "The differentiated Tensor at index 0 appears to not have been used in the "
                "graph. Set allow_unused=True if this is the desired behavior."
            )
        return (found,)

    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    grads = _as_tuple(grad_outputs)
    if not grads:
        grads = (None,) * len(outs)
    if retain_graph is None:
        retain_graph = create_graph
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    from .graph_extras import GradientEdge

    for t in ins:
        if isinstance(t, GradientEdge):
            if materialize_grads:
                raise RuntimeError(
                    "materialize_grads cannot be used when the given input is a GradientEdge"
                )
        elif not isinstance(t, Tensor):
            raise TypeError("grad(): inputs must be tensors")
    result = run_backward(
        outs, _make_grads(outs, grads), retain_graph, create_graph, inputs=ins, accumulate=False
    )
    for i, r in enumerate(result):
        if r is None:
            if materialize_grads:
                result[i] = Tensor._make(np.zeros_like(ins[i]._data), False, None, 0)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
    return tuple(result)
