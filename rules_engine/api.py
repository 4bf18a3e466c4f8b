"""The Python API for analysts: check, vary-check, impact and explain as calls
that return data.

Input: arrangements as Python dicts (or files), local layers (files, or their
text: a string with a line break, as a notebook cell builds it), population
files, rule ids. Output: typed reports, each with `to_dict()` (the same JSON
the command line writes with `--format json`) and, for a check, `to_json()`.
Nothing here prints or exits: invalid input raises `InvalidInput` carrying
its diagnostics (`error.diagnostics`, `error.render()`), and asking a report
for a result it does not hold raises `UnknownResult` (with a did-you-mean) or
`SubjectNeeded` (naming the subjects to choose from). The CLI renders these
same objects.

>>> import rules_engine
>>> report = rules_engine.check_arrangement({"as_of": "2025-06-01", "icb": "QWE",
...     "pcn": {"code": "U1"}})                                       # doctest: +SKIP
>>> report.result("des.pcn.minimum-population").outcome             # doctest: +SKIP
<Outcome.UNKNOWN: 'unknown'>
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

import attrs

from rules_engine.base import limits
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, did_you_mean, render_all
from rules_engine.base.source import SourceFile
from rules_engine.io.inputs import source_from_text
from rules_engine.run.engine import Engine
from rules_engine.static.load import source_lookup
from rules_engine.run.results import ArrangementResult, CheckReport, Result, ValueResult
from rules_engine.io.arrangements import Arrangement, validate_document
from rules_engine.base.values import Outcome
from rules_engine.program.assumptions import NONE, Assumptions, from_arguments, from_file
from rules_engine.queries.variations import vary_check as judge_layer
from rules_engine.analysis.bounds import DEFAULT_TIMEOUT_MS
from rules_engine.analysis.budgets import BudgetAnswer
from rules_engine.backends.closure_runner import CLOSURES
from rules_engine.run.budget_search import search as search_budget
from rules_engine.run.witness import check_differences, check_populations, check_witnesses
from rules_engine.analysis.equivalence import compare
from rules_engine.ir.checked import check_program
from rules_engine.static.library import source_of
from rules_engine.static.load import assembled, layer_name, default_sources, run_until
from rules_engine.static.load import check as check_static
from rules_engine.syntax.lower import lower
from rules_engine.run.impact import ImpactSummary, assess_arrangement, impact as run_impact, tally
from rules_engine.run.explain import explain as explain_result, render_explanation
from rules_engine.run.results import report_json
from rules_engine.reports.json_report import dumps
from rules_engine.reports import text_report
from rules_engine.queries.describe import describe_term

#: An arrangement as an analyst holds it: a dict of facts, or a file.
ArrangementLike = Union[Mapping[str, Any], str, Path]

#: A local layer as an analyst holds it: a path, or the layer's text (a str
#: with a line break in it; a path has none), named `LAYER_TEXT` in diagnostics.
LayerLike = Union[str, Path, SourceFile]
LAYER_TEXT = "<layer>"


def layer_source(layer: LayerLike | None, name: str = LAYER_TEXT) -> str | Path | SourceFile | None:
    """A layer's text as a `SourceFile` named `name` (read under a file's
    limits); a path, or None, as it is."""
    if isinstance(layer, str) and "\n" in layer:
        return source_from_text(layer, name)
    return layer


@contextlib.contextmanager
def _showing(*layers) -> Any:
    """An `InvalidInput` raised inside carries the texts of the layers given as
    text, so that `render_error` shows their lines and carets as a file's."""
    try:
        yield
    except InvalidInput as error:
        given = tuple(l for l in layers if isinstance(l, SourceFile))
        if not given:
            raise
        raise InvalidInput(error.diagnostics, error.sources + given) from None


class UnknownResult(LookupError):
    """A report holds no requirement or value with this id (or not for this subject)."""

    def __init__(self, message: str, rule_id: str, candidates: tuple[str, ...] = ()):
        super().__init__(message)
        self.rule_id = rule_id
        self.candidates = candidates


class SubjectNeeded(LookupError):
    """An id has results for several subjects: say which with `subject=`."""

    def __init__(self, rule_id: str, subjects: tuple[str, ...]):
        super().__init__(f"`{rule_id}` has a result for each of {len(subjects)} subjects: "
                         f"{', '.join(subjects)}; say which with subject=..., e.g. "
                         f"result({rule_id!r}, subject={subjects[0]!r})")
        self.rule_id = rule_id
        self.subjects = subjects


def render_error(error: InvalidInput) -> str:
    """The diagnostics of an `InvalidInput` as the command line prints them:
    `file:line:col: error[CODE]: message`, the line, a caret and the hint."""
    return render_all(error.diagnostics, source_lookup(error.diagnostics, error.sources))


# ------------------------------------------------------------------ check

@attrs.frozen
class Report:
    """The results of checking arrangements: what `check` reports."""

    check: CheckReport

    @property
    def outcome(self) -> Outcome:
        return self.check.outcome

    @property
    def as_of(self) -> dt.date | None:
        return self.check.as_of

    @property
    def arrangements(self) -> tuple[ArrangementResult, ...]:
        return self.check.arrangements

    def results(self, outcome: Outcome | str | None = None) -> list[Result]:
        """Every requirement result (of every arrangement), or those with `outcome`."""
        wanted = Outcome(outcome) if outcome is not None else None
        return [r for a in self.arrangements for r in a.results if wanted is None or r.outcome is wanted]

    def failures(self) -> list[Result]:
        return self.results(Outcome.FAIL)

    def values(self) -> list[ValueResult]:
        return [v for a in self.arrangements for v in a.values]

    def result(self, rule_id: str, subject: str | None = None) -> Result:
        """The result of requirement `rule_id`, for `subject` (`pcn:U54321`, or
        the bare code `U54321`) when it has results for several subjects."""
        return _one(rule_id, subject, self.results(), "requirement", self.values(), "value")

    def value(self, value_id: str, subject: str | None = None) -> ValueResult:
        """The reported value `value_id` (for `subject`, when several have it)."""
        return _one(value_id, subject, self.values(), "value", self.results(), "requirement")

    def to_dict(self) -> dict:
        """The results JSON of `check --format json` (docs/arrangement-format.md)."""
        return report_json(self.check)

    def to_json(self) -> str:
        """`check --format json`, as text (without its final newline)."""
        return dumps(self.to_dict())

    def to_text(self, width: int = 80, show_all: bool = False) -> str:
        """The text report of `check`, wrapped at `width`."""
        return text_report.render(self.check, width, color=False, show_all=show_all)


def _one(rule_id: str, subject: str | None, found: list, kind: str, others: list, other_kind: str):
    matching = [r for r in found if r.id == rule_id]
    if not matching:
        if any(o.id == rule_id for o in others):
            use = "value" if other_kind == "value" else "result"
            raise UnknownResult(f"`{rule_id}` is a {other_kind}, not a {kind}: ask for it with "
                                f"report.{use}({rule_id!r})", rule_id)
        ids = sorted({r.id for r in found})
        hint = did_you_mean(rule_id, ids)
        raise UnknownResult(f"no {kind} `{rule_id}` in this report" + (f"; {hint}" if hint else ""),
                            rule_id, tuple(ids))
    subjects = tuple(dict.fromkeys(r.subject for r in matching))
    if subject is not None:
        chosen = [r for r in matching if r.subject == subject]
        if not chosen:  # the bare code names the subject too: U54321 for pcn:U54321
            chosen = [r for r in matching if r.subject.split(":", 1)[-1] == subject]
        if not chosen:
            raise UnknownResult(f"`{rule_id}` has no result for subject `{subject}`; its subjects: "
                                + ", ".join(subjects), rule_id, subjects)
        matching = chosen
    if len(matching) > 1:
        raise SubjectNeeded(rule_id, tuple(dict.fromkeys(r.subject for r in matching)))
    return matching[0]


#: Assumptions as an analyst states them: {name: value as a rule file writes
#: it, e.g. "10349" or "£225.49"}, or an assumptions file (YAML or JSON).
AssumeLike = Union[Mapping[str, Any], str, Path, None]


def load(rules: str | Path | None = None, local: LayerLike | None = None,
         assume: AssumeLike = None) -> Engine:
    """The engine for a rule library (the shipped one by default), an optional
    proposed local layer (a file, or its text), and assumptions for figures the
    national layer lacks (as `--assume NAME=VALUE` or `--assumptions FILE`).
    Raises `InvalidInput` with the diagnostics of the rule files or the assumptions."""
    local = layer_source(local)
    with _showing(local):
        return Engine.load(rules, local, assumptions=assumptions_of(assume))


def assumptions_of(assume: AssumeLike):
    """`assumptions.Assumptions` from a mapping of names to values or a file."""
    if assume is None:
        return NONE
    if isinstance(assume, (str, Path)):
        return from_file(assume)
    return from_arguments([f"{name}={_literal_text(value)}" for name, value in assume.items()])


def _literal_text(value: Any) -> str:
    """A Python value as the rule language writes a literal: True -> true."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def arrangement_from_dict(engine: Engine, facts: Mapping[str, Any], name: str = "<dict>") -> Arrangement:
    """An arrangement from a dict of facts (as YAML would give them: text,
    numbers, booleans, dates or ISO date text, lists and dicts), checked
    against the schema as a file would be. Raises `InvalidInput`: each
    diagnostic names the field path (`error.diagnostics[0].path`)."""
    _check_shape(facts, name)
    document = dict(facts) if isinstance(facts, Mapping) else facts
    return Arrangement(validate_document(engine.library.schema, document, None, name), name, None, document)


def _check_shape(data: Any, name: str) -> None:
    """Nesting within the limit (E-LIMIT-003), as for a file. A dict that
    contains itself is nested without end: it is named as such, at the field
    where it does."""
    depth_limit = limits.current().max_nesting_depth
    limit = limits.BY_NAME["max_nesting_depth"]

    def walk(item: Any, depth: int, path: str, ancestors: tuple[int, ...]) -> None:
        if not isinstance(item, (Mapping, list, tuple)):
            return
        if id(item) in ancestors:
            raise InvalidInput([Diagnostic(
                limit.code, f"{name} contains itself at `{path}`: it is nested without end", None,
                path=path, hint="give the facts as plain data (dicts, lists, text, numbers, dates), "
                "each container once on its own path")])
        if depth > depth_limit:
            raise InvalidInput([Diagnostic(
                limit.code, f"{name} is nested more than {depth_limit} levels deep", None,
                path=_clipped(path) or "(top level)", hint=limits.describe(limit))])
        children = item.items() if isinstance(item, Mapping) else enumerate(item)
        for key, child in children:
            walk(child, depth + 1, f"{path}[{key}]" if not isinstance(item, Mapping) else
                 (f"{path}.{key}" if path else str(key)), ancestors + (id(item),))

    walk(data, 1, "", ())


def _clipped(path: str, width: int = 60) -> str:
    return path if len(path) <= width else path[:width] + "..."


def check_arrangement(arrangement: ArrangementLike | Iterable[ArrangementLike], *,
                      rules: str | Path | None = None, local: LayerLike | None = None,
                      as_of: dt.date | str | None = None, assume: AssumeLike = None,
                      engine: Engine | None = None) -> Report:
    """Check one arrangement (a dict of facts, or a YAML/JSON file), or several,
    under the layers in force, without writing anything. `as_of` overrides the
    arrangements' own dates; `assume` states figures the national layer lacks.
    Raises `InvalidInput` for invalid rules, facts or assumptions."""
    engine = engine if engine is not None else load(rules, local, assume)
    # a list or tuple is several arrangements; anything else is one
    items = list(arrangement) if isinstance(arrangement, (list, tuple)) else [arrangement]
    loaded, problems = [], []
    for index, item in enumerate(items):
        try:
            if isinstance(item, (str, Path)):
                loaded.append(engine.load_arrangement(item))
            else:
                loaded.append(arrangement_from_dict(engine, item, "<dict>" if len(items) == 1
                                                    else f"<dict {index + 1}>"))
        except InvalidInput as error:
            problems += error.diagnostics
    if problems:
        raise InvalidInput(problems)
    return Report(engine.check(loaded, _date(as_of)))


def check(arrangements, rules: str | Path | None = None, local: LayerLike | None = None,
          as_of: dt.date | str | None = None, assume: AssumeLike = None) -> Report:
    """Check an arrangement (a dict of facts or a file) or several under the
    layers in force; see `check_arrangement`."""
    return check_arrangement(arrangements, rules=rules, local=local, as_of=as_of, assume=assume)


def _date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"as_of: {value!r} is not a date; write 2025-06-01 or pass a datetime.date") from None


# ------------------------------------------------------------ vary-check

def vary_check(layer: LayerLike, *, rules: str | Path | None = None,
               as_of: dt.date | str | None = None, analysis: bool = True,
               bounds: str | Path | None = None, timeout_ms: int | None = None,
               assume: AssumeLike | Assumptions = None):
    """Judge a proposed local layer (a file, or its text): a
    `variations.VaryCheck` with one verdict per variation (`.verdicts`,
    `.permitted`, `.diagnostics`) and `to_dict()`, the JSON of `vary-check
    --format json`. A refused variation is a verdict, not an exception; a layer
    that does not parse or type-check raises `InvalidInput`. With `analysis`,
    `.analysis` is what the layer could change and for whom
    (docs/analysis.md): the facts held to the bounds file `bounds`, each solver
    question limited to `timeout_ms` (default 2,000), and every witness run by
    the evaluator; `assume` states figures the national layer lacks, as for
    `check` (a budget's increase in pounds may rest on them)."""
    layer = layer_source(layer)
    with _showing(layer):
        result = judge_layer(layer, rules, _date(as_of), analysis, bounds,
                             DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms)
    if result.analysis is None:
        return result
    assumptions = assume if isinstance(assume, Assumptions) else assumptions_of(assume)
    # the library vary-check loaded; the assumptions checked as `check` checks them
    engine = Engine(result.analysis.checked, result.analysis.layer, assumptions)
    # A handful of witnesses: the reference backend, which compiles in a fifth
    # of the generated one's time (tests/test_backends.py holds the two alike).
    engine.backend = CLOSURES
    analysis = check_populations(engine, check_witnesses(engine, result.analysis))
    budgets = tuple(search_budget(engine, question, analysis.as_of, analysis.layer.header.icb, BudgetAnswer,
                                  analysis.stated) for question in analysis.budgets)
    return attrs.evolve(result, analysis=attrs.evolve(analysis, budgets=budgets))


def diff(old: LayerLike, new: LayerLike, *, as_of: dt.date | str | None = None,
         timeout_ms: int = DEFAULT_TIMEOUT_MS):
    """Are two libraries (folders), two versions of a national file, or two
    versions of a local layer (files, or their texts, named `<old>` and
    `<new>`) equivalent on a date (default: the later layer's first day, else
    today)? An `equivalence.Equivalence`: `.equivalent`, `.first` (the first
    differing requirement or value, with a witness where the solver finds one)
    and `to_dict()`."""
    old, new = layer_source(old, "<old>"), layer_source(new, "<new>")
    with _showing(old, new):
        first, second = _side(old), _side(new)
    first.backend = second.backend = CLOSURES  # a witness or two: the backend that compiles quickest
    day = _date(as_of) or _diff_day(second)
    programs = [check_program(engine.selected(day, engine.proposed.header.icb if engine.proposed else None))
                for engine in (first, second)]
    return check_differences(first, second, compare(programs[0], programs[1], timeout_ms))


def _side(path: str | Path | SourceFile) -> Engine:
    """A folder is a library; a local layer's file (or text) is that layer over
    the shipped library; a national file stands in for its layer in the shipped one."""
    if not isinstance(path, SourceFile) and Path(path).is_dir():
        return Engine.load(path)
    source = source_of(path)
    lowered = lower(source)
    if lowered.layer is None:
        raise InvalidInput(lowered.diagnostics)
    if lowered.layer.is_local:
        return Engine.load(local=path)
    sources = [s for s in default_sources() if layer_name(s) != lowered.layer.name] + [source]
    return _engine_of(sources)


def _engine_of(sources) -> Engine:
    checked = check_static(assembled(run_until("lower", sources)))
    return Engine(checked)


def _diff_day(engine: Engine) -> dt.date:
    layer = engine.proposed
    if layer is not None and layer.header.effective is not None:
        return layer.header.effective.start
    return dt.date.today()


# ---------------------------------------------------------------- impact

@attrs.frozen
class ImpactReport:
    """What a proposed variation changes over a population: each changed
    arrangement (`changes`), the summary, and the lines that could not be read."""

    changes: tuple  # impact.ArrangementImpact, one per changed arrangement
    summary: Any  # impact.ImpactSummary
    bad_lines: tuple[InvalidInput, ...] = ()

    def transitions(self, rule_id: str) -> dict[str, int]:
        """How many subjects moved between outcomes, e.g. {"fail -> pass": 3}."""
        return dict(self.summary.transitions.get(rule_id, {}))

    def to_dict(self) -> dict:
        """The JSON of `impact --format json`: the changed arrangements and the summary."""
        return {"changes": [c.as_json() for c in self.changes], "summary": self.summary.as_json()}


def impact(population: str | Path | Iterable[Mapping[str, Any]], variation: LayerLike, *,
           rules: str | Path | None = None, as_of: dt.date | str | None = None,
           strict: bool = False) -> ImpactReport:
    """Evaluate every arrangement of a population before and after a proposed
    local layer. `population` is a JSON Lines file, or dicts of facts (a
    list, or any iterable: a data frame's rows). A line or dict that cannot
    be read is kept in `bad_lines` (or, with `strict`, raised as
    `InvalidInput`)."""
    variation = layer_source(variation)
    with _showing(variation):
        baseline = Engine.load(rules, without=variation)
        proposed = Engine.load(rules, variation)
    day = _date(as_of)
    summary = ImpactSummary()
    changes, bad = [], []
    if isinstance(population, (str, Path)):
        items = run_impact(baseline, proposed, population, day, summary)
    else:
        items = _assessed(baseline, proposed, population, day, summary, assess_arrangement)
    for item in items:
        if isinstance(item, InvalidInput):
            if strict:
                raise item
            bad.append(item)
        else:
            changes.append(item)
    summary.variation = variation.path if isinstance(variation, SourceFile) else str(variation)
    return ImpactReport(tuple(changes), summary, tuple(bad))


def _assessed(baseline: Engine, proposed: Engine, population: Iterable, day, summary, assess):
    """`impact.impact`'s loop over dicts instead of the lines of a file."""
    summary.population = "<dicts>"
    summary.describe_variation(proposed)

    def attempt(number: int, facts):
        arrangement = arrangement_from_dict(proposed, facts, f"<dict {number}>")
        return assess(baseline, proposed, arrangement, number, day)
    return tally(summary, (lambda n=number, f=facts: attempt(n, f)
                           for number, facts in enumerate(population, 1)))


# --------------------------------------------------------------- explain

@attrs.frozen
class Explanations:
    """Why one requirement or value came out as it did, one `Explanation` per subject."""

    items: tuple  # explain.Explanation

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index):
        return self.items[index]

    def to_dict(self, full: bool = False) -> list:
        """The JSON of `explain --format json` (`full`: with `--full`)."""
        return [(e if full else e.compact()).as_json() for e in self.items]

    def to_text(self, full: bool = False) -> str:
        return render_explanation(list(self.items), full)


def explain(rule_id: str, arrangement: ArrangementLike | None = None, *, subject: str | None = None,
            rules: str | Path | None = None, local: LayerLike | None = None,
            as_of: dt.date | str | None = None, assume: AssumeLike = None, engine: Engine | None = None):
    """With an arrangement: `Explanations` of how `rule_id` came out, per subject
    (the facts and parameters read, why it failed and what would make it pass).
    Without one: the term described statically (`describe.TermDescription`):
    what it requires, its clause, flexibility and the local layers that vary it.
    An unknown id raises `InvalidInput` (E-NAME-001, with a did-you-mean)."""
    engine = engine if engine is not None else load(rules, local, assume)
    day = _date(as_of)
    if arrangement is None:
        return describe_term(engine, rule_id, day)
    if isinstance(arrangement, Mapping):
        loaded = arrangement_from_dict(engine, arrangement)
    else:
        loaded = engine.load_arrangement(arrangement)
    return Explanations(tuple(explain_result(engine, loaded, rule_id, subject, day)))


__all__ = ["Report", "ImpactReport", "Explanations", "UnknownResult", "SubjectNeeded",
           "check_arrangement", "arrangement_from_dict", "vary_check", "impact", "explain", "load",
           "render_error", "layer_source", "LAYER_TEXT"]
