"""Local layers' integrity: what a local layer may not repeat or claim.

Input: the layers being assembled (the national forms by name, for the value
ids the national layers report). Output: diagnostics, in the local files.
Diagnostics:
- E-LAYER-014: a local layer says one thing twice: two `vary` of one term,
  two `replace` or two `add requirement` of one id, two waivers of one
  requirement that are not each limited by their own `where`, two added rows
  with one key on some of the same dates, or one local term declared twice.
  One of each pair would be dropped without a word; the error is at the
  second, with a note at the first.
- E-LAYER-015: two local layers for one ICB are in force on some of the same
  dates (which would make `check` fail for that ICB's arrangements, but only
  on those dates); at the later file's header, naming both files and the
  dates they share.
- E-LAYER-016: a local definition reports a value id that a national layer
  reports: every practice would get two values under one id.
- E-LAYER-005: a reason that is empty or only white space (`because ""`).

ICB codes are compared without regard to case (`for icb qmm` is QMM's
layer), here and when a local layer is chosen for an arrangement.

>>> same_icb("qmm", "QMM")
True
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from rules_engine.syntax import nodes as n
from rules_engine.base.diagnostics import Diagnostic, Related
from rules_engine.static.flex_wording import because_empty
from rules_engine.static.forms import row_key, row_period  # the national table's columns decide the key


def same_icb(one: str | None, other: str | None) -> bool:
    """Whether two ICB codes name one ICB (codes are compared in capitals)."""
    return one is not None and other is not None and one.upper() == other.upper()


def _first(kind: str, what: str, decl, earlier, hint: str) -> Diagnostic:
    return Diagnostic("E-LAYER-014", f"{what} is {kind} twice in this local layer", decl.span,
                      related=(Related(earlier.span, "the first"),), hint=hint)


def check_duplicates(layer) -> list[Diagnostic]:
    """E-LAYER-014 for each declaration that repeats an earlier one."""
    problems: list[Diagnostic] = []
    seen: dict[tuple, object] = {}
    unlimited_waivers: dict[str, n.WaiveDecl] = {}
    waivers: dict[str, n.WaiveDecl] = {}
    for decl in layer.syntax.declarations:
        if isinstance(decl, n.VaryDecl):
            key, what, kind = ("vary", decl.name), f"`{decl.name}`", "varied"
            hint = "keep one `vary`: a term has one value in a local layer"
        elif isinstance(decl, n.ReplaceDecl):
            key, what, kind = ("replace", decl.requirement.id), f"`{decl.requirement.id}`", "replaced"
            hint = "keep one replacement: put both conditions in one `must`"
        elif isinstance(decl, n.AddRequirementDecl):
            key, what, kind = ("add", decl.requirement.id), f"`{decl.requirement.id}`", "added"
            hint = "give each local requirement its own id"
        elif isinstance(decl, (n.ParameterDecl, n.TableDecl, n.DefineDecl, n.EnumDecl)):
            key, what, kind = ("declare", decl.name), f"`{decl.name}`", "declared"
            hint = "declare each local term once"
        elif isinstance(decl, n.FactDecl):
            path = ".".join(segment.name for segment in decl.path)
            key, what, kind = ("fact", path), f"the fact `{path}`", "declared"
            hint = "declare each local fact once"
        elif isinstance(decl, n.WaiveDecl):
            # Waivers limited by their own `where` may each pick other subjects;
            # a waiver for every subject makes any other waiver of it a repeat.
            earlier = unlimited_waivers.get(decl.id) if decl.where is not None else waivers.get(decl.id)
            if earlier is not None:
                problems.append(_first("waived", f"`{decl.id}`", decl, earlier,
                                       "a waiver without `where` waives it for every subject; "
                                       "keep that one, or give each waiver its own `where`"))
            waivers.setdefault(decl.id, decl)
            if decl.where is None:
                unlimited_waivers.setdefault(decl.id, decl)
            continue
        else:
            continue  # added rows: `check_added_rows`
        if key in seen:
            problems.append(_first(kind, what, decl, seen[key], hint))
        else:
            seen[key] = decl
    return problems


def check_added_rows(layer, tables: dict[str, n.TableDecl]) -> list[Diagnostic]:
    """E-LAYER-014 for two rows added to one table with one key on shared dates."""
    problems = []
    for decl_list in _rows_by_table(layer).values():
        table = tables.get(decl_list[0].table)
        if table is None:
            continue
        for index, decl in enumerate(decl_list):
            key, (start, end) = row_key(table, decl.row), row_period(table, decl.row)
            for earlier in decl_list[:index]:
                other_start, other_end = row_period(table, earlier.row)
                if row_key(table, earlier.row) == key and start <= other_end and other_start <= end:
                    shown = ", ".join(str(k) for k in key)
                    problems.append(Diagnostic(
                        "E-LAYER-014", f"a row for {shown} is added to `{decl.table}` twice in this "
                        "local layer, on some of the same dates", decl.row.span,
                        related=(Related(earlier.row.span, "the first"),),
                        hint="keep one row per key, or give the rows `from`/`to` dates that do not "
                             "overlap"))
                    break
    return problems


def _rows_by_table(layer) -> dict[str, list[n.AddRowDecl]]:
    found: dict[str, list[n.AddRowDecl]] = {}
    for decl in layer.syntax.declarations:
        if isinstance(decl, n.AddRowDecl):
            found.setdefault(decl.table, []).append(decl)
    return found


def _reasons(decl) -> Iterable[n.Because]:
    because = getattr(decl, "because", None)
    if because is None and isinstance(getattr(decl, "requirement", None), n.RequirementDecl):
        because = decl.requirement.because
    if isinstance(because, n.Because):
        yield because


def check_reasons(layer) -> list[Diagnostic]:
    """E-LAYER-005 for a `because` that says nothing."""
    return [because_empty(because) for decl in layer.syntax.declarations for because in _reasons(decl)
            if not because.reason.strip()]


def check_reports(layer, national_reports: dict[str, n.Report]) -> list[Diagnostic]:
    """E-LAYER-016 for a local `report` of an id a national layer reports."""
    problems = []
    for decl in layer.syntax.declarations:
        report = decl.report if isinstance(decl, n.DefineDecl) else None
        if report is not None and report.id in national_reports:
            problems.append(Diagnostic(
                "E-LAYER-016", f"`{report.id}` is a value a national layer reports; a local layer "
                "cannot report it too", report.span,
                related=(Related(national_reports[report.id].span, "the national report"),),
                hint=f"report the local value under the ICB's own id, e.g. "
                     f"`{layer.header.icb.lower()}.{report.id}`"))
    return problems


def _overlap(one: n.Period | None, other: n.Period | None) -> tuple[dt.date, dt.date | None] | None:
    """The first and last day two periods share (None: open), or None."""
    start = max(one.start if one else dt.date.min, other.start if other else dt.date.min)
    ends = [p.end for p in (one, other) if p is not None and p.end is not None]
    end = min(ends) if ends else None
    if end is not None and end < start:
        return None
    return start, end


def _describe(shared: tuple[dt.date, dt.date | None]) -> str:
    start, end = shared
    if start == dt.date.min:
        return "on every date" if end is None else f"up to {end}"
    return f"from {start}" if end is None else f"from {start} to {end}"


def check_overlapping_layers(local: Iterable, proposed=None) -> list[Diagnostic]:
    """E-LAYER-015 for two local layers of one ICB in force on shared dates.
    A `proposed` layer stands in for its ICB's current one, so it clashes
    with none."""
    problems = []
    layers = [layer for layer in local if layer is not proposed]
    for index, layer in enumerate(layers):
        for earlier in layers[:index]:
            if not same_icb(layer.header.icb, earlier.header.icb):
                continue
            shared = _overlap(layer.period, earlier.period)
            if shared is None:
                continue
            problems.append(Diagnostic(
                "E-LAYER-015", f"`{layer.name}` ({layer.file}) and `{earlier.name}` "
                f"({earlier.file}) are both local layers for ICB {layer.header.icb.upper()} in "
                f"force {_describe(shared)}", layer.header.span,
                related=(Related(earlier.header.span, f"`{earlier.name}` is in force "
                                 + (earlier.period.describe() if earlier.period else "on every date")),),
                hint="an ICB has one local layer on any date: give them `effective` periods "
                     "that do not overlap, or merge them"))
    return problems


def stood_in_for(local: Iterable, proposed) -> list[tuple]:
    """The local layers of another name a `proposed` layer stands in for: those
    of its ICB in force on days it is (each with the days, in words), which do
    not apply on those days while it is proposed."""
    found = []
    for layer in local:
        if layer is proposed or layer.name == proposed.name or \
                not same_icb(layer.header.icb, proposed.header.icb):
            continue
        shared = _overlap(layer.period, proposed.period)
        if shared is not None:
            found.append((layer, _describe(shared)))
    return found


def check_integrity(layers, tables: dict[str, n.TableDecl], national_reports: dict[str, n.Report],
                    proposed=None) -> list[Diagnostic]:
    """Every check above, over the local layers being assembled."""
    local = [layer for layer in layers if layer.is_local]
    problems: list[Diagnostic] = []
    for layer in local:
        problems += check_duplicates(layer)
        problems += check_added_rows(layer, tables)
        problems += check_reasons(layer)
        problems += check_reports(layer, national_reports)
    problems += check_overlapping_layers(local, proposed)
    return problems


__all__ = ["check_integrity", "same_icb"]
