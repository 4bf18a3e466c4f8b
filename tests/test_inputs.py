"""inputs.py: one reader for every input file (regular files only, a size
limit before reading, UTF-8 with located errors, a byte-order mark dropped),
and `lint` refusing to pass when it found no rule file."""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from rules_engine.base import limits
from rules_engine.cli import cli, main
from rules_engine.base.diagnostics import InvalidInput
from rules_engine.io.inputs import decode, read_text
from rules_engine.queries.lint import lint_paths

from conftest import ROOT
from fuzzing import time_limit

QMM = ROOT / "contracts" / "local" / "qmm.rules"
PASSING = ROOT / "examples" / "pcn-passing.yaml"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@attrs.frozen
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run(*args, timeout=60):
    """`contract-rules ARGS` as the installed command runs it (`main`, which
    prints click's usage errors), in this process: a FIFO that blocked, or a
    file read whole, would fail the test by the time limit instead of hanging."""
    out, err = io.StringIO(), io.StringIO()
    with time_limit(timeout), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return Ran(code, out.getvalue(), err.getvalue())


def codes(call) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        call()
    return [d.code for d in caught.value.diagnostics]


# ------------------------------------------------------------ special files

@pytest.mark.parametrize("command", [
    ["lint", "{fifo}.rules"],
    ["check", "{fifo}.yaml"],
    ["test", "{fifo}.yaml"],
    ["check", "--population", "{fifo}.jsonl"],
    ["check", "--local", "{fifo}.rules", str(PASSING)],
])
def test_a_fifo_with_no_writer_is_refused_not_waited_on(tmp_path, command):
    fifo = tmp_path / "pipe"
    for suffix in (".rules", ".yaml", ".jsonl"):
        os.mkfifo(str(fifo) + suffix)
    result = run(*[part.format(fifo=fifo) for part in command], timeout=60)
    assert result.returncode == 2, result.stderr
    assert "error[E-INPUT-001]" in result.stderr + result.stdout
    assert "a FIFO (named pipe), not a regular file" in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_a_device_is_refused_before_it_is_read():
    result = run("check", "/dev/zero", timeout=60)
    assert result.returncode == 2
    assert "/dev/zero: error[E-INPUT-001]: /dev/zero is a device, not a regular file" in result.stderr
    assert "MemoryError" not in result.stderr


def test_a_folder_given_as_a_file_is_refused(tmp_path):
    assert codes(lambda: read_text(tmp_path, "E-FACT-006")) == ["E-INPUT-001"]


def test_a_missing_file_keeps_its_readers_code(tmp_path):
    assert codes(lambda: read_text(tmp_path / "none.yaml", "E-FACT-006")) == ["E-FACT-006"]
    assert codes(lambda: read_text(tmp_path / "none.rules", "E-SYNTAX-009")) == ["E-SYNTAX-009"]


# ------------------------------------------------------------- size limit

def test_size_limit_boundary_limit_bytes_read_one_more_refused(tmp_path):
    path = tmp_path / "a.yaml"
    with limits.overridden(max_file_bytes=1000):
        path.write_bytes(b"#" * 999 + b"\n")  # exactly 1,000 bytes
        assert len(read_text(path, "E-FACT-006")) == 1000
        path.write_bytes(b"#" * 1000 + b"\n")  # 1,001 bytes
        with pytest.raises(InvalidInput) as caught:
            read_text(path, "E-FACT-006")
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E-LIMIT-001"
    assert "larger than 1,000 bytes" in diagnostic.message
    assert "--limit max_file_bytes=N" in diagnostic.hint


def test_a_huge_file_is_refused_without_being_read(tmp_path):
    # A sparse 8 GB file: reading it whole would take minutes or run out of
    # memory; only the limit and one byte more are read.
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.truncate(8 * 1024 ** 3)
    result = run("check", path, timeout=60)
    assert result.returncode == 2
    assert "error[E-LIMIT-001]" in result.stderr and "Traceback" not in result.stderr


def test_a_50_mb_yaml_string_is_refused_in_seconds(tmp_path):
    path = tmp_path / "long.yaml"
    with open(path, "w") as handle:
        handle.write('as_of: 2025-06-01\nname: "')
        handle.write("x" * (50 * 1024 * 1024))
        handle.write('"\n')
    result = run("check", path, timeout=30)
    assert result.returncode == 2 and "error[E-LIMIT-001]" in result.stderr


def test_the_limit_is_applied_to_rule_files_and_scenarios_too(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("arrangement: x.yaml\nexpect: {outcome: pass}\n" + "#" * 200 + "\n")
    with limits.overridden(max_file_bytes=100):
        assert codes(lambda: lint_paths([QMM])) == ["E-LIMIT-001"]
        from rules_engine.testing.scenarios import read_cases
        assert codes(lambda: read_cases(scenario)) == ["E-LIMIT-001"]


# ------------------------------------------------------------- UTF-8 and BOM

def _with_bad_byte(tmp_path: Path, name: str, original: Path, line: int, after: bytes) -> Path:
    """A copy of `original` with byte 0xE9 (Latin-1 é) after `after` on `line`."""
    lines = original.read_bytes().split(b"\n")
    index = lines[line - 1].index(after) + len(after)
    lines[line - 1] = lines[line - 1][:index] + b"\xe9" + lines[line - 1][index:]
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines))
    return path


def test_invalid_utf8_in_a_rule_file_has_line_column_and_caret(tmp_path):
    line6 = QMM.read_text().split("\n")[5]
    word = line6.split()[0].encode()
    path = _with_bad_byte(tmp_path, "bad.rules", QMM, 6, word)
    column = line6.index(line6.split()[0]) + len(word) + 1
    result = invoke("lint", path)
    assert result.exit_code == 2
    assert f"{path}:6:{column}: error[E-INPUT-002]: invalid UTF-8: byte 0xe9" in result.output
    caret_line = result.output.split("\n")[2]
    assert caret_line.index("^") == len("     | ") + column - 1


def test_invalid_utf8_in_an_arrangement_and_a_scenario(tmp_path):
    arrangement = _with_bad_byte(tmp_path, "a.yaml", PASSING, 1, b"")
    result = invoke("check", arrangement)
    assert result.exit_code == 2 and f"{arrangement}:1:1: error[E-INPUT-002]" in result.output
    scenario = tmp_path / "s.yaml"
    scenario.write_bytes(b"name: caf\xc3\n")  # a truncated two-byte character
    result = invoke("test", scenario)
    assert result.exit_code == 2 and f"{scenario}:1:10: error[E-INPUT-002]" in result.output


def test_a_bad_byte_after_multibyte_characters_is_counted_in_characters():
    text = "£ é\n  ££ ".encode() + b"\xff"
    with pytest.raises(InvalidInput) as caught:
        decode(text, "x.rules")
    span = caught.value.diagnostics[0].span
    assert (span.line, span.column) == (2, 6)
    with pytest.raises(InvalidInput) as caught:
        decode(b"\xff", "pop.jsonl", first_line=41)
    assert caught.value.diagnostics[0].span.line == 41


def test_a_byte_order_mark_is_accepted_in_rule_files_as_in_arrangements(tmp_path):
    rules = tmp_path / "qmm.rules"
    rules.write_bytes(b"\xef\xbb\xbf" + QMM.read_bytes())
    assert invoke("lint", rules).exit_code == 0
    arrangement = tmp_path / "a.yaml"
    arrangement.write_bytes(b"\xef\xbb\xbf" + PASSING.read_bytes())
    assert invoke("check", arrangement).exit_code == invoke("check", PASSING).exit_code
    # Positions are those an editor shows: the mark takes no column.
    broken = tmp_path / "broken.rules"
    broken.write_bytes(b"\xef\xbb\xbf" + b'local layer x "X" for icb QMM extends network_des\n'
                       b"vary = 1\n")
    result = invoke("lint", broken)
    assert result.exit_code == 2 and f"{broken}:2:6: error[E-SYNTAX-001]" in result.output


# --------------------------------------------------- lint that found nothing

def test_lint_of_an_empty_folder_is_an_error(tmp_path):
    result = invoke("lint", tmp_path)
    assert result.exit_code == 2
    assert f"error[E-INPUT-003]: no rule files (*.rules) in {tmp_path}" in result.output
    assert "no errors" not in result.output


def test_lint_names_the_misnamed_files_it_passed_over(tmp_path):
    (tmp_path / "qmm.rule").write_bytes(QMM.read_bytes())
    result = invoke("lint", tmp_path)
    assert result.exit_code == 2 and "E-INPUT-003" in result.output
    assert "not named *.rules: qmm.rule" in result.output
    result = invoke("lint", tmp_path / "qmm.rule")
    assert result.exit_code == 2
    assert "error[E-INPUT-004]" in result.output and "rename it to qmm.rules" in result.output


def test_an_empty_library_folder_is_an_error_for_check_too(tmp_path):
    (tmp_path / "national").mkdir()
    result = invoke("check", "--rules", tmp_path, PASSING)
    assert result.exit_code == 2 and "E-INPUT-003" in result.output


# ------------------------------------------------------------- --limit

def test_limit_option_applies_for_the_run_only():
    result = invoke("--limit", "max_file_bytes=100", "lint", QMM)
    assert result.exit_code == 2
    assert "error[E-LIMIT-001]" in result.output and "larger than 100 bytes" in result.output
    assert limits.current().max_file_bytes == limits.BY_NAME["max_file_bytes"].default
    assert limits.ENVIRONMENT not in os.environ
    assert invoke("lint", QMM).exit_code == 0


def test_limit_option_is_repeatable_and_the_last_setting_wins():
    size = QMM.stat().st_size
    result = invoke("--limit", "max_file_bytes=100", "--limit", f"max_file_bytes={size}",
                    "--limit", "max_aliases=5", "lint", QMM)
    assert result.exit_code == 0, result.output
    result = invoke("--limit", f"max_file_bytes={size - 1}", "lint", QMM)
    assert result.exit_code == 2 and "E-LIMIT-001" in result.output


@pytest.mark.parametrize("setting, says", [
    ("max_file_byte=10", "no limit called `max_file_byte`"),
    ("max_file_bytes=ten", "`ten` is not a whole number"),
    ("max_file_bytes=0", "must be at least 1"),
    ("max_file_bytes", "is not NAME=VALUE"),
])
def test_a_bad_limit_setting_is_a_usage_error_naming_the_limits(setting, says):
    result = run("--limit", setting, "lint", QMM)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Invalid value for '--limit'" in result.stderr and says in result.stderr
    assert "max_file_bytes, max_line_bytes" in result.stderr

