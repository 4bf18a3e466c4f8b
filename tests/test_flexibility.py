"""flexibility.py: envelopes as dated national policy, typed verdicts, budgets,
retired rows per opted-in practice, replaced values and the kept condition."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from rules_engine import InvalidInput
from rules_engine.cli import main
from rules_engine.static.flexibility import FLEXIBILITY_KINDS
from rules_engine.run.engine import Engine
from rules_engine.queries.variations import vary_check

from conftest import ROOT

QOF_LAYER = '''local layer qxb "Budget test" for icb QXB extends qof
  effective 2025-04-01 to 2026-03-31
retire qof_indicators "DM012", "DM014"
  because "Replaced by a local outcome indicator"
add to qof_indicators row "LDM777" | "DM" | clinical | {points} points | true | false | false | attainment | 0 | 2025-04-01 | 2026-03-31
  because "Local outcome indicator"
add to qof_thresholds row "LDM777" | 40% | 70% | 2025-04-01 | 2026-03-31
  because "Thresholds"
'''

CAP_LAYER = '''local layer qxc "Cap test" for icb QXC extends network_des
  effective {start} to {end}
add to arrs_caps row clinical_pharmacist | 2 | 3 | {start} | {end}
  because "Community pharmacies are losing pharmacists"
'''


def write(tmp_path, text, name="proposal.rules"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_one_row_per_kind_of_local_declaration():
    names = [k.name for k in FLEXIBILITY_KINDS]
    assert names == ["vary", "waive", "replace requirement", "replace value", "add requirement",
                     "add rows", "retire rows", "cap rows"]
    assert len({k.declaration for k in FLEXIBILITY_KINDS}) == len(FLEXIBILITY_KINDS)


@pytest.mark.parametrize("points, within", [(15, True), (14, True), (16, False)])
def test_budget_exactly_equal_is_within_and_one_point_over_is_refused(tmp_path, in_root, points, within):
    result = vary_check(write(tmp_path, QOF_LAYER.format(points=points)))
    (budget,) = result.budgets
    assert (budget.retired_total, budget.added_total, budget.within) == (15, points, within)
    assert budget.retired == (("DM012", Decimal(4)), ("DM014", Decimal(11)))
    assert result.permitted is within
    if within:
        assert budget.describe() == (f"retires DM012, DM014 (15 points); adds LDM777 ({points} points):"
                                     " within budget")
    else:
        (refused,) = [v for v in result.verdicts if not v.permitted]
        assert (refused.kind, refused.target, refused.verdict) == ("add row", "qof_indicators",
                                                                  "over budget")
        (diagnostic,) = refused.diagnostics
        assert diagnostic.code == "E-FLEX-002" and diagnostic.span.line == 5
        assert "retires DM012, DM014 (15 points); adds LDM777 (16 points): over budget by 1 point" \
            in diagnostic.message
        assert [r.span.file for r in diagnostic.related] == [
            "contracts/national/qof.rules", "contracts/national/flexibility-today.rules"]


def test_over_budget_exits_2_with_the_figures(tmp_path, in_root, capsys):
    assert main(["vary-check", str(write(tmp_path, QOF_LAYER.format(points=16)))]) == 2
    captured = capsys.readouterr()
    assert "error[E-FLEX-002]" in captured.err and "over budget by 1 point" in captured.err
    assert "budget of qof_indicators (points): retires DM012, DM014 (15 points); adds LDM777 " \
           "(16 points): over budget by 1 point" in " ".join(captured.out.split())


def test_vary_check_json_and_html_carry_the_envelope_and_budget(tmp_path, in_root, capsys):
    path = write(tmp_path, QOF_LAYER.format(points=15))
    assert main(["vary-check", str(path), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["envelope"]["name"] == "todays_powers"
    assert document["budgets"][0]["text"].endswith("within budget")
    assert {v["decided_by"] for v in document["variations"]} == {"envelope"}
    assert main(["vary-check", str(path), "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert 'data-within="true"' in html and "todays_powers" in html


@pytest.mark.parametrize("day, permitted, envelope", [
    ("2026-03-31", False, "todays_powers"),   # the last day of today's powers
    ("2026-04-01", True, "hewitt_framework"),  # the framework's first day
])
def test_the_same_cap_gets_two_verdicts_either_side_of_the_envelopes_boundary(
        tmp_path, in_root, day, permitted, envelope):
    path = write(tmp_path, CAP_LAYER.format(start="2026-04-01", end="2027-03-31"))
    result = vary_check(path, as_of=dt.date.fromisoformat(day))
    assert result.envelope.name == envelope
    assert result.permitted is permitted
    (verdict,) = result.verdicts
    if permitted:
        assert verdict.decided_by == "envelope" and verdict.provisional
        # the national terms of 2026/27 are the provisional period's (carry.py)
        assert result.terms_note.startswith("the national terms on 2026-04-01 are provisional: "
                                            "provisional_2026_27 carries gms, network_des, payments, qof")
    else:
        assert verdict.verdict == "not extensible"
        assert verdict.diagnostics[0].code == "E-LAYER-010"
        assert result.terms_note is None


def test_lint_judges_a_layer_under_every_envelope_its_period_meets(tmp_path, in_root):
    spanning = write(tmp_path, CAP_LAYER.format(start="2025-04-01", end="2027-03-31"))
    with pytest.raises(InvalidInput) as raised:
        Engine.load(local=spanning)
    assert [d.code for d in raised.value.diagnostics] == ["E-LAYER-010"]
    framework_only = write(tmp_path, CAP_LAYER.format(start="2026-04-01", end="2027-03-31"), "b.rules")
    Engine.load(local=framework_only)  # permitted: raises nothing


REMEDIAL = '''local layer qxr "Support first" for icb QXR extends gms
  effective 2026-04-01 to 2027-03-31
replace requirement gms.remedial-notice-period "Support is offered before a remedial notice"
  for each remedial_notice
  must remedial_notice.period >= remedial_notice_period {keeps}
  because "Support before sanctions"
'''


@pytest.mark.parametrize("keeps, code", [
    ("or remedial_notice.patient_safety_risk", None),
    ("", "E-FLEX-006"),
    ("and not remedial_notice.patient_safety_risk", "E-FLEX-006"),
])
def test_a_support_first_replacement_must_keep_acting_at_once_for_patient_safety(
        tmp_path, in_root, keeps, code):
    result = vary_check(write(tmp_path, REMEDIAL.format(keeps=keeps)))
    (verdict,) = result.verdicts
    assert [d.code for d in verdict.diagnostics] == ([code] if code else [])
    # and under today's powers the requirement is not replaceable at all
    today = vary_check(write(tmp_path, REMEDIAL.format(keeps=keeps)), as_of=dt.date(2025, 6, 1))
    assert today.verdicts[0].verdict == "not replaceable"


def test_retired_rows_apply_only_to_practices_that_opt_in(in_root):
    engine = Engine.load(local=ROOT / "contracts" / "local" / "qsl-diabetes-outcomes.rules")
    arrangement = engine.load_arrangement("x.yaml", text='''
as_of: 2025-06-01
icb: QSL
practices:
  - ods_code: L1
    list_size: 6000
    qof:
      local_scheme: true
      indicators: {DM012: {achievement: 0.95}, LDM001: {achievement: 0.70}}
      prevalence: {DM: {practice: 0.07, national: 0.07}}
  - ods_code: L2
    list_size: 6000
    qof:
      indicators: {DM012: {achievement: 0.95}}
      prevalence: {DM: {practice: 0.07, national: 0.07}}
  - ods_code: L3
    list_size: 6000
    qof:
      local_scheme: false
      indicators: {DM012: {achievement: 0.95}}
      prevalence: {DM: {practice: 0.07, national: 0.07}}
''')
    values = {(v.id, v.subject): v.value for v in engine.evaluate(arrangement).values}
    # opted in: DM012 is retired (0 points), LDM001 at its upper threshold earns its 15
    assert values[("qof.points.DM012", "practice:L1")] == 0
    assert values[("qof.points.LDM001", "practice:L1")] == 15
    assert values[("qof.points-total", "practice:L1")] == 15
    # not opted in (silent, or false): national QOF, DM012 keeps its 4 points
    for ods in ("L2", "L3"):
        assert values[("qof.points.DM012", f"practice:{ods}")] == 4
        assert values[("qof.points-total", f"practice:{ods}")] == 4


def test_an_envelope_holds_only_permissions(tmp_path):
    from rules_engine.syntax.lower import lower
    from rules_engine.base.source import SourceFile
    lowered = lower(SourceFile("e.rules", 'national flexibility e "E"\nparameter p: count = 1\n'))
    assert [d.code for d in lowered.diagnostics] == ["E-SYNTAX-008"]
    lowered = lower(SourceFile("c.rules", 'national contract c "C"\nallow add requirement\n'))
    assert [d.code for d in lowered.diagnostics] == ["E-SYNTAX-008"]


# ------------------------------------------- impact of the QOF replacement (QSL)

def test_impact_of_the_qof_replacement_shows_points_before_and_after_per_practice(in_root):
    # The baseline (national QOF) does not know LDM001: before the scheme, the
    # facts reported for it mean nothing and are left out of the baseline; the
    # proposal still checks every key. Every line used to be E-FACT-003.
    from rules_engine.run.impact import ImpactSummary, impact
    from rules_engine.run.engine import Engine
    layer = "contracts/local/qsl-diabetes-outcomes.rules"
    baseline, proposed = Engine.load(without=layer), Engine.load(local=layer)
    summary = ImpactSummary()
    items = list(impact(baseline, proposed, "examples/population-qsl.jsonl", summary=summary))
    assert not [i for i in items if isinstance(i, Exception)] and summary.bad_lines == 0
    changes = {(c.id, c.subject): c for item in items for c in item.changes}
    # opted in: DM012 and DM014 retired (0 points), LDM001 scored in their place
    assert changes["qof.points.DM012", "practice:L85001"].after == 0
    assert changes["qof.points.DM012", "practice:L85001"].before > 0
    assert changes["qof.points.LDM001", "practice:L85001"].before is None
    assert changes["qof.points.LDM001", "practice:L85001"].after > 0
    # not opted in (false, or silent): national QOF kept, nothing changes
    for practice in ("L85002", "L85003", "L85006"):
        assert not [key for key in changes if key[1] == f"practice:{practice}"]


@pytest.mark.parametrize("as_of, code, envelope", [("2026-03-31", 2, "todays_powers"),
                                                   ("2026-04-01", 0, "hewitt_framework")])
def test_the_shipped_arrs_cap_gets_two_verdicts_under_the_two_envelopes(in_root, capsys, as_of, code,
                                                                        envelope):
    # The same QMJ proposal: refused the day before the framework, permitted on its first day.
    assert main(["vary-check", "contracts/local/qmj-arrs-pharmacist-cap.rules", "--as-of", as_of]) == code
    captured = capsys.readouterr()
    summary = " ".join(captured.out.split("\n\n")[0].split())  # the verdict, first
    assert f"under the envelope {envelope}" in summary
    assert ("error[E-LAYER-010]" in captured.err) == (code == 2)


def test_impact_text_shows_a_retired_indicator_at_0_points_and_a_new_one_from_absent(in_root, capsys):
    # `0 or 'absent'` printed a retired indicator's 0 points as absent, and values as raw floats
    main(["impact", "--population", "examples/population-qsl.jsonl",
          "--variation", "contracts/local/qsl-diabetes-outcomes.rules"])
    out = capsys.readouterr().out
    assert "qof.points.DM012 practice:L85001: 3.44 points -> 0 points" in out
    assert "qof.points.LDM001 practice:L85001: absent -> 6.51 points" in out
    assert "3.443496801705757" not in out


def test_local_declarations_are_listed_apart_not_as_variations(in_root, capsys):
    """issue 10 item 7: a layer's own facts, parameters and definitions change
    no national term; vary-check lists them as local declarations."""
    result = vary_check(ROOT / "contracts" / "local" / "qhm.rules")
    assert {v.kind for v in result.verdicts} <= {"vary", "waive", "replace", "replace value",
                                                 "add requirement", "add row", "retire"}
    assert [(d.kind, d.name, d.line) for d in result.local_declarations] == [
        ("fact", "pcn.enhanced_access.longest_travel_minutes", 13),
        ("parameter", "qhm_longest_hub_travel", 16)]
    assert main(["vary-check", "contracts/local/quy.rules"]) == 0
    out = capsys.readouterr().out
    assert "declare" not in out and "(none)" not in out
    assert "line 72: parameter quy_support_cap: Most support funding for one practice in the year" \
        in " ".join(out.split())
    assert f"{len(vary_check(ROOT / 'contracts/local/quy.rules').verdicts)} of " in out
    assert main(["vary-check", "contracts/local/quy.rules", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert all(v["kind"] != "declare" for v in document["variations"])
    assert {"kind": "definition", "name": "quy_support_funding", "line": 78, "title": None} \
        in document["local_declarations"]
    assert main(["vary-check", "contracts/local/quy.rules", "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert 'id="local-declarations"' in html and 'data-name="quy_support_cap"' in html
    assert 'data-target="quy_support_cap"' not in html


def test_a_local_parameter_named_as_a_national_one_is_a_refused_redefinition(tmp_path, in_root):
    result = vary_check(ROOT / "contracts" / "local" / "invalid" / "redefine-national.rules")
    (verdict,) = result.verdicts
    assert (verdict.kind, verdict.target, verdict.verdict) == (
        "redefine", "min_pcn_population", "redefines a national term")
    assert (verdict.national_value, verdict.proposed) == ("30000", "25000")
    assert result.local_declarations == ()


# ------------------------------------------------- provenance per subject

QSL_TWO_PRACTICES = '''
as_of: 2025-06-01
icb: QSL
practices:
  - ods_code: L1
    list_size: 6000
    qof:
      local_scheme: true
      indicators: {DM012: {achievement: 0.95}, LDM001: {achievement: 0.70}}
      prevalence: {DM: {practice: 0.07, national: 0.07}}
  - ods_code: L2
    list_size: 6000
    qof:
      indicators: {DM012: {achievement: 0.95}}
      prevalence: {DM: {practice: 0.07, national: 0.07}}
'''


def test_provenance_is_per_subject_a_practice_on_national_qof_shows_national(tmp_path, in_root, capsys):
    """A practice that stays on national QOF keeps national provenance for
    its QOF values; one that opted in shows the local layer (each used to
    show `varied` by qsl_diabetes for every practice)."""
    path = write(tmp_path, QSL_TWO_PRACTICES, "qsl.yaml")
    assert main(["check", str(path), "--format", "json"]) == 0
    (document,) = json.loads(capsys.readouterr().out)["arrangements"]
    values = {(v["id"], v["subject"]): v for v in document["values"]}
    for value_id in ("qof.points.DM012", "qof.points-total", "qof.payment"):
        opted = values[(value_id, "practice:L1")]
        assert (opted["layer"], opted["flexibility"]) == ("qsl_diabetes", "varied")
        assert "Foot checks" in opted["because"]
        national = values[(value_id, "practice:L2")]
        assert (national.get("layer"), national.get("flexibility")) == ("qof", "flexible-unused")
        assert "because" not in national or national["because"] is None
    # a value for no practice reads the national rows
    assert values[("qof.points-available", "arrangement")]["layer"] == "qof"
    assert main(["check", str(path), "--all"]) == 0
    lines = " ".join(capsys.readouterr().out.split())
    assert "qof.points.DM012 practice:L1 0 points (varied by qsl_diabetes)" in lines
    import re
    # the next line, no "(varied" (only its footnote markers: [p1-p9] provisional)
    assert re.search(r"qof\.points\.DM012 practice:L2 4 points (\[[ap][0-9,ap-]+\] )*qof", lines), lines
    assert main(["check", str(path), "--format", "html"]) == 0
    html = capsys.readouterr().out
    rows = {}
    for row in html.split('<tr id="value-')[1:]:
        head, _, rest = row.partition('">')
        rows[head.split("\"")[0].split("__", 1)[1]] = rest.split("</tr>")[0]
    assert "Varied locally (layer qsl_diabetes)" in rows["qof.points-total__practice:L1"]
    assert "Flexible, not varied (layer qof)" in rows["qof.points-total__practice:L2"]
    assert "qsl_diabetes" not in rows["qof.points.DM012__practice:L2"]


REPLACE_ENVELOPE = '''national flexibility test_powers "Test powers"
  effective 2023-04-01 to 2026-03-31
  source "test"
allow replace value qof_payment opted in by practice.qof.local_scheme
allow retire rows of qof_indicators marking retired within budget points
    opted in by practice.qof.local_scheme
allow add to qof_indicators within budget points opted in by practice.qof.local_scheme
allow add to qof_thresholds opted in by practice.qof.local_scheme
'''

REPLACE_LAYER = '''local layer qxr "Replace test" for icb QXR extends qof
  effective 2025-04-01 to 2026-03-31
replace value qof_payment = £1,000
  because "A flat local payment for the practices in the scheme"
'''


def test_a_value_replaced_for_opted_in_practices_is_varied_only_for_them(tmp_path, in_root):
    import shutil
    rules = tmp_path / "rules"
    rules.mkdir()
    for source in (ROOT / "contracts" / "national").glob("*.rules"):
        if not source.name.startswith("flexibility-"):
            shutil.copy(source, rules / source.name)
    (rules / "flexibility-test.rules").write_text(REPLACE_ENVELOPE, encoding="utf-8")
    engine = Engine.load(rules=rules, local=write(tmp_path, REPLACE_LAYER))
    arrangement = engine.load_arrangement("x.yaml", text=QSL_TWO_PRACTICES.replace("QSL", "QXR")
                                          .replace(", LDM001: {achievement: 0.70}", ""))
    values = {(v.id, v.subject): v for v in engine.evaluate(arrangement).values}
    opted, national = values[("qof.payment", "practice:L1")], values[("qof.payment", "practice:L2")]
    assert opted.value == Decimal("1000") and (opted.layer, opted.flexibility) == ("qxr", "varied")
    assert opted.because == "A flat local payment for the practices in the scheme"
    assert (national.layer, national.flexibility) == ("qof", "flexible-unused")
    # what reads the replaced value inherits its provenance, per subject
    balance = values[("qof.year-end-balance", "practice:L1")], values[("qof.year-end-balance", "practice:L2")]
    assert (balance[0].layer, balance[1].layer) == ("qxr", "qof")


# ------------------------------------- a cap on the number of national indicators

CAP_QOF = '''local layer qxq "Cap test" for icb QXQ extends qof
  effective 2026-04-01 to 2027-03-31
retire qof_indicators {retired}
  because "Replaced by local outcome indicators"
''' + "".join(f'''add to qof_indicators row "LDM7{i}" | "DM" | clinical | 0 points | true | false | false | attainment | 0 | 2026-04-01 | 2027-03-31
  because "Local outcome indicator"
''' for i in range(3))


@pytest.mark.parametrize("retired, after, within", [
    ('"DM012", "DM014"', 45, False),          # 44 - 2 + 3: one over the cap of 44
    ('"DM012", "DM014", "DM020"', 44, True),  # exactly the cap
    # retiring rows already retired in 2025/26 (no points) frees no place:
    # the cap counts the 44 live indicators, not the 76 rows of the table
    ('"AF001", "AST005", "CAN001"', 47, False),
])
def test_the_framework_caps_the_number_of_national_indicators(tmp_path, in_root, retired, after,
                                                              within):
    result = vary_check(write(tmp_path, CAP_QOF.format(retired=retired)))
    (cap,) = result.caps
    assert (cap.table, cap.cap, cap.national, cap.after, cap.within) == (
        "qof_indicators", 44, 44, after, within)
    assert result.permitted is within
    if not within:
        (refused,) = [v for v in result.verdicts if not v.permitted]
        (diagnostic,) = refused.diagnostics
        assert diagnostic.code == "E-FLEX-009" and refused.verdict == "over the cap"
        removed = 2 if "DM012" in retired else 0
        assert (f"44 live national rows, retires {removed}, adds 3: {after} of at most 44: "
                f"over the cap by {after - 44}") in diagnostic.message
        assert diagnostic.span.line == 9  # the last added row
    # the same layer under today's powers has no cap (and no framework)
    assert vary_check(write(tmp_path, CAP_QOF.format(retired=retired).replace(
        "2026-04-01 to 2027-03-31", "2025-04-01 to 2026-03-31").replace(
        "2026-04-01 | 2027-03-31", "2025-04-01 | 2026-03-31")), as_of=dt.date(2025, 6, 1)).caps == ()


def test_an_envelope_cap_below_the_national_count_is_an_error(tmp_path, capsys):
    (tmp_path / "base.rules").write_text('''national contract base "Base"
  effective 2025-04-01 to 2026-03-31
table bands by code "Bands"
  columns code: text | points: number
  row "A" | 4
  row "B" | 7
''', encoding="utf-8")
    for limit, code in ((1, 2), (2, 0)):
        (tmp_path / "envelope.rules").write_text(f'''national flexibility fewer "Fewer"
  effective 2025-04-01 to 2026-03-31
allow at most {limit} rows in bands
''', encoding="utf-8")
        assert main(["lint", str(tmp_path / "base.rules"), str(tmp_path / "envelope.rules")]) == code
        err = capsys.readouterr().err
        assert ("error[E-FLEX-010]: `bands` has 2 live national rows in force on 2025-04-01, more than "
                "the envelope's cap of 1" in err) is (code == 2)
