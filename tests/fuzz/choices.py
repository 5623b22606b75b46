"""Sources of the fuzzer's decisions. Every decision is an integer in a closed range, so a
program is fully described by the sequence of integers drawn, and can be replayed from it."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class Chooser:
    """Draws integers; everything else (booleans, picks from a list) is built on that."""

    def __init__(self) -> None:
        self.record: list[int] = []

    def _draw(self, lo: int, hi: int) -> int:
        raise NotImplementedError

    def integer(self, lo: int, hi: int) -> int:
        value = self._draw(lo, hi)
        self.record.append(value)
        return value

    def boolean(self, percent_true: int = 50) -> bool:
        """True with about ``percent_true`` percent probability."""
        return self.integer(0, 99) < percent_true

    def pick(self, items: Sequence[T]) -> T:
        return items[self.integer(0, len(items) - 1)]


class HypothesisChooser(Chooser):
    """Decisions drawn from hypothesis' ``st.data()``: shrinkable, replayable by hypothesis."""

    def __init__(self, data: Any) -> None:
        super().__init__()
        from hypothesis import strategies as st

        self._data = data
        self._st = st

    def _draw(self, lo: int, hi: int) -> int:
        return int(self._data.draw(self._st.integers(lo, hi)))


class RandomChooser(Chooser):
    """Decisions from a seeded ``random.Random`` (the campaign: fast, never stops early)."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self._rng = random.Random(seed)

    def _draw(self, lo: int, hi: int) -> int:
        return self._rng.randint(lo, hi)


class ReplayChooser(Chooser):
    """Replays a recorded sequence (a failure found by the campaign); zeros once exhausted."""

    def __init__(self, values: Sequence[int]) -> None:
        super().__init__()
        self._values = list(values)
        self._at = 0

    def _draw(self, lo: int, hi: int) -> int:
        if self._at < len(self._values):
            value = self._values[self._at]
            self._at += 1
            return min(max(value, lo), hi)
        return lo
