"""Slips in values: literals a later stage refuses, impossible dates, and
values an arrangement writes another way, with what to write instead.

For the static stages: the literal a quoted text spells (`unquoted`), a
value in a unit (`with_unit`, `plain_number`), why a date is impossible
(`date_problem`, `date_hint`, `not_a_date`). For the arrangement reader and
scenario files: the hints for arrangement values (`fact_number_hint`,
`fact_interval_hint`, `curly_hint`, `uncurled`, `split_number_hint`). The
slips the parser meets (and dates and times written another way) are in
`slips`, which this module reads; it reads nothing else of the package.

>>> fact_number_hint("24,000", "a count")
'write 24000'
"""

from __future__ import annotations

import calendar
import re
from decimal import Decimal

from rules_engine.syntax.slips import TYPOGRAPHIC, code_point, other_date, other_time


# ------------------------------------------------- literals a later stage refuses

_LITERAL = re.compile(r"""\s*(?:
    (?P<money>£\s?\d[\d,]*(?:\.\d+)?)
  | (?P<percent>\d+(?:\.\d+)?)\s?%
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<interval>\d{1,2}:\d{2}\s?[-\u2013\u2014]\s?\d{1,2}:\d{2})
  | (?P<time>\d{1,2}:\d{2})
  | (?P<number>\d[\d,_]*(?:\.\d+)?)(?:\s+(?P<unit>[A-Za-z]+))?
  | (?P<bool>true|false|True|False|TRUE|FALSE)
)\s*$""", re.X)


def unquoted(text: str) -> str | None:
    """The literal a quoted text spells, written as a rule file writes it
    without quotes, or None when it spells none.

    >>> unquoted("70 minutes"), unquoted(" 24,000 "), unquoted("50 %"), unquoted("seventy")
    ('70 minutes', '24000', '50%', None)
    """
    match = _LITERAL.fullmatch(text)
    if match is None:
        return None
    kind = match.lastgroup if match.lastgroup != "unit" else "number"
    if kind == "money":
        return match.group("money").replace(" ", "")
    if kind == "percent":
        return match.group("percent") + "%"
    if kind == "interval":
        return re.sub(r"\s?[-\u2013\u2014]\s?", "-", match.group("interval"))
    if kind == "bool":
        return match.group("bool").lower()
    if kind == "number":
        digits = match.group("number")
        if "," in digits and not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", digits):
            return None
        digits = digits.replace(",", "")
        unit = match.group("unit")
        return f"{digits} {unit}" if unit else digits
    return match.group(kind)


#: The word a number takes to be a quantity of each base dimension.
UNIT_WORD = {"GBP": None, "minute": "minutes", "point": "points", "day": "days", "month": "months"}


def plain_number(value) -> str:
    """A Decimal as a rule file writes it: `2000`, `8.427`."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def with_unit(value, dimension: str | None) -> str | None:
    """The literal `value` of one base dimension (None: a plain number), as
    written: `2000 minutes`, `£8.427`, `24000`; None when the dimension has no
    literal."""
    number = plain_number(value)
    if dimension is None:
        return number
    if dimension == "GBP":
        return f"£{number}"
    word = UNIT_WORD.get(dimension)
    if word is None:
        return None
    return f"{number} {word[:-1] if number == '1' else word}"


# ------------------------------------------------------------------- dates

def date_problem(text: str) -> tuple[str, str | None] | None:
    """Why `YYYY-MM-DD` is no real date, and the nearest one that is (for a
    day past the month's end, its last day); None for a real date or for
    text not in that form.

    >>> date_problem("2025-02-30")
    ('February 2025 has 28 days', '2025-02-28')
    >>> date_problem("2025-13-01")
    ('there is no month 13 (months run from 01 to 12)', None)
    """
    match = re.fullmatch(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[Tt ].*)?", text)
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return f"there is no month {month:02d} (months run from 01 to 12)", None
    length = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if day == 0:
        return "days of the month start at 01", f"{year:04d}-{month:02d}-01"
    if day > length:
        return (f"{calendar.month_name[month]} {year} has {length} days",
                f"{year:04d}-{month:02d}-{length:02d}")
    return None


def date_hint(nearest: str | None) -> str:
    return (f"did you mean {nearest}? " if nearest else "") + \
        "dates are written YYYY-MM-DD, a day that exists, e.g. 2025-04-01"


def not_a_date(what: str, shown: str, raw) -> tuple[str, str]:
    """(message, hint) for a value that should be a date: the why, when it
    has the form of one (`2025-02-30`: February 2025 has 28 days)."""
    problem = date_problem(raw) if isinstance(raw, str) else None
    if problem is None:
        other = other_date(raw.strip(), 0) if isinstance(raw, str) and "\n" not in raw else None
        if other is not None and (other.start, other.end) == (0, len(raw.strip())):
            return f"{what} should be a date, not `{shown}`", f"dates are written YYYY-MM-DD: {other.hint}"
        return (f"{what} should be a date, not `{shown}`",
                "dates are written YYYY-MM-DD, a real day of the month, e.g. 2025-06-01")
    why, nearest = problem
    return f"{what} should be a date, and `{shown}` is none: {why}", date_hint(nearest)


# ------------------------------------------------------------ arrangements

_CURLY = "\u201c\u201d\u201e\u2018\u2019\u00ab\u00bb"
_FACT_NUMBER = re.compile(r"\s*(£\s?)?(\d[\d,_ \u00a0\u202f\u2009]*(?:\.\d+)?)\s*(%|[A-Za-z]+)?\s*")


def uncurled(text: str) -> str | None:
    """The text inside curly quotes, when it is wrapped in them."""
    text = text.strip()
    if len(text) >= 2 and text[0] in _CURLY and text[-1] in _CURLY:
        return text[1:-1]
    return None


def curly_hint(text: str, fix: str, straight_too: bool = True) -> str:
    """The hint for a YAML value wrapped in curly quotes; `fix` says what to
    write; `straight_too` when the value may also be in straight quotes (a
    quoted `"true"` is a text, not a yes/no value)."""
    text = text.strip()
    quotes = " and ".join(sorted({f"U+{ord(c):04X}" for c in (text[0], text[-1])}))
    return (f"the value is in curly quotes ({quotes}), which YAML keeps as part of the text; "
            f"{fix}, without quotes" + (' (or in straight quotes `"`)' if straight_too else ""))


def fact_number_hint(raw: str, kind: str) -> str | None:
    """What to write for text an arrangement gives where a number is
    expected; `kind` is how the type reads (`minutes`, `money`, `a count`,
    `a fraction`). None when the text is no number at all.

    >>> fact_number_hint("70 minutes", "minutes")
    'write 70: the field is in minutes (the schema gives the unit)'
    >>> fact_number_hint("50%", "a fraction")
    'write 0.5: fractions are from 0 to 1'
    """
    text = raw.strip()
    inner = uncurled(text)
    if inner is not None:
        fix = fact_number_hint(inner, kind)
        return curly_hint(text, fix.partition(":")[0] if fix else f"write {inner.strip()}")
    match = _FACT_NUMBER.fullmatch(text)
    if match is None:
        return None
    pound, digits, suffix = match.groups()
    number = re.sub(r"[,_ \u00a0\u202f\u2009]", "", digits)
    if suffix == "%":
        if kind != "a fraction":
            return f"write {number}"
        return f"write {plain_number(Decimal(number) / 100)}: fractions are from 0 to 1"
    if suffix:
        if kind in ("a count", "a number", "a fraction"):
            return f"write {number}: {kind} is a plain number, without a unit word"
        return f"write {number}: the field is in {kind} (the schema gives the unit)"
    if number != digits or pound:
        return f"write {number}"
    return None


def fact_interval_hint(raw: str) -> str | None:
    """What to write for an interval an arrangement gives another way
    (`08:00 – 18:30` with an en dash, `8am-6.30pm`, `08.00-18.30`); None when
    its times cannot be read.

    >>> fact_interval_hint("8am-6.30pm")
    'write "08:00-18:30"'
    """
    ranges, dashes = [], set()
    for part in raw.split(","):
        if not part.strip():
            continue
        pieces = re.split(r"\s*([-\u2013\u2014\u2012\u2212]|\bto\b)\s*", part.strip())
        if len(pieces) != 3:
            return None
        if pieces[1] != "-":
            dashes.add(pieces[1])
        times = []
        for piece in (pieces[0], pieces[2]):
            clock = re.fullmatch(r"(\d{1,2}):(\d{2})", piece)
            if clock is not None:
                times.append(f"{int(clock.group(1)):02d}:{clock.group(2)}")
                continue
            slip = other_time(piece, 0)
            if slip is None or (slip.start, slip.end) != (0, len(piece)):
                return None
            times.append(slip.hint.split("`")[1])
        ranges.append("-".join(times))
    if not ranges:
        return None
    named = [f"{TYPOGRAPHIC[d].what} ({code_point(d)[:6]})" if d in TYPOGRAPHIC else f"`{d}`"
             for d in sorted(dashes)]
    return f'write "{", ".join(ranges)}"' + (
        f", with a plain hyphen, not {' or '.join(named)}" if named else "")


def split_number_hint(key, value) -> str | None:
    """A key that is three digits with no value: in a YAML flow mapping
    (`{minutes_per_week: 1,650}`) a thousands separator splits the number
    into a value and a key of its own."""
    digits = isinstance(key, int) and not isinstance(key, bool) and 0 <= key < 1000 or \
        isinstance(key, str) and re.fullmatch(r"\d{3}", key) is not None
    if value is None and digits:
        return ("inside `{...}` a comma separates entries, so a number written with a "
                "thousands separator splits at the comma (`1,650` would read as 1 and a key "
                "`650`): write the number without separators")
    return None
