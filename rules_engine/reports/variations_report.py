"""The terminal report of `vary-check`: the envelope it was judged under, one
row per variation with its verdict and what decided it, and each budget."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..variations import PERMITTED, VaryCheck


def render(result: VaryCheck, width: int = 160, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system="standard" if color else None,
                      force_terminal=color, highlight=False)
    console.print(Text.assemble(("Local layer ", "bold"), (result.layer, "bold cyan"),
                                f" for ICB {result.icb} ({result.file}), extends {', '.join(result.extends)};"
                                f" national values as of {result.as_of}"))
    envelope = result.envelope
    if envelope is not None:
        console.print(f"Judged under the flexibility envelope {envelope.name} "
                      f"\u201c{envelope.title}\u201d ({envelope.period})")
    else:
        console.print(f"No flexibility envelope is in force on {result.as_of}: "
                      "only the contracts' own flexibility applies")
    if result.terms_note:
        console.print(f"Note: {result.terms_note}")
    table = Table()
    for column in ("line", "variation", "national term and clause", "national",
                   "proposed", "reason", "decided by", "verdict"):
        table.add_column(column, overflow="fold")
    for v in result.verdicts:
        style = "green" if v.verdict == PERMITTED else "bold red"
        permitted_by = v.permission or "-"
        if v.provisional:
            permitted_by += " (provisional)"
        table.add_row(str(v.line), f"{v.kind} {v.target}", v.clause or "-", v.national_value or "-",
                      v.proposed or "-", v.because or "(none)", permitted_by,
                      Text(v.verdict, style=style))
    console.print(table)
    for budget in result.budgets:
        style = "green" if budget.within else "bold red"
        console.print(Text.assemble(f"Budget of {budget.table} ({budget.column}): ",
                                    (budget.describe(), style)))
    allowed = sum(1 for v in result.verdicts if v.permitted)
    console.print(f"{allowed} of {len(result.verdicts)} variations permitted" +
                  ("" if result.permitted else "; the layer cannot be agreed as it stands"))
    return buffer.getvalue()
