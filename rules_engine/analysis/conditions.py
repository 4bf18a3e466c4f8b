"""Conditions the schema decides: the lint findings of the analysis (issue 20,
item 6).

Input: a checked library. Output: `Finding`s, plain data that
`queries/lint.py` makes into warnings:

- `never`: a `where`, `must` or `unless` over facts that no arrangement can
  make hold, given the facts' declared types (a count below 0, a fraction
  above 1, `x > 5 and x < 3`);
- `always`: one that every arrangement giving the facts it reads makes hold;
- `unreachable`: a waiver whose condition holds for every arrangement the
  requirement selects, so the requirement is never checked (a waiver meant to
  waive it entirely has no `where`);
- `no change`: a local `replace requirement` that decides every
  arrangement as the national term does on the layer's first day (proved
  by the flip analysis: no arrangement newly fails or newly passes it).

A condition is judged on every contract year it is in force (each 1 April
from the library's first to its last, and each local layer's first day):
a finding holds on every one of them. Conditions that read `as_of` (a date
decides them, not the schema), that read no fact (a parameter switch an ICB
may vary) or that have no encoding (a quantifier over a collection an
arrangement gives) are not judged. Each solver question has a short time
limit (`TIMEOUT_MS`); one that runs out gives no finding, never a guess.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Iterator

import attrs
import z3

from rules_engine.analysis.encode import Encoder, Facts, Undecided
from rules_engine.analysis.flip import FlipAnalysis
from rules_engine.base.source import Span
from rules_engine.ir.checked import check_program
from rules_engine.program.layers import select
from rules_engine.static.typecheck import Checked
from rules_engine.syntax import nodes as n

TIMEOUT_MS = 300  # per solver question: lint stays quick; a question that runs out is no finding


@attrs.frozen
class Finding:
    kind: str  # never | always | unreachable | no change
    clause: str  # where | must | unless | waiver | replace
    term: str  # the requirement id or parameter name
    span: Span
    days: tuple[dt.date, ...]  # the days it was judged on


def _days(checked: Checked) -> list[tuple[dt.date, object]]:
    """(day, local layer or None): each 1 April the national contracts are in
    force, and each local layer's first day."""
    days: list[tuple[dt.date, object]] = []
    library = checked.library
    contracts = [layer for layer in library.contracts if layer.period is not None]
    if contracts:
        first = min(layer.period.start for layer in contracts)
        last = max(layer.period.end or layer.period.start for layer in contracts)
        year = first.year if first <= dt.date(first.year, 4, 1) else first.year + 1
        candidates = [first] + [dt.date(y, 4, 1) for y in range(year, last.year + 1)]
        for day in sorted(set(candidates)):
            if day <= last and any(layer.in_force(day) for layer in contracts):
                days.append((day, None))
    for layer in library.local:
        period = layer.period
        if period is not None:
            days.append((period.start, layer))
    return days


def _reads_fact_not_date(checked_program, node) -> bool:
    names = checked_program.names
    facts = False
    for child in n.walk(node):
        if type(child) is n.Name:
            kind = getattr(names.get(id(child)), "kind", None)
            if kind == "as_of":
                return False
            if kind in ("fact", "binding"):
                facts = True
    return facts and not checked_program.is_static(node)


def _solve(constraints: list) -> z3.CheckSatResult:
    solver = z3.SimpleSolver()  # one question, not incremental: a tenth of `Solver()`'s set-up
    solver.set("timeout", TIMEOUT_MS)
    solver.add(*constraints)
    return solver.check()


class _Judge:
    """Every judged condition's verdict on each day: (term, clause, span) ->
    set of verdicts (`never`, `always`, `neither`)."""

    def __init__(self):
        self.verdicts: dict[tuple, set[str]] = {}
        self.days: dict[tuple, list[dt.date]] = {}

    def note(self, key: tuple, verdict: str, day: dt.date) -> None:
        self.verdicts.setdefault(key, set()).add(verdict)
        self.days.setdefault(key, []).append(day)


def _condition(encoder: Encoder, facts: Facts, node, env: dict, guard=None) -> str | None:
    """`never`, `always` or `neither` for one condition (None: not judged)."""
    try:
        sym = encoder.expr(node, env)
    except Undecided:
        return None
    base = facts.constraints + ([guard] if guard is not None else [])
    holds = _solve(base + [sym.defined, sym.value])
    if holds == z3.unsat:
        return "never" if _solve(base + [sym.defined]) == z3.sat else None
    fails = _solve(base + [sym.defined, z3.Not(sym.value)])
    if holds == z3.sat and fails == z3.unsat:
        return "always"
    return "neither" if holds == z3.sat and fails == z3.sat else None


def _waiver(encoder: Encoder, facts: Facts, requirement, waiver, env: dict) -> str | None:
    """`unreachable` when, for every arrangement giving the facts the waiver
    reads, the waiver holds wherever the requirement selects a subject (and
    some such arrangement exists), else `neither`."""
    try:
        w = encoder.expr(waiver.where, env)
        where = encoder.expr(requirement.term.where, env) if requirement.term.where is not None else None
    except Undecided:
        return None
    selected = z3.And(where.defined, where.value) if where is not None else z3.BoolVal(True)
    if _solve(facts.constraints + [selected, w.defined]) != z3.sat:
        return None
    open_ = _solve(facts.constraints + [selected, w.defined, z3.Not(w.value)])
    return "unreachable" if open_ == z3.unsat else "neither" if open_ == z3.sat else None


def findings(checked: Checked, files: Iterable[str] | None = None) -> tuple[Finding, ...]:
    """What the schema decides of the library's conditions (see the module);
    with `files`, of the conditions written in those files only: the same
    findings as the whole library's that are in `files` (each condition is
    judged on its own), without asking the solver about the others."""
    wanted = None if files is None else frozenset(files)
    national_files = {layer.file for layer in checked.library.national}
    judge = _Judge()
    vary_findings: list[Finding] = []
    for day, local in _days(checked):
        if wanted is not None and wanted.isdisjoint(national_files | ({local.file} if local else set())):
            continue  # the program of that day holds no condition written in `files`
        try:
            baseline = select(checked, day, None)
            program = select(checked, day, local) if local is not None else baseline
        except Exception:  # noqa: BLE001 - a day the library cannot select (no contract): nothing to judge
            continue
        checked_program = check_program(program)
        schema = program.library.schema
        for requirement in program.requirements:
            if not requirement.in_force:
                continue
            term = requirement.term
            if local is not None and requirement.provenance.layer != local.name and not requirement.waivers:
                continue  # a national term is judged on the national days
            clauses = [(clause, node) for clause, node in (("where", term.where), ("must", term.must),
                                                           ("unless", term.unless))
                       if node is not None and (wanted is None or node.span.file in wanted)]
            waivers = [waiver for waiver in requirement.waivers if waiver.where is not None
                       and (wanted is None or waiver.where.span.file in wanted)]
            if not clauses and not waivers:
                continue
            env = Encoder(checked_program, Facts(schema), day).bindings_for(term.scope.subject) \
                if term.scope is not None else {}
            for clause, node in clauses:
                if not _reads_fact_not_date(checked_program, node):
                    continue
                facts = Facts(schema)  # each question over the facts it reads alone
                verdict = _condition(Encoder(checked_program, facts, day), facts, node, env)
                if verdict is not None:
                    judge.note((requirement.id, clause, node.span), verdict, day)
            for waiver in waivers:
                if not _reads_fact_not_date(checked_program, waiver.where):
                    continue
                facts = Facts(schema)
                verdict = _waiver(Encoder(checked_program, facts, day), facts, requirement, waiver, env)
                if verdict is not None:
                    judge.note((requirement.id, "waiver", waiver.where.span), verdict, day)
        if local is not None and (wanted is None or local.file in wanted):
            vary_findings += _unchanged(baseline, program, local, day)
    found = [Finding(verdicts.pop(), clause, term, span, tuple(judge.days[(term, clause, span)]))
             for (term, clause, span), verdicts in judge.verdicts.items()
             if len(verdicts) == 1 and next(iter(verdicts)) != "neither"]
    return tuple(sorted(found + vary_findings, key=lambda f: (f.span.file, f.span.line, f.span.column)))


def _unchanged(baseline, program, local, day: dt.date) -> Iterator[Finding]:
    """A local `replace requirement` that the solver proves decides every
    arrangement as the national term does (`flip`: no arrangement newly
    fails or newly passes it)."""
    replaced = [r for r in program.requirements
                if r.in_force and r.term.span.file == local.file
                and any(r.id == old.id and old.in_force for old in baseline.requirements)]
    if not replaced:
        return
    flips = FlipAnalysis(check_program(baseline), check_program(program), day, local.header.icb,
                         timeout_ms=TIMEOUT_MS)
    for requirement in replaced:
        verdict = flips.requirement(requirement.id)
        if verdict.can_flip is False:
            yield Finding("no change", "replace", requirement.id, requirement.term.span, (day,))


__all__ = ["Finding", "TIMEOUT_MS", "findings"]
