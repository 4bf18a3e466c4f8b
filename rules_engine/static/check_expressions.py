"""The type checker's rules for expressions: one method per node kind
(`check_Number`, `check_Call`, ...), a mixin of the checker in `typecheck`
that keeps its state (the types side table, the scope, the diagnostics).

A built-in's type rule is its row of the one built-in table (`builtins`).
"""

from __future__ import annotations

import attrs

from rules_engine.base.records import pickled_by_fields
from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import did_you_mean
from rules_engine.static.builtins import BUILTINS, CallCheck
from rules_engine.static.slip_checks import literal_fix, write_literal
from rules_engine.syntax import nodes as n
from rules_engine.syntax import value_slips

#: Names every expression may read that no rule file declares.
BUILTIN_NAMES = {"as_of": t.DATE}
FUNCTIONS = tuple(BUILTINS)


@pickled_by_fields  # one per name in the checked library's cache
@attrs.frozen
class Resolved:
    """What a name refers to: `kind` is param, table, define, binding, fact, member or as_of."""

    kind: str
    target: str


class ExpressionChecks:
    """Check an expression against its scope; record and return its type."""

    def check(self, expr, scope: dict[str, t.Type], expected: t.Type | None = None) -> t.Type:
        self.level += 1
        result = self._check(expr, scope, expected)
        self.level -= 1
        self.types[id(expr)] = result
        return result

    def _check(self, expr, scope, expected) -> t.Type:
        method = getattr(self, "check_" + type(expr).__name__)
        return method(expr, scope, expected)

    def check_Number(self, expr, scope, expected):
        integral = expr.value == expr.value.to_integral_value()
        return t.COUNT if integral else t.NUMBER

    def check_Quantity(self, expr, scope, expected):
        unit = t.UNIT_WORDS.get(expr.unit)
        if unit is None and isinstance(expected, t.TimeOfDay) and self.written_otherwise(expr, expected):
            return t.ERROR  # `8am`
        if unit is None:
            number = value_slips.plain_number(expr.value)
            if isinstance(expected, t.Quantity) and expected.unit == t.DIMENSIONLESS:
                # `24000 patients`: counts, numbers and fractions are dimensionless
                self.error("E-UNIT-004", f"`{number} {expr.unit}`: {t.describe(expected)} is a "
                           "plain number, without a unit word", expr.span,
                           hint=f"write `{number}`; the name or the title says what is counted")
                return t.ERROR
            fix = write_literal(n.Number(expr.span, expr.value), expected) \
                if isinstance(expected, t.Quantity) else None
            self.error("E-UNIT-002", f"unknown unit `{expr.unit}`", expr.span,
                       hint=fix or did_you_mean(expr.unit, t.UNIT_WORDS) or
                       "units: minutes, hours, days, weeks, months, years, points")
            return t.ERROR
        return t.Quantity(unit[0], integral=expr.value == expr.value.to_integral_value())

    def check_Money(self, expr, scope, expected):
        return t.MONEY

    def check_Percent(self, expr, scope, expected):
        return t.FRACTION

    def check_DateLiteral(self, expr, scope, expected):
        return t.DATE

    def check_TimeLiteral(self, expr, scope, expected):
        return t.TIME

    def check_IntervalLiteral(self, expr, scope, expected):
        return t.INTERVAL

    def check_Text(self, expr, scope, expected):
        return t.TEXT

    def check_Boolean(self, expr, scope, expected):
        return t.BOOL

    def check_Name(self, expr: n.Name, scope, expected):
        name = expr.name
        if name in scope:
            self.names[id(expr)] = Resolved("binding", name)
            return scope[name]
        kind = self.term_kinds.get(name)
        if kind in ("param", "table", "define"):
            if self.current is not None:
                self.current.add(name)
            if self.current_levels is not None and self.current_levels.get(name, 0) < self.level:
                self.current_levels[name] = self.level
            self.names[id(expr)] = Resolved(kind, name)
            if kind == "table":
                table = self.tables[name]
                columns = dict(self.table_columns(table))
                key = columns.get(table.keys[0], t.ERROR) if len(table.keys) == 1 else t.ERROR
                return t.Table(name, key)
            if kind == "define":
                missing = [b for b in self.define_scopes[name] if b not in scope]
                if missing:
                    self.error("E-NAME-005", f"`{name}` is worked out for each "
                               f"`{missing[0]}`, and no `{missing[0]}` is in scope here", expr.span,
                               hint=f"use it inside `for each {missing[0]}`, or bind one: "
                                    f"`sum {missing[0]} in ...: {name}`")
                    return t.ERROR
            return self.term_types[name]
        # `as_of` is the evaluation date (the command line's --as-of wins over
        # the arrangement's `as_of` fact), never the fact read as given.
        if name in BUILTIN_NAMES:
            self.names[id(expr)] = Resolved("as_of", name)
            return BUILTIN_NAMES[name]
        root = self.library.schema.root.field(name)
        if root is not None:
            self.names[id(expr)] = Resolved("fact", name)
            return root
        enum = self.enum_for(name, expected)
        if enum is None and expected is None:
            owners = [e for e in self.enums.values() if name in e.members]
            enum = owners[0] if len(owners) == 1 else None
        if enum is not None:
            self.names[id(expr)] = Resolved("member", name)
            return enum
        visible = list(scope) + list(self.term_kinds) + [f for f, _ in self.library.schema.root.fields]
        element = expected.element if isinstance(expected, (t.SetOf, t.ListOf)) else expected
        if isinstance(element, t.Enum):  # compared with, or looked for in, an enumeration's values
            hint = did_you_mean(name, element.members) or did_you_mean(name, visible) \
                or f"a {element.name} is one of: {', '.join(element.members)}"
            self.error("E-TYPE-009", f"`{name}` is not a member of the enumeration `{element.name}`",
                       expr.span, hint=hint)
            return t.ERROR
        hint = ("yes/no values are written `true` and `false`"
                if name.lower() in ("true", "false", "yes", "no") else did_you_mean(name, visible))
        self.error("E-NAME-001", f"unknown name `{name}`", expr.span, hint=hint)
        return t.ERROR

    def enum_for(self, name: str, expected: t.Type | None) -> t.Enum | None:
        if isinstance(expected, t.Enum):
            return expected if name in expected.members else None
        if isinstance(expected, (t.SetOf, t.ListOf)) and isinstance(expected.element, t.Enum):
            return expected.element if name in expected.element.members else None
        return None

    def check_Field(self, expr: n.Field, scope, expected):
        record = self.check(expr.record, scope)
        if isinstance(record, t.Error):
            return record
        if isinstance(record, t.TableRow):
            columns = dict(self.table_columns(self.tables[record.table]))
            if expr.name in columns:
                return columns[expr.name]
            self.error("E-NAME-009", f"`{record.table}` has no column `{expr.name}`", expr.span,
                       hint=did_you_mean(expr.name, columns) or "columns: " + ", ".join(columns))
            return t.ERROR
        if not isinstance(record, t.Record):
            self.error("E-TYPE-001", f"`.{expr.name}` needs a group of facts, but this is "
                       f"{t.describe(record)}", expr.span)
            return t.ERROR
        field = record.field(expr.name)
        if field is None:
            names = [f for f, _ in record.fields]
            self.error("E-NAME-004", f"`{record.path or 'the arrangement'}` has no fact `{expr.name}`",
                       expr.span, hint=did_you_mean(expr.name, names) or
                       ("its facts: " + ", ".join(names) if names else None))
            return t.ERROR
        return field

    def check_Index(self, expr: n.Index, scope, expected):
        base = self.check(expr.collection, scope)
        if isinstance(base, t.Error):
            for key in expr.keys:
                self.check(key, scope)
            return base
        if isinstance(base, t.Table):
            table = self.tables[base.name]
            columns = dict(self.table_columns(table))
            if len(expr.keys) != len(table.keys):
                self.error("E-TYPE-005", f"`{table.name}` is looked up by {len(table.keys)} "
                           f"key{'s' if len(table.keys) != 1 else ''} ({', '.join(table.keys)}), "
                           f"not {len(expr.keys)}", expr.span)
                return t.ERROR
            for key_expr, key_name in zip(expr.keys, table.keys):
                self.expect(key_expr, scope, columns.get(key_name, t.ERROR), f"the `{key_name}` key")
            return t.TableRow(table.name)
        if isinstance(base, t.MapOf):
            if len(expr.keys) != 1:
                self.error("E-TYPE-005", "a map is looked up by one key", expr.span)
                return t.ERROR
            self.expect(expr.keys[0], scope, base.key, "the key")
            return base.value
        self.error("E-TYPE-007", f"cannot look up by key in {t.describe(base)}", expr.span,
                   hint="keys look up maps (`practice.core_hours[day]`) and tables (`arrs_max[role, region]`)")
        return t.ERROR

    def check_Call(self, expr: n.Call, scope, expected):
        """A built-in function: its row of `builtins.BUILTINS` says its type rule."""
        name, args = expr.function, expr.arguments
        builtin = BUILTINS.get(name)
        if builtin is None:
            self.error("E-NAME-006", f"unknown function `{name}`", expr.span,
                       hint=did_you_mean(name, FUNCTIONS) or "functions: " + ", ".join(FUNCTIONS))
            for arg in args:
                self.check(arg, scope)
            return t.ERROR
        types = [self.check(arg, scope, expected if builtin.passes_expected else None) for arg in args]
        if any(isinstance(a, t.Error) for a in types):
            return t.ERROR
        return builtin.type_rule(CallCheck(self, expr, types))

    def check_SetLiteral(self, expr: n.SetLiteral, scope, expected):
        element_expected = expected.element if isinstance(expected, (t.SetOf, t.ListOf)) else None
        element: t.Type | None = None
        for item in expr.items:
            item_type = self.check(item, scope, element_expected)
            if element is None:
                element = item_type
                continue
            joined = t.join(element, item_type)
            if joined is None:
                self.error("E-TYPE-001", f"a set mixes {t.describe(element)} and "
                           f"{t.describe(item_type)}", item.span)
                return t.ERROR
            element = joined
        return t.SetOf(element if element is not None else (element_expected or t.ERROR))

    def check_Negate(self, expr, scope, expected):
        operand = self.check(expr.operand, scope, expected)
        if not isinstance(operand, (t.Quantity, t.Error)):
            self.error("E-TYPE-001", f"cannot negate {t.describe(operand)}", expr.span)
            return t.ERROR
        return operand

    def check_Arithmetic(self, expr: n.Arithmetic, scope, expected):
        """A chain `a + b - c + ...` (or `a * b / c ...`) is walked in a loop
        down its left side, so that its length costs no recursion."""
        spine = n.chain(expr)
        if self.hyphenated(spine, scope):
            return t.ERROR
        left = self.check(spine[-1].left, scope)
        for node in reversed(spine):
            right = self.check(node.right, scope)
            left = self.arithmetic(node, left, right)
            if node is not expr:
                self.types[id(node)] = left
        return left

    def known(self, name: str, scope) -> bool:
        """Whether a bare name means something here (without recording it)."""
        return (name in scope or name in self.term_kinds or name in BUILTIN_NAMES
                or self.library.schema.root.field(name) is not None
                or any(name in e.members for e in self.enums.values()))

    def arithmetic(self, expr: n.Arithmetic, left: t.Type, right: t.Type) -> t.Type:
        if isinstance(left, t.Error) or isinstance(right, t.Error):
            return t.ERROR
        op = expr.operator
        if isinstance(left, t.TimeOfDay):
            if op in "+-" and isinstance(right, t.Quantity) and right.unit == t.MINUTE:
                return t.TIME
            if op == "-" and isinstance(right, t.TimeOfDay):
                return t.MINUTES
            self.error("E-TYPE-001", f"a time of day {'plus' if op == '+' else 'minus' if op == '-' else op} "
                       f"{t.describe(right)} has no meaning", expr.span,
                       hint="add or take away minutes or hours (`18:30 + 90 minutes`), or take one "
                            "time from another (`closes(hours) - opens(hours)`)")
            return t.ERROR
        if isinstance(left, t.Date):
            if op in "+-" and isinstance(right, t.Quantity) and right.unit in (t.DAY, t.MONTH):
                return t.DATE
            if op == "-" and isinstance(right, t.Date):
                return t.DAYS
            self.error("E-TYPE-001", f"a date {'plus' if op == '+' else 'minus' if op == '-' else op} "
                       f"{t.describe(right)} has no meaning", expr.span,
                       hint="add or take away days, weeks, months or years: `start + 2 years`")
            return t.ERROR
        if not isinstance(left, t.Quantity) or not isinstance(right, t.Quantity):
            bad = expr.left if not isinstance(left, t.Quantity) else expr.right
            self.error("E-TYPE-001", f"`{op}` needs numbers or amounts, but this is "
                       f"{t.describe(left if bad is expr.left else right)}", bad.span)
            return t.ERROR
        if op in "+-":
            if left.unit != right.unit:
                span, fix = literal_fix(expr, left, right)
                self.error("E-UNIT-001", f"cannot {'add' if op == '+' else 'subtract'} "
                           f"{t.describe(right)} {'to' if op == '+' else 'from'} {t.describe(left)}",
                           span, hint=(fix + ": " if fix else "")
                           + "both sides of + and - need the same unit")
                return t.ERROR
            return t.Quantity(left.unit, left.integral and right.integral,
                              left.fraction and right.fraction)
        if op == "*":
            return t.multiply(left, right)
        return t.divide(left, right)

    def check_Compare(self, expr: n.Compare, scope, expected):
        left = self.check(expr.left, scope)
        right = self.check(expr.right, scope, left)
        if not t.comparable(left, right):
            for side, other in ((expr.right, left), (expr.left, right)):
                if self.quoted(side, other, f"cannot compare {t.describe(other)} with a quoted text"):
                    return t.BOOL
                if self.written_otherwise(side, other):
                    return t.BOOL
            code = "E-UNIT-001" if isinstance(left, t.Quantity) and isinstance(right, t.Quantity) \
                else "E-TYPE-002"
            span, fix = literal_fix(expr, left, right) if code == "E-UNIT-001" else (expr.span, None)
            self.error(code, f"cannot compare {t.describe(left)} with {t.describe(right)}", span,
                       hint=fix)
            return t.BOOL
        if expr.operator not in ("=", "!=") and not (t.ordered(left) and t.ordered(right)):
            self.error("E-TYPE-002", f"`{expr.operator}` needs numbers, amounts, dates or times, "
                       f"not {t.describe(left)}", expr.span, hint="use `=` or `!=` for other values")
        return t.BOOL

    def check_Logic(self, expr: n.Logic, scope, expected):
        spine = n.chain(expr)  # `a and b and c ...` in a loop, as for arithmetic
        self.expect(spine[-1].left, scope, t.BOOL, f"each side of `{expr.operator}`")
        for node in reversed(spine):
            self.expect(node.right, scope, t.BOOL, f"each side of `{expr.operator}`")
            if node is not expr:
                self.types[id(node)] = t.BOOL
        return t.BOOL

    def check_Not(self, expr, scope, expected):
        self.expect(expr.operand, scope, t.BOOL, "what `not` applies to")
        return t.BOOL

    def check_Membership(self, expr: n.Membership, scope, expected):
        element = self.check(expr.element, scope)
        collection = self.check(expr.collection, scope, t.SetOf(element) if not isinstance(
            element, t.Error) else None)
        inner = self.element_type(collection, expr.collection)
        if not t.comparable(element, inner):
            self.error("E-TYPE-002", f"{t.describe(element)} cannot be in a collection of "
                       f"{t.describe(inner)}", expr.span)
        return t.BOOL

    def element_type(self, collection: t.Type, expr) -> t.Type:
        if isinstance(collection, (t.SetOf, t.ListOf)):
            return collection.element
        if isinstance(collection, t.MapOf):
            return collection.key
        if isinstance(collection, t.Table):
            if isinstance(collection.key, t.Error):
                self.error("E-TYPE-007", f"the table `{collection.name}` has more than one key, so "
                           "it is not a collection of keys", expr.span)
            return collection.key
        if isinstance(collection, t.Error):
            return t.ERROR
        self.error("E-TYPE-007", f"{t.describe(collection)} is not a collection", expr.span,
                   hint="collections are lists, sets, maps (their keys) and one-key tables")
        return t.ERROR

    def check_Covers(self, expr: n.Covers, scope, expected):
        self.expect(expr.times, scope, t.INTERVAL, "the left of `covers`")
        self.expect(expr.required, scope, t.INTERVAL, "the right of `covers`")
        return t.BOOL

    def check_Within(self, expr: n.Within, scope, expected):
        inner = self.check(expr.inner, scope)
        if not isinstance(inner, (t.TimeOfDay, t.Interval, t.Error)):
            self.error("E-TYPE-001", f"`within` needs a time or an interval on its left, not "
                       f"{t.describe(inner)}", expr.inner.span)
        self.expect(expr.outer, scope, t.INTERVAL, "the right of `within`")
        return t.BOOL

    def check_Conditional(self, expr: n.Conditional, scope, expected):
        self.expect(expr.condition, scope, t.BOOL, "the `if` condition")
        then = self.check(expr.then, scope, expected)
        otherwise = self.check(expr.otherwise, scope, expected if not isinstance(
            then, t.Error) else None)
        joined = t.join(then, otherwise)
        if joined is None:
            code = "E-UNIT-001" if isinstance(then, t.Quantity) and isinstance(otherwise, t.Quantity) \
                else "E-TYPE-001"
            self.error(code, f"the two branches differ: {t.describe(then)} and "
                       f"{t.describe(otherwise)}", expr.span)
            return t.ERROR
        return joined

    def check_Quantified(self, expr: n.Quantified, scope, expected):
        collection = self.check(expr.collection, scope)
        element = self.element_type(collection, expr.collection)
        inner = dict(scope)
        inner[expr.variable] = element
        if expr.quantifier == "sum":
            body = self.check(expr.body, inner)
            if not isinstance(body, (t.Quantity, t.Error)):
                self.error("E-TYPE-001", f"`sum` adds numbers or amounts, not {t.describe(body)}",
                           expr.body.span)
                return t.ERROR
            return body
        self.expect(expr.body, inner, t.BOOL, f"the `{expr.quantifier}` condition")
        return t.COUNT if expr.quantifier == "count" else t.BOOL
