"""`explain`: why one result came out as it did.

Input: an engine, an arrangement, a requirement or value id (and optionally a
subject). Output: `Explanation`s, one per subject: the facts read with their
paths and values, the parameters with their values and layers (and the
national value a variation replaced), the table rows and definitions, in the
order evaluation read them, ending in the outcome and the clause.
"""

from __future__ import annotations

import datetime as dt

import attrs

from .compile import Env, TraceEvent
from .diagnostics import Diagnostic, InvalidInput, did_you_mean
from .pipeline import Engine
from .reports.json_report import value_json
from .schema import Arrangement
from .values import Unknown


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
                "trace": [{"kind": e.kind, "name": e.name, "value": value_json(e.value),
                           **{k: value_json(v) for k, v in e.detail.items() if v is not None}}
                          for e in self.events]}


def explain(engine: Engine, arrangement: Arrangement, rule_id: str, subject: str | None,
            as_of: dt.date | None) -> list[Explanation]:
    result = engine.evaluate(arrangement, as_of)
    ids = {r.id for r in result.results} | {v.id for v in result.values}
    if rule_id not in ids:
        raise InvalidInput([Diagnostic("E-NAME-001", f"no requirement or value `{rule_id}` in the "
                                       "results for this arrangement", None, path=rule_id,
                                       hint=did_you_mean(rule_id, ids))])
    # Re-run with a trace, one subject at a time, so each trace is its own.
    explanations = []
    day = engine.as_of_for(arrangement, as_of)
    compiled, evaluator = engine.program(day, arrangement.facts.get("icb"), traced=True)
    for index, requirement in enumerate(compiled.program.requirements):
        if requirement.id != rule_id:
            continue
        for instance in evaluator.instances(arrangement.facts, requirement.term.scope):
            if subject and instance.id != subject:
                continue
            events: list = []
            env = Env(arrangement.facts, day, events)
            env.bindings = dict(instance.bindings)
            r = evaluator.requirement(requirement, compiled.requirements[index], instance, env)
            explanations.append(Explanation(r.id, r.subject, r.outcome.value, None, r.clause, r.layer,
                                            r.flexibility, r.because, r.missing, tuple(events)))
    for name, define in compiled.program.defines.items():
        report = define.term.report
        if report is None:
            continue
        scope = define.term.scope
        compiled_define = compiled.defines[name]
        for instance in evaluator.instances(arrangement.facts, scope):
            if subject and instance.id != subject:
                continue
            env = Env(arrangement.facts, day, [])
            env.bindings = dict(instance.bindings)
            keys = [None]
            if compiled_define.key_collection is not None:
                collection = compiled_define.key_collection(env)
                keys = [] if isinstance(collection, Unknown) else list(collection)
            for key in keys:
                value_id = report.id if key is None else evaluator.value_id(
                    report.id, scope.key_variable, key)
                if value_id != rule_id:
                    continue
                if key is not None:
                    env.bindings[scope.key_variable] = key
                env.trace = events = []
                env.memo = {}
                value = evaluator.value(define, value_id, instance.id, compiled_define.body(env),
                                        compiled.program.checked.term_types[name])
                explanations.append(Explanation(
                    value.id, value.subject, "value", value.value, value.clause, value.layer,
                    value.flexibility, value.because, value.missing, tuple(events)))
    if subject and not explanations:
        raise InvalidInput([Diagnostic("E-NAME-001", f"`{rule_id}` has no result for subject "
                                       f"`{subject}`", None, path=subject)])
    return explanations


def render_explanation(explanations: list[Explanation], full: bool = False) -> str:
    lines = []
    for e in explanations:
        e = e if full else e.compact()
        head = f"{e.id} for {e.subject}: {e.outcome if e.outcome != 'value' else value_json(e.value)}"
        lines.append(head)
        for event in e.events:
            shown = value_json(event.value)
            if isinstance(shown, dict) and not full:
                shown = "{" + ", ".join(f"{k}: {v}" for k, v in list(shown.items())[:4]) + "}"
            extra = ""
            if event.detail.get("layer"):
                extra = f"  (layer {event.detail['layer']}"
                if "national" in event.detail:
                    extra += f"; national value {value_json(event.detail['national'])}"
                extra += ")"
            lines.append(f"  {event.kind:<10} {event.name} = {shown}{extra}")
        if e.missing:
            lines.append(f"  missing    {', '.join(e.missing)}")
        lines.append(f"  => {e.outcome}  [{e.clause}]  layer {e.layer}, {e.flexibility}"
                     + (f", because: {e.because}" if e.because else ""))
        lines.append("")
    return "\n".join(lines)
