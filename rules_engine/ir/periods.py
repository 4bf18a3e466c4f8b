"""The periods in which the terms in force do not change.

What a program holds changes only on a day some date of the library names:
a layer's, a form's or a dated value's period begins or ends, a table row's
`from`/`to` date, a provisional mark's period, and 1 April (a clause names the
contract year). `Periods` collects every such day once per library, so that a
population with many `as_of` dates compiles one program per period (and
local layer), not one per date. Over-counting a boundary costs one more
compile; missing one would be wrong, so every date and period in the rule
files counts, wherever it is written.

>>> periods = Periods([dt.date(2025, 4, 1), dt.date(2026, 4, 1)])
>>> periods.of(dt.date(2025, 6, 1)) == periods.of(dt.date(2026, 3, 31))
True
>>> periods.of(dt.date(2026, 4, 1))
(datetime.date(2026, 4, 1), datetime.date(9999, 12, 31))
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Iterable

import attrs

from rules_engine.syntax import nodes as n

_DAY = dt.timedelta(days=1)
_LAST: list = []  # [(library, Periods)]: the last library's periods (`Periods.of_library`)


class Periods:
    """The boundaries of a library's periods, sorted: each is the first day of one."""

    def __init__(self, boundaries: Iterable[dt.date]):
        self.boundaries = tuple(sorted(set(boundaries)))  # shared by engines (`of_library`): never changed

    def of(self, day: dt.date) -> tuple[dt.date, dt.date]:
        """The period (first and last day) that contains `day`."""
        at = bisect.bisect_right(self.boundaries, day)
        start = self.boundaries[at - 1] if at else dt.date.min
        end = self.boundaries[at] - _DAY if at < len(self.boundaries) else dt.date.max
        return start, end

    @classmethod
    def of_library(cls, library) -> "Periods":
        """Every day on which something in the library's layers begins or
        ends, and 1 April of every year they span. The last library's are
        kept: each engine made over the same (frozen) library in a process,
        one an API call, shares them (5 ms of walking the shipped library's
        syntax each time)."""
        if _LAST and _LAST[0][0] is library:
            return _LAST[0][1]
        periods = cls._of(library)
        _LAST[:] = [(library, periods)]
        return periods

    @classmethod
    def _of(cls, library) -> "Periods":
        days: set[dt.date] = set()
        for layer in library.layers:
            _dates(layer.syntax, days)
            if layer.carry is not None:
                _dates(layer.carry.period, days)
        if days:
            low, high = min(days), max(days)
            days.update(dt.date(year, 4, 1) for year in range(max(low.year - 1, 1), min(high.year + 2, 9999)))
        return cls(days)


def _dates(root, days: set[dt.date]) -> None:
    """The first days a node's dates bound: a period's start and the day after
    its end, a date literal and the day after it (a `to` date is inclusive)."""
    stack = [root]
    walks = _WALKS
    while stack:
        node = stack.pop()
        kind = type(node)
        how = walks.get(kind)
        if how is None:
            how = walks[kind] = _walk_of(kind)
        if how is _SEQUENCE:
            stack.extend(node)
        elif how is _PERIOD:
            days.add(node.start)
            if node.end is not None and node.end < dt.date.max:
                days.add(node.end + _DAY)
        elif how is _DATE:
            days.add(node.value)
            if node.value < dt.date.max:
                days.add(node.value + _DAY)
        else:
            for name in how:
                value = getattr(node, name)
                if value is not None:
                    stack.append(value)


#: How `_dates` walks each class: a sequence, a period, a date literal, or
#: the names of an attrs class's fields (not its span; none for a leaf).
_WALKS: dict[type, object] = {}
_SEQUENCE, _PERIOD, _DATE = object(), object(), object()


def _walk_of(kind: type):
    if issubclass(kind, (tuple, list)):
        return _SEQUENCE
    if kind is n.Period:
        return _PERIOD
    if kind is n.DateLiteral:
        return _DATE
    if not attrs.has(kind):
        return ()
    return tuple(field.name for field in attrs.fields(kind) if field.name != "span")
