"""The bounded differential fuzz run of ``make test``: random programs from the op table,
run under dyngrad and torch, must agree (see ``program.py``). Hypothesis draws every decision,
with a fixed seed (``derandomize``), so CI runs the same programs every time; a failure is
shrunk to a short program and printed. ``make fuzz`` runs the long campaign.

``FUZZ_EXAMPLES`` changes the number of programs (default 250: about 30 s on two cores).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from fuzz.choices import HypothesisChooser
from fuzz.compare import FuzzFailure
from fuzz.known import find_known
from fuzz.program import Program

torch = pytest.importorskip("torch", reason="PyTorch not installed: parity test skipped")

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "250"))


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(st.data())
def test_random_programs_agree_with_torch(data: Any) -> None:
    program = Program(HypothesisChooser(data), torch, max_steps=8)
    try:
        program.run()
    except FuzzFailure as exc:
        if find_known(str(exc)) is None:
            raise
        reject()  # a torch limitation listed in known.py, tested in test_regressions.py
