"""Why a result came out as it did: the deciding conditions, with the values read.

Input: a compiled program, one requirement in force, the subject's bindings
and the arrangement's facts. Output: a `Why`: the requirement's condition in
the rule file's own words, each operand with its value, unit and source (the
fact path, the parameter and the layer it comes from), the sub-conditions of
an `and`/`or`/`every`/`any` that decided it (which practice, which weekday),
for an unknown the facts missing, and for a comparison with a threshold the
distance to passing ("needs 150 more minutes") or, for a pass, the margin.

There is one evaluation loop: the values come from the backend's runner
(`Runner.value_of`, the same backend that decided), on the same facts; this
module only walks the condition's nodes to say which of them decided. It is worked
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
from rules_engine.base.values import FactRecord, Unknown, child_path, format_clock, format_ranges
from rules_engine.base.numbers import value_json
from rules_engine.run.why_records import (Condition, Operand, Why, _ordered, _unit, _unit_word,
    show)
from rules_engine.static.forms import value_on

__all__ = ["Reasoner", "Why", "Condition", "Operand", "show", "why_thunk"]

#: At most this many items of an `every`/`any` are named as deciding.
MAX_ITEMS = 6

_NEGATED = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


# ---------------------------------------------------------------- the walk

class Reasoner:
    """Works out `Why`s for one compiled program."""

    def __init__(self, runner):
        self.runner = runner
        self.checked = runner.checked
        self.program = runner.checked.program
        checked = self.program.checked
        self.types, self.names = checked.types, checked.names
        self.sources = {layer.file: layer.source for layer in checked.library.layers}
        self.national = {layer.name for layer in checked.library.layers if not layer.is_local}

    # -- entry points ---------------------------------------------------------

    def why(self, requirement, root: FactRecord, day: dt.date, bindings: dict, outcome: str) -> Why:
        """Why `requirement` came out as `outcome` (pass, fail or unknown) on
        `day` for the subject `bindings` name."""
        env = self.runner.scope(root, day, bindings)
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

    def value(self, node, env) -> Any:
        return self.runner.value_of(node, env)

    def text(self, node) -> str:
        span = node.span
        source = self.sources.get(span.file)
        if source is None or span.end <= span.start:
            return "(condition)"
        return " ".join(source.text[span.start:span.end].split())

    def operand(self, node, env) -> Operand:
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

    def source_of(self, node, env) -> tuple[str, str | None, str | None, str | None]:
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
                        national = show(self.value(base, env), param.type)
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

    def condition(self, node, env, context: tuple = ()) -> Condition:
        value = self.value(node, env)
        outcome = _outcome(value)
        missing = value.lacking() if type(value) is Unknown else ()
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
        moving_left = not self.checked.is_static(node.left) or self.checked.is_static(node.right)
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


def _outcome(value) -> str:
    if value is True:
        return "pass"
    if value is False:
        return "fail"
    return "unknown"


class _Missing:
    __slots__ = ()


_MISSING = _Missing()


def why_thunk(reasoner: Reasoner, requirement, root: FactRecord, day: dt.date, bindings: dict,
              outcome: str) -> Callable[[], Why]:
    return lambda: reasoner.why(requirement, root, day, bindings, outcome)
