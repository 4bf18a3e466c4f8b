"""What plain, hand-written Python costs for a slice of the same work.

    python benchmarks/handwritten_baseline.py [--scale 0.2] [--runs 5] [--seed 2025]

Issue 5 compares the engine with "a hand-written plain-Python check of 17
rules" (about 50 µs an arrangement). The synthetic PCNs this project checks
are bigger than that: about five practices, six ARRS claims and seven QOF
indicators a practice, 8 KB of JSON, some 255 requirement results and values.
This script measures, on the same population, the floor any Python
implementation pays, in three steps, each including the one before:

1. `json.loads` of every line;
2. plus a walk that touches every leaf once (the least a schema check can do);
3. plus hand-written QOF achievement and points for every indicator of every
   practice (`qof.achievement.*` and `qof.points.*`, about 70 of the 255
   results), with Decimal arithmetic and the thresholds and indicator tables
   of the library in force, prepared once, outside the timing.

No rule engine is involved in the timed part: it is the yardstick for
`check_speed.py`. Nothing here is asserted.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules_engine.ir.checked import check_program  # noqa: E402
from rules_engine.run.engine import Engine  # noqa: E402
from common import machine, population_parser, write_population  # noqa: E402


def touch(value) -> int:
    """Visit every leaf of a JSON document once."""
    if type(value) is dict:
        return sum(touch(v) for v in value.values())
    if type(value) is list:
        return sum(touch(v) for v in value)
    return 1


def qof_tables(as_of: dt.date) -> tuple[dict, dict]:
    """{code: (points, retired, income_protected)}, {code: (lower, upper)} in force on `as_of`."""
    engine = Engine.load()
    checked = check_program(engine.selected(as_of, None))
    indicators = {key[0]: (row["points"], row["retired"], row["income_protected"])
                  for key, row in checked.table_rows("qof_indicators").items()}
    thresholds = {key[0]: (row["lower"], row["upper"])
                  for key, row in checked.table_rows("qof_thresholds").items()}
    return indicators, thresholds


def qof_points(document: dict, indicators: dict, thresholds: dict) -> int:
    """Achievement and points per indicator and practice, as `qof.rules` defines them."""
    count = 0
    for practice in document.get("practices", ()):
        for code, facts in practice.get("qof", {}).get("indicators", {}).items():
            if "achievement" in facts:
                achievement = Decimal(str(facts["achievement"]))
            else:
                achievement = Decimal(facts["numerator"]) / (
                    Decimal(facts["denominator"]) - Decimal(facts["pcas"]))
            points, retired, protected = indicators[code]
            if retired:
                earned = Decimal(0)
            elif protected:
                earned = Decimal(str(facts.get("prior_year_points", 0)))
            elif code not in thresholds:
                earned = None  # no thresholds in force: unknown
            else:
                lower, upper = thresholds[code]
                if achievement <= lower:
                    earned = Decimal(0)
                elif achievement >= upper:
                    earned = points
                else:
                    earned = (achievement - lower) / (upper - lower) * points
            count += 2 if earned is not None else 1
    return count


def main(argv=None) -> int:
    parser = population_parser(__doc__.splitlines()[0])
    args = parser.parse_args(argv)

    indicators, thresholds = qof_tables(dt.date.fromisoformat(args.as_of))
    with tempfile.TemporaryDirectory() as folder:
        population, count = write_population(folder, args)
        lines = population.read_text(encoding="utf-8").splitlines()

    steps = {
        "json.loads": lambda line: json.loads(line),
        "+ touch every leaf": lambda line: touch(json.loads(line)),
        "+ QOF achievement and points by hand": lambda line: (
            lambda document: (touch(document), qof_points(document, indicators, thresholds)))(
            json.loads(line)),
    }
    print(machine())
    print(f"population: {count} arrangements (scale {args.scale}, seed {args.seed}), "
          f"{sum(map(len, lines)) / count:,.0f} bytes of JSON each; runs: {args.runs}")
    for label, step in steps.items():
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            for line in lines:
                step(line)
            timings.append((time.perf_counter() - started) / count)
        print(f"{label:40} median {statistics.median(timings) * 1e6:6.0f} µs per arrangement")
    return 0


if __name__ == "__main__":
    sys.exit(main())
