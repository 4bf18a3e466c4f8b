"""The typed syntax tree of a rule file: frozen attrs classes, span first.

Produced by `lower.py` from the Lark tree; read by every later stage, which
never sees Lark. Nodes are immutable: facts a later stage infers (types,
resolved names) live in side tables keyed by node identity, not in fields.
Sequences are tuples. Field names use the contract's words.

This module defines the clauses and declarations; the expressions and types
are defined in `expressions` and re-exported here, so that a later stage
imports `nodes` alone for every node.
"""

from __future__ import annotations

import datetime as dt
from typing import Union

from rules_engine.base.source import Span
from rules_engine.syntax.expressions import (  # noqa: F401 - re-exported: `nodes` names every node
    CHAIN_FAMILIES, Arithmetic, Boolean, Call, Compare, Conditional, Covers, DateLiteral, Expr,
    Field, Index, IntervalLiteral, ListType, Literal, Logic, Membership, Money, Name, NamedType,
    Negate, Not, Number, Percent, Quantified, Quantity, SetLiteral, SetType, Text, TimeLiteral,
    TypeExpr, Within, chain, children, node, walk)


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
    signed: Span | None = None  # the `signed` clause: the fact may be negative

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


@node
class PopulationMeasure:
    """What a population term adds up: `total VALUE_ID` (a reported value,
    summed over every subject and key) or `count REQUIREMENT_ID OUTCOME` (the
    subjects with that outcome)."""

    span: Span
    kind: str  # total | count
    term: str
    term_span: Span
    outcome: str | None = None  # for count: pass | fail | unknown | not_applicable


@node
class PopulationDecl:
    """`population NAME "title" across icb|all MEASURE BOUND`: a term over the
    arrangements of an ICB or of a run, evaluated only over a population
    (`check --population`, `impact`)."""

    span: Span
    name: str
    title: str | None
    across: str  # icb | all
    across_span: Span
    measure: PopulationMeasure
    bound: Bound
    reference: Reference | None
    provisional: Provisional | None
    effective: Period | None
    because: Because | None


Declaration = Union[EnumDecl, FactDecl, SubjectDecl, ParameterDecl, TableDecl, DefineDecl,
                    RequirementDecl, VaryDecl, WaiveDecl, ReplaceDecl, AddRequirementDecl,
                    AddRowDecl, RetireDecl, ReplaceValueDecl, AllowDecl, PopulationDecl]


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
