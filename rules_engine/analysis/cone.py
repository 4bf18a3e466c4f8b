"""The cone of a variation: every requirement and reported value whose result
could differ once a local layer is in force.

Input: the two programs in force on a date from one checked library, the
baseline (the national terms alone) and the proposed one (with the local
layer). Output: `Cone`, the terms the layer changes (`Change`: a parameter
varied, a requirement waived, replaced, added or no longer in force, a
table's rows added or retired, a value replaced or redefined) and the
requirements and reported values that read one of them, each with the
changed terms it reads (`Affected`). Everything outside the cone gives the
same result under both programs for every arrangement: it reads the same
terms, with the same values, in both.

The changes are found by comparing the two programs term by term (not by
reading the layer's declarations), so a change made in any way the language
allows is seen; the reads are the checker's dependency graph, taken
transitively.

>>> Change("parameter", "min_pcn_population", "varied").describe()
'min_pcn_population (parameter varied)'
"""

from __future__ import annotations

import attrs

from rules_engine.program.layers import Program
from rules_engine.static.typecheck import transitive


@attrs.frozen
class Change:
    """One term the layer changes."""

    kind: str  # parameter | table | value | requirement
    name: str
    how: str  # varied | rows added | rows retired | replaced | added | waived | redefined | ...

    def describe(self) -> str:
        return f"{self.name} ({self.kind} {self.how})"

    def as_json(self) -> dict:
        return attrs.asdict(self)


@attrs.frozen
class Affected:
    """A requirement or reported value in the cone, and the changes it reads
    (its own change first, when it is itself changed)."""

    kind: str  # requirement | value
    id: str  # the requirement id, or the value's report id
    name: str  # the term's name (a requirement's id, a definition's name)
    title: str
    because_of: tuple[str, ...]  # names of the changed terms it reads (or is)

    def as_json(self) -> dict:
        return {"kind": self.kind, "id": self.id, "name": self.name, "title": self.title,
                "because_of": list(self.because_of)}


@attrs.frozen
class Cone:
    changes: tuple[Change, ...]
    requirements: tuple[Affected, ...]
    values: tuple[Affected, ...]

    def summary(self) -> str:
        """`affects 2 requirements and 1 value: des.pcn.minimum-population, ...`"""
        if not self.requirements and not self.values:
            return "affects no requirement and no value"
        parts = []
        if self.requirements:
            parts.append(_count(len(self.requirements), "requirement"))
        if self.values:
            parts.append(_count(len(self.values), "value"))
        names = ", ".join(a.id for a in self.requirements + self.values)
        return f"affects {' and '.join(parts)}: {names}"

    def as_json(self) -> dict:
        return {"summary": self.summary(), "changes": [c.as_json() for c in self.changes],
                "requirements": [a.as_json() for a in self.requirements],
                "values": [a.as_json() for a in self.values]}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def changes(baseline: Program, proposed: Program) -> tuple[Change, ...]:
    """The terms whose form or value in force differs between the programs."""
    found: list[Change] = []
    for name, param in proposed.parameters.items():
        before = baseline.parameters.get(name)
        if before is None:
            continue  # a parameter the layer declares for its own use: read only by what it adds
        if param.varied_by is not None:
            found.append(Change("parameter", name, "varied"))
        elif param.form is not before.form:
            found.append(Change("parameter", name, "redefined"))
    for name, table in proposed.tables.items():
        before = baseline.tables.get(name)
        if before is None:
            continue
        rows = [row for row, _ in table.rows]
        old = [row for row, _ in before.rows]
        old_ids, new_ids = {id(r) for r in old}, {id(r) for r in rows}
        hows = []
        if new_ids - old_ids:
            hows.append("rows added or marked")
        if old_ids - new_ids:
            hows.append("rows retired")
        if hows or table.form is not before.form:
            found.append(Change("table", name, " and ".join(hows) or "redefined"))
    for name, define in proposed.defines.items():
        before = baseline.defines.get(name)
        if before is None:
            if define.term.report is not None and define.in_force:
                found.append(Change("value", name, "added"))  # a value the layer reports anew
            continue
        if define.replaced_by is not None:
            found.append(Change("value", name, "replaced"))
        elif define.form is not before.form:
            found.append(Change("value", name, "redefined"))
    old_requirements = {r.id: r for r in baseline.requirements}
    for requirement in proposed.requirements:
        before = old_requirements.get(requirement.id)
        if before is None or (requirement.in_force and not before.in_force):
            found.append(Change("requirement", requirement.id, "added"))
        elif requirement.term is not before.term:
            found.append(Change("requirement", requirement.id, "replaced"))
        elif requirement.waivers:
            found.append(Change("requirement", requirement.id, "waived"))
        elif before.in_force and not requirement.in_force:
            found.append(Change("requirement", requirement.id, "no longer in force"))
    proposed_ids = {r.id for r in proposed.requirements}
    found += [Change("requirement", r.id, "retired") for r in baseline.requirements
              if r.id not in proposed_ids]
    return tuple(found)


def cone(baseline: Program, proposed: Program) -> Cone:
    """The changes between two programs of one checked library and what reads them."""
    found = changes(baseline, proposed)
    changed = {c.name for c in found}
    checked = proposed.checked
    order = {c.name: i for i, c in enumerate(found)}

    def reads(name: str) -> tuple[str, ...]:
        hit = (transitive(checked, name) | {name}) & changed
        return tuple(sorted(hit, key=lambda d: (d != name, order[d])))

    requirements: dict[str, Affected] = {}
    for program in (proposed, baseline):
        for requirement in program.requirements:
            if requirement.id in requirements:
                continue
            hit = reads(requirement.id)
            if hit:
                requirements[requirement.id] = Affected("requirement", requirement.id, requirement.id,
                                                        requirement.term.title, hit)
    values: dict[str, Affected] = {}
    for program in (proposed, baseline):
        for name, define in program.defines.items():
            report = define.term.report
            if report is None or report.id in values:
                continue
            hit = reads(name)
            if hit:
                values[report.id] = Affected("value", report.id, name, report.title, hit)
    return Cone(found, tuple(requirements.values()), tuple(values.values()))


__all__ = ["Cone", "Change", "Affected", "cone", "changes"]
