"""reports/: the text table and the results JSON, as golden files."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from rules_engine.base import typesys as t
from rules_engine.cli import cli, main
from rules_engine.reports.json_lines import LineEncoder
from rules_engine.run.results import arrangement_json
from rules_engine.reports.json_report import dumps
from rules_engine.run.results import ArrangementResult, Result, ValueResult
from rules_engine.base.values import Outcome

from conftest import GOLDEN, ROOT, check_golden

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


def _examples(engine):
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        yield engine.evaluate(engine.load_arrangement(path))
    yield from engine.population(ROOT / "examples" / "population-qmm.jsonl")


def test_population_lines_are_the_results_json_byte_for_byte(engine):
    """The population encoder reuses text shared between results; what it
    writes is exactly the compact form of the results JSON."""
    encoder = LineEncoder()
    seen = set()
    for result in _examples(engine):
        assert encoder.line(result) == dumps(arrangement_json(result), compact=True), result.id
        seen |= {(r.outcome.value, r.flexibility, bool(r.warnings), bool(r.reason)) for r in result.results}
    # the examples exercise every shape of result the encoder special-cases
    assert {outcome for outcome, *_ in seen} == {"pass", "fail", "unknown", "not_applicable"}
    assert {flexibility for _, flexibility, *_ in seen} >= {"locked", "flexible-unused", "varied", "waived"}
    assert any(warned for _, _, warned, _ in seen) and any(reason for *_, reason in seen)


def test_population_lines_encode_awkward_values_as_json_does():
    result = ArrangementResult(
        "Ü1", "a \"quoted\" file\n", dt.date(2025, 6, 1), Outcome.UNKNOWN, ("national", "qmm"),
        (Result("x.rule", "practice:Ü", Outcome.UNKNOWN, "Title — with “quotes”", "§1", "qmm", "varied",
                "Reason\twith tab", {"limit": 30000, "share": 0.5, "list": ["a", "b"]},
                ("practices[0].x",), ("warned ☂",), "warning", "provisional [?]", "exempt"),),
        (ValueResult("v.money", "pcn:Ü1", Decimal("1234.5"), t.Quantity(t.GBP)),
         ValueResult("v.fraction", "pcn:Ü1", Decimal("0.125"), t.Quantity(t.DIMENSIONLESS, fraction=True)),
         ValueResult("v.date", "pcn:Ü1", dt.date(2025, 1, 2), t.Date(), flexibility="varied",
                     layer="qmm", because="b", national={"d": "2024-01-01"}, provisional="p"),
         ValueResult("v.unknown", "pcn:Ü1", None, t.Boolean(), missing=("pcn.a", "pcn.b")),
         ValueResult("v.text", "pcn:Ü1", "ä\u2028", t.Text())))
    line = LineEncoder().line(result)
    assert line == dumps(arrangement_json(result), compact=True)
    assert json.loads(line)["values"][0]["value"] == "1234.50"


def _check_text(args, env=None):
    import subprocess
    import sys
    import os
    environment = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    environment.update(env or {})
    done = subprocess.run([sys.executable, "-m", "rules_engine", "check", *args], cwd=ROOT,
                          capture_output=True, text=True, env=environment)
    return done.returncode, done.stdout


def test_failing_example_fits_80_columns_in_under_40_lines_with_each_why():
    code, out = _check_text(["examples/pcn-failing.yaml"])  # piped: 80 columns
    lines = out.splitlines()
    assert code == 1
    # what fails, with each why, leads and fits a screen; the money follows
    # (one line a payment: a complete arrangement has many)
    failures = lines[:next(i for i, line in enumerate(lines) if line.startswith("Money"))]
    assert len(failures) < 40, out
    assert max(map(len, lines)) <= 80, out
    assert lines[0].startswith("U54321 (examples/pcn-failing.yaml) as of 2025-06-01: fails")
    assert "5 failed, 0 unknown" in lines[1] and "values" in lines[1]
    for failure in ("gms.core-hours", "des.pcn.minimum-population", "des.pcn.clinical-director",
                    "des.ea.capacity", "des.ea.standard-hours"):
        assert f"FAIL {failure}" in out
    for why in ("pcn.raw_list_size 26,500 < min_pcn_population 30,000 (national)", "needs 3,500 more",
                "needs 150 more minutes", "closes at 17:00, needs 18:30",
                "pcn.clinical_director_appointed is false", "pcn.enhanced_access.saturdays is false"):
        assert why in " ".join(out.split()), why
    assert "PASS" not in out  # passes only with --all
    assert out.index("FAIL") < out.index("Money")


def _check_text_here(args, columns: str) -> tuple[int, str]:
    """`check` in this process with $COLUMNS set (so no terminal is asked)."""
    result = CliRunner().invoke(cli, ["check", *args], env={"COLUMNS": columns}, catch_exceptions=False)
    return result.exit_code, result.stdout


def test_text_honours_columns_and_all(in_root):
    _, wide = _check_text_here(["examples/pcn-failing.yaml"], "120")
    assert max(map(len, wide.splitlines())) <= 120
    assert any(len(line) > 80 for line in wide.splitlines())
    _, everything = _check_text_here(["examples/pcn-failing.yaml", "--all"], "80")
    assert "PASS des.pcn.network-agreement: pcn:U54321" in everything
    assert "N/A gms.gp-connect" in everything
    assert max(map(len, everything.splitlines())) <= 80


def test_money_lines_mark_assumed_and_provisional_figures_with_footnotes():
    """Each money line resting on an assumed or provisional figure carries a
    marker ([a1], [p1-p9]); each distinct reason is listed once, under 80 columns."""
    code, out = _check_text(["examples/pcn-passing.yaml", "--assumptions",
                             "examples/assumptions/2025-26.yaml"])
    assert code == 0
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80, out
    money = lines[next(i for i, line in enumerate(lines) if line.startswith("Money")):]
    payment = [line for line in money if "qof.payment  practice:D82001" in line]
    assert len(payment) == 1 and "£29,371.00 [a1] [p" in payment[0], payment
    joined = " ".join(out.split())
    assert "[a1] assumed qof_national_average_list_size = " in joined
    assert "[a2] assumed qof_aspiration_share = 80%" in joined
    notes = [line for line in money if line.startswith("  [p")]
    texts = [line.split("] ", 1)[1] for line in notes]
    assert len(texts) == len(set(texts))  # each reason once
    assert any(t.startswith("provisional: table qof_indicators: ") for t in texts)
    assert any(t.startswith("provisional: definition qof_prevalence_factor:") for t in texts)
    assert "assumed:" not in "\n".join(money)  # no wrapped `assumed:` tails
