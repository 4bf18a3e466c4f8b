"""An arrangement file read as plain data by ruamel's C parser
(`documents.read_yaml_data`) gives what the round-trip reader gives, and
every problem keeps its file, line, column and code (the text is read again
with its lines when a diagnostic needs one).

The golden diagnostics (test_golden_diagnostics.py) run the same cases
through the command line; here each reading is compared with the other.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from rules_engine import InvalidInput
from rules_engine.base import limits
from rules_engine.base.source import SourceFile
from rules_engine.io import arrangements, documents

from conftest import GOLDEN, ROOT

pytestmark = pytest.mark.skipif(documents._safe_reader() is None, reason="ruamel.yaml.clib is not installed")

FILES = sorted([*(ROOT / "examples").glob("*.yaml"), *(GOLDEN / "errors").glob("*.yaml"),
                *(ROOT / "tests" / "scenarios").rglob("*.yaml")])


def plain(value):
    """ruamel's round-trip containers and scalars as the plain values they stand for."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def typed(value):
    """A value with the exact type of every part, so that 1 and 1.0 and True differ."""
    if isinstance(value, dict):
        return [(typed(k), typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [typed(v) for v in value]
    if value is None or type(value) in (bool, int, float, str):
        return (type(value).__name__, value)
    return (type(value).__name__, repr(value))  # anything else (a tagged scalar) by its repr


def both(text: str, name: str = "a.yaml"):
    source = SourceFile(name, text)
    return (documents.read_yaml_data(source, "arrangement", "E-FACT-006"),
            documents.read_yaml(source, "arrangement", "E-FACT-006"))


def diagnostics(engine, text: str, name: str = "a.yaml") -> list:
    """What reading and checking the text raises (a key not in a table on
    the date is found when checking, and placed then)."""
    with pytest.raises(InvalidInput) as raised:
        engine.check([engine.load_arrangement(name, text)])
    return raised.value.diagnostics


def round_trip_only(monkeypatch):
    monkeypatch.setattr(arrangements, "read_yaml_data", documents.read_yaml)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_yaml_file_reads_the_same_both_ways(path):
    text = path.read_text(encoding="utf-8")
    try:
        fast, slow = both(text, str(path))
    except InvalidInput as error:  # an unreadable file: the same error both ways (read_yaml's)
        with pytest.raises(InvalidInput) as again:
            documents.read_yaml(SourceFile(str(path), text), "arrangement", "E-FACT-006")
        assert again.value.diagnostics == error.diagnostics
        return
    assert typed(plain(fast)) == typed(plain(slow))


def test_the_examples_are_read_by_the_c_parser():
    """Not a test that cannot fail: the examples do take the fast path."""
    for path in (ROOT / "examples").glob("*.yaml"):
        fast, _ = both(path.read_text(encoding="utf-8"), str(path))
        assert type(fast) is dict, path


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.name)
def test_the_facts_are_the_same(engine, path, monkeypatch):
    fast = engine.load_arrangement(path)
    round_trip_only(monkeypatch)
    slow = engine.load_arrangement(path)
    assert fast.facts == slow.facts
    assert json.dumps(fast.facts, default=str, sort_keys=True) == json.dumps(slow.facts, default=str, sort_keys=True)


@pytest.mark.parametrize("path", sorted((GOLDEN / "errors").glob("*.yaml")), ids=lambda p: p.name)
def test_every_golden_error_is_placed_as_before(fixture_engine, path, monkeypatch):
    text = path.read_text(encoding="utf-8")
    fast = diagnostics(fixture_engine, text, path.name)
    round_trip_only(monkeypatch)
    assert fast == diagnostics(fixture_engine, text, path.name)
    assert all(d.span is not None and d.span.line >= 1 for d in fast)


TRICKY = {
    "dates stay text": "as_of: 2025-06-01\nwhen: 2025-06-01 09:30:00\n",
    "YAML 1.1 words stay text": "a: on\nb: yes\nc: off\nd: No\n",
    "numbers": "a: 1.50\nb: 1e3\nc: 0x1F\nd: 0o17\ne: 010\nf: 1_000\ng: .inf\nh: -0.0\ni: 12345678901234567890\n",
    "nulls": "a: ~\nb: null\nc:\n",
    "block scalars": "a: |\n  two\n  lines\nb: >\n  folded\n  text\n",
    "quotes": "a: 'it''s'\nb: \"tab\\there \\u00e9\"\nc: \"2025-06-01\"\n",
    "non-ASCII": "name: Dr Zoë Ó'Brien\nfee: £1,000\n",
    "flow": "a: {b: [1, 2, {c: d}], e: []}\n",
    "keys": "2: a\ntrue: b\n1.5: c\nnull: d\n",
    "compact lists": "- - - x\n  - y\n- a: 1\n  b: 2\n",
    "empty": "",
    "comment only": "# nothing\n",
    "a scalar": "42\n",
}


@pytest.mark.parametrize("text", TRICKY.values(), ids=TRICKY.keys())
def test_tricky_text_reads_the_same(text):
    fast, slow = both(text)
    assert typed(plain(fast)) == typed(plain(slow))


REFUSED = {
    "a duplicate key": ("pcn:\n  code: U1\n  code: U2\n", "E-FACT-006", 3),
    "a list as a key": ("[a, b]: 1\n", "E-FACT-006", 1),
    "a mapping as a key": ("? {a: 1}\n: 2\n", "E-FACT-006", 1),
    "two documents": ("a: 1\n---\nb: 2\n", "E-FACT-006", 2),
    "a tab": ("a:\n\t- 1\n", "E-FACT-006", 2),
    "a control character": ("a: b\x07c\n", "E-FACT-006", 1),
    "bad indentation": ("a:\n  b: 1\n c: 2\n", "E-FACT-006", 3),
}


@pytest.mark.parametrize("text, code, line", REFUSED.values(), ids=REFUSED.keys())
def test_what_the_round_trip_reader_refuses_is_refused_where_it_is(fixture_engine, text, code, line, monkeypatch):
    fast = diagnostics(fixture_engine, text)
    assert (fast[0].code, fast[0].span.line) == (code, line)
    round_trip_only(monkeypatch)
    assert fast == diagnostics(fixture_engine, text)


def test_nesting_past_the_limit_is_refused_as_before(fixture_engine, monkeypatch):
    text = "a:\n  b:\n    c:\n      d:\n        e: 1\n"
    with limits.overridden(max_nesting_depth=3):
        assert not documents._plain_enough(text)  # the bound says it may be too deep: read_yaml reads it
        fast = diagnostics(fixture_engine, text)
        round_trip_only(monkeypatch)
        assert fast == diagnostics(fixture_engine, text)
    assert fast[0].code == "E-LIMIT-003"


def test_one_line_of_many_lists_is_bounded():
    """`- - - x` nests a list per dash on one line: the bound counts them."""
    text = "- " * 150 + "x\n"
    assert not documents._plain_enough(text)  # 2 * 301 + 0 > 200
    with limits.overridden(max_nesting_depth=1000):
        assert documents._plain_enough(text)
        fast, slow = both(text)
    assert typed(plain(fast)) == typed(plain(slow))


def test_a_problem_found_after_reading_is_placed_on_its_line(fixture_engine):
    """Read as plain data (no lines), the file is read again to place it."""
    text = "as_of: 2025-06-01\npcn:\n  code: U1\n  raw_list_size: lots\n"
    assert type(both(text)[0]) is dict
    (d,) = diagnostics(fixture_engine, text)
    assert (d.code, d.path, d.span.line, d.span.column) == ("E-FACT-002", "pcn.raw_list_size", 4, 18)


# ------------------------------------------------------------ generated texts

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from conftest import examples  # noqa: E402

_SCALAR_TEXT = st.text(st.sampled_from(list("abcXYZ019 -_:#,.'\"/%&*!?[]{}|>@`~£é\t")), max_size=12)
_SCALARS = (st.none() | st.booleans() | st.integers(-10**20, 10**20)
            | st.floats(allow_nan=False, allow_infinity=True) | _SCALAR_TEXT
            | st.sampled_from(["2025-06-01", "2025-02-30", "on", "yes", "No", "~", "0x1F", "0o17", "010",
                               "1_000", ".5", "1e3", "12:30", "08:00-18:30", "£1,000", "null", ""]))
_DATA = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text("abc_01", min_size=1, max_size=6) | st.integers(0, 9), inner,
                                       max_size=4), max_leaves=20)


def _dumped(data, flow: bool) -> str:
    import io as _io
    from ruamel.yaml import YAML
    writer = YAML(typ="rt")
    writer.default_flow_style = flow
    out = _io.StringIO()
    writer.dump(data, out)
    return out.getvalue()


def documents_refused(text: str) -> list:
    with pytest.raises(InvalidInput) as raised:
        documents.read_yaml(SourceFile("a.yaml", text), "arrangement", "E-FACT-006")
    return raised.value.diagnostics


def _outcome(read, text: str):
    """The document as plain values, or the diagnostics of the error."""
    try:
        return "read", typed(plain(read(SourceFile("g.yaml", text), "arrangement", "E-FACT-006")))
    except InvalidInput as error:
        return "refused", error.diagnostics


@settings(max_examples=examples(200), suppress_health_check=[HealthCheck.too_slow])
@given(_DATA, st.booleans())
def test_written_data_reads_the_same_both_ways(data, flow):
    text = _dumped(data, flow)
    assert _outcome(documents.read_yaml_data, text) == _outcome(documents.read_yaml, text)


_PIECES = st.sampled_from(["a", "b1", "0", "1.5", "-", "- ", ": ", ":", "#", " #", "'", '"', "\\", "[", "]",
                           "{", "}", ",", "? ", "---", "...", "@", "`", "%", "\r", "\ufeff", "\x85",
                           "\u2028", "é", "2025-06-01", "~", "null", "true", "\t", "\x07", "&", "*", "|"])
_LINE = st.tuples(st.sampled_from(["", " ", "  ", "    "]), st.lists(_PIECES, max_size=6)).map(
    lambda parts: parts[0] + "".join(parts[1]))
_LINES = st.lists(_LINE, max_size=6)


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow])
@given(_LINES)
def test_any_text_reads_or_is_refused_the_same_both_ways(lines):
    """Broken text included: either both read it to the same values, or it
    is refused with the round-trip reader's diagnostic."""
    text = "\n".join(lines) + "\n"
    fast, slow = _outcome(documents.read_yaml_data, text), _outcome(documents.read_yaml, text)
    if slow[0] == "refused" and "cannot place one of its comments" in slow[1][0].message:
        return  # valid YAML ruamel's reader fails on (`a: #` over a value): the C parser may read it
    assert fast == slow


#: Texts on which libyaml and ruamel's own parser disagree, found by the
#: property test above: the filter sends each to the round-trip reader.
DISAGREE = ["|#\n", "\n\ufeff\n", "\r\ufeff\n", "-\x85-\n", "a\x85...\n", "a: b\u2028c\n", "a\n...\n...\n",
            "a: 1\n...\n...\n"]


@pytest.mark.parametrize("text", DISAGREE, ids=repr)
def test_where_libyaml_disagrees_the_round_trip_reader_reads(text):
    assert not documents._plain_enough(text)
    assert _outcome(documents.read_yaml_data, text) == _outcome(documents.read_yaml, text)


def test_a_comment_the_round_trip_reader_cannot_place_is_an_error_not_a_traceback(fixture_engine, tmp_path, capsys):
    """ruamel's round-trip reader failed an internal assert on `| #` (a
    traceback, before this test): now E-FACT-006, exit 2."""
    from rules_engine.cli import main
    for other in ("a: #\n a\n\n", ": #\n a\n\n"):  # "overlap in comment" (NotImplementedError)
        (d,) = documents_refused(other)
        assert d.code == "E-FACT-006" and "comment" in d.message
    # valid YAML: the C parser reads what ruamel's reader cannot
    assert documents.read_yaml_data(SourceFile("a.yaml", "a: #\n a\n\n"), "arrangement", "E-FACT-006") == {"a": "a"}
    text = "\n\n| #\n"
    (d,) = diagnostics(fixture_engine, text)
    assert d.code == "E-FACT-006" and "comment" in d.message
    path = tmp_path / "a.yaml"
    path.write_text(text)
    assert main(["check", str(path)]) == 2
    assert "Traceback" not in capsys.readouterr().err
