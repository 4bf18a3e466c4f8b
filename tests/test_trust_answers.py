"""No silent wrong answer and no silent choice (issue 18, items 5 to 12): the
command line on the shipped library and the examples, in this process (real
processes where only a process shows it: the hash seed, a terminal).
"""

from __future__ import annotations

import os
import pty
import re
import shutil
import subprocess
import sys

import pytest
from decimal import Decimal

from conftest import ROOT, run_in_process

EXAMPLES = ROOT / "examples"
QMM = ROOT / "contracts" / "local" / "qmm.rules"


def run(*args, cwd=ROOT, env=None):
    """The command line, in this process (conftest.run_in_process)."""
    return run_in_process(*args, cwd=cwd, env=env)


def run_process(*args, env=None) -> subprocess.CompletedProcess:
    """The command line as a real process: for what only a new process shows."""
    return subprocess.run([sys.executable, "-m", "rules_engine", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


# ------------------------------------------------------------ item 12

def test_explain_is_the_same_whatever_the_hash_seed():
    """`every day in weekdays` walks a set: in the enum's order, not the hash seed's."""
    args = ("explain", "gms.core-hours", "--arrangement", EXAMPLES / "pcn-failing.yaml", "--full")
    outputs = {run_process(*args, env={"PYTHONHASHSEED": seed}).stdout for seed in ("1", "7", "42")}
    assert len(outputs) == 1
    text = outputs.pop()
    days = [line.split("core_hours.")[1][:3] for line in text.splitlines()
            if "practices[0].core_hours." in line]
    assert days == ["mon", "tue", "wed", "thu", "fri"]


def _on_a_terminal(*args, env) -> bytes:
    """Run under a pseudo-terminal (so stdout is a tty); what it printed."""
    main, child = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "rules_engine", *map(str, args)], cwd=ROOT,
                               stdout=child, stderr=subprocess.DEVNULL, env={**os.environ, **env})
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(60)
    os.close(main)
    return b"".join(chunks)


def test_no_color_is_honoured_on_a_terminal():
    env = {"COLUMNS": "80"}
    coloured = _on_a_terminal("check", EXAMPLES / "pcn-failing.yaml", env={**env, "NO_COLOR": ""})
    assert b"\x1b[31m" in coloured  # a terminal, NO_COLOR empty: colour
    plain = _on_a_terminal("check", EXAMPLES / "pcn-failing.yaml", env={**env, "NO_COLOR": "1"})
    assert b"FAIL des.pcn.minimum-population" in plain and b"\x1b" not in plain


def test_the_text_check_says_what_was_varied():
    result = run("check", EXAMPLES / "pcn-rural-qmm.yaml")
    assert result.returncode == 0, result.stderr
    assert "VARIED des.pcn.minimum-population by qmm: pcn:U12345 passes" in result.stdout
    assert "because: Sparse rural geography" in result.stdout
    assert "national: min_pcn_population = 30,000" in result.stdout
    assert "ADDED qmm.ea.sunday by qmm" in result.stdout


def test_pcn_failing_fits_in_40_lines_at_80_columns():
    result = run("check", EXAMPLES / "pcn-failing.yaml", env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert len(lines) <= 40 and max(map(len, lines)) <= 80
    assert re.search(r"unknown: \d+ more values \(--all lists them, with what each is missing\)",
                     result.stdout)


def test_a_quoted_quantity_is_told_to_drop_the_quotes(tmp_path):
    text = QMM.read_text()
    assert "vary ea_minutes_per_1000 = 70 minutes" in text
    (tmp_path / "q.rules").write_text(text.replace("= 70 minutes", '= "70 minutes"'))
    for command in ("lint", "vary-check"):
        result = run(command, tmp_path / "q.rules")
        assert result.returncode == 2
        assert "E-TYPE-010" in result.stderr and "write `70 minutes` without quotes" in result.stderr
        assert "choose a value at least 60 minutes" not in result.stderr


def test_lint_of_a_file_lists_only_its_own_provisional_terms():
    quiet = run("lint", QMM)
    assert quiet.returncode == 0
    assert "contracts/national/" not in quiet.stdout
    assert "provisional terms in the national files it was checked against (--verbose lists them)" \
        in quiet.stdout
    assert len(quiet.stdout.splitlines()) == 2
    verbose = run("lint", QMM, "--verbose")
    assert verbose.stdout.count("contracts/national/") > 50
    assert run("lint").stdout.count("contracts/national/") > 50  # the library itself: all


def test_a_scenario_expecting_lots_of_money_is_invalid(tmp_path):
    shutil.copy(EXAMPLES / "pcn-failing.yaml", tmp_path / "a.yaml")
    (tmp_path / "s.yaml").write_text("cases:\n  - name: lots\n    arrangement: a.yaml\n    expect:\n"
                                     "      values:\n        - {id: pay.core-pcn, value: lots}\n")
    result = run("test", "s.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "s.yaml:6:" in result.stdout and "E-SCENARIO-005" in result.stdout
    assert "0 passed, 0 failed, 1 invalid" in result.stdout


def test_a_scenario_file_with_no_cases_is_invalid(tmp_path):
    (tmp_path / "s.yaml").write_text("cases: []\n")
    result = run("test", "s.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert "E-SCENARIO-004" in result.stdout + result.stderr and "`cases` is empty" in result.stdout + result.stderr


# ------------------------------------------------------------ items 8 and 9

def test_vary_check_on_a_day_with_no_contract_is_e_layer_011_as_check_says():
    check = run("check", EXAMPLES / "pcn-rural-qmm.yaml", "--as-of", "9999-12-31")
    vary = run("vary-check", QMM, "--as-of", "9999-12-31")
    assert check.returncode == vary.returncode == 2
    for result in (check, vary):
        assert "E-LAYER-011" in result.stderr and "no national contract" in result.stderr
    assert "permitted" not in vary.stdout


def test_an_empty_because_is_refused_by_every_command(tmp_path):
    text = QMM.read_text()
    first = text.index('because "')
    empty = text[:first] + 'because ""' + text[text.index('"', first + 9) + 1:]
    (tmp_path / "q.rules").write_text(empty)
    shutil.copy(EXAMPLES / "pcn-rural-qmm.yaml", tmp_path / "a.yaml")
    for args in (["lint", "q.rules"], ["vary-check", "q.rules"], ["check", "a.yaml", "--local", "q.rules"]):
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout)
        assert result.stderr.count("E-LAYER-005") == 1 and "this reason is empty" in result.stderr
    assert "refused" in run("vary-check", "q.rules", cwd=tmp_path).stdout


# ------------------------------------------------------------ item 10

def test_every_money_total_is_the_same_in_text_json_and_html(tmp_path):
    """No total counted twice: each total the HTML page shows is a value's own
    total change in the JSON, and the text says the same."""
    import html as html_module
    import json
    import re
    args = ("impact", "--population", EXAMPLES / "population-qsl.jsonl", "--variation",
            ROOT / "contracts" / "local" / "qsl-diabetes-outcomes.rules",
            "--assumptions", EXAMPLES / "assumptions" / "2025-26.yaml")
    summary = json.loads(run(*args, "--format", "json").stdout.splitlines()[-1])["summary"]
    money = {k: v for k, v in summary["values"].items() if v["unit"] == "GBP" and v.get("total_change")
             and Decimal(v["total_change"])}  # unchanged values are not shown
    assert money["qof.payment"]["total_change"] == "-2888.81"

    def pounds(text: str) -> str:  # "-£2,888.81" -> "-2888.81"
        return text.replace("£", "").replace(",", "").replace("+", "")
    text = " ".join(run(*args).stdout.split())  # wrapped lines joined
    for value_id, data in money.items():
        change = data["total_change"]
        amount = f"£{abs(Decimal(change)):,.2f}"
        shown = f"-{amount}" if change.startswith("-") else f"+{amount}"
        assert f"{value_id}: " in text and f"({shown})" in text, (value_id, shown)
    page = html_module.unescape(run(*args, "--format", "html").stdout)
    headings = re.findall(r"<h3>(.*?): total change (\S+)</h3>", page)
    assert headings and not any("together" in h for h, _ in headings)
    for heading, amount in headings:
        value_id = re.sub(r"<[^>]+>", "", heading)
        expected = summary["values"][value_id].get("total_change")  # KeyError: a total of no value
        assert pounds(amount) == (expected or "unknown"), (value_id, amount)
    for value_id, amount in re.findall(r'<dd data-id="([^"]+)"[^>]*>([^<]+)</dd>', page):
        assert pounds(amount) == money[value_id]["total_change"], (value_id, amount)
    assert "-£5,777.62" not in page and "-£15,337.80" not in page
