"""The interval pass: the fast path of "can it flip". Each expression's
possible values over the facts' declared ranges (and stated bounds), without
a solver: a number as a range, a condition as the set of truth values it can
take (with "unknown" among them when a fact it reads may be missing).

The pass is non-relational (each fact ranges on its own), so what it calls
possible may not be; what it calls impossible is. It answers a flip question
only with "none": when a requirement cannot fail under one program, or
cannot pass (or be left aside) under the other, no arrangement flips it in
that direction. Anything else goes to the solver (`flip`).

Each built-in's range rule is its `interval` in the one built-in table
(`static.builtins.BUILTINS`); a built-in without one, or a construct the
pass does not range over, raises `NoInterval` with its name, and the
question goes to the solver.

>>> compare(">=", (Fraction(30000), None), (Fraction(25000), Fraction(25000)))
frozenset({True})
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

import attrs

from rules_engine.analysis.encode import LARGEST
from rules_engine.base import typesys as t
from rules_engine.base.values import Unknown
from rules_engine.ir.checked import NOT_STATIC, CheckedProgram
from rules_engine.ir.plans import FIELD
from rules_engine.static.builtins import BUILTINS
from rules_engine.syntax import nodes as n

UNKNOWN = "unknown"  # a truth value a condition may take
BOTH = frozenset({True, False})


class NoInterval(Exception):
    """A construct the interval pass does not range over."""


@attrs.frozen
class Abs:
    """What an expression can be: known or not, and its values when known
    (`range` for a number, `truths` for a condition, neither for the rest)."""

    may_unknown: bool
    may_known: bool = True
    range: tuple | None = None
    truths: frozenset | None = None


TOP = Abs(True)


def compare(op: str, left: tuple, right: tuple) -> frozenset:
    """The truth values `left op right` can take, for two ranges."""
    (a, b), (c, d) = left, right

    def below(x, y):  # x < y certainly
        return x is not None and y is not None and x < y

    def at_most(x, y):
        return x is not None and y is not None and x <= y
    always = {"<": below(b, c), "<=": at_most(b, c), ">": below(d, a), ">=": at_most(d, a),
              "=": a is not None and a == b == c == d, "!=": below(b, c) or below(d, a)}[op]
    never = {"<": at_most(d, a), "<=": below(d, a), ">": at_most(b, c), ">=": below(b, c),
             "=": below(b, c) or below(d, a), "!=": a is not None and a == b == c == d}[op]
    if always:
        return frozenset({True})
    if never:
        return frozenset({False})
    return BOTH


def _add(x, y):
    return None if x is None or y is None else x + y


def _products(a: tuple, b: tuple) -> tuple:
    corners = [(x, y) for x in a for y in b]
    if any(x is None or y is None for x, y in corners):
        return None, None
    values = [x * y for x, y in corners]
    return min(values), max(values)


class Ranger:
    """One checked program's expressions as `Abs` values."""

    def __init__(self, checked: CheckedProgram, schema, bounds=None):
        self.checked, self.schema, self.bounds = checked, schema, bounds
        self.types, self.names = checked.types, checked.names

    def value(self, node, env: dict) -> Abs:
        static = self.checked.static_value(node)
        if static is not NOT_STATIC:
            return self.constant(static)
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise NoInterval(type(node).__name__)
        return method(node, env)

    def constant(self, value: Any) -> Abs:
        if type(value) is Unknown:
            return Abs(True, False)
        if isinstance(value, bool):
            return Abs(False, truths=frozenset({value}))
        if isinstance(value, (int, float)) or hasattr(value, "as_integer_ratio") and not isinstance(value, dt.date):
            number = Fraction(value)
            return Abs(False, range=(number, number))
        return Abs(False)

    def _Name(self, node, env) -> Abs:
        resolved = self.names.get(id(node))
        if resolved is not None and resolved.kind == "define":
            define = self.checked.program.defines.get(resolved.target)
            scope = define.term.scope if define is not None else None
            if define is None or define.opted_in is not None or (
                    scope is not None and (scope.key_variable is not None or scope.subject not in env)):
                raise NoInterval(f"the definition {resolved.target}")
            body = define.replaced_by.body if define.replaced_by is not None else define.term.body
            found = self.value(body, env)
            if define.term.rounding is not None and found.range is not None:
                return Abs(found.may_unknown, found.may_known, _round_range(found.range))
            return found
        if resolved is not None and resolved.kind == "as_of":
            return Abs(False)
        raise NoInterval(node.name)

    def _Field(self, node, env) -> Abs:
        plan = self.checked.plan(node)
        if plan.bound is None or plan.bound not in env or any(k != FIELD for k, _ in plan.steps):
            raise NoInterval("a path")
        path = env[plan.bound] + "".join("." + str(step) for _, step in plan.steps)
        type_ = self.types[id(node)]
        required = path in self.schema.required
        if isinstance(type_, t.Boolean):
            return Abs(not required, truths=BOTH)
        if isinstance(type_, t.Quantity):
            low, high = (Fraction(0), Fraction(1)) if type_.fraction else \
                (Fraction(0), Fraction(LARGEST)) if type_.integral else (Fraction(-LARGEST), Fraction(LARGEST))
            stated = self.bounds.ranges.get(path) if self.bounds is not None else None
            if stated is not None:
                low = max(low, stated[0]) if stated[0] is not None else low
                high = min(high, stated[1]) if stated[1] is not None else high
            return Abs(not required, range=(low, high))
        return Abs(not required)

    _Index = _Field

    def _Arithmetic(self, node, env) -> Abs:
        left, right = self.value(node.left, env), self.value(node.right, env)
        unknown = left.may_unknown or right.may_unknown
        known = left.may_known and right.may_known
        if left.range is None or right.range is None:
            return Abs(unknown, known)
        (a, b), (c, d) = left.range, right.range
        if node.operator == "+":
            return Abs(unknown, known, (_add(a, c), _add(b, d)))
        if node.operator == "-":
            return Abs(unknown, known, (_add(a, None if d is None else -d), _add(b, None if c is None else -c)))
        if node.operator == "*":
            return Abs(unknown, known, _products(left.range, right.range))
        if c is None or d is None or c <= 0 <= d:  # the divisor may be 0: unknown
            return Abs(True, known)
        return Abs(unknown, known, _products(left.range, (1 / d, 1 / c)))

    def _Negate(self, node, env) -> Abs:
        inner = self.value(node.operand, env)
        if inner.range is None:
            return inner
        low, high = inner.range
        return attrs.evolve(inner, range=(None if high is None else -high, None if low is None else -low))

    def _Compare(self, node, env) -> Abs:
        left, right = self.value(node.left, env), self.value(node.right, env)
        truths = compare(node.operator, left.range, right.range) \
            if left.range is not None and right.range is not None else BOTH
        return Abs(left.may_unknown or right.may_unknown, left.may_known and right.may_known, truths=truths)

    def _truths(self, node, env) -> set:
        found = self.value(node, env)
        out = set(found.truths if found.truths is not None else BOTH) if found.may_known else set()
        if found.may_unknown:
            out.add(UNKNOWN)
        return out

    def _Logic(self, node, env) -> Abs:
        left, right = self._truths(node.left, env), self._truths(node.right, env)
        combine = _and if node.operator == "and" else _or
        return _of({combine(x, y) for x in left for y in right})

    def _Not(self, node, env) -> Abs:
        return _of({x if x == UNKNOWN else not x for x in self._truths(node.operand, env)})

    def _Conditional(self, node, env) -> Abs:
        condition = self._truths(node.condition, env)
        branches = ([self.value(node.then, env)] if True in condition else []) + \
                   ([self.value(node.otherwise, env)] if False in condition else [])
        if not branches:
            return Abs(True, False)
        unknown = UNKNOWN in condition or any(b.may_unknown for b in branches)
        known = any(b.may_known for b in branches)
        if all(b.truths is not None for b in branches):
            return Abs(unknown, known, truths=frozenset().union(*[b.truths for b in branches]))
        if all(b.range is not None for b in branches):
            lows, highs = [b.range[0] for b in branches], [b.range[1] for b in branches]
            return Abs(unknown, known, (None if None in lows else min(lows), None if None in highs else max(highs)))
        return Abs(unknown, known)

    def _Membership(self, node, env) -> Abs:
        element = self.value(node.element, env)
        if self.checked.static_value(node.collection) is NOT_STATIC:
            raise NoInterval("membership of a collection an arrangement gives")
        return Abs(element.may_unknown, element.may_known, truths=BOTH)

    def _Call(self, node, env) -> Abs:
        args = [self.value(a, env) for a in node.arguments]
        if node.function == "known":
            inner = args[0]
            return Abs(False, truths=frozenset(({True} if inner.may_known else set())
                                               | ({False} if inner.may_unknown else set())))
        rule = BUILTINS[node.function].interval
        if rule is None:
            raise NoInterval(f"the built-in `{node.function}` (no interval rule)")
        unknown = any(a.may_unknown for a in args)
        known = all(a.may_known for a in args)
        if any(a.range is None for a in args):
            return Abs(unknown, known)
        return Abs(unknown, known, rule(*[a.range for a in args]))

    # -- a requirement -------------------------------------------------------------

    def outcomes(self, requirement, env: dict) -> set[str]:
        """The outcomes a requirement can have on one subject."""
        if requirement is None or not requirement.in_force:
            return {"not_applicable"}
        term = requirement.term
        where = self._truths(term.where, env) if term.where is not None else {True}
        out: set[str] = set()
        if False in where:
            out.add("not_applicable")
        if UNKNOWN in where:
            out.add("unknown")
        if True not in where:
            return out
        waived: set = {False}
        for waiver in requirement.waivers:
            truths = self._truths(waiver.where, env) if waiver.where is not None else {True}
            waived = waived | ({True} if True in truths else set())
        if True in waived:
            out.add("not_applicable")
        must = self._truths(term.must, env)
        unless = self._truths(term.unless, env) if term.unless is not None else {False}
        for holds in must:
            for exempt in unless:
                if holds is True or exempt is True:
                    out.add("pass")
                elif holds is False and exempt is False:
                    out.add("fail")
                else:
                    out.add("unknown")
        return out


def _and(x, y):
    if x is False or y is False:
        return False
    return True if x is True and y is True else UNKNOWN


def _or(x, y):
    if x is True or y is True:
        return True
    return False if x is False and y is False else UNKNOWN


def _of(truths: set) -> Abs:
    known = truths - {UNKNOWN}
    return Abs(UNKNOWN in truths, bool(known), truths=frozenset(known))


def _round_range(range_: tuple) -> tuple:
    """A value rounded as paid (to the penny or the pound, any mode) is within
    one pound of the value."""
    low, high = range_
    return (None if low is None else low - 1), (None if high is None else high + 1)


__all__ = ["Ranger", "Abs", "NoInterval", "compare", "UNKNOWN"]
