"""`impact`: what a proposed local variation would do to a population.

Input: arrangements, the baseline engine (national layers and each ICB's
current local layer) and the proposed engine (the same with the proposed layer
in place of its ICB's current one). Each arrangement is read and checked once,
then evaluated under both. Output: per arrangement the `Change`s (requirement
outcomes and values that differ), and an `ImpactSummary`: per requirement the
outcome transitions (pass -> fail, ...), per value the totals before and after
and how many arrangements changed, and the bad lines skipped.

`population_run` streams a JSON Lines file through `assess`, in chunks and
optionally in several processes; `impact` is the same loop for callers that
hold the engines.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import attrs

from .diagnostics import InvalidInput
from .documents import population_lines
from .pipeline import Engine
from .reports.json_report import value_json
from .results import ArrangementResult
from .schema import parse_json_line


@attrs.frozen
class Change:
    id: str  # the requirement or value id
    subject: str
    before: Any
    after: Any
    kind: str  # outcome | value
    why_before: str | None = None  # why it failed or was unknown, before and after
    why_after: str | None = None

    def as_json(self) -> dict:
        data = {"id": self.id, "subject": self.subject, "before": self.before, "after": self.after}
        if self.why_before:
            data["why_before"] = self.why_before
        if self.why_after:
            data["why_after"] = self.why_after
        return data


@attrs.frozen
class ArrangementImpact:
    id: str
    line: int
    changes: tuple[Change, ...]

    def as_json(self) -> dict:
        return {"id": self.id, "line": self.line, "changes": [c.as_json() for c in self.changes]}


def compare(before: ArrangementResult, after: ArrangementResult) -> list[Change]:
    changes: list[Change] = []
    old = {(r.id, r.subject): r for r in before.results}
    new = {(r.id, r.subject): r for r in after.results}
    for key in list(old) + [k for k in new if k not in old]:
        a, b = old.get(key), new.get(key)
        if (a.outcome if a else None) != (b.outcome if b else None):
            changes.append(Change(key[0], key[1], a.outcome.value if a else None,
                                  b.outcome.value if b else None, "outcome", _why(a), _why(b)))
    old_values = {(v.id, v.subject): v for v in before.values}
    new_values = {(v.id, v.subject): v for v in after.values}
    for key in list(old_values) + [k for k in new_values if k not in old_values]:
        a, b = old_values.get(key), new_values.get(key)
        if (a.value if a else None) != (b.value if b else None):
            changes.append(Change(key[0], key[1], value_json(a.value, a.type) if a else None,
                                  value_json(b.value, b.type) if b else None, "value"))
    return changes


def _why(result) -> str | None:
    why = result.why if result is not None else None
    return why.headline() if why is not None else None


def value_contributions(before: ArrangementResult, after: ArrangementResult) -> tuple:
    """(value id, unit, amount before, amount after, unknown before, unknown
    after) per numeric value, for totals: the amounts add the values that are
    known; the counts say how many subjects' values are not, so that a total
    never passes an unknown off as nothing."""
    totals: dict[str, list] = {}
    for index, result in ((0, before), (1, after)):
        for value in result.values:
            entry = totals.setdefault(value.id, [value.unit, Decimal(0), Decimal(0), 0, 0])
            if isinstance(value.value, Decimal):
                entry[1 + index] += value.value
            elif value.value is None:
                entry[3 + index] += 1
    return tuple((value_id, *entry) for value_id, entry in totals.items())


@attrs.define
class ImpactSummary:
    arrangements: int = 0
    changed: int = 0
    bad_lines: int = 0
    transitions: dict = attrs.field(factory=lambda: defaultdict(Counter))
    # id -> [unit, before, after, arrangements changed, unknown before, unknown after]
    value_totals: dict = attrs.field(factory=dict)
    changes_in_pounds: dict = attrs.field(factory=lambda: defaultdict(list))  # id -> per-arrangement
    population: str | None = None
    variation: str | None = None

    def add(self, arrangement_id: str, changes, contributions) -> None:
        self.arrangements += 1
        for value_id, unit, old, new, unknown_old, unknown_new in contributions:
            entry = self.value_totals.setdefault(value_id, [unit, Decimal(0), Decimal(0), 0, 0, 0])
            entry[1] += old
            entry[2] += new
            entry[4] += unknown_old
            entry[5] += unknown_new
            if old != new:
                entry[3] += 1
                if unit == "GBP":
                    self.changes_in_pounds[value_id].append(new - old)
        if not changes:
            return
        self.changed += 1
        for change in changes:
            if change.kind == "outcome":
                self.transitions[change.id][f"{change.before or 'absent'} -> {change.after or 'absent'}"] += 1

    def as_json(self) -> dict:
        values = {}
        for value_id, (unit, before, after, changed, unknown_before, unknown_after) in sorted(
                self.value_totals.items()):
            if before == after and not changed and unit != "GBP" and unknown_before == unknown_after:
                continue  # payments are always listed, so "no change" is said outright
            shown = (lambda d: f"{d:.2f}") if unit == "GBP" else value_json
            values[value_id] = {"unit": unit, "total_before": shown(before), "total_after": shown(after),
                                "total_change": shown(after - before), "arrangements_changed": changed,
                                "unknown_before": unknown_before, "unknown_after": unknown_after}
            if unit == "GBP":
                values[value_id]["changes"] = [f"{d:.2f}" for d in self.changes_in_pounds[value_id]]
        return {"population": self.population, "variation": self.variation,
                "arrangements": self.arrangements, "changed": self.changed, "bad_lines": self.bad_lines,
                "transitions": {rule: dict(sorted(counts.items()))
                                for rule, counts in sorted(self.transitions.items())},
                "values": values}


def assess(baseline: Engine, proposed: Engine, line: str, origin: str, number: int,
           as_of: dt.date | None) -> tuple[str, int, tuple[Change, ...], tuple]:
    """One population row under both engines; raises InvalidInput for a bad row."""
    arrangement = parse_json_line(proposed.library.schema, line, origin, number)
    before = baseline.evaluate(arrangement, as_of)
    after = proposed.evaluate(arrangement, as_of)
    return after.id, number, tuple(compare(before, after)), value_contributions(before, after)


def impact(baseline: Engine, proposed: Engine, population: str | Path, as_of: dt.date | None = None,
           summary: ImpactSummary | None = None) -> Iterator[ArrangementImpact | InvalidInput]:
    """Yield the impact on each changed arrangement, or a bad line's error."""
    summary = summary if summary is not None else ImpactSummary()
    summary.population = str(population)
    summary.variation = proposed.proposed.file if proposed.proposed is not None else None
    for line in population_lines(population):
        try:
            if line.problem:
                raise InvalidInput(line.problem)
            arrangement_id, _, changes, contributions = assess(
                baseline, proposed, line.text, str(population), line.number, as_of)
        except InvalidInput as error:
            summary.bad_lines += 1
            yield error
            continue
        summary.add(arrangement_id, changes, contributions)
        if changes:
            yield ArrangementImpact(arrangement_id, line.number, changes)
