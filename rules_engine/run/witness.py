"""A witness arrangement checked by the real evaluator: does it flip the
requirement the analysis says it flips?

Input: the engine with the proposed layer, a witness (the facts of an
arrangement, as the analysis of variations writes them) and the requirement
and direction it is a witness of. Output: `WitnessCheck`, the requirement's
outcome under each engine and whether that is the flip claimed. The analysis
(rules_engine.analysis) never runs an arrangement; this does, with the same
engine as `check`, so a wrong encoding shows as a witness that does not flip.
"""

from __future__ import annotations

from typing import Any, Mapping

import attrs

from rules_engine.base.diagnostics import InvalidInput
from rules_engine.base.numbers import money as pounds, value_json
from rules_engine.base.values import Outcome
from rules_engine.io.arrangements import Arrangement, validate_document
from rules_engine.run.engine import Engine

NEWLY_FAILS = "newly fails"
NEWLY_PASSES = "newly passes"
_MET = {Outcome.PASS.value, Outcome.NOT_APPLICABLE.value, "absent"}


@attrs.frozen
class WitnessCheck:
    requirement: str
    direction: str
    before: str  # the outcome under the baseline (absent: no such requirement)
    after: str

    @property
    def flipped(self) -> bool:
        if self.direction == NEWLY_FAILS:
            return self.before in _MET and self.after == Outcome.FAIL.value
        return self.before == Outcome.FAIL.value and self.after in _MET

    def describe(self) -> str:
        verdict = "flips" if self.flipped else "DOES NOT flip"
        return f"checked by the evaluator: {verdict} ({self.before} under the national terms, " \
               f"{self.after} under the layer)"


def outcome_of(engine: Engine, facts: Mapping[str, Any], requirement: str) -> str:
    """The requirement's outcome for the one subject of a witness (`absent`
    when the program has no such requirement)."""
    arrangement = Arrangement(validate_document(engine.library.schema, dict(facts), None, "<witness>"),
                              "<witness>", None, dict(facts))
    found = [r.outcome.value for r in engine.evaluate(arrangement).results if r.id == requirement]
    if not found:
        return "absent"
    if len(set(found)) > 1:
        raise ValueError(f"a witness has one subject of {requirement}, not {len(found)}")
    return found[0]


def check_witness(engine: Engine, facts: Mapping[str, Any], requirement: str,
                  direction: str) -> WitnessCheck:
    """The witness under the national terms alone (the same engine, for an ICB
    with no local layer: the layer's own facts stay declared) and under the
    proposed layer (for its ICB)."""
    national = dict(facts, icb=no_layer_icb(engine))
    return WitnessCheck(requirement, direction, outcome_of(engine, national, requirement),
                        outcome_of(engine, facts, requirement))


def no_layer_icb(engine: Engine) -> str:
    """An ICB code no local layer of the library is for."""
    taken = {layer.header.icb for layer in engine.library.local}
    if engine.proposed is not None:
        taken.add(engine.proposed.header.icb)
    return next(code for code in (f"Q{n:02d}" for n in range(100)) if code not in taken)




def check_witnesses(engine: Engine, analysis):
    """An analysis of variations (`analysis.variation.VariationAnalysis`) with
    each witness checked by `engine` (the library with the proposed layer):
    its words in each question's `checked`."""
    if analysis is None:
        return None
    checks = {}
    for verdict in analysis.flips:
        for question in verdict.questions:
            if question.witness is None:
                continue
            try:
                found = check_witness(engine, question.witness, verdict.requirement, question.direction)
                checks[(verdict.requirement, question.direction)] = found.describe()
            except InvalidInput as error:
                checks[(verdict.requirement, question.direction)] = \
                    f"the evaluator could not read it: {error.diagnostics[0].message}"
    return analysis.with_checks(checks)


def _result_of(engine: Engine, facts: Mapping[str, Any], kind: str, name: str) -> str:
    """A requirement's outcome, or a value's value as results write it, for
    the one subject of a witness (`absent`: no such result)."""
    if kind == "requirement":
        return outcome_of(engine, facts, name)
    arrangement = Arrangement(validate_document(engine.library.schema, dict(facts), None, "<witness>"),
                              "<witness>", None, dict(facts))
    found = [v for v in engine.evaluate(arrangement).values if v.id == name]
    if not found:
        return "absent"
    value = found[0]
    if value.value is None:
        return "unknown"
    shown = str(value_json(value.value, value.type))
    return f"£{shown}" if value.unit == "GBP" else f"{shown} {value.unit}"


def _value_of(engine: Engine, facts: Mapping[str, Any], name: str):
    """The value `name` of the witness's one subject (a ValueResult), or None when absent."""
    arrangement = Arrangement(validate_document(engine.library.schema, dict(facts), None, "<witness>"),
                              "<witness>", None, dict(facts))
    return next((v for v in engine.evaluate(arrangement).values if v.id == name), None)


def _shown(amount, value) -> str:
    return pounds(amount) if value.unit == "GBP" else f"{value_json(amount, value.type)} {value.unit}"


def check_populations(engine: Engine, analysis):
    """Each population question's witness (`analysis.population`) run under
    the national terms alone and under the layer: the member's increase the
    evaluator gives, against the analysis' largest increase, in `checked`."""
    if analysis is None:
        return None
    checked = []
    for question in analysis.populations:
        if question.witness is not None:
            try:
                after = _value_of(engine, question.witness, question.measure)
                before = _value_of(engine, dict(question.witness, icb=no_layer_icb(engine)), question.measure)
                if after is None or after.value is None or (before is not None and before.value is None):
                    words = "DOES NOT give the increase (the value is absent or unknown)"
                else:
                    gain = after.value - (before.value if before is not None else 0)
                    old = "absent" if before is None else _shown(before.value, before)
                    verdict = "as found" if gain == question.per_member else "DOES NOT match the analysis"
                    words = (f"checked by the evaluator: {question.measure} {_shown(after.value, after)} under "
                             f"the layer, {old} under the national terms: an increase of {_shown(gain, after)} "
                             f"({verdict})")
            except InvalidInput as error:
                words = f"the evaluator could not read it: {error.diagnostics[0].message}"
            question = attrs.evolve(question, checked=words)
        checked.append(question)
    return attrs.evolve(analysis, populations=tuple(checked))


def check_differences(old: Engine, new: Engine, equivalence):
    """`diff`'s answer (`analysis.equivalence.Equivalence`) with each witness
    run by both engines: what each gives, and whether they differ, in the
    difference's `checked`."""
    differences = []
    for difference in equivalence.differences:
        if difference.witness is not None:
            try:
                before = _result_of(old, difference.witness, difference.kind, difference.id)
                after = _result_of(new, difference.witness, difference.kind, difference.id)
                verdict = "differs" if before != after else "DOES NOT differ"
                checked = f"checked by the evaluator: {verdict} ({before} under the old, {after} under the new)"
            except InvalidInput as error:
                checked = f"the evaluator could not read it: {error.diagnostics[0].message}"
            difference = attrs.evolve(difference, checked=checked)
        differences.append(difference)
    return attrs.evolve(equivalence, differences=tuple(differences))


__all__ = ["WitnessCheck", "check_differences", "check_populations", "check_witness", "check_witnesses",
           "outcome_of"]
