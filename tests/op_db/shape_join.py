"""Op table entries for joining and splitting: cat/stack/hstack/..., split/chunk/tensor_split,
unbind, atleast_nd (listed in the shape family by ``shape.py``)."""

from __future__ import annotations

import numpy as np

from . import OpInfo, Sample, arr


def nc(rng, shape, dt):  # type: ignore[no-untyped-def]
    """A non-contiguous (transposed) 2-D array of ``shape``."""
    return arr(rng, shape[::-1], dt).T


def _arrays(*shapes):  # type: ignore[no-untyped-def]
    """Inputs of the given shapes; ``("nc", shape)`` makes a transposed one, ``("int", shape)``
    an int64 one (for type promotion)."""

    def make(rng, dt):  # type: ignore[no-untyped-def]
        out = []
        for s in shapes:
            if s and s[0] == "nc":
                out.append(nc(rng, s[1], dt))
            elif s and s[0] == "int":
                out.append(arr(rng, s[1], np.int64))
            else:
                out.append(arr(rng, s, dt))
        return tuple(out)

    return make


def _arrays_one(shape):  # type: ignore[no-untyped-def]
    return lambda rng, dt: [Sample((arr(rng, shape, dt),))]


def _cat_error(m, case, *xs):  # type: ignore[no-untyped-def]
    if isinstance(case, str):  # a generator is not a sequence of tensors
        return m.cat(x for x in xs)
    return m.cat(case)


def samples(*specs):  # type: ignore[no-untyped-def]
    def gen(rng, dt):  # type: ignore[no-untyped-def]
        return [Sample(make(rng, dt), dict(kw), name=name) for make, kw, name in specs]

    return gen


_cat_samples = samples(
    (_arrays((2, 3), (4, 3)), {}, "dim0"),
    (_arrays((2, 3), (2, 1), (2, 4)), {"dim": -1}, "three-dim-1"),
    (_arrays((2, 3), (0,)), {}, "legacy-empty-1-d"),
    (_arrays((0,), (2, 3)), {"dim": 1}, "legacy-empty-first"),
    (_arrays((0,), (0,)), {"dim": 1}, "all-empty-1-d"),
    (_arrays((2, 3), (0, 3)), {}, "empty-2-d"),
    (_arrays(("nc", (3, 2)), ("nc", (3, 4))), {"dim": 1}, "non-contiguous"),
    (_arrays((2, 3), ("int", (1, 3))), {}, "promote-int"),
    (_arrays((2, 3)), {}, "one"),
    (_arrays((2, 3), (2, 4)), {}, "error-sizes"),
    (_arrays((2, 3), (2, 3, 1)), {}, "error-ndim"),
    (_arrays((2, 3), (0, 4)), {}, "error-empty-2-d-sizes"),
    (_arrays((2, 3), ()), {}, "error-0-d"),
    (_arrays((2, 3), (2, 3)), {"dim": 2}, "error-dim"),
)

_stack_samples = samples(
    (_arrays((3, 4), (3, 4)), {"dim": 1}, "dim1"),
    (_arrays((3, 4), (3, 4), (3, 4)), {"dim": -1}, "negative"),
    (_arrays((), ()), {}, "0-d"),
    (_arrays((0, 2), (0, 2)), {}, "empty"),
    (_arrays(("nc", (3, 4)), (3, 4)), {}, "non-contiguous"),
    (_arrays((3, 4), ("int", (3, 4))), {}, "promote-int"),
    (_arrays((3, 4), (3, 5)), {}, "error-shapes"),
    (_arrays((3, 4), (3, 4)), {"dim": 3}, "error-dim"),
)

_nd_stack_samples = samples(
    (_arrays((), ()), {}, "0-d"),
    (_arrays((3,), (3,)), {}, "1-d"),
    (_arrays((2, 3), (2, 3)), {}, "2-d"),
    (_arrays(("nc", (2, 3)), (2, 3)), {}, "non-contiguous"),
    (_arrays((2, 3, 4), (2, 3, 4)), {}, "3-d"),
    (_arrays((2, 3), (2, 3, 4)), {}, "error-ndim"),
)

_column_stack_samples = samples(
    (_arrays((3,), (3, 2), ()), {}, "mixed"),
    (_arrays((), ()), {}, "0-d"),
    (_arrays((2, 3, 4), (2, 1, 4)), {}, "3-d"),
    (_arrays(("nc", (3, 2)), (3,)), {}, "non-contiguous"),
    (_arrays((3,), (4,)), {}, "error-lengths"),
)

_atleast_samples = samples(
    (_arrays(()), {}, "0-d"),
    (_arrays((3,)), {}, "1-d"),
    (_arrays((2, 3)), {}, "2-d"),
    (_arrays((2, 3, 4)), {}, "3-d"),
    (_arrays(("nc", (2, 3))), {}, "non-contiguous"),
    (_arrays((), (3,), (2, 3)), {}, "several"),
)


def _atleast(name):  # type: ignore[no-untyped-def]
    def op(m, *xs):  # type: ignore[no-untyped-def]
        xs = tuple(x * 1 for x in xs)  # inputs returned as they are are non-leaves here
        return getattr(m, name)(xs[0]) if len(xs) == 1 else getattr(m, name)(*xs)

    return op


_split_samples = samples(
    (_arrays((5, 3)), {"split_size_or_sections": 2}, "uneven"),
    (_arrays((4, 6)), {"split_size_or_sections": 3, "dim": -1}, "negative-dim"),
    (_arrays((4, 6)), {"split_size_or_sections": 10, "dim": 1}, "bigger-than-dim"),
    (_arrays((4, 6)), {"split_size_or_sections": [1, 2, 3], "dim": 1}, "sizes"),
    (_arrays((4, 6)), {"split_size_or_sections": (4, 0, 2), "dim": 1}, "sizes-with-0"),
    (_arrays(("nc", (4, 6))), {"split_size_or_sections": 2}, "non-contiguous"),
    (_arrays((0, 3)), {"split_size_or_sections": 2}, "empty"),
    (_arrays((0, 3)), {"split_size_or_sections": 0}, "empty-size-0"),
    (_arrays((4, 6)), {"split_size_or_sections": 0}, "error-size-0"),
    (_arrays((4, 6)), {"split_size_or_sections": -1}, "error-negative"),
    (_arrays((4, 6)), {"split_size_or_sections": [1, 2]}, "error-sum"),
    (_arrays((4, 6)), {"split_size_or_sections": [5, -1]}, "error-negative-size"),
    (_arrays(()), {"split_size_or_sections": 1}, "error-0-d"),
    (_arrays((4, 6)), {"split_size_or_sections": 2, "dim": 2}, "error-dim"),
)

_chunk_samples = samples(
    (_arrays((6, 3)), {"chunks": 3}, "even"),
    (_arrays((2, 3, 4)), {"chunks": 3, "dim": 2}, "uneven"),
    (_arrays((2, 3)), {"chunks": 5, "dim": -1}, "more-chunks-than-elements"),
    (_arrays(("nc", (4, 3))), {"chunks": 2}, "non-contiguous"),
    (_arrays((0, 3)), {"chunks": 2}, "empty"),
    (_arrays((2, 3)), {"chunks": 0}, "error-chunks"),
    (_arrays(()), {"chunks": 1}, "error-0-d"),
)


def _tensor_split_op(m, a, spec, dim=0):  # type: ignore[no-untyped-def]
    if isinstance(spec, tuple) and spec and spec[0] == "tensor":
        spec = m.tensor(spec[1])
    return a.tensor_split(spec, dim)


_tensor_split_samples = samples(
    (_arrays((2, 7)), {"spec": 3, "dim": 1}, "sections-uneven"),
    (_arrays((2, 3)), {"spec": 4, "dim": -1}, "more-sections"),
    (_arrays((5, 2)), {"spec": [1, 4]}, "indices"),
    (_arrays((2, 3)), {"spec": [2, 1], "dim": 1}, "indices-reversed"),
    (_arrays((2, 3)), {"spec": [1, 5], "dim": 1}, "indices-past-end"),
    (_arrays((2, 3)), {"spec": ("tensor", [1]), "dim": 1}, "tensor-indices"),
    (_arrays((2, 3)), {"spec": ("tensor", 2), "dim": 1}, "tensor-sections"),
    (_arrays(("nc", (4, 3))), {"spec": 2}, "non-contiguous"),
    (_arrays((0, 3)), {"spec": 2}, "empty"),
    (_arrays((2, 3)), {"spec": 0}, "error-sections"),
    (_arrays((2, 3)), {"spec": ("tensor", [[1]])}, "error-2-d-tensor"),
    (_arrays((2, 3)), {"spec": ("tensor", [1.0])}, "error-float-tensor"),
    (_arrays(()), {"spec": 2}, "error-0-d"),
)

_unbind_samples = samples(
    (_arrays((3, 4)), {"dim": 1}, "dim1"),
    (_arrays((2, 3, 4)), {"dim": -1}, "negative"),
    (_arrays(("nc", (3, 4))), {}, "non-contiguous"),
    (_arrays((2, 0)), {}, "empty-slices"),
    (_arrays(()), {}, "error-0-d"),
    (_arrays((3, 4)), {"dim": 2}, "error-dim"),
)

_JOIN = ("float32", "float64", "int64", "int32", "bool")  # dtypes for the dtype-only checks

OPS = [
    OpInfo("cat", lambda m, *xs, **k: m.cat(list(xs), **k), _cat_samples, ("CatBackward0",)),
    OpInfo("cat_tuple_concat", lambda m, *xs, **k: m.concat(xs, **k), _cat_samples),
    OpInfo("concatenate", lambda m, *xs, dim=0: m.concatenate(xs, axis=dim), _cat_samples),
    OpInfo("cat_dtypes", lambda m, a, b: m.cat([a, b.to(m.int64)]), samples(
        (_arrays((2, 3), (1, 3)), {}, "with-int64")), dtypes=_JOIN, grad=False, gradcheck=False,
        gradgrad=False),
    OpInfo("cat_errors", _cat_error,
           lambda rng, dt: [Sample(([],), name="empty-list"),
                            Sample((arr(rng, (2, 3), dt),), name="tensor-not-list"),
                            Sample(([np.ones(3)],), name="element-not-tensor"),
                            Sample(("gen", arr(rng, (2, 3), dt)), name="generator")]),
    OpInfo("stack", lambda m, *xs, **k: m.stack(xs, **k), _stack_samples, ("StackBackward0",)),
    OpInfo("stack_empty", lambda m: m.stack([]), lambda rng, dt: [Sample(())]),
    OpInfo("hstack", lambda m, *xs: m.hstack(xs), _nd_stack_samples, ("CatBackward0",)),
    OpInfo("vstack", lambda m, *xs: m.vstack(list(xs)), _nd_stack_samples, ("CatBackward0",)),
    OpInfo("dstack", lambda m, *xs: m.dstack(xs), _nd_stack_samples, ("CatBackward0",)),
    OpInfo("column_stack", lambda m, *xs: m.column_stack(xs), _column_stack_samples,
           ("CatBackward0",)),
    OpInfo("nd_stack_empty", lambda m, name: getattr(m, name)([]),
           lambda rng, dt: [Sample((n,), name=n) for n in ("hstack", "vstack", "dstack",
                                                            "column_stack")]),
    OpInfo("atleast_1d", _atleast("atleast_1d"), _atleast_samples, ("ViewBackward0",)),
    OpInfo("atleast_2d", _atleast("atleast_2d"), _atleast_samples,
           ("ViewBackward0", "UnsqueezeBackward0")),
    OpInfo("atleast_3d", _atleast("atleast_3d"), _atleast_samples,
           ("ViewBackward0", "UnsqueezeBackward0")),
    OpInfo("atleast_3d_list", lambda m, a, b: m.atleast_3d([a * 1, b * 1]),
           samples((_arrays((3,), (2, 2)), {}, "list"))),
    OpInfo("unbind", lambda m, a, **k: a.unbind(**k), _unbind_samples, ("UnbindBackward0",)),
    OpInfo("split", lambda m, a, **k: m.split(a, **k), _split_samples,
           ("SplitBackward0", "SplitWithSizesBackward0")),
    OpInfo("split_method", lambda m, a, **k: a.split(k["split_size_or_sections"], k.get("dim", 0)),
           _split_samples),
    OpInfo("split_with_sizes", lambda m, a: a.split_with_sizes([1, 3], 1),
           lambda rng, dt: [Sample((arr(rng, (2, 4), dt),))], ("SplitWithSizesBackward0",)),
    # multi-output nodes where only some outputs get a gradient (the rest count as zeros)
    OpInfo("split_first_piece", lambda m, a: a.split(2, 1)[0], _arrays_one((3, 5)),
           ("SplitBackward0",)),
    OpInfo("split_sizes_middle_piece", lambda m, a: a.split([1, 3, 1], 1)[1] * 2,
           _arrays_one((3, 5)), ("SplitWithSizesBackward0",)),
    OpInfo("unbind_two_of_three", lambda m, a: a.unbind(0)[0] + a.unbind(0)[2],
           _arrays_one((3, 4)), ("UnbindBackward0",)),
    OpInfo("chunk", lambda m, a, **k: a.chunk(**k), _chunk_samples,
           ("SplitBackward0", "SplitWithSizesBackward0")),
    OpInfo("tensor_split", _tensor_split_op, _tensor_split_samples, ("SliceBackward0",)),
]  # fmt: skip
