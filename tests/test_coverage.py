"""Rule coverage (`contract-rules test --coverage`): on a small library whose
counts are worked out by hand (tests/coverage/), its JSON, text (golden) and
HTML page, `--min-coverage`, and what coverage leaves alone when it is off.

The hand count, for tests/coverage/scenarios/cases.yaml (4 cases):

- cov.size `where adjusted_population > 0`: true in cases 1, 2, 4; false in 3.
  `must raw_list_size >= 30000`: true in 1; false in 2 and 4 (3 never
  reaches it). `unless population_exception = rural_remote` (asked only when
  `must` is not true): true in 2, false in 4. Outcomes: pass 1, 2; fail 4;
  not applicable 3.
- cov.later is in force from 2025-04-01: not in force in cases 1-3; case 4
  (2025-06-01, ICB Q01) is waived by the local layer (`pcn.code = "U2"`
  true), so its `must` never runs.
- cov.bonus `if clinical_director_appointed`: true in 1, false in 3, unknown
  in 2 and 4 (not given): known 2, unknown 2.

Points: cov.rules 2 requirements + 1 value + 5 conditions x 2 = 13, covered
2 + 1 + (2 + 2 + 2 + 2 + 0) = 11; waiving.rules 1 condition, true only: 1
of 2. Total 12 of 15: 80.0%.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT, check_golden
from rules_engine.backends.closure_runner import ClosureRunner
from rules_engine.cli import main
from rules_engine.run.coverage import Recorder, below, figure
from rules_engine.testing.scenarios import EngineCache, collect_scenario_files, run_scenarios

HERE = ROOT / "tests" / "coverage"
CASES = HERE / "scenarios"
GOLDEN = ROOT / "tests" / "golden" / "coverage"


@pytest.fixture(scope="module")
def measured():
    recorder = Recorder()
    run = run_scenarios(collect_scenario_files([CASES]), recorder=recorder)
    assert run.failed == 0 and run.invalid == 0 and len(run.outcomes) == 4
    return recorder.coverage().as_json()


def _file(document, name):
    (found,) = [f for f in document["files"] if f["file"].endswith(name)]
    return found


def _condition(file, role, owner):
    (found,) = [c for c in file["conditions"] if c["role"] == role and c["owner"] == owner]
    return {way: found[way] for way in ("true", "false", "unknown")}


def test_exact_counts_of_a_small_library(measured):
    cov = _file(measured, "national/cov.rules")
    size = "requirement cov.size"
    assert _condition(cov, "where", size) == {"true": 3, "false": 1, "unknown": 0}
    assert _condition(cov, "must", size) == {"true": 1, "false": 2, "unknown": 0}
    assert _condition(cov, "unless", size) == {"true": 1, "false": 1, "unknown": 0}
    assert _condition(cov, "must", "requirement cov.later") == {"true": 0, "false": 0, "unknown": 0}
    assert _condition(cov, "if", "value bonus") == {"true": 1, "false": 1, "unknown": 2}
    requirements = {r["id"]: r["outcomes"] for r in cov["requirements"]}
    assert requirements["cov.size"] == {"pass": 2, "fail": 1, "unknown": 0, "not_applicable": 1,
                                        "not_in_force": 0}
    assert requirements["cov.later"] == {"pass": 0, "fail": 0, "unknown": 0, "not_applicable": 1,
                                         "not_in_force": 3}
    assert cov["values"] == [{"id": "cov.bonus", "line": 9, "ran": True, "outcomes": {"known": 2, "unknown": 2}}]
    assert (cov["covered"], cov["points"], cov["figure"]) == (11, 13, 84.6)
    waiving = _file(measured, "local/waiving.rules")
    assert _condition(waiving, "waiver", "waiver cov.later") == {"true": 1, "false": 0, "unknown": 0}
    assert (waiving["covered"], waiving["points"], waiving["figure"]) == (1, 2, 50.0)
    assert (measured["covered"], measured["points"], measured["figure"]) == (12, 15, 80.0)


def test_json_shape(in_root, capsys):
    assert main(["test", "--coverage", "--format", "json", "tests/coverage/scenarios"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] == 4
    coverage = document["coverage"]
    assert set(coverage) == {"figure", "covered", "points", "definition", "files"}
    assert [f["file"] for f in coverage["files"]] == ["tests/coverage/rules/local/waiving.rules",
                                                     "tests/coverage/rules/national/cov.rules"]
    file = coverage["files"][1]
    assert set(file) == {"file", "figure", "covered", "points", "requirements", "values", "conditions"}
    assert set(file["requirements"][0]) == {"id", "line", "ran", "outcomes"}
    assert set(file["conditions"][0]) == {"role", "owner", "line", "column", "end_line", "end_column", "text",
                                          "true", "false", "unknown"}
    assert file["conditions"][0] == {"role": "if", "owner": "value bonus", "line": 10, "column": 6,
                                     "end_line": 10, "end_column": 37, "text": "pcn.clinical_director_appointed",
                                     "true": 1, "false": 1, "unknown": 2}


def test_text_report_golden(in_root, capsys, update_golden):
    assert main(["test", "--coverage", "-v", "tests/coverage/scenarios"]) == 0
    check_golden(GOLDEN / "report.txt", capsys.readouterr().out, update_golden)


def test_min_coverage_exit_codes(in_root, capsys, tmp_path):
    assert main(["test", "--min-coverage", "80", "tests/coverage/scenarios"]) == 0
    assert "below" not in capsys.readouterr().err
    assert main(["test", "--min-coverage", "80.1", "tests/coverage/scenarios"]) == 1
    err = capsys.readouterr().err
    assert "rule coverage 80.0% (12 of 15 points) is below --min-coverage 80.1%" in err
    # a failing case fails the run whatever the coverage
    bad = tmp_path / "bad.yaml"
    text = (CASES / "cases.yaml").read_text(encoding="utf-8").replace("../rules", str(HERE / "rules"))
    bad.write_text(text.replace("{id: cov.size, outcome: fail}", "{id: cov.size, outcome: pass}"),
                   encoding="utf-8")
    assert main(["test", "--min-coverage", "0", str(bad)]) == 1
    # an invalid scenario is exit 2, not a coverage verdict
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("arrangement: {}\nexpect: {outcome: maybe}\n", encoding="utf-8")
    assert main(["test", "--min-coverage", "100", str(invalid)]) == 2
    capsys.readouterr()
    # P is a percentage; --coverage-format needs its FILE
    assert main(["test", "--min-coverage", "101", "tests/coverage/scenarios"]) == 2
    assert main(["test", "--coverage-format", "html", "tests/coverage/scenarios"]) == 2
    assert "give the FILE" in capsys.readouterr().err


def test_exact_share_is_compared_not_the_rounded_figure():
    assert figure(2, 3) == 66.6 and below(2, 3, 66.67) and not below(2, 3, 66.66)
    assert figure(0, 0) is None


def test_coverage_report_file_formats(in_root, tmp_path, capsys):
    for name, start in (("cov.json", "{"), ("cov.html", "<!doctype html>"), ("cov.txt", "Rule coverage: 80.0%")):
        target = tmp_path / name
        assert main(["test", "-q", "--coverage-report", str(target), "tests/coverage/scenarios"]) == 0
        assert target.read_text(encoding="utf-8").startswith(start)
    json_file = tmp_path / "as-json.html"
    assert main(["test", "-q", "--coverage-report", str(json_file), "--coverage-format", "json",
                 "tests/coverage/scenarios"]) == 0
    assert json.loads(json_file.read_text(encoding="utf-8"))["figure"] == 80.0
    # never over an input: the scenario file named as the report is refused, untouched
    before = (CASES / "cases.yaml").read_bytes()
    assert main(["test", "--coverage-report", str(CASES / "cases.yaml"), "tests/coverage/scenarios"]) == 2
    assert (CASES / "cases.yaml").read_bytes() == before
    capsys.readouterr()


HOSTILE = '''national contract hostile "<script>alert('t')</script> & co"
  effective 2024-04-01 to 2026-03-31

# </pre><script>alert("comment")</script>
requirement cov.hostile "Title <b>bold</b>"
  for pcn
  ref "§<i>1</i>"
  must pcn.code = "<img src=x onerror=alert(1)>"
'''


def test_html_escapes_hostile_rule_text(tmp_path, capsys):
    rules = tmp_path / "rules"
    (rules / "national").mkdir(parents=True)
    (rules / "national" / "facts.rules").write_text(
        (HERE / "rules" / "national" / "facts.rules").read_text(encoding="utf-8"), encoding="utf-8")
    (rules / "national" / "hostile.rules").write_text(HOSTILE, encoding="utf-8")
    case = tmp_path / "case.yaml"
    case.write_text(f"rules: {rules}\narrangement:\n  as_of: 2024-06-01\n  pcn: {{code: U1}}\n"
                    "expect:\n  results: [{id: cov.hostile, outcome: fail}]\n", encoding="utf-8")
    page = tmp_path / "cov.html"
    assert main(["test", "-q", "--coverage-report", str(page), str(case)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img" not in html and "<b>bold" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/pre&gt;&lt;script&gt;alert(&#34;comment&#34;)&lt;/script&gt;" in html
    # shaded as it ran: the requirement's line covered, its `must` partly (false, never true)
    assert re.search(r'class="line cov hit" title="requirement cov.hostile: pass 0, fail 1', html)
    assert re.search(r'class="line cov part" title="must of requirement cov.hostile: true 0, false 1', html)
    assert "http" not in html.replace("http-equiv", "")  # self-contained: nothing fetched
    row = re.search(r'<tr data-file="[^"]*hostile.rules">(.*?)</tr>', html).group(1)
    assert '<td class="requirements-run">1/1</td><td class="values-run">0/0</td><td class="ways">1/2</td>' in row
    assert "built-in method" not in html
    # the page's own style shades the lines and sets each on its own line
    assert ".cov.miss {" in html and "pre.source .line { display: block;" in html
    capsys.readouterr()


def test_coverage_off_adds_nothing_to_a_run(in_root):
    """Without a recorder: the engines evaluate through the chosen backend,
    and no evaluator has a recorder (coverage costs a normal run nothing)."""
    cache = EngineCache()
    run_scenarios(collect_scenario_files([CASES]), cache=cache)
    for engine in cache.engines.values():
        assert engine.coverage is None
        for runner, evaluator in engine._compiled.values():
            assert evaluator.recorder is None
            assert not isinstance(runner, ClosureRunner) or runner.compiler.probe is None


def test_why_after_the_run_is_not_counted(in_root):
    """A failing result's why, worked out after the loop over the same
    closures, leaves the counts as the loop made them."""
    recorder = Recorder()
    cache = EngineCache(recorder)
    run = run_scenarios(collect_scenario_files([CASES]), cache=cache)
    before = recorder.coverage().as_json()
    engine = next(iter(cache.engines.values()))
    arrangement = engine.load_arrangement("a.yaml", "as_of: 2025-06-01\npcn: {code: U2, raw_list_size: 5000, "
                                                    "adjusted_population: 5000, population_exception: none}\n")
    result = engine.evaluate(arrangement)
    failed = [r for r in result.results if r.id == "cov.size"][0]
    assert failed.outcome.value == "fail"
    after_run = recorder.coverage().as_json()
    assert after_run != before  # the evaluation itself is recorded
    assert "pcn.raw_list_size" in str(failed.why.as_json())  # its why, worked out now
    assert recorder.coverage().as_json() == after_run  # its why is not
    assert run.failed == 0
