"""static/load.py: the stages as data, and the memo of parsed and lowered files."""

from __future__ import annotations

import pytest

from rules_engine.base import cache, limits
from rules_engine.base.diagnostics import InvalidInput
from rules_engine.run.engine import Engine
from rules_engine.static.load import _lower_one, _parse_one
from rules_engine.static.load import default_sources, run_until
from rules_engine.base.source import SourceFile

GOOD = 'national contract extra "Extra terms"\n\nparameter cap: count = 3\n'


def test_loading_the_library_again_reuses_its_parses_and_lowerings(monkeypatch):
    """In one process, without the cache between runs (test_checked_cache.py)."""
    monkeypatch.setenv(cache.DISABLE, "1")
    Engine.load()
    parsed, lowered = _parse_one.cache_info().hits, _lower_one.cache_info().hits
    again = Engine.load()
    files = len(default_sources())
    assert _parse_one.cache_info().hits >= parsed + files
    assert _lower_one.cache_info().hits >= lowered + files
    assert again.library.forms.keys() == Engine.load().library.forms.keys()


def test_a_changed_text_under_the_same_name_is_parsed_again():
    assert run_until("lower", [SourceFile("memo.rules", GOOD)])[0].syntax.declarations
    with pytest.raises(InvalidInput) as raised:
        run_until("lower", [SourceFile("memo.rules", GOOD.replace("= 3", "= "))])
    assert [d.code for d in raised.value.diagnostics] == ["E-SYNTAX-003"]  # ends mid-declaration
    assert run_until("lower", [SourceFile("memo.rules", GOOD)])[0].syntax.declarations


def test_the_memo_is_kept_per_setting_of_the_limits():
    source = SourceFile("memo-limits.rules", GOOD)
    run_until("lower", [source])
    misses = _lower_one.cache_info().misses
    with limits.overridden(max_expression_depth=7):
        run_until("lower", [source])
    assert _lower_one.cache_info().misses == misses + 1
