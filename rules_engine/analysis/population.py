"""Can a layer break a population-level budget (issue 20, item 3): a
population term (`population NAME ... across icb total VALUE at most CAP`)
whose summed value the layer's cone reaches.

A total over a population is the sum of its members, one per subject (a
practice across the ICB). The members are independent: each is one
subject's value, read from its own facts. So the largest increase of the
total is the number of members times the largest increase of one member,
and the total can pass its cap exactly when that many members, each at the
largest value one member can take under the layer, would pass it. The
solver (z3's optimiser over the encoding of `analysis.encode`, exact
rationals) finds the largest increase of one member, under the layer
against the national terms alone (a value the national terms lack counts as
nothing paid), with a witness; the real evaluator then checks the witness
(`api.vary_check`). The number of members is not in any arrangement: the
user states it in the bounds file (`members of practice across icb: {at_most:
82}`); without it the total is "undecided", saying what to state.

Input: the two checked programs on the date, the layer, the cone's value
ids, the stated bounds and the time limit. Output: `PopulationQuestion`s.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import attrs
import z3

from rules_engine.analysis.arrangement_yaml import yaml_lines
from rules_engine.analysis.encode import Encoder, Facts, Undecided, constant
from rules_engine.analysis.flip import FlipAnalysis, own_context, solve
from rules_engine.base import typesys as t
from rules_engine.base.numbers import money_exact
from rules_engine.ir.checked import CheckedProgram
from rules_engine.static.forms import literal_value
from rules_engine.static.population_terms import in_force


@attrs.frozen
class PopulationQuestion:
    term: str
    title: str | None
    layer: str
    file: str
    line: int
    across: str  # icb | all
    measure: str  # the value summed (quy.support-funding)
    subject: str | None  # the kind of each member (practice)
    cap: Decimal | None  # the bound's upper end (`at most`, `between ... and`)
    money: bool = True  # the value summed is money (else a plain number, or points)
    per_member: Decimal | None = None  # the largest increase of one member (the solver's)
    per_member_value: Decimal | None = None  # the largest value of one member under the layer
    witness: dict | None = None  # an arrangement whose member gains `per_member`
    checked: str | None = None  # what the evaluator gave on the witness under each program
    members: tuple[int | None, int | None] | None = None  # stated: at least, at most
    total_increase: Decimal | None = None  # members (at most) x per_member
    total_value: Decimal | None = None  # members (at most) x per_member_value
    exceeded: bool | None = None  # whether the total can pass the cap
    why: str | None = None  # undecided: why, and what to state

    @property
    def witness_yaml(self) -> str | None:
        return "\n".join(yaml_lines(self.witness)) + "\n" if self.witness is not None else None

    def as_json(self) -> dict:
        def text(value):  # money as the results JSON spells it ('30000.00'), else the exact number
            if value is None:
                return None
            return money_exact(value) if self.money else str(value)
        return {"term": self.term, "title": self.title, "layer": self.layer, "file": self.file, "line": self.line,
                "across": self.across, "measure": self.measure, "subject": self.subject, "cap": text(self.cap),
                "money": self.money,
                "per_member": text(self.per_member), "per_member_value": text(self.per_member_value),
                "witness": self.witness, "witness_yaml": self.witness_yaml, "checked": self.checked,
                "members": list(self.members) if self.members is not None else None,
                "total_increase": text(self.total_increase), "total_value": text(self.total_value),
                "exceeded": self.exceeded, "why": self.why}


def _decimal(value) -> Decimal | None:
    """A z3 rational or integer as a Decimal, when it is a finite decimal."""
    if z3.is_int_value(value):
        return Decimal(value.as_long())
    if not z3.is_rational_value(value):
        return None
    fraction = Fraction(value.numerator_as_long(), value.denominator_as_long())
    exact = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    return exact if Fraction(exact) == fraction else None


def _largest(facts: Facts, known, term, timeout_ms: int):
    """The largest value of `term` where `known` holds, and a model giving
    it; (None, None, why) when the solver cannot say."""
    context, (own_term, *own) = own_context([term, *facts.constraints, known])  # flip.own_context: why
    optimiser = z3.Optimize(ctx=context)
    optimiser.set("timeout", timeout_ms)
    optimiser.add(*own)
    optimiser.maximize(own_term)
    result = optimiser.check()
    if result == z3.unsat:
        return None, None, "no arrangement makes it known"
    if result != z3.sat:
        return None, None, f"the solver gave no answer within {timeout_ms} ms ({optimiser.reason_unknown()})"
    model = optimiser.model().translate(term.ctx)
    best = model.eval(term, model_completion=True)
    # the optimiser's answer, proved: nothing larger
    larger, _, _ = solve(facts.constraints + [known, term > best], timeout_ms)
    if larger != z3.unsat:
        return None, None, "the solver found no largest value (none, or not within the time)"
    value = _decimal(best)
    if value is None:
        return None, None, "the largest value is not a decimal an arrangement can write"
    return value, model, None


def population_questions(baseline: CheckedProgram, proposed: CheckedProgram, layer, as_of: dt.date,
                         in_cone: tuple[str, ...], bounds=None, timeout_ms: int = 2000) -> tuple:
    """The question of each population term in force that totals a value of
    the cone."""
    library = proposed.program.library
    names = [l.name for l in library.layers if not l.is_local] + [layer.name]
    questions = []
    for found in in_force(library, names, as_of):
        term = found.term
        if term.measure.kind != "total" or term.measure.term not in in_cone:
            continue
        bound = term.bound
        cap_literal = bound.high if bound.kind in ("at_most", "between") else None
        cap = literal_value(cap_literal) if cap_literal is not None else None
        question = PopulationQuestion(term.name, term.title, found.layer.name, term.span.file, term.span.line,
                                      term.across, term.measure.term, None,
                                      cap if isinstance(cap, Decimal) else None)
        questions.append(_answer(question, baseline, proposed, as_of, layer, bounds, timeout_ms))
    return tuple(questions)


def _define_of(checked: CheckedProgram, value_id: str):
    return next(((name, d) for name, d in checked.program.defines.items()
                 if d.term.report is not None and d.term.report.id == value_id), None)


def _answer(question: PopulationQuestion, baseline: CheckedProgram, proposed: CheckedProgram, as_of: dt.date,
            layer, bounds, timeout_ms: int) -> PopulationQuestion:
    after_define = _define_of(proposed, question.measure)
    if after_define is None:
        return attrs.evolve(question, why=f"{question.measure} is not a value of the layer's program")
    name, define = after_define
    scope = define.term.scope
    if scope is None or scope.key_variable is not None:
        what = "one value for the whole arrangement" if scope is None else f"a value per {scope.subject} and key"
        return attrs.evolve(question, why=f"{question.measure} is {what}: its members are not counted by subject "
                                          "(the analysis asks of a value per subject)")
    question = attrs.evolve(question, subject=scope.subject,
                            money=proposed.term_types.get(name) == t.MONEY)
    facts = Facts(proposed.program.library.schema, bounds)
    before_define = _define_of(baseline, question.measure)
    try:
        after_encoder = Encoder(proposed, facts, as_of)
        env = after_encoder.bindings_for(scope.subject)
        after = after_encoder.define(name, env, define.term.span)
        if before_define is not None:
            before = Encoder(baseline, facts, as_of).define(before_define[0], env, before_define[1].term.span)
        else:  # the national terms pay nothing of it
            before = constant(Decimal(0), t.MONEY)
    except Undecided as error:
        return attrs.evolve(question, why=f"no encoding for {error}")
    known = z3.And(after.defined, before.defined)
    increase = _real(after.value) - _real(before.value)
    per_member, model, why = _largest(facts, known, increase, timeout_ms)
    if per_member is None:
        return attrs.evolve(question, why=why)
    if before_define is None:  # nothing under the national terms: the increase is the value
        value = per_member
    else:
        value, _, why = _largest(facts, after.defined, _real(after.value), timeout_ms)
    if value is None:
        return attrs.evolve(question, per_member=per_member, why=why)
    flips = FlipAnalysis(baseline, proposed, as_of, layer.header.icb)
    likely, better, _ = solve(facts.constraints + [known, increase == _real_value(per_member)]
                               + flips.plausible(facts), timeout_ms)
    witness = flips.witness(better if likely == z3.sat else model, facts)
    question = attrs.evolve(question, per_member=per_member, per_member_value=value, witness=witness)
    stated = bounds.members.get((scope.subject, question.across)) if bounds is not None else None
    if stated is None or stated[1] is None:
        return attrs.evolve(question, members=stated, why=(
            f"the number of {scope.subject} members across {question.across} is not stated: state it in a "
            f"--bounds FILE, `members of {scope.subject} across {question.across}: {{at_most: N}}`"))
    most = stated[1]
    total_increase, total_value = per_member * most, value * most
    exceeded = total_value > question.cap if question.cap is not None else None
    return attrs.evolve(question, members=stated, total_increase=total_increase, total_value=total_value,
                        exceeded=exceeded)


def _real(term):
    return z3.ToReal(term) if z3.is_int(term) else term


def _real_value(value: Decimal):
    return z3.RealVal(str(value))


__all__ = ["PopulationQuestion", "population_questions"]
