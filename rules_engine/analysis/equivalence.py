"""Are two libraries (or two versions of one layer) equivalent on a date: for
every arrangement, does every requirement give the same outcome and every
reported value the same value?

Each requirement and reported value is compared by its *shape*: the term as
written (its nodes without their places in the file: a reformatted or
re-commented file has the same shapes) together with the shape of every term
it reads, with the values and rows in force. Two equal shapes give the same
result on every arrangement. A requirement whose shape differs is asked of
the solver: is there an arrangement on which its outcome differs (pass, fail,
unknown, not applicable)? The answer is a witness arrangement, "no
arrangement sees the difference", or "undecided" with the construct named. A
value whose shape differs is asked the same of its value (known under one and
not the other, or two values), with its witness.

Input: the two programs in force on the date. Output: `Equivalence`, the
differences in library order (requirements first), the first of which is
`first`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import z3

from rules_engine.analysis.bounds import DEFAULT_TIMEOUT_MS
from rules_engine.analysis.encode import Encoder, Facts, Undecided
from rules_engine.analysis.flip import FlipAnalysis, solve
from rules_engine.ir.checked import CheckedProgram
from rules_engine.program.layers import Program
from rules_engine.static.typecheck import transitive
from rules_engine.syntax import nodes as n

OUTCOMES = ("pass", "fail", "unknown", "not_applicable")


@attrs.frozen
class Difference:
    kind: str  # requirement | value
    id: str
    what: str  # added | removed | differs | differs for some arrangements | no arrangement sees it | undecided
    why: str | None = None
    witness: dict | None = None
    checked: str | None = None  # what the evaluator gave on the witness, under each side (run.witness)

    def describe(self) -> str:
        text = f"{self.kind} {self.id}: {self.what}"
        return text + (f" ({self.why})" if self.why else "")

    def as_json(self) -> dict:
        return attrs.asdict(self)


@attrs.frozen
class Equivalence:
    as_of: dt.date
    compared: int  # requirements and values compared
    differences: tuple[Difference, ...]

    @property
    def equivalent(self) -> bool:
        return all(d.what == "no arrangement sees it" for d in self.differences)

    @property
    def first(self) -> Difference | None:
        return next((d for d in self.differences if d.what != "no arrangement sees it"), None)

    def as_json(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "compared": self.compared, "equivalent": self.equivalent,
                "first": self.first.as_json() if self.first else None,
                "differences": [d.as_json() for d in self.differences]}


def shape(node: Any) -> Any:
    """A node (or a value made of nodes) without its places in the file."""
    if isinstance(node, (list, tuple)):
        return tuple(shape(item) for item in node)
    if attrs.has(type(node)):
        return (type(node).__name__,) + tuple(
            shape(getattr(node, field.name)) for field in attrs.fields(type(node)) if field.name != "span")
    return node


def _term_shape(program: Program, name: str) -> Any:
    """What a term is in force as, on the program's date."""
    if name in program.parameters:
        return ("parameter", shape(program.parameters[name].value))
    if name in program.tables:
        return ("table", tuple(shape(row) for row, _ in program.tables[name].rows))
    if name in program.defines:
        define = program.defines[name]
        body = define.replaced_by.body if define.replaced_by is not None else define.term.body
        return ("define", shape(body), shape(define.term.scope), shape(define.term.rounding), define.in_force)
    for requirement in program.requirements:
        if requirement.id == name:
            term = requirement.term
            return ("requirement", requirement.in_force, shape(term.scope), shape(term.where), shape(term.must),
                    shape(term.unless), tuple(shape(w.where) for w in requirement.waivers))
    return None


def _full_shape(program: Program, name: str) -> Any:
    return (_term_shape(program, name),) + tuple(
        (dep, _term_shape(program, dep)) for dep in sorted(transitive(program.checked, name)))


def compare(old: CheckedProgram, new: CheckedProgram, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> Equivalence:
    """Every requirement and reported value of two programs on one date."""
    before, after = old.program, new.program
    as_of = after.as_of
    differences: list[Difference] = []
    old_ids = [r.id for r in before.requirements]
    new_ids = [r.id for r in after.requirements]
    compared = 0
    for rid in dict.fromkeys(old_ids + new_ids):
        compared += 1
        if rid not in new_ids:
            differences.append(Difference("requirement", rid, "removed"))
        elif rid not in old_ids:
            differences.append(Difference("requirement", rid, "added"))
        elif _full_shape(before, rid) != _full_shape(after, rid):
            differences.append(_ask(old, new, rid, as_of, timeout_ms))
    old_values = {d.term.report.id: name for name, d in before.defines.items() if d.term.report}
    new_values = {d.term.report.id: name for name, d in after.defines.items() if d.term.report}
    for vid in dict.fromkeys(list(old_values) + list(new_values)):
        compared += 1
        if vid not in new_values:
            differences.append(Difference("value", vid, "removed"))
        elif vid not in old_values:
            differences.append(Difference("value", vid, "added"))
        elif _full_shape(before, old_values[vid]) != _full_shape(after, new_values[vid]):
            differences.append(_ask_value(old, new, vid, old_values[vid], new_values[vid], as_of, timeout_ms))
    return Equivalence(as_of, compared, tuple(differences))


def _ask_value(old: CheckedProgram, new: CheckedProgram, vid: str, old_name: str, new_name: str,
               as_of: dt.date, timeout_ms: int) -> Difference:
    """Whether some arrangement sees a reported value differ: known under one
    and not the other, or known under both with two values."""
    schema = new.program.library.schema
    facts = Facts(schema)
    scope = new.program.defines[new_name].term.scope
    span = new.program.defines[new_name].term.span
    try:
        first, second = Encoder(old, facts, as_of), Encoder(new, facts, as_of)
        env = first.bindings_for(scope.subject) if scope is not None else {}
        a, b = first.define(old_name, env, span), second.define(new_name, env, span)
        differs = z3.Or(a.defined != b.defined, z3.And(a.defined, b.defined, a.value != b.value))
    except Undecided as error:
        return Difference("value", vid, "undecided", f"written differently; no encoding for {error}")
    except z3.Z3Exception as error:  # two values the solver cannot compare (sorts that differ)
        return Difference("value", vid, "undecided", f"written differently; the solver cannot compare them "
                                                     f"({error})")
    return _verdict("value", vid, "same values", old, new, as_of, facts, differs, timeout_ms)


def _solve_plausibly(old: CheckedProgram, new: CheckedProgram, as_of: dt.date, facts: Facts, differs,
                     timeout_ms: int):
    """The solver's answer, with a model a person would write where there is
    one (dates near the date, numbers below a million: `FlipAnalysis.plausible`)."""
    result, model, reason = solve(facts.constraints + [differs], timeout_ms)
    if result == z3.sat:
        likely, better, _ = solve(facts.constraints + [differs] + FlipAnalysis(old, new, as_of, None).plausible(
            facts), timeout_ms)
        if likely == z3.sat:
            model = better
    return result, model, reason


def _ask(old: CheckedProgram, new: CheckedProgram, rid: str, as_of: dt.date, timeout_ms: int) -> Difference:
    """Whether some arrangement sees a requirement's outcome differ."""
    schema = new.program.library.schema
    facts = Facts(schema)
    first = next(r for r in old.program.requirements if r.id == rid)
    second = next(r for r in new.program.requirements if r.id == rid)
    try:
        a = Encoder(old, facts, as_of).outcome(first)
        b = Encoder(new, facts, as_of).outcome(second)
    except Undecided as error:
        return Difference("requirement", rid, "undecided", f"written differently; no encoding for {error}")
    differs = z3.Or(*[a[o] != b[o] for o in OUTCOMES])
    return _verdict("requirement", rid, "same outcomes", old, new, as_of, facts, differs, timeout_ms)


def _verdict(kind: str, term: str, same: str, old: CheckedProgram, new: CheckedProgram, as_of: dt.date,
             facts: Facts, differs, timeout_ms: int) -> Difference:
    """Whether some arrangement makes `differs` true: none (`same` for all),
    undecided within the time, or one, with its witness arrangement."""
    result, model, reason = _solve_plausibly(old, new, as_of, facts, differs, timeout_ms)
    if result == z3.unsat:
        return Difference(kind, term, "no arrangement sees it", f"written differently, {same}")
    if result != z3.sat:
        return Difference(kind, term, "undecided", f"the solver gave no answer within {timeout_ms} ms "
                                                  f"({reason})")
    icb = new.program.local.header.icb if new.program.local is not None else None
    witness = FlipAnalysis(old, new, as_of, icb).witness(model, facts)
    if witness is None:
        return Difference(kind, term, "undecided", "a difference needs a value the arrangement "
                                                  "format cannot write")
    return Difference(kind, term, "differs for some arrangements", None, witness)


__all__ = ["compare", "Equivalence", "Difference", "shape"]
