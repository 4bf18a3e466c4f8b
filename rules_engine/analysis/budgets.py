"""Can a layer pay more than its budget (issue 20, item 3): the questions of
each budget an envelope declares (`within budget COLUMN` on a table's rows).

A budget conserves a table column (QOF points) over the rows a layer retires
and adds. What an arrangement earns from those rows is read through the
facts keyed by the table (`practices[].qof.indicators{qof_indicators}`): for
one subject, each retired or added key, with its fraction facts
(`achievement`) at the values where what it earns can change. This module
finds those questions from the two programs (no arrangement is run here);
`run.budget_search` asks them of the real evaluator and keeps the answers:

- the largest increase, for one subject, of the reported value in the
  budget's unit (`qof.points-total`), with its witness arrangement, and of the
  reported money beside it (`qof.payment`), when that is known;
- whether a subject can gain more than the budget (the retired rows' amount);
- for each added key, the least achievement at which it earns its whole
  amount, and whether that is any achievement at all.

The search is bounded: each key's fraction fact at 0, 100 % and every
fraction cell of a row with that key in either program (the thresholds),
where a piecewise-linear scoring changes slope; the answer says so.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from rules_engine.analysis.arrangement_yaml import yaml_lines
from rules_engine.base import typesys as t
from rules_engine.program.layers import Program
from rules_engine.static.forms import literal_value


@attrs.frozen
class Probe:
    """One key the layer retires or adds, and the achievements to try."""

    key: str
    added: bool  # added by the layer (else retired)
    amount: Decimal  # its amount in the budget's column
    candidates: tuple[Decimal, ...]


@attrs.frozen
class BudgetQuestion:
    table: str
    column: str
    unit: str | None
    budget: Decimal  # the retired rows' amount: what the added rows may take
    added_total: Decimal
    subject: str  # the subject whose facts are keyed by the table (practice)
    map_path: tuple[str, ...]  # from the subject's record to the keyed map (qof, indicators)
    field: str  # the fraction fact of each keyed record (achievement)
    opt_in: tuple[str, ...] | None  # the subject's fact that opts in to the layer's rows, if any
    probes: tuple[Probe, ...]
    in_cone: tuple[str, ...] = ()  # the reported values of the cone (the money measured is one of them)
    # the answers, once `run.budget_search` has asked the evaluator
    answer: "BudgetAnswer | None" = None

    def as_json(self) -> dict:
        data = {"table": self.table, "column": self.column, "unit": self.unit, "budget": str(self.budget),
                "added_total": str(self.added_total), "subject": self.subject,
                "keys": [p.key for p in self.probes],
                "method": "a bounded search: each key's " + self.field + " at 0, 100 % and every threshold"}
        if self.answer is not None:
            data.update(self.answer.as_json())
        return data


@attrs.frozen
class BudgetAnswer:
    largest_increase: Decimal | None  # in the budget's unit, for one subject
    measured: str | None  # the reported value it is measured on (qof.points-total)
    witness: dict | None
    checked: str | None  # what the evaluator gave on the witness under each program
    money: str | None  # the reported money's change on the witness, or why it is unknown
    exceeded: bool | None  # whether one subject gains more than the budget
    reach: tuple[str, ...] = ()  # per added key: from what achievement it earns its whole amount
    any_achievement: tuple[str, ...] = ()  # added keys earning their whole amount at any achievement
    why: str | None = None  # when there is no answer
    pounds: Any = None  # the increase in pounds (`run.budget_pounds.MoneyAnswer`), when there is reported money

    @property
    def witness_yaml(self) -> str | None:
        """The witness as YAML in the arrangement format."""
        return "\n".join(yaml_lines(self.witness)) + "\n" if self.witness is not None else None

    def as_json(self) -> dict:
        return {"largest_increase": str(self.largest_increase) if self.largest_increase is not None else None,
                "measured_on": self.measured, "witness": self.witness, "checked": self.checked,
                "witness_yaml": self.witness_yaml, "money": self.money, "exceeded": self.exceeded, "reach": list(self.reach),
                "full_at_any_achievement": list(self.any_achievement), "why": self.why,
                "pounds": self.pounds.as_json() if self.pounds is not None else None,
                "pounds_witness_yaml": "\n".join(yaml_lines(self.pounds.witness)) + "\n"
                if self.pounds is not None and self.pounds.witness is not None else None}


def _keyed_map(schema, table: str) -> tuple[str, tuple[str, ...], str] | None:
    """(subject, path from its record to the map keyed by `table`, the map's
    fraction field): the first map of facts whose keys are the table's
    (`practices[].qof.indicators{qof_indicators}`) under a subject's record."""
    for constraint in schema.constraints:
        if constraint.table != table or not constraint.on_keys:
            continue
        names = [name for name, _ in constraint.segments]
        for subject in schema.subjects.values():
            path = list(subject.path)
            if names[:len(path)] != path or not subject.each:
                continue
            record = _record_at(schema.root, names)
            if record is None:
                continue
            fractions = [f for f, ft in record.fields if isinstance(ft, t.Quantity) and ft.fraction]
            if fractions:
                field = "achievement" if "achievement" in fractions else fractions[0]
                return subject.name, tuple(names[len(path):]), field
    return None


def _record_at(root: t.Record, path) -> t.Record | None:
    """The record of a map's values (or a list's items, a record's field) at `path`."""
    here: t.Type | None = root
    for step in path:
        while isinstance(here, t.ListOf):
            here = here.element
        if not isinstance(here, t.Record):
            return None
        here = here.field(step)
    while isinstance(here, (t.ListOf, t.MapOf)):
        here = here.element if isinstance(here, t.ListOf) else here.value
    return here if isinstance(here, t.Record) else None


def _fraction_cells(program: Program, key: str) -> set[Decimal]:
    """Every fraction cell of a row keyed `key`, in any table in force (the
    thresholds at which what a key earns changes slope)."""
    cells: set[Decimal] = set()
    for table in program.tables.values():
        columns = table.form.term.columns
        for row, _ in table.rows:
            if not row.cells or str(literal_value(row.cells[0])) != key:
                continue
            for column, cell in zip(columns, row.cells):
                value = literal_value(cell) if cell is not None else None
                if getattr(column.type, "name", None) in ("fraction", "percent") and isinstance(value, Decimal):
                    cells.add(value)
    return cells


def budget_questions(baseline: Program, proposed: Program, budgets, as_of: dt.date,
                     in_cone: tuple[str, ...] = ()) -> tuple[BudgetQuestion, ...]:
    """The question of each budget (`flex_budgets.Budget`) a layer's
    declarations fall under, on `as_of`; `in_cone`, the reported values the
    layer could change."""
    questions = []
    schema = proposed.library.schema
    for budget in budgets:
        found = _keyed_map(schema, budget.table)
        if found is None:
            continue
        subject, map_path, field = found
        in_force = proposed.tables.get(budget.table)
        opted = in_force.opted_in if in_force is not None else None
        probes = []
        for key, amount, added in [(k, a, False) for k, a in budget.retired] + [(k, a, True) for k, a in budget.added]:
            cells = _fraction_cells(baseline, key) | _fraction_cells(proposed, key) | {Decimal(0), Decimal(1)}
            probes.append(Probe(key, added, amount, tuple(sorted(c for c in cells if 0 <= c <= 1))))
        questions.append(BudgetQuestion(budget.table, budget.column, budget.unit, budget.retired_total,
                                        budget.added_total, subject, map_path, field,
                                        tuple(opted[1:]) if opted else None, tuple(probes), in_cone))
    return tuple(questions)


__all__ = ["BudgetAnswer", "BudgetQuestion", "Probe", "budget_questions"]
