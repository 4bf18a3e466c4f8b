"""Nothing a user wrote is lost, and no write fails with a traceback (issue 18,
items 1, 2 and 4): real files, links, devices and pipes; the command line runs
in this process where the test is about files, and as a real process where it
is about a device, a pipe, its own standard output or `ulimit -f`.

- `-o` naming any file the command reads (directly, through a symbolic link,
  as a hard link) is refused: E-WRITE-003, exit 2, the input unchanged.
- An existing `-o` target that is not a regular file is written in place
  (/dev/null, a pipe a process reads) or refused; never replaced by a rename.
- A write error on standard output (/dev/full, `ulimit -f`) or a name too long
  is one diagnostic, exit 2, no traceback.
- `--local` (or a scenario's `local:`) naming a national file is E-LAYER-020.
- A temporary left by a killed run is removed by the next run to that file.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_in_process

EXAMPLES = ROOT / "examples"
LOCAL = ROOT / "contracts" / "local" / "qmm.rules"
NATIONAL = ROOT / "contracts" / "national" / "network_des.rules"


def run(*args, cwd, stdout=subprocess.PIPE, limit_bytes=None, process=False):
    """The command line: in this process (conftest.run_in_process) where the
    test is about the files; a real process for a device, a pipe, a standard
    output of its own or `ulimit -f` (`process`, `stdout`, `limit_bytes`)."""
    if not process and stdout is subprocess.PIPE and limit_bytes is None:
        return run_in_process(*args, cwd=cwd)

    def limited():  # in the child only: `ulimit -f`
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return subprocess.run([sys.executable, "-m", "rules_engine", *map(str, args)], cwd=cwd,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=120,
                          preexec_fn=limited if limit_bytes else None)


@pytest.fixture
def folder(tmp_path):
    for name in ("pcn-failing.yaml", "population-qmm.jsonl"):
        shutil.copy(EXAMPLES / name, tmp_path / name)
    shutil.copy(LOCAL, tmp_path / "qmm.rules")
    (tmp_path / "assume.yaml").write_text("qof_national_average_list_size: 10349\n")
    return tmp_path


def _refused(result, path: Path, before: bytes):
    assert result.returncode == 2, result.stderr
    said = result.stdout + result.stderr  # --format json: the diagnostics as JSON on stdout
    assert "E-WRITE-003" in said and "Traceback" not in said
    assert "nothing was written" in said
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("args, target", [
    (["check", "pcn-failing.yaml"], "pcn-failing.yaml"),
    (["check", "pcn-failing.yaml", "--local", "qmm.rules"], "qmm.rules"),
    (["check", "pcn-failing.yaml", "--assumptions", "assume.yaml"], "assume.yaml"),
    (["check", "--population", "population-qmm.jsonl"], "population-qmm.jsonl"),
    (["check", "--population", "population-qmm.jsonl", "--format", "json"], "population-qmm.jsonl"),
    (["impact", "--population", "population-qmm.jsonl", "--variation", "qmm.rules"], "qmm.rules"),
    (["impact", "--population", "population-qmm.jsonl", "--variation", "qmm.rules"],
     "population-qmm.jsonl"),
    (["vary-check", "qmm.rules"], "qmm.rules"),
    (["lint", "qmm.rules"], "qmm.rules"),
    (["explain", "pcn.min-population", "--arrangement", "pcn-failing.yaml"], "pcn-failing.yaml"),
])
def test_o_never_replaces_an_input(folder, args, target):
    path = folder / target
    before = path.read_bytes()
    _refused(run(*args, "-o", target, cwd=folder), path, before)


def test_o_through_a_symbolic_link_or_a_hard_link_is_refused(folder):
    path = folder / "pcn-failing.yaml"
    before = path.read_bytes()
    (folder / "link.yaml").symlink_to("pcn-failing.yaml")
    os.link(path, folder / "hard.yaml")
    for name in ("link.yaml", "hard.yaml"):
        result = run("check", "pcn-failing.yaml", "-o", name, cwd=folder)
        _refused(result, path, before)
        assert "(it is pcn-failing.yaml)" in result.stderr
    assert (folder / "link.yaml").is_symlink()


def test_o_naming_a_file_of_the_library_read_is_refused(folder):
    library = folder / "library"
    shutil.copytree(ROOT / "contracts", library)
    path = library / "national" / "gms.rules"
    before = path.read_bytes()
    _refused(run("check", "pcn-failing.yaml", "--rules", "library", "-o", path, cwd=folder), path, before)


def test_a_scenario_file_is_not_replaced_by_its_own_report(folder):
    scenario = folder / "s.yaml"
    scenario.write_text("cases:\n  - name: fails\n    arrangement: pcn-failing.yaml\n"
                        "    expect: {outcome: fail}\n")
    before = scenario.read_bytes()
    _refused(run("test", "s.yaml", "-o", "s.yaml", cwd=folder), scenario, before)


def test_a_new_file_and_an_old_report_are_still_written(folder):
    assert run("check", "pcn-failing.yaml", "-o", "report.txt", cwd=folder).returncode == 1
    assert "U54321" in (folder / "report.txt").read_text()
    assert run("check", "pcn-failing.yaml", "-o", "report.txt", cwd=folder).returncode == 1


# ------------------------------------------------------------ special files

def test_o_dev_null_is_a_sink_and_stays_a_device(folder):
    result = run("check", "pcn-failing.yaml", "-o", "/dev/null", cwd=folder, process=True)
    assert result.returncode == 1, result.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_o_dev_full_is_a_located_error_and_stays_a_device(folder):
    for args in (["check", "pcn-failing.yaml"], ["check", "--population", "population-qmm.jsonl"]):
        result = run(*args, "-o", "/dev/full", cwd=folder, process=True)
        assert result.returncode == 2, result.stderr
        assert "E-WRITE-001" in result.stderr and "No space left on device" in result.stderr
        assert "Traceback" not in result.stderr
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_fifo_no_process_reads_is_refused_and_kept(folder):
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    result = run("check", "pcn-failing.yaml", "-o", "pipe", cwd=folder, process=True)
    assert result.returncode == 2 and "E-WRITE-001" in result.stderr
    assert "no process reads" in result.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("args", [["check", "pcn-failing.yaml"],
                                  ["check", "--population", "population-qmm.jsonl", "--format", "json"]])
def test_a_fifo_a_process_reads_is_written_in_place(folder, args):
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    result = None
    while result is None or "no process reads" in result.stderr:  # until the reader has it open
        assert time.monotonic() < deadline
        result = run(*args, "-o", "pipe", cwd=folder, process=True)
    reader.join(10)
    assert result.returncode == 1, result.stderr
    assert received, "the pipe was replaced: the reader got nothing"
    assert b"U54321" in received[0] or b"U21001" in received[0]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


# ------------------------------------------------------------ write errors

@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_standard_output_on_a_full_device(folder, unbuffered, monkeypatch):
    monkeypatch.setenv("PYTHONUNBUFFERED", unbuffered)
    for args in (["check", "pcn-failing.yaml", "--all"], ["check", "--population", "population-qmm.jsonl"]):
        with open("/dev/full", "w") as full:
            result = run(*args, cwd=folder, stdout=full)
        assert result.returncode == 2, result.stderr
        assert result.stderr == ("error: cannot write the report to standard output: No space left on "
                                 "device; nothing more was written\n")


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_standard_output_over_the_file_size_limit(folder, unbuffered, monkeypatch):
    monkeypatch.setenv("PYTHONUNBUFFERED", unbuffered)
    with open(folder / "out.txt", "w") as out:
        result = run("check", "pcn-failing.yaml", "--all", cwd=folder, stdout=out, limit_bytes=1024)
    assert result.returncode == 2, result.stderr
    assert "File too large" in result.stderr and "Traceback" not in result.stderr


def test_o_over_the_file_size_limit_keeps_the_old_report(folder):
    (folder / "report.txt").write_text("old\n")
    result = run("check", "pcn-failing.yaml", "--all", "-o", "report.txt", cwd=folder, limit_bytes=1024)
    assert result.returncode == 2 and "E-WRITE-001" in result.stderr, result.stderr
    assert "File too large" in result.stderr and "report.txt is unchanged" in result.stderr
    assert (folder / "report.txt").read_text() == "old\n"
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_an_o_name_too_long(folder):
    result = run("check", "pcn-failing.yaml", "-o", "x" * 300, cwd=folder)
    assert result.returncode == 2, result.stderr
    assert "E-WRITE-001" in result.stderr and "File name too long" in result.stderr
    assert "Traceback" not in result.stderr and "shorter name" in result.stderr


def test_local_naming_a_national_file(folder):
    for args in (["check", "pcn-failing.yaml", "--local", NATIONAL],
                 ["impact", "--population", "population-qmm.jsonl", "--variation", NATIONAL]):
        result = run(*args, cwd=folder)
        assert result.returncode == 2, result.stderr
        assert "E-LAYER-020" in result.stderr and "Traceback" not in result.stderr
        assert f"{NATIONAL}:" in result.stderr  # shown in the file given
    (folder / "s.yaml").write_text(f"cases:\n  - name: national\n    local: {NATIONAL}\n"
                                   "    arrangement: pcn-failing.yaml\n    expect: {outcome: fail}\n")
    result = run("test", "s.yaml", cwd=folder)
    assert result.returncode == 2 and "E-LAYER-020" in result.stdout + result.stderr


# ------------------------------------------------------------ temporaries

def _dead_pid() -> int:
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid += 1


def test_a_temporary_left_by_a_killed_run_is_removed_by_the_next(folder):
    stale = folder / f".report.txt.cr-{_dead_pid()}-abc123.tmp"
    stale.write_text("half a report")
    alive = folder / f".report.txt.cr-{os.getpid()}-abc123.tmp"  # a run still going: kept
    alive.write_text("being written")
    assert run("check", "pcn-failing.yaml", "-o", "report.txt", cwd=folder).returncode == 1
    assert not stale.exists() and alive.exists()


@pytest.mark.slow
def test_kill_9_during_an_o_run_then_the_next_run_cleans_up(folder):
    population = folder / "big.jsonl"
    subprocess.run([sys.executable, "-m", "tools.population", "--scale", "40", "--icb", "QMM",
                    "--out", str(population)], check=True, cwd=ROOT, capture_output=True)
    process = subprocess.Popen([sys.executable, "-m", "rules_engine", "check", "--population",
                                "big.jsonl", "-o", "report.jsonl", "--format", "json"], cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not [p for p in folder.glob(".report.jsonl.cr-*.tmp") if p.stat().st_size]:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    left = list(folder.glob(".report.jsonl.cr-*.tmp"))
    assert left and not (folder / "report.jsonl").exists()
    result = run("check", "--population", "population-qmm.jsonl", "-o", "report.jsonl", cwd=folder)
    assert result.returncode == 1, result.stderr
    assert not list(folder.glob(".report.jsonl.cr-*.tmp"))
    assert (folder / "report.jsonl").stat().st_size
