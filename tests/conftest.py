"""Shared test helpers: PyTorch is optional, so parity tests skip cleanly without it.

Use either the `torch_ref` fixture (gives the torch module) or `@pytest.mark.requires_torch`.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

TORCH_MISSING = "PyTorch not installed: parity test skipped"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("requires_torch") and importlib.util.find_spec("torch") is None:
        pytest.skip(TORCH_MISSING)


@pytest.fixture(scope="session")
def torch_ref() -> ModuleType:
    """The real PyTorch, to compare dyngrad against."""
    return pytest.importorskip("torch", reason=TORCH_MISSING)
