"""The analysis of a variation (rules_engine/analysis): the cone of each
shipped local layer, the flip verdicts with their witnesses, every witness
run by the real evaluator, undecided naming its construct, stated bounds
(and a malformed bounds file as a located error), and vary-check showing it
in text, JSON and HTML."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings, strategies as st

from rules_engine.analysis.bounds import read_bounds
from rules_engine.analysis.variation import analyse
from rules_engine.base.diagnostics import InvalidInput
from rules_engine.cli import main
from rules_engine.run.engine import Engine
from rules_engine.run.witness import check_witness, outcome_of

from conftest import ROOT, examples

LOCAL = ROOT / "contracts" / "local"
LAYERS = sorted(p.stem for p in LOCAL.glob("*.rules"))
DAYS = {"qe1": dt.date(2024, 6, 1)}


class _Lazy(dict):
    """Each shipped layer's engine (the layer as proposed) or analysis, made on first use."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, stem):
        self[stem] = self.make(stem)
        return self[stem]

    def all(self):
        return {stem: self[stem] for stem in LAYERS}


ENGINES = _Lazy(lambda stem: Engine.load(local=LOCAL / f"{stem}.rules"))
ANALYSES = _Lazy(lambda stem: analyse(ENGINES[stem].checked, ENGINES[stem].proposed,
                                      DAYS.get(stem, ENGINES[stem].proposed.header.effective.start)))


@pytest.fixture(scope="module")
def engines():
    return ENGINES


@pytest.fixture(scope="module")
def analyses():
    return ANALYSES


def _flip(analysis, requirement):
    return next(f for f in analysis.flips if f.requirement == requirement)


def test_cone_of_a_varied_minimum_and_an_added_requirement(analyses):
    cone = analyses["qmm"].cone
    assert [c.describe() for c in cone.changes] == [
        "min_pcn_population (parameter varied)", "ea_minutes_per_1000 (parameter varied)",
        "qmm.ea.sunday (requirement added)"]
    assert [a.id for a in cone.requirements] == ["des.pcn.minimum-population", "des.ea.capacity",
                                                 "qmm.ea.sunday"]
    assert [a.id for a in cone.values] == ["des.ea.required-minutes"]
    assert cone.summary() == ("affects 3 requirements and 1 value: des.pcn.minimum-population, "
                              "des.ea.capacity, qmm.ea.sunday, des.ea.required-minutes")
    capacity = next(a for a in cone.requirements if a.id == "des.ea.capacity")
    assert capacity.because_of == ("ea_minutes_per_1000",)


def test_cone_of_rows_reaches_the_payments(analyses):
    qsl = analyses["qsl-diabetes-outcomes"].cone
    assert {c.name for c in qsl.changes} == {"qof_indicators", "qof_thresholds"}
    assert not qsl.requirements
    assert "qof.payment" in [a.id for a in qsl.values]
    cap = analyses["qmj-arrs-pharmacist-cap"].cone
    assert [a.id for a in cap.requirements] == ["des.arrs.role-cap"]
    assert "pay.arrs-reimbursed" in [a.id for a in cap.values]


def test_cone_of_a_waiver_and_of_a_replacement(analyses):
    assert [c.describe() for c in analyses["qe1"].cone.changes][-1] == \
        "des.ea.standard-hours (requirement waived)"
    framework = analyses["quy-framework"].cone
    assert [c.describe() for c in framework.changes] == ["quy_support_funding (value added)",
        "gms.remedial-notice-period (requirement replaced)"]
    assert [a.id for a in framework.values] == ["quy.support-funding"]  # a value the layer adds


def test_a_lowered_minimum_can_only_let_pcns_pass(analyses):
    verdict = _flip(analyses["qmm"], "des.pcn.minimum-population")
    answers = {q.direction: q.answer for q in verdict.questions}
    assert answers == {"newly fails": "none", "newly passes": "some"}
    witness = next(q.witness for q in verdict.questions if q.witness)
    assert 25000 <= witness["pcn"]["raw_list_size"] < 30000
    assert witness["pcn"]["population_exception"] != "rural_remote"


def test_an_added_requirement_newly_fails_every_arrangement_failing_it(analyses):
    verdict = _flip(analyses["qmm"], "qmm.ea.sunday")
    answers = {q.direction: q.answer for q in verdict.questions}
    assert answers == {"newly fails": "every", "newly passes": "none"}
    witness = verdict.questions[0].witness
    assert witness["pcn"]["code"] == "U12345" and witness["pcn"]["enhanced_access"]["sundays"] is False


def test_a_replacement_newly_fails_some_remedial_notices(analyses):
    verdict = _flip(analyses["quy-framework"], "gms.remedial-notice-period")
    answers = {q.direction: q.answer for q in verdict.questions}
    assert answers == {"newly fails": "some", "newly passes": "none"}


@pytest.mark.slow
def test_every_witness_flips_under_the_real_evaluator(engines, analyses):
    checked = 0
    for stem, analysis in analyses.all().items():
        for verdict in analysis.flips:
            for question in verdict.questions:
                if question.witness is None:
                    continue
                found = check_witness(engines[stem], question.witness, verdict.requirement,
                                      question.direction)
                assert found.flipped, (stem, verdict.requirement, question.direction, found)
                checked += 1
    assert checked >= 14


def test_undecided_names_the_construct_never_a_guess(analyses):
    verdict = _flip(analyses["qjk"], "qjk.holder.pooled-diabetes")
    assert verdict.can_flip is None
    assert all(q.answer == "undecided" for q in verdict.questions)
    assert "`every code in ...`" in verdict.questions[0].why and "qjk.rules:59" in verdict.questions[0].why
    capacity = _flip(analyses["qmm"], "des.ea.capacity")
    assert capacity.can_flip is None and "pcn.enhanced_access.sessions" in capacity.describe()


def test_stated_bounds_narrow_the_arrangements(engines, tmp_path):
    engine = engines["qmm"]
    day = dt.date(2025, 6, 1)
    above = tmp_path / "above.yaml"
    above.write_text("# our PCNs\npcn.raw_list_size: {at_least: 30000}\n")
    bounds = read_bounds(above, engine.library.schema)
    verdict = _flip(analyse(engine.checked, engine.proposed, day, bounds), "des.pcn.minimum-population")
    assert verdict.can_flip is False
    assert {q.method for q in verdict.questions} == {"intervals"}  # the fast path decided it
    inside = tmp_path / "inside.yaml"
    inside.write_text("pcn.raw_list_size: {at_least: 26000.5, at_most: 26001}\n")
    bounds = read_bounds(inside, engine.library.schema)
    analysis = analyse(engine.checked, engine.proposed, day, bounds)
    verdict = _flip(analysis, "des.pcn.minimum-population")
    witness = next(q.witness for q in verdict.questions if q.witness)
    assert witness["pcn"]["raw_list_size"] == 26001  # a count is whole: the one value left
    assert analysis.bounds == str(inside)


@pytest.mark.parametrize("text, code, line, column", [
    ("- pcn.raw_list_size\n", "E-BOUNDS-001", 1, 1),
    ("pcn.raw_list_sise: {at_least: 1}\n", "E-BOUNDS-002", 1, 1),
    ("pcn.code: {at_least: 1}\n", "E-BOUNDS-002", 1, 1),
    ("pcn.raw_list_size: {at_leest: 1}\n", "E-BOUNDS-001", 1, 20),
    ("# x\npcn.raw_list_size: {at_least: many}\n", "E-BOUNDS-001", 2, 31),
    ("pcn.raw_list_size: {at_least: 5, at_most: 4}\n", "E-BOUNDS-003", 1, 1),
    ("pcn.raw_list_size:\n  at_least: 1\x07\n", "E-BOUNDS-001", 2, 14),  # a control character, where it is
])
def test_a_malformed_bounds_file_is_a_located_error(engines, tmp_path, text, code, line, column):
    path = tmp_path / "bounds.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as error:
        read_bounds(path, engines["qmm"].library.schema)
    found = error.value.diagnostics[0]
    assert (found.code, found.span.line, found.span.column) == (code, line, column)


@settings(max_examples=examples(40))
@given(size=st.integers(0, 60000), exception=st.sampled_from(["none", "rural_remote", None]))
def test_no_arrangement_flips_where_the_analysis_says_none(size, exception):
    """The held rule of `none`: the real evaluator never flips what the
    analysis says cannot flip (a lowered minimum never newly fails a PCN)."""
    engine, analyses = ENGINES["qmm"], ANALYSES  # not fixtures: hypothesis would print them
    pcn = {"code": "U1", "raw_list_size": size}
    if exception is not None:
        pcn["population_exception"] = exception
    facts = {"as_of": "2025-06-01", "icb": "QMM", "pcn": pcn}
    verdict = _flip(analyses["qmm"], "des.pcn.minimum-population")
    none = {q.direction for q in verdict.questions if q.answer == "none"}
    found = check_witness(engine, facts, "des.pcn.minimum-population", "newly fails")
    assert not (found.flipped and "newly fails" in none)
    passes = check_witness(engine, facts, "des.pcn.minimum-population", "newly passes")
    # a PCN that does not say whether it has an exception is unknown under the
    # national minimum (the `unless` is unknown), not failing: no flip
    assert passes.flipped == (exception == "none" and 25000 <= size < 30000)


def test_a_witness_reads_as_the_arrangement_format(engines, analyses, tmp_path, capsys, in_root):
    """The YAML vary-check prints is an arrangement `check` reads."""
    assert main(["vary-check", "contracts/local/qhm.rules"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip().startswith("witness (newly passes)"))
    body = []
    for line in lines[start + 1:]:
        if not line.startswith("      ") and not line.startswith("        "):
            break
        body.append(line[6:])
    path = tmp_path / "witness.yaml"
    path.write_text("\n".join(body) + "\n")
    assert main(["check", str(path), "--format", "json"]) in (0, 1)
    report = json.loads(capsys.readouterr().out)
    results = [r for a in report["arrangements"] for r in a["results"]
               if r["id"] == "des.pcn.minimum-population"]
    assert [r["outcome"] for r in results] == ["pass"]


def test_vary_check_shows_the_analysis(capsys, in_root):
    assert main(["vary-check", "contracts/local/qmm.rules", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    analysis = document["analysis"]
    assert analysis["cone"]["summary"].startswith("affects 3 requirements and 1 value")
    flips = {f["requirement"]: f for f in analysis["flips"]}
    assert flips["des.pcn.minimum-population"]["can_flip"] is True
    checked = [q["checked"] for f in flips.values() for q in f["questions"] if q["witness"]]
    assert checked and all(c.startswith("checked by the evaluator: flips") for c in checked)
    assert main(["vary-check", "contracts/local/qmm.rules", "--no-analysis", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["analysis"] is None and document["analysis_note"] == "not asked for"


def test_vary_check_html_has_the_cone_and_witnesses(capsys, in_root):
    assert main(["vary-check", "contracts/local/qhm.rules", "--format", "html"]) == 0
    html = capsys.readouterr().out
    assert 'id="analysis"' in html and "affects 2 requirements" in html
    assert 'data-requirement="des.pcn.minimum-population" data-can-flip="yes"' in html
    assert '<pre class="witness">' in html and "raw_list_size:" in html


def test_a_witness_with_text_stays_data():
    from rules_engine.analysis.arrangement_yaml import yaml_lines
    lines = yaml_lines({"pcn": {"code": "U1\n\x1b[31mred"}, "practices": [{"ods_code": "A1", "x": 1}]})
    assert lines == ['pcn:', '  code: "U1\\n\\u001b[31mred"', 'practices:', '  - ods_code: "A1"',
                     '    x: 1']


def test_outcome_of_an_absent_requirement(engines):
    facts = {"as_of": "2025-06-01", "icb": "QMM", "pcn": {"code": "U1"}}
    assert outcome_of(engines["qmm"], dict(facts, icb="Q00"), "qmm.ea.sunday") == "absent"


def test_the_interval_rules_of_the_built_in_table():
    from fractions import Fraction as F
    from rules_engine.analysis.intervals import compare
    from rules_engine.static.builtins import BUILTINS
    assert BUILTINS["min"].interval((F(1), F(5)), (F(3), None)) == (F(1), F(5))
    assert BUILTINS["max"].interval((F(1), F(5)), (F(3), None)) == (F(3), None)
    assert BUILTINS["abs"].interval((F(-7), F(5))) == (F(0), F(7))
    assert BUILTINS["ceil"].interval((F(1, 3), F(5, 2))) == (F(1), F(3))
    assert BUILTINS["round"].interval((F("2.345"), F("2.355")), (F(2), F(2))) == (F("2.35"), F("2.36"))
    assert [name for name, b in BUILTINS.items() if b.interval is None] == [
        "known", "size", "length", "opens", "closes", "weekday"]  # each sends its question to the solver
    assert compare(">=", (F(25000), F(29999)), (F(30000), F(30000))) == frozenset({False})
    assert compare("<", (F(0), F(10)), (F(5), F(5))) == frozenset({True, False})


# ------------------------------------------------------------------ diff

NATIONAL = ROOT / "contracts" / "national"
#: A figure in force on 2025-06-01 in each national file with requirements or
#: reported values, and the same figure changed.
PLANTED = {"gms.rules": ("remedial_notice_period", "= 28 days", "= 29 days"),
           "network_des.rules": ("min_pcn_population", "= 30000", "= 30001"),
           "qof.rules": ("qof_point_value", "= £225.49", "= £225.50"),
           "payments.rules": ("global_sum_per_weighted_patient", "= £123.34", "= £123.35")}


def _plant(text: str, name: str) -> str:
    """The file with one figure of parameter `name` changed (the first
    occurrence after the parameter's line)."""
    parameter, old, new = PLANTED[name]
    start = text.index(f"parameter {parameter} ")
    at = text.index(old, start)
    return text[:at] + new + text[at + len(old):]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PLANTED))
def test_diff_finds_a_planted_difference_and_calls_fmt_equivalent(name, tmp_path, capsys):
    original = (NATIONAL / name).read_text()
    formatted = tmp_path / "formatted" / name
    formatted.parent.mkdir()
    formatted.write_text(original)
    assert main(["fmt", str(formatted)]) == 0
    capsys.readouterr()
    assert main(["diff", str(NATIONAL / name), str(formatted), "--as-of", "2025-06-01", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["equivalent"] is True
    planted_text = _plant(original, name)
    assert planted_text != original
    planted = tmp_path / "planted" / name
    planted.parent.mkdir()
    planted.write_text(planted_text)
    code = main(["diff", str(NATIONAL / name), str(planted), "--as-of", "2025-06-01", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert code == 1 and document["equivalent"] is False and document["first"] is not None, name


def test_diff_of_a_changed_minimum_has_a_witness(tmp_path, capsys):
    original = (NATIONAL / "network_des.rules").read_text()
    changed = tmp_path / "network_des.rules"
    changed.write_text(original.replace('count = 30000', 'count = 31000', 1))
    assert main(["diff", str(NATIONAL / "network_des.rules"), str(changed), "--as-of", "2025-06-01",
                 "--format", "json"]) == 1
    first = json.loads(capsys.readouterr().out)["first"]
    assert first["id"] == "des.pcn.minimum-population" and first["what"] == "differs for some arrangements", first
    assert 30000 <= first["witness"]["pcn"]["raw_list_size"] < 31000


def test_diff_of_a_changed_rate_gives_a_value_witness_the_evaluator_confirms(tmp_path, capsys):
    """A reported value written differently is asked of the solver too: a
    witness on which the two versions pay differently, run by the evaluator."""
    original = (LOCAL / "quy.rules").read_text()
    changed = tmp_path / "quy.rules"
    changed.write_text(original.replace("money per patient = £2.50", "money per patient = £2.60", 1))
    assert main(["diff", str(LOCAL / "quy.rules"), str(changed), "--format", "json"]) == 1
    first = json.loads(capsys.readouterr().out)["first"]
    assert (first["kind"], first["id"], first["what"]) == ("value", "quy.support-funding",
                                                          "differs for some arrangements")
    assert first["checked"].startswith("checked by the evaluator: differs (£")
    (practice,) = first["witness"]["practices"]
    assert practice["list_size"] >= 1 and practice["support"]["plan_agreed"] <= "2025-04-01"
    # the same value reworded (£2.50 as £2.5) is no difference
    same = tmp_path / "same" / "quy.rules"
    same.parent.mkdir()
    same.write_text(original.replace("money per patient = £2.50", "money per patient = £2.5", 1))
    assert main(["diff", str(LOCAL / "quy.rules"), str(same), "--format", "json"]) == 0
