"""Population runs: `check --population` and `impact`, streaming, on N processes.

Input: a JSON Lines file (one arrangement per line) and how to build the
engine(s). Output: with `--format json`, one line per arrangement (check) or
per changed arrangement (impact), in the file's order, then one
`{"summary": ...}` line; text and HTML summaries otherwise. A bad line is
reported on stderr with its line number and field path, counted and skipped;
`--strict` makes it fatal (exit 2). Ctrl-C ends the run with exit 130 (the
pool terminated): the lines written are whole, and the summary still comes
last, with `"interrupted": true` and `lines_read`.

The file is read in chunks of lines; each chunk is evaluated in this process
or, with `jobs > 1`, in a pool of worker processes (run/pool.py) forked once
the library is loaded and the program most of the first chunk's lines need
is compiled (`prepare_check`; spawned, on Windows, each loads them once),
never per line. Results come back in order, so the output is the same for
any `jobs`. Memory holds two chunks per worker and the counters, never the
population.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import operator
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Iterator

import attrs
import click

from rules_engine.base.diagnostics import Diagnostic, InvalidInput, render_all
from rules_engine.base import spill
from rules_engine.base.spill import Spill
from rules_engine.io.documents import Line, population_lines
from rules_engine.run.impact import ArrangementImpact, ImpactSummary, arrangement_name, assess
from rules_engine.io.inputs import is_stdin, name_of, open_input
from rules_engine.run.engine import Engine
from rules_engine.run.interrupts import (INTERRUPTED, Progress, interrupted_note as _interrupted_note,
                                         quiet_interrupts as _quiet_interrupts)
from rules_engine.run.pool import run_chunks
from rules_engine.reports.json_lines import LeanEncoder, LineEncoder, terms_record
from rules_engine.reports.json_report import dumps
from rules_engine.program.assumptions import NONE as NO_ASSUMPTIONS, Assumptions
from rules_engine.io.arrangements import parse_json_line
from rules_engine.static.fact_checks import PopulationSubjects, practice_codes
from rules_engine.base.values import Outcome
from rules_engine.backends.choice import TIER_UP
from rules_engine.run.population_totals import Tally, contributions, text_lines as population_text

CHUNK_LINES = 50
#: The outcomes a line's results are sorted by, read once (an enumeration's
#: member as `Outcome.FAIL` is a lookup costing some 0.2 µs, on every result).
_FAIL, _UNKNOWN = Outcome.FAIL, Outcome.UNKNOWN
_outcome = operator.attrgetter("outcome")
SHOWN_BAD_LINES = 20  # after this many, bad lines are counted but not printed


@attrs.frozen
class EngineSpec:
    """How a worker process builds its engine (picklable)."""

    rules: Path | None = None
    local: Path | None = None
    without: Path | None = None
    assumptions: Assumptions = NO_ASSUMPTIONS  # figures the user states (assumptions.py)

    def load(self) -> Engine:
        return Engine.load(self.rules, self.local, without=self.without, assumptions=self.assumptions)


_engines: dict[EngineSpec, Engine] = {}
_encoder = LineEncoder()  # one per process: it keeps the text shared between results
#: The same, for the lean line: it knows which terms it has given out (`check_population` makes one a run).
_lean = LeanEncoder()

#: The JSON line of a population check: `lean` (each term's text once per run) or `full`.
LINE_FORMS = ("lean", "full")


def _engine(spec: EngineSpec) -> Engine:
    if spec not in _engines:
        _engines[spec] = spec.load()
    return _engines[spec]


def remember(spec: EngineSpec, engine: Engine) -> None:
    """Use an engine already loaded in this process for `spec`."""
    _engines[spec] = engine


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """For a population run: what is loaded (the library, the programs so
    far) frozen out of the collector's walks (`gc.freeze`: it lives as long
    as the run), unfrozen after; and the youngest generation collected every
    `YOUNG` allocations instead of 700, as it was after. Workers forked
    during the run inherit both. A line leaves no cyclic garbage (nothing the
    collector must free), so a collection only walks the line's live objects
    (an England line holds some 2,000 while it is checked): streaming England
    at scale 1, 695 young collections took 0.09-0.2 s of CPU, 92 at 3,000
    took 0.03-0.07 s; 4 x England peaked at 110 MB either way. (Before the
    evaluator's reference cycle per line was broken, every 10,000 held some
    17 MB more and saved no CPU measurably.)"""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold[0] and max(YOUNG, threshold[0]), *threshold[1:])  # 0: collection off, kept off
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


#: How many allocations (less deallocations) the collector lets pass between
#: its walks of the youngest generation in a population run (`fewer_collections`).
YOUNG = 3000


def freeze_new_programs(engines: tuple[Engine, ...], before: int) -> int:
    """After a line of a population run: when the engines have compiled a
    program since `before` (their `compiled` count), freeze what is loaded
    again (`gc.freeze`), so that the collector stops walking the new
    program (an ICB layer's program through the closures is some 15,000
    closures and cells: streaming England, the collector's walks over
    those programs took some 10 % of the run). Returns the count now."""
    now = sum(engine.compiled for engine in engines)
    if now != before:
        gc.freeze()
    return now


def chunks(path: Path, size: int = CHUNK_LINES, first: int | None = None) -> Iterator[list[Line]]:
    """The population's non-blank lines (`documents.population_lines`) in
    chunks, the first of `first` lines if given. The file is opened at the
    call, so that a file that cannot be read is reported here, before any
    worker starts."""
    return _chunked(population_lines(path), size, first or size)


def _chunked(lines: Iterator[Line], size: int, first: int) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= first:
            yield chunk
            chunk, first = [], size
    if chunk:
        yield chunk


def first_chunk(jobs: int) -> int | None:
    """With `jobs` > 1, the lines of the first chunk, which this process reads
    (without checking them) before it forks the workers, to compile the
    program most of them need (`prepare`): as many as one process checks
    through the closures before it compiles the program of most of them
    (`TIER_UP` + 1)."""
    if jobs <= 1:
        return None
    return TIER_UP + 1


def _arrangements(schema, chunk: list[Line], origin: str) -> Iterator:
    """The arrangements of a chunk's lines that can be read (the others are
    left to the worker that checks them, which reports them)."""
    for line in chunk:
        if not line.problem:
            try:
                yield parse_json_line(schema, line.text, origin, line.number)
            except InvalidInput:
                continue


def prepare_check(task) -> None:
    """Before the workers fork: the program most of the first chunk needs,
    compiled (`Engine.prepare`), and the schema's decoder built, so that
    every worker inherits both."""
    spec, origin, as_of, _, _, chunk = task
    engine = _engine(spec)
    engine.prepare(_arrangements(engine.library.schema, chunk, origin), as_of)


def prepare_impact(task) -> None:
    """`prepare_check` for `impact`: both engines, on the same lines (read as
    `assess` reads them, under the proposed engine's schema)."""
    baseline_spec, proposed_spec, origin, as_of, chunk = task
    baseline, proposed = _engine(baseline_spec), _engine(proposed_spec)
    arrangements = list(_arrangements(proposed.library.schema, chunk, origin))
    baseline.prepare(arrangements, as_of)
    proposed.prepare(arrangements, as_of)


def _bad(number: int, error: InvalidInput) -> tuple:
    return ("bad", number, render_all(error.diagnostics, {}))


def _encode_row(row: tuple) -> str:
    return json.dumps(row, ensure_ascii=True, separators=(",", ":"))


def _decode_row(text: str) -> tuple:
    return tuple(json.loads(text))


def _text_or_none(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def check_chunk(task) -> list[tuple]:
    """Evaluate a chunk: ("ok", line number, id, outcome, failing ids, unknown ids
    (one per subject), the JSON line when the output is JSON, and for HTML the
    {id: (title, clause)} of those requirements and {id: why} of the first
    subject of each, then the terms a lean line uses that this process had
    not given out before, and its parts of the population terms in force)
    or ("bad", line number, text)."""
    spec, origin, as_of, output_format, line_form, chunk = task
    engine = _engine(spec)
    schema = engine.library.schema
    out = []
    compiled = engine.compiled
    for line in chunk:
        try:
            if line.problem:
                raise InvalidInput(line.problem)
            arrangement = parse_json_line(schema, line.text, origin, line.number)
            result = engine.evaluate(arrangement, as_of)
        except InvalidInput as error:
            out.append(_bad(line.number, error))
            continue
        finally:
            compiled = freeze_new_programs((engine,), compiled)
        icb = arrangement.facts.get("icb")
        parts = contributions(engine.library, result, icb if isinstance(icb, str) else None)
        failing, unknown, terms, whys = [], [], {}, {}
        results = result.results
        outcomes = list(map(_outcome, results))  # in C; most lines have no failing or unknown result
        for r in results if _FAIL in outcomes or _UNKNOWN in outcomes else ():
            if r.outcome is _FAIL:
                failing.append(r.id)
            elif r.outcome is _UNKNOWN:
                unknown.append(r.id)
            else:
                continue
            if output_format == "html":
                terms.setdefault(r.id, (r.title, r.clause))
                if r.id not in whys and r.why is not None:
                    whys[r.id] = f"{r.subject}: {r.why.headline()}"
        text, new_terms = None, None
        if output_format == "json":
            if line_form == "lean":
                text, new_terms = _lean.line(result)
            else:
                text = _encoder.line(result)
        # For the HTML page's grouping and search: the ICB and the arrangement's name.
        place = (None, None)
        if output_format == "html":
            place = (_text_or_none(arrangement.facts.get("icb")), None if result.outcome is Outcome.PASS
                     else arrangement_name(schema, arrangement, result.id))
        warned = (tuple(w.code for w in result.input_warnings),
                  render_all(result.input_warnings, {}) if result.input_warnings else "")
        out.append(("ok", line.number, result.id, result.outcome.value, failing, unknown, text,
                    (terms, whys, *place), new_terms, (result.as_of.isoformat(), practice_codes(arrangement.facts)),
                    warned, parts))
    return out


def impact_chunk(task) -> list[tuple]:
    """("ok", line, `impact.Assessed`) or ("bad", line, text) per line."""
    baseline_spec, proposed_spec, origin, as_of, chunk = task
    baseline, proposed = _engine(baseline_spec), _engine(proposed_spec)
    out = []
    compiled = baseline.compiled + proposed.compiled
    for line in chunk:
        try:
            if line.problem:
                raise InvalidInput(line.problem)
            out.append(("ok", line.number, assess(baseline, proposed, line.text, origin,
                                                  line.number, as_of)))
        except InvalidInput as error:
            out.append(_bad(line.number, error))
        finally:
            compiled = freeze_new_programs((baseline, proposed), compiled)
    return out


def _report_warnings(text: str, shown_before: int) -> None:
    """A line's input warnings on stderr, the first `SHOWN_BAD_LINES` of them."""
    if shown_before < SHOWN_BAD_LINES:
        click.echo(text, err=True, nl=False)
        if shown_before + text.count("warning[") >= SHOWN_BAD_LINES:
            click.echo("(more input warnings are counted in the summary but not shown)", err=True)


def _report_bad(text: str, count: int) -> None:
    if count <= SHOWN_BAD_LINES:
        click.echo(text, err=True, nl=False)
    if count == SHOWN_BAD_LINES:
        click.echo("(more bad lines are counted in the summary but not shown)", err=True)


def count_lines(path: Path) -> int:
    """About how many lines there are (for a progress bar), read in blocks."""
    count = 0
    with open_input(path, "E-FACT-006") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return count


def check_population(spec: EngineSpec, path: Path, as_of: dt.date | None, output_format: str,
                     strict: bool, jobs: int = 1, line_form: str = "lean") -> int:
    """Exit 0 all pass, 1 some fail, 2 a bad line under --strict or no
    arrangement read at all, 130 interrupted. `line_form`: the JSON line,
    `lean` or `full` (docs/arrangement-format.md)."""
    outcomes: Counter = Counter()
    failing: Counter = Counter()
    unknown: Counter = Counter()
    by_icb: Counter = Counter()  # (icb, outcome) -> arrangements
    # For the HTML page: the arrangements that do not pass (a few in memory,
    # the rest on disk, so that memory stays bounded however many fail),
    rows: Spill[tuple] = Spill(_encode_row, _decode_row, keep=spill.KEEP)
    terms: dict[str, tuple] = {}  # and the title and clause of each requirement they miss
    bad_lines = 0
    warnings: Counter = Counter()  # implausible or inconsistent facts, by code (static/fact_checks.py)
    subjects = PopulationSubjects()  # a practice on two lines on one date: the later is bad (E-FACT-009)
    progress = Progress()
    write = sys.stdout.write
    written_terms: dict[str, str] = {}  # lean lines: the terms written, by reference
    # A run's own lean encoder (the workers fork with it): it gives out each
    # term once, and a process that runs again over the same compiled
    # programs (a command run in process twice, as the tests do) writes them again.
    global _lean
    _lean = LeanEncoder()
    tally = Tally(_engine(spec).library)  # the population terms in force, folded
    tasks = ((spec, name_of(path), as_of, output_format, line_form, chunk)
             for chunk in chunks(path, first=first_chunk(jobs)))
    total = count_lines(path) if sys.stderr.isatty() and not is_stdin(path) else None
    with progress.watching(), fewer_collections():
        for item in run_chunks(check_chunk, tasks, jobs, total, prepare_check):
            with progress.one_result():
                if item[0] == "bad":
                    bad_lines += 1
                    progress.lines_read = item[1]
                    _report_bad(item[2], bad_lines)
                    if strict:
                        return 2
                    continue
                _, line, arrangement_id, outcome, failing_ids, unknown_ids, text, \
                    (found_terms, whys, icb, name), new_terms, (day, codes), (warning_codes, warning_text), parts = item
                try:
                    subjects.claim(name_of(path), line, day, codes)
                except InvalidInput as error:
                    bad_lines += 1
                    progress.lines_read = line
                    _report_bad(_bad(line, error)[2], bad_lines)
                    if strict:
                        return 2
                    continue
                if warning_codes:
                    _report_warnings(warning_text, sum(warnings.values()))
                    warnings.update(warning_codes)
                tally.add(parts)
                if new_terms:
                    unwritten = _unwritten(new_terms, written_terms)
                    if unwritten:
                        write(terms_record(unwritten) + "\n")
                if text is not None:
                    write(text + "\n")
                outcomes[outcome] += 1
                failing.update(failing_ids)
                unknown.update(unknown_ids)
                progress.lines_read = line
                by_icb[(icb, outcome)] += 1  # for the HTML page's table by ICB
                if output_format == "html" and outcome != "pass":
                    rows.append((arrangement_id, line, outcome, tuple(dict.fromkeys(failing_ids)),
                                 tuple(dict.fromkeys(unknown_ids)), whys, icb, name))
                    for rule_id, term in found_terms.items():
                        terms.setdefault(rule_id, term)
    with _quiet_interrupts(progress.interrupted):
        summary = {"arrangements": sum(outcomes.values()), "outcomes": dict(sorted(outcomes.items())),
                   "failing_requirements": _by_count(failing),
                   "unknown_requirements": _by_count(unknown),
                   "bad_lines": bad_lines, **({"input_warnings": dict(sorted(warnings.items()))}
                                              if warnings else {}), **progress.as_json()}
        population = tally.results(bad_lines)
        if population:
            summary["population_terms"] = dict(sorted(Counter(r.outcome.value for r in population).items()))
        if output_format == "json":
            for result in population:  # a record of its own each, before the summary
                write(dumps({"population_term": result.as_json(full=line_form == "full")},
                            compact=True) + "\n")
            write(dumps({"summary": summary}, compact=True) + "\n")
        elif output_format == "html":
            from rules_engine.reports.html_report import render_population_check  # here, not at the top: start-up (only this path needs it)
            summary["population"] = name_of(path)
            summary["population_results"] = [r.as_json() for r in population]
            click.echo(render_population_check(summary, rows, terms, by_icb), nl=False)
        else:
            counts = ", ".join(f"{count} {outcome}" for outcome, count in summary["outcomes"].items())
            n = summary["arrangements"]
            click.echo(f"{n:,} arrangement{'s' if n != 1 else ''} checked"
                       + (f": {counts}" if counts else "")
                       + (f"; {bad_lines} bad line{'s' if bad_lines != 1 else ''} skipped"
                          if bad_lines else ""))
            if warnings:
                click.echo(f"  input warnings: " + ", ".join(f"{code} {count:,}"
                                                             for code, count in sorted(warnings.items())))
            for rule_id, count in summary["failing_requirements"].items():
                click.echo(f"  {rule_id}: {count} failing")
            for rule_id, count in summary["unknown_requirements"].items():
                click.echo(f"  {rule_id}: {count} unknown")
            for text in population_text(population):
                click.echo(text)
        if progress.interrupted:
            click.echo(_interrupted_note(progress), err=True)
            return INTERRUPTED
    if not summary["arrangements"]:
        return _nothing_read(path, bad_lines)
    return 1 if outcomes.get("fail") or any(r.outcome is Outcome.FAIL for r in population) else 0


def _unwritten(terms: dict[str, str], written: dict[str, str]) -> dict[str, str]:
    """The terms not yet written (and now counted as written). Two texts under
    one reference (a 48-bit digest) would make the output ambiguous: the run
    stops rather than write it."""
    unwritten = {}
    for reference, text in terms.items():
        known = written.get(reference)
        if known is None:
            unwritten[reference] = written[reference] = text
        elif known != text:
            raise click.ClickException(f"two terms share the reference {reference}; "
                                       "run again with --line full")
    return unwritten


def _by_count(counter: Counter) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def run_impact(baseline: EngineSpec, proposed: EngineSpec, population: Path, as_of: dt.date | None,
               output_format: str, strict: bool, jobs: int = 1, show_all: bool = False,
               width: int | None = None) -> int:
    """Exit 0, 2 for a bad line under --strict or no arrangement read at
    all, 130 interrupted. `show_all`: the text and HTML list unchanged values
    and every changed arrangement too."""
    summary = ImpactSummary()
    summary.describe_variation(_engine(proposed))
    summary.watch_population(_engine(baseline), _engine(proposed))
    summary.assumed = proposed.assumptions.items
    # The changed arrangements, for the text and HTML pages (the JSON writes each
    # as it comes): a few in memory, the rest on disk, so memory stays bounded.
    changed: Spill[ArrangementImpact] = Spill(ArrangementImpact.encode, ArrangementImpact.decode)
    subjects = PopulationSubjects()  # a practice on two lines on one date: the later is bad (E-FACT-009)
    progress = Progress()
    tasks = ((baseline, proposed, name_of(population), as_of, chunk)
             for chunk in chunks(population, first=first_chunk(jobs)))
    total = count_lines(population) if sys.stderr.isatty() and not is_stdin(population) else None
    with progress.watching(), fewer_collections():
        for item in run_chunks(impact_chunk, tasks, jobs, total, prepare_impact):
            with progress.one_result():
                if item[0] == "bad":
                    summary.bad_lines += 1
                    progress.lines_read = item[1]
                    _report_bad(item[2], summary.bad_lines)
                    if strict:
                        return 2
                    continue
                assessed = item[2]
                try:
                    subjects.claim(name_of(population), assessed.line, *assessed.practices)
                except InvalidInput as error:
                    summary.bad_lines += 1
                    progress.lines_read = assessed.line
                    _report_bad(_bad(assessed.line, error)[2], summary.bad_lines)
                    if strict:
                        return 2
                    continue
                if assessed.changes:
                    entry = assessed.impact()
                    if output_format == "json":
                        sys.stdout.write(dumps(entry.as_json(), compact=True) + "\n")
                    else:
                        changed.append(entry)
                summary.add(assessed.id, assessed.changes, assessed.contributions, assessed.layers,
                            assessed.population)
                progress.lines_read = assessed.line
    with _quiet_interrupts(progress.interrupted):
        if summary.layer is not None and summary.arrangements and not summary.applied:
            click.echo(f"warning: the proposed layer `{summary.layer}` is for ICB {summary.icb}; no "
                       f"arrangement of {name_of(population)} is in {summary.icb}, so it applied to none",
                       err=True)
        summary.population = name_of(population)
        summary.variation = name_of(proposed.local) if proposed.local else None
        data = {**summary.as_json(), **progress.as_json()}
        if output_format == "json":
            sys.stdout.write(dumps({"summary": data}, compact=True) + "\n")
        elif output_format == "html":
            from rules_engine.reports.html_report import render_impact  # here, not at the top: start-up (only this path needs it)
            click.echo(render_impact(data, changed, show_all), nl=False)
        else:
            from rules_engine.reports.impact_report import render  # here, not at the top: start-up (only this path needs it)
            click.echo(render(data, changed, width, show_all), nl=False)
        if progress.interrupted:
            click.echo(_interrupted_note(progress), err=True)
            return INTERRUPTED
    if not summary.arrangements:
        return _nothing_read(population, summary.bad_lines)
    return 0


def _nothing_read(path: Path, bad_lines: int) -> int:
    """A population in which no arrangement could be read is invalid input
    (E-INPUT-006), not a run in which everything passed: the summary has been
    written, the error says why it is empty."""
    path = name_of(path)
    if bad_lines:
        message = (f"no arrangement in {path} could be read: all {bad_lines:,} lines are bad" if bad_lines != 1
                   else f"no arrangement in {path} could be read: its one line is bad")
        hint = "fix the lines reported above; each line is one JSON object, an arrangement"
    else:
        message = f"{path} holds no arrangement: it is empty or only blank lines"
        hint = "give one arrangement per line, as a JSON object (see docs/arrangement-format.md)"
    click.echo(render_all([Diagnostic("E-INPUT-006", message, None, path=name_of(path), hint=hint)], {}),
               err=True, nl=False)
    return 2
