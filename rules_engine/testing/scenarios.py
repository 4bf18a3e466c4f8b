"""Scenario files: an arrangement, layers, a date and the outcomes expected.

A scenario file is YAML; one case, or several under `cases:`:

    name: "Primer 8.1: 27,000 patients without a waiver"
    arrangement: ../../examples/pcn-failing.yaml   # a path, or the facts inline
    as_of: 2025-06-01                              # optional: overrides the arrangement's
    rules: ../../contracts                         # optional: another library
    local: ../../contracts/local/qmm.rules         # optional: a proposed local layer
    assume:                                        # optional: figures the national layer lacks
      qof_national_average_list_size: 10349        #   (as `--assume NAME=VALUE`; assumptions.py)
    expect:
      outcome: fail                                # optional: the arrangement's
      results:
        - {id: des.pcn.minimum-population, subject: "pcn:U54321", outcome: fail}
      values:
        - {id: pay.enhanced-access, subject: "pcn:U54321", value: "231742.50"}
        - {id: qof.points.HYP008, value: 19.0, tolerance: 0.05}
        - {id: pay.arrs-gp-sum, absent: true}       # not reported: not in force on the date
        - {id: qof.payment, value: "1234.56", assumed: [qof_national_average_list_size]}
      errors: [E-FACT-003]                         # instead: the input must be rejected

Paths are relative to the scenario file. Money is compared exactly unless a
`tolerance` is given. A scenario that cannot check anything is invalid (exit
2), not passed or failed: an unknown key (E-SCENARIO-002), an outcome that is
none of pass, fail, unknown, not_applicable (E-SCENARIO-003), an `expect` with
nothing to check (E-SCENARIO-004), an expected value or tolerance that is no
finite number (E-SCENARIO-005), an `as_of` that is no date (E-FACT-004), an
`assume:` that is not a mapping of names to literals (E-ASSUME-*). An
`assumed:` list on a value expects exactly those assumptions to have been
read. `provisional:` on a result or value expects its provisional marks to
contain that text (`provisional: false`: no marks). `contract-rules test` runs them; so does `pytest`, by
the plugin in `scenarios_plugin.py`, one test item per case.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable

import attrs

from rules_engine.syntax import value_slips
from rules_engine.program.assumptions import (NONE as NO_ASSUMPTIONS, Assumptions,
    from_document as assumptions_from)
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, did_you_mean, render_all
from rules_engine.io.documents import preview
from rules_engine.run.engine import Engine
from rules_engine.static.load import source_lookup
from rules_engine.base.numbers import value_json
from rules_engine.io.arrangements import Arrangement, read_yaml_file, validate_document
from rules_engine.io.facts import date_from_text
from rules_engine.base.source import SourceFile, Span
from rules_engine.base.values import Outcome
from rules_engine.base.diagnostics import to_json

CASE_KEYS = {"name", "arrangement", "as_of", "rules", "local", "expect", "source", "note", "assume"}
EXPECT_KEYS = {"outcome", "results", "values", "errors"}
RESULT_KEYS = {"id", "subject", "outcome", "layer", "flexibility", "because", "missing", "clause",
               "absent", "provisional"}
VALUE_KEYS = {"id", "subject", "value", "tolerance", "unit", "missing", "absent", "assumed",
              "provisional"}


@attrs.frozen
class Case:
    file: str
    name: str
    data: Any  # the ruamel mapping of the case
    source: SourceFile
    span: Span
    assumptions: Assumptions = NO_ASSUMPTIONS  # its `assume:`


@attrs.frozen
class CaseOutcome:
    case: Case
    failures: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()  # the scenario itself is invalid
    sources: tuple[SourceFile, ...] = ()  # texts they point into that are no file (--assume)

    @property
    def passed(self) -> bool:
        return not self.failures and not self.diagnostics


@attrs.frozen
class ScenarioRun:
    outcomes: tuple[CaseOutcome, ...]
    invalid_files: tuple[Diagnostic, ...] = ()

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.failures)

    @property
    def invalid(self) -> int:
        return sum(1 for o in self.outcomes if o.diagnostics) + len(self.invalid_files)

    def as_json(self) -> dict:
        return {"cases": [{"file": o.case.file, "name": o.case.name, "passed": o.passed,
                           "failures": list(o.failures),
                           "diagnostics": [to_json(d) for d in o.diagnostics]} for o in self.outcomes],
                "passed": sum(1 for o in self.outcomes if o.passed), "failed": self.failed,
                "invalid": self.invalid,
                "diagnostics": [to_json(d) for d in self.invalid_files]}


#: What each outcome in a scenario may be: the engine's outcomes.
OUTCOMES = tuple(outcome.value for outcome in Outcome)
#: A result may also be expected `waived`: not applicable because a local layer waives it.
RESULT_OUTCOMES = OUTCOMES + ("waived",)
WAIVED_REASON = "waived by the local layer"


def _problem(source: SourceFile, node, key, message: str, hint: str | None = None,
             code: str = "E-SCENARIO-001", at_value: bool = False) -> Diagnostic:
    span = _span_of(source, node, key, at_value)
    return Diagnostic(code, message, span, hint=hint)


def _span_of(source: SourceFile, node, key=None, at_value: bool = False) -> Span:
    lc = getattr(node, "lc", None)
    if lc is None:
        return source.span(0, 1)
    width = len(str(key)) if key is not None else 1
    try:
        if key is None:
            line, column = lc.line, lc.col
        elif at_value:
            line, column = lc.value(key) if isinstance(node, dict) else lc.item(key)
            value = node[key]
            width = len(str(value)) if isinstance(value, (str, int, float)) else 1
        else:
            line, column = lc.key(key) if isinstance(node, dict) else lc.item(key)
    except (KeyError, IndexError, TypeError, AttributeError):
        line, column = lc.line, lc.col
    return source.span_at(line + 1, column + 1, width)


def read_cases(path: str | Path) -> list[Case]:
    """The cases of one scenario file; raises InvalidInput if it is malformed.

    E-SCENARIO-001 for the file's shape, 002 an unknown key, 003 an outcome
    that is none, 004 an `expect` that checks nothing, 005 an expected value or
    tolerance that is no finite number; E-FACT-004 an `as_of` that is no date."""
    source, document = read_yaml_file(path, "E-SCENARIO-001", what="scenario file")
    path = source.path
    if not isinstance(document, dict):
        raise InvalidInput([Diagnostic("E-SCENARIO-001", "a scenario file is a mapping with "
                                       "`arrangement` and `expect`, or a list under `cases`",
                                       source.span(0, 1))])
    raw_cases = document.get("cases") if "cases" in document else [document]
    if not isinstance(raw_cases, list):
        raise InvalidInput([_problem(source, document, "cases", "`cases` must be a list")])
    if not raw_cases:  # a file that checks nothing must not pass
        raise InvalidInput([_problem(source, document, "cases", "`cases` is empty: the file checks "
                                     "nothing", code="E-SCENARIO-004",
                                     hint="add a case (`name`, `arrangement`, `expect`), or delete the file")])
    cases, problems = [], []
    for index, raw in enumerate(raw_cases):
        if not isinstance(raw, dict):
            problems.append(_problem(source, raw_cases, index, f"case {index + 1} is not a mapping"))
            continue
        problems += _case_problems(source, raw, raw is document)
        name = str(raw.get("name") or f"{Path(path).stem}[{index + 1}]")
        assumed = NO_ASSUMPTIONS
        if raw.get("assume") is not None:
            try:
                assumed = assumptions_from(raw["assume"], source, "scenario's `assume:`",
                                           _span_of(source, raw, "assume"))
            except InvalidInput as error:
                problems += error.diagnostics
        cases.append(Case(path, name, raw, source, _span_of(source, raw), assumed))
    if problems:
        raise InvalidInput(problems)
    return cases


def _unknown(source, node, key, where: str, allowed) -> Diagnostic:
    split = value_slips.split_number_hint(key, node.get(key) if isinstance(node, dict) else "")
    hint = did_you_mean(str(key), allowed)
    return _problem(source, node, key, f"unknown key `{key}` in {where}", code="E-SCENARIO-002",
                    hint=split or (hint + " " if hint else "") + "keys: " + ", ".join(sorted(allowed)))


def _case_problems(source: SourceFile, raw: dict, is_document: bool) -> list[Diagnostic]:
    problems = []
    allowed = CASE_KEYS | ({"cases"} if is_document else set())
    for key in raw:
        if key not in allowed:
            problems.append(_unknown(source, raw, key, "a scenario", CASE_KEYS))
    for key in ("arrangement", "expect"):
        if key not in raw:
            problems.append(_problem(source, raw, None, f"the scenario has no `{key}`"))
    if "as_of" in raw and raw["as_of"] is not None and _scenario_date(raw["as_of"]) is None:
        message, hint = value_slips.not_a_date("`as_of`", preview(raw["as_of"]), raw["as_of"])
        problems.append(_problem(source, raw, "as_of", message, code="E-FACT-004", at_value=True,
                                 hint=hint))
    expect = raw.get("expect")
    if "expect" in raw and expect is None:
        expect = {}  # `expect:` with nothing under it
    if "expect" in raw and not isinstance(expect, dict):
        problems.append(_problem(source, raw, "expect", "`expect` must be a mapping of what to check",
                                 hint="keys: " + ", ".join(sorted(EXPECT_KEYS))))
        return problems
    if not isinstance(expect, dict):
        return problems
    for key in expect:
        if key not in EXPECT_KEYS:
            problems.append(_unknown(source, expect, key, "`expect`", EXPECT_KEYS))
    if "outcome" in expect:
        problems += _outcome_problems(source, expect, "outcome")
    checks = [key for key in EXPECT_KEYS if key in expect and expect[key] not in (None, [], {})]
    if not checks and all(key in EXPECT_KEYS for key in expect):  # (else: a misspelt key)
        problems.append(Diagnostic(
            "E-SCENARIO-004", "`expect` checks nothing: the scenario would pass whatever the engine did",
            _span_of(source, raw, "expect"),
            hint="expect an `outcome`, some `results` or `values`, or the `errors` the input must give"))
    for group, allowed in (("results", RESULT_KEYS), ("values", VALUE_KEYS)):
        items = expect.get(group)
        if items is None:
            continue
        if not isinstance(items, list):
            problems.append(_problem(source, expect, group, f"`{group}` must be a list"))
            continue
        for position, item in enumerate(items):
            if not isinstance(item, dict) or "id" not in item:
                problems.append(_problem(source, items, position, f"each of `{group}` needs an `id`"))
                continue
            for key in item:
                if key not in allowed:
                    problems.append(_unknown(source, item, key, f"an item of `{group}`", allowed))
            if group == "results" and "outcome" in item:
                problems += _outcome_problems(source, item, "outcome", RESULT_OUTCOMES)
            if group == "values":
                problems += _number_problems(source, item)
    errors = expect.get("errors")
    if errors is not None and not isinstance(errors, list):
        problems.append(_problem(source, expect, "errors", "`errors` must be a list of codes"))
    return problems


def _outcome_problems(source: SourceFile, node: dict, key: str, outcomes=OUTCOMES) -> list[Diagnostic]:
    value = node[key]
    if isinstance(value, str) and value in outcomes:
        return []
    hint = did_you_mean(value, outcomes) if isinstance(value, str) else None
    return [_problem(source, node, key, f"`{preview(value)}` is not an outcome", code="E-SCENARIO-003",
                     at_value=True, hint=(hint + " " if hint else "") + "outcomes: " + ", ".join(outcomes))]


def _finite(value) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _number_problems(source: SourceFile, item: dict) -> list[Diagnostic]:
    problems = []
    value = item.get("value")
    looks_numeric = isinstance(value, (int, float)) and not isinstance(value, bool) or (
        isinstance(value, str) and value.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"))
    if looks_numeric and _finite(value) is None:
        problems.append(_problem(source, item, "value", f"the expected value `{preview(value)}` is not a finite number",
                                 code="E-SCENARIO-005", at_value=True,
                                 hint="expect a number, an amount as text (\"1234.50\"), or null for "
                                 "a value that cannot be computed"))
    if "tolerance" in item:
        tolerance = _finite(item["tolerance"])
        if tolerance is None or tolerance < 0:
            problems.append(_problem(source, item, "tolerance",
                                     f"the tolerance `{preview(item['tolerance'])}` is not a finite number of "
                                     "0 or more", code="E-SCENARIO-005", at_value=True,
                                     hint="write the largest difference allowed, e.g. `tolerance: 0.01`"))
    return problems


def _scenario_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return date_from_text(value) if isinstance(value, str) else None


class EngineCache:
    """One engine per (library, proposed local layer): load each once. With a
    coverage `recorder` (`run.coverage.Recorder`), every engine records into
    it, and it learns each library's terms."""

    def __init__(self, recorder=None):
        self.engines: dict[tuple, Engine] = {}
        self.recorder = recorder

    def get(self, rules: Path | None, local: Path | None,
            assumptions: Assumptions = NO_ASSUMPTIONS) -> Engine:
        key = (str(rules) if rules else None, str(local) if local else None, assumptions)
        if key not in self.engines:
            engine = self.engines[key] = Engine.load(rules, local, assumptions=assumptions)
            if self.recorder is not None:
                engine.coverage = self.recorder
                self.recorder.add_library(engine.library.layers + ((engine.proposed,) if engine.proposed else ()))
        return self.engines[key]


_shared_cache = EngineCache()


def _relative(case: Case, value) -> Path:
    return (Path(case.file).parent / str(value)).resolve()


def _arrangement(case: Case, engine: Engine) -> Arrangement:
    raw = case.data["arrangement"]
    if isinstance(raw, str):
        return engine.load_arrangement(_relative(case, raw))
    facts = validate_document(engine.library.schema, raw, case.source, case.file)
    return Arrangement(facts, f"{case.file} ({case.name})", case.source)


def run_case(case: Case, cache: EngineCache | None = None,
             assumptions: Assumptions = NO_ASSUMPTIONS) -> CaseOutcome:
    """One case; `assumptions` (the command line's) apply where the case's own
    `assume:` does not name the figure."""
    cache = cache or _shared_cache
    data = case.data
    expect = data.get("expect") or {}
    expected_errors = [str(code) for code in (expect.get("errors") or [])]
    try:
        rules = _relative(case, data["rules"]) if data.get("rules") else None
        local = _relative(case, data["local"]) if data.get("local") else None
        engine = cache.get(rules, local, case.assumptions.over(assumptions))
        arrangement = _arrangement(case, engine)
        as_of = _scenario_date(data["as_of"]) if data.get("as_of") is not None else None
        result = engine.evaluate(arrangement, as_of)
    except InvalidInput as error:
        codes = [d.code for d in error.diagnostics]
        if expected_errors:
            missing = [c for c in expected_errors if c not in codes]
            if missing:
                return CaseOutcome(case, (f"expected errors {missing}, got {codes}",))
            return CaseOutcome(case, ())
        return CaseOutcome(case, (), error.diagnostics, error.sources)
    if expected_errors:
        return CaseOutcome(case, (f"expected errors {expected_errors}, but the input was accepted",))
    wrong = _value_kind_problems(case, expect, result)
    if wrong:  # `value: "lots"` for an amount: the scenario is wrong, not the engine
        return CaseOutcome(case, (), tuple(wrong), ())
    return CaseOutcome(case, tuple(compare(expect, result)))


def _value_kind_problems(case: Case, expect: dict, result) -> list[Diagnostic]:
    """E-SCENARIO-005 for an expected value that is no number where the value
    is one (known only once the engine has said what the value is)."""
    problems = []
    for item in expect.get("values") or []:
        expected = item.get("value") if isinstance(item, dict) else None
        if expected is None or _finite(expected) is not None:
            continue
        matches, where = _select(result.values, item)
        if any(isinstance(v.value, Decimal) for v in matches):
            fix = value_slips.fact_number_hint(str(expected), "a number")
            problems.append(_problem(
                case.source, item, "value", f"the expected value `{preview(expected)}` of {where} is "
                f"not a number, and {where} is one", code="E-SCENARIO-005", at_value=True,
                hint=(f"{fix.partition(':')[0]}; " if fix else "")
                + "expect a number, an amount as text (\"1234.50\"), or null"))
    return problems


def compare(expect: dict, result) -> list[str]:
    """What differs between a case's expectations and an arrangement's results."""
    failures = []
    if "outcome" in expect and expect["outcome"] != result.outcome.value:
        failures.append(f"arrangement {result.id}: expected outcome {expect['outcome']}, "
                        f"got {result.outcome.value}")
    for item in expect.get("results") or []:
        failures += _compare_result(item, result)
    for item in expect.get("values") or []:
        matches, where = _select(result.values, item)
        if item.get("absent"):
            if matches:
                failures.append(f"{where}: expected no value (not in force), got "
                                f"{value_json(matches[0].value, matches[0].type)!r}")
        elif not matches:
            near = did_you_mean(item["id"], {v.id for v in result.values})
            failures.append(f"{where}: no such value" + (f" ({near})" if near and not any(
                v.id == item["id"] for v in result.values) else ""))
        else:
            for v in matches:
                failures += _compare_value(where, item, v)
    return failures


def _compare_result(item: dict, result) -> list[str]:
    matches, where = _select(result.results, item)
    if item.get("absent"):
        return [f"{where}: expected no result, got {matches[0].outcome.value}"] if matches else []
    if not matches:
        known = sorted({r.subject for r in result.results if r.id == item["id"]})
        near = did_you_mean(item["id"], {r.id for r in result.results})
        return [f"{where}: no such result" + (f" (subjects: {', '.join(known)})" if known else
                                              f" (no result with that id; {near})" if near else
                                              " (no result with that id)")]
    failures = []
    for r in matches:
        for key in ("outcome", "layer", "flexibility", "because", "clause"):
            if key in item:
                actual = _outcome(r, item[key]) if key == "outcome" else getattr(r, key)
                if str(item[key]) != str(actual):
                    failures.append(f"{where} ({r.subject}): expected {key} {item[key]!r}, "
                                    f"got {actual!r}" + (f"; missing: {', '.join(r.missing)}"
                                                         if r.missing else ""))
        if "missing" in item and sorted(item["missing"]) != sorted(r.missing):
            failures.append(f"{where}: expected missing {sorted(item['missing'])}, "
                            f"got {sorted(r.missing)}")
        failures += _compare_provisional(where, item, r)
    return failures


def _outcome(result, wanted) -> str:
    """A result's outcome as a scenario names it: a waived requirement is
    `not_applicable`, and `waived` too when that is what is expected."""
    waived = result.outcome is Outcome.NOT_APPLICABLE and result.reason == WAIVED_REASON
    return "waived" if waived and wanted == "waived" else result.outcome.value


def _compare_provisional(where: str, item: dict, found) -> list[str]:
    """`provisional: TEXT` (the marks contain it) or `provisional: false` (none)."""
    if "provisional" not in item:
        return []
    wanted, marks = item["provisional"], found.provisional or ""
    if wanted is False:
        return [f"{where}: expected no provisional mark, got {marks!r}"] if marks else []
    if str(wanted) not in marks:
        return [f"{where}: expected a provisional mark with {str(wanted)!r}, got {marks or 'none'!r}"]
    return []


def _select(found, item: dict) -> tuple[list, str]:
    """The results (or values) an expectation names, and how to name them."""
    matches = [r for r in found if r.id == item["id"]
               and ("subject" not in item or r.subject == item["subject"])]
    return matches, item["id"] + (f" for {item['subject']}" if "subject" in item else "")


def _compare_value(where: str, item: dict, v) -> list[str]:
    failures = []
    actual = value_json(v.value, v.type)
    if "unit" in item and item["unit"] != v.unit:
        failures.append(f"{where}: expected unit {item['unit']}, got {v.unit}")
    if "missing" in item and sorted(item["missing"]) != sorted(v.missing):
        failures.append(f"{where}: expected missing {sorted(item['missing'])}, got {sorted(v.missing)}")
    if "assumed" in item:
        wanted = sorted(str(name) for name in (item["assumed"] or []))
        got = sorted(a.name for a in v.assumed)
        if wanted != got:
            failures.append(f"{where}: expected assumed {wanted}, got {got}")
    failures += _compare_provisional(where, item, v)
    if "value" not in item:
        return failures
    expected = item["value"]
    if expected is None or actual is None:
        if expected is not actual and expected != actual:
            failures.append(f"{where}: expected {expected!r}, got {actual!r}"
                            + (f" (missing: {', '.join(v.missing)})" if v.missing else ""))
        return failures
    if isinstance(v.value, Decimal):
        try:
            want = Decimal(str(expected))
        except InvalidOperation:
            fix = value_slips.fact_number_hint(str(expected), "a number")
            return failures + [f"{where}: expected value `{preview(expected)}` is not a number"
                               + (f" ({fix.partition(':')[0]})" if fix else "")]
        tolerance = Decimal(str(item.get("tolerance", 0)))
        if abs(v.value - want) > tolerance:
            shown = f" (tolerance {tolerance})" if tolerance else ""
            failures.append(f"{where}: expected {expected}, got {actual}{shown}")
        return failures
    if str(expected) != str(actual) and expected != actual:
        failures.append(f"{where}: expected {expected!r}, got {actual!r}")
    return failures


def collect_scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    """The scenario files named, and the `*.yaml` files below each folder
    named; a folder with none is E-INPUT-005 (a run that checked nothing
    does not pass)."""
    files: list[Path] = []
    empty: list[Diagnostic] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.yaml"))
            if not found:
                near = sorted(p.name for p in path.rglob("*.yml"))[:3]
                empty.append(Diagnostic(
                    "E-INPUT-005", f"no scenario files (*.yaml) in {path}", None, path=str(path),
                    hint=(f"scenario files end in .yaml: rename {', '.join(near)}" if near
                          else "give a scenario file, or a folder that holds *.yaml scenario files")))
            files += found
        elif path.exists():
            files.append(path)
        else:
            empty.append(Diagnostic(
                "E-INPUT-005", f"no scenario files: {path} does not exist", None, path=str(path),
                hint="name the scenario files or a folder of them: `contract-rules test PATH`"))
    if empty:
        raise InvalidInput(empty)
    return files


def selected(case: Case, patterns: Iterable[str]) -> bool:
    """Whether a case is chosen by `-k` patterns: any of them in `FILE::NAME` (any case)."""
    patterns = [p.lower() for p in patterns]
    return not patterns or any(p in f"{case.file}::{case.name}".lower() for p in patterns)


def run_scenarios(files: Iterable[str | Path], assumptions: Assumptions = NO_ASSUMPTIONS,
                  cache: EngineCache | None = None, patterns: Iterable[str] = (),
                  recorder=None) -> ScenarioRun:
    """Every case of the files (those `patterns` choose); with a coverage
    `recorder` (`run.coverage.Recorder`), on engines of its own that record
    the rule coverage of the run into it."""
    if recorder is not None:
        cache = EngineCache(recorder)
    outcomes, invalid = [], []
    for file in files:
        try:
            cases = read_cases(file)
        except InvalidInput as error:
            invalid += error.diagnostics
            continue
        outcomes += [run_case(case, cache, assumptions) for case in cases if selected(case, patterns)]
    if patterns and not outcomes and not invalid:
        raise InvalidInput([Diagnostic("E-INPUT-005", "no case matches -k " + " or -k ".join(map(repr, patterns)),
                                       None, hint="-k PATTERN picks the cases whose FILE::NAME holds it")])
    return ScenarioRun(tuple(outcomes), tuple(invalid))


def render_run(run: ScenarioRun, verbose: bool = False) -> str:
    out = io.StringIO()
    sources: dict[str, SourceFile] = {}
    for outcome in run.outcomes:
        sources[outcome.case.file] = outcome.case.source
        if outcome.passed:
            if verbose:
                out.write(f"PASS {outcome.case.file}:{outcome.case.span.line}: {outcome.case.name}\n")
            continue
        label = "INVALID" if outcome.diagnostics else "FAIL"
        out.write(f"{label} {outcome.case.file}:{outcome.case.span.line}: {outcome.case.name}\n")
        for failure in outcome.failures:
            out.write(f"    {failure}\n")
        if outcome.diagnostics:
            out.write(render_all(outcome.diagnostics, {**source_lookup(outcome.diagnostics, outcome.sources),
                                                       **sources}))
    if run.invalid_files:
        out.write(render_all(run.invalid_files, source_lookup(run.invalid_files)))
    passed = sum(1 for o in run.outcomes if o.passed)
    out.write(f"{passed} passed, {run.failed} failed" + (f", {run.invalid} invalid" if run.invalid else "")
              + "\n")
    return out.getvalue()
