"""The rule language as formulas for an SMT solver (z3): one requirement's
outcome, under one checked program, over symbolic facts.

Every expression becomes a `Sym`: whether it is known (`defined`, a z3
boolean) and its value when it is (a z3 term). A fact an arrangement may
leave out has a presence variable, so `known(...)`, Kleene `and`/`or` and an
unknown `where` are encoded as the evaluator decides them
(`backends/closure_runner.py`), not approximated. Money, rates and fractions
are z3 reals, so exact rationals: a penny is never rounded away; counts,
days, dates (as day numbers) and times of day (as minutes) are integers;
enumerations are integers over their members; text is a z3 string.

Each fact's declared type bounds its variable as the arrangement reader does
(io/facts.py): a count is a whole number from 0, a fraction is from 0 to 1,
any number is below 10^15 in size, a date is in the years 1900 to 2200, a time
of day is 00:00 to 24:00. `Bounds` adds what a user states (a list size
between 2,000 and 40,000).

A construct with no encoding here (a quantifier over a collection, interval
arithmetic, a key bound at run time) raises `Undecided` naming the construct
and its place: an analysis then says "undecided", never a guess.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import z3

from rules_engine.base import typesys as t
from rules_engine.base.values import Unknown
from rules_engine.ir.checked import NOT_STATIC, CheckedProgram
from rules_engine.ir.plans import FIELD
from rules_engine.syntax import nodes as n

LARGEST = 10 ** 15  # io/facts.py: numbers have at most 15 digits before the point
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1).toordinal(), dt.date(2200, 12, 31).toordinal()


class Undecided(Exception):
    """A construct the encoding cannot express: its name and place."""

    def __init__(self, construct: str, span=None):
        where = f" at {span.file}:{span.line}:{span.column}" if span is not None else ""
        super().__init__(f"{construct}{where}")
        self.construct, self.span = construct, span


@attrs.frozen
class Sym:
    defined: Any  # z3 boolean: the value is known
    value: Any  # z3 term (meaningful when defined)
    type: Any = None


@attrs.frozen
class Fact:
    """One fact location of the arrangement, as solver variables."""

    location: tuple  # ("practices", 0, "support", "offered")
    type: t.Type
    present: Any
    value: Any


def dotted(location: tuple) -> str:
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


class Facts:
    """The facts of one symbolic arrangement, shared by the encodings of both
    programs (so a model is one arrangement read by both)."""

    def __init__(self, schema, bounds=None):
        self.schema = schema
        self.bounds = bounds
        self.facts: dict[tuple, Fact] = {}
        self.constraints: list = []

    def get(self, location: tuple, type_: t.Type, span) -> Fact:
        found = self.facts.get(location)
        if found is not None:
            return found
        name = dotted(location)
        path = schema_path(location)
        required = path in self.schema.required
        present = z3.BoolVal(True) if required else z3.Bool("has " + name)
        value, limits = _variable(name, type_, span)
        self.constraints += limits
        if self.bounds is not None:
            self.constraints += self.bounds.constraints(path, value, type_)
        found = self.facts[location] = Fact(location, type_, present, value)
        return found


def schema_path(location: tuple) -> str:
    """`practices[].support.offered` from `("practices", 0, "support", "offered")`."""
    out = ""
    for part in location:
        if isinstance(part, int):
            out += "[]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _variable(name: str, type_: t.Type, span) -> tuple[Any, list]:
    if isinstance(type_, t.Boolean):
        return z3.Bool(name), []
    if isinstance(type_, t.Quantity):
        if type_.integral:
            v = z3.Int(name)
            return v, [v >= 0, v < LARGEST]
        v = z3.Real(name)
        if type_.fraction:
            return v, [v >= 0, v <= 1]
        return v, [v > -LARGEST, v < LARGEST]
    if isinstance(type_, t.Enum):
        v = z3.Int(name)
        return v, [v >= 0, v < len(type_.members)]
    if isinstance(type_, t.Date):
        v = z3.Int(name)
        return v, [v >= FIRST_DAY, v <= LAST_DAY]
    if isinstance(type_, t.TimeOfDay):
        v = z3.Int(name)
        return v, [v >= 0, v <= 24 * 60]
    if isinstance(type_, t.Text):
        return z3.String(name), []
    raise Undecided(f"a fact of type {t.describe(type_)} (`{name}`)", span)


def constant(value: Any, type_: t.Type, span=None) -> Sym:
    """A known value of the language as a solver term."""
    if type(value) is Unknown:
        return Sym(z3.BoolVal(False), z3.BoolVal(False), type_)
    true = z3.BoolVal(True)
    if isinstance(value, bool):
        return Sym(true, z3.BoolVal(value), type_)
    if isinstance(type_, t.Enum) and isinstance(value, str):
        return Sym(true, z3.IntVal(type_.members.index(value)), type_)
    if isinstance(value, Decimal):
        if isinstance(type_, t.Quantity) and type_.integral and value == value.to_integral_value():
            return Sym(true, z3.IntVal(int(value)), type_)
        return Sym(true, z3.RealVal(str(value)), type_)
    if isinstance(value, int):
        return Sym(true, z3.IntVal(value), type_)
    if isinstance(value, dt.date):
        return Sym(true, z3.IntVal(value.toordinal()), type_)
    if isinstance(value, str):
        return Sym(true, z3.StringVal(value), type_)
    raise Undecided(f"a value of type {t.describe(type_)}", span)


def _real(term):
    return z3.ToReal(term) if z3.is_int(term) else term


def _and_defined(*syms: Sym):
    return z3.And(*[s.defined for s in syms]) if len(syms) > 1 else syms[0].defined


class Encoder:
    """One checked program's expressions as formulas over shared `Facts`."""

    def __init__(self, checked: CheckedProgram, facts: Facts, as_of: dt.date):
        self.checked = checked
        self.facts = facts
        self.as_of = as_of
        self.types = checked.types
        self.names = checked.names
        self.subjects = facts.schema.subjects

    # -- subjects ---------------------------------------------------------------

    def location_of(self, subject: str) -> tuple:
        """Where the first of a subject's records is in a symbolic arrangement."""
        spec = self.subjects[subject]
        path = spec.path
        if path and path[0] in self.subjects and path[0] != subject and len(path) > 1:
            prefix = self.location_of(path[0])
            path = path[1:]
        else:
            prefix = ()
        return prefix + tuple(path) + ((0,) if spec.each else ())

    def bindings_for(self, subject: str) -> dict[str, tuple]:
        """The subject and its parents, each bound to its location."""
        bound = {}
        name = subject
        while name is not None:
            bound[name] = self.location_of(name)
            spec = self.subjects[name]
            parent = spec.path[0] if len(spec.path) > 1 and spec.path[0] in self.subjects else None
            name = parent if parent != name else None
        return bound

    # -- expressions --------------------------------------------------------------

    def expr(self, node, env: dict) -> Sym:
        static = self.checked.static_value(node)
        type_ = self.types.get(id(node))
        if static is not NOT_STATIC:
            return constant(static, type_, node.span)
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise Undecided(_construct(node), node.span)
        return method(node, env)

    def _Name(self, node, env) -> Sym:
        resolved = self.names.get(id(node))
        kind = resolved.kind if resolved is not None else None
        if kind == "as_of":
            return constant(self.as_of, t.DATE)
        if kind == "define":
            return self.define(resolved.target, env, node.span)
        raise Undecided(f"`{node.name}` read as a whole", node.span)

    def define(self, name: str, env: dict, span) -> Sym:
        define = self.checked.program.defines.get(name)
        if define is None:
            raise Undecided(f"the definition `{name}`", span)
        if define.opted_in is not None:
            raise Undecided(f"`{name}`, replaced only for subjects that opt in", span)
        scope = define.term.scope
        if scope is not None and (scope.key_variable is not None or scope.subject not in env):
            raise Undecided(f"`{name}`, a value per {scope.subject}"
                            + (f" and {scope.key_variable}" if scope.key_variable else ""), span)
        body = define.replaced_by.body if define.replaced_by is not None else define.term.body
        value = self.expr(body, env)
        rounding = define.term.rounding
        if rounding is not None:
            raise Undecided(f"`{name}`, rounded as paid", span)
        return value

    def _Field(self, node, env) -> Sym:
        return self.fact(node, env)

    def _Index(self, node, env) -> Sym:
        if isinstance(self.types.get(id(node.collection)), t.Table):
            raise Undecided("a table row chosen at run time", node.span)
        return self.fact(node, env)

    def fact(self, node, env) -> Sym:
        plan = self.checked.plan(node)
        root = plan.start if plan.bound is None else None
        if type(root) is n.Name and getattr(self.names.get(id(root)), "kind", None) == "fact":
            location: tuple = (root.name,)  # a path from the arrangement's root (`pcn.raw_list_size`)
        elif plan.bound is None or plan.bound not in env:
            raise Undecided(f"the path `{_show(node)}`", node.span)
        else:
            location = env[plan.bound]
        for kind, step in plan.steps:
            if kind != FIELD:
                raise Undecided(f"a key worked out at run time in `{_show(node)}`", node.span)
            location += (step,)
        type_ = self.types[id(node)]
        fact = self.facts.get(location, type_, node.span)
        return Sym(fact.present, fact.value, type_)

    def _Arithmetic(self, node, env) -> Sym:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        lt, rt = self.types[id(node.left)], self.types[id(node.right)]
        defined = _and_defined(left, right)
        op = node.operator
        if isinstance(lt, t.TimeOfDay) and not isinstance(rt, t.TimeOfDay):
            moved = left.value + right.value if op == "+" else left.value - right.value
            return Sym(z3.And(defined, moved >= 0, moved <= 24 * 60), moved)
        if isinstance(lt, t.Date) and isinstance(rt, t.Quantity) and rt.unit == t.MONTH:
            raise Undecided("months added to a date", node.span)
        if isinstance(lt, t.Date) or isinstance(lt, t.TimeOfDay):
            return Sym(defined, left.value + right.value if op == "+" else left.value - right.value)
        if op == "+":
            return Sym(defined, left.value + right.value)
        if op == "-":
            return Sym(defined, left.value - right.value)
        if op == "*":
            return Sym(defined, left.value * right.value)
        return Sym(z3.And(defined, right.value != 0), _real(left.value) / _real(right.value))

    def _Negate(self, node, env) -> Sym:
        inner = self.expr(node.operand, env)
        return Sym(inner.defined, -inner.value)

    def _Compare(self, node, env) -> Sym:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        a, b = left.value, right.value
        if z3.is_int(a) and z3.is_real(b) or z3.is_real(a) and z3.is_int(b):
            a, b = _real(a), _real(b)
        op = node.operator
        value = {"=": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b,
                 ">": lambda: a > b, ">=": lambda: a >= b}[op]()
        return Sym(_and_defined(left, right), value)

    def _Logic(self, node, env) -> Sym:
        left, right = self.expr(node.left, env), self.expr(node.right, env)
        lt = z3.And(left.defined, left.value)
        rt = z3.And(right.defined, right.value)
        lf = z3.And(left.defined, z3.Not(left.value))
        rf = z3.And(right.defined, z3.Not(right.value))
        if node.operator == "and":
            return Sym(z3.Or(z3.And(left.defined, right.defined), lf, rf), z3.And(lt, rt))
        return Sym(z3.Or(z3.And(left.defined, right.defined), lt, rt), z3.Or(lt, rt))

    def _Not(self, node, env) -> Sym:
        inner = self.expr(node.operand, env)
        return Sym(inner.defined, z3.Not(inner.value))

    def _Conditional(self, node, env) -> Sym:
        condition = self.expr(node.condition, env)
        then, otherwise = self.expr(node.then, env), self.expr(node.otherwise, env)
        a, b = then.value, otherwise.value
        if z3.is_int(a) and z3.is_real(b) or z3.is_real(a) and z3.is_int(b):
            a, b = _real(a), _real(b)
        return Sym(z3.And(condition.defined, z3.If(condition.value, then.defined, otherwise.defined)),
                   z3.If(condition.value, a, b))

    def _Membership(self, node, env) -> Sym:
        collection = self.checked.static_value(node.collection)
        if collection is NOT_STATIC or type(collection) is Unknown:
            raise Undecided("membership of a collection an arrangement gives", node.span)
        element = self.expr(node.element, env)
        type_ = self.types.get(id(node.element))
        options = [constant(item, type_).value for item in sorted(collection, key=str)]
        inside = z3.Or(*[element.value == o for o in options]) if options else z3.BoolVal(False)
        return Sym(element.defined, z3.Not(inside) if node.negated else inside)

    def _Call(self, node, env) -> Sym:
        name = node.function
        if name == "known":
            inner = self.expr(node.arguments[0], env)
            return Sym(z3.BoolVal(True), inner.defined)
        args = [self.expr(a, env) for a in node.arguments]
        defined = _and_defined(*args)
        values = [a.value for a in args]
        if name in ("min", "max"):
            if any(z3.is_real(v) for v in values):
                values = [_real(v) for v in values]
            best = values[0]
            for v in values[1:]:
                best = z3.If(v < best, v, best) if name == "min" else z3.If(v > best, v, best)
            return Sym(defined, best)
        if name == "abs":
            return Sym(defined, z3.If(values[0] < 0, -values[0], values[0]))
        if name in ("ceil", "floor"):
            x = _real(values[0])
            down = z3.ToInt(x)
            return Sym(defined, down if name == "floor" else z3.If(z3.ToReal(down) == x, down, down + 1))
        if name == "round":
            places = self.checked.static_value(node.arguments[1])
            scale = z3.RealVal(10 ** int(places))
            x = _real(values[0]) * scale
            half_up = z3.If(x >= 0, z3.ToInt(x + z3.RealVal("1/2")), -z3.ToInt(-x + z3.RealVal("1/2")))
            return Sym(defined, z3.ToReal(half_up) / scale)
        raise Undecided(f"the built-in `{name}` over values an arrangement gives", node.span)

    # -- a requirement --------------------------------------------------------------

    def outcome(self, requirement) -> dict[str, Any]:
        """z3 conditions for a requirement's outcome on the first subject:
        `pass`, `fail`, `unknown`, `not_applicable` (not selected, waived,
        exempt counts as pass)."""
        term = requirement.term
        false, true = z3.BoolVal(False), z3.BoolVal(True)
        if not requirement.in_force:
            return {"pass": false, "fail": false, "unknown": false, "not_applicable": true}
        env = self.bindings_for(term.scope.subject) if term.scope is not None else {}
        if term.where is not None:
            where = self.expr(term.where, env)
            selected = z3.And(where.defined, where.value)
            unselected = z3.And(where.defined, z3.Not(where.value))
            where_unknown = z3.Not(where.defined)
        else:
            selected, unselected, where_unknown = true, false, false
        waived = false
        for waiver in requirement.waivers:
            if waiver.where is None:
                waived = true
            else:
                w = self.expr(waiver.where, env)
                waived = z3.Or(waived, z3.And(w.defined, w.value))
        if term.must is None:
            raise Undecided("a requirement without `must`", term.span)
        must = self.expr(term.must, env)
        holds = z3.And(must.defined, must.value)
        broken = z3.And(must.defined, z3.Not(must.value))
        if term.unless is not None:
            unless = self.expr(term.unless, env)
            exempt = z3.And(unless.defined, unless.value)
            not_exempt = z3.And(unless.defined, z3.Not(unless.value))
        else:
            exempt, not_exempt = false, true
        live = z3.And(selected, z3.Not(waived))
        passes = z3.And(live, z3.Or(holds, exempt))
        fails = z3.And(live, broken, not_exempt)
        return {"pass": passes, "fail": fails,
                "unknown": z3.Or(where_unknown, z3.And(live, z3.Not(passes), z3.Not(fails))),
                "not_applicable": z3.Or(unselected, z3.And(selected, waived))}


def _show(node) -> str:
    if isinstance(node, n.Name):
        return node.name
    if isinstance(node, n.Field):
        return f"{_show(node.record)}.{node.name}"
    if isinstance(node, n.Index):
        return f"{_show(node.collection)}[...]"
    return _construct(node)


def _construct(node) -> str:
    if isinstance(node, n.Quantified):
        return f"`{node.quantifier} {node.variable} in ...` over a collection an arrangement gives"
    return {n.Covers: "`covers` over times an arrangement gives",
            n.Within: "`within` over times an arrangement gives",
            n.SetLiteral: "a set an arrangement fills"}.get(type(node), f"the construct {type(node).__name__}")


__all__ = ["Encoder", "Facts", "Fact", "Sym", "Undecided", "constant", "dotted", "schema_path"]
