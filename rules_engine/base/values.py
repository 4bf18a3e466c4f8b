"""Run-time values: outcomes, `Unknown`, Kleene logic, time ranges, fact containers.

A missing fact is not an error at run time: reading it yields
`Unknown(missing=frozenset({"pcn.raw_list_size"}))`, which arithmetic and
comparisons pass on and `and`/`or` absorb where the other side decides
(Kleene's strong three-valued logic). Results name the paths they lacked.

>>> u = Unknown(frozenset({"pcn.x"}))
>>> kleene_and(False, u), kleene_or(True, u), kleene_and(True, u) == u
(False, True, True)
"""

from __future__ import annotations

import enum
from typing import Any, Iterable

import attrs


class Outcome(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"


#: How bad an outcome is, for an arrangement's overall outcome.
OUTCOME_RANK = {Outcome.NOT_APPLICABLE: 0, Outcome.PASS: 1, Outcome.UNKNOWN: 2, Outcome.FAIL: 3}


def worst(outcomes: Iterable[Outcome]) -> Outcome:
    """fail > unknown > pass; not_applicable only when nothing applied."""
    result = Outcome.NOT_APPLICABLE
    for outcome in outcomes:
        if OUTCOME_RANK[outcome] > OUTCOME_RANK[result]:
            result = outcome
    return Outcome.PASS if result is Outcome.NOT_APPLICABLE else result


#: Why a value is unknown other than a missing fact: each reason's code and
#: what it means (the `reasons` of an `Unknown`).
REASON_CODES = {
    "no-row": "a table has no row in force for the key",
    "no-value": "a parameter has no value in force on the date",
    "no-definition": "a definition is not in force",
    "division-by-zero": "a division by zero",
    "past-midnight": "a time of day moved past midnight",
    "empty-interval": "an empty interval has no opening or closing time",
}


@attrs.frozen
class Reason:
    """Why a value is unknown, other than a missing fact: a code of
    `REASON_CODES`, the words results show, and where in a rule file."""

    code: str
    text: str
    span: Any = attrs.field(default=None, eq=False)


@attrs.frozen
class Unknown:
    """A value that could not be computed: `missing` names the fact paths it
    lacked, `reasons` the other causes (`Reason`s), as data."""

    missing: frozenset[str] = frozenset()
    reasons: frozenset[Reason] = frozenset()
    # `lacking()`, worked out when first asked: one unknown is read by many
    # results (a parameter's with no value, made once per date, by some 40 an
    # arrangement), each of which lists what it lacked.
    _lacking: tuple[str, ...] | None = attrs.field(default=None, init=False, eq=False, repr=False)

    def __bool__(self) -> bool:  # guard against using it as a truth value by mistake
        raise TypeError("Unknown has no truth value; use the Kleene helpers")

    def lacking(self) -> tuple[str, ...]:
        """What results say it lacked: the fact paths and the reasons' words, sorted."""
        found = self._lacking
        if found is None:
            found = tuple(sorted(self.missing | {reason.text for reason in self.reasons} if self.reasons
                                 else self.missing))
            object.__setattr__(self, "_lacking", found)
        return found


_NO_REASONS: frozenset = frozenset()
_new_object = object.__new__
_set_missing, _set_reasons, _set_lacking = (Unknown.missing.__set__, Unknown.reasons.__set__,
                                            Unknown._lacking.__set__)


def missing_unknown(missing: frozenset[str], reasons: frozenset = _NO_REASONS) -> Unknown:
    """`Unknown(missing, reasons)`, made without the class call: its slots set
    directly (a third of the cost; an arrangement's missing facts and their
    merges make some 60, each read by the results that lack them)."""
    made = _new_object(Unknown)
    _set_missing(made, missing)
    _set_reasons(made, reasons)
    _set_lacking(made, None)
    return made


def unknown_because(code: str, text: str, span=None) -> Unknown:
    """An unknown with one reason (`REASON_CODES`)."""
    assert code in REASON_CODES, code
    return Unknown(frozenset(), frozenset((Reason(code, text, span),)))


def is_unknown(value: Any) -> bool:
    return type(value) is Unknown


def merge_unknown(*values: Any) -> Unknown:
    """One Unknown naming everything the unknown `values` lack (the one
    itself, unchanged, when only one of them is unknown)."""
    found = None
    for value in values:
        if type(value) is Unknown:
            if found is None or found is value:
                found = value
            else:
                found = missing_unknown(found.missing | value.missing, found.reasons | value.reasons)
    return Unknown() if found is None else found


def merge_two(left: Any, right: Any) -> Unknown:
    """`merge_unknown(left, right)`, for the commonest case of two values."""
    if type(left) is Unknown:
        if type(right) is not Unknown or right is left:
            return left
        return missing_unknown(left.missing | right.missing, left.reasons | right.reasons)
    return right if type(right) is Unknown else Unknown()


def kleene_and(left: Any, right: Any) -> Any:
    if left is False or right is False:
        return False
    if left is True and right is True:
        return True
    return merge_two(left, right)


def kleene_or(left: Any, right: Any) -> Any:
    if left is True or right is True:
        return True
    if left is False and right is False:
        return False
    return merge_two(left, right)


def kleene_not(value: Any) -> Any:
    if value is True:
        return False
    if value is False:
        return True
    return value


# ------------------------------------------------------------------ time ranges

TimeRanges = tuple[tuple[int, int], ...]  # sorted, merged (start, end) minutes after midnight


def normalise_ranges(ranges: Iterable[tuple[int, int]]) -> TimeRanges:
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def ranges_cover(have: TimeRanges, need: TimeRanges) -> bool:
    """Whether every minute of `need` lies in `have` (both normalised)."""
    for start, end in need:
        for s, e in have:  # a plain loop, not `any` over a generator: some 25 calls a line
            if s <= start and end <= e:
                break
        else:
            return False
    return True


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_ranges(ranges: TimeRanges) -> str:
    return ", ".join(f"{format_clock(s)}-{format_clock(e)}" for s, e in ranges) or "(none)"


# -------------------------------------------------------------- fact containers

class FactRecord(dict):
    """An arrangement record (or map) that knows its field path.

    The path is kept as a chain `(parent_chain, key)`, cheap to build while an
    arrangement is read, and spelled out only when a message needs it.
    """

    __slots__ = ("chain", "_path")

    def __init__(self, chain: Any = None, items: Iterable[tuple[str, Any]] = ()):
        super().__init__(items)
        self.chain = chain  # `_path` is left unset until `path` is first asked for

    @property
    def path(self) -> str:
        try:
            return self._path
        except AttributeError:  # not spelt yet (a record is made with its chain alone)
            self._path = spell_path(self.chain)
            return self._path


class FactList(list):
    """An arrangement list that knows its field path."""

    __slots__ = ("chain",)

    def __init__(self, chain: Any = None, items: Iterable[Any] = ()):
        super().__init__(items)
        self.chain = chain

    @property
    def path(self) -> str:
        return spell_path(self.chain)


def path_parts(chain: Any) -> list:
    """`((None, "pcn"), "code")` -> ["pcn", "code"]; a plain string is one part."""
    parts = []
    while isinstance(chain, tuple):
        chain, key = chain
        parts.append(key)
    if isinstance(chain, str) and chain:
        parts.append(chain)
    parts.reverse()
    return parts


def spell_path(chain: Any) -> str:
    text = ""
    for part in path_parts(chain):
        text = child_path(text, part)
    return text


def child_path(parent: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)
