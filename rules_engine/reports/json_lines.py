"""One arrangement's results as one compact JSON line, for population runs.

`LineEncoder().line(result)` is, byte for byte, what
`dumps(arrangement_json(result), compact=True)` gives (a test holds it to
that), without building a dict per result first. A synthetic PCN has some 255
results and values, and most of each one's text depends only on its
requirement or definition and provenance (title, clause, layer, flexibility,
the local reason, the national value, the unit): that text is encoded once and
reused, so a line costs the encoding of subjects, outcomes and amounts only.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring  # JSON string literal, non-ASCII kept as is
from typing import Any

from rules_engine.run.results import ArrangementResult, Result, ValueResult
from rules_engine.base.values import Outcome
from rules_engine.base.numbers import unrounded
from rules_engine.base.numbers import value_json


def _encode(data: Any) -> str:
    """Any JSON value; the common scalars and empty lists without json.dumps's
    per-call overhead, spelled exactly as json.dumps spells them."""
    kind = type(data)
    if kind is str:
        return encode_basestring(data)
    if data is None:
        return "null"
    if data is True:
        return "true"
    if data is False:
        return "false"
    if kind is int:
        return int.__repr__(data)
    if kind is float and math.isfinite(data):
        return float.__repr__(data)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), check_circular=False)


def _strings(items) -> str:
    """A JSON list of strings (fact paths, warnings)."""
    return "[" + ",".join(map(encode_basestring, items)) + "]"


_OUTCOME = {outcome: f',"outcome":"{outcome.value}"' for outcome in Outcome}


class LineEncoder:
    """Encodes `ArrangementResult`s; keeps the shared parts it has encoded."""

    def __init__(self):
        # A key holds the id of a result's `national` dict; the entry keeps
        # the dict itself, so that no other dict can take that id while the
        # entry lives.
        self._results: dict[tuple, tuple[str, str, Any]] = {}
        self._values: dict[tuple, tuple[str, str, Any]] = {}

    def line(self, result: ArrangementResult) -> str:
        return "".join((
            '{"id":', encode_basestring(result.id),
            ',"source":', encode_basestring(result.source),
            ',"as_of":"', result.as_of.isoformat(),
            '","outcome":"', result.outcome.value,
            '","layers":', _encode(list(result.layers)),
            ',"results":[', ",".join(map(self.result, result.results)),
            '],"values":[', ",".join(map(self.value, result.values)),
            "]}"))

    def result(self, r: Result) -> str:
        key = (r.id, r.title, r.clause, r.layer, r.flexibility, r.because, id(r.national),
               r.severity, r.provisional, r.assumed)
        parts = self._results.get(key)
        if parts is None:
            parts = self._results[key] = (
                '{"id":' + encode_basestring(r.id) + ',"subject":',
                ',"title":' + _encode(r.title) + ',"clause":' + _encode(r.clause)
                + ',"layer":' + _encode(r.layer) + ',"flexibility":' + _encode(r.flexibility)
                + ',"because":' + _encode(r.because) + ',"national":' + _encode(r.national)
                + ',"missing":',
                r.national)
        head, middle, _ = parts
        text = [head, encode_basestring(r.subject), _OUTCOME[r.outcome], middle,
                _strings(r.missing), ',"severity":', encode_basestring(r.severity)]
        if r.warnings:
            text += (',"warnings":', _strings(r.warnings))
        if r.reason:
            text += (',"reason":', encode_basestring(r.reason))
        if r.provisional:
            text += (',"provisional":', encode_basestring(r.provisional))
        if r.assumed:
            text += (',"assumed":', _encode([a.as_json() for a in r.assumed]))
        why = r.why
        if why is not None:
            text += (',"why":', _encode(why.as_json()))
        text.append("}")
        return "".join(text)

    def value(self, v: ValueResult) -> str:
        key = (v.type, v.layer, v.flexibility, v.because, id(v.national), v.provisional, v.assumed)
        parts = self._values.get(key)
        if parts is None:
            tail = ""
            if v.flexibility != "locked":
                tail += ',"layer":' + _encode(v.layer) + ',"flexibility":' + _encode(v.flexibility)
                if v.because:
                    tail += ',"because":' + _encode(v.because)
                if v.national:
                    tail += ',"national":' + _encode(v.national)
            if v.provisional:
                tail += ',"provisional":' + _encode(v.provisional)
            if v.assumed:
                tail += ',"assumed":' + _encode([a.as_json() for a in v.assumed])
            parts = self._values[key] = (',"unit":' + _encode(v.unit), tail + "}", v.national)
        unit, tail, _ = parts
        missing = ',"missing":' + _strings(v.missing) if v.missing else ""
        if v.rounding:
            missing += ',"rounded":' + encode_basestring(v.rounding)
        shown = value_json(v.value, v.type)
        if shown is not None and unrounded(shown, v.unit):
            missing += ',"unrounded":true'
        return "".join(('{"id":', encode_basestring(v.id), ',"subject":', encode_basestring(v.subject),
                        ',"value":', _encode(shown), unit, missing, tail))
