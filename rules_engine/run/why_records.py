"""What `why` says: the records of a condition and why it decided (`Why`,
`Condition`, `Operand`: data, rendered as text lines or JSON), and how a
run-time value is shown as the rule files write it (`show`).

`run.why.Reasoner` works them out; the reports render them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from rules_engine.base import typesys as t
from rules_engine.base.numbers import money, money_text, number
from rules_engine.base.values import FactList, FactRecord, Unknown, format_clock, format_ranges
from rules_engine.run.results import unit_name


@attrs.frozen
class Operand:
    """One value a condition compared: as written, as read, and from where."""

    text: str  # the expression as the rule file writes it
    value: Any  # as the results JSON writes values
    shown: str  # as a reader wants it: 1,500 minutes, 08:00-17:00, £7.98
    unit: str
    source: str  # fact | parameter | table | definition | literal | expression
    path: str | None = None  # the fact path read (practices[0].core_hours.wed)
    layer: str | None = None  # the layer a parameter's value comes from
    national: str | None = None  # a varied parameter's national value, shown
    local: bool = False  # whether that layer is a local (ICB) layer

    @property
    def label(self) -> str:
        """`min_pcn_population 30,000 (national)`; a literal is shown once."""
        if self.source == "literal":
            return self.shown
        text = f"{self.text} {self.shown}"
        if self.layer is not None:
            text += (f" ({self.layer}" if self.local else " (national") \
                + (f", national {self.national}" if self.national else "") + ")"
        return text

    def as_json(self) -> dict:
        data = {"expression": self.text, "value": self.value, "unit": self.unit, "source": self.source}
        for key in ("path", "layer", "national"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.layer is not None:
            data["local"] = self.local
        return data


@attrs.frozen
class Condition:
    """A condition and why it holds, fails or is unknown."""

    text: str
    outcome: str  # pass | fail | unknown
    summary: str  # the condition with the values read, e.g. "a 1,500 < b 1,650"
    operands: tuple[Operand, ...] = ()
    context: tuple[tuple[str, str], ...] = ()  # the bound names: (("day", "wed"),)
    distance: str | None = None  # what would make it pass (or, passing, the margin)
    missing: tuple[str, ...] = ()
    deciding: tuple["Condition", ...] = ()
    more: int = 0  # deciding items not listed (past MAX_ITEMS)

    def lines(self, indent: str = "", context: tuple = ()) -> list[str]:
        context = context + self.context
        if len(self.deciding) == 1 and not self.more and not self.operands:
            return self.deciding[0].lines(indent, context)  # one part decided: say only that
        where = ", ".join(_context(name, value) for name, value in context)
        head = f"{where}: {self.summary}" if where else self.summary
        out = [indent + head]
        if self.outcome == "unknown" and len(self.deciding) > 1 and \
                all(not child.deciding for child in self.deciding):
            missing = sorted({path for child in self.deciding for path in child.missing})
            return out + [indent + "  missing: " + ", ".join(missing)]
        if self.distance:
            out.append(indent + "  " + self.distance)
        if self.missing and not self.deciding:
            out.append(indent + "  missing: " + ", ".join(self.missing))
        for child in _merged(self.deciding):
            out += child.lines(indent + "  ")
        if self.more:
            out.append(f"{indent}  ... and {self.more} more")
        return out

    def as_json(self) -> dict:
        data: dict[str, Any] = {"condition": self.text, "outcome": self.outcome, "summary": self.summary}
        if self.context:
            data["context"] = {name: value for name, value in self.context}
        if self.operands:
            data["operands"] = [o.as_json() for o in self.operands]
        if self.distance:
            data["distance"] = self.distance
        if self.missing:
            data["missing"] = list(self.missing)
        if self.deciding:
            data["deciding"] = [c.as_json() for c in self.deciding]
        if self.more:
            data["more"] = self.more
        return data

    def leaves(self) -> list["Condition"]:
        """The innermost deciding conditions, in order."""
        if not self.deciding:
            return [self]
        return [leaf for child in self.deciding for leaf in child.leaves()]


@attrs.frozen
class Why:
    """Why one result came out as it did."""

    outcome: str
    condition: Condition | None  # the `must` (or the `where`, when that was unknown)
    exemption: Condition | None = None  # the `unless` that did not hold
    missing: tuple[str, ...] = ()
    part: str = "must"  # which part decided: must | where

    def lines(self) -> list[str]:
        out = self.condition.lines() if self.condition is not None else []
        if self.exemption is not None:
            exemption = self.exemption
            if exemption.outcome == "fail":
                out.append(f"  or exempt if {exemption.text} ({_now(exemption)})")
            else:
                out.append(f"  or exempt if {exemption.text} (unknown: "
                           + ", ".join(exemption.missing) + " missing)")
        if self.missing and not any(line.strip().startswith("missing:") for line in out):
            out.append("  missing: " + ", ".join(self.missing))
        return out

    def render(self) -> str:
        return "\n".join(self.lines())

    @property
    def distance(self) -> str | None:
        """What would make the first deciding condition pass ("needs 3,500
        more"), or, for a pass, its margin; None when it compares no amounts."""
        return self.condition.leaves()[0].distance if self.condition is not None else None

    def headline(self) -> str:
        """One line: the first deciding condition and what would make it pass."""
        if self.condition is None:
            return "missing: " + ", ".join(self.missing)
        leaf = self.condition.leaves()[0]
        where = ", ".join(_context(name, value) for name, value in leaf.context)
        text = (f"{where}: " if where else "") + leaf.summary
        if leaf.distance:
            text += f"; {leaf.distance}"
        if self.exemption is not None:
            text += f", or {self.exemption.text}"
        return text

    def as_json(self) -> dict:
        data: dict[str, Any] = {"part": self.part, "headline": self.headline(), "text": self.lines()}
        if self.condition is not None:
            data.update(self.condition.as_json())
        if self.exemption is not None:
            data["unless"] = self.exemption.as_json()
        if self.missing:
            data["missing"] = list(self.missing)
        return data


# ---------------------------------------------------------------- showing values

def show(value: Any, type_: t.Type | None) -> str:
    """A run-time value as the rule files write it: 1,500 minutes, 08:00-17:00,
    £7.98, 2025-06-01, true, {mon, tue}."""
    if type(value) is Unknown:
        return "unknown"
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(type_, t.TimeOfDay) and isinstance(value, int):
        return format_clock(value)
    if isinstance(type_, t.Interval) or (isinstance(value, tuple) and value and isinstance(value[0], tuple)):
        return format_ranges(value)
    if isinstance(value, Decimal):
        if isinstance(type_, t.Quantity):
            if type_.unit == t.GBP:
                return money(money_text(value))
            if type_.fraction:
                return f"{number(value * 100)}%"
            word = _unit_word(type_, value)
            return number(value) + (f" {word}" if word else "")
        return number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (frozenset, set)):
        return "{" + ", ".join(show(v, None) for v in _ordered(value, type_)) + "}"
    if isinstance(value, FactList):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "(a record)" if not isinstance(value, FactRecord) else value.path or "(a record)"
    return str(value)


def _unit_word(type_: t.Quantity, value: Decimal) -> str:
    unit = type_.unit
    if unit == t.DIMENSIONLESS:
        return ""
    words = {t.MINUTE: "minute", t.POINT: "point", t.DAY: "day", t.MONTH: "month"}
    word = words.get(unit)
    if word is None:
        return str(unit)
    return word if abs(value) == 1 else word + "s"


def _unit(type_: t.Type | None) -> str:
    if isinstance(type_, t.TimeOfDay):
        return "time"
    if isinstance(type_, t.Interval):
        return "interval"
    if isinstance(type_, t.Enum):
        return "member"
    if type_ is None:
        return "value"
    return unit_name(type_)


def _ordered(items, type_) -> list:
    """A set's items in the order a reader expects: an enumeration's own order."""
    element = getattr(type_, "element", None)
    if isinstance(element, t.Enum):
        order = {member: index for index, member in enumerate(element.members)}
        return sorted(items, key=lambda item: (order.get(item, len(order)), str(item)))
    return sorted(items, key=str)


def _merged(children) -> list[Condition]:
    """Items that failed alike said once: "day = mon, tue: 08:00-14:00 does not cover ..."."""
    out: list[Condition] = []
    for child in children:
        last = out[-1] if out else None
        if (last is not None and not child.deciding and not last.deciding
                and (last.summary, last.distance, last.outcome) == (child.summary, child.distance, child.outcome)
                and len(child.context) == 1 and len(last.context) == 1
                and last.context[0][0] == child.context[0][0]):
            name, value = last.context[0]
            out[-1] = attrs.evolve(last, context=((name, f"{value}, {child.context[0][1]}"),),
                                   missing=tuple(sorted(set(last.missing) | set(child.missing))))
        else:
            out.append(child)
    return out


def _context(name: str, value: str) -> str:
    return f"since {value}" if name == "since" else f"{name} = {value}"


def _now(condition: Condition) -> str:
    """What an exemption that does not hold reads now: "it is none"."""
    read = [o for o in condition.operands if o.source != "literal"]
    if len(read) == 1 and not condition.deciding:
        return f"it is {read[0].shown}"
    return f"not: {condition.summary}"


