"""Population benchmarks: check, impact, --jobs and memory at England scale.

    python benchmarks/population_speed.py [--scale 1] [--runs 5] [--memory-scale 10]

For a synthetic England (tools.population, seeded) this measures, with
the shipped library and a local layer (contracts/local/qmm.rules):
- `check --population` per arrangement, JSON parsing included, one process
  (median of the runs);
- `impact` of the local layer against the same population, as a multiple of
  one `check`;
- `--jobs N` (N = the machine's cores) against one process, output compared;
- the maximum resident memory of `check --population` streaming
  `--memory-scale` times England, and of `impact` at 1 and `--memory-scale`
  times England (each a separate process, so that the figure is its own).
Prints the machine's cores and Python version. Asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import machine, peak_mb, population_parser, write_population  # noqa: E402
from tools.population import generate, write_jsonl  # noqa: E402

LOCAL = ROOT / "contracts" / "local" / "qmm.rules"


def timed(command: list[str]) -> tuple[float, bytes]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr.decode()[:2000]}")
    return elapsed, result.stdout


def main(argv=None) -> int:
    parser = population_parser(__doc__.splitlines()[0], scale=1.0)
    parser.add_argument("--memory-scale", type=float, default=10.0)
    args = parser.parse_args(argv)
    cli = [sys.executable, "-m", "rules_engine"]
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        population, count = write_population(folder, args)
        check = cli + ["check", "--population", str(population), "--local", str(LOCAL), "--format", "json"]
        # What a run costs before its first arrangement: process start-up,
        # library load and the compile of the program in force; timed on a
        # population of one line and subtracted, so that the figure per
        # arrangement is the streaming cost alone.
        first_line = Path(folder) / "one.jsonl"
        with open(population, encoding="utf-8") as lines:
            first_line.write_text(lines.readline(), encoding="utf-8")
        one_line = [str(first_line) if part == str(population) else part for part in check]
        startup = statistics.median(timed(one_line)[0] for _ in range(3))
        checks, impacts, parallel = [], [], []
        for _ in range(args.runs):
            elapsed, one = timed(check)
            checks.append(elapsed)
            elapsed, many = timed(check + ["--jobs", str(cores)])
            parallel.append(elapsed)
            if many != one:
                sys.exit("--jobs changed the output")
            elapsed, _ = timed(cli + ["impact", "--population", str(population), "--variation", str(LOCAL),
                                      "--format", "json"])
            impacts.append(elapsed)
        big = Path(folder) / "england-x10.jsonl"
        big_count = write_jsonl(big, generate(scale=args.memory_scale, seed=args.seed, as_of=args.as_of))
        max_rss_mb = peak_mb(cli + ["check", "--population", str(big), "--local", str(LOCAL), "--format", "json"])
        impact = cli + ["impact", "--variation", str(LOCAL), "--format", "json", "--population"]
        impact_peaks = {scale: peak_mb(impact + [str(path)]) for scale, path in ((1, population),
                                                                                   (args.memory_scale, big))}

    check_s = statistics.median(checks)
    per = (check_s - startup) / max(count - 1, 1)
    print(machine())
    print(f"population: {count} arrangements (scale {args.scale}); runs: {args.runs}; "
          f"start-up, library load and compile {startup * 1000:.0f} ms (timed on one line, subtracted)")
    print(f"check --population:  median {check_s:.2f} s   {per * 1e6:.0f} µs per arrangement")
    print(f"impact:              median {statistics.median(impacts):.2f} s   "
          f"{statistics.median(impacts) / check_s:.2f} x one check")
    print(f"check --jobs {cores}:      median {statistics.median(parallel):.2f} s   "
          f"speed-up {check_s / statistics.median(parallel):.2f} x, same output")
    print(f"memory: {big_count} arrangements ({args.memory_scale:g} x scale 1) streamed with "
          f"max RSS {max_rss_mb:.0f} MB")
    print("impact memory (max RSS, JSON out): "
          + "; ".join(f"{scale:g} x scale 1: {mb:.0f} MB" for scale, mb in impact_peaks.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
