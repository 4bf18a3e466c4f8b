"""The forms of a rule library: one loaded file (`Layer`), one declaration of a
term in one layer (`Form`), literals and periods: every "is this in force on
that day" of a term, a dated value or a table row.

The leaves of the static stage: assembly (`library`), carrying forward,
integrity, flexibility and selection on a date all read them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Union

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.base.records import pickled_by_fields
from rules_engine.base.source import SourceFile

Term = Union[n.ParameterDecl, n.TableDecl, n.DefineDecl, n.RequirementDecl]


@pickled_by_fields
@attrs.frozen(eq=False)
class Layer:
    """One loaded rule file."""

    file: str
    source: SourceFile
    syntax: n.LayerFile
    carry: object = None  # carry.Carry: carried into a later, provisional period

    @property
    def name(self) -> str:
        return self.syntax.name

    @property
    def header(self) -> n.Header:
        return self.syntax.header

    @property
    def is_local(self) -> bool:
        return self.syntax.is_local

    @property
    def period(self) -> n.Period | None:
        """When the layer is in force: its own period and, for a contract a
        provisional period carries forward, that period too."""
        own = self.syntax.header.effective
        if self.carry is not None and own is not None:
            return attrs.evolve(own, end=self.carry.period.end)
        return own

    @property
    def own_period(self) -> n.Period | None:
        """The period its header gives (without a provisional carrying period)."""
        return self.syntax.header.effective

    def describe_period(self) -> str:
        own = self.own_period
        text = own.describe() if own is not None else "always"
        if self.carry is not None:
            text += (f"; carried forward to {self.carry.period.end} by {self.carry.carrier} "
                     f"(provisional)")
        return text

    def in_force(self, day: dt.date) -> bool:
        return self.period is None or self.period.contains(day)

    def clause(self, reference: n.Reference | None, as_of: dt.date | None = None) -> str:
        """`Network Contract DES 2025/26 §4.1.1`: title, version (or the
        contract year of `as_of`) and the term's reference."""
        header = self.header
        if self.is_local and reference is not None:
            return reference.text
        base = header.title
        if isinstance(header, n.NationalHeader) and header.version:
            base += f" {header.version}"
        elif as_of is not None and not self.is_local:
            base += f" {contract_year(as_of)}"
        return f"{base} {reference.text}" if reference else base


def contract_year(day: dt.date) -> str:
    """Contract years run 1 April to 31 March: 2025-06-01 -> '2025/26'."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


@pickled_by_fields
@attrs.frozen(eq=False)
class Form:
    """One declaration of a term in one layer, in force over `period`."""

    term: Term
    layer: Layer
    period: n.Period | None  # None: whenever its layer is in force

    @property
    def name(self) -> str:
        return term_name(self.term)

    def in_force(self, day: dt.date) -> bool:
        return self.layer.in_force(day) and (self.period is None or self.period.contains(day))

    @property
    def flexibility(self) -> tuple[n.Flexibility, ...]:
        return getattr(self.term, "flexibility", ())

    def allows(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.flexibility)

    def describe_flexibility(self) -> str:
        flex = [f for f in self.flexibility if f.kind != "locked"]
        if not flex:
            return "locked"
        return ", ".join(describe_flex(f) for f in flex)

    @property
    def clause(self) -> str:
        return self.layer.clause(self.term.reference)


def term_name(term) -> str:
    return term.id if isinstance(term, n.RequirementDecl) else term.name


def literal_value(literal) -> Decimal | str | dt.date | bool | None:
    """The value of a literal node (the bounds and values of `vary`)."""
    if isinstance(literal, (n.Number, n.Money, n.Percent)):
        return literal.value
    if isinstance(literal, n.Quantity):
        unit = t.UNIT_WORDS.get(literal.unit)
        return literal.value * unit[1] if unit else literal.value
    if isinstance(literal, (n.DateLiteral, n.Text, n.Boolean)):
        return literal.value
    if isinstance(literal, n.Name):
        return literal.name
    return None


def show_literal(literal) -> str:
    value = literal_value(literal)
    if isinstance(literal, n.Money):
        return f"£{value:,}"
    if isinstance(literal, n.Percent):
        return f"{(value * 100).normalize():f}%"
    if isinstance(literal, n.Quantity):
        return f"{literal.value} {literal.unit}"
    if isinstance(literal, n.Boolean):
        return "true" if value else "false"  # as a rule file writes it
    return str(value)


def describe_flex(flex: n.Flexibility) -> str:
    if flex.kind != "flexible" or flex.bound is None:
        return {"flexible": "flexible (any value)", "waivable": "waivable with a reason",
                "replaceable": "replaceable", "extensible": "an ICB may add rows"}.get(flex.kind, flex.kind)
    bound = flex.bound
    if bound.kind == "between":
        return f"flexible between {show_literal(bound.low)} and {show_literal(bound.high)}"
    if bound.kind == "at_least":
        return f"flexible at least {show_literal(bound.low)}"
    return f"flexible at most {show_literal(bound.high)}"



def effective_period(form: Form) -> n.Period | None:
    """The period a form is in force: its own within its layer's."""
    layer_period = form.layer.period
    if form.period is None:
        return layer_period
    if layer_period is None:
        return form.period
    start = max(form.period.start, layer_period.start)
    ends = [e for e in (form.period.end, layer_period.end) if e is not None]
    return n.Period(form.period.span, start, min(ends) if ends else None)


def value_on(term: n.ParameterDecl, as_of: dt.date):
    """The value node in force on a date, or None (no value, or one declared
    `= unknown` for the date)."""
    if term.value is not None:
        return term.value
    for dated in term.dated_values:
        if dated.period.contains(as_of):
            return None if isinstance(dated.value, n.UnknownFigure) else dated.value
    return None


def unknown_figure_on(term: n.ParameterDecl, as_of: dt.date) -> n.DatedValue | None:
    """The `from ... = unknown` line of a parameter in force on a date: the
    contract has a figure then that the library lacks (an assumption may
    supply it)."""
    for dated in term.dated_values:
        if dated.period.contains(as_of) and isinstance(dated.value, n.UnknownFigure):
            return dated
    return None


def row_key(table: n.TableDecl, row: n.Row) -> tuple:
    columns = [c.name for c in table.columns]
    return tuple(literal_value(row.cells[columns.index(k)]) if k in columns and
                 columns.index(k) < len(row.cells) else None for k in table.keys)


def row_period(table: n.TableDecl, row: n.Row) -> tuple:
    cells = dict(zip((c.name for c in table.columns), row.cells))
    start, end = cells.get("from"), cells.get("to")
    return (start.value if isinstance(start, n.DateLiteral) else dt.date.min,
            end.value if isinstance(end, n.DateLiteral) else dt.date.max)


def row_on(table: n.TableDecl, row: n.Row, day: dt.date) -> bool:
    start, end = row_period(table, row)
    return start <= day <= end


def row_live(table: n.TableDecl, row: n.Row) -> bool:
    """Whether a row counts against a cap on the table's rows: not when the
    table has a `retired` column and the row's cell is `true` (a QOF indicator
    kept in the table for its year with no points is not a live indicator)."""
    columns = [c.name for c in table.columns]
    at = columns.index("retired") if "retired" in columns else len(row.cells)
    cell = row.cells[at] if at < len(row.cells) else None
    return not (isinstance(cell, n.Boolean) and cell.value)
