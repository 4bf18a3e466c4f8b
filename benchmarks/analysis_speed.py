"""Time `vary-check` with the analysis of variations on each shipped local layer.

    python benchmarks/analysis_speed.py [--runs 5] [--layers qmm,qhm]

For each layer: the whole command in a new process (`contract-rules
vary-check LAYER --format json`, start-up, library load, the verdicts, the
cone, every flip question and every witness run by the evaluator), and the
same with `--no-analysis` (the ratio is the analysis' own cost). Prints the
median wall-clock and CPU time of the runs (on a shared machine the CPU
time is the steadier), the slowest layer against the target
(at most 2 s on 2 cores), and the machine. Nothing here is asserted: tests do
not time things.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from common import machine  # noqa: E402

TARGET_SECONDS = 2.0


def timed(command: list[str], runs: int) -> tuple[float, float]:
    """The median wall-clock and CPU seconds (user and system) of the runs."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode()[:400]}")
    return statistics.median(walls), statistics.median(cpus)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--layers", default="", help="comma-separated stems (default: every shipped layer)")
    args = parser.parse_args(argv)
    stems = [s for s in args.layers.split(",") if s] or sorted(
        p.stem for p in (ROOT / "contracts" / "local").glob("*.rules"))
    cli = [sys.executable, "-m", "rules_engine"]
    print(f"vary-check with the analysis, median of {args.runs} runs: wall clock (CPU)")
    print(f"{'layer':28} {'with':>15} {'without':>15} {'ratio':>6}")
    slowest = slowest_cpu = 0.0
    for stem in stems:
        layer = f"contracts/local/{stem}.rules"
        wall, cpu = timed(cli + ["vary-check", layer, "--format", "json"], args.runs)
        bare_wall, bare_cpu = timed(cli + ["vary-check", layer, "--no-analysis", "--format", "json"], args.runs)
        slowest, slowest_cpu = max(slowest, wall), max(slowest_cpu, cpu)
        print(f"{stem:28} {wall:6.2f}s ({cpu:4.2f}s) {bare_wall:6.2f}s ({bare_cpu:4.2f}s) {cpu / bare_cpu:5.2f}x")
    verdict = "met" if slowest <= TARGET_SECONDS else "NOT met"
    print(f"slowest layer: {slowest:.2f} s wall, {slowest_cpu:.2f} s CPU; target at most "
          f"{TARGET_SECONDS:.0f} s: {verdict} (wall clock)")
    print(machine())
    return 0


if __name__ == "__main__":
    sys.exit(main())
