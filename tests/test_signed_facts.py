"""Which facts may be negative (issue 18, item 6): one rule, said by the fact
schema. A number fact is refused below zero (E-FACT-005) unless its
declaration says `signed`; a money fact is no exception (an `annual_cost` of
-1 was reimbursed as -£1.00)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

import rules_engine
from rules_engine import InvalidInput
from rules_engine.base import typesys as t
from rules_engine.io.arrangements import parse_json_line

from conftest import ROOT, run_in_process

NATIONAL = ROOT / "contracts" / "national"


def _number_leaves(type_, path=""):
    """(dotted path, type) of every number fact of the schema."""
    if isinstance(type_, t.Record):
        for name, field in type_.fields:
            yield from _number_leaves(field, f"{path}.{name}" if path else name)
    elif isinstance(type_, t.ListOf):
        yield from _number_leaves(type_.element, path + "[]")
    elif isinstance(type_, t.MapOf):
        yield from _number_leaves(type_.value, path + "{}")
    elif isinstance(type_, t.Quantity) and not type_.fraction:
        yield path, type_


def _nested(dotted: str, value) -> dict:
    """The smallest arrangement giving `value` at a schema path (`[]` one item, `{}` a key)."""
    parts = dotted.replace("[]", ".[]").replace("{}", ".{}").split(".")
    keys = {"{}": "K"}

    def build(rest):
        if not rest:
            return value
        head, tail = rest[0], rest[1:]
        if head == "[]":
            return [build(tail)]
        if head == "{}":
            return {keys["{}"]: build(tail)}
        return {head: build(tail)}
    return build(parts)


@pytest.fixture(scope="module")
def schema():
    return rules_engine.load().library.schema


def test_every_number_fact_of_the_shipped_schema_is_refused_below_zero(schema):
    """Each number fact the shipped schema declares without `signed`, given
    -1 on a population line, is E-FACT-005 at its path: counts, money,
    minutes, points, days, months and plain numbers alike."""
    leaves = list(_number_leaves(schema.root))
    assert {t.describe(type_) for _, type_ in leaves} >= {"a count", "money", "minutes", "points", "a number"}
    assert [path for path, type_ in leaves if type_.signed] == []  # no shipped fact may be negative
    refused = []
    for dotted, _type in leaves:
        if "{}" in dotted:
            continue  # map keys must be keys of a table in force: covered below by name
        document = {"as_of": "2025-06-01", "pcn": {"code": "U1"}}
        if dotted.startswith("pcn."):
            document["pcn"].update(_nested(dotted[len("pcn."):], -1))
        else:
            document.update(_nested(dotted, -1))
        if dotted.startswith("practices[]"):
            document["practices"][0]["ods_code"] = "A1"
        with pytest.raises(InvalidInput) as raised:
            parse_json_line(schema, json.dumps(document), "p.jsonl", 1)
        codes = [(d.code, d.path) for d in raised.value.diagnostics]
        negative = [path for code, path in codes if code == "E-FACT-005"]
        assert len(negative) == 1 and negative[0].replace("[0]", "[]") == dotted, (dotted, codes)
        assert {c for c, _ in codes} <= {"E-FACT-005", "E-FACT-007"}, codes  # a list's required keys
        refused.append(dotted)
    assert "pcn.arrs_claims[].annual_cost" in refused and "practices[].qof.aspiration_base" in refused
    assert "practices[].locum_claims[].weekly_cost" in refused and "pcn.raw_list_size" in refused


@pytest.mark.parametrize("value", ["-1", "-0.01", '"-1.00"', "-1.5"])
def test_negative_money_is_refused_at_its_line_by_check(tmp_path, value):
    """The arrangement is refused (exit 2), nothing is paid: as a real process
    for the first value (the exit status and streams a shell sees), in this
    process for the others (`run_in_process`, half a second of CPU less each)."""
    path = tmp_path / "arr.yaml"
    path.write_text("as_of: 2025-06-01\nicb: QMM\npcn:\n  code: U1\n  raw_list_size: 30000\n"
                    "  arrs_claims:\n    - role: clinical_pharmacist\n      wte: 1\n"
                    f"      annual_cost: {value}\n      start: 2025-04-01\n"
                    "practices:\n  - ods_code: A1\n    qof:\n      aspiration_base: -2\n")
    if value == "-1":
        done = subprocess.run([sys.executable, "-m", "rules_engine", "check", str(path)],
                              capture_output=True, text=True, timeout=120)
    else:
        done = run_in_process("check", path)
    assert done.returncode == 2, done.stdout
    assert "£-" not in done.stdout and "-£" not in done.stdout
    assert f"{path}:9:20: error[E-FACT-005]: `pcn.arrs_claims[0].annual_cost`" in done.stderr
    assert f"{path}:14:24: error[E-FACT-005]: `practices[0].qof.aspiration_base` is -2" in done.stderr
    assert "`signed`" in done.stderr  # the hint names the schema's attribute


def test_zero_money_is_still_accepted(schema):
    line = ('{"as_of": "2025-06-01", "pcn": {"code": "U1", "arrs_claims": '
            '[{"role": "paramedic", "annual_cost": 0}, {"role": "paramedic", "annual_cost": 0.0}]}}')
    facts = parse_json_line(schema, line, "p.jsonl", 1).facts
    assert [c["annual_cost"] for c in facts["pcn"]["arrs_claims"]] == [0, 0]


@pytest.fixture(scope="module")
def signed_library(tmp_path_factory):
    """The national library with `pcn.arrs_claims[].annual_cost` declared `signed`."""
    folder = tmp_path_factory.mktemp("signed") / "national"
    shutil.copytree(NATIONAL, folder)
    schema = folder / "schema.rules"
    text = schema.read_text()
    old = "fact pcn.arrs_claims[].annual_cost: money\n"
    assert old in text
    schema.write_text(text.replace(old, "fact pcn.arrs_claims[].annual_cost: money signed\n"))
    return folder


@pytest.mark.parametrize("value", ["-1", "-1.5", "3"])
def test_a_signed_fact_may_be_negative_by_either_reader(signed_library, value):
    engine = rules_engine.load(signed_library)
    line = ('{"as_of": "2025-06-01", "pcn": {"code": "U1", "arrs_claims": '
            f'[{{"role": "paramedic", "annual_cost": {value}}}], "raw_list_size": 5}}}}')
    by_json = parse_json_line(engine.library.schema, line, "p.jsonl", 1).facts
    by_yaml = engine.load_arrangement("a.yaml", line).facts  # the validator, not the decoder
    assert str(by_json["pcn"]["arrs_claims"][0]["annual_cost"]) == value
    assert by_yaml["pcn"]["arrs_claims"][0]["annual_cost"] == by_json["pcn"]["arrs_claims"][0]["annual_cost"]
    with pytest.raises(InvalidInput) as raised:  # only the signed fact: a count is still refused
        parse_json_line(engine.library.schema, line.replace('"raw_list_size": 5', '"raw_list_size": -5'),
                        "p.jsonl", 1)
    assert [(d.code, d.path) for d in raised.value.diagnostics] == [("E-FACT-005", "pcn.raw_list_size")]
    with pytest.raises(InvalidInput) as raised:  # and a signed fact still has its digits limit
        parse_json_line(engine.library.schema, line.replace(value, "-1000000000000000", 1), "p.jsonl", 1)
    assert [d.code for d in raised.value.diagnostics] == ["E-LIMIT-007"]


def test_signed_on_a_fact_that_is_not_a_number_is_a_located_error(tmp_path):
    folder = tmp_path / "national"
    shutil.copytree(NATIONAL, folder)
    schema = folder / "schema.rules"
    text = schema.read_text()
    schema.write_text(text.replace("fact pcn.name: text\n", "fact pcn.name: text signed\n"))
    line = text.splitlines().index("fact pcn.name: text") + 1
    done = run_in_process("lint", folder)
    assert done.returncode == 2
    assert f"schema.rules:{line}:21: error[E-TYPE-003]: `signed` is for a number fact; `pcn.name` is text" \
        in done.stderr
