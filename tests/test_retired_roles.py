"""A claim in an ARRS role a local layer retired is a fact (issue 17, item
13): it is read, fails des.arrs.eligible-role with the layer and reason, is
reimbursed £0.00, and impact counts the money the retirement removes. A
role the scheme never had, or a retired key of a map, stays invalid input."""

import json

import pytest

from rules_engine.cli import main

CLAIMS = [
    {"role": "pharmacy_technician", "wte": 1.0, "annual_cost": 45000, "region": "national",
     "start": "2024-09-01"},
    {"role": "clinical_pharmacist", "wte": 1.0, "annual_cost": 55000, "region": "national",
     "start": "2023-09-01"},
]


def arrangement(code, claims, icb="QE1", as_of="2026-06-01"):
    return {"as_of": as_of, "icb": icb, "pcn": {"code": code, "raw_list_size": 52000,
                                                "arrs_claims": claims}}


def test_check_reads_a_retired_role_and_names_the_layer_and_reason(tmp_path, in_root, capsys):
    path = tmp_path / "pcn.json"
    path.write_text(json.dumps(arrangement("U84601", CLAIMS)), encoding="utf-8")
    assert main(["check", str(path), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)["arrangements"][0]
    result = next(r for r in data["results"]
                  if r["id"] == "des.arrs.eligible-role" and r["subject"] == "claim:U84601/1")
    assert (result["outcome"], result["layer"], result["flexibility"]) == ("fail", "qe1_framework",
                                                                           "varied")
    assert "pharmacy technicians" in result["because"]
    values = {(v["id"], v["subject"]): v["value"] for v in data["values"]}
    assert values[("des.arrs.reimbursable", "claim:U84601/1")] == "0.00"
    assert values[("des.arrs.claim-status", "claim:U84601/1")] == \
        "not reimbursed: the role is not in the scheme in force (retired)"


def test_impact_counts_the_money_the_retirement_removes(tmp_path, in_root, capsys):
    population = tmp_path / "population.jsonl"
    population.write_text(json.dumps(arrangement("U84601", CLAIMS)) + "\n"
                          + json.dumps(arrangement("U84602", CLAIMS[1:])) + "\n", encoding="utf-8")
    assert main(["impact", "--population", str(population), "--variation",
                 "contracts/local/qe1-framework.rules", "--format", "json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    summary = lines[-1]["summary"]
    claimed = summary["values"]["des.arrs.reimbursable"]
    # one technician at the 2025/26 maximum carried forward, £43,352, no longer paid
    assert (claimed["total_before"], claimed["total_after"], claimed["total_change"]) == (
        "153352.00", "110000.00", "-43352.00")
    assert claimed["unknown_before"] == claimed["unknown_after"] == 0
    (change,) = summary["outcome_changes"]
    assert (change["id"], change["transition"], change["count"]) == (
        "des.arrs.eligible-role", "pass -> fail", 1)


@pytest.mark.parametrize("role, icb", [("astronaut", "QE1"), ("pharmacy_technician_x", "QE1")])
def test_a_role_the_scheme_never_had_is_still_invalid_input(tmp_path, in_root, capsys, role, icb):
    path = tmp_path / "pcn.json"
    path.write_text(json.dumps(arrangement("U84603", [dict(CLAIMS[0], role=role)], icb)),
                    encoding="utf-8")
    assert main(["check", str(path)]) == 2
    assert "E-FACT-003" in capsys.readouterr().err
