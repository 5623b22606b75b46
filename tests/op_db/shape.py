"""Op table entries for shape ops: views (reshape/view/flatten/expand/squeeze/permute/...),
plus the joining/splitting and rearranging/converting families (``shape_join.py``,
``shape_rearrange.py``). Basic indexing has its own table (``indexing.py``).

Non-contiguous inputs: a 2-D array built as ``arr(...).T`` reaches the op as a transposed
tensor; for more dims the op lambda transposes first (the same on both modules).
Identity results (an op that returns its input) are checked on a non-leaf input (``a * 1``)
so that "no graph under no_grad" still holds for them.
"""

from __future__ import annotations

import warnings

from . import OpInfo, Sample, arr
from .shape_join import OPS as JOIN_OPS
from .shape_rearrange import OPS as REARRANGE_OPS


def _one(shape):  # type: ignore[no-untyped-def]
    return lambda rng, dt: [Sample((arr(rng, shape, dt),))]


def nc(rng, shape, dt):  # type: ignore[no-untyped-def]
    """A non-contiguous (transposed) 2-D array of ``shape``."""
    return arr(rng, shape[::-1], dt).T


def samples(*specs):  # type: ignore[no-untyped-def]
    """``(shape_or_maker, kwargs, name)`` triples -> a sample generator. A shape becomes one
    array input; a callable ``maker(rng, dt)`` returns the tuple of inputs."""

    def gen(rng, dt):  # type: ignore[no-untyped-def]
        out = []
        for spec, kwargs, name in specs:
            args = spec(rng, dt) if callable(spec) else (arr(rng, spec, dt),)
            out.append(Sample(tuple(args), dict(kwargs), name=name))
        return out

    return gen


def _nc(shape):  # type: ignore[no-untyped-def]
    return lambda rng, dt: (nc(rng, shape, dt),)


_reshape_samples = samples(
    ((3, 4), {"shape": (6, -1)}, "contiguous"),
    ((3, 4), {"shape": (3, 4)}, "same-shape"),
    (_nc((3, 4)), {"shape": (12,)}, "non-contiguous-copy"),
    (_nc((3, 4)), {"shape": (3, 4)}, "non-contiguous-same"),
    (_nc((3, 4)), {"shape": (3, 2, 2)}, "non-contiguous-view"),
    ((), {"shape": (1, 1)}, "0-d"),
    ((1,), {"shape": ()}, "to-0-d"),
    ((0, 3), {"shape": (3, 0)}, "empty"),
    ((0, 3), {"shape": (-1,)}, "empty-infer"),
    ((3, 4), {"shape": (5, -1)}, "error-size"),
    ((3, 4), {"shape": (-1, -1)}, "error-two-infer"),
    ((3, 4), {"shape": (-2, 6)}, "error-negative"),
    ((0, 3), {"shape": (-1, 0)}, "error-ambiguous"),
)

_view_samples = samples(
    ((3, 4), {"shape": (2, 2, 3)}, "contiguous"),
    ((3, 4), {"shape": (-1,)}, "flat"),
    (_nc((3, 4)), {"shape": (12,)}, "error-non-contiguous"),
    (_nc((3, 4)), {"shape": (2, 2, 3)}, "non-contiguous-splits-a-dim"),
    (_nc((3, 4)), {"shape": (1, 3, 1, 2, 2, 1)}, "non-contiguous-size-1-dims"),
    (_nc((3, 4)), {"shape": (1, 4, 1, 3, 1)}, "error-non-contiguous-size-1-dims"),
    ((), {"shape": (1,)}, "0-d"),
    ((0, 3), {"shape": (3, 0, 1)}, "empty"),
    ((3, 4), {"shape": (2, 5)}, "error-size"),
)


def _view_of_view(m, a, case):  # type: ignore[no-untyped-def]
    """Views of strided views: a column slice, an expanded tensor, a permuted 3-D tensor."""
    if case == "column":
        return a[:, :1].view(3)
    if case == "part":
        return a[:, :2].view(3, 1, 2)
    if case == "part-merge":
        return a[:, :2].view(6)
    if case == "step-merge":
        return a[:, ::2].view(6)
    if case == "expand":
        return a.expand(2, 3, 4).view(2, 12)
    if case == "expand-merge":
        return a.expand(2, 3, 4).view(24)
    return a.reshape(2, 3, 2).permute(2, 0, 1).view(2, 6)


def _reshape_of_view(m, a, case):  # type: ignore[no-untyped-def]
    if case == "column":
        return a[:, :1].reshape(3)
    if case == "expand":
        return a.expand(2, 3, 4).reshape(2, 12)
    if case == "expand-copy":
        return a.expand(2, 3, 4).reshape(6, 4)
    return a.reshape(2, 3, 2).permute(2, 0, 1).reshape(2, 6)


_strided_cases = samples(*[((3, 4), {"case": c}, c) for c in
                           ("column", "part", "part-merge", "step-merge", "expand", "expand-merge", "permuted")])  # fmt: skip
_strided_reshape_cases = samples(*[((3, 4), {"case": c}, c) for c in
                                   ("column", "expand", "expand-copy", "permuted")])  # fmt: skip


def _pair(a_shape, b_shape):  # type: ignore[no-untyped-def]
    return lambda rng, dt: (arr(rng, a_shape, dt), arr(rng, b_shape, dt))


_flatten_samples = samples(
    ((2, 3, 4), {}, "all"),
    ((2, 3, 4), {"start_dim": 1}, "start"),
    ((2, 3, 4), {"start_dim": -3, "end_dim": -2}, "negative"),
    ((), {}, "0-d"),
    ((0, 3), {}, "empty"),
    (_nc((3, 4)), {}, "non-contiguous"),
    ((2, 3, 4), {"start_dim": 2, "end_dim": 1}, "error-order"),
    ((2, 3, 4), {"start_dim": 3}, "error-dim"),
)

_unflatten_samples = samples(
    ((2, 12), {"dim": 1, "sizes": (3, 4)}, "basic"),
    ((2, 12), {"dim": -1, "sizes": (2, -1, 3)}, "infer"),
    (_nc((4, 6)), {"dim": 0, "sizes": (3, 2)}, "non-contiguous"),
    ((0, 4), {"dim": 1, "sizes": (2, 2)}, "empty"),
    ((2, 12), {"dim": 1, "sizes": (5, -1)}, "error-size"),
    ((2, 12), {"dim": 1, "sizes": ()}, "error-empty-sizes"),
    ((2, 12), {"dim": 1, "sizes": (-1, -1)}, "error-two-infer"),
    ((), {"dim": 0, "sizes": (1,)}, "error-0-d"),
)

_expand_samples = samples(
    ((3, 1), {"size": (2, 3, 4)}, "new-dims"),
    ((3, 1), {"size": (-1, 5)}, "keep-dim"),
    ((), {"size": (2, 3)}, "0-d"),
    (_nc((1, 4)), {"size": (3, 4)}, "non-contiguous"),
    ((0, 1), {"size": (0, 3)}, "empty"),
    ((3, 4), {"size": (3, 4)}, "same"),
    ((3, 1), {"size": (4,)}, "error-fewer-sizes"),
    ((3, 2), {"size": (3, 4)}, "error-mismatch"),
    ((3, 1), {"size": (-1, 3, 1)}, "error-new-dim-minus-one"),
)

_bt_samples = samples(
    (lambda rng, dt: (arr(rng, (3, 1), dt), arr(rng, (4,), dt), arr(rng, (2, 1, 1), dt)), {},
     "three"),
    (_pair((), (2, 3)), {}, "0-d"),
    (lambda rng, dt: (nc(rng, (3, 1), dt), arr(rng, (1, 4), dt)), {}, "non-contiguous"),
    (_pair((0, 1), (3,)), {}, "empty"),
    (_pair((3, 4), (3, 4)), {}, "same-shape"),
    (_pair((2, 3), (2, 3, 4)), {}, "error"),
)  # fmt: skip

_squeeze_samples = samples(
    ((3, 1, 4, 1), {}, "all"),
    ((3, 1, 4), {"dim": 1}, "dim"),
    ((3, 1, 4), {"dim": -3}, "dim-not-size-1"),
    ((3, 1, 4, 1), {"dim": (1, -1)}, "dims"),
    ((3, 1, 4, 1), {"dim": [0, 3]}, "dims-list"),
    ((), {"dim": 0}, "0-d-dim"),
    ((), {}, "0-d"),
    ((0, 1), {}, "empty"),
    (_nc((1, 4)), {"dim": 0}, "non-contiguous"),
    ((3, 1, 4), {"dim": (1, -2)}, "error-repeated"),
    ((3, 1, 4), {"dim": 3}, "error-dim"),
)

_unsqueeze_samples = samples(
    ((3, 4), {"dim": -1}, "last"),
    ((3, 4), {"dim": 1}, "middle"),
    ((), {"dim": 0}, "0-d"),
    ((0, 3), {"dim": 0}, "empty"),
    (_nc((3, 4)), {"dim": 1}, "non-contiguous"),
    ((3, 4), {"dim": 3}, "error-dim"),
)

_permute_samples = samples(
    ((2, 3, 4), {"dims": (2, 0, 1)}, "basic"),
    ((2, 3, 4), {"dims": (-1, 0, -2)}, "negative"),
    ((), {"dims": ()}, "0-d"),
    ((0, 3), {"dims": (1, 0)}, "empty"),
    (_nc((3, 4)), {"dims": (1, 0)}, "non-contiguous"),
    ((2, 3, 4), {"dims": (2, 0)}, "error-count"),
    ((2, 3, 4), {"dims": (2, 0, 0)}, "error-repeated"),
    ((2, 3, 4), {"dims": (3, 0, 1)}, "error-dim"),
)

_movedim_samples = samples(
    ((2, 3, 4), {"source": 0, "destination": 2}, "int"),
    ((2, 3, 4), {"source": -1, "destination": 0}, "negative"),
    ((2, 3, 4), {"source": (0, 1), "destination": (2, 0)}, "tuple"),
    ((2, 3, 4), {"source": [0, 1], "destination": [-1, -2]}, "list"),
    ((2, 3, 4), {"source": 1, "destination": 1}, "same"),
    ((), {"source": 0, "destination": 0}, "0-d"),
    (_nc((3, 4)), {"source": 0, "destination": 1}, "non-contiguous"),
    ((2, 3, 4), {"source": (0, 1), "destination": (2,)}, "error-count"),
    ((2, 3, 4), {"source": (0, 0), "destination": (1, 2)}, "error-repeated-source"),
    ((2, 3, 4), {"source": (0, 1), "destination": (2, -1)}, "error-repeated-destination"),
    ((2, 3, 4), {"source": 3, "destination": 0}, "error-dim"),
)

_transpose_samples = samples(
    ((2, 3, 4), {"dim0": 0, "dim1": 2}, "basic"),
    ((2, 3, 4), {"dim0": -1, "dim1": -2}, "negative"),
    ((), {"dim0": 0, "dim1": -1}, "0-d"),
    ((4,), {"dim0": 0, "dim1": 0}, "1-d"),
    ((0, 3), {"dim0": 0, "dim1": 1}, "empty"),
    (_nc((3, 4)), {"dim0": 0, "dim1": 1}, "non-contiguous"),
    ((3, 4), {"dim0": 0, "dim1": 2}, "error-dim"),
)


def _quiet(op):  # type: ignore[no-untyped-def]
    """``op`` without torch's deprecation UserWarnings (tests/test_shape_views.py checks them)."""

    def run(m, *args, **kwargs):  # type: ignore[no-untyped-def]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "(Tensor.|The use of `x.T`|adjoint).*", UserWarning)
            return op(m, *args, **kwargs)

    return run


_matrix_samples = samples(
    ((3, 4), {}, "2-d"),
    ((2, 3, 4), {}, "3-d"),
    (_nc((3, 4)), {}, "non-contiguous"),
    ((0, 3), {}, "empty"),
    ((4,), {}, "1-d"),
    ((), {}, "0-d"),
)

OPS = [
    OpInfo("reshape", lambda m, a, shape: a.reshape(shape), _reshape_samples,
           ("ViewBackward0", "ReshapeAliasBackward0", "UnsafeViewBackward0", "CloneBackward0")),
    OpInfo("reshape_fn_varargs", lambda m, a: m.reshape(a, (2, -1)), _one((3, 4)), ("ViewBackward0",)),
    OpInfo("reshape_float_size", lambda m, a: a.reshape(2.0, 6), _one((3, 4))),
    OpInfo("reshape_strided", _reshape_of_view, _strided_reshape_cases,
           ("ReshapeAliasBackward0", "UnsafeViewBackward0")),
    OpInfo("view", lambda m, a, shape: a.view(*shape), _view_samples, ("ViewBackward0",)),
    OpInfo("view_strided", _view_of_view, _strided_cases, ("ViewBackward0",)),
    OpInfo("view_as", lambda m, a, b: a.view_as(b), samples(
        (_pair((3, 4), (2, 6)), {}, "basic"), (_pair((3, 4), (5,)), {}, "error"))),
    OpInfo("reshape_as", lambda m, a, b: a.reshape_as(b), samples(
        (lambda rng, dt: (nc(rng, (3, 4), dt), arr(rng, (12,), dt)), {}, "non-contiguous"),
        (_pair((3, 4), (2, 6)), {}, "basic"))),
    OpInfo("flatten", lambda m, a, **k: m.flatten(a, **k), _flatten_samples, ("ViewBackward0",)),
    OpInfo("flatten_same_dim", lambda m, a: (a * 1).flatten(1, 1), _one((2, 3, 4)),
           ("MulBackward0",)),
    OpInfo("unflatten", lambda m, a, dim, sizes: a.unflatten(dim, sizes), _unflatten_samples,
           ("ViewBackward0",)),
    OpInfo("expand", lambda m, a, size: a.expand(*size), _expand_samples, ("ExpandBackward0",)),
    OpInfo("expand_as", lambda m, a, b: a.expand_as(b), samples((_pair((3, 1), (2, 3, 4)), {}, ""))),
    OpInfo("broadcast_to", lambda m, a, size: m.broadcast_to(a, size), _expand_samples),
    OpInfo("broadcast_tensors", lambda m, *xs: m.broadcast_tensors(*(x * 1 for x in xs)), _bt_samples,
           ("ExpandBackward0",)),
    OpInfo("unsqueeze", lambda m, a, dim: a.unsqueeze(dim), _unsqueeze_samples,
           ("UnsqueezeBackward0",)),
    OpInfo("squeeze", lambda m, a, **k: m.squeeze(a, **k), _squeeze_samples,
           ("SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2")),
    OpInfo("matmul_vec_mat", lambda m, a: m.matmul(a[0], a), _one((3, 3)), ("SqueezeBackward4",)),
    OpInfo("permute", lambda m, a, dims: a.permute(*dims), _permute_samples, ("PermuteBackward0",)),
    OpInfo("permute_fn_tuple", lambda m, a, dims: m.permute(a, dims), _permute_samples),
    OpInfo("movedim", lambda m, a, **k: m.movedim(a, **k), _movedim_samples,
           ("PermuteBackward0", "AliasBackward0")),
    OpInfo("moveaxis", lambda m, a, **k: a.moveaxis(k["source"], k["destination"]), _movedim_samples),
    OpInfo("transpose", lambda m, a, **k: a.transpose(**k), _transpose_samples,
           ("TransposeBackward0",)),
    OpInfo("swapaxes", lambda m, a, dim0, dim1: m.swapaxes(a, dim0, dim1), _transpose_samples),
    OpInfo("swapdims", lambda m, a, dim0, dim1: a.swapdims(dim0, dim1), _transpose_samples),
    OpInfo("t", lambda m, a: a.t(), samples(((3, 4), {}, "2-d"), ((3,), {}, "1-d"),
                                           ((), {}, "0-d"), (_nc((3, 4)), {}, "non-contiguous"),
                                           ((2, 3, 4), {}, "error-3-d")), ("TBackward0",)),
    OpInfo("T", _quiet(lambda m, a: a.T), _matrix_samples, ("PermuteBackward0",)),
    OpInfo("mT", _quiet(lambda m, a: (a * 1).mT), _matrix_samples, ("TransposeBackward0",)),
    OpInfo("mH", _quiet(lambda m, a: (a * 1).mH), _matrix_samples, ("TransposeBackward0",)),
    OpInfo("H", _quiet(lambda m, a: (a * 1).H), _matrix_samples, ("TransposeBackward0",)),
    OpInfo("adjoint", _quiet(lambda m, a: m.adjoint(a * 1)), _matrix_samples,
           ("TransposeBackward0",)),
    OpInfo("iter", lambda m, a: tuple(a), _one((3, 4)), ("UnbindBackward0",)),
]  # fmt: skip

OPS += JOIN_OPS + REARRANGE_OPS
