"""The typed syntax tree of a rule file: frozen attrs classes, span first.

Produced by `lower.py` from the Lark tree; read by every later stage, which
never sees Lark. Nodes are immutable: facts a later stage infers (types,
resolved names) live in side tables keyed by node identity, not in fields.
Sequences are tuples. Field names use the contract's words.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Union

import attrs

from rules_engine.base.source import Span

node = attrs.frozen(eq=False)  # identity equality: nodes are keys of side tables


# ------------------------------------------------------------------ expressions

@node
class Number:
    span: Span
    value: Decimal


@node
class Quantity:
    """A number with a unit word: `60 minutes`, `2 years`, `19 points`."""

    span: Span
    value: Decimal
    unit: str


@node
class Money:
    span: Span
    value: Decimal


@node
class Percent:
    """`4.75%`, held as the fraction 0.0475."""

    span: Span
    value: Decimal


@node
class DateLiteral:
    span: Span
    value: dt.date


@node
class TimeLiteral:
    span: Span
    minutes: int  # minutes after midnight


@node
class IntervalLiteral:
    span: Span
    start: int  # minutes after midnight
    end: int


@node
class Text:
    span: Span
    value: str


@node
class Boolean:
    span: Span
    value: bool


@node
class Name:
    span: Span
    name: str


@node
class Field:
    span: Span
    record: "Expr"
    name: str


@node
class Index:
    """`map[key]`, or a table look-up `table[key, key]`."""

    span: Span
    collection: "Expr"
    keys: tuple["Expr", ...]


@node
class Call:
    span: Span
    function: str
    arguments: tuple["Expr", ...]


@node
class SetLiteral:
    span: Span
    items: tuple["Expr", ...]


@node
class Negate:
    span: Span
    operand: "Expr"


@node
class Arithmetic:
    span: Span
    operator: str  # + - * /
    left: "Expr"
    right: "Expr"


@node
class Compare:
    span: Span
    operator: str  # = != < <= > >=
    left: "Expr"
    right: "Expr"


@node
class Logic:
    span: Span
    operator: str  # and, or
    left: "Expr"
    right: "Expr"


@node
class Not:
    span: Span
    operand: "Expr"


@node
class Membership:
    span: Span
    element: "Expr"
    collection: "Expr"
    negated: bool


@node
class Covers:
    """`interval covers interval`: the left times include all of the right."""

    span: Span
    times: "Expr"
    required: "Expr"


@node
class Within:
    """`time within interval` or `interval within interval`."""

    span: Span
    inner: "Expr"
    outer: "Expr"


@node
class Conditional:
    span: Span
    condition: "Expr"
    then: "Expr"
    otherwise: "Expr"


@node
class Quantified:
    """`every x in c: e`, `any ...`, `count ...` (how many hold), `sum ...`."""

    span: Span
    quantifier: str
    variable: str
    collection: "Expr"
    body: "Expr"


Literal = Union[Number, Quantity, Money, Percent, DateLiteral, TimeLiteral,
                IntervalLiteral, Text, Boolean]
Expr = Union[Literal, Name, Field, Index, Call, SetLiteral, Negate, Arithmetic,
             Compare, Logic, Not, Membership, Covers, Within, Conditional, Quantified]


# ------------------------------------------------------------------------ types

@node
class NamedType:
    """`count`, `money per patient`, `region` (an enumeration)."""

    span: Span
    name: str
    per: tuple[str, ...] = ()


@node
class ListType:
    span: Span
    element: "TypeExpr"


@node
class SetType:
    span: Span
    element: "TypeExpr"


TypeExpr = Union[NamedType, ListType, SetType]


# ---------------------------------------------------------------------- clauses

@node
class Period:
    """From `start` to `end` inclusive; `end` None means open-ended."""

    span: Span
    start: dt.date
    end: dt.date | None

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: "Period") -> bool:
        return ((other.end is None or self.start <= other.end)
                and (self.end is None or other.start <= self.end))

    def describe(self) -> str:
        return f"{self.start} to {self.end}" if self.end else f"from {self.start}"


@node
class Scope:
    """`for pcn`, `for each practice`, `for each practice, each code in e`."""

    span: Span
    subject: str
    each: bool
    key_variable: str | None = None
    key_collection: Expr | None = None


@node
class Bound:
    """How far a flexible parameter may be varied."""

    span: Span
    kind: str  # between | at_least | at_most
    low: Literal | None
    high: Literal | None


@node
class Flexibility:
    """What a national term lets a local layer do to it."""

    span: Span
    kind: str  # locked | flexible | waivable | replaceable | extensible
    bound: Bound | None = None


@node
class Provisional:
    """A term resting on a fact the sources do not confirm ([?] or [T])."""

    span: Span
    reason: str


@node
class Because:
    span: Span
    reason: str


@node
class Reference:
    span: Span
    text: str


@node
class Report:
    """`report qof.points.{code} "title"`: publish a definition as a value."""

    span: Span
    id: str
    title: str | None


@node
class UnknownFigure:
    """`from 2025-04-01 to 2026-03-31 = unknown`: the contract has a figure for
    those dates that the library does not (not found in the sources). Results
    that read it are unknown unless the user states an assumption for it
    (`--assume NAME=VALUE`, see `rules_engine.program.assumptions`)."""

    span: Span


@node
class Rounding:
    """`rounded to penny [half up | half even | down]`: how a payment is rounded.

    `places` is the number of decimal places kept (2: pence, 0: whole
    pounds); `mode` is `half_up` (the default, as `round`), `half_even` or
    `down` (towards zero)."""

    span: Span
    places: int
    mode: str

    @property
    def describe(self) -> str:
        unit = "the penny" if self.places == 2 else "the pound"
        return f"to {unit}, {self.mode.replace('_', ' ')}"


@node
class DatedValue:
    span: Span
    period: Period
    value: "Expr | UnknownFigure"


@node
class Warning_:
    span: Span
    message: str
    condition: Expr


@node
class Column:
    span: Span
    name: str  # `from` and `to` name the dated-row columns
    type: TypeExpr | None


@node
class Row:
    span: Span
    cells: tuple[Literal | Name | None, ...]


# ----------------------------------------------------------------- declarations

@node
class NationalHeader:
    span: Span
    name: str
    title: str
    version: str | None
    effective: Period | None
    source: str | None
    kind: str = "contract"  # contract | flexibility (an envelope of `allow` permissions)
    # `carries forward NAME, ...`: the national contracts this one carries into
    # its period (see carry.py), and why that is provisional.
    carries: tuple[str, ...] = ()
    provisional: "Provisional | None" = None
    carries_span: Span | None = None  # the `carries forward` clause

    @property
    def is_envelope(self) -> bool:
        return self.kind == "flexibility"


@node
class LocalHeader:
    span: Span
    name: str
    title: str
    icb: str
    extends: tuple[str, ...]
    effective: Period | None
    source: str | None


Header = Union[NationalHeader, LocalHeader]


@node
class EnumDecl:
    span: Span
    name: str
    members: tuple[str, ...]
    reference: Reference | None
    provisional: Provisional | None


@node
class FactSegment:
    span: Span
    name: str
    kind: str  # field | list | map
    key_type: TypeExpr | None = None


@node
class FactDecl:
    span: Span
    path: tuple[FactSegment, ...]
    type: TypeExpr
    required: bool
    note: str | None

    @property
    def dotted(self) -> str:
        return ".".join(s.name + ("[]" if s.kind == "list" else "{}" if s.kind == "map" else "")
                        for s in self.path)


@node
class SubjectDecl:
    span: Span
    name: str
    each: bool
    path: tuple[str, ...]
    keyed_by: str | None
    numbered_within: str | None


@node
class ParameterDecl:
    span: Span
    name: str
    title: str | None
    type: TypeExpr
    value: Expr | None
    dated_values: tuple[DatedValue, ...]
    reference: Reference | None
    flexibility: tuple[Flexibility, ...]
    provisional: Provisional | None
    effective: Period | None


@node
class TableDecl:
    span: Span
    name: str
    keys: tuple[str, ...]
    title: str | None
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    reference: Reference | None
    flexibility: tuple[Flexibility, ...]
    provisional: Provisional | None
    effective: Period | None
    # `provisional "why" rows KEY, ... of PERIOD`: marks of some rows only.
    row_provisional: tuple["RowProvisional", ...] = ()


@node
class RowProvisional:
    """`provisional "2025/26 thresholds come from a third-party tool" rows of
    2025-04-01 to 2026-03-31`: a mark carried only by what reads a row it
    covers (one with one of `keys`, if any, in force in `period`, if given)."""

    span: Span
    reason: str
    keys: tuple[str, ...]
    period: Period | None

    def covers(self, key, start, end) -> bool:
        """Whether a row (its first key; its from and to dates) is one of these."""
        if self.keys and str(key) not in self.keys:
            return False
        if self.period is None:
            return True
        if end is not None and end < self.period.start:
            return False
        return not (self.period.end is not None and start is not None and start > self.period.end)

    def describe(self) -> str:
        parts = []
        if self.keys:
            parts.append(", ".join(self.keys))
        if self.period is not None:
            parts.append(self.period.describe())
        return "rows " + " of ".join(parts) if parts else "rows"


@node
class DefineDecl:
    span: Span
    name: str
    scope: Scope | None
    type: TypeExpr
    body: Expr
    report: Report | None
    reference: Reference | None
    provisional: Provisional | None
    effective: Period | None
    rounding: Rounding | None = None  # `rounded to penny`: the value is paid rounded


@node
class RequirementDecl:
    span: Span
    id: str
    title: str | None
    scope: Scope | None
    where: Expr | None
    must: Expr | None
    unless: Expr | None
    severity: str
    reference: Reference | None
    flexibility: tuple[Flexibility, ...]
    provisional: Provisional | None
    effective: Period | None
    warnings: tuple[Warning_, ...]
    because: Because | None = None  # local `add`/`replace` only


@node
class VaryDecl:
    span: Span
    name: str
    name_span: Span
    value: Expr
    because: Because | None


@node
class WaiveDecl:
    span: Span
    id: str
    id_span: Span
    scope: Scope | None
    where: Expr | None
    because: Because | None


@node
class ReplaceDecl:
    span: Span
    id_span: Span
    requirement: RequirementDecl


@node
class AddRequirementDecl:
    span: Span
    requirement: RequirementDecl


@node
class AddRowDecl:
    span: Span
    table: str
    table_span: Span
    row: Row
    because: Because | None


@node
class RetireDecl:
    """`retire qof_indicators "DM012", "DM014" because "..."`: rows a local layer retires."""

    span: Span
    table: str
    table_span: Span
    keys: tuple[Literal | Name, ...]
    because: Because | None


@node
class ReplaceValueDecl:
    """`replace value qof_payment = EXPR because "..."`: a local body for a national definition."""

    span: Span
    name: str
    name_span: Span
    value: Expr
    because: Because | None


@node
class AllowDecl:
    """One permission of a flexibility envelope: `kind` (a row of
    `FLEXIBILITY_KINDS`), `target` the national term (None for `add
    requirement`). Rows: `budget` a conserved column, `marking` the bool column
    a retired row keeps set, `opted_in` the fact saying which subjects take
    part, `columns` bounds on added cells. A replacement must keep `keeping` as
    a way to pass and still demand each `protecting` floor."""

    span: Span
    kind: str  # vary | waive | replace requirement | replace value | add requirement | add rows | retire rows | cap rows
    target: str | None
    target_span: Span | None
    bound: Bound | None
    budget: str | None
    marking: str | None
    opted_in: tuple[str, ...] | None
    keeping: tuple[str, ...] | None
    reference: Reference | None
    provisional: Provisional | None
    note: str | None
    protecting: tuple["Protected", ...] = ()
    columns: tuple["ColumnBound", ...] = ()


@node
class Protected:
    """`protecting CONDITION` of an `allow replace requirement`, and its text as written."""

    span: Span
    condition: Expr
    text: str


@node
class ColumnBound:
    """`with COLUMN BOUND` of an `allow add to`: added rows' cells in COLUMN lie within BOUND."""

    span: Span
    column: str
    bound: Bound


Declaration = Union[EnumDecl, FactDecl, SubjectDecl, ParameterDecl, TableDecl, DefineDecl,
                    RequirementDecl, VaryDecl, WaiveDecl, ReplaceDecl, AddRequirementDecl,
                    AddRowDecl, RetireDecl, ReplaceValueDecl, AllowDecl]


@node
class Comment:
    span: Span
    text: str


@node
class LayerFile:
    span: Span
    header: Header
    declarations: tuple[Declaration, ...]
    comments: tuple[Comment, ...]

    @property
    def name(self) -> str:
        return self.header.name

    @property
    def is_local(self) -> bool:
        return isinstance(self.header, LocalHeader)


#: Each expression node's fields of sub-expressions, in source order (`*`: a tuple).
_CHILDREN = {Field: ("record",), Index: ("collection", "*keys"), Call: ("*arguments",),
             SetLiteral: ("*items",), Negate: ("operand",), Not: ("operand",),
             Arithmetic: ("left", "right"), Compare: ("left", "right"), Logic: ("left", "right"),
             Membership: ("element", "collection"), Covers: ("times", "required"),
             Within: ("inner", "outer"), Conditional: ("condition", "then", "otherwise"),
             Quantified: ("collection", "body")}


def children(expr: Expr):
    """The sub-expressions of an expression, in source order."""
    for name in _CHILDREN.get(type(expr), ()):
        yield from getattr(expr, name[1:]) if name[0] == "*" else (getattr(expr, name),)


def walk(expr: Expr):
    """Every node of an expression, parents first, in source order (without
    recursion, so that a chain of any length can be walked)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(tuple(children(node))))


#: Operators that chain to the left at one level: `a + b - c`, `a * b / c`,
#: `a and b and c`, `a or b or c` (see `chain`).
CHAIN_FAMILIES = {"+": "+-", "-": "+-", "*": "*/", "/": "*/", "and": "and", "or": "or"}


def chain(expr: "Arithmetic | Logic") -> list:
    """The nodes down the left side of a left-associative chain, outermost
    first: for `a + b - c`, [(a + b) - c, a + b]. The last one's `left` is the
    chain's first operand. Later stages walk a chain in a loop, so a sum of a
    thousand terms costs one level of recursion, not a thousand.

    >>> s = Span("x", 1, 1, 1, 2)
    >>> sum_ = Arithmetic(s, "-", Arithmetic(s, "+", Name(s, "a"), Name(s, "b")), Name(s, "c"))
    >>> [node.operator for node in chain(sum_)]
    ['-', '+']
    """
    family = CHAIN_FAMILIES[expr.operator]
    spine = [expr]
    while True:
        left = spine[-1].left
        if type(left) is not type(expr) or CHAIN_FAMILIES[left.operator] != family:
            return spine
        spine.append(left)
