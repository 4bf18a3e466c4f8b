"""typecheck.py: names, types and units, checked before anything runs."""

import pytest

from rules_engine import InvalidInput
from rules_engine.base import typesys as t
from rules_engine.static.load import library_sources, run_until
from rules_engine.base.source import SourceFile

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
    ("define x: bool = arrs_roles[gp].colour\n", "E-NAME-009"),
    ('table t by nokey\n  columns role: arrs_role\n  row gp\n', "E-NAME-008"),
])
def test_type_and_unit_errors(text, code):
    assert code in [c for c, _ in errors(text)]


def test_enum_members_resolve_against_the_other_side():
    check("define rural for pcn: bool = pcn.population_exception in {none, rural_remote}\n")
    assert ("E-TYPE-009", 2) in errors("define x for pcn: bool = pcn.population_exception = rurl\n")


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


# -- cycles and chains of reads (issue 9, defects 3 and 7) ----------------------

def diagnostics_of(*texts):
    sources = library_sources(GOLDEN / "fixture") + [
        SourceFile(f"x{i}.rules", text) for i, text in enumerate(texts)]
    with pytest.raises(InvalidInput) as raised:
        run_until("typecheck", sources)
    return raised.value.diagnostics


def test_a_parameter_that_reads_itself_is_a_cycle():
    found = diagnostics_of(HEAD + "parameter p: count = p + 1\n")
    assert [(d.code, d.span.line) for d in found] == [("E-NAME-003", 2)]
    assert "p -> p" in found[0].message and "parameters" in found[0].message


def test_two_parameters_naming_each_other_are_a_cycle_with_a_note_at_each_member():
    found = diagnostics_of(HEAD + "parameter a: count = b\nparameter b: count = a * 2\n")
    assert [(d.code, d.span.line) for d in found] == [("E-NAME-003", 2)]
    assert "a -> b -> a" in found[0].message
    assert [(r.span.line, r.message) for r in found[0].related] == [(3, "`b` reads `a`")]


def test_a_cycle_through_a_definition_and_a_parameter():
    found = diagnostics_of(HEAD + "parameter a: count = twice\ndefine twice: count = a * 2\n")
    assert [d.code for d in found] == ["E-NAME-003"]
    assert "definitions and parameters" in found[0].message
    assert "a -> twice -> a" in found[0].message


def test_a_local_vary_that_closes_a_cycle_is_reported_at_the_vary():
    national = ('national contract open "Open"\n'
                "parameter base: count = 3\n  flexible\n"
                "parameter double: count = base * 2\n")
    local = ('local layer l "L" for icb QXX extends open\n'
             'vary base = double + 1\n  because "local choice"\n')
    found = diagnostics_of(national, local)
    assert [(d.code, d.span.file, d.span.line) for d in found] == [("E-NAME-003", "x1.rules", 2)]
    assert "base -> double -> base" in found[0].message
    # the same vary by a literal is no cycle
    diagnostics_free = library_sources(GOLDEN / "fixture") + [
        SourceFile("x0.rules", national),
        SourceFile("x1.rules", local.replace("double + 1", "4"))]
    run_until("typecheck", diagnostics_free)


def chain(count: int) -> str:
    """`count` definitions, each reading the next."""
    lines = [f"define d{i}: count = d{i + 1} + 1" for i in range(count - 1)]
    return HEAD + "\n".join(lines) + f"\ndefine d{count - 1}: count = 1\n"


def test_a_chain_of_definitions_at_the_limit_passes_and_one_more_is_refused():
    from rules_engine.base import limits
    with limits.overridden(max_definition_chain=50):
        check(chain(50)[len(HEAD):])
        found = diagnostics_of(chain(51))
    assert [(d.code, d.span.line) for d in found] == [("E-LIMIT-005", 2)]
    assert "51 definitions" in found[0].message and "limit of 50" in found[0].message
    assert "max_definition_chain" in found[0].hint
    assert found[0].related[0].span.line == 52


def test_a_long_chain_of_definitions_is_measured_without_recursion():
    found = diagnostics_of(chain(5000))
    assert [d.code for d in found] == ["E-LIMIT-005"]


def test_a_long_cycle_is_found_without_recursion():
    lines = [f"define d{i}: count = d{(i + 1) % 3000} + 1" for i in range(3000)]
    found = diagnostics_of(HEAD + "\n".join(lines) + "\n")
    assert [d.code for d in found] == ["E-NAME-003"]


def test_check_with_a_parameter_cycle_exits_2_not_a_recursion_error(tmp_path, in_root):
    from rules_engine.cli import main
    library = tmp_path / "library"
    (library / "national").mkdir(parents=True)
    for path in (GOLDEN / "fixture" / "national").glob("*.rules"):
        (library / "national" / path.name).write_text(path.read_text())
    (library / "national" / "cycle.rules").write_text(
        'national contract cyc "Cycles"\n\nparameter p: count = p + 1\n'
        'requirement cyc.x "X"\n  must p > 0\n')
    arrangement = tmp_path / "a.yaml"
    arrangement.write_text("as_of: 2025-06-01\npcn:\n  code: U1\n")
    assert main(["check", "--rules", str(library), str(arrangement)]) == 2

@pytest.mark.parametrize("text", [
    "fact pcn.open_on_sundays: bool per week\n",
    "fact pcn.exception_kind: population_exception per patient\n",
    "fact pcn.opened: date per year\n",
    "parameter label: text per patient = \"x\"\n",
    "fact pcn.closures: list of date per week\n",
])
def test_per_on_a_type_without_a_unit_is_an_error(text):
    # Regression: `bool per week` (and `per` on text, dates and enumerations)
    # was accepted and the `per` silently dropped.
    assert ("E-UNIT-003", 2) in errors(text)


@pytest.mark.parametrize("text", [
    "fact pcn.rate: money per patient\n",
    "fact pcn.sessions: count per week\n",
    "parameter pace: minutes per week = 60 minutes / 1 weeks\n",
])
def test_per_on_a_quantity_is_allowed(text):
    check(text)


@pytest.mark.parametrize("text", [
    "define x for pcn: bool = pcn.population_exception = rurl\n",
    "define x for pcn: bool = pcn.population_exception in {none, rural}\n",
])
def test_a_name_that_is_not_a_member_of_the_enumeration_is_its_own_error(text):
    # Regression: this was E-NAME-001 ("unknown name"), and E-TYPE-009 was
    # registered but never reported.
    found = errors(text)
    assert [code for code, _ in found] == ["E-TYPE-009"]


def test_an_unknown_name_where_no_enumeration_is_expected_is_still_e_name_001():
    assert errors("define x for pcn: count = pcn.raw_list_size + nope\n") == [("E-NAME-001", 2)]
