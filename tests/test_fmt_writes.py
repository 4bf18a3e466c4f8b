"""fmt writes through a temporary file and a rename: a failed write (full
disk, file-size limit) leaves every file whole, and is reported cleanly."""

from __future__ import annotations

import errno
import marshal
import os
import resource
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from rules_engine.io import outputs
from rules_engine.cli import cli
from rules_engine.syntax.formatter import format_text

from conftest import ROOT
from rules_engine.cli import main as cli_main



def unformatted(count: int) -> str:
    """A parseable national file whose every entry fmt changes."""
    return 'national contract big "Big"\n' + "".join(
        f'parameter p{i}: count = {i}\n        ref "§1"   \n' for i in range(count))


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_a_full_disk_leaves_the_file_whole_and_is_a_diagnostic(tmp_path, monkeypatch):
    path = tmp_path / "a.rules"
    text = unformatted(50)
    path.write_text(text)

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(outputs.os, "fsync", full)  # after the text went to the temporary file
    result = invoke("fmt", path)
    assert result.exit_code == 2
    assert f"{path}: error[E-WRITE-001]: cannot write {path}: No space left on device" in result.output
    assert f"= note: {path} is unchanged" in result.output
    assert path.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.rules"]  # no temporary file left


def test_a_write_that_stops_half_way_leaves_the_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "a.rules"
    text = unformatted(50)
    path.write_text(text)
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))

        def __getattr__(self, name):
            return getattr(self.handle, name)

    monkeypatch.setattr(outputs.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    result = invoke("fmt", path)
    assert result.exit_code == 2 and "File too large" in result.output
    assert path.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.rules"]


def _limit_file_size(limit: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_under_ulimit_f_the_files_stay_whole_and_it_says_which_were_reformatted(tmp_path):
    small, big, last = tmp_path / "a.rules", tmp_path / "b.rules", tmp_path / "c.rules"
    small.write_text(unformatted(3))
    big_text = unformatted(2500)  # about 125 KB, its formatted text about 100 KB
    big.write_text(big_text)
    last.write_text(unformatted(3))
    assert len(format_text(big_text).encode()) > 64 * 1024
    result = subprocess.run(
        [sys.executable, "-m", "rules_engine", "fmt", str(small), str(big), str(last)], cwd=ROOT,
        capture_output=True, text=True, timeout=120, preexec_fn=_limit_file_size(64 * 1024))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"reformatted {small}" in result.stdout and str(big) not in result.stdout
    assert f"error[E-WRITE-001]: cannot write {big}: File too large" in result.stderr
    assert f"= note: reformatted before the error: {small}" in result.stderr
    assert f"= note: not reached: {last}" in result.stderr
    assert big.read_text() == big_text  # whole, not cut at the limit
    assert small.read_text() == format_text(unformatted(3))
    assert last.read_text() == unformatted(3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.rules", "b.rules", "c.rules"]


def test_the_file_keeps_its_mode_and_a_symlink_stays_a_symlink(tmp_path):
    path = tmp_path / "a.rules"
    path.write_text(unformatted(2))
    os.chmod(path, 0o640)
    link = tmp_path / "link.rules"
    link.symlink_to(path)
    assert invoke("fmt", link).exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(path)
    assert path.read_text() == format_text(unformatted(2))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_read_only_folder_is_a_diagnostic_not_a_traceback(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root may write into a read-only folder")
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "a.rules"
    path.write_text(unformatted(2))
    os.chmod(folder, 0o555)
    try:
        result = invoke("fmt", path)
    finally:
        os.chmod(folder, 0o755)
    assert result.exit_code == 2 and "E-WRITE-001" in result.output
    assert path.read_text() == unformatted(2)


def test_the_catalogue_example_runs_under_its_file_size_limit():
    from rules_engine.queries.error_catalogue import entry, run_example
    example = entry("E-WRITE-001").example
    assert example.command == "(ulimit -f 1; contract-rules fmt national.rules)"
    captured = run_example(example, cli_main)
    assert captured.exit == 2 and "cannot write national.rules: File too large" in captured.stderr
    assert "= note: national.rules is unchanged" in captured.stderr


def _bytecode_under_a_limit(tmp_path, *args) -> dict[str, bool]:
    """{module: whether its bytecode loads} for the rules_engine modules a process
    under a 1 KB file-size limit wrote, into a bytecode folder of its own."""
    prefix = tmp_path / f"pycache-{len(list(tmp_path.iterdir()))}"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(prefix)
    subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, timeout=120,
                   preexec_fn=_limit_file_size(1024))
    written = {}
    for pyc in prefix.rglob("*.pyc"):
        if "rules_engine" in pyc.parts:
            try:
                marshal.loads(pyc.read_bytes()[16:])
                written[pyc.name.split(".")[0]] = True
            except (EOFError, ValueError):
                written[pyc.name.split(".")[0]] = False
    return written


def test_under_ulimit_f_the_command_writes_no_cut_bytecode(tmp_path):
    """CPython stops writing a module's bytecode at the file-size limit and
    renames the cut file into place, breaking every later start that imports
    it ("marshal data too short"); the command writes no bytecode under a
    limit for what it imports after starting (its own two first modules are
    written before any of its code runs)."""
    (tmp_path / "a.rules").write_text(unformatted(2))
    plain_import = _bytecode_under_a_limit(tmp_path, "-c", "import rules_engine.syntax.formatter")
    assert plain_import["formatter"] is False  # the hazard, without the command's guard
    command = _bytecode_under_a_limit(tmp_path, "-m", "rules_engine", "fmt", "a.rules")
    assert set(command) <= {"__init__", "__main__"}, command
