"""The analysed grammar shipped with the package (grammar/rules.tables.json,
tools/parser_tables.py): current, JSON data only, the same parser as one
built from the grammar, and used only when its key matches."""

from __future__ import annotations

import json

import pytest

from rules_engine.base.source import SourceFile
from rules_engine.static.load import default_sources
from rules_engine.syntax import parser as parser_module
from rules_engine.syntax.parser import _collector, _load_shipped, _parser, build, grammar_text, parse
from tools import parser_tables


def test_the_shipped_tables_are_of_this_grammar():
    assert parser_tables.written_key() == parser_tables.current_key(), (
        "grammar/rules.tables.json is out of date: run `python -m tools.parser_tables --write`")
    assert parser_tables.main(["--check"]) == 0


def test_the_shipped_tables_are_json_and_give_the_built_parser():
    raw = parser_tables.TABLES.read_bytes()
    assert raw.startswith(b'{"key":') and json.loads(raw)["key"] == parser_tables.current_key()
    shipped, built = _load_shipped(grammar_text()), build()
    assert shipped is not None
    sources = default_sources()
    for source in sources[:4] + sources[-2:]:
        assert shipped.parse(source.text, start="start") == built.parse(source.text, start="start")
    _collector.tokens.clear()
    shipped.parse("# kept\n" + sources[0].text, start="start")
    assert _collector.tokens and _collector.tokens[0].value == "# kept"  # comments still collected


def test_a_process_parses_through_the_shipped_tables(monkeypatch, tmp_path):
    # nothing built, nothing written to the user's cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(parser_module, "build", lambda: pytest.fail("the grammar was built"))
    assert _parser.__wrapped__() is not None
    assert not list(tmp_path.rglob("grammar-*"))


@pytest.mark.parametrize("text", ["", "not json", '{"key":"0","data":{},"memo":{}}', "[1, 2]",
                                  '{"data":{},"memo":{}}'])
def test_missing_foreign_or_corrupt_tables_are_not_used(tmp_path, monkeypatch, text):
    grammar = grammar_text()
    assert _load_shipped(grammar) is not None  # the real file is used
    folder = tmp_path / "grammar"
    folder.mkdir()
    (folder / "rules.tables.json").write_text(text)
    monkeypatch.setattr(parser_module.resources, "files", lambda package: folder)
    assert _load_shipped(grammar) is None
    monkeypatch.setattr(parser_module, "SHIPPED_TABLES", "absent.json")
    assert _load_shipped(grammar) is None


def test_a_syntax_error_reads_the_same_through_the_shipped_tables():
    broken = SourceFile("broken.rules", 'national contract x "X"\nparameter a: count = = 1\n')
    assert [d.code for d in parse(broken).diagnostics] == ["E-SYNTAX-001"]
