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
