"""Golden diagnostics: every error case renders byte for byte as reviewed.

Each file in tests/golden/errors is a rule file (linted with the frozen
fixture library) or an arrangement (checked against it). Its `.expected` file
holds the exit code and everything printed. Each bad line also carries an
inline `# error: CODE` expectation, checked against the diagnostics' codes
and lines, so a golden file cannot silently accept the wrong error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rules_engine.cli import main
from rules_engine.base.diagnostics import CODES, InvalidInput
from rules_engine.queries.lint import lint_paths

from conftest import GOLDEN, ROOT, check_golden

CASES = sorted((GOLDEN / "errors").glob("*.rules")) + sorted((GOLDEN / "errors").glob("*.yaml"))
FIXTURE = "tests/golden/fixture"
INLINE = re.compile(r"#\s*error:\s*(E-[A-Z]+-\d{3})")


def run_case(path: Path, capsys) -> str:
    relative = str(path.relative_to(ROOT))
    if path.suffix == ".rules":
        code = main(["lint", FIXTURE, relative])
    else:
        code = main(["check", "--rules", FIXTURE, relative])
    captured = capsys.readouterr()
    return f"exit {code}\n--- stdout\n{captured.out}--- stderr\n{captured.err}"


def test_there_are_at_least_25_distinct_cases():
    codes = {m.group(1) for case in CASES for m in INLINE.finditer(case.read_text())}
    assert len(CASES) >= 25
    assert len(codes) >= 25, sorted(codes)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_rendering(case, capsys, in_root, update_golden):
    output = run_case(case, capsys)
    assert output.startswith("exit 2\n"), output
    assert "Traceback" not in output
    check_golden(case.with_suffix(case.suffix + ".expected"), output, update_golden)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_inline_expectations(case, in_root, fixture_engine):
    expected = {(number, m.group(1)) for number, line in enumerate(case.read_text().splitlines(), 1)
                for m in INLINE.finditer(line)}
    assert expected, f"{case.name} has no `# error:` expectation"
    with pytest.raises(InvalidInput) as raised:
        if case.suffix == ".rules":
            lint_paths([FIXTURE, case.relative_to(ROOT)])
        else:
            fixture_engine.check_files([case.relative_to(ROOT)])
    actual = {(d.span.line, d.code) for d in raised.value.diagnostics if d.span is not None}
    assert expected <= actual, f"expected {sorted(expected)}, got {sorted(actual)}"
    for diagnostic in raised.value.diagnostics:
        assert diagnostic.code in CODES
