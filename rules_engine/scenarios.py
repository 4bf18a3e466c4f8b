"""Scenario files: an arrangement, layers, a date and the outcomes expected.

A scenario file is YAML; one case, or several under `cases:`:

    name: "Primer 8.1: 27,000 patients without a waiver"
    arrangement: ../../examples/pcn-failing.yaml   # a path, or the facts inline
    as_of: 2025-06-01                              # optional: overrides the arrangement's
    rules: ../../contracts                         # optional: another library
    local: ../../contracts/local/qmm.rules         # optional: a proposed local layer
    expect:
      outcome: fail                                # optional: the arrangement's
      results:
        - {id: des.pcn.minimum-population, subject: "pcn:U54321", outcome: fail}
      values:
        - {id: pay.enhanced-access, subject: "pcn:U54321", value: "231742.50"}
        - {id: qof.points.HYP008, value: 19.0, tolerance: 0.05}
        - {id: pay.arrs-gp-sum, absent: true}       # not reported: not in force on the date
      errors: [E-FACT-003]                         # instead: the input must be rejected

Paths are relative to the scenario file. Money is compared exactly unless a
`tolerance` is given. `contract-rules test` runs them; so does `pytest`, by
the plugin in `scenarios_plugin.py`, one test item per case.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable

import attrs

from .diagnostics import Diagnostic, InvalidInput, render_all
from .pipeline import Engine, source_lookup
from .reports.json_report import value_json
from .schema import Arrangement, read_yaml_file, validate_document
from .source import SourceFile, Span

CASE_KEYS = {"name", "arrangement", "as_of", "rules", "local", "expect", "source", "note"}
EXPECT_KEYS = {"outcome", "results", "values", "errors"}
RESULT_KEYS = {"id", "subject", "outcome", "layer", "flexibility", "because", "missing", "clause",
               "absent"}
VALUE_KEYS = {"id", "subject", "value", "tolerance", "unit", "missing", "absent"}


@attrs.frozen
class Case:
    file: str
    name: str
    data: Any  # the ruamel mapping of the case
    source: SourceFile
    span: Span


@attrs.frozen
class CaseOutcome:
    case: Case
    failures: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()  # the scenario itself is invalid

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
        from .diagnostics import to_json
        return {"cases": [{"file": o.case.file, "name": o.case.name, "passed": o.passed,
                           "failures": list(o.failures),
                           "diagnostics": [to_json(d) for d in o.diagnostics]} for o in self.outcomes],
                "passed": sum(1 for o in self.outcomes if o.passed), "failed": self.failed,
                "invalid": self.invalid,
                "diagnostics": [to_json(d) for d in self.invalid_files]}


def _problem(source: SourceFile, node, key, message: str, hint: str | None = None) -> Diagnostic:
    span = _span_of(source, node, key)
    return Diagnostic("E-SCENARIO-001", message, span, hint=hint)


def _span_of(source: SourceFile, node, key=None) -> Span:
    lc = getattr(node, "lc", None)
    if lc is None:
        return source.span(0, 1)
    try:
        line, column = lc.key(key) if key is not None else (lc.line, lc.col)
    except (KeyError, TypeError, AttributeError):
        line, column = lc.line, lc.col
    width = len(str(key)) if key is not None else 1
    return source.span_at(line + 1, column + 1, width)


def read_cases(path: str | Path) -> list[Case]:
    """The cases of one scenario file; raises InvalidInput if it is malformed."""
    source, document = read_yaml_file(path, "E-SCENARIO-001", what="scenario file")
    path = source.path
    if not isinstance(document, dict):
        raise InvalidInput([Diagnostic("E-SCENARIO-001", "a scenario file is a mapping with "
                                       "`arrangement` and `expect`, or a list under `cases`",
                                       source.span(0, 1))])
    raw_cases = document.get("cases") if "cases" in document else [document]
    if not isinstance(raw_cases, list):
        raise InvalidInput([_problem(source, document, "cases", "`cases` must be a list")])
    cases, problems = [], []
    for index, raw in enumerate(raw_cases):
        if not isinstance(raw, dict):
            problems.append(_problem(source, raw_cases, None, f"case {index + 1} is not a mapping"))
            continue
        for key in raw:
            allowed = CASE_KEYS | ({"cases"} if raw is document else set())
            if key not in allowed:
                problems.append(_problem(source, raw, key, f"unknown key `{key}` in a scenario",
                                         hint="keys: " + ", ".join(sorted(CASE_KEYS))))
        for key in ("arrangement", "expect"):
            if key not in raw:
                problems.append(_problem(source, raw, None, f"the scenario has no `{key}`"))
        expect = raw.get("expect")
        if isinstance(expect, dict):
            for key in expect:
                if key not in EXPECT_KEYS:
                    problems.append(_problem(source, expect, key, f"unknown key `{key}` in `expect`",
                                             hint="keys: " + ", ".join(sorted(EXPECT_KEYS))))
            for group, allowed in (("results", RESULT_KEYS), ("values", VALUE_KEYS)):
                for item in expect.get(group) or []:
                    if not isinstance(item, dict) or "id" not in item:
                        problems.append(_problem(source, expect, group,
                                                 f"each of `{group}` needs an `id`"))
                        continue
                    for key in item:
                        if key not in allowed:
                            problems.append(_problem(source, item, key, f"unknown key `{key}`",
                                                     hint="keys: " + ", ".join(sorted(allowed))))
        name = str(raw.get("name") or f"{Path(path).stem}[{index + 1}]")
        cases.append(Case(path, name, raw, source, _span_of(source, raw)))
    if problems:
        raise InvalidInput(problems)
    return cases


class EngineCache:
    """One engine per (library, proposed local layer): load each once."""

    def __init__(self):
        self.engines: dict[tuple, Engine] = {}

    def get(self, rules: Path | None, local: Path | None) -> Engine:
        key = (str(rules) if rules else None, str(local) if local else None)
        if key not in self.engines:
            self.engines[key] = Engine.load(rules, local)
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


def run_case(case: Case, cache: EngineCache | None = None) -> CaseOutcome:
    cache = cache or _shared_cache
    data = case.data
    expect = data.get("expect") or {}
    expected_errors = [str(code) for code in (expect.get("errors") or [])]
    try:
        rules = _relative(case, data["rules"]) if data.get("rules") else None
        local = _relative(case, data["local"]) if data.get("local") else None
        engine = cache.get(rules, local)
        arrangement = _arrangement(case, engine)
        as_of = data.get("as_of")
        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of)
        result = engine.evaluate(arrangement, as_of)
    except InvalidInput as error:
        codes = [d.code for d in error.diagnostics]
        if expected_errors:
            missing = [c for c in expected_errors if c not in codes]
            if missing:
                return CaseOutcome(case, (f"expected errors {missing}, got {codes}",))
            return CaseOutcome(case, ())
        return CaseOutcome(case, (), error.diagnostics)
    if expected_errors:
        return CaseOutcome(case, (f"expected errors {expected_errors}, but the input was accepted",))
    return CaseOutcome(case, tuple(compare(expect, result)))


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
            failures.append(f"{where}: no such value")
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
        return [f"{where}: no such result" + (f" (subjects: {', '.join(known)})" if known
                                              else " (no result with that id)")]
    failures = []
    for r in matches:
        for key in ("outcome", "layer", "flexibility", "because", "clause"):
            if key in item:
                actual = r.outcome.value if key == "outcome" else getattr(r, key)
                if str(item[key]) != str(actual):
                    failures.append(f"{where} ({r.subject}): expected {key} {item[key]!r}, "
                                    f"got {actual!r}" + (f"; missing: {', '.join(r.missing)}"
                                                         if r.missing else ""))
        if "missing" in item and sorted(item["missing"]) != sorted(r.missing):
            failures.append(f"{where}: expected missing {sorted(item['missing'])}, "
                            f"got {sorted(r.missing)}")
    return failures


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
            return failures + [f"{where}: expected value {expected!r} is not a number"]
        tolerance = Decimal(str(item.get("tolerance", 0)))
        if abs(v.value - want) > tolerance:
            shown = f" (tolerance {tolerance})" if tolerance else ""
            failures.append(f"{where}: expected {expected}, got {actual}{shown}")
        return failures
    if str(expected) != str(actual) and expected != actual:
        failures.append(f"{where}: expected {expected!r}, got {actual!r}")
    return failures


def collect_scenario_files(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.yaml"))
        elif path.exists():
            files.append(path)
    return files


def run_scenarios(files: Iterable[str | Path], cache: EngineCache | None = None) -> ScenarioRun:
    outcomes, invalid = [], []
    for file in files:
        try:
            cases = read_cases(file)
        except InvalidInput as error:
            invalid += error.diagnostics
            continue
        outcomes += [run_case(case, cache) for case in cases]
    return ScenarioRun(tuple(outcomes), tuple(invalid))


def render_run(run: ScenarioRun) -> str:
    out = io.StringIO()
    sources: dict[str, SourceFile] = {}
    for outcome in run.outcomes:
        sources[outcome.case.file] = outcome.case.source
        if outcome.passed:
            continue
        label = "INVALID" if outcome.diagnostics else "FAIL"
        out.write(f"{label} {outcome.case.file}:{outcome.case.span.line}: {outcome.case.name}\n")
        for failure in outcome.failures:
            out.write(f"    {failure}\n")
        if outcome.diagnostics:
            out.write(render_all(outcome.diagnostics, {**source_lookup(outcome.diagnostics), **sources}))
    if run.invalid_files:
        out.write(render_all(run.invalid_files, source_lookup(run.invalid_files)))
    passed = sum(1 for o in run.outcomes if o.passed)
    out.write(f"{passed} passed, {run.failed} failed" + (f", {run.invalid} invalid" if run.invalid else "")
              + "\n")
    return out.getvalue()
