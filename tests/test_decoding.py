"""io/decoding.py: the typed decoders read valid input exactly as the validator
does, and hand everything else to it (so errors keep their paths, lines and
codes: the goldens of test_golden_diagnostics.py are unchanged)."""

from __future__ import annotations

import json
import random
import re

import attrs
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from rules_engine import InvalidInput
from rules_engine.base import typesys as t
from rules_engine.io.arrangements import load_arrangement, parse_json_line
from rules_engine.io.decoding import Decoder, decoder_for
from rules_engine.io.documents import json_line
from rules_engine.io.facts import Problems, record_validator
from rules_engine.reports.json_lines import LineEncoder

from conftest import ROOT, examples

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
POPULATIONS = sorted((ROOT / "examples").glob("*.jsonl"))


@pytest.fixture(scope="module")
def schema(engine):
    assert engine.library.schema.decoder is not None, "the shipped schema has a typed decoder"
    return engine.library.schema


@pytest.fixture(scope="module")
def validator_only(schema):
    """The same schema reading through the validator alone."""
    return attrs.evolve(schema, decoder=None)


def _validated(schema, text):
    """The validator's facts for a JSON text, or None when it reports a problem."""
    try:
        document = json_line(text, "p.jsonl", 1)
    except InvalidInput:
        return None
    problems = Problems()
    facts = schema.validator(document, None, problems)
    return None if problems else facts


def _same(fast, slow):
    """Equal facts, containers of the same kinds at the same paths."""
    assert type(fast) is type(slow)
    if isinstance(slow, dict):
        assert fast.path == slow.path and set(fast) == set(slow)
        for key in slow:
            _same(fast[key], slow[key])
    elif isinstance(slow, list):
        assert fast.path == slow.path and len(fast) == len(slow)
        for a, b in zip(fast, slow):
            _same(a, b)
    else:
        assert fast == slow and str(fast) == str(slow)  # Decimal('0.5') is not Decimal('0.50')


@pytest.mark.parametrize("path", POPULATIONS, ids=lambda p: p.name)
def test_every_shipped_population_line_decodes_as_the_validator_reads_it(schema, path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for text in lines:
        fast, slow = schema.decoder.json_text(text), _validated(schema, text)
        assert fast is not None, "a valid line takes the fast path"
        _same(fast, slow)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_file_decodes_as_the_validator_reads_it(schema, validator_only, path):
    fast = load_arrangement(schema, path)
    slow = load_arrangement(validator_only, path)
    _same(fast.facts, slow.facts)


def test_a_population_gives_the_same_json_lines_through_either_reader(engine, schema, validator_only):
    """End to end: the results do not depend on which reader read the facts."""
    path = ROOT / "examples" / "population-qmm.jsonl"
    encoder = LineEncoder()
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fast = engine.evaluate(parse_json_line(schema, text, "p.jsonl", number), None)
        slow = engine.evaluate(parse_json_line(validator_only, text, "p.jsonl", number), None)
        assert encoder.line(fast) == encoder.line(slow)


# -------------------------------------------------------- arrangements made up

_BASE = [json.loads(line) for line in
         (ROOT / "examples" / "population-qmm.jsonl").read_text(encoding="utf-8").splitlines()[:3]]

_ODD_VALUES = [None, True, False, 0, -1, 1, 0.5, 1.5, -0.25, 2 ** 70, 1e308, 12.0, "12", "1,200", "£5",
               "", "x", "08:00", "08:00-18:30", "25:00", "2025-06-01", "2025-02-30",
               "2025-06-01T10:00", "9999-01-01", "paramedic", "curly’s", "a:b:c", "\u00e9",
               [], {}, [1], {"x": 1}]


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


@st.composite
def _arrangement_texts(draw):
    """A real arrangement, mutated: values replaced (odd types, nulls, edge
    numbers, colons, escapes), fields dropped or invented, then written with
    varied JSON spelling, sometimes with a key repeated."""
    document = json.loads(json.dumps(draw(st.sampled_from(_BASE))))
    rng = random.Random(draw(st.integers(0, 2 ** 32)))
    for _ in range(draw(st.integers(0, 4))):
        paths = [p for p in _paths(document) if p]
        path = rng.choice(paths)
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "drop", "invent", "keep"]))
        if action == "replace":
            parent[path[-1]] = rng.choice(_ODD_VALUES)
        elif action == "drop":
            del parent[path[-1]]
        elif action == "invent" and isinstance(parent, dict):
            parent[rng.choice(["extra", "list_sise", "as_of2"])] = rng.choice(_ODD_VALUES)
    text = json.dumps(document, ensure_ascii=draw(st.booleans()),
                      separators=draw(st.sampled_from([(",", ":"), (", ", ": "), (",", " : ")])))
    if draw(st.booleans()):
        text = text.replace('{"as_of"', '{"as_of": "2025-06-01", "as_of"', 1)  # a repeated key
    if draw(st.booleans()):  # a colon spelt as an escape, inside a string
        text = re.sub(r'("code"\s*:\s*")', r"\1\\u003a", text, count=1)
    return text


@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.too_slow])
@given(_arrangement_texts())
def test_the_decoder_accepts_only_what_the_validator_accepts_and_reads_it_the_same(schema, text):
    fast, slow = schema.decoder.json_text(text), _validated(schema, text)
    if slow is None:
        assert fast is None, "input the validator reports must go to the validator"
    elif fast is not None:
        _same(fast, slow)


@settings(max_examples=examples(60), suppress_health_check=[HealthCheck.too_slow])
@given(_arrangement_texts())
def test_a_line_errs_with_the_same_diagnostics_with_or_without_the_decoder(schema, validator_only, text):
    def outcome(reader):
        try:
            return parse_json_line(reader, text, "p.jsonl", 7).facts
        except InvalidInput as error:
            return [(d.code, d.message, d.path, d.span) for d in error.diagnostics]
    fast, slow = outcome(schema), outcome(validator_only)
    if isinstance(slow, list):
        assert fast == slow
    else:
        _same(fast, slow)


def test_a_repeated_key_is_refused_though_msgspec_keeps_the_last(schema):
    text = (ROOT / "examples" / "population-qmm.jsonl").read_text(encoding="utf-8").splitlines()[0]
    repeated = text.replace('{"as_of"', '{"as_of": "2024-06-01", "as_of"', 1)
    assert repeated != text
    assert schema.decoder.json_text(text) is not None
    assert schema.decoder.json_text(repeated) is None
    with pytest.raises(InvalidInput) as raised:
        parse_json_line(schema, repeated, "p.jsonl", 3)
    assert raised.value.diagnostics[0].code == "E-FACT-006" and "twice" in raised.value.diagnostics[0].message


def test_a_colon_spelt_as_an_escape_cannot_hide_a_repeated_key(schema):
    """The escape adds a colon to the strings decoded but none to the text,
    as many as the repeated key adds to the text: the counts would agree."""
    text = '{"as_of": "2025-06-01", "pcn": {"code": "U1"}}'
    assert schema.decoder.json_text(text) is not None
    hidden = '{"as_of": "2025-06-01", "as_of": "2025-06-01", "pcn": {"code": "U\\u003a1"}}'
    assert schema.decoder.json_text(hidden) is None
    with pytest.raises(InvalidInput) as raised:
        parse_json_line(schema, hidden, "p.jsonl", 1)
    assert raised.value.diagnostics[0].code == "E-FACT-006"


# -- the generated walk: a schema's names stay data ------------------------------

#: Field names a schema could give that, spliced into Python text, would be
#: code or would collide with the walk's own names.
HOSTILE_NAMES = ["__import__('os').system('touch HACKED')", "'''", "a b. c", "value", "chain", "tally", "out",
                 "keys", "K", "__builtins__", "item", "Reject", "lambda"]


def test_a_schema_with_hostile_names_decodes_them_as_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inner = t.Record("r.inner", tuple((name, t.Quantity(t.DIMENSIONLESS)) for name in HOSTILE_NAMES))
    root = t.Record("r", (("as_of", t.Date()), *((name, t.Text()) for name in HOSTILE_NAMES),
                          ("m", t.MapOf(t.Enum("e", tuple(HOSTILE_NAMES)), inner)),
                          ("l", t.ListOf(inner))))
    decoder = Decoder(root, frozenset({"as_of"}))
    numbers = {name: index for index, name in enumerate(HOSTILE_NAMES)}
    document = {"as_of": "2025-06-01", **{name: name + ": text" for name in HOSTILE_NAMES},
                "m": {name: numbers for name in HOSTILE_NAMES}, "l": [numbers, None]}
    text = json.dumps(document)
    fast = decoder.json_text(text)
    assert fast is not None
    problems = Problems()
    slow = record_validator(root, frozenset({"as_of"}), "")(json.loads(text), None, problems)
    assert not problems
    _same(fast, slow)
    assert fast[HOSTILE_NAMES[0]] == HOSTILE_NAMES[0] + ": text"
    assert fast["m"]["'''"]["lambda"] == 12 and fast["l"][1] is None
    assert decoder.json_text(text.replace('"m": {"', '"m": {"not a member', 1)) is None  # the validator decides
    assert not (tmp_path / "HACKED").exists()
    # a name msgspec does not take (a quote, a backslash, a control character):
    # no decoder, the validator alone reads
    for name in ('"""', "a\\b", "a\nb"):
        assert decoder_for(t.Record("q", ((name, t.Text()),)), frozenset()) is None
