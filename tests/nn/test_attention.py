"""MultiheadAttention and the transformer encoder against torch with torch's weights copied
in: embed/head sizes, bias, batch_first, kdim/vdim, add_bias_kv, add_zero_attn, boolean and
float masks (attn_mask 2-D/3-D, key_padding_mask), need_weights and average_attn_weights,
unbatched inputs, dropout, parameter names and init, reprs and torch's errors."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pytest
from nn_parity import close
from nn_parity import copy_weights as _copy_weights
from nn_parity import pair as _pair

import dyngrad

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

D = dyngrad.nn
T = torch.nn


def _close(ours: Any, theirs: Any, tol: float = 2e-5) -> None:
    close(ours, theirs, tol)


def _randomize_biases(module: Any) -> None:
    """torch starts the projection biases at 0; give them values so that they are tested."""
    rng = np.random.default_rng(7)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "bias" in name:
                p.copy_(torch.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))


def _build(options: dict[str, Any]) -> tuple[Any, Any]:
    theirs, ours = T.MultiheadAttention(8, 2, **options), D.MultiheadAttention(8, 2, **options)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    _randomize_biases(theirs)
    _copy_weights(ours, theirs)
    return ours, theirs


OPTIONS = [
    {},
    {"bias": False},
    {"kdim": 5, "vdim": 3},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"add_bias_kv": True, "add_zero_attn": True, "kdim": 5, "vdim": 3},
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("batch_first,need_weights,average", list(itertools.product(
    [False, True], [True, False], [True, False])))  # fmt: skip
def test_multihead_attention_matches_torch(options: dict[str, Any], batch_first: bool,
                                           need_weights: bool, average: bool) -> None:  # fmt: skip
    ours, theirs = _build(dict(options, batch_first=batch_first))
    kdim, vdim = options.get("kdim", 8), options.get("vdim", 8)
    lead_q, lead_k = ((2, 3), (2, 4)) if batch_first else ((3, 2), (4, 2))
    q, tq = _pair((*lead_q, 8), 0)
    k, tk = _pair((*lead_k, kdim), 1)
    v, tv = _pair((*lead_k, vdim), 2)
    kw = {"need_weights": need_weights, "average_attn_weights": average}
    out, w = ours(q, k, v, **kw)
    tout, tw = theirs(tq, tk, tv, **kw)
    _close(out, tout)
    if need_weights:
        _close(w, tw)
    else:
        assert w is None and tw is None
    loss = out.pow(2).sum() + (w.sum() * 0.0 if w is not None else 0.0)
    tloss = tout.pow(2).sum() + (tw.sum() * 0.0 if tw is not None else 0.0)
    loss.backward()
    tloss.backward()
    for a, b in ((q, tq), (k, tk), (v, tv)):
        _close(a.grad, b.grad, 5e-5)
    for (name, p), t in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=5e-5, err_msg=name
        )


def _masks(m: Any, kind: str) -> dict[str, Any]:
    """Masks for a (L=3, S=4, N=2, H=2) attention that leave every query a key to see."""
    allowed = np.ones((3, 4), bool)
    allowed[0, 2:] = False
    allowed[2, 0] = False
    padding = np.zeros((2, 4), bool)
    padding[1, 3] = True
    if kind == "bool":
        return {"attn_mask": m.tensor(~allowed), "key_padding_mask": m.tensor(padding)}
    if kind == "float":
        additive = np.where(allowed, 0.0, -math.inf).astype(np.float32) + np.float32(0.25)
        return {
            "attn_mask": m.tensor(additive),
            "key_padding_mask": m.tensor(np.where(padding, -1e9, 0.0).astype(np.float32)),
        }
    if kind == "3d":
        per_head = np.random.default_rng(3).standard_normal((4, 3, 4)).astype(np.float32)
        return {"attn_mask": m.tensor(per_head)}
    if kind == "padding-only":
        return {"key_padding_mask": m.tensor(padding)}
    if kind == "causal":
        causal = np.triu(np.full((3, 4), -math.inf, np.float32), 1)
        return {"attn_mask": m.tensor(causal), "is_causal": True}
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["bool", "float", "3d", "padding-only", "causal"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_masks_match_torch(kind: str, need_weights: bool) -> None:
    ours, theirs = _build({})
    q, tq = _pair((3, 2, 8), 4)
    k, tk = _pair((4, 2, 8), 5)
    out, w = ours(q, k, k, need_weights=need_weights, **_masks(dyngrad, kind))
    tout, tw = theirs(tq, tk, tk, need_weights=need_weights, **_masks(torch, kind))
    _close(out, tout)
    if need_weights:
        _close(w, tw)
    out.sum().backward()
    tout.sum().backward()
    _close(q.grad, tq.grad, 5e-5)
    _close(k.grad, tk.grad, 5e-5)


def test_unbatched_self_attention_and_grad_fns() -> None:
    ours, theirs = _build({})
    x, tx = _pair((3, 8), 6)
    out, w = ours(x, x, x)
    tout, tw = theirs(tx, tx, tx)
    _close(out, tout)
    _close(w, tw)
    batched, _ = ours(x[:, None], x[:, None], x[:, None])
    assert type(batched.grad_fn).__name__ == "ViewBackward0"
    out.sum().backward()
    tout.sum().backward()
    _close(x.grad, tx.grad, 5e-5)


def test_dropout_only_in_training() -> None:
    ours, theirs = _build({"dropout": 0.5})
    x, tx = _pair((3, 2, 8), 8)
    ours.eval()
    theirs.eval()
    _close(ours(x, x, x)[0], theirs(tx, tx, tx)[0])
    ours.train()
    weights = ours(x, x, x)[1]
    assert not np.allclose(weights.detach().numpy(), theirs(tx, tx, tx)[1].detach().numpy())


def test_parameters_init_and_repr() -> None:
    ours, theirs = D.MultiheadAttention(16, 4), T.MultiheadAttention(16, 4)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert type(ours.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert not np.any(ours.in_proj_bias.detach().numpy()) and not np.any(
        ours.out_proj.bias.detach().numpy()
    )
    bound = math.sqrt(6.0 / (16 + 48))  # xavier_uniform_ on the (3E, E) packed weight
    w = ours.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and w.std() > 0.8 * bound / math.sqrt(3)
    separate = D.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, bias=False)
    assert separate.in_proj_weight is None and separate.in_proj_bias is None
    assert [n for n, _ in separate.named_parameters()] == [
        n
        for n, _ in T.MultiheadAttention(
            8, 2, kdim=3, vdim=5, add_bias_kv=True, bias=False
        ).named_parameters()
    ]


def test_errors_match_torch() -> None:
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        D.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        D.MultiheadAttention(0, 2)
    ours, theirs = _build({})
    cases = [
        lambda m, mod: mod(
            m.zeros(3, 2, 8), m.zeros(4, 2, 8), m.zeros(4, 2, 8), attn_mask=m.zeros(3, 5)
        ),
        lambda m, mod: mod(
            m.zeros(3, 2, 8), m.zeros(4, 2, 8), m.zeros(4, 2, 8), attn_mask=m.zeros(3, 3, 4)
        ),
        lambda m, mod: mod(m.zeros(3, 2, 8), m.zeros(4, 2, 8), m.zeros(4, 2, 8), is_causal=True),
    ]
    for case in cases:
        with pytest.raises(Exception) as want:
            case(torch, theirs)
        with pytest.raises(type(want.value)) as got:
            case(dyngrad, ours)
        assert str(got.value) == str(want.value)


# --- transformer encoder ----------------------------------------------------------------------


@pytest.mark.parametrize("norm_first,batch_first,activation", [
    (False, False, "relu"), (True, False, "gelu"), (False, True, "gelu"), (True, True, "relu"),
])  # fmt: skip
def test_transformer_encoder_layer_matches_torch(
    norm_first: bool, batch_first: bool, activation: str
) -> None:
    options = {"dim_feedforward": 16, "dropout": 0.0, "activation": activation,
               "norm_first": norm_first, "batch_first": batch_first}  # fmt: skip
    theirs, ours = (
        T.TransformerEncoderLayer(8, 2, **options),
        D.TransformerEncoderLayer(8, 2, **options),
    )
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _randomize_biases(theirs)
    _copy_weights(ours, theirs)
    x, tx = _pair((2, 5, 8) if batch_first else (5, 2, 8), 9)
    padding = np.zeros((2, 5), bool)
    padding[0, 4] = True
    y = ours(x, src_key_padding_mask=dyngrad.tensor(padding))
    ty = theirs(tx, src_key_padding_mask=torch.tensor(padding))
    _close(y, ty, 5e-5)
    y.pow(2).sum().backward()
    ty.pow(2).sum().backward()
    _close(x.grad, tx.grad, 2e-4)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=1e-3, atol=2e-4, err_msg=name
        )


def test_transformer_encoder_stack_matches_torch() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = T.TransformerEncoder(
            T.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2, norm=T.LayerNorm(8)
        )
    with warnings.catch_warnings(record=True) as caught_ours:
        warnings.simplefilter("always")
        ours = D.TransformerEncoder(
            D.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2, norm=D.LayerNorm(8)
        )
    assert [str(w.message) for w in caught_ours] == [str(w.message) for w in caught]
    assert repr(ours) == repr(theirs)
    _copy_weights(ours, theirs)
    x, tx = _pair((5, 2, 8), 10)
    mask = np.triu(np.full((5, 5), -math.inf, np.float32), 1)
    _close(ours(x, mask=dyngrad.tensor(mask)), theirs(tx, mask=torch.tensor(mask)), 5e-5)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        D.TransformerEncoderLayer(8, 2, activation="tanh")
