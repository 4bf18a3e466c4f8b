"""reports/: the text table and the results JSON, as golden files."""

import json

import pytest

from rules_engine.cli import main

from conftest import GOLDEN, check_golden

CASES = sorted((GOLDEN / "reports").glob("*.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_report_golden(case, output_format, capsys, in_root, update_golden):
    code = main(["check", "--rules", "tests/golden/fixture", str(case.relative_to(in_root)),
                 "--format", output_format])
    out = capsys.readouterr().out
    assert code == 1
    suffix = ".txt" if output_format == "text" else ".json"
    check_golden(case.with_suffix(suffix), out, update_golden)


def test_json_matches_the_interface(capsys, in_root):
    main(["check", "--rules", "tests/golden/fixture", "tests/golden/reports/mixed.yaml", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"as_of", "layers", "arrangements"}
    assert document["layers"][0] == {"name": "des", "version": "2025/26",
                                     "file": "tests/golden/fixture/national/des.rules"}
    (arrangement,) = document["arrangements"]
    assert {"id", "outcome", "results", "values"} <= set(arrangement)
    for result in arrangement["results"]:
        assert {"id", "subject", "outcome", "title", "clause", "layer", "flexibility", "because",
                "national", "missing"} <= set(result)
        assert result["outcome"] in {"pass", "fail", "unknown", "not_applicable"}
        assert result["flexibility"] in {"locked", "flexible-unused", "varied", "waived", "added"}
    waived = next(r for r in arrangement["results"] if r["id"] == "des.ea.standard-hours")
    assert (waived["outcome"], waived["flexibility"], waived["layer"]) == ("not_applicable", "waived", "rural")
    minutes = next(v for v in arrangement["values"] if v["id"] == "des.ea.required-minutes")
    assert minutes == {"id": "des.ea.required-minutes", "subject": "pcn:U2", "value": 1470,
                       "unit": "minutes", "layer": "des", "flexibility": "flexible-unused"}


def test_money_is_an_exact_string(engine, in_root, capsys):
    main(["check", "examples/pcn-passing.yaml", "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    values = {v["id"]: v for v in document["arrangements"][0]["values"]}
    assert values["pay.enhanced-access"]["value"] == "455142.27"  # 54,010 x £8.427
    assert values["pay.enhanced-access"]["unit"] == "GBP"
