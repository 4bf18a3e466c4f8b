"""The results JSON of arrangement-format.md: an interface, extended never renamed.

`report_json(report)` gives the whole document; `arrangement_json(result)` one
`arrangements` entry (a population run writes one per line). Money is a string
holding the exact amount; other quantities are JSON numbers.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from decimal import Decimal
from typing import Any

from ..diagnostics import to_json
from ..results import ArrangementResult, CheckReport, Result, ValueResult, money_text, number_json
from .. import typesys as t
from .formatting import unrounded


def value_json(value: Any, type_: t.Type | None = None) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        if type_ is not None and _is_money(type_):
            return money_text(value)
        return number_json(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (frozenset, set)):
        return sorted(value_json(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [value_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): value_json(v) for k, v in value.items() if not str(k).startswith("_")}
    return value


@functools.lru_cache(maxsize=None)
def _is_money(type_: t.Type) -> bool:
    return isinstance(type_, t.Quantity) and type_.unit == t.GBP


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
    why = result.why
    if why is not None:
        data["why"] = why.as_json()
    return data


def values_json(value: ValueResult) -> dict:
    data = {"id": value.id, "subject": value.subject, "value": value_json(value.value, value.type),
            "unit": value.unit}
    if value.missing:
        data["missing"] = list(value.missing)
    if value.rounding:
        data["rounded"] = value.rounding  # the rule file says how the contract rounds it
    if data["value"] is not None and unrounded(data["value"], data["unit"]):
        data["unrounded"] = True  # more precise than the contract pays: reports say so
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
    }


def report_json(report: CheckReport) -> dict:
    return {
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "layers": [{k: v for k, v in (("name", l.name), ("version", l.version), ("icb", l.icb),
                                      ("file", l.file)) if v is not None} for l in report.layers],
        "arrangements": [arrangement_json(a) for a in report.arrangements],
    }


def dumps(data: Any, compact: bool = False) -> str:
    if compact:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), check_circular=False)
    return json.dumps(data, ensure_ascii=False, indent=2)


def diagnostics_json(diagnostics) -> dict:
    return {"diagnostics": [to_json(d) for d in diagnostics]}
