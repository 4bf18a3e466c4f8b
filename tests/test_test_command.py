"""`contract-rules test` by the conventions of pytest: `-k`, `-v`,
`--junit-xml`, did-you-mean for an unknown id, `waived` as an expected
outcome, and the `[tool.contract-rules]` table (the plugin's folders, the
default assumptions), whose mistakes are located errors."""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT
from rules_engine.base.diagnostics import InvalidInput
from rules_engine.cli import main
from rules_engine.testing.config import find_settings, read_settings
from rules_engine.testing.scenarios import read_cases, run_case

pytest_plugins = ["pytester"]

LOCAL = ROOT / "tests" / "scenarios" / "local-layers.yaml"
PCN = """arrangement:
  as_of: 2025-06-01
  pcn: {code: U1, raw_list_size: 27000, population_exception: none, adjusted_population: 50000}
"""


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_k_selects_cases_by_name_and_v_lists_them(capsys):
    assert main(["test", "-k", "peninsula", "-v", str(LOCAL)]) == 0
    out = capsys.readouterr().out
    assert out.count("PASS ") == 1 and "QE1: standard hours waived for the peninsula PCN only" in out
    assert out.endswith("1 passed, 0 failed\n")
    assert main(["test", "-k", "no such case anywhere", str(LOCAL)]) == 2  # nothing ran: not a pass
    assert "no case matches" in capsys.readouterr().err


def test_junit_xml(tmp_path, capsys):
    bad = _write(tmp_path, "bad.yaml", PCN + "expect:\n  results:\n    - {id: des.pcn.minimum-population, outcome: pass}\n")
    report = tmp_path / "out" / "junit.xml"
    report.parent.mkdir()
    assert main(["test", "--junit-xml", str(report), str(bad), str(LOCAL)]) == 1
    root = ET.parse(report).getroot()
    assert root.tag == "testsuites" and int(root.get("failures")) == 1
    assert int(root.get("tests")) == 1 + len(read_cases(LOCAL))
    failed = root.find(".//testcase/failure")
    assert "expected outcome 'pass', got 'fail'" in failed.text


def test_did_you_mean_for_an_unknown_id(tmp_path):
    (case,) = read_cases(_write(tmp_path, "s.yaml", PCN + """expect:
      results:
        - {id: des.pcn.minimum-populaton, outcome: fail}
      values:
        - {id: des.ea.required-minute, value: 3000}
    """))
    failures = run_case(case).failures
    assert "did you mean `des.pcn.minimum-population`?" in failures[0]
    assert "did you mean `des.ea.required-minutes`" in failures[1]


def test_waived_is_an_expected_outcome(tmp_path):
    text = LOCAL.read_text(encoding="utf-8").replace(
        "{id: des.ea.standard-hours, outcome: not_applicable, layer: qe1, flexibility: waived}",
        "{id: des.ea.standard-hours, outcome: waived}")
    path = _write(tmp_path, "local.yaml", text.replace("../../", str(ROOT) + "/"))
    cases = {c.name: c for c in read_cases(path)}
    assert run_case(cases["QE1: standard hours waived for the peninsula PCN only"]).passed
    other = _write(tmp_path, "other.yaml", PCN + "expect:\n  results:\n    - {id: des.pcn.minimum-population, outcome: waived}\n")
    (case,) = read_cases(other)
    assert run_case(case).failures == (
        "des.pcn.minimum-population (pcn:U1): expected outcome 'waived', got 'fail'",)


def test_settings_from_pyproject(tmp_path):
    (tmp_path / "ops" / "cases").mkdir(parents=True)
    (tmp_path / "figures.yaml").write_text("qof_national_average_list_size: 10349\n", encoding="utf-8")
    _write(tmp_path, "pyproject.toml", """\
        [project]
        name = "x"

        [tool.contract-rules]
        scenarios = ["ops/cases"]
        assumptions = "figures.yaml"
        """)
    settings = find_settings(tmp_path / "ops")
    assert settings.scenarios == (tmp_path / "ops" / "cases",)
    assert settings.assumptions == tmp_path / "figures.yaml"
    assert find_settings(ROOT).scenarios == (ROOT / "tests" / "scenarios",)


@pytest.mark.parametrize("table, line, column, words", [
    ("[tool.contract-rules]\nscenarios = [\"a\"\n", 3, 1, "not valid TOML"),
    ("[tool.contract-rules]\nscenario = [\"a\"]\n", 2, 1, "did you mean `scenarios`?"),
    ("[tool.contract-rules]\nscenarios = [1, 2]\n", 2, 1, "must be a list"),
    ("[tool.contract-rules]\n  assumptions = \"nowhere.yaml\"\n", 2, 3, "is not a file"),
])
def test_a_malformed_table_is_a_located_error(tmp_path, table, line, column, words):
    path = _write(tmp_path, "pyproject.toml", table)
    with pytest.raises(InvalidInput) as raised:
        read_settings(path)
    (found,) = raised.value.diagnostics
    assert found.code == "E-CONFIG-001" and words in found.message + (found.hint or "")
    assert (found.span.line, found.span.column) == (line, column)


def test_the_plugin_collects_the_configured_folders(pytester):
    pytester.makepyprojecttoml('[tool.contract-rules]\nscenarios = ["checks"]\n')
    folder = pytester.mkdir("checks")
    (folder / "one.yaml").write_text(PCN + "expect:\n  results:\n    - {id: des.pcn.minimum-population, outcome: fail}\n")
    elsewhere = pytester.mkdir("scenarios")
    (elsewhere / "ignored.yaml").write_text("not: a scenario\n")
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1)
