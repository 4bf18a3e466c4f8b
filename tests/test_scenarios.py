"""scenarios.py: scenario files, expected against actual, and malformed ones."""

import pytest

from rules_engine import InvalidInput
from rules_engine.scenarios import read_cases, run_case, run_scenarios


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
                               "    - {id: pay.enhanced-access, value: 421350, tolerance: 0.01}\n"))
    assert run_case(case).passed
    (case,) = read_cases(write(tmp_path, PCN + "expect:\n  values:\n"
                               "    - {id: pay.enhanced-access, value: \"421350.01\"}\n"))
    assert not run_case(case).passed


def test_malformed_scenarios_point_at_the_line(tmp_path):
    with pytest.raises(InvalidInput) as raised:
        read_cases(write(tmp_path, PCN + "expect:\n  reslts: []\n"))
    (d,) = raised.value.diagnostics
    assert (d.code, d.span.line) == ("E-SCENARIO-001", 5)


def test_invalid_arrangement_in_a_scenario_is_reported_not_raised(tmp_path):
    (case,) = read_cases(write(tmp_path, "arrangement:\n  as_of: 2025-06-01\n  pcn: {code: U1, size: 3}\n"
                               "expect: {}\n"))
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
