"""The national library as a document: docs/national-library.md.

Input: a `LoadedLibrary` (the shipped library by default) and the scenario
files under tests/scenarios. Output: Markdown text listing, contract by
contract, every requirement and every reported value with its clause, the
contract years it is in force, what an ICB may do with it (its own
flexibility and that of the parameters and tables it reads), whether it is
provisional, and the scenario files that name it; then the local layers and
their variations. Pure: the same library and scenarios give the same text.

    >>> import rules_engine
    >>> text = render_catalogue(rules_engine.load())
    >>> text.startswith("# The national contract library")
    True

From the shell, `python -m tools.catalogue --write` regenerates
docs/national-library.md; `--check` exits 1 if the file is out of date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Iterable

from rules_engine.syntax import nodes as n
from rules_engine.static.forms import Form, Layer, contract_year, effective_period
from rules_engine.program.loaded import LoadedLibrary

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "national-library.md"
SCENARIOS = ROOT / "tests" / "scenarios"


# ------------------------------------------------------------------ periods

def _effective(form: Form) -> tuple[dt.date | None, dt.date | None]:
    """The dates a form is in force: its own period within its layer's."""
    period = effective_period(form)
    return (period.start, period.end) if period is not None else (None, None)


def describe_years(start: dt.date | None, end: dt.date | None) -> str:
    """`2023/24 to 2025/26`, or the dates when they are not whole contract years.

    >>> describe_years(dt.date(2023, 4, 1), dt.date(2026, 3, 31))
    '2023/24 to 2025/26'
    >>> describe_years(dt.date(2025, 10, 1), dt.date(2026, 3, 31))
    '2025/26 (from 2025-10-01)'
    """
    if start is None:
        return "always"
    whole_start = (start.month, start.day) == (4, 1)
    whole_end = end is None or (end.month, end.day) == (3, 31)
    first = contract_year(start)
    if end is None:
        return f"from {first}" if whole_start else f"from {start}"
    last = contract_year(end)
    years = first if first == last else f"{first} to {last}"
    if whole_start and whole_end:
        return years
    if first == last:
        limits = ([f"from {start}"] if not whole_start else []) + \
                 ([f"to {end}"] if not whole_end else [])
        return f"{years} ({' '.join(limits)})"
    return f"{start} to {end}"


# ------------------------------------------------------------ flexibility

def _transitive(dependencies: dict[str, frozenset[str]], name: str) -> list[str]:
    seen: list[str] = []
    stack = [name]
    while stack:
        for dep in sorted(dependencies.get(stack.pop(), ())):
            if dep not in seen and dep != name:
                seen.append(dep)
                stack.append(dep)
    return sorted(seen)


def _flexibility(engine: LoadedLibrary, name: str, forms: tuple[Form, ...]) -> str:
    """The term's own flexibility, then that of the flexible terms it reads,
    then what each flexibility envelope allows on them."""
    from rules_engine.static.flexibility import describe_permission
    own = {f.describe_flexibility() for f in forms}
    parts = [p for p in sorted(own) if p != "locked"]
    library = engine.library
    deps = _transitive(engine.checked.dependencies, name)
    for dep in deps:
        dep_forms = [f for f in library.forms.get(dep, ()) if not f.layer.is_local]
        flexible = sorted({f.describe_flexibility() for f in dep_forms} - {"locked"})
        for text in flexible:
            parts.append(f"`{dep}`: {text}")
    for envelope in library.envelopes:
        for allow in envelope.permissions:
            if allow.target is not None and allow.target in (name, *deps):
                marker = " (provisional)" if allow.provisional else ""
                parts.append(f"{envelope.name} allows {describe_permission(allow)}{marker}")
    return "; ".join(parts) if parts else "locked"


# --------------------------------------------------------------- scenarios

def scenario_index(directory: Path | None = SCENARIOS) -> dict[str, str]:
    """Scenario file (relative to tests/scenarios) -> its text."""
    if directory is None or not Path(directory).is_dir():
        return {}
    return {path.relative_to(directory).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(Path(directory).rglob("*.yaml"))}


def _pattern(value_id: str) -> re.Pattern:
    parts = [re.escape(p) for p in re.split(r"\{[a-z_]+\}", value_id)]
    return re.compile(r"(?<![\w.-])" + r"[A-Za-z0-9]+".join(parts) + r"(?![\w-])")


def covering(term_id: str, scenarios: dict[str, str]) -> list[str]:
    pattern = _pattern(term_id)
    return [name for name, text in scenarios.items() if pattern.search(text)]


# ------------------------------------------------------------------ render

def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _clause(forms: Iterable[Form]) -> str:
    clauses: list[str] = []
    for form in forms:
        if form.clause not in clauses:
            clauses.append(form.clause)
    return "; ".join(clauses)


def _years(forms: Iterable[Form]) -> str:
    """Each form's contract years; a carried form's provisional years said apart
    (`2023/24 to 2025/26; 2026/27 carried forward, provisional`)."""
    periods = set()
    carried = set()
    for form in forms:
        start, end = _effective(form)
        carry = form.layer.carry
        if carry is not None and end == carry.period.end and form.name not in carry.superseded:
            end = carry.last_day
            carried.add(describe_years(carry.period.start, carry.period.end))
        periods.add((start, end))
    shown = [describe_years(*p) for p in sorted(periods, key=lambda p: (p[0] or dt.date.min))]
    return "; ".join(shown + [f"{years} carried forward, provisional" for years in sorted(carried)])


def _provisional(forms: Iterable[Form], inherited: tuple[str, ...] = ()) -> str:
    """`provisional` for a term's own mark; the terms it reads whose marks it
    inherits (`marks.py`), named: `inherits: table qof_thresholds, ...`."""
    forms = tuple(forms)
    own = any(getattr(f.term, "provisional", None) or getattr(f.term, "row_provisional", ())
              for f in forms)
    shown = "provisional" if own else ""
    if inherited:
        shown += ("; " if shown else "") + "inherits: " + ", ".join(inherited)
    # a value the contract pays rounded says how (`rounded to penny` in its rule file)
    for rounding in sorted({f.term.rounding.describe for f in forms
                            if getattr(f.term, "rounding", None) is not None}):
        shown += ("; " if shown else "") + f"rounded {rounding}"
    return shown


def _contract_year_starts(engine: LoadedLibrary) -> list[dt.date]:
    """1 April of each contract year the national contracts cover."""
    periods = [l.period for l in engine.library.contracts if l.period is not None]
    if not periods:
        return []
    first = min(p.start for p in periods)
    last = max((p.end for p in periods if p.end is not None), default=first)
    return [dt.date(year, 4, 1) for year in range(first.year, last.year)]


def inherited_marks(engine: LoadedLibrary) -> dict[str, tuple[str, ...]]:
    """Per requirement id and definition name, the terms whose provisional
    marks it inherits on some contract year's first day (what `marks.py`
    gives its results), each named once, without its own mark."""
    from rules_engine.base.diagnostics import InvalidInput
    from rules_engine.program.marks import ProvisionalMarks
    found: dict[str, dict[str, None]] = {}
    for day in _contract_year_starts(engine):
        try:
            program = engine.selected(day, None)
        except InvalidInput:
            continue
        marks = ProvisionalMarks(program)
        for name in program.defines:
            for reason in marks.define(name):
                source = reason.split(":", 1)[0].split(" (rows", 1)[0]  # the table, not its rows
                if source != f"definition {name}":
                    found.setdefault(name, {})[source] = None
        for requirement in program.requirements:
            for reason in marks.requirement(requirement):
                found.setdefault(requirement.id, {})[reason.split(":", 1)[0].split(" (rows", 1)[0]] = None
    return {key: tuple(sorted(sources)) for key, sources in found.items()}


def _terms(engine: LoadedLibrary, layer: Layer):
    """(id, title, forms, kind) of the layer's requirements and reported values, in file order."""
    seen: set[str] = set()
    for decl in layer.syntax.declarations:
        if isinstance(decl, n.RequirementDecl):
            key = decl.id
        elif isinstance(decl, n.DefineDecl) and decl.report is not None:
            key = decl.name
        else:
            continue
        if key in seen:
            continue
        seen.add(key)
        forms = tuple(f for f in engine.library.forms[key] if f.layer is layer)
        if isinstance(decl, n.RequirementDecl):
            yield key, decl.id, decl.title, forms, "requirement"
        else:
            yield key, decl.report.id, decl.report.title, forms, "value"


def _source(layer: Layer, span) -> str:
    return " ".join(layer.source.text[span.start:span.end].split())


def render_catalogue(engine: LoadedLibrary, scenarios: dict[str, str] | None = None) -> str:
    """docs/national-library.md for a loaded library."""
    if scenarios is None:
        scenarios = scenario_index()
    out: list[str] = [
        "# The national contract library",
        "",
        "Generated from the rule files by `python -m tools.catalogue --write`; do not edit.",
        "Each requirement and reported value of the national layers, with its clause, the",
        "contract years it is in force, what an ICB may change (its own flexibility and that",
        "of the parameters and tables it reads), whether it rests on a fact the sources do",
        "not confirm (`provisional`: see `contract-rules lint`) or reads terms that do (`inherits:`",
        "the parameters, tables and definitions whose marks its results carry, in any contract",
        "year), for a payment how it is rounded (`rounded to penny` in its rule file), and the",
        "scenario files in tests/scenarios that name it.",
        "",
    ]
    national = [l for l in engine.library.national if any(True for _ in _terms(engine, l))]
    inherited = inherited_marks(engine)
    totals = {"requirement": 0, "value": 0}
    for layer in national:
        header = layer.header
        out += [f"## {header.title} (`{layer.name}`, {layer.file})", ""]
        if header.source:
            out += [f"Source: {header.source}.", ""]
        out += ["| id | kind | title | clause | years | ICB flexibility | status | scenarios |",
                "|---|---|---|---|---|---|---|---|"]
        for key, shown_id, title, forms, kind in _terms(engine, layer):
            totals[kind] += 1
            covered = covering(shown_id, scenarios)
            out.append("| " + " | ".join(_cell(c) for c in (
                f"`{shown_id}`", kind, title, _clause(forms), _years(forms),
                _flexibility(engine, key, forms), _provisional(forms, inherited.get(key, ())),
                ", ".join(covered) if covered else "none")) + " |")
        out.append("")
    out += [f"{totals['requirement']} requirements and {totals['value']} values in "
            f"{len(national)} national contracts.", ""]

    local = engine.library.local
    if local:
        out += ["## Local layers", "",
                "What each ICB layer in contracts/local changes, and why.", "",
                "| layer | ICB | in force | extends | variation | because |",
                "|---|---|---|---|---|---|"]
        for layer in local:
            header = layer.header
            period = header.effective
            when = describe_years(period.start, period.end) if period else "always"
            for decl in layer.syntax.declarations:
                change, because = _variation(layer, decl)
                if change is None:
                    continue
                out.append("| " + " | ".join(_cell(c) for c in (
                    f"`{layer.name}`", header.icb, when, ", ".join(header.extends), change,
                    because)) + " |")
        out.append("")
    return "\n".join(out)


def _variation(layer: Layer, decl) -> tuple[str | None, str | None]:
    reason = lambda b: b.reason if b is not None else ""  # noqa: E731
    if isinstance(decl, n.VaryDecl):
        return f"vary `{decl.name}` = {_source(layer, decl.value.span)}", reason(decl.because)
    if isinstance(decl, n.WaiveDecl):
        where = f" where {_source(layer, decl.where.span)}" if decl.where is not None else ""
        return f"waive `{decl.id}`{where}", reason(decl.because)
    if isinstance(decl, n.AddRowDecl):
        return f"add to `{decl.table}`: {_source(layer, decl.row.span)}", reason(decl.because)
    if isinstance(decl, n.AddRequirementDecl):
        r = decl.requirement
        return f"add requirement `{r.id}` ({r.title})", reason(r.because)
    if isinstance(decl, n.ReplaceDecl):
        r = decl.requirement
        return f"replace requirement `{r.id}` ({r.title})", reason(r.because)
    if isinstance(decl, n.RetireDecl):
        keys = ", ".join(_source(layer, k.span) for k in decl.keys)
        return f"retire from `{decl.table}`: {keys}", reason(decl.because)
    if isinstance(decl, n.ReplaceValueDecl):
        return f"replace value `{decl.name}` = {_source(layer, decl.value.span)}", reason(decl.because)
    return None, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.catalogue",
                                     description="Render docs/national-library.md from the rule files.")
    parser.add_argument("--write", action="store_true", help="write docs/national-library.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    args = parser.parse_args(argv)
    text = render_catalogue(LoadedLibrary.load())
    if args.write:
        DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
        DOCUMENT.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT}")
        return 0
    if args.check:
        current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
        if current != text:
            print(f"{DOCUMENT} is out of date: run python -m tools.catalogue --write")
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
