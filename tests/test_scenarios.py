"""scenarios.py: scenario files, expected against actual, and malformed ones."""

import pytest

from rules_engine import InvalidInput
from rules_engine.testing.scenarios import read_cases, run_case, run_scenarios


def write(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


PCN = """arrangement:
  as_of: 2025-06-01
  pcn: {code: U1, raw_list_size: 27000, population_exception: none, adjusted_population: 50000}
"""


def test_a_failing_expectation_says_expected_and_actual(tmp_path):
    (case,) = read_cases(write(tmp_path, PCN + "expect:\n  results:\n"
                               "    - {id: des.pcn.minimum-population, outcome: pass}\n"
                               "  values:\n    - {id: des.ea.required-minutes, value: 2999}\n"))
    outcome = run_case(case)
    assert outcome.failures == (
        "des.pcn.minimum-population (pcn:U1): expected outcome 'pass', got 'fail'",
        "des.ea.required-minutes: expected 2999, got 3000")


def test_money_within_a_tolerance(tmp_path):
    (case,) = read_cases(write(tmp_path, PCN + "expect:\n  values:\n"
                               "    - {id: pay.enhanced-access-maximum, value: 421350, tolerance: 0.01}\n"))
    assert run_case(case).passed
    (case,) = read_cases(write(tmp_path, PCN + "expect:\n  values:\n"
                               "    - {id: pay.enhanced-access-maximum, value: \"421350.01\"}\n"))
    assert not run_case(case).passed


def test_malformed_scenarios_point_at_the_line(tmp_path):
    with pytest.raises(InvalidInput) as raised:
        read_cases(write(tmp_path, PCN + "expect:\n  reslts: []\n"))
    (d,) = raised.value.diagnostics
    assert (d.code, d.span.line) == ("E-SCENARIO-002", 5)
    assert "did you mean `results`?" in d.hint


def test_invalid_arrangement_in_a_scenario_is_reported_not_raised(tmp_path):
    (case,) = read_cases(write(tmp_path, "arrangement:\n  as_of: 2025-06-01\n  pcn: {code: U1, size: 3}\n"
                               "expect: {outcome: pass}\n"))
    outcome = run_case(case)
    assert [d.code for d in outcome.diagnostics] == ["E-FACT-001"]
    assert outcome.diagnostics[0].span.line == 3


def test_expected_errors(tmp_path):
    (case,) = read_cases(write(tmp_path, "arrangement:\n  as_of: 2025-06-01\n  pcn: {code: U1, size: 3}\n"
                               "expect: {errors: [E-FACT-001]}\n"))
    assert run_case(case).passed


def test_run_counts(tmp_path, in_root):
    run = run_scenarios([in_root / "tests/scenarios/core/minimum-population.yaml"])
    assert run.failed == 0 and run.invalid == 0 and len(run.outcomes) == 5


# Issue 9, defect 14: scenario files that are invalid are reported as invalid
# (exit 2, their own codes), never as a crash, a failure or a silent pass.

def _invalid(tmp_path, text):
    with pytest.raises(InvalidInput) as raised:
        read_cases(write(tmp_path, text))
    return raised.value.diagnostics


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", '"NaN"', '"inf"'])
def test_an_expected_value_that_is_no_finite_number_is_invalid(tmp_path, value):
    (d,) = _invalid(tmp_path, PCN + f"expect:\n  values:\n    - {{id: pay.enhanced-access, value: {value}}}\n")
    assert (d.code, d.span.line) == ("E-SCENARIO-005", 6)


@pytest.mark.parametrize("tolerance", [".nan", "-0.01", "abc"])
def test_a_tolerance_that_is_no_finite_number_of_0_or_more_is_invalid(tmp_path, tolerance):
    (d,) = _invalid(tmp_path, PCN + "expect:\n  values:\n"
                    f"    - {{id: pay.enhanced-access, value: 421350, tolerance: {tolerance}}}\n")
    assert d.code == "E-SCENARIO-005"


def test_a_zero_tolerance_is_valid(tmp_path):
    (case,) = read_cases(write(tmp_path, PCN + "expect:\n  values:\n"
                               "    - {id: pay.enhanced-access-maximum, value: 421350, tolerance: 0}\n"))
    assert run_case(case).passed


@pytest.mark.parametrize("where", ["expect: {outcome: failed}\n",
                                   "expect:\n  results:\n    - {id: des.pcn.minimum-population, outcome: failed}\n"])
def test_an_outcome_that_is_none_is_invalid_not_a_failure(tmp_path, where):
    (d,) = _invalid(tmp_path, PCN + where)
    assert d.code == "E-SCENARIO-003" and "`failed` is not an outcome" in d.message
    assert "pass, fail, unknown, not_applicable" in d.hint and "did you mean `fail`" in d.hint


@pytest.mark.parametrize("expect", ["expect: {}\n", "expect:\n", "expect: {results: [], values: []}\n",
                                    "expect: {errors: []}\n"])
def test_an_expectation_that_checks_nothing_is_invalid(tmp_path, expect):
    (d,) = _invalid(tmp_path, PCN + expect)
    assert (d.code, d.span.line) == ("E-SCENARIO-004", 4)


@pytest.mark.parametrize("as_of", ["2025-02-30", "2025-13-01", '"tomorrow"'])
def test_an_impossible_as_of_in_a_scenario_is_invalid_at_its_field(tmp_path, as_of):
    (d,) = _invalid(tmp_path, PCN + f"as_of: {as_of}\nexpect: {{outcome: fail}}\n")
    assert (d.code, d.span.line, d.span.column) == ("E-FACT-004", 4, 8)


def test_the_test_command_exits_2_for_an_invalid_scenario(tmp_path, capsys):
    from rules_engine.cli import main
    path = write(tmp_path, PCN + "expect:\n  values:\n    - {id: pay.enhanced-access-maximum, value: .nan}\n")
    assert main(["test", str(path)]) == 2
    captured = capsys.readouterr()
    assert "[E-SCENARIO-005]" in captured.out + captured.err and "Traceback" not in captured.err


def test_a_folder_with_no_scenario_files_is_an_error_not_a_pass(tmp_path, capsys):
    # `contract-rules test EMPTY` said "0 passed, 0 failed" and exited 0
    from rules_engine.cli import main
    (tmp_path / "case.yml").write_text("cases: []\n", encoding="utf-8")
    assert main(["test", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "error[E-INPUT-005]" in err and "rename case.yml" in err


def test_test_with_no_paths_and_no_tests_scenarios_folder_is_an_error(tmp_path, capsys, monkeypatch):
    from rules_engine.cli import main
    monkeypatch.chdir(tmp_path)
    assert main(["test"]) == 2
    assert "tests/scenarios does not exist" in capsys.readouterr().err
