"""Checks of an arrangement's facts taken together, after each field has its
type: one subject given twice (an error), and facts that are valid but
implausible or inconsistent (warnings, one row of `WARNINGS` each).

Input: the schema (`static.schema.Schema`) and a read `Arrangement`.
Output: `check_facts` raises InvalidInput for E-FACT-008 (two entries of a
keyed list with one key: `practices[]` twice with one `ods_code` would give
two results for one subject and count its list twice) and returns the
warnings (`Diagnostic`s of severity "warning", placed on their lines), which
never change an outcome or an exit code: real data has outliers.
`PopulationSubjects` finds E-FACT-009, one practice on two lines of a
population on one date; `shared_practices` warns (W-FACT-006) of one practice
in two files of one `check` on one date.

The thresholds are documented in docs/arrangement-format.md ("Implausible
values") and in each code's catalogue entry, with the data they come from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Callable, Iterable, Iterator

import attrs

from rules_engine.base.diagnostics import Diagnostic, InvalidInput
from rules_engine.base.source import Span
from rules_engine.base.values import FactRecord
from rules_engine.io.arrangements import Arrangement, place_problems
from rules_engine.io.facts import FactProblem, Problems

# Weighted (Carr-Hill) list over registered list: NHS Payments to General
# Practice 2022/23 (shared/data/nhs-payments-2022-23) has 6,463 practices with
# both: 0.1st percentile 0.66, median 1.00, 99.9th 2.52 (extremes 0.40 and
# 4.16). Outside 0.6 to 2.5 is 9 of them (0.14 %).
WEIGHTED_RATIO = (Decimal("0.6"), Decimal("2.5"))
# The smallest PCN an ICB is known to have approved: ~7,955 patients (Millom,
# Lancashire and South Cumbria, for geographical isolation) [S S16b]; the DES
# minimum is 30,000 unless waived [V S16]. One of 1,266 real PCNs of 2022/23
# is below it (2,449 registered patients: a PCN whose other practices the
# published file does not list).
SMALLEST_PCN = 7955
# The largest PCN in NHS Payments to General Practice 2022/23: Barnsley PCN
# (U16464, 31 practices), 266,926 registered patients; the next are 242,308
# and 201,269, and 99 % of the 1,266 PCNs have under 128,000. A PCN above it
# is larger than any in England: most often the practices of several PCNs,
# or of none (the data's "Unknown or no PCN", 793,357), taken as one.
LARGEST_PCN = 266926


@attrs.frozen
class WarningRow:
    """One kind of implausible or inconsistent input: its code, what it
    finds, and a function of the facts yielding problems."""

    code: str
    what: str
    find: Callable[[FactRecord], Iterator[FactProblem]]


def _practices(facts: FactRecord) -> list[tuple[int, FactRecord]]:
    practices = facts.get("practices") or []
    return [(i, p) for i, p in enumerate(practices) if isinstance(p, FactRecord)]


def _members(facts: FactRecord):
    pcn = facts.get("pcn")
    return pcn.get("member_practices") if isinstance(pcn, FactRecord) else None


def _duplicate_members(facts: FactRecord) -> Iterator[FactProblem]:
    members = _members(facts)
    seen: dict[str, int] = {}
    for index, code in enumerate(members or []):
        if code in seen:
            yield FactProblem(("pcn", "member_practices", index), "W-FACT-001",
                              f"`{code}` is listed twice in `pcn.member_practices` "
                              f"(first at `pcn.member_practices[{seen[code]}]`)",
                              "list each member practice once")
        else:
            seen[code] = index


def _not_a_member(facts: FactRecord) -> Iterator[FactProblem]:
    members = _members(facts)
    if members is None:
        return
    listed = set(members)
    for index, practice in _practices(facts):
        code = practice.get("ods_code")
        if code is not None and code not in listed:
            yield FactProblem(("practices", index, "ods_code"), "W-FACT-002",
                              f"practice `{code}` is not among `pcn.member_practices`: it is read as "
                              "not participating in the PCN, and its list is not the PCN's",
                              f"add `{code}` to `pcn.member_practices`, or leave the practice out")


def _zero_lists(facts: FactRecord) -> Iterator[FactProblem]:
    pcn = facts.get("pcn")
    if isinstance(pcn, FactRecord):
        for name in ("raw_list_size", "adjusted_population", "weighted_population"):
            if pcn.get(name) == 0:
                yield FactProblem(("pcn", name), "W-FACT-003", f"`pcn.{name}` is 0: no patients",
                                  "a list of 0 pays nothing per patient; leave it out if it is not known")
    for index, practice in _practices(facts):
        for name in ("list_size", "weighted_list_size"):
            if practice.get(name) == 0:
                yield FactProblem(("practices", index, name), "W-FACT-003",
                                  f"`practices[{index}].{name}` is 0: no patients",
                                  "a list of 0 pays nothing per patient; leave it out if it is not known")


def _weighted_ratio(facts: FactRecord) -> Iterator[FactProblem]:
    low, high = WEIGHTED_RATIO
    for index, practice in _practices(facts):
        registered, weighted = practice.get("list_size"), practice.get("weighted_list_size")
        if not registered or not weighted:
            continue  # a list of 0 is W-FACT-003
        ratio = Decimal(weighted) / Decimal(registered)
        if not low <= ratio <= high:
            yield FactProblem(("practices", index, "weighted_list_size"), "W-FACT-004",
                              f"`practices[{index}].weighted_list_size` is {weighted} for a list of "
                              f"{registered}: {ratio:.2f} times the registered list, outside "
                              f"{low} to {high}", "real weighted lists are 0.66 to 2.52 times the "
                              "registered list (99.8 % of practices, 2022/23); check the two figures")


def _small_pcn(facts: FactRecord) -> Iterator[FactProblem]:
    pcn = facts.get("pcn")
    size = pcn.get("raw_list_size") if isinstance(pcn, FactRecord) else None
    if size is not None and 0 < size < SMALLEST_PCN:
        yield FactProblem(("pcn", "raw_list_size"), "W-FACT-005",
                          f"`pcn.raw_list_size` is {size:,}: smaller than any PCN known to be approved "
                          f"({SMALLEST_PCN:,} patients)", "PCNs normally serve 30,000 to 50,000 "
                          "patients; check that every member practice's list is counted")


def _large_pcn(facts: FactRecord) -> Iterator[FactProblem]:
    pcn = facts.get("pcn")
    size = pcn.get("raw_list_size") if isinstance(pcn, FactRecord) else None
    if size is not None and size > LARGEST_PCN:
        yield FactProblem(("pcn", "raw_list_size"), "W-FACT-007",
                          f"`pcn.raw_list_size` is {size:,}: larger than any PCN in England "
                          f"(the largest, {LARGEST_PCN:,} patients)", "check that the member practices are "
                          "one PCN's, not several PCNs' or practices in no PCN counted together")


#: The warnings, one row each (codes registered in base.diagnostics.CODES).
WARNINGS: tuple[WarningRow, ...] = (
    WarningRow("W-FACT-001", "a practice listed twice in pcn.member_practices", _duplicate_members),
    WarningRow("W-FACT-002", "a practice of the arrangement that is not a member of its PCN", _not_a_member),
    WarningRow("W-FACT-003", "a list size of 0", _zero_lists),
    WarningRow("W-FACT-004", "a weighted list implausibly far from the registered list", _weighted_ratio),
    WarningRow("W-FACT-005", "a PCN smaller than any approved", _small_pcn),
    WarningRow("W-FACT-007", "a PCN larger than any in England", _large_pcn),
)


def _duplicate_keys(schema, facts: FactRecord) -> Iterator[FactProblem]:
    """E-FACT-008: a subject keyed by a fact (`practice` by `ods_code`) given
    twice in its list."""
    for subject in schema.subjects.values():
        if not subject.each or subject.keyed_by is None or subject.numbered_within is not None:
            continue
        container = facts
        for part in subject.path:
            container = container.get(part) if isinstance(container, FactRecord) else None
        seen: dict[object, int] = {}
        dotted = ".".join(subject.path)
        for index, item in enumerate(container or []):
            key = item.get(subject.keyed_by) if isinstance(item, FactRecord) else None
            if key is None:
                continue
            if key in seen:
                yield FactProblem((*subject.path, index, subject.keyed_by), "E-FACT-008",
                                  f"{subject.name} `{key}` is given twice: `{dotted}[{seen[key]}]` and "
                                  f"`{dotted}[{index}]`", f"give each {subject.name} once; two entries "
                                  f"would give two results for {subject.name}:{key} and count it twice")
            else:
                seen[key] = index


def _placed(problems: Iterable[FactProblem], arrangement: Arrangement, severity: str) -> list[Diagnostic]:
    found = Problems(problems)
    if not found:
        return []
    origin = arrangement.source if arrangement.line is None else arrangement.source.rsplit(":", 1)[0]
    placed = place_problems(found, arrangement.document, arrangement.raw_source, origin,
                            arrangement.line, arrangement.text)
    return [attrs.evolve(d, severity=severity) for d in placed]


def check_facts(schema, arrangement: Arrangement,
                rows: tuple[WarningRow, ...] = WARNINGS) -> tuple[Diagnostic, ...]:
    """Raises InvalidInput for a subject given twice; returns the warnings."""
    if rows is WARNINGS and _QUICK_PASS_COVERS_THE_ROWS and _plainly_none(schema, arrangement.facts):
        return ()
    errors = _placed(_duplicate_keys(schema, arrangement.facts), arrangement, "error")
    if errors:
        raise InvalidInput(errors)
    return tuple(_placed((p for row in rows for p in row.find(arrangement.facts)), arrangement, "warning"))


def _plainly_none(schema, facts: FactRecord) -> bool:
    """Whether `_duplicate_keys` and every row of `WARNINGS` find nothing, in
    one pass over the facts they read (a population's line: some 5 µs against
    the rows' 20): each test here is its row's own, true only where the row
    finds nothing. False sends `check_facts` the whole way, which finds and
    places what there is."""
    try:
        for path, keyed_by in _keyed_lists(schema):
            container = facts
            for part in path:
                container = container.get(part) if isinstance(container, FactRecord) else None
            seen = set()
            for item in container or []:
                if isinstance(item, FactRecord):
                    key = item.get(keyed_by)
                    if key is not None:
                        if key in seen:
                            return False
                        seen.add(key)
        pcn = facts.get("pcn")
        members = None
        if isinstance(pcn, FactRecord):
            members = pcn.get("member_practices")
            size = pcn.get("raw_list_size")
            if size is not None and (_ZERO < size < _SMALLEST or size > _LARGEST):
                return False
            if size == _ZERO or pcn.get("adjusted_population") == _ZERO \
                    or pcn.get("weighted_population") == _ZERO:
                return False
        listed = None
        if members is not None:
            listed = set(members)
            if len(listed) != len(list(members or [])):
                return False
        low, high = WEIGHTED_RATIO
        for practice in facts.get("practices") or []:
            if not isinstance(practice, FactRecord):
                continue
            code = practice.get("ods_code")
            if listed is not None and code is not None and code not in listed:
                return False
            registered, weighted = practice.get("list_size"), practice.get("weighted_list_size")
            if registered == _ZERO or weighted == _ZERO:
                return False
            if registered and weighted and not low <= Decimal(weighted) / Decimal(registered) <= high:
                return False
    except TypeError:  # an unhashable key or member: the rows decide
        return False
    return True


#: The bounds `_plainly_none` compares facts with, as Decimals (as a fact's
#: number is): a Decimal compared with an int converts the int every time.
_ZERO, _SMALLEST, _LARGEST = Decimal(0), Decimal(SMALLEST_PCN), Decimal(LARGEST_PCN)

#: The rows `_plainly_none` has a test of its own for. A row added to
#: `WARNINGS` without one turns the quick pass off (every line then goes
#: through the rows: slower, never a warning lost) until it is given one;
#: tests/test_fact_checks.py fails meanwhile.
_QUICK_PASS_ROWS = frozenset({"W-FACT-001", "W-FACT-002", "W-FACT-003", "W-FACT-004", "W-FACT-005", "W-FACT-007"})
_QUICK_PASS_COVERS_THE_ROWS = {row.code for row in WARNINGS} <= _QUICK_PASS_ROWS


_KEYED: dict[int, tuple[object, tuple[tuple[tuple[str, ...], str], ...]]] = {}


def _keyed_lists(schema) -> tuple[tuple[tuple[str, ...], str], ...]:
    """(path, key field) of each subject `_duplicate_keys` checks, per schema
    (kept with the schema, so that its id is not another's)."""
    found = _KEYED.get(id(schema))
    if found is None or found[0] is not schema:
        if len(_KEYED) > 16:
            _KEYED.clear()
        found = _KEYED[id(schema)] = (schema, tuple(
            (subject.path, subject.keyed_by) for subject in schema.subjects.values()
            if subject.each and subject.keyed_by is not None and subject.numbered_within is None))
    return found[1]


def practice_codes(facts: FactRecord) -> tuple[str, ...]:
    """The practices an arrangement speaks for: its practices and its PCN's
    members, each once, in that order (a population run asks on every line)."""
    codes: dict[str, None] = {}
    for practice in facts.get("practices") or []:
        if isinstance(practice, FactRecord):
            code = practice.get("ods_code")
            if code is not None:
                codes[str(code)] = None
    for code in _members(facts) or []:
        if code is not None:
            codes[str(code)] = None
    return tuple(codes)


def _practice_places(facts: FactRecord) -> Iterator[tuple[str, tuple]]:
    """Each practice the arrangement speaks for, with the path that gives it."""
    for index, practice in _practices(facts):
        if practice.get("ods_code") is not None:
            yield str(practice.get("ods_code")), ("practices", index, "ods_code")
    for index, code in enumerate(_members(facts) or []):
        if code is not None:
            yield str(code), ("pcn", "member_practices", index)


def shared_practices(arrangements: Iterable[tuple[Arrangement, object]]) -> list[tuple[Diagnostic, ...]]:
    """W-FACT-006 across the files of one check (each arrangement with its
    date): a practice an earlier file already gave on the same date, placed
    where the later file gives it. One warning per practice and file; a
    practice belongs to one PCN on a date, so one of the two is out of date or
    a copy (a population run makes this E-FACT-009 and skips the line)."""
    seen: dict[tuple[object, str], str] = {}
    found = []
    for arrangement, day in arrangements:
        problems, named = [], set()
        for code, path in _practice_places(arrangement.facts):
            first = seen.get((day, code))
            if first is not None and first != arrangement.source and code not in named:
                named.add(code)
                problems.append(FactProblem(path, "W-FACT-006", f"practice `{code}` is also in {first} on "
                                            f"{day}", "a practice belongs to one PCN on a date: check the "
                                            "files are for different dates, or drop the older copy"))
        for code, _ in _practice_places(arrangement.facts):
            seen.setdefault((day, code), arrangement.source)
        found.append(tuple(_placed(problems, arrangement, "warning")))
    return found


class PopulationSubjects:
    """The practices seen so far on the lines of a population, by date:
    E-FACT-009 for a line that gives one again (its totals would count the
    practice twice). The earlier line stands; the later is a bad line."""

    def __init__(self):
        self._seen: dict[tuple[str, str], int] = {}

    def claim(self, origin: str, line: int, as_of: str, codes: Iterable[str]) -> None:
        """Remember the line's practices, or raise InvalidInput naming the first
        practice an earlier line gave on the same date."""
        for code in codes:
            first = self._seen.get((as_of, code))
            if first is not None and first != line:
                raise InvalidInput([Diagnostic(
                    "E-FACT-009", f"practice `{code}` is already in line {first} on {as_of}; "
                    "this line was skipped", Span(origin, line, 1, line, 2), path="practices",
                    hint="a practice belongs to one PCN on a date: give it on one line, or give "
                    "the lines different `as_of` dates")])
        for code in codes:
            self._seen.setdefault((as_of, code), line)


__all__ = ["WARNINGS", "WarningRow", "check_facts", "practice_codes", "shared_practices", "PopulationSubjects",
           "WEIGHTED_RATIO", "SMALLEST_PCN", "LARGEST_PCN"]
