"""`lint --format sarif`: diagnostics as SARIF 2.1.0, the format code-scanning
services read to annotate a change (errors and `W-*` warnings alike).

Input: diagnostics (a lint's warnings, or the errors that stopped it).
Output: the SARIF log as data (`sarif_log`); `json_report.dumps` writes it.
Each code used is a rule of the run's tool, with what it means
(`diagnostics.CODES`) and the address of its section of docs/errors.md; each
diagnostic is a result at its file, line and column, its notes as related
locations and its hint after the message.
"""

from __future__ import annotations

from typing import Iterable

from rules_engine.base.diagnostics import CODES, Diagnostic
from rules_engine.base.source import Span
from rules_engine.base.version import version
from rules_engine.reports.json_report import dumps

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning"}


def _location(span: Span, message: str | None = None) -> dict:
    found = {"physicalLocation": {
        "artifactLocation": {"uri": span.file.replace("\\", "/")},
        "region": {"startLine": span.line, "startColumn": span.column,
                   "endLine": span.end_line, "endColumn": max(span.end_column, span.column)}}}
    if message is not None:
        found["message"] = {"text": message}
    return found


def _result(diagnostic: Diagnostic, rules: list[str]) -> dict:
    text = diagnostic.message + (f" (hint: {diagnostic.hint})" if diagnostic.hint else "")
    notes = [r.message for r in diagnostic.related if r.span is None]
    if notes:
        text += "; " + "; ".join(notes)
    result = {"ruleId": diagnostic.code, "ruleIndex": rules.index(diagnostic.code),
              "level": LEVELS.get(diagnostic.severity, "error"), "message": {"text": text}}
    if diagnostic.span is not None:
        result["locations"] = [_location(diagnostic.span)]
    elif diagnostic.path is not None:
        result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": diagnostic.path}}}]
    related = [_location(r.span, r.message) for r in diagnostic.related if r.span is not None]
    if related:
        result["relatedLocations"] = [dict(location, id=index) for index, location in enumerate(related)]
    return result


def sarif_log(diagnostics: Iterable[Diagnostic]) -> dict:
    diagnostics = sorted(diagnostics, key=lambda d: d.sort_key)
    rules = sorted({d.code for d in diagnostics})
    driver = {"name": "contract-rules", "version": version(),
              "rules": [{"id": code, "shortDescription": {"text": CODES[code]},
                         "helpUri": f"docs/errors.md#{code.lower()}"} for code in rules]}
    return {"$schema": SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "results": [_result(d, rules) for d in diagnostics]}]}


def sarif_text(diagnostics: Iterable[Diagnostic]) -> str:
    """The SARIF log as the command line writes it."""
    return dumps(sarif_log(diagnostics)) + "\n"
