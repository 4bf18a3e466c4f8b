"""The terminal report of `vary-check`: one row per variation, with its verdict."""

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
    table = Table()
    for column in ("line", "variation", "national term and clause", "national", "flexibility",
                   "proposed", "reason", "verdict"):
        table.add_column(column, overflow="fold")
    for v in result.verdicts:
        style = "green" if v.verdict == PERMITTED else "bold red"
        table.add_row(str(v.line), f"{v.kind} {v.target}", v.clause or "-", v.national_value or "-",
                      v.flexibility or "-", v.proposed or "-", v.because or "(none)",
                      Text(v.verdict, style=style))
    console.print(table)
    allowed = sum(1 for v in result.verdicts if v.permitted)
    console.print(f"{allowed} of {len(result.verdicts)} variations permitted" +
                  ("" if result.permitted else "; the layer cannot be agreed as it stands"))
    return buffer.getvalue()
