"""cli.py conventions on every command that writes a report: `-o/--output FILE`
(the file replaced whole, atomically; nothing written on invalid input) and
`--quiet` (no report; the exit code says the outcome)."""

import json

from click.testing import CliRunner

from rules_engine.cli import cli

OVER_BUDGET = "contracts/local/invalid/qof-replacement-over-budget.rules"


def _split(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_vary_check_output_file_and_quiet(in_root, tmp_path):
    target = tmp_path / "verdict.json"
    target.write_text("old")
    code, out, _ = _split("vary-check", "contracts/local/qmm.rules", "--format", "json", "-o", str(target))
    assert (code, out) == (0, "")
    assert json.loads(target.read_text())["permitted"] is True
    code, out, err = _split("vary-check", OVER_BUDGET, "-o", str(target))
    assert code == 2 and out == "" and "error[E-FLEX-002]" in err  # the diagnostic still on stderr
    assert target.read_text().startswith("qsl_over_budget (ICB QSL): refused;")
    code, out, err = _split("vary-check", OVER_BUDGET, "--quiet")
    assert (code, out) == (2, "") and "error[E-FLEX-002]" in err
    assert _split("vary-check", "contracts/local/qmm.rules", "-q")[:2] == (0, "")


def test_an_output_file_that_cannot_be_written_is_E_WRITE_001_not_a_traceback(in_root, tmp_path):
    # It was a FileNotFoundError traceback (exit 1) from the temporary file's folder.
    missing = tmp_path / "no-such-folder" / "report.json"
    for args in (["check", "examples/pcn-passing.yaml"], ["vary-check", "contracts/local/qmm.rules"],
                 ["check", "--population", "examples/population-qmm.jsonl"]):
        code, out, err = _split(*args, "-o", str(missing))
        assert code == 2, args
        assert f"error[E-WRITE-001]: cannot write {missing}: No such file or directory" in err, args
        assert "Traceback" not in err and not missing.parent.exists()


def test_population_check_output_file(in_root, tmp_path):
    target = tmp_path / "population.jsonl"
    code, out, _ = _split("check", "--population", "examples/population-qmm.jsonl", "--format", "json",
                          "-o", str(target))
    lines = target.read_text().splitlines()
    assert out == "" and code in (0, 1) and len(lines) == 23
    assert json.loads(lines[-1])["summary"]["arrangements"] == 22
    assert _split("check", "--population", "examples/population-qmm.jsonl", "--quiet")[1] == ""
