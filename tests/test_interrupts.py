"""Ctrl-C (issue 9, defect 12): an interrupted run exits 130, prints no
traceback (from the parent or any worker), leaves only whole JSON lines, and
a population run still ends with its summary, marked as interrupted.

Real subprocesses on a generated population big enough to be still running
when SIGINT arrives; the signal goes to the whole process group, as a
terminal's Ctrl-C does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from rules_engine.cli import main

from conftest import ROOT

LOCAL = str(ROOT / "contracts" / "local" / "qmm.rules")


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    """About 900 QMM arrangements: every one is checked and changed by qmm.rules."""
    path = tmp_path_factory.mktemp("population") / "qmm.jsonl"
    subprocess.run([sys.executable, "-m", "tools.population", "--scale", "40", "--icb", "QMM",
                    "--out", str(path)], check=True, cwd=ROOT, capture_output=True)
    return path


@pytest.fixture(scope="module")
def long_population(tmp_path_factory):
    """About 2,700 QMM arrangements, for a run that writes nothing until its
    end: `--jobs 2` checks the 900 of `population` in some 0.55 s after its
    workers start (2026-12-07), too close to the half second the text run's
    test waits before its Ctrl-C; these take some 1.6 s."""
    path = tmp_path_factory.mktemp("population") / "qmm-long.jsonl"
    subprocess.run([sys.executable, "-m", "tools.population", "--scale", "120", "--icb", "QMM",
                    "--out", str(path)], check=True, cwd=ROOT, capture_output=True)
    return path


def _ctrl_c_as_a_terminal_gives_it() -> None:
    """In the child: SIGINT's default action, whatever this process inherited
    (a test run started in the background of a non-interactive shell has
    SIGINT ignored, and a child would inherit that and never see Ctrl-C)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupted(*args: str) -> tuple[int, list[str], str, int]:
    """Start `contract-rules ARGS`, wait for its first line of output (the run
    is under way), send SIGINT to its process group; (exit code, stdout lines,
    stderr, lines in the population)."""
    process = subprocess.Popen([sys.executable, "-m", "rules_engine", *args], cwd=ROOT, bufsize=0,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                               preexec_fn=_ctrl_c_as_a_terminal_gives_it)
    try:
        first = process.stdout.readline()
        assert first, process.stderr.read().decode()
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, (first + out).decode().splitlines(), err.decode()


def _assert_interrupted(code, lines, err, population):
    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    rows = [json.loads(line) for line in lines]  # every line is whole JSON
    summary = rows[-1]["summary"]
    total = sum(1 for _ in open(population))
    assert summary["interrupted"] is True
    assert 0 < summary["lines_read"] < total  # it stopped part-way
    assert "interrupted" in err
    return rows[:-1], summary


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_interrupted_population_check(population, jobs):
    code, lines, err = interrupted("check", "--population", str(population), "--format", "json",
                                   "--jobs", jobs)
    rows, summary = _assert_interrupted(code, lines, err, population)
    rows = [row for row in rows if "terms" not in row]  # the lean line's terms records
    assert all("id" in row for row in rows)
    assert summary["arrangements"] == len(rows)  # the summary covers exactly the lines written
    assert summary["lines_read"] == len(rows)  # (no blank or bad lines in this population)


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_interrupted_impact(population, jobs):
    code, lines, err = interrupted("impact", "--population", str(population), "--variation", LOCAL,
                                   "--format", "json", "--jobs", jobs)
    rows, summary = _assert_interrupted(code, lines, err, population)
    assert all("changes" in row for row in rows)
    assert summary["arrangements"] == summary["lines_read"] >= len(rows)


@pytest.mark.slow
def test_an_interrupted_text_run_says_how_far_it_got(long_population):
    process = subprocess.Popen([sys.executable, "-m", "rules_engine", "check", "--population",
                                str(long_population), "--jobs", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True,
                               preexec_fn=_ctrl_c_as_a_terminal_gives_it)
    try:
        # nothing is written until the end in text: wait until a worker exists
        import time
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _children(process.pid):
            time.sleep(0.05)
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    out, err = out.decode(), err.decode()
    assert process.returncode == 130 and "Traceback" not in err, err
    assert "arrangements checked" in out and "interrupted: stopped after line" in err


def _children(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            return handle.read().split()
    except OSError:
        return []


# In-process: Ctrl-C anywhere else in a command is exit 130, not 1.

def test_an_interrupted_scenario_run_exits_130(monkeypatch, capsys):
    import rules_engine.testing.scenarios as scenarios

    def stop(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(scenarios, "run_scenarios", stop)
    assert main(["test", str(ROOT / "tests" / "scenarios" / "core")]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_an_interrupted_check_of_files_exits_130(monkeypatch, capsys):
    from rules_engine.run.engine import Engine

    def stop(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(Engine, "check", stop)  # check evaluates the files read
    assert main(["check", str(ROOT / "examples" / "pcn-passing.yaml")]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_an_interrupted_html_page_says_so():
    from rules_engine.reports.html_report import render_impact, render_population_check
    summary = {"arrangements": 3, "outcomes": {"pass": 3}, "failing_requirements": {},
               "unknown_requirements": {}, "bad_lines": 0, "interrupted": True, "lines_read": 3,
               "population": "p.jsonl"}
    assert "interrupted (Ctrl-C) after line 3 of the population" in render_population_check(summary, [], [])
    impact_summary = {"arrangements": 3, "changed": 0, "bad_lines": 0, "transitions": {}, "values": {},
                      "population": "p.jsonl", "variation": "v.rules", "interrupted": True, "lines_read": 3}
    assert "interrupted (Ctrl-C) after line 3" in render_impact(impact_summary, [])
    summary.pop("interrupted")
    assert "interrupted" not in render_population_check(summary, [], [])


def _doubled(task: int) -> list[int]:
    return [task * 2]


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask") or not hasattr(os, "fork"),
                    reason="SIGINT is held by a signal mask, which this system lacks")
def test_a_ctrl_c_while_the_pool_starts_is_held_not_lost(monkeypatch):
    """A Ctrl-C that lands while `--jobs` starts its pool ends the run: held
    while the workers are forked, then raised in this thread inside the
    pool's `with` (which terminates it). It used to be dropped (SIGINT was
    ignored while held), and the run went on to the end (CI saw it, exit 0)."""
    from rules_engine.run import pool as population_pool
    real = population_pool._pool

    def hit(*args, **kwargs):  # the real pool, hit by Ctrl-C as it starts
        pool = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)
        return pool

    monkeypatch.setattr(population_pool, "_pool", hit)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        got = []
        with pytest.raises(KeyboardInterrupt):
            for item in population_pool.run_chunks(_doubled, range(40), jobs=2):
                got.append(item)
        assert got == []  # every task is a worker's: none done before the interrupt
    finally:
        signal.signal(signal.SIGINT, previous)
    assert not signal.pthread_sigmask(signal.SIG_BLOCK, set()) & {signal.SIGINT}  # not left blocked
