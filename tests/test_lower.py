"""lower.py: typed nodes, clauses sorted into fields, misplaced clauses."""

import datetime as dt
from decimal import Decimal

import attrs
import pytest

from rules_engine.syntax import nodes as n
from rules_engine.syntax.lower import lower
from rules_engine.base.source import SourceFile

HEADER = 'national contract x "X" version "2025/26" effective 2025-04-01 to 2026-03-31\n'


def layer(text):
    result = lower(SourceFile("t.rules", HEADER + text))
    assert result.diagnostics == (), result.diagnostics
    return result.layer


def codes(text):
    return [d.code for d in lower(SourceFile("t.rules", HEADER + text)).diagnostics]


def test_header_fields():
    header = layer("").header
    assert (header.name, header.version, header.effective.start, header.effective.end) == (
        "x", "2025/26", dt.date(2025, 4, 1), dt.date(2026, 3, 31))


def test_parameter_with_dated_values_and_bounds():
    (param,) = layer("parameter rate: money per patient\n  ref \"§1\"\n"
                     "  from 2024-04-01 to 2025-03-31 = £7.975\n  from 2025-04-01 = £8.427\n"
                     "  flexible at least £7\n").declarations
    assert isinstance(param, n.ParameterDecl)
    assert [d.value.value for d in param.dated_values] == [Decimal("7.975"), Decimal("8.427")]
    assert param.dated_values[1].period.end is None
    assert param.flexibility[0].bound.kind == "at_least"
    assert param.type.per == ("patient",)


def test_literals_become_exact_values():
    (param,) = layer("parameter p: money = £1,234.50\n").declarations
    assert param.value.value == Decimal("1234.50")
    (define,) = layer("define d: fraction = 4.75%\n").declarations
    assert define.body.value == Decimal("0.0475")
    (define,) = layer("define d: interval = 08:00-18:30\n").declarations
    assert (define.body.start, define.body.end) == (480, 1110)


def test_requirement_clauses_become_fields():
    (req,) = layer('requirement a.b "Title"\n  for each practice\n  where practice.open_list\n'
                   '  must practice.cqc_registered\n  unless false\n  severity warning\n'
                   '  waivable with reason\n  provisional "primer [?]"\n'
                   '  warn "late" when true\n').declarations
    assert req.scope.subject == "practice" and req.scope.each
    assert isinstance(req.where, n.Field) and isinstance(req.unless, n.Boolean)
    assert req.severity == "warning"
    assert [f.kind for f in req.flexibility] == ["waivable"]
    assert req.provisional.reason == "primer [?]"
    assert req.warnings[0].message == "late"


def test_nodes_are_frozen():
    (param,) = layer("parameter p: count = 1\n").declarations
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        param.name = "q"


def test_spans_point_at_the_declaration():
    (param,) = layer("parameter p: count = 1\n").declarations
    assert (param.span.line, param.span.column) == (2, 1)


@pytest.mark.parametrize("text, code", [
    ("parameter p: count = 1\n  must true\n", "E-SYNTAX-004"),
    ("requirement a.b \"T\"\n  must true\n  must false\n", "E-SYNTAX-005"),
    ("requirement a.b \"T\"\n  for pcn\n", "E-SYNTAX-006"),
    ("parameter p: count\n", "E-SYNTAX-006"),
    ("parameter p: count = 1\n  locked\n  flexible\n", "E-SYNTAX-005"),
    ("define d: interval = 18:30-08:00\n", "E-SYNTAX-007"),
    ("define d: time = 25:00\n", "E-SYNTAX-007"),
    ("requirement a.b \"T\"\n  must true\n  severity fatal\n", "E-SYNTAX-007"),
    ("waive a.b because \"x\"\n", "E-SYNTAX-008"),
])
def test_shape_errors(text, code):
    assert code in codes(text)


def test_local_layer_cannot_declare_a_requirement():
    result = lower(SourceFile("l.rules", 'local layer l "L" for icb QMM extends x\n'
                              'requirement a.b "T"\n  must true\n'))
    assert [d.code for d in result.diagnostics] == ["E-SYNTAX-008"]
    assert "add requirement" in result.diagnostics[0].hint


@pytest.mark.parametrize("text, message", [
    ("parameter p: count\n  from 2025-04-01 to 2026-02-30 = 1\n", "`2026-02-30` is not a real date"),
    ("parameter p: count\n  from 2025-13-01 to 2026-03-31 = 1\n", "`2025-13-01` is not a real date"),
    ("define d: interval = 08:00-25:00\n", "`25:00` is not a time of day"),
    ("define d: interval = 24:30-25:00\n", "`24:30` is not a time of day"),
])
def test_a_malformed_date_or_time_is_reported_once(text, message):
    # Regression: the placeholder for a bad date (0001-01-01) or time (00:00)
    # also gave "the period ends (0001-01-01) before it starts" or "the
    # interval ends before it starts", a second error for one mistake.
    diagnostics = lower(SourceFile("t.rules", HEADER + text)).diagnostics
    assert all(d.code == "E-SYNTAX-007" for d in diagnostics)
    assert message in diagnostics[0].message
    assert not any("before it starts" in d.message for d in diagnostics), diagnostics


def test_a_period_that_really_ends_before_it_starts_is_still_reported():
    assert codes("parameter p: count\n  from 2025-04-01 to 2025-03-31 = 1\n") == ["E-SYNTAX-007"]
