"""dyngrad.save / dyngrad.load: round trips, and hostile files refused before allocating."""

from __future__ import annotations

import io
import json
import struct
from collections import OrderedDict

import numpy as np
import pytest

import dyngrad
from dyngrad.serialization import MAGIC


def _roundtrip(obj):  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    dyngrad.save(obj, buf)
    buf.seek(0)
    return dyngrad.load(buf)


def test_nested_containers_and_every_dtype_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    tensors = {
        name: dyngrad.tensor((rng.standard_normal((2, 3)) * 10).astype(name))
        for name in ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8"]
    }
    tensors["bool"] = dyngrad.tensor(rng.random((4,)) > 0.5)
    obj = OrderedDict(
        w=dyngrad.randn(3, 4, requires_grad=True),
        nested={"a": [1, 2.5, None, True, "s"], 7: (dyngrad.zeros(0, 3), -(10**30))},
        all=tensors,
        scalar=dyngrad.tensor(3.5),
        strided=dyngrad.arange(12.0).reshape(3, 4).t(),
    )
    path = tmp_path / "model.dg"
    dyngrad.save(obj, path)
    back = dyngrad.load(path)
    assert isinstance(back, OrderedDict) and list(back) == list(obj)
    assert back["w"].requires_grad and back["w"].is_leaf
    np.testing.assert_array_equal(back["w"].detach().numpy(), obj["w"].detach().numpy())
    assert back["nested"]["a"] == [1, 2.5, None, True, "s"]
    assert back["nested"][7][0].shape == (0, 3) and back["nested"][7][1] == -(10**30)
    for name, t in tensors.items():
        assert back["all"][name].dtype == t.dtype
        np.testing.assert_array_equal(back["all"][name].numpy(), t.numpy())
    np.testing.assert_array_equal(back["strided"].numpy(), obj["strided"].numpy())
    assert back["scalar"].shape == () and back["scalar"].item() == 3.5


def test_loaded_tensors_own_writable_memory() -> None:
    t = _roundtrip(dyngrad.ones(3))
    t.add_(1)
    assert t.tolist() == [2.0, 2.0, 2.0]


def _file(header: dict, data: bytes = b"") -> io.BytesIO:  # type: ignore[type-arg]
    raw = json.dumps(header).encode()
    return io.BytesIO(MAGIC + struct.pack("<Q", len(raw)) + raw + data)


@pytest.mark.parametrize(
    "make",
    [
        lambda: io.BytesIO(b""),
        lambda: io.BytesIO(b"not a dyngrad file at all"),
        lambda: io.BytesIO(MAGIC + b"\x01"),
        lambda: io.BytesIO(MAGIC + struct.pack("<Q", 10**15) + b"{}"),
        lambda: _file({"format": 2, "root": None}),
        lambda: _file({"format": 1, "root": {"t": "pickle", "v": "os.system"}}),
        lambda: io.BytesIO(MAGIC + struct.pack("<Q", 3) + b"{x}"),
        # a header that claims a 10^12-element tensor: refused before allocating
        lambda: _file(
            {
                "format": 1,
                "root": {
                    "t": "tensor",
                    "dtype": "float32",
                    "shape": [10**6, 10**6],
                    "offset": 0,
                    "nbytes": 4 * 10**12,
                },
            }
        ),  # fmt: skip
        lambda: _file(
            {
                "format": 1,
                "root": {
                    "t": "tensor",
                    "dtype": "float32",
                    "shape": [4],
                    "offset": 0,
                    "nbytes": 16,
                },
            },
            b"\x00" * 8,
        ),  # fmt: skip
        lambda: _file(
            {
                "format": 1,
                "root": {"t": "tensor", "dtype": "object", "shape": [1], "offset": 0, "nbytes": 8},
            },
            b"\x00" * 8,
        ),  # fmt: skip
        lambda: _file(
            {
                "format": 1,
                "root": {
                    "t": "tensor",
                    "dtype": "float32",
                    "shape": [-1],
                    "offset": 0,
                    "nbytes": 4,
                },
            },
            b"\x00" * 4,
        ),  # fmt: skip
        lambda: _file({"format": 1, "root": {"t": "int", "v": "9" * 5000}}),
        lambda: _file({"format": 1, "root": {"t": "dict", "items": [[{"x": 1}, None]]}}),
    ],
)
def test_malformed_files_raise_a_clear_error(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError, match="dyngrad.load: not a valid dyngrad file"):
        dyngrad.load(make())


def test_truncated_file_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "t.dg"
    dyngrad.save({"w": dyngrad.randn(100)}, path)
    raw = path.read_bytes()
    for cut in (5, len(raw) // 2, len(raw) - 1):
        with pytest.raises(RuntimeError, match="not a valid dyngrad file"):
            dyngrad.load(io.BytesIO(raw[:cut]))


def test_pickles_are_refused_not_executed() -> None:
    import pickle

    class Boom:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (exec, ("raise SystemExit('executed')",))

    with pytest.raises(RuntimeError, match="never unpickles"):
        dyngrad.load(io.BytesIO(pickle.dumps(Boom())))


def test_unsupported_objects_are_refused_at_save() -> None:
    with pytest.raises(TypeError, match="dyngrad.save can store"):
        dyngrad.save({"f": lambda: 0}, io.BytesIO())
