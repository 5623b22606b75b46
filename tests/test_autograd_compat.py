"""The smaller names of ``torch.autograd`` against torch: the legacy ``Variable``,
``set_multithreading_enabled``, ``graph.disable_saved_tensors_hooks`` and
``graph.increment_version``."""

from __future__ import annotations

from typing import Any

import pytest

import dyngrad
from outcomes import outcome

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")


def _variable_cases() -> dict[str, Any]:
    def shares(m: Any) -> Any:
        x = m.ones(3)
        v = m.autograd.Variable(x, requires_grad=True)
        with m.no_grad():
            v[0] = 5.0  # the same memory as x
        return x, v.is_leaf, v.requires_grad

    def of_non_leaf(m: Any) -> Any:
        y = m.ones(2, requires_grad=True) * 2
        v = m.autograd.Variable(y)
        return v, v.grad_fn is None, v.is_leaf

    def backward_through(m: Any) -> Any:
        v = m.autograd.Variable(m.tensor([1.0, 2.0]), requires_grad=True)
        (v * v).sum().backward()
        return v.grad

    return {
        "empty": lambda m: m.autograd.Variable(),
        "positional-flag": lambda m: m.autograd.Variable(m.ones(2), True),
        "shares-memory": shares,
        "of-non-leaf": of_non_leaf,
        "backward": backward_through,
        "isinstance": lambda m: (
            isinstance(m.ones(1), m.autograd.Variable),
            isinstance(3.0, m.autograd.Variable),
        ),
        "not-a-tensor": lambda m: m.autograd.Variable([1.0, 2.0]),
        "volatile": lambda m: m.autograd.Variable(m.ones(2), volatile=True),
    }


@pytest.mark.parametrize("name", sorted(_variable_cases()))
def test_variable_matches_torch(name: str) -> None:
    case = _variable_cases()[name]
    assert outcome(case, dyngrad) == outcome(case, torch)


def test_set_multithreading_enabled_is_a_context_manager() -> None:
    def run(m: Any) -> Any:
        x = m.ones(2, requires_grad=True)
        with m.autograd.set_multithreading_enabled(False):
            (x * 3).sum().backward()
        return x.grad

    assert outcome(run, dyngrad) == outcome(run, torch)


def _hooks_cases() -> dict[str, Any]:
    def hooks_inside(m: Any) -> Any:
        g = m.autograd.graph
        with (
            g.disable_saved_tensors_hooks("no hooks here"),
            g.saved_tensors_hooks(lambda t: t, lambda t: t),
        ):
            return "entered"

    def disable_inside_hooks(m: Any) -> Any:
        g = m.autograd.graph
        with g.saved_tensors_hooks(lambda t: t, lambda t: t), g.disable_saved_tensors_hooks("x"):
            return "entered"

    def nested(m: Any) -> Any:
        g = m.autograd.graph
        messages = []
        with g.disable_saved_tensors_hooks("outer"):
            with g.disable_saved_tensors_hooks("inner"):
                try:
                    g.saved_tensors_hooks(lambda t: t, lambda t: t).__enter__()
                except RuntimeError as exc:
                    messages.append(str(exc))
            try:
                g.saved_tensors_hooks(lambda t: t, lambda t: t).__enter__()
            except RuntimeError as exc:
                messages.append(str(exc))
        with g.saved_tensors_hooks(lambda t: t * 1, lambda t: t):  # allowed again
            y = m.ones(2, requires_grad=True) * 2
        y.sum().backward()
        return messages

    def bump(m: Any) -> Any:
        x = m.ones(2, requires_grad=True)
        y = x * 1
        z = y * y
        m.autograd.graph.increment_version(y)
        m.autograd.graph.increment_version([x, y])
        versions = (x._version, y._version)
        try:
            z.backward(m.ones(2))
        except RuntimeError as exc:
            return versions, str(exc).split("\n")[0]
        return versions

    return {
        "hooks-inside": hooks_inside,
        "disable-inside-hooks": disable_inside_hooks,
        "nested": nested,
        "increment-version": bump,
    }


@pytest.mark.parametrize("name", sorted(_hooks_cases()))
def test_graph_tools_match_torch(name: str) -> None:
    case = _hooks_cases()[name]
    assert outcome(case, dyngrad) == outcome(case, torch)


def _multi_grad_hook_run(m: Any) -> Any:
    """Every case of register_multi_grad_hook in one program; the calls fn received."""
    graph = m.autograd.graph
    seen: list[Any] = []

    def record(tag: str) -> Any:
        def fn(grads: Any) -> Any:
            if isinstance(grads, (tuple, list)):
                seen.append((tag, [None if g is None else g.tolist() for g in grads]))
            else:
                seen.append((tag, grads.tolist()))
            return m.ones(1)  # ignored

        return fn

    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = m.tensor([3.0], requires_grad=True)
    h = graph.register_multi_grad_hook((x, y), record("all"))
    ((x * 2).sum() + (y.sum() * 3)).backward()
    (x * 5).sum().backward()  # y not reached: None
    a0 = x * 1
    m.autograd.grad(a0.sum() + (y * 1).sum(), [a0])  # x, y not run: fn not called
    h.remove()
    ((x * 2).sum() + (y.sum() * 3)).backward()  # removed: not called
    h = graph.register_multi_grad_hook((x, y), record("any"), mode="any")
    ((x * 2).sum() + (y.sum() * 3)).backward()
    h.remove()
    a, b = x * 1, y * 1
    graph.register_multi_grad_hook([a, b], record("non-leaf"))
    ((a * a).sum() + b.sum()).backward()
    try:
        graph.register_multi_grad_hook((x, y), record("bad"), mode="bad")
    except ValueError as exc:
        seen.append(("error", str(exc)))
    return seen, x.grad.tolist(), y.grad.tolist()


def test_register_multi_grad_hook_matches_torch() -> None:
    assert outcome(_multi_grad_hook_run, dyngrad) == outcome(_multi_grad_hook_run, torch)


def _gradient_edge_run(m: Any) -> Any:
    graph = m.autograd.graph
    x = m.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    edge = graph.get_gradient_edge(y)
    out: list[Any] = [type(edge.node).__name__, edge.output_nr, edge.ownership_token]
    out.append(m.autograd.grad(z, edge, retain_graph=True))
    out.append(m.autograd.grad(z, [x, edge]))
    leaf = graph.get_gradient_edge(x)
    out.append((type(leaf.node).__name__, leaf.output_nr))
    w = m.ones(2, requires_grad=True)
    out.append(m.autograd.grad((x * 3).sum(), graph.get_gradient_edge(w), allow_unused=True))
    for bad in (
        lambda: graph.get_gradient_edge(m.ones(2)),
        lambda: m.autograd.grad((x * 3).sum(), graph.get_gradient_edge(w)),
        lambda: m.autograd.grad((x * 3).sum(), graph.get_gradient_edge(w), materialize_grads=True),
    ):
        try:
            bad()
        except RuntimeError as exc:
            out.append(str(exc))
    return out


def test_gradient_edges_match_torch() -> None:
    assert outcome(_gradient_edge_run, dyngrad) == outcome(_gradient_edge_run, torch)
