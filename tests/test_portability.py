"""The package runs where analysts work (issue 18, item 14): on Windows.

CI here is Linux, so Windows is stood in for by tools/posixless: Python with
the POSIX-only calls taken away (user ids, file modes, O_NOFOLLOW and
O_NONBLOCK, fork, pwd, fcntl, ...). The package decides by what `os` offers,
so this runs the branch Windows takes: the README's first command, the cache
written and read back, `-o`, and a pool of workers (spawned: no fork). Line
ends: rule files, arrangements and populations written with CRLF read the same.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from test_readme import shell_commands

POSIXLESS = ROOT / "tools" / "posixless"


def readme_first_command() -> list[str]:
    """The first `contract-rules` command of README.md, as argv."""
    for _, command, _ in shell_commands((ROOT / "README.md").read_text(encoding="utf-8")):
        if command.startswith("contract-rules "):
            return shlex.split(command)[1:]
    raise AssertionError("README.md has no contract-rules command")


def run(args: list[str], cache: Path, posixless: bool, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "COLUMNS": "80"}
    env.pop("CONTRACT_RULES_NO_CACHE", None)
    if posixless:
        env["PYTHONPATH"] = os.pathsep.join([str(POSIXLESS), str(ROOT)])
    return subprocess.run([sys.executable, "-m", "rules_engine", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_stand_in_takes_the_posix_calls_away(tmp_path):
    probe = ("import os, signal, sys\n"
             "gone = [n for n in ('getuid', 'geteuid', 'fchmod', 'fork', 'O_NOFOLLOW', 'O_NONBLOCK') if hasattr(os, n)]\n"
             "for name in ('pwd', 'fcntl', 'grp', 'resource'):\n"
             "    try:\n"
             "        __import__(name)\n"
             "        gone.append(name)\n"
             "    except ImportError:\n"
             "        pass\n"
             "print(gone, hasattr(signal, 'pthread_sigmask'), os.environ.get('CONTRACT_RULES_POSIXLESS'))\n")
    done = subprocess.run([sys.executable, "-c", probe], env={**os.environ, "PYTHONPATH": str(POSIXLESS)},
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[] False 1"


@pytest.mark.slow
def test_the_readme_first_command_runs_without_posix_calls(tmp_path):
    args = readme_first_command()
    assert args[:2] == ["check", "examples/pcn-passing.yaml"]
    expected = run(args, tmp_path / "posix-cache", posixless=False)
    cache = tmp_path / "cache"
    cold = run(args, cache, posixless=True)  # checks the library and writes the cache
    assert "Traceback" not in cold.stderr, cold.stderr
    assert (cold.returncode, cold.stdout) == (expected.returncode, expected.stdout) == (0, expected.stdout)
    # the grammar's tables ship with the package: the checked library is what is written
    entries = list((cache / "contract-rules").glob("checked-library-*.json"))
    assert len(entries) == 1, "the cache is written without POSIX owners and modes"
    before = entries[0].stat().st_mtime_ns
    warm = run(args, cache, posixless=True)  # reads it back
    assert (warm.returncode, warm.stdout, warm.stderr) == (0, expected.stdout, "")
    assert entries[0].stat().st_mtime_ns == before, "the entry was read, not written again"
    # -o: the report through a temporary file and a rename, without fchmod
    target = tmp_path / "report.txt"
    written = run(args + ["-o", str(target)], cache, posixless=True)
    assert (written.returncode, written.stderr) == (0, "")
    assert target.read_text(encoding="utf-8") == expected.stdout


@pytest.mark.slow
def test_a_pool_is_spawned_where_there_is_no_fork(tmp_path):
    args = ["check", "--population", "examples/population-qmm.jsonl", "--format", "json"]
    expected = run(args, tmp_path / "cache", posixless=False)
    spawned = run(args + ["--jobs", "2"], tmp_path / "cache", posixless=True)
    assert "Traceback" not in spawned.stderr, spawned.stderr
    assert (spawned.returncode, spawned.stdout) == (expected.returncode, expected.stdout)


def _crlf(path: Path, folder: Path) -> Path:
    copy = folder / path.name
    copy.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return copy


def test_files_with_windows_line_ends_read_the_same(tmp_path, capsys):
    from rules_engine.cli import main
    layer, arrangement = ROOT / "contracts" / "local" / "qmm.rules", ROOT / "examples" / "pcn-rural-qmm.yaml"
    outputs = []
    for folder in (None, tmp_path):
        rules = _crlf(layer, folder) if folder else layer
        facts = _crlf(arrangement, folder) if folder else arrangement
        code = main(["check", str(facts), "--local", str(rules), "--format", "json"])
        out = capsys.readouterr().out.replace(str(facts), "ARRANGEMENT").replace(str(rules), "LAYER")
        outputs.append((code, out))
    assert b"\r\n" in (tmp_path / layer.name).read_bytes()
    assert outputs[0] == outputs[1]


def test_a_left_temporary_is_never_probed_with_kill_where_kill_ends_processes():
    """On Windows os.kill(pid, 0) terminates the process: the stale-temporary
    sweep of `-o` must not call it there (it keeps the file instead)."""
    probe = ("import os\n"
             "from rules_engine.io import outputs\n"
             "def refuse(*args):\n"
             "    raise AssertionError('os.kill called')\n"
             "os.kill = refuse\n"
             "print(outputs._alive(os.getpid() + 100000))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join([str(POSIXLESS), str(ROOT)])})
    assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr
