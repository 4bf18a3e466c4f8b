"""What a replacement may not weaken for either party (`protecting`), and
bounds on the cells of added rows (`with COLUMN BOUND`): issue 17, items 9
and 10, on the shipped framework envelope."""

import json

import pytest

from rules_engine.cli import main
from rules_engine.queries.variations import vary_check

from conftest import ROOT

REMEDIAL = '''local layer qxr "Floor test" for icb QXR extends gms
  effective 2026-04-01 to 2027-03-31
replace requirement gms.remedial-notice-period "Support before a remedial notice"
  for each remedial_notice
  must {must}
  {unless}
  because "Support before sanctions"
'''

SUPPORT = "known(practice.support.offered) and practice.support.offered < remedial_notice.issued"


def write(tmp_path, text, name="proposal.rules"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("must, unless, codes", [
    # the national floor, with the national exemptions: permitted
    (f"(remedial_notice.period >= remedial_notice_period or remedial_notice.financial_loss_risk) "
     f"and {SUPPORT}", "unless remedial_notice.patient_safety_risk", []),
    # a stronger floor (35 days, or 28 days written out): permitted
    ("remedial_notice.period >= 35 days or remedial_notice.patient_safety_risk", "", []),
    ("remedial_notice.period >= 28 days or remedial_notice.patient_safety_risk", "", []),
    ("remedial_notice.period > 28 days or remedial_notice.patient_safety_risk", "", []),
    # one day short of the floor, and the 7 days: refused
    ("remedial_notice.period >= 27 days or remedial_notice.patient_safety_risk", "", ["E-FLEX-011"]),
    (f"(remedial_notice.period >= 7 days or remedial_notice.financial_loss_risk) and {SUPPORT}",
     "unless remedial_notice.patient_safety_risk", ["E-FLEX-011"]),
    # the floor dropped, or made one way among new ones: refused
    (f"{SUPPORT} or remedial_notice.patient_safety_risk", "", ["E-FLEX-011"]),
    (f"remedial_notice.period >= remedial_notice_period or remedial_notice.patient_safety_risk "
     f"or {SUPPORT}", "", ["E-FLEX-011"]),
    # a new exemption in `unless`, or a `where` that takes notices out: refused
    ("remedial_notice.period >= remedial_notice_period or remedial_notice.patient_safety_risk",
     f"unless {SUPPORT}", ["E-FLEX-011"]),
    ("remedial_notice.period >= remedial_notice_period or remedial_notice.patient_safety_risk",
     "where remedial_notice.financial_loss_risk", ["E-FLEX-011"]),
])
def test_a_replacement_must_still_demand_the_contractors_notice_period(tmp_path, in_root, must,
                                                                        unless, codes):
    result = vary_check(write(tmp_path, REMEDIAL.format(must=must, unless=unless)))
    (verdict,) = result.verdicts
    assert [d.code for d in verdict.diagnostics] == codes
    assert verdict.permitted is (not codes)
    if codes:
        (diagnostic,) = verdict.diagnostics
        assert verdict.verdict == "weakens a protected floor"
        # both clauses named: the envelope's and the national term's
        assert "(Hewitt Review: struggling practices)" in diagnostic.message
        assert "model contract cl. 26.13 (remedial notices)" in diagnostic.message
        assert [r.span.file for r in diagnostic.related] == [
            "contracts/national/gms.rules", "contracts/national/flexibility-framework.rules"]


def test_the_seven_day_replacement_names_both_figures_and_exits_2(in_root, capsys):
    path = "contracts/local/invalid/support-first-seven-days.rules"
    assert main(["vary-check", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}:17:9: error[E-FLEX-011]" in err
    assert "its `must` asks only 7 days, weaker than the protected `remedial_notice_period`, " \
           "28 days" in err
    assert "hint: demand `remedial_notice.period >= remedial_notice_period`" in err


def test_the_shipped_support_first_layer_keeps_the_floor(in_root):
    assert vary_check(ROOT / "contracts/local/quy-framework.rules").permitted


def test_an_envelope_protecting_what_the_requirement_does_not_demand_is_an_error(tmp_path, in_root,
                                                                                capsys):
    envelope = (ROOT / "contracts/national/flexibility-framework.rules").read_text(encoding="utf-8")
    changed = envelope.replace("protecting remedial_notice.period >= remedial_notice_period",
                               "protecting remedial_notice.period >= 14 days")
    assert changed != envelope
    national = tmp_path / "national"
    national.mkdir()
    for path in (ROOT / "contracts/national").glob("*.rules"):
        (national / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (national / "flexibility-framework.rules").write_text(changed, encoding="utf-8")
    assert main(["lint", str(national)]) == 2
    err = capsys.readouterr().err
    assert "error[E-FLEX-012]: `protecting remedial_notice.period >= 14 days`: " \
           "`gms.remedial-notice-period` does not demand that condition" in err


THRESHOLDS = '''local layer qxt "Threshold test" for icb QXT extends qof
  effective 2026-04-01 to 2027-03-31
retire qof_indicators "DM012"
  because "Replaced by a local outcome indicator"
add to qof_indicators row "LDM901" | "DM" | clinical | 4 points | true | false | false | attainment | 0 | 2026-04-01 | 2027-03-31
  because "Local outcome indicator"
add to qof_thresholds row "LDM901" | {lower} | {upper} | 2026-04-01 | 2027-03-31
  because "Thresholds"
'''


@pytest.mark.parametrize("lower, upper, bad", [
    ("20%", "50%", []), ("89%", "97%", []),  # the range's own ends
    ("19%", "70%", ["lower"]), ("90%", "95%", ["lower"]),
    ("40%", "49%", ["upper"]), ("40%", "98%", ["upper"]),
    ("0%", "1%", ["lower", "upper"]),  # the 0% to 1%
])
def test_local_thresholds_lie_within_the_national_range(tmp_path, in_root, lower, upper, bad):
    result = vary_check(write(tmp_path, THRESHOLDS.format(lower=lower, upper=upper)))
    (thresholds,) = [v for v in result.verdicts if v.target == "qof_thresholds"]
    assert [d.code for d in thresholds.diagnostics] == ["E-FLEX-013"] * len(bad)
    assert [d.message.split(" = ")[0] for d in thresholds.diagnostics] == [f"`{c}`" for c in bad]
    assert result.permitted is (not bad)


def test_show_flexible_lists_the_new_powers_with_their_clauses(in_root, capsys):
    assert main(["show", "--flexible", "--as-of", "2026-06-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    powers = {(p["kind"], p["target"]): p for group in data["contracts"] for p in group["powers"]}
    floor = powers[("replace requirement", "gms.remedial-notice-period")]
    assert floor["protecting"] == ["remedial_notice.period >= remedial_notice_period"]
    assert floor["reference"] == "Hewitt Review: struggling practices"
    thresholds = powers[("add rows", "qof_thresholds")]
    assert thresholds["column_bounds"] == ["lower between 20% and 89%", "upper between 50% and 97%"]
    assert thresholds["provisional"].startswith("policy proposal")


def test_a_pcn_may_hold_the_contract_under_the_framework_never_without_reg5(in_root, capsys):
    """Item 11: Hewitt 4.17's PCN holder, with reg. 5 protected."""
    assert vary_check(ROOT / "contracts/local/qop-framework.rules").permitted
    path = "contracts/local/invalid/pcn-holder-without-reg5.rules"
    assert main(["vary-check", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}:15:8: error[E-FLEX-011]" in err
    assert "(Hewitt Review 4.17: primary care at scale" in err
    assert "still demands `holder_meets_reg5`, the floor of GMS Contract reg. 5" in err
    # under today's powers the requirement is locked: the same layer is refused
    text = (ROOT / "contracts/local/qop-framework.rules").read_text(encoding="utf-8")
    assert main(["vary-check", "contracts/local/qop-framework.rules", "--as-of", "2026-03-31"]) == 2
    assert "E-LAYER-008" in capsys.readouterr().err and "holder_meets_reg5" in text


def test_digital_standards_may_be_raised_or_phased_in_within_the_national_bound(tmp_path, in_root,
                                                                               capsys):
    """Item 12: phased in by 30 September 2026 at the latest, raised never lowered."""
    assert vary_check(ROOT / "contracts/local/qhm-framework.rules").permitted
    layer = '''local layer qxd "Phase-in test" for icb QXD extends gms
  effective 2026-04-01 to 2027-03-31
vary {name} = {day}
  because "Phased in"
'''
    for name in ("online_consultation_from", "online_records_access_from", "telephony_data_from"):
        for day, code in (("2026-09-30", None), ("2026-10-01", "E-LAYER-001")):
            result = vary_check(write(tmp_path, layer.format(name=name, day=day)))
            (verdict,) = result.verdicts
            assert [d.code for d in verdict.diagnostics] == ([code] if code else []), (name, day)
            assert verdict.provisional.startswith("policy proposal")
    assert main(["vary-check", "contracts/local/invalid/digital-phase-in-too-late.rules"]) == 2
    assert "is after the latest date allowed (2026-09-30)" in capsys.readouterr().err
    assert main(["vary-check", "contracts/local/invalid/digital-lowered.rules"]) == 2
    assert "error[E-FLEX-011]" in capsys.readouterr().err
    # under today's powers the dates are locked
    today = vary_check(write(tmp_path, layer.format(name="telephony_data_from", day="2025-06-01")
                             .replace("2026-04-01 to 2027-03-31", "2025-04-01 to 2026-03-31")))
    assert today.verdicts[0].verdict == "not flexible"


def test_show_flexible_lists_the_digital_and_holder_powers(in_root, capsys):
    assert main(["show", "--flexible", "--as-of", "2026-06-01", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    powers = {(p["kind"], p["target"]): p for group in data["contracts"] for p in group["powers"]}
    assert powers[("vary", "telephony_data_from")]["bounds"] == "between 2024-10-01 and 2026-09-30"
    assert powers[("replace requirement", "gms.telephony-data")]["protecting"] == [
        "practice.telephony_data_submitted"]
    holder = powers[("replace requirement", "gms.holder-eligibility")]
    assert holder["protecting"] == ["holder_meets_reg5"]
    assert holder["reference"].startswith("Hewitt Review 4.17")
    for power in powers.values():
        if power["envelope"] == "hewitt_framework" and "4.17" in (power.get("reference") or ""):
            assert power["provisional"].startswith("policy proposal")


def test_an_envelope_bounding_a_column_the_table_lacks_is_an_error(tmp_path, in_root, capsys):
    envelope = (ROOT / "contracts/national/flexibility-framework.rules").read_text(encoding="utf-8")
    changed = envelope.replace("with lower between 20% and 89%", "with lowest between 20% and 89%")
    assert changed != envelope
    national = tmp_path / "national"
    national.mkdir()
    for path in (ROOT / "contracts/national").glob("*.rules"):
        (national / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (national / "flexibility-framework.rules").write_text(changed, encoding="utf-8")
    assert main(["lint", str(national)]) == 2
    err = capsys.readouterr().err
    assert "error[E-FLEX-008]: `with lowest`: `qof_thresholds` has no column `lowest`" in err
