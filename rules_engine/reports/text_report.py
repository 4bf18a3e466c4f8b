"""The terminal report of `check`: a table per arrangement, with rich.

Failing and unknown results come with what decided them (the clause, the
layer, the local reason, the missing facts), so that a commissioner can act
on the table without the JSON.
"""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..results import ArrangementResult, CheckReport, ValueResult
from ..values import Outcome
from .json_report import value_json

STYLE = {Outcome.PASS: "green", Outcome.FAIL: "bold red", Outcome.UNKNOWN: "yellow",
         Outcome.NOT_APPLICABLE: "dim"}


def _value_text(value: ValueResult) -> str:
    shown = value_json(value.value, value.type)
    if shown is None:
        return "unknown"
    if value.unit == "GBP":
        return f"£{Decimal(shown):,}"
    return f"{shown} {value.unit}" if value.unit not in ("count", "number", "bool", "text") else str(shown)


def arrangement_tables(result: ArrangementResult, console: Console) -> None:
    console.print(Text.assemble(("Arrangement ", "bold"), (result.id, "bold cyan"),
                                f"  as of {result.as_of}  layers: {', '.join(result.layers)}  ",
                                ("outcome: ", "bold"), (result.outcome.value, STYLE[result.outcome])))
    table = Table(show_lines=False, expand=False)
    for column in ("requirement", "subject", "outcome", "layer", "flexibility"):
        table.add_column(column, no_wrap=True)  # ids stay whole, so they can be searched
    table.add_column("clause / detail", overflow="fold", ratio=1)
    for r in result.results:
        detail = [r.clause]
        if r.because:
            detail.append(f"because: {r.because}")
        if r.national:
            detail.append("national: " + ", ".join(f"{k} = {v}" for k, v in r.national.items()))
        if r.missing:
            detail.append("missing: " + ", ".join(r.missing))
        if r.reason:
            detail.append(r.reason)
        for warning in r.warnings:
            detail.append(f"warning: {warning}")
        if r.provisional:
            detail.append(f"provisional: {r.provisional}")
        table.add_row(r.id, r.subject, Text(r.outcome.value, style=STYLE[r.outcome]), r.layer,
                      r.flexibility, "\n".join(detail))
    console.print(table)
    if result.values:
        values = Table(show_lines=False)
        for column in ("value", "subject"):
            values.add_column(column, no_wrap=True)
        for column in ("amount", "layer"):
            values.add_column(column, overflow="fold")
        for v in result.values:
            amount = _value_text(v)
            if v.missing:
                amount += " (missing: " + ", ".join(v.missing) + ")"
            values.add_row(v.id, v.subject, amount, v.layer if v.flexibility in ("varied", "added") else "")
        console.print(values)


def summary_line(report: CheckReport) -> str:
    counts = {o: 0 for o in Outcome}
    for arrangement in report.arrangements:
        for r in arrangement.results:
            counts[r.outcome] += 1
    arrangements = len(report.arrangements)
    return (f"{arrangements} arrangement{'s' if arrangements != 1 else ''}: "
            f"{counts[Outcome.PASS]} passed, {counts[Outcome.FAIL]} failed, "
            f"{counts[Outcome.UNKNOWN]} unknown, {counts[Outcome.NOT_APPLICABLE]} not applicable")


def render(report: CheckReport, width: int | None = None, color: bool = False) -> str:
    """The report as text; on a terminal (`color`) as wide as the terminal."""
    buffer = io.StringIO()
    if width is None and color:
        import shutil
        width = shutil.get_terminal_size((160, 24)).columns
    console = Console(file=buffer, width=width or 160, color_system="standard" if color else None,
                      force_terminal=color, highlight=False)
    for arrangement in report.arrangements:
        arrangement_tables(arrangement, console)
        console.print()
    console.print(summary_line(report))
    return buffer.getvalue()
