"""Budgets and caps of local rows: what a layer retires and adds, counted.

`Budget`: the rows a local layer retires and adds in one table under a
conserved column (`within budget points`), E-FLEX-002 when it adds more than
it retires. `Cap`: the rows a capped table has in force once the layer's rows
apply (`allow at most N rows in T`), E-FLEX-009 past the cap.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic, Related
from rules_engine.base.source import Span
from rules_engine.static.flex_wording import describe_permission, provisional_note
from rules_engine.static.forms import literal_value, row_key, row_live, row_on


@attrs.frozen
class Budget:
    """Rows a local layer retires and adds in one table, under a conserved column."""

    table: str
    column: str
    unit: str | None
    retired: tuple[tuple[str, Decimal], ...]  # (key, amount) of rows in force on the date
    added: tuple[tuple[str, Decimal], ...]
    span: Span  # the first retire or add declaration, where an over-budget error points

    @property
    def retired_total(self) -> Decimal:
        return sum((a for _, a in self.retired), Decimal(0))

    @property
    def added_total(self) -> Decimal:
        return sum((a for _, a in self.added), Decimal(0))

    @property
    def within(self) -> bool:
        return self.added_total <= self.retired_total

    def amount(self, value: Decimal) -> str:
        shown = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value}"
        if "." in shown and value == value.to_integral_value():
            shown = shown.split(".")[0]
        unit = self.unit[:-1] if self.unit and value == 1 and self.unit.endswith("s") else self.unit
        return f"{shown} {unit}" if unit else shown

    def describe(self) -> str:
        retired = ", ".join(k for k, _ in self.retired) or "nothing"
        added = ", ".join(k for k, _ in self.added) or "nothing"
        verdict = "within budget" if self.within else (
            f"over budget by {self.amount(self.added_total - self.retired_total)}")
        return (f"retires {retired} ({self.amount(self.retired_total)}); adds {added} "
                f"({self.amount(self.added_total)}): {verdict}")

    def as_json(self) -> dict:
        return {"table": self.table, "column": self.column, "unit": self.unit,
                "retired": [{"key": k, "amount": _number(a)} for k, a in self.retired],
                "added": [{"key": k, "amount": _number(a)} for k, a in self.added],
                "retired_total": _number(self.retired_total), "added_total": _number(self.added_total),
                "within": self.within, "text": self.describe()}


@attrs.frozen
class Cap:
    """The rows a capped table has in force on a date, before and after a
    local layer's retired and added rows, against the envelope's cap."""

    table: str
    cap: int
    national: int  # live national rows in force on the date (forms.row_live)
    retired: int  # of those, the rows the layer retires
    added: int  # live rows the layer adds in force on the date
    span: Span  # the envelope's permission

    @property
    def after(self) -> int:
        return self.national - self.retired + self.added

    @property
    def within(self) -> bool:
        """Within the cap, or at least not taken further past it by the layer."""
        return self.after <= self.cap or self.after <= self.national

    def describe(self) -> str:
        verdict = "within the cap" if self.after <= self.cap else (
            f"over the cap by {self.after - self.cap}" + (
                "" if self.added > self.retired else ", though the layer adds no more than it retires"))
        return (f"{self.national} live national rows, retires {self.retired}, adds {self.added}: "
                f"{self.after} of at most {self.cap}: {verdict}")

    def as_json(self) -> dict:
        return {"table": self.table, "cap": self.cap, "national": self.national,
                "retired": self.retired, "added": self.added, "after": self.after,
                "within": self.within, "text": self.describe()}


def table_budgets(judge, verdicts) -> tuple[list[Budget], list[Diagnostic]]:
    """Per table with a budget column: the retired rows' amounts bound the added rows'."""
    tables: dict[str, list] = {}  # table name: the permitted verdicts on its rows
    for v in verdicts:
        if v.kind in ("retire rows", "add rows") and v.permitted and isinstance(v.permission, n.AllowDecl) \
                and v.permission.budget is not None:
            tables.setdefault(v.target, []).append(v)
    budgets, problems = [], []
    for table_name, group in tables.items():
        form = group[0].national
        table: n.TableDecl = form.term
        column = group[0].permission.budget
        columns = [c.name for c in table.columns]
        if column not in columns:
            continue  # reported on the envelope (E-FLEX-008)
        position = columns.index(column)
        unit = unit_of(table.columns[position])
        retired, added = [], []
        for v in group:
            decl = v.declaration
            if isinstance(decl, n.RetireDecl):
                for key in decl.keys:
                    value = literal_value(key)
                    for row in table.rows:
                        if row_key(table, row)[0] == value and row_on(table, row, judge.day):
                            retired.append((str(value), cell_amount(row, position)))
            elif isinstance(decl, n.AddRowDecl) and row_on(table, decl.row, judge.day):
                added.append((str(row_key(table, decl.row)[0]), cell_amount(decl.row, position)))
        first = group[0].declaration
        budget = Budget(table_name, column, unit, tuple(retired), tuple(added), first.span)
        budgets.append(budget)
        if not budget.within:
            over = [v for v in group if isinstance(v.declaration, n.AddRowDecl)]
            anchor = over[-1].declaration if over else first
            allow = group[0].permission
            problems.append(Diagnostic(
                "E-FLEX-002", f"over budget in `{table_name}`: {budget.describe()}",
                anchor.span, related=(
                    Related(table.span, f"`{table_name}` conserves `{column}`: the rows a local "
                                        f"layer adds may not exceed the rows it retires"),
                    Related(allow.span, f"envelope `{judge.envelope.name}` allows "
                                        f"{describe_permission(allow)}")),
                hint=f"retire rows worth {budget.amount(budget.added_total - budget.retired_total)} "
                     f"more, or add rows worth at most {budget.amount(budget.retired_total)} "
                     f"in all"))
    return budgets, problems



def check_cap_rows(judge, kind, verdicts):
    """Each `allow at most N rows in T` of the envelope in force: the rows T has
    on the date once the layer's permitted retirements and additions apply. A
    layer that takes T past the cap (to more rows than both the cap and the
    national table) is refused at its last added row (E-FLEX-009)."""
    envelope = judge.envelope
    if envelope is None:
        return [], []
    caps, problems = [], []
    for allow in envelope.permissions:
        if allow.kind != kind.name:
            continue
        mine = [v for v in verdicts if v.target == allow.target and v.permitted
                and v.kind in ("add rows", "retire rows")]
        if not mine:
            continue
        form = mine[0].national
        table: n.TableDecl = form.term
        national = [r for r in table.rows if row_on(table, r, judge.day) and row_live(table, r)]
        national_keys = {row_key(table, r)[0] for r in national}
        retired = {literal_value(k) for v in mine if isinstance(v.declaration, n.RetireDecl)
                   for k in v.declaration.keys} & national_keys
        added = [v for v in mine if isinstance(v.declaration, n.AddRowDecl)
                 and row_on(table, v.declaration.row, judge.day) and row_live(table, v.declaration.row)]
        limit = int(literal_value(allow.bound.high))
        cap = Cap(allow.target, limit, len(national), len(retired), len(added), allow.span)
        caps.append(cap)
        if not cap.within:
            anchor = added[-1].declaration
            problems.append(Diagnostic(
                "E-FLEX-009", f"over the cap on `{allow.target}`: {cap.describe()}", anchor.span,
                related=(Related(table.span, f"the national table `{allow.target}`"),
                         Related(allow.span, f"envelope `{envelope.name}` allows "
                                             f"{describe_permission(allow)}" + provisional_note(allow))),
                hint=f"retire {cap.after - max(cap.cap, cap.national)} more rows of "
                     f"`{allow.target}` or add that many fewer: at most {cap.cap} rows in all"))
    return caps, problems



def cell_amount(row: n.Row, position: int) -> Decimal:
    value = literal_value(row.cells[position]) if position < len(row.cells) else None
    return value if isinstance(value, Decimal) else Decimal(0)


def unit_of(column: n.Column) -> str | None:
    type_ = column.type
    if isinstance(type_, n.NamedType) and type_.name in t.UNIT_WORDS:
        return type_.name
    return None



def _number(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)
