"""Failures the fuzzer found whose fix belongs to an op family still being worked on by its
owner (or, once, to torch itself). Each has a regression test in ``test_regressions.py``
(``xfail(strict=True)`` while the fix is pending). The bounded run and the campaign recognise them (by the failure's
first line and an op in the program) and count them apart; anything else is a new failure.
When an owner fixes one, its regression test XPASSes (strict: it fails) and the entry goes.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache

from op_db import FAMILIES


@dataclass(frozen=True)
class Known:
    failure: str  # regex searched in the failure's first line
    program: str  # regex searched in the program text ("" matches any)
    test: str  # the regression test in test_regressions.py
    owner: str  # the op family that holds the fix


def _ops(*names: str) -> str:
    """A regex for a call of any of these op-table entries in a program."""
    return r"OP\['(" + "|".join(re.escape(n) for n in names) + r")'\]"


@cache
def _family(family: str) -> tuple[str, ...]:
    return tuple(info.name for info in importlib.import_module(f"op_db.{family}").OPS)


def _errors_of(*families: str) -> str:
    """An op of these families raised where the other library did not, or another class."""
    names = [n for f in families if f in FAMILIES for n in _family(f)]
    return r"^op '(" + "|".join(re.escape(n) for n in names) + r")' \(.*\): (torch|dyngrad) raised"


KNOWN: list[Known] = [
    Known(
        r"^backward #\d: torch raised RuntimeError: output with shape \[[\d, ]*\] doesn't match "
        r"the broadcast shape",
        _ops("clamp", "clamp_nan", "clamp_more", "clamp_"),
        "test_clamp_with_broadcast_tensor_bounds_backward",
        "torch (its clamp backward writes a broadcast gradient into the smaller input)",
    ),
    Known(
        r"^backward #\d: torch raised RuntimeError: Found dtype (Float|Double|Half) but expected",
        _ops("F.huber_loss", "F.huber_loss_weight", "F.huber_loss_delta"),
        "test_huber_loss_keeps_the_input_dtype",
        "torch (its huber_loss backward fails when target's dtype is not input's)",
    ),
]


def find_known(message: str) -> Known | None:
    """The known failure this fuzz failure message is, if any."""
    first, _, rest = message.partition("\n")
    for k in KNOWN:
        if re.search(k.failure, first) and (not k.program or re.search(k.program, rest)):
            return k
    return None
