"""The op registry: one declaration per op becomes ``dyngrad.fn``, ``Tensor.fn``, operators
and the in-place ``Tensor.fn_``, and :class:`OpNode.apply` does the plumbing every op shares.

An op is an :class:`OpNode` subclass named as torch names the node (``MulBackward0``) with

- ``forward(self, *arrays, **params) -> ndarray`` on NumPy arrays (Python scalars stay
  scalars); it may set attributes on ``self`` for its backward,
- ``backward(self, grad) -> Tensor | tuple`` written with dyngrad ops, so that with
  ``create_graph=True`` the backward is itself recorded,
- class attributes saying which inputs (``save``) and whether the output (``save_output``)
  the backward needs, and how the result dtype is found (``promote``),

plus a public function that calls ``Node.apply(...)``, registered with :func:`register`.

``apply`` wraps scalars, computes torch's result dtype and casts to it, creates a node only
when grad mode is on and an input requires grad, records each input's edge, shape and dtype
for the engine, and saves what the backward needs. In-place variants are derived from the
out-of-place function by :func:`make_inplace`: compute, write into the tensor, rebase its
history onto the new node, bump the version counter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _dtype
from .._tensor import Tensor
from ..autograd import forward_ad, grad_mode
from ..autograd.anomaly_mode import remember_forward
from ..autograd.anomaly_mode import state as _anomaly
from ..autograd.engine import backward_running
from ..autograd.graph import (
    Node,
    SavedIndex,
    _modified_error,
    _modified_output_error,
    _next_seq,
    grad_accumulator,
    save_inputs,
    save_output,
    saved_hooks,
    version_counter,
)
from ..autograd.graph_summary import check_accumulation
from ..autograd.sites import user_site
from ..autograd.views import NO_GRAD as NO_GRAD_VIEW
from ..autograd.views import check_view_inplace, mark_view
from ..autograd.views import refresh as refresh_view
from ..autograd.views import refresh_requires_grad as refresh_view_requires_grad
from .view_inplace import positions, rebase_view

__all__ = [
    "OpNode",
    "register",
    "make_inplace",
    "tangent_sum",
    "check_saved_versions",
    "FUNCTIONS",
    "SAME",
    "FLOAT",
    "COMPARE",
    "OWN",
]

SAME = "same"  # result dtype = torch.result_type of the inputs; inputs cast to it
FLOAT = "float"  # as SAME, but integer/bool results become the default float dtype
COMPARE = "compare"  # inputs cast to their common dtype, result bool, never differentiable
OWN = "own"  # the op's forward chooses its dtype

FUNCTIONS: dict[str, Callable[..., Any]] = {}

_state = grad_mode.state
_dual = forward_ad.STATE  # forward-mode AD: ``_dual.depth`` active levels (0: off)
_ndarray = np.ndarray
_asarray = np.asarray
_NUMBER_TYPES = (int, float, bool)
_SCALAR_CATEGORY = {bool: _dtype.BOOL, int: _dtype.INT, float: _dtype.FLOAT}
_CATEGORY_OF = {d.np: d.category for d in _dtype.ALL}
_FLOAT_CAT = _dtype.FLOAT
_INT_CAT = _dtype.INT
_BOOL = np.dtype(np.bool_)
_HALF = np.dtype(np.float16)
_FLOAT32 = np.dtype(np.float32)
# Note: per dtype (keyed by its one-letter code: cheap to hash), the Python ints used as
# they are, and the largest float magnitude.
_SCALAR_RANGE: dict[str, tuple[int, int, float]] = {
    **{np.dtype(t).char: (int(np.iinfo(t).min), int(np.iinfo(t).max), math.inf)
       for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)},
    # float16 math runs in float32 (see apply), so Python numbers keep float32's range
    np.dtype(np.float16).char: (-(2**63), 2**64 - 1, float(np.finfo(np.float32).max)),
    np.dtype(np.float32).char: (-(2**63), 2**64 - 1, float(np.finfo(np.float32).max)),
    np.dtype(np.float64).char: (-(2**63), 2**64 - 1, math.inf),
}  # fmt: skip


# Note: torch gives inf/nan silently, so every forward runs with NumPy's floating-point
# warnings off. NumPy 2 keeps that setting in a context variable; setting it directly costs
# about a tenth of np.errstate's context manager (which is the fallback elsewhere).
try:
    from numpy._core._ufunc_config import (  # type: ignore[attr-defined]
        _extobj_contextvar,
        _make_extobj,
    )

    _QUIET = _make_extobj(all="ignore")
    _set_extobj = _extobj_contextvar.set
    _get_extobj = _extobj_contextvar.get
    _quiet_off = _extobj_contextvar.reset

    def _quiet_on() -> Any:
        return _set_extobj(_QUIET)

except ImportError:  # pragma: no cover - NumPy without the context variable
    _QUIET = object()

    def _get_extobj() -> Any:
        return None

    def _quiet_on() -> Any:
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def _quiet_off(token: Any) -> None:
        token.__exit__(None, None, None)


class _Scratch:
    """Stands in for ``self`` when an op runs without recording: attributes land nowhere.

    Note: one per call, not one shared instance: a shared one kept the last index array of
    every op alive after its graph was freed, and two threads running forwards at once read
    each other's attributes (``sort`` sets ``self.indices`` then reads it back). Measured
    with the machine near idle, ``_Scratch()`` costs ~55 ns over reading a shared global
    (an unrecorded 16-element ``x * 0.9`` takes ~2.4 µs); ``object.__new__`` (~85 ns),
    ``SimpleNamespace`` (~55 ns) and a thread-local scratch cleared after each forward
    (a thread-local read alone is ~40 ns) are no cheaper, so it stays."""


class OpNode(Node):
    """Base of the built-in ops' backward nodes (see the module docstring)."""

    promote = SAME
    save: tuple[int, ...] = ()
    # optional, one entry per ``save`` slot: the inputs whose gradient uses it; a slot no input
    # needing a gradient uses is saved as None (as torch saves only what it needs)
    save_for: tuple[tuple[int, ...], ...] | None = None
    save_output = False
    differentiable = True
    view = False  # the output shares the input's memory (and so its version counter)
    # Inputs torch does not count among the op's differentiable inputs (a condition, a mask,
    # indices): they get no edge in ``next_functions``, as in torch (``WhereBackward0`` has
    # two, for its branches). ``backward`` then returns one gradient per edge, and
    # ``needs_input_grad`` and ``save_for`` count the inputs with an edge only.
    no_edge: tuple[int, ...] = ()
    # Forward mode: the output is linear in the tensor inputs (the keyword parameters fixed),
    # so its tangent is the op itself applied to the inputs' tangents (view and shape ops).
    linear = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _register_index_fields(cls)

    def forward(self, *arrays: Any, **params: Any) -> Any:
        raise NotImplementedError

    def backward(self, *grads: Any) -> Any:
        raise NotImplementedError

    def jvp(self, *tangents_primals_output: Any) -> Any:
        """Forward mode: the output's tangent ``ẏ = Σᵢ ∂y/∂xᵢ · ẋᵢ``, written with dyngrad ops.

        Called as ``jvp(*tangents, *primals, output)``: one tangent per input (None where the
        input has none, e.g. a Python number), the inputs as passed to ``apply`` and the output
        (a tuple for multi-output ops); ``self`` holds what ``forward`` stored. Returns the
        tangent (a tuple for multi-output ops; None: no tangent). Broadcasting and the dtype
        are fixed by the caller (``forward_ad.propagate``).
        """
        raise forward_ad.not_implemented(op_name(type(self)))

    @property
    def saved_output(self) -> Tensor:
        """The saved output (see ``Node.saved_output``), with its forward-mode tangents if it
        had any (forward over reverse: ``func.hessian``)."""
        out = Node.saved_output.fget(self)  # type: ignore[attr-defined]
        fw = self.__dict__.get("_out_fw")
        if fw is not None:
            out._fw = fw
        return out  # type: ignore[no-any-return]

    def apply_backward(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self._released and (
            self._saved_versions or self._out_saved is not None or type(self) in _INDEX_FIELDS
        ):
            check_saved_versions(self)
        if self.n_outputs > 1 and None in grads:
            grads = self._materialize(grads)
        result = self.backward(*grads)
        return result if type(result) is tuple else (result,)

    def _materialize(self, grads: tuple[Any, ...]) -> tuple[Any, ...]:
        """Zeros for the outputs that received no gradient (multi-output ops only)."""
        metas = self.__dict__["out_meta"]
        return tuple(
            Tensor._make(np.zeros(shape, dtype), False, None, 0) if g is None else g
            for g, (shape, dtype) in zip(grads, metas)
        )

    @classmethod
    def apply(cls, *inputs: Any, **params: Any) -> Any:
        """Run the op on ``inputs`` (tensors or scalars); record a node when needed."""
        # Note: the hot path of every op. One pass over the inputs collects the arrays,
        # whether any requires grad, and enough dtype facts to skip full promotion when all
        # tensors share one dtype that Python scalars cannot raise.
        # Python floats and small ints (the common scalars) are handled inline; only a scalar
        # outside the range every dtype holds (``odd_scalar``) goes through _fit_scalars.
        arrays = []
        record = False
        np_dtype = None
        uniform = True
        scalar_cat = -1
        odd_scalar = False
        for x in inputs:
            kind = x.__class__
            if kind is Tensor or (kind is not float and kind is not int and isinstance(x, Tensor)):
                a = x._data
                arrays.append(a)
                if x._rg:
                    record = True
                elif x._view is not None and refresh_view_requires_grad(x):
                    record = True  # a view whose base started to require grad
                if np_dtype is None:
                    np_dtype = a.dtype
                elif a.dtype is not np_dtype and a.dtype != np_dtype:
                    uniform = False
            elif kind is float:
                arrays.append(x)
                scalar_cat = _FLOAT_CAT
                if not -65504.0 <= x <= 65504.0:  # float16's range (NaN lands here too)
                    odd_scalar = True
            elif kind is int:
                arrays.append(x)
                if scalar_cat < _INT_CAT:
                    scalar_cat = _INT_CAT
                if not 0 <= x <= 127:  # what int8 and uint8 both hold
                    odd_scalar = True
            else:
                x = _scalar(x, cls, len(arrays))
                arrays.append(x)
                if x is not None and x.__class__ is not _ndarray:
                    cat = _SCALAR_CATEGORY.get(x.__class__, 2)
                    if cat > scalar_cat:
                        scalar_cat = cat
                    odd_scalar = True

        promote = cls.promote
        target = None
        if promote is not OWN:
            if uniform and np_dtype is not None and scalar_cat <= _CATEGORY_OF[np_dtype]:
                target = np_dtype
            else:
                dt = _dtype.result_type(*inputs)
                target = dt.np
                for i, a in enumerate(arrays):
                    if a.__class__ is _ndarray and a.dtype != target:
                        arrays[i] = a.astype(target)
            if odd_scalar:
                bounds = _SCALAR_RANGE.get(target.char)
                if bounds is not None:
                    _fit_scalars(arrays, bounds, target)
            if promote is FLOAT and target.kind != "f":
                target = _dtype.get_default_dtype().np
                for i, a in enumerate(arrays):
                    if a.__class__ is _ndarray:
                        arrays[i] = a.astype(target)
            elif promote is COMPARE:
                target = _BOOL
                record = False
            if target is _HALF and not cls.view and cls.n_outputs == 1:
                # torch computes half ops in float32 and rounds once (views keep the memory)
                arrays = [a.astype(_FLOAT32) if a.__class__ is _ndarray else a for a in arrays]

        wanted = record
        if record:
            record = _state.grad_enabled and cls.differentiable
        dual = _dual.depth
        node = cls.__new__(cls) if record or dual else _Scratch()
        if _get_extobj() is _QUIET:  # already quiet (e.g. in the engine's backward pass)
            try:
                out = cls.forward(node, *arrays, **params)  # type: ignore[arg-type]
            except ValueError as exc:
                raise _translate_value_error(exc, arrays) from None
        else:
            token = _quiet_on()
            try:
                out = cls.forward(node, *arrays, **params)  # type: ignore[arg-type]
            except ValueError as exc:
                raise _translate_value_error(exc, arrays) from None
            finally:
                _quiet_off(token)

        if cls.n_outputs != 1 and type(out) is tuple:
            results = _wrap_many(cls, node, out, inputs, record)
            if dual:
                forward_ad.propagate(node, inputs, results, params)
            return results
        if out.__class__ is not _ndarray:
            out = _asarray(out)
        out_dtype = out.dtype
        if target is not None and out_dtype is not target and out_dtype != target:
            token = _quiet_on()  # (float32 math for float16 may overflow in this cast)
            try:
                out = out.astype(target)
            finally:
                _quiet_off(token)
            out_dtype = out.dtype
        if not record or out_dtype.kind != "f":
            result = Tensor._make(out, False, None, 0)
            if cls.view:
                result._vc = version_counter(inputs[0])
                mark_view(result, inputs[0])
            if wanted and not _state.grad_enabled and not backward_running():
                _made_without_grad(result, cls)
            if dual:
                forward_ad.propagate(node, inputs, result, params)
            return result
        _record(node, _with_edges(cls, inputs) if cls.no_edge else inputs)  # type: ignore[arg-type]
        result = Tensor._make(out, True, node, 0)  # type: ignore[arg-type]
        if cls.view:
            result._vc = version_counter(inputs[0])
            mark_view(result, inputs[0])
        save = cls.save
        if save and _save_inputs(node, inputs, save, cls.save_for):  # type: ignore[arg-type]
            node._site = user_site(2)  # type: ignore[union-attr]
        if cls.save_output:
            save_output(node, result)  # type: ignore[arg-type]
            node._site = user_site(2)  # type: ignore[union-attr]
        if dual:
            forward_ad.propagate(node, inputs, result, params)
        return result


def check_saved_versions(node: Node) -> None:
    """torch's "modified by an inplace operation" error when a tensor ``node`` saved (an input
    or its output) was changed in place since: as torch unpacks every saved value before it
    runs a backward formula, whatever branch the formula takes (``prod`` of a 0-d tensor
    never reads its saved output, yet torch checks it)."""
    versions = node._saved_versions
    if versions:  # (None: packed by saved_tensors_hooks, checked by the hooks' unpack)
        for t, version in zip(node._saved, versions):
            if version is not None:
                vc = t._vc
                if (vc.value if vc is not None else 0) != version:
                    raise _modified_error(t, version, node)
    out = node._out_saved
    if out.__class__ is tuple:
        data, vc, version, output_nr = out[:4]
        if vc.value != version:
            raise _modified_output_error(data, node, output_nr, vc.value, version, vc)
    fields = _INDEX_FIELDS.get(type(node))
    if fields:  # indices and masks kept as torch saves them (``indexing_saved.py``)
        attrs = node.__dict__
        for name in fields:
            entry = attrs.get(name)
            if entry.__class__ is SavedIndex:
                entry.read(node)


# the node classes that keep indices as ``saved_index`` fields, with those fields' names
_INDEX_FIELDS: dict[type, tuple[str, ...]] = {}


def _register_index_fields(cls: type) -> None:
    from .indexing_saved import saved_index

    names = tuple(
        name
        for klass in reversed(cls.__mro__)
        for name, value in vars(klass).items()
        if isinstance(value, saved_index)
    )
    if names:
        _INDEX_FIELDS[cls] = names


def op_name(cls: type) -> str:
    """The op a node class belongs to, as torch names it in errors: ``Log1PBackward0`` ->
    ``log1p``, ``LogSoftmaxBackward0`` -> ``log_softmax``."""
    name = cls.__name__
    cut = name.rfind("Backward")
    name = name[:cut] if cut > 0 else name
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and name[i - 1].islower():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def tangent_sum(*terms: Any) -> Any:
    """The sum of a jvp rule's terms, skipping None (an input without a tangent)."""
    total = None
    for t in terms:
        if t is not None:
            total = t if total is None else total + t
    return total


def _save_inputs(
    node: Node,
    inputs: tuple[Any, ...],
    save: tuple[int, ...],
    save_for: tuple[tuple[int, ...], ...] | None,
) -> bool:
    """``save_inputs`` of the inputs ``save`` names (None where ``save_for`` says that no input
    needing a gradient reads it), in one pass: the hot path of every op that saves inputs.

    Returns whether a tensor was saved: only then can an in-place change make the backward
    fail, so only then does the caller take the user site the error names (``sites.py``)."""
    if saved_hooks.stack:  # saved_tensors_hooks: the general path
        picked = tuple([inputs[i] for i in save])
        save_inputs(node, picked if save_for is None else _only_needed(save_for, node, picked))
        return True
    edges = node.next_functions
    values: list[Any] = []
    versions: list[Any] = []
    tensors = False
    for k, i in enumerate(save):
        v = inputs[i]
        if save_for is not None:
            for j in save_for[k]:
                if edges[j][0] is not None:
                    break
            else:
                v = None
        values.append(v)
        kind = v.__class__
        if kind is Tensor or (
            kind is not float and kind is not int and v is not None and isinstance(v, Tensor)
        ):
            vc = v._vc
            versions.append(0 if vc is None else vc.value)
            tensors = True
        else:
            versions.append(None)
    node._saved = tuple(values)
    # (no tensor saved: a shared all-None tuple, one container less for the cyclic GC)
    n = len(versions)
    node._saved_versions = tuple(versions) if tensors or n >= 16 else _NO_VERSIONS[n]
    return tensors


def _only_needed(
    save_for: tuple[tuple[int, ...], ...], node: Node, values: tuple[Any, ...]
) -> tuple[Any, ...]:
    """The values to save, None where no input that needs a gradient uses one (torch saves
    only those: an in-place change of the others is then no error)."""
    edges = node.next_functions
    kept = []
    for v, users in zip(values, save_for):  # (a plain loop: this runs for every mul/div)
        for j in users:
            if edges[j][0] is not None:
                kept.append(v)
                break
        else:
            kept.append(None)
    return tuple(kept)


def _made_without_grad(result: Tensor, cls: type[OpNode]) -> None:
    """Tag a result computed from inputs that require grad while grad mode was off, so that
    ``dyngrad.why_no_grad`` can say so (this branch runs only under no_grad)."""
    result._extras().origin = ("no_grad", cls.__name__)


def _fit_scalars(arrays: list[Any], bounds: tuple[int, int, float], target: np.dtype) -> None:
    """Python-number operands as torch uses them in ``target`` arithmetic, where NumPy 2
    would raise OverflowError or warn: integers wrap around (two's complement, so
    ``uint8 + 300`` adds 44), numbers beyond a float dtype's range become ±inf. Integers
    outside [-2⁶³, 2⁶⁴) raise torch's OverflowError."""
    lo, hi, largest = bounds
    for i, a in enumerate(arrays):
        kind = a.__class__
        if kind is float:
            if abs(a) > largest:
                arrays[i] = math.copysign(math.inf, a)
        elif kind is int and not lo <= a <= hi:
            if not -(2**63) <= a < 2**64:
                raise OverflowError("int too big to convert")
            if target.kind == "f":
                arrays[i] = math.copysign(math.inf, a)
            else:
                arrays[i] = (a - lo) % (hi - lo + 1) + lo


def promote_with(t: Tensor, *scalars: Any) -> Tensor:
    """``t`` cast to its result dtype with Python-scalar operands that are op parameters
    (``x ** 2.5``, ``clamp(x, 0.5)``). Only integer/bool tensors ever change here, and those
    carry no graph, so the cast adds no node."""
    dt = _dtype.result_type(t, *scalars)
    return t if dt is t.dtype else Tensor._make(t._data.astype(dt.np), False, None, 0)


def _record(node: Node, inputs: tuple[Any, ...]) -> None:
    """Fill the node's edges and the metadata the engine uses to shape each gradient."""
    edges: list[Any] = []
    metas: list[Any] = []
    for x in inputs:
        kind = x.__class__
        if (
            kind is Tensor or (kind is not float and kind is not int and isinstance(x, Tensor))
        ) and x._rg:
            view = x._view
            if view is None:
                fn = x._grad_fn
            else:
                fn = refresh_view(x)
            if fn is not None:
                edges.append((fn, x._output_nr))
            elif view is not None and view[1] == NO_GRAD_VIEW:
                # a view made in no_grad mode requires grad but has no accumulator (torch)
                edges.append(_NO_EDGE)
            else:  # a leaf: its AccumulateGrad node (grad_accumulator, inlined)
                ref = x._acc
                acc = ref() if ref is not None else None
                edges.append((acc if acc is not None else grad_accumulator(x), 0))
            a = x._data
            metas.append((a.shape, a.dtype))
        else:
            edges.append(_NO_EDGE)
            metas.append(None)
    node.next_functions = tuple(edges)
    node._seq = _next_seq()
    # Note: interned: most nodes have the input shapes and dtypes of many others, and a shared
    # tuple is two to three containers less per node for the cyclic GC (and ~150 bytes).
    in_meta = tuple(metas)
    shared = _IN_META.get(in_meta)
    if shared is None:
        if len(_IN_META) >= _IN_META_MAX:
            _IN_META.clear()
        shared = _IN_META[in_meta] = in_meta
    node._in_meta = shared
    node._saved = ()
    node._saved_versions = ()
    node._out_saved = None
    node._released = False
    node._hooks = None
    if _anomaly.enabled:
        remember_forward(node)


_NO_EDGE = (None, 0)


def _with_edges(cls: type[OpNode], inputs: tuple[Any, ...]) -> tuple[Any, ...]:
    """The inputs that get an edge (all but ``cls.no_edge``)."""
    skip = cls.no_edge
    return tuple([x for i, x in enumerate(inputs) if i not in skip])


_IN_META: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # see _record
_IN_META_MAX = 1024
_NO_VERSIONS = [(None,) * n for n in range(16)]


def _wrap_many(
    cls: type[OpNode], node: Any, outs: tuple[Any, ...], inputs: tuple[Any, ...], record: bool
) -> tuple[Tensor, ...]:
    """Wrap a multi-output forward; float outputs get the node with their output number."""
    arrays = [o if o.__class__ is _ndarray else _asarray(o) for o in outs]
    if not record:
        results = tuple(Tensor._make(a, False, None, 0) for a in arrays)
        _share_version(cls, results, inputs)
        return results
    _record(node, _with_edges(cls, inputs) if cls.no_edge else inputs)
    node.n_outputs = len(arrays)
    node.out_meta = tuple((a.shape, a.dtype) for a in arrays)
    results = tuple(
        Tensor._make(a, True, node, i) if a.dtype.kind == "f" else Tensor._make(a, False, None, 0)
        for i, a in enumerate(arrays)
    )
    if cls.save:
        values = tuple(inputs[i] for i in cls.save)
        if cls.save_for is not None:
            values = _only_needed(cls.save_for, node, values)
        save_inputs(node, values)
        node._site = user_site(3)
    _share_version(cls, results, inputs)
    return results


def _share_version(cls: type[OpNode], results: tuple[Tensor, ...], inputs: tuple[Any, ...]) -> None:
    if cls.view:
        vc = version_counter(inputs[0])
        node = results[0]._grad_fn if results else None
        name = None if node is None else node.name()
        for i, r in enumerate(results):
            r._vc = vc
            mark_view(r, inputs[0], (name, i))


def _scalar(x: Any, cls: type[OpNode] | None = None, position: int = 0) -> Any:
    """Python scalars pass through; NumPy scalars become Python scalars (weak, as in torch).
    Anything else is torch's TypeError naming the op and the argument (``input`` for the
    first, ``other`` for the second)."""
    if x is None or isinstance(x, _NUMBER_TYPES):
        return x
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x
    if cls is None:
        raise TypeError(f"expected Tensor or number as input, got {type(x).__name__}")
    arg = ("input", "other")[position] if position < 2 else f"input{position}"
    raise TypeError(
        f"{op_name(cls)}(): argument '{arg}' (position {position + 1}) must be Tensor, not "
        f"{type(x).__name__}"
    )


def _translate_value_error(exc: ValueError, arrays: list[Any]) -> Exception:
    """NumPy's broadcast error -> torch's RuntimeError naming the mismatched dimension."""
    if "broadcast" not in str(exc):
        return exc
    shapes = [a.shape for a in arrays if isinstance(a, np.ndarray)]
    if len(shapes) >= 2:
        a, b = shapes[0], shapes[1]
        for k in range(1, max(len(a), len(b)) + 1):
            da = a[-k] if k <= len(a) else 1
            db = b[-k] if k <= len(b) else 1
            if da != db and da != 1 and db != 1:
                dim = max(len(a), len(b)) - k
                return RuntimeError(
                    f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                    f"non-singleton dimension {dim}"
                )
    return RuntimeError(str(exc))


# --- in-place variants ------------------------------------------------------------------

LEAF_INPLACE_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."

_TYPE_NAMES = {
    "float16": "Half",
    "float32": "Float",
    "float64": "Double",
    "int8": "Char",
    "int16": "Short",
    "int32": "Int",
    "int64": "Long",
    "uint8": "Byte",
    "bool": "Bool",
}


PARTIAL_OVERLAP_MESSAGE = (
    "unsupported operation: some elements of the input tensor and the written-to tensor refer "
    "to a single memory location. Please clone() the tensor before performing the operation."
)
INTERNAL_OVERLAP_MESSAGE = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation."
)


def check_no_partial_overlap(t: Tensor, other: Tensor) -> None:
    """torch's check before an in-place op reads ``other``: when both are dense (their
    elements fill one block of memory, in any dim order) and their blocks overlap, they must
    be the same block seen the same way (``x.add_(x)``), else torch's error
    (``x[1:].sub_(x[:-1])``). Anything not dense is "too hard" to tell and allowed, as in
    torch (``x.sub_(x[:, 2:3])``)."""
    a, b = t._data, other._data
    if a is b or not a.size or not b.size or not np.may_share_memory(a, b):
        return
    if not (is_non_overlapping_and_dense(a) and is_non_overlapping_and_dense(b)):
        return
    a_lo, a_hi = _byte_range(a)
    b_lo, b_hi = _byte_range(b)
    if a_lo == b_lo and a_hi == b_hi:
        if a.strides == b.strides:
            return
        raise RuntimeError(PARTIAL_OVERLAP_MESSAGE)
    if a_lo < b_hi and b_lo < a_hi:
        raise RuntimeError(PARTIAL_OVERLAP_MESSAGE)


def is_non_overlapping_and_dense(a: np.ndarray) -> bool:
    """The elements fill one block of memory without gaps or repeats (any dim order)."""
    expected = a.itemsize
    for stride, n in sorted((abs(st), n) for n, st in zip(a.shape, a.strides) if n != 1):
        if stride != expected:
            return False
        expected *= n
    return True


def _byte_range(a: np.ndarray) -> tuple[int, int]:
    lo = hi = a.__array_interface__["data"][0]
    for n, st in zip(a.shape, a.strides):
        if st < 0:
            lo += (n - 1) * st
        else:
            hi += (n - 1) * st
    return lo, hi + a.itemsize


def memory_owner(data: np.ndarray) -> np.ndarray:
    """The array at the end of ``data``'s chain of bases (the one owning the memory),
    passing through the non-array objects NumPy's ``as_strided`` puts in the chain."""
    root, base = data, data.base
    while base is not None:
        if isinstance(base, np.ndarray):
            root = base
        base = getattr(base, "base", None)
    return root


def _check_no_internal_overlap(data: np.ndarray, overlap_ok: bool = False) -> None:
    """torch's first check of an in-place op's output (before shapes and dtypes): no dim is
    expanded (stride 0, size > 1), unless the op allows it (``overlap_ok``) or it is empty."""
    if overlap_ok or not data.size:
        return
    if any(st == 0 and n > 1 for n, st in zip(data.shape, data.strides)):
        raise RuntimeError(INTERNAL_OVERLAP_MESSAGE)


def write_through_base(data: np.ndarray, values: np.ndarray, overlap_ok: bool = False) -> None:
    """Write into ``data``, a read-only view of writable memory (a slice of an expanded
    tensor that picks each element once): through the array owning the memory. A view with
    an expanded dim (stride 0, size > 1) is refused as torch refuses it, unless
    ``overlap_ok`` (see ``commit_inplace``)."""
    if not overlap_ok and any(st == 0 and n > 1 for n, st in zip(data.shape, data.strides)):
        raise RuntimeError(INTERNAL_OVERLAP_MESSAGE)
    root = memory_owner(data)
    if not root.flags.writeable:
        raise RuntimeError(INTERNAL_OVERLAP_MESSAGE)
    flat = positions(root, data).ravel()
    root.flat[flat] = np.broadcast_to(values, data.shape).astype(data.dtype, copy=False).ravel()


def check_inplace(t: Tensor, *operands: Any) -> None:
    """torch's refusals of an in-place op on ``t`` that would record a graph (grad mode on,
    ``t`` or a tensor among ``operands`` requires grad), made before the op looks at its
    arguments, as torch does (``leaf[0:2].add_(zeros(3))`` is the view error, not the shape
    error): a leaf that requires grad; a view of one, a view made in no_grad mode, an output
    of a multi-output view op (``check_view_inplace``). ``commit_inplace`` checks views again
    for the in-place paths that do not pass their operands here."""
    if not _state.grad_enabled:
        return
    if t._view is None:
        if t._grad_fn is None and t._rg:
            raise RuntimeError(LEAF_INPLACE_MESSAGE)
        return
    if refresh_view_requires_grad(t) or any(
        isinstance(o, Tensor) and (o._rg or (o._view is not None and refresh_view_requires_grad(o)))
        for o in operands
    ):
        check_view_inplace(t)


def commit_inplace(
    self: Tensor,
    result: Tensor,
    overlap_ok: bool = False,
    write: Callable[[np.ndarray], None] | None = None,
) -> Tensor:
    """Write ``result`` into ``self``'s memory and make ``self`` the op's output.

    The node that computed ``result`` saw ``self`` as an input; if it saved it, it gets a
    snapshot of the old values, since they are about to be overwritten. ``self``'s history
    moves onto the node (torch's rebase), and its version counter is bumped.

    ``overlap_ok``: ``self`` may be an expanded tensor (elements sharing memory), as torch
    allows for writes of one value everywhere (``fill_``, ``zero_``, ``x[i] = 0``) and for
    ``copy_`` of itself.

    ``write``: writes into ``self``'s memory in place of copying ``result`` there (the
    deprecated writes into an expanded tensor, ``ops/inplace_expanded.py``).
    """
    data = self._data
    if result._data.shape != data.shape:
        _check_no_internal_overlap(data, overlap_ok)  # (torch's first check)
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, data.shape))}] doesn't match the broadcast "
            f"shape [{', '.join(map(str, result._data.shape))}]"
        )
    src_dtype = result.dtype
    if src_dtype is not self.dtype and not _dtype.can_cast(src_dtype, self.dtype):
        _check_no_internal_overlap(data, overlap_ok)
        raise RuntimeError(
            f"result type {_TYPE_NAMES[src_dtype.name]} can't be cast to the desired output "
            f"type {_TYPE_NAMES[self.dtype.name]}"
        )
    node = result._grad_fn
    if node is not None and self._view is not None:
        check_view_inplace(self)  # torch's refusals (view of a leaf, no_grad or multi views)
    if node is not None and any(s is self for s in node._saved):
        # Note: as torch, only ``self`` as the op's own input 0 is kept as its old value;
        # the same tensor passed again as another operand (``y.mul_(y)``) stays saved as
        # itself, and backward then raises torch's "modified by an inplace operation".
        slots = getattr(type(node), "save", None)
        snapshot = Tensor._make(data.copy(), self._rg, self._grad_fn, self._output_nr)
        node._saved = tuple(
            snapshot if s is self and (slots is None or k >= len(slots) or slots[k] == 0) else s
            for k, s in enumerate(node._saved)
        )
        node._saved_versions = tuple(
            0 if s is snapshot else v for s, v in zip(node._saved, node._saved_versions or ())
        )
        version_counter(snapshot)
    if write is not None:
        write(data)
    elif data.flags.writeable:
        data[...] = result._data
    elif data.size:  # (an empty expanded tensor is read-only to NumPy, but holds nothing)
        write_through_base(data, result._data, overlap_ok)
    self._bump_version()
    if _dual.depth:
        forward_ad.commit_tangents(self, result)
    if node is not None:
        if self._view is not None:  # the base's history is rewritten (CopySlices)
            if node._out_saved is not None:
                save_output(node, self, result._output_nr)
            rebase_view(self, node)
            return self
        had_graph = self._grad_fn is not None
        self._grad_fn = node
        self._output_nr = result._output_nr
        self._rg = True
        if node._out_saved is not None:
            save_output(node, self, result._output_nr)
        if had_graph and data.ndim == 0:
            check_accumulation(node)  # the `running_loss += loss` leak (graph_summary.py)
    return self


def make_inplace(fn: Callable[..., Tensor], checked: bool = True) -> Callable[..., Tensor]:
    """``Tensor.fn_``: the out-of-place ``fn`` written back into ``self``.

    ``checked``: torch refuses the op on a leaf that requires grad, a view of one, ... before
    anything else (``check_inplace``); False for the ops torch never records and lets through
    (``logical_and_``: its result is the 0/1 truth value, whatever ``self`` is)."""

    def inplace(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        if checked and _state.grad_enabled:  # (check_inplace, the common case inlined)
            if self._view is not None:
                check_inplace(self, *args, *kwargs.values())
            elif self._grad_fn is None and self._rg:
                raise RuntimeError(LEAF_INPLACE_MESSAGE)
        for a in args:
            if isinstance(a, Tensor):
                check_no_partial_overlap(self, a)
        try:
            out = fn(self, *args, **kwargs)
        except RuntimeError:  # torch refuses an expanded ``self`` before the shapes, dtypes
            _check_no_internal_overlap(self._data)
            raise
        return commit_inplace(self, out)

    inplace.__name__ = fn.__name__ + "_"
    inplace.__qualname__ = "Tensor." + inplace.__name__
    inplace.__doc__ = f"In-place version of :func:`{fn.__name__}`."
    return inplace


_OPERANDS = (Tensor, int, float, bool, np.generic)
_OPERAND_CLASSES = frozenset({Tensor, int, float, bool})  # the common ones, by class: cheaper


def _binary_dunder(fn: Callable[..., Tensor], reflected: bool) -> Callable[..., Any]:
    """An operator method; NotImplemented for operands that are neither tensors nor numbers."""
    if reflected:

        def op(self: Tensor, other: Any) -> Any:
            kind = other.__class__
            if kind not in _OPERAND_CLASSES and not isinstance(other, _OPERANDS):
                return NotImplemented
            return fn(other, self)

    else:

        def op(self: Tensor, other: Any) -> Any:
            kind = other.__class__
            if kind not in _OPERAND_CLASSES and not isinstance(other, _OPERANDS):
                return NotImplemented
            return fn(self, other)

    return op


def register(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    function: bool = True,
    method: bool = True,
    dunders: tuple[str, ...] = (),
    rdunders: tuple[str, ...] = (),
    inplace: bool = False,
    inplace_checked: bool = True,
    aliases: tuple[str, ...] = (),
) -> Any:
    """Publish ``fn`` as ``dyngrad.<name>`` and ``Tensor.<name>``, and its operators.

    ``dunders`` get ``fn(self, other)``; ``rdunders`` get ``fn(other, self)`` (reflected
    operators whose op is not commutative). ``inplace`` adds ``Tensor.<name>_`` and, for
    every dunder ``__op__``, ``__iop__`` (``inplace_checked``: see ``make_inplace``).
    """

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        key = name or f.__name__
        for n in (key, *aliases):
            if function:
                FUNCTIONS[n] = f
            if method:
                setattr(Tensor, n, f)
        for d in dunders:
            setattr(Tensor, d, _binary_dunder(f, reflected=False) if d not in _UNARY else f)
        for d in rdunders:
            setattr(Tensor, d, _binary_dunder(f, reflected=True))
        if inplace:
            ip = make_inplace(f, inplace_checked)
            for n in (key, *aliases):
                setattr(Tensor, n + "_", ip)
            for d in dunders:
                if d not in _UNARY and not d.startswith("__r"):
                    setattr(Tensor, "__i" + d[2:], ip)
        return f

    return decorate(fn) if fn is not None else decorate


_UNARY = {"__neg__", "__abs__", "__invert__", "__pos__"}


def public_node_types() -> dict[str, type[Node]]:
    """Every registered op node class by name (for the coverage test and introspection)."""
    out: dict[str, type[Node]] = {}
    stack: list[type[Node]] = [OpNode]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            out[sub.__name__] = sub
            stack.append(sub)
    return out
