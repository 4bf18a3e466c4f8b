"""Lint warnings (`W-*`, static/lint_checks.py and queries/lint.WARNINGS): each found by its catalogue example, with a golden
of what `lint` prints; JSON and SARIF; `--strict` fails on a warning; notes
about files the user did not name only with `--verbose`; the shipped library
is clean; another module's checks come in as rows of the same table."""

from __future__ import annotations

import json

import pytest

from conftest import GOLDEN, ROOT, check_golden
from rules_engine.base.diagnostics import CODES, Diagnostic
from rules_engine.cli import main
from rules_engine.queries import error_catalogue as catalogue
from rules_engine.queries.lint import lint_paths, lint_sources
from rules_engine.static.library import read_sources
from rules_engine.queries.lint import WARNINGS
from rules_engine.static.lint_checks import WarningCheck, warning
from rules_engine.static import fact_checks

W_CODES = sorted(code for code in CODES if code.startswith("W-"))
GOLDEN_LINT = GOLDEN / "lint"


def test_every_warning_code_is_registered_and_has_a_check():
    """Every W-code is found by a row of one table: lint's (rule files) or the
    fact checks' (an arrangement's implausible input, shown by `check`)."""
    assert len(W_CODES) >= 7
    checked = {row.code for row in WARNINGS} | {row.code for row in fact_checks.WARNINGS}
    families = {code.rsplit("-", 1)[0] for code in W_CODES}
    assert {code.rsplit("-", 1)[0] for code in checked} == families
    assert {row.code for row in fact_checks.WARNINGS} <= set(W_CODES)


@pytest.mark.parametrize("code", W_CODES)
def test_each_warning_has_an_example_and_a_golden(code, update_golden):
    entry = catalogue.entry(code)
    captured = catalogue.run_example(entry.example, main)
    assert captured.exit == 0  # a warning is not an error
    assert f"warning[{code}]" in captured.output
    shown = captured.output
    if code.startswith("W-FACT-"):
        # `check` prints the warning among the arrangement's results: the
        # golden holds the warning's own lines, not the whole library's.
        shown = _warning_block(shown, code)
    check_golden(GOLDEN_LINT / f"{code}.txt", shown, update_golden)


def _warning_block(output: str, code: str) -> str:
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if f"warning[{code}]" in line)
    end = next((i for i in range(start + 1, len(lines))
                if not lines[i].startswith("    ")), len(lines))
    return "\n".join(line.strip() if i == start else line
                     for i, line in enumerate(lines[start:end], start)) + "\n"


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _example_files(tmp_path, code):
    for file in catalogue.entry(code).example.files:
        (tmp_path / file.name).write_bytes(file.data)
    return [str(tmp_path / f.name) for f in catalogue.entry(code).example.files]


def test_json_and_sarif_carry_the_warnings(tmp_path, capsys):
    files = _example_files(tmp_path, "W-ID-001")
    assert main(["lint", "--format", "json", *files]) == 0
    data = json.loads(capsys.readouterr().out)
    (found,) = data["diagnostics"]
    assert (found["code"], found["severity"]) == ("W-ID-001", "warning")
    assert found["span"]["line"] == 5 and found["fixes"][0]["replacement"] == "qxx.ea.saturday"
    assert main(["lint", "--format", "sarif", *files]) == 0
    log = json.loads(capsys.readouterr().out)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["W-ID-001"]
    (result,) = run["results"]
    assert result["level"] == "warning" and result["ruleId"] == "W-ID-001"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (5, 17)


def test_sarif_reports_errors_too(tmp_path, capsys):
    bad = _write(tmp_path, "x.rules", 'national contract x "X"\nparameter a: count = 24,000\n')
    assert main(["lint", "--format", "sarif", str(bad)]) == 2
    (result,) = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("E-SYNTAX-010", "error")


def test_strict_makes_warnings_fail(tmp_path, capsys):
    files = _example_files(tmp_path, "W-CLAUSE-001")
    assert main(["lint", *files]) == 0
    assert main(["lint", "--strict", *files]) == 1
    assert "warning[W-CLAUSE-001]" in capsys.readouterr().out
    clean = _write(tmp_path, "clean.rules", 'national contract x "X"\n')
    assert main(["lint", "--strict", str(clean)]) == 0


def test_notes_about_files_not_named_only_with_verbose(capsys):
    qmm = str(ROOT / "contracts" / "local" / "qmm.rules")
    assert main(["lint", qmm]) == 0
    quiet = capsys.readouterr().out
    assert "contracts/national/" not in quiet.split("provisional", 1)[-1].split("and ", 1)[0]
    assert "in the national files it was checked against (--verbose lists them)" in quiet
    assert main(["lint", "--verbose", qmm]) == 0
    loud = capsys.readouterr().out
    assert "contracts/national/network_des.rules" in loud and "--verbose lists them" not in loud


def test_the_shipped_library_has_no_warnings():
    result = lint_paths([ROOT / "contracts"])
    assert [f"{w.span}: {w.code} {w.message}" for w in result.warnings] == []


def test_warnings_name_only_the_files_named(tmp_path):
    files = _example_files(tmp_path, "W-VARY-001")
    national = _write(tmp_path, "network_des.rules", (tmp_path / "network_des.rules").read_text(
        encoding="utf-8") + "\nparameter spare: count = 1\n  ref \"§9\"\n")
    sources = read_sources([national, files[1]])
    found = lint_sources(sources, named=[files[1]]).warnings
    assert [w.code for w in found] == ["W-VARY-001"]  # not the national file's unused `spare`
    assert sorted(w.code for w in lint_sources(sources).warnings) == ["W-UNUSED-001", "W-VARY-001"]


def test_another_module_contributes_checks_as_rows(tmp_path):
    files = _example_files(tmp_path, "W-CLAUSE-001")

    def every_requirement(checked):
        for name, forms in checked.library.forms.items():
            yield warning("W-CLAUSE-001", f"seen {name}", forms[0].term.span)

    extra = WarningCheck("W-CLAUSE-001", "a planted check", every_requirement)
    found = lint_paths(files, checks=WARNINGS + (extra,)).warnings
    assert sum(1 for w in found if w.message.startswith("seen ")) >= 1
    assert all(isinstance(w, Diagnostic) and w.severity == "warning" for w in found)
