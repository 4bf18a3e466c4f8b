"""Lint warnings: what is allowed but probably a mistake, each with a stable code.

Input: a checked library (`typecheck.Checked`). Output: warnings, as
`Diagnostic`s of severity "warning" with a `W-*` code, and where the change
is plain, a fix (the edit that removes or renames). `WARNINGS` is the table of
checks, one row each; `lint` runs them after the static stages passed, and
`lint --strict` fails on any.

The checks:
- W-UNUSED-001, -002, -003: a parameter, table or definition nothing reads
  (no term, no variation, no fact's type; a definition that `report`s a value
  is read by the reports);
- W-CLAUSE-001: a requirement with no `ref` clause (a reviewer cannot check it
  against the contract);
- W-VARY-001: a `vary` that sets the national value again (it changes nothing,
  and it uses up the ICB's agreement for nothing);
- W-DATED-001: a parameter's dated values leave days of its contract's period
  with no value;
- W-ID-001: a local `add requirement` whose id does not start with the layer's
  prefix (its ICB code or its name, and a dot): national ids are not to be
  mistaken for local ones.

Another package contributes warnings by giving `lint` more rows of the same
shape (`WarningCheck`: a code registered in `diagnostics.CODES`, what it finds,
and a function of the checked library yielding diagnostics; one that
`narrows` is given the wanted files too).
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable

import attrs

from rules_engine.base.diagnostics import Diagnostic, Fix, Related
from rules_engine.base.source import Span
from rules_engine.static.forms import Form, effective_period, literal_value, show_literal
from rules_engine.static.typecheck import Checked
from rules_engine.syntax import nodes as n
from rules_engine.syntax.walk import descendants


@attrs.frozen
class WarningCheck:
    """One lint check: its code, what it finds, and the check itself. A check
    that `narrows` is run as `run(checked, files)` (`files`: the set of files
    whose warnings are wanted, None for all) and may leave out the work of
    the other files; the warnings outside `files` are dropped either way."""

    code: str
    finds: str
    run: Callable[..., Iterable[Diagnostic]]
    narrows: bool = False


def warning(code: str, message: str, span: Span | None, hint: str | None = None, related=(),
            fixes=()) -> Diagnostic:
    return Diagnostic(code, message, span, severity="warning", hint=hint, related=tuple(related),
                      fixes=tuple(fixes))


def _removal(checked: Checked, span: Span, what: str) -> Fix | None:
    """The edit that removes a declaration, with the blank line after it."""
    source = checked.library.sources.get(span.file)
    if source is None:
        return None
    text = source.text
    end = text.find("\n", span.end)
    end = len(text) if end < 0 else end + 1
    while text.startswith("\n", end):
        end += 1
    start = text.rfind("\n", 0, span.start) + 1
    return Fix(source.span(start, end), "", f"remove {what}")


# ---------------------------------------------------------------- unused

def _read_names(checked: Checked) -> set[str]:
    """Every term something reads: terms, variations, facts' types, envelopes' budgets."""
    read = {name for deps in checked.dependencies.values() for name in deps}
    read |= {resolved.target for resolved in checked.names.values()
             if resolved.kind in ("param", "table", "define")}
    read |= {constraint.table for constraint in checked.library.schema.constraints}
    return read


def unused(checked: Checked) -> Iterable[Diagnostic]:
    read = _read_names(checked)
    codes = {n.ParameterDecl: ("W-UNUSED-001", "parameter"), n.TableDecl: ("W-UNUSED-002", "table"),
             n.DefineDecl: ("W-UNUSED-003", "definition")}
    for name, forms in checked.library.forms.items():
        first = forms[0].term
        if type(first) not in codes or name in read:
            continue
        if isinstance(first, n.DefineDecl) and any(f.term.report is not None for f in forms):
            continue
        code, kind = codes[type(first)]
        form = forms[0]
        fix = _removal(checked, first.span, f"the {kind} `{name}`")
        yield warning(code, f"the {kind} `{name}` is read by nothing", first.span,
                      hint=f"use it in a requirement or definition, or remove it"
                           + ("" if len(forms) == 1 else f" (it has {len(forms)} forms)"),
                      fixes=[fix] if fix is not None and len(forms) == 1 else [],
                      related=[Related(None, f"declared in layer {form.layer.name}")])


# --------------------------------------------------------------- clauses

def without_clause(checked: Checked) -> Iterable[Diagnostic]:
    for name, forms in checked.library.forms.items():
        for form in forms:
            term = form.term
            if isinstance(term, n.RequirementDecl) and term.reference is None:
                yield warning("W-CLAUSE-001", f"the requirement `{name}` names no clause", term.span,
                              hint='add `ref "§..."`: the clause of the contract (or of the local '
                                   "specification) it encodes, so a reviewer can check it")


# ----------------------------------------------------------------- vary

def national_value_on(forms: Iterable[Form], day: dt.date):
    """The literal node of a national parameter's value in force on `day`, or None."""
    for form in forms:
        if form.layer.is_local or not form.in_force(day):
            continue
        term = form.term
        if not isinstance(term, n.ParameterDecl):
            return None
        if term.value is not None:
            return term.value
        for dated in term.dated_values:
            if dated.period.contains(day):
                return None if isinstance(dated.value, n.UnknownFigure) else dated.value
    return None


def vary_again(checked: Checked) -> Iterable[Diagnostic]:
    library = checked.library
    for layer in library.local:
        start = layer.header.effective.start if layer.header.effective is not None else None
        for decl in layer.syntax.declarations:
            if not isinstance(decl, n.VaryDecl) or start is None:
                continue
            national = national_value_on(library.forms.get(decl.name, ()), start)
            if national is None or not _same(decl.value, national):
                continue
            fix = _removal(checked, decl.span, f"the vary of `{decl.name}`")
            yield warning("W-VARY-001", f"`vary {decl.name}` sets the national value again "
                          f"({show_literal(national)})", decl.span,
                          related=[Related(national.span, "the national value")],
                          hint="remove the variation, or give the value the ICB agreed",
                          fixes=[fix] if fix is not None else [])


def _same(left, right) -> bool:
    try:
        a, b = literal_value(left), literal_value(right)
    except (AttributeError, TypeError, ValueError):
        return False
    return a is not None and a == b and type(left) is type(right)


# --------------------------------------------------------------- dated values

def dated_gaps(checked: Checked) -> Iterable[Diagnostic]:
    readers: list | None = None  # each form's period and the names it reads, found once
    for name, forms in checked.library.forms.items():
        for form in forms:
            term = form.term
            if not isinstance(term, n.ParameterDecl) or not term.dated_values:
                continue
            period = form.layer.own_period if hasattr(form.layer, "own_period") else form.layer.period
            if period is None or period.end is None:
                continue
            start, end = period.start, period.end
            if term.effective is not None:
                start = max(start, term.effective.start)
                end = min(end, term.effective.end or end)
            for gap_start, gap_end in _gaps(term.dated_values, start, end):
                if readers is None:
                    readers = _readers(checked)
                if not _read_between(readers, name, gap_start, gap_end):
                    continue  # nothing in force on those days reads it (a payment of other years)
                yield warning("W-DATED-001", f"`{name}` has no value from {gap_start} to {gap_end}, "
                              f"inside its contract's period ({start} to {end})", term.span,
                              hint=f"add `from {gap_start} to {gap_end} = VALUE` (or `= unknown`, "
                                   "where the sources give no figure)")


def _readers(checked: Checked) -> list[tuple[object, frozenset[str]]]:
    """Each form's period in force and the names its own expressions read
    (the form of another year may read another figure)."""
    found = []
    for forms in checked.library.forms.values():
        for form in forms:
            targets = (getattr(checked.names.get(id(node)), "target", None)
                       for node in descendants(form.term) if isinstance(node, n.Name))
            found.append((effective_period(form), frozenset(t for t in targets if t is not None)))
    return found


def _read_between(readers: list, name: str, first: dt.date, last: dt.date) -> bool:
    """Whether a form of a term in force on some day from `first` to `last`
    reads `name` itself."""
    for period, reads in readers:
        if period is not None and (period.start > last or (period.end is not None and period.end < first)):
            continue
        if name in reads:
            return True
    return False


def _gaps(dated, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    covered = sorted((d.period.start, d.period.end or dt.date.max) for d in dated)
    gaps, day = [], start
    for first, last in covered:
        if first > day and day <= end:
            gaps.append((day, min(end, first - dt.timedelta(days=1))))
        if last >= day:
            day = last + dt.timedelta(days=1) if last < dt.date.max else dt.date.max
    if day <= end:
        gaps.append((day, end))
    return gaps


# ----------------------------------------------------------- local ids

def local_ids(checked: Checked) -> Iterable[Diagnostic]:
    for layer in checked.library.local:
        prefixes = (f"{layer.header.icb.lower()}.", f"{layer.name}.")
        for decl in layer.syntax.declarations:
            if not isinstance(decl, n.AddRequirementDecl) or decl.requirement.id.startswith(prefixes):
                continue
            rid = decl.requirement.id
            source = layer.source
            at = source.text.find(rid, decl.span.start, decl.span.end)
            span = source.span(at, at + len(rid)) if at >= 0 else decl.span
            fixed = prefixes[0] + rid
            yield warning("W-ID-001", f"the local requirement `{rid}` does not start with the "
                          f"layer's prefix `{prefixes[0]}`", span,
                          hint=f"name it `{fixed}`: a local id starts with its ICB's code (or its "
                               "layer's name), so no one takes it for a national requirement",
                          fixes=[Fix(span, fixed, f"rename to `{fixed}`")])


#: The lint checks, one row each, in the order their warnings are listed.
WARNINGS: tuple[WarningCheck, ...] = (
    WarningCheck("W-UNUSED-001", "parameters, tables and definitions nothing reads", unused),
    WarningCheck("W-CLAUSE-001", "requirements that name no clause", without_clause),
    WarningCheck("W-VARY-001", "variations that set the national value again", vary_again),
    WarningCheck("W-DATED-001", "dated values that leave days of a contract's period without a value",
                 dated_gaps),
    WarningCheck("W-ID-001", "local requirement ids without the layer's prefix", local_ids),
)


def run_checks(checked: Checked, checks: Iterable[WarningCheck] = WARNINGS,
               files: Iterable[str] | None = None) -> tuple[Diagnostic, ...]:
    """The warnings of `checks`, those in `files` only when given, in file order."""
    wanted = set(files) if files is not None else None
    found = [d for check in checks for d in (check.run(checked, wanted) if check.narrows else check.run(checked))
             if wanted is None or (d.span is not None and d.span.file in wanted)]
    return tuple(sorted(found, key=lambda d: d.sort_key))
