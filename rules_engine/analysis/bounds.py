"""Bounds a user states for the facts an analysis ranges over: the list sizes
of an ICB's practices, say, so that "can it flip" is asked of the
arrangements the ICB has, not of every arrangement the types allow.

A bounds file is YAML (or JSON): one line per numeric fact, by its schema
path (`practices[].list_size`, a list's records written `[]`, a map's
values, whatever their key, `{}`), with `at_least`, `at_most` or both:

    # the PCNs and practices of NHS Example ICB, 2025/26
    pcn.raw_list_size: {at_least: 20000, at_most: 60000}
    practices[].list_size: {at_least: 1500, at_most: 40000}

The members of a population term (issue 20, item 3), how many subjects of a
kind an ICB (or a run) has, are stated the same way:

    members of practice across icb: {at_most: 82}

A malformed file is a located error: E-BOUNDS-001 (not a mapping of paths
to bounds, or a bound that is not a number), E-BOUNDS-002 (no numeric fact
at that path, with the closest), E-BOUNDS-003 (`at_least` above `at_most`).

>>> Bounds("b.yaml", {"pcn.raw_list_size": (Fraction(20000), None)}).describe()
'pcn.raw_list_size at least 20000'
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, did_you_mean
from rules_engine.io.arrangements import read_yaml_file, yaml_position

#: The default time limit of one solver question, in milliseconds.
DEFAULT_TIMEOUT_MS = 2000

_WORDS = ("at_least", "at_most")


#: `members of practice across icb`: how many subjects of a kind an ICB (or a run) has.
_MEMBERS = re.compile(r"members of (\S+) across (\S+)\Z")


@attrs.frozen
class Bounds:
    path: str
    ranges: dict[str, tuple[Fraction | None, Fraction | None]]
    # (subject, icb | all) -> (at least, at most) whole numbers: the members of a population term
    members: dict[tuple[str, str], tuple[int | None, int | None]] = attrs.field(factory=dict)

    def constraints(self, schema_path: str, variable, type_: t.Type) -> list:
        """The stated bounds of one fact's variable (a z3 term), exactly:
        `v * q >= p` for a bound of p/q."""
        found = self.ranges.get(schema_path)
        if found is None:
            return []
        low, high = found
        out = []
        if low is not None:
            out.append(variable * low.denominator >= low.numerator)
        if high is not None:
            out.append(variable * high.denominator <= high.numerator)
        return out

    def describe(self) -> str:
        parts = []
        for path, (low, high) in self.ranges.items():
            words = [f"at least {_show(low)}" if low is not None else "",
                     f"at most {_show(high)}" if high is not None else ""]
            parts.append(f"{path} " + " and ".join(w for w in words if w))
        return "; ".join(parts)


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(Decimal(value.numerator) / value.denominator)


def numeric_facts(schema) -> dict[str, t.Quantity]:
    """Every numeric fact of the schema by its path (`practices[].list_size`),
    through records, lists (`[]`) and maps (`{}`, every key alike)."""
    found: dict[str, t.Quantity] = {}
    stack: list[tuple[str, t.Type]] = [("", schema.root)]
    while stack:
        prefix, type_ = stack.pop()
        if isinstance(type_, t.Record):
            for name, child in type_.fields:
                stack.append((f"{prefix}.{name}" if prefix else name, child))
        elif isinstance(type_, t.ListOf):
            stack.append((prefix + "[]", type_.element))
        elif isinstance(type_, t.MapOf):  # every key's value: `practices[].qof.prevalence{}.national`
            stack.append((prefix + "{}", type_.value))
        elif isinstance(type_, t.Quantity):
            found[prefix] = type_
    return found


def read_bounds(path: str | Path, schema) -> Bounds:
    """A bounds file, checked against the fact schema."""
    source, document = read_yaml_file(path, "E-BOUNDS-001", what="bounds file")
    if document is None:
        return Bounds(source.path, {})
    if not isinstance(document, dict):
        raise InvalidInput([Diagnostic(
            "E-BOUNDS-001", "the bounds file is not a mapping of fact paths to bounds",
            source.span_at(1, 1), hint="write one line per fact: "
            "`practices[].list_size: {at_least: 1500, at_most: 40000}`")], sources=(source,))
    facts = numeric_facts(schema)
    ranges: dict[str, tuple[Fraction | None, Fraction | None]] = {}
    members: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    problems: list[Diagnostic] = []
    lc = getattr(document, "lc", None)
    for key, raw in document.items():
        line, column = yaml_position(lc, key, "key")
        key_span = source.span_at(line, column, max(1, len(str(key))))
        counted = _MEMBERS.match(key) if isinstance(key, str) else None
        if counted is not None:
            found = _members(source, lc, key, raw, counted, schema, key_span, problems)
            if found is not None:
                members[(counted.group(1), counted.group(2))] = found
            continue
        if not isinstance(key, str) or key not in facts:
            close = did_you_mean(str(key), sorted(facts))
            problems.append(Diagnostic(
                "E-BOUNDS-002", f"`{key}` is not a numeric fact of the schema", key_span,
                hint=close or "a path such as `practices[].list_size`, a list's records written `[]`"))
            continue
        if not isinstance(raw, dict) or not raw or any(k not in _WORDS for k in raw):
            vline, vcolumn = yaml_position(lc, key, "value")
            problems.append(Diagnostic(
                "E-BOUNDS-001", f"the bounds of `{key}` are not `at_least` and `at_most`",
                source.span_at(vline, vcolumn), hint="write `{at_least: 1500, at_most: 40000}` "
                "(either or both)"))
            continue
        values: dict[str, Fraction] = {}
        for word in _WORDS:
            if word not in raw:
                continue
            number = _number(raw[word])
            if number is None:
                vline, vcolumn = yaml_position(getattr(raw, "lc", None), word, "value")
                problems.append(Diagnostic(
                    "E-BOUNDS-001", f"`{key}` {word.replace('_', ' ')} {raw[word]!s:.40} is not a number",
                    source.span_at(vline, vcolumn), hint="a number such as 1500 or 0.25"))
            else:
                values[word] = number
        low, high = values.get("at_least"), values.get("at_most")
        if low is not None and high is not None and low > high:
            problems.append(Diagnostic(
                "E-BOUNDS-003", f"`{key}` is bounded at least {_show(low)} and at most {_show(high)}: "
                "no value is both", key_span, hint="swap the two, or correct one of them"))
            continue
        ranges[key] = (low, high)
    if problems:
        raise InvalidInput(problems, sources=(source,))
    return Bounds(source.path, ranges, members)


def _members(source, lc, key: str, raw: Any, counted, schema, key_span, problems: list) -> tuple | None:
    """`members of SUBJECT across icb|all: {at_least: A, at_most: B}`: whole
    numbers, of a subject of the schema."""
    subject, across = counted.group(1), counted.group(2)
    if subject not in schema.subjects or across not in ("icb", "all"):
        wrong = subject if subject not in schema.subjects else across
        close = did_you_mean(wrong, sorted(schema.subjects) if wrong == subject else ["icb", "all"])
        problems.append(Diagnostic(
            "E-BOUNDS-002", f"`{key}` names no subject kind and group of the schema", key_span,
            hint=(close + "; " if close else "") + "write `members of practice across icb` (the subjects: "
            + ", ".join(sorted(schema.subjects)) + "; across icb or all)"))
        return None
    vline, vcolumn = yaml_position(lc, key, "value")
    if not isinstance(raw, dict) or not raw or any(k not in _WORDS for k in raw):
        problems.append(Diagnostic(
            "E-BOUNDS-001", f"the bounds of `{key}` are not `at_least` and `at_most`",
            source.span_at(vline, vcolumn), hint="write `{at_most: 82}`: how many the ICB has (either or both)"))
        return None
    values: dict[str, int] = {}
    for word in _WORDS:
        if word not in raw:
            continue
        number = _number(raw[word])
        if number is None or number.denominator != 1 or not 0 <= number <= MOST_MEMBERS:
            wline, wcolumn = yaml_position(getattr(raw, "lc", None), word, "value")
            problems.append(Diagnostic(
                "E-BOUNDS-001", f"`{key}` {word.replace('_', ' ')} {raw[word]!s:.40} is not a whole number "
                f"of members from 0 to {MOST_MEMBERS:,}", source.span_at(wline, wcolumn),
                hint="a count such as 82 (England has some 6,400 practices and 1,300 PCNs)"))
            return None
        values[word] = int(number)
    low, high = values.get("at_least"), values.get("at_most")
    if low is not None and high is not None and low > high:
        problems.append(Diagnostic(
            "E-BOUNDS-003", f"`{key}` is bounded at least {low} and at most {high}: no count is both",
            key_span, hint="swap the two, or correct one of them"))
        return None
    return low, high


#: The most members a population term's bound may state: far past England's
#: some 6,400 practices, and small enough that every total stays exact money.
MOST_MEMBERS = 1_000_000


def _number(raw: Any) -> Fraction | None:
    if isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return Fraction(value) if value.is_finite() else None


__all__ = ["Bounds", "read_bounds", "numeric_facts", "DEFAULT_TIMEOUT_MS"]
