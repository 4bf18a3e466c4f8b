"""library.py and layers.py: layers, flexibility, which form is in force when."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from rules_engine import InvalidInput
from rules_engine.program.layers import local_layer_for, select
from rules_engine.static.forms import contract_year
from rules_engine.static.load import library_sources, run_until
from rules_engine.base.source import SourceFile

from conftest import GOLDEN, examples

LOCAL = 'local layer l "Local" for icb QXX extends des\n'


def checked_with(*texts):
    sources = library_sources(GOLDEN / "fixture") + [
        SourceFile(f"extra{i}.rules", text) for i, text in enumerate(texts)]
    return run_until("typecheck", sources)


def codes_of(*texts):
    with pytest.raises(InvalidInput) as raised:
        checked_with(*texts)
    return [d.code for d in raised.value.diagnostics]


def test_dated_parameter_values_follow_the_date():
    checked = checked_with()
    before = select(checked, dt.date(2025, 3, 31))
    after = select(checked, dt.date(2025, 4, 1))
    assert before.parameters["ea_rate"].value.value == Decimal("7.975")
    assert after.parameters["ea_rate"].value.value == Decimal("8.427")


def test_no_contract_in_force_is_a_clear_error():
    with pytest.raises(InvalidInput) as raised:
        select(checked_with(), dt.date(2020, 1, 1))
    (d,) = raised.value.diagnostics
    assert d.code == "E-LAYER-011" and "2024-04-01" in d.hint


def test_vary_within_bounds_records_provenance():
    checked = checked_with(LOCAL + 'vary min_pcn_population = 25000 because "rural"\n')
    local = checked.library.local_layer("l")
    program = select(checked, dt.date(2025, 6, 1), local)
    requirement = next(r for r in program.requirements if r.id == "des.pcn.minimum-population")
    assert requirement.provenance.flexibility == "varied"
    assert requirement.provenance.layer == "l"
    assert requirement.provenance.because == "rural"
    assert requirement.provenance.national == {"min_pcn_population": 30000}
    untouched = next(r for r in program.requirements if r.id == "des.pcn.clinical-director")
    assert untouched.provenance.flexibility == "locked"
    waivable = next(r for r in program.requirements if r.id == "des.ea.standard-hours")
    assert waivable.provenance.flexibility == "flexible-unused"


@pytest.mark.parametrize("text, code", [
    (LOCAL + 'vary min_pcn_population = 19999 because "x"\n', "E-LAYER-001"),
    (LOCAL + 'vary min_pcn_population = 30001 because "x"\n', "E-LAYER-001"),
    (LOCAL + 'vary ea_minutes_per_1000 = 59 minutes because "x"\n', "E-LAYER-001"),
    (LOCAL + 'vary ea_rate = £9 because "x"\n', "E-LAYER-002"),
    (LOCAL + 'waive des.pcn.clinical-director because "x"\n', "E-LAYER-003"),
    (LOCAL + 'vary min_pcn_pop = 25000 because "x"\n', "E-LAYER-004"),
    (LOCAL + 'waive des.ea.standard-hours\n', "E-LAYER-005"),
    (LOCAL + 'parameter ea_rate: money = £1\n', "E-LAYER-006"),
    (LOCAL + 'replace requirement des.ea.capacity "X"\n  must true\n  because "x"\n', "E-LAYER-008"),
    (LOCAL + 'add to arrs_roles row gp | 2025-01-01 | \n  because "x"\n', "E-LAYER-010"),
    ('local layer m "M" for icb Q extends nothing\n', "E-LAYER-009"),
    ('local layer des "Clash" for icb Q extends des\n', "E-LAYER-012"),
])
def test_forbidden_variations(text, code):
    assert code in codes_of(text)


def test_forbidden_variation_notes_the_national_term_and_clause():
    with pytest.raises(InvalidInput) as raised:
        checked_with(LOCAL + 'vary min_pcn_population = 1 because "x"\n')
    (d,) = raised.value.diagnostics
    (note,) = d.related
    assert note.span.file.endswith("des.rules")
    assert "flexible between 20000 and 30000" in note.message and "§4.1.1" in note.message


def test_two_forms_in_force_on_one_date_are_an_error():
    text = ('national contract extra "E" effective 2025-04-01\n'
            'parameter x: count = 1\n  effective 2025-04-01 to 2025-12-31\n'
            'parameter x: count = 2\n  effective 2025-10-01\n')
    assert "E-LAYER-007" in codes_of(text)


def test_forms_with_separate_periods_are_chosen_by_date():
    text = ('national contract extra "E" effective 2023-04-01\n'
            'parameter cap: count = 3\n  effective 2023-04-01 to 2024-03-31\n'
            'parameter cap: count = 6\n  effective 2024-04-01\n')
    checked = checked_with(text)
    assert select(checked, dt.date(2024, 6, 1)).parameters["cap"].value.value == 6


def test_local_layer_is_chosen_by_icb_and_date():
    checked = checked_with('local layer l "L" for icb QZZ extends des effective 2025-04-01\n')
    library = checked.library
    assert local_layer_for(library, "QZZ", dt.date(2025, 6, 1)).name == "l"
    assert local_layer_for(library, "QZZ", dt.date(2024, 6, 1)) is None
    assert local_layer_for(library, "QAB", dt.date(2025, 6, 1)) is None


def test_contract_year():
    assert contract_year(dt.date(2025, 3, 31)) == "2024/25"
    assert contract_year(dt.date(2025, 4, 1)) == "2025/26"


@settings(max_examples=examples(60), deadline=None)
@given(st.integers(min_value=0, max_value=60000))
def test_vary_is_accepted_exactly_within_bounds(value):
    text = LOCAL + f'vary min_pcn_population = {value} because "x"\n'
    if 20000 <= value <= 30000:
        checked = checked_with(text)
        program = select(checked, dt.date(2025, 6, 1), checked.library.local_layer("l"))
        assert program.parameters["min_pcn_population"].value.value == value
    else:
        assert codes_of(text) == ["E-LAYER-001"]


@settings(max_examples=examples(60), deadline=None)
@given(st.dates(min_value=dt.date(2024, 4, 1), max_value=dt.date(2026, 3, 31)))
def test_exactly_one_rate_is_in_force_on_any_covered_date(day):
    program = select(checked_with(), day)
    value = program.parameters["ea_rate"].value.value
    assert value == (Decimal("7.975") if day < dt.date(2025, 4, 1) else Decimal("8.427"))


def test_an_added_row_cannot_override_a_national_row():
    text = ('local layer l "L" for icb QZZ extends des\n'
            'add to extra_roles row paramedic | 2025-01-01 | \n  because "x"\n')
    national = ('national contract extra "E"\n'
                'table extra_roles by role "R"\n  extensible\n  columns role: arrs_role | from | to\n'
                '  row paramedic | 2020-04-01 | \n  row gp | 2024-10-01 | 2025-03-31\n')
    assert codes_of(national, text.replace("extends des", "extends des, extra")) == ["E-LAYER-013"]
    later = text.replace("extends des", "extends des, extra").replace(
        "row paramedic | 2025-01-01 | ", "row gp | 2025-04-01 | ")
    checked_with(national, later)  # gp after its national row ends: a new row, allowed


def test_a_result_is_varied_by_added_rows_only_when_it_reads_one(tmp_path):
    from rules_engine.run.engine import Engine
    national = ('national contract extra "E" effective 2024-04-01\n'
                'table extra_roles by role "R"\n  extensible\n  columns role: arrs_role | from | to\n'
                '  row paramedic | 2020-04-01 | \n'
                'requirement extra.role "Role"\n  for each claim\n  must claim.role in extra_roles\n')
    local = ('local layer l "L" for icb QZZ extends extra\n'
             'add to extra_roles row gp | 2024-10-01 | \n  because "agreed locally"\n')
    engine = Engine(checked_with(national, local))
    arrangement = engine.load_arrangement("a.yaml", "as_of: 2025-06-01\nicb: QZZ\npcn:\n  code: U1\n"
                                          "  arrs_claims: [{role: paramedic}, {role: gp}]\n")
    first, second = [r for r in engine.evaluate(arrangement).results if r.id == "extra.role"]
    assert (first.subject, first.layer, first.flexibility, first.because) == (
        "claim:U1/1", "extra", "flexible-unused", None)
    assert (second.subject, second.layer, second.flexibility, second.because) == (
        "claim:U1/2", "l", "varied", "agreed locally")


def test_a_row_a_local_layer_added_is_read_at_run_time_not_folded():
    """A lookup whose key is known when compiling is folded into its value,
    unless the row came from the local layer: the result must still say so."""
    from rules_engine.run.engine import Engine
    national = ('national contract extra "E" effective 2024-04-01\n'
                'table extra_roles by role "R"\n  extensible\n  columns role: arrs_role | from | to\n'
                '  row paramedic | 2020-04-01 | \n'
                'requirement extra.gp-start "GP roles start by 2025"\n  for pcn\n'
                '  must extra_roles[gp].from <= 2025-01-01\n'
                'requirement extra.paramedic-start "Paramedics start by 2025"\n  for pcn\n'
                '  must extra_roles[paramedic].from <= 2025-01-01\n')
    local = ('local layer l "L" for icb QZZ extends extra\n'
             'add to extra_roles row gp | 2024-10-01 | \n  because "agreed locally"\n')
    engine = Engine(checked_with(national, local))
    arrangement = engine.load_arrangement("a.yaml", "as_of: 2025-06-01\nicb: QZZ\npcn:\n  code: U1\n")
    folded, (traced, _) = engine.evaluate(arrangement), engine.trace(arrangement)
    assert folded == traced
    gp, paramedic = folded.result("extra.gp-start"), folded.result("extra.paramedic-start")
    assert (gp.outcome.value, gp.layer, gp.flexibility, gp.because) == ("pass", "l", "varied", "agreed locally")
    assert (paramedic.outcome.value, paramedic.flexibility) == ("pass", "flexible-unused")


# -- a local layer's integrity (issue 9 defect 9, issue 10 item 7) ---------------

def diagnostics_with(*texts):
    with pytest.raises(InvalidInput) as raised:
        checked_with(*texts)
    return raised.value.diagnostics


@pytest.mark.parametrize("body, line", [
    ('vary min_pcn_population = 25000 because "a"\nvary min_pcn_population = 26000 because "b"\n', 3),
    ('add requirement qxx.one "One"\n  must true\n  because "a"\n'
     'add requirement qxx.one "Again"\n  must false\n  because "b"\n', 5),
    ('waive des.ea.standard-hours because "a"\nwaive des.ea.standard-hours because "b"\n', 3),
    ('waive des.ea.standard-hours because "a"\n'
     'waive des.ea.standard-hours\n  for pcn\n  where pcn.code = "U1"\n  because "b"\n', 3),
    ('parameter local_rate: money = £1\nparameter local_rate: money = £2\n', 3),
])
def test_a_local_layer_saying_one_thing_twice_is_an_error_with_a_note_at_the_first(body, line):
    found = diagnostics_with(LOCAL + body)
    duplicates = [d for d in found if d.code == "E-LAYER-014"]
    assert [(d.span.line) for d in duplicates] == [line], found
    assert duplicates[0].related[0].message == "the first"
    assert duplicates[0].related[0].span.line == 2


def test_waivers_each_limited_by_their_own_where_are_not_repeats():
    checked_with(LOCAL + 'waive des.ea.standard-hours\n  for pcn\n  where pcn.code = "U1"\n  because "a"\n'
                 'waive des.ea.standard-hours\n  for pcn\n  where pcn.code = "U2"\n  because "b"\n')


OPEN = ('national contract open "Open"\n'
        'table roles by role\n  extensible\n  columns role: text | from | to\n'
        '  row "nurse" | 2025-04-01 |\n')
ROWS = 'local layer l "Local" for icb QXX extends des, open\n'


def test_two_rows_with_one_key_on_shared_dates_are_a_repeat():
    found = diagnostics_with(OPEN, ROWS + 'add to roles row "pa" | 2025-04-01 |\n  because "a"\n'
                             'add to roles row "pa" | 2025-10-01 |\n  because "b"\n')
    assert [(d.code, d.span.line, d.related[0].span.line) for d in found] == [("E-LAYER-014", 4, 2)]


def test_rows_with_one_key_on_separate_dates_are_not_repeats():
    checked_with(OPEN, ROWS + 'add to roles row "pa" | 2025-04-01 | 2025-09-30\n'
                 '  because "a"\nadd to roles row "pa" | 2025-10-01 |\n  because "b"\n')


def test_two_local_layers_for_one_icb_on_shared_dates_are_an_error_at_lint_time():
    first = 'local layer a "A" for icb QXX extends des\n  effective 2025-04-01 to 2026-03-31\n'
    second = 'local layer b "B" for icb qxx extends des\n  effective 2026-03-31\n'
    (problem,) = diagnostics_with(first, second)
    assert problem.code == "E-LAYER-015" and problem.span.file == "extra1.rules"
    assert "extra0.rules" in problem.message and "extra1.rules" in problem.message
    assert "from 2026-03-31 to 2026-03-31" in problem.message
    assert problem.related[0].span.file == "extra0.rules"
    # the day after is no overlap: each ICB has one layer on any date
    checked_with(first, second.replace("2026-03-31", "2026-04-01"))


def test_a_layer_with_no_period_overlaps_every_other_of_its_icb():
    found = diagnostics_with(LOCAL, LOCAL.replace("layer l ", "layer m "))
    assert [d.code for d in found] == ["E-LAYER-015"] and "on every date" in found[0].message


def test_icb_codes_match_without_regard_to_case():
    lower = 'local layer l "Local" for icb qxx extends des\nvary min_pcn_population = 25000 because "r"\n'
    checked = checked_with(lower)
    assert local_layer_for(checked.library, "QXX", dt.date(2025, 6, 1)).name == "l"
    assert local_layer_for(checked.library, "qXx", dt.date(2025, 6, 1)).name == "l"


def test_a_local_layer_cannot_report_a_national_value_id():
    found = diagnostics_with(LOCAL + 'define mine for pcn: minutes = 5 minutes\n'
                             '  report des.ea.required-minutes\n')
    assert [(d.code, d.span.line) for d in found] == [("E-LAYER-016", 3)]
    assert found[0].related[0].span.file.endswith("des.rules")
    checked_with(LOCAL + 'define mine for pcn: minutes = 5 minutes\n  report qxx.ea.required-minutes\n')


@pytest.mark.parametrize("reason", ['""', '"   "'])
def test_an_empty_reason_is_no_reason(reason):
    found = diagnostics_with(LOCAL + f"vary min_pcn_population = 25000 because {reason}\n")
    assert [(d.code, d.span.line) for d in found] == [("E-LAYER-005", 2)]
