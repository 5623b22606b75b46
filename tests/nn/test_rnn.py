"""Recurrent layers against torch with torch's weights copied in: RNN (tanh, relu), LSTM (with
projections) and GRU over layers, directions, batch_first, bias, initial states and
unbatched inputs; RNNCell, LSTMCell, GRUCell; dropout between layers; parameter names,
shapes and init; reprs; torch's errors; a few training steps of a character-level model;
higher derivatives."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pytest
from nn_parity import close as _close
from nn_parity import copy_weights as _copy_weights
from nn_parity import pair as _pair

import dyngrad
from dyngrad.autograd.gradcheck import gradcheck, gradgradcheck

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

D = dyngrad.nn
T = torch.nn


def _build(mode: str, options: dict[str, Any]) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", UserWarning
        )  # torch: "LSTM with projections is not supported with oneDNN"
        theirs = getattr(T, mode)(3, 5, **options)
    ours = getattr(D, mode)(3, 5, **options)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    _copy_weights(ours, theirs)
    return ours, theirs


def _run_torch(module: Any, *args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return module(*args)


def _flat(result: Any) -> list[Any]:
    out, state = result
    return [out, *state] if isinstance(state, tuple) else [out, state]


MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {}),
         ("LSTM", {"proj_size": 2})]  # fmt: skip
LAYOUTS = list(itertools.product([1, 2], [False, True], [False, True], [True, False]))


@pytest.mark.parametrize("mode,extra", MODES)
@pytest.mark.parametrize("num_layers,bidirectional,batch_first,bias", LAYOUTS)
def test_recurrent_layers_match_torch(mode: str, extra: dict[str, Any], num_layers: int,
                                      bidirectional: bool, batch_first: bool, bias: bool) -> None:  # fmt: skip
    options = dict(extra, num_layers=num_layers, bidirectional=bidirectional,
                   batch_first=batch_first, bias=bias)  # fmt: skip
    ours, theirs = _build(mode, options)
    x, tx = _pair((2, 4, 3) if batch_first else (4, 2, 3), 0)
    got, want = _flat(ours(x)), _flat(_run_torch(theirs, tx))
    for a, b in zip(got, want):
        _close(a, b)
    rng = np.random.default_rng(1)
    seeds = [rng.standard_normal(tuple(b.shape)).astype(np.float32) for b in want]
    sum((a * dyngrad.tensor(s)).sum() for a, s in zip(got, seeds)).backward()
    sum((b * torch.tensor(s)).sum() for b, s in zip(want, seeds)).backward()
    _close(x.grad, tx.grad, 2e-5)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=2e-5, err_msg=name
        )


@pytest.mark.parametrize("mode,extra", MODES)
@pytest.mark.parametrize("batched", [True, False])
def test_initial_state_and_unbatched_input(mode: str, extra: dict[str, Any], batched: bool) -> None:
    ours, theirs = _build(mode, dict(extra, num_layers=2, bidirectional=True))
    x, tx = _pair((4, 2, 3) if batched else (4, 3), 2)
    lead = (4, 2) if batched else (4,)
    out_size = extra.get("proj_size", 5)
    h, th = _pair((*lead, out_size), 3)
    if mode == "LSTM":
        c, tc = _pair((*lead, 5), 4)
        got, want = _flat(ours(x, (h, c))), _flat(_run_torch(theirs, tx, (th, tc)))
        leaves = [(x, tx), (h, th), (c, tc)]
    else:
        got, want = _flat(ours(x, h)), _flat(_run_torch(theirs, tx, th))
        leaves = [(x, tx), (h, th)]
    for a, b in zip(got, want):
        _close(a, b)
    sum(a.sin().sum() for a in got).backward()
    sum(b.sin().sum() for b in want).backward()
    for a, b in leaves:
        _close(a.grad, b.grad, 2e-5)


def test_lstm_grad_fn_names_follow_torch() -> None:
    ours, theirs = _build("LSTM", {})
    x, tx = _pair((4, 2, 3), 0)
    out, tout = ours(x)[0], theirs(tx)[0]
    assert type(out.grad_fn).__name__ == type(tout.grad_fn).__name__ == "MkldnnRnnLayerBackward0"
    bi, tbi = _build("LSTM", {"bidirectional": True})
    assert type(bi(x)[0].grad_fn).__name__ == type(tbi(tx)[0].grad_fn).__name__ == "CatBackward0"


def test_dropout_between_layers() -> None:
    """p = 1 zeroes the first layer's output: deterministic, so torch's result is the same."""
    ours, theirs = _build("LSTM", {"num_layers": 2, "dropout": 1.0})
    x, tx = _pair((4, 2, 3), 5)
    for a, b in zip(_flat(ours(x)), _flat(theirs(tx))):
        _close(a, b)
    ours.eval()
    theirs.eval()
    for a, b in zip(_flat(ours(x)), _flat(theirs(tx))):
        _close(a, b)
    half, _ = _build("GRU", {"num_layers": 2, "dropout": 0.5})
    half.eval()
    evaluated = half(x)[0].detach().numpy()
    half.train()
    assert not np.allclose(half(x)[0].detach().numpy(), evaluated)  # dropped in training only


def test_parameter_names_shapes_and_init() -> None:
    lstm = D.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    names = [n for n, _ in lstm.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0"]
    assert names[5:10] == [n + "_reverse" for n in names[:5]]
    assert tuple(lstm.weight_ih_l1.shape) == (16, 4)  # two directions of proj_size 2
    assert len(lstm.all_weights) == 4 and lstm._flat_weights_names == names
    big = D.GRU(10, 400)
    values = np.concatenate([p.detach().numpy().ravel() for p in big.parameters()])
    bound = 1 / math.sqrt(400)
    assert values.min() >= -bound and values.max() <= bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound  # uniform on [-b, b]
    assert abs(values.mean()) < 0.02 * bound
    cell = D.LSTMCell(3, 100)
    assert max(abs(p.detach().numpy()).max() for p in cell.parameters()) <= 0.1


def test_reprs_match_torch() -> None:
    options = [
        (
            "LSTM",
            (3, 4),
            {"num_layers": 2, "batch_first": True, "dropout": 0.5, "bidirectional": True},
        ),
        ("LSTM", (3, 4), {"proj_size": 2}),
        ("GRU", (3, 4), {"bias": False}),
        ("RNN", (3, 4), {"nonlinearity": "relu"}),
        ("RNNCell", (3, 4), {"nonlinearity": "relu"}),
        ("LSTMCell", (3, 4), {}),
        ("GRUCell", (3, 4), {"bias": False}),
    ]
    for name, args, kw in options:
        assert repr(getattr(D, name)(*args, **kw)) == repr(getattr(T, name)(*args, **kw))


# --- cells ------------------------------------------------------------------------------------

CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("RNNCell", {"bias": False}),
         ("LSTMCell", {}), ("LSTMCell", {"bias": False}), ("GRUCell", {}), ("GRUCell", {"bias": False})]  # fmt: skip


@pytest.mark.parametrize("name,options", CELLS)
@pytest.mark.parametrize(
    "batched,with_state", list(itertools.product([True, False], [True, False]))
)
def test_cells_match_torch(
    name: str, options: dict[str, Any], batched: bool, with_state: bool
) -> None:
    theirs, ours = getattr(T, name)(3, 4, **options), getattr(D, name)(3, 4, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_weights(ours, theirs)
    lead = (2,) if batched else ()
    x, tx = _pair((*lead, 3), 0)
    h, th = _pair((*lead, 4), 1)
    c, tc = _pair((*lead, 4), 2)
    if not with_state:
        got, want = ours(x), theirs(tx)
    elif name == "LSTMCell":
        got, want = ours(x, (h, c)), theirs(tx, (th, tc))
    else:
        got, want = ours(x, h), theirs(tx, th)
    got, want = (list(got), list(want)) if isinstance(want, tuple) else ([got], [want])
    for a, b in zip(got, want):
        _close(a, b)
    sum((a * a).sum() for a in got).backward()
    sum((b * b).sum() for b in want).backward()
    _close(x.grad, tx.grad)
    if with_state:
        _close(h.grad, th.grad)
    for (pname, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=pname
        )


def test_cell_loop_equals_layer() -> None:
    """An LSTMCell stepped by hand gives the LSTM layer's outputs with the same weights."""
    layer, cell = D.LSTM(3, 4), D.LSTMCell(3, 4)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = dyngrad.randn(5, 2, 3)
    out, (h_n, c_n) = layer(x)
    h = c = dyngrad.zeros(2, 4)
    for t in range(5):
        h, c = cell(x[t], (h, c))
        np.testing.assert_allclose(
            h.detach().numpy(), out[t].detach().numpy(), rtol=1e-5, atol=1e-6
        )
    np.testing.assert_allclose(c.detach().numpy(), c_n[0].detach().numpy(), rtol=1e-5, atol=1e-6)


# --- errors -----------------------------------------------------------------------------------


def _same_error(make: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(Exception) as theirs:
            make(torch)
    with pytest.raises(type(theirs.value)) as ours:
        make(dyngrad)
    assert str(ours.value) == str(theirs.value)


ERRORS = [
    lambda m: m.nn.LSTM(5, 4, num_layers=2)(m.zeros(2, 3, 4, 5)),
    lambda m: m.nn.RNN(5, 4)(m.zeros(5)),
    lambda m: m.nn.LSTM(5, 4)(m.zeros(2, 3, 6)),
    lambda m: m.nn.LSTM(5, 4, num_layers=2)(m.zeros(2, 3, 5), (m.zeros(1, 3, 4), m.zeros(2, 3, 4))),
    lambda m: m.nn.LSTM(5, 4, num_layers=2)(m.zeros(2, 3, 5), (m.zeros(2, 3, 4), m.zeros(2, 2, 4))),
    lambda m: m.nn.LSTM(5, 4)(m.zeros(2, 5), (m.zeros(1, 3, 4), m.zeros(1, 3, 4))),
    lambda m: m.nn.LSTM(5, 4)(m.zeros(2, 3, 5), (m.zeros(1, 4), m.zeros(1, 4))),
    lambda m: m.nn.GRU(5, 4)(m.zeros(2, 5), m.zeros(1, 3, 4)),
    lambda m: m.nn.GRU(5, 4)(m.zeros(2, 3, 5), m.zeros(1, 2, 4)),
    lambda m: m.nn.GRU(5, 4)(m.zeros(0, 3, 5)),
    lambda m: m.nn.GRU(5, 4)(m.zeros(2, 3, 5, dtype=m.float64)),
    lambda m: m.nn.LSTM(5, 4, dropout=1.5),
    lambda m: m.nn.LSTM(5, 4.0),
    lambda m: m.nn.LSTM(5, 0),
    lambda m: m.nn.LSTM(5, 4, num_layers=0),
    lambda m: m.nn.LSTM(5, 4, proj_size=4),
    lambda m: m.nn.LSTM(5, 4, proj_size=-1),
    lambda m: m.nn.GRU(5, 4, proj_size=2),
    lambda m: m.nn.RNN(5, 4, nonlinearity="sigmoid"),
    lambda m: m.nn.LSTMCell(5, 4)(m.zeros(2, 3, 5)),
    lambda m: m.nn.RNNCell(5, 4)(m.zeros(2, 5), m.zeros(2, 2, 4)),
    lambda m: m.nn.LSTMCell(5, 4)(m.zeros(2, 5), (m.zeros(2, 2, 4), m.zeros(2, 4))),
    lambda m: m.nn.RNNCell(5, 4)(m.zeros(2, 6)),
    lambda m: m.nn.GRUCell(5, 4)(m.zeros(2, 5), m.zeros(2, 3)),
    lambda m: m.nn.GRUCell(5, 4)(m.zeros(2, 5), m.zeros(3, 4)),
    lambda m: m.nn.LSTMCell(5, 4)(m.zeros(2, 5), (m.zeros(2, 4), m.zeros(3, 4))),
    lambda m: m.nn.RNNCell(5, 4, nonlinearity="foo")(m.zeros(2, 5)),
]


@pytest.mark.parametrize("make", ERRORS)
def test_errors_match_torch(make: Any) -> None:
    _same_error(make)


def test_dropout_warning_with_one_layer() -> None:
    with pytest.warns(
        UserWarning,
        match="non-zero dropout expects num_layers greater than 1, but got dropout=0.5 and num_layers=1",
    ):
        D.LSTM(3, 4, dropout=0.5)


# --- training and higher derivatives ----------------------------------------------------------


class _CharModel:
    """Embedding → 2-layer LSTM → Linear, built the same way on either library."""

    def __init__(self, m: Any) -> None:
        self.m = m
        self.embed = m.nn.Embedding(7, 4)
        self.rnn = m.nn.LSTM(4, 6, num_layers=2, batch_first=True)
        self.head = m.nn.Linear(6, 7)
        self.modules = m.nn.ModuleList([self.embed, self.rnn, self.head])

    def loss(self, tokens: np.ndarray, targets: np.ndarray, state: Any) -> tuple[Any, Any]:
        m = self.m
        out, state = self.rnn(self.embed(m.tensor(tokens)), state)
        logits = self.head(out).reshape(-1, 7)
        return m.nn.functional.cross_entropy(logits, m.tensor(targets).reshape(-1)), state


def test_char_lstm_training_follows_torch() -> None:
    """Five SGD steps with truncated backpropagation through time (state detached between
    batches): the same losses and weights as torch."""
    ours, theirs = _CharModel(dyngrad), _CharModel(torch)
    _copy_weights(ours.modules, theirs.modules)
    opt_o = dyngrad.optim.SGD(ours.modules.parameters(), lr=0.5, momentum=0.9)
    opt_t = torch.optim.SGD(theirs.modules.parameters(), lr=0.5, momentum=0.9)
    rng = np.random.default_rng(0)
    state_o = state_t = None
    for _ in range(5):
        tokens = rng.integers(0, 7, (3, 6))
        targets = rng.integers(0, 7, (3, 6))
        loss_o, state_o = ours.loss(tokens, targets, state_o)
        loss_t, state_t = theirs.loss(tokens, targets, state_t)
        np.testing.assert_allclose(loss_o.item(), loss_t.item(), rtol=1e-5)
        opt_o.zero_grad()
        opt_t.zero_grad()
        loss_o.backward()
        loss_t.backward()
        opt_o.step()
        opt_t.step()
        state_o = tuple(s.detach() for s in state_o)
        state_t = tuple(s.detach() for s in state_t)
    for (name, p), q in zip(ours.modules.named_parameters(), theirs.modules.parameters()):
        np.testing.assert_allclose(
            p.detach().numpy(), q.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=name
        )


@pytest.mark.parametrize("mode,extra", [("LSTM", {}), ("LSTM", {"proj_size": 2, "bidirectional": True}),
                                        ("GRU", {"bidirectional": True}), ("RNN", {})])  # fmt: skip
def test_layers_gradcheck_and_gradgradcheck(mode: str, extra: dict[str, Any]) -> None:
    """First and second derivatives w.r.t. the input and the initial state, float64."""
    module = getattr(D, mode)(2, 3, dtype=dyngrad.float64, **extra)
    rng = np.random.default_rng(0)
    x = dyngrad.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    directions = 2 if extra.get("bidirectional") else 1
    h0 = dyngrad.tensor(
        rng.standard_normal((directions, 2, extra.get("proj_size", 3))), requires_grad=True
    )

    def f(inp: Any, h: Any) -> Any:
        state = (h, h.sum(-1, keepdim=True).expand(-1, -1, 3) * 0.5) if mode == "LSTM" else h
        out, last = module(inp, state)
        h_n = last[0] if isinstance(last, tuple) else last
        return out.tanh().sum() + (h_n * h_n).sum()

    assert gradcheck(f, [x, h0])
    assert gradgradcheck(f, [x, h0])


def test_gru_double_backward_matches_torch() -> None:
    ours, theirs = _build("GRU", {"num_layers": 2})
    x, tx = _pair((3, 2, 3), 0, np.float32)
    (gx,) = dyngrad.autograd.grad(ours(x)[0].pow(2).sum(), x, create_graph=True)
    (tgx,) = torch.autograd.grad(theirs(tx)[0].pow(2).sum(), tx, create_graph=True)
    _close(gx, tgx, 2e-5)
    gx.pow(2).sum().backward()
    tgx.pow(2).sum().backward()
    _close(x.grad, tx.grad, 1e-4)


def test_lstm_graph_is_freed_after_backward_unless_retained() -> None:
    lstm = D.LSTM(3, 4)
    x = dyngrad.randn(5, 2, 3, requires_grad=True)
    loss = lstm(x)[0].sum()
    loss.backward(retain_graph=True)
    first = x.grad.clone()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        loss.backward()
