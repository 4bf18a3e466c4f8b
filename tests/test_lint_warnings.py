"""`lint` warnings (rules_engine/queries/lint_warnings.py): W-MONEY-001, money
that becomes £0 when a fact is unknown."""

import json

import pytest
from click.testing import CliRunner

from rules_engine.base.source import SourceFile
from rules_engine.cli import cli
from rules_engine.queries.lint import lint_paths, lint_sources

HEAD = '''national contract support "Support funding"
  effective 2025-04-01 to 2026-03-31
subject practice is each practices keyed by ods_code
fact practices[].ods_code: text required
fact practices[].plan_agreed: date
fact practices[].on_pathway: bool
'''


def warnings_of(body: str):
    """The W-MONEY-001 warnings (the body's definitions are read by nothing:
    W-UNUSED-003 has its own tests)."""
    return [w for w in lint_sources([SourceFile("support.rules", HEAD + body)]).warnings
            if w.code == "W-MONEY-001"]


@pytest.mark.parametrize("body, line", [
    # known(X) a conjunct, £0 in the else
    ("define f for each practice: money =\n"
     "    if practice.on_pathway and known(practice.plan_agreed) then £5 else £0\n", 8),
    # not known(X) a disjunct, £0 in the then
    ("define f for each practice: money =\n"
     "    if not known(practice.plan_agreed) or not practice.on_pathway then £0 else £5\n", 8),
    # nested in another branch
    ("define f for each practice: money =\n"
     "    if practice.on_pathway then (if known(practice.plan_agreed) then £5 else £0) else £1\n", 8),
])
def test_money_that_is_zero_when_a_fact_is_unknown_is_a_warning(body, line):
    (warning,) = warnings_of(body)
    assert (warning.code, warning.severity, warning.span.line) == ("W-MONEY-001", "warning", line)
    assert "`f` is £0 when `practice.plan_agreed` is unknown" in warning.message


@pytest.mark.parametrize("body", [
    # the fact tested itself: unknown makes the value unknown
    "define f for each practice: money =\n"
    "    if practice.plan_agreed <= as_of then £5 else £0\n",
    # known(X) but the else is not £0
    "define f for each practice: money =\n"
    "    if known(practice.plan_agreed) then £5 else £1\n",
    # known(X) negated in a conjunct: an unknown X takes the then, £5
    "define f for each practice: money =\n"
    "    if not known(practice.plan_agreed) and practice.on_pathway then £5 else £0\n",
    # not money
    "define f for each practice: number =\n"
    "    if known(practice.plan_agreed) then 5 else 0\n",
])
def test_no_warning_where_an_unknown_fact_does_not_give_zero_money(body):
    assert warnings_of(body) == []


def test_the_shipped_library_has_no_money_that_is_zero_when_a_fact_is_unknown():
    assert lint_paths([]).warnings == ()


def test_a_warning_leaves_the_exit_code_0_and_is_in_the_json(tmp_path):
    path = tmp_path / "support.rules"
    path.write_text(HEAD + "define f for each practice: money =\n"
                    "    if known(practice.plan_agreed) then £5 else £0\n"
                    "  report x.f \"F\"\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["lint", str(path)])
    assert result.exit_code == 0
    assert "no errors, 1 warning" in result.output and "warning[W-MONEY-001]" in result.output
    assert "   8 |     if known(practice.plan_agreed) then £5 else £0" in result.output
    result = CliRunner().invoke(cli, ["lint", "--format", "json", str(path)])
    assert result.exit_code == 0
    (diagnostic,) = json.loads(result.output)["diagnostics"]
    assert (diagnostic["code"], diagnostic["severity"], diagnostic["span"]["line"]) == \
        ("W-MONEY-001", "warning", 8)
