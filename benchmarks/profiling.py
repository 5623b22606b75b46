"""cProfile of dyngrad on each workload: ``python -m benchmarks.profiling [names] [--top N]``.

Prints, per workload, the top entries by own time (``tottime``), with paths shortened to the
package. The suite calls :func:`profile_workload` for every time target not met, so that
RESULTS.md says where the time goes. Note: the profiler adds a fixed cost to every Python call,
so it inflates small ops; read the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
from collections.abc import Callable
from typing import Any

from . import workloads_models as models
from . import workloads_small as small


def _weights(name: str) -> list[Any]:
    return models.reference_weights()[name]


# workload -> (builder of dyngrad's step, iterations to profile)
_BUILDERS: dict[str, tuple[Callable[[Any], Callable[[], Any]], int]] = {
    "seed": (small.seed_sequence, 300),
    "small_ops": (small.small_ops, 200),
    "scalar_mlp": (small.scalar_mlp, 200),
    "deep_chain": (lambda m: small.deep_chain(m, 50_000), 1),
    "mlp_train": (lambda m: models.mlp_train(m, _weights("mlp_train"), check=False), 20),
    "lenet": (lambda m: models.lenet(m, _weights("lenet"), check=False), 10),
    "lstm": (lambda m: models.lstm(m, _weights("lstm"), check=False), 5),
}
NAMES = tuple(_BUILDERS)


def _short(path: str) -> str:
    for marker in (
        os.sep + "dyngrad" + os.sep,
        os.sep + "benchmarks" + os.sep,
        "site-packages" + os.sep,
    ):
        cut = path.rfind(marker)
        if cut >= 0:
            return path[cut + 1 :]
    cut = path.rfind("site-packages" + os.sep)
    if cut >= 0:
        return path[cut + len("site-packages" + os.sep) :]
    return os.path.basename(path) if path.startswith(os.sep) else path


def profile_workload(name: str, top: int = 15) -> str:
    """The top ``top`` entries by own time of dyngrad running workload ``name``."""
    import dyngrad

    build, iterations = _BUILDERS[name]
    step = build(dyngrad)
    step()  # warm up
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(iterations):
        step()
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]  # type: ignore[attr-defined]
    out = io.StringIO()
    out.write(
        f"{iterations} iterations, {total / iterations * 1e3:.3f} ms each under the profiler\n"
    )
    out.write(f"{'calls/iter':>10} {'own %':>6} {'own µs/call':>11} {'cum %':>6}  function\n")
    for (path, line, func), (_, ncalls, tottime, cumtime, _) in rows:
        where = f"{_short(path)}:{line}({func})" if line else func
        out.write(
            f"{ncalls / iterations:10.1f} {100 * tottime / total:6.1f} "
            f"{tottime / max(ncalls, 1) * 1e6:11.2f} {100 * cumtime / total:6.1f}  {where}\n"
        )
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiling", description=__doc__)
    parser.add_argument("names", nargs="*", default=list(NAMES), help=f"from {', '.join(NAMES)}")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    for name in args.names:
        print(f"## {name}\n\n```\n{profile_workload(name, args.top)}```\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
