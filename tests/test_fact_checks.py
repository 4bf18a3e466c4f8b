"""One subject given twice, and implausible inputs (issue 18 item 5, issue 17
item 6): the command line on the shipped library. A practice twice in one
arrangement is an error (E-FACT-008); a practice on two lines of a population
on one date makes the later line bad (E-FACT-009); a repeated member, a
practice outside its PCN's members, a list of 0, a weighted list far from the
registered one and a PCN smaller than any approved are warnings (W-FACT-001
to 005) in text and JSON that change no outcome and no exit code. The command
line runs in this process (conftest.run_in_process)."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from ruamel.yaml import YAML

import rules_engine
from rules_engine.io.arrangements import parse_json_line
from rules_engine.static.fact_checks import LARGEST_PCN, SMALLEST_PCN, WEIGHTED_RATIO, check_facts

from conftest import ROOT, run_in_process

EXAMPLES = ROOT / "examples"


def run(*args, cwd=ROOT):
    """The command line, in this process (conftest.run_in_process)."""
    return run_in_process(*args, cwd=cwd)


def _passing() -> dict:
    """examples/pcn-passing.yaml as plain data (dates as text)."""
    return json.loads(json.dumps(YAML(typ="safe").load(EXAMPLES / "pcn-passing.yaml"), default=str))


def _write(tmp_path, name, document) -> str:
    """A JSON file (one field a line, so that warnings have lines to point at)."""
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2))
    return str(path)


# ------------------------------------------------------------ one subject twice

def test_a_practice_given_twice_in_one_arrangement_is_e_fact_008_at_its_line(tmp_path):
    document = _passing()
    document["practices"].append(dict(document["practices"][0]))
    path = _write(tmp_path, "twice.json", document)
    done = run("check", path)
    assert done.returncode == 2 and done.stdout == ""
    code = document["practices"][0]["ods_code"]
    line = [i for i, text in enumerate(open(path), 1) if f'"ods_code": "{code}"' in text][-1]
    assert f"twice.json:{line}:" in done.stderr and "error[E-FACT-008]" in done.stderr
    assert f"practice `{code}` is given twice: `practices[0]` and `practices[{len(document['practices']) - 1}]`" \
        in done.stderr


def _line(pcn: str, members: list[str], day: str = "2025-06-01") -> str:
    return json.dumps({"as_of": day, "icb": "QMM", "pcn": {"code": pcn, "member_practices": members,
                                                           "raw_list_size": 31000}})


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_practice_on_two_lines_of_a_population_on_one_date_is_e_fact_009(tmp_path, jobs):
    population = tmp_path / "p.jsonl"
    population.write_text("\n".join([
        _line("U1", ["A1", "A2"]),
        _line("U2", ["A2", "B1"]),                      # A2 again on the same date: bad
        _line("U2", ["A2", "B1"], day="2025-07-01"),    # another date: a line of its own
        _line("U3", ["C1"]),
    ]) + "\n")
    done = run("check", "--population", population, "--format", "json", "--jobs", jobs)
    lines = [json.loads(l) for l in done.stdout.splitlines()]
    summary = lines[-1]["summary"]
    assert summary["arrangements"] == 3 and summary["bad_lines"] == 1
    assert [l["id"] for l in lines if "id" in l] == ["U1", "U2", "U3"]
    assert f"p.jsonl:2:1: error[E-FACT-009]: practice `A2` is already in line 1 on 2025-06-01" in done.stderr
    assert done.returncode == 0 if summary["outcomes"].get("fail") is None else 1
    strict = run("check", "--population", population, "--strict")
    assert strict.returncode == 2 and "E-FACT-009" in strict.stderr
    impact = run("impact", "--population", population, "--variation", "contracts/local/qmm.rules",
                 "--format", "json")
    summary = json.loads(impact.stdout.splitlines()[-1])["summary"]
    assert (summary["arrangements"], summary["bad_lines"]) == (3, 1) and "E-FACT-009" in impact.stderr


def test_the_python_api_impact_refuses_the_repeated_practice_too():
    report = rules_engine.impact([json.loads(_line("U1", ["A1"])), json.loads(_line("U2", ["A1"]))],
                                 ROOT / "contracts" / "local" / "qmm.rules")
    assert report.summary.arrangements == 1 and report.summary.bad_lines == 1
    assert [d.code for d in report.bad_lines[0].diagnostics] == ["E-FACT-009"]


# ------------------------------------------------------------ implausible inputs

def _implausible() -> dict:
    document = _passing()
    first, second = document["practices"][0], document["practices"][1]
    document["pcn"]["member_practices"] = list(document["pcn"]["member_practices"]) + [first["ods_code"]]
    first["weighted_list_size"] = first["list_size"] * 4.2
    second["list_size"] = 0
    return document


def test_warnings_are_shown_in_text_and_json_and_change_no_exit_code(tmp_path):
    plain = run("check", EXAMPLES / "pcn-passing.yaml", "--format", "json")
    assert plain.returncode == 0 and "input_warnings" not in plain.stdout
    path = _write(tmp_path, "odd.json", _implausible())
    as_json = run("check", path, "--format", "json")
    (arrangement,) = json.loads(as_json.stdout)["arrangements"]
    codes = [w["code"] for w in arrangement["input_warnings"]]
    assert sorted(codes) == ["W-FACT-001", "W-FACT-003", "W-FACT-004"]
    ratio = next(w for w in arrangement["input_warnings"] if w["code"] == "W-FACT-004")
    assert ratio["path"] == "practices[0].weighted_list_size" and "4.20 times the registered list" in ratio["message"]
    assert ratio["line"] is not None and ratio["column"] is not None
    as_text = run("check", path)
    assert "warning[W-FACT-004] practices[0].weighted_list_size (line" in as_text.stdout
    assert "warning[W-FACT-001] pcn.member_practices[" in as_text.stdout
    # the outcome is the facts' own: the zero list fails what it fails, the warnings add nothing
    assert as_json.returncode == as_text.returncode
    expected = rules_engine.check(path).to_dict()["arrangements"][0]["outcome"]
    assert arrangement["outcome"] == expected
    assert as_json.returncode == {"pass": 0, "fail": 1}.get(expected, as_json.returncode)


def test_a_practice_outside_its_pcns_members_and_a_tiny_pcn_are_warned(tmp_path):
    document = _passing()
    document["pcn"]["member_practices"] = list(document["pcn"]["member_practices"])[1:]
    document["pcn"]["raw_list_size"] = 2449
    as_json = run("check", _write(tmp_path, "small.json", document), "--format", "json")
    warnings = json.loads(as_json.stdout)["arrangements"][0]["input_warnings"]
    assert [w["code"] for w in warnings] == ["W-FACT-002", "W-FACT-005"]
    assert warnings[1]["message"] == ("`pcn.raw_list_size` is 2,449: smaller than any PCN known to be "
                                      "approved (7,955 patients)")


@pytest.mark.parametrize("size, warned", [(SMALLEST_PCN - 1, True), (SMALLEST_PCN, False), (1, True),
                                          (0, False)])  # 0 is W-FACT-003, not also W-FACT-005
def test_the_smallest_pcn_boundary(engine, size, warned):
    line = json.dumps({"as_of": "2025-06-01", "pcn": {"code": "U1", "raw_list_size": size}})
    codes = [w.code for w in check_facts(engine.library.schema,
                                         parse_json_line(engine.library.schema, line, "p.jsonl", 1))]
    assert ("W-FACT-005" in codes) is warned
    assert ("W-FACT-003" in codes) is (size == 0)


@pytest.mark.parametrize("weighted, warned", [("599.9", True), ("600", False), ("2500", False),
                                              ("2500.1", True), ("0", False)])
def test_the_weighted_ratio_boundaries(engine, weighted, warned):
    assert WEIGHTED_RATIO == (0.6, 2.5) or [str(b) for b in WEIGHTED_RATIO] == ["0.6", "2.5"]
    line = json.dumps({"as_of": "2025-06-01", "practices": [
        {"ods_code": "A1", "list_size": 1000, "weighted_list_size": float(weighted)}]})
    codes = [w.code for w in check_facts(engine.library.schema,
                                         parse_json_line(engine.library.schema, line, "p.jsonl", 1))]
    assert ("W-FACT-004" in codes) is warned


def test_population_runs_count_warnings_in_the_summary_and_keep_the_exit_code(tmp_path):
    odd = json.loads(json.dumps(_implausible(), default=str))
    odd["as_of"] = "2025-07-01"  # the same practices on another date: not E-FACT-009
    population = tmp_path / "p.jsonl"
    population.write_text(json.dumps(_passing(), default=str) + "\n" + json.dumps(odd) + "\n")
    as_json = run("check", "--population", population, "--format", "json", "--line", "full")
    lines = [json.loads(l) for l in as_json.stdout.splitlines()]
    assert "input_warnings" not in lines[0]
    assert sorted(w["code"] for w in lines[1]["input_warnings"]) == ["W-FACT-001", "W-FACT-003", "W-FACT-004"]
    summary = lines[-1]["summary"]
    assert summary["input_warnings"] == {"W-FACT-001": 1, "W-FACT-003": 1, "W-FACT-004": 1}
    assert "warning[W-FACT-004]" in as_json.stderr
    lean = run("check", "--population", population, "--format", "json")
    assert sorted(w["code"] for w in json.loads(lean.stdout.splitlines()[-2])["input_warnings"]) == \
        ["W-FACT-001", "W-FACT-003", "W-FACT-004"]
    as_text = run("check", "--population", population)
    assert "  input warnings: W-FACT-001 1, W-FACT-003 1, W-FACT-004 1" in as_text.stdout
    assert as_text.returncode == as_json.returncode == (1 if summary["outcomes"].get("fail") else 0)


def test_the_real_population_draws_few_warnings(engine):
    """The thresholds against NHS Payments to General Practice 2022/23 as the
    example population holds it: a handful of real outliers, no false alarm
    on ordinary practices."""
    schema = engine.library.schema
    found: Counter = Counter()
    with open(EXAMPLES / "population-nhs-2022-23.jsonl", encoding="utf-8") as lines:
        for number, text in enumerate(lines, 1):
            found.update(w.code for w in check_facts(schema, parse_json_line(schema, text, "p.jsonl", number)))
    assert found == {"W-FACT-003": 4, "W-FACT-004": 6, "W-FACT-005": 1}  # no W-FACT-007: no PCN is larger


@pytest.mark.parametrize("size, warned", [(LARGEST_PCN, False), (LARGEST_PCN + 1, True), (793357, True)])
def test_the_largest_pcn_boundary(engine, size, warned):
    """W-FACT-007 above the largest PCN of the 2022/23 data (266,926), not at it."""
    arrangement = parse_json_line(engine.library.schema, json.dumps(
        {"as_of": "2025-06-01", "pcn": {"code": "U1", "raw_list_size": size}}), "p.jsonl", 1)
    found = [w for w in check_facts(engine.library.schema, arrangement) if w.code == "W-FACT-007"]
    assert bool(found) is warned
    if warned:
        assert found[0].message == (f"`pcn.raw_list_size` is {size:,}: larger than any PCN in England "
                                    "(the largest, 266,926 patients)")



def _mutations():
    """The passing example, and each change that one check or row finds."""
    def practice(index, **fields):
        return lambda d: d["practices"][index].update(fields)

    def pcn(**fields):
        return lambda d: d["pcn"].update(fields)

    return {
        "as it is": lambda d: None,
        "a practice twice (E-FACT-008)": lambda d: d["practices"].append(dict(d["practices"][0])),
        "a member twice (W-FACT-001)": lambda d: d["pcn"]["member_practices"].append(
            d["pcn"]["member_practices"][0]),
        "a practice not a member (W-FACT-002)": practice(1, ods_code="Z99999"),
        "no members": lambda d: d["pcn"].pop("member_practices"),
        "a list of 0 (W-FACT-003)": practice(0, list_size=0),
        "a weighted list of 0 (W-FACT-003)": practice(1, weighted_list_size=0),
        "a PCN of 0 (W-FACT-003)": pcn(adjusted_population=0),
        "a weighted list far off (W-FACT-004)": practice(0, weighted_list_size=10 ** 6),
        "a weighted list at the ratio's edge": lambda d: d["practices"][0].update(
            weighted_list_size=d["practices"][0]["list_size"] * 2.5),
        "a tiny PCN (W-FACT-005)": pcn(raw_list_size=SMALLEST_PCN - 1),
        "a huge PCN (W-FACT-007)": pcn(raw_list_size=LARGEST_PCN + 1),
        "no PCN": lambda d: d.pop("pcn"),
    }


@pytest.mark.parametrize("change", list(_mutations()))
def test_the_quick_pass_finds_nothing_only_where_the_rows_find_nothing(engine, change):
    """`check_facts` returns at once when `_plainly_none` says no check and no
    row finds anything: it must say so only then, and say it of ordinary
    arrangements (else it saves nothing)."""
    from rules_engine.static.fact_checks import WARNINGS, _duplicate_keys, _plainly_none
    schema = engine.library.schema
    document = _passing()
    _mutations()[change](document)
    arrangement = parse_json_line(schema, json.dumps(document), "p.jsonl", 1)
    found = list(_duplicate_keys(schema, arrangement.facts)) + [
        p for row in WARNINGS for p in row.find(arrangement.facts)]
    assert _plainly_none(schema, arrangement.facts) is (not found)
    assert bool(found) is (change not in ("as it is", "no members", "a weighted list at the ratio's edge",
                                          "no PCN"))


def test_the_quick_pass_has_a_test_for_every_warning_row():
    """A row added to WARNINGS without its test in `_plainly_none` would turn
    the quick pass off (check_facts then runs every row on every line)."""
    from rules_engine.static import fact_checks
    assert {row.code for row in fact_checks.WARNINGS} == fact_checks._QUICK_PASS_ROWS
    assert fact_checks._QUICK_PASS_COVERS_THE_ROWS


def test_the_quick_pass_agrees_with_the_rows_on_the_real_population(engine):
    from rules_engine.static.fact_checks import WARNINGS, _duplicate_keys, _plainly_none
    schema = engine.library.schema
    plain = 0
    with open(EXAMPLES / "population-nhs-2022-23.jsonl", encoding="utf-8") as lines:
        for number, text in enumerate(lines, 1):
            facts = parse_json_line(schema, text, "p.jsonl", number).facts
            found = list(_duplicate_keys(schema, facts)) + [p for row in WARNINGS for p in row.find(facts)]
            assert _plainly_none(schema, facts) is (not found), number
            plain += not found
    assert plain > 0

# ------------------------------------------- one practice in two files of a check

def test_a_practice_in_two_files_of_one_check_is_warned_where_the_later_file_gives_it(engine, tmp_path):
    """W-FACT-006: no total spans the files of a `check`, so a shared practice is
    a warning (a population run makes it E-FACT-009); another date, or the same
    file given twice, is not warned."""
    first = _passing()
    second = _passing()
    second["pcn"]["code"] = "U99999"
    shared = first["pcn"]["member_practices"][1]
    second["practices"] = [p for p in second["practices"] if p["ods_code"] == shared]
    second["pcn"]["member_practices"] = [shared]
    paths = [_write(tmp_path, "a.json", first), _write(tmp_path, "b.json", second)]
    report = engine.check_files(paths)
    assert report.arrangements[0].input_warnings == ()
    warned = [w for w in report.arrangements[1].input_warnings if w.code == "W-FACT-006"]
    assert len(warned) == 1, warned  # one warning per practice and file, though it is given twice
    assert warned[0].message == f"practice `{shared}` is also in {paths[0]} on 2025-06-01"
    assert warned[0].path == "practices[0].ods_code" and warned[0].span.line is not None
    assert report.arrangements[1].outcome is engine.check_files([paths[1]]).arrangements[0].outcome
    second["as_of"] = "2025-07-01"
    later = _write(tmp_path, "c.json", second)
    assert not any(w.code == "W-FACT-006" for r in engine.check_files([paths[0], later]).arrangements
                   for w in r.input_warnings)
    assert not any(w.code == "W-FACT-006" for r in engine.check_files([paths[0], paths[0]]).arrangements
                   for w in r.input_warnings)
