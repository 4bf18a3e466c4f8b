"""typecheck.py: names, types and units, checked before anything runs."""

import pytest

from rules_engine import InvalidInput
from rules_engine import typesys as t
from rules_engine.pipeline import library_sources, run_until
from rules_engine.source import SourceFile

from conftest import GOLDEN

HEAD = 'national contract extra "E"\n'


def check(text):
    return run_until("typecheck", library_sources(GOLDEN / "fixture") + [SourceFile("x.rules", HEAD + text)])


def errors(text):
    with pytest.raises(InvalidInput) as raised:
        check(text)
    return [(d.code, d.span.line) for d in raised.value.diagnostics]


def test_units_multiply_and_divide():
    checked = check("define pay for pcn: money = pcn.adjusted_population * ea_rate\n"
                    "define per_point: money per point = £225.49 / 1 points\n"
                    "define value for pcn: money = 3 points * per_point\n")
    assert checked.term_types["pay"] == t.MONEY


@pytest.mark.parametrize("text, code", [
    ("define x for pcn: money = required_ea_minutes + £1\n", "E-UNIT-001"),
    ("define x for pcn: minutes = pcn.adjusted_population * ea_rate\n", "E-UNIT-001"),
    ("define x: money = min(£1, 3 minutes)\n", "E-UNIT-001"),
    ("define x: bool = 2025-04-01 < 3\n", "E-TYPE-002"),
    ("define x: date = 2025-04-01 + £3\n", "E-TYPE-001"),
    ("define x: bool = 1 and true\n", "E-TYPE-004"),
    ("define x: count = round(2.5)\n", "E-TYPE-005"),
    ("define x: count = round(2.5, 0.5)\n", "E-TYPE-005"),
    ("define x: bool = every d in 3: true\n", "E-TYPE-007"),
    ("define x: bool = 10:00 within 3\n", "E-TYPE-003"),
    ("define x for pcn: bool = pcn.code.length = 1\n", "E-TYPE-001"),
    ("define x: count = if true then 1 else £1\n", "E-UNIT-001"),
    ("define x: count = arrs_roles[gp, national]\n", "E-TYPE-005"),
    ("define x: bool = arrs_roles[gp].colour\n", "E-NAME-001"),
])
def test_type_and_unit_errors(text, code):
    assert code in [c for c, _ in errors(text)]


def test_enum_members_resolve_against_the_other_side():
    check("define rural for pcn: bool = pcn.population_exception in {none, rural_remote}\n")
    assert ("E-NAME-001", 2) in errors("define x for pcn: bool = pcn.population_exception = rurl\n")


def test_all_errors_of_a_file_are_reported_sorted():
    found = errors("define a: count = nope\ndefine b: money = 3 minutes\ndefine c: bool = zilch\n")
    assert [line for _, line in found] == sorted(line for _, line in found)
    assert len(found) == 3


def test_dates_add_months_and_days():
    check("define later: date = 2024-10-01 + 2 years\ndefine gap: days = 2025-01-01 - 2024-01-01\n")


def test_quantifiers_bind_their_variable():
    check("define ok for each practice: bool = every d in {mon, tue}: practice.core_hours[d] covers 08:00-18:30\n"
          "define n for pcn: count = count c in pcn.arrs_claims: c.role = gp\n"
          "define total for pcn: money = sum c in pcn.arrs_claims: c.annual_cost\n")


@pytest.mark.parametrize("text, code", [
    ("define x: minutes = length(08:00)\n", "E-TYPE-001"),
    ("define x: time = 08:00 + £1\n", "E-TYPE-001"),
    ("define x: bool = weekday(08:00) = mon\n", "E-TYPE-001"),
])
def test_time_function_errors(text, code):
    assert code in [c for c, _ in errors(text)]
