"""``func.functional_call``, ``func.stack_module_state`` and ``func.linearize`` against torch:
per-sample gradients of a model with ``vmap(grad(functional_call))`` equal the per-sample
loop and torch's, ensembles with ``stack_module_state``, strict-key errors, tied weights."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import dyngrad
from outcomes import outcome

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")


def _mlp(m: Any, seed: int) -> Any:
    """The same 3-8-2 tanh MLP in either module (torch's initial weights copied over)."""
    torch.manual_seed(seed)
    ref = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    if m is torch:
        return ref
    net = dyngrad.nn.Sequential(dyngrad.nn.Linear(3, 8), dyngrad.nn.Tanh(), dyngrad.nn.Linear(8, 2))
    net.load_state_dict(
        {k: dyngrad.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()}
    )
    return net


def _close(ours: Any, theirs: Any, tol: float = 1e-5) -> None:
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def _per_sample_grads(m: Any, net: Any, x: Any, y: Any) -> dict[str, Any]:
    params = {k: v.detach() for k, v in net.named_parameters()}

    def loss(p: Any, xi: Any, yi: Any) -> Any:
        out = m.func.functional_call(net, p, (xi.unsqueeze(0),))
        return m.nn.functional.cross_entropy(out, yi.unsqueeze(0))

    return m.func.vmap(m.func.grad(loss), in_dims=(None, 0, 0))(params, x, y)  # type: ignore[no-any-return]


def test_per_sample_gradients_match_torch_and_the_loop() -> None:
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((5, 3)).astype(np.float32)
    y_np = rng.integers(0, 2, 5)
    ours = _per_sample_grads(dyngrad, _mlp(dyngrad, 0), dyngrad.tensor(x_np), dyngrad.tensor(y_np))
    theirs = _per_sample_grads(torch, _mlp(torch, 0), torch.tensor(x_np), torch.tensor(y_np))
    assert sorted(ours) == sorted(theirs)
    for k in ours:
        _close(ours[k], theirs[k])
    net = _mlp(dyngrad, 0)  # the loop: one backward per sample
    for i in range(5):
        net.zero_grad()
        out = net(dyngrad.tensor(x_np[i : i + 1]))
        dyngrad.nn.functional.cross_entropy(out, dyngrad.tensor(y_np[i : i + 1])).backward()
        for k, p in net.named_parameters():
            _close(ours[k][i], p.grad)


def test_functional_call_leaves_the_module_as_it_was() -> None:
    net = _mlp(dyngrad, 1)
    before = {k: v.detach().clone() for k, v in net.state_dict().items()}
    zeros = {k: dyngrad.zeros_like(v) for k, v in net.named_parameters()}
    out = dyngrad.func.functional_call(net, zeros, dyngrad.ones(2, 3))
    assert out.abs().sum().item() == 0.0
    for k, v in net.state_dict().items():
        assert isinstance(dict(net.named_parameters())[k], dyngrad.nn.Parameter)
        np.testing.assert_array_equal(v.numpy(), before[k].numpy())


def test_ensemble_with_stack_module_state_matches_torch() -> None:
    x_np = np.random.default_rng(2).standard_normal((4, 3)).astype(np.float32)

    def ensemble(m: Any) -> Any:
        models = [_mlp(m, s) for s in (3, 4, 5)]
        params, buffers = m.func.stack_module_state(models)
        base = models[0]

        def one(p: Any, b: Any, x: Any) -> Any:
            return m.func.functional_call(base, (p, b), (x,))

        out = m.func.vmap(one, in_dims=(0, 0, None))(params, buffers, m.tensor(x_np))
        return out, {k: (tuple(v.shape), v.requires_grad, v.is_leaf) for k, v in params.items()}

    (ours, our_meta), (theirs, their_meta) = ensemble(dyngrad), ensemble(torch)
    _close(ours, theirs)
    assert our_meta == their_meta


def _linear(m: Any) -> Any:
    torch.manual_seed(0)
    ref = torch.nn.Linear(3, 2)
    if m is torch:
        return ref
    net = dyngrad.nn.Linear(3, 2)
    net.load_state_dict(
        {k: dyngrad.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()}
    )
    return net


@pytest.mark.parametrize(
    "case",
    [
        lambda m: m.func.functional_call(_linear(m), {"weight": m.zeros(2, 3)}, m.ones(1, 3)),
        lambda m: m.func.functional_call(
            _linear(m), {"weight": m.zeros(2, 3)}, m.ones(1, 3), strict=True
        ),
        lambda m: m.func.functional_call(
            _linear(m),
            {"weight": m.zeros(2, 3), "bias": m.ones(2), "extra": m.ones(1)},
            m.ones(1, 3),
        ),
        lambda m: m.func.functional_call(
            _linear(m),
            {"weight": m.zeros(2, 3), "bias": m.ones(2), "extra": m.ones(1)},
            m.ones(1, 3),
            strict=True,
        ),
        lambda m: m.func.functional_call(
            _linear(m), ({"weight": m.zeros(2, 3)}, {"weight": m.ones(2, 3)}), m.ones(1, 3)
        ),
        lambda m: m.func.stack_module_state([]),
    ],
    ids=["partial", "strict-missing", "unexpected", "strict-unexpected", "repeated", "no-models"],
)
def test_values_and_errors_match_torch(case: Any) -> None:
    assert outcome(case, dyngrad) == outcome(case, torch)


def test_tied_weights_are_replaced_together() -> None:
    def run(m: Any) -> Any:
        a = m.nn.Linear(2, 2, bias=False)
        b = m.nn.Linear(2, 2, bias=False)
        b.weight = a.weight
        net = m.nn.Sequential(a, b)
        eye = m.eye(2) * 2
        tied = m.func.functional_call(net, {"0.weight": eye}, m.ones(1, 2))
        untied = m.func.functional_call(net, {"0.weight": eye}, m.ones(1, 2), tie_weights=False)
        return tied, untied.shape

    ours, theirs = run(dyngrad), run(torch)
    _close(ours[0], theirs[0])
    assert tuple(ours[1]) == tuple(theirs[1])


def test_linearize_matches_torch() -> None:
    x = np.array([0.0, 1.0, 2.0])
    v = np.array([1.0, -1.0, 0.5])

    def f(m: Any) -> Any:
        return lambda t: m.sin(t) * t

    y_o, fn_o = dyngrad.func.linearize(f(dyngrad), dyngrad.tensor(x))
    y_t, fn_t = torch.func.linearize(f(torch), torch.tensor(x))
    _close(y_o, y_t, 1e-12)
    _close(fn_o(dyngrad.tensor(v)), fn_t(torch.tensor(v)), 1e-12)
