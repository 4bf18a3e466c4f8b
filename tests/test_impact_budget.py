"""impact's budget verdict in pounds (issue 17, item 10): a QOF budget in
points is not a money budget. The retired rows' worth (what they paid before
less after), the added rows' cost, the verdict, and the family's total
before, after and its change, in text, JSON and HTML, folded from the value
totals as the population streams."""

import json

import pytest

from rules_engine.cli import main

from conftest import ROOT

POPULATION = "examples/population-qsl.jsonl"
ASSUME = ["--assume", "qof_national_average_list_size=10184"]


def impact(capsys, variation, *extra):
    code = main(["impact", "--population", POPULATION, "--variation", str(variation), *extra])
    return code, capsys.readouterr().out


def budget_of(out: str) -> dict:
    (budget,) = json.loads(out.splitlines()[-1])["summary"]["budgets"]
    return budget


def test_the_shipped_scheme_is_within_the_retired_rows_worth(in_root, capsys):
    code, out = impact(capsys, "contracts/local/qsl-diabetes-outcomes.rules", *ASSUME, "--format", "json")
    assert code == 0
    budget = budget_of(out)
    assert (budget["table"], budget["column"], budget["within"]) == ("qof_indicators", "points", True)
    money = budget["money"]
    assert (money["value"], money["verdict"]) == ("qof.payment", "within")
    # opted-in practices stop earning DM012 and DM014; the others keep them
    assert (money["retired_before"], money["retired_after"], money["retired_worth"]) == (
        "25161.77", "15446.70", "9715.07")
    assert (money["added_before"], money["added_after"], money["added_cost"]) == (
        "0.00", "6779.46", "6779.46")
    assert (money["total_before"], money["total_after"], money["total_change"]) == (
        "273918.67", "270983.05", "-2935.62")


def test_easier_thresholds_are_within_the_points_but_over_in_pounds(tmp_path, in_root, capsys):
    text = (ROOT / "contracts/local/qsl-diabetes-outcomes.rules").read_text(encoding="utf-8")
    easy = tmp_path / "qsl-easy.rules"
    easy.write_text(text.replace("| 40% | 70% |", "| 20% | 50% |"), encoding="utf-8")
    code, out = impact(capsys, easy, *ASSUME, "--format", "json")
    money = budget_of(out)["money"]
    assert money["verdict"] == "over" and money["added_cost"] == "14986.93"
    assert money["total_change"] == "5271.86"
    code, out = impact(capsys, easy, *ASSUME)
    flat = " ".join(out.split())
    assert "Budget of qof_indicators (points): retires DM012, DM014 (15 points); adds LDM001 " \
           "(15 points): within budget" in flat
    assert "over what the retired rows were worth by £5,271.86" in flat
    assert "qof.payment in all: £273,918.67 -> £279,190.53 (+£5,271.86)" in flat


def test_without_the_figure_the_verdict_is_unknown_never_nothing(in_root, capsys):
    code, out = impact(capsys, "contracts/local/qsl-diabetes-outcomes.rules")
    flat = " ".join(out.split())
    assert "in pounds (qof.payment.KEY): unknown: 40 of the rows' amounts are unknown" in flat
    assert "£0.00 freed" not in flat


def test_the_html_report_carries_the_verdict(tmp_path, in_root, capsys):
    page = tmp_path / "impact.html"
    impact(capsys, "contracts/local/qsl-diabetes-outcomes.rules", *ASSUME, "--format", "html",
           "-o", str(page))
    html = page.read_text(encoding="utf-8")
    assert 'id="budgets"' in html and 'data-verdict="within"' in html
    assert "within what the retired rows were worth" in html


def test_a_proposal_without_budgets_has_none(in_root, capsys):
    code, out = impact(capsys, "contracts/local/qmm.rules", "--format", "json")
    assert json.loads(out.splitlines()[-1])["summary"]["budgets"] == []


def test_a_verdict_on_an_assumed_figure_says_so(in_root, capsys):
    code, out = impact(capsys, "contracts/local/qsl-diabetes-outcomes.rules", *ASSUME, "--format", "json")
    money = budget_of(out)["money"]
    assert [a["name"] for a in money["assumed"]] == ["qof_national_average_list_size"]
    assert money["text"].endswith("(assumed: qof_national_average_list_size = 10184)")
