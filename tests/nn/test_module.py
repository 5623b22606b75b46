"""nn.Module, Parameter and the containers against torch: registration, traversal order,
state_dict keys and load_state_dict errors, train/eval, zero_grad, apply, hooks and reprs.

Each test builds the same model with ``torch`` and with ``dyngrad`` (the same code, the module
passed in) and compares what both report.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

LIBS = (torch, dyngrad)


def _net(t: Any) -> Any:
    nn = t.nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3)
            self.register_buffer("running", t.zeros(3))
            self.register_buffer("tmp", t.ones(2), persistent=False)
            self.act = nn.ReLU()
            self.scale = nn.Parameter(t.ones(1))

        def forward(self, x: Any) -> Any:
            return self.act(self.fc(x)) * self.scale

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = Block()
            self.layers = nn.ModuleList([nn.Linear(3, 3), nn.ReLU(), nn.ReLU(), nn.Linear(3, 3),
                                         nn.Linear(3, 3)])  # fmt: skip
            self.heads = nn.ModuleDict(
                {"a": nn.Linear(3, 2), "b": nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=1))}
            )
            self.plist = nn.ParameterList([nn.Parameter(t.zeros(2)), nn.Parameter(t.zeros(2, 3))])
            self.pdict = nn.ParameterDict({"w": nn.Parameter(t.zeros(1)), "v": t.zeros(2, 2)})
            self.seq = nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Identity())
            self.shared = self.block.fc

        def forward(self, x: Any) -> Any:
            h = self.block(x)
            for layer in self.layers:
                h = layer(h)
            return self.heads["b"](h) + self.heads["a"](h)

    return Net()


def _both(fn: Any) -> tuple[Any, Any]:
    return fn(torch), fn(dyngrad)


def _error(fn: Any) -> tuple[type, str]:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the exception itself is what we compare
        return type(exc), str(exc)
    return type(None), ""


def test_repr_of_nested_model_matches_torch() -> None:
    theirs, ours = _both(lambda t: repr(_net(t)))
    assert ours == theirs


@pytest.mark.parametrize(
    "what",
    ["named_parameters", "named_buffers", "named_modules", "named_children", "state_dict"],
)
def test_traversal_order_matches_torch(what: str) -> None:
    def names(t: Any) -> list[str]:
        net = _net(t)
        if what == "state_dict":
            return list(net.state_dict().keys())
        return [n for n, _ in getattr(net, what)()]

    theirs, ours = _both(names)
    assert ours == theirs


def test_duplicates_and_prefixes_match_torch() -> None:
    def report(t: Any) -> Any:
        net = _net(t)
        lin = t.nn.Linear(2, 2)
        seq = t.nn.Sequential(lin, lin)
        return (
            [n for n, _ in net.named_parameters(remove_duplicate=False)],
            [n for n, _ in seq.named_modules()],
            [n for n, _ in seq.named_modules(remove_duplicate=False)],
            len(list(seq.parameters())),
            [n for n, _ in net.named_parameters(prefix="model")],
            [n for n, _ in net.named_parameters(recurse=False)],
            list(net.state_dict(prefix="pre.").keys())[:3],
            [type(c).__name__ for c in net.children()],
            len(list(net.modules())),
        )

    theirs, ours = _both(report)
    assert ours == theirs


def test_state_dict_values_are_detached_unless_keep_vars() -> None:
    net = _net(dyngrad)
    sd = net.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    # detached views, as in torch: they share memory with the parameters
    assert np.shares_memory(sd["block.fc.weight"].numpy(), net.block.fc.weight.detach().numpy())
    assert net.state_dict(keep_vars=True)["block.fc.weight"] is net.block.fc.weight


def _load_reports(t: Any) -> list[Any]:
    nn = t.nn
    m = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    out = []
    sd = dict(m.state_dict())
    del sd["0.bias"]
    sd["3.weight"] = t.zeros(1)
    sd["x"] = t.zeros(1)
    out.append(_error(lambda: m.load_state_dict(sd)))
    r = m.load_state_dict(sd, strict=False)
    out.append((r.missing_keys, r.unexpected_keys, repr(r)))
    missing_only = dict(m.state_dict())
    del missing_only["2.weight"]
    out.append(repr(m.load_state_dict(missing_only, strict=False)))
    out.append(repr(m.load_state_dict(m.state_dict())))
    wrong = dict(m.state_dict())
    wrong["0.weight"] = t.zeros(3, 3)
    wrong["2.bias"] = t.zeros(2)
    out.append(_error(lambda: m.load_state_dict(wrong)))
    out.append(_error(lambda: m.load_state_dict(wrong, strict=False)))
    not_tensor = dict(m.state_dict())
    not_tensor["0.weight"] = [1.0]
    out.append(_error(lambda: m.load_state_dict(not_tensor))[0])
    out.append(_error(lambda: m.load_state_dict([1]))[0])
    return out


def test_load_state_dict_errors_and_incompatible_keys_match_torch() -> None:
    theirs, ours = _both(_load_reports)
    assert ours == theirs


def test_load_state_dict_copies_values_in_place() -> None:
    src = torch.nn.Linear(3, 2)
    ours = dyngrad.nn.Linear(3, 2)
    weight = ours.weight
    ours.load_state_dict({k: dyngrad.tensor(v.numpy()) for k, v in src.state_dict().items()})
    assert ours.weight is weight  # same Parameter object, new values
    np.testing.assert_array_equal(ours.weight.detach().numpy(), src.weight.detach().numpy())
    assert ours.weight.requires_grad


def test_train_eval_flags_propagate() -> None:
    def report(t: Any) -> Any:
        net = _net(t)
        a = (net.training, net.seq[1].training)
        net.eval()
        b = (net.training, net.seq[1].training, net.block.act.training)
        net.train()
        c = (net.training, net.heads["b"][1].training)
        net.block.train(False)
        d = (net.training, net.block.fc.training, net.layers[0].training)
        return a, b, c, d, _error(lambda: net.train("yes"))

    theirs, ours = _both(report)
    assert ours == theirs


def test_dropout_follows_train_and_eval() -> None:
    model = dyngrad.nn.Sequential(dyngrad.nn.Dropout(0.5))
    x = dyngrad.ones(200, 50)
    assert (model(x).numpy() == 0).any()
    model.eval()
    assert model(x) is x


def test_zero_grad_and_requires_grad() -> None:
    net = _net(dyngrad)
    out = net(dyngrad.ones(2, 4)).sum()
    out.backward()
    assert net.block.fc.weight.grad is not None
    net.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(net.block.fc.weight.grad.numpy(), 0)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_apply_visits_children_first() -> None:
    def order(t: Any) -> list[str]:
        seen: list[str] = []
        _net(t).apply(lambda m: seen.append(type(m).__name__))
        return seen

    theirs, ours = _both(order)
    assert ours == theirs


def test_apply_can_reinitialise_weights() -> None:
    net = _net(dyngrad)

    def init(m: Any) -> None:
        if isinstance(m, dyngrad.nn.Linear):
            dyngrad.nn.init.constant_(m.weight, 0.5)

    net.apply(init)
    np.testing.assert_array_equal(net.layers[3].weight.detach().numpy(), 0.5)


def test_forward_hooks_order_kwargs_and_removal() -> None:
    def report(t: Any) -> Any:
        calls: list[Any] = []
        lin = t.nn.Linear(2, 2)
        handles = [
            lin.register_forward_pre_hook(lambda m, a: calls.append("pre1")),
            lin.register_forward_pre_hook(lambda m, a: calls.append("pre0"), prepend=True),
            lin.register_forward_hook(lambda m, a, o: calls.append("post1")),
            lin.register_forward_hook(
                lambda m, a, k, o: calls.append(("kw", sorted(k))), with_kwargs=True
            ),  # fmt: skip
            lin.register_forward_hook(lambda m, a, o: calls.append("post0"), prepend=True),
        ]
        lin(t.ones(1, 2))
        for h in handles:
            h.remove()
        lin(t.ones(1, 2))
        return calls

    theirs, ours = _both(report)
    assert ours == theirs


def test_hooks_can_replace_inputs_and_outputs() -> None:
    lin = dyngrad.nn.Linear(2, 2)
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = lin(dyngrad.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), lin.bias.detach().numpy()[None])
    pre.remove()
    post = lin.register_forward_hook(lambda m, args, output: output * 0 + 7)
    np.testing.assert_array_equal(lin(dyngrad.ones(1, 2)).detach().numpy(), 7)
    post.remove()


def test_parameter_repr_and_registration() -> None:
    theirs, ours = _both(lambda t: (repr(t.nn.Parameter(t.ones(2))),
                                    str(t.nn.Parameter(t.ones(2), requires_grad=False))))  # fmt: skip
    assert ours == theirs
    p = dyngrad.nn.Parameter(dyngrad.ones(3))
    assert p.requires_grad and p.is_leaf and isinstance(p, dyngrad.Tensor)


def _registration_errors(t: Any) -> list[Any]:
    nn = t.nn
    out = []

    class P(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(t.ones(2))
            self.w = None
            self.register_buffer("b", None)
            self.sub = None

    p = P()
    out.append((list(p.state_dict().keys()), len(list(p.parameters())), repr(p)))
    out.append(_error(lambda: setattr(p, "w", t.ones(2))))
    out.append(_error(lambda: setattr(p, "b", 3)))
    out.append(_error(lambda: setattr(p, "sub", 3)))
    out.append(_error(lambda: p.register_parameter("w2", t.ones(2))))
    out.append(_error(lambda: p.register_parameter("", None)))
    out.append(_error(lambda: p.register_parameter("a.b", None)))
    out.append(_error(lambda: p.register_buffer(1, None)))
    out.append(_error(lambda: p.add_module("x", 3)))
    out.append(_error(lambda: p.add_module("a.b", nn.ReLU())))
    out.append(_error(lambda: p.register_buffer("sub", t.zeros(1))))
    out.append(_error(lambda: p.foo))
    out.append(_error(lambda: p.register_parameter("bad", (t.ones(2, requires_grad=True) * 2))))

    class NoInit(nn.Module):
        def __init__(self) -> None:
            self.x = nn.Parameter(t.ones(1))

    out.append(_error(NoInit))

    class NoInitModule(nn.Module):
        def __init__(self) -> None:
            self.x = nn.Linear(1, 1)

    out.append(_error(NoInitModule))

    class Empty(nn.Module):
        pass

    out.append(_error(lambda: Empty()(1)))
    out.append(repr(Empty()))
    del p.w
    out.append((hasattr(p, "w"), list(p._parameters)))
    return out


def test_registration_errors_match_torch() -> None:
    theirs, ours = _both(_registration_errors)
    assert ours == theirs


def test_get_submodule_and_parameter() -> None:
    def report(t: Any) -> Any:
        net = _net(t)
        return (
            repr(net.get_submodule("heads.b.1")),
            _error(lambda: net.get_submodule("heads.c")),
            _error(lambda: net.get_submodule("block.scale")),
            tuple(net.get_parameter("block.fc.weight").shape),
            _error(lambda: net.get_parameter("block.fc.foo")),
            _error(lambda: net.get_parameter("block.running")),
        )

    theirs, ours = _both(report)
    assert ours == theirs


def _container_reports(t: Any) -> list[Any]:
    nn = t.nn
    out: list[Any] = []
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    del s[0]
    s.append(nn.Tanh())
    s.insert(0, nn.Sigmoid())
    out.append(repr(s))
    sq = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    out += [repr(sq[::2]), repr(sq[-1]), len(sq), _error(lambda: sq[3])]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(1, 1)), ("act", nn.ReLU())]))
    out += [repr(named), repr(named[0]), repr(named[1:]), [n for n, _ in named.named_parameters()]]
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    ml.insert(1, nn.Sigmoid())
    ml.append(nn.ReLU())
    ml.extend([nn.ReLU()])
    ml += [nn.Tanh()]
    out += [repr(ml), repr(ml[-1]), len(ml)]
    del ml[0]
    out += [list(ml._modules.keys()), _error(lambda: ml[10]), type(ml[1:3]).__name__]
    out.append(repr(nn.ModuleList([nn.ReLU()] * 3)))
    out.append(repr(nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)])))
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    md["c"] = nn.Sigmoid()
    out += [list(md.keys()), "a" in md, len(md), repr(md.pop("b")), repr(md),
            _error(lambda: md["zz"])]  # fmt: skip
    pl = nn.ParameterList([nn.Parameter(t.ones(1)), t.zeros(2)])
    out += [repr(pl), [n for n, _ in pl.named_parameters()], type(pl[1]).__name__, len(pl)]
    pd = nn.ParameterDict({"a": nn.Parameter(t.ones(1)), "b": t.zeros(2, 2)})
    out += [repr(pd), list(pd.keys()), [n for n, _ in pd.named_parameters()], "a" in pd]
    out += [repr(nn.Sequential()), repr(nn.ModuleList()), repr(nn.ModuleDict()),
            repr(nn.ParameterList()), repr(nn.ParameterDict())]  # fmt: skip
    return out


def test_containers_match_torch() -> None:
    theirs, ours = _both(_container_reports)
    for o, t in zip(ours, theirs):
        assert o == t


def test_sequential_forward_and_gradients_match_torch() -> None:
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    dm = dyngrad.nn.Sequential(dyngrad.nn.Linear(4, 8), dyngrad.nn.ReLU(), dyngrad.nn.Linear(8, 3))
    dm.load_state_dict({k: dyngrad.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    tm(torch.tensor(x)).pow(2).sum().backward()
    dm(dyngrad.tensor(x)).pow(2).sum().backward()
    for (n, tp), (m, dp) in zip(tm.named_parameters(), dm.named_parameters()):
        assert n == m
        np.testing.assert_allclose(dp.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_to_double_keeps_parameters() -> None:
    def report(t: Any) -> Any:
        m = t.nn.Sequential(t.nn.Linear(2, 2))
        m.double()
        w = m[0].weight
        a = (str(w.dtype), type(w).__name__, w.requires_grad)
        m.float()
        return a, str(m[0].weight.dtype)

    theirs, ours = _both(report)
    assert ours == theirs


def test_deepcopy_gives_independent_parameters() -> None:
    net = _net(dyngrad)
    clone = copy.deepcopy(net)
    assert repr(clone) == repr(net)
    with dyngrad.no_grad():
        dyngrad.nn.init.zeros_(clone.block.fc.weight)
    assert np.any(net.block.fc.weight.detach().numpy() != 0)
    assert clone.shared is clone.block.fc
