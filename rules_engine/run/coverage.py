"""Rule coverage: which terms of the rule files a run of scenarios exercised.

Input: the libraries the run loaded (`Recorder.add_library`) and, as the run
goes, every decision and value the evaluation loop makes (`Recorder.watch`,
called by `run.evaluate.Evaluator`) and every value each condition gives (the
closure backend's probe: `Recorder.point`). Output: `Coverage`, per rule file
and in total, as data (`as_json`); reports/coverage_report.py renders it.

What is measured, per rule file (docs/coverage.md):

- each requirement: how often it passed, failed, was unknown, was not
  applicable (its `where` did not select the subject, or a local layer waived
  it) and was not in force on the date; it *ran* when it was decided in force
  for some subject;
- each reported value (a definition with `report as`): how often it was
  worked out known or unknown; it *ran* when it was worked out at all;
- each condition: a requirement's `where`, `must` and `unless`, a local
  waiver's `where`, and every `if` in a requirement, definition, replaced
  value or waiver: how often it was true, false and unknown.

The figure is covered points over points, as a percentage: a requirement or
value is one point (covered when it ran), a condition two (covered true, and
covered false: an `if` whose both branches ran). Unknown is reported but is
no point: a condition need not be made unknown to count as covered. A term
the rule files hold that no scenario reached is a point not covered, in force
on the scenarios' dates or not.

Recording costs nothing when coverage is off: only a coverage run compiles
with a probe, and only its evaluator has a recorder.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import attrs

from rules_engine.backends.protocol import NOT_IN_FORCE, NOT_SELECTED, WAIVED, Decision, Value
from rules_engine.base.source import SourceFile, Span
from rules_engine.base.values import Unknown
from rules_engine.syntax import nodes as n
from rules_engine.syntax.walk import descendants

#: The conditions measured, in the order a report lists a term's conditions.
ROLES = ("where", "must", "unless", "waiver", "if")
#: How a requirement came out, as the coverage report counts it.
REQUIREMENT_OUTCOMES = ("pass", "fail", "unknown", "not_applicable", "not_in_force")
DEFINITION = ("a requirement or reported value is one point, covered when a scenario worked it out "
              "in force; a condition (where, must, unless, waiver, if) is two, covered true and "
              "covered false; unknown is counted but is no point")


@attrs.define
class Condition:
    role: str  # where | must | unless | waiver | if
    owner: str  # what it belongs to: `requirement ID`, `value NAME`, `waiver ID`
    span: Span
    text: str  # its source, as the rule file writes it (first line)
    true: int = 0
    false: int = 0
    unknown: int = 0

    def record(self, value: Any) -> None:
        if value is True:
            self.true += 1
        elif value is False:
            self.false += 1
        elif type(value) is Unknown:
            self.unknown += 1

    @property
    def covered(self) -> int:
        return (self.true > 0) + (self.false > 0)

    def as_json(self) -> dict:
        return {"role": self.role, "owner": self.owner, "line": self.span.line, "column": self.span.column,
                "end_line": self.span.end_line, "end_column": self.span.end_column, "text": self.text,
                "true": self.true, "false": self.false, "unknown": self.unknown}


@attrs.define
class Item:
    """A requirement, or a reported value (all its keys and subjects together)."""

    kind: str  # requirement | value
    id: str  # the requirement's id, or the value's report id (`qof.points.{code}`)
    span: Span
    counts: dict[str, int] = attrs.field(factory=dict)

    @property
    def ran(self) -> bool:
        return any(count for outcome, count in self.counts.items() if outcome != "not_in_force")

    def as_json(self) -> dict:
        outcomes = REQUIREMENT_OUTCOMES if self.kind == "requirement" else ("known", "unknown")
        return {"id": self.id, "line": self.span.line, "ran": self.ran,
                "outcomes": {outcome: self.counts.get(outcome, 0) for outcome in outcomes}}


@attrs.define
class FileCoverage:
    file: str
    source: SourceFile
    requirements: list[Item] = attrs.field(factory=list)
    values: list[Item] = attrs.field(factory=list)
    conditions: list[Condition] = attrs.field(factory=list)

    @property
    def points(self) -> int:
        return len(self.requirements) + len(self.values) + 2 * len(self.conditions)

    @property
    def covered(self) -> int:
        return (sum(i.ran for i in self.requirements) + sum(i.ran for i in self.values)
                + sum(c.covered for c in self.conditions))

    def as_json(self) -> dict:
        return {"file": self.file, "figure": figure(self.covered, self.points), "covered": self.covered,
                "points": self.points,
                "requirements": [i.as_json() for i in sorted(self.requirements, key=_at)],
                "values": [i.as_json() for i in sorted(self.values, key=_at)],
                "conditions": [c.as_json() for c in sorted(self.conditions, key=_at)]}


def _at(thing) -> tuple:
    return thing.span.line, thing.span.column


def figure(covered: int, points: int) -> float | None:
    """Covered points as a percentage to one place, rounded down (so that a
    figure shown never claims more than was covered); None with no points."""
    if not points:
        return None
    return float((Decimal(100 * covered) / points).quantize(Decimal("0.1"), ROUND_FLOOR))


def below(covered: int, points: int, minimum: float) -> bool:
    """Whether the exact share is under `minimum` percent (no rounding)."""
    return Decimal(100 * covered) < Decimal(str(minimum)) * points


@attrs.frozen
class Coverage:
    """A run's coverage, per rule file (those with something to cover)."""

    files: tuple[FileCoverage, ...]

    @property
    def points(self) -> int:
        return sum(f.points for f in self.files)

    @property
    def covered(self) -> int:
        return sum(f.covered for f in self.files)

    @property
    def figure(self) -> float | None:
        return figure(self.covered, self.points)

    def as_json(self) -> dict:
        return {"figure": self.figure, "covered": self.covered, "points": self.points,
                "definition": DEFINITION, "files": [f.as_json() for f in self.files]}


def _key(span: Span, role: str) -> tuple:
    return span.file, span.start, span.end, role


class Recorder:
    """Collects a coverage run (`protocol.Probe` for the closure backend, and
    the evaluation loop's watcher). Conditions record only while the loop
    runs: `why`, worked out later over the same closures, does not count."""

    def __init__(self):
        self.files: dict[str, FileCoverage] = {}
        self._conditions: dict[tuple, Condition] = {}
        self._items: dict[tuple, Item] = {}
        self.recording = False

    # -- what there is to cover -------------------------------------------------------

    def add_library(self, layers: Iterable) -> None:
        """Every requirement, reported value and condition of these layers
        (`static.forms.Layer`s), each once however many engines load it."""
        for layer in layers:
            file = self.files.get(layer.source.path)
            if file is None:
                file = self.files[layer.source.path] = FileCoverage(_shown_path(layer.file), layer.source)
            for declaration in layer.syntax.declarations:
                self._declaration(file, declaration)

    def _declaration(self, file: FileCoverage, declaration) -> None:
        if isinstance(declaration, (n.ReplaceDecl, n.AddRequirementDecl)):
            declaration = declaration.requirement
        if isinstance(declaration, n.RequirementDecl):
            self._item(file, "requirement", declaration.id, declaration.span)
            owner = f"requirement {declaration.id}"
            for role in ("where", "must", "unless"):
                if getattr(declaration, role) is not None:
                    self._condition(file, role, getattr(declaration, role), owner)
            self._ifs(file, (declaration.where, declaration.must, declaration.unless,
                             tuple(w.condition for w in declaration.warnings)), owner)
        elif isinstance(declaration, n.DefineDecl):
            if declaration.report is not None:
                self._item(file, "value", declaration.report.id, declaration.span)
            self._ifs(file, declaration.body, f"value {declaration.name}")
        elif isinstance(declaration, n.ReplaceValueDecl):
            self._ifs(file, declaration.value, f"value {declaration.name}")
        elif isinstance(declaration, n.WaiveDecl) and declaration.where is not None:
            self._condition(file, "waiver", declaration.where, f"waiver {declaration.id}")
            self._ifs(file, declaration.where, f"waiver {declaration.id}")

    def _ifs(self, file: FileCoverage, root, owner: str) -> None:
        for node in descendants(root):
            if isinstance(node, n.Conditional):
                self._condition(file, "if", node.condition, owner)

    def _item(self, file: FileCoverage, kind: str, id_: str, span: Span) -> Item:
        key = _key(span, kind)
        item = self._items.get(key)
        if item is None:
            item = self._items[key] = Item(kind, id_, span)
            (file.requirements if kind == "requirement" else file.values).append(item)
        return item

    def _condition(self, file: FileCoverage | None, role: str, node, owner: str) -> Condition:
        key = _key(node.span, role)
        condition = self._conditions.get(key)
        if condition is None:
            condition = self._conditions[key] = Condition(role, owner, node.span, _first_line(file, node.span))
            if file is not None:
                file.conditions.append(condition)
        return condition

    # -- the probe and the watcher ------------------------------------------------------

    def point(self, role: str, node) -> Callable[[Any], None]:
        """The closure backend's probe (`protocol.Probe`)."""
        condition = self._conditions.get(_key(node.span, role))
        if condition is None:  # a node of no file added (a library built in memory): kept, not shown
            condition = self._condition(None, role, node, "")

        def record(value):
            if self.recording:
                condition.record(value)
        return record

    def watch(self, program, decisions: Iterable[Decision],
              values: Iterable[Value]) -> tuple[Iterator[Decision], Iterator[Value]]:
        """The evaluation loop's decisions and values, each recorded as it passes."""
        return self._decisions(program, decisions), self._values(program, values)

    def _decisions(self, program, decisions: Iterable[Decision]) -> Iterator[Decision]:
        requirements = program.requirements
        self.recording = True
        try:
            for decision in decisions:
                term = requirements[decision.index].term
                item = self._items.get(_key(term.span, "requirement")) or self._item_of(term, "requirement",
                                                                                         term.id)
                outcome = ("not_in_force" if decision.reason == NOT_IN_FORCE
                           else "not_applicable" if decision.reason in (NOT_SELECTED, WAIVED)
                           else decision.outcome.value)
                item.counts[outcome] = item.counts.get(outcome, 0) + 1
                yield decision
        finally:
            self.recording = False

    def _values(self, program, values: Iterable[Value]) -> Iterator[Value]:
        defines = program.defines
        self.recording = True
        try:
            for value in values:
                term = defines[value.name].term
                item = self._items.get(_key(term.span, "value")) or self._item_of(term, "value", term.report.id)
                known = "unknown" if type(value.value) is Unknown else "known"
                item.counts[known] = item.counts.get(known, 0) + 1
                yield value
        finally:
            self.recording = False

    def _item_of(self, term, kind: str, id_: str) -> Item:
        """An item of no file added (kept apart: it is in no file's figure)."""
        key = _key(term.span, kind)
        item = self._items[key] = Item(kind, id_, term.span)
        return item

    # -- the result ----------------------------------------------------------------

    def coverage(self) -> Coverage:
        files = sorted((f for f in self.files.values() if f.points), key=lambda f: f.file)
        return Coverage(tuple(files))


def _first_line(file: FileCoverage | None, span: Span) -> str:
    if file is None:
        return ""
    line = file.source.line_text(span.line).rstrip("\r")
    text = line[span.column - 1:] if span.end_line > span.line else line[span.column - 1:span.end_column - 1]
    return text.strip() + (" ..." if span.end_line > span.line else "")


def _shown_path(file: str) -> str:
    """A rule file's path as a report names it: relative to the working folder when under it."""
    path = Path(file)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()
