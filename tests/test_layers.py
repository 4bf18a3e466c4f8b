"""library.py and layers.py: layers, flexibility, which form is in force when."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from rules_engine import InvalidInput
from rules_engine.layers import local_layer_for, select
from rules_engine.library import contract_year
from rules_engine.pipeline import library_sources, run_until
from rules_engine.source import SourceFile

from conftest import GOLDEN

LOCAL = 'local layer l "Local" for icb QMM extends des\n'


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


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=60000))
def test_vary_is_accepted_exactly_within_bounds(value):
    text = LOCAL + f'vary min_pcn_population = {value} because "x"\n'
    if 20000 <= value <= 30000:
        checked = checked_with(text)
        program = select(checked, dt.date(2025, 6, 1), checked.library.local_layer("l"))
        assert program.parameters["min_pcn_population"].value.value == value
    else:
        assert codes_of(text) == ["E-LAYER-001"]


@settings(max_examples=60, deadline=None)
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
    from rules_engine.pipeline import Engine
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
    from rules_engine.pipeline import Engine
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
