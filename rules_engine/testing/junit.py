"""`contract-rules test --junit-xml FILE`: a scenario run as JUnit XML, the
report CI services show per test.

One `<testsuite>` per scenario file, one `<testcase>` per case (its name,
the file as the class name, and the line); a failing case has a `<failure>`
with what differed, an invalid one an `<error>` with its diagnostics, and a
file that could not be read is a suite with one `<error>`. Built with
ElementTree, so every text from a scenario file stays text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from rules_engine.base.diagnostics import Diagnostic, InvalidInput, render_all
from rules_engine.io.outputs import write_text
from rules_engine.static.load import source_lookup


def junit_xml(run, seconds: dict | None = None) -> str:
    """The run (`scenarios.ScenarioRun`) as a JUnit XML document."""
    seconds = seconds or {}
    suites = ET.Element("testsuites", name="contract-rules test")
    by_file: dict[str, list] = {}
    for outcome in run.outcomes:
        by_file.setdefault(outcome.case.file, []).append(outcome)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for file, outcomes in by_file.items():
        failures = sum(1 for o in outcomes if o.failures)
        errors = sum(1 for o in outcomes if o.diagnostics)
        suite = ET.SubElement(suites, "testsuite", name=file, tests=str(len(outcomes)),
                              failures=str(failures), errors=str(errors), skipped="0")
        for outcome in outcomes:
            case = ET.SubElement(suite, "testcase", name=outcome.case.name, classname=file, file=file,
                                 line=str(outcome.case.span.line),
                                 time=f"{seconds.get(id(outcome), 0.0):.3f}")
            if outcome.failures:
                failure = ET.SubElement(case, "failure", message=outcome.failures[0], type="ScenarioFailure")
                failure.text = "\n".join(outcome.failures)
            elif outcome.diagnostics:
                error = ET.SubElement(case, "error", message=outcome.diagnostics[0].message,
                                      type=outcome.diagnostics[0].code)
                error.text = render_all(outcome.diagnostics, {**source_lookup(outcome.diagnostics, outcome.sources),
                                                              outcome.case.file: outcome.case.source})
        totals["tests"] += len(outcomes)
        totals["failures"] += failures
        totals["errors"] += errors
    for diagnostic in run.invalid_files:
        name = diagnostic.span.file if diagnostic.span is not None else (diagnostic.path or "<scenario>")
        suite = ET.SubElement(suites, "testsuite", name=name, tests="1", failures="0", errors="1", skipped="0")
        case = ET.SubElement(suite, "testcase", name=name, classname=name)
        error = ET.SubElement(case, "error", message=diagnostic.message, type=diagnostic.code)
        error.text = render_all([diagnostic], source_lookup([diagnostic]))
        totals["tests"] += 1
        totals["errors"] += 1
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def write_junit(path, run) -> None:
    """Write the report to `path` whole (a temporary file, then a rename)."""
    try:
        write_text(path, junit_xml(run))
    except OSError as error:
        raise InvalidInput([Diagnostic("E-WRITE-001", f"cannot write {path}: {error.strerror or error}", None,
                                       path=str(path), hint="give --junit-xml a file in a folder that "
                                                            "exists and that you may write to")]) from None
