"""carry.py: a provisional national period that carries the contracts of its
last year forward (the shipped provisional_2026_27), its marks and its errors."""

import datetime as dt
from decimal import Decimal

import pytest

from rules_engine import InvalidInput
from rules_engine.cli import main
from rules_engine.run.engine import Engine

BASE = '''national contract base "Base terms"
  effective 2024-04-01 to 2026-03-31

parameter rate "A rate": fraction
  from 2024-04-01 to 2025-03-31 = 2%
  from 2025-04-01 to 2026-03-31 = 3%

parameter old_rate "Ended before the last day": fraction
  from 2024-04-01 to 2025-03-31 = 5%

parameter fee "A fee": money = £10

table bands by code "Bands"
  columns code: text | points: number | from | to
  row "A" | 4 | 2024-04-01 | 2026-03-31
  row "B" | 7 | 2024-04-01 | 2025-03-31

fact practices[].ods_code: text required
fact practices[].done: bool
subject practice is each practices keyed by ods_code

requirement base.done "Done"
  for each practice
  must practice.done

requirement base.late "Only in the last half year"
  for each practice
  effective 2025-10-01 to 2026-03-31
  must practice.done

define pay for each practice: money = fee * rate * 100
  report base.pay "Pay"

define band_points for each practice: number = bands["A"].points
  report base.band-points "Band A points"

define has_b for each practice: bool = "B" in bands
  report base.has-b "Band B in force"
'''

CARRIER = '''national contract next "Next year"
  effective 2026-04-01 to 2027-03-31
  carries forward base
  provisional "not published; last year's terms carried forward as an assumption"

parameter fee "A fee": money = £12
  provisional "next year's fee, one source"
'''

ARRANGEMENT = "practices:\n  - {ods_code: P1, done: true}\n"


@pytest.fixture
def engine(tmp_path):
    (tmp_path / "base.rules").write_text(BASE, encoding="utf-8")
    (tmp_path / "next.rules").write_text(CARRIER, encoding="utf-8")
    return Engine.load(rules=tmp_path)


def run(engine, day):
    arrangement = engine.load_arrangement("a.yaml", text=ARRANGEMENT)
    result = engine.evaluate(arrangement, dt.date.fromisoformat(day))
    values = {v.id: v for v in result.values}
    results = {r.id: r for r in result.results}
    return values, results


def test_the_last_day_and_the_first_carried_day(engine):
    values, results = run(engine, "2026-03-31")
    assert values["base.pay"].value == Decimal("30.00")  # £10 x 3%
    assert values["base.pay"].provisional is None
    assert results["base.late"].outcome.value == "pass"
    values, results = run(engine, "2026-04-01")
    # 3% carried forward; the carrier's own fee supersedes £10
    assert values["base.pay"].value == Decimal("36.00")
    assert values["base.band-points"].value == 4  # row A reached the last day: carried
    assert values["base.has-b"].value is False  # row B had ended: not carried
    assert results["base.late"].outcome.value == "pass"  # its period reached the last day
    marks = values["base.pay"].provisional
    assert "base carried into 2026/27 by next: not published; last year's terms carried " \
           "forward as an assumption" in marks
    assert "parameter fee: next year's fee, one source" in marks
    assert "base carried into 2026/27" in results["base.done"].provisional


def test_a_value_that_ended_before_the_last_day_stays_ended(engine, tmp_path):
    (tmp_path / "base.rules").write_text(BASE + '''
define old for each practice: fraction = old_rate
  report base.old "Old"
''', encoding="utf-8")
    values, _ = run(Engine.load(rules=tmp_path), "2026-06-01")
    assert values["base.old"].value is None and values["base.old"].missing


def test_past_the_carrying_period_no_contract_is_in_force(engine):
    with pytest.raises(InvalidInput) as error:
        run(engine, "2027-04-01")
    (diagnostic,) = error.value.diagnostics
    assert diagnostic.code == "E-LAYER-011" and "2024-04-01 to 2027-03-31" in diagnostic.hint


@pytest.mark.parametrize("header, code", [
    ("  effective 2026-04-01 to 2027-03-31\n  carries forward bsae\n", "E-LAYER-018"),
    ("  effective 2026-04-01 to 2027-03-31\n  carries forward next\n", "E-LAYER-018"),
    ("  effective 2026-04-02 to 2027-03-31\n  carries forward base\n", "E-LAYER-019"),
    ("  effective 2026-03-31 to 2027-03-31\n  carries forward base\n", "E-LAYER-019"),
])
def test_carrying_what_is_no_contract_or_not_from_the_next_day_is_an_error(tmp_path, capsys, header,
                                                                          code):
    (tmp_path / "base.rules").write_text(BASE, encoding="utf-8")
    (tmp_path / "next.rules").write_text('national contract next "Next"\n' + header, encoding="utf-8")
    assert main(["lint", str(tmp_path / "base.rules"), str(tmp_path / "next.rules")]) == 2
    err = capsys.readouterr().err
    assert f"error[{code}]" in err and "next.rules:3:3" in err


# ------------------------------------------------- the shipped 2026/27 period

def test_the_shipped_2026_27_period_carries_the_contracts_and_marks_every_result(in_root, capsys):
    assert main(["check", "examples/pcn-2025-26-passing.yaml", "--as-of", "2026-06-01",
                 "--format", "json"]) == 0
    import json
    (document,) = json.loads(capsys.readouterr().out)["arrangements"]
    assert all(r.get("provisional") for r in document["results"])
    values = {(v["id"], v["subject"]): v for v in document["values"]}
    casp = values[("pay.casp", "pcn:U61234")]
    assert casp["value"] == "0.00" and "abolished" in casp["provisional"]
    assert "2025/26 carried forward as an assumption" in values[("pay.global-sum", "practice:G82001")][
        "provisional"]
    # the day before: 2025/26, no carried mark
    assert main(["check", "examples/pcn-2025-26-passing.yaml", "--as-of", "2026-03-31",
                 "--format", "json"]) == 0
    (document,) = json.loads(capsys.readouterr().out)["arrangements"]
    assert not any("carried into" in (r.get("provisional") or "") for r in document["results"])
