"""Why a result came out as it did: the deciding conditions, with the values read.

Input: a compiled program, one requirement in force, the subject's bindings
and the arrangement's facts. Output: a `Why`: the requirement's condition in
the rule file's own words, each operand with its value, unit and source (the
fact path, the parameter and the layer it comes from), the sub-conditions of
an `and`/`or`/`every`/`any` that decided it (which practice, which weekday),
for an unknown the facts missing, and for a comparison with a threshold the
distance to passing ("needs 150 more minutes") or, for a pass, the margin.

There is one evaluation loop: the values come from the program's own compiled
closures (`CompiledProgram.closure_of`), called on the same facts; this module
only walks the condition's nodes to say which of them decided. It is worked
out on demand (a `Result` holds a thunk), so passing results cost nothing.

>>> from rules_engine.run.engine import Engine
>>> engine = Engine.load()
>>> arrangement = engine.load_arrangement("examples/pcn-failing.yaml")
>>> result = engine.evaluate(arrangement).result("des.ea.capacity")
>>> print(result.why.render())                                 # doctest: +NORMALIZE_WHITESPACE
pcn.enhanced_access.minutes_per_week 1,500 minutes < required_ea_minutes 1,650 minutes
  needs 150 minutes more
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.backends.closures import Env
from rules_engine.base.values import FactList, FactRecord, Unknown, format_clock, format_ranges
from rules_engine.base.numbers import money, number, value_json, money_text
from rules_engine.run.results import unit_name
from rules_engine.static.forms import value_on
from rules_engine.base.values import child_path

#: At most this many items of an `every`/`any` are named as deciding.
MAX_ITEMS = 6

_NEGATED = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


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


# ---------------------------------------------------------------- the walk

class Reasoner:
    """Works out `Why`s for one compiled program."""

    def __init__(self, compiled):
        self.compiled = compiled
        self.program = compiled.program
        checked = self.program.checked
        self.types, self.names = checked.types, checked.names
        self.sources = {layer.file: layer.source for layer in checked.library.layers}
        self.national = {layer.name for layer in checked.library.layers if not layer.is_local}

    # -- entry points ---------------------------------------------------------

    def why(self, requirement, root: FactRecord, bindings: dict, outcome: str) -> Why:
        """Why `requirement` came out as `outcome` (pass, fail or unknown) for
        the subject `bindings` name."""
        env = Env(root, self.program.as_of)
        env.bindings = dict(bindings)
        term = requirement.term
        if term.where is not None and type(self.value(term.where, env)) is Unknown:
            condition = self.condition(term.where, env)
            return Why(outcome, condition, None, condition.missing, "where")
        if term.must is None:
            return Why(outcome, None, None, ())
        condition = self.condition(term.must, env)
        exemption = None
        if term.unless is not None and outcome != "pass":
            exemption = self.condition(term.unless, env)
        missing = tuple(sorted(set(condition.missing) | set(exemption.missing if exemption else ())))
        return Why(outcome, condition, exemption, missing)

    # -- values -----------------------------------------------------------------

    def value(self, node, env: Env) -> Any:
        return self.compiled.closure_of(node)(env)

    def text(self, node) -> str:
        span = node.span
        source = self.sources.get(span.file)
        if source is None or span.end <= span.start:
            return "(condition)"
        return " ".join(source.text[span.start:span.end].split())

    def operand(self, node, env: Env) -> Operand:
        while isinstance(node, n.Conditional):  # say the branch taken, not the whole `if`
            chosen = self.value(node.condition, env)
            if type(chosen) is Unknown:
                break
            node = node.then if chosen is True else node.otherwise
        value = self.value(node, env)
        type_ = self.types.get(id(node))
        shown = show(value, type_)
        unit = _unit(type_)
        json_value = None if type(value) is Unknown else value_json(
            value if not isinstance(value, dict) else None, type_)
        if isinstance(type_, t.TimeOfDay) and isinstance(value, int):
            json_value = format_clock(value)
        elif isinstance(type_, t.Interval) and isinstance(value, tuple):
            json_value = [f"{format_clock(s)}-{format_clock(e)}" for s, e in value]
        source, path, layer, national = self.source_of(node, env)
        return Operand(self.text(node), json_value, shown, unit, source, path, layer, national,
                       layer is not None and layer not in self.national)

    def source_of(self, node, env: Env) -> tuple[str, str | None, str | None, str | None]:
        if isinstance(node, (n.Number, n.Quantity, n.Money, n.Percent, n.DateLiteral, n.TimeLiteral,
                             n.IntervalLiteral, n.Text, n.Boolean, n.SetLiteral)):
            return "literal", None, None, None
        if isinstance(node, n.Name):
            resolved = self.names.get(id(node))
            kind = resolved.kind if resolved is not None else "expression"
            if kind == "param":
                param = self.program.parameters.get(resolved.target)
                if param is None:
                    return "parameter", None, None, None
                layer, national = param.layer, None
                if param.varied_by is not None:
                    base = value_on(param.form.term, self.program.as_of)
                    if base is not None:
                        national = show(self.compiled.closure_of(base)(env), param.type)
                return "parameter", None, layer, national
            if kind == "member":
                return "literal", None, None, None
            return {"fact": "fact", "define": "definition", "table": "table",
                    "binding": "fact"}.get(kind, "expression"), resolved.target if kind == "fact" else None, \
                None, None
        if isinstance(node, (n.Field, n.Index)):
            collection = node.record if isinstance(node, n.Field) else node.collection
            if isinstance(node, n.Index) and isinstance(self.types.get(id(node.collection)), t.Table):
                return "table", None, None, None
            container = self.value(collection, env)
            if isinstance(container, FactRecord):
                if isinstance(node, n.Field):
                    key = node.name
                else:
                    key = self.value(node.keys[0], env)
                if type(key) is not Unknown:
                    return "fact", child_path(container.path, key), None, None
            return ("fact" if isinstance(container, (FactRecord, Unknown)) else "expression"), None, None, None
        return "expression", None, None, None

    # -- conditions -------------------------------------------------------------

    def condition(self, node, env: Env, context: tuple = ()) -> Condition:
        value = self.value(node, env)
        outcome = _outcome(value)
        missing = tuple(sorted(value.missing)) if type(value) is Unknown else ()
        text = self.text(node)
        if isinstance(node, n.Logic):
            return self.logic(node, env, value, outcome, text, context, missing)
        if isinstance(node, n.Quantified) and node.quantifier in ("every", "any"):
            return self.quantified(node, env, outcome, text, context, missing)
        if isinstance(node, n.Conditional):
            return self.conditional(node, env, outcome, text, context, missing)
        if isinstance(node, n.Not):
            inner = self.condition(node.operand, env)
            return Condition(text, outcome, inner.summary, inner.operands, context, None, missing,
                             inner.deciding, inner.more)
        if isinstance(node, n.Compare):
            return self.compare(node, env, outcome, text, context, missing)
        if isinstance(node, n.Covers):
            return self.covers(node, env, outcome, text, context, missing)
        if isinstance(node, n.Within):
            left, right = self.operand(node.inner, env), self.operand(node.outer, env)
            word = "not within" if outcome == "fail" else "within"
            return Condition(text, outcome, f"{left.label} {word} {right.label}", (left, right), context,
                             None, missing)
        if isinstance(node, n.Membership):
            element, collection = self.operand(node.element, env), self.operand(node.collection, env)
            inside = (outcome == "pass") != node.negated
            word = "in" if inside else "not in"
            if outcome == "unknown":
                word = "not in" if node.negated else "in"
            return Condition(text, outcome, f"{element.label} {word} {collection.label}",
                             (element, collection), context, None, missing)
        operand = self.operand(node, env)
        summary = text if operand.source == "literal" else f"{text} is {operand.shown}"
        return Condition(text, outcome, summary, (operand,), context, None, missing)

    def logic(self, node, env, value, outcome, text, context, missing) -> Condition:
        parts = []  # flatten a chain of the same operator: a and b and c
        stack = [node]
        while stack:
            item = stack.pop()
            if isinstance(item, n.Logic) and item.operator == node.operator:
                stack += [item.right, item.left]
            else:
                parts.append(item)
        children = [self.condition(part, env) for part in parts]
        if outcome == "unknown":
            deciding = [c for c in children if c.outcome == "unknown"]
        elif node.operator == "and":
            deciding = [c for c in children if c.outcome == "fail"] if outcome == "fail" else children
        else:
            deciding = [c for c in children if c.outcome == "pass"] if outcome == "pass" else children
        if len(deciding) == 1:  # one side decided: say that, not the whole chain
            return attrs.evolve(deciding[0], context=context + deciding[0].context)
        word = {"pass": "hold", "fail": "fail", "unknown": "are unknown"}[outcome]
        summary = f"{len(deciding)} of {len(children)} conditions {word}"  # noqa: E501
        if len(deciding) == len(children):
            summary = {"pass": "all hold", "fail": "none holds", "unknown": "all unknown"}[outcome]
        return Condition(text, outcome, summary, (), context, None, missing, tuple(deciding))

    def quantified(self, node, env, outcome, text, context, missing) -> Condition:
        items = self.value(node.collection, env)
        if type(items) is Unknown:
            return Condition(text, outcome, f"{self.text(node.collection)} is unknown", (), context,
                             None, missing)
        wanted = {"pass": True, "fail": False}.get(outcome)
        if node.quantifier == "any" and outcome == "fail":
            wanted = False
        if isinstance(items, (frozenset, set)):
            items = _ordered(items, self.types.get(id(node.collection)))
        bindings = env.bindings
        saved = bindings.get(node.variable, _MISSING)
        deciding, more = [], 0
        try:
            for index, item in enumerate(items):
                if item is None:
                    continue
                bindings[node.variable] = item
                holds = self.value(node.body, env)
                decides = (type(holds) is Unknown) if outcome == "unknown" else (holds is wanted)
                if not decides:
                    continue
                if len(deciding) >= MAX_ITEMS:
                    more += 1
                    continue
                deciding.append(self.condition(node.body, env, ((node.variable, self.name_of(item, index)),)))
        finally:
            if saved is _MISSING:
                bindings.pop(node.variable, None)
            else:
                bindings[node.variable] = saved
        names = ", ".join(c.context[0][1] for c in deciding) + (f" and {more} more" if more else "")
        if outcome == "fail" and node.quantifier == "every":
            summary = f"fails for {node.variable} {names}"
        elif outcome == "fail":
            summary = f"no {node.variable} in {self.text(node.collection)} satisfies it"
        elif outcome == "unknown":
            summary = f"unknown for {node.variable} {names}"
        else:
            summary = f"holds for {node.variable} {names}" if names else "holds"
        if outcome == "pass" and node.quantifier == "every":
            summary = f"holds for every {node.variable} in {self.text(node.collection)}"
        return Condition(text, outcome, summary, (), context, None, missing, tuple(deciding), more)

    def name_of(self, item, index: int) -> str:
        """How a reader knows an item: its code, for a record with one."""
        if isinstance(item, FactRecord):
            for subject in self.program.checked.library.schema.subjects.values():
                if subject.keyed_by and subject.keyed_by in item and not isinstance(item[subject.keyed_by], dict):
                    return str(item[subject.keyed_by])
            return item.path or f"#{index + 1}"
        return show(item, None)

    def conditional(self, node, env, outcome, text, context, missing) -> Condition:
        chosen = self.value(node.condition, env)
        if type(chosen) is Unknown:
            inner = self.condition(node.condition, env)
            return Condition(text, outcome, f"unknown whether {inner.text}", inner.operands, context,
                             None, missing, (inner,))
        branch = node.then if chosen is True else node.otherwise
        inner = self.condition(branch, env)
        if chosen is not True and isinstance(branch, n.Conditional):
            return attrs.evolve(inner, context=context + inner.context)  # else if: its own `since`
        since = self.text(node.condition) if chosen is True else f"not ({self.text(node.condition)})"
        return attrs.evolve(inner, context=context + (("since", since),) + inner.context)

    def compare(self, node, env, outcome, text, context, missing) -> Condition:
        left, right = self.operand(node.left, env), self.operand(node.right, env)
        op = node.operator
        shown_op = op if outcome != "fail" else _NEGATED[op]
        summary = f"{left.label} {shown_op} {right.label}"
        distance = None
        if outcome in ("pass", "fail") and op in ("<", "<=", ">", ">="):
            distance = self.distance(node, env, op, outcome)
        elif outcome == "fail" and op == "=":
            distance = f"needs {right.shown}" if right.source != "literal" or True else None
        return Condition(text, outcome, summary, (left, right), context, distance, missing)

    def distance(self, node, env, op: str, outcome: str) -> str | None:
        """How far the value that varies is from passing (or, passing, from failing)."""
        a, b = self.value(node.left, env), self.value(node.right, env)
        left_type = self.types.get(id(node.left))
        # The side the arrangement gives moves; a threshold (static) stays.
        moving_left = not self.compiled.is_static(node.left) or self.compiled.is_static(node.right)
        if isinstance(a, Decimal) and isinstance(b, Decimal):
            gap = abs(a - b)
            strict = op in ("<", ">")
            integral = isinstance(left_type, t.Quantity) and left_type.integral
            if outcome == "fail" and strict:
                gap = gap + 1 if integral else gap
            elif outcome == "pass" and not strict:
                pass
            elif outcome == "pass" and strict:
                gap = gap - 1 if integral else gap
            quantity = left_type if isinstance(left_type, t.Quantity) else None
            amount = show(gap, quantity)
            wants_bigger = (op in (">", ">=")) == moving_left
            if outcome == "pass":
                return f"passes with {amount} to spare"
            word = _unit_word(quantity, gap) if quantity is not None and quantity.unit != t.GBP else ""
            if wants_bigger and word:  # "150 more minutes"
                amount = f"{show(gap, None)} more {word}"
            else:
                amount = f"{amount} {'more' if wants_bigger else 'less'}"
            return f"needs more than {amount}" if strict and not integral else f"needs {amount}"
        if isinstance(a, dt.date) and isinstance(b, dt.date):
            days = abs((a - b).days)
            if outcome == "pass":
                return f"passes with {days} day{'s' if days != 1 else ''} to spare"
            later = (op in (">", ">=")) == moving_left
            return f"{days} day{'s' if days != 1 else ''} too {'early' if later else 'late'}"
        if isinstance(left_type, t.TimeOfDay) and isinstance(a, int) and isinstance(b, int):
            if outcome == "pass":
                return None
            return f"{'needs' if moving_left else 'limit'} {format_clock(b if moving_left else a)}"
        return None

    def covers(self, node, env, outcome, text, context, missing) -> Condition:
        left, right = self.operand(node.times, env), self.operand(node.required, env)
        word = "does not cover" if outcome == "fail" else "covers"
        summary = f"{left.label} {word} {right.label}"
        distance = None
        if outcome == "fail":
            have, need = self.value(node.times, env), self.value(node.required, env)
            distance = _gap(have, need)
        return Condition(text, outcome, summary, (left, right), context, distance, missing)


def _ordered(items, type_) -> list:
    """A set's items in the order a reader expects: an enumeration's own order."""
    element = getattr(type_, "element", None)
    if isinstance(element, t.Enum):
        order = {member: index for index, member in enumerate(element.members)}
        return sorted(items, key=lambda item: (order.get(item, len(order)), str(item)))
    return sorted(items, key=str)


def _gap(have, need) -> str | None:
    """What `have` lacks of `need`: "closes at 17:00, needs 18:30"."""
    if not isinstance(have, tuple) or not isinstance(need, tuple):
        return None
    if not have:
        return f"none given; needs {format_ranges(need)}"
    if len(have) == 1 and len(need) == 1:
        (hs, he), (ns, ne) = have[0], need[0]
        said = []
        if hs > ns:
            said.append(f"opens at {format_clock(hs)}, needs {format_clock(ns)}")
        if he < ne:
            said.append(f"closes at {format_clock(he)}, needs {format_clock(ne)}")
        if said and hs < ne and he > ns:
            return "; ".join(said)
    gaps = []
    for start, end in need:
        cursor = start
        for s, e in have:
            if e <= cursor or s >= end:
                continue
            if s > cursor:
                gaps.append((cursor, s))
            cursor = max(cursor, e)
        if cursor < end:
            gaps.append((cursor, end))
    return f"not covered: {format_ranges(tuple(gaps))}" if gaps else None


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


def _outcome(value) -> str:
    if value is True:
        return "pass"
    if value is False:
        return "fail"
    return "unknown"


class _Missing:
    __slots__ = ()


_MISSING = _Missing()


def why_thunk(reasoner: Reasoner, requirement, root: FactRecord, bindings: dict,
              outcome: str) -> Callable[[], Why]:
    return lambda: reasoner.why(requirement, root, bindings, outcome)
