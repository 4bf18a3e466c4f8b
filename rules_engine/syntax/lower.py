"""Lower a Lark parse tree to typed nodes (`nodes.LayerFile`).

Input: a `SourceFile` and its `parser.Parsed`. Output: `Lowered(layer, diagnostics,
partial)`; `layer` is None when the file has errors, `partial` holds what lowered.
Diagnostics: E-SYNTAX-004 (clause not allowed here), E-SYNTAX-005 (clause
given twice), E-SYNTAX-006 (a needed clause is missing), E-SYNTAX-007
(malformed literal), E-SYNTAX-008 (a national-only declaration in a local
layer, or the reverse), E-LIMIT-004 (an expression nested deeper than
`max_expression_depth`), E-LIMIT-007 (a number with more digits than
`max_number_digits`), E-LIMIT-008 (a date outside 1900..`max_year`).

Besides the parser, this is the only module that imports Lark. Clauses, which
the grammar accepts in any order, become named fields here, so that later
stages read `requirement.must`, not a list of clauses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs
from lark import Token, Transformer, Tree, v_args

from rules_engine.base import limits, recursion
from rules_engine.syntax import slips
from rules_engine.syntax import nodes as n
from rules_engine.base.diagnostics import Diagnostic
from rules_engine.syntax.lower_envelopes import EnvelopeLowering
from rules_engine.syntax.parser import Parsed, parse
from rules_engine.base.source import SourceFile, Span


@attrs.frozen
class Lowered:
    layer: n.LayerFile | None
    diagnostics: tuple[Diagnostic, ...]
    partial: n.LayerFile | None = None  # what lowered despite errors (a half-typed file's other declarations)


@attrs.frozen
class _Clause:
    """A clause before it is sorted into its declaration's fields."""

    kind: str
    span: Span
    value: object


_FLEX_KINDS = ("locked", "flexible", "waivable", "replaceable", "extensible")

#: Which clauses each declaration accepts, and which it may repeat.
_ALLOWED = {
    "enum": {"ref", "provisional", "note"},
    "fact": {"required", "note", "ref"},
    "parameter": {"ref", "locked", "flexible", "provisional", "dated_value", "effective", "note"},
    "table": {"ref", "locked", "extensible", "provisional", "row_provisional", "columns", "row",
              "effective", "note"},
    "define": {"ref", "report", "provisional", "effective", "note", "rounded"},
    "requirement": {"for", "where", "must", "unless", "severity", "ref", "locked", "waivable",
                    "replaceable", "provisional", "effective", "warn", "note"},
    "local requirement": {"for", "where", "must", "unless", "severity", "ref", "provisional",
                          "effective", "warn", "note", "because"},
    "vary": {"because", "note"},
    "waive": {"for", "where", "because", "note"},
    "add row": {"because", "note"},
    "retire": {"because", "note"},
    "replace value": {"because", "note"},
    "allow": {"ref", "provisional", "note"},
}
_REPEATABLE = {"dated_value", "row", "warn", "note", "row_provisional"}

#: The parse-tree rules that are expressions, each a level of nesting.
_EXPRESSIONS = frozenset((
    "if_expr", "quantified", "or_expr", "and_expr", "not_expr", "compare", "member", "not_member",
    "covers", "within", "add", "subtract", "multiply", "divide", "negate", "field", "index", "call",
    "set_literal"))  # names and literals are no level: `not true` nests one level deep
#: Left-associative operators: `a + b - c + ...` is a chain, one level however
#: long (later stages walk a chain in a loop), not a nesting.
_CHAINS = {"add": "sum", "subtract": "sum", "multiply": "product", "divide": "product",
           "and_expr": "and", "or_expr": "or"}
_SEVERITIES = ("error", "warning")
#: `rounded to WORD [MODE]`: the decimal places each word keeps, and the modes.
_ROUNDING_PLACES = {"penny": 2, "pence": 2, "pound": 0, "pounds": 0}
_ROUNDING_MODES = {"half up": "half_up", "half even": "half_even", "down": "down"}
# Placeholders for a date or a time that was reported as malformed, so that
# the checks built on them (a period or an interval ending before it starts)
# stay quiet instead of reporting the same mistake twice. A file with either
# has lowering diagnostics, so no later stage sees them.
_NOT_A_DATE = dt.date(1, 1, 1)
_NOT_A_TIME = -1


class _Lowering(EnvelopeLowering, Transformer):
    """Bottom-up: every rule method returns a node or a `_Clause`."""

    def __init__(self, source: SourceFile):
        super().__init__(visit_tokens=False)
        self.file = source
        self.diagnostics: list[Diagnostic] = []

    def transform(self, tree):
        """Bottom-up, like Lark's `Transformer.transform`, but with an explicit
        stack: a tree of any depth lowers without recursion. Expressions
        nested deeper than `max_expression_depth` are reported first (E-LIMIT-004)."""
        self.check_depth(tree)
        results: list = []
        stack: list[tuple[object, bool]] = [(tree, False)]
        while stack:
            node, built = stack.pop()
            if not isinstance(node, Tree):
                results.append(node)
            elif built:
                count = len(node.children)
                children = results[len(results) - count:]
                del results[len(results) - count:]
                results.append(self._call_userfunc(node, children))
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
        return results[0]

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

    # -- helpers -------------------------------------------------------------

    def span(self, meta) -> Span:
        return self.file.span(meta.start_pos, meta.end_pos)

    def token_span(self, token: Token) -> Span:
        return self.file.span(token.start_pos, token.end_pos)

    def error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint=hint))

    @staticmethod
    def text(token: Token) -> str:
        raw = str(token)[1:-1]
        return raw.replace('\\"', '"').replace("\\\\", "\\")

    def clock(self, text: str, token: Token, allow_24: bool = False) -> int:
        hours, minutes = (int(part) for part in text.split(":"))
        if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
            self.error("E-SYNTAX-007", f"`{text}` is not a time of day", self.token_span(token),
                       hint="times are written HH:MM on the 24-hour clock, 00:00 to 23:59")
            return _NOT_A_TIME
        return hours * 60 + minutes

    def sort_clauses(self, kind: str, clauses) -> dict:
        """Clauses by kind (repeatable kinds as lists); reports misplaced ones."""
        allowed = _ALLOWED[kind]
        found: dict[str, object] = {}
        flexibility: list[n.Flexibility] = []
        for clause in clauses:
            if clause.kind not in allowed:
                self.error("E-SYNTAX-004", f"a {kind} cannot have a `{clause.kind}` clause",
                           clause.span, hint=f"a {kind} takes: " + ", ".join(
                               f"`{k}`" for k in sorted(allowed)))
                continue
            if clause.kind in _FLEX_KINDS:
                if any(f.kind == clause.kind for f in flexibility):
                    self.error("E-SYNTAX-005", f"`{clause.kind}` is given twice", clause.span)
                flexibility.append(clause.value)
                continue
            if clause.kind in _REPEATABLE:
                found.setdefault(clause.kind, []).append(clause.value)
            elif clause.kind in found:
                self.error("E-SYNTAX-005", f"the `{clause.kind}` clause is given twice", clause.span)
            else:
                found[clause.kind] = clause.value
        if any(f.kind == "locked" for f in flexibility) and len(flexibility) > 1:
            self.error("E-SYNTAX-005", "a term cannot be both `locked` and flexible",
                       flexibility[0].span)
        found["flexibility"] = tuple(flexibility)
        return found

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
        """A date literal's value, or `_NOT_A_DATE` when it is refused: a year
        outside 1900..`max_year` (E-LIMIT-008) or no real date (E-SYNTAX-007)."""
        latest = limits.current().max_year
        year = int(str(token)[:4])
        if not limits.EARLIEST_YEAR <= year <= latest:
            self.error("E-LIMIT-008", f"`{token}` is outside the dates a rule file may give "
                       f"({limits.EARLIEST_YEAR} to {latest})", self.token_span(token),
                       hint="check the year; " + limits.describe(limits.BY_NAME["max_year"]))
            return _NOT_A_DATE
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            why, nearest = slips.date_problem(str(token)) or ("no such day", None)
            self.error("E-SYNTAX-007", f"`{token}` is not a real date: {why}",
                       self.token_span(token), hint=slips.date_hint(nearest))
            return _NOT_A_DATE

    @v_args(meta=True)
    def time(self, meta, children):
        token = children[0]
        return n.TimeLiteral(self.span(meta), self.clock(str(token), token))

    @v_args(meta=True)
    def interval(self, meta, children):
        token = children[0]
        first, second = str(token).split("-")
        start, end = self.clock(first, token), self.clock(second, token, allow_24=True)
        if end <= start and _NOT_A_TIME not in (start, end):  # a bad time is reported once
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

    # -- clauses -------------------------------------------------------------

    @v_args(meta=True)
    def period(self, meta, children):
        start = self.date_value(children[0])
        end = self.date_value(children[1]) if len(children) > 1 else None
        span = self.span(meta)
        if end is not None and end < start and _NOT_A_DATE not in (start, end):  # reported once
            self.error("E-SYNTAX-007", f"the period ends ({end}) before it starts ({start})", span)
        return n.Period(span, start, end)

    def name_list(self, children):
        return tuple(str(c) for c in children)

    @v_args(meta=True)
    def scope(self, meta, children):
        each = bool(children) and isinstance(children[0], Token) and children[0].type == "EACH"
        rest = [c for c in children if not (isinstance(c, Token) and c.type == "EACH")]
        subject = str(rest[0])
        key_variable = str(rest[1]) if len(rest) > 1 else None
        key_collection = rest[2] if len(rest) > 2 else None
        return n.Scope(self.span(meta), subject, each, key_variable, key_collection)

    def _clause(kind, build=lambda self, span, children: children[0] if children else None):  # noqa: N805
        @v_args(meta=True)
        def make(self, meta, children):
            span = self.span(meta)
            return _Clause(kind, span, build(self, span, children))
        return make

    ref_clause = _clause("ref", lambda self, span, c: n.Reference(span, self.text(c[0])))
    for_clause = _clause("for")
    where_clause = _clause("where")
    must_clause = _clause("must")
    unless_clause = _clause("unless")
    severity_clause = _clause("severity", lambda self, span, c: (str(c[0]), span))
    effective_clause = _clause("effective")
    flexible_clause = _clause("flexible", lambda self, span, c: n.Flexibility(
        span, "flexible", c[0] if c else None))
    locked_clause = _clause("locked", lambda self, span, c: n.Flexibility(span, "locked"))
    waivable_clause = _clause("waivable", lambda self, span, c: n.Flexibility(span, "waivable"))
    replaceable_clause = _clause("replaceable", lambda self, span, c: n.Flexibility(span, "replaceable"))
    extensible_clause = _clause("extensible", lambda self, span, c: n.Flexibility(span, "extensible"))
    provisional_clause = _clause("provisional", lambda self, span, c: n.Provisional(
        span, self.text(c[0]) if c else "not confirmed by the sources"))
    row_provisional_clause = _clause("row_provisional", lambda self, span, c: n.RowProvisional(
        span, self.text(c[0]), next((x for x in c[1:] if isinstance(x, tuple)), ()),
        next((x for x in c[1:] if isinstance(x, n.Period)), None)))

    def row_keys(self, children):
        return tuple(children)

    def row_key(self, children):
        token = children[0]
        return self.text(token) if token.type == "STRING" else str(token)

    because_clause = _clause("because", lambda self, span, c: n.Because(span, self.text(c[0])))
    report_clause = _clause("report", lambda self, span, c: n.Report(
        span, str(c[0]), self.text(c[1]) if len(c) > 1 else None))
    def assumed_value(self, children):
        return children[0]

    dated_value_clause = _clause("dated_value", lambda self, span, c: n.DatedValue(span, c[0], c[1]))
    # `from DATE to DATE = unknown`: the contract has a figure the library lacks
    dated_unknown_clause = _clause("dated_value", lambda self, span, c: n.DatedValue(
        span, c[0], n.UnknownFigure(span)))
    required_clause = _clause("required", lambda self, span, c: True)
    warn_clause = _clause("warn", lambda self, span, c: n.Warning_(span, self.text(c[0]), c[1]))
    columns_clause = _clause("columns", lambda self, span, c: tuple(c))
    row_clause = _clause("row")
    note_clause = _clause("note", lambda self, span, c: self.text(c[0]))

    @v_args(meta=True)
    def rounded_clause(self, meta, children):
        span = self.span(meta)
        place, *mode_words = (str(c) for c in children)
        places = _ROUNDING_PLACES.get(place)
        mode = _ROUNDING_MODES.get(" ".join(mode_words) if mode_words else "half up")
        if places is None or mode is None:
            self.error("E-SYNTAX-030", "unknown rounding `rounded to " + " ".join(
                [place, *mode_words]) + "`", span,
                hint="say `rounded to penny` or `rounded to pound`, optionally followed by "
                     "`half up` (the default), `half even` or `down`")
            places, mode = 2, "half_up"
        return _Clause("rounded", span, n.Rounding(span, places, mode))

    @v_args(meta=True)
    def between(self, meta, children):
        return n.Bound(self.span(meta), "between", children[0], children[1])

    @v_args(meta=True)
    def at_least(self, meta, children):
        return n.Bound(self.span(meta), "at_least", children[0], None)

    @v_args(meta=True)
    def at_most(self, meta, children):
        return n.Bound(self.span(meta), "at_most", None, children[0])

    @v_args(meta=True)
    def typed_column(self, meta, children):
        return n.Column(self.span(meta), str(children[0]), children[1])

    @v_args(meta=True)
    def from_column(self, meta, children):  # the dated rows' columns
        return n.Column(self.span(meta), "from", None)
    to_column = v_args(meta=True)(lambda self, meta, children: n.Column(self.span(meta), "to", None))

    @v_args(meta=True)
    def row(self, meta, children):
        return n.Row(self.span(meta), tuple(children))

    def cell(self, children):
        return children[0] if children else None

    @v_args(meta=True)
    def name_cell(self, meta, children):
        return n.Name(self.span(meta), str(children[0]))

    # -- headers -------------------------------------------------------------

    def version(self, children):
        return ("version", self.text(children[0]))

    def effective(self, children):
        return ("effective", children[0])

    def source(self, children):
        return ("source", self.text(children[0]))

    @v_args(meta=True)
    def carries(self, meta, children):
        return ("carries", (children[0], self.span(meta)))

    @v_args(meta=True)
    def header_provisional(self, meta, children):
        return ("provisional", n.Provisional(self.span(meta), self.text(children[0])))

    @v_args(meta=True)
    def national_header(self, meta, children):
        name, title, *rest = children
        extra = dict(rest)
        return n.NationalHeader(self.span(meta), str(name), self.text(title),
                                extra.get("version"), extra.get("effective"), extra.get("source"),
                                carries=tuple(extra["carries"][0]) if "carries" in extra else (),
                                provisional=extra.get("provisional"),
                                carries_span=extra["carries"][1] if "carries" in extra else None)

    @v_args(meta=True)
    def flexibility_header(self, meta, children):
        name, title, *rest = children
        extra = dict(rest)
        return n.NationalHeader(self.span(meta), str(name), self.text(title), None,
                                extra.get("effective"), extra.get("source"), "flexibility")

    @v_args(meta=True)
    def local_header(self, meta, children):
        name, title, icb, extends, *rest = children
        extra = dict(rest)
        return n.LocalHeader(self.span(meta), str(name), self.text(title), str(icb), extends,
                             extra.get("effective"), extra.get("source"))

    # -- declarations --------------------------------------------------------

    @v_args(meta=True)
    def enum_decl(self, meta, children):
        name, members, *clauses = children
        found = self.sort_clauses("enum", clauses)
        return n.EnumDecl(self.span(meta), str(name), members, found.get("ref"),
                          found.get("provisional"))

    @v_args(meta=True)
    def field_segment(self, meta, children):
        return n.FactSegment(self.span(meta), str(children[0]), "field")

    @v_args(meta=True)
    def list_segment(self, meta, children):
        return n.FactSegment(self.span(meta), str(children[0]), "list")

    @v_args(meta=True)
    def map_segment(self, meta, children):
        return n.FactSegment(self.span(meta), str(children[0]), "map", children[1])

    def fact_path(self, children):
        return tuple(children)

    @v_args(meta=True)
    def fact_decl(self, meta, children):
        path, type_, *clauses = children
        found = self.sort_clauses("fact", clauses)
        notes = found.get("note") or []
        return n.FactDecl(self.span(meta), path, type_, bool(found.get("required")),
                          notes[0] if notes else None)

    def dotted_name(self, children):
        return tuple(str(c) for c in children)

    def keyed_by(self, children):
        return ("keyed_by", str(children[0]))

    def numbered_within(self, children):
        return ("numbered_within", str(children[0]))

    @v_args(meta=True)
    def subject_decl(self, meta, children):
        name = str(children[0])
        each = any(isinstance(c, Token) and c.type == "EACH" for c in children)
        path = next(c for c in children if isinstance(c, tuple) and all(isinstance(p, str) for p in c)
                    and not (len(c) == 2 and c[0] in ("keyed_by", "numbered_within")))
        how, target = children[-1]
        return n.SubjectDecl(self.span(meta), name, each, path,
                             target if how == "keyed_by" else None,
                             target if how == "numbered_within" else None)

    @v_args(meta=True)
    def parameter_decl(self, meta, children):
        name = str(children[0])
        rest = list(children[1:])
        title = self.text(rest.pop(0)) if isinstance(rest[0], Token) else None
        type_ = rest.pop(0)
        value = rest.pop(0) if rest and not isinstance(rest[0], _Clause) else None
        span = self.span(meta)
        found = self.sort_clauses("parameter", rest)
        dated = tuple(found.get("dated_value") or ())
        if value is None and not dated:
            self.error("E-SYNTAX-006", f"parameter `{name}` has no value", span,
                       hint="give one with `= VALUE` after the type, or dated values with "
                            "`from 2025-04-01 = VALUE`")
        if value is not None and dated:
            self.error("E-SYNTAX-004", f"parameter `{name}` has both a value and dated values",
                       dated[0].span, hint="use either `= VALUE` or `from DATE = VALUE` lines")
        return n.ParameterDecl(span, name, title, type_, value, dated, found.get("ref"),
                               found["flexibility"], found.get("provisional"),
                               found.get("effective"))

    @v_args(meta=True)
    def table_decl(self, meta, children):
        name, keys, *rest = children
        title = self.text(rest.pop(0)) if rest and isinstance(rest[0], Token) else None
        span = self.span(meta)
        found = self.sort_clauses("table", rest)
        if "columns" not in found:
            self.error("E-SYNTAX-006", f"table `{name}` has no `columns` line", span,
                       hint="name its columns: `columns role: arrs_role | amount: money`")
        return n.TableDecl(span, str(name), keys, title, found.get("columns", ()),
                           tuple(found.get("row") or ()), found.get("ref"), found["flexibility"],
                           found.get("provisional"), found.get("effective"),
                           tuple(found.get("row_provisional") or ()))

    @v_args(meta=True)
    def define_decl(self, meta, children):
        name = str(children[0])
        rest = list(children[1:])
        scope = rest.pop(0) if isinstance(rest[0], n.Scope) else None
        type_, body, *clauses = rest
        span = self.span(meta)
        found = self.sort_clauses("define", clauses)
        return n.DefineDecl(span, name, scope, type_, body, found.get("report"), found.get("ref"),
                            found.get("provisional"), found.get("effective"),
                            found.get("rounded"))

    def _requirement(self, meta, children, kind: str) -> n.RequirementDecl:
        rid = str(children[0])
        rest = list(children[1:])
        title = self.text(rest.pop(0)) if rest and isinstance(rest[0], Token) else None
        span = self.span(meta)
        found = self.sort_clauses(kind, rest)
        if "must" not in found:
            self.error("E-SYNTAX-006", f"requirement `{rid}` has no `must` clause", span,
                       hint="say what must hold: `must pcn.network_agreement_signed`")
        severity = "error"
        if "severity" in found:
            severity, severity_span = found["severity"]
            if severity not in _SEVERITIES:
                self.error("E-SYNTAX-007", f"unknown severity `{severity}`", severity_span,
                           hint="severity is `error` or `warning`")
                severity = "error"
        return n.RequirementDecl(span, rid, title, found.get("for"), found.get("where"),
                                 found.get("must"), found.get("unless"), severity,
                                 found.get("ref"), found["flexibility"], found.get("provisional"),
                                 found.get("effective"), tuple(found.get("warn") or ()),
                                 found.get("because"))

    @v_args(meta=True)
    def requirement_decl(self, meta, children):
        return self._requirement(meta, children, "requirement")

    @v_args(meta=True)
    def vary_decl(self, meta, children):
        name, value, *clauses = children
        span = self.span(meta)
        found = self.sort_clauses("vary", clauses)
        return n.VaryDecl(span, str(name), self.token_span(name), value, found.get("because"))

    @v_args(meta=True)
    def waive_decl(self, meta, children):
        rid, *clauses = children
        span = self.span(meta)
        found = self.sort_clauses("waive", clauses)
        return n.WaiveDecl(span, str(rid), self.token_span(rid), found.get("for"),
                           found.get("where"), found.get("because"))

    @v_args(meta=True)
    def replace_decl(self, meta, children):
        requirement = self._requirement(meta, children, "local requirement")
        return n.ReplaceDecl(self.span(meta), self.token_span(children[0]), requirement)

    @v_args(meta=True)
    def add_requirement_decl(self, meta, children):
        return n.AddRequirementDecl(self.span(meta),
                                    self._requirement(meta, children, "local requirement"))

    @v_args(meta=True)
    def add_row_decl(self, meta, children):
        table, row, *clauses = children
        span = self.span(meta)
        found = self.sort_clauses("add row", clauses)
        return n.AddRowDecl(span, str(table), self.token_span(table), row, found.get("because"))

    @v_args(meta=True)
    def retire_decl(self, meta, children):
        table, *rest = children
        keys = tuple(c for c in rest if not isinstance(c, _Clause))
        found = self.sort_clauses("retire", [c for c in rest if isinstance(c, _Clause)])
        return n.RetireDecl(self.span(meta), str(table), self.token_span(table), keys,
                            found.get("because"))

    @v_args(meta=True)
    def replace_value_decl(self, meta, children):
        name, value, *clauses = children
        found = self.sort_clauses("replace value", clauses)
        return n.ReplaceValueDecl(self.span(meta), str(name), self.token_span(name), value,
                                  found.get("because"))

    # -- file ----------------------------------------------------------------

    @v_args(meta=True)
    def start(self, meta, children):
        return children

    @v_args(meta=True)
    def fragment(self, meta, children):
        return children


_NATIONAL_ONLY = (n.EnumDecl, n.FactDecl, n.SubjectDecl, n.ParameterDecl, n.TableDecl,
                  n.DefineDecl, n.RequirementDecl)
_LOCAL_ONLY = (n.VaryDecl, n.WaiveDecl, n.ReplaceDecl, n.AddRequirementDecl, n.AddRowDecl,
               n.RetireDecl, n.ReplaceValueDecl)
#: Local layers may declare new facts, enumerations, parameters, tables and
#: definitions for their own added requirements; they cannot declare national
#: requirements (they `add` them).
_LOCAL_MAY_DECLARE = (n.EnumDecl, n.FactDecl, n.ParameterDecl, n.TableDecl, n.DefineDecl)


def _check_placement(header: n.Header, declarations, diagnostics: list[Diagnostic]) -> None:
    local = isinstance(header, n.LocalHeader)
    envelope = isinstance(header, n.NationalHeader) and header.is_envelope
    for decl in declarations:
        if envelope != isinstance(decl, n.AllowDecl):
            diagnostics.append(Diagnostic(
                "E-SYNTAX-008",
                f"a flexibility envelope holds only `allow` permissions, not a {_kind(decl)}"
                if envelope else "`allow` belongs in a flexibility envelope",
                decl.span, hint='an envelope starts `national flexibility NAME "Title" effective FROM to TO`'
                " and lists `allow ...` permissions; contracts and local layers do not"))
            continue
        if local and isinstance(decl, _NATIONAL_ONLY) and not isinstance(decl, _LOCAL_MAY_DECLARE):
            hint = ("a local layer adds a requirement with `add requirement ID ...`"
                    if isinstance(decl, n.RequirementDecl) else None)
            diagnostics.append(Diagnostic(
                "E-SYNTAX-008", f"a local layer cannot declare a {_kind(decl)}", decl.span,
                hint=hint))
        if not local and isinstance(decl, _LOCAL_ONLY):
            diagnostics.append(Diagnostic(
                "E-SYNTAX-008", f"`{_kind(decl)}` belongs in a local layer, not a national contract",
                decl.span, hint="variations are written in a file that starts "
                                '`local layer NAME "Title" for icb CODE extends CONTRACT`'))


def _kind(decl) -> str:
    return {n.RequirementDecl: "requirement", n.SubjectDecl: "subject", n.VaryDecl: "vary",
            n.WaiveDecl: "waive", n.ReplaceDecl: "replace", n.AddRequirementDecl: "add requirement",
            n.AddRowDecl: "add row", n.RetireDecl: "retire", n.ReplaceValueDecl: "replace value",
            n.AllowDecl: "allow"}.get(type(decl), type(decl).__name__)


def lower_value(source: SourceFile, parsed: Parsed) -> tuple[n.Expr | None, tuple[Diagnostic, ...]]:
    """The literal node of a parsed assumed figure (`parser.parse_value`), and
    what lowering found wrong with it (a malformed date, too many digits)."""
    lowering = _Lowering(source)
    node = lowering.transform(parsed.tree)
    return (node if not lowering.diagnostics else None), tuple(lowering.diagnostics)


def lower(source: SourceFile, parsed: Parsed | None = None) -> Lowered:
    """Parse (unless given the parse) and lower one rule file."""
    parsed = parsed if parsed is not None else parse(source)
    recursion.ensure()
    lowering = _Lowering(source)
    diagnostics = list(parsed.diagnostics)
    comments = tuple(n.Comment(span, text) for span, text in parsed.comments)
    span = source.span(0, len(source.text))
    if parsed.tree is None:  # still lower (and report on) the pieces that parsed
        items = [item for fragment in parsed.fragments for item in lowering.transform(fragment)]
        header = next((i for i in items if isinstance(i, (n.NationalHeader, n.LocalHeader))), None)
        partial = n.LayerFile(span, header, tuple(i for i in items if i is not header), comments) \
            if header is not None else None
        return Lowered(None, tuple(diagnostics + lowering.diagnostics), partial)
    items = lowering.transform(parsed.tree)
    header, declarations = items[0], tuple(items[1:])
    diagnostics += lowering.diagnostics
    _check_placement(header, declarations, diagnostics)
    layer = n.LayerFile(span, header, declarations, comments)
    return Lowered(layer if not diagnostics else None, tuple(diagnostics), layer)
