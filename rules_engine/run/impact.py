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
import json
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import attrs

from rules_engine.base.diagnostics import InvalidInput
from rules_engine.io.documents import population_lines
from rules_engine.io.inputs import name_of
from rules_engine.run.budget_money import money_verdict
from rules_engine.run.engine import Engine
from rules_engine.static.flexibility import judge_layer
from rules_engine.static.fact_checks import PopulationSubjects, practice_codes
from rules_engine.base.numbers import value_json
from rules_engine.base.spill import Amounts
from rules_engine.run.results import ArrangementResult
from rules_engine.io.arrangements import parse_json_line
from rules_engine.run.evaluate import subject_instances
from rules_engine.run.population_totals import Tally, contributions


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
    title: str | None = None  # a requirement's title
    name: str | None = None  # the subject's name, where the arrangement gives one (a PCN's, a practice's)
    # The assumptions (`assumptions.Assumption`) the value read, before or after.
    assumed: tuple = ()

    def as_json(self) -> dict:
        data = {"id": self.id, "subject": self.subject, "before": self.before, "after": self.after}
        if self.name:
            data["name"] = self.name
        if self.assumed:
            data["assumed"] = [a.as_json() for a in self.assumed]
        if self.why_before:
            data["why_before"] = self.why_before
        if self.why_after:
            data["why_after"] = self.why_after
        return data


@attrs.frozen
class Stated:
    """An assumption as a changed value read it, read back from a spill
    (`ArrangementImpact.decode`): what the reports show of it."""

    name: str
    value: str
    source: str

    def as_json(self) -> dict:
        return {"name": self.name, "value": self.value, "source": self.source}


@attrs.frozen
class ArrangementImpact:
    id: str
    line: int
    changes: tuple[Change, ...]
    name: str | None = None  # the arrangement's name (its PCN's, or its practice's)

    def as_json(self) -> dict:
        data = {"id": self.id, "line": self.line, "changes": [c.as_json() for c in self.changes]}
        if self.name:
            data["name"] = self.name
        return data

    def encode(self) -> str:
        """One JSON line holding every field, for a `spill.Spill` (`decode` reads it back)."""
        changes = [[c.id, c.subject, c.before, c.after, c.kind, c.why_before, c.why_after, c.unit,
                    list(c.present), c.title, c.name, [a.as_json() for a in c.assumed]]
                   for c in self.changes]
        return json.dumps([self.id, self.line, self.name, changes], ensure_ascii=True, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str) -> "ArrangementImpact":
        arrangement_id, line, name, changes = json.loads(text)
        return cls(arrangement_id, line, tuple(
            Change(*fields[:8], present=tuple(fields[8]), title=fields[9], name=fields[10],
                   assumed=tuple(Stated(**a) for a in fields[11]))
            for fields in changes), name)


@attrs.frozen
class Assessed:
    """One population row under both engines (picklable: workers return it)."""

    id: str
    line: int
    changes: tuple[Change, ...]
    contributions: tuple  # value_contributions(before, after)
    layers: tuple[str, str]  # the layers it was checked under, before and after: "national + qmm"
    name: str | None = None  # the arrangement's name, when it changed
    practices: tuple = ("", ())  # (the date, the practices it gives): E-FACT-009 across lines
    population: tuple = ((), ())  # its parts of the population terms in force, before and after

    def impact(self) -> ArrangementImpact:
        return ArrangementImpact(self.id, self.line, self.changes, self.name)


def compare(before: ArrangementResult, after: ArrangementResult,
            names: dict[str, str] | None = None) -> list[Change]:
    """What differs between two results of one arrangement; `names` gives the
    subjects' names (`subject_names`)."""
    names = names or {}
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
                                  present=(a is not None, b is not None), title=(b or a).title,
                                  name=names.get(key[1])))
    old_values = {(v.id, v.subject): v for v in before.values}
    new_values = {(v.id, v.subject): v for v in after.values}
    for key in list(old_values) + [k for k in new_values if k not in old_values]:
        a, b = old_values.get(key), new_values.get(key)
        if (a.value if a else None) != (b.value if b else None):
            read = tuple(dict.fromkeys((a.assumed if a else ()) + (b.assumed if b else ())))
            changes.append(Change(key[0], key[1], value_json(a.value, a.type) if a else None,
                                  value_json(b.value, b.type) if b else None, "value",
                                  unit=(a or b).unit, present=(a is not None, b is not None),
                                  name=names.get(key[1]), assumed=read))
    return changes


def subject_names(schema, arrangement) -> dict[str, str]:
    """`{"pcn:U21001": "Marshgate and Brookworth PCN", ...}`: each subject whose
    record gives a `name`."""
    names = {}
    for kind in schema.subjects:
        for instance in subject_instances(schema.subjects, arrangement.facts, kind):
            record = instance.bindings.get(kind)
            name = record.get("name") if isinstance(record, dict) else None
            if isinstance(name, str) and name.strip():
                names[instance.id] = name.strip()
    return names


def _own_name(names: dict[str, str], arrangement_id: str) -> str | None:
    return next((n for subject, n in names.items() if subject.split(":", 1)[-1] == arrangement_id), None)


def arrangement_name(schema, arrangement, arrangement_id: str) -> str | None:
    """The arrangement's own name (its PCN's, or its practice's), if it gives one."""
    return _own_name(subject_names(schema, arrangement), arrangement_id)


def layers_in_force(engine: Engine, result: ArrangementResult) -> str:
    """`national + qmm`: the local layer (if any) over the national ones that
    an arrangement was checked under."""
    local = {layer.name for layer in engine.library.local}
    mine = [name for name in result.layers if name in local]
    return " + ".join(["national", *mine])


def transition_words(before: str, after: str) -> tuple[int, str]:
    """How an outcome change reads, and its rank (worst first), `before` and
    `after` an outcome or `absent`: ("pass", "fail") -> (0, "would newly fail")."""
    if after == "fail":
        return 0, "would newly fail"
    if after == "unknown":
        return 1, "would become unknown"
    if after == "pass":
        return (2, "would newly pass") if before in ("fail", "unknown") else (4, "would newly apply and pass")
    shown = {"not_applicable": "not applicable"}.get(before, before)
    return (3 if before in ("fail", "unknown") else 4), f"would no longer apply (was {shown})"


#: Subjects named per outcome change in the summary (the rest are counted).
NAMED_SUBJECTS = 20


@attrs.define
class OutcomeChange:
    """One requirement's results that move the same way (pass -> fail), with
    the first `NAMED_SUBJECTS` subjects named."""

    id: str
    before: str
    after: str
    title: str | None = None
    count: int = 0
    subjects: list = attrs.field(factory=list)  # [{"subject", "name", "arrangement"}]
    why: str | None = None  # why the first subject fails or is unknown after

    def add(self, arrangement_id: str, change: Change) -> None:
        self.count += 1
        if len(self.subjects) < NAMED_SUBJECTS:
            entry = {"subject": change.subject, "arrangement": arrangement_id}
            if change.name:
                entry["name"] = change.name
            self.subjects.append(entry)
        if self.why is None and change.why_after and self.after in ("fail", "unknown"):
            self.why = f"{change.subject}: {change.why_after}"

    def as_json(self) -> dict:
        rank, words = transition_words(self.before, self.after)
        return {"id": self.id, "title": self.title, "transition": f"{self.before} -> {self.after}",
                "words": words, "rank": rank, "count": self.count, "subjects": list(self.subjects),
                "why": self.why}


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


def _distribution(amounts: Amounts) -> dict | None:
    """Minimum, median and maximum of some amounts; None when there are none."""
    if not amounts:
        return None
    return {"min": value_json(amounts.minimum), "median": value_json(amounts.median()),
            "max": value_json(amounts.maximum), "subjects": len(amounts)}


@attrs.define
class ImpactSummary:
    arrangements: int = 0
    changed: int = 0
    bad_lines: int = 0
    transitions: dict = attrs.field(factory=lambda: defaultdict(Counter))
    # id -> [unit, before, after, arrangements changed, unknown before, unknown after,
    #        known before, known after]; before/after are totals for a unit that
    # adds, the subjects' amounts (`spill.Amounts`: bounded in memory) for one that does not
    value_totals: dict = attrs.field(factory=dict)
    changes_in_pounds: dict = attrs.field(factory=lambda: defaultdict(Amounts))  # id -> per-arrangement
    population: str | None = None
    variation: str | None = None
    layer: str | None = None  # the proposed layer's name and ICB
    icb: str | None = None
    # "national + qmm" -> how many arrangements were checked under it, before and after
    layers_before: Counter = attrs.field(factory=Counter)
    layers_after: Counter = attrs.field(factory=Counter)
    applied: int = 0  # arrangements the proposed layer applied to (those of its ICB)
    outcome_changes: dict = attrs.field(factory=dict)  # (id, before, after) -> OutcomeChange
    assumed: tuple = ()  # the assumptions stated for the run (`assumptions.Assumption`)
    value_assumed: dict = attrs.field(factory=dict)  # value id -> assumptions its changes read
    # The proposal's budgets of retired and added rows (`flexibility.Budget`),
    # given in pounds at the end from the folded value totals (budget_money).
    budgets: tuple = ()
    # The population terms in force before and after (`population_totals.Tally`).
    population_before: Tally | None = None
    population_after: Tally | None = None

    def add(self, arrangement_id: str, changes, contributions,
            layers: tuple[str, str] | None = None, population: tuple = ((), ())) -> None:
        self.arrangements += 1
        if self.population_before is not None:
            self.population_before.add(population[0])
            self.population_after.add(population[1])
        if layers is not None:
            self.layers_before[layers[0]] += 1
            self.layers_after[layers[1]] += 1
            if self.layer is not None and self.layer in layers[1].split(" + "):
                self.applied += 1
        for value_id, unit, old, new, unknown_old, unknown_new, known_old, known_new in contributions:
            additive = not isinstance(old, tuple)
            entry = self.value_totals.get(value_id)
            if entry is None:
                entry = self.value_totals[value_id] = [
                    unit, Decimal(0) if additive else Amounts(), Decimal(0) if additive else Amounts(),
                    0, 0, 0, 0, 0]
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
            if change.assumed:
                read = self.value_assumed.setdefault(change.id, {})
                read.update(dict.fromkeys(change.assumed))
            if change.kind == "outcome":
                before = change.before if change.present[0] else "absent"
                after = change.after if change.present[1] else "absent"
                self.transitions[change.id][f"{before} -> {after}"] += 1
                key = (change.id, before, after)
                if key not in self.outcome_changes:
                    self.outcome_changes[key] = OutcomeChange(change.id, before, after, change.title)
                self.outcome_changes[key].add(arrangement_id, change)

    def watch_population(self, baseline: Engine, proposed: Engine) -> None:
        """Fold the population terms in force under each engine (`population_terms`)."""
        self.population_before = Tally(baseline.library)
        self.population_after = Tally(proposed.library)

    def population_terms(self) -> list[dict]:
        """Each population term's result before and after the proposal, by term and group."""
        if self.population_before is None:
            return []
        before = {(r.name, r.group): r for r in self.population_before.results(self.bad_lines)}
        after = {(r.name, r.group): r for r in self.population_after.results(self.bad_lines)}
        return [{"id": key[0], "group": key[1],
                 "before": before[key].as_json(full=False) if key in before else None,
                 "after": after[key].as_json(full=False) if key in after else None}
                for key in sorted(set(before) | set(after))]

    def describe_variation(self, proposed: Engine) -> None:
        """The proposed layer's name and ICB, from the engine that holds it."""
        layer = proposed.proposed
        if layer is not None:
            self.layer = layer.name
            self.icb = getattr(layer.header, "icb", None)
            self.budgets = proposal_budgets(proposed)

    def ranked_outcome_changes(self) -> list[OutcomeChange]:
        """Worst first (newly failing, then unknown, then passing), the most
        results first within each."""
        return sorted(self.outcome_changes.values(),
                      key=lambda c: (transition_words(c.before, c.after)[0], -c.count, c.id, c.before))

    def as_json(self) -> dict:
        values = {}
        for value_id, entry in sorted(self.value_totals.items()):
            unit, before, after, changed, unknown_before, unknown_after = entry[:6]
            if isinstance(before, Amounts):
                # No arrangement's amounts changed: the two sequences are the same.
                if not changed and unknown_before == unknown_after:
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
                # The per-arrangement changes, counted into bins as they are read
                # back (from disk past `spill.KEEP`): the histogram, not the list.
                values[value_id]["histogram"] = [
                    {"from": f"{low:f}", "to": f"{high:f}", "count": count}
                    for low, high, count in self.changes_in_pounds[value_id].bins()]
        for value_id, read in self.value_assumed.items():
            if value_id in values:
                values[value_id]["assumed"] = [a.as_json() for a in read]
        assumed = {"assumed": [a.as_json() for a in self.assumed]} if self.assumed else {}
        return {**assumed, "population": self.population, "variation": self.variation,
                "layer": self.layer, "icb": self.icb, "applied_to": self.applied,
                "layers_before": dict(self.layers_before.most_common()),
                "layers_after": dict(self.layers_after.most_common()),
                "outcome_changes": [c.as_json() for c in self.ranked_outcome_changes()],
                "arrangements": self.arrangements, "changed": self.changed, "bad_lines": self.bad_lines,
                "transitions": {rule: dict(sorted(counts.items()))
                                for rule, counts in sorted(self.transitions.items())},
                "values": values,
                "budgets": [{**budget.as_json(), "money": money_verdict(budget, self.value_totals,
                                                                      self.value_assumed)}
                            for budget in self.budgets],
                "population_terms": self.population_terms()}


def proposal_budgets(proposed: Engine) -> tuple:
    """The proposed layer's budgets (`within budget points`), judged on its
    first day under the envelope in force then, as vary-check judges them."""
    layer, library = proposed.proposed, proposed.library
    if layer is None or layer.period is None or not library.envelopes:
        return ()
    national_forms = {k: tuple(f for f in fs if not f.layer.is_local) for k, fs in library.forms.items()}
    return judge_layer(layer, library.national, national_forms, library.envelopes,
                       layer.period.start).budgets


def assess(baseline: Engine, proposed: Engine, line: str, origin: str, number: int,
           as_of: dt.date | None) -> Assessed:
    """One population row under both engines; raises InvalidInput for a bad row."""
    arrangement = parse_json_line(proposed.library.schema, line, origin, number)
    return assess_arrangement(baseline, proposed, arrangement, number, as_of)


def assess_arrangement(baseline: Engine, proposed: Engine, arrangement, number: int,
                       as_of: dt.date | None) -> Assessed:
    """One arrangement (already read) under both engines."""
    after = proposed.evaluate(arrangement, as_of)  # checks every key, the proposal's rows included
    before = baseline.evaluate(baseline.without_keys_out_of_force(arrangement, as_of), as_of)
    changes = compare(before, after)
    name = None
    if changes:  # names only for what is shown
        names = subject_names(proposed.library.schema, arrangement)
        changes = compare(before, after, names)
        name = _own_name(names, after.id)
    layers = (layers_in_force(baseline, before), layers_in_force(proposed, after))
    icb = arrangement.facts.get("icb")
    icb = icb if isinstance(icb, str) else None
    parts = (contributions(baseline.library, before, icb), contributions(proposed.library, after, icb))
    return Assessed(after.id, number, tuple(changes), value_contributions(before, after), layers, name,
                    (after.as_of.isoformat(), practice_codes(arrangement.facts)), parts)


def impact(baseline: Engine, proposed: Engine, population: str | Path, as_of: dt.date | None = None,
           summary: ImpactSummary | None = None) -> Iterator[ArrangementImpact | InvalidInput]:
    """Yield the impact on each changed arrangement, or a bad line's error."""
    summary = summary if summary is not None else ImpactSummary()
    summary.assumed = proposed.assumptions.items
    summary.population = name_of(population)
    summary.variation = proposed.proposed.file if proposed.proposed is not None else None
    summary.describe_variation(proposed)
    summary.watch_population(baseline, proposed)

    def attempt(line) -> Assessed:
        if line.problem:
            raise InvalidInput(line.problem)
        return assess(baseline, proposed, line.text, name_of(population), line.number, as_of)
    yield from tally(summary, (lambda line=line: attempt(line) for line in population_lines(population)))


def tally(summary: ImpactSummary,
          attempts: Iterable[Callable[[], Assessed]]) -> Iterator[ArrangementImpact | InvalidInput]:
    """Run each assessment (one per arrangement, a line of a file or a dict),
    add it to `summary`, and yield the impact of each that changes, or the
    error of each that could not be read (counted as a bad line), or that
    gives a practice an earlier one gave on its date (E-FACT-009)."""
    subjects = PopulationSubjects()
    for attempt in attempts:
        try:
            assessed = attempt()
            subjects.claim(summary.population or "<population>", assessed.line, *assessed.practices)
        except InvalidInput as error:
            summary.bad_lines += 1
            yield error
            continue
        summary.add(assessed.id, assessed.changes, assessed.contributions, assessed.layers,
                    assessed.population)
        if assessed.changes:
            yield assessed.impact()
