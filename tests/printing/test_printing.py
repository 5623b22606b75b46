"""Tensor printing against strings recorded from torch (fixtures.json, made by gen_fixtures.py).

Runs without torch: each case is rebuilt with NumPy and wrapped in a small stand-in tensor that
has just what the printer reads (``_data``, ``dtype``, ``requires_grad``, ``grad_fn``).
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from dyngrad import _tensor_str
from dyngrad._tensor_str import (
    get_printoptions,
    parameter_repr,
    printoptions,
    set_printoptions,
    tensor_repr,
)

HERE = Path(__file__).parent


def _load_generator() -> ModuleType:
    """gen_fixtures.py by path (it holds build_array), whatever pytest's import mode is."""
    spec = importlib.util.spec_from_file_location("printing_gen_fixtures", HERE / "gen_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()
FIXTURES: dict[str, Any] = json.loads((HERE / "fixtures.json").read_text())
CASES: list[dict[str, Any]] = FIXTURES["cases"]


class FakeDtype:
    """Prints as ``torch.<name>``, like dyngrad's dtype objects."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.is_floating_point = name.startswith("float")

    def __repr__(self) -> str:
        return "torch." + self.name


class FakeGradFn:
    """A graph node with the name torch gave it."""

    def __init__(self, name: str) -> None:
        self._name = name

    def name(self) -> str:
        return self._name


class FakeTensor:
    """The part of the Tensor contract that printing uses."""

    def __init__(
        self, data: np.ndarray[Any, Any], requires_grad: bool, grad_fn: str | None
    ) -> None:
        self._data = data
        self.dtype = FakeDtype(data.dtype.name)
        self.grad_fn = FakeGradFn(grad_fn) if grad_fn is not None else None
        self.requires_grad = requires_grad or grad_fn is not None
        self.is_leaf = grad_fn is None


@pytest.fixture(autouse=True)
def _restore_printoptions() -> Iterator[None]:
    """Every test starts from torch's defaults and leaves them as it found them."""
    set_printoptions(profile="default")
    yield
    set_printoptions(profile="default")
    _tensor_str.default_float_name = "float32"


def _fake(case: dict[str, Any]) -> FakeTensor:
    array = GEN.build_array(case)
    assert GEN.digest(array) == case["sha256"], "rebuilt data differs from what torch printed"
    return FakeTensor(array, bool(case.get("requires_grad")), case.get("grad_fn"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_repr_matches_torch(case: dict[str, Any]) -> None:
    t = _fake(case)
    _tensor_str.default_float_name = case.get("default_dtype", "float32")
    show = parameter_repr if case.get("parameter") else tensor_repr
    with printoptions(**case.get("printoptions", {})):
        text = show(t)
    assert text == case["expected"]


# Cases the real Tensor can be built for with dyngrad.tensor alone (no op, Parameter, or dtype).
PLAIN_CASES = [
    c for c in CASES if not (c.get("grad_fn") or c.get("parameter") or "default_dtype" in c)
]


@pytest.mark.parametrize("case", PLAIN_CASES, ids=[c["name"] for c in PLAIN_CASES])
def test_real_tensor_repr_and_str(case: dict[str, Any]) -> None:
    """The same strings through dyngrad's own Tensor, once the package exports tensor()."""
    import dyngrad

    make = getattr(dyngrad, "tensor", None)
    if make is None:
        pytest.skip("dyngrad.tensor is not available yet")
    t = make(GEN.build_array(case), requires_grad=bool(case.get("requires_grad")))
    with printoptions(**case.get("printoptions", {})):
        assert repr(t) == case["expected"]
        assert str(t) == case["expected"]


@pytest.mark.parametrize(
    "sequence", FIXTURES["option_sequences"], ids=lambda s: json.dumps(s["calls"])
)
def test_set_printoptions_then_get(sequence: dict[str, Any]) -> None:
    for kwargs in sequence["calls"]:
        set_printoptions(**kwargs)
    expected = {k: (math.inf if v == "inf" else v) for k, v in sequence["expected"].items()}
    assert get_printoptions() == expected


def test_printoptions_restores_on_exit_and_on_error() -> None:
    set_printoptions(linewidth=40)
    before = get_printoptions()
    with printoptions(precision=1, sci_mode=True):
        assert get_printoptions()["precision"] == 1
    assert get_printoptions() == before
    with pytest.raises(ValueError), printoptions(profile="full"):
        assert get_printoptions()["threshold"] == math.inf
        raise ValueError
    assert get_printoptions() == before


def test_get_printoptions_is_a_copy() -> None:
    options = get_printoptions()
    options["precision"] = 9
    assert get_printoptions()["precision"] == 4


def test_fixture_count() -> None:
    assert len(CASES) >= 150
