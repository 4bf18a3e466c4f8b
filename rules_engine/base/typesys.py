"""Types and units of the rule language.

Quantities carry a unit built from base dimensions (pounds, minutes, points,
days, months); arithmetic multiplies and divides units and addition requires
equal ones, so `minutes + money` is a static error. Counts, plain numbers and
fractions are dimensionless. Money is held as `Decimal` at run time, exact to
the penny and beyond: the engine rounds only where a rule says `round`.

Words after `per` that are not units (`money per patient`, `money per wte`)
describe the rate and do not change its dimension.

>>> money = type_named("money"); count = type_named("count")
>>> describe(multiply(money, count))
'money'
>>> add_compatible(type_named("minutes"), money)
False
"""

from __future__ import annotations

import attrs

from rules_engine.base.records import fields_repr, pickled_by_fields


def _type(cls: type) -> type:
    """A frozen type, its hash worked out once, shown by `records.fields_repr`
    (attrs' repr, not compiled for each class at start-up)."""
    built = attrs.frozen(cache_hash=True, repr=False)(cls)
    if "__repr__" not in cls.__dict__:
        built.__repr__ = fields_repr
    return built

# ------------------------------------------------------------------------ units

BASE_DIMENSIONS = ("GBP", "minute", "point", "day", "month")


@pickled_by_fields
@_type
class Unit:
    """Exponents of base dimensions, e.g. (("GBP", 1), ("point", -1))."""

    exponents: tuple[tuple[str, int], ...] = ()

    def times(self, other: "Unit") -> "Unit":
        merged = dict(self.exponents)
        for dim, exp in other.exponents:
            merged[dim] = merged.get(dim, 0) + exp
        return Unit(tuple(sorted((d, e) for d, e in merged.items() if e)))

    def inverse(self) -> "Unit":
        return Unit(tuple((d, -e) for d, e in self.exponents))

    def __str__(self) -> str:
        if not self.exponents:
            return "a plain number"
        up = [_UNIT_WORD[d] + (f"^{e}" if e > 1 else "") for d, e in self.exponents if e > 0]
        down = [_UNIT_WORD[d] + (f"^{-e}" if e < -1 else "") for d, e in self.exponents if e < 0]
        text = " x ".join(up) or "1"
        return text + "".join(f" per {d}" for d in down)


DIMENSIONLESS = Unit()
GBP = Unit((("GBP", 1),))
MINUTE = Unit((("minute", 1),))
POINT = Unit((("point", 1),))
DAY = Unit((("day", 1),))
MONTH = Unit((("month", 1),))

_UNIT_WORD = {"GBP": "money", "minute": "minutes", "point": "points", "day": "days",
              "month": "months"}

#: Unit words after a number (`60 minutes`) or `per`: the unit and the factor
#: that converts to it (hours are held as minutes, years as months).
UNIT_WORDS: dict[str, tuple[Unit, int]] = {
    "minute": (MINUTE, 1), "minutes": (MINUTE, 1),
    "hour": (MINUTE, 60), "hours": (MINUTE, 60),
    "point": (POINT, 1), "points": (POINT, 1),
    "day": (DAY, 1), "days": (DAY, 1),
    "week": (DAY, 7), "weeks": (DAY, 7),
    "month": (MONTH, 1), "months": (MONTH, 1),
    "year": (MONTH, 12), "years": (MONTH, 12),
}


# ------------------------------------------------------------------------ types

class Type:
    """Base of the language's types (all immutable and comparable)."""


@pickled_by_fields
@_type
class Quantity(Type):
    unit: Unit
    integral: bool = False
    fraction: bool = False  # a share 0..1 (arrangement values are checked)
    # A fact declared `signed` may be negative; every other quantity an
    # arrangement gives is refused below zero (E-FACT-005). Only the fact
    # reader looks at it: it takes no part in a type's equality.
    signed: bool = attrs.field(default=False, eq=False)


@pickled_by_fields
@_type
class Boolean(Type):
    pass


@pickled_by_fields
@_type
class Text(Type):
    pass


@pickled_by_fields
@_type
class Date(Type):
    pass


@pickled_by_fields
@_type
class TimeOfDay(Type):
    pass


@pickled_by_fields
@_type
class Interval(Type):
    """One or more ranges of time in a day (`08:00-13:00, 14:00-18:30`)."""


@pickled_by_fields
@_type
class Enum(Type):
    name: str
    members: tuple[str, ...]


@pickled_by_fields
@_type
class ListOf(Type):
    element: Type


@pickled_by_fields
@_type
class SetOf(Type):
    element: Type


@pickled_by_fields
@_type
class MapOf(Type):
    key: Type
    value: Type


@pickled_by_fields
@_type
class Record(Type):
    """A group of facts; `fields` is filled in by the schema."""

    path: str
    fields: tuple[tuple[str, Type], ...] = ()

    def field(self, name: str) -> Type | None:
        for field_name, field_type in self.fields:
            if field_name == name:
                return field_type
        return None


@pickled_by_fields
@_type
class TableRow(Type):
    table: str


@pickled_by_fields
@_type
class Table(Type):
    """A table name used as a value: its keys in force (for `x in table`)."""

    name: str
    key: Type


@pickled_by_fields
@_type
class Error(Type):
    """The type of an expression that already has an error: absorbs checks."""


BOOL = Boolean()
TEXT = Text()
DATE = Date()
TIME = TimeOfDay()
INTERVAL = Interval()
ERROR = Error()
COUNT = Quantity(DIMENSIONLESS, integral=True)
NUMBER = Quantity(DIMENSIONLESS)
FRACTION = Quantity(DIMENSIONLESS, fraction=True)
MONEY = Quantity(GBP)
MINUTES = Quantity(MINUTE)
POINTS = Quantity(POINT)
DAYS = Quantity(DAY, integral=True)
MONTHS = Quantity(MONTH)

BUILTIN_TYPES: dict[str, Type] = {
    "count": COUNT, "number": NUMBER, "fraction": FRACTION, "percent": FRACTION,
    "money": MONEY, "minutes": MINUTES, "points": POINTS, "days": DAYS, "months": MONTHS,
    "bool": BOOL, "text": TEXT, "date": DATE, "time": TIME, "interval": INTERVAL,
}


def type_named(name: str, per: tuple[str, ...] = ()) -> Type | None:
    """A built-in type by name, with `per` units divided out; None if unknown."""
    base = BUILTIN_TYPES.get(name)
    if base is None:
        return None
    for word in per:
        if word in UNIT_WORDS and isinstance(base, Quantity):
            base = Quantity(base.unit.times(UNIT_WORDS[word][0].inverse()))
    return base


def describe(type_: Type) -> str:
    """How a type reads in an error message."""
    if isinstance(type_, Quantity):
        if type_.unit == DIMENSIONLESS:
            return "a fraction" if type_.fraction else "a count" if type_.integral else "a number"
        return str(type_.unit)
    if isinstance(type_, Enum):
        return f"`{type_.name}` (one of {', '.join(type_.members[:6])}{', ...' if len(type_.members) > 6 else ''})"
    if isinstance(type_, ListOf):
        return f"a list of {describe(type_.element)}"
    if isinstance(type_, SetOf):
        return f"a set of {describe(type_.element)}"
    if isinstance(type_, MapOf):
        return f"a map from {describe(type_.key)} to {describe(type_.value)}"
    if isinstance(type_, Record):
        return f"the record `{type_.path}`"
    if isinstance(type_, Table):
        return f"the table `{type_.name}`"
    if isinstance(type_, TableRow):
        return f"a row of the table `{type_.table}`"
    return {Boolean: "yes/no", Text: "text", Date: "a date", TimeOfDay: "a time of day",
            Interval: "a time interval", Error: "(error)"}.get(type(type_), type(type_).__name__)


def is_numeric(type_: Type) -> bool:
    return isinstance(type_, Quantity)


def add_compatible(left: Type, right: Type) -> bool:
    """Whether `left + right` (and comparisons) are allowed between quantities."""
    return isinstance(left, Quantity) and isinstance(right, Quantity) and left.unit == right.unit


def multiply(left: Quantity, right: Quantity) -> Quantity:
    return Quantity(left.unit.times(right.unit), left.integral and right.integral)


def divide(left: Quantity, right: Quantity) -> Quantity:
    return Quantity(left.unit.times(right.unit.inverse()))


def join(left: Type, right: Type) -> Type | None:
    """The common type of two branches (of `if`, or two set items); None if none."""
    if isinstance(left, Error):
        return right
    if isinstance(right, Error):
        return left
    if left == right:
        return left
    if isinstance(left, Quantity) and isinstance(right, Quantity) and left.unit == right.unit:
        return Quantity(left.unit, left.integral and right.integral)
    return None


def comparable(left: Type, right: Type) -> bool:
    if isinstance(left, Error) or isinstance(right, Error):
        return True
    if isinstance(left, Quantity) or isinstance(right, Quantity):
        return add_compatible(left, right)
    return left == right


def ordered(type_: Type) -> bool:
    """Whether `<` and friends apply."""
    return isinstance(type_, (Quantity, Date, TimeOfDay, Error))
