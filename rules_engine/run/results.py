"""Evaluation results: what `check` returns and every report renders.

Plain frozen data with the provenance the results JSON promises (see
arrangement-format.md): for each requirement and subject the outcome, title,
clause, layer, flexibility status, the local reason and the national value a
variation replaced, and the fact paths that made it unknown; for each value
its amount and unit.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

import attrs

from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic
from rules_engine.base.numbers import unrounded, value_json
from rules_engine.base.values import Outcome


# Results are created a few hundred times per arrangement: plain slotted
# classes (frozen attrs classes cost four times as much to build). Treat them
# as read-only; nothing in the engine changes one after it is made. The
# evaluation loop (run/evaluate.py) makes them without calling the class, by
# `object.__new__` and setting every field (half the cost): a field added
# here is set there too (tests/test_evaluate.py fails on one left unset).
@attrs.define(eq=True)
class Result:
    id: str
    subject: str
    outcome: Outcome
    title: str | None
    clause: str
    layer: str
    flexibility: str
    because: str | None = None
    national: dict[str, Any] = attrs.field(factory=dict)
    missing: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    severity: str = "error"
    provisional: str | None = None
    reason: str | None = None  # why not applicable, or exempt
    # The assumptions (`assumptions.Assumption`) it read: stated by the user,
    # not the contract's figures.
    assumed: tuple = ()
    # Why it failed or is unknown (`why.Why`): worked out when first asked for.
    explain_with: Any = attrs.field(default=None, eq=False, repr=False)
    # The unknowns it was decided without: every value in their declared range
    # gives the same outcome (`ir.ranged`).
    unneeded: tuple[str, ...] = ()
    _why: Any = attrs.field(default=None, eq=False, repr=False, init=False)
    # The tuple of fields the evaluation loop made it from (id to assumed),
    # shared by every result of its requirement and provenance: the JSON line
    # writers key the text they share on it. None when made by the class.
    _shape: Any = attrs.field(default=None, eq=False, repr=False, init=False)

    @property
    def why(self):
        """The deciding conditions with their values (`rules_engine.run.why.Why`),
        for a failing or unknown result; None otherwise."""
        if self._why is None and self.explain_with is not None:
            self._why = self.explain_with()
        return self._why

    def to_dict(self) -> dict:
        """This result as the results JSON writes it (with its why)."""
        return result_json(self)


@attrs.define(eq=True)
class ValueResult:
    id: str
    subject: str
    value: Any  # Decimal, bool, str, date ... or None when unknown
    type: t.Type
    missing: tuple[str, ...] = ()
    layer: str = ""
    flexibility: str = "locked"
    because: str | None = None
    national: dict[str, Any] = attrs.field(factory=dict)
    title: str | None = None
    clause: str | None = None
    provisional: str | None = None
    assumed: tuple = ()  # the assumptions it read (`assumptions.Assumption`)
    rounding: str | None = None  # `rounded to penny`: "to the penny, half up"
    unneeded: tuple[str, ...] = ()  # the unknowns it was worked out without (`ir.ranged`)
    # The tuple of fields the evaluation loop made it from (id to rounding),
    # shared by every value of its definition, key and provenance: the JSON
    # line writers key the text they share on it. None when made by the class.
    _shape: Any = attrs.field(default=None, eq=False, repr=False, init=False)

    @property
    def unit(self) -> str:
        return unit_name(self.type)

    def to_dict(self) -> dict:
        """This value as the results JSON writes it (money as exact text)."""
        return values_json(self)


@attrs.frozen
class ArrangementResult:
    id: str
    source: str
    as_of: dt.date
    outcome: Outcome
    layers: tuple[str, ...]
    results: tuple[Result, ...]
    values: tuple[ValueResult, ...]
    # implausible or inconsistent facts (static/fact_checks.py): warnings that
    # change no outcome
    input_warnings: tuple[Diagnostic, ...] = ()

    def result(self, rule_id: str, subject: str | None = None) -> Result | None:
        for result in self.results:
            if result.id == rule_id and (subject is None or result.subject == subject):
                return result
        return None

    def value(self, value_id: str, subject: str | None = None) -> ValueResult | None:
        for value in self.values:
            if value.id == value_id and (subject is None or value.subject == subject):
                return value
        return None


@attrs.frozen
class LayerRef:
    name: str
    file: str
    version: str | None = None
    icb: str | None = None


@attrs.frozen
class CheckReport:
    as_of: dt.date | None
    layers: tuple[LayerRef, ...]
    arrangements: tuple[ArrangementResult, ...]

    @property
    def outcome(self) -> Outcome:
        if any(a.outcome is Outcome.FAIL for a in self.arrangements):
            return Outcome.FAIL
        if any(a.outcome is Outcome.UNKNOWN for a in self.arrangements):
            return Outcome.UNKNOWN
        return Outcome.PASS


@functools.lru_cache(maxsize=None)
def unit_name(type_: t.Type) -> str:
    if isinstance(type_, t.Quantity):
        unit = type_.unit
        if unit == t.GBP:
            return "GBP"
        if unit == t.DIMENSIONLESS:
            return "fraction" if type_.fraction else "count" if type_.integral else "number"
        return {t.MINUTE: "minutes", t.POINT: "points", t.DAY: "days", t.MONTH: "months"}.get(
            unit, str(unit))
    return {t.Boolean: "bool", t.Date: "date", t.Text: "text"}.get(type(type_), "value")


def assumed_text(assumed: tuple) -> str | None:
    """`qof_national_average_list_size = 10349 (--assume)`; None for none."""
    if not assumed:
        return None
    return "; ".join(f"{a.describe()} ({a.origin})" for a in assumed)


# The results JSON of arrangement-format.md: an interface, extended never renamed.
# `report_json(report)` gives the whole document; `arrangement_json(result)` one
# `arrangements` entry (a population run writes one per line). Money is a string
# holding the exact amount; other quantities are JSON numbers.

def result_json(result: Result) -> dict:
    data = {
        "id": result.id,
        "subject": result.subject,
        "outcome": result.outcome.value,
        "title": result.title,
        "clause": result.clause,
        "layer": result.layer,
        "flexibility": result.flexibility,
        "because": result.because,
        "national": result.national,
        "missing": list(result.missing),
        "severity": result.severity,
    }
    if result.warnings:
        data["warnings"] = list(result.warnings)
    if result.reason:
        data["reason"] = result.reason
    if result.provisional:
        data["provisional"] = result.provisional
    if result.assumed:
        data["assumed"] = [a.as_json() for a in result.assumed]
    if result.unneeded:
        data["did_not_need"] = list(result.unneeded)
    why = result.why
    if why is not None:
        data["why"] = why.as_json()
    return data


def values_json(value: ValueResult) -> dict:
    data = {"id": value.id, "subject": value.subject, "value": value_json(value.value, value.type),
            "unit": value.unit}
    if value.missing:
        data["missing"] = list(value.missing)
    if value.unneeded:
        data["did_not_need"] = list(value.unneeded)
    if value.rounding:
        data["rounded"] = value.rounding  # the rule file says how the contract rounds it
    if data["value"] is not None and unrounded(data["value"], data["unit"]):
        data["unrounded"] = True  # more precise than the contract pays: reports say so
    return value_marks_json(value, data)


def value_marks_json(value: ValueResult, data: dict) -> dict:
    """`data` with what a value's term says of where it comes from: its layer,
    flexibility, reason and national figure when a layer may vary it, and
    its provisional and assumed marks (the single document's value and the
    lean line's term alike)."""
    if value.flexibility != "locked":
        data["layer"] = value.layer
        data["flexibility"] = value.flexibility
        if value.because:
            data["because"] = value.because
        if value.national:
            data["national"] = value.national
    if value.provisional:
        data["provisional"] = value.provisional
    if value.assumed:
        data["assumed"] = [a.as_json() for a in value.assumed]
    return data


def arrangement_json(result: ArrangementResult) -> dict:
    return {
        "id": result.id,
        "source": result.source,
        "as_of": result.as_of.isoformat(),
        "outcome": result.outcome.value,
        "layers": list(result.layers),
        "results": [result_json(r) for r in result.results],
        "values": [values_json(v) for v in result.values],
    } | input_warnings_json(result)


def input_warnings_json(result: ArrangementResult) -> dict:
    """`{"input_warnings": [...]}` when the facts drew any, else nothing."""
    if not result.input_warnings:
        return {}
    return {"input_warnings": [warning_json(w) for w in result.input_warnings]}


def warning_json(warning: Diagnostic) -> dict:
    return {"code": warning.code, "message": warning.message, "path": warning.path,
            "line": warning.span.line if warning.span else None,
            "column": warning.span.column if warning.span else None, "hint": warning.hint}


def report_json(report: CheckReport) -> dict:
    return {
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "layers": [{k: v for k, v in (("name", l.name), ("version", l.version), ("icb", l.icb),
                                      ("file", l.file)) if v is not None} for l in report.layers],
        "arrangements": [arrangement_json(a) for a in report.arrangements],
    }
