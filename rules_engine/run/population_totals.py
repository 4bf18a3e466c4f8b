"""Population terms over a run: each arrangement's part, folded as the
stream goes, and each term's result with its why and provenance.

`contributions(library, result, icb)` is what one arrangement gives every
population term in force for it (`static.population_terms.in_force`): the
term, the group it falls in (`across icb`: its ICB; `across all`: the run),
and its members, one per subject (and key): the value it reports, or None
when that value is unknown (with the facts it misses). It is small and
picklable, so a worker process returns it with the arrangement's line.

`Tally` folds them in the order the lines come, keeping for each group the
known total, how many members are unknown, how many arrangements it holds,
and the first `SHOWN` members (the values summed: which arrangement,
subject, value). `Tally.results(bad_lines)` judges each group:

- the total is known when every member is; then `at most`, `at least` and
  `between` hold or not as the total says;
- with unknown members the verdict is Kleene's: every member is taken to
  be at least zero (a payment, a count), so `at most` fails as soon as the
  known part exceeds the bound and `at least` passes as soon as the known
  part reaches it; otherwise the term is unknown, naming how many members
  are unknown and what they miss;
- a run knows only the arrangements it was given. Its result says how many
  arrangements of the group it covered; bad lines skipped (which may be of
  any ICB) make every term `partial`, and a total that would pass is then
  unknown (the lines skipped could add to it), one that fails still fails.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from rules_engine.base.numbers import show_value, value_json
from rules_engine.base.values import Outcome
from rules_engine.static.forms import literal_value, show_literal
from rules_engine.static.population_terms import InForce, in_force
from rules_engine.syntax import nodes as n

#: How many members a result lists (the rest are counted).
SHOWN = 50


@attrs.frozen
class Part:
    """One arrangement's part of one population term (picklable)."""

    key: tuple[str, str, str]  # layer, term name, group (an ICB code, or "all")
    arrangement: str
    members: tuple[tuple[str, object, tuple[str, ...]], ...]  # (subject, value or None, missing)
    unit: str | None = None


def _group(found: InForce, icb: str | None) -> str:
    if found.term.across == "all":
        return "all"
    own = getattr(found.layer.header, "icb", None)
    return own or icb or "(no icb)"


def contributions(library, result, icb: str | None) -> tuple[Part, ...]:
    """The parts of one arrangement's `ArrangementResult` for every
    population term in force for it (the layers it was checked under)."""
    parts = []
    for found in _in_force(library, result.layers, result.as_of):
        measure = found.term.measure
        key = (found.layer.name, found.term.name, _group(found, icb))
        if measure.kind == "total":
            values = [v for v in result.values if v.id == measure.term]
            members = tuple((v.subject, v.value, tuple(v.missing)) for v in values)
            parts.append(Part(key, result.id, members, values[0].unit if values else None))
        else:
            wanted = Outcome(measure.outcome)
            members = []
            for r in result.results:
                if r.id != measure.term:
                    continue
                if r.outcome is Outcome.UNKNOWN and wanted is not Outcome.UNKNOWN:
                    members.append((r.subject, None, tuple(r.missing)))
                else:
                    members.append((r.subject, Decimal(1 if r.outcome is wanted else 0), ()))
            parts.append(Part(key, result.id, tuple(members), None))
    return tuple(parts)


#: `in_force` per library (kept beside it, so that its id is not another's),
#: then per layers and date: the same few for every line of a run.
_IN_FORCE: dict[int, tuple[object, dict]] = {}


def _in_force(library, layer_names: tuple[str, ...], day) -> tuple[InForce, ...]:
    memo = _IN_FORCE.get(id(library))
    if memo is None or memo[0] is not library:
        if len(_IN_FORCE) >= 8:
            _IN_FORCE.clear()
        memo = _IN_FORCE[id(library)] = (library, {})
    known = memo[1]
    found = known.get((layer_names, day))
    if found is None:
        if len(known) >= 1024:
            known.clear()
        found = known[(layer_names, day)] = in_force(library, layer_names, day)
    return found


@attrs.define
class Group:
    arrangements: int = 0
    members: int = 0
    known: Decimal = Decimal(0)
    unknown: int = 0
    missing: dict = attrs.field(factory=dict)  # fact path -> how many unknown members miss it
    shown: list = attrs.field(factory=list)  # (arrangement, subject, value or None)
    unit: str | None = None


@attrs.define
class Tally:
    """The population terms' groups, folded in line order."""

    library: object
    groups: dict = attrs.field(factory=dict)  # Part.key -> Group

    def add(self, parts) -> None:
        for part in parts:
            group = self.groups.setdefault(part.key, Group())
            group.arrangements += 1
            group.unit = group.unit or part.unit
            for subject, value, missing in part.members:
                group.members += 1
                if value is None:
                    group.unknown += 1
                    for path in missing:
                        group.missing[path] = group.missing.get(path, 0) + 1
                else:
                    group.known += value
                if len(group.shown) < SHOWN:
                    group.shown.append((part.arrangement, subject, value))

    def results(self, bad_lines: int = 0) -> list["PopulationResult"]:
        terms = {(layer.name, term.name): (term, layer) for layer in self.library.layers
                 for term in layer.syntax.declarations if isinstance(term, n.PopulationDecl)}
        out = []
        for key in sorted(self.groups):
            term, layer = terms[key[:2]]
            out.append(judge(term, layer, key[2], self.groups[key], bad_lines))
        return out


@attrs.frozen
class PopulationResult:
    name: str
    title: str | None
    layer: str
    file: str
    line: int
    clause: str | None
    across: str
    group: str
    measure: str
    bound: str
    outcome: Outcome
    total: Decimal | None  # None when unknown
    known_total: Decimal
    unit: str | None
    arrangements: int
    members: int
    unknown_members: int
    missing: dict
    shown: tuple
    partial: bool
    why: str
    provisional: str | None = None

    def amount_json(self, value):
        """Pounds as exact text to the penny (as the results JSON gives money), other amounts as numbers."""
        if value is None:
            return None
        return f"{value:.2f}" if self.unit == "GBP" else value_json(value, None)

    def as_json(self, full: bool = True) -> dict:
        data = {"id": self.name, "title": self.title, "outcome": self.outcome.value,
                "layer": self.layer, "file": self.file, "line": self.line, "clause": self.clause,
                "across": self.across, "group": self.group, "measure": self.measure,
                "bound": self.bound, "total": self.amount_json(self.total),
                "known_total": self.amount_json(self.known_total),
                "arrangements": self.arrangements, "members": self.members,
                "unknown_members": self.unknown_members, "partial": self.partial, "why": self.why}
        if self.missing:
            data["missing"] = dict(sorted(self.missing.items()))
        if self.provisional:
            data["provisional"] = self.provisional
        if full:
            data["values"] = [{"arrangement": a, "subject": s, "value": self.amount_json(v)}
                              for a, s, v in self.shown]
            data["values_shown"] = len(self.shown)
        return data


def _bound(term) -> tuple[Decimal | None, Decimal | None]:
    bound = term.bound
    low = literal_value(bound.low) if bound.low is not None else None
    high = literal_value(bound.high) if bound.high is not None else None
    return low, high


def judge(term, layer, group_name: str, group: Group, bad_lines: int) -> PopulationResult:
    """One group's verdict (see the module docstring for the semantics)."""
    low, high = _bound(term)
    known, unknown = group.known, group.unknown
    partial = bad_lines > 0
    complete = unknown == 0 and not partial
    show = (lambda v: show_value(v, None)) if term.measure.kind == "count" else \
        (lambda v: show_value(v, group.unit))
    bound_text = {"at_most": "at most ", "at_least": "at least ", "between": "between "}[term.bound.kind] \
        + " and ".join(show_literal(x) for x in (term.bound.low, term.bound.high) if x is not None)
    where = (f"{group.arrangements:,} arrangement{'s' if group.arrangements != 1 else ''}"
             + (f" of ICB {group_name}" if group_name != "all" else " of the run"))
    members = f"{group.members:,} member{'s' if group.members != 1 else ''}"
    if high is not None and known > high:
        outcome = Outcome.FAIL
        why = f"the known part, {show(known)}, is already above {show(high)}"
        if unknown:
            why += f" ({unknown:,} unknown member{'s' if unknown != 1 else ''} could only add to it)"
    elif low is not None and known >= low and (high is None or (complete and known <= high)):
        outcome, why = Outcome.PASS, f"{show(known)} is at least {show(low)}" + (
            f" and at most {show(high)}" if high is not None else "")
    elif complete:
        if high is not None and low is None:
            outcome, why = Outcome.PASS, f"{show(known)} is at most {show(high)}"
        else:
            outcome, why = Outcome.FAIL, f"{show(known)} is below {show(low)}"
    else:
        outcome = Outcome.UNKNOWN
        reasons = []
        if unknown:
            reasons.append(f"{unknown:,} of the {members} {'is' if unknown == 1 else 'are'} unknown")
        if partial:
            reasons.append(f"{bad_lines:,} bad line{'s' if bad_lines != 1 else ''} of the run "
                           "could not be read and may belong to it")
        why = f"the known part is {show(known)}, but " + " and ".join(reasons)
    why = f"{why}: over {where} ({members})"
    total = known if unknown == 0 else None
    clause = term.reference.text if term.reference else None
    return PopulationResult(
        term.name, term.title, layer.name, layer.file, term.span.line, clause, term.across,
        group_name, f"{term.measure.kind} {term.measure.term}"
        + (f" {term.measure.outcome}" if term.measure.outcome else ""), bound_text, outcome,
        total, known, group.unit if term.measure.kind == "total" else None, group.arrangements,
        group.members, unknown, dict(group.missing), tuple(group.shown), partial, why,
        term.provisional.reason if term.provisional else None)


def text_lines(results) -> list[str]:
    """The text report's lines for population terms."""
    lines = []
    for r in results:
        mark = " (provisional)" if r.provisional else ""
        lines.append(f"population {r.name} [{r.layer}, across {r.across}"
                     + (f" {r.group}" if r.group != "all" else "") + f"]: {r.outcome.value}{mark}")
        lines.append(f"  {r.measure} {r.bound}: {r.why}")
        if r.unknown_members and r.missing:
            lines.append("  unknown members miss: " + ", ".join(
                f"{path} ({count:,})" for path, count in sorted(r.missing.items())))
        if r.partial:
            lines.append("  partial: the run skipped bad lines")
    return lines
