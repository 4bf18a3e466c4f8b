"""cli.py conventions on every command that writes a report: `-o/--output FILE`
(the file replaced whole, atomically; nothing written on invalid input) and
`--quiet` (no report; the exit code says the outcome)."""

import json
import re

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
    lines = [line for line in target.read_text().splitlines() if not line.startswith('{"terms"')]
    assert out == "" and code in (0, 1) and len(lines) == 23
    assert json.loads(lines[-1])["summary"]["arrangements"] == 22
    assert _split("check", "--population", "examples/population-qmm.jsonl", "--quiet")[1] == ""


# ------------------------------------------------------------------ `-` for standard input

def _stdin(text, *args):
    result = CliRunner().invoke(cli, list(args), input=text, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_an_arrangement_from_standard_input(in_root):
    text = (in_root / "examples/pcn-failing.yaml").read_text()
    code, out, _ = _stdin(text, "check", "-")
    assert code == 1 and out.startswith("U54321 (<stdin>) as of 2025-06-01: fails")
    code, out, _ = _stdin(text, "explain", "des.pcn.minimum-population", "--arrangement", "-")
    assert code == 1 and "26,500" in out


def test_a_bad_arrangement_from_standard_input_is_named_stdin_with_its_line(in_root):
    code, out, err = _stdin("icb: QMM\nas_of: 2025-13-01\n", "check", "-")
    assert code == 2 and out == ""
    assert "<stdin>:2:8: error[E-FACT-004]" in err
    assert "   2 | as_of: 2025-13-01\n     |        ^^^^^^^^^^" in err


def test_rule_files_from_standard_input(in_root):
    code, out, _ = _stdin((in_root / "contracts/local/qmm.rules").read_text(), "vary-check", "-")
    assert code == 0 and "<stdin>: local layer for ICB QMM" in " ".join(out.split())
    code, out, err = _stdin('local layer x "X" for icb QXX extends qof\nvary qof_point_value = 24,000\n',
                            "lint", "-")
    assert code == 2 and "<stdin>:2:24: error[E-SYNTAX-010]" in err and "24,000" in err
    code, out, err = _stdin((in_root / "contracts/local/qmm.rules").read_text(),
                            "check", "examples/pcn-rural-qmm.yaml", "--local", "-")
    assert code == 0 and "qmm" in out.splitlines()[2]
    assert "`qmm` (<stdin>) replaces the shipped layer" in err


def test_a_population_and_a_variation_from_standard_input(in_root):
    population = (in_root / "examples/population-qmm.jsonl").read_text()
    code, out, _ = _stdin(population, "check", "--population", "-", "--format", "json")
    lines = [line for line in out.splitlines() if not line.startswith('{"terms"')]
    assert code == 1 and len(lines) == 23 and json.loads(lines[-1])["summary"]["arrangements"] == 22
    code, out, _ = _stdin(population, "impact", "--population", "-", "--variation", "contracts/local/qmm.rules")
    assert code == 0 and "on <stdin>" in out.splitlines()[1] + out.splitlines()[0]
    # the variation read once, for the baseline (left out) and the proposal
    code, out, _ = _stdin((in_root / "contracts/local/qmm.rules").read_text(), "impact",
                          "--population", "examples/population-qmm.jsonl", "--variation", "-")
    assert code == 0 and "22 arrangements checked, 22 changed" in out
    code, _, err = _stdin('{"as_of": 1}\n{bad\n', "check", "--population", "-")
    assert code == 2 and "<stdin>:2:2: error[E-FACT-006]" in err and "no arrangement in <stdin>" in err


def test_standard_input_is_read_under_the_size_limit(in_root):
    code, _, err = _stdin("as_of: 2025-06-01\n" * 100, "--limit", "max_file_bytes=1000", "check", "-")
    assert code == 2 and "<stdin> is larger than 1,000 bytes" in err and "E-LIMIT-001" in err


def test_standard_input_given_twice_is_a_usage_error(in_root):
    code, _, err = _stdin("", "check", "-", "-")
    assert code == 2 and "standard input) is given more than once" in err
    code, _, err = _stdin("", "impact", "--population", "-", "--variation", "-")
    assert code == 2 and "more than once" in err


def test_explain_test_and_lint_write_to_a_file_or_nothing(in_root, tmp_path):
    target = tmp_path / "out.txt"
    runs = [(["explain", "des.pcn.minimum-population", "--arrangement", "examples/pcn-failing.yaml"], 1,
             "26,500"),
            (["explain", "des.pcn.minimum-population"], 0, "des.pcn.minimum-population"),
            (["test", "tests/scenarios/core"], 0, " passed, 0 failed"),
            (["lint", "contracts/local/qmm.rules"], 0, "no errors")]
    for args, exit_code, shown in runs:
        code, out, _ = _split(*args, "-o", str(target))
        assert (code, out) == (exit_code, ""), args
        assert shown in target.read_text(), args
        assert _split(*args, "--quiet")[:2] == (exit_code, ""), args
        code, out, _ = _split(*args, "--format", "json", "-o", str(target))
        assert code == exit_code and out == "" and json.loads(target.read_text()), args


# ------------------------------------------------------------------ exit codes, documented as they are

def test_every_command_documents_its_exit_codes_in_help_and_the_readme(in_root):
    from rules_engine.cli import EXIT_CODES, EVERY_COMMAND, new
    names = [n for n in cli.commands if n != "new"] + [f"new {n}" for n in new.commands]
    assert sorted(names) == sorted(EXIT_CODES), "a command without its exit codes in EXIT_CODES"
    readme = (in_root / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z -]+)` \| (.+) \|$", readme, re.M))
    assert rows == EXIT_CODES  # the README's table says what the code does
    for name in names:
        code, out, _ = _split(*name.split(), "--help")
        flat = " ".join(out.split())
        assert code == 0 and f"Exit codes: {EXIT_CODES[name]}; {EVERY_COMMAND}." in flat, name


def test_the_documented_exits_are_the_real_ones(in_root, tmp_path):
    # one run per documented non-zero exit that the other tests do not already show
    assert _split("lint", "contracts/local/invalid/vary-out-of-bounds.rules")[0] == 2
    assert _split("explain", "des.pcn.minimum-populaton")[0] == 2
    assert _split("explain-error", "E-NOPE-001")[0] == 2
    unformatted = tmp_path / "x.rules"
    unformatted.write_text('local layer x "X" for icb QXX extends network_des\nvary ea_minutes_per_1000 = '
                           '66 minutes\n        because "b"   \n')
    assert _split("fmt", "--check", str(unformatted))[0] == 1
    assert _split("check", "--no-such-option")[0] == 2


def test_fmt_formats_standard_input_to_standard_output(in_root):
    messy = 'national contract x "X"\nparameter a: count = 1\n        ref "§1"   \n'
    assert _stdin(messy, "fmt", "-") == (0, 'national contract x "X"\nparameter a: count = 1\n  ref "§1"\n', "")
    assert _stdin(messy, "fmt", "--check", "-")[:2] == (1, "would reformat <stdin>\n")
    code, _, err = _stdin("national contract x\n", "fmt", "-")
    assert code == 2 and "<stdin>:" in err and "error[E-SYNTAX" in err
    assert _stdin(messy, "fmt", "-", "contracts/local/qmm.rules")[0] == 2  # `-` alone
