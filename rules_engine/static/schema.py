"""The fact schema declared in rule files, and arrangements checked against it.

Input: the `fact`, `enum` and `subject` declarations of the loaded layers, and
arrangement documents (YAML, JSON, or one JSON Lines row). Output: `Schema`
(the root record type, the enumerations and the subjects) and `Facts` (the
arrangement as typed values in `FactRecord`/`FactList` containers that know
their paths).
Diagnostics: E-TYPE-006 and E-NAME-002/007 in rule files; E-FACT-001..007,
E-LIMIT-007 (digits) and E-LIMIT-008 (years) in arrangements, each naming the
field path and, where the format has lines, its line and column (a population
row's column too). Reading the document within the limits is `documents.py`.

Validation is compiled once per schema into closures, so that a population
run does not walk the type tree for every arrangement.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable

import attrs

from rules_engine.base import limits
from rules_engine.syntax import slips
from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, did_you_mean, one_of
from rules_engine.io.inputs import name_of, read_text
from rules_engine.io.documents import json_line, json_position, preview, read_yaml
from rules_engine.base.source import SourceFile, Span
from rules_engine.base.values import (FactList, FactRecord, child_path, normalise_ranges, path_parts,
    spell_path)
from rules_engine.base.diagnostics import Related


@attrs.frozen
class Subject:
    """What a requirement can be `for`: the PCN, each practice, each claim."""

    name: str
    each: bool
    path: tuple[str, ...]
    keyed_by: str | None
    numbered_within: str | None
    record: t.Record
    span: Span


@attrs.frozen
class KeyConstraint:
    """A fact (or a map's keys) whose values must be keys of a table in force.

    Declared by using a one-key table's name as a type:
    `fact pcn.arrs_claims[].role: arrs_roles` or `indicators{qof_indicators}`.
    Checked per date, since the rows in force change from year to year.
    """

    segments: tuple[tuple[str, str], ...]  # (name, field|list|map)
    table: str
    on_keys: bool
    span: Span

    @property
    def dotted(self) -> str:
        return ".".join(name + ("[]" if kind == "list" else "{}" if kind == "map" else "")
                        for name, kind in self.segments)


@attrs.frozen
class Schema:
    root: t.Record
    enums: dict[str, t.Enum]
    subjects: dict[str, Subject]
    required: frozenset[str]  # dotted schema paths that must be present
    validator: Callable = attrs.field(eq=False, repr=False)
    constraints: tuple[KeyConstraint, ...] = ()


# ------------------------------------------------------------ building a schema

class _Builder:
    """A mutable record tree while fact declarations are read."""

    def __init__(self, path: str):
        self.path = path
        self.fields: dict[str, tuple[str, Any, Span]] = {}  # name -> (kind, child, span)

    def freeze(self) -> t.Record:
        fields = []
        for name, (kind, child, _span) in self.fields.items():
            fields.append((name, _freeze(kind, child)))
        return t.Record(self.path, tuple(fields))


def _freeze(kind: str, child) -> t.Type:
    if kind == "leaf":
        return child
    if kind == "record":
        return child.freeze()
    if kind == "list":
        return t.ListOf(child.freeze())
    key_type, inner_kind, inner = child
    return t.MapOf(key_type, _freeze(inner_kind, inner))


def resolve_type(expr: n.TypeExpr, enums: dict[str, t.Enum],
                 diagnostics: list[Diagnostic]) -> t.Type:
    """A type expression from a rule file as a type (reports unknown names)."""
    if isinstance(expr, n.ListType):
        return t.ListOf(resolve_type(expr.element, enums, diagnostics))
    if isinstance(expr, n.SetType):
        return t.SetOf(resolve_type(expr.element, enums, diagnostics))
    builtin = t.type_named(expr.name, expr.per)
    if builtin is None and expr.name in enums:
        builtin = enums[expr.name]
    if builtin is not None:
        if expr.per and not isinstance(builtin, t.Quantity):  # `bool per patient` means nothing
            per = " per ".join(expr.per)
            diagnostics.append(Diagnostic(
                "E-UNIT-003", f"{t.describe(builtin)} has no unit, so it cannot be `per {per}`", expr.span,
                hint="only numbers, counts, amounts and durations take `per`: "
                     "`money per patient`, `minutes per week`"))
        return builtin
    hint = did_you_mean(expr.name, list(t.BUILTIN_TYPES) + list(enums))
    diagnostics.append(Diagnostic(
        "E-TYPE-006", f"unknown type `{expr.name}`", expr.span,
        hint=hint or f"types are {', '.join(t.BUILTIN_TYPES)} or an enumeration declared with `enum`"))
    return t.ERROR


def build_schema(enum_decls: list[n.EnumDecl], fact_decls: list[n.FactDecl],
                 subject_decls: list[n.SubjectDecl],
                 tables: dict[str, n.TableDecl] | None = None) -> tuple[Schema, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    tables = tables or {}
    constraints: dict[tuple, KeyConstraint] = {}

    def fact_type(expr: n.TypeExpr, segments: tuple, on_keys: bool) -> t.Type:
        """A fact's type; a one-key table's name means one of its keys in force."""
        if isinstance(expr, n.NamedType) and expr.name in tables and expr.name not in enums \
                and t.type_named(expr.name) is None:
            table = tables[expr.name]
            key_column = next((c for c in table.columns if table.keys and c.name == table.keys[0]), None)
            if len(table.keys) != 1 or key_column is None or key_column.type is None:
                diagnostics.append(Diagnostic(
                    "E-TYPE-006", f"the table `{expr.name}` has {len(table.keys)} keys; only a one-key "
                    "table can be used as a type", expr.span))
                return t.ERROR
            constraints[(segments, on_keys)] = KeyConstraint(segments, expr.name, on_keys, expr.span)
            return resolve_type(key_column.type, enums, diagnostics)
        return resolve_type(expr, enums, diagnostics)

    enums: dict[str, t.Enum] = {}
    enum_spans: dict[str, Span] = {}
    for decl in enum_decls:
        if decl.name in enums:
            diagnostics.append(_twice(f"enumeration `{decl.name}`", decl.span, enum_spans[decl.name]))
            continue
        enums[decl.name] = t.Enum(decl.name, decl.members)
        enum_spans[decl.name] = decl.span

    root = _Builder("")
    required: set[str] = set()
    for decl in fact_decls:
        builder, dotted = root, ""
        all_segments = tuple((seg.name, seg.kind) for seg in decl.path)
        for position, segment in enumerate(decl.path):
            last = position == len(decl.path) - 1
            dotted = f"{dotted}.{segment.name}" if dotted else segment.name
            if segment.kind == "list":
                dotted += "[]"
            elif segment.kind == "map":
                dotted += "{}"
            existing = builder.fields.get(segment.name)
            if last and segment.kind == "field":
                if existing is not None:
                    diagnostics.append(_twice(f"fact `{decl.dotted}`", segment.span, existing[2]))
                    break
                builder.fields[segment.name] = ("leaf", fact_type(decl.type, all_segments, False),
                                                segment.span)
                break
            if segment.kind == "map":
                key_type = fact_type(segment.key_type, all_segments[:position + 1], True)
                if existing is None:
                    if last:
                        inner = ("leaf", fact_type(decl.type, all_segments, False))
                    else:
                        inner = ("record", _Builder(dotted))
                    builder.fields[segment.name] = ("map", (key_type, *inner), segment.span)
                    existing = builder.fields[segment.name]
                elif existing[0] != "map" or last:
                    diagnostics.append(_twice(f"fact `{decl.dotted}`", segment.span, existing[2]))
                    break
                builder = existing[1][2]
                continue
            kind = "list" if segment.kind == "list" else "record"
            if existing is None:
                builder.fields[segment.name] = (kind, _Builder(dotted), segment.span)
                existing = builder.fields[segment.name]
            elif existing[0] != kind:
                diagnostics.append(Diagnostic(
                    "E-NAME-002", f"`{dotted}` is declared both as a {existing[0]} and as a {kind}",
                    segment.span, related=(_related(existing[2], "declared here first"),)))
                break
            builder = existing[1]
        else:
            pass
        if decl.required:
            required.add(decl.dotted)
    root_type = root.freeze()

    subjects: dict[str, Subject] = {}
    for decl in subject_decls:
        if decl.name in subjects:
            diagnostics.append(_twice(f"subject `{decl.name}`", decl.span, subjects[decl.name].span))
            continue
        outer = subjects.get(decl.numbered_within) if decl.numbered_within else None
        if outer is not None and decl.path[0] == outer.name:
            # `each practice.registrations numbered within practice`: a path
            # that starts with the enclosing subject is read from its record.
            target = _record_at(outer.record, decl.path[1:])
        else:
            target = _record_at(root_type, decl.path)
        expected = "list" if decl.each else "record"
        if target is None or (decl.each != isinstance(target, t.ListOf)):
            diagnostics.append(Diagnostic(
                "E-NAME-004", f"subject `{decl.name}` needs a {expected} of facts at "
                f"`{'.'.join(decl.path)}`, which the schema does not declare", decl.span))
            continue
        record = target.element if isinstance(target, t.ListOf) else target
        if not isinstance(record, t.Record):
            continue
        if decl.keyed_by and record.field(decl.keyed_by) is None:
            diagnostics.append(Diagnostic(
                "E-NAME-004", f"`{decl.keyed_by}` is not a fact of `{'.'.join(decl.path)}`",
                decl.span, hint=did_you_mean(decl.keyed_by, [f for f, _ in record.fields])))
        if decl.numbered_within and decl.numbered_within not in subjects:
            diagnostics.append(Diagnostic(
                "E-NAME-007", f"unknown subject `{decl.numbered_within}`", decl.span,
                hint="declare the enclosing subject first"))
        subjects[decl.name] = Subject(decl.name, decl.each, decl.path, decl.keyed_by,
                                      decl.numbered_within, record, decl.span)
    validator = _record_validator(root_type, frozenset(required), "")
    return Schema(root_type, enums, subjects, frozenset(required), validator,
                  tuple(constraints.values())), diagnostics


def constrained_values(root: FactRecord, constraint: KeyConstraint):
    """(field path, value) for every value (or map key) a constraint governs."""
    def walk(container, segments, path):
        name, kind = segments[0]
        if not isinstance(container, dict) or container.get(name) is None:
            return
        value, here = container[name], [*path, name]
        rest = segments[1:]
        if kind == "list":
            for index, item in enumerate(value):
                if item is None:
                    continue
                if rest:
                    yield from walk(item, rest, [*here, index])
                else:
                    yield [*here, index], item
        elif kind == "map":
            for key, item in value.items():
                if not rest:  # the map itself is constrained: its keys, or its values
                    yield [*here, key], (key if constraint.on_keys else item)
                else:
                    yield from walk(item, rest, [*here, key])
        elif not rest:
            yield here, value
        else:
            yield from walk(value, rest, here)
    yield from walk(root, constraint.segments, [])


def _record_at(root: t.Record, path: tuple[str, ...]) -> t.Type | None:
    current: t.Type | None = root
    for name in path:
        if isinstance(current, t.ListOf):
            current = current.element
        if not isinstance(current, t.Record):
            return None
        current = current.field(name)
    return current


def _twice(what: str, span: Span, first: Span) -> Diagnostic:
    return Diagnostic("E-NAME-002", f"{what} is declared twice", span,
                      related=(_related(first, "first declared here"),))


def _related(span: Span, message: str):
    return Related(span, message)


# ------------------------------------------------------- validating arrangements

@attrs.frozen
class FactProblem:
    """A problem at a field path, before it is placed on a line."""

    path: tuple[str | int, ...]
    code: str
    message: str
    hint: str | None = None
    at_key: bool = False  # point at the key rather than the value


class _Problems(list):
    def add(self, path, code, message, hint=None, at_key=False):
        parts = path_parts(path) if not isinstance(path, list) else path
        self.append(FactProblem(tuple(parts), code, message, hint, at_key))


Validator = Callable[[Any, list, _Problems], Any]
_MISSING = object()


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
        return _WHOLE, None  # a non-negative int is valid for any non-fraction quantity
    return _OTHER, None


def _record_validator(record: t.Record, required: frozenset[str], dotted: str) -> Validator:
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
                         f"not {_kind_of(raw)}", hint=f"its fields are {one_of(names)}")
            return _MISSING
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
                             hint=slips.split_number_hint(key, value) or did_you_mean(str(key), names)
                             or (f"the fields here are {one_of(names)}" if names else None), at_key=True)
                continue
            if value is None:
                continue  # an explicit null is a missing fact
            converted = check(value, (path, key), problems)
            if converted is not _MISSING:
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
        return _record_validator(type_, required, dotted)
    if isinstance(type_, t.ListOf):
        element = _validator(type_.element, required, dotted + "[]")

        def validate_list(raw, path, problems):
            if not isinstance(raw, (list, tuple)):
                problems.add(path, "E-FACT-002", f"`{_show(path)}` should be a list, not {_kind_of(raw)}")
                return _MISSING
            out = FactList(path)
            for index, item in enumerate(raw):
                converted = element(item, (path, index), problems) if item is not None else _MISSING
                out.append(converted if converted is not _MISSING else None)
            return out
        return validate_list
    if isinstance(type_, t.MapOf):
        key = _leaf(type_.key)
        value = _validator(type_.value, required, dotted + "{}")

        def validate_map(raw, path, problems):
            if not isinstance(raw, dict):
                problems.add(path, "E-FACT-002", f"`{_show(path)}` should be a group of entries, "
                             f"not {_kind_of(raw)}")
                return _MISSING
            out = FactRecord(path)
            for raw_key, raw_value in raw.items():
                converted_key = key(raw_key, (path, raw_key), problems)
                if converted_key is _MISSING or raw_value is None:
                    continue
                converted = value(raw_value, (path, raw_key), problems)
                if converted is not _MISSING:
                    out[converted_key] = converted
            return out
        return validate_map
    if isinstance(type_, t.SetOf):
        element = _leaf(type_.element)

        def validate_set(raw, path, problems):
            if not isinstance(raw, (list, tuple)):
                problems.add(path, "E-FACT-002", f"`{_show(path)}` should be a list, not {_kind_of(raw)}")
                return _MISSING
            items = [element(item, (path, i), problems) for i, item in enumerate(raw)]
            return frozenset(i for i in items if i is not _MISSING)
        return validate_set
    return _leaf(type_)


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


def _clock(text: str, allow_24=False) -> int | None:
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
_FLOATS: dict[float, Decimal] = {}


def _leaf(type_: t.Type) -> Validator:
    def wrong(path, problems, raw, what, hint=None):
        problems.add(path, "E-FACT-002", f"`{_show(path)}` should be {what}, not {_kind_of(raw)} "
                     f"`{_clip(raw)}`", hint=hint)
        return _MISSING

    if isinstance(type_, t.Boolean):
        def check_bool(raw, path, problems):
            if isinstance(raw, bool):
                return raw
            inner = slips.uncurled(raw) if isinstance(raw, str) else None
            return wrong(path, problems, raw, "true or false", hint=slips.curly_hint(
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
            inner = slips.uncurled(raw) if isinstance(raw, str) else None
            if inner is not None and inner.strip() in members:
                problems.add(path, "E-FACT-003", f"`{_clip(raw)}` is not a valid {type_.name} at "
                             f"`{_show(path)}`", hint=slips.curly_hint(raw, f"write {inner.strip()}"))
                return _MISSING
            suggestion = did_you_mean(raw, members) if isinstance(raw, str) else None
            problems.add(path, "E-FACT-003", f"`{_clip(raw)}` is not a valid {type_.name} at "
                         f"`{_show(path)}`", hint=(suggestion + " " if suggestion else "") +
                         f"valid names: {one_of(type_.members, 30)}")
            return _MISSING
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
                message, hint = slips.not_a_date(f"`{_show(path)}`", _clip(raw), raw)
                problems.add(path, "E-FACT-004", message, hint=hint)
                return _MISSING
            latest = limits.current().max_year
            if not limits.EARLIEST_YEAR <= day.year <= latest:
                limit = limits.BY_NAME["max_year"]
                problems.add(path, limit.code, f"`{_show(path)}` is {day.isoformat()}, outside the "
                             f"years {limits.EARLIEST_YEAR} to {latest}",
                             hint=f"dates run from {limits.EARLIEST_YEAR}-01-01 to {latest}-12-31; "
                             + limits.describe(limit))
                return _MISSING
            return day
        return check_date
    if isinstance(type_, t.TimeOfDay):
        def check_time(raw, path, problems):
            minutes = _clock(raw) if isinstance(raw, str) else None
            if minutes is None:
                other = slips.other_time(raw.strip(), 0) if isinstance(raw, str) else None
                problems.add(path, "E-FACT-004", f"`{_show(path)}` should be a time, not `{_clip(raw)}`",
                             hint=other.hint if other is not None and other.end == len(raw.strip())
                             else "times are written HH:MM, 24-hour, e.g. 18:30")
                return _MISSING
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
                if value is not _MISSING and len(seen) < 4096:
                    seen[raw] = value
                return value
            return parse_interval(raw, path, problems)

        def parse_interval(raw, path, problems):
            parts = raw if isinstance(raw, (list, tuple)) else (
                [p for p in raw.split(",") if p.strip()] if isinstance(raw, str) else None)
            ranges = []
            for part in parts if parts is not None else [None]:
                pieces = part.split("-") if isinstance(part, str) else []
                start = _clock(pieces[0]) if len(pieces) == 2 else None
                end = _clock(pieces[1], allow_24=True) if len(pieces) == 2 else None
                if start is None or end is None or end <= start:
                    problems.add(path, "E-FACT-004",
                                 f"`{_show(path)}` should be a time interval, not `{_clip(raw)}`",
                                 hint=(slips.fact_interval_hint(raw) if isinstance(raw, str) else None)
                                 or 'write "08:00-18:30", or several: "08:00-13:00, 14:00-18:30"')
                    return _MISSING
                ranges.append((start, end))
            return normalise_ranges(ranges)
        return check_interval
    if isinstance(type_, t.Quantity):
        integral, fraction = type_.integral, type_.fraction
        what = "a whole number" if integral else "a fraction from 0 to 1" if fraction else (
            "an amount in pounds" if type_.unit == t.GBP else "a number")

        def check_number(raw, path, problems):
            bound = largest()
            if type(raw) is int:
                if not fraction and (raw >= 0 or not integral) and -bound < raw < bound:
                    return Decimal(raw)
                value = Decimal(raw)
            elif isinstance(raw, bool):
                return wrong(path, problems, raw, what)
            elif isinstance(raw, int):
                value = Decimal(raw)
            elif isinstance(raw, float):
                plain = type(raw) is float  # not YAML's float, which keeps its own spelling
                value = _FLOATS.get(raw) if plain else None
                if value is None:
                    if not math.isfinite(raw):  # NaN and infinity (JSON, YAML) are no amount
                        return wrong(path, problems, raw, what)
                    value = Decimal(repr(raw))  # the shortest text that reads back as the float
                    if plain and len(_FLOATS) < 65536:
                        _FLOATS[raw] = value
            elif isinstance(raw, (str, Decimal)):
                try:
                    value = Decimal(str(raw).replace(",", "").lstrip("£").strip())
                except InvalidOperation:
                    hint = slips.fact_number_hint(raw, t.describe(type_)) \
                        if isinstance(raw, str) else None
                    return wrong(path, problems, raw, what, hint=hint)
                if not value.is_finite():
                    return wrong(path, problems, raw, what)
            else:
                return wrong(path, problems, raw, what)
            if integral and value != value.to_integral_value():
                return wrong(path, problems, raw, what)
            if fraction and not (0 <= value <= 1):
                problems.add(path, "E-FACT-005", f"`{_show(path)}` is {raw}, outside 0 to 1",
                             hint="fractions are written from 0 to 1: 62.5% is 0.625")
                return _MISSING
            if integral and value < 0:
                problems.add(path, "E-FACT-005", f"`{_show(path)}` is {raw}, but cannot be negative")
                return _MISSING
            if not -bound < value < bound:
                limit = limits.BY_NAME["max_number_digits"]
                problems.add(path, limit.code, f"`{_show(path)}` is {_clip(raw)}, more than "
                             f"{limits.current().max_number_digits} digits before the decimal point: "
                             "too large to be a contract figure",
                             hint=f"numbers are at most {bound - 1:,}; " + limits.describe(limit))
                return _MISSING
            return value
        return check_number
    return lambda raw, path, problems: raw  # error type: accept anything


def _show(chain) -> str:
    return spell_path(chain)


def _show_parts(parts) -> str:
    text = ""
    for part in parts:
        text = child_path(text, part)
    return text


def _kind_of(raw) -> str:
    if raw is None:
        return "nothing (the document is empty)"
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


# -------------------------------------------------------------- reading files

@attrs.frozen
class Arrangement:
    """One arrangement's facts, where they came from, and its id."""

    facts: FactRecord
    source: str  # file name (and line, for a population row)
    raw_source: SourceFile | None = attrs.field(default=None, eq=False, repr=False)
    document: Any = attrs.field(default=None, eq=False, repr=False)
    line: int | None = None  # a population row's line
    text: str | None = attrs.field(default=None, eq=False, repr=False)  # and its text


def read_document(source: SourceFile) -> Any:
    """Parse YAML or JSON text, keeping line numbers, within the limits
    (`documents.read_yaml`); raises InvalidInput."""
    return read_yaml(source, "arrangement", "E-FACT-006")


def locate(document: Any, problem: FactProblem, source: SourceFile) -> Span:
    """The line and column of a field path in a ruamel document."""
    node, line, column, width = document, 1, 1, 1
    for index, part in enumerate(problem.path):
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        try:
            if isinstance(part, int):
                line, column = lc.item(part)
            else:
                last = index == len(problem.path) - 1
                line, column = lc.key(part) if (last and problem.at_key) else lc.value(part)
            line, column = line + 1, column + 1
            width = len(str(part)) if problem.at_key and index == len(problem.path) - 1 else 1
        except (KeyError, IndexError, TypeError, AttributeError):
            break
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if not problem.at_key:
        text = source.line_text(line)[column - 1:]
        token = re.match(r'"[^"]*"|\'[^\']*\'|[^\s#,}\]]+(?:[ \t]+[^\s#,}\]]+)*', text)
        width = len(token.group(0)) if token else 1
    return source.span_at(line, column, width)


def validate_document(schema: Schema, document: Any, source: SourceFile | None,
                      origin: str, line: int | None = None, text: str | None = None) -> FactRecord:
    """Typed facts from a parsed document; raises InvalidInput on any problem."""
    problems = _Problems()
    facts = schema.validator(document, None, problems)
    if problems:
        raise InvalidInput(place_problems(problems, document, source, origin, line, text))
    return facts


def place_problems(problems, document, source: SourceFile | None, origin: str,
                   line: int | None = None, text: str | None = None) -> list[Diagnostic]:
    """Diagnostics for field-path problems, on their lines where there are lines
    (and for a population row, at the column of the field in its text)."""
    diagnostics = []
    for problem in problems:
        if source is not None:
            span = locate(document, problem, source)
        elif line is not None:
            found = json_position(text, problem.path, problem.at_key) if text is not None else None
            column, width = found or (1, 1)
            span = Span(origin, line, column, line, column + width)
        else:
            span = None
        diagnostics.append(Diagnostic(problem.code, problem.message, span, hint=problem.hint,
                                      path=_show_parts(problem.path) or "(top level)"))
    return diagnostics


def read_yaml_file(path: str | Path, code: str, text: str | None = None,
                   what: str = "arrangement") -> tuple[SourceFile, Any]:
    """A YAML or JSON file's source and document (with line numbers); a file
    that cannot be read or parsed raises InvalidInput with `code`."""
    path = str(path)
    if text is None:
        text = read_text(path, code)
        path = name_of(path)  # `<stdin>` for `-`
    source = SourceFile(path, text)
    return source, read_yaml(source, what, code)


def load_arrangement(schema: Schema, path: str | Path, text: str | None = None) -> Arrangement:
    """Read and check one arrangement file (YAML or JSON)."""
    source, document = read_yaml_file(path, "E-FACT-006", text)
    facts = validate_document(schema, document, source, source.path)
    return Arrangement(facts, source.path, source, document)


def parse_json_line(schema: Schema, text: str, origin: str, line: int) -> Arrangement:
    """One population row; errors name the line, the column and the field path."""
    document = json_line(text, origin, line)
    facts = validate_document(schema, document, None, origin, line, text)
    return Arrangement(facts, f"{origin}:{line}", None, document, line, text)


def _without(container, path):
    """A copy of `container` without the entry at `path`, copying only the
    records and lists along the path (the rest is shared)."""
    head, rest = path[0], path[1:]
    if isinstance(container, FactList):
        copy = FactList(container.chain, container)
    else:
        copy = FactRecord(container.chain, container.items())
    if rest:
        copy[head] = _without(container[head], rest)
    else:
        del copy[head]
    return copy


def without_keys_out_of_force(schema: Schema, arrangement: Arrangement, keys_in_force) -> Arrangement:
    """The arrangement without the map entries whose keys are not keys of
    their table in force (`keys_in_force(table)`): how a layer that lacks a
    row reads facts reported for it. `impact` evaluates its baseline so, since
    rows that only the proposal adds (a local QOF indicator) mean nothing
    before it; the proposal itself still checks every key."""
    paths = [path for constraint in schema.constraints if constraint.on_keys
             for path, key in constrained_values(arrangement.facts, constraint)
             if key not in keys_in_force(constraint.table)]
    if not paths:
        return arrangement
    facts = arrangement.facts
    for path in paths:
        facts = _without(facts, path)
    return attrs.evolve(arrangement, facts=facts)


def check_constraints(schema: Schema, arrangement: Arrangement, keys_in_force, as_of) -> None:
    """Values that must be keys of a table in force on `as_of`; raises InvalidInput."""
    problems = _Problems()
    for constraint in schema.constraints:
        valid = keys_in_force(constraint.table)
        for path, value in constrained_values(arrangement.facts, constraint):
            if value in valid:
                continue
            what = constraint.table.replace("_", " ")
            suggestion = did_you_mean(str(value), [str(v) for v in valid])
            problems.add(path, "E-FACT-003",
                         f"`{value}` at `{_show_parts(path)}` is not in {what} on {as_of}",
                         hint=(suggestion + " " if suggestion else "") +
                         f"valid on that date: {one_of([str(v) for v in valid], 30)}",
                         at_key=constraint.on_keys)
    if problems:
        origin = arrangement.source if arrangement.line is None else arrangement.source.rsplit(":", 1)[0]
        raise InvalidInput(place_problems(problems, arrangement.document, arrangement.raw_source,
                                          origin, arrangement.line, arrangement.text))
