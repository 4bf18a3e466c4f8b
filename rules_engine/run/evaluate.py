"""Evaluate a compiled program over one arrangement's facts.

Input: `CompiledProgram` and `Arrangement`. Output: `ArrangementResult`: one
`Result` per requirement and subject (pass / fail / unknown naming the missing
fact paths / not_applicable), one `ValueResult` per reported definition and
subject, each with its provenance. Pure: the same program and facts always
give the same results. Raises nothing on user input (the arrangement was
validated when loaded).

Subjects come from the schema's `subject` declarations: `pcn:CODE`,
`practice:ODS`, `claim:CODE/N` (the N-th claim, from 1).
"""

from __future__ import annotations

from typing import Any, Iterator

import attrs

from rules_engine.base import typesys as t
from rules_engine.backends.closures import CompiledProgram, Env
from rules_engine.program.layers import Provenance
from rules_engine.program.marks import ProvisionalMarks, joined
from rules_engine.run.results import ArrangementResult, Result, ValueResult
from rules_engine.io.arrangements import Arrangement
from rules_engine.static.schema import Subject
from rules_engine.run.why import Reasoner, why_thunk
from rules_engine.base.values import FactList, FactRecord, Outcome, Unknown, worst


@attrs.frozen
class SubjectInstance:
    kind: str
    id: str  # "practice:D82001"
    key: str  # "D82001"
    bindings: dict[str, Any]


def subject_instances(subjects: dict[str, Subject], root: FactRecord,
                      kind: str) -> Iterator[SubjectInstance]:
    subject = subjects[kind]
    outer_instances: list[SubjectInstance | None] = [None]
    if subject.numbered_within:
        outer_instances = list(subject_instances(subjects, root, subject.numbered_within))
    relative = outer_instances != [None] and subject.path[0] == subject.numbered_within
    for outer in outer_instances:
        container: Any = outer.bindings[subject.numbered_within] if relative else root
        for name in subject.path[1:] if relative else subject.path:
            container = container.get(name) if isinstance(container, dict) else None
        if container is None:
            continue
        bindings_base = dict(outer.bindings) if outer else {}
        if not subject.each:
            key = _key(container, subject.keyed_by, subject.path)
            yield SubjectInstance(kind, f"{kind}:{key}", key, {**bindings_base, kind: container})
            continue
        for index, record in enumerate(container if isinstance(container, FactList) else ()):
            if record is None:
                continue
            if subject.numbered_within and outer is not None:
                key = f"{outer.key}/{index + 1}"
            else:
                key = _key(record, subject.keyed_by, subject.path, index)
            yield SubjectInstance(kind, f"{kind}:{key}", key, {**bindings_base, kind: record})


def _key(record, keyed_by: str | None, path, index: int | None = None) -> str:
    if keyed_by and isinstance(record, dict) and keyed_by in record:
        return str(record[keyed_by])
    return str(index + 1) if index is not None else ".".join(path)


def arrangement_id(subjects: dict[str, Subject], root: FactRecord) -> str:
    """The PCN code, or the first practice's code when there is no PCN."""
    for kind, subject in subjects.items():
        if subject.numbered_within:
            continue
        for instance in subject_instances(subjects, root, kind):
            return instance.key
    return "(unnamed)"


def _missing(value) -> tuple[str, ...]:
    return tuple(sorted(value.missing)) if type(value) is Unknown else ()


class Evaluator:
    """Evaluates every requirement and value of one compiled program."""

    def __init__(self, compiled: CompiledProgram):
        self.compiled = compiled
        self.program = compiled.program
        self.schema = self.program.library.schema
        self.subjects = self.schema.subjects
        self.layer_names = tuple(layer.name for layer in self.program.layers)
        # Why a requirement not in force on the program's date is not applicable.
        self.not_in_force = {r.id: f"not in force on {self.program.as_of} (in force {r.periods})"
                             for r in self.program.requirements if not r.in_force}
        self._value_ids: dict[tuple[str, str, object], str] = {}
        # Provisional marks, own and inherited from what each term reads (marks.py).
        marks = self.marks = ProvisionalMarks(self.program)
        self._keyed_provisional: dict[tuple, str | None] = {}  # (name, (variable, key)) -> marks
        self.define_provisional = {name: joined(marks.define(name)) for name in self.program.defines}
        self.define_assumed = {name: marks.assumed(name) for name in self.program.defines}
        self.requirement_assumed = {id(r): marks.requirement_assumed(r) for r in self.program.requirements}
        self.requirement_provisional = {
            id(r): joined(dict.fromkeys(((f"requirement {r.id}: {r.provisional}",) if r.provisional else ())
                                        + marks.requirement(r)))
            for r in self.program.requirements}
        self.reasoner = Reasoner(compiled)

    def instances(self, root: FactRecord, scope) -> list[SubjectInstance]:
        if scope is None:
            return [SubjectInstance("arrangement", "arrangement", "arrangement", {})]
        return list(subject_instances(self.subjects, root, scope.subject))

    def run(self, arrangement: Arrangement, trace: list | None = None) -> ArrangementResult:
        root = arrangement.facts
        env = Env(root, self.program.as_of, trace)
        results: list[Result] = []
        cache: dict[str, list[SubjectInstance]] = {}
        for requirement, compiled in zip(self.program.requirements, self.compiled.requirements):
            scope = requirement.term.scope
            key = scope.subject if scope else ""
            if key not in cache:
                cache[key] = self.instances(root, scope)
            for instance in cache[key]:
                env.bindings = instance.bindings  # quantifiers restore what they bind
                results.append(self.requirement(requirement, compiled, instance, env))
        values = list(self.values(root, env, cache))
        outcome = worst(r.outcome for r in results if r.severity == "error")
        return ArrangementResult(arrangement_id(self.subjects, root), arrangement.source,
                                 self.program.as_of, outcome, self.layer_names,
                                 tuple(results), tuple(values))

    def requirement(self, requirement, compiled, instance: SubjectInstance, env: Env) -> Result:
        env.local_rows = False
        outcome, missing, warnings, reason, provenance = self.decide(requirement, compiled, env)
        if provenance.without_local_rows is not None and not env.local_rows:
            provenance = provenance.without_local_rows
        term = requirement.term
        explain_with = None
        if (outcome is Outcome.FAIL or outcome is Outcome.UNKNOWN) and requirement.in_force:
            explain_with = why_thunk(self.reasoner, requirement, env.root, instance.bindings,
                                     outcome.value)
        return Result(requirement.id, instance.id, outcome, term.title, requirement.clause,
                      provenance.layer, provenance.flexibility, provenance.because,
                      provenance.national, missing, warnings, term.severity,
                      self.requirement_provisional[id(requirement)], reason,
                      self.requirement_assumed[id(requirement)], explain_with)

    def decide(self, requirement, compiled, env: Env) -> tuple:
        """(outcome, missing paths, warnings, reason, provenance) for one subject."""
        provenance: Provenance = requirement.provenance
        if not requirement.in_force:
            return Outcome.NOT_APPLICABLE, (), (), self.not_in_force[requirement.id], provenance
        if compiled.where is not None:
            selected = compiled.where(env)
            if selected is False:
                return (Outcome.NOT_APPLICABLE, (), (), "its `where` does not select this subject",
                        provenance)
            if type(selected) is Unknown:
                return Outcome.UNKNOWN, _missing(selected), (), None, provenance
        for waiver in compiled.waivers:
            if waiver is None or waiver(env) is True:
                return (Outcome.NOT_APPLICABLE, (), (), "waived by the local layer",
                        requirement.waiver_provenance)
        holds = compiled.must(env)
        exempt = None
        if holds is not True and compiled.unless is not None:
            exempt = compiled.unless(env)
        warnings = tuple(message for message, condition in compiled.warnings
                         if condition(env) is True) if compiled.warnings else ()
        if holds is True:
            return Outcome.PASS, (), warnings, None, provenance
        if exempt is True:
            return Outcome.PASS, (), warnings, "exempt: its `unless` holds", provenance
        if holds is False and (exempt is None or exempt is False):
            return Outcome.FAIL, (), warnings, None, provenance
        missing = tuple(sorted(set(_missing(holds)) | set(_missing(exempt))))
        return Outcome.UNKNOWN, missing, warnings, None, provenance

    def values(self, root: FactRecord, env: Env, cache: dict[str, list[SubjectInstance]] | None = None):
        cache = {} if cache is None else cache
        for name, define in self.program.defines.items():
            report = define.term.report
            if report is None or not define.in_force:
                continue
            compiled = self.compiled.defines[name]
            type_ = self.program.checked.term_types[name]
            scope = define.term.scope
            key = scope.subject if scope else ""
            if key not in cache:
                cache[key] = self.instances(root, scope)
            for instance in cache[key]:
                if compiled.key_collection is None:
                    env.bindings = instance.bindings
                    env.local_rows = False
                    value = compiled.body(env)
                    yield self.value(define, report.id, instance.id, value, type_, env.local_rows)
                    continue
                env.bindings = dict(instance.bindings)  # the key variable is bound below
                keys = compiled.key_collection(env)
                if type(keys) is Unknown:
                    continue
                if isinstance(keys, (frozenset, set)):  # a set's order is the hash seed's
                    keys = sorted(keys, key=str)
                for key in keys:
                    env.bindings[scope.key_variable] = key
                    env.local_rows = False
                    value = compiled.body(env)
                    yield self.value(define, self.value_id(report.id, scope.key_variable, key),
                                     instance.id, value, type_, env.local_rows,
                                     (scope.key_variable, key))

    def value_id(self, pattern: str, variable: str, key) -> str:
        """`qof.points.{code}` for the key HYP008: `qof.points.HYP008`."""
        cache_key = (pattern, variable, key)
        value_id = self._value_ids.get(cache_key)
        if value_id is None:
            value_id = self._value_ids[cache_key] = pattern.replace("{" + variable + "}", str(key))
        return value_id

    def provisional_for(self, name: str, key: tuple | None) -> str | None:
        """A definition's marks; for a value made for one key (a QOF
        indicator's code), those of that key's rows: worked out when the key
        is met, once per program."""
        if key is None:
            return self.define_provisional.get(name)
        memo = (name, key)
        if memo not in self._keyed_provisional:
            self._keyed_provisional[memo] = joined(self.marks.define(name, key))
        return self._keyed_provisional[memo]

    def value(self, define, value_id: str, subject: str, value, type_: t.Type,
              read_local: bool = True, key: tuple | None = None) -> ValueResult:
        """`read_local`: whether working the value out read a local change
        (a row the local layer added or marked, a change for opted-in subjects);
        `key`: the key variable and value it was made for, if any."""
        provenance = define.provenance
        if provenance.without_local_rows is not None and not read_local:
            provenance = provenance.without_local_rows
        term = define.term
        missing = _missing(value)
        return ValueResult(value_id, subject, None if missing or type(value) is Unknown else value,
                           type_, missing, provenance.layer, provenance.flexibility,
                           provenance.because, provenance.national,
                           term.report.title if term.report else None, define.clause,
                           self.provisional_for(define.name, key),
                           self.define_assumed.get(define.name, ()),
                           term.rounding.describe if term.rounding is not None else None)


def evaluate(compiled: CompiledProgram, arrangement: Arrangement) -> ArrangementResult:
    return Evaluator(compiled).run(arrangement)


