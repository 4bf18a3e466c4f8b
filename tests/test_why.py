"""why.py: the deciding conditions of a result, with the values read and the
distance to passing, on the shipped library and real examples."""

from __future__ import annotations

import copy
import json

import pytest
from ruamel.yaml import YAML

from rules_engine.io.arrangements import load_arrangement

from conftest import ROOT


def _read(name: str) -> dict:
    return json.loads(json.dumps(YAML(typ="safe").load((ROOT / "examples" / name).read_text()),
                                 default=str))


def _evaluate(engine, facts: dict):
    text = json.dumps(facts)
    return engine.evaluate(load_arrangement(engine.library.schema, "case.json", text))


@pytest.fixture(scope="module")
def failing():
    return _read("pcn-failing.yaml")


def test_each_failure_of_the_failing_example_says_why(engine, in_root):
    result = engine.evaluate(engine.load_arrangement("examples/pcn-failing.yaml"))
    whys = {(r.id, r.subject): r.why for r in result.results if r.why is not None}
    assert set(whys) == {(r.id, r.subject) for r in result.results if r.outcome.value in ("fail", "unknown")}
    size = whys[("des.pcn.minimum-population", "pcn:U54321")]
    assert size.condition.summary == "pcn.raw_list_size 26,500 < min_pcn_population 30,000 (national)"
    assert size.condition.distance == "needs 3,500 more"
    assert size.exemption.text == "pcn.population_exception = rural_remote"
    capacity = whys[("des.ea.capacity", "pcn:U54321")].condition
    assert capacity.distance == "needs 150 more minutes"
    (left, right) = capacity.operands
    assert (left.value, left.unit, left.source, left.path) == (1500, "minutes", "fact",
                                                              "pcn.enhanced_access.minutes_per_week")
    assert (right.value, right.source) == (1650, "definition")
    hours = whys[("gms.core-hours", "practice:Y01001")].condition
    (wednesday,) = hours.deciding  # which weekday decided it
    assert wednesday.context == (("day", "wed"),)
    assert wednesday.distance == "closes at 17:00, needs 18:30"
    assert wednesday.operands[0].path == "practices[0].core_hours.wed"
    saturday = whys[("des.ea.standard-hours", "pcn:U54321")].condition
    assert saturday.text == "pcn.enhanced_access.saturdays"  # the side of the `and` that failed


def test_passing_results_carry_no_why(engine, in_root):
    result = engine.evaluate(engine.load_arrangement("examples/pcn-passing.yaml"))
    assert all(r.why is None for r in result.results if r.outcome.value in ("pass", "not_applicable"))


@pytest.mark.parametrize("size, distance", [(29999, "needs 1 more"), (20000, "needs 10,000 more")])
def test_the_distance_at_the_boundary(engine, failing, size, distance):
    facts = copy.deepcopy(failing)
    facts["pcn"]["raw_list_size"] = size
    result = _evaluate(engine, facts).result("des.pcn.minimum-population")
    assert result.outcome.value == "fail"
    assert result.why.condition.distance == distance


def test_thirty_thousand_passes_and_has_no_why(engine, failing):
    facts = copy.deepcopy(failing)
    facts["pcn"]["raw_list_size"] = 30000
    assert _evaluate(engine, facts).result("des.pcn.minimum-population").why is None


def test_an_unknown_names_the_facts_missing(engine, failing):
    facts = copy.deepcopy(failing)
    del facts["pcn"]["raw_list_size"]
    why = _evaluate(engine, facts).result("des.pcn.minimum-population").why
    assert why.outcome == "unknown"
    assert "pcn.raw_list_size" in why.missing
    assert why.condition.operands[0].shown == "unknown"


def test_a_local_variation_shows_its_layer_and_the_national_value(engine, in_root):
    result = engine.evaluate(engine.load_arrangement("examples/pcn-rural-qmm.yaml"))
    assert result.result("des.pcn.minimum-population").outcome.value == "pass"
    facts = _read("pcn-rural-qmm.yaml")
    facts["pcn"]["raw_list_size"] = 24000
    why = _evaluate(engine, facts).result("des.pcn.minimum-population").why
    threshold = why.condition.operands[1]
    assert (threshold.layer, threshold.local, threshold.national) == ("qmm", True, "30,000")
    assert why.condition.distance == "needs 1,000 more"


def test_the_why_is_in_the_json(engine, in_root):
    from rules_engine.run.results import arrangement_json
    result = engine.evaluate(engine.load_arrangement("examples/pcn-failing.yaml"))
    data = {(r["id"], r["subject"]): r for r in arrangement_json(result)["results"]}
    why = data[("des.pcn.minimum-population", "pcn:U54321")]["why"]
    assert why["condition"] == "pcn.raw_list_size >= min_pcn_population"
    assert why["operands"][1] == {"expression": "min_pcn_population", "value": 30000, "unit": "count",
                                  "source": "parameter", "layer": "network_des", "local": False}
    assert why["distance"] == "needs 3,500 more"
    assert "why" not in data[("des.pcn.network-agreement", "pcn:U54321")]
