"""The foundation's errors against torch: exception class and full message.

Every case must raise in torch (checked separately, so a case that stops raising is noticed)
and dyngrad must raise the same class with the same text. torch's C++ warnings end with
"(Triggered internally at <path>)": only the part before it is compared.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

_TRIGGERED = re.compile(r"\s*\(Triggered internally at .*\)\s*$", re.DOTALL)


def raised(fn: Callable[[Any], Any], module: Any) -> tuple[str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn(module)
        except Exception as exc:  # noqa: BLE001 - comparing any failure
            return type(exc).__name__, _TRIGGERED.sub("", str(exc))
    return ("no exception", "")


def _leaf(m: Any, n: int = 3) -> Any:
    return m.ones(n, requires_grad=True)


def _backward_twice(m: Any) -> None:
    x = _leaf(m)
    y = x.exp()
    y.sum().backward()
    y.sum().backward()


def _backward_twice_scalar(m: Any) -> None:
    x = _leaf(m)
    y = (x * x).sum()
    y.backward()
    y.backward()


def _grad_twice(m: Any) -> None:
    x = _leaf(m)
    y = x.sigmoid().sum()
    m.autograd.grad(y, x)
    m.autograd.grad(y, x)


def _saved_input_modified(m: Any) -> None:
    x = _leaf(m)
    y = x * 1
    z = y.exp() * y  # MulBackward0 saves y
    y.add_(1)
    z.sum().backward()


def _saved_output_modified(m: Any) -> None:
    x = _leaf(m)
    y = x.exp()  # ExpBackward0 saves its output
    y.mul_(2)
    y.sum().backward()


def _saved_twice_modified(m: Any) -> None:
    x = m.ones(2, 2, dtype=m.float64, requires_grad=True)
    y = x * 1
    z = y.sin()  # SinBackward0 saves its input
    y[0, 0] = 3.0
    y.mul_(2)
    (z * y).sum().backward()


def _leaf_setitem(m: Any) -> None:
    x = _leaf(m)
    x[0] = 5.0


def _leaf_iadd(m: Any) -> None:
    x = _leaf(m)
    x += 1


def _gradient(m: Any, grad: Callable[[Any], Any], out: Callable[[Any], Any] = lambda y: y) -> None:
    x = _leaf(m)
    out(x * 2).backward(grad(m))


ERRORS: dict[str, Callable[[Any], Any]] = {
    # backward without a usable gradient
    "backward_non_scalar": lambda m: (_leaf(m) * 2).backward(),
    "backward_non_scalar_2d": lambda m: (m.ones(2, 2, requires_grad=True) + 1).backward(),
    "backward_no_grad_fn": lambda m: m.ones(3).backward(),
    "backward_no_grad_fn_scalar": lambda m: m.ones(()).backward(),
    "backward_int_tensor": lambda m: m.tensor([1, 2]).sum().backward(),
    "backward_under_no_grad": lambda m: _no_grad_then_backward(m),
    "backward_second_of_many_no_grad": lambda m: m.autograd.backward([_leaf(m).sum(), m.ones(())]),
    # freed graphs
    "backward_twice": _backward_twice,
    "backward_twice_scalar": _backward_twice_scalar,
    "grad_twice": _grad_twice,
    # requires_grad on integer tensors
    "int_requires_grad_factory": lambda m: m.tensor([1, 2], requires_grad=True),
    "int_requires_grad_method": lambda m: m.tensor([1, 2]).requires_grad_(),
    "int_requires_grad_setter": lambda m: setattr(m.tensor([1, 2]), "requires_grad", True),
    "int_requires_grad_zeros": lambda m: m.zeros(2, dtype=m.int64, requires_grad=True),
    "int_requires_grad_arange": lambda m: m.arange(3, requires_grad=True),
    "nonleaf_requires_grad_false": lambda m: (_leaf(m) * 2).requires_grad_(False),
    # in-place on a leaf that requires grad
    "leaf_add_": lambda m: _leaf(m).add_(1),
    "leaf_mul_": lambda m: _leaf(m).mul_(2),
    "leaf_zero_": lambda m: _leaf(m).zero_(),
    "leaf_fill_": lambda m: _leaf(m).fill_(2.0),
    "leaf_setitem": _leaf_setitem,
    "leaf_iadd": _leaf_iadd,
    # saved values modified in place (the message names the versions)
    "saved_input_modified": _saved_input_modified,
    "saved_output_modified": _saved_output_modified,
    "saved_modified_twice": _saved_twice_modified,
    # shapes
    "broadcast_add": lambda m: m.ones(3) + m.ones(4),
    "broadcast_mul_2d": lambda m: m.ones(2, 3) * m.ones(4, 3),
    "broadcast_trailing": lambda m: m.ones(2, 3) - m.ones(2, 4),
    "broadcast_div_3d": lambda m: m.ones(5, 2, 3) / m.ones(4, 1, 3),
    "broadcast_scalar_first": lambda m: m.ones(3, 1, 2) + m.ones(4, 3),
    "broadcast_inplace": lambda m: m.ones(3).add_(m.ones(2, 3)),
    "matmul_2d": lambda m: m.ones(2, 3) @ m.ones(2, 3),
    "matmul_1d": lambda m: m.ones(3) @ m.ones(4),
    "matmul_2d_1d": lambda m: m.ones(2, 3) @ m.ones(4),
    "matmul_1d_2d": lambda m: m.ones(3) @ m.ones(4, 2),
    "matmul_batched": lambda m: m.ones(2, 2, 3) @ m.ones(2, 4, 2),
    "matmul_0d": lambda m: m.ones(()) @ m.ones(3),
    "mm": lambda m: m.mm(m.ones(2, 3), m.ones(2, 3)),
    # conversions
    "numpy_requires_grad": lambda m: _leaf(m).numpy(),
    "bool_many": lambda m: bool(m.ones(3)),
    "bool_empty": lambda m: bool(m.ones(0)),
    "if_tensor": lambda m: 1 if m.tensor([1, 2]) else 0,
    "item_many": lambda m: m.ones(2).item(),
    "float_many": lambda m: float(m.ones(2)),
    "index_float": lambda m: [1, 2][m.tensor(1.0)],
    # backward(gradient=...) mismatches
    "gradient_shape": lambda m: _gradient(m, lambda m: m.ones(4)),
    "gradient_shape_2d": lambda m: _gradient(m, lambda m: m.ones(2, 3)),
    "gradient_shape_broadcastable": lambda m: _gradient(m, lambda m: m.ones(1)),
    "gradient_for_scalar": lambda m: _gradient(m, lambda m: m.ones(1), lambda y: y.sum()),
    "gradient_list_too_short": lambda m: m.autograd.backward(
        [_leaf(m).sum(), _leaf(m).sum()], [m.ones(())]
    ),
    # autograd.grad
    "grad_unused_input": lambda m: m.autograd.grad((_leaf(m) * 2).sum(), _leaf(m)),
    "grad_input_without_grad": lambda m: m.autograd.grad((_leaf(m) * 2).sum(), m.ones(3)),
    "retain_grad_without_grad": lambda m: m.ones(3).retain_grad(),
    "hook_without_grad": lambda m: m.ones(3).register_hook(lambda g: g),
    "deepcopy_nonleaf": lambda m: __import__("copy").deepcopy(_leaf(m) * 2),
}


def _no_grad_then_backward(m: Any) -> None:
    x = _leaf(m)
    with m.no_grad():
        y = x * 2
    y.sum().backward()


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_torch_raises(case: str) -> None:
    """Guard: every case is an error in torch."""
    assert raised(ERRORS[case], torch)[0] != "no exception"


# dyngrad appends a paragraph of its own to the in-place error (where the value was saved and
# where it was modified), after torch's complete message and a blank line.
_DYNGRAD_SUFFIX = "\n\ndyngrad: "


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_same_error_as_torch(case: str) -> None:
    kind, message = raised(ERRORS[case], dyngrad)
    torch_message = raised(ERRORS[case], torch)[1]
    if case.startswith("saved_") and _DYNGRAD_SUFFIX in message:
        message = message.split(_DYNGRAD_SUFFIX)[0]
        assert "version" in torch_message
    assert (kind, message) == raised(ERRORS[case], torch)
    assert message == torch_message


def _warnings(fn: Callable[[Any], Any], module: Any) -> list[tuple[str, str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(module)
    return [(w.category.__name__, _TRIGGERED.sub("", str(w.message))) for w in caught]


@pytest.mark.parametrize(
    "fn",
    [
        lambda m: (_leaf(m) * 2).grad,
        lambda m: (_leaf(m) * 2).sum().grad,
        lambda m: _leaf(m).exp().grad,
    ],
)
def test_nonleaf_grad_warning(fn: Callable[[Any], Any]) -> None:
    expected = _warnings(fn, torch)
    assert len(expected) == 1 and expected[0][0] == "UserWarning"
    assert expected[0][1].startswith("The .grad attribute of a Tensor that is not a leaf Tensor")
    assert _warnings(fn, dyngrad) == expected


def test_extra_gradients_are_ignored_as_in_torch() -> None:
    for m in (torch, dyngrad):
        x = _leaf(m)
        m.autograd.backward([x.sum()], [m.ones(()), m.ones(())])
        assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_no_error_when_retaining_the_graph() -> None:
    """The freed-graph error must not fire when the graph is kept."""
    for m in (torch, dyngrad):
        x = _leaf(m)
        y = x.exp()
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        assert x.grad.tolist() == pytest.approx([2 * 2.718281828459045] * 3)


def test_in_place_allowed_under_no_grad_and_on_detached() -> None:
    for m in (torch, dyngrad):
        x = _leaf(m)
        with m.no_grad():
            x.add_(1)
        x.detach().mul_(2)
        assert x.tolist() == [4.0, 4.0, 4.0]
        assert x._version == 2
