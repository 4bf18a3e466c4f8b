"""`explain RULE_ID` without an arrangement (describe.py) and `show --flexible`
(powers.py): a term described statically, and what a local layer may change
on a date, on the shipped rule files; golden files for both envelopes."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json

import pytest

import rules_engine
from rules_engine.cli import main
from rules_engine.queries.describe import describe_term
from rules_engine.queries.powers import powers_on

from conftest import GOLDEN, check_golden

SHOW = GOLDEN / "show"
EXPLAIN = GOLDEN / "explain-static"
TODAY, FRAMEWORK = "2025-06-01", "2026-06-01"


def _run(monkeypatch, *args: str) -> tuple[int, str, str]:
    monkeypatch.setenv("COLUMNS", "80")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("day", [TODAY, FRAMEWORK])
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_show_flexible_golden(day, output_format, monkeypatch, in_root, update_golden):
    code, out, err = _run(monkeypatch, "show", "--flexible", "--as-of", day, "--format", output_format)
    assert (code, err) == (0, "")
    check_golden(SHOW / f"flexible-{day}.{'txt' if output_format == 'text' else 'json'}", out, update_golden)


def test_show_without_what_is_a_usage_error(monkeypatch, in_root):
    code, _, err = _run(monkeypatch, "show")
    assert code == 2 and "say what to show: --flexible" in err


def _kinds(powers, target):
    return [(p.kind, p.granted_by, p.envelope) for p in powers.powers_over(target)]


def test_the_envelope_changes_between_the_last_day_and_the_first(engine):
    last, first = powers_on(engine.library, dt.date(2026, 3, 31)), powers_on(engine.library, dt.date(2026, 4, 1))
    assert last.envelope.name == "todays_powers" and first.envelope.name == "hewitt_framework"
    # the framework opens the ARRS role list to retirement and caps; today's powers do not
    assert _kinds(last, "arrs_roles") == [("add rows", "contract", None)]
    assert _kinds(first, "arrs_roles") == [("add rows", "contract", None),
                                          ("retire rows", "envelope", "hewitt_framework")]
    assert _kinds(last, "arrs_caps") == []
    assert _kinds(first, "arrs_caps") == [("add rows", "envelope", "hewitt_framework")]
    assert _kinds(first, "gms.remedial-notice-period") == [
        ("replace requirement", "envelope", "hewitt_framework")]
    (replace,) = first.powers_over("gms.remedial-notice-period")
    assert replace.keeping == "remedial_notice.patient_safety_risk"


def test_bounds_budget_and_who_grants(engine):
    powers = powers_on(engine.library, dt.date(2025, 6, 1))
    (vary,) = powers.powers_over("min_pcn_population")
    assert (vary.bounds, vary.national_value, vary.granted_by, vary.envelope) == (
        "between 20000 and 30000", "30000", "envelope", "todays_powers")
    assert vary.provisional.startswith("the DES has only a commissioner waiver")
    (own,) = powers.powers_over("ea_minutes_per_1000")  # the contract's own `flexible at least`
    assert (own.bounds, own.granted_by, own.grantor) == (
        "at least 60 minutes", "contract", "the contract itself (Network Contract DES 2025/26 §8.1.3)")
    retire = [p for p in powers.powers_over("qof_indicators") if p.kind == "retire rows"][0]
    assert (retire.budget, retire.opted_in) == ("points", "practice.qof.local_scheme")
    assert [p.kind for p in powers.general] == ["add requirement"]


def test_a_library_without_envelopes_grants_only_its_own_clauses(in_root):
    powers = powers_on(rules_engine.load(GOLDEN / "fixture").library, dt.date(2025, 6, 1))
    assert powers.envelope is None
    assert {p.granted_by for c in powers.contracts for p in c.powers} == {"contract"}
    assert [(p.kind, p.granted_by) for p in powers.general] == [("add requirement", "library")]
    assert "no flexibility envelope is in force on 2025-06-01" in powers.render()


def test_past_the_contracts_the_latest_terms_are_shown_and_said(engine):
    # 2026/27: the provisional period carries the 2025/26 contracts forward, and says so
    powers = powers_on(engine.library, dt.date(2026, 6, 1))
    assert powers.terms_note.startswith("the national terms on 2026-06-01 are provisional: "
                                        "provisional_2026_27 carries gms, network_des")
    powers = powers_on(engine.library, dt.date(2027, 6, 1))
    assert powers.terms_note.startswith("no national contract is in force on 2027-06-01; the latest")


# ---------------------------------------------------------------- static explain

@pytest.mark.parametrize("rule_id, day", [
    ("des.pcn.minimum-population", TODAY),
    ("des.pcn.minimum-population", FRAMEWORK),
    ("des.ea.capacity", TODAY),
    ("gms.remedial-notice-period", FRAMEWORK),
    ("qof.points.DM012", TODAY),
    ("qmm.ea.sunday", TODAY),
])
def test_static_explain_golden(rule_id, day, monkeypatch, in_root, update_golden):
    code, out, err = _run(monkeypatch, "explain", rule_id, "--as-of", day)
    assert (code, err) == (0, "")
    check_golden(EXPLAIN / f"{rule_id}-{day}.txt", out, update_golden)


def test_static_explain_json(monkeypatch, in_root):
    code, out, _ = _run(monkeypatch, "explain", "des.pcn.minimum-population", "--as-of", TODAY,
                        "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert (data["kind"], data["subject"], data["clause"]) == (
        "requirement", "pcn", "Network Contract DES 2025/26 §4.1.1")
    assert data["requires"] == "pcn.raw_list_size >= min_pcn_population"
    assert data["exempt_if"] == "pcn.population_exception = rural_remote"
    assert [(f["kind"], f["target"], f.get("bounds")) for f in data["flexibility"]] == [
        ("waive", "des.pcn.minimum-population", None), ("vary", "min_pcn_population", "between 20000 and 30000")]
    assert [(u["layer"], u["change"]) for u in data["local_layers"]] == [
        ("qhm", "vary min_pcn_population = 24000"), ("qmm", "vary min_pcn_population = 25000")]


def test_unknown_id_exits_2_with_did_you_mean(monkeypatch, in_root):
    code, out, err = _run(monkeypatch, "explain", "des.pcn.minimum-populaton")
    assert code == 2 and out == ""
    assert "error[E-NAME-001]: no requirement, value, parameter or table `des.pcn.minimum-populaton`" in err
    assert "did you mean `des.pcn.minimum-population`?" in err
    code, out, _ = _run(monkeypatch, "explain", "nothing.like.it", "--format", "json")
    assert code == 2 and json.loads(out)["diagnostics"][0]["code"] == "E-NAME-001"


def test_subject_and_full_without_an_arrangement_are_said_to_be_ignored(monkeypatch, in_root):
    code, out, err = _run(monkeypatch, "explain", "des.ea.capacity", "--as-of", TODAY, "--subject", "U1",
                          "--full")
    assert code == 0 and out.startswith("des.ea.capacity: ")
    assert "warning: --subject applies with --arrangement only; ignored" in err
    assert "warning: --full applies with --arrangement only; ignored" in err


def test_provisional_marks_are_inherited(engine):
    about = describe_term(engine, "qof.points.DM012", dt.date(2025, 6, 1))
    assert about.kind == "value" and about.name == "qof_points"
    assert any(m.startswith("table qof_indicators: ") for m in about.provisional)
    assert about.subject == "each practice, each code in practice.qof.indicators"
    # the QSL scheme retires DM012: a shipped layer that changes a table the value reads
    assert ("qsl_diabetes", "retire DM012, DM014 of qof_indicators") in [
        (u.layer, u.change) for u in about.local_layers]


def test_a_parameter_and_a_value_pattern(engine):
    about = describe_term(engine, "min_pcn_population", dt.date(2025, 6, 1))
    assert (about.kind, about.value) == ("parameter", "30000")
    assert describe_term(engine, "qof.points.{code}", dt.date(2025, 6, 1)).name == "qof_points"


def test_python_api_explain_without_an_arrangement(engine):
    about = rules_engine.explain("des.ea.capacity", engine=engine, as_of="2025-06-01")
    assert about.to_dict()["requires"] == (
        "(if known(pcn.enhanced_access.sessions) then ea_counted_minutes "
        "else pcn.enhanced_access.minutes_per_week) >= required_ea_minutes")
    assert [(p.kind, p.target, p.granted_by) for p in about.powers] == [
        ("vary", "ea_minutes_per_1000", "contract")]


def test_in_force_from_the_first_day_of_its_period(engine):
    before = describe_term(engine, "gms.telephony-data", dt.date(2024, 9, 30))
    first = describe_term(engine, "gms.telephony-data", dt.date(2024, 10, 1))
    assert (before.in_force, first.in_force) == (False, True)
    assert before.period == first.period == ("2024-10-01 to 2026-03-31; carried forward to "
                                             "2027-03-31 by provisional_2026_27 (provisional)")
    assert "not in force on 2024-09-30; in force 2024-10-01 to 2026-03-31" in before.render()
    last = describe_term(engine, "gms.telephony-data", dt.date(2026, 3, 31))
    assert last.in_force and last.terms_note is None


def test_a_dated_parameter_shows_the_value_on_the_date(engine):
    about = describe_term(engine, "qof_point_value", dt.date(2025, 6, 1))
    assert about.kind == "parameter"
    assert "£225.49 2025-04-01 to 2026-03-31  <- on the date" in about.value


def test_a_keyed_value_shows_its_rows_on_the_date(engine):
    last = describe_term(engine, "qof.points.DM012", dt.date(2025, 3, 31))
    first = describe_term(engine, "qof.points.DM012", dt.date(2025, 4, 1))
    assert [r.split(":")[0] for r in last.rows] == ["qof_indicators DM012"]  # no 2024/25 thresholds
    assert "from 2024-04-01, to 2025-03-31" in last.rows[0]
    assert first.rows == (
        'qof_indicators DM012: register "DM", domain clinical, points 4 points, prevalence_weighted true, '
        "income_protected false, retired false, scoring attainment, min_denominator 0, from 2025-04-01, "
        "to 2026-03-31",
        "qof_thresholds DM012: lower 50%, upper 90%, from 2025-04-01, to 2026-03-31")
    local = describe_term(engine, "qof.points.LDM001", dt.date(2025, 6, 1))
    assert local.rows[0].startswith("qof_indicators LDM001 (added by qsl_diabetes): ")


def test_a_keyed_value_of_no_row_is_unknown(engine):
    with pytest.raises(rules_engine.InvalidInput) as raised:
        describe_term(engine, "qof.points.DM013", dt.date(2025, 6, 1))
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "E-NAME-001"
    assert diagnostic.message == ("no value `qof.points.DM013`: `DM013` is not a key of qof_indicators, "
                                  "qof_thresholds")


def test_show_writes_its_report_with_output(monkeypatch, in_root, tmp_path):
    target = tmp_path / "powers.txt"
    code, out, err = _run(monkeypatch, "show", "--flexible", "--as-of", TODAY, "-o", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8") == (SHOW / f"flexible-{TODAY}.txt").read_text(encoding="utf-8")
    assert _run(monkeypatch, "show", "--flexible", "--as-of", TODAY, "--quiet")[:2] == (0, "")


def test_a_term_not_yet_in_force_lists_no_power(tmp_path):
    """A waivable requirement from 2025-10-01: nothing to waive on 2025-09-30, a
    power from its first day."""
    import shutil
    library = tmp_path / "library"
    shutil.copytree(GOLDEN / "fixture", library)
    with (library / "national" / "des.rules").open("a", encoding="utf-8") as file:
        file.write('\nrequirement des.new-duty "A duty from October"\n  for pcn\n  ref "§9"\n'
                   "  must pcn.clinical_director_appointed\n  waivable with reason\n"
                   "  effective 2025-10-01 to 2026-03-31\n")
    engine = rules_engine.load(library)
    before = powers_on(engine.library, dt.date(2025, 9, 30))
    first = powers_on(engine.library, dt.date(2025, 10, 1))
    assert before.powers_over("des.new-duty") == ()
    assert [(p.kind, p.granted_by) for p in first.powers_over("des.new-duty")] == [("waive", "contract")]
