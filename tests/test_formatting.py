"""Money, points and shares as reports show them (rules_engine/base/numbers.py)."""

import doctest
import json
from decimal import Decimal

from click.testing import CliRunner

from rules_engine.cli import cli
from rules_engine.base import numbers as formatting
from rules_engine.base.numbers import money, money_exact, number, percent, points, show_value, unrounded


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_doctests():
    assert doctest.testmod(formatting).failed == 0


def test_money_is_pounds_and_pence_with_separators():
    assert money("1331550") == "£1,331,550.00"
    assert money(Decimal("0")) == "£0.00"
    assert money(Decimal("999.995")) == "£1,000.00 (unrounded: £999.995)"
    assert money(Decimal("-1234.5"), signed=True) == "-£1,234.50"
    assert money(Decimal("1234.5"), signed=True) == "+£1,234.50"
    assert money(None) == "unknown"


def test_the_exact_amount_stays_exact():
    assert money_exact(Decimal("5861.385")) == "5861.385"
    assert money_exact(Decimal("5861.3850")) == "5861.385"
    assert money_exact(Decimal("53262.000")) == "53262.00"


def test_points_and_shares():
    assert points(Decimal("12.444444444444444444")) == "12.44"
    assert points(Decimal("16.888888888888889")) == "16.89"
    assert points(Decimal("8.50")) == "8.5"
    assert show_value(Decimal("1"), "points") == "1 point"
    assert show_value(12.444444444444445, "points") == "12.44 points"
    assert percent(Decimal("1")) == "100%"
    assert show_value(0.625, "fraction") == "62.5%"
    assert number(Decimal("0.333333333")) == "0.3333"
    assert number(Decimal("27400")) == "27,400"


def test_unrounded_is_money_past_the_penny_and_points_past_two_places():
    assert unrounded("5861.385", "GBP") and not unrounded("5861.38", "GBP")
    assert unrounded(12.444444444444445, "points") and not unrounded(8.5, "points")
    assert not unrounded(0.3333333, "number")


def test_check_text_shows_a_declared_rounding_to_the_penny(in_root):
    output = invoke("check", "examples/pcn-2025-26.yaml").output
    # 45 beds x £130.253 = £5,861.385: payments.rules declares the care home
    # premium `rounded to penny` (half up), so the payment is £5,861.39
    flat = " ".join(output.split())
    assert "£5,861.39" in flat
    assert "5,861.385" not in flat and "unrounded" not in flat


def test_check_json_says_how_a_value_is_rounded(in_root):
    data = json.loads(invoke("check", "examples/pcn-2025-26.yaml", "--format", "json").output)
    values = {(v["id"], v["subject"]): v for v in data["arrangements"][0]["values"]}
    premium = values[("pay.care-home-premium", "pcn:U53579")]
    assert premium["value"] == "5861.39" and premium["rounded"] == "to the penny, half up"
    assert "unrounded" not in premium


LOCAL_SHARE = """local layer qrx "Example ICB" for icb QRX
  extends payments
  effective 2025-04-01 to 2026-03-31

define bed_share for pcn: money = pcn.care_home_beds * £130.253 / 7
  report qrx.bed-share "A local amount the layer does not round"
"""


def test_an_amount_with_no_declared_rounding_stays_exact_and_says_so(in_root, tmp_path):
    layer = tmp_path / "qrx.rules"
    layer.write_text(LOCAL_SHARE, encoding="utf-8")
    arrangement = tmp_path / "pcn.yaml"
    arrangement.write_text("as_of: 2025-06-02\nicb: QRX\npcn: {code: U99001, care_home_beds: 45}\n",
                           encoding="utf-8")
    data = json.loads(invoke("check", str(arrangement), "--local", str(layer), "--format", "json").output)
    values = {v["id"]: v for v in data["arrangements"][0]["values"]}
    share = values["qrx.bed-share"]
    # 45 x £130.253 / 7 = £837.3407...: kept exact in the JSON, marked unrounded
    assert share["value"].startswith("837.34071428") and share["unrounded"] is True
    assert "rounded" not in share
    text = " ".join(invoke("check", str(arrangement), "--local", str(layer), "--all").output.split())
    assert "£837.34 (unrounded: £837.34071428" in text


def test_points_in_check_are_shown_to_two_places(in_root):
    output = invoke("check", "examples/practice-no-pcn.yaml", "--all").output
    assert "16.89 points" in output and "16.888" not in output


def test_explain_shows_money_as_money(in_root):
    output = invoke("explain", "des.arrs.reimbursable", "--arrangement", "examples/pcn-2025-26.yaml").output
    assert "annual_cost = £54,000.00" in output and "arrs_reimbursable = £53,319.00" in output
