"""Population terms (issue 17, item 14): totals and counts over the
arrangements of an ICB or of a run, with their static checks, their Kleene
verdicts, and their results in `check --population` and `impact`."""

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner

from rules_engine.base.diagnostics import InvalidInput
from rules_engine.base.source import SourceFile
from rules_engine.base.values import Outcome
from rules_engine.cli import cli
from rules_engine.queries.lint import lint_sources
from rules_engine.run.population_totals import Group, judge
from rules_engine.static.load import default_sources
from rules_engine.static.population_terms import in_force
from rules_engine.syntax import nodes as n
from rules_engine.syntax.lower import lower

from conftest import ROOT

POPULATION = ROOT / "examples" / "population-quy.jsonl"
QUY = ROOT / "contracts" / "local" / "quy.rules"

HEAD = '''local layer qxx "Example ICB" for icb QXX
  extends gms
  effective 2025-04-01 to 2026-03-31

define qxx_funding for each practice: money = £1,000
  report qxx.funding "Scheme funding for the year"
'''


def national():
    return [s for s in default_sources() if s.path.startswith("contracts/national/")]


def lint(text: str):
    return lint_sources(national() + [SourceFile("proposal.rules", HEAD + text)])


def errors(text: str):
    with pytest.raises(InvalidInput) as raised:
        lint(text)
    return raised.value.diagnostics


def run(*args):
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def records(output: str, key: str):
    return [json.loads(line)[key] for line in output.splitlines() if line.startswith('{"' + key)]


# ---------------------------------------------------------------- the language

def test_a_population_term_lowers_to_its_node():
    source = SourceFile("x.rules", HEAD + '''
population qxx_fund "The scheme pays at most £50,000 across the ICB"
  across icb
  total qxx.funding
  between £1,000 and £50,000
  ref "Scheme, section 5"
  provisional "example figure"
''')
    lowered = lower(source)
    assert lowered.diagnostics == ()
    term = lowered.layer.declarations[-1]
    assert isinstance(term, n.PopulationDecl)
    assert (term.name, term.across, term.measure.kind, term.measure.term) == \
        ("qxx_fund", "icb", "total", "qxx.funding")
    assert (term.bound.kind, term.bound.low.value, term.bound.high.value) == \
        ("between", Decimal(1000), Decimal(50000))
    assert term.reference.text == "Scheme, section 5" and term.provisional.reason == "example figure"
    assert (term.across_span.line, term.across_span.column) == (9, 10)


def test_a_count_and_a_total_that_are_right_lint_clean():
    lint('''
population qxx_fund "Fund" across icb total qxx.funding at most £50,000
population qxx_short "Core hours" across all count gms.core-hours fail at most 3
''')


def test_a_requirement_that_reads_a_population_term_is_refused_at_the_name():
    (d,) = errors('''
population qxx_fund "Fund"
  across icb
  total qxx.funding
  at most £50,000

add requirement qxx.within "Within the fund"
  for each practice
  must qxx_fund <= £50,000
  because "The fund is the budget"
''')
    assert d.code == "E-POP-001"
    assert (d.span.line, d.span.column) == (15, 8)
    assert "the `must` of `qxx.within` reads `qxx_fund`" in d.message
    assert d.related[0].span.line == 9 and "across icb" in d.related[0].message
    assert "--population" in d.hint


@pytest.mark.parametrize("text, code, line, words", [
    ("across icb total qxx.fundng at most £50,000", "E-POP-002", 8, "did you mean `qxx.funding`?"),
    ("across icb count gms.core-hour fail at most 3", "E-POP-002", 8, "gms.core-hours"),
    ("across england total qxx.funding at most £50,000", "E-POP-003", 8, "`icb` or `all`"),
    ("across icb count gms.core-hours failing at most 3", "E-POP-003", 8, "`fail`"),
    ("across icb total qxx.funding at most 50000", "E-POP-003", 8, None),
    ("across icb count gms.core-hours fail at most £3", "E-POP-003", 8, None),
])
def test_a_wrong_population_term_is_a_located_error(text, code, line, words):
    (d,) = errors(f'\npopulation qxx_fund "Fund"\n  {text}\n'.replace("\n  across", "\nacross").replace(
        '"Fund"\nacross', '"Fund" across'))
    assert d.code == code and d.span.line == line
    if words:
        assert words in (d.hint or "") + d.message


def test_the_cli_says_where_and_exits_2(tmp_path):
    path = tmp_path / "proposal.rules"
    path.write_text(HEAD + '\npopulation qxx_fund "Fund"\n  across icb\n  total qxx.funding\n'
                    '  at most 50000\n', encoding="utf-8")
    code, output = run("lint", str(path))
    assert code == 2
    assert "proposal.rules:11:11: error[E-POP-003]" in output and "^^^^^" in output
    assert "what the term measures" in output


# ------------------------------------------------------------------ semantics

def _term(bound: str):
    source = SourceFile("x.rules", HEAD + f'\npopulation qxx_fund "Fund" across icb total qxx.funding {bound}\n')
    return lower(source).layer.declarations[-1]


class _Layer:
    name, file = "qxx", "x.rules"


def verdict(bound: str, known: str, unknown: int = 0, bad_lines: int = 0):
    group = Group(arrangements=4, members=4, known=Decimal(known), unknown=unknown, unit="GBP")
    return judge(_term(bound), _Layer(), "QXX", group, bad_lines)


@pytest.mark.parametrize("bound, known, unknown, bad, outcome", [
    ("at most £60,000", "60000", 0, 0, Outcome.PASS),      # the boundary holds
    ("at most £60,000", "60000.01", 0, 0, Outcome.FAIL),
    ("at most £60,000", "69000", 1, 0, Outcome.FAIL),       # the known part already exceeds it
    ("at most £60,000", "59200", 1, 0, Outcome.UNKNOWN),    # an unknown member could push it over
    ("at most £60,000", "10000", 0, 2, Outcome.UNKNOWN),    # bad lines may belong to it
    ("at most £60,000", "70000", 0, 2, Outcome.FAIL),
    ("at least £1,000", "1000", 3, 0, Outcome.PASS),        # reached, whatever the rest are
    ("at least £1,000", "999.99", 0, 0, Outcome.FAIL),
    ("at least £1,000", "999.99", 1, 0, Outcome.UNKNOWN),
    ("between £1,000 and £2,000", "1500", 0, 0, Outcome.PASS),
    ("between £1,000 and £2,000", "1500", 1, 0, Outcome.UNKNOWN),
    ("between £1,000 and £2,000", "2500", 1, 0, Outcome.FAIL),
    ("between £1,000 and £2,000", "500", 0, 0, Outcome.FAIL),
])
def test_kleene_verdicts(bound, known, unknown, bad, outcome):
    result = verdict(bound, known, unknown, bad)
    assert result.outcome is outcome, result.why
    assert result.partial is (bad > 0)
    assert (result.total is None) is (unknown > 0)
    assert result.known_total == Decimal(known)


def test_an_unknown_result_says_how_many_members_are_unknown():
    result = verdict("at most £60,000", "59200", 1)
    assert result.why == ("the known part is £59,200.00, but 1 of the 4 members is unknown: "
                          "over 4 arrangements of ICB QXX (4 members)")


# --------------------------------------------------------------- shipped use

def test_the_quy_fund_is_in_force_for_quy_on_its_dates():
    from rules_engine.run.engine import Engine
    library = Engine.load().library
    assert [f.term.name for f in in_force(library, ["gms", "quy"], __import__("datetime").date(2025, 11, 3))] \
        == ["quy_support_fund"]
    assert in_force(library, ["gms", "quy"], __import__("datetime").date(2026, 4, 1)) == ()


def test_check_population_judges_the_fund_with_its_provenance(in_root):
    code, output = run("check", "--population", str(POPULATION), "--format", "json", "--line", "full")
    assert code == 1  # the fund is overspent: a failing population term
    lines = output.splitlines()
    (record,) = records(output, "population_term")
    assert lines[-2].startswith('{"population_term"') and lines[-1].startswith('{"summary"')
    assert record["id"] == "quy_support_fund" and record["outcome"] == "fail"
    assert (record["layer"], record["file"], record["line"]) == ("quy", "contracts/local/quy.rules", 92)
    assert (record["across"], record["group"], record["bound"]) == ("icb", "QUY", "at most £60,000")
    assert record["known_total"] == "69000.00" and record["total"] is None
    assert (record["arrangements"], record["members"], record["unknown_members"]) == (5, 5, 1)
    assert record["missing"] == {"practices[0].support.plan_agreed": 1}
    assert record["provisional"].startswith("example figure")
    values = {v["subject"]: v["value"] for v in record["values"]}
    assert values == {"practice:L81101": "16000.00", "practice:L81102": "30000.00",
                      "practice:L81103": "23000.00", "practice:L81104": None,
                      "practice:L81105": "0.00"}
    assert sum(Decimal(v) for v in values.values() if v) == Decimal(record["known_total"])
    (summary,) = records(output, "summary")
    assert summary["population_terms"] == {"fail": 1}


def test_the_lean_line_lists_no_members(in_root):
    _, output = run("check", "--population", str(POPULATION), "--format", "json")
    (record,) = records(output, "population_term")
    assert "values" not in record and record["known_total"] == "69000.00"


def test_a_population_without_the_overspend_is_unknown_then_passes(tmp_path, in_root):
    lines = POPULATION.read_text(encoding="utf-8").splitlines()
    without_l81102 = tmp_path / "part.jsonl"
    without_l81102.write_text("\n".join(l for l in lines if "L81102" not in l) + "\n", encoding="utf-8")
    _, output = run("check", "--population", str(without_l81102), "--format", "json")
    (record,) = records(output, "population_term")
    assert (record["outcome"], record["known_total"], record["arrangements"]) == ("unknown", "39000.00", 4)
    all_known = tmp_path / "known.jsonl"
    all_known.write_text("\n".join(l for l in lines if "L81102" not in l and "L81104" not in l) + "\n",
                         encoding="utf-8")
    code, output = run("check", "--population", str(all_known), "--format", "json")
    (record,) = records(output, "population_term")
    assert (record["outcome"], record["total"], record["partial"]) == ("pass", "39000.00", False)
    # a bad line could be one of the ICB's practices: the pass becomes unknown, and says so
    all_known.write_text(all_known.read_text(encoding="utf-8") + '{"icb": "QUY", "practices": 3}\n',
                         encoding="utf-8")
    _, output = run("check", "--population", str(all_known), "--format", "json")
    (record,) = records(output, "population_term")
    assert (record["outcome"], record["partial"]) == ("unknown", True)
    assert "1 bad line of the run could not be read" in record["why"]


def test_text_and_html_show_the_term(in_root):
    code, output = run("check", "--population", str(POPULATION))
    assert code == 1
    assert "population quy_support_fund [quy, across icb QUY]: fail (provisional)" in output
    assert "the known part, £69,000.00, is already above £60,000.00" in output
    assert "unknown members miss: practices[0].support.plan_agreed (1)" in output
    _, page = run("check", "--population", str(POPULATION), "--format", "html")
    assert 'id="population-terms-table"' in page and 'data-id="quy_support_fund"' in page
    assert "values summed" in page


def test_impact_judges_the_fund_before_and_after(tmp_path, in_root):
    proposal = tmp_path / "quy-2.rules"
    proposal.write_text(QUY.read_text(encoding="utf-8").replace("£2.50", "£2.00"), encoding="utf-8")
    _, output = run("impact", "--population", str(POPULATION), "--variation", str(QUY),
                    "--format", "json")
    summary = json.loads(output.splitlines()[-1])["summary"]
    (term,) = summary["population_terms"]
    assert term["before"] is None and term["after"]["outcome"] == "fail"
    _, output = run("impact", "--population", str(POPULATION), "--variation", str(proposal),
                    "--format", "json")
    (term,) = json.loads(output.splitlines()[-1])["summary"]["population_terms"]
    # 6,400 x £2 + min(14,000 x £2, £30,000) + 9,200 x £2 + £0, one practice unknown
    assert term["after"]["known_total"] == str(Decimal("12800") + 28000 + 18400) + ".00"
    assert term["after"]["outcome"] == "unknown"
    _, text = run("impact", "--population", str(POPULATION), "--variation", str(proposal))
    assert "Population term quy_support_fund (across QUY): not in force -> unknown (provisional)" \
        in " ".join(text.split())


def test_the_language_server_publishes_the_command_lines_error(tmp_path):
    from rules_engine.lsp.analysis import analyse
    text = HEAD + ('\npopulation qxx_fund "Fund" across icb total qxx.funding at most £50,000\n'
                   'add requirement qxx.within "Within" for each practice must qxx_fund <= £1\n'
                   '  because "b"\n')
    path = str(tmp_path / "proposal.rules")
    (tmp_path / "proposal.rules").write_text(text, encoding="utf-8")
    analysis = analyse(path, {path: text})
    assert [(d.code, d.span.line) for d in analysis.diagnostics] == [("E-POP-001", 9)]


def test_explaining_a_population_term_for_one_arrangement_is_a_located_error(in_root):
    code, output = run("explain", "quy_support_fund", "--arrangement", "examples/practice-quy-support.yaml")
    assert code == 2
    assert "contracts/local/quy.rules:93:10: error[E-POP-001]" in output
    assert "total quy.support-funding" in output and "--population" in output


def test_the_records_are_the_same_with_worker_processes(in_root):
    one = run("check", "--population", str(POPULATION), "--format", "json", "--line", "full")
    two = run("check", "--population", str(POPULATION), "--format", "json", "--line", "full", "--jobs", "2")
    assert one == two and '"population_term"' in one[1]


def test_a_one_arrangement_check_says_which_population_term_it_leaves_out(in_root):
    """`check FILE` never decides a population term, and says so on stderr
    (its report and exit code are those of the arrangement's own terms)."""
    runner = CliRunner()
    quy = runner.invoke(cli, ["check", "examples/practice-quy-support.yaml"])
    assert quy.exit_code == 0
    assert ("population term `quy_support_fund` (quy, contracts/local/quy.rules) is decided "
            "across the ICB, not for one arrangement: not evaluated here") in " ".join(quy.stderr.split())
    assert "quy_support_fund" not in quy.stdout
    elsewhere = runner.invoke(cli, ["check", "examples/pcn-passing.yaml"])
    assert "population term" not in elsewhere.stderr
