"""The run time's fast paths give what the general code they stand in for
gives: the two-value merge of unknowns, a rounding made once, the values a
key constraint governs read without their paths, subject instances made once
an arrangement."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from rules_engine.base.values import Reason, Unknown, merge_two, merge_unknown
from rules_engine.io.arrangements import parse_json_line
from rules_engine.ir import operations as ops
from rules_engine.run.evaluate import subject_instances
from rules_engine.static.schema import _governed, constrained_values
from rules_engine.syntax import nodes as n
from tools.population import generate, write_jsonl

_A = Unknown(frozenset({"pcn.a"}))
_B = Unknown(frozenset({"pcn.b"}), frozenset({Reason("no-value", "parameter x (no value in force)")}))
VALUES = st.sampled_from([_A, _B, Unknown(frozenset({"pcn.a"})), Unknown(), True, False, Decimal("1.5"), "text"])


@given(VALUES, VALUES)
def test_merge_two_is_merge_unknown(left, right):
    if type(left) is not Unknown and type(right) is not Unknown:
        assert merge_two(left, right) == merge_unknown(left, right) == Unknown()
        return
    merged = merge_two(left, right)
    assert merged == merge_unknown(left, right)
    if type(left) is Unknown and (type(right) is not Unknown or right is left):
        assert merged is left  # the one unknown itself, as merge_unknown gives it


@pytest.mark.parametrize("mode", sorted(ops.ROUNDING))
@pytest.mark.parametrize("places", [0, 2])
def test_rounder_is_rounded(mode, places):
    rounding = n.Rounding(places=places, mode=mode, span=None)
    rounder = ops.rounder(rounding)
    for value in (Decimal("2.345"), Decimal("-2.345"), Decimal("0.005"), 7, -3, True, False, _A, "text",
                  dt.date(2025, 1, 2)):
        expected = ops.rounded(value, rounding)
        assert rounder(value) == expected and type(rounder(value)) is type(expected), value


@pytest.fixture(scope="module")
def arrangements(engine, tmp_path_factory):
    path = tmp_path_factory.mktemp("population") / "population.jsonl"
    write_jsonl(path, generate(scale=0.02, seed=7, as_of="2025-06-01"))
    schema = engine.library.schema
    return [parse_json_line(schema, line, "population", number)
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]


def test_governed_values_are_the_constrained_ones(engine, arrangements):
    constraints = engine.library.schema.constraints
    assert constraints
    seen = 0
    for arrangement in arrangements:
        for constraint in constraints:
            expected = [value for _, value in constrained_values(arrangement.facts, constraint)]
            assert _governed(arrangement.facts, constraint.segments, constraint.on_keys) == expected
            seen += len(expected)
    assert seen > len(arrangements)  # the population gives each constraint values to check


def test_subject_instances_made_once_are_those_made_alone(engine, arrangements):
    subjects = engine.library.schema.subjects
    numbered = [kind for kind, subject in subjects.items() if subject.numbered_within]
    assert numbered
    for arrangement in arrangements:
        root, made = arrangement.facts, {}

        def outer(kind):
            if kind not in made:
                made[kind] = list(subject_instances(subjects, root, kind, outer))
            return made[kind]
        for kind in subjects:
            assert outer(kind) == list(subject_instances(subjects, root, kind)), kind
