"""One arrangement's results as one compact JSON line, for population runs:
the full line (`LineEncoder`) or the lean line (`LeanEncoder`, the default;
`full_records` reads a lean run back into full records).

`LineEncoder().line(result)` is, byte for byte, what
`dumps(arrangement_json(result), compact=True)` gives (a test holds it to
that), without building a dict per result first. A synthetic PCN has some 255
results and values, and most of each one's text depends only on its
requirement or definition and provenance (title, clause, layer, flexibility,
the local reason, the national value, the unit): that text is encoded once and
reused, so a line costs the encoding of subjects, outcomes and amounts only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from json.encoder import encode_basestring  # JSON string literal, non-ASCII kept as is
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator

from rules_engine.run.results import ArrangementResult, Result, ValueResult, value_marks_json, warning_json
from rules_engine.base.values import Outcome
from rules_engine.base.numbers import exact_pounds, is_money, number_json, shown_json, unrounded


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


def _input_warnings(result: ArrangementResult) -> str:
    """`,"input_warnings":[...]` when the facts drew warnings (static/fact_checks.py)."""
    if not result.input_warnings:
        return ""
    return ',"input_warnings":' + _encode([warning_json(w) for w in result.input_warnings])


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
            "]", _input_warnings(result), "}"))

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
            parts = self._values[key] = (',"unit":' + _encode(v.unit), tail + "}", v.national, v.unit)
        unit, tail, _, unit_text = parts
        missing = ',"missing":' + _strings(v.missing) if v.missing else ""
        if v.rounding:
            missing += ',"rounded":' + encode_basestring(v.rounding)
        shown, more_precise = shown_json(v.value, v.type, unit_text)
        if more_precise:
            missing += ',"unrounded":true'
        return "".join(('{"id":', encode_basestring(v.id), ',"subject":', encode_basestring(v.subject),
                        ',"value":', _encode(shown), unit, missing, tail))


# ------------------------------------------------------------ the lean line

class LeanEncoder:
    """Encodes `ArrangementResult`s as lean lines (docs/arrangement-format.md,
    "Population runs: the lean line"): each result and value refers to a
    *term*, the text it shares with every other result of its requirement in
    the run (id, title, clause, layer, flexibility, the local reason, the
    national value, severity, why it is not applicable, provisional and
    assumed marks; a value's unit and rounding). A term's reference is a
    digest of its text, so that any process gives it the same one and the
    output is the same for any `--jobs`; `line` returns, beside the line, the
    terms this encoder had not used before, which the run writes once, in a
    `{"terms": ...}` record before the first line that refers to them."""

    def __init__(self):
        self._results: dict[tuple, tuple[str, Any]] = {}  # key -> (reference, the national dict kept)
        self._values: dict[tuple, tuple[str, Any, Any, Callable]] = {}
        self._lists: dict[tuple, str] = {}  # the fact paths of `missing`, as JSON
        self._layers: dict[tuple, str] = {}  # the layers of a line, as JSON (a run has a few)
        self._unknown: dict[tuple, str] = {}  # an unknown value's tail, by what it misses
        self._new: dict[str, str] = {}
        # The same entries by the identity of the shape a record was made from
        # (`Result._shape`: one tuple per requirement, or definition and key,
        # and provenance), which spares building and hashing a key of its
        # fields; each entry keeps its shape, so that no other takes its id.
        self._shaped_results: dict[Any, tuple[str, Any]] = {}
        self._shaped_values: dict[int, tuple[str, Any, Any, Callable]] = {}

    def line(self, result: ArrangementResult) -> tuple[str, dict[str, str]]:
        """The lean line, and {reference: the term's JSON text} of the terms new
        to this encoder."""
        subjects: dict[str, int] = {}
        layers = self._layers.get(result.layers)
        if layers is None:
            layers = _encode(list(result.layers))
            if len(self._layers) < _SPELT:
                self._layers[result.layers] = layers
        value_text = self._value
        text = "".join((
            '{"id":', encode_basestring(result.id),
            ',"source":', encode_basestring(result.source),
            ',"as_of":"', result.as_of.isoformat(),
            '","outcome":"', result.outcome.value,
            '","layers":', layers,
            ',"results":[', ",".join(self._results_text(result.results, subjects)),
            '],"values":[', ",".join([value_text(v, subjects) for v in result.values]),
            '],"subjects":', _strings(subjects), _input_warnings(result), "}"))
        new, self._new = self._new, {}
        return text, new

    def _results_text(self, results, subjects: dict[str, int]) -> list[str]:
        """`_result` of each result; the commonest (made from a shape, with
        no reason, nothing missing, no warnings, no why) spelt here, without
        a call each (a line has some 40 results)."""
        shaped, result_text, outcomes = self._shaped_results, self._result, _LEAN_OUTCOME
        texts = []
        add = texts.append
        for r in results:
            shape = r._shape
            if shape is None or r.reason is not None or r.missing or r.warnings or r.explain_with is not None:
                add(result_text(r, subjects))
                continue
            found = shaped.get(id(shape))
            if found is None:
                found = shaped[id(shape)] = (self._result_term(r)[0], shape)
            subject = subjects.get(r.subject)
            if subject is None:
                subject = subjects[r.subject] = len(subjects)
            add(f"{found[0]}{subject}{outcomes[r.outcome]}]")
        return texts

    def _term(self, text: str) -> str:
        reference = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()[:6]).decode()
        self._new[reference] = text
        return reference

    def _result(self, r: Result, subjects: dict[str, int]) -> str:
        shape = r._shape
        if shape is None:
            found = self._result_term(r)
        else:
            reason = r.reason
            shaped = id(shape) if reason is None else (id(shape), reason)
            found = self._shaped_results.get(shaped)
            if found is None:
                found = self._shaped_results[shaped] = (self._result_term(r)[0], shape)
        subject = subjects.get(r.subject)
        if subject is None:
            subject = subjects[r.subject] = len(subjects)
        missing, warnings = r.missing, r.warnings
        # no why without its thunk (`Result.why`): a passing result's is not asked for
        why = None if r.explain_with is None else r.why
        if not (missing or warnings or why is not None):
            return f"{found[0]}{subject}{_LEAN_OUTCOME[r.outcome]}]"
        extra = []
        if missing:
            extra.append('"missing":' + self._strings(missing))
        if warnings:
            extra.append('"warnings":' + _strings(warnings))
        if why is not None:
            extra.append('"why":' + _encode(why.as_json()))
        return f"{found[0]}{subject}{_LEAN_OUTCOME[r.outcome]},{{{','.join(extra)}}}]"

    def _result_term(self, r: Result) -> tuple[str, Any]:
        """(`["reference",`, the national dict kept) of a result's term, by its fields."""
        key = (r.id, r.title, r.clause, r.layer, r.flexibility, r.because, id(r.national),
               r.severity, r.reason, r.provisional, r.assumed)
        found = self._results.get(key)
        if found is None:
            term = {"kind": "result", "id": r.id, "title": r.title, "clause": r.clause, "layer": r.layer,
                    "flexibility": r.flexibility, "because": r.because, "national": r.national,
                    "severity": r.severity}
            if r.reason:
                term["reason"] = r.reason
            if r.provisional:
                term["provisional"] = r.provisional
            if r.assumed:
                term["assumed"] = [a.as_json() for a in r.assumed]
            found = self._results[key] = ('["' + self._term(_encode(term)) + '",', r.national)
        return found

    def _strings(self, items: tuple) -> str:
        """`_strings` of a fact path list, kept: the same few lists of what is
        missing recur on line after line."""
        if type(items) is not tuple:
            return _strings(items)
        text = self._lists.get(items)
        if text is None:
            text = _strings(items)
            if len(self._lists) < _SPELT:
                self._lists[items] = text
        return text

    def _value(self, v: ValueResult, subjects: dict[str, int]) -> str:
        shape = v._shape
        if shape is None:
            found = self._value_term(v)
        else:
            found = self._shaped_values.get(id(shape))
            if found is None:
                found = self._value_term(v)
                found = self._shaped_values[id(shape)] = (found[0], shape, None, found[3])
        subject = subjects.get(v.subject)
        if subject is None:
            subject = subjects[v.subject] = len(subjects)
        value, missing = v.value, v.missing
        if value is None:  # unknown: its tail, kept for each list of what it misses
            if not missing:
                return f"{found[0]}{subject},null]"
            tail = self._unknown.get(missing) if type(missing) is tuple else None
            if tail is None:
                tail = ',null,{"missing":' + self._strings(missing) + "}]"
                if type(missing) is tuple and len(self._unknown) < _SPELT:
                    self._unknown[missing] = tail
            return f"{found[0]}{subject}{tail}"
        shown, more_precise = found[3](value)
        if not (missing or more_precise):
            return f"{found[0]}{subject},{shown}]"
        extra = []
        if missing:
            extra.append('"missing":' + self._strings(missing))
        if more_precise:
            extra.append('"unrounded":true')
        return f"{found[0]}{subject},{shown},{{{','.join(extra)}}}]"

    def _value_term(self, v: ValueResult) -> tuple[str, Any, Any, Callable]:
        """(`["reference",`, the national dict and type kept, how its values are
        spelt) of a value's term, by its fields."""
        # The type by its id: the entry keeps the type itself (as it keeps the
        # national dict), so no other type can take that id while it lives.
        type_ = v.type
        key = (v.id, id(type_), v.layer, v.flexibility, v.because, id(v.national), v.rounding,
               v.provisional, v.assumed)
        found = self._values.get(key)
        if found is None:
            term = {"kind": "value", "id": v.id, "unit": v.unit}
            if v.rounding:
                term["rounded"] = v.rounding
            value_marks_json(v, term)
            found = self._values[key] = ('["' + self._term(_encode(term)) + '",', v.national, type_,
                                         _shower(type_, term["unit"]))
        return found


def _shower(type_, unit: str | None) -> Callable[[Any], tuple[str, bool]]:
    """A value of one type and unit as the lean line spells it, and whether it
    is `unrounded`: `_encode` of `shown_json`, with the common cases (a
    finite Decimal, text, a yes or no) spelt directly, exactly as those
    spell them."""
    def shown(value) -> tuple[str, bool]:
        text, more_precise = shown_json(value, type_, unit)
        return _encode(text), more_precise
    money_type = is_money(type_)
    money = unit == "GBP" and money_type
    rounds = unit in ("GBP", "points")  # the units `unrounded` can say yes of

    spelt: dict[Decimal, tuple[str, bool]] = {}  # the amounts spelt so far (a population repeats many)

    def show(value) -> tuple[str, bool]:
        kind = type(value)
        if kind is Decimal and value.is_finite():
            # Equal amounts are spelt alike (money by its value to the penny,
            # normalised past it; other amounts through their float), zero
            # apart: -0 and 0 are equal but money spells them apart.
            found = spelt.get(value) if value else None
            if found is not None:
                return found
            if money:
                text, more_precise = exact_pounds(value)
                found = encode_basestring(text), more_precise
            elif money_type:
                return shown(value)
            else:
                number = number_json(value)
                if type(number) is float and math.isfinite(number):
                    # `unrounded` reads a float as its text (`decimal`): the text spelt once, not twice
                    text = float.__repr__(number)
                    found = text, rounds and unrounded(Decimal(text), unit)
                else:
                    found = (int.__repr__(number) if type(number) is int else _encode(number),
                             rounds and unrounded(number, unit))
            if value and not money and len(spelt) < _SPELT:  # amounts of money rarely recur
                spelt[value] = found
            return found
        if rounds:
            return shown(value)
        if kind is str:
            return encode_basestring(value), False
        if kind is bool:
            return ("true" if value else "false"), False
        return shown(value)
    return show


#: Amounts a lean encoder keeps spelt, per type and unit (and lists of
#: missing fact paths it keeps encoded): enough for a population's recurring
#: shares and points, few enough that memory does not grow with it.
_SPELT = 4096

_LEAN_OUTCOME = {outcome: f',"{outcome.value}"' for outcome in Outcome}


def terms_record(terms: dict[str, str]) -> str:
    """The `{"terms": ...}` record of terms (reference -> JSON text)."""
    return '{"terms":{' + ",".join(f'"{ref}":{text}' for ref, text in terms.items()) + "}}"


def full_records(lines: Iterable[str]) -> Iterator[dict]:
    """The records of a population run's JSON Lines output, lean or full, as
    full records (the `arrangements` entries of `check --format json`, then
    the summary): how a program reads a lean run back."""
    terms: dict[str, dict] = {}
    for text in lines:
        if not text.strip():
            continue
        record = json.loads(text)
        if "terms" in record:
            terms.update(record["terms"])
        elif "subjects" in record:
            yield expand(record, terms)
        else:
            yield record


def expand(line: dict, terms: dict[str, dict]) -> dict:
    """A lean line as the full record, keys in the full line's order."""
    subjects = line["subjects"]
    return {"id": line["id"], "source": line["source"], "as_of": line["as_of"], "outcome": line["outcome"],
            "layers": line["layers"],
            "results": [_full_result(entry, terms, subjects) for entry in line["results"]],
            "values": [_full_value(entry, terms, subjects) for entry in line["values"]]} | (
                {"input_warnings": line["input_warnings"]} if "input_warnings" in line else {})


def _full_result(entry: list, terms: dict, subjects: list) -> dict:
    term, extra = terms[entry[0]], entry[3] if len(entry) > 3 else {}
    out = {"id": term["id"], "subject": subjects[entry[1]], "outcome": entry[2]}
    out.update((k, term[k]) for k in ("title", "clause", "layer", "flexibility", "because", "national"))
    out["missing"] = extra.get("missing", [])
    out["severity"] = term["severity"]
    if "warnings" in extra:
        out["warnings"] = extra["warnings"]
    out.update((k, term[k]) for k in ("reason", "provisional", "assumed") if k in term)
    if "why" in extra:
        out["why"] = extra["why"]
    return out


def _full_value(entry: list, terms: dict, subjects: list) -> dict:
    term, extra = terms[entry[0]], entry[3] if len(entry) > 3 else {}
    out = {"id": term["id"], "subject": subjects[entry[1]], "value": entry[2], "unit": term["unit"]}
    if "missing" in extra:
        out["missing"] = extra["missing"]
    if "rounded" in term:
        out["rounded"] = term["rounded"]
    if "unrounded" in extra:
        out["unrounded"] = True
    out.update((k, term[k]) for k in ("layer", "flexibility", "because", "national", "provisional", "assumed")
               if k in term)
    return out
