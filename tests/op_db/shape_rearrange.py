"""Op table entries for rearranging copies and slices (repeat/tile/repeat_interleave, flip,
roll, narrow, select) and for copies and dtype conversions (clone, contiguous, to, type,
float/double/...), listed in the shape family by ``shape.py``."""

from __future__ import annotations

from . import OpInfo, Sample, arr


def nc(rng, shape, dt):  # type: ignore[no-untyped-def]
    """A non-contiguous (transposed) 2-D array of ``shape``."""
    return arr(rng, shape[::-1], dt).T


def samples(*specs):  # type: ignore[no-untyped-def]
    """``(shape, kwargs, name)``; a shape ``("nc", s)`` gives a transposed input."""

    def gen(rng, dt):  # type: ignore[no-untyped-def]
        out = []
        for shape, kw, name in specs:
            a = nc(rng, shape[1], dt) if shape and shape[0] == "nc" else arr(rng, shape, dt)
            out.append(Sample((a,), dict(kw), name=name))
        return out

    return gen


_repeat_samples = samples(
    ((2, 3), {"sizes": (2, 1, 2)}, "new-dim"),
    ((2, 3), {"sizes": (1, 1)}, "ones"),
    ((), {"sizes": (2, 3)}, "0-d"),
    ((), {"sizes": ()}, "0-d-no-sizes"),
    ((2, 3), {"sizes": (0, 2)}, "zero"),
    ((0, 3), {"sizes": (2, 2)}, "empty"),
    (("nc", (2, 3)), {"sizes": (2, 2)}, "non-contiguous"),
    ((2, 3), {"sizes": (2,)}, "error-fewer"),
    ((2, 3), {"sizes": (-1, 2)}, "error-negative"),
)

_tile_samples = samples(
    ((2, 3, 4), {"dims": (2,)}, "fewer"),
    ((2, 3), {"dims": (2, 1, 3)}, "more"),
    ((2, 3), {"dims": ()}, "none"),
    ((), {"dims": (2, 3)}, "0-d"),
    (("nc", (2, 3)), {"dims": (2, 2)}, "non-contiguous"),
)

_interleave_samples = samples(
    ((2, 3), {"repeats": 2}, "flat"),
    ((2, 3), {"repeats": 3, "dim": 1}, "dim"),
    ((2, 3), {"repeats": 2, "dim": -2}, "negative-dim"),
    ((2, 3), {"repeats": 0}, "zero"),
    ((), {"repeats": 2}, "0-d"),
    ((0, 3), {"repeats": 2, "dim": 0}, "empty"),
    (("nc", (2, 3)), {"repeats": 2, "dim": 1}, "non-contiguous"),
    ((2, 3), {"repeats": -1}, "error-negative"),
    ((2, 3), {"repeats": 2, "dim": 2}, "error-dim"),
    ((), {"repeats": 2, "dim": 0}, "error-0-d-dim"),
)


def _interleave_tensor(m, a, counts, **k):  # type: ignore[no-untyped-def]
    return a.repeat_interleave(m.tensor(counts), **k)


_interleave_tensor_samples = samples(
    ((2, 3), {"counts": [1, 0, 2, 1, 1, 3]}, "flat"),
    ((2, 3), {"counts": [2, 1], "dim": 0}, "dim"),
    ((2, 3), {"counts": [3], "dim": -1}, "one-count"),
    ((2, 3), {"counts": 2, "dim": 1}, "0-d-count"),
    ((2, 3), {"counts": [1, 2], "dim": 0, "output_size": 3}, "output-size"),
    ((2, 3), {"counts": [1, 2, 0], "dim": 0}, "error-length"),
    ((2, 3), {"counts": [1, -2], "dim": 0}, "error-negative"),
    ((2, 3), {"counts": [[1, 2]], "dim": 0}, "error-2-d"),
    ((2, 3), {"counts": [1.0, 2.0], "dim": 0}, "error-float"),
)

_flip_samples = samples(
    ((2, 3, 4), {"dims": (0,)}, "one"),
    ((2, 3, 4), {"dims": (0, -1)}, "two"),
    ((2, 3, 4), {"dims": ()}, "none"),
    ((), {"dims": (0,)}, "0-d"),
    ((0, 3), {"dims": (1,)}, "empty"),
    (("nc", (3, 4)), {"dims": (1,)}, "non-contiguous"),
    ((2, 3), {"dims": (0, -2)}, "error-repeated"),
    ((2, 3), {"dims": (2,)}, "error-dim"),
)

_lr_ud_samples = samples(
    ((2, 3), {}, "2-d"),
    ((2, 3, 4), {}, "3-d"),
    (("nc", (3, 4)), {}, "non-contiguous"),
    ((0, 3), {}, "empty"),
    ((3,), {}, "1-d"),
    ((), {}, "0-d"),
)

_roll_samples = samples(
    ((3, 4), {"shifts": 2}, "flat"),
    ((3, 4), {"shifts": -1, "dims": 1}, "dim"),
    ((2, 3, 4), {"shifts": (1, 7), "dims": (0, -1)}, "tuples"),
    ((2, 3, 4), {"shifts": [2], "dims": [1]}, "lists"),
    ((), {"shifts": 3}, "0-d"),
    ((0, 3), {"shifts": 1, "dims": 0}, "empty"),
    (("nc", (3, 4)), {"shifts": 1, "dims": 0}, "non-contiguous"),
    ((3, 4), {"shifts": (1, 2), "dims": (0,)}, "error-align"),
    ((3, 4), {"shifts": (1, 2)}, "error-align-flat"),
    ((), {"shifts": 1, "dims": 0}, "error-0-d-dim"),
    ((3, 4), {"shifts": 1, "dims": 2}, "error-dim"),
)

_narrow_samples = samples(
    ((3, 4), {"dim": 1, "start": 1, "length": 2}, "basic"),
    ((3, 4), {"dim": -2, "start": -2, "length": 2}, "negative"),
    ((3, 4), {"dim": 1, "start": 4, "length": 0}, "empty-at-end"),
    (("nc", (3, 4)), {"dim": 0, "start": 1, "length": 1}, "non-contiguous"),
    ((3, 4), {"dim": 1, "start": 3, "length": 2}, "error-too-long"),
    ((3, 4), {"dim": 1, "start": 5, "length": 0}, "error-start"),
    ((3, 4), {"dim": 1, "start": 0, "length": -1}, "error-length"),
    ((), {"dim": 0, "start": 0, "length": 1}, "error-0-d"),
)

_select_samples = samples(
    ((3, 4), {"dim": 1, "index": 2}, "basic"),
    ((3, 4), {"dim": -1, "index": -1}, "negative"),
    ((3, 0), {"dim": 0, "index": 1}, "empty"),
    (("nc", (3, 4)), {"dim": 0, "index": 2}, "non-contiguous"),
    ((3, 4), {"dim": 1, "index": 4}, "error-index"),
    ((3, 4), {"dim": 2, "index": 0}, "error-dim"),
    ((), {"dim": 0, "index": 0}, "error-0-d"),
)

_convert_samples = samples(
    ((3, 4), {}, "2-d"),
    ((), {}, "0-d"),
    ((0, 3), {}, "empty"),
    (("nc", (3, 4)), {}, "non-contiguous"),
)

_ALL = ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool")


def _to(name):  # type: ignore[no-untyped-def]
    """The conversion ``name`` applied to ``a * 1`` (a non-leaf, so that a conversion that
    returns its input is still checkable under no_grad)."""

    def op(m, a):  # type: ignore[no-untyped-def]
        x = a * 1 if a.requires_grad else a
        if name in ("float", "double", "half", "long", "int", "short", "char", "byte", "bool"):
            return getattr(x, name)()
        if name == "type_as":
            return x.type_as(m.ones(1, dtype=m.float64))
        if name == "to_other":
            return x.to(m.zeros(2, dtype=m.float16))
        if name == "to_device_dtype":
            return x.to("cpu", m.float64)
        if name == "to_kwargs":
            return x.to(device="cpu", dtype=m.int32)
        if name == "to_copy":
            return x.to(x.dtype, copy=True)
        if name == "type_dtype":
            return x.type(m.float64)
        return x.type("torch.DoubleTensor" if name == "type_str" else "torch.IntTensor")

    return op


_CONVERSIONS = ("float", "double", "half", "long", "int", "short", "char", "byte", "bool",
                "type_as", "to_other", "to_device_dtype", "to_kwargs", "to_copy", "type_dtype",
                "type_str", "type_str_int")  # fmt: skip
# Note: a float32/float16 result cannot be finite-differenced at float64 precision
# (gradcheck); their backward is compared with torch instead.
_NO_GRADCHECK = ("float", "half", "to_other")


def _to_errors(m, a, case):  # type: ignore[no-untyped-def]
    if case == "device":
        return a.to("tpu0")
    return a.type("torch.Foo")


OPS = [
    OpInfo("repeat", lambda m, a, sizes: a.repeat(*sizes), _repeat_samples, ("RepeatBackward0",)),
    OpInfo("repeat_tuple", lambda m, a, sizes: a.repeat(sizes), _repeat_samples),
    OpInfo("tile", lambda m, a, dims: m.tile(a, dims), _tile_samples, ("RepeatBackward0",)),
    OpInfo("repeat_interleave", lambda m, a, **k: m.repeat_interleave(a, **k), _interleave_samples,
           ("ViewBackward0", "CloneBackward0", "ExpandBackward0", "UnsqueezeBackward0")),
    OpInfo("repeat_interleave_tensor", _interleave_tensor, _interleave_tensor_samples,
           ("IndexSelectBackward0",)),
    OpInfo("repeat_interleave_counts_only", lambda m, a: m.repeat_interleave(a),
           lambda rng, dt: [Sample((arr(rng, (4,), dt, 0, 3),))], dtypes=("int64", "int32"),
           grad=False, gradcheck=False, gradgrad=False),
    OpInfo("flip", lambda m, a, dims: a.flip(*dims), _flip_samples, ("FlipBackward0",)),
    OpInfo("flip_fn_list", lambda m, a, dims: m.flip(a, list(dims)), _flip_samples),
    OpInfo("fliplr", lambda m, a: m.fliplr(a), _lr_ud_samples, ("FlipBackward0",)),
    OpInfo("flipud", lambda m, a: a.flipud(), _lr_ud_samples, ("FlipBackward0",)),
    OpInfo("roll", lambda m, a, **k: m.roll(a, **k), _roll_samples, ("RollBackward0",)),
    OpInfo("narrow", lambda m, a, **k: m.narrow(a, **k), _narrow_samples, ("SliceBackward0",)),
    OpInfo("narrow_tensor_start", lambda m, a: a.narrow(1, m.tensor(1), 2),
           samples(((3, 4), {}, "")), ("SliceBackward0",)),
    OpInfo("select", lambda m, a, **k: a.select(**k), _select_samples, ("SelectBackward0",)),
    OpInfo("select_fn", lambda m, a, **k: m.select(a, **k), _select_samples),
    OpInfo("clone", lambda m, a: a.clone(), _convert_samples, ("CloneBackward0",)),
    OpInfo("contiguous", lambda m, a: (a * 1).contiguous(), _convert_samples,
           ("CloneBackward0", "MulBackward0")),
    OpInfo("contiguous_leaf", lambda m, a: a.t().contiguous(), samples(((3, 4), {}, "")),
           ("CloneBackward0",)),
    OpInfo("to_errors", _to_errors,
           lambda rng, dt: [Sample((arr(rng, (2,), dt), c), name=c) for c in ("device", "type")]),
]  # fmt: skip

OPS += [
    OpInfo(f"convert_{name}", _to(name), _convert_samples, ("ToCopyBackward0",), dtypes=_ALL,
           gradcheck=name not in _NO_GRADCHECK, gradgrad=name not in _NO_GRADCHECK,
           )
    for name in _CONVERSIONS
]  # fmt: skip
