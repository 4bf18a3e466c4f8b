"""Provisional marks reach every number that reads a provisional term (marks.py)."""

from decimal import Decimal

import rules_engine
from rules_engine.io.arrangements import load_arrangement


def _check(engine, path):
    return engine.evaluate(load_arrangement(engine.library.schema, path))


def test_a_qof_points_value_inherits_the_thresholds_mark(engine):
    result = _check(engine, "examples/practice-no-pcn.yaml")
    points = result.value("qof.points.HYP008", "practice:H85099")
    assert points.provisional is not None
    assert "table qof_thresholds (rows 2025-04-01 to 2026-03-31): 2025/26 thresholds come from a third-party lookup tool" in points.provisional
    # deduplicated: the indicators table is read on several paths, named once
    assert points.provisional.count("table qof_indicators:") == 1


def test_a_value_reading_nothing_provisional_has_no_mark(engine):
    result = _check(engine, "examples/practice-no-pcn.yaml")
    assert result.value("pay.global-sum", "practice:H85099").provisional is None


def test_a_payment_inherits_its_rate_s_mark(engine):
    result = _check(engine, "examples/pcn-2025-26.yaml")
    fee = result.value("pay.weight-management", subject="practice:N86001")
    assert fee.value == Decimal("575.00")
    assert fee.provisional.startswith("parameter weight_management_fee: the primer gives £11.50")


def test_a_rate_the_sources_give_for_the_year_carries_no_mark_of_another_year(engine):
    # Before: pay.casp, pay.arrs-sum, pay.enhanced-access and pay.care-home-premium
    # of 2025/26 were marked "2023/24 rate not found: no value"; a year the
    # sources lack is now `= unknown` (or has no value), not a mark on every year.
    result = _check(engine, "examples/pcn-2025-26.yaml")
    for value_id in ("pay.casp", "pay.arrs-sum", "pay.enhanced-access", "pay.care-home-premium"):
        value = result.value(value_id)
        assert value.value is not None and not value.provisional, value_id


def test_a_requirement_inherits_the_marks_of_the_definitions_it_reads(engine):
    result = _check(engine, "examples/pcn-2025-26.yaml")
    cap = result.result("des.arrs.role-cap")
    assert "table arrs_caps: whether the digital and transformation lead cap" in cap.provisional
    eligible = result.result("des.arrs.eligible-role")
    assert eligible.provisional.startswith("requirement des.arrs.eligible-role: the primer dates")


def test_the_catalogue_names_what_each_qof_points_value_inherits(engine):
    """docs/national-library.md: every QOF points value is provisional, with
    the terms whose marks it carries (thresholds from a third-party tool [T])."""
    from tools.catalogue import inherited_marks, render_catalogue
    inherited = inherited_marks(engine)
    assert "table qof_thresholds" in inherited["qof_points"]
    assert "table qof_indicators" in inherited["qof_points"]
    assert "parameter qof_national_average_list_size" in inherited["qof_payment"]
    # reads nothing provisional: only the 2026/27 carry-forward of the payments layer marks it
    assert all("carried into 2026/27" in source for source in inherited.get("gross_global_sum", ()))
    line = next(l for l in render_catalogue(engine, {}).splitlines() if l.startswith("| `qof.points.{code}`"))
    assert "inherits: " in line and "table qof_thresholds" in line


def test_explain_shows_the_marks_of_the_value(engine, in_root):
    from rules_engine.run.explain import explain, render_explanation
    arrangement = engine.load_arrangement("examples/pcn-2025-26-passing.yaml")
    (explanation,) = explain(engine, arrangement, "qof.points.HYP008", "practice:G82001", None)
    assert "table qof_thresholds (rows 2025-04-01 to 2026-03-31): 2025/26 thresholds come from a third-party lookup tool" in \
        explanation.provisional
    text = render_explanation([explanation])
    assert "  provisional: " in text and "[T S35]" in text
    assert explanation.as_json()["provisional"] == explanation.provisional


def _qof(engine, as_of, codes):
    from rules_engine.api import arrangement_from_dict
    facts = {"as_of": as_of, "practices": [{"ods_code": "P1", "list_size": 10000, "qof": {
        "indicators": {code: {"achievement": 0.6} for code in codes}}}]}
    return engine.evaluate(arrangement_from_dict(engine, facts))


def test_a_row_mark_reaches_only_the_values_that_read_that_row(engine):
    """`provisional "..." rows "DM022", "DM023", "AST011" of 2024/25` marks
    qof.points.DM022 (its code's row is read, worked out when the code is met)
    and not qof.points.HYP008 of the same practice."""
    result = _qof(engine, "2024-06-01", ["DM022", "HYP008"])
    dm022 = result.value("qof.points.DM022").provisional
    hyp008 = result.value("qof.points.HYP008").provisional
    assert "rows DM022, DM023, AST011 of 2024-04-01 to 2025-03-31" in dm022
    assert "DM022, DM023, AST011" not in hyp008
    # the table's own (unscoped) mark is on both
    assert "prevalence weighting per indicator is derived" in hyp008


def test_a_row_mark_of_another_year_does_not_reach_this_year(engine):
    """The 2025/26 thresholds are [T]: every 2025/26 points value carries it, a
    2023/24 one does not (its rows are another year's)."""
    now = _qof(engine, "2025-06-01", ["HYP008"]).value("qof.points.HYP008").provisional
    assert "table qof_thresholds (rows 2025-04-01 to 2026-03-31): 2025/26 thresholds come from a " \
           "third-party lookup tool [T S35]" in now
    assert "2025/26 codes and points come from a third-party lookup tool [T S35]" in now
    before = _qof(engine, "2023-06-01", ["CHOL001"]).value("qof.points.CHOL001").provisional
    assert "[T S35]" not in before
    assert "2023/24 thresholds were found only for CHOL001" in before


def test_every_qof_points_value_is_marked_with_the_thresholds_reason(engine, in_root):
    result = engine.evaluate(engine.load_arrangement("examples/pcn-2025-26-passing.yaml"))
    points = [v for v in result.values if v.id.startswith("qof.points.")]
    assert points
    for value in points:
        assert "table qof_thresholds (rows 2025-04-01 to 2026-03-31)" in value.provisional, value.id
        assert value.provisional.count("table qof_thresholds") == 1  # deduplicated


def test_row_marks_in_a_rule_file(tmp_path):
    from rules_engine.queries.lint import lint_sources
    from rules_engine.base.source import SourceFile
    text = ('national contract x "X"\n  effective 2024-04-01 to 2026-03-31\n'
            'table t by code "T"\n'
            '  provisional "from a tool" rows of 2025-04-01 to 2026-03-31\n'
            '  provisional "two codes" rows "A", "B"\n'
            '  columns code: text | v: count | from | to\n'
            '  row "A" | 1 | 2025-04-01 | 2026-03-31\n')
    result = lint_sources([SourceFile("x.rules", text)])
    reasons = [p.reason for p in result.provisional]
    assert reasons == ["rows 2025-04-01 to 2026-03-31: from a tool", "rows A, B: two codes"]
