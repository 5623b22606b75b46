"""Failures the fuzzer found in op families still being worked on by their owners: each is a
``xfail(strict=True)`` regression test in ``test_regressions.py``. The bounded run and the
campaign recognise them (by the failure's first line and, where needed, an op in the
program) and count them apart, so a new bug is never hidden behind a known one. When an
owner fixes one, its regression test XPASSes (strict: it fails) and the entry goes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Known:
    failure: str  # regex searched in the failure's first line
    program: str  # regex searched in the program text ("" matches any)
    test: str  # the regression test in test_regressions.py
    owner: str  # the op family that holds the fix


KNOWN: list[Known] = [
    Known(
        r"backward #2: torch raised RuntimeError: Trying to backward through the graph a second",
        r"OP\['(getitem_(list|tensor|mask|int_and_list|slice_and_list|broadcast|separated|"
        r"int_slice_list|tensor_none|ellipsis_tensor|true_slice)\w*|index_select|take|gather)'\]",
        "test_second_backward_through_advanced_indexing_raises",
        "indexing",
    ),
]


def find_known(message: str) -> Known | None:
    """The known failure this fuzz failure message is, if any."""
    first, _, rest = message.partition("\n")
    for k in KNOWN:
        if re.search(k.failure, first) and (not k.program or re.search(k.program, rest)):
            return k
    return None
