"""How numbers read: the one place that formats money, points, shares and counts.

Every report (text, HTML, explain, impact, the `why` of a result) shows a
number through these functions, so that money always reads as pounds and
pence with thousands separators, and no report prints a figure more precise
than the contract pays without saying so.

Money is exact `Decimal` in the engine and in the JSON (a string). Shown, it
is to the penny; an amount with more than pennies (a rate x a population the
contract does not round, say) is shown to the penny with its exact figure:

>>> money("1331550")
'£1,331,550.00'
>>> money("5861.385")
'£5,861.39 (unrounded: £5,861.385)'
>>> money(Decimal("-75576.59"), signed=True)
'-£75,576.59'
>>> points(Decimal("12.444444444444444444"))
'12.44'
>>> points(19)
'19'
>>> percent(Decimal("0.625"))
'62.5%'
>>> number(Decimal("3408"))
'3,408'
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from rules_engine.base import typesys as t

PENNY = Decimal("0.01")
#: QOF points are shown (and paid on) to two decimal places, as the QOF
#: calculating systems show them; the engine keeps the exact figure.
POINT_PLACES = Decimal("0.01")
#: Other numbers (factors, whole-time equivalents) are shown to four places at most.
NUMBER_PLACES = Decimal("0.0001")


def decimal(value: Any) -> Decimal | None:
    """A number from the engine or the results JSON as a Decimal; None if it is not one."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def to_penny(amount: Decimal) -> Decimal:
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def sub_penny(value: Any) -> bool:
    """Whether an amount has more precision than pounds and pence."""
    amount = decimal(value)
    return amount is not None and amount.is_finite() and amount != to_penny(amount)


def _pounds(amount: Decimal, signed: bool) -> str:
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}£{abs(amount):,f}"


def money(value: Any, signed: bool = False) -> str:
    """Pounds and pence with thousands separators; a sub-penny amount says so."""
    amount = decimal(value)
    if amount is None:
        return "unknown" if value is None else str(value)
    shown = _pounds(to_penny(amount), signed)
    if amount != to_penny(amount):
        exact = amount.normalize()
        return f"{shown} (unrounded: {_pounds(exact, signed)})"
    return shown


def money_exact(value: Any) -> str:
    """The exact amount as the results JSON holds it, at least to the penny: '1331550.00'."""
    amount = decimal(value)
    if amount is None:
        return str(value)
    return exact_pounds(amount)[0]


def exact_pounds(amount: Decimal) -> tuple[str, bool]:
    """`money_exact` of an amount, and whether it is more precise than the
    penny (what `unrounded` says of that text), with one rounding."""
    penny = to_penny(amount)
    if amount == penny:
        return f"{penny}", False
    return f"{amount.normalize():f}", amount.is_finite()


def _trimmed(amount: Decimal, places: Decimal) -> str:
    rounded = amount.quantize(places, rounding=ROUND_HALF_UP)
    text = f"{rounded:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def number(value: Any) -> str:
    """Counts and quantities with thousands separators, at most four decimals: 30000 -> '30,000'."""
    if isinstance(value, bool) or value is None:
        return plain(value)
    if isinstance(value, int):
        return f"{value:,}"
    amount = decimal(value)
    if amount is None:
        return str(value)
    return _trimmed(amount, NUMBER_PLACES)


def points(value: Any) -> str:
    """QOF points to two decimal places, trailing zeros dropped: '16.89', '8.5', '19'."""
    amount = decimal(value)
    if amount is None:
        return plain(value)
    return _trimmed(amount, POINT_PLACES)


def percent(value: Any) -> str:
    """A share as a percentage, to two decimal places at most: 0.625 -> '62.5%'."""
    amount = decimal(value)
    if amount is None:
        return plain(value)
    return _trimmed(amount * 100, POINT_PLACES) + "%"


def unrounded(value: Any, unit: str | None) -> bool:
    """Whether a value is more precise than the contract shows or pays it (money
    past the penny, points past two places): the JSON says so with `unrounded`."""
    amount = decimal(value)
    if amount is None or not amount.is_finite():
        return False
    if unit == "GBP":
        return amount != to_penny(amount)
    if unit == "points":
        return amount != amount.quantize(POINT_PLACES, rounding=ROUND_HALF_UP)
    return False


def plain(value: Any) -> str:
    if value is None:
        return "unknown"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, (int, float, Decimal)):
        return number(value)
    if isinstance(value, list):
        return ", ".join(plain(v) for v in value) if value else "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {plain(v)}" for k, v in value.items()) if value else "(none)"
    return str(value)


_SILENT_UNITS = {"count", "number", "text", "bool", "date", "value", ""}


def show_value(value: Any, unit: str | None) -> str:
    """A value of the results JSON as a reader wants it: money in pounds, points
    to two places, shares as percentages, other units named."""
    if value is None:
        return "unknown"
    if unit == "GBP":
        return money(value)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if unit == "points":
            text = points(value)
            return f"{text} point" + ("" if decimal(value) == 1 else "s")
        if unit == "fraction":
            return percent(value)
        text = number(value)
        return text if (unit or "") in _SILENT_UNITS else f"{text} {unit}"
    return plain(value)


def money_text(value: Decimal) -> str:
    """Exact pounds as text, at least to the penny: 1331550 -> '1331550.00'."""
    return money_exact(value)


def number_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def shown_json(value: Any, type_: t.Type | None, unit: str | None) -> tuple[Any, bool]:
    """`value_json(value, type_)` and whether it is `unrounded` in `unit`:
    an amount of money's text and its precision with one rounding."""
    if type(value) is Decimal and unit == "GBP" and value.is_finite() and _is_money(type_):
        return exact_pounds(value)
    shown = value_json(value, type_)
    return shown, shown is not None and unrounded(shown, unit)


def value_json(value: Any, type_: t.Type | None = None) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        if type_ is not None and _is_money(type_):
            return money_text(value)
        return number_json(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (frozenset, set)):
        return sorted(value_json(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [value_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): value_json(v) for k, v in value.items() if not str(k).startswith("_")}
    return value


@functools.lru_cache(maxsize=None)
def _is_money(type_: t.Type) -> bool:
    return isinstance(type_, t.Quantity) and type_.unit == t.GBP


is_money = _is_money  # whether a type is an amount of money
