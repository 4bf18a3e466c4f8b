"""Time `check` per arrangement on a generated population.

    python benchmarks/check_speed.py [--scale 0.2] [--runs 5] [--seed 2025]

Generates a synthetic population (tools.population), then, for each
run: loads the shipped library (parse, lower, layers, type check) and checks
every arrangement of the JSON Lines file as `check --population` does (JSON
parsing, schema validation, evaluation of every requirement and value).
Prints the median of the runs, per arrangement, with the machine's cores and
Python version. Nothing here is asserted: tests do not time things.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules_engine.base.diagnostics import InvalidInput  # noqa: E402
from rules_engine.run.engine import Engine  # noqa: E402
from common import machine, population_parser, write_population  # noqa: E402


def main(argv=None) -> int:
    parser = population_parser(__doc__.splitlines()[0])
    parser.add_argument("--rules", help="a rule library folder (default: the shipped library)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        population, count = write_population(folder, args)
        load_times, per_arrangement, results = [], [], 0
        for _ in range(args.runs):
            started = time.perf_counter()
            engine = Engine.load(args.rules)
            loaded = time.perf_counter()
            results = bad = 0
            for item in engine.population(population):
                if isinstance(item, InvalidInput):
                    bad += 1
                else:
                    results += len(item.results) + len(item.values)
            finished = time.perf_counter()
            load_times.append(loaded - started)
            per_arrangement.append((finished - loaded) / count)

    print(machine())
    print(f"population: {count} arrangements (scale {args.scale}, seed {args.seed}), "
          f"{results} results and values each run, {bad} bad lines")
    print(f"runs: {args.runs}")
    print(f"library load, first in this process: {load_times[0] * 1000:8.1f} ms")
    print(f"library load, later runs:     median {statistics.median(load_times[1:] or load_times) * 1000:8.1f} ms")
    print(f"check per arrangement: median {statistics.median(per_arrangement) * 1e6:6.0f} µs"
          f"   (min {min(per_arrangement) * 1e6:.0f}, max {max(per_arrangement) * 1e6:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
