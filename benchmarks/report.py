"""RESULTS.md: the machine, then one table row per workload with times and ratios."""

from __future__ import annotations

import datetime

from .harness import Result, machine

TARGETS = {
    "seed": ("torch", 0.25),
    "small_ops": ("torch", 0.5),
    "scalar_mlp": ("torch", 0.5),
    "deep_chain": ("torch", 0.5),
    "mlp_train": ("numpy", 1.10),
    "lenet": ("torch", 1.25),
    "lstm": ("torch", 1.25),
}


def _fmt(t: float | None) -> str:
    if t is None:
        return "—"
    return f"{t:.4g}"


def render(results: list[Result], command: str) -> str:
    info = machine()
    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.date.today().isoformat()} with `{command.strip()}`.",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items()],
        "",
        "Medians of interleaved repeats. Ratios are dyngrad's time over the other's (lower is better).",
        "",
        "| workload | unit | dyngrad | torch | numpy floor | dyngrad/torch | dyngrad/numpy | target | met |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rt, rn = r.ratio("dyngrad", "torch"), r.ratio("dyngrad", "numpy")
        target = TARGETS.get(r.name)
        met = ""
        if target:
            ratio = rt if target[0] == "torch" else rn
            met = "yes" if ratio is not None and ratio <= target[1] else "no"
        if r.name == "import":
            target_text, met = "< 0.200 s", "yes" if r.times.get("dyngrad", 1) < 0.2 else "no"
        else:
            target_text = f"≤ {target[1]}x {target[0]}" if target else ""
        lines.append(
            f"| {r.name} | {r.unit} | {_fmt(r.times.get('dyngrad'))} | {_fmt(r.times.get('torch'))} | "
            f"{_fmt(r.times.get('numpy'))} | {_fmt(rt)} | {_fmt(rn)} | {target_text} | {met} |"
        )
    extras = [(r.name, k, v) for r in results for k, v in r.extra.items()]
    if extras:
        lines += ["", "| workload | measure | value |", "|---|---|---|"]
        lines += [f"| {n} | {k} | {v} |" for n, k, v in extras]
    return "\n".join(lines) + "\n"
