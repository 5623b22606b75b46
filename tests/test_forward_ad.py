"""Forward-mode AD (``dyngrad.autograd.forward_ad``): every op-table entry of the families that
have jvp rules, in float64, against reverse mode (the tangent must equal J·v with J built
row by row from vjps with one-hot cotangents) and against torch's forward mode; the public
API's behaviour and errors against torch; in-place ops and views; custom Functions; nesting;
the transforms built on it (``func.jvp``, ``func.jacfwd``, ``autograd.functional``)."""

from __future__ import annotations

import importlib
import zlib
from typing import Any

import numpy as np
import pytest

import dyngrad
import dyngrad.autograd.forward_ad as fwAD
from dyngrad.ops._registry import OpNode, public_node_types
from op_db import OpInfo, Sample

try:
    import torch
    import torch.autograd.forward_ad as torch_fwAD
except ImportError:  # pragma: no cover - exercised on machines without torch
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed: parity test skipped")

# Op-table families whose ops have jvp rules (now every family of tests/op_db).
FORWARD_AD_FAMILIES = (
    "foundation", "elementwise", "shape", "indexing", "reduction", "linalg",
    "nn_activation", "nn_loss", "nn_indexing", "nn_conv", "nn_norm",
)  # fmt: skip
# the ops/ modules whose every differentiable node must have a jvp rule
RULE_MODULES = (
    "elementwise", "shape", "indexing", "reduction", "linalg", "contraction", "matrix_parts",
    "nn_",
)  # fmt: skip


def _family_ops(families: tuple[str, ...]) -> list[OpInfo]:
    ops: list[OpInfo] = []
    for family in families:
        ops.extend(importlib.import_module(f"op_db.{family}").OPS)
    return ops


def _cases() -> list[Any]:
    cases = []
    for info in _family_ops(FORWARD_AD_FAMILIES):
        if not info.forward_ad or "float64" not in info.dtypes:
            continue
        rng = np.random.default_rng(zlib.crc32(f"{info.name}/float64".encode()))
        for k, sample in enumerate(info.samples(rng, np.dtype("float64"))):
            cases.append(pytest.param(info, sample, id=f"{info.name}-{sample.name or k}"))
    return cases


def _inputs(module: Any, sample: Sample) -> list[Any]:
    """The sample's inputs as tensors of ``module`` (non-contiguous 2-D arrays transposed)."""
    out = []
    for a in sample.args:
        if isinstance(a, np.ndarray):
            if a.ndim == 2 and not a.flags.c_contiguous:
                out.append(module.tensor(np.ascontiguousarray(a.T)).t())
            else:
                out.append(module.tensor(a.copy()))
        else:
            out.append(a)
    return out


def _outputs(result: Any) -> list[Any]:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _is_float(x: Any) -> bool:
    return isinstance(x, (dyngrad.Tensor,) + ((torch.Tensor,) if torch else ())) and (
        x.is_floating_point()
    )


def _tangents(sample: Sample) -> list[np.ndarray | None]:
    """A tangent for each input that requires grad in the sample (``Sample.grad``: e.g. not
    a scatter's src larger than its index, whose gradient torch's backward refuses)."""
    rng = np.random.default_rng(1234)
    return [
        rng.standard_normal(a.shape) if sample.requires_grad(i, a) else None
        for i, a in enumerate(sample.args)
    ]


def _forward_mode(
    module: Any, fw: Any, info: OpInfo, sample: Sample
) -> tuple[list[Any], list[Any]]:
    """(outputs, their tangents as arrays or None) of the op on dual inputs."""
    args = _inputs(module, sample)
    tangents = _tangents(sample)
    with fw.dual_level():
        duals = [
            fw.make_dual(x, module.tensor(v)) if v is not None else x
            for x, v in zip(args, tangents)
        ]
        outs = _outputs(info.op(module, *duals, **sample.kwargs))
        result = []
        for o in outs:
            t = fw.unpack_dual(o).tangent if isinstance(o, module.Tensor) else None
            result.append(None if t is None else t.detach().numpy(force=True).copy())
        values = [o.detach().numpy().copy() if isinstance(o, module.Tensor) else o for o in outs]
    return values, result


def _reverse_jvp(info: OpInfo, sample: Sample) -> list[np.ndarray | None]:
    """J·v for each output, J built row by row from vjps with one-hot cotangents; nan where
    a row of J is not finite (at an inf/nan input, a backward's ``0 · inf`` spreads nan over
    rows that a Jacobian-vector product does not see: the torch test checks those)."""
    args = _inputs(dyngrad, sample)
    tangents = _tangents(sample)
    leaves = []
    for i, (x, v) in enumerate(zip(args, tangents)):
        if v is not None:
            args[i] = x.detach().requires_grad_(True) if not x.is_leaf else x.requires_grad_(True)
            leaves.append((args[i], v))
    outs = _outputs(info.op(dyngrad, *args, **sample.kwargs))
    result: list[np.ndarray | None] = []
    for o in outs:
        if not isinstance(o, dyngrad.Tensor) or not o.is_floating_point() or not leaves:
            result.append(None)
            continue
        jv = np.zeros(o.numel())
        if o.requires_grad and o.numel():
            for k in range(o.numel()):
                seed = np.zeros(o.numel())
                seed[k] = 1.0
                cot = dyngrad.tensor(seed.reshape(tuple(o.shape)), dtype=o.dtype)
                grads = dyngrad.autograd.grad(
                    [o], [x for x, _ in leaves], [cot], retain_graph=True, allow_unused=True
                )
                rows = [(g.numpy(), v) for g, (_, v) in zip(grads, leaves) if g is not None]
                finite = all(np.all(np.isfinite(row)) for row, _ in rows)
                jv[k] = sum(float(np.sum(row * v)) for row, v in rows) if finite else np.nan
        result.append(jv.reshape(tuple(o.shape)))
    return result


def _refuses(info: OpInfo, sample: Sample) -> bool:
    try:
        info.op(dyngrad, *_inputs(dyngrad, sample), **sample.kwargs)
    except (RuntimeError, TypeError, IndexError, ValueError, NotImplementedError, AssertionError):
        return True  # (torch's embedding asserts on padding_idx)
    return False


# torch's wording for ops with no derivative at all (floor_divide, a number % a tensor)
NO_DERIVATIVE = "Trying to use forward AD with aten::"
# Points where torch's forward formula and its backward formula disagree (dyngrad follows
# torch in both); the reverse-mode comparison leaves these samples out.
FORWARD_DIFFERS_FROM_BACKWARD = {
    "atan2_axes-axes": "at the origin torch's forward gives nan, its backward 0",
    "linalg.eigh-reads-upper": "eigh reads one triangle of A: torch's forward rule uses the "
    "whole (here non-symmetric) tangent, its backward gives a symmetric gradient",
    "linalg.eigh-reads-lower": "eigh reads one triangle of A: torch's forward rule uses the "
    "whole (here non-symmetric) tangent, its backward gives a symmetric gradient",
    "linalg.matrix_norm-2-empty": "torch's result is a constant zero (no grad_fn, no tangent)",
    "linalg.matrix_norm-inf-empty": "torch's result is a constant zero (no grad_fn, no tangent)",
    "scatter_reduce_ties-amax-False": "an excluded x equal to the max shares the gradient in "
    "torch's backward, not in its forward",
    "scatter_reduce_ties-amin-False": "an excluded x equal to the min shares the gradient in "
    "torch's backward, not in its forward",
    **{
        f"F.binary_cross_entropy_edges-clamped-logs-{r}": "at x = 0 or 1 torch's forward gives "
        "nan (0·∞: unclamped logs times the target's zero tangent), its backward clamps the logs"
        for r in ("none", "mean", "sum")
    },
    **{
        f"F.embedding_grad_rules-{name}": "padding_idx and scale_grad_by_freq change only "
        "torch's backward; its forward passes every row's tangent, unscaled"
        for name in ("padding", "padding-negative", "padding-zero", "scale-by-freq", "both")
    },
}
# Samples where torch's forward mode gives no tangent at all although the output depends on
# the inputs (torch has no forward formula there): dyngrad computes it, checked against
# reverse mode; the torch comparison checks that torch still has none (or, in place, raises).
TORCH_GIVES_NO_TANGENT = {
    f"{op}-{name}": "torch 2.13 has no forward formula for scatter_reduce(reduce='prod')"
    for op in ("scatter_reduce", "scatter_reduce_")
    for name in ("prod-True", "prod-False", "0-d")
}


def _forward_mode_or_skip(info: OpInfo, sample: Sample) -> tuple[list[Any], list[Any]]:
    try:
        return _forward_mode(dyngrad, fwAD, info, sample)
    except NotImplementedError as exc:
        if str(exc).startswith(NO_DERIVATIVE):
            pytest.skip("no derivative, as in torch (test_jvp_matches_torch checks the error)")
        raise


def _tolerance(dtype: np.dtype, sample: Sample) -> dict[str, float]:
    """By the least precise float among the output and the inputs (a float32 input's
    gradient in reverse mode is float32)."""
    dtypes = [dtype] + [a.dtype for a in sample.args if isinstance(a, np.ndarray)]
    if np.dtype(np.float16) in dtypes:
        return {"rtol": 1e-3, "atol": 1e-3}
    if np.dtype(np.float32) in dtypes:
        return {"rtol": 1e-5, "atol": 1e-6}
    return {"rtol": 1e-7, "atol": 1e-9}


@pytest.mark.parametrize("info,sample", _cases())
def test_jvp_matches_reverse_mode(info: OpInfo, sample: Sample) -> None:
    if _refuses(info, sample):
        pytest.skip("the op refuses this sample (checked against torch by test_ops)")
    name = f"{info.name}-{sample.name}"
    if name in FORWARD_DIFFERS_FROM_BACKWARD:
        pytest.skip(FORWARD_DIFFERS_FROM_BACKWARD[name])
    values, tangents = _forward_mode_or_skip(info, sample)
    expected = _reverse_jvp(info, sample)
    for value, tangent, want in zip(values, tangents, expected):
        if want is None:  # not a float output: no tangent
            assert tangent is None
            continue
        assert tangent is not None, "a float output of dual inputs must get a tangent"
        assert tangent.shape == value.shape and tangent.dtype == value.dtype
        # Note: where the output is inf/nan (or a row of J is), torch's forward formulas
        # choose a value (a tie or nan in maximum, clamp); the torch test checks those.
        known = ~np.isnan(want) & np.isfinite(value)
        np.testing.assert_allclose(tangent[known], want[known], **_tolerance(value.dtype, sample))


@needs_torch
@pytest.mark.parametrize("info,sample", _cases())
def test_jvp_matches_torch(info: OpInfo, sample: Sample) -> None:
    if _refuses(info, sample):
        pytest.skip("the op refuses this sample (checked against torch by test_ops)")
    if f"{info.name}-{sample.name}" in TORCH_GIVES_NO_TANGENT:
        try:
            _, theirs = _forward_mode(torch, torch_fwAD, info, sample)
        except RuntimeError as exc:  # in place, torch trips over its own missing tangent
            assert "Expected a proper Tensor but got None" in str(exc)
            return
        assert all(t is None for t in theirs), "torch now has a tangent here: compare it"
        return
    try:
        _, theirs = _forward_mode(torch, torch_fwAD, info, sample)
    except NotImplementedError as exc:
        if not str(exc).startswith(NO_DERIVATIVE):
            pytest.skip(f"torch has no forward rule here: {exc}")
        with pytest.raises(NotImplementedError, match=NO_DERIVATIVE):
            _forward_mode(dyngrad, fwAD, info, sample)
        return
    values, ours = _forward_mode_or_skip(info, sample)
    assert len(ours) == len(theirs)
    for value, o, t in zip(values, ours, theirs):
        if t is None:
            assert o is None or not np.any(o)
            continue
        assert o is not None
        np.testing.assert_allclose(o, t, equal_nan=True, **_tolerance(value.dtype, sample))


def test_every_node_of_the_done_families_has_a_jvp_rule() -> None:
    missing = []
    for name, cls in public_node_types().items():
        module = cls.__module__.rsplit(".", 1)[-1]
        if not module.startswith(RULE_MODULES) or not cls.differentiable:
            continue
        if not cls.linear and cls.jvp is OpNode.jvp:
            missing.append(name)
    assert not missing, f"nodes without a jvp rule: {missing}"


# --- the public API against torch ------------------------------------------------------------

MODULES = [pytest.param("dyngrad", id="dyngrad")] + (
    [pytest.param("torch", id="torch")] if torch is not None else []
)


def _module(name: str) -> tuple[Any, Any]:
    return (dyngrad, fwAD) if name == "dyngrad" else (torch, torch_fwAD)


def _error(fn: Any) -> tuple[str, str] | None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the class and message are what is compared
        return type(exc).__name__, str(exc)
    return None


def _api_errors(m: Any, fw: Any) -> dict[str, Any]:
    x = m.tensor([1.0, 2.0, 3.0], dtype=m.float64)
    out: dict[str, Any] = {"no_level": _error(lambda: fw.make_dual(x, m.ones(3)))}
    out["exit_without_level"] = _error(lambda: fw.exit_dual_level())
    out["unpack_without_level"] = fw.unpack_dual(x).tangent
    with fw.dual_level() as level:
        out["level"] = level
        out["nested"] = _error(lambda: fw.enter_dual_level())
        out["shape"] = _error(lambda: fw.make_dual(x, m.ones(4, dtype=m.float64)))
        out["int_tangent"] = _error(lambda: fw.make_dual(x, m.ones(3, dtype=m.int64)))
        out["int_primal"] = _error(lambda: fw.make_dual(m.arange(3), m.ones(3)))
        out["number_tangent"] = _error(lambda: fw.make_dual(x, 3))
        out["bad_level"] = _error(lambda: fw.make_dual(x, m.ones(3, dtype=m.float64), level=5))
        out["int_primal_bad_level"] = _error(lambda: fw.make_dual(m.arange(3), x, level=5))
        dual = fw.make_dual(x, m.ones(3, dtype=m.float64))
        out["twice"] = _error(lambda: fw.make_dual(dual, m.ones(3, dtype=m.float64)))
        out["unpack_bad_level"] = _error(lambda: fw.unpack_dual(dual, level=3))
        out["unpack_number"] = _error(lambda: fw.unpack_dual(3))
        out["wrong_exit"] = _error(lambda: fw.exit_dual_level(level=1))
        unpacked = fw.unpack_dual(dual)
        out["fields"] = type(unpacked).__name__, type(unpacked)._fields
        out["same_tangent_object"] = unpacked.tangent is fw.unpack_dual(dual).tangent
        out["float32_tangent_kept"] = str(
            fw.unpack_dual(fw.make_dual(x, m.ones(3))).tangent.dtype  # type: ignore[union-attr]
        )
        out["float32_tangent_after_op"] = str(
            fw.unpack_dual(fw.make_dual(x, m.ones(3)) * 2).tangent.dtype  # type: ignore[union-attr]
        )
    out["after_exit"] = fw.unpack_dual(dual).tangent
    out["after_exit_level0"] = fw.unpack_dual(dual, level=0).tangent
    level = fw.enter_dual_level()
    out["reentered_level"] = level
    out["stale_tangent"] = fw.unpack_dual(dual).tangent  # a new level: no old tangent
    fw.exit_dual_level(level=level)
    return out


@needs_torch
def test_api_values_and_errors_match_torch() -> None:
    ours, theirs = _api_errors(dyngrad, fwAD), _api_errors(torch, torch_fwAD)
    assert ours.keys() == theirs.keys()
    for key in ours:
        o, t = ours[key], theirs[key]
        if isinstance(t, tuple) and len(t) == 2 and isinstance(t[1], str):
            assert o is not None and o[0] == t[0], key  # same exception class
            assert o[1].split("\n")[0] == t[1].split("\n")[0], key  # same wording
        else:
            assert o == t, key


def test_missing_rule_raises_torch_like_error() -> None:
    class NoRuleBackward0(OpNode):
        def forward(self, a: Any) -> Any:
            return a * 2

        def backward(self, g: Any) -> Any:
            return g * 2

    x = dyngrad.tensor([1.0, 2.0])
    assert NoRuleBackward0.apply(x).tolist() == [2.0, 4.0]  # outside forward mode: fine
    with fwAD.dual_level():
        dual = fwAD.make_dual(x, dyngrad.ones(2))
        with pytest.raises(
            NotImplementedError,
            match="Trying to use forward AD with no_rule that does not support it because it "
            "has not been implemented yet",
        ):
            NoRuleBackward0.apply(dual)


@pytest.mark.parametrize("name", [p.values[0] for p in MODULES])
def test_dual_tensor_is_a_view_with_the_graph(name: str) -> None:
    m, fw = _module(name)
    x = m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True)
    with fw.dual_level():
        dual = fw.make_dual(x, m.tensor([1.0, 0.0], dtype=m.float64))
        assert type(dual.grad_fn).__name__ == "ViewBackward0"
        y = (dual * dual).exp()
        primal, tangent = fw.unpack_dual(y)
        assert tangent.tolist() == pytest.approx([2 * np.exp(1.0), 0.0])
        (y * 1).backward(m.ones(2, dtype=m.float64))
        assert x.grad.tolist() == pytest.approx([2 * np.exp(1.0), 4 * np.exp(4.0)])
        assert fw.unpack_dual(dual.detach()).tangent is None
        with m.no_grad():  # forward mode ignores grad mode
            assert fw.unpack_dual(dual * 3).tangent is not None
        with m.inference_mode():  # ... but not inference mode
            assert fw.unpack_dual(dual * 3).tangent is None


# --- in-place ops and views -------------------------------------------------------------------


def _inplace_story(m: Any, fw: Any) -> dict[str, Any]:
    """Tangents after in-place ops on dual tensors and on views of them."""
    f64 = m.float64
    out: dict[str, Any] = {}
    with fw.dual_level():
        x = fw.make_dual(m.tensor([1.0, 2.0, 3.0], dtype=f64), m.tensor([1.0, 1.0, 1.0], dtype=f64))
        y = x.clone()
        view = y.view(3)  # a view (slicing needs the indexing family's rules)
        y.mul_(3)
        out["mul_"] = fw.unpack_dual(y).tangent.tolist()
        out["view_sees_base"] = fw.unpack_dual(view).tangent.tolist()
        view.add_(view)
        out["base_sees_view"] = fw.unpack_dual(y).tangent.tolist()
        plain = m.tensor([5.0, 5.0, 5.0], dtype=f64)
        plain.add_(x)
        out["plain_gets_tangent"] = fw.unpack_dual(plain).tangent.tolist()
        z = x.clone()
        z.sin_()
        out["sin_"] = fw.unpack_dual(z).tangent.tolist()
        w = x.clone()
        w.lt_(2.5)
        out["lt_"] = fw.unpack_dual(w).tangent.tolist()
        v = x.clone()
        v.logical_and_(m.tensor([1.0, 0.0, 1.0], dtype=f64))
        out["logical_and_"] = fw.unpack_dual(v).tangent.tolist()
        u = x.clone()
        u.clamp_(min=1.5)
        out["clamp_"] = fw.unpack_dual(u).tangent.tolist()
        out["x_untouched"] = fw.unpack_dual(x).tangent.tolist()
        a = x + 0  # an output whose tangent would be x's if it were not copied
        a.mul_(10)
        out["x_untouched_by_alias"] = fw.unpack_dual(x).tangent.tolist()
        t = x.t()
        out["transpose_shares"] = fw.unpack_dual(t).tangent.tolist()
    return out


@needs_torch
def test_inplace_and_views_match_torch() -> None:
    ours, theirs = _inplace_story(dyngrad, fwAD), _inplace_story(torch, torch_fwAD)
    assert ours == theirs


def _indexing_inplace_story(m: Any, fw: Any) -> dict[str, Any]:
    """Tangents after writes by index into dual tensors, plain tensors and views of them."""
    f64 = m.float64
    out: dict[str, Any] = {}

    def tangent(t: Any) -> Any:
        found = fw.unpack_dual(t).tangent
        return None if found is None else found.tolist()

    with fw.dual_level():
        given = (m.arange(12, dtype=f64).reshape(3, 4) + 1) / 10
        x = fw.make_dual(m.arange(12, dtype=f64).reshape(3, 4), given)
        v = fw.make_dual(m.tensor(2.0, dtype=f64), m.tensor(3.0, dtype=f64))
        row = fw.make_dual(m.ones(4, dtype=f64), m.tensor([1.0, 2.0, 3.0, 4.0], dtype=f64))
        a = x.clone()
        a[0] = 7.0
        a[:, 1] = v
        a[m.tensor([2])] = row
        a[a > 5.5] = 0.0
        out["setitem"] = tangent(a)
        b = x.clone()
        view = b[1]
        view[1:3] = row[:2]
        out["base_sees_view_write"], out["view"] = tangent(b), tangent(view)
        c = m.zeros(3, 4, dtype=f64)
        c[:, 2] = x[:, 0]
        c[m.tensor([True, False, True])] = v
        out["plain_gets_tangent"] = tangent(c)
        x[0, 0] = 5.0  # into the dual tensor itself: the tangent given is written too
        x.t()[1] = row[:3]
        out["into_dual"], out["given"] = tangent(x), given.tolist()
        idx = m.tensor([0, 2, 0])
        d = x.clone()
        d.index_add_(0, idx, x[:3] * 2, alpha=0.5)
        d.index_fill_(1, m.tensor([3]), -1.0)
        d.index_copy_(0, m.tensor([1]), row[None])
        out["index_ops"] = tangent(d)
        e = x.clone()
        e.scatter_(1, m.tensor([[0], [1], [2]]), 2.0)
        e.scatter_add_(0, m.tensor([[2, 1, 0, 0]]), row[None])
        e.masked_fill_(e > 6, v)
        e.masked_scatter_(e < 2, x * 3)
        e.index_put_((m.tensor([1, 1]),), row, accumulate=True)
        e.put_(m.tensor([0, 11]), v.expand(2).clone())
        out["scatter_mask_put"] = tangent(e)
        f = x.clone()
        f.fill_(v)
        out["fill_tensor"] = tangent(f)
        f.fill_(1.0)
        out["fill_number"] = tangent(f)
        g = x.clone()
        g.zero_()
        out["zero_"] = tangent(g)
        h = fw.make_dual(m.tensor(1.0, dtype=f64), m.tensor(4.0, dtype=f64))
        h[...] = 2.0
        out["whole_0d"] = tangent(h)
        k = m.zeros(2, 4, dtype=f64)
        k[...] = row
        out["whole_copy"] = tangent(k)
    return out


@needs_torch
def test_indexing_inplace_matches_torch() -> None:
    ours = _indexing_inplace_story(dyngrad, fwAD)
    assert ours == _indexing_inplace_story(torch, torch_fwAD)


def _unsupported_story(m: Any, fw: Any) -> dict[str, Any]:
    """Errors of ops torch gives no forward rule (unique) or no derivative (scatter reduce=)."""
    out: dict[str, Any] = {}
    with fw.dual_level():
        x = fw.make_dual(m.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=m.float64), m.ones(2, 2))
        calls = {
            "unique": lambda: m.unique(x),
            "unique_dim": lambda: m.unique(x, dim=0, return_counts=True),
            "unique_consecutive": lambda: x.unique_consecutive(),
            "scatter_reduce_arg": lambda: m.scatter(x, 0, m.tensor([[0, 1]]), 2.0, reduce="add"),
        }
        for name, call in calls.items():
            try:
                call()
                out[name] = None
            except NotImplementedError as exc:  # (dyngrad's is a subclass)
                out[name] = str(exc).split(" because")[0]
    return out


@needs_torch
def test_ops_without_forward_rule_in_torch_raise_as_torch() -> None:
    assert _unsupported_story(dyngrad, fwAD) == _unsupported_story(torch, torch_fwAD)


# --- custom Functions -------------------------------------------------------------------------


def _custom_function_story(m: Any, fw: Any) -> dict[str, Any]:
    f64 = m.float64
    seen: dict[str, Any] = {}

    class ScaledProduct(m.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any, y: Any, k: float) -> Any:
            seen["forward_sees_tangent"] = fw.unpack_dual(x).tangent is not None
            seen["forward_grad_mode"] = m.is_grad_enabled()
            ctx.save_for_forward(x, y)
            ctx.k = k
            return x * y * k, x + 0

        @staticmethod
        def jvp(ctx: Any, dx: Any, dy: Any, dk: Any) -> Any:
            seen["jvp_args"] = (dx.tolist(), dy.tolist(), dk)
            x, y = ctx.saved_tensors
            seen["saved_have_tangent"] = fw.unpack_dual(x).tangent is not None
            return (dx * y + x * dy) * ctx.k, dx

    class NoJvp(m.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x * 2

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            return g * 2

    class TwoTangents(m.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x * 2

        @staticmethod
        def jvp(ctx: Any, dx: Any) -> Any:
            return dx, dx

    class WrongShape(m.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x * 2

        @staticmethod
        def jvp(ctx: Any, dx: Any) -> Any:
            return dx.reshape(3, 1)

    class Doubling(m.autograd.Function):  # in place: the jvp updates the tangent in place
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.mark_dirty(x)
            return x.mul_(2)

        @staticmethod
        def jvp(ctx: Any, dx: Any) -> Any:
            return dx.mul_(2)

    class Sine(m.autograd.Function):  # setup_context style, with a backward too
        @staticmethod
        def forward(x: Any) -> Any:
            return x.sin()

        @staticmethod
        def setup_context(ctx: Any, inputs: Any, output: Any) -> None:
            ctx.save_for_forward(inputs[0])
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def jvp(ctx: Any, dx: Any) -> Any:
            (x,) = ctx.saved_tensors
            return dx * x.cos()

        @staticmethod
        def backward(ctx: Any, g: Any) -> Any:
            (x,) = ctx.saved_tensors
            return g * x.cos()

    out: dict[str, Any] = {}
    x = m.tensor([1.0, 2.0, 3.0], dtype=f64)
    y = m.tensor([0.5, -1.0, 2.0], dtype=f64)
    leaf = m.tensor([0.1, 0.2, 0.3], dtype=f64, requires_grad=True)
    with fw.dual_level():
        dual = fw.make_dual(x, m.ones(3, dtype=f64))
        a, b = ScaledProduct.apply(dual, y, 3.0)
        out["product"] = fw.unpack_dual(a).tangent.tolist(), fw.unpack_dual(b).tangent.tolist()
        out["no_jvp"] = _error(lambda: NoJvp.apply(dual))
        out["no_jvp_without_tangent"] = fw.unpack_dual(NoJvp.apply(y)).tangent
        out["two_tangents"] = _error(lambda: TwoTangents.apply(dual))
        out["wrong_shape"] = _error(lambda: WrongShape.apply(dual))
        twice = dual.clone()
        Doubling.apply(twice)
        out["in_place"] = fw.unpack_dual(twice).tangent.tolist()
        dual_leaf = fw.make_dual(leaf, m.ones(3, dtype=f64))
        s = Sine.apply(dual_leaf)
        out["sine"] = fw.unpack_dual(s).tangent.tolist()
        (s * 1).backward(m.ones(3, dtype=f64))
        out["sine_backward"] = leaf.grad.tolist()
    out.update(seen)
    return out


@needs_torch
def test_custom_function_jvp_matches_torch() -> None:
    ours = _custom_function_story(dyngrad, fwAD)
    theirs = _custom_function_story(torch, torch_fwAD)
    assert ours.keys() == theirs.keys()
    for key in ours:
        o, t = ours[key], theirs[key]
        if isinstance(t, tuple) and len(t) == 2 and isinstance(t[1], str):
            assert o is not None and o[0] == t[0] and o[1] == t[1], key
        else:
            assert o == pytest.approx(t) if isinstance(t, list) else o == t, key


# --- nesting and the transforms built on forward mode -------------------------------------


def _no_reverse_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the reverse-mode fallbacks of the transforms fail: forward mode must do it all."""
    import dyngrad.autograd.functional as functional
    import dyngrad.func._grad as func_grad

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("fell back to reverse mode")

    monkeypatch.setattr(func_grad, "_double_vjp_jvp", refuse)
    monkeypatch.setattr(functional, "_double_backward_jvp", refuse)


def _f(m: Any, x: Any, y: Any) -> Any:
    return (x.sin() * y.exp() + x / (y * y + 1)).tanh() ** 2


def _inputs_and_tangents(m: Any) -> list[Any]:
    rng = np.random.default_rng(7)
    return [m.tensor(rng.standard_normal(s)) for s in ((3, 1), (4,), (3, 1), (4,))]


@needs_torch
def test_func_jvp_matches_torch_without_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_reverse_fallback(monkeypatch)
    results = []
    for m in (dyngrad, torch):
        x, y, u, v = _inputs_and_tangents(m)
        results.append(m.func.jvp(lambda a, b, m=m: _f(m, a, b), (x, y), (u, v)))
    for ours, theirs in zip(*results):
        assert not ours.requires_grad
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)


@needs_torch
def test_nested_jvp_matches_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """jvp of jvp: the second directional derivative uᵀ ∇²f v, through nested levels."""
    _no_reverse_fallback(monkeypatch)
    results = []
    for m in (dyngrad, torch):
        x, _, u, _ = _inputs_and_tangents(m)
        v = u.flip(0)

        def inner(a: Any, m: Any = m, v: Any = v) -> Any:
            return m.func.jvp(lambda b: (b.sin() * b.exp()).tanh(), (a,), (v,))[1]

        results.append(m.func.jvp(inner, (x,), (u,))[1].numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)


@needs_torch
@pytest.mark.parametrize("order", ["jacfwd(jacrev)", "jacrev(jacfwd)", "jacfwd(jacfwd)"])
def test_second_derivatives_match_torch(order: str) -> None:
    """Forward over reverse (the Hessian as torch.func computes it), reverse over forward,
    forward over forward, on a function of elementwise and shape ops only."""
    results = []
    for m in (dyngrad, torch):
        x = m.tensor([0.3, 1.2, 0.8], dtype=m.float64)

        def g(a: Any, m: Any = m) -> Any:
            return (a.exp() * a.sin()).sigmoid().reshape(3, 1) * a.sqrt().nan_to_num()

        outer, inner = order.replace(")", "").split("(")
        results.append(getattr(m.func, outer)(getattr(m.func, inner)(g))(x).numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-9, atol=1e-12)


def _sign_fixed(m: Any, x: Any) -> Any:
    """Columns of singular/eigen vectors with their first row made positive (gauge fixed)."""
    return (x * x[..., :1, :].sign()).flatten()


# Note: checked against finite differences, not torch: torch's forward rules of det, slogdet
# and solve are not differentiable again (its jacfwd(jacfwd) of det is wrong by ~3.7 here).
LINALG_SECOND_ORDER = {
    "mm": lambda m, a: (a @ a.mT @ a).sin(),
    "inv": lambda m, a: m.linalg.inv(a),
    "det": lambda m, a: m.linalg.det(a).reshape(1),
    "slogdet": lambda m, a: m.linalg.slogdet(a)[1].reshape(1),
    "solve": lambda m, a: m.linalg.solve(a, a[:, :2].cos()),
    "cholesky": lambda m, a: m.linalg.cholesky(a @ a.mT),
    "qr-wide": lambda m, a: m.cat([t.flatten() for t in m.linalg.qr(a[:2])]),
    "svd-tall": lambda m, a: (lambda u, s, vh: m.cat([s, _sign_fixed(m, u), _sign_fixed(m, vh.mT)]))(
        *m.linalg.svd(a[:, :2], full_matrices=False)
    ),
    "svdvals": lambda m, a: m.linalg.svdvals(a),
    "eigh": lambda m, a: (lambda w, v: m.cat([w, _sign_fixed(m, v)]))(*m.linalg.eigh(a + a.mT)),
    "eigvalsh": lambda m, a: m.linalg.eigvalsh(a + a.mT),
    "pinv": lambda m, a: m.linalg.pinv(a[:, :2]),
    "einsum": lambda m, a: m.einsum("ij,jk,kl->il", a, a, a.sin()),
}  # fmt: skip


@pytest.mark.parametrize("name", list(LINALG_SECOND_ORDER))
def test_linalg_second_derivatives_match_finite_differences(name: str) -> None:
    """Forward over reverse, reverse over forward and forward over forward through the linalg
    rules, against central differences of the (reverse-mode) Jacobian, in float64."""
    f = LINALG_SECOND_ORDER[name]
    rng = np.random.default_rng(3)
    a0 = rng.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)

    def jac(a: np.ndarray) -> np.ndarray:
        return dyngrad.func.jacrev(lambda x: f(dyngrad, x))(dyngrad.tensor(a)).numpy()

    h = 1e-5
    expected = np.zeros(jac(a0).shape + (3, 3))
    for i in range(3):
        for j in range(3):
            e = np.zeros((3, 3))
            e[i, j] = h
            expected[..., i, j] = (jac(a0 + e) - jac(a0 - e)) / (2 * h)
    for outer, inner in (("jacfwd", "jacrev"), ("jacrev", "jacfwd"), ("jacfwd", "jacfwd")):
        transform = getattr(dyngrad.func, outer)(
            getattr(dyngrad.func, inner)(lambda x: f(dyngrad, x))
        )
        got = transform(dyngrad.tensor(a0)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=f"{outer}({inner})")


def test_forward_over_reverse_uses_forward_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """jacfwd(jacrev(f)) computes through jvp rules (the backward's saved outputs carry their
    tangents), not through the reverse-mode fallback."""
    import dyngrad.func._forward as func_forward

    calls = []
    original = func_forward.forward_jacobian

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(func_jacobian_module(), "forward_jacobian", counting)
    x = dyngrad.tensor([0.5, 1.5], dtype=dyngrad.float64)
    hess = dyngrad.func.jacfwd(dyngrad.func.jacrev(lambda a: a.exp() * a.tanh()))(x)
    assert calls  # jacfwd ran in forward mode (a missing rule would have fallen back)
    e, t = np.exp(x.numpy()), np.tanh(x.numpy())
    d2 = e * t + 2 * e * (1 - t**2) + e * (-2 * t * (1 - t**2))  # (eᵃ tanh a)''
    expected = np.zeros((2, 2, 2))
    expected[[0, 1], [0, 1], [0, 1]] = d2  # ∂²fᵢ/∂xⱼ∂xₖ: only i = j = k
    np.testing.assert_allclose(hess.numpy(), expected, rtol=1e-10, atol=1e-12)


def func_jacobian_module() -> Any:
    import dyngrad.func._jacobian as module

    return module


@needs_torch
@pytest.mark.parametrize("create_graph", [False, True])
def test_functional_jvp_and_forward_jacobian_match_torch(
    monkeypatch: pytest.MonkeyPatch, create_graph: bool
) -> None:
    _no_reverse_fallback(monkeypatch)
    results = []
    for m in (dyngrad, torch):
        x, y, u, v = _inputs_and_tangents(m)
        f = lambda a, b, m=m: _f(m, a, b)  # noqa: E731
        out, jv = m.autograd.functional.jvp(f, (x, y), (u, v), create_graph=create_graph)
        jac = m.autograd.functional.jacobian(f, (x, y), vectorize=True, strategy="forward-mode")
        results.append((out, jv, jac))
    (o1, j1, J1), (o2, j2, J2) = results
    for a, b in ((o1, o2), (j1, j2), (J1[0], J2[0]), (J1[1], J2[1])):
        assert a.requires_grad == b.requires_grad
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10)
    assert type(J1) is type(J2)


def test_forward_mode_without_recording_makes_no_reference_cycles() -> None:
    """Tangents are freed by reference counting alone (the gc is off here)."""
    import gc
    import weakref

    gc.disable()
    try:
        with fwAD.dual_level():
            x = fwAD.make_dual(dyngrad.tensor([0.5, 1.0]), dyngrad.tensor([1.0, 2.0]))
            y = (x.exp() * x).sin().t().clone()
            y.mul_(2)
            refs = [weakref.ref(y), weakref.ref(fwAD.unpack_dual(y).tangent)]
            del y
            assert all(r() is None for r in refs)
    finally:
        gc.enable()


@needs_torch
@pytest.mark.parametrize("mode", ["r", "complete"])
def test_qr_modes_without_a_derivative_raise_as_torch(mode: str) -> None:
    """linalg.qr with mode='r' (no Q) or 'complete' of a tall matrix has no derivative: in
    forward mode the call itself raises torch's RuntimeError."""
    messages = []
    for m, fw in ((dyngrad, fwAD), (torch, torch_fwAD)):
        a = m.tensor(np.eye(4, 3) + 0.5)
        with fw.dual_level(), pytest.raises(RuntimeError) as error:
            m.linalg.qr(fw.make_dual(a, m.ones(4, 3, dtype=m.float64)), mode=mode)
        messages.append(str(error.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize(
    "op",
    [
        lambda m, x, y: (x * y).exp() / (y + 3),
        lambda m, x, y: m.where(x > 0, x.sin(), y) ** 2,
        lambda m, x, y: m.cat([x, y.t()], 0).clamp(-0.5, 0.5),
    ],
)
def test_float32_tangents_stay_float32(op: Any) -> None:
    x = dyngrad.tensor([[0.1, -0.2], [0.3, 0.4]])
    y = dyngrad.tensor([[1.0, 2.0], [-1.0, 0.5]])
    with fwAD.dual_level():
        out = op(dyngrad, fwAD.make_dual(x, dyngrad.ones(2, 2)), y)
        tangent = fwAD.unpack_dual(out).tangent
    assert tangent is not None and tangent.dtype == dyngrad.float32


# --- forward over reverse through the nn kernels ----------------------------------------------


def _nn_second_order_cases() -> dict[str, tuple[Any, list[tuple[int, ...]]]]:
    """f(module, *inputs) -> scalar; the nodes that only a backward creates (the convolution
    weight gradient, the pooling adjoints, the recurrent cells' gradients) get tangents here."""

    def fn(m: Any) -> Any:
        return m.nn.functional

    def lstm_layer(m: Any, x: Any, w_ih: Any, w_hh: Any) -> Any:
        zeros = m.zeros(2, 4, dtype=m.float64)
        if m is dyngrad:
            from dyngrad.ops.nn_rnn_layer import lstm_layer as layer

            out, _, c = layer(x, w_ih, w_hh, None, None, zeros, zeros)
        else:
            state = (zeros[None], zeros[None])
            out, _, c = m.lstm(x, state, [w_ih, w_hh], False, 1, 0.0, False, False, False)
        return (out**2).sum() + (c**2).sum()

    def gru_cell(m: Any, ig: Any, hg: Any, hx: Any) -> Any:
        if m is dyngrad:
            from dyngrad.ops.nn_rnn import fused_gru_cell

            return (fused_gru_cell(ig, hg, hx) ** 2).sum()
        x_r, x_z, x_n = ig.chunk(3, -1)
        h_r, h_z, h_n = hg.chunk(3, -1)
        r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
        return (((1 - z) * (x_n + r * h_n).tanh() + z * hx) ** 2).sum()

    def cube(f: Any) -> Any:
        return lambda m, *a: (f(m, *a) ** 3).sum()

    return {
        "conv2d": (cube(lambda m, x, w: fn(m).conv2d(x, w, padding=1, stride=2)),
                   [(2, 3, 5, 5), (4, 3, 3, 3)]),
        "conv_transpose2d": (cube(lambda m, x, w: fn(m).conv_transpose2d(x, w, stride=2)),
                             [(2, 3, 4, 4), (3, 2, 3, 3)]),
        "max_pool2d": (cube(lambda m, x: fn(m).max_pool2d(x, 2)), [(2, 2, 4, 4)]),
        "adaptive_max_pool2d": (cube(lambda m, x: fn(m).adaptive_max_pool2d(x, 3)), [(2, 2, 5, 5)]),
        "avg_pool2d": (cube(lambda m, x: fn(m).avg_pool2d(x, 2, padding=1)), [(2, 2, 5, 5)]),
        "interpolate": (cube(lambda m, x: fn(m).interpolate(x, scale_factor=2, mode="bilinear")),
                        [(1, 2, 3, 3)]),
        "fold": (cube(lambda m, x: fn(m).fold(fn(m).unfold(x, 2), (4, 4), 2)), [(1, 2, 4, 4)]),
        "layer_norm": (cube(lambda m, x, w: fn(m).layer_norm(x, (4,), w)), [(3, 4), (4,)]),
        "batch_norm": (cube(lambda m, x, w: fn(m).batch_norm(x, None, None, w, training=True)),
                       [(3, 4, 2), (4,)]),
        "group_norm": (cube(lambda m, x: fn(m).group_norm(x, 2)), [(3, 4, 2)]),
        "lstm_layer": (lstm_layer, [(3, 2, 3), (16, 3), (16, 4)]),
        "gru_cell": (gru_cell, [(2, 6), (2, 6), (2, 2)]),
    }  # fmt: skip


@needs_torch
@pytest.mark.parametrize("name", list(_nn_second_order_cases()))
def test_nn_hessian_vector_products_match_torch(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """jvp(grad(f)) = H·v, forward mode over the nn kernels' backward, against torch."""
    _no_reverse_fallback(monkeypatch)
    f, shapes = _nn_second_order_cases()[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    arrays = [rng.standard_normal(s) for s in shapes]
    directions = [rng.standard_normal(s) for s in shapes]
    results = []
    for m in (dyngrad, torch):
        inputs = tuple(m.tensor(a) for a in arrays)
        grad = m.func.grad(lambda *a, m=m: f(m, *a), argnums=tuple(range(len(inputs))))
        _, hvp = m.func.jvp(grad, inputs, tuple(m.tensor(v) for v in directions))
        results.append([h.detach().numpy() for h in hvp])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-11)


@needs_torch
def test_writing_a_dual_into_a_view_gives_the_base_a_tangent() -> None:
    def run(m: Any, fw: Any) -> Any:
        with fw.dual_level():
            d = fw.make_dual(m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0]))
            base = m.zeros(2, 3)
            view = base[1, 1:]
            view.copy_(d)
            view.mul_(2)
            row = base[0]  # a view made before the base had a tangent is not involved here
            return [fw.unpack_dual(t).tangent.tolist() for t in (base, view)], row.tolist()

    assert run(dyngrad, fwAD) == run(torch, torch_fwAD)
