"""`lint`: the static stages over rule files, then the lint warnings, and what a reviewer should see.

Input: paths (files or library folders; none means the shipped library).
Output: `LintResult`: the files checked, the terms found, the warnings
(`static.lint_checks`: `W-*` codes) and the provisional terms (those resting
on facts the sources mark [?] or [T]). Errors in the files raise
`InvalidInput` like every other stage.

A local layer linted on its own is checked against the shipped national
library, so that `lint contracts/local/qmm.rules` checks its variations. The
warnings and provisional notes are about the files the user named (all of
them when none is named); `verbose` lists the provisional notes of the
others too (the national files a local layer is read with).

More checks (another package's, say) come in as rows of the same shape as
`lint_checks.WARNINGS`: `lint_sources(..., checks=WARNINGS + theirs)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import attrs

from rules_engine.base.diagnostics import Diagnostic, render_text, to_json
from rules_engine.base.source import SourceFile
from rules_engine.static.library import read_sources, rule_files_in
from rules_engine.queries import lint_analysis
from rules_engine.queries.lint_warnings import money_zero_when_unknown
from rules_engine.static.lint_checks import WARNINGS as STATIC_WARNINGS, WarningCheck, run_checks
from rules_engine.static.load import default_sources, run_until
from rules_engine.static.typecheck import Checked
from rules_engine.syntax import nodes as n


#: The checks quick enough for every keystroke (the language server's): the
#: static ones and W-MONEY-001 (`lint_warnings`).
QUICK_WARNINGS: tuple[WarningCheck, ...] = STATIC_WARNINGS + (
    WarningCheck("W-MONEY-001", "money that becomes £0 when a fact is unknown",
                 lambda checked: money_zero_when_unknown(checked, {l.file for l in checked.library.layers})),)

#: Every lint check: the quick ones and the analysis' (`lint_analysis`:
#: conditions the schema decides, asked of the solver: a second or two for
#: the shipped library; of the named files' conditions only, when files are named).
WARNINGS: tuple[WarningCheck, ...] = QUICK_WARNINGS + (
    WarningCheck("W-COND-001", "condition over facts that can never hold given the schema",
                 lambda checked, files: lint_analysis.conditions(checked, "never", "W-COND-001", files),
                 narrows=True),
    WarningCheck("W-COND-002", "condition over facts that always holds given the schema",
                 lambda checked, files: lint_analysis.conditions(checked, "always", "W-COND-002", files),
                 narrows=True),
    WarningCheck("W-WAIVE-001", "waiver that holds whenever its requirement applies",
                 lint_analysis.unreachable, narrows=True),
    WarningCheck("W-VARY-002", "replacement that decides every arrangement as the national term",
                 lint_analysis.unchanged, narrows=True),
)


@attrs.frozen
class ProvisionalTerm:
    name: str
    kind: str
    layer: str
    file: str
    line: int
    reason: str


@attrs.frozen
class LintResult:
    files: tuple[str, ...]
    terms: int
    provisional: tuple[ProvisionalTerm, ...]
    warnings: tuple[Diagnostic, ...] = ()
    named: frozenset = frozenset()  # the files the user named (none: the shipped library)
    sources: dict = attrs.field(factory=dict, eq=False, repr=False)  # path -> SourceFile, for carets

    def as_json(self) -> dict:
        return {"files": list(self.files), "terms": self.terms,
                "diagnostics": [to_json(w) for w in self.warnings],
                "provisional": [attrs.asdict(p) for p in self.provisional]}


def _is_national(source: SourceFile) -> bool:
    return source.text.lstrip().startswith("national") or "\nnational contract" in source.text


def lint_checked(checked: Checked, checks: Iterable[WarningCheck] = WARNINGS,
                 files: Iterable[str] | None = None) -> tuple[Diagnostic, ...]:
    """The warnings of a checked library (in `files` only, when given)."""
    return run_checks(checked, checks, files)


def lint_sources(sources: list[SourceFile], checks: Iterable[WarningCheck] = WARNINGS,
                 named: Iterable[str] | None = None) -> LintResult:
    """Lint `sources`; `named` are the files the user named (None: all)."""
    named = set(named) if named is not None else {s.path for s in sources}
    if not any(_is_national(s) for s in sources):
        shipped = [s for s in default_sources() if s.path.startswith("contracts/national/")]
        sources = shipped + sources
    checked: Checked = run_until("population types", sources)
    provisional = []
    terms = 0
    for name, forms in checked.library.forms.items():
        for form in forms:
            terms += 1
            marker = getattr(form.term, "provisional", None)
            if marker is not None:
                kind = {n.ParameterDecl: "parameter", n.TableDecl: "table", n.DefineDecl: "definition",
                        n.RequirementDecl: "requirement"}[type(form.term)]
                provisional.append(ProvisionalTerm(name, kind, form.layer.name, form.layer.file,
                                                   form.term.span.line, marker.reason))
            for mark in getattr(form.term, "row_provisional", ()):  # a table's marks of some rows
                provisional.append(ProvisionalTerm(name, "table", form.layer.name, form.layer.file,
                                                   mark.span.line, f"{mark.describe()}: {mark.reason}"))
    for enum_layer in checked.library.layers:
        for decl in enum_layer.syntax.declarations:
            if isinstance(decl, n.EnumDecl) and decl.provisional is not None:
                provisional.append(ProvisionalTerm(decl.name, "enumeration", enum_layer.name,
                                                   enum_layer.file, decl.span.line,
                                                   decl.provisional.reason))
            elif isinstance(decl, n.AllowDecl) and decl.provisional is not None:
                provisional.append(ProvisionalTerm(
                    f"allow {decl.kind}" + (f" {decl.target}" if decl.target else ""), "permission",
                    enum_layer.name, enum_layer.file, decl.span.line, decl.provisional.reason))
    files = tuple(s.path for s in sources)
    return LintResult(files, terms, tuple(sorted(provisional, key=lambda p: (p.file, p.line))),
                      lint_checked(checked, checks, named or None), frozenset(named), {s.path: s for s in sources})


def lint_paths(paths: Iterable[str | Path], checks: Iterable[WarningCheck] = WARNINGS) -> LintResult:
    paths = list(paths)
    if not paths:
        return lint_sources(default_sources(), checks, named=())
    files: list[Path] = []
    for path in paths:
        files += rule_files_in(Path(path))
    sources = read_sources(files)
    return lint_sources(sources, checks, [s.path for s in sources])


def render_lint(result: LintResult, verbose: bool = False) -> str:
    """The summary, the warnings, and the provisional terms of the files the
    user named (with `verbose`, of the national files added to check them too)."""
    count = len(result.warnings)
    lines = [f"checked {len(result.files)} file{'s' if len(result.files) != 1 else ''}, "
             f"{result.terms} term{'s' if result.terms != 1 else ''}: no errors"
             + (f", {count} warning{'s' if count != 1 else ''}" if count else "")]
    for warning in result.warnings:
        lines += ["", render_text(warning, result.sources)]
    named = result.named
    shown = [p for p in result.provisional if verbose or not named or p.file in named]
    others = len(result.provisional) - len(shown)
    if shown:
        lines.append("")
        lines.append(f"{len(shown)} provisional term"
                     f"{'s' if len(shown) != 1 else ''} (facts the sources do not confirm):")
        for p in shown:
            lines.append(f"  {p.file}:{p.line}: {p.kind} {p.name}: {p.reason}")
    if others:
        lines.append(f"{others} provisional term{'s' if others != 1 else ''} in the national files "
                     f"it was checked against (--verbose lists them)")
    return "\n".join(lines) + "\n"
