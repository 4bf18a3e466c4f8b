"""Evaluate a compiled program over one arrangement's facts.

Input: a backend's runner (`backends.protocol.Runner`) and an `Arrangement`. Output: `ArrangementResult`: one
`Result` per requirement and subject (pass / fail / unknown naming the missing
fact paths / not_applicable), one `ValueResult` per reported definition and
subject, each with its provenance. Pure: the same program and facts always
give the same results. Raises nothing on user input (the arrangement was
validated when loaded).

Subjects come from the schema's `subject` declarations: `pcn:CODE`,
`practice:ODS`, `claim:CODE/N` (the N-th claim, from 1).
"""

from __future__ import annotations

import datetime as dt
import gc
import operator
from typing import Any, Callable, Iterator, NamedTuple

from rules_engine.backends.protocol import EXEMPT, NOT_IN_FORCE, NOT_SELECTED, WAIVED, Runner, Tracer
from rules_engine.program.layers import Provenance
from rules_engine.program.marks import ProvisionalMarks, joined
from rules_engine.run.results import ArrangementResult, Result, ValueResult
from rules_engine.io.arrangements import Arrangement
from rules_engine.static.schema import Subject
from rules_engine.run.why import Reasoner, why_thunk
from rules_engine.base.values import FactList, FactRecord, Outcome, Unknown, worst


class SubjectInstance(NamedTuple):
    """One subject of an arrangement (a tuple: some hundred are made for each)."""

    kind: str
    id: str  # "practice:D82001"
    key: str  # "D82001"
    bindings: dict[str, Any]


_instance = tuple.__new__  # a SubjectInstance made without NamedTuple's Python-level __new__
_severity_outcome = operator.attrgetter("severity", "outcome")


def subject_instances(subjects: dict[str, Subject], root: FactRecord, kind: str,
                      outer: Callable[[str], list] | None = None) -> Iterator[SubjectInstance]:
    """The instances of one subject in an arrangement; `outer(kind)` gives
    those of the subject it is numbered within, when they are at hand."""
    subject = subjects[kind]
    within = subject.numbered_within
    outer_instances: list[SubjectInstance | None] = [None]
    if within:
        outer_instances = outer(within) if outer is not None else list(subject_instances(subjects, root, within))
    relative = outer_instances != [None] and subject.path[0] == within
    path = subject.path[1:] if relative else subject.path
    for instance in outer_instances:
        container: Any = instance.bindings[within] if relative else root
        for name in path:
            container = container.get(name) if isinstance(container, dict) else None
        if container is None:
            continue
        bindings_base = instance.bindings if instance else {}
        if not subject.each:
            key = _key(container, subject.keyed_by, subject.path)
            yield _instance(SubjectInstance, (kind, f"{kind}:{key}", key, {**bindings_base, kind: container}))
            continue
        for index, record in enumerate(container if isinstance(container, FactList) else ()):
            if record is None:
                continue
            if within and instance is not None:
                key = f"{instance.key}/{index + 1}"
            else:
                key = _key(record, subject.keyed_by, subject.path, index)
            yield _instance(SubjectInstance, (kind, f"{kind}:{key}", key, {**bindings_base, kind: record}))


class _Instances:
    """An arrangement's subject instances, each subject's made once. A bound
    method, not a closure that calls itself: that is a reference cycle, which
    kept each line's facts and instances (some 200-300 objects) alive until
    the collector's next pass, and made its passes walk them."""

    __slots__ = ("subjects", "root", "made")

    def __init__(self, subjects: dict[str, Subject], root: FactRecord):
        self.subjects, self.root = subjects, root
        self.made: dict[str, list[SubjectInstance]] = {}

    def of(self, kind: str) -> list[SubjectInstance]:
        found = self.made.get(kind)
        if found is None:
            found = self.made[kind] = list(subject_instances(self.subjects, self.root, kind, self.of))
        return found


def _key(record, keyed_by: str | None, path, index: int | None = None) -> str:
    if keyed_by and isinstance(record, dict) and keyed_by in record:
        return str(record[keyed_by])
    return str(index + 1) if index is not None else ".".join(path)


def arrangement_id(subjects: dict[str, Subject], of_subject: Callable[[str], list]) -> str:
    """The PCN code, or the first practice's code when there is no PCN: the
    key of the first instance of the first subject not numbered within
    another, from the instances an evaluation has made (`of_subject`, which
    makes them if not)."""
    for kind, subject in subjects.items():
        if not subject.numbered_within:
            for instance in of_subject(kind):
                return instance.key
    return "(unnamed)"


def _four(provenance: Provenance) -> tuple:
    return provenance.layer, provenance.flexibility, provenance.because, provenance.national


#: Why a decision is not applicable, or passes without its `must`, as results say it.
_REASONS = {NOT_SELECTED: "its `where` does not select this subject", WAIVED: "waived by the local layer",
            EXEMPT: "exempt: its `unless` holds"}


class Evaluator:
    """The one evaluation loop (check, explain, impact): a runner's decisions
    and values for every subject, made into results with their provenance."""

    def __init__(self, runner: Runner, recorder=None):
        self.runner = runner
        self.recorder = recorder  # run.coverage.Recorder: a coverage run's, or None
        self.checked = runner.checked
        self.program = program = runner.checked.program
        self.schema = program.library.schema
        self.subjects = self.schema.subjects
        self.layer_names = tuple(layer.name for layer in program.layers)
        self._value_ids: dict[tuple[str, str, object], str] = {}
        # Provisional marks, own and inherited from what each term reads (marks.py).
        marks = self.marks = ProvisionalMarks(program)
        self._keyed_provisional: dict[tuple, str | None] = {}  # (name, (variable, key)) -> marks
        self.define_provisional = {name: joined(marks.define(name)) for name in program.defines}
        self.define_assumed = {name: marks.assumed(name) for name in program.defines}
        self.requirement_assumed = [marks.requirement_assumed(r) for r in program.requirements]
        self.requirement_provisional = [
            joined(dict.fromkeys(((f"requirement {r.id}: {r.provisional}",) if r.provisional else ())
                                 + marks.requirement(r)))
            for r in program.requirements]
        self.term_types = program.checked.term_types
        self._value_shapes: dict[str, tuple] = {}
        self._shapes: tuple[list, list, list] | None = None  # `_result_shapes`
        # name -> (variable, key) or None -> `value_fixed` (not having read a local change, having read one)
        self._value_fixed: dict[str, dict] = {}
        self.make_value = self.value_maker()
        self.reasoner = Reasoner(runner)

    def instances(self, root: FactRecord, scope, outer: Callable[[str], list] | None = None
                  ) -> list[SubjectInstance]:
        if scope is None:
            return [SubjectInstance("arrangement", "arrangement", "arrangement", {})]
        return list(subject_instances(self.subjects, root, scope.subject, outer))

    def run(self, arrangement: Arrangement, day: dt.date, tracer: Tracer | None = None) -> ArrangementResult:
        """Every requirement and reported value for every subject (with a
        `tracer`, only those it chooses, each with its reads recorded)."""
        root = arrangement.facts
        made = _Instances(self.subjects, root)
        of_subject, cache = made.of, made.made

        def instances(scope) -> list[SubjectInstance]:
            if scope is None:
                found = cache.get("")
                if found is None:
                    found = cache[""] = self.instances(root, None)
                return found
            return of_subject(scope.subject)
        make_result = self.result_maker(root, day)
        # No cyclic garbage collection while one arrangement is evaluated: the
        # some 400 records and their tuples it makes would set off a young
        # collection every 700, each walking what the arrangement made so far
        # (about 6 % of its time); one collection after, if due, finds most of
        # it freed. Bounded: an arrangement's garbage at most. Collection
        # resumes as it was (a caller that turned it off keeps it off).
        collecting = gc.isenabled()
        gc.disable()
        try:
            if self.recorder is None:  # each result and value made as the runner decides it
                results = tuple(self.runner.decisions(root, day, instances, tracer, make_result))
                values = tuple(self.runner.values(root, day, instances, tracer, self.make_value))
            else:  # coverage: each decision and value recorded as it passes
                decisions, raw_values = self.recorder.watch(self.program, self.runner.decisions(
                    root, day, instances, tracer), self.runner.values(root, day, instances, tracer))
                results = tuple(make_result(*d) for d in decisions)
                values = tuple(self.make_value(*v) for v in raw_values)
        finally:
            if collecting:
                gc.enable()
        # The distinct (severity, outcome) pairs, gathered in C: a few, not a result each.
        outcome = worst(o for severity, o in set(map(_severity_outcome, results)) if severity == "error")
        return ArrangementResult(arrangement_id(self.subjects, of_subject), arrangement.source, day, outcome,
                                 self.layer_names, results, values)

    def result_maker(self, root: FactRecord, day: dt.date) -> Callable[..., Result]:
        """The result of a decision (called with a `Decision`'s fields) on one
        arrangement's facts and date."""
        plain, read_local, waived = self._result_shapes()
        requirements = self.program.requirements
        reasoner = self.reasoner
        fail, unknown = Outcome.FAIL, Outcome.UNKNOWN
        new = object.__new__

        def result(index, instance, outcome, missing, warnings, reason, local, unneeded=()) -> Result:
            if reason is None:
                shape = (read_local if local else plain)[index]
                shown = None
            else:
                shape = (waived if reason == WAIVED else read_local if local else plain)[index]
                shown = (f"not in force on {day} (in force {requirements[index].periods})" if reason == NOT_IN_FORCE
                         else _REASONS.get(reason))
            made = new(Result)  # `Result`'s fields set here, without its __init__ (a class call costs twice this)
            made.id, made.title, made.clause, made.layer, made.flexibility, made.because, made.national, \
                made.severity, made.provisional, made.assumed = shape
            made.subject, made.outcome, made.missing, made.warnings, made.reason = \
                instance.id, outcome, missing, warnings, shown
            made._why = made.explain_with = None
            made._shape = shape
            if outcome is fail or outcome is unknown:
                requirement = requirements[index]
                if requirement.in_force:
                    made.explain_with = why_thunk(reasoner, requirement, root, day, instance.bindings, outcome.value)
                if outcome is unknown:
                    unneeded = ()
            made.unneeded = unneeded
            return made
        return result

    def _result_shapes(self) -> tuple[list, list, list]:
        """What every result of each requirement shares (`result_shape`), by
        its index: not having read a local change, having read one, waived."""
        if self._shapes is None:
            shapes = [self.result_shape(r, i) for i, r in enumerate(self.program.requirements)]
            self._shapes = tuple([(s[0], s[1], s[2], *s[which], *s[6:]) for s in shapes] for which in (4, 3, 5))
        return self._shapes

    def result_shape(self, requirement, index: int) -> tuple:
        """What every result of one requirement shares: its id, title, clause,
        provenance (having read a local change, or not; waived), severity,
        marks and assumptions; worked out once per program."""
        provenance: Provenance = requirement.provenance
        plain = provenance.without_local_rows if provenance.without_local_rows is not None else provenance
        waived = requirement.waiver_provenance or provenance
        term = requirement.term
        return (requirement.id, term.title, requirement.clause, _four(provenance), _four(plain), _four(waived),
                term.severity, self.requirement_provisional[index], self.requirement_assumed[index])

    def value(self, name: str, instance, key, value, local: bool, unneeded: tuple = ()) -> ValueResult:
        """The result of a reported definition's value (called with a `Value`'s fields)."""
        return self.make_value(name, instance, key, value, local, unneeded)

    def value_maker(self) -> Callable[..., ValueResult]:
        """`value`, as a function: what every value of a definition for a key
        shares (`value_fixed`) looked up by name and key."""
        fixed = self._value_fixed
        unknown, make, new = Unknown, ValueResult, object.__new__

        def value(name: str, instance, key, value, local: bool, unneeded: tuple = ()) -> ValueResult:
            try:
                pair = fixed[name][key]
            except KeyError:
                pair = fixed.setdefault(name, {})[key] = (self.value_fixed(name, key, False),
                                                          self.value_fixed(name, key, True))
            made = new(make)  # `ValueResult`'s fields set here, without its __init__ (a class call costs twice this)
            made.id, made.type, made.layer, made.flexibility, made.because, made.national, made.title, made.clause, \
                made.provisional, made.assumed, made.rounding = made._shape = pair[1] if local else pair[0]
            made.subject = instance.id
            if type(value) is unknown:
                made.value, made.missing, made.unneeded = None, value.lacking(), ()
            else:
                made.value, made.missing, made.unneeded = value, (), unneeded
            return made
        return value

    def value_fixed(self, name: str, key, local: bool) -> tuple:
        """What every value of one definition for one key shares, having read
        a local change (`local`) or not: its id, type, provenance, title,
        clause, marks, assumptions and rounding; worked out once per program."""
        shape = self._value_shapes.get(name)
        if shape is None:
            shape = self._value_shapes[name] = self.value_shape(name)
        pattern, type_, read_local, not_local, (title, clause, assumed, rounding) = shape
        if key is None:
            value_id, provisional = pattern, self.define_provisional.get(name)
        else:
            value_id, provisional = self.value_id(pattern, *key), self.provisional_for(name, key)
        return (value_id, type_, *(read_local if local else not_local), title, clause, provisional, assumed,
                rounding)

    def value_shape(self, name: str) -> tuple:
        """What every value of one definition shares: its id pattern, type,
        provenance (having read a local change, or not), title, clause,
        assumptions and rounding; worked out once per program."""
        define = self.program.defines[name]
        term = define.term
        provenance = define.provenance
        plain = provenance.without_local_rows if provenance.without_local_rows is not None else provenance
        return (term.report.id, self.term_types[name], _four(provenance), _four(plain),
                (term.report.title, define.clause, self.define_assumed.get(name, ()),
                 term.rounding.describe if term.rounding is not None else None))

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
