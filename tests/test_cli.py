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
    assert "passes with 2,400 to spare" in result.output
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


def _split(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_fail_on_unknown(in_root):
    assert _split("check", "examples/pcn-missing-facts.yaml")[0] == 0  # unknown alone exits 0
    assert _split("check", "examples/pcn-missing-facts.yaml", "--fail-on", "unknown")[0] == 1
    assert _split("check", "examples/pcn-passing.yaml", "--fail-on", "unknown")[0] == 0


def test_output_file_and_quiet(in_root, tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    code, out, _ = _split("check", "examples/pcn-failing.yaml", "--format", "json", "-o", str(target))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["arrangements"][0]["id"] == "U54321"
    code, out, _ = _split("check", "examples/pcn-failing.yaml", "--quiet")
    assert (code, out) == (1, "")


def test_invalid_input_as_html_is_an_error_page_or_nothing(in_root, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("as_of: 2025-13-01\n")
    code, out, err = _split("check", str(bad), "--format", "html")
    assert code == 2 and "E-FACT-004" in err
    assert out.startswith("<!doctype html>") and "Not checked: the input is invalid" in out
    assert "E-FACT-004" in out
    target = tmp_path / "report.html"
    code, out, _ = _split("check", str(bad), "--format", "html", "-o", str(target))
    assert code == 2 and out == "" and not target.exists()  # nothing written, not an empty report


def test_warnings_for_a_local_layer_that_applies_to_nothing_or_replaces_a_shipped_one(in_root, tmp_path):
    copy = tmp_path / "qmm-copy.rules"
    copy.write_text((in_root / "contracts/local/qmm.rules").read_text())
    code, _, err = _split("check", "examples/pcn-failing.yaml", "--local", str(copy))
    assert "replaces the shipped layer of the same name (contracts/local/qmm.rules)" in err
    assert "is for ICB QMM; no arrangement given is in QMM (they are in QWE), so it applies to none" in err
    _, _, err = _split("check", "examples/pcn-rural-qmm.yaml", "--local", "contracts/local/qmm.rules")
    assert "warning" not in err
    _, _, err = _split("check", "examples/pcn-failing.yaml", "--population", "examples/population-qmm.jsonl")
    assert "arrangement files given beside --population are ignored: examples/pcn-failing.yaml" in err


def test_explain_is_readable_and_takes_the_bare_subject_code(in_root):
    code, out, _ = _split("explain", "gms.core-hours", "--arrangement", "examples/pcn-failing.yaml",
                          "--subject", "Y01001")
    assert code == 1
    assert "practices[0].core_hours.wed = 08:00-17:00" in out and "[[" not in out
    assert "closes at 17:00, needs 18:30" in out
    code, out, _ = _split("explain", "pay.enhanced-access", "--arrangement", "examples/pcn-failing.yaml")
    assert "£231,742.50" in out and "£8.427" in out
    code, out, _ = _split("explain", "des.ea.capacity", "--arrangement", "examples/pcn-passing.yaml")
    assert "passes with 109 minutes to spare" in out  # 3,350 counted in the sessions listed, 3,241 required
    code, _, err = _split("explain", "gms.core-hours", "--arrangement", "examples/pcn-failing.yaml",
                          "--subject", "Y09999")
    assert code == 2 and "its subjects: practice:Y01001, practice:Y01002" in err
