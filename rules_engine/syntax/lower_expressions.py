"""Lowering of expressions, literals and types: a mixin of the lowering in
`lower`, which supplies `span`, `token_span`, `error`, `text` and the source
file (`file`).

Literals are checked as they lower: a number with more digits than
`max_number_digits` (E-LIMIT-007), a date outside 1900..`max_year`
(E-LIMIT-008), a date or a time of day that does not exist (E-SYNTAX-007).
`check_depth` measures, before anything lowers, how deeply each
declaration's expressions nest (E-LIMIT-004), without recursion.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lark import Token, Tree, v_args

from rules_engine.base import limits
from rules_engine.base.source import Span
from rules_engine.syntax import nodes as n
from rules_engine.syntax import value_slips

#: The parse-tree rules that are expressions, each a level of nesting.
_EXPRESSIONS = frozenset((
    "if_expr", "quantified", "or_expr", "and_expr", "not_expr", "compare", "member", "not_member",
    "covers", "within", "add", "subtract", "multiply", "divide", "negate", "field", "index", "call",
    "set_literal"))  # names and literals are no level: `not true` nests one level deep
#: Left-associative operators: `a + b - c + ...` is a chain, one level however
#: long (later stages walk a chain in a loop), not a nesting.
_CHAINS = {"add": "sum", "subtract": "sum", "multiply": "product", "divide": "product",
           "and_expr": "and", "or_expr": "or"}
# Placeholders for a date or a time that was reported as malformed, so that
# the checks built on them (a period or an interval ending before it starts)
# stay quiet instead of reporting the same mistake twice. A file with either
# has lowering diagnostics, so no later stage sees them.
NOT_A_DATE = dt.date(1, 1, 1)
NOT_A_TIME = -1


class ExpressionLowering:
    """The rule callbacks of literals, expressions and types, and the depth check."""

    def check_depth(self, tree) -> None:
        """How deeply each declaration's expressions nest, measured without
        recursion; one E-LIMIT-004 per declaration that nests too deeply, at
        the expression where the nesting passes the limit."""
        limit = limits.current().max_expression_depth
        depth: dict[int, int] = {}
        crossing: dict[int, Tree] = {}  # id(tree) -> the first node below it past the limit
        stack: list[tuple[Tree, bool]] = [(tree, False)]
        while stack:
            node, measured = stack.pop()
            if not measured:
                stack.append((node, True))
                stack.extend((c, False) for c in reversed(node.children) if isinstance(c, Tree))
                continue
            family = _CHAINS.get(node.data)
            deepest, first = 0, None
            for index, child in enumerate(node.children):
                if not isinstance(child, Tree):
                    continue
                level = depth.pop(id(child))
                if index == 0 and family is not None and _CHAINS.get(child.data) == family:
                    level -= 1  # the chain goes on at the same level
                deepest = max(deepest, level)
                if first is None:
                    first = crossing.pop(id(child), None)
                else:
                    crossing.pop(id(child), None)
            level = deepest + (1 if node.data in _EXPRESSIONS else 0)
            depth[id(node)] = level
            if first is None and node.data in _EXPRESSIONS and level > limit:
                first = node
            if first is not None:
                crossing[id(node)] = first
            if first is not None and node.data.endswith("_decl"):
                self.error("E-LIMIT-004", f"this expression nests {level:,} levels deep, deeper "
                           f"than the limit of {limit:,}", self.span(first.meta),
                           hint="split it into definitions that each work out a part, or "
                                + limits.describe(limits.BY_NAME["max_expression_depth"]))
                del crossing[id(node)]

    def clock(self, text: str, token: Token, allow_24: bool = False) -> int:
        hours, minutes = (int(part) for part in text.split(":"))
        if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
            self.error("E-SYNTAX-007", f"`{text}` is not a time of day", self.token_span(token),
                       hint="times are written HH:MM on the 24-hour clock, 00:00 to 23:59")
            return NOT_A_TIME
        return hours * 60 + minutes
    # -- literals ------------------------------------------------------------

    def decimal(self, digits: str, span: Span) -> Decimal:
        """A number literal's value; more digits before the point than
        `max_number_digits` is E-LIMIT-007 (the value is then 0)."""
        limit = limits.current().max_number_digits
        whole = digits.partition(".")[0].lstrip("0")
        if len(whole) > limit:
            self.error("E-LIMIT-007", f"this number has {len(whole):,} digits before the point, more "
                       f"than the limit of {limit:,}", span,
                       hint="no amount, count or rate in a contract is that large; "
                            + limits.describe(limits.BY_NAME["max_number_digits"]))
            return Decimal(0)
        return Decimal(digits)

    @v_args(meta=True)
    def number(self, meta, children):
        span = self.span(meta)
        return n.Number(span, self.decimal(str(children[0]).replace("_", ""), span))

    @v_args(meta=True)
    def quantity(self, meta, children):
        value, unit = children
        span = self.span(meta)
        return n.Quantity(span, self.decimal(str(value).replace("_", ""), self.token_span(value)),
                          str(unit))

    @v_args(meta=True)
    def money(self, meta, children):
        raw = str(children[0]).lstrip("£").strip().replace(",", "")
        span = self.span(meta)
        return n.Money(span, self.decimal(raw, span))

    @v_args(meta=True)
    def percent(self, meta, children):
        span = self.span(meta)
        return n.Percent(span, self.decimal(str(children[0])[:-1], span) / 100)

    @v_args(meta=True)
    def date(self, meta, children):
        return n.DateLiteral(self.span(meta), self.date_value(children[0]))

    def date_value(self, token):
        """A date literal's value, or `NOT_A_DATE` when it is refused: a year
        outside 1900..`max_year` (E-LIMIT-008) or no real date (E-SYNTAX-007)."""
        latest = limits.current().max_year
        year = int(str(token)[:4])
        if not limits.EARLIEST_YEAR <= year <= latest:
            self.error("E-LIMIT-008", f"`{token}` is outside the dates a rule file may give "
                       f"({limits.EARLIEST_YEAR} to {latest})", self.token_span(token),
                       hint="check the year; " + limits.describe(limits.BY_NAME["max_year"]))
            return NOT_A_DATE
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            why, nearest = value_slips.date_problem(str(token)) or ("no such day", None)
            self.error("E-SYNTAX-007", f"`{token}` is not a real date: {why}",
                       self.token_span(token), hint=value_slips.date_hint(nearest))
            return NOT_A_DATE

    @v_args(meta=True)
    def time(self, meta, children):
        token = children[0]
        return n.TimeLiteral(self.span(meta), self.clock(str(token), token))

    @v_args(meta=True)
    def interval(self, meta, children):
        token = children[0]
        first, second = str(token).split("-")
        start, end = self.clock(first, token), self.clock(second, token, allow_24=True)
        if end <= start and NOT_A_TIME not in (start, end):  # a bad time is reported once
            self.error("E-SYNTAX-007", f"the interval `{token}` ends before it starts",
                       self.token_span(token), hint="write the earlier time first: 08:00-18:30")
        return n.IntervalLiteral(self.span(meta), start, end)

    @v_args(meta=True)
    def string(self, meta, children):
        return n.Text(self.span(meta), self.text(children[0]))

    @v_args(meta=True)
    def true(self, meta, children):
        return n.Boolean(self.span(meta), True)

    @v_args(meta=True)
    def false(self, meta, children):
        return n.Boolean(self.span(meta), False)

    # -- expressions ---------------------------------------------------------

    @v_args(meta=True)
    def name(self, meta, children):
        return n.Name(self.span(meta), str(children[0]))

    @v_args(meta=True)
    def field(self, meta, children):
        return n.Field(self.span(meta), children[0], str(children[1]))

    @v_args(meta=True)
    def index(self, meta, children):
        return n.Index(self.span(meta), children[0], tuple(children[1]))

    @v_args(meta=True)
    def call(self, meta, children):
        arguments = tuple(children[1]) if len(children) > 1 else ()
        return n.Call(self.span(meta), str(children[0]), arguments)

    def expr_list(self, children):
        return list(children)

    @v_args(meta=True)
    def set_literal(self, meta, children):
        return n.SetLiteral(self.span(meta), tuple(children[0]) if children else ())

    @v_args(meta=True)
    def negate(self, meta, children):
        return n.Negate(self.span(meta), children[0])

    def _arithmetic(operator):  # noqa: N805 - builds rule callbacks
        @v_args(meta=True)
        def build(self, meta, children):
            return n.Arithmetic(self.span(meta), operator, children[0], children[1])
        return build

    add = _arithmetic("+")
    subtract = _arithmetic("-")
    multiply = _arithmetic("*")
    divide = _arithmetic("/")

    @v_args(meta=True)
    def compare(self, meta, children):
        left, operator, right = children
        return n.Compare(self.span(meta), str(operator.children[0]), left, right)

    @v_args(meta=True)
    def and_expr(self, meta, children):
        return n.Logic(self.span(meta), "and", children[0], children[1])

    @v_args(meta=True)
    def or_expr(self, meta, children):
        return n.Logic(self.span(meta), "or", children[0], children[1])

    @v_args(meta=True)
    def not_expr(self, meta, children):
        return n.Not(self.span(meta), children[0])

    @v_args(meta=True)
    def member(self, meta, children):
        return n.Membership(self.span(meta), children[0], children[1], False)

    @v_args(meta=True)
    def not_member(self, meta, children):
        return n.Membership(self.span(meta), children[0], children[1], True)

    @v_args(meta=True)
    def covers(self, meta, children):
        return n.Covers(self.span(meta), children[0], children[1])

    @v_args(meta=True)
    def within(self, meta, children):
        return n.Within(self.span(meta), children[0], children[1])

    @v_args(meta=True)
    def if_expr(self, meta, children):
        return n.Conditional(self.span(meta), *children)

    @v_args(meta=True)
    def quantified(self, meta, children):
        quantifier, variable, collection, body = children
        return n.Quantified(self.span(meta), str(quantifier.children[0]), str(variable),
                            collection, body)

    # -- types ---------------------------------------------------------------

    @v_args(meta=True)
    def named_type(self, meta, children):
        return n.NamedType(self.span(meta), str(children[0]), tuple(str(c) for c in children[1:]))

    def per(self, children):
        return children[0]

    @v_args(meta=True)
    def list_type(self, meta, children):
        return n.ListType(self.span(meta), children[0])

    @v_args(meta=True)
    def set_type(self, meta, children):
        return n.SetType(self.span(meta), children[0])
