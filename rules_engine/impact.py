"""`impact`: what a proposed local variation would do to a population.

Input: a JSON Lines population, the baseline engine (national layers and each
ICB's current local layer) and the proposed engine (the same, with the
proposed layer in place of its ICB's current one). Each line is read and
checked once, then evaluated under both. Output: one `Change` list per
arrangement whose results or values differ, and an `ImpactSummary`: per
requirement the outcome transitions (pass -> fail, ...), per value the total
and per-arrangement change, the count of bad lines skipped.

Streams: memory holds counters and the changed arrangements' ids, never the
population.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import attrs

from .diagnostics import InvalidInput
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

    def as_json(self) -> dict:
        return {"id": self.id, "subject": self.subject, "before": self.before, "after": self.after}


@attrs.frozen
class ArrangementImpact:
    id: str
    line: int
    changes: tuple[Change, ...]

    def as_json(self) -> dict:
        return {"id": self.id, "line": self.line, "changes": [c.as_json() for c in self.changes]}


def compare(before: ArrangementResult, after: ArrangementResult) -> list[Change]:
    changes: list[Change] = []
    old = {(r.id, r.subject): r.outcome.value for r in before.results}
    new = {(r.id, r.subject): r.outcome.value for r in after.results}
    for key in list(old) + [k for k in new if k not in old]:
        if old.get(key) != new.get(key):
            changes.append(Change(key[0], key[1], old.get(key), new.get(key), "outcome"))
    old_values = {(v.id, v.subject): v for v in before.values}
    new_values = {(v.id, v.subject): v for v in after.values}
    for key in list(old_values) + [k for k in new_values if k not in old_values]:
        a, b = old_values.get(key), new_values.get(key)
        if (a.value if a else None) != (b.value if b else None):
            changes.append(Change(key[0], key[1], value_json(a.value, a.type) if a else None,
                                  value_json(b.value, b.type) if b else None, "value"))
    return changes


@attrs.define
class ImpactSummary:
    arrangements: int = 0
    changed: int = 0
    bad_lines: int = 0
    transitions: dict = attrs.field(factory=lambda: defaultdict(Counter))
    value_totals: dict = attrs.field(factory=dict)  # id -> [before, after, changed count, unit]
    changed_ids: list = attrs.field(factory=list)

    def add(self, before: ArrangementResult, after: ArrangementResult, changes: list[Change]) -> None:
        self.arrangements += 1
        for value in before.values:
            self._total(value, 0)
        for value in after.values:
            self._total(value, 1)
        if not changes:
            return
        self.changed += 1
        self.changed_ids.append(after.id)
        for change in changes:
            if change.kind == "outcome":
                self.transitions[change.id][f"{change.before or 'absent'} -> {change.after or 'absent'}"] += 1
            else:
                self.value_totals[change.id][2] += 1

    def _total(self, value, index: int) -> None:
        entry = self.value_totals.setdefault(value.id, [Decimal(0), Decimal(0), 0, value.unit])
        if isinstance(value.value, Decimal) and not isinstance(value.value, bool):
            entry[index] += value.value

    def as_json(self) -> dict:
        values = {}
        for value_id, (before, after, changed, unit) in sorted(self.value_totals.items()):
            if before == after and not changed and unit != "GBP":
                continue  # payments are always listed, so "no change" is said outright
            money = unit == "GBP"
            shown = (lambda d: f"{d:.2f}") if money else (lambda d: value_json(d))
            values[value_id] = {"unit": unit, "total_before": shown(before), "total_after": shown(after),
                                "total_change": shown(after - before), "arrangements_changed": changed}
        return {"arrangements": self.arrangements, "changed": self.changed, "bad_lines": self.bad_lines,
                "transitions": {rule: dict(sorted(counts.items()))
                                for rule, counts in sorted(self.transitions.items())},
                "values": values}


def impact(baseline: Engine, proposed: Engine, population: str | Path, as_of: dt.date | None = None,
           summary: ImpactSummary | None = None) -> Iterator[ArrangementImpact | InvalidInput]:
    """Yield the impact on each changed arrangement, or a bad line's error."""
    summary = summary if summary is not None else ImpactSummary()
    schema = proposed.library.schema  # a proposed layer may declare facts of its own
    origin = str(population)
    with open(population, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                arrangement = parse_json_line(schema, line, origin, number)
                before = baseline.evaluate(arrangement, as_of)
                after = proposed.evaluate(arrangement, as_of)
            except InvalidInput as error:
                summary.bad_lines += 1
                yield error
                continue
            changes = compare(before, after)
            summary.add(before, after, changes)
            if changes:
                yield ArrangementImpact(after.id, number, tuple(changes))
