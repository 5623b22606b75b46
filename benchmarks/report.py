"""RESULTS.md: the machine, then one table row per workload with times and ratios, each target
met or not, and for a target not met the profile of where dyngrad's time goes."""

from __future__ import annotations

import datetime

from . import harness
from .harness import Result, machine

_CLOCK_TEXT = {
    "wall": "wall time",
    "cpu": "the process's CPU time (one BLAS/torch thread: the work's time, which other "
    "processes on the machine disturb far less than wall time)",
}

# workload -> [(contender, largest allowed ratio of dyngrad's value to the contender's)]
TARGETS: dict[str, list[tuple[str, float]]] = {
    "seed": [("torch", 0.25)],
    "small_ops": [("torch", 0.5)],
    "scalar_mlp": [("torch", 0.5)],
    "deep_chain": [("torch", 0.5)],
    "mlp_train": [("numpy", 1.10), ("torch", 1.0)],
    "lenet": [("torch", 1.25)],
    "lstm": [("torch", 1.25)],
    "mlp_train memory": [("numpy", 1.2)],
    "lenet memory": [("numpy", 1.2)],
}


def _fmt(t: float | None) -> str:
    if t is None:
        return "—"
    return f"{t:.4g}"


def judge(r: Result) -> tuple[str, str]:
    """(target text, 'yes'/'no'/'') for one result."""
    if r.name == "import":
        # 200 ms where NumPy imports in 145 ms: scaled by NumPy's import time on this machine
        limit = 0.2 * r.times.get("numpy", 0.145) / 0.145
        return f"< 0.2 s x numpy/0.145 s = {limit:.3f} s", "yes" if r.times.get(
            "dyngrad", 1.0
        ) < limit else "no"
    if r.name.endswith(" steps"):
        return "flat", str(r.extra.get("flat", ""))
    targets = TARGETS.get(r.name)
    if not targets:
        return "", ""
    texts, met = [], True
    for who, limit in targets:
        ratio = r.ratio("dyngrad", who)
        texts.append(f"≤ {limit}x {who}")
        met = met and ratio is not None and ratio <= limit
    return ", ".join(texts), "yes" if met else "no"


def render(results: list[Result], command: str, load: tuple[str, str] = ("", ""),
           profiles: dict[str, str] | None = None) -> str:  # fmt: skip
    info = machine()
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.date.today().isoformat()} with `{command.strip()}`"
        " (written by it: do not edit by hand).",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items()],
        f"| load average (1, 5, 15 min) before / after | {load[0]} / {load[1]} |",
        "",
        "Medians of interleaved repeats (contenders alternate within each repeat). Ratios are",
        "dyngrad's value over the other's (lower is better). Gradients were checked equal",
        "across contenders (same initial weights) before timing. The machine is shared: the",
        "load average above says how busy it was. In-process timings measure "
        + _CLOCK_TEXT[harness.clock_name]
        + "; import time is wall time.",
        "",
        "| workload | unit | dyngrad | torch | numpy floor | dyngrad/torch | dyngrad/numpy | target | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rt, rn = r.ratio("dyngrad", "torch"), r.ratio("dyngrad", "numpy")
        target_text, met = judge(r)
        lines.append(
            f"| {r.name} | {r.unit} | {_fmt(r.times.get('dyngrad'))} | {_fmt(r.times.get('torch'))} | "
            f"{_fmt(r.times.get('numpy'))} | {_fmt(rt)} | {_fmt(rn)} | {target_text} | {met} |"
        )
    extras = [(r.name, k, v) for r in results for k, v in r.extra.items()]
    if extras:
        lines += ["", "| workload | measure | value |", "|---|---|---|"]
        lines += [f"| {n} | {k} | {v} |" for n, k, v in extras]
    if profiles:
        lines += [
            "",
            "## Where dyngrad's time goes (targets not met)",
            "",
            "cProfile of dyngrad on each workload whose time target was not met, top entries by",
            "own time (profiling inflates per-call overhead; see PROFILE.md for the analysis).",
        ]
        for name, text in profiles.items():
            lines += ["", f"### {name}", "", "```", text.rstrip(), "```"]
    return "\n".join(lines) + "\n"
