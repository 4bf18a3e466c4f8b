"""Can a layer pay more than its budget (issue 20, item 3): the largest
increase one practice can gain from a layer's retired and added QOF rows,
with a witness the real evaluator confirms, and each added indicator's reach
(the least achievement earning its whole points)."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from rules_engine.api import vary_check
from rules_engine.cli import main
from rules_engine.program.assumptions import from_file
from rules_engine.reports.variations_report import render as text_render
from rules_engine.io.arrangements import Arrangement, validate_document
from rules_engine.reports.html_report import render_vary_check
from rules_engine.run.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "contracts" / "local"


def _points_total(engine: Engine, facts: dict):
    arrangement = Arrangement(validate_document(engine.library.schema, facts, None, "<w>"), "<w>", None, facts)
    return next(v.value for v in engine.evaluate(arrangement).values if v.id == "qof.points-total")


@pytest.fixture(scope="module")
def qsl():
    return vary_check(LOCAL / "qsl-diabetes-outcomes.rules")


def test_the_largest_increase_for_one_practice_with_its_witness(qsl):
    (budget,) = qsl.analysis.budgets
    answer = budget.answer
    assert (budget.table, budget.budget, budget.added_total) == ("qof_indicators", 15, 15)
    assert [p.key for p in budget.probes] == ["DM012", "DM014", "LDM001"]
    assert answer.largest_increase == 15 and answer.measured == "qof.points-total"
    assert answer.exceeded is False  # 15 points at most: the budget's 15
    assert answer.reach == ("LDM001: its whole 15 points from 70 % achievement",)
    assert answer.any_achievement == ()
    assert answer.checked == ("checked by the evaluator: qof.points-total 0 under the national terms, "
                              "15 under the layer")
    # the witness, run again here: the retired indicators earn nothing at 0 %,
    # the local one all 15 points at its upper threshold
    witness = answer.witness
    indicators = witness["practices"][0]["qof"]["indicators"]
    assert indicators["LDM001"]["achievement"] == Decimal("0.7") or indicators["LDM001"]["achievement"] == 0.7
    assert indicators["DM012"]["achievement"] == 0 and indicators["DM014"]["achievement"] == 0
    engine = Engine.load(local=LOCAL / "qsl-diabetes-outcomes.rules")
    assert _points_total(engine, json.loads(json.dumps(witness, default=str))) == 15
    national = json.loads(json.dumps(witness, default=str))
    national["icb"] = "Q00"
    del national["practices"][0]["qof"]["indicators"]["LDM001"]
    assert _points_total(engine, national) == 0
    # the payment needs the practice's list and prevalence, and in 2025/26 the
    # national average list size the library lacks: said, not guessed
    assert answer.money.startswith("qof.payment unknown on the witness (lacking: parameter "
                                   "qof_national_average_list_size")


def test_json_and_html_carry_it(qsl):
    data = qsl.to_dict()["analysis"]["budgets"][0]
    assert data["largest_increase"] == "15" and data["exceeded"] is False
    assert data["witness_yaml"].startswith("as_of: 2025-04-01\n")
    html = render_vary_check(qsl)
    assert "Largest increase for one practice: <strong>15 points</strong>" in html
    assert "it cannot exceed the budget" in html


def test_an_indicator_earning_its_points_at_any_achievement_is_reported(tmp_path):
    """The issue's commissioner case, under an envelope that does not bound a
    local indicator's thresholds: thresholds of 0 % earn the whole 15 points
    at any achievement, and vary-check says so."""
    library = tmp_path / "library"
    shutil.copytree(ROOT / "contracts" / "national", library / "national")
    (library / "local").mkdir()
    envelope = library / "national" / "flexibility-today.rules"
    text = envelope.read_text()
    bound = "\n    with lower between 20% and 89% with upper between 50% and 97%"
    assert bound in text
    envelope.write_text(text.replace(bound, ""))
    layer = (LOCAL / "qsl-diabetes-outcomes.rules").read_text().replace(
        'row "LDM001" | 40% | 70% |', 'row "LDM001" | 0% | 0% |')
    easy = library / "local" / "qsl-easy.rules"
    easy.write_text(layer)
    result = vary_check(easy, rules=library)
    (budget,) = result.analysis.budgets
    assert budget.answer.any_achievement == ("LDM001",)
    assert budget.answer.reach == ("LDM001: its whole 15 points from 0 % achievement",)
    assert budget.answer.largest_increase == 15
    layer = layer.replace('row "LDM001" | 0% | 0% |', 'row "LDM001" | 0% | 1% |')
    easy.write_text(layer)
    answer = vary_check(easy, rules=library).analysis.budgets[0].answer
    assert answer.any_achievement == () and answer.reach == ("LDM001: its whole 15 points from 1 % achievement",)


def test_a_layer_without_a_budget_has_no_budget_question():
    assert vary_check(LOCAL / "qmm.rules").analysis.budgets == ()


BOUNDS = ROOT / "tests" / "golden" / "vary-check" / "qsl-practices.bounds.yaml"
ASSUMED = ROOT / "examples" / "assumptions" / "2025-26.yaml"


def _payment(engine: Engine, facts: dict):
    arrangement = Arrangement(validate_document(engine.library.schema, facts, None, "<w>"), "<w>", None, facts)
    return next(v.value for v in engine.evaluate(arrangement).values if v.id == "qof.payment")


def test_the_largest_increase_in_pounds_rests_on_the_assumption_and_the_bounds():
    result = vary_check(LOCAL / "qsl-diabetes-outcomes.rules", bounds=BOUNDS, assume=ASSUMED)
    in_pounds = result.analysis.budgets[0].answer.pounds
    # 15 points x £225.49 x 40,000 / 10,349 x 0.12 / 0.07, rounded to the penny
    assert in_pounds.largest_increase == Decimal("22411.11")
    assert in_pounds.budget == Decimal("22411.11") and in_pounds.exceeded is False  # DM for DM: the same worth
    assert in_pounds.rests_on[0] == f"assumed qof_national_average_list_size = 10349 ({ASSUMED})"
    assert in_pounds.lacking == ()
    # the witness, run again here under the layer and under the national terms alone
    engine = Engine.load(local=LOCAL / "qsl-diabetes-outcomes.rules", assumptions=from_file(ASSUMED))
    witness = json.loads(json.dumps(result.analysis.budgets[0].answer.pounds.witness, default=str))
    assert witness["practices"][0]["list_size"] == 40000
    national = json.loads(json.dumps(witness))
    national["icb"] = "Q00"
    del national["practices"][0]["qof"]["indicators"]["LDM001"]
    assert _payment(engine, witness) - _payment(engine, national) == Decimal("22411.11")
    data = result.to_dict()["analysis"]["budgets"][0]["pounds"]
    assert data["largest_increase"] == "22411.11" and data["exceeded"] is False
    assert "list_size: 40000" in result.to_dict()["analysis"]["budgets"][0]["pounds_witness_yaml"]


def test_without_the_figures_the_money_says_what_is_lacking_and_how_to_state_it():
    in_pounds = vary_check(LOCAL / "qsl-diabetes-outcomes.rules").analysis.budgets[0].answer.pounds
    assert in_pounds.largest_increase is None and in_pounds.exceeded is None
    assert in_pounds.lacking[0].startswith("parameter qof_national_average_list_size (no value in force on "
                                           "2025-04-01): state it with --assume qof_national_average_list_size=")
    assert in_pounds.lacking[1] == ("practices[0].list_size (no upper bound): state `practices[].list_size: "
                                    "{at_least: 1500, at_most: 40000}` in a --bounds FILE")


def test_a_local_indicator_on_another_register_can_pay_more_than_the_retired_rows(tmp_path):
    """Within its points, an indicator on a register whose prevalence may be
    higher than the retired rows' pays more in pounds at some practice."""
    layer = (LOCAL / "qsl-diabetes-outcomes.rules").read_text()
    assert 'row "LDM001" | "DM" |' in layer
    other = tmp_path / "qsl-af.rules"
    other.write_text(layer.replace('row "LDM001" | "DM" |', 'row "LDM001" | "AF" |'))
    result = vary_check(other, bounds=BOUNDS, assume={"qof_national_average_list_size": 10349})
    answer = result.analysis.budgets[0].answer
    assert answer.exceeded is False  # in points: 15 for 15
    in_pounds = answer.pounds
    assert in_pounds.exceeded is True
    # AF at 12 % against 7 % nationally, the retired DM rows' worth at 3 % against 8 %
    assert in_pounds.largest_increase == Decimal("22411.11")
    assert in_pounds.budget < in_pounds.largest_increase
    assert "CAN pay more than the retired rows' worth" in " ".join(
        text_render(result).split())


def test_vary_check_takes_the_assumptions_as_check_does(in_root, capsys):
    code = main(["vary-check", "contracts/local/qsl-diabetes-outcomes.rules",
                 "--assume", "qof_national_averge_list_size=10349"])
    err = capsys.readouterr().err
    assert code == 2 and "E-ASSUME-001" in err and "did you mean `qof_national_average_list_size`" in err


def test_more_corners_than_the_search_runs_says_so_instead_of_failing(qsl):
    """Seven figures to fill (two ends each: 128 corners) is past MOST_CORNERS:
    the answer says how many and what to state, with no money guessed."""
    from types import SimpleNamespace
    from rules_engine.run.budget_pounds import MOST_CORNERS, search_money
    registers = ["AF", "AST", "CHD", "DM", "HF", "HYP", "STIA"]
    missing = [f"practices[0].qof.prevalence.{r}.national" for r in registers]
    engine = Engine.load()

    class Runner:  # the evaluator names the seven figures as missing, however many are filled
        def __init__(self):
            self.engine = engine

        def values(self, facts, national, extra):
            return {"qof.payment": SimpleNamespace(value=None, missing=missing, assumed=())}

    answer = search_money(Runner(), {}, {}, "qof.payment", None)
    assert 2 ** len(registers) > MOST_CORNERS
    assert (answer.largest_increase, answer.exceeded, answer.rests_on) == (None, None, ())
    assert answer.lacking == (f"7 figures to fill (128 corners, more than {MOST_CORNERS}): state single values "
                              "for some in a --bounds FILE (at_least equal to at_most)",)
    assert len(answer.filled) == 7 and "from 0 to 1" in answer.filled[0]
