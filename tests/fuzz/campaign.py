"""The long fuzz campaign (``make fuzz``): many random programs, failures collected.

    PYTHONPATH=src:tests python -m fuzz.campaign --examples 20000 --seed 1

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

import torch

from .choices import RandomChooser
from .compare import FuzzFailure
from .program import Program, Stats


def run_one(seed: int, stats: Stats, max_steps: int) -> None:
    Program(RandomChooser(seed), torch, max_steps=max_steps, stats=stats).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0, help="first program's seed")
    parser.add_argument("--max-steps", type=int, default=10)
    parser.add_argument("--replay", type=int, default=None, help="run one seed, show its failure")
    parser.add_argument("--show", type=int, default=3, help="programs printed per failure kind")
    args = parser.parse_args(argv)

    stats = Stats()
    if args.replay is not None:
        program = Program(RandomChooser(args.replay), torch, max_steps=args.max_steps, stats=stats)
        try:
            program.run()
        except FuzzFailure as exc:
            print(exc)
            return 1
        print(program.text())
        print("no failure")
        return 0

    kinds: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    start = time.perf_counter()
    for k in range(args.examples):
        seed = args.seed + k
        try:
            run_one(seed, stats, args.max_steps)
        except FuzzFailure as exc:
            text = str(exc)
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
        f"{sum(kinds.values())} failing programs, {len(kinds)} distinct failures"
    )
    for kind, n in kinds.most_common():
        print(f"  {n:6d}  {kind}")
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
