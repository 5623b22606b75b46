"""The program generator: random programs built one step at a time from the op table.

A program is a growing pool of values, each held twice (a dyngrad tensor and a torch tensor
made the same way). A step is one of

- an op-table call: an entry of ``tests/op_db`` (its ``op`` lambda runs on both modules) on
  one of its samples, each array input being a fresh leaf, a fresh leaf of a mutated shape
  (0-d, size-1, empty, broadcastable, one more dim), or a value already in the pool
  (reused intermediates, also of another float dtype);
- a view of a pool value (transpose, slice, select, expand, unsqueeze, diagonal, view);
- an in-place op on a pool value (also on views, also under no_grad);
- detach (and maybe requires_grad_ again), or entering/leaving a no_grad block;

and the program ends with a backward pass (``autograd.backward`` with random output
gradients, sometimes twice, or ``autograd.grad(..., create_graph=True)`` and a second-order
backward). After every step the whole pool is compared (``compare.py``), so a wrong result,
a missing view relation or a wrong version bump shows at the step that caused it.

Every decision comes from a :class:`~fuzz.choices.Chooser`; ``lines`` is the program as
Python-like text for the failure message (``OP[name]`` is the op-table entry's ``op``).
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import dyngrad
from dyngrad.ops._registry import is_non_overlapping_and_dense
from op_db import FAMILIES, OpInfo, all_ops

from .choices import Chooser
from .compare import (
    FuzzFailure,
    as_numpy,
    dtype_name,
    flat_outputs,
    magnitude,
    run_ours,
    run_theirs,
    same_exception,
    sync_to_ours,
    tensor_mismatch,
    values_mismatch,
)

OP = {info.name: info.op for info in all_ops()}


# Entries the fuzzer leaves out: dyngrad's internal RNN kernels (not public API: their two
# sides in the op table are different programs, checked by test_ops on their own samples),
# and lstm_layer, whose torch side calls torch.lstm, which corrupts the heap on
# inconsistent shapes (free(): invalid size; a torch bug the fuzzer hit, seed 122151).
EXCLUDED = {"fused_lstm_cell", "fused_gru_cell", "lstm_cell_grad", "gru_cell_grad", "lstm_layer"}
# Entries whose outputs keep torch's own values: their torch backward compares the saved
# output with an intermediate it does not show (matrix norms: amax/amin of singular values),
# so a synced output would match nothing and give NaN (seed 142269).
NO_SYNC = {"linalg.matrix_norm", "linalg.norm", "linalg.cond", "linalg.svdvals"}


def family_ops(families: list[str]) -> list[OpInfo]:
    """The op-table entries of some families only (``elementwise``, ``shape``, ...)."""
    out: list[OpInfo] = []
    for family in FAMILIES:
        if family in families:
            out.extend(importlib.import_module(f"op_db.{family}").OPS)
    return [info for info in out if info.name not in EXCLUDED]


OPS: list[OpInfo] = family_ops(list(FAMILIES))


def leaf(m: Any, a: np.ndarray, requires_grad: bool, transposed: bool = False) -> Any:
    """A program input: ``a`` as a tensor of module ``m`` (a transposed view of a contiguous
    copy when ``transposed``), made a leaf that requires grad when asked."""
    t = m.tensor(np.ascontiguousarray(a.T)).t() if transposed else m.tensor(a.copy())
    if requires_grad:
        t = t.detach().requires_grad_(True)
    return t


def array_source(a: np.ndarray) -> str:
    return f"np.array({a.tolist()!r}, dtype='{a.dtype}').reshape({a.shape})"


@dataclass
class Value:
    """One pool entry: the same value in both modules."""

    name: str
    ours: Any
    theirs: Any
    leaf: bool  # made by the program as a leaf that requires grad: .grad is compared
    atol: float = 1e-5
    rtol: float = 1.3e-6
    check_grad_fn: bool = True
    sync: bool = True  # made bit-identical to ours after each check (see compare.sync_to_ours)


@dataclass
class Stats:
    programs: int = 0
    steps: int = 0
    op_calls: int = 0  # op-table calls
    backward_passes: int = 0


class Program:
    """Generates and runs one program on both modules, comparing after every step."""

    def __init__(
        self,
        chooser: Chooser,
        torch: Any,
        max_steps: int = 8,
        stats: Stats | None = None,
        ops: list[OpInfo] | None = None,
    ):
        self.c = chooser
        self.ops = ops or OPS
        self.torch = torch
        self.max_steps = max_steps
        self.stats = stats or Stats()
        self.values: list[Value] = []
        self.lines: list[str] = []
        self.no_grad = False
        self.infos: list[OpInfo] = []
        self._count = 0

    # --- driving -------------------------------------------------------------------------

    def run(self) -> None:
        self.stats.programs += 1
        for _ in range(self.c.integer(1, self.max_steps)):
            self.stats.steps += 1
            kind = self.c.integer(0, 99)
            if kind < 60 or not self.values:
                self.op_step()
            elif kind < 74:
                self.view_step()
            elif kind < 88:
                self.inplace_step()
            elif kind < 94:
                self.detach_step()
            else:
                self.no_grad = not self.no_grad
                self.lines.append(f"# grad mode {'off (no_grad)' if self.no_grad else 'on'}")
            self.compare_pool()
        self.no_grad = False
        self.backward_step()

    def text(self) -> str:
        return "\n".join(self.lines)

    def fail(self, what: str) -> None:
        raise FuzzFailure(f"{what}\n\nprogram (m = dyngrad or torch):\n{self.text()}")

    def name(self) -> str:
        self._count += 1
        return f"x{self._count}"

    # --- running one thing on both modules ------------------------------------------------

    def both(self, what: str, fn: Callable[[Any], Any]) -> tuple[Any, Any] | None:
        """``fn(module)`` on dyngrad and torch in the program's grad mode. Both must succeed,
        or both raise the same exception class (then None)."""
        torch = self.torch
        enabled = not self.no_grad

        def ours() -> Any:
            with dyngrad.set_grad_enabled(enabled):
                return fn(dyngrad)

        def theirs() -> Any:
            with torch.set_grad_enabled(enabled):
                return fn(torch)

        r_o, e_o, leaked = run_ours(ours)
        r_t, e_t = run_theirs(theirs)
        if leaked:
            self.fail(f"{what}: NumPy warnings leaked: {leaked}")
        if e_t is not None:
            if e_o is None:
                self.fail(f"{what}: torch raised {type(e_t).__name__}: {e_t}\ndyngrad did not")
            elif not same_exception(e_o, e_t):
                tb = "".join(traceback.format_exception(e_o)[-6:])
                self.fail(
                    f"{what}: torch raised {type(e_t).__name__}: {e_t}\n"
                    f"dyngrad raised {type(e_o).__name__}: {e_o}\n{tb}"
                )
            return None
        if e_o is not None:
            tb = "".join(traceback.format_exception(e_o)[-8:])
            self.fail(f"{what}: dyngrad raised {type(e_o).__name__}: {e_o}\ntorch did not\n{tb}")
        return r_o, r_t

    def add(self, name: str, ours: Any, theirs: Any, **kw: Any) -> Value:
        v = Value(name, ours, theirs, **kw)
        if isinstance(theirs, self.torch.Tensor) and theirs.dtype == self.torch.float16:
            # Note: torch computes half ops in float32 and rounds once; NumPy's half math can
            # land one half-ulp (~1e-3 relative) away. Accepted, and listed in the report.
            v.atol, v.rtol = max(v.atol, 1e-3), max(v.rtol, 2e-3)
        self.values.append(v)
        return v

    def compare_pool(self) -> None:
        """Every pool value against torch's; close values are then made identical."""
        for v in self.values:
            problem = tensor_mismatch(v.ours, v.theirs, v.atol, v.rtol, v.check_grad_fn)
            if problem:
                self.fail(f"after the last step, {v.name}: {problem}")
        for v in self.values:
            if v.sync:
                sync_to_ours(v.ours, v.theirs)

    # --- inputs --------------------------------------------------------------------------

    def fresh(self, a: np.ndarray, requires_grad: bool) -> Value:
        name = self.name()
        transposed = a.ndim == 2 and not a.flags.c_contiguous and a.size > 0
        self.lines.append(
            f"{name} = leaf(m, {array_source(a)}, requires_grad={requires_grad}"
            + (", transposed=True)" if transposed else ")")
        )
        ours = leaf(dyngrad, a, requires_grad, transposed)
        theirs = leaf(self.torch, a, requires_grad, transposed)
        return self.add(name, ours, theirs, leaf=requires_grad)

    def input_for(self, a: np.ndarray, grad_ok: bool) -> Value:
        """A value to pass where a sample has the array ``a``."""
        how = self.c.integer(0, 99)
        if how < 40:
            same = [v for v in self.values if _fits(v, a, exact=True)]
            if same:
                return self.c.pick(same)
        if how < 50:
            near = [v for v in self.values if _fits(v, a, exact=False)]
            if near:
                return self.c.pick(near)
        if how >= 85:
            a = self.mutate_shape(a)
        rg = grad_ok and a.dtype.kind == "f" and self.c.boolean(85)
        return self.fresh(a, rg)

    def mutate_shape(self, a: np.ndarray) -> np.ndarray:
        """``a`` with a shape nobody wrote a sample for: 0-d, a dim of size 1 or 0, one dim
        fewer or more. Values are drawn from ``a`` itself, so they stay in the op's domain."""
        shape = list(a.shape)
        kind = self.c.integer(0, 4)
        if kind == 0:
            shape = []
        elif kind == 1 and shape:
            shape[self.c.integer(0, len(shape) - 1)] = 1
        elif kind == 2 and shape:
            shape[self.c.integer(0, len(shape) - 1)] = 0
        elif kind == 3 and shape:
            shape = shape[1:]
        else:
            shape = [self.c.integer(1, 2), *shape]
        if a.size:
            return np.resize(a, tuple(shape)).astype(a.dtype)
        return np.full(tuple(shape), 0.5 if a.dtype.kind == "f" else 1, dtype=a.dtype)

    # --- steps ---------------------------------------------------------------------------

    def op_step(self) -> None:
        info = self.c.pick(self.ops)
        dtype = np.dtype(self.c.pick(info.dtypes))
        seed = self.c.integer(0, 1000)
        samples = info.samples(np.random.default_rng(seed), dtype)
        if not samples:
            return
        sample = self.c.pick(samples)
        inputs: list[Any] = []
        for i, a in enumerate(sample.args):
            if isinstance(a, np.ndarray):
                grad_ok = info.grad and sample.requires_grad(i, a)
                inputs.append(self.input_for(a, grad_ok))
            else:
                inputs.append(a)
        names = [x.name if isinstance(x, Value) else repr(x) for x in inputs]
        names += [f"{k}={v!r}" for k, v in sample.kwargs.items()]
        self.stats.op_calls += 1
        self.infos.append(info)
        line = f"OP[{info.name!r}](m, {', '.join(names)})"
        self.lines.append(line)
        where = len(self.lines) - 1
        kwargs = sample.kwargs

        def call(m: Any) -> Any:
            side = 0 if m is dyngrad else 1
            args = [(x.ours, x.theirs)[side] if isinstance(x, Value) else x for x in inputs]
            return info.op(m, *args, **kwargs)

        pair = self.both(f"op {info.name!r} ({sample.name or 'sample'})", call)
        if pair is None:
            self.lines[where] = line + "  # raises"
            return
        outs_o, outs_t = flat_outputs(pair[0]), flat_outputs(pair[1])
        if len(outs_o) != len(outs_t):
            self.fail(f"op {info.name!r}: {len(outs_o)} outputs, torch gives {len(outs_t)}")
        tensor_args = [as_numpy(x.theirs) for x in inputs if isinstance(x, Value)]
        out_names = []
        for o, t in zip(outs_o, outs_t):
            if not isinstance(t, self.torch.Tensor):
                if o != t and not (_is_nan(o) and _is_nan(t)):
                    self.fail(f"op {info.name!r}: returned {o!r}, torch {t!r}")
                out_names.append("_")
                continue
            scale = magnitude(as_numpy(t), *tensor_args)
            v = self.add(self.name(), o, t, leaf=False, atol=info.atol * scale, rtol=info.rtol,
                         check_grad_fn=info.check_grad_fn, sync=info.name not in NO_SYNC)  # fmt: skip
            out_names.append(v.name)
        self.lines[where] = f"{', '.join(out_names) or '_'} = {line}"

    def view_step(self) -> None:
        v = self.c.pick(self.values)
        shape = tuple(v.theirs.shape)
        nd = len(shape)
        kind = self.c.integer(0, 7)
        if kind == 0 and nd <= 2:
            text, fn = ".t()", lambda t: t.t()
        elif kind == 1 and nd >= 2:
            d0, d1 = self.c.integer(-nd, nd - 1), self.c.integer(-nd, nd - 1)
            text, fn = f".transpose({d0}, {d1})", lambda t: t.transpose(d0, d1)
        elif kind == 2 and nd >= 1:
            d = self.c.integer(0, nd - 1)
            start, step = self.c.integer(0, 2), self.c.integer(1, 2)
            key = (slice(None),) * d + (slice(start, None, step),)
            text, fn = f"[{'' if d == 0 else ':, ' * d}{start}::{step}]", lambda t: t[key]
        elif kind == 3 and nd >= 1 and shape[0] > 0:
            i = self.c.integer(-shape[0], shape[0] - 1)
            text, fn = f"[{i}]", lambda t: t[i]
        elif kind == 4:
            new = tuple(self.c.integer(2, 3) if s == 1 and self.c.boolean() else s for s in shape)
            lead = (2,) if self.c.boolean(30) else ()
            target = lead + new
            text, fn = f".expand{target}", lambda t: t.expand(*target)
        elif kind == 5:
            d = self.c.integer(-nd - 1, nd)
            text, fn = f".unsqueeze({d})", lambda t: t.unsqueeze(d)
        elif kind == 6 and nd >= 2:
            off = self.c.integer(-1, 1)
            text, fn = f".diagonal({off})", lambda t: t.diagonal(off)
        else:
            text, fn = ".view(-1)", lambda t: t.view(-1)
        name = self.name()
        self.lines.append(f"{name} = {v.name}{text}")
        pair = self.both(f"view {v.name}{text}", lambda m: fn((v.ours, v.theirs)[m is not dyngrad]))
        if pair is None:
            self.lines[-1] += "  # raises"
            return
        self.add(name, pair[0], pair[1], leaf=False, atol=v.atol, rtol=v.rtol, sync=v.sync)

    def inplace_step(self) -> None:
        v = self.c.pick(self.values)
        kind = self.c.integer(0, 11)
        other = self.c.pick(self.values)
        if _aliasing_undefined(v.ours._data, other.ours._data):
            other = v  # torch reads memory it is writing: its result depends on its loop order
        s = self.c.pick([2.0, -0.5, 1, 0.0, 3])
        lo = self.c.pick([-1.0, 0.0, 0.5])
        ops: list[tuple[str, Callable[[Any, Any], Any]]] = [
            (f".add_({s!r})", lambda t, o: t.add_(s)),
            (f".mul_({s!r})", lambda t, o: t.mul_(s)),
            (f".sub_({other.name})", lambda t, o: t.sub_(o)),
            (f".mul_({other.name})", lambda t, o: t.mul_(o)),
            (f".clamp_(min={lo!r})", lambda t, o: t.clamp_(min=lo)),
            (".neg_()", lambda t, o: t.neg_()),
            (".exp_()", lambda t, o: t.exp_()),
            (".sigmoid_()", lambda t, o: t.sigmoid_()),
            (".zero_()", lambda t, o: t.zero_()),
            (f".copy_({other.name})", lambda t, o: t.copy_(o)),
            (f"[0] = {s!r}", _setitem_first(s)),
            (f".fill_({s!r})", lambda t, o: t.fill_(s)),
        ]
        text, fn = ops[kind]
        self.lines.append(f"{v.name}{text}")
        # how much the step amplifies relative rounding errors already in v (exp: |x|), and
        # the other operand's own tolerance (sub_/mul_/copy_)
        before = as_numpy(v.theirs) if v.theirs.dtype.is_floating_point else None
        grow = 1.0
        if kind == 6 and before is not None and before.size:
            finite = np.abs(before[np.isfinite(before)])
            grow = max(1.0, float(finite.max())) if finite.size else 1.0
        if kind in (2, 3, 9):
            v.atol, v.rtol = max(v.atol, other.atol), max(v.rtol, other.rtol)
        v.rtol *= grow
        v.atol *= grow

        def call(m: Any) -> Any:
            side = m is not dyngrad
            return fn((v.ours, v.theirs)[side], (other.ours, other.theirs)[side])

        if self.both(f"in-place {v.name}{text}", call) is None:
            self.lines[-1] += "  # raises"
        v.check_grad_fn = True

    def detach_step(self) -> None:
        v = self.c.pick(self.values)
        rg = v.theirs.dtype.is_floating_point and self.c.boolean(50)
        name = self.name()
        text = ".detach()" + (".requires_grad_()" if rg else "")
        self.lines.append(f"{name} = {v.name}{text}")

        def call(m: Any) -> Any:
            t = (v.ours, v.theirs)[m is not dyngrad].detach()
            return t.requires_grad_() if rg else t

        pair = self.both(f"{v.name}{text}", call)
        if pair is not None:
            self.add(name, pair[0], pair[1], leaf=rg, atol=v.atol, rtol=v.rtol, sync=v.sync)

    # --- the end: backward -----------------------------------------------------------------

    def backward_step(self) -> None:
        roots = [v for v in self.values if v.theirs.requires_grad]
        if not roots:
            return
        chosen: list[Value] = []
        for _ in range(self.c.integer(1, min(3, len(roots)))):
            r = self.c.pick(roots)
            if r not in chosen:
                chosen.append(r)
        rng = np.random.default_rng(self.c.integer(0, 1000))
        seeds = [
            rng.standard_normal(tuple(r.theirs.shape)).astype(_np_dtype(r.theirs)) for r in chosen
        ]
        names = ", ".join(r.name for r in chosen)
        leaves = [v for v in self.values if v.leaf]
        self.stats.backward_passes += 1
        if leaves and self.c.boolean(25) and all(i.gradgrad for i in self.infos):
            self.double_backward(chosen, seeds, leaves)
            return
        retain = self.c.boolean(30)
        for attempt in range(1 + self.c.boolean(20)):
            self.lines.append(
                f"m.autograd.backward([{names}], [<seeds {[s.shape for s in seeds]}>], "
                f"retain_graph={retain})"
            )

            def call(m: Any) -> Any:
                side = m is not dyngrad
                m.autograd.backward(
                    [(r.ours, r.theirs)[side] for r in chosen],
                    [m.tensor(s.copy()) for s in seeds],
                    retain_graph=retain,
                )

            if self.both(f"backward #{attempt + 1}", call) is None:
                return
            self.compare_grads(leaves)

    def double_backward(
        self, roots: list[Value], seeds: list[np.ndarray], leaves: list[Value]
    ) -> None:
        rng = np.random.default_rng(len(seeds))
        weights = [
            rng.standard_normal(tuple(x.theirs.shape)).astype(_np_dtype(x.theirs)) for x in leaves
        ]
        self.lines.append(
            f"gs = m.autograd.grad([{', '.join(r.name for r in roots)}], "
            f"[{', '.join(x.name for x in leaves)}], <seeds>, create_graph=True, allow_unused=True)"
        )

        def first(m: Any) -> Any:
            side = m is not dyngrad
            return m.autograd.grad(
                [(r.ours, r.theirs)[side] for r in roots],
                [(x.ours, x.theirs)[side] for x in leaves],
                [m.tensor(s.copy()) for s in seeds],
                create_graph=True,
                allow_unused=True,
            )

        pair = self.both("autograd.grad(create_graph=True)", first)
        if pair is None:
            return
        atol, rtol = self.grad_tolerance()
        for x, go, gt in zip(leaves, pair[0], pair[1]):
            if (go is None) != (gt is None):
                self.fail(
                    f"first-order grad of {x.name}: ours {go is not None}, torch {gt is not None}"
                )
            if gt is not None:
                # Note: requires_grad of a first-order gradient is not compared: torch's
                # backward formulas take the input even where the gradient does not depend
                # on it (relu's mask), so torch's may require grad where ours does not; the
                # second-order gradients below then agree, torch's being zeros.
                if dtype_name(go) != dtype_name(gt):
                    self.fail(f"first-order grad of {x.name}: dtype {go.dtype} != torch {gt.dtype}")
                scale = magnitude(as_numpy(gt))
                problem = values_mismatch(as_numpy(go), as_numpy(gt), atol * scale, rtol)
                if problem:
                    self.fail(f"first-order grad of {x.name}: {problem}")
        terms = [[k for k, g in enumerate(gs) if g is not None and g.requires_grad] for gs in pair]
        if not terms[0] and not terms[1]:
            return
        self.lines.append("sum((g * w).sum() for g, w in zip(gs, <weights>)).backward()")

        def second(m: Any) -> Any:
            side = m is not dyngrad
            gs = pair[side]
            if terms[side]:
                total = sum((gs[k] * m.tensor(weights[k].copy())).sum() for k in terms[side])
                total.backward()

        if self.both("second-order backward", second) is not None:
            self.compare_grads(leaves, none_is_zero=True)

    def grad_tolerance(self) -> tuple[float, float]:
        atol = max([i.grad_atol for i in self.infos] + [1e-5]) * 10
        rtol = max([i.grad_rtol for i in self.infos] + [1e-4]) * 10
        return atol, rtol

    def compare_grads(self, leaves: list[Value], none_is_zero: bool = False) -> None:
        """Leaves' .grad against torch's (``none_is_zero``: a missing gradient equals zeros)."""
        atol, rtol = self.grad_tolerance()
        for x in leaves:
            go, gt = x.ours.grad, x.theirs.grad
            if none_is_zero and (go is None) != (gt is None):
                present = as_numpy(go if gt is None else gt)
                if not np.any(present):
                    continue
            if (go is None) != (gt is None):
                self.fail(f"{x.name}.grad: ours {'None' if go is None else 'set'}, torch "
                          f"{'None' if gt is None else 'set'}")  # fmt: skip
            if gt is None:
                continue
            if dtype_name(go) != dtype_name(gt):
                self.fail(f"{x.name}.grad: dtype {go.dtype} != torch {gt.dtype}")
            problem = values_mismatch(
                as_numpy(go), as_numpy(gt), atol * magnitude(as_numpy(gt)), rtol
            )
            if problem:
                self.fail(f"{x.name}.grad: {problem}")


def _fits(v: Value, a: np.ndarray, exact: bool) -> bool:
    """Whether pool value ``v`` can stand where the sample has ``a``: the same shape and dtype
    (``exact``), or a shape that broadcasts to it / the other float dtype."""
    dt = str(v.theirs.dtype).rsplit(".", 1)[-1]
    shape = tuple(v.theirs.shape)
    if exact:
        return dt == a.dtype.name and shape == a.shape
    if a.dtype.kind != "f" or not dt.startswith("float"):
        return False
    try:
        return (
            np.broadcast_shapes(shape, a.shape) == a.shape
            and shape != a.shape
            or (shape == a.shape and dt != a.dtype.name)
        )
    except ValueError:
        return False


def _aliasing_undefined(a: np.ndarray, b: np.ndarray) -> bool:
    """``b`` shares memory with ``a`` in a way torch does not check ("too hard": one of them
    is not dense) and an in-place op on ``a`` reading ``b`` gives loop-order results."""
    if a is b or not np.shares_memory(a, b):
        return False
    return not (is_non_overlapping_and_dense(a) and is_non_overlapping_and_dense(b))


def _setitem_first(s: Any) -> Callable[[Any, Any], Any]:
    def write(t: Any, o: Any) -> Any:
        t[0] = s
        return t

    return write


def _np_dtype(t: Any) -> np.dtype:
    return np.dtype(str(t.dtype).rsplit(".", 1)[-1])


def _is_nan(x: Any) -> bool:
    return isinstance(x, float) and x != x
