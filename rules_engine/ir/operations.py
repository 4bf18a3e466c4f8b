"""What each operator of the language does with known values, in one place:
the folding pass and every backend take the operation from here, so that they
cannot disagree (unknowns are handled by the caller: an operation here is
called only with known operands).

>>> arithmetic("+", t.COUNT, t.COUNT, None)(Decimal(2), Decimal(3))
Decimal('5')
>>> add_months(dt.date(2025, 1, 31), 1)
datetime.date(2025, 2, 28)
"""

from __future__ import annotations

import calendar
import datetime as dt
import operator
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, Callable

from rules_engine.base import typesys as t
from rules_engine.base.values import (Unknown, kleene_and, kleene_or, merge_unknown, missing_unknown,
    normalise_ranges, ranges_cover, unknown_because)
from rules_engine.syntax import nodes as n

#: The comparison operators.
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}

#: `rounded to ... MODE`: the decimal rounding of each mode.
ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


def where(span) -> str:
    """`file:line:column`, as run-time reasons name a place in a rule file."""
    return f"{span.file}:{span.line}:{span.column}" if span is not None else "?"


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def clock_add(time: int, minutes: int, span) -> Any:
    """A time of day moved by some minutes; past midnight it is not a time of day."""
    moved = time + minutes
    if not 0 <= moved <= 24 * 60:
        return unknown_because("past-midnight", f"a time past midnight at {where(span)}", span)
    return moved


def arithmetic(op: str, left_type: t.Type, right_type: t.Type, span) -> Callable[[Any, Any], Any]:
    """What one arithmetic operator does with two known values of these types."""
    if isinstance(left_type, t.TimeOfDay):
        if isinstance(right_type, t.TimeOfDay):
            return lambda a, b: Decimal(a - b)
        sign = 1 if op == "+" else -1
        return lambda a, b: clock_add(a, sign * int(b), span)
    if isinstance(left_type, t.Date):
        if isinstance(right_type, t.Date):
            return lambda a, b: Decimal((a - b).days)
        sign = 1 if op == "+" else -1
        if right_type.unit == t.MONTH:
            return lambda a, b: add_months(a, sign * int(b))
        return lambda a, b: a + dt.timedelta(days=sign * int(b))
    if op == "+":
        return operator.add
    if op == "-":
        return operator.sub
    if op == "*":
        return operator.mul
    text = f"division by zero at {where(span)}"

    def divide(a, b):
        if b == 0:
            return unknown_because("division-by-zero", text, span)
        return (a if type(a) is Decimal else Decimal(a)) / b
    return divide


def within(inner_type: t.Type) -> Callable[[Any, Any], bool]:
    """`x within y`: a time of day in some ranges, or ranges inside others."""
    if isinstance(inner_type, t.TimeOfDay):
        return lambda time, ranges: any(s <= time < e for s, e in ranges)
    return lambda inner, outer: ranges_cover(outer, inner)


def member(negated: bool) -> Callable[[Any, Any], bool]:
    return (lambda a, c: a not in c) if negated else (lambda a, c: a in c)


def rounded(value, rounding: n.Rounding):
    """A definition's value rounded as its `rounded to` clause says; an
    unknown (or anything not a number) passes through."""
    if isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        return Decimal(value).quantize(Decimal(1).scaleb(-rounding.places), rounding=ROUNDING[rounding.mode])
    return value


def rounder(rounding: n.Rounding) -> Callable[[Any], Any]:
    """`rounded(value, rounding)` as a function of the value, its quantum and
    mode worked out once."""
    quantum, mode = Decimal(1).scaleb(-rounding.places), ROUNDING[rounding.mode]

    def rounded_value(value):
        kind = type(value)
        if kind is Decimal or kind is int:
            return Decimal(value).quantize(quantum, rounding=mode)
        if isinstance(value, Decimal) or (isinstance(value, int) and kind is not bool):
            return Decimal(value).quantize(quantum, rounding=mode)
        return value
    return rounded_value


def any_unknown(*values) -> bool:
    for value in values:
        if type(value) is Unknown:
            return True
    return False


def combine(quantifier: str, results: list) -> Any:
    """`every`, `any`, `count` or `sum` over the body's values (Kleene for the
    first two). The commonest answers are found in C: the body of `every`,
    `any` and `count` is a condition (the type check makes sure), so its
    values are True, False and `Unknown`s, and none of them equals another
    (an `Unknown` equals only an `Unknown`): `in` and `count` find one false
    value, which decides `every` whatever else is there (one true value
    `any`), or all true (all false). Only a list with unknowns and no
    deciding value is folded in Python. A sum is added up in C; a list with
    an unknown (which a Decimal cannot add) gives the unknowns merged."""
    if quantifier == "every":
        if False in results:
            return False
        if results.count(True) == len(results):
            return True
        value: Any = True
        for r in results:
            value = kleene_and(value, r)
        return value
    if quantifier == "any":
        if True in results:
            return True
        if results.count(False) == len(results):
            return False
        value = False
        for r in results:
            value = kleene_or(value, r)
        return value
    if quantifier == "count":
        if Unknown in map(type, results):  # an unknown among them (types compared by identity)
            return merge_unknown(*results)
        return Decimal(results.count(True))
    try:
        return sum(results, _ZERO)
    except TypeError:
        if Unknown in map(type, results):
            return merge_unknown(*results)
        raise


_ZERO = Decimal(0)  # a sum starts from it (Decimals are immutable: an empty sum may return it)


def deeper(unknown: Unknown, name) -> Unknown:
    """A missing record's field is missing too: name the field, not the record."""
    if len(unknown.missing) == 1 and not unknown.reasons:
        (path,) = unknown.missing
        return missing_unknown(frozenset((f"{path}.{name}",)))
    return unknown


def literal(node) -> Any:
    """The value of a literal node, as the run time holds it (None if not a literal)."""
    kind = type(node)
    if kind in (n.Number, n.Money, n.Percent, n.DateLiteral, n.Text, n.Boolean):
        return node.value
    if kind is n.Quantity:
        return node.value * t.UNIT_WORDS[node.unit][1]
    if kind is n.TimeLiteral:
        return node.minutes
    if kind is n.IntervalLiteral:
        return normalise_ranges([(node.start, node.end)])
    return None


#: The node types `literal` reads.
LITERALS = (n.Number, n.Money, n.Percent, n.DateLiteral, n.Text, n.Boolean, n.Quantity, n.TimeLiteral,
            n.IntervalLiteral)
