"""Hostile and broken input: public functions given the wrong type, a negative or too-large
dim, mismatched shapes, a non-finite value where none is allowed, or the wrong dtype raise
torch's exception class, and where torch's message names the argument (or the dims and sizes
involved), ours names them too. ``dyngrad.load`` refuses crafted files with a clear error.

Each case is a function of the module (dyngrad or torch); torch is run first, so the
expected class and message are always torch's own.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import dyngrad
from dyngrad.serialization import MAGIC

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")


def X(m: Any) -> Any:  # noqa: N802 - the input most cases use
    return m.arange(6.0).reshape(2, 3)


def F(m: Any) -> Any:  # noqa: N802
    return m.nn.functional


def _p_with_grad(m: Any, value: float) -> Any:
    p = m.ones(3, requires_grad=True)
    p.grad = m.full((3,), value)
    return p


CASES: dict[str, Callable[[Any], Any]] = {
    # wrong type
    "add_str": lambda m: m.add(X(m), "a"),
    "add_list_input": lambda m: m.add([1, 2], X(m)),
    "mul_none": lambda m: m.mul(X(m), None),
    "sum_dim_str": lambda m: m.sum(X(m), dim="a"),
    "reshape_str": lambda m: X(m).reshape("a"),
    "reshape_float": lambda m: X(m).reshape(2.5, 2),
    "cat_tensor": lambda m: m.cat(X(m)),
    "cat_list_of_lists": lambda m: m.cat([[1.0], [2.0]]),
    "matmul_list": lambda m: m.matmul(X(m), [1, 2, 3]),
    "softmax_dim_str": lambda m: m.softmax(X(m), dim="a"),
    "softmax_no_dim": lambda m: m.softmax(X(m)),
    "linear_str_features": lambda m: m.nn.Linear(3, "4"),
    "linear_call_list": lambda m: m.nn.Linear(3, 4)([1.0, 2.0, 3.0]),
    "linear_weight_list": lambda m: F(m).linear(m.ones(3), [[1.0, 2.0, 3.0]]),
    "linear_bias_float": lambda m: F(m).linear(m.ones(3), m.ones(4, 3), 1.0),
    "tensor_of_str": lambda m: m.tensor("abc"),
    "tensor_ragged": lambda m: m.tensor([[1, 2], [3]]),
    "zeros_str": lambda m: m.zeros("a"),
    "transpose_float_dim": lambda m: X(m).transpose(0.5, 1),
    "exp_str": lambda m: m.exp("a"),
    "where_scalar_cond": lambda m: m.where(True, X(m), X(m)),
    "clamp_str": lambda m: m.clamp(X(m), min="a"),
    # dims
    "sum_dim_big": lambda m: X(m).sum(dim=5),
    "sum_dim_neg": lambda m: X(m).sum(dim=-3),
    "softmax_dim_neg": lambda m: m.softmax(X(m), dim=-3),
    "cat_dim": lambda m: m.cat([X(m), X(m)], dim=2),
    "stack_dim": lambda m: m.stack([X(m), X(m)], dim=-4),
    "transpose_dim": lambda m: X(m).transpose(0, 4),
    "unsqueeze_dim": lambda m: X(m).unsqueeze(5),
    "squeeze_dim": lambda m: X(m).squeeze(7),
    "flatten_dim": lambda m: X(m).flatten(3),
    "argmax_dim": lambda m: X(m).argmax(4),
    "mean_dim": lambda m: X(m).mean(-5),
    "var_dim": lambda m: X(m).var(3),
    "cumsum_dim": lambda m: X(m).cumsum(2),
    "flip_dim": lambda m: X(m).flip(3),
    "narrow_dim": lambda m: X(m).narrow(3, 0, 1),
    "select_dim": lambda m: X(m).select(2, 0),
    "select_index": lambda m: X(m).select(1, 7),
    "max_dim": lambda m: X(m).max(dim=3),
    "getitem_index": lambda m: X(m)[5],
    "permute_dims": lambda m: X(m).permute(0, 2),
    "log_softmax_dim": lambda m: F(m).log_softmax(X(m), dim=2),
    "gather_dim": lambda m: X(m).gather(3, m.zeros(2, 3, dtype=m.int64)),
    "index_select_dim": lambda m: X(m).index_select(2, m.tensor([0])),
    "topk_k": lambda m: X(m).topk(5),
    "chunk_zero": lambda m: X(m).chunk(0),
    "split_dim": lambda m: X(m).split(1, dim=2),
    # shapes
    "add_shapes": lambda m: m.add(X(m), m.ones(4)),
    "matmul_shapes": lambda m: m.matmul(X(m), m.ones(4, 5)),
    "mm_shapes": lambda m: m.mm(X(m), m.ones(2, 3)),
    "mm_1d": lambda m: m.mm(X(m), m.ones(3)),
    "bmm_batch": lambda m: m.bmm(m.ones(2, 2, 3), m.ones(3, 3, 2)),
    "dot_sizes": lambda m: m.dot(m.ones(3), m.ones(4)),
    "reshape_size": lambda m: X(m).reshape(7),
    "view_size": lambda m: X(m).view(4, 2),
    "cat_sizes": lambda m: m.cat([X(m), m.ones(2, 4)]),
    "stack_sizes": lambda m: m.stack([X(m), m.ones(3, 2)]),
    "expand_size": lambda m: X(m).expand(3, 2),
    "linear_in_features": lambda m: m.nn.Linear(3, 4)(m.ones(2, 5)),
    "mse_shapes": lambda m: F(m).mse_loss(m.ones(2, 3), m.ones(2, 4)),
    "where_shapes": lambda m: m.where(m.ones(2, dtype=m.bool), m.ones(3), m.ones(3)),
    "cross_entropy_batch": lambda m: F(m).cross_entropy(m.ones(3, 4), m.tensor([0, 1])),
    "setitem_shape": lambda m: X(m).__setitem__(0, m.ones(4)),
    "inplace_broadcast": lambda m: m.ones(3).add_(m.ones(2, 3)),
    # non-finite / out of domain
    "fill_2_63_int64": lambda m: m.zeros(3, dtype=m.int64).fill_(2**63),
    "fill_2_64": lambda m: m.zeros(3).fill_(2**64),
    "fill_below_int64": lambda m: m.zeros(3).fill_(-(2**63) - 1),
    "full_below_int64": lambda m: m.full((2,), -(2**63) - 1),
    "full_bool_2_63": lambda m: m.full((2,), 2**63, dtype=m.bool),
    "masked_fill_2_64": lambda m: m.zeros(3).masked_fill_(m.tensor([True, False, True]), 2**64),
    "masked_fill_below_int64": lambda m: m.zeros(3).masked_fill(m.tensor([True]), -(2**63) - 1),
    "setitem_2_63_float": lambda m: X(m).__setitem__(0, 2**63),
    "setitem_2_63_int8": lambda m: m.zeros(3, dtype=m.int8).__setitem__(m.tensor([0]), 2**63),
    "setitem_2_64_float16": lambda m: m.zeros(3, dtype=m.float16).__setitem__(0, 2**64),
    "setitem_float16_1e10": lambda m: m.zeros(3, dtype=m.float16).__setitem__(0, 1e10),
    "fill_float16_70000": lambda m: m.zeros(3, dtype=m.float16).fill_(70000.0),
    "multinomial_nan": lambda m: m.multinomial(m.tensor([0.5, math.nan]), 1),
    "multinomial_neg": lambda m: m.multinomial(m.tensor([0.5, -0.1]), 1),
    "multinomial_inf": lambda m: m.multinomial(m.tensor([0.5, math.inf]), 1),
    "multinomial_zero": lambda m: m.multinomial(m.tensor([0.0, 0.0]), 1),
    "multinomial_too_many": lambda m: m.multinomial(m.tensor([0.5, 0.5]), 3),
    "normal_neg_std": lambda m: m.normal(0.0, -1.0, size=(2,)),
    "normal_nan_std": lambda m: m.normal(0.0, math.nan, size=(2,)),
    "normal_inf_std": lambda m: m.normal(0.0, math.inf, size=(2,)),
    "normal_tensor_std": lambda m: m.normal(m.zeros(3), m.tensor([1.0, -1.0, 1.0])),
    "normal_nan_mean": lambda m: m.normal(math.nan, 1.0, size=(2,)),
    "bernoulli_p": lambda m: m.bernoulli(m.tensor([0.5, 1.5])),
    "bernoulli_nan": lambda m: m.bernoulli(m.tensor([0.5, math.nan])),
    "randint_range": lambda m: m.randint(5, 2, (3,)),
    "linspace_steps": lambda m: m.linspace(0, 1, steps=-1),
    "arange_inf": lambda m: m.arange(0, math.inf),
    "arange_nan": lambda m: m.arange(0, math.nan),
    "arange_step0": lambda m: m.arange(0, 10, 0),
    "arange_sign": lambda m: m.arange(0, 10, -1),
    "zeros_negative": lambda m: m.zeros(-1),
    "randn_negative": lambda m: m.randn(2, -3),
    "dropout_p": lambda m: F(m).dropout(X(m), p=1.5),
    "dropout_p_nan": lambda m: F(m).dropout(X(m), p=math.nan),
    "linear_negative": lambda m: m.nn.Linear(-1, 3),
    "uniform_range": lambda m: m.empty(3).uniform_(1.0, 0.0),
    "uniform_inf": lambda m: m.empty(3).uniform_(0.0, math.inf),
    "uniform_nan": lambda m: m.empty(3).uniform_(math.nan, 1.0),
    "uniform_span": lambda m: m.empty(3).uniform_(-3e38, 3e38),
    "uniform_half_bound": lambda m: m.empty(3, dtype=m.float16).uniform_(0, 7e4),
    "uniform_int": lambda m: m.empty(3, dtype=m.int64).uniform_(0, 5),
    "uniform_str": lambda m: m.empty(3).uniform_("a"),
    "uniform_leaf": lambda m: m.empty(3, requires_grad=True).uniform_(),
    "normal__neg_std": lambda m: m.empty(3).normal_(0.0, -1.0),
    "normal__nan_std": lambda m: m.empty(3).normal_(0.0, math.nan),
    "normal__int": lambda m: m.empty(3, dtype=m.int64).normal_(),
    "bernoulli_neg": lambda m: m.bernoulli(m.tensor([-0.5])),
    "bernoulli_int": lambda m: m.bernoulli(m.tensor([1, 0])),
    "bernoulli_float_p": lambda m: m.bernoulli(m.ones(3), 1.3),
    "bernoulli_float_p_nan": lambda m: m.bernoulli(m.ones(3), math.nan),
    "bernoulli__p": lambda m: m.zeros(3).bernoulli_(1.5),
    "bernoulli__tensor_p": lambda m: m.zeros(3).bernoulli_(m.tensor([0.2, 1.3, 0.4])),
    "bernoulli__int_p": lambda m: m.zeros(3).bernoulli_(m.tensor([1, 0, 1])),
    "bernoulli__broadcast": lambda m: m.zeros(3).bernoulli_(m.ones(2, 3) * 0.5),
    "bernoulli__sizes": lambda m: m.zeros(2, 3).bernoulli_(m.ones(2) * 0.5),
    "multinomial_int": lambda m: m.multinomial(m.tensor([1, 2]), 1),
    "multinomial_3d": lambda m: m.multinomial(m.ones(2, 2, 2), 1),
    "multinomial_0d": lambda m: m.multinomial(m.tensor(1.0), 1),
    "multinomial_n0": lambda m: m.multinomial(m.tensor([0.5, 0.5]), 0),
    "multinomial_n_float": lambda m: m.multinomial(m.tensor([0.5, 0.5]), 1.5),
    "multinomial_zero_row": lambda m: m.multinomial(m.tensor([[0.5, 0.5], [0.0, 0.0]]), 1),
    "multinomial_generator": lambda m: m.multinomial(m.tensor([0.5, 0.5]), 1, generator=1),
    "full_nan_int": lambda m: m.full((2,), math.nan, dtype=m.int64),
    "tensor_nan_to_int": lambda m: m.tensor(math.nan).long(),
    "eye_negative": lambda m: m.eye(-2),
    "clip_grad_nonfinite": lambda m: m.nn.utils.clip_grad_norm_(
        [_p_with_grad(m, math.inf)], 1.0, error_if_nonfinite=True
    ),
    "sgd_lr": lambda m: m.optim.SGD([m.ones(1, requires_grad=True)], lr=-1.0),
    "adam_betas": lambda m: m.optim.Adam([m.ones(1, requires_grad=True)], betas=(1.5, 0.9)),
    "kthvalue_k": lambda m: X(m).kthvalue(7, 1),
    # dtypes
    "matmul_dtypes": lambda m: m.matmul(m.ones(2, 3, dtype=m.int64), m.ones(3, 2)),
    "mm_dtypes": lambda m: m.mm(m.ones(2, 3, dtype=m.float64), m.ones(3, 2)),
    "mean_int": lambda m: m.ones(3, dtype=m.int64).mean(),
    "requires_grad_int": lambda m: m.zeros(3, dtype=m.int64).requires_grad_(),
    "tensor_int_requires_grad": lambda m: m.tensor([1, 2], requires_grad=True),
    "bitwise_float": lambda m: m.bitwise_and(X(m), X(m)),
    "softmax_int": lambda m: m.softmax(m.ones(3, dtype=m.int64), 0),
    "embedding_float": lambda m: F(m).embedding(m.ones(2), m.ones(4, 3)),
    "index_select_float": lambda m: X(m).index_select(0, m.tensor([0.0])),
    "gather_int32": lambda m: X(m).gather(0, m.zeros(2, 3, dtype=m.int32)),
    "nll_float_target": lambda m: F(m).nll_loss(m.ones(2, 3), m.ones(2)),
    "cross_entropy_int_input": lambda m: F(m).cross_entropy(
        m.ones(2, 3, dtype=m.int64), m.tensor([0, 1])
    ),
    "getitem_float_index": lambda m: X(m)[m.tensor([0.5])],
    "inplace_float_into_int": lambda m: m.ones(3, dtype=m.int64).add_(0.5),
    "linear_int_input": lambda m: m.nn.Linear(3, 4)(m.ones(2, 3, dtype=m.int64)),
    "grad_int": lambda m: m.autograd.grad(
        m.ones(2, requires_grad=True).sum(), m.ones(2, dtype=m.int64)
    ),
    "sqrt_bool_backward": lambda m: m.sqrt(m.ones(2, dtype=m.bool)).sum().backward(),
    "clamp_bool": lambda m: m.clamp(m.ones(2, dtype=m.bool), 0, 1),
}

# Same exception class, but the message is not compared (with the reason).
MESSAGE_DIFFERS = {
    "mul_none": "None passes the registry (optional arguments such as clamp's bounds); "
    "NumPy's TypeError names the operand types instead of the argument",
    "reshape_float": "torch's message is about its overloads; ours names the argument 'shape'",
    "linear_str_features": "the position of the bad size is counted from 1 in ours",
}


def _first_line(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0]


def _key_phrases(message: str) -> tuple[list[str], list[str]]:
    """What a message names: quoted identifiers (argument names, types) and numbers (dims,
    sizes, positions)."""
    return re.findall(r"'([A-Za-z_][\w.]*)'", message), re.findall(r"-?\d+", message)


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_raises_torchs_error(name: str) -> None:
    case = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            case(torch)
        except Exception as exc:  # noqa: BLE001 - torch's own error is the expectation
            theirs: BaseException | None = exc
        else:
            theirs = None
        try:
            case(dyngrad)
        except Exception as exc:  # noqa: BLE001
            ours: BaseException | None = exc
        else:
            ours = None
    if theirs is None:
        assert ours is None, f"torch accepts this; dyngrad raised {ours!r}"
        return
    assert ours is not None, f"torch raised {type(theirs).__name__}: {theirs}; dyngrad did not"
    kind = type(theirs)
    same = isinstance(ours, kind) or (
        kind.__module__.startswith("torch") and type(ours).__name__ == kind.__name__
    )
    assert same, (
        f"torch raised {kind.__name__}: {theirs}\ndyngrad raised {type(ours).__name__}: {ours}"
    )
    if name in MESSAGE_DIFFERS:
        return
    quoted, numbers = _key_phrases(_first_line(theirs))
    mine = _first_line(ours)
    missing = [q for q in quoted if q not in mine]
    missing += [n for n in numbers if n not in re.findall(r"-?\d+", mine)]
    assert not missing, f"torch: {_first_line(theirs)}\nours:  {mine}\nnot named: {missing}"


@pytest.mark.parametrize("value", [70000.0, 65520.0, 65519.0, -1e10, 1e300, 2**63 - 1, -(2**40)])
@pytest.mark.parametrize("index", ["int", "slice", "mask", "indices"])
def test_float16_setitem_beyond_its_range_writes_inf(value: float, index: str) -> None:
    """``x[i] = v`` converts the number to float16 as C does: beyond float16's range it is
    ±inf (65519 still rounds to 65504), where fill_ refuses the same number."""

    def run(m: Any) -> Any:
        keys = {"int": 0, "slice": slice(0, 2), "mask": m.tensor([True, False, True]),
                "indices": m.tensor([2, 0])}  # fmt: skip
        key = keys[index]
        x = m.zeros(3, dtype=m.float16)
        x[key] = value
        return x.float().tolist()

    assert run(dyngrad) == run(torch)


# --- dyngrad.load on crafted files --------------------------------------------------------------


def _file_raw(raw: bytes, data: bytes = b"") -> io.BytesIO:
    return io.BytesIO(MAGIC + struct.pack("<Q", len(raw)) + raw + data)


def _file(header: dict[str, Any], data: bytes = b"") -> io.BytesIO:
    return _file_raw(json.dumps(header).encode(), data)


def _nested(depth: int) -> bytes:
    return (b'{"format":1,"root":' + b'{"t":"list","items":[' * depth
            + b'{"t":"value","v":null}' + b"]}" * depth + b"}")  # fmt: skip


def _tensor_header(**fields: Any) -> dict[str, Any]:
    node = {"t": "tensor", "dtype": "float32", "shape": [1], "offset": 0, "nbytes": 4}
    node.update(fields)
    return {"format": 1, "root": node}


CRAFTED = {
    "nested_json_100000": lambda: _file_raw(_nested(100_000)),
    "brackets_100000": lambda: _file_raw(b'{"format":1,"root":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    "shape_beyond_numpy": lambda: _file(_tensor_header(shape=[0, 2**70], nbytes=0)),
    "dtype_not_a_string": lambda: _file(_tensor_header(dtype=["float32"]), b"\0" * 4),
    "int_tensor_requires_grad": lambda: _file(
        _tensor_header(dtype="int64", nbytes=8, requires_grad=True, parameter=True), b"\0" * 8),
    "offset_negative": lambda: _file(_tensor_header(offset=-4), b"\0" * 8),
    "nbytes_lies": lambda: _file(_tensor_header(shape=[10**6, 10**6], nbytes=4), b"\0" * 4),
    "header_length_2_64": lambda: io.BytesIO(MAGIC + struct.pack("<Q", 2**64 - 1)),
    "nan_in_header": lambda: _file_raw(b'{"format":1,"root":{"t":"float","v":NaN}}'),
    "kind_not_a_string": lambda: _file({"format": 1, "root": {"t": ["list"]}}),
    "dict_key_not_a_key": lambda: _file(
        {"format": 1, "root": {"t": "dict", "items": [[{"s": ["a"]}, {"t": "value"}]]}}),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_load_refuses_crafted_files_clearly(name: str) -> None:
    with pytest.raises(RuntimeError, match="dyngrad.load: not a valid dyngrad file"):
        dyngrad.load(CRAFTED[name]())


def test_load_is_safe_from_a_deep_call_stack() -> None:
    """Nesting the JSON parser accepts still needs stack for the reader: from deep inside a
    program the RecursionError must become the clear error, not escape."""

    def deep(n: int) -> Any:
        return deep(n - 1) if n else dyngrad.load(_file_raw(_nested(450)))

    import sys

    depth = sys.getrecursionlimit() - 480
    with pytest.raises(RuntimeError, match="not a valid dyngrad file"):
        deep(depth)
    assert isinstance(dyngrad.load(_file_raw(_nested(200))), list)  # an honest deep file loads
