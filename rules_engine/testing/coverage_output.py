"""What `contract-rules test --coverage` writes: the coverage of a scenario
run (`run.coverage`) as text, JSON or an HTML page, and the verdict of
`--min-coverage`. The command line only picks the options and the exit code.
"""

from __future__ import annotations

from pathlib import Path

from rules_engine.reports import json_report
from rules_engine.reports.coverage_report import render_html, render_text
from rules_engine.run.coverage import Coverage, Recorder, below

__all__ = ["Recorder", "format_for", "rendered", "shortfall"]

#: The formats of `--coverage-format`.
COVERAGE_FORMATS = ("text", "json", "html")


def format_for(path: Path | None, chosen: str | None) -> str:
    """The format of a coverage report: the one chosen, else by the file's
    suffix (.json, .html or .htm), else text."""
    if chosen:
        return chosen
    suffix = path.suffix.lower() if path is not None else ""
    return {".json": "json", ".html": "html", ".htm": "html"}.get(suffix, "text")


def rendered(coverage: Coverage, output_format: str, verbose: bool = False) -> str:
    """The whole coverage report in one format."""
    document = coverage.as_json()
    if output_format == "json":
        return json_report.dumps(document) + "\n"
    if output_format == "html":
        return render_html(document, {f.file: f.source.text for f in coverage.files})
    return render_text(document, verbose)


def shortfall(coverage: Coverage, minimum: float | None) -> str | None:
    """The message when the run's coverage is under `--min-coverage`, else None."""
    if minimum is None or not below(coverage.covered, coverage.points, minimum):
        return None
    shown = "no points" if coverage.figure is None else f"{coverage.figure:.1f}%"
    return (f"rule coverage {shown} ({coverage.covered} of {coverage.points} points) is below "
            f"--min-coverage {minimum:g}%")
