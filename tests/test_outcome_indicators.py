"""QOF indicators as one construct: national rows and local outcome rows are
scored by the same national definitions (contracts/national/qof.rules):
`scoring` (attainment or improvement on a baseline), the small-number rule
(`min_denominator`), thresholds, points and pounds.

A local row is added here through a copy of the shipped national library
whose QOF tables are opened to local rows, so that these tests exercise the
national definitions themselves, independently of which envelope permits a
local indicator (that is vary-check's business)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from rules_engine.run.engine import Engine
from rules_engine.static.load import library_sources, run_until
from rules_engine.base.source import SourceFile

from conftest import ROOT

LOCAL = '''local layer qtest "Outcome indicator test ICB" for icb QTS
  extends qof
  effective 2025-04-01 to 2026-03-31

add to qof_indicators
  row "LTS001" | "DM" | clinical | 15 points | true | false | false | improvement | 30 | 2025-04-01 | 2026-03-31
  because "test: a diabetes outcome indicator scored on improvement"

add to qof_indicators
  row "LTS002" | "DM" | clinical | 10 points | false | false | false | attainment | 50 | 2025-04-01 | 2026-03-31
  because "test: an attainment indicator with a small-number rule"

add to qof_thresholds
  row "LTS001" | 0% | 10% | 2025-04-01 | 2026-03-31
  because "test: points from no improvement to ten percentage points"

add to qof_thresholds
  row "LTS002" | 40% | 90% | 2025-04-01 | 2026-03-31
  because "test"
'''


def _opened_qof(text: str) -> str:
    """The shipped qof.rules with both tables open to local rows (unless
    the shipped file already opens them)."""
    for table in ("table qof_indicators", "table qof_thresholds"):
        start = text.index(table)
        columns = text.index("  columns", start)
        text = text[:columns] + "  extensible\n" + text[columns:]
    return text


@pytest.fixture(scope="module")
def engine() -> Engine:
    sources = []
    for source in library_sources(None):
        if not source.path.startswith("contracts/national/"):
            continue
        if source.path.endswith("qof.rules"):
            source = SourceFile(source.path, _opened_qof(source.text))
        sources.append(source)
    sources.append(SourceFile("qtest.rules", LOCAL))
    return Engine(run_until("typecheck", sources))


def evaluate(engine, indicators: str, as_of="2025-06-02", extra=""):
    text = (f"as_of: {as_of}\nicb: QTS\npractices:\n  - ods_code: T00001\n"
            f"    list_size: 10000\n{extra}    qof:\n      indicators:\n{indicators}"
            f"      prevalence:\n        DM: {{practice: 0.07, national: 0.07}}\n")
    return engine.evaluate(engine.load_arrangement("a.yaml", text))


def points(result, code):
    return result.value(f"qof.points.{code}").value


@pytest.mark.parametrize("baseline, achievement, expected", [
    (0.60, 0.60, Decimal(0)),        # no improvement: the lower threshold, 0 points
    (0.60, 0.55, Decimal(0)),        # worse than the baseline: 0, never negative
    (0.60, 0.65, Decimal("7.5")),    # 5 of 10 points of improvement: half the 15 points
    (0.60, 0.70, Decimal(15)),       # 10 points better: the upper threshold, all points
    (0.60, 0.80, Decimal(15)),       # beyond the upper: capped
    (0.20, 0.29, Decimal("13.5")),   # the improvement counts, not the level reached
])
def test_improvement_scoring(engine, baseline, achievement, expected):
    result = evaluate(engine, f"        LTS001: {{achievement: {achievement}, baseline: {baseline}, "
                              f"denominator: 200, pcas: 0}}\n")
    assert points(result, "LTS001") == expected


def test_improvement_needs_the_baseline(engine):
    value = evaluate(engine, "        LTS001: {achievement: 0.7, denominator: 200, pcas: 0}\n"
                     ).value("qof.points.LTS001")
    assert value.value is None
    assert any("baseline" in m for m in value.missing)


@pytest.mark.parametrize("denominator, pcas, expected", [
    (30, 0, Decimal(15)),    # exactly the minimum of 30: scored
    (29, 0, Decimal(0)),     # one below: no points
    (35, 6, Decimal(0)),     # 35 less 6 PCAs = 29: below after PCAs
    (36, 6, Decimal(15)),    # 30 after PCAs: scored
])
def test_small_number_rule(engine, denominator, pcas, expected):
    numerator = denominator - pcas  # everyone eligible meets the standard: 100%
    result = evaluate(engine, f"        LTS001: {{numerator: {numerator}, denominator: {denominator}, "
                              f"pcas: {pcas}, baseline: 0.5}}\n")
    assert points(result, "LTS001") == expected


def test_small_number_rule_on_an_attainment_indicator(engine):
    # LTS002: minimum 50, thresholds 40-90%, 10 points; 65% is half way.
    scored = evaluate(engine, "        LTS002: {numerator: 65, denominator: 100, pcas: 0}\n")
    assert points(scored, "LTS002") == Decimal(5)
    small = evaluate(engine, "        LTS002: {numerator: 49, denominator: 49, pcas: 0}\n")
    assert points(small, "LTS002") == Decimal(0)
    at_minimum = evaluate(engine, "        LTS002: {numerator: 50, denominator: 50, pcas: 0}\n")
    assert points(at_minimum, "LTS002") == Decimal(10)


def test_small_number_rule_needs_the_denominator(engine):
    value = evaluate(engine, "        LTS002: {achievement: 0.9}\n").value("qof.points.LTS002")
    assert value.value is None
    assert any("denominator" in m for m in value.missing)


def test_national_indicators_have_no_minimum(engine):
    # DM012 has min_denominator 0: a denominator of 1 still scores, and an
    # indicator given only as an achievement needs no denominator.
    tiny = evaluate(engine, "        DM012: {numerator: 1, denominator: 1, pcas: 0}\n")
    assert points(tiny, "DM012") == Decimal(4)
    direct = evaluate(engine, "        DM012: {achievement: 0.9}\n")
    assert points(direct, "DM012") == Decimal(4)


def test_local_points_are_paid_by_the_national_rules(engine):
    # 2025/26 has no national average list size, so pounds are unknown; the
    # payment of a local indicator goes through qof_indicator_payment like
    # any other, and 2024/25's figures price it: see the next test.
    result = evaluate(engine, "        LTS001: {achievement: 0.7, baseline: 0.6, denominator: 200, pcas: 0}\n")
    payment = result.value("qof.payment")
    assert payment.value is None
    assert any("qof_national_average_list_size" in m for m in payment.missing)


def test_local_points_to_pounds_2024_25():
    """15 points x £220.62 x 9,964 / 9,964 x prevalence 1 = £3,309.30."""
    local = LOCAL.replace("2025-04-01", "2024-04-01").replace("2026-03-31", "2025-03-31")
    sources = []
    for source in library_sources(None):
        if not source.path.startswith("contracts/national/"):
            continue
        if source.path.endswith("qof.rules"):
            source = SourceFile(source.path, _opened_qof(source.text))
        sources.append(source)
    engine = Engine(run_until("typecheck", sources + [SourceFile("qtest.rules", local)]))
    text = ("as_of: 2024-06-03\nicb: QTS\npractices:\n  - ods_code: T00002\n    list_size: 9964\n"
            "    qof:\n      indicators:\n"
            "        LTS001: {achievement: 0.72, baseline: 0.6, denominator: 200, pcas: 0}\n"
            "      prevalence:\n        DM: {practice: 0.07, national: 0.07}\n")
    result = engine.evaluate(engine.load_arrangement("a.yaml", text))
    assert result.value("qof.points.LTS001").value == Decimal(15)
    assert result.value("qof.payment").value == Decimal("3309.30")


def test_every_national_row_declares_attainment_and_no_minimum():
    text = (ROOT / "contracts" / "national" / "qof.rules").read_text(encoding="utf-8")
    table = text[text.index("table qof_indicators"):text.index("table qof_thresholds")]
    rows = [line for line in table.splitlines() if line.lstrip().startswith("row ")]
    assert len(rows) == 228
    assert all("| attainment | 0 |" in row for row in rows)
