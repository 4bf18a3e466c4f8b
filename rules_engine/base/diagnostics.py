"""Diagnostics: user errors as data, with stable codes, and their rendering.

Every stage reports problems in rule files and arrangements as `Diagnostic`
values: a code from `CODES`, a message, the span it points at, related spans
(the national term a local variation breaks, say) and a hint. Rendering is
separate: `render_text` gives the `file:line:col: error[CODE]: message` form
with the source line and a caret; `to_json` gives the same as data.

A stage that cannot go on raises `InvalidInput(diagnostics)`; the CLI turns it
into exit code 2. Anything else escaping a stage is a bug in the engine.
"""

from __future__ import annotations

import difflib
import functools
from typing import Iterable, Mapping

import attrs

from rules_engine.base.source import SourceFile, Span

#: Every diagnostic code the engine can emit, with what it means. Codes are
#: stable: tests, scenario files and users may rely on them.
CODES: dict[str, str] = {
    # syntax (parser, lowering)
    "E-SYNTAX-001": "unexpected token",
    "E-SYNTAX-002": "unexpected character",
    "E-SYNTAX-003": "unexpected end of the file or of a declaration",
    "E-SYNTAX-004": "clause not allowed in this declaration",
    "E-SYNTAX-005": "clause given twice",
    "E-SYNTAX-006": "declaration lacks a clause it needs",
    "E-SYNTAX-007": "malformed literal",
    "E-SYNTAX-008": "declaration not allowed in this kind of layer",
    "E-SYNTAX-009": "file cannot be read",
    "E-SYNTAX-010": "thousands separators (or a decimal comma) in a number",
    "E-SYNTAX-011": "typographic character (curly quote, dash, special space) pasted from a document",
    "E-SYNTAX-012": "operator spelled as in another language (==, &&, ||, !)",
    "E-SYNTAX-013": "hyphen in a name",
    "E-SYNTAX-014": "full stop at the end of a clause",
    "E-SYNTAX-015": "date or time written in another form than YYYY-MM-DD or HH:MM",
    "E-SYNTAX-030": "unknown rounding",
    # names (resolver)
    "E-NAME-001": "unknown name",
    "E-NAME-002": "name declared twice",
    "E-NAME-003": "definitions or parameters depend on each other in a cycle",
    "E-NAME-004": "unknown fact",
    "E-NAME-005": "subject not in scope",
    "E-NAME-006": "unknown function",
    "E-NAME-007": "unknown subject",
    "E-NAME-008": "table key that is not one of its columns",
    "E-NAME-009": "column the table does not have",
    "E-NAME-010": "built-in function without the declaration it needs",
    # types (type checker)
    "E-TYPE-001": "operand of the wrong type",
    "E-TYPE-002": "comparison of incompatible types",
    "E-TYPE-003": "declared type does not match the value",
    "E-TYPE-004": "condition is not a yes/no value",
    "E-TYPE-005": "wrong number or kind of arguments",
    "E-TYPE-006": "unknown type",
    "E-TYPE-007": "not a collection",
    "E-TYPE-008": "table row does not match its columns",
    "E-TYPE-009": "not a member of the enumeration",
    "E-TYPE-010": "quoted text where a number, amount, date or yes/no value is expected",
    "E-TYPE-030": "rounding a value that is not money",
    # units
    "E-UNIT-001": "units do not match",
    "E-UNIT-002": "unknown unit",
    "E-UNIT-003": "unit not allowed here",
    "E-UNIT-004": "unit word on a count or plain number",
    # layers and flexibility
    "E-LAYER-001": "variation outside the bounds the national term allows",
    "E-LAYER-002": "variation of a locked term",
    "E-LAYER-003": "waiver of a requirement that is not waivable",
    "E-LAYER-004": "local declaration about an unknown national term (vary, waive, replace, add to, retire)",
    "E-LAYER-005": "variation without a reason",
    "E-LAYER-006": "local redefinition of a national term",
    "E-LAYER-007": "two forms of one term in force on the same date",
    "E-LAYER-008": "replacement of a requirement that is not replaceable",
    "E-LAYER-009": "layer extends an unknown contract",
    "E-LAYER-010": "rows added to a table that is not extensible",
    "E-LAYER-011": "no contract in force on the date",
    "E-LAYER-012": "two layers with one name",
    "E-LAYER-013": "added row repeats a row of the national table",
    "E-LAYER-014": "a local layer declares one variation or term twice",
    "E-LAYER-015": "two local layers for one ICB in force on the same dates",
    "E-LAYER-016": "local layer reports a value id a national layer reports",
    "E-LAYER-017": "two dated values of a parameter in force on the same dates",
    "E-LAYER-018": "carries forward what is not a national contract (or one carried twice)",
    "E-LAYER-019": "a carrying period that does not start the day after the carried contract ends",
    "E-LAYER-020": "a proposed layer (--local, --variation, a scenario's local:) that is not a local layer",
    # flexibility envelopes (rules_engine/static/flexibility.py)
    "E-FLEX-001": "two flexibility envelopes in force on the same dates",
    "E-FLEX-002": "rows added beyond the budget of the rows retired",
    "E-FLEX-003": "retirement of a row the national table does not have",
    "E-FLEX-004": "retirement of rows of a table no envelope opens",
    "E-FLEX-005": "replacement of a value no envelope opens",
    "E-FLEX-006": "replacement drops the condition the envelope keeps",
    "E-FLEX-007": "local requirement the envelope in force does not allow",
    "E-FLEX-008": "envelope permission names an unknown term or column",
    "E-FLEX-009": "local rows take a capped table past the envelope's cap",
    "E-POP-001": "a population term used for one arrangement (read by a per-arrangement term, or explained for one)",
    "E-POP-002": "population term measures an unknown value or requirement",
    "E-POP-003": "population term with a wrong `across`, outcome, or bound type",
    "E-FLEX-010": "the national rows of a capped table already exceed the envelope's cap",
    "E-FLEX-011": "replacement weakens a floor the envelope protects",
    "E-FLEX-012": "envelope protects a condition the national requirement does not demand",
    "E-FLEX-013": "added row's cell outside the envelope's bound on its column",
    # facts (arrangements)
    "E-FACT-001": "field not declared in the schema",
    "E-FACT-002": "value of the wrong type",
    "E-FACT-003": "value not among the allowed names",
    "E-FACT-004": "malformed date, time or interval",
    "E-FACT-005": "value out of range",
    "E-FACT-006": "arrangement cannot be read",
    "E-FACT-007": "required field missing",
    "E-FACT-008": "one subject given twice in an arrangement",
    "E-FACT-009": "one practice on two lines of a population on one date",
    "W-FACT-001": "practice listed twice among a PCN's members",
    "W-FACT-002": "practice that is not a member of its PCN",
    "W-FACT-003": "list size of 0",
    "W-FACT-004": "weighted list implausibly far from the registered list",
    "W-FACT-005": "PCN smaller than any approved",
    "W-FACT-006": "one practice in two files of one check on one date",
    "W-FACT-007": "PCN larger than any in England",
    # lint warnings (rules_engine/static/lint_checks.py): allowed, but probably a mistake
    "W-UNUSED-001": "parameter that nothing reads",
    "W-UNUSED-002": "table that nothing reads",
    "W-UNUSED-003": "definition that nothing reads or reports",
    "W-CLAUSE-001": "requirement that names no clause",
    "W-VARY-001": "variation that sets the national value again",
    "W-DATED-001": "dated values that leave days of the contract's period without a value",
    "W-ID-001": "local requirement id without the layer's prefix",
    # scenario files, and the project's settings for them (pyproject.toml)
    "E-CONFIG-001": "malformed [tool.contract-rules] table in pyproject.toml",
    "E-SCENARIO-001": "malformed scenario file",
    "E-SCENARIO-002": "unknown key in a scenario file",
    "E-SCENARIO-003": "expected outcome that is not an outcome",
    "E-SCENARIO-004": "expectation that checks nothing",
    "E-SCENARIO-005": "expected value or tolerance that is not a finite number",
    # assumptions (rules_engine/program/assumptions.py: --assume, --assumptions, a scenario's assume:)
    "E-ASSUME-001": "assumption for an unknown parameter",
    "E-ASSUME-002": "assumed value of the wrong type or unit",
    "E-ASSUME-003": "assumption for a figure the national layer has",
    "E-ASSUME-004": "malformed assumption",
    "E-ASSUME-005": "assumption given twice",
    "E-ASSUME-006": "assumption for a figure the contract does not have on the date",
    # bounds stated for an analysis (rules_engine/analysis/bounds.py: vary-check --bounds)
    "E-BOUNDS-001": "malformed bounds file",
    "E-BOUNDS-002": "bound on a path that is no numeric fact",
    "E-BOUNDS-003": "bounds that no value meets",
    # input files (rules_engine/io/inputs.py: one reader for every file)
    "E-INPUT-001": "not a regular file",
    "E-INPUT-002": "invalid UTF-8",
    "E-INPUT-003": "no rule files found",
    "E-INPUT-004": "rule file not named *.rules",
    "E-INPUT-005": "no scenario files found",
    "E-INPUT-006": "a population with no arrangement that could be read",
    # writing files (rules_engine/io/outputs.py)
    "E-WRITE-001": "file cannot be written",
    "E-WRITE-002": "file exists: `new` does not replace it",
    "E-WRITE-003": "-o names a file the command reads",
    # lint warnings (rules_engine/queries/lint_warnings.py: one row per warning; exit 0)
    "W-MONEY-001": "money that becomes £0 when a fact is unknown",
    "W-COND-001": "condition over facts that can never hold given the schema",
    "W-COND-002": "condition over facts that always holds given the schema",
    "W-WAIVE-001": "waiver that holds whenever its requirement applies",
    "W-VARY-002": "replacement that decides every arrangement as the national term",
    # input limits (rules_engine/base/limits.py: one row per limit, settable)
    "E-LIMIT-001": "file larger than the size limit",
    "E-LIMIT-002": "population line longer than the line limit",
    "E-LIMIT-003": "data nested deeper than the nesting limit",
    "E-LIMIT-004": "expression nested deeper than the expression limit",
    "E-LIMIT-005": "chain of definitions longer than the chain limit",
    "E-LIMIT-006": "more YAML aliases than the alias limit",
    "E-LIMIT-007": "number with more digits than the number limit",
    "E-LIMIT-008": "date outside the date range",
}


@attrs.frozen
class Related:
    """Another place that explains a diagnostic (the national term, say)."""

    span: Span | None
    message: str


@attrs.frozen
class Fix:
    """An edit that fixes a diagnostic: the text to put in place of a span."""

    span: Span
    replacement: str
    title: str


@attrs.frozen
class Diagnostic:
    code: str
    message: str
    span: Span | None
    severity: str = "error"
    related: tuple[Related, ...] = ()
    hint: str | None = None
    path: str | None = None  # a field path in an arrangement, when there is one
    fixes: tuple[Fix, ...] = ()  # edits that fix it (an editor's quick fixes)

    def __attrs_post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code}")

    @property
    def sort_key(self) -> tuple:
        span = self.span
        if span is None:
            return ("", 0, 0, self.code, self.message)
        return (span.file, span.line, span.column, self.code, self.message)


class InvalidInput(Exception):
    """Raised by a stage when the user's input has errors; exit code 2."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: Iterable[SourceFile] = ()):
        self.diagnostics = tuple(sorted(diagnostics, key=lambda d: d.sort_key))
        # Texts that are no file on disk (the `--assume` arguments), for
        # showing the diagnostics' lines.
        self.sources = tuple(sources)
        super().__init__("\n".join(d.message for d in self.diagnostics))

    def __reduce__(self):  # pickled whole between processes (population runs)
        return (type(self), (self.diagnostics, self.sources))


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' phrase for the closest candidates, or None."""
    candidates = frozenset(candidates)
    try:
        return _closest(name, candidates)
    except TypeError:  # a name that cannot be a key (a list read from YAML): worked out each time
        return _closest.__wrapped__(name, candidates)


@functools.lru_cache(maxsize=512)
def _closest(name: str, candidates: frozenset[str]) -> str | None:
    """`did_you_mean`, worked out once for a name among the same candidates:
    the language server checks a document again at each edit, and gives the
    same unknown names the same hints (difflib over every visible name took
    a third of its CPU in test_lsp's session of sampled prefixes and edits)."""
    close = difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"


def one_of(names: Iterable[str], limit: int = 12) -> str:
    names = sorted(set(names))
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def render_text(diagnostic: Diagnostic, sources: Mapping[str, SourceFile]) -> str:
    """`file:line:col: error[CODE]: message`, the line, a caret, notes, hint."""
    span = diagnostic.span
    where = str(span) if span is not None else (diagnostic.path or "<input>")
    lines = [f"{where}: {diagnostic.severity}[{diagnostic.code}]: {diagnostic.message}"]
    source = sources.get(span.file) if span is not None else None
    if source is not None:
        lines.append(source.excerpt(span))
    for related in diagnostic.related:
        if related.span is None:
            lines.append(f"   = note: {related.message}")
            continue
        lines.append(f"   = note: {related.span}: {related.message}")
        related_source = sources.get(related.span.file)
        if related_source is not None:
            lines.append(related_source.excerpt(related.span))
    if diagnostic.hint:
        lines.append(f"   = hint: {diagnostic.hint}")
    return "\n".join(lines)


def render_all(diagnostics: Iterable[Diagnostic], sources: Mapping[str, SourceFile]) -> str:
    diagnostics = sorted(diagnostics, key=lambda d: d.sort_key)
    body = "\n\n".join(render_text(d, sources) for d in diagnostics)
    errors = sum(1 for d in diagnostics if d.severity == "error")
    warnings = len(diagnostics) - errors
    summary = f"{errors} error{'s' if errors != 1 else ''}"
    if warnings:
        summary += f", {warnings} warning{'s' if warnings != 1 else ''}"
    return f"{body}\n\n{summary}\n" if body else ""


def span_json(span: Span | None) -> dict | None:
    if span is None:
        return None
    return {"file": span.file, "line": span.line, "column": span.column,
            "end_line": span.end_line, "end_column": span.end_column}


def to_json(diagnostic: Diagnostic) -> dict:
    return {
        "code": diagnostic.code,
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "span": span_json(diagnostic.span),
        "path": diagnostic.path,
        "related": [{"message": r.message, "span": span_json(r.span)} for r in diagnostic.related],
        "hint": diagnostic.hint,
    } | ({"fixes": [{"span": span_json(f.span), "replacement": f.replacement, "title": f.title}
                    for f in diagnostic.fixes]} if diagnostic.fixes else {})
