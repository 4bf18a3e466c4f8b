"""Time syntax-error recovery on large rule files: it must be linear.

    python benchmarks/recovery_speed.py [--runs 5] [--sizes 100000,400000,1600000]

For each size, builds a rule file from the shipped GMS layer: its header,
then its declarations repeated until the file is that large, then one broken
declaration (`parameter broken: count = = 1`) at the very end, and parses it
as `lint` does (`parser.parse`: the whole file, then each declaration on its
own after the error). Prints the median time of the runs per size (wall clock and
CPU: on a shared machine the CPU time is the steadier), the CPU time per
megabyte (flat when recovery is linear), and the machine. The analysed
grammar is loaded once before timing. Nothing here is asserted: tests do not
time things (tests/test_parser.py checks linearity by counting the text the
parser is given).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rules_engine.syntax.parser import _parser, parse  # noqa: E402
from rules_engine.static.load import default_sources  # noqa: E402
from rules_engine.base.source import SourceFile  # noqa: E402
from common import machine  # noqa: E402

BROKEN = "parameter broken: count = = 1\n"


def rule_file(size: int) -> str:
    """About `size` characters: the GMS header and declarations, repeated, then an error."""
    gms = next(s.text for s in default_sources() if s.path == "contracts/national/gms.rules")
    lines = gms.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith(("parameter", "fact", "enum",
                                                                        "subject", "define",
                                                                        "requirement", "table")))
    header, body = "\n".join(lines[:first]) + "\n", "\n".join(lines[first:]) + "\n"
    parts, length = [header], len(header)
    while length < size:
        parts.append(body)
        length += len(body)
    return "".join(parts) + BROKEN


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="100000,400000,1600000",
                        help="file sizes in characters, comma-separated")
    args = parser.parse_args(argv)
    _parser()
    print(machine())
    for size in (int(s) for s in args.sizes.split(",")):
        source = SourceFile("big.rules", rule_file(size))
        times, cpu = [], []
        for _ in range(args.runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            parsed = parse(source)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        codes = sorted({d.code for d in parsed.diagnostics})
        median, median_cpu = statistics.median(times), statistics.median(cpu)
        print(f"{len(source.text):>10,} chars  {median:7.2f} s ({median_cpu:.2f} s CPU, "
              f"{median_cpu / (len(source.text) / 1e6):.2f} s CPU per MB; {len(parsed.fragments):,} "
              f"declarations parsed after the error; {', '.join(codes)} at line "
              f"{parsed.diagnostics[0].span.line:,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
