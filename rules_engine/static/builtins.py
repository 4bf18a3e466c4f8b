"""The built-in functions of the rule language, in one table.

Each row says, for one function: its name, its type rule (what the type
checker in `typecheck` asks of the arguments, and the type of the call), its
implementation (a plain function of known values, used by the folding pass
and by every backend), whether it is strict (an unknown argument makes the
call unknown without calling it; `known` is the one that is not), and a slot
for an interval rule (what range of values the call can take, given the
ranges of its arguments) that a static analysis of variations may fill.

To add a built-in: one row here, with its type rule and implementation; the
checker, the folding pass, both backends and `why` read this table.

>>> BUILTINS["min"].implementation(Decimal(3), Decimal(2))
Decimal('2')
>>> BUILTINS["weekday"].implementation(dt.date(2025, 6, 2))
'mon'
>>> BUILTINS["min"].interval((Fraction(1), Fraction(5)), (Fraction(3), None))
(Fraction(1, 1), Fraction(5, 1))
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any, Callable

import attrs

from rules_engine.base import typesys as t
from rules_engine.base.values import Unknown, unknown_because
from rules_engine.syntax import nodes as n
from rules_engine.static.slip_checks import write_literal

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@attrs.frozen
class Builtin:
    """One built-in function."""

    name: str
    type_rule: Callable[["CallCheck"], t.Type]
    implementation: Callable[..., Any]
    strict: bool = True  # an unknown argument makes the call unknown, without calling it
    passes_expected: bool = False  # the arguments are checked against the call's expected type
    takes_span: bool = False  # the implementation is called with the call's span first
    interval: Callable[..., Any] | None = None  # ranges of the arguments -> range of the call


class CallCheck:
    """What a type rule sees of one call: the arguments, their types, and the
    checker's means of reporting (so every error keeps its code and wording)."""

    def __init__(self, checker, expr: n.Call, types: list[t.Type]):
        self.checker, self.expr, self.types = checker, expr, types
        self.args, self.name = expr.arguments, expr.function

    def error(self, code: str, message: str, span, hint: str | None = None) -> t.Type:
        self.checker.error(code, message, span, hint=hint)
        return t.ERROR

    def arity(self, low: int, high: int | None = None) -> bool:
        args = self.args
        if not (low <= len(args) <= (high if high is not None else low)):
            want = str(low) if high == low or high is None else (
                f"{low} or more" if high == 99 else f"{low} to {high}")
            self.error("E-TYPE-005", f"`{self.name}` takes {want} argument{'s' if want != '1' else ''}, "
                       f"not {len(args)}", self.expr.span)
            return False
        return True

    def numbers(self) -> bool:
        """Whether every argument is a number or an amount (an error if not)."""
        types = self.types
        if not all(isinstance(a, t.Quantity) for a in types):
            bad = next(i for i, a in enumerate(types) if not isinstance(a, t.Quantity))
            self.error("E-TYPE-001", f"`{self.name}` works on numbers and amounts, not "
                       f"{t.describe(types[bad])}", self.args[bad].span)
            return False
        return True


# ---------------------------------------------------------------- type rules

def _known(call: CallCheck) -> t.Type:
    return t.BOOL if call.arity(1) else t.ERROR


def _of_interval(result: t.Type) -> Callable[[CallCheck], t.Type]:
    def rule(call: CallCheck) -> t.Type:
        if not call.arity(1):
            return t.ERROR
        if not isinstance(call.types[0], t.Interval):
            return call.error("E-TYPE-001", f"`{call.name}` takes a time interval, not "
                              f"{t.describe(call.types[0])}", call.args[0].span)
        return result
    return rule


def _weekday(call: CallCheck) -> t.Type:
    if not call.arity(1):
        return t.ERROR
    if not isinstance(call.types[0], t.Date):
        return call.error("E-TYPE-001", f"`weekday` takes a date, not {t.describe(call.types[0])}",
                          call.args[0].span)
    enum = call.checker.enums.get("weekday")
    if enum is None or enum.members != WEEKDAYS:
        return call.error("E-NAME-010", "`weekday` needs the enumeration `weekday`", call.expr.span,
                          hint="declare `enum weekday = {mon, tue, wed, thu, fri, sat, sun}`")
    return enum


def _size(call: CallCheck) -> t.Type:
    if not call.arity(1):
        return t.ERROR
    call.checker.element_type(call.types[0], call.args[0])
    return t.COUNT


def _extreme(call: CallCheck) -> t.Type:
    if not call.numbers() or not call.arity(2, 99):
        return t.ERROR
    types = call.types
    for arg, type_ in zip(call.args[1:], types[1:]):
        if type_.unit != types[0].unit:
            return call.error("E-UNIT-001", f"`{call.name}` compares {t.describe(types[0])} with "
                              f"{t.describe(type_)}", arg.span,
                              hint=write_literal(arg, types[0]) or write_literal(call.args[0], type_))
    return t.Quantity(types[0].unit, all(a.integral for a in types))


def _whole(call: CallCheck) -> t.Type:
    if not call.numbers():
        return t.ERROR
    return t.Quantity(call.types[0].unit, integral=True) if call.arity(1) else t.ERROR


def _abs(call: CallCheck) -> t.Type:
    if not call.numbers():
        return t.ERROR
    return call.types[0] if call.arity(1) else t.ERROR


def _round(call: CallCheck) -> t.Type:
    if not call.numbers() or not call.arity(2):
        return t.ERROR
    places = call.args[1]
    if not isinstance(places, n.Number) or places.value != places.value.to_integral_value():
        return call.error("E-TYPE-005", "`round` takes the number of decimal places as a whole "
                          "number: `round(x, 2)` rounds to pence", places.span)
    return t.Quantity(call.types[0].unit, integral=places.value == 0)


# ---------------------------------------------------------------- interval rules
#
# A range is (low, high), each a Fraction or None (unbounded); a rule takes the
# ranges of the arguments and gives the range of the call, for the interval
# pass of the analysis of variations (rules_engine/analysis/intervals.py).

def _low(values):
    return None if any(v is None for v in values) else min(values)


def _high(values):
    return None if any(v is None for v in values) else max(values)


def _min_range(*ranges):
    highs = [h for _, h in ranges if h is not None]
    return _low([lo for lo, _ in ranges]), (min(highs) if highs else None)


def _max_range(*ranges):
    lows = [lo for lo, _ in ranges if lo is not None]
    return (max(lows) if lows else None), _high([h for _, h in ranges])


def _abs_range(range_):
    low, high = range_
    if low is not None and low >= 0:
        return low, high
    if high is not None and high <= 0:
        return -high, (None if low is None else -low)
    return Fraction(0), (None if low is None or high is None else max(-low, high))


def _monotone(function):
    def rule(range_, *rest):
        low, high = range_
        return (None if low is None else function(low, *rest)), (None if high is None else function(high, *rest))
    return rule


def _round_fraction(value: Fraction, places=(Fraction(2), Fraction(2))) -> Fraction:
    return Fraction(round_half_up(Decimal(value.numerator) / Decimal(value.denominator), int(places[0])))


# ---------------------------------------------------------------- implementations

def is_known(value) -> bool:
    return type(value) is not Unknown


def size(collection) -> Decimal:
    return Decimal(len(collection))


def length(ranges) -> Decimal:
    return Decimal(sum(end - start for start, end in ranges))


def opens(span, ranges):
    return ranges[0][0] if ranges else unknown_because(
        "empty-interval", "an empty interval has no opening time", span)


def closes(span, ranges):
    return ranges[-1][1] if ranges else unknown_because(
        "empty-interval", "an empty interval has no closing time", span)


def weekday(day: dt.date) -> str:
    return WEEKDAYS[day.weekday()]


def ceil(value: Decimal) -> Decimal:
    return value.to_integral_value(ROUND_CEILING)


def floor(value: Decimal) -> Decimal:
    return value.to_integral_value(ROUND_FLOOR)


def round_half_up(value: Decimal, places) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)


#: The built-in functions, by name, in the order error messages list them.
BUILTINS: dict[str, Builtin] = {b.name: b for b in (
    Builtin("min", _extreme, min, passes_expected=True, interval=_min_range),
    Builtin("max", _extreme, max, passes_expected=True, interval=_max_range),
    Builtin("ceil", _whole, ceil, interval=_monotone(lambda v: Fraction(math.ceil(v)))),
    Builtin("floor", _whole, floor, interval=_monotone(lambda v: Fraction(math.floor(v)))),
    Builtin("round", _round, round_half_up, interval=_monotone(_round_fraction)),
    Builtin("abs", _abs, abs, interval=_abs_range),
    Builtin("known", _known, is_known, strict=False),
    Builtin("size", _size, size),
    Builtin("length", _of_interval(t.MINUTES), length),
    Builtin("opens", _of_interval(t.TIME), opens, takes_span=True),
    Builtin("closes", _of_interval(t.TIME), closes, takes_span=True),
    Builtin("weekday", _weekday, weekday),
)}
