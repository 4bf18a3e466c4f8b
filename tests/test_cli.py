"""cli.py: exit codes, formats and errors, through CliRunner and a real process."""

import json
import subprocess
import sys

from click.testing import CliRunner

from rules_engine.cli import cli

RURAL = "tests/golden/fixture"


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and "contract-rules" in result.output


def test_check_exit_codes(in_root):
    assert invoke("check", "examples/pcn-failing.yaml").exit_code == 1
    assert invoke("check", "examples/pcn-rural-qmm.yaml", "--format", "json").exit_code in (0, 1)


def test_failing_pcn_names_the_requirement_clause_and_layer(in_root):
    result = invoke("check", "examples/pcn-failing.yaml", "--format", "json")
    document = json.loads(result.output)
    failing = [r for r in document["arrangements"][0]["results"] if r["outcome"] == "fail"]
    minimum = next(r for r in failing if r["id"] == "des.pcn.minimum-population")
    assert minimum["clause"].startswith("Network Contract DES 2025/26")
    assert minimum["layer"] == "network_des"


def test_as_of_overrides_the_arrangement(in_root):
    result = invoke("check", "examples/pcn-passing.yaml", "--as-of", "2024-06-01", "--format", "json")
    assert json.loads(result.output)["as_of"] == "2024-06-01"


def test_bad_option_value_is_a_usage_error_not_a_traceback(in_root):
    result = invoke("check", "examples/pcn-passing.yaml", "--as-of", "June")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_out_of_bounds_vary_exits_2_with_caret_and_note(in_root, tmp_path):
    local = tmp_path / "bad.rules"
    local.write_text('local layer bad "Bad" for icb QMM extends des\n\n'
                     'vary min_pcn_population = 15000\n  because "too far"\n')
    result = invoke("check", "--rules", RURAL, "--local", str(local), "tests/golden/reports/mixed.yaml")
    assert result.exit_code == 2
    assert f"{local}:3:27: error[E-LAYER-001]" in result.output
    assert "^^^^^" in result.output
    assert "= note: tests/golden/fixture/national/des.rules:4:1" in result.output


def test_invalid_input_as_json(in_root):
    result = invoke("check", "--rules", RURAL, "tests/golden/errors/fact-bad-enum.yaml", "--format", "json")
    assert result.exit_code == 2
    (diagnostic,) = json.loads(result.output)["diagnostics"]
    assert diagnostic["code"] == "E-FACT-003"
    assert diagnostic["span"]["line"] == 4 and diagnostic["path"] == "pcn.population_exception"


def test_lint_the_shipped_library():
    result = invoke("lint")
    assert result.exit_code == 0 and "no errors" in result.output


def test_lint_a_local_file_against_the_shipped_national_layer(in_root):
    assert invoke("lint", "contracts/local/qmm.rules").exit_code == 0


def test_explain_shows_facts_and_parameters(in_root):
    result = invoke("explain", "des.pcn.minimum-population", "--arrangement", "examples/pcn-rural-qmm.yaml")
    assert "pcn.raw_list_size = 27,400" in result.output
    assert "min_pcn_population = 25,000" in result.output and "national value 30,000" in result.output
    assert "=> pass" in result.output


def test_explain_unknown_id_suggests(in_root):
    result = invoke("explain", "des.pcn.minimum-populaton", "--arrangement", "examples/pcn-passing.yaml")
    assert result.exit_code == 2 and "did you mean" in result.output


def test_test_command_runs_scenarios(in_root):
    result = invoke("test", "tests/scenarios/core")
    assert result.exit_code == 0 and " passed, 0 failed" in result.output


def test_a_real_process(in_root):
    process = subprocess.run([sys.executable, "-m", "rules_engine", "check", "examples/pcn-failing.yaml"],
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 1
    assert "des.pcn.minimum-population" in process.stdout and "fail" in process.stdout
    bad = subprocess.run([sys.executable, "-m", "rules_engine", "lint", "tests/golden/fixture",
                          "tests/golden/errors/syntax-several-errors.rules"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "3 errors" in bad.stderr
