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
    unit: str | None = None  # a value's unit, for showing it (not in the JSON: its values are exact)
    present: tuple[bool, bool] = (True, True)  # whether the result or value existed before, after

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
        outcomes = (a.outcome.value if a else None, b.outcome.value if b else None)
        if None in outcomes and "not_applicable" in outcomes:
            continue  # a term that applies to nobody, absent or not applicable, has not changed
        if outcomes[0] != outcomes[1]:
            changes.append(Change(key[0], key[1], a.outcome.value if a else None,
                                  b.outcome.value if b else None, "outcome", _why(a), _why(b),
                                  present=(a is not None, b is not None)))
    old_values = {(v.id, v.subject): v for v in before.values}
    new_values = {(v.id, v.subject): v for v in after.values}
    for key in list(old_values) + [k for k in new_values if k not in old_values]:
        a, b = old_values.get(key), new_values.get(key)
        if (a.value if a else None) != (b.value if b else None):
            changes.append(Change(key[0], key[1], value_json(a.value, a.type) if a else None,
                                  value_json(b.value, b.type) if b else None, "value",
                                  unit=(a or b).unit, present=(a is not None, b is not None)))
    return changes


def _why(result) -> str | None:
    why = result.why if result is not None else None
    return why.headline() if why is not None else None


#: Units whose amounts add up across subjects: money, counts and time. Other
#: quantities (shares, factors, points per subject) are summarised by their
#: distribution (minimum, median, maximum) instead: a sum of fractions means nothing.
ADDITIVE_UNITS = frozenset({"GBP", "count", "minutes", "days", "months"})


def value_contributions(before: ArrangementResult, after: ArrangementResult) -> tuple:
    """(value id, unit, before, after, unknown before, unknown after, known
    before, known after) per
    numeric value, for totals: for a unit that adds, the amounts of the
    subjects whose value is known, added; for one that does not, the known
    amounts themselves (a tuple), for their distribution. The counts say how
    many subjects' values are unknown, so that a total never passes an
    unknown off as nothing."""
    totals: dict[str, list] = {}
    for index, result in ((0, before), (1, after)):
        for value in result.values:
            entry = totals.get(value.id)
            if entry is None:
                additive = value.unit in ADDITIVE_UNITS
                entry = totals[value.id] = [value.unit, Decimal(0) if additive else [],
                                            Decimal(0) if additive else [], 0, 0, 0, 0]
            if isinstance(value.value, Decimal):
                entry[5 + index] += 1
                if isinstance(entry[1 + index], list):
                    entry[1 + index].append(value.value)
                else:
                    entry[1 + index] += value.value
            elif value.value is None:
                entry[3 + index] += 1
    return tuple((value_id, unit, old if not isinstance(old, list) else tuple(old),
                  new if not isinstance(new, list) else tuple(new), unknown_old, unknown_new,
                  known_old, known_new)
                 for value_id, (unit, old, new, unknown_old, unknown_new, known_old, known_new)
                 in totals.items())


def _distribution(amounts: list) -> dict | None:
    """Minimum, median and maximum of some amounts; None when there are none."""
    if not amounts:
        return None
    ordered = sorted(amounts)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"min": value_json(ordered[0]), "median": value_json(median), "max": value_json(ordered[-1]),
            "subjects": len(ordered)}


@attrs.define
class ImpactSummary:
    arrangements: int = 0
    changed: int = 0
    bad_lines: int = 0
    transitions: dict = attrs.field(factory=lambda: defaultdict(Counter))
    # id -> [unit, before, after, arrangements changed, unknown before, unknown after,
    #        known before, known after]; before/after are totals for a unit that
    # adds, lists of the subjects' amounts for one that does not
    value_totals: dict = attrs.field(factory=dict)
    changes_in_pounds: dict = attrs.field(factory=lambda: defaultdict(list))  # id -> per-arrangement
    population: str | None = None
    variation: str | None = None

    def add(self, arrangement_id: str, changes, contributions) -> None:
        self.arrangements += 1
        for value_id, unit, old, new, unknown_old, unknown_new, known_old, known_new in contributions:
            additive = not isinstance(old, tuple)
            entry = self.value_totals.get(value_id)
            if entry is None:
                entry = self.value_totals[value_id] = [
                    unit, Decimal(0) if additive else [], Decimal(0) if additive else [], 0, 0, 0, 0, 0]
            if additive:
                entry[1] += old
                entry[2] += new
                changed = old != new
            else:
                entry[1].extend(old)
                entry[2].extend(new)
                changed = old != new
            entry[4] += unknown_old
            entry[5] += unknown_new
            entry[6] += known_old
            entry[7] += known_new
            if changed:
                entry[3] += 1
                if unit == "GBP":
                    self.changes_in_pounds[value_id].append(new - old)
        if not changes:
            return
        self.changed += 1
        for change in changes:
            if change.kind == "outcome":
                self.transitions[change.id][f"{change.before if change.present[0] else 'absent'} -> "
                                           f"{change.after if change.present[1] else 'absent'}"] += 1

    def as_json(self) -> dict:
        values = {}
        for value_id, entry in sorted(self.value_totals.items()):
            unit, before, after, changed, unknown_before, unknown_after = entry[:6]
            if isinstance(before, list):
                if before == after and not changed and unknown_before == unknown_after:
                    continue
                values[value_id] = {"unit": unit, "summary": "distribution",
                                    "distribution_before": _distribution(before),
                                    "distribution_after": _distribution(after),
                                    "arrangements_changed": changed,
                                    "unknown_before": unknown_before, "unknown_after": unknown_after}
                continue
            if before == after and not changed and unit != "GBP" and unknown_before == unknown_after:
                continue  # payments are always listed, so "no change" is said outright
            shown = (lambda d: f"{d:.2f}") if unit == "GBP" else value_json
            # A total over values that are all unknown is unknown, never nothing.
            known_before, known_after = entry[6], entry[7]
            total_before = shown(before) if known_before else None
            total_after = shown(after) if known_after else None
            values[value_id] = {"unit": unit, "summary": "total", "total_before": total_before,
                                "total_after": total_after,
                                "total_change": shown(after - before) if known_before and known_after else None,
                                "arrangements_changed": changed,
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
    after = proposed.evaluate(arrangement, as_of)  # checks every key, the proposal's rows included
    before = baseline.evaluate(baseline.without_keys_out_of_force(arrangement, as_of), as_of)
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
