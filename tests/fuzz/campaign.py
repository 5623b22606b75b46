"""The long fuzz campaign (``make fuzz``): many random programs, failures collected.

    PYTHONPATH=src:tests python -m fuzz.campaign --examples 20000 --seed 1
    PYTHONPATH=src:tests python -m fuzz.campaign --examples 1000000 --minutes 40 --seed 1

Programs are drawn from a seeded RNG (fast, and a failure does not stop the campaign); each
failure is printed with its program and the seed that replays it
(``--replay SEED``). Failures are grouped by their first line, so one bug is listed once
with how often it was hit.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from typing import Any

import torch

from .choices import RandomChooser
from .compare import FuzzFailure
from .known import find_known
from .program import OPS, Program, Stats, family_ops


def run_one(seed: int, stats: Stats, max_steps: int, ops: list[Any]) -> None:
    Program(RandomChooser(seed), torch, max_steps=max_steps, stats=stats, ops=ops).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0, help="first program's seed")
    parser.add_argument("--max-steps", type=int, default=10)
    parser.add_argument("--replay", type=int, default=None, help="run one seed, show its failure")
    parser.add_argument("--show", type=int, default=3, help="programs printed per failure kind")
    parser.add_argument("--families", default="", help="comma-separated op_db families only")
    parser.add_argument(
        "--minutes", type=float, default=None, help="stop after this long (then report)"
    )
    args = parser.parse_args(argv)
    ops = family_ops(args.families.split(",")) if args.families else OPS

    stats = Stats()
    if args.replay is not None:
        program = Program(
            RandomChooser(args.replay), torch, max_steps=args.max_steps, stats=stats, ops=ops
        )
        try:
            program.run()
        except FuzzFailure as exc:
            print(exc)
            return 1
        print(program.text())
        print("no failure")
        return 0

    kinds: Counter[str] = Counter()
    known: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    start = time.perf_counter()
    deadline = None if args.minutes is None else start + 60 * args.minutes
    for k in range(args.examples):
        if deadline is not None and time.perf_counter() > deadline:
            break
        seed = args.seed + k
        try:
            run_one(seed, stats, args.max_steps, ops)
        except FuzzFailure as exc:
            text = str(exc)
            hit = find_known(text)
            if hit is not None:
                known[hit.test] += 1
                continue
            kind = _kind(text)
            kinds[kind] += 1
            if shown[kind] < args.show:
                shown[kind] += 1
                print(f"\n=== failure (seed {seed}) ===\n{text}", flush=True)
        if (k + 1) % 1000 == 0:
            print(f"... {k + 1} programs, {len(kinds)} failure kinds, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
    elapsed = time.perf_counter() - start
    print(
        f"\ncampaign: {stats.programs} programs, {stats.steps} steps, {stats.op_calls} op-table "
        f"calls, {stats.backward_passes} backward passes in {elapsed:.0f} s; "
        f"{sum(kinds.values())} failing programs, {len(kinds)} distinct failures; "
        f"{sum(known.values())} programs hit known torch limitations (known.py)"
    )
    for kind, n in kinds.most_common():
        print(f"  {n:6d}  {kind}")
    for test, n in known.most_common():
        print(f"  {n:6d}  known: {test}")
    return 1 if kinds else 0


def _kind(text: str) -> str:
    """A failure's signature: its first line without numbers and value names."""
    import re

    first = text.split("\n", 1)[0]
    first = re.sub(r"x\d+", "x", first)
    first = re.sub(r"-?\d+(\.\d+)?(e-?\d+)?", "#", first)
    return first[:160]


if __name__ == "__main__":
    sys.exit(main())
