"""Time `check` per arrangement on a generated population, in process, as a
ratio to the hand-written baseline measured in the same run.

    python benchmarks/check_speed.py [--scale 0.2] [--runs 5] [--seed 2025] [--profile]

Generates a synthetic population (tools.population), then, for each run,
interleaved: the hand-written baseline of `handwritten_baseline.py` (JSON
parsing, a walk over every leaf, QOF achievement and points by hand), and
`check` through each backend (`closures`, `generated`): the library loaded
once per backend, every line of the JSON Lines file decoded, validated and
evaluated (every requirement and value) as `check --population` does, the
JSON writing left out. Prints the median of the runs per arrangement, the
ratio of each backend to the baseline, and the machine: by the wall clock,
and by the process's CPU time (steadier on a shared machine, where other
processes' load stretches the wall clock of pure-Python code more than that
of the baseline's C JSON parser). `--profile` prints
cProfile's top functions of one generated-backend run. Nothing here is
asserted: tests do not time things.
"""

from __future__ import annotations

import cProfile
import os
import datetime as dt
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rules_engine.backends.choice import BACKENDS  # noqa: E402
from rules_engine.base.diagnostics import InvalidInput  # noqa: E402
from rules_engine.run.engine import Engine  # noqa: E402
from common import machine, population_parser, write_population  # noqa: E402
from handwritten_baseline import qof_points, qof_tables, touch  # noqa: E402


def main(argv=None) -> int:
    parser = population_parser(__doc__.splitlines()[0])
    parser.add_argument("--rules", help="a rule library folder (default: the shipped library)")
    parser.add_argument("--profile", action="store_true", help="profile one run of the generated backend")
    args = parser.parse_args(argv)

    indicators, thresholds = qof_tables(dt.date.fromisoformat(args.as_of))
    with tempfile.TemporaryDirectory() as folder:
        population, count = write_population(folder, args)
        lines = population.read_text(encoding="utf-8").splitlines()
        engines = {}
        load_times = {}
        for name, backend in BACKENDS.items():
            started = time.perf_counter()
            engine = engines[name] = Engine.load(args.rules)
            engine.backend = backend
            load_times[name] = time.perf_counter() - started

        def baseline() -> None:
            for line in lines:
                document = json.loads(line)
                touch(document)
                qof_points(document, indicators, thresholds)

        def check(engine) -> tuple[int, int]:
            results = bad = 0
            for item in engine.population(population):
                if isinstance(item, InvalidInput):
                    bad += 1
                else:
                    results += len(item.results) + len(item.values)
            return results, bad

        for engine in engines.values():
            check(engine)  # each compiles its program once, outside the timing
        timings: dict[str, list[float]] = {"baseline": [], **{name: [] for name in engines}}
        cpu: dict[str, list[float]] = {name: [] for name in timings}
        results = bad = 0
        for _ in range(args.runs):
            for name in timings:
                started, started_cpu = time.perf_counter(), time.process_time()
                if name == "baseline":
                    baseline()
                else:
                    results, bad = check(engines[name])
                timings[name].append((time.perf_counter() - started) / count)
                cpu[name].append((time.process_time() - started_cpu) / count)
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(check, engines["generated"])
            pstats.Stats(profile).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(40)

    print(machine())
    print(f"population: {count} arrangements (scale {args.scale}, seed {args.seed}), "
          f"{results // max(count - bad, 1)} results and values each, {bad} bad lines; runs: {args.runs} (interleaved)")
    for name, seconds in load_times.items():
        print(f"library load ({name}): {seconds * 1000:8.1f} ms")
    for clock, table in (("wall", timings), ("CPU", cpu)):
        floor = statistics.median(table["baseline"])
        for name, values in table.items():
            median = statistics.median(values)
            ratio = "" if name == "baseline" else f"   {median / floor:5.1f} x the baseline"
            label = "hand-written baseline" if name == "baseline" else f"check ({name})"
            print(f"{label:28} {clock:4} median {median * 1e6:7.0f} µs per arrangement"
                  f"   (min {min(values) * 1e6:.0f}, max {max(values) * 1e6:.0f}){ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
