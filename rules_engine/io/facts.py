"""An arrangement's raw values checked against the fact schema: the validator.

Input: the schema's root record type (`base.typesys.Record`) and the dotted
paths of the required facts; then a raw document (YAML or JSON, already
read). Output: the facts as typed values in `FactRecord`/`FactList`
containers that know their paths, or `FactProblem`s at field paths
(E-FACT-001..005 and E-FACT-007, E-LIMIT-007 digits, E-LIMIT-008 years),
which `arrangements.place_problems` puts on lines.

Validation is compiled once per schema into closures, so that a population
run does not walk the type tree for every arrangement. The typed decoders of
`decoding.py` are the fast path for valid input; this validator is the
reference, and explains every problem.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import attrs

from rules_engine.base import limits
from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import did_you_mean, one_of
from rules_engine.base.values import FactList, FactRecord, child_path, normalise_ranges, path_parts, spell_path
from rules_engine.io.documents import preview
from rules_engine.syntax import slips
from rules_engine.syntax import value_slips


@attrs.frozen
class FactProblem:
    """A problem at a field path, before it is placed on a line."""

    path: tuple[str | int, ...]
    code: str
    message: str
    hint: str | None = None
    at_key: bool = False  # point at the key rather than the value


class Problems(list):
    def add(self, path, code, message, hint=None, at_key=False):
        parts = path_parts(path) if not isinstance(path, list) else path
        self.append(FactProblem(tuple(parts), code, message, hint, at_key))


Validator = Callable[[Any, list, Problems], Any]
MISSING = object()  # what a check returns for a value it rejected


# Fast paths for the common, valid case of a leaf; anything else goes to the
# field's full validator, which also explains what is wrong.
_BOOL, _TEXT, _ENUM, _WHOLE, _OTHER = range(5)


def _fast_kind(type_: t.Type) -> tuple[int, object]:
    if isinstance(type_, t.Boolean):
        return _BOOL, None
    if isinstance(type_, t.Text):
        return _TEXT, None
    if isinstance(type_, t.Enum):
        return _ENUM, frozenset(type_.members)
    if isinstance(type_, t.Quantity) and not type_.fraction:
        return _WHOLE, None  # a non-negative int is valid for any non-fraction quantity (signed or not)
    return _OTHER, None


def record_validator(record: t.Record, required: frozenset[str], dotted: str) -> Validator:
    fields: dict[str, Validator] = {}
    plan: dict[str, tuple[int, object, Validator]] = {}
    for name, field_type in record.fields:
        child_dotted = f"{dotted}.{name}" if dotted else name
        fields[name] = _validator(field_type, required, child_dotted)
        plan[name] = (*_fast_kind(field_type), fields[name])
    needed = tuple(name for name, _ in record.fields
                   if (f"{dotted}.{name}" if dotted else name) in required)
    names = tuple(fields)

    def validate(raw, path, problems):
        if not isinstance(raw, dict):
            what = f"`{_show(path)}`" if path is not None else "an arrangement"
            problems.add(path, "E-FACT-002", f"{what} should be a group of fields, "
                         f"not {kind_of(raw)}", hint=f"its fields are {one_of(names)}")
            return MISSING
        out = FactRecord(path)
        bound = largest()
        for key, value in raw.items():
            entry = plan.get(key)
            if entry is not None:
                kind, members, check = entry
                value_type = type(value)
                if kind == _BOOL:
                    if value_type is bool:
                        out[key] = value
                        continue
                elif kind == _TEXT or kind == _ENUM:
                    if value_type is str and (kind == _TEXT or value in members):
                        out[key] = value
                        continue
                elif kind == _WHOLE:
                    if value_type is int and 0 <= value < bound:
                        out[key] = Decimal(value)
                        continue
            else:
                check = None
            if check is None:
                key_path = (path, key)
                problems.add(key_path, "E-FACT-001", f"`{_show(key_path)}` is not a declared fact",
                             hint=value_slips.split_number_hint(key, value) or did_you_mean(str(key), names)
                             or (f"the fields here are {one_of(names)}" if names else None), at_key=True)
                continue
            if value is None:
                continue  # an explicit null is a missing fact
            converted = check(value, (path, key), problems)
            if converted is not MISSING:
                out[key] = converted
        for name in needed:
            if name not in out and not any(p.path[:len(here) + 1] == (*here, name) for p in problems
                                           for here in [path_parts(path)]):
                problems.add(path, "E-FACT-007", f"`{_show((path, name))}` is required",
                             hint="every arrangement must give it")
        return out
    return validate


def _validator(type_: t.Type, required: frozenset[str], dotted: str) -> Validator:
    if isinstance(type_, t.Record):
        return record_validator(type_, required, dotted)
    if isinstance(type_, t.ListOf):
        element = _validator(type_.element, required, dotted + "[]")

        def validate_list(raw, path, problems):
            if not isinstance(raw, (list, tuple)):
                problems.add(path, "E-FACT-002", f"`{_show(path)}` should be a list, not {kind_of(raw)}")
                return MISSING
            out = FactList(path)
            for index, item in enumerate(raw):
                converted = element(item, (path, index), problems) if item is not None else MISSING
                out.append(converted if converted is not MISSING else None)
            return out
        return validate_list
    if isinstance(type_, t.MapOf):
        key = leaf_check(type_.key)
        value = _validator(type_.value, required, dotted + "{}")

        def validate_map(raw, path, problems):
            if not isinstance(raw, dict):
                problems.add(path, "E-FACT-002", f"`{_show(path)}` should be a group of entries, "
                             f"not {kind_of(raw)}")
                return MISSING
            out = FactRecord(path)
            for raw_key, raw_value in raw.items():
                converted_key = key(raw_key, (path, raw_key), problems)
                if converted_key is MISSING or raw_value is None:
                    continue
                converted = value(raw_value, (path, raw_key), problems)
                if converted is not MISSING:
                    out[converted_key] = converted
            return out
        return validate_map
    if isinstance(type_, t.SetOf):
        element = leaf_check(type_.element)

        def validate_set(raw, path, problems):
            if not isinstance(raw, (list, tuple)):
                problems.add(path, "E-FACT-002", f"`{_show(path)}` should be a list, not {kind_of(raw)}")
                return MISSING
            items = [element(item, (path, i), problems) for i, item in enumerate(raw)]
            return frozenset(i for i in items if i is not MISSING)
        return validate_set
    return leaf_check(type_)


_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$")


def date_from_text(text: str) -> dt.date | None:
    """`2025-06-01` (optionally with a time of day, which is dropped) as a date;
    None for anything else, including a day that does not exist."""
    match = _DATE.match(text)
    if not match:
        return None
    try:
        day = dt.date(*(int(part) for part in match.groups()))
    except ValueError:  # 2025-02-30, 2025-13-01
        return None
    if match.group(0).strip() != match.group(0).strip()[:10]:
        try:  # a time of day must be a real one too (no hour 25)
            dt.datetime.fromisoformat(match.group(0).strip().replace("t", "T"))
        except ValueError:
            return None
    return day


_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def clock_minutes(text: str, allow_24=False) -> int | None:
    match = _CLOCK.match(text)
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        return None
    return hours * 60 + minutes


_LARGEST: dict[int, int] = {}


def largest() -> int:
    """Every number an arrangement gives is below this: 10 ** `max_number_digits`
    (E-LIMIT-007). Larger ones are no list size or amount, and the engine's 28
    significant digits keep every product and rounding of numbers this size exact."""
    digits = limits.current().max_number_digits
    bound = _LARGEST.get(digits)
    if bound is None:
        bound = _LARGEST[digits] = 10 ** digits
    return bound


#: Decimals of the floats already read: a population repeats the same few
#: fractions (achievements to three places, national prevalences) many times.
FLOATS: dict[float, Decimal] = {}


def leaf_check(type_: t.Type) -> Validator:
    def wrong(path, problems, raw, what, hint=None):
        problems.add(path, "E-FACT-002", f"`{_show(path)}` should be {what}, not {kind_of(raw)} "
                     f"`{_clip(raw)}`", hint=hint)
        return MISSING

    def not_finite(path, problems, raw, what, nan: bool):
        # `1e400` reads as infinity in JSON and YAML alike: say so, not "a number `inf`"
        problems.add(path, "E-FACT-002", f"`{_show(path)}` should be {what}, not "
                     + ("NaN (not a number)" if nan else f"infinity (`{_clip(raw)}`)"),
                     hint=None if nan else "a number too large to hold, such as 1e400, reads as infinity; "
                     f"numbers are at most {largest() - 1:,}")
        return MISSING

    if isinstance(type_, t.Boolean):
        def check_bool(raw, path, problems):
            if isinstance(raw, bool):
                return raw
            inner = value_slips.uncurled(raw) if isinstance(raw, str) else None
            return wrong(path, problems, raw, "true or false", hint=value_slips.curly_hint(
                raw, f"write {inner.strip().lower()}", straight_too=False) if inner is not None and
                inner.strip().lower() in ("true", "false") else None)
        return check_bool
    if isinstance(type_, t.Text):
        def check_text(raw, path, problems):
            if isinstance(raw, str):
                return str(raw)
            if isinstance(raw, int) and not isinstance(raw, bool):
                return str(raw)
            return wrong(path, problems, raw, "text")
        return check_text
    if isinstance(type_, t.Enum):
        members = frozenset(type_.members)

        def check_enum(raw, path, problems):
            if isinstance(raw, str) and raw in members:
                return str(raw)
            inner = value_slips.uncurled(raw) if isinstance(raw, str) else None
            if inner is not None and inner.strip() in members:
                problems.add(path, "E-FACT-003", f"`{_clip(raw)}` is not a valid {type_.name} at "
                             f"`{_show(path)}`", hint=value_slips.curly_hint(raw, f"write {inner.strip()}"))
                return MISSING
            suggestion = did_you_mean(raw, members) if isinstance(raw, str) else None
            problems.add(path, "E-FACT-003", f"`{_clip(raw)}` is not a valid {type_.name} at "
                         f"`{_show(path)}`", hint=(suggestion + " " if suggestion else "") +
                         f"valid names: {one_of(type_.members, 30)}")
            return MISSING
        return check_enum
    if isinstance(type_, t.Date):
        def check_date(raw, path, problems):
            day = None
            if isinstance(raw, dt.datetime):
                day = raw.date()
            elif isinstance(raw, dt.date):
                day = raw
            elif isinstance(raw, str):
                day = date_from_text(raw)
            if day is None:
                message, hint = value_slips.not_a_date(f"`{_show(path)}`", _clip(raw), raw)
                problems.add(path, "E-FACT-004", message, hint=hint)
                return MISSING
            latest = limits.current().max_year
            if not limits.EARLIEST_YEAR <= day.year <= latest:
                limit = limits.BY_NAME["max_year"]
                problems.add(path, limit.code, f"`{_show(path)}` is {day.isoformat()}, outside the "
                             f"years {limits.EARLIEST_YEAR} to {latest}",
                             hint=f"dates run from {limits.EARLIEST_YEAR}-01-01 to {latest}-12-31; "
                             + limits.describe(limit))
                return MISSING
            return day
        return check_date
    if isinstance(type_, t.TimeOfDay):
        def check_time(raw, path, problems):
            minutes = clock_minutes(raw) if isinstance(raw, str) else None
            if minutes is None:
                other = slips.other_time(raw.strip(), 0) if isinstance(raw, str) else None
                problems.add(path, "E-FACT-004", f"`{_show(path)}` should be a time, not `{_clip(raw)}`",
                             hint=other.hint if other is not None and other.end == len(raw.strip())
                             else "times are written HH:MM, 24-hour, e.g. 18:30")
                return MISSING
            return minutes
        return check_time
    if isinstance(type_, t.Interval):
        seen: dict[str, tuple] = {}  # the same few intervals recur across a population

        def check_interval(raw, path, problems):
            if type(raw) is str:
                cached = seen.get(raw)
                if cached is not None:
                    return cached
                value = parse_interval(raw, path, problems)
                if value is not MISSING and len(seen) < 4096:
                    seen[raw] = value
                return value
            return parse_interval(raw, path, problems)

        def parse_interval(raw, path, problems):
            parts = raw if isinstance(raw, (list, tuple)) else (
                [p for p in raw.split(",") if p.strip()] if isinstance(raw, str) else None)
            ranges = []
            for part in parts if parts is not None else [None]:
                pieces = part.split("-") if isinstance(part, str) else []
                start = clock_minutes(pieces[0]) if len(pieces) == 2 else None
                end = clock_minutes(pieces[1], allow_24=True) if len(pieces) == 2 else None
                if start is None or end is None or end <= start:
                    problems.add(path, "E-FACT-004",
                                 f"`{_show(path)}` should be a time interval, not `{_clip(raw)}`",
                                 hint=(value_slips.fact_interval_hint(raw) if isinstance(raw, str) else None)
                                 or 'write "08:00-18:30", or several: "08:00-13:00, 14:00-18:30"')
                    return MISSING
                ranges.append((start, end))
            return normalise_ranges(ranges)
        return check_interval
    if isinstance(type_, t.Quantity):
        integral, fraction, signed = type_.integral, type_.fraction, type_.signed
        what = "a whole number" if integral else "a fraction from 0 to 1" if fraction else (
            "an amount in pounds" if type_.unit == t.GBP else "a number")

        def check_number(raw, path, problems):
            bound = largest()
            if type(raw) is int:
                if not fraction and (raw >= 0 or signed) and -bound < raw < bound:
                    return Decimal(raw)
                value = Decimal(raw)
            elif isinstance(raw, bool):
                return wrong(path, problems, raw, what)
            elif isinstance(raw, int):
                value = Decimal(raw)
            elif isinstance(raw, float):
                plain = type(raw) is float  # not YAML's float, which keeps its own spelling
                value = FLOATS.get(raw) if plain else None
                if value is None:
                    if not math.isfinite(raw):  # NaN and infinity (JSON, YAML) are no amount
                        return not_finite(path, problems, raw, what, raw != raw)
                    value = Decimal(repr(raw))  # the shortest text that reads back as the float
                    if plain and len(FLOATS) < 65536:
                        FLOATS[raw] = value
            elif isinstance(raw, (str, Decimal)):
                try:
                    value = Decimal(str(raw).replace(",", "").lstrip("£").strip())
                except InvalidOperation:
                    hint = value_slips.fact_number_hint(raw, t.describe(type_)) \
                        if isinstance(raw, str) else None
                    return wrong(path, problems, raw, what, hint=hint)
                if not value.is_finite():
                    return not_finite(path, problems, raw, what, value.is_nan())
            else:
                return wrong(path, problems, raw, what)
            if integral and value != value.to_integral_value():
                return wrong(path, problems, raw, what)
            if fraction and not (0 <= value <= 1):
                problems.add(path, "E-FACT-005", f"`{_show(path)}` is {raw}, outside 0 to 1",
                             hint="fractions are written from 0 to 1: 62.5% is 0.625")
                return MISSING
            if value < 0 and not signed:
                problems.add(path, "E-FACT-005", f"`{_show(path)}` is {_clip(raw)}, but cannot be negative",
                             hint="the fact schema declares which facts may be negative (`signed`); "
                             "this one is not")
                return MISSING
            if not -bound < value < bound:
                limit = limits.BY_NAME["max_number_digits"]
                problems.add(path, limit.code, f"`{_show(path)}` is {_clip(raw)}, more than "
                             f"{limits.current().max_number_digits} digits before the decimal point: "
                             "too large to be a contract figure",
                             hint=f"numbers are at most {bound - 1:,}; " + limits.describe(limit))
                return MISSING
            return value
        return check_number
    return lambda raw, path, problems: raw  # error type: accept anything


def _show(chain) -> str:
    return spell_path(chain)


def show_parts(parts) -> str:
    text = ""
    for part in parts:
        text = child_path(text, part)
    return text


def kind_of(raw) -> str:
    if raw is None:
        return "nothing (an empty document, or null)"
    if isinstance(raw, bool):
        return "true/false"
    if isinstance(raw, (int, float, Decimal)):
        return "a number"
    if isinstance(raw, str):
        return "text"
    if isinstance(raw, dict):
        return "a group of fields"
    if isinstance(raw, (list, tuple)):
        return "a list"
    return type(raw).__name__


def _clip(raw) -> str:
    return preview(raw)
