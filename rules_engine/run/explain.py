"""`explain`: why one result came out as it did.

Input: an engine, an arrangement, a requirement or value id (and optionally a
subject). Output: `Explanation`s, one per subject: the facts read with their
paths and values, the parameters with their values and layers (and the
national value a variation replaced), the table rows and definitions, in the
order evaluation read them, ending in the outcome and the clause.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from rules_engine.backends.protocol import TraceEvent
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related, did_you_mean
from rules_engine.base import typesys as t
from rules_engine.run.engine import Engine
from rules_engine.base.numbers import value_json
from rules_engine.io.arrangements import Arrangement
from rules_engine.base.values import Unknown
from rules_engine.base.numbers import show_value
from rules_engine.run.results import unit_name, assumed_text
from rules_engine.run.why_records import show
from rules_engine.static.population_terms import in_force


@attrs.frozen
class Explanation:
    id: str
    subject: str
    outcome: str  # an outcome, or "value"
    value: object
    clause: str | None
    layer: str
    flexibility: str
    because: str | None
    missing: tuple[str, ...]
    events: tuple[TraceEvent, ...]
    value_type: Any = attrs.field(default=None, eq=False)  # how the value and the reads are shown
    types: Any = attrs.field(default=None, eq=False, repr=False)  # a name -> type lookup
    why: Any = attrs.field(default=None, eq=False)  # why.Why: deciding conditions, distance or margin
    provisional: str | None = None  # the marks the result carries (marks.py)
    assumed: tuple = ()  # the assumptions it read (assumptions.Assumption)

    def compact(self) -> "Explanation":
        """Only the facts, parameters, rows and definitions that decided it,
        each once: no containers read on the way to a field."""
        seen, kept = set(), []
        for event in self.events:
            if event.kind == "fact" and isinstance(event.value, (dict, list)):
                continue
            key = (event.kind, event.name)
            if key not in seen:
                seen.add(key)
                kept.append(event)
        return attrs.evolve(self, events=tuple(kept))

    def as_json(self) -> dict:
        return {"id": self.id, "subject": self.subject, "outcome": self.outcome,
                "value": value_json(self.value), "clause": self.clause, "layer": self.layer,
                "flexibility": self.flexibility, "because": self.because,
                "missing": list(self.missing),
                **({"why": self.why.as_json()} if self.why is not None else {}),
                **({"provisional": self.provisional} if self.provisional else {}),
                **({"assumed": [a.as_json() for a in self.assumed]} if self.assumed else {}),
                "trace": [{"kind": e.kind, "name": e.name, "value": value_json(e.value),
                           **{k: value_json(v) for k, v in e.detail.items() if v is not None}}
                          for e in self.events]}


def explain(engine: Engine, arrangement: Arrangement, rule_id: str, subject: str | None,
            as_of: dt.date | None) -> list[Explanation]:
    result = engine.evaluate(arrangement, as_of)
    ids = {r.id for r in result.results} | {v.id for v in result.values}
    population = {found.term.name: found for found in in_force(engine.library, result.layers, result.as_of)}
    if rule_id in population and rule_id not in ids:
        term = population[rule_id].term
        raise InvalidInput([Diagnostic(
            "E-POP-001", f"`{rule_id}` is a population term (`across {term.across}`): one "
            "arrangement cannot judge a total over many", term.across_span,
            related=(Related(term.measure.span, "what it adds up over the population"),),
            hint="run `contract-rules check --population FILE.jsonl` (or `impact`): it gives the "
                 "term its own result, why and provenance")])
    if rule_id not in ids:
        raise InvalidInput([Diagnostic("E-NAME-001", f"no requirement or value `{rule_id}` in the "
                                       "results for this arrangement", None, path=rule_id,
                                       hint=did_you_mean(rule_id, ids))])
    subjects = sorted({r.subject for r in (*result.results, *result.values) if r.id == rule_id})
    if subject and subject not in subjects:
        # the bare code names the subject too: D82001 for practice:D82001
        bare = [s for s in subjects if s.split(":", 1)[-1] == subject]
        if len(bare) == 1:
            subject = bare[0]
        else:
            raise InvalidInput([Diagnostic(
                "E-NAME-001", f"`{rule_id}` has no result for subject `{subject}`", None, path=subject,
                hint="its subjects: " + ", ".join(subjects) if subjects else None)])
    # Re-run through the traced compile, choosing this id's results: each has
    # its own trace (and its own memo, so that it records every read).
    day = engine.as_of_for(arrangement, as_of)
    runner, evaluator = engine.program(day, arrangement.facts.get("icb"), traced=True)
    tracer = _Chosen(evaluator, rule_id, subject)
    traced = engine.evaluate(arrangement, as_of, tracer)
    types = _TypeOf(runner.checked.term_types, engine.library.schema.root)
    requirements = {r.id: r for r in runner.checked.program.requirements}
    explanations = []
    for r, (events, instance) in zip(traced.results, tracer.chosen):
        why = None
        if r.outcome.value != "not_applicable":
            why = evaluator.reasoner.why(requirements[r.id], arrangement.facts, day, instance.bindings,
                                         r.outcome.value)
        explanations.append(Explanation(r.id, r.subject, r.outcome.value, None, r.clause, r.layer,
                                        r.flexibility, r.because, r.missing, tuple(events),
                                        None, types, why, r.provisional, r.assumed))
    for value, (events, _) in zip(traced.values, tracer.chosen[len(traced.results):]):
        explanations.append(Explanation(
            value.id, value.subject, "value", value.value, value.clause, value.layer,
            value.flexibility, value.because, value.missing, tuple(events), value.type, types,
            None, value.provisional, value.assumed))
    if subject and not explanations:
        raise InvalidInput([Diagnostic("E-NAME-001", f"`{rule_id}` has no result for subject "
                                       f"`{subject}`", None, path=subject)])
    return explanations


class _Chosen:
    """The tracer of `explain`: the results of one id (and subject), each with
    its own list of reads, in the order the run gives them."""

    def __init__(self, evaluator, rule_id: str, subject: str | None):
        self.evaluator, self.rule_id, self.subject = evaluator, rule_id, subject
        self.chosen: list[tuple[list, Any]] = []

    def begin(self, kind: str, name: str, instance, key) -> list | None:
        if self.subject and instance.id != self.subject:
            return None
        if kind == "requirement":
            result_id = name
        else:
            report = self.evaluator.program.defines[name].term.report.id
            result_id = report if key is None else self.evaluator.value_id(report, *key)
        if result_id != self.rule_id:
            return None
        events: list = []
        self.chosen.append((events, instance))
        return events


def render_explanation(explanations: list[Explanation], full: bool = False) -> str:
    lines = []
    for e in explanations:
        e = e if full else e.compact()
        head = f"{e.id} for {e.subject}: {e.outcome if e.outcome != 'value' else _shown(e.value, e.value_type)}"
        lines.append(head)
        if e.why is not None:
            for line in e.why.lines():
                lines.append("  why: " + line if not line.startswith(" ") else "       " + line)
            lines.append("  read:")
        types = e.types
        for event in e.events:
            type_ = types.of(event) if types is not None else None
            shown = _shown(event.value, type_)
            if isinstance(event.value, dict) and not full:
                cells = [c for c in _shown(event.value, None)[1:-1].split(", ") if c]
                shown = "{" + ", ".join(cells[:4]) + (", ..." if len(cells) > 4 else "") + "}"
            extra = ""
            if event.detail.get("layer"):
                extra = f"  (layer {event.detail['layer']}"
                if "national" in event.detail:
                    extra += f"; national value {_shown(event.detail['national'], type_)}"
                extra += ")"
            if event.detail.get("assumed"):
                extra += f"  (assumed, stated in {event.detail['assumed']})"
            lines.append(f"  {event.kind:<10} {event.name} = {shown}{extra}")
        if e.missing:
            lines.append(f"  missing    {', '.join(e.missing)}")
        if e.provisional:
            lines.append(f"  provisional: {e.provisional}")
        if e.assumed:
            lines.append(f"  assumed: {assumed_text(e.assumed)}")
        lines.append(f"  => {e.outcome}  [{e.clause}]  layer {e.layer}, {e.flexibility}"
                     + (f", because: {e.because}" if e.because else ""))
        lines.append("")
    return "\n".join(lines)


def _shown(value: Any, type_) -> str:
    """A value in explain's text: money as pounds and pence, points to two
    places, shares as percentages (base/numbers.py, as every report)."""
    if type(value) is Unknown:
        return "unknown"
    if isinstance(value, dict):  # a table row: its cells, as the rule files write them
        return "{" + ", ".join(f"{k}: {show(v, None) if v is not None else '(none)'}"
                               for k, v in value.items() if not str(k).startswith("_")) + "}"
    if isinstance(type_, (t.Interval, t.TimeOfDay, t.SetOf, t.Date)) or (
            isinstance(value, tuple) and value and isinstance(value[0], tuple)):
        return show(value, type_)
    shown = value_json(value, type_)
    if type_ is None:
        return str(shown) if not isinstance(shown, (int, float)) or isinstance(shown, bool) else \
            show_value(shown, "number")
    return show_value(shown, unit_name(type_))


class _TypeOf:
    """The type of what a trace event read: a parameter or definition by name,
    a fact by its path (`pcn.arrs_claims[0].annual_cost`)."""

    def __init__(self, term_types: dict, root):
        self.term_types = term_types
        self.root = root

    def of(self, event):
        if event.kind in ("parameter", "definition"):
            return self.term_types.get(event.name)
        if event.kind != "fact":
            return None
        type_ = self.root
        for part in event.name.replace("]", "").replace("[", ".").split("."):
            if isinstance(type_, t.ListOf):
                type_ = type_.element
                if part.isdigit():
                    continue
            if isinstance(type_, t.MapOf):
                type_ = type_.value
                continue
            if not isinstance(type_, t.Record):
                return None
            type_ = type_.field(part)
            if type_ is None:
                return None
        return None if isinstance(type_, (t.Record, t.ListOf, t.MapOf)) else type_
