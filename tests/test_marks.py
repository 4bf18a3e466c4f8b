"""Provisional marks reach every number that reads a provisional term (marks.py)."""

import rules_engine
from rules_engine.schema import load_arrangement


def _check(engine, path):
    return engine.evaluate(load_arrangement(engine.library.schema, path))


def test_a_qof_points_value_inherits_the_thresholds_mark(engine):
    result = _check(engine, "examples/practice-no-pcn.yaml")
    points = result.value("qof.points.HYP008", "practice:H85099")
    assert points.provisional is not None
    assert "table qof_thresholds: 2025/26 thresholds come from a third-party lookup tool" in points.provisional
    # deduplicated: the indicators table is read on several paths, named once
    assert points.provisional.count("table qof_indicators:") == 1


def test_a_value_reading_nothing_provisional_has_no_mark(engine):
    result = _check(engine, "examples/practice-no-pcn.yaml")
    assert result.value("pay.global-sum", "practice:H85099").provisional is None


def test_a_payment_inherits_its_rate_s_mark(engine):
    result = _check(engine, "examples/pcn-2025-26.yaml")
    casp = result.value("pay.casp")
    assert casp.provisional.startswith("parameter casp_per_patient:")


def test_a_requirement_inherits_the_marks_of_the_definitions_it_reads(engine):
    result = _check(engine, "examples/pcn-2025-26.yaml")
    cap = result.result("des.arrs.role-cap")
    assert "table arrs_caps: whether the digital and transformation lead cap" in cap.provisional
    eligible = result.result("des.arrs.eligible-role")
    assert eligible.provisional.startswith("requirement des.arrs.eligible-role: the primer dates")


def test_the_catalogue_names_what_each_qof_points_value_inherits(engine):
    """docs/national-library.md: every QOF points value is provisional, with
    the terms whose marks it carries (thresholds from a third-party tool [T])."""
    from rules_engine.catalogue import inherited_marks, render_catalogue
    inherited = inherited_marks(engine)
    assert "table qof_thresholds" in inherited["qof_points"]
    assert "table qof_indicators" in inherited["qof_points"]
    assert "parameter qof_national_average_list_size" in inherited["qof_payment"]
    # reads nothing provisional: only the 2026/27 carry-forward of the payments layer marks it
    assert all("carried into 2026/27" in source for source in inherited.get("gross_global_sum", ()))
    line = next(l for l in render_catalogue(engine, {}).splitlines() if l.startswith("| `qof.points.{code}`"))
    assert "inherits: " in line and "table qof_thresholds" in line


def test_explain_shows_the_marks_of_the_value(engine, in_root):
    from rules_engine.explain import explain, render_explanation
    arrangement = engine.load_arrangement("examples/pcn-2025-26-passing.yaml")
    (explanation,) = explain(engine, arrangement, "qof.points.HYP008", "practice:G82001", None)
    assert "table qof_thresholds: 2025/26 thresholds come from a third-party lookup tool" in \
        explanation.provisional
    text = render_explanation([explanation])
    assert "  provisional: " in text and "[T S35]" in text
    assert explanation.as_json()["provisional"] == explanation.provisional
