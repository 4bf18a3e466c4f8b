"""schema.py: facts declared in rule files; arrangements checked against them."""

import datetime as dt
import copy
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from rules_engine import InvalidInput
from rules_engine.base.values import FactList, FactRecord

from conftest import ROOT, examples



def load(engine, text, name="a.yaml"):
    return engine.load_arrangement(name, text)


def test_schema_is_declared_in_rule_files(fixture_engine):
    schema = fixture_engine.library.schema
    assert schema.root.field("pcn").field("raw_list_size") is not None
    assert set(schema.subjects) == {"pcn", "practice", "claim"}
    assert [c.table for c in schema.constraints] == ["arrs_roles"]


def test_values_are_typed_exactly(fixture_engine):
    arrangement = load(fixture_engine, """
as_of: 2025-06-01
pcn:
  code: U1
  raw_list_size: 31000
  arrs_claims:
    - {role: paramedic, wte: 0.5, annual_cost: "41234.567", region: national}
practices:
  - ods_code: D1
    core_hours: {mon: "08:00-13:00, 13:30-18:30"}
""")
    facts = arrangement.facts
    assert facts["as_of"] == dt.date(2025, 6, 1)
    assert facts["pcn"]["raw_list_size"] == Decimal(31000)
    claim = facts["pcn"]["arrs_claims"][0]
    assert claim["annual_cost"] == Decimal("41234.567") and claim["wte"] == Decimal("0.5")
    assert isinstance(facts["pcn"]["arrs_claims"], FactList)
    assert facts["practices"][0]["core_hours"]["mon"] == ((480, 780), (810, 1110))
    assert isinstance(facts["practices"][0], FactRecord)
    assert facts["practices"][0].path == "practices[0]"


def test_null_is_a_missing_fact(fixture_engine):
    facts = load(fixture_engine, "as_of: 2025-06-01\npcn: {code: U1, raw_list_size: null}\n").facts
    assert "raw_list_size" not in facts["pcn"]


def test_json_arrangements_have_lines_too(fixture_engine):
    with pytest.raises(InvalidInput) as raised:
        load(fixture_engine, '{"as_of": "2025-06-01",\n "pcn": {"code": "U1",\n  "raw_list_sise": 3}}',
             "a.json")
    (d,) = raised.value.diagnostics
    assert (d.code, d.span.line, d.path) == ("E-FACT-001", 3, "pcn.raw_list_sise")
    assert "raw_list_size" in d.hint


def test_every_problem_is_reported_with_its_path(fixture_engine):
    with pytest.raises(InvalidInput) as raised:
        load(fixture_engine, "as_of: 2025-06-01\npcn:\n  raw_list_size: -3\n  extra: 1\n")
    found = {(d.code, d.path) for d in raised.value.diagnostics}
    assert found == {("E-FACT-005", "pcn.raw_list_size"), ("E-FACT-001", "pcn.extra"),
                     ("E-FACT-007", "pcn")}


def test_population_rows_name_their_line(fixture_engine):
    from rules_engine.io.arrangements import parse_json_line
    with pytest.raises(InvalidInput) as raised:
        parse_json_line(fixture_engine.library.schema, '{"pcn": {"code": 5, "wat": 1}}', "p.jsonl", 7)
    (d,) = raised.value.diagnostics
    assert (d.span.file, d.span.line, d.path) == ("p.jsonl", 7, "pcn.wat")


def test_table_keys_in_force_constrain_values(fixture_engine):
    text = "as_of: {date}\npcn:\n  code: U1\n  arrs_claims:\n    - role: gp\n"
    fixture_engine.evaluate(load(fixture_engine, text.format(date="2025-06-01")))
    with pytest.raises(InvalidInput) as raised:
        fixture_engine.evaluate(load(fixture_engine, text.format(date="2024-06-01")))
    (d,) = raised.value.diagnostics
    assert (d.code, d.span.line, d.path) == ("E-FACT-003", 5, "pcn.arrs_claims[0].role")
    assert "clinical_pharmacist" in d.hint and "gp" not in d.hint.split("valid on that date:")[1]


@pytest.mark.parametrize("field, value, code", [
    ("wte", "2", "E-FACT-005"), ("wte", "-1", "E-FACT-005"), ("wte", "true", "E-FACT-002"),
    ("annual_cost", "abc", "E-FACT-002"), ("annual_cost", "1e400000", "E-FACT-002"),  # YAML: infinity
    ("annual_cost", '"1e400000"', "E-LIMIT-007"),  # as text: exact, but no contract figure
    ("annual_cost", "999999999999999", None), ("annual_cost", "1000000000000000", "E-LIMIT-007"),
    ("annual_cost", '"999999999999999.99"', None),
    # an amount below zero is refused first: the schema does not declare `annual_cost` signed
    ("annual_cost", "-1000000000000000", "E-FACT-005"), ("annual_cost", '"-999999999999999.99"', "E-FACT-005"),
    ("annual_cost", "-1", "E-FACT-005"), ("annual_cost", "0", None),
])
def test_number_checks(fixture_engine, field, value, code):
    text = f"as_of: 2025-06-01\npcn:\n  code: U1\n  arrs_claims:\n    - {{role: paramedic, {field}: {value}}}\n"
    if code is None:
        load(fixture_engine, text)
        return
    with pytest.raises(InvalidInput) as raised:
        load(fixture_engine, text)
    assert [d.code for d in raised.value.diagnostics] == [code]


@pytest.mark.parametrize("field, value", [("wte", "NaN"), ("wte", "Infinity"),
                                          ("annual_cost", "-Infinity"), ("annual_cost", "NaN")])
def test_json_not_a_number_is_an_error_with_its_path(fixture_engine, field, value):
    """Python's JSON reader accepts NaN and Infinity; they are no amount or share."""
    from rules_engine.io.arrangements import parse_json_line
    line = ('{"as_of": "2025-06-01", "pcn": {"code": "U1", "arrs_claims": [{"role": "paramedic", "%s": %s}]}}'
            % (field, value))
    with pytest.raises(InvalidInput) as raised:
        parse_json_line(fixture_engine.library.schema, line, "p.jsonl", 3)
    (d,) = raised.value.diagnostics
    assert (d.code, d.path, d.span.line) == ("E-FACT-002", f"pcn.arrs_claims[0].{field}", 3)


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_yaml_not_a_number_is_an_error_on_its_line(fixture_engine, value):
    with pytest.raises(InvalidInput) as raised:
        load(fixture_engine, f"as_of: 2025-06-01\npcn:\n  code: U1\n  raw_list_size: {value}\n")
    (d,) = raised.value.diagnostics
    assert (d.code, d.path, d.span.line) == ("E-FACT-002", "pcn.raw_list_size", 4)



@pytest.mark.parametrize(("value", "says", "hinted"), [
    (".nan", "should be a whole number, not NaN (not a number)", False),
    (".inf", "should be a whole number, not infinity (`inf`)", True),
    ("-.inf", "should be a whole number, not infinity (`-inf`)", True),
    ('"Infinity"', "should be a whole number, not infinity (`Infinity`)", True),
])
def test_no_finite_number_is_named_for_what_it_is(fixture_engine, value, says, hinted):
    with pytest.raises(InvalidInput) as raised:
        load(fixture_engine, f"as_of: 2025-06-01\npcn:\n  code: U1\n  raw_list_size: {value}\n")
    (d,) = raised.value.diagnostics
    assert d.message == f"`pcn.raw_list_size` {says}"
    assert (d.hint is not None and "such as 1e400, reads as infinity" in d.hint) is hinted


def test_a_json_number_too_large_to_hold_is_called_infinity_on_its_line(fixture_engine):
    from rules_engine.io.arrangements import parse_json_line
    line = '{"as_of": "2025-06-01", "pcn": {"code": "U1", "raw_list_size": 1e400}}'
    with pytest.raises(InvalidInput) as raised:
        parse_json_line(fixture_engine.library.schema, line, "p.jsonl", 7)
    (d,) = raised.value.diagnostics
    assert (d.code, d.path, d.span.line, d.span.column) == ("E-FACT-002", "pcn.raw_list_size", 7, 64)
    assert d.message == "`pcn.raw_list_size` should be a whole number, not infinity (`inf`)"


@pytest.mark.parametrize("text", ["", "null\n", "~\n"])
def test_an_empty_or_null_document_is_named_as_such(fixture_engine, text):
    with pytest.raises(InvalidInput) as raised:
        load(fixture_engine, text)
    (d,) = raised.value.diagnostics
    assert d.message == "an arrangement should be a group of fields, not nothing (an empty document, or null)"


WEIRD = st.sampled_from([None, True, False, 0, -1, 10**30, -10**30, 1e308, -0.0, 0.5, 1.5, "", "x",
                         "2025-13-45", "08:00-07:00", "24:00-25:00", [], {}, [None], {"a": 1},
                         "£1,000", "1e5", "-5", " 12 ", "NaN", float("inf"), 2**63, "9" * 400])


def _paths(document, prefix=()):
    items = document.items() if isinstance(document, dict) else enumerate(document) \
        if isinstance(document, list) else ()
    for key, value in items:
        yield (*prefix, key)
        yield from _paths(value, (*prefix, key))


@settings(max_examples=examples(60), deadline=None)
@given(st.data())
def test_a_mangled_population_line_is_checked_or_rejected_never_a_crash(engine, data):
    """Any field of a real population line replaced by any JSON value: the line
    is evaluated and written, or rejected with diagnostics naming fields."""
    from rules_engine.reports.json_lines import LineEncoder
    from rules_engine.io.arrangements import parse_json_line
    lines = (ROOT / "examples" / "population-qmm.jsonl").read_text(encoding="utf-8").splitlines()
    document = json.loads(data.draw(st.sampled_from(lines[:4])))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(_paths(document))))
        container = document
        for step in path[:-1]:
            container = container[step]
        container[path[-1]] = copy.deepcopy(data.draw(WEIRD))  # samples are shared objects
    try:
        result = engine.evaluate(parse_json_line(engine.library.schema, json.dumps(document), "p.jsonl", 1))
    except InvalidInput as error:
        assert error.diagnostics and all(d.code.startswith(("E-FACT-", "E-LIMIT-")) for d in error.diagnostics)
        return
    assert json.loads(LineEncoder().line(result))["id"] == result.id
