"""Can a requirement in the cone flip, and for whom: for each requirement a
layer could change, whether some arrangement fails it under one program and
passes it (or is not held to it) under the other, in either direction, with
a witness arrangement for every yes.

Each question goes to z3 over the encodings of `encode` (shared fact
variables, so a model is one arrangement read by both programs), within a
time limit (`DEFAULT_TIMEOUT_MS`, settable). The answers:

- `some`: an arrangement flips it; `witness` is that arrangement (the facts
  the requirement reads, on the first subject, as the arrangement format
  writes them);
- `every`: every arrangement failing it under the one passes under the other;
- `none`: no arrangement flips it (proved, over the facts' declared types
  and any bounds the user stated);
- `undecided`: the solver ran out of time, or a construct has no encoding
  (named in `why`). Never a guessed `none`.

The baseline is the national terms alone on the date; the proposed program
adds the local layer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import z3

from rules_engine.analysis.arrangement_yaml import yaml_lines
from rules_engine.analysis.bounds import DEFAULT_TIMEOUT_MS
from rules_engine.analysis.encode import Encoder, Facts, Undecided, dotted, schema_path
from rules_engine.analysis.intervals import NoInterval, Ranger
from rules_engine.base import typesys as t
from rules_engine.base.numbers import number_json
from rules_engine.ir.checked import CheckedProgram


_WORD = z3.Plus(z3.Union(z3.Range("A", "Z"), z3.Range("0", "9")))

NEWLY_FAILS = "newly fails"  # held and met (or not held) under the baseline; fails under the layer
NEWLY_PASSES = "newly passes"  # fails under the baseline; met (or not held to it) under the layer


@attrs.frozen
class Question:
    """One direction of one requirement's flip."""

    direction: str  # NEWLY_FAILS | NEWLY_PASSES
    answer: str  # some | every | none | undecided
    why: str | None = None  # for undecided: the construct or the time limit
    witness: dict | None = None  # the arrangement (facts) that flips it
    checked: str | None = None  # what the evaluator said of the witness, once run
    method: str = "solver"  # intervals (the fast path) | solver

    @property
    def witness_yaml(self) -> str | None:
        """The witness as YAML in the arrangement format."""
        return "\n".join(yaml_lines(self.witness)) + "\n" if self.witness is not None else None

    def as_json(self) -> dict:
        return {"direction": self.direction, "answer": self.answer, "why": self.why,
                "witness": self.witness, "witness_yaml": self.witness_yaml, "checked": self.checked,
                "method": self.method}


@attrs.frozen
class FlipVerdict:
    requirement: str
    subject: str | None
    questions: tuple[Question, ...]

    @property
    def can_flip(self) -> bool | None:
        answers = {q.answer for q in self.questions}
        if answers & {"some", "every"}:
            return True
        return None if "undecided" in answers else False

    def describe(self) -> str:
        whys = {q.why for q in self.questions}
        if all(q.answer == "undecided" for q in self.questions) and len(whys) == 1:
            return f"undecided ({whys.pop()})"
        if all(q.answer == "none" for q in self.questions):
            return "cannot flip: no arrangement fails it under one and passes it under the other"
        parts = []
        for q in self.questions:
            if q.answer == "some":
                parts.append(f"{q.direction} for some arrangements")
            elif q.answer == "every":
                parts.append(f"{q.direction} for every arrangement that "
                             + ("fails it under the layer" if q.direction == NEWLY_FAILS
                                else "fails it today"))
            elif q.answer == "none":
                parts.append(f"never {q.direction}")
            else:
                parts.append(f"{q.direction}: undecided ({q.why})")
        return "; ".join(parts)

    def as_json(self) -> dict:
        return {"requirement": self.requirement, "subject": self.subject, "can_flip": self.can_flip,
                "summary": self.describe(), "questions": [q.as_json() for q in self.questions]}


def own_context(terms: list) -> tuple[z3.Context, list]:
    """`terms` copied into a z3 context of their own, for one solver question.
    In z3's one shared context a question's search depends on every term the
    process made before (their ids order the search): the population
    optimiser, easy alone, ran out of its 30 s after some fifty other
    analyses in one process (tests/test_analysis_population.py). In a context
    of its own a question's answer is the same whatever ran before. Some 3 ms
    a question."""
    context = z3.Context()
    return context, [term.translate(context) for term in terms]


def solve(constraints: list, timeout_ms: int):
    # One question, not incremental: the simple solver is the same decision
    # procedure without the incremental front end (a fifth of the set-up time).
    context, own = own_context(constraints)
    solver = z3.SimpleSolver(ctx=context)
    solver.set("timeout", timeout_ms)
    solver.add(*own)
    result = solver.check()
    # the model in the context of the terms asked about, which the callers read it with
    model = solver.model().translate(constraints[0].ctx) if result == z3.sat else None
    return result, model, solver.reason_unknown()


class FlipAnalysis:
    """The flip questions of the requirements in a cone, over two checked programs."""

    def __init__(self, baseline: CheckedProgram, proposed: CheckedProgram, as_of: dt.date,
                 icb: str | None, bounds=None, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.baseline, self.proposed = baseline, proposed
        self.as_of, self.icb, self.bounds = as_of, icb, bounds
        self.timeout_ms = timeout_ms
        self.schema = proposed.program.library.schema

    def requirement(self, requirement_id: str) -> FlipVerdict:
        old = next((r for r in self.baseline.program.requirements if r.id == requirement_id), None)
        new = next((r for r in self.proposed.program.requirements if r.id == requirement_id), None)
        term = (new or old).term
        subject = term.scope.subject if term.scope is not None else None
        facts = Facts(self.schema, self.bounds)
        ruled_out = self.by_intervals(old, new, subject)
        try:
            before = Encoder(self.baseline, facts, self.as_of).outcome(old) if old is not None \
                else _absent()
            after = Encoder(self.proposed, facts, self.as_of).outcome(new) if new is not None \
                else _absent()
        except Undecided as error:
            why = f"no encoding for {error}"
            return FlipVerdict(requirement_id, subject, tuple(
                Question(d, "none", method="intervals") if d in ruled_out else Question(d, "undecided", why)
                for d in (NEWLY_FAILS, NEWLY_PASSES)))
        questions = []
        for direction in (NEWLY_FAILS, NEWLY_PASSES):
            if direction in ruled_out:
                questions.append(Question(direction, "none", method="intervals"))
                continue
            # a flip: fails under one program, met or not held under the other
            if direction == NEWLY_FAILS:
                flip = z3.And(z3.Or(before["pass"], before["not_applicable"]), after["fail"])
            else:
                flip = z3.And(before["fail"], z3.Or(after["pass"], after["not_applicable"]))
            questions.append(self.ask(direction, flip, facts, before, after))
        return FlipVerdict(requirement_id, subject, tuple(questions))

    def by_intervals(self, old, new, subject: str | None) -> set[str]:
        """The directions the interval pass rules out (the fast path)."""
        env = {}
        if subject is not None:
            locations = Encoder(self.proposed, Facts(self.schema), self.as_of).bindings_for(subject)
            env = {name: schema_path(location) for name, location in locations.items()}
        try:
            before = Ranger(self.baseline, self.schema, self.bounds).outcomes(old, env)
            after = Ranger(self.proposed, self.schema, self.bounds).outcomes(new, env)
        except NoInterval:
            return set()
        met = {"pass", "not_applicable"}
        out = set()
        if not (before & met) or "fail" not in after:
            out.add(NEWLY_FAILS)
        if "fail" not in before or not (after & met):
            out.add(NEWLY_PASSES)
        return out

    def ask(self, direction: str, flip, facts: Facts, before: dict, after: dict) -> Question:
        result, model, reason = solve(facts.constraints + [flip], self.timeout_ms)
        if result == z3.sat:  # a witness a person would write, if there is one
            likely, better, _ = solve(facts.constraints + [flip] + self.plausible(facts), self.timeout_ms)
            if likely == z3.sat:
                model = better
        if result == z3.unsat:
            return Question(direction, "none")
        if result != z3.sat:
            return Question(direction, "undecided", f"the solver gave no answer within "
                                                    f"{self.timeout_ms} ms ({reason})")
        witness = self.witness(model, facts)
        if witness is None:
            return Question(direction, "undecided",
                            "a flip needs a value the arrangement format cannot write")
        # every: no arrangement failing under the one is left failing or unknown under the other
        if direction == NEWLY_PASSES:
            rest = z3.And(before["fail"], z3.Not(z3.Or(after["pass"], after["not_applicable"])))
        else:
            rest = z3.And(after["fail"], z3.Not(z3.Or(before["pass"], before["not_applicable"])))
        every, _, _ = solve(facts.constraints + [rest], self.timeout_ms)
        return Question(direction, "every" if every == z3.unsat else "some", None, witness)

    def plausible(self, facts: Facts) -> list:
        """Preferences for a witness: dates within two years of the date,
        numbers below a million, text of letters and digits."""
        day = self.as_of.toordinal()
        wanted = []
        for fact in facts.facts.values():
            if isinstance(fact.type, t.Date):
                wanted += [fact.value >= day - 730, fact.value <= day + 730]
            elif isinstance(fact.type, t.Quantity) and not fact.type.fraction:
                wanted += [fact.value > -1_000_000, fact.value < 1_000_000]
            elif isinstance(fact.type, t.Text):
                wanted.append(z3.InRe(fact.value, _WORD))
        return wanted

    def witness(self, model, facts: Facts) -> dict | None:
        """The model as an arrangement: `as_of`, `icb`, and every fact the
        model gives, at its place (the first subject of each kind)."""
        arrangement: dict[str, Any] = {"as_of": self.as_of.isoformat(), "icb": self.icb or "Q00"}
        for location, fact in sorted(facts.facts.items(), key=lambda item: dotted(item[0])):
            if not z3.is_true(model.eval(fact.present, model_completion=True)):
                continue
            value = _python(model.eval(fact.value, model_completion=True), fact.type)
            if value is None:
                return None
            _put(arrangement, location, value)
        for subject in self.schema.subjects.values():  # every record listed keeps its key
            if subject.keyed_by:
                _keys(arrangement, subject)
        return arrangement


def _absent() -> dict:
    false, true = z3.BoolVal(False), z3.BoolVal(True)
    return {"pass": false, "fail": false, "unknown": false, "not_applicable": true}


def _python(value, type_: t.Type) -> Any:
    """A model's value as the arrangement format writes it (None: it cannot)."""
    if isinstance(type_, t.Boolean):
        return z3.is_true(value)
    if isinstance(type_, t.Text):
        text = value.as_string()
        return text if text.isprintable() else None
    if isinstance(type_, t.Enum):
        return type_.members[value.as_long()]
    if isinstance(type_, t.Date):
        return dt.date.fromordinal(value.as_long()).isoformat()
    if isinstance(type_, t.TimeOfDay):
        minutes = value.as_long()
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    if z3.is_int_value(value):
        return value.as_long()
    fraction = Fraction(value.numerator_as_long(), value.denominator_as_long())
    denominator = fraction.denominator
    while denominator % 2 == 0:
        denominator //= 2
    while denominator % 5 == 0:
        denominator //= 5
    if denominator != 1:
        return None  # not a finite decimal
    return number_json(Decimal(fraction.numerator) / Decimal(fraction.denominator))


def _put(arrangement: dict, location: tuple, value: Any) -> None:
    here: Any = arrangement
    for step, following in zip(location, location[1:]):
        if isinstance(step, int):
            while len(here) <= step:
                here.append({})
            here = here[step]
            continue
        if step not in here:
            here[step] = [] if isinstance(following, int) else {}
        here = here[step]
    last = location[-1]
    here[last] = value


def _keys(arrangement: dict, subject) -> None:
    """Give every listed record of a subject its key, where the model did not."""
    path = list(subject.path)
    containers = [arrangement]
    if path and path[0] not in ("pcn", "practices", "contract_holders") and len(path) > 1:
        parent = {"practice": ("practices",), "pcn": ("pcn",)}.get(path[0])
        if parent is None:
            return
        path = list(parent) + path[1:]
    for step in path:
        nxt = []
        for container in containers:
            if isinstance(container, list):
                container = [c for c in container]
                for item in container:
                    if isinstance(item, dict) and step in item:
                        nxt.append(item[step])
            elif isinstance(container, dict) and step in container:
                nxt.append(container[step])
        containers = nxt
    for found in containers:
        records = found if isinstance(found, list) else [found]
        for index, record in enumerate(records):
            if isinstance(record, dict) and subject.keyed_by not in record:
                record[subject.keyed_by] = f"{subject.name.upper()[:3]}{index + 1:03d}"


__all__ = ["FlipAnalysis", "FlipVerdict", "Question", "DEFAULT_TIMEOUT_MS", "NEWLY_FAILS", "NEWLY_PASSES"]
