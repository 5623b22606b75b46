"""``dyngrad.save`` / ``dyngrad.load``: tensors and nested containers, in a format that
cannot run code when it is read.

File layout: the magic ``b"DYNGRAD\\x01"``, an 8-byte little-endian header length, a UTF-8
JSON header, then the tensors' raw bytes. The header describes the object tree with only
data (dicts, lists, tuples, None, bools, numbers, strings, and tensors given as dtype, shape,
byte offset and length). Loading parses JSON and copies bytes; nothing is unpickled or
imported, every size is checked against the file before anything is allocated, and any
inconsistency raises ``UnpicklingError``-like ``RuntimeError`` with a reason.
"""

from __future__ import annotations

import json
import os
import struct
from collections import OrderedDict
from typing import Any, BinaryIO

import numpy as np

from ._dtype import _BY_NUMPY
from ._tensor import Tensor

__all__ = ["save", "load"]

MAGIC = b"DYNGRAD\x01"
_HEADER_LIMIT = 64 * 1024 * 1024  # a header larger than this is refused
_DTYPES = {d.name: d for d in _BY_NUMPY.values()}


class _Writer:
    """Walks the object tree, turning it into a JSON-able description plus a byte blob."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.offset = 0

    def describe(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            data = obj._data
            raw = data.tobytes(order="C")
            entry = {
                "t": "tensor",
                "dtype": obj.dtype.name,
                "shape": list(data.shape),
                "offset": self.offset,
                "nbytes": len(raw),
                "requires_grad": bool(obj.requires_grad and obj.is_leaf),
                "parameter": type(obj).__name__ == "Parameter",
            }
            self.chunks.append(raw)
            self.offset += len(raw)
            return entry
        if obj is None or isinstance(obj, (bool, str)):
            return {"t": "value", "v": obj}
        if isinstance(obj, int):
            return {"t": "int", "v": str(obj)}
        if isinstance(obj, float):
            return {"t": "float", "v": repr(obj)}
        if isinstance(obj, dict):
            kind = "ordereddict" if isinstance(obj, OrderedDict) else "dict"
            return {"t": kind, "items": [[self.key(k), self.describe(v)] for k, v in obj.items()]}
        if isinstance(obj, (list, tuple)):
            return {"t": type(obj).__name__ if type(obj) in (list, tuple) else "list",
                    "items": [self.describe(v) for v in obj]}  # fmt: skip
        raise TypeError(
            f"dyngrad.save can store tensors, numbers, strings, None and dicts/lists/tuples of "
            f"them; got {type(obj).__name__}"
        )

    def key(self, k: Any) -> Any:
        if isinstance(k, bool) or not isinstance(k, (str, int)):
            raise TypeError(f"dyngrad.save: dict keys must be str or int, got {type(k).__name__}")
        return {"s": k} if isinstance(k, str) else {"i": k}


def save(obj: Any, f: str | os.PathLike[str] | BinaryIO, pickle_module: Any = None,
         pickle_protocol: int = 2) -> None:  # fmt: skip
    """Write ``obj`` (tensors, state_dicts, nested dicts/lists/tuples of them) to ``f``."""
    writer = _Writer()
    tree = writer.describe(obj)
    header = json.dumps({"format": 1, "root": tree}, separators=(",", ":")).encode()
    payload = MAGIC + struct.pack("<Q", len(header)) + header + b"".join(writer.chunks)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(payload)
    else:
        f.write(payload)


def _corrupt(reason: str) -> RuntimeError:
    return RuntimeError(f"dyngrad.load: not a valid dyngrad file ({reason})")


class _Reader:
    """Rebuilds the object tree from a header, checking every field it reads."""

    def __init__(self, blob: memoryview) -> None:
        self.blob = blob

    def build(self, node: Any, depth: int = 0) -> Any:
        if depth > 1000:
            raise _corrupt("nesting too deep")
        if not isinstance(node, dict) or "t" not in node:
            raise _corrupt("malformed entry")
        kind = node["t"]
        if kind == "tensor":
            return self.tensor(node)
        if kind == "value":
            v = node.get("v")
            if v is not None and not isinstance(v, (bool, str)):
                raise _corrupt("bad value")
            return v
        try:
            if kind == "int":
                return int(self.text(node, "v", 4000))
            if kind == "float":
                return float(self.text(node, "v", 64))
        except ValueError:
            raise _corrupt("bad number") from None
        items = node.get("items")
        if not isinstance(items, list):
            raise _corrupt("container without items")
        if kind in ("dict", "ordereddict"):
            out = OrderedDict() if kind == "ordereddict" else {}
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise _corrupt("bad dict item")
                out[self.key(pair[0])] = self.build(pair[1], depth + 1)
            return out
        if kind in ("list", "tuple"):
            values = [self.build(v, depth + 1) for v in items]
            return values if kind == "list" else tuple(values)
        raise _corrupt(f"unknown entry type {str(kind)[:20]!r}")

    @staticmethod
    def text(node: dict[str, Any], field: str, limit: int) -> str:
        v = node.get(field)
        if not isinstance(v, str) or len(v) > limit:
            raise _corrupt("bad number")
        return v

    @staticmethod
    def key(k: Any) -> Any:
        if isinstance(k, dict) and len(k) == 1:
            if isinstance(k.get("s"), str):
                return k["s"]
            if isinstance(k.get("i"), int) and not isinstance(k.get("i"), bool):
                return k["i"]
        raise _corrupt("bad dict key")

    def tensor(self, node: dict[str, Any]) -> Tensor:
        name = node.get("dtype")
        dtype = _DTYPES.get(name) if isinstance(name, str) else None
        shape = node.get("shape")
        offset, nbytes = node.get("offset"), node.get("nbytes")
        if dtype is None:
            raise _corrupt("unknown dtype")
        if (
            not isinstance(shape, list)
            or len(shape) > 64
            or not all(
                isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**62 for s in shape
            )
        ):
            raise _corrupt("bad shape")
        if not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (offset, nbytes)
        ):
            raise _corrupt("bad offset")
        numel = 1
        for s in shape:
            numel *= s
        if numel * dtype.itemsize != nbytes:
            raise _corrupt("tensor size does not match its shape")
        if offset + nbytes > len(self.blob):
            raise _corrupt("truncated: tensor data runs past the end of the file")
        raw = self.blob[offset : offset + nbytes]
        arr = np.frombuffer(raw, dtype=dtype.np).reshape(shape).copy()
        t: Tensor
        if node.get("requires_grad") is True and not dtype.is_floating_point:
            raise _corrupt("a tensor that is not floating point cannot require grad")
        if node.get("parameter") is True:
            from .nn.parameter import Parameter

            t = Parameter(
                Tensor._make(arr, False, None, 0), requires_grad=bool(node.get("requires_grad"))
            )
        else:
            t = Tensor._make(arr, False, None, 0)
            if node.get("requires_grad") is True and dtype.is_floating_point:
                t._rg = True
        return t


def load(f: str | os.PathLike[str] | BinaryIO, map_location: Any = None, pickle_module: Any = None,
         *, weights_only: bool = True, mmap: Any = None, **_: Any) -> Any:  # fmt: skip
    """Read what ``save`` wrote. Never executes code; refuses malformed or truncated files."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            data = fh.read()
    else:
        data = f.read()
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("dyngrad.load expects a path or a binary file object")
    if data[: len(MAGIC)] != MAGIC:
        if data[:2] == b"PK" or data[:1] == b"\x80":
            raise _corrupt("this looks like a PyTorch/pickle file; dyngrad never unpickles")
        raise _corrupt("bad magic number")
    if len(data) < len(MAGIC) + 8:
        raise _corrupt("truncated header")
    (length,) = struct.unpack("<Q", data[len(MAGIC) : len(MAGIC) + 8])
    start = len(MAGIC) + 8
    if length > _HEADER_LIMIT or start + length > len(data):
        raise _corrupt("truncated or oversized header")
    try:
        header = json.loads(data[start : start + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise _corrupt("header is not valid JSON") from None
    if not isinstance(header, dict) or header.get("format") != 1 or "root" not in header:
        raise _corrupt("unsupported format version")
    blob = memoryview(data)[start + length :]
    try:
        return _Reader(blob).build(header["root"])
    except RecursionError:  # nesting deeper than the stack left by the caller allows
        raise _corrupt("nesting too deep") from None
