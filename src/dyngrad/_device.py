"""``torch.device``: where a tensor lives. dyngrad computes on the CPU only, so the one device
that can hold data is ``device('cpu')``; other device types parse (as in torch) but creating
tensors on them fails with torch's error for a build without that backend.

>>> dyngrad.zeros(2).device
device(type='cpu')
>>> str(dyngrad.device("cpu"))
'cpu'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["device", "check_device"]

DEVICE_TYPES = (
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga",
    "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
)  # fmt: skip

_DEVICE_STRING = re.compile(r"([a-z]+)(?::(\d+))?\Z")


class device:  # noqa: N801 - torch's name
    """A device: a type (``'cpu'``) and an optional index."""

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002 - torch's name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(
                "device() received an invalid combination of arguments - got "
                f"({builtin_type(type).__name__}), but expected one of:\n"
                " * (torch.device device)\n * (str type, int index = -1)\n"
            )
        if not type:
            raise RuntimeError("Device string must not be empty")
        match = _DEVICE_STRING.match(type)
        name = type.split(":")[0]
        if name not in DEVICE_TYPES:
            raise RuntimeError(
                f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device "
                f"string: {type}"
            )
        if match is None:
            raise RuntimeError(f"Invalid device string: '{type}'")
        self.type = name
        self.index = int(match.group(2)) if match.group(2) is not None else index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, device):
            return False
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self) -> tuple[Any, ...]:
        return (device, (self.type, self.index))


builtin_type = type

CPU = device("cpu")


def check_device(value: Any) -> None:
    """Accept ``None``, ``'cpu'`` or a cpu device; torch's error for any other backend."""
    if value is None or value is CPU:
        return
    if isinstance(value, int) and not isinstance(value, bool):
        raise AssertionError("Torch not compiled with CUDA enabled")
    d = value if isinstance(value, device) else device(value)
    if d.type != "cpu":
        raise AssertionError(f"Torch not compiled with {d.type.upper()} enabled")
