"""The checked program (rules_engine/ir): periods in which the terms in force
do not change, the folding pass's side table, fact-path plans, the one
built-in table, `Unknown`'s reasons as data, and the backend protocol."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from rules_engine.backends.closure_runner import CLOSURES
from rules_engine.backends.protocol import Runner
from rules_engine.base.values import Reason, Unknown
from rules_engine.ir import operations as ops
from rules_engine.ir.checked import check_program
from rules_engine.ir.fold import NOT_STATIC
from rules_engine.ir.plans import FIELD, KEY_BOUND
from rules_engine.program.layers import local_layer_for, select
from rules_engine.program.marks import ProvisionalMarks
from rules_engine.static.forms import literal_value
from rules_engine.run.engine import Engine
from rules_engine.static import check_expressions, typecheck
from rules_engine.static.builtins import BUILTINS
from rules_engine.syntax import nodes as n

from test_evaluate import engine_with, run


def _signature(program) -> tuple:
    """Everything a program in force holds that a result can show, but its date."""
    marks = ProvisionalMarks(program)
    return (
        tuple((p.name, id(p.form), id(p.value), p.layer, id(p.assumed)) for p in program.parameters.values()),
        tuple((name, tuple((_row(row), layer) for row, layer in table.rows), table.opted_in,
               tuple(_row(row) for row, _ in table.national_rows)) for name, table in program.tables.items()),
        tuple((d.name, id(d.form), d.provenance, d.clause, d.in_force, id(d.replaced_by), marks.define(d.name))
              for d in program.defines.values()),
        tuple((r.id, id(r.form), id(r.term), r.in_force, r.periods, r.provenance, r.clause,
               tuple(map(id, r.waivers)), marks.requirement(r)) for r in program.requirements),
    )


def _row(row) -> tuple:
    """A row by where it is written and what its cells hold (a retired row
    kept with its marking column set is a new node on every selection)."""
    return row.span, tuple(literal_value(cell) for cell in row.cells)


@pytest.mark.parametrize("between", [pytest.param(False, id="boundaries"),
                                     pytest.param(True, id="every-23-days", marks=pytest.mark.slow)])
def test_the_terms_in_force_do_not_change_within_a_period(engine, between):
    """Every day of every period the shipped library spans selects the same
    terms (for the national layers and every ICB with a local layer), so one
    compile serves the whole period. Slow: every ICB on the first and last
    day of every period from 2023/24 to 2026/27 (each boundary and the day
    before it) and on a day every 23 days. Fast: the national layers on the
    first and last day of every period; the ICBs with a local layer take the
    periods in turn (eight ICBs: each has every eighth period), so every period
    is also checked under one ICB's layers."""
    library = engine.library
    periods = engine.periods
    icbs = [None] + sorted({layer.header.icb for layer in library.local})
    start, end = dt.date(2023, 4, 1), dt.date(2027, 3, 31)
    days = {b + dt.timedelta(days=d) for b in periods.boundaries if start < b <= end for d in (-1, 0)}
    if between:
        days |= {start + dt.timedelta(days=d) for d in range(0, (end - start).days, 23)}
    order = {period: number for number, period in enumerate(sorted({periods.of(day) for day in days}))}
    checked = 0
    for turn, icb in enumerate(icbs):
        seen: dict = {}
        for day in sorted(days):
            if not between and icb is not None and order[periods.of(day)] % (len(icbs) - 1) != turn - 1:
                continue
            local = local_layer_for(library, icb, day)
            key = (periods.of(day), local.name if local else None)
            signature = _signature(select(engine.checked, day, local))
            if key in seen:
                assert seen[key] == signature, (icb, day, key)
                checked += 1
            seen[key] = signature
    assert checked > (500 if between else 70)
    # and a boundary does separate what differs: 1 April names a new contract year
    assert periods.of(dt.date(2025, 3, 31)) != periods.of(dt.date(2025, 4, 1))


def test_a_population_over_many_dates_compiles_one_program_per_period(in_root):
    engine = Engine.load()
    text = Path("examples/pcn-passing.yaml").read_text()
    days = [dt.date(2025, 6, 1) + dt.timedelta(days=d) for d in range(0, 60, 3)]
    assert len({engine.periods.of(day) for day in days}) == 1
    results = [engine.evaluate(engine.load_arrangement("a.yaml", text), day) for day in days]
    assert len(engine._compiled) == 1
    assert [r.as_of for r in results] == days
    # what a result says of its date is its own date's
    reasons = [r.reason for result in results for r in result.results
               if r.reason and r.reason.startswith("not in force on")]
    assert all(f"on {day}" in reason for day, result in zip(days, results) for reason in
               [r.reason for r in result.results if r.reason and r.reason.startswith("not in force on")])
    # the same arrangement on each day decides the same, but for its date
    first = results[0]
    for result in results[1:]:
        assert [(r.id, r.subject, r.outcome) for r in result.results] == \
            [(r.id, r.subject, r.outcome) for r in first.results]
    assert reasons is not None


def test_as_of_is_read_at_run_time_not_folded():
    engine = engine_with('define d: date = as_of\n  report x.d\n'
                         'define y: number = 2 + 3\n  report x.y\n')
    for day in ("2025-06-01", "2025-07-15"):
        result = engine.evaluate(engine.load_arrangement("a.yaml", f"as_of: {day}\n"))
        assert result.value("x.d").value == dt.date.fromisoformat(day)
    (runner, _), = engine._compiled.values()
    body = {name: d for name, d in runner.checked.program.defines.items()}
    assert runner.checked.static_value(body["d"].term.body) is NOT_STATIC
    assert runner.checked.static_value(body["y"].term.body) == Decimal(5)
    assert not runner.checked.is_constant("d") and runner.checked.is_constant("y")


def test_the_folding_pass_records_values_in_a_side_table(engine, in_root):
    arrangement = engine.load_arrangement("examples/pcn-passing.yaml")
    runner, _ = engine.program(arrangement.facts["as_of"], "QWE")
    checked = runner.checked
    parameter = checked.program.parameters["min_pcn_population"]
    assert checked.static_value(parameter.value) == Decimal(30000)
    # a fact is never static
    requirement = next(r for r in checked.program.requirements if r.id == "des.pcn.minimum-population")
    assert not checked.is_static(requirement.term.must)
    assert checked.static_value(requirement.term.must) is NOT_STATIC
    assert (id(parameter.value), ()) in checked.folder.values


def test_definitions_come_in_dependency_order(engine, in_root):
    arrangement = engine.load_arrangement("examples/pcn-passing.yaml")
    runner, _ = engine.program(arrangement.facts["as_of"], "QWE")
    checked = runner.checked
    order = {name: i for i, name in enumerate(checked.define_order)}
    assert set(order) == set(checked.program.defines)
    dependencies = checked.program.checked.dependencies
    pairs = [(name, d) for name in order for d in dependencies.get(name, ()) if d in order]
    assert pairs and all(order[d] < order[name] for name, d in pairs)


def test_a_fact_path_has_one_plan(engine, in_root):
    arrangement = engine.load_arrangement("examples/pcn-passing.yaml")
    runner, _ = engine.program(arrangement.facts["as_of"], "QWE")
    checked = runner.checked
    requirement = next(r for r in checked.program.requirements if r.id == "des.ea.capacity")
    paths = [node for node in n.walk(requirement.term.must) if isinstance(node, n.Field)]
    plan = checked.plan(paths[0])
    assert plan.bound == "pcn" and plan.fields_only
    assert plan.steps[0] == (FIELD, "enhanced_access") and len(plan.steps) >= 2
    assert checked.plan(paths[0]) is plan  # planned once
    keyed = [node for r in checked.program.requirements for node in n.walk(r.term.must)
             if r.term.must is not None and isinstance(node, n.Index)
             and checked.binding_name(node.keys[0]) is not None
             and not isinstance(checked.types[id(node.collection)], typecheck.t.Table)]
    assert keyed and any(kind == KEY_BOUND for kind, _ in checked.plan(keyed[0]).steps)


def test_one_built_in_table_serves_the_checker_and_the_backend():
    assert check_expressions.FUNCTIONS == tuple(BUILTINS)
    assert all(b.type_rule and b.implementation for b in BUILTINS.values())
    assert [b.name for b in BUILTINS.values() if not b.strict] == ["known"]
    engine = engine_with('define r: number = round(2.345, 2) + ceil(1.2) + max(1, 7, 3)\n'
                         '  report x.r\n'
                         'define o for each practice: time = opens(practice.core_hours[mon])\n  report x.o\n')
    result = run(engine, "pcn:\n  code: U1\npractices:\n  - ods_code: P1\n    core_hours: {mon: []}\n")
    assert result.value("x.r").value == Decimal("2.35") + 2 + 7
    opened = result.value("x.o")
    assert opened.value is None and opened.missing == ("an empty interval has no opening time",)


def test_the_checker_reads_the_table_for_a_function_it_lacks():
    from rules_engine.base.diagnostics import InvalidInput
    with pytest.raises(InvalidInput) as raised:
        engine_with('define r: number = median(1, 2)\n')
    (problem,) = [d for d in raised.value.diagnostics if d.code == "E-NAME-006"]
    assert "min, max, ceil" in problem.hint or "median" in problem.message


def test_unknown_carries_reasons_as_data_with_a_code_and_a_span():
    engine = engine_with('table t by k "T"\n  columns k: text | v: number\n  row "a" | 1\n'
                         'define v for pcn: number = t[pcn.code].v\n  report x.v\n')
    result = run(engine, "pcn:\n  code: U1\n")
    assert result.value("x.v").missing == ("table t has no row for (U1) on 2025-06-01",)
    (runner, _), = engine._compiled.values()
    define = runner.checked.program.defines["v"]
    index = define.term.body.record
    scope = runner.scope(engine.load_arrangement("a.yaml", "as_of: 2025-06-01\npcn:\n  code: U1\n").facts,
                         dt.date(2025, 6, 1), {})
    scope.bindings["pcn"] = scope.root["pcn"]
    value = runner.value_of(index, scope)
    assert type(value) is Unknown and value.missing == frozenset()
    (reason,) = value.reasons
    assert reason.code == "no-row" and reason.span == index.span
    # a reason is never mistaken for a path: a field of it stays the reason
    assert ops.deeper(value, "v") is value
    assert ops.deeper(Unknown(frozenset({"pcn.x y"})), "z").missing == frozenset({"pcn.x y.z"})
    assert Reason("no-row", "t", None) == Reason("no-row", "t", index.span)


def test_the_closure_backend_answers_the_protocol(engine, in_root):
    arrangement = engine.load_arrangement("examples/pcn-failing.yaml")
    day = arrangement.facts["as_of"]
    runner, evaluator = engine.program(day, "QWE")
    assert isinstance(runner, Runner.__class__) or hasattr(runner, "decisions")
    for name in ("decisions", "values", "scope", "value_of", "checked"):
        assert hasattr(runner, name)
    result = engine.evaluate(arrangement)
    decisions = list(runner.decisions(arrangement.facts, day, lambda scope: evaluator.instances(
        arrangement.facts, scope)))
    assert [(runner.checked.program.requirements[d.index].id, d.instance.id, d.outcome) for d in decisions] \
        == [(r.id, r.subject, r.outcome) for r in result.results]
    fresh = CLOSURES.compile(check_program(runner.checked.program, runner.checked.period))
    assert [d.outcome for d in fresh.decisions(arrangement.facts, day, lambda scope: evaluator.instances(
        arrangement.facts, scope))] == [d.outcome for d in decisions]


def _kleene_fold(quantifier: str, results: list):
    """`every` and `any` as Kleene's logic folds them, item by item (what
    `ops.combine` must answer, whatever its shortcuts)."""
    from rules_engine.base.values import kleene_and, kleene_or
    value = quantifier == "every"
    for item in results:
        value = (kleene_and if quantifier == "every" else kleene_or)(value, item)
    return value


@pytest.mark.parametrize("quantifier", ["every", "any"])
def test_every_and_any_answer_as_the_kleene_fold(quantifier):
    """Every list of up to four of true, false and two unknowns: the same
    value (an unknown naming the same paths), the same unknown object where
    the fold gives one it was given."""
    import itertools
    first, second = Unknown(frozenset({"a.x"})), Unknown(frozenset({"b.y"}))
    for size in range(5):
        for results in itertools.product([True, False, first, second], repeat=size):
            expected, found = _kleene_fold(quantifier, list(results)), ops.combine(quantifier, list(results))
            assert found == expected, (quantifier, results)
            assert type(found) is not Unknown or found is expected or expected not in (first, second), results
    assert ops.combine("sum", [Decimal(1), first]) is first and ops.combine("count", [True, False]) == 1
