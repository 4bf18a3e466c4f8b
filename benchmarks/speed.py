"""Every figure of the speed list (issue 16) in one run, interleaved.

    python benchmarks/speed.py [--scale 1] [--runs 5] [--memory-scale 10]

Needs the `bench` extra for Rego (`pip install -e '.[bench]'`: regopy); the
rest runs without it. Each run measures every figure once, in turn (so that
a machine busier in one minute than the next slows them all alike); the
figures printed are the medians of the runs, with the machine and its load.
Ratios compare figures of the same run. Times per arrangement are CPU time
(of this process, or of the command and its children), which a shared
machine disturbs less than the wall clock; start-up is given in both, and
`--jobs` in wall time with the CPU of each process beside it. Nothing is
asserted.

- check in process (decoding included, no output) against the hand-written
  baseline (benchmarks/handwritten_baseline.py: json.loads, a walk touching
  every leaf, QOF achievement and points by hand), per arrangement; and by
  stage (decoding, evaluation, and the lean JSON line the CLI writes, each
  as a multiple of the baseline; `json.loads` alone beside them);
- `check --population --format json` through the command line, per
  arrangement (start-up and library load timed on a one-line population and
  subtracted), against the baseline plus writing its own results as JSON;
- the same command on the peers' population (benchmarks/peers: 17 checks
  and QOF points), against Rego (regopy, policy.rego compiled once into a
  bundle) and the plain-Python reference on the same arrangements: with the
  whole national library (some 375 results and values an arrangement, so
  not the same work as the peers' 17 rules), and, like for like, on the
  peers' 17 rules (`--rules benchmarks/peers/rules`: the same checks and QOF
  points in the rule language, tests/test_peer_rules.py showing that they
  give the reference's outcomes), with start-up subtracted the same way;
- a one-file `check examples/pcn-passing.yaml` as a process, cold (an empty
  cache folder) and warm; `--version` and a bare Python start;
- `impact` of the QMM layer against one `check` of the population;
- `--jobs 2` against `--jobs 1` (wall time, and the CPU of the parent and
  of the workers: on a shared machine the wall ratio says little);
- peak memory (max RSS) of `check --population` streaming `--memory-scale`
  times England, measured once; and of `impact` (HTML, `--jobs 2`) at 1 and
  `--memory-scale` times England, which should be about the same;
- the size of a JSON line, lean (the default) and full.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "peers"))

from common import machine, peak_mb, population_parser, write_population  # noqa: E402
from handwritten_baseline import qof_points, qof_tables, touch  # noqa: E402
from rules_engine.io.arrangements import parse_json_line  # noqa: E402
from rules_engine.run.engine import Engine  # noqa: E402
from tools.population import generate, write_jsonl  # noqa: E402

ROOT = HERE.parent
LOCAL = ROOT / "contracts" / "local" / "qmm.rules"
PEER_RULES = HERE / "peers" / "rules"
EXAMPLE = ROOT / "examples" / "pcn-passing.yaml"
CLI = [sys.executable, "-m", "rules_engine"]
#: The environment of every process measured: this one's, but with Python's
#: bytecode cache allowed (PYTHONDONTWRITEBYTECODE left out), as an installed
#: wheel has its modules compiled; otherwise every process compiles every
#: module from source first (some 0.1 s of a one-file check on 2 cores).
PROCESS_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def process(command: list[str], env: dict | None = None) -> tuple[float, float, bytes]:
    """(wall seconds, CPU seconds of the process and its children, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, env=env or PROCESS_ENV, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        sys.exit(f"{' '.join(map(str, command))} failed:\n{result.stderr.decode()[:2000]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result.stdout


def jobs_split(population: Path, jobs: int) -> tuple[float, float, float]:
    """(wall, parent CPU, workers' CPU) of `check --population --jobs N`."""
    script = ("import os, resource, sys, time; from rules_engine.cli import main; "
              "sys.stdout = open(os.devnull, 'w'); t = time.perf_counter(); main(sys.argv[1:]); "
              "w = time.perf_counter() - t; s = resource.getrusage(resource.RUSAGE_SELF); "
              "c = resource.getrusage(resource.RUSAGE_CHILDREN); "
              "print(w, s.ru_utime + s.ru_stime, c.ru_utime + c.ru_stime, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", script, "check", "--population", str(population),
                             "--format", "json", "--jobs", str(jobs)], capture_output=True, text=True,
                            env=PROCESS_ENV)
    wall, parent, workers = map(float, result.stderr.split()[-3:])
    return wall, parent, workers


def in_process(engine: Engine, lines: list[str]) -> float:
    started = time.process_time()
    for number, line in enumerate(lines, 1):
        engine.evaluate(parse_json_line(engine.library.schema, line, "population.jsonl", number), None)
    return (time.process_time() - started) / len(lines)


def stages(engine: Engine, lines: list[str]) -> dict[str, float]:
    """What `check in process` spends per arrangement on each stage, line by
    line as a population streams: decoding and checking the facts, evaluation,
    and the lean JSON line the CLI writes (`LeanEncoder`, which `check in
    process` leaves out); and `json.loads` alone, for scale."""
    from rules_engine.reports.json_lines import LeanEncoder
    schema, encoder, clock = engine.library.schema, LeanEncoder(), time.process_time
    spent = {"json.loads": 0.0, "decoding": 0.0, "evaluation": 0.0, "lean line": 0.0}
    for number, line in enumerate(lines, 1):
        started = clock()
        json.loads(line)
        loaded = clock()
        arrangement = parse_json_line(schema, line, "population.jsonl", number)
        decoded = clock()
        result = engine.evaluate(arrangement, None)
        evaluated = clock()
        encoder.line(result)
        encoded = clock()
        spent["json.loads"] += loaded - started
        spent["decoding"] += decoded - loaded
        spent["evaluation"] += evaluated - decoded
        spent["lean line"] += encoded - evaluated
    return {name: total / len(lines) for name, total in spent.items()}


def baseline(lines: list[str], tables: tuple, write: bool) -> float:
    indicators, thresholds = tables
    started = time.process_time()
    for line in lines:
        document = json.loads(line)
        leaves = touch(document)
        points = qof_points(document, indicators, thresholds)
        if write:
            json.dumps({"id": document.get("pcn", {}).get("code"), "leaves": leaves, "qof": points},
                       separators=(",", ":"))
    return (time.process_time() - started) / len(lines)


def peers(peer_lines: list[str]) -> dict:
    """Per arrangement: the plain-Python reference and, with regopy, Rego."""
    import reference
    params = json.loads((HERE / "peers" / "params.json").read_text())
    evaluate = reference.make_evaluator(params)
    started = time.process_time()
    for line in peer_lines:
        json.dumps(evaluate(json.loads(line)), separators=(",", ":"))
    out = {"reference": (time.process_time() - started) / len(peer_lines)}
    try:
        from regopy import Input
        import bench_rego
    except ImportError:
        return out
    rego, bundle = _REGO.setdefault("bundle", bench_rego.load(str(HERE / "peers" / "policy.rego"),
                                                              str(HERE / "peers" / "params.json")))
    started = time.process_time()
    for line in peer_lines:
        rego.set_input(Input(json.loads(line)))
        answer = rego.query_bundle_entrypoint(bundle, bench_rego.ENTRY)
        json.dumps(answer[0].expressions[0], separators=(",", ":"))
    out["rego"] = (time.process_time() - started) / len(peer_lines)
    return out


_REGO: dict = {}


def peers_line(label: str, check: float, m: dict) -> str:
    """A figure of `check --population` on the peers' arrangements against the
    reference and, when measured, Rego (medians, seconds an arrangement)."""
    us = 1e6
    line = (f"{label} {check * us:8.0f} µs   reference {m['reference'] * us:.0f} µs "
            f"({check / m['reference']:.1f} x)")
    if "rego" in m:
        return line + f", Rego {m['rego'] * us:.0f} µs (Rego / check {m['rego'] / check:.2f} x)"
    return line + "; Rego not measured (pip install -e '.[bench]')"


def main(argv=None) -> int:
    parser = population_parser(__doc__.splitlines()[0], scale=1.0)
    parser.add_argument("--memory-scale", type=float, default=10.0)
    args = parser.parse_args(argv)
    figures: dict[str, list[float]] = {}

    def note(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        population, count = write_population(folder, args)
        lines = population.read_text(encoding="utf-8").splitlines()
        one_line = folder / "one.jsonl"
        one_line.write_text(lines[0] + "\n", encoding="utf-8")
        peer_population = folder / "peers.jsonl"
        subprocess.run([sys.executable, str(HERE / "peers" / "gen_population.py"), "--scale", str(args.scale),
                        "--seed", str(args.seed), "--out", str(peer_population)], check=True)
        peer_arrangements = folder / "peers.arr.jsonl"
        with open(peer_arrangements, "w", encoding="utf-8") as out:
            subprocess.run([sys.executable, str(HERE / "peers" / "to_arrangement.py"), str(peer_population)],
                           stdout=out, check=True)
        peer_lines = peer_population.read_text(encoding="utf-8").splitlines()
        peer_one = folder / "peers-one.jsonl"
        peer_one.write_text(peer_arrangements.read_text(encoding="utf-8").splitlines()[0] + "\n")
        # the same arrangements as the peer rules read them (what to_arrangement.py drops put back)
        peer_rules_input = folder / "peers.rules.jsonl"
        with open(peer_rules_input, "w", encoding="utf-8") as out:
            subprocess.run([sys.executable, str(HERE / "peers" / "rules_input.py"), str(peer_population),
                            str(peer_arrangements)], stdout=out, check=True)
        peer_rules_one = folder / "peers-rules-one.jsonl"
        peer_rules_one.write_text(peer_rules_input.read_text(encoding="utf-8").splitlines()[0] + "\n")
        check_peer_rules = CLI + ["check", "--rules", str(PEER_RULES), "--format", "json", "--population"]
        warm_home = folder / "warm-cache"
        engine = Engine.load()
        tables = qof_tables(dt.date.fromisoformat(args.as_of))
        check = CLI + ["check", "--population", str(population), "--format", "json"]
        env = dict(PROCESS_ENV)
        env.pop("CONTRACT_RULES_NO_CACHE", None)
        # fills the warm cache, and Python's bytecode cache of every module a check imports
        process(CLI + ["check", str(EXAMPLE)], {**env, "XDG_CACHE_HOME": str(warm_home)})
        sizes: tuple = ()
        for run in range(args.runs):
            note("check in process", in_process(engine, lines))
            for name, value in stages(engine, lines).items():
                note(name, value)
            note("baseline", baseline(lines, tables, write=False))
            note("baseline + JSON", baseline(lines, tables, write=True))
            start_cpu = process(CLI + ["check", "--population", str(one_line), "--format", "json"])[1]
            wall, cpu, lean = process(check)
            note("check CLI", (cpu - start_cpu) / max(count - 1, 1))
            note("check CLI CPU", cpu)
            for name, value in peers(peer_lines).items():
                note(name, value)
            peer_start = process(CLI + ["check", "--population", str(peer_one), "--format", "json"])[1]
            peer_cpu = process(CLI + ["check", "--population", str(peer_arrangements), "--format", "json"])[1]
            note("check CLI on peers", (peer_cpu - peer_start) / max(len(peer_lines) - 1, 1))
            rules_start = process(check_peer_rules + [str(peer_rules_one)])[1]
            rules_cpu = process(check_peer_rules + [str(peer_rules_input)])[1]
            note("check CLI on peers' rules", (rules_cpu - rules_start) / max(len(peer_lines) - 1, 1))
            with tempfile.TemporaryDirectory() as cold_home:
                wall, cpu, _ = process(CLI + ["check", str(EXAMPLE)], {**env, "XDG_CACHE_HOME": cold_home})
            note("one file cold", wall)
            note("one file cold CPU", cpu)
            wall, cpu, _ = process(CLI + ["check", str(EXAMPLE)], {**env, "XDG_CACHE_HOME": str(warm_home)})
            note("one file warm", wall)
            note("one file warm CPU", cpu)
            note("--version", process(CLI + ["--version"])[0])
            note("bare python", process([sys.executable, "-c", "pass"])[0])
            note("impact CPU", process(CLI + ["impact", "--population", str(population), "--variation",
                                              str(LOCAL), "--format", "json"])[1])
            for jobs in (1, 2):
                wall, parent, workers = jobs_split(population, jobs)
                note(f"jobs {jobs} wall", wall)
                note(f"jobs {jobs} parent CPU", parent)
                note(f"jobs {jobs} workers CPU", workers)
            if run == 0:
                full = process(check + ["--line", "full"])[2]
                lean_sizes = [len(l) for l in lean.splitlines() if l.startswith(b'{"id"')]
                full_sizes = [len(l) for l in full.splitlines() if l.startswith(b'{"id"')]
                sizes = (lean_sizes, full_sizes, len(lean), len(full))
        big = folder / "england-x.jsonl"
        big_count = write_jsonl(big, generate(scale=args.memory_scale, seed=args.seed, as_of=args.as_of))
        max_rss_mb = peak_mb([*CLI, "check", "--population", str(big), "--format", "json"])
        # impact at 1 and `--memory-scale` times England, in its heaviest form:
        # a pool of two and the HTML page (which reads every changed
        # arrangement back); its peak should not grow with the population.
        england = folder / "england-x1.jsonl"
        write_jsonl(england, generate(scale=1.0, seed=args.seed, as_of=args.as_of))
        impact_peaks = {scale: peak_mb([*CLI, "impact", "--population", str(path), "--variation", str(LOCAL),
                                        "--format", "html", "--jobs", "2"])
                        for scale, path in ((1, england), (args.memory_scale, big))}

    m = {name: statistics.median(values) for name, values in figures.items()}
    us = 1e6
    print(machine() + f"; load average {os.getloadavg()[0]:.1f} at the end; "
          "processes run with bytecode cached (.pyc), as installed")
    print(f"population: {count} arrangements (scale {args.scale}, seed {args.seed}); "
          f"peers' population: {len(peer_lines)}; runs: {args.runs}, medians")
    print(f"check in process            {m['check in process'] * us:8.0f} µs   "
          f"{m['check in process'] / m['baseline']:5.1f} x the hand-written baseline "
          f"({m['baseline'] * us:.0f} µs)")
    print("  by stage                  " + ", ".join(
        f"{name} {m[name] * us:.0f} µs ({m[name] / m['baseline']:.1f} x)"
        for name in ("decoding", "evaluation", "lean line")) + f"; json.loads alone {m['json.loads'] * us:.0f} µs")
    print(f"check --population (CLI)    {m['check CLI'] * us:8.0f} µs   "
          f"{m['check CLI'] / m['baseline + JSON']:5.1f} x the baseline with its JSON "
          f"({m['baseline + JSON'] * us:.0f} µs)")
    print(peers_line("on the peers' population   ", m["check CLI on peers"], m)
          + "; the whole national library")
    print(peers_line("on the peers' 17 rules     ", m["check CLI on peers' rules"], m)
          + "; --rules benchmarks/peers/rules")
    print(f"one-file check, process    cold {m['one file cold']:.2f} s ({m['one file cold CPU']:.2f} s CPU), "
          f"warm {m['one file warm']:.2f} s ({m['one file warm CPU']:.2f} s CPU)")
    print(f"--version                   {m['--version']:.3f} s   bare Python {m['bare python']:.3f} s")
    print(f"impact                      {m['impact CPU']:.2f} s CPU   "
          f"{m['impact CPU'] / m['check CLI CPU']:.2f} x one check ({m['check CLI CPU']:.2f} s CPU)")
    print(f"--jobs 2 / --jobs 1         {m['jobs 1 wall'] / m['jobs 2 wall']:.2f} x   "
          f"(jobs 1: {m['jobs 1 wall']:.2f} s wall, {m['jobs 1 parent CPU']:.2f} s CPU; jobs 2: "
          f"{m['jobs 2 wall']:.2f} s wall, parent {m['jobs 2 parent CPU']:.2f} s + workers "
          f"{m['jobs 2 workers CPU']:.2f} s CPU)")
    print(f"memory                      {big_count} arrangements ({args.memory_scale:g} x scale 1) "
          f"streamed with max RSS {max_rss_mb:.0f} MB")
    print("impact memory               max RSS (HTML, --jobs 2): "
          + "; ".join(f"{scale:g} x England {mb:.0f} MB" for scale, mb in impact_peaks.items()))
    lean_sizes, full_sizes, lean_total, full_total = sizes
    print(f"JSON line                   lean median {statistics.median(lean_sizes) / 1024:.1f} KB "
          f"(max {max(lean_sizes) / 1024:.1f} KB; {lean_total / 1e6:.1f} MB in all with its terms), "
          f"full median {statistics.median(full_sizes) / 1024:.1f} KB ({full_total / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
