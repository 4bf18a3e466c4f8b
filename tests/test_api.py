"""The Python API (rules_engine/api.py): dicts in, typed reports out, the same
JSON as the command line, errors as exceptions that carry diagnostics."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import json

import pytest
from ruamel.yaml import YAML

import rules_engine
from rules_engine import InvalidInput, Outcome, SubjectNeeded, UnknownResult
from rules_engine.cli import main

from conftest import ROOT
from rules_engine.base import limits
from rules_engine.api import diff as api_diff

EXAMPLES = ROOT / "examples"


def _facts(name: str) -> dict:
    return YAML(typ="safe").load((ROOT / "examples" / name).read_text(encoding="utf-8"))


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(args))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def failing(engine):
    return rules_engine.check_arrangement(_facts("pcn-failing.yaml"), engine=engine)


def test_a_dict_is_checked_as_its_file_is(failing, engine, in_root):
    from_file = rules_engine.check_arrangement("examples/pcn-failing.yaml", engine=engine)
    assert failing.outcome is Outcome.FAIL
    assert [r.id for r in failing.failures()] == [r.id for r in from_file.failures()] == [
        "gms.core-hours", "des.pcn.minimum-population", "des.pcn.clinical-director", "des.ea.capacity",
        "des.ea.standard-hours"]
    dict_json, file_json = failing.to_dict(), from_file.to_dict()
    assert dict_json["arrangements"][0]["source"] == "<dict>"
    dict_json["arrangements"][0]["source"] = file_json["arrangements"][0]["source"]
    assert dict_json == file_json


def test_to_json_is_the_json_check_writes(engine, in_root):
    report = rules_engine.check_arrangement("examples/pcn-failing.yaml", engine=engine)
    code, out = _cli("check", "examples/pcn-failing.yaml", "--format", "json")
    assert code == 1
    assert report.to_json() + "\n" == out
    assert json.loads(report.to_json()) == report.to_dict()


def test_a_failing_result_says_why_and_how_far(failing):
    result = failing.result("des.ea.capacity")
    assert result.outcome is Outcome.FAIL
    assert result.why.headline() == ("pcn.enhanced_access.minutes_per_week 1,500 minutes < "
                                     "required_ea_minutes 1,650 minutes; needs 150 more minutes")
    population = failing.result("des.pcn.minimum-population", subject="U54321")
    leaf = population.why.condition.leaves()[0]
    assert leaf.distance == "needs 3,500 more"
    assert population.why.exemption.text == "pcn.population_exception = rural_remote"


def test_an_unknown_id_raises_with_did_you_mean(failing):
    with pytest.raises(UnknownResult, match=r"did you mean `gms.core-hours`\?"):
        failing.result("gms.core-hour")
    with pytest.raises(UnknownResult, match="is a value, not a requirement: ask for it with "
                                            r"report.value\('pay.global-sum'\)"):
        failing.result("pay.global-sum")
    assert failing.value("pay.global-sum", subject="Y01001").unit == "GBP"


def test_several_subjects_ask_for_one(failing):
    with pytest.raises(SubjectNeeded) as raised:
        failing.result("gms.core-hours")
    assert raised.value.subjects == ("practice:Y01001", "practice:Y01002")
    assert "subject='practice:Y01001'" in str(raised.value)
    assert failing.result("gms.core-hours", subject="practice:Y01001").outcome is Outcome.FAIL
    assert failing.result("gms.core-hours", subject="Y01002").outcome is Outcome.PASS  # the bare code
    with pytest.raises(UnknownResult, match="no result for subject `Y09999`; its subjects: "
                                            "practice:Y01001, practice:Y01002"):
        failing.result("gms.core-hours", subject="Y09999")


def test_invalid_facts_raise_with_their_diagnostics_and_print_nothing(engine, capsys):
    facts = _facts("pcn-failing.yaml")
    facts["pcn"]["raw_list_size"] = "lots"
    facts["pcn"]["clinical_directr"] = True
    with pytest.raises(InvalidInput) as raised:
        rules_engine.check_arrangement(facts, engine=engine)
    codes = {(d.code, d.path) for d in raised.value.diagnostics}
    assert codes == {("E-FACT-002", "pcn.raw_list_size"), ("E-FACT-001", "pcn.clinical_directr")}
    text = rules_engine.render_error(raised.value)
    assert "pcn.raw_list_size: error[E-FACT-002]: `pcn.raw_list_size` should be a whole number" in text
    assert "did you mean `clinical_director_appointed`?" in text
    assert capsys.readouterr() == ("", "")


def test_not_a_dict_and_a_dict_that_contains_itself(engine):
    with pytest.raises(InvalidInput, match="an arrangement should be a group of fields, not a list"):
        rules_engine.check_arrangement([[1, 2]], engine=engine)
    looped = _facts("pcn-failing.yaml")
    looped["pcn"]["enhanced_access"]["again"] = looped["pcn"]
    with pytest.raises(InvalidInput) as raised:
        rules_engine.check_arrangement(looped, engine=engine)
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.code, diagnostic.path) == ("E-LIMIT-003", "pcn.enhanced_access.again")
    assert "contains itself" in diagnostic.message


def test_nesting_limit_boundary(engine):
    """The top-level dict is level 1: 200 levels pass the shape check, 201 do not."""
    from rules_engine.api import _check_shape

    def nested(levels: int):
        value: list = []  # one level
        for _ in range(levels - 1):
            value = [value]
        return value

    _check_shape(nested(200), "<dict>")
    with pytest.raises(InvalidInput, match="nested more than 200 levels deep"):
        _check_shape(nested(201), "<dict>")


def test_as_of_and_several_arrangements(engine):
    passing, failing = _facts("pcn-passing.yaml"), _facts("pcn-failing.yaml")
    report = rules_engine.check_arrangement([passing, failing], engine=engine, as_of="2025-06-01")
    assert report.as_of == dt.date(2025, 6, 1)
    assert [a.source for a in report.arrangements] == ["<dict 1>", "<dict 2>"]
    with pytest.raises(SubjectNeeded):
        report.result("des.ea.capacity")  # one per PCN
    with pytest.raises(ValueError, match="not a date"):
        rules_engine.check_arrangement(passing, engine=engine, as_of="1 June")
    undated = copy.deepcopy(passing)
    del undated["as_of"]
    with pytest.raises(InvalidInput, match="gives no `as_of` date"):
        rules_engine.check_arrangement(undated, engine=engine)


def test_vary_check_returns_verdicts_with_the_cli_json(in_root):
    result = rules_engine.vary_check("contracts/local/qmm.rules")
    assert result.permitted
    code, out = _cli("vary-check", "contracts/local/qmm.rules", "--format", "json")
    assert code == 0 and json.loads(out) == result.to_dict()
    refused = rules_engine.vary_check("contracts/local/qmj-arrs-pharmacist-cap.rules", as_of="2026-03-31")
    assert not refused.permitted
    assert refused.to_dict()["envelope"]["name"] == "todays_powers"


def test_impact_over_a_shipped_population(in_root):
    result = rules_engine.impact("examples/population-qmm.jsonl", "contracts/local/qmm.rules")
    code, out = _cli("impact", "--population", "examples/population-qmm.jsonl",
                     "--variation", "contracts/local/qmm.rules", "--format", "json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert result.to_dict() == {"changes": lines[:-1], "summary": lines[-1]["summary"]}
    assert result.transitions("des.pcn.minimum-population") == {"fail -> pass": 1}
    assert result.bad_lines == ()


def test_explain_with_an_arrangement(engine):
    explanations = rules_engine.explain("des.ea.capacity", _facts("pcn-failing.yaml"), engine=engine)
    (only,) = explanations
    assert only.outcome == "fail" and only.subject == "pcn:U54321"
    data = explanations.to_dict()
    assert data[0]["why"]["headline"].endswith("needs 150 more minutes")
    assert "needs 150 more minutes" in explanations.to_text()
    with pytest.raises(InvalidInput, match="no requirement or value `des.ea.capacit`"):
        rules_engine.explain("des.ea.capacit", _facts("pcn-failing.yaml"), engine=engine)


def test_a_result_and_a_value_as_dicts(failing):
    result = failing.result("des.ea.capacity").to_dict()
    assert (result["outcome"], result["why"]["distance"]) == ("fail", "needs 150 more minutes")
    data = failing.to_dict()["arrangements"][0]
    assert result == next(r for r in data["results"] if r["id"] == "des.ea.capacity")
    value = failing.value("pay.enhanced-access").to_dict()
    assert value == next(v for v in data["values"] if v["id"] == "pay.enhanced-access")
    assert (value["value"], value["unit"]) == ("231742.50", "GBP")  # money is exact text
    unknown = failing.value("pay.global-sum", subject="practice:Y01001").to_dict()
    assert unknown["value"] is None and "practices[0].weighted_list_size" in unknown["missing"]


def test_impact_over_dicts_is_impact_over_their_lines(in_root):
    lines = (ROOT / "examples" / "population-qmm.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    rows.insert(3, {"as_of": "2025-06-01", "pcn": {"raw_list_size": "many"}})  # one bad row
    from_file = rules_engine.impact("examples/population-qmm.jsonl", "contracts/local/qmm.rules")
    from_dicts = rules_engine.impact(iter(rows), "contracts/local/qmm.rules")
    assert len(from_dicts.bad_lines) == 1
    assert from_dicts.bad_lines[0].diagnostics[0].path == "pcn.raw_list_size"
    assert [c.id for c in from_dicts.changes] == [c.id for c in from_file.changes]
    assert [c.changes for c in from_dicts.changes] == [c.changes for c in from_file.changes]
    file_summary, dict_summary = from_file.to_dict()["summary"], from_dicts.to_dict()["summary"]
    assert dict_summary.pop("bad_lines") == 1 and file_summary.pop("bad_lines") == 0
    assert dict_summary.pop("population") == "<dicts>"
    file_summary.pop("population")
    assert dict_summary == file_summary
    with pytest.raises(InvalidInput):
        rules_engine.impact(rows, "contracts/local/qmm.rules", strict=True)


def test_assumptions_as_a_mapping_or_a_file_are_those_of_the_command_line(in_root):
    code, out = _cli("check", "examples/pcn-passing.yaml", "--assume", "qof_national_average_list_size=10349",
                     "--format", "json")
    stated = rules_engine.check_arrangement("examples/pcn-passing.yaml",
                                            assume={"qof_national_average_list_size": 10349})
    assert stated.to_json() + "\n" == out
    assert '"assumed"' in out
    code, out = _cli("check", "examples/pcn-passing.yaml", "--assumptions", "examples/assumptions/2025-26.yaml",
                     "--format", "json")
    from_file = rules_engine.check_arrangement("examples/pcn-passing.yaml",
                                               assume="examples/assumptions/2025-26.yaml")
    assert from_file.to_json() + "\n" == out
    with pytest.raises(InvalidInput) as raised:
        rules_engine.check_arrangement("examples/pcn-passing.yaml", assume={"qof_national_average_list": 1})
    assert raised.value.diagnostics[0].code == "E-ASSUME-001"


# ------------------------------------------- a layer given as text (issue 18, item 15)

QMM_LAYER = ROOT / "contracts" / "local" / "qmm.rules"
BROKEN = {  # a slip in each stage: syntax, units, flexibility, a national contract given as local
    "syntax": ("vary min_pcn_population = 25000", "vary min_pcn_population = = 25000"),
    "unit": ("vary ea_minutes_per_1000 = 70 minutes", "vary ea_minutes_per_1000 = 70 minuts"),
    "flexibility": ("vary min_pcn_population = 25000", "vary min_pcn_population = 5000"),
    "empty reason": ('because "Sparse rural geography', 'because "'),
}


def _as_data(error: InvalidInput, name: str) -> list[tuple]:
    """An error's diagnostics as data, the file's name made the same."""
    return [(d.code, d.message.replace(name, "LAYER"), d.hint and d.hint.replace(name, "LAYER"),
             d.path, (d.span.line, d.span.column, d.span.end_line, d.span.end_column) if d.span else None)
            for d in error.diagnostics]


def _outcome(call):
    try:
        return "ok", call()
    except InvalidInput as error:
        return "error", error


@pytest.mark.parametrize("slip", sorted(BROKEN))
@pytest.mark.parametrize("call", ["vary_check", "check", "impact", "load"])
def test_a_layer_as_text_gives_the_same_errors_as_the_file(tmp_path, slip, call):
    old, new = BROKEN[slip]
    text = QMM_LAYER.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path = tmp_path / "qmm.rules"
    path.write_text(text, encoding="utf-8")
    calls = {"vary_check": lambda layer: rules_engine.vary_check(layer),
             "check": lambda layer: rules_engine.check(str(EXAMPLES / "pcn-rural-qmm.yaml"), local=layer),
             "impact": lambda layer: rules_engine.impact(str(EXAMPLES / "population-qmm.jsonl"), layer),
             "load": lambda layer: rules_engine.load(local=layer)}
    from_file, from_text = _outcome(lambda: calls[call](str(path))), _outcome(lambda: calls[call](text))
    if from_file[0] == "ok":  # a refused variation is a verdict of vary_check, not an error
        assert from_text[0] == "ok"
        def shown(result, name):
            data = result.to_dict() if hasattr(result, "to_dict") else result.proposed.header.name
            return json.dumps(data).replace(name, "LAYER")
        assert shown(from_text[1], "<layer>") == shown(from_file[1], str(path))
        return
    assert from_text[0] == "error", from_text
    assert _as_data(from_text[1], "<layer>") == _as_data(from_file[1], str(path))
    assert all(d.span is None or d.span.file in ("<layer>",) or d.span.file.endswith(".rules")
               for d in from_text[1].diagnostics)
    shown_text = rules_engine.render_error(from_text[1]).replace("<layer>", "LAYER")
    shown_file = rules_engine.render_error(from_file[1]).replace(str(path), "LAYER")
    assert shown_text == shown_file and "^" in shown_text


def test_a_layer_as_text_checks_as_the_file_does():
    text = QMM_LAYER.read_text(encoding="utf-8")
    facts = str(EXAMPLES / "pcn-rural-qmm.yaml")
    by_file = rules_engine.check(facts, local=str(QMM_LAYER)).to_json()
    assert rules_engine.check(facts, local=text).to_json().replace("<layer>", "LAYER") == \
        by_file.replace(json.dumps(str(QMM_LAYER))[1:-1], "LAYER")
    assert '"file": "<layer>"' in rules_engine.check(facts, local=text).to_json()
    by_text = rules_engine.impact(str(EXAMPLES / "population-qmm.jsonl"), text)
    by_path = rules_engine.impact(str(EXAMPLES / "population-qmm.jsonl"), QMM_LAYER)
    assert by_text.summary.variation == "<layer>"
    assert [c.as_json() for c in by_text.changes] == [c.as_json() for c in by_path.changes]
    explained = rules_engine.explain("des.ea.capacity", facts, local=text)
    assert [e.as_json() for e in explained] == [e.as_json() for e in
                                                rules_engine.explain("des.ea.capacity", facts, local=QMM_LAYER)]


def test_a_layer_text_is_read_under_a_files_size_limit():
    text = QMM_LAYER.read_text(encoding="utf-8")
    with limits.overridden(max_file_bytes=len(text.encode()) - 1):
        with pytest.raises(InvalidInput) as raised:
            rules_engine.vary_check(text)
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "E-LIMIT-001" and "<layer> is larger than" in diagnostic.message


def test_a_string_without_a_line_break_is_still_a_path():
    with pytest.raises(InvalidInput) as raised:
        rules_engine.vary_check("no-such-layer.rules")
    assert raised.value.diagnostics[0].code == "E-SYNTAX-009"
    assert "no-such-layer.rules" in raised.value.diagnostics[0].message


def test_diff_takes_a_layer_as_text_and_shows_its_errors_as_a_files():
    text = QMM_LAYER.read_text(encoding="utf-8")
    same = api_diff(QMM_LAYER, text, as_of="2025-06-01")
    assert same.equivalent is True
    changed = api_diff(text, text.replace("vary min_pcn_population = 25000",
                                                   "vary min_pcn_population = 26000", 1), as_of="2025-06-01")
    assert changed.equivalent is False and changed.first.id == "des.pcn.minimum-population"
    with pytest.raises(InvalidInput) as raised:
        api_diff(QMM_LAYER, text.replace("vary min_pcn_population = 25000",
                                                  "vary min_pcn_population = = 25000", 1))
    shown = rules_engine.render_error(raised.value)
    assert shown.startswith("<new>:") and "^" in shown
