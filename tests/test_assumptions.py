"""Assumptions: `--assume NAME=VALUE`, `--assumptions FILE` and a scenario's
`assume:`, on a small frozen library (tests/golden/assumptions/library) and on
the shipped one. Each error has a golden rendering in tests/golden/assumptions."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from rules_engine.syntax import nodes as n
from rules_engine.reports.json_lines import full_records
from rules_engine.program.assumptions import Assumptions, from_arguments, from_document, from_file
from rules_engine.cli import main
from rules_engine.base.diagnostics import InvalidInput
from rules_engine.run.engine import Engine
from rules_engine.testing.scenarios import read_cases, run_case

from conftest import GOLDEN, ROOT, check_golden

HERE = GOLDEN / "assumptions"
LIBRARY = "tests/golden/assumptions/library"
PRACTICE = "tests/golden/assumptions/practice.yaml"  # 2025-06-01: average_list is `= unknown`
PRACTICE_2024 = "tests/golden/assumptions/practice-2024.yaml"  # 2024-06-01: the layer has 9964


@pytest.fixture(scope="module")
def library_engine():
    return Engine.load(ROOT / LIBRARY)


def run(args, capsys) -> str:
    code = main(args)
    captured = capsys.readouterr()
    return f"exit {code}\n--- stdout\n{captured.out}--- stderr\n{captured.err}"


def codes(error: InvalidInput) -> list[str]:
    return [d.code for d in error.diagnostics]


# ------------------------------------------------------------------ reading

def test_arguments_are_literals_with_positions():
    assumed = from_arguments(["average_list=10349", "point_value=£225.49", "aspiration_share=80%"])
    assert [a.name for a in assumed] == ["average_list", "point_value", "aspiration_share"]
    first, second, third = assumed.items
    assert isinstance(first.value, n.Number) and first.value.value == Decimal("10349")
    assert isinstance(second.value, n.Money) and second.value.value == Decimal("225.49")
    assert isinstance(third.value, n.Percent) and third.value.value == Decimal("0.8")
    # each argument is a line of the pseudo-file `--assume`; the value starts after `=`
    assert (second.span.file, second.span.line, second.span.column) == ("--assume", 2, 1)
    assert (second.value_span.line, second.value_span.column) == (2, 13)


@pytest.mark.parametrize("argument", ["average_list", "=10349", "1x=5", "average list=5",
                                      "average_list=", "average_list=ten thousand",
                                      "average_list=10349 +", "average_list=2025-02-30"])
def test_malformed_arguments_are_refused(argument):
    with pytest.raises(InvalidInput) as caught:
        from_arguments([argument])
    assert codes(caught.value)[0] in ("E-ASSUME-004", "E-SYNTAX-007")
    assert all(d.span is not None and d.span.file == "--assume" for d in caught.value.diagnostics)
    assert caught.value.sources and caught.value.sources[0].path == "--assume"


def test_a_name_twice_on_the_command_line_is_refused():
    with pytest.raises(InvalidInput) as caught:
        from_arguments(["average_list=1", "average_list=2"])
    assert codes(caught.value) == ["E-ASSUME-005"]
    assert caught.value.diagnostics[0].span.line == 2


def test_the_command_line_wins_over_the_file(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("average_list: 9000\naspiration_share: '70%'\n")
    merged = from_arguments(["average_list=10000"]).over(from_file(path))
    assert {a.name: a.text for a in merged} == {"average_list": "10000", "aspiration_share": "70%"}
    assert merged.get("average_list").origin == "--assume"
    assert merged.get("aspiration_share").origin == str(path)


def test_a_file_value_is_placed_at_its_line_and_column(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("# comment\naverage_list: \"£5\"\n")
    assumed = from_file(path)
    item = assumed.get("average_list")
    assert (item.span.line, item.span.column) == (2, 1)
    assert (item.value_span.line, item.value_span.column) == (2, 16)  # inside the quotes


@pytest.mark.parametrize("text, code", [
    ("- average_list\n", "E-ASSUME-004"),          # a list, not a mapping
    ("average_list: [1]\n", "E-ASSUME-004"),       # not a literal
    ("average_list: {a: 1}\n", "E-ASSUME-004"),
    ("average_list: 'ten'\n", "E-ASSUME-004"),     # not one literal
    ("average_list: 1\naverage_list: 2\n", "E-ASSUME-004"),  # YAML itself refuses a repeated key
    ("average_list: [\n", "E-ASSUME-004"),          # not YAML
])
def test_a_bad_assumptions_file_is_refused_with_a_position(tmp_path, text, code):
    path = tmp_path / "a.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput) as caught:
        from_file(path)
    assert codes(caught.value)[0] == code
    assert caught.value.diagnostics[0].span.file == str(path)


def test_an_assumptions_file_that_is_not_a_regular_file_is_refused():
    with pytest.raises(InvalidInput) as caught:
        from_file("/dev/null/none")
    assert caught.value.diagnostics


# ----------------------------------------------------------------- checking

def test_an_assumed_figure_stands_in_for_unknown(library_engine):
    engine = Engine.load(ROOT / LIBRARY, assumptions=from_arguments(["average_list=10000"]))
    result = engine.evaluate(engine.load_arrangement(ROOT / PRACTICE))
    value = result.value("pay.points")
    # 100 points x £225.49 x 10,000 / 10,000
    assert value.value == Decimal("22549.00")
    assert [a.describe() for a in value.assumed] == ["average_list = 10000"]
    assert [a.name for a in result.result("pay.worth-it").assumed] == ["average_list"]
    # without it the value is unknown, naming the parameter
    plain = library_engine.evaluate(library_engine.load_arrangement(ROOT / PRACTICE)).value("pay.points")
    assert plain.value is None and not plain.assumed
    assert any("average_list" in m for m in plain.missing)


def test_a_value_that_reads_no_assumption_is_not_marked(engine, in_root):
    assumed = Engine.load(assumptions=from_arguments(["qof_national_average_list_size=10349"]))
    result = assumed.evaluate(assumed.load_arrangement("examples/pcn-2025-26-passing.yaml"))
    assert not result.value("pay.global-sum", "practice:G82001").assumed
    assert result.value("qof.payment", "practice:G82001").assumed
    assert not result.value("qof.aspiration", "practice:G82001").assumed  # reads the share, not the list


@pytest.mark.parametrize("argument, code", [
    ("averge_list=10000", "E-ASSUME-001"),       # no such parameter (did you mean)
    ("payment=£5", "E-ASSUME-001"),              # a definition, not a parameter
    ("average_list=£10000", "E-ASSUME-002"),     # money for a count
    ("average_list=10000 patients", "E-ASSUME-002"),  # not a unit
    ("aspiration_share=5 points", "E-ASSUME-002"),
    ("point_value=£230", "E-ASSUME-003"),        # the layer has it on the date
    ("ringfenced_rate=£1.303", "E-ASSUME-006"),  # no figure then, none said to exist
])
def test_each_error_has_its_code(argument, code):
    with pytest.raises(InvalidInput) as caught:
        engine = Engine.load(ROOT / LIBRARY, assumptions=from_arguments([argument]))
        engine.evaluate(engine.load_arrangement(ROOT / PRACTICE))
    assert codes(caught.value) == [code]


def test_an_assumption_for_a_date_the_layer_has_the_figure_is_refused_that_day():
    engine = Engine.load(ROOT / LIBRARY, assumptions=from_arguments(["average_list=10000"]))
    with pytest.raises(InvalidInput) as caught:
        engine.evaluate(engine.load_arrangement(ROOT / PRACTICE_2024))
    assert codes(caught.value) == ["E-ASSUME-003"]
    assert "9964" in caught.value.diagnostics[0].message
    # the last day before the `= unknown` line (2025-03-31) is the layer's; the first after is not
    import datetime as dt
    arrangement = engine.load_arrangement(ROOT / PRACTICE_2024)
    with pytest.raises(InvalidInput):
        engine.evaluate(arrangement, dt.date(2025, 3, 31))
    assert engine.evaluate(arrangement, dt.date(2025, 4, 1)).value("pay.points").assumed


def test_the_names_that_may_be_assumed_are_listed():
    with pytest.raises(InvalidInput) as caught:
        Engine.load(ROOT / LIBRARY, assumptions=from_arguments(["nonsense=1"]))
    hint = caught.value.diagnostics[0].hint
    assert "average_list (2025-04-01 to 2026-03-31)" in hint
    assert "aspiration_share (2025-04-01 to 2026-03-31)" in hint
    assert "point_value" not in hint


def test_unknown_in_a_dated_value_is_not_a_name_elsewhere(tmp_path):
    """`unknown` is a keyword only after `from PERIOD =`; a name that starts
    with it is still a name."""
    from rules_engine.queries.lint import lint_sources
    from rules_engine.base.source import SourceFile
    source = SourceFile("x.rules", 'national contract x "X"\n  effective 2025-04-01 to 2026-03-31\n'
                        "parameter unknown_rate: count\n  from 2025-04-01 to 2026-03-31 = unknown\n"
                        "define doubled: count = unknown_rate * 2\n")
    lint_sources([source])  # no error


# ---------------------------------------------------------------- golden CLI

GOLDEN_CASES = {
    "unknown-name": ["check", "--rules", LIBRARY, PRACTICE, "--assume", "averge_list=10000"],
    "wrong-unit": ["check", "--rules", LIBRARY, PRACTICE, "--assume", "average_list=£10000"],
    "national-has-it": ["check", "--rules", LIBRARY, PRACTICE, "--assume", "point_value=£230"],
    "not-name-value": ["check", "--rules", LIBRARY, PRACTICE, "--assume", "average_list"],
    "not-a-literal": ["check", "--rules", LIBRARY, PRACTICE, "--assume", "average_list=ten thousand"],
    "twice": ["check", "--rules", LIBRARY, PRACTICE, "--assume", "average_list=1",
              "--assume", "average_list=2"],
    "no-figure-then": ["check", "--rules", LIBRARY, PRACTICE, "--assume", "ringfenced_rate=£1.303"],
    "file-wrong-unit": ["check", "--rules", LIBRARY, PRACTICE, "--assumptions",
                        "tests/golden/assumptions/wrong-unit.yaml"],
    "check-text": ["check", "--rules", LIBRARY, PRACTICE, "--all", "--assume", "average_list=10000"],
    "explain": ["explain", "pay.points", "--rules", LIBRARY, "--arrangement", PRACTICE,
                "--assume", "average_list=10000"],
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden(name, capsys, in_root, update_golden):
    output = run(GOLDEN_CASES[name], capsys)
    check_golden(HERE / f"{name}.expected", output, update_golden)
    expect_error = name not in ("check-text", "explain")
    assert output.startswith("exit 2\n") == expect_error


def test_json_marks_every_value_and_result_that_read_it(capsys, in_root):
    assert main(["check", "--rules", LIBRARY, PRACTICE, "--format", "json",
                 "--assume", "average_list=10000"]) == 0
    document = json.loads(capsys.readouterr().out)
    arrangement = document["arrangements"][0]
    (value,) = arrangement["values"]
    assert value["value"] == "22549.00"
    assert value["assumed"] == [{"name": "average_list", "value": "10000", "source": "--assume"}]
    assert arrangement["results"][0]["assumed"][0]["name"] == "average_list"


def test_json_errors_carry_the_code(capsys, in_root):
    assert main(["check", "--rules", LIBRARY, PRACTICE, "--format", "json",
                 "--assume", "average_list=£1"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert [d["code"] for d in document["diagnostics"]] == ["E-ASSUME-002"]


def test_html_marks_the_value(capsys, in_root):
    assert main(["check", "--rules", LIBRARY, PRACTICE, "--format", "html",
                 "--assume", "average_list=10000"]) == 0
    page = capsys.readouterr().out
    assert 'class="assumed">Assumed: <code>average_list</code> = 10000 (--assume)' in page


def test_population_lines_are_marked(tmp_path, capsys, in_root):
    population = tmp_path / "p.jsonl"
    population.write_text(json.dumps({"as_of": "2025-06-01", "practices": [
        {"ods_code": "P1", "list_size": 10000, "points": 100}]}) + "\n")
    assert main(["check", "--rules", LIBRARY, "--population", str(population), "--format", "json",
                 "--assume", "average_list=10000"]) == 0
    first = next(full_records(capsys.readouterr().out.splitlines()))  # the lean line, read back
    assert first["values"][0]["assumed"] == [{"name": "average_list", "value": "10000",
                                              "source": "--assume"}]


# ----------------------------------------------------------------- scenarios

def _scenario(tmp_path, assume: str, expect_value: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"""name: assumed
arrangement: {ROOT / PRACTICE}
rules: {ROOT / LIBRARY}
{assume}
expect:
  values:
    - {{id: pay.points, value: "{expect_value}", assumed: [average_list]}}
""")
    return path


def test_a_scenario_states_its_assumptions(tmp_path):
    path = _scenario(tmp_path, "assume:\n  average_list: 10000", "22549.00")
    (case,) = read_cases(path)
    assert case.assumptions.get("average_list").text == "10000"
    assert run_case(case).passed


def test_a_scenario_fails_on_the_wrong_figure(tmp_path):
    (case,) = read_cases(_scenario(tmp_path, "assume:\n  average_list: 5000", "22549.00"))
    outcome = run_case(case)
    assert outcome.failures == ("pay.points: expected 22549.00, got 45098.00",)


def test_the_scenarios_assumption_wins_over_the_command_line(tmp_path):
    (case,) = read_cases(_scenario(tmp_path, "assume:\n  average_list: 10000", "22549.00"))
    assert run_case(case, assumptions=from_arguments(["average_list=5000"])).passed


def test_the_command_line_applies_to_a_scenario_without_its_own(tmp_path, capsys):
    path = _scenario(tmp_path, "", "22549.00")
    assert main(["test", str(path), "--assume", "average_list=10000"]) == 0
    assert main(["test", str(path)]) == 1  # unknown without it


def test_a_bad_assume_in_a_scenario_is_invalid_at_its_line(tmp_path):
    path = _scenario(tmp_path, "assume:\n  average_list: '£1'", "22549.00")
    (case,) = read_cases(path)
    outcome = run_case(case)
    assert [d.code for d in outcome.diagnostics] == ["E-ASSUME-002"]
    assert outcome.diagnostics[0].span.line == 5
    path = _scenario(tmp_path, "assume: [average_list]", "22549.00")
    with pytest.raises(InvalidInput) as caught:
        read_cases(path)
    assert codes(caught.value) == ["E-ASSUME-004"]


def test_from_document_without_line_numbers():
    from rules_engine.base.source import SourceFile
    source = SourceFile("x.json", '{"average_list": 10000}')
    assert from_document({"average_list": 10000}, source).get("average_list").text == "10000"
    assert not from_document(None, source)
    assert isinstance(from_document({}, source), Assumptions)


# ------------------------------------------------------------------- impact

def test_impact_of_the_qsl_scheme_in_points_and_pounds_with_assumptions(capsys, in_root):
    """Issue 10's Done when: per practice the points and pounds before and
    after, and the total, the pounds marked assumed."""
    code = main(["impact", "--population", "examples/population-qsl.jsonl", "--variation",
                 "contracts/local/qsl-diabetes-outcomes.rules", "--assumptions",
                 "examples/assumptions/2025-26.yaml", "--format", "json"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    summary = lines[-1]["summary"]
    assert [a["name"] for a in summary["assumed"]] == ["qof_national_average_list_size",
                                                       "qof_aspiration_share"]
    payment = summary["values"]["qof.payment"]
    assert payment["unknown_before"] == payment["unknown_after"] == 0
    assert payment["total_before"] is not None and payment["total_after"] is not None
    assert Decimal(payment["total_after"]) - Decimal(payment["total_before"]) == \
        Decimal(payment["total_change"])
    assert payment["assumed"][0]["name"] == "qof_national_average_list_size"
    changes = [c for line in lines[:-1] for c in line["changes"]]
    points = {c["subject"] for c in changes if c["id"] == "qof.points-total"}
    pounds = {c["subject"]: c for c in changes if c["id"] == "qof.payment"}
    assert points and points <= set(pounds)  # every practice whose points move has its pounds
    for change in pounds.values():
        assert change["before"] is not None and change["after"] is not None
        assert change["assumed"][0] == {"name": "qof_national_average_list_size", "value": "10349",
                                        "source": "examples/assumptions/2025-26.yaml"}
    # without the assumption the pounds are unknown on both sides, never £0.00
    main(["impact", "--population", "examples/population-qsl.jsonl", "--variation",
          "contracts/local/qsl-diabetes-outcomes.rules", "--format", "json"])
    bare = json.loads(capsys.readouterr().out.splitlines()[-1])["summary"]["values"]["qof.payment"]
    assert bare["total_before"] is None and bare["total_after"] is None
    assert "assumed" not in bare


def test_impact_text_says_what_was_assumed(capsys, in_root):
    main(["impact", "--population", "examples/population-qsl.jsonl", "--variation",
          "contracts/local/qsl-diabetes-outcomes.rules", "--assume", "qof_national_average_list_size=10349"])
    text = capsys.readouterr().out
    assert "assumed (figures the national layer lacks, stated for this run):" in text
    assert "(assumed: qof_national_average_list_size = 10349)" in text
    assert "qof.payment practice:L85001: £" in text


def test_the_readme_first_example_s_money_comes_out(capsys, in_root):
    assert main(["check", "examples/pcn-passing.yaml", "--assumptions",
                 "examples/assumptions/2025-26.yaml", "--format", "json"]) == 0
    values = json.loads(capsys.readouterr().out)["arrangements"][0]["values"]
    money = [v for v in values if v["unit"] == "GBP"]
    for value_id in ("qof.payment", "qof.aspiration", "qof.year-end-balance", "pay.global-sum"):
        found = [v for v in money if v["id"] == value_id]
        assert len(found) == 3 and all(v["value"] is not None for v in found), value_id
        assert all(bool(v.get("assumed")) == value_id.startswith("qof.") for v in found)
    payment = {v["subject"]: v for v in money if v["id"] == "qof.payment"}
    assert payment["practice:D82001"]["value"] == "29371.00"
    assert payment["practice:D82001"]["assumed"][0]["name"] == "qof_national_average_list_size"
