"""cache.py and the grammar cache: JSON data only, in a folder that is the
user's own; anything planted, foreign or corrupt costs a rebuild, never runs."""

from __future__ import annotations

import json
import os
import pickle
import stat
import sys
from pathlib import Path

import attrs
import lark
import pytest

from rules_engine.base import cache
from rules_engine.syntax import parser as parser_module
from rules_engine.syntax.parser import CACHE_NAME, _collector, _parser, cache_key, grammar_text
from rules_engine.static.load import default_sources

from fuzzing import time_limit

# `_parser.__wrapped__()` is `_parser()` without its memo: what a fresh
# process does on its first parse (look in the cache, else build and store).
# Building the grammar costs about half a second of CPU, so a test builds only
# when the build is what it tests; the others start from `built`'s entry.


@pytest.fixture(autouse=True)
def no_shipped_tables(monkeypatch):
    """These tests are of the user's cache: the tables shipped with the
    package (tests/test_parser_tables.py), which come first, are left out."""
    monkeypatch.setattr(parser_module, "SHIPPED_TABLES", None)


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(cache.DISABLE, raising=False)
    return tmp_path


def entry(home: Path) -> Path:
    return home / "contract-rules" / f"{CACHE_NAME}-{cache_key(grammar_text())[:16]}.json"


@attrs.frozen
class Built:
    """A parser built into an empty cache: the folder it made, the entry it
    wrote (its bytes) and the parser. Read it; never change `home`."""

    home: Path
    parser: lark.Lark
    entry_bytes: bytes


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    home = tmp_path_factory.mktemp("built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(home))
        patch.delenv(cache.DISABLE, raising=False)
        patch.setattr(parser_module, "SHIPPED_TABLES", None)
        parser = _parser.__wrapped__()
    return Built(home, parser, entry(home).read_bytes())


def put_entry(home: Path, data: bytes) -> Path:
    """`data` as the cache entry under `home`, with the modes `cache.store`
    gives (folder 0700, file 0600)."""
    folder = home / "contract-rules"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = entry(home)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return path


class _Planted:
    """Unpickling this would create the marker file (by os.system)."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _plant(folder: Path, marker: Path) -> list[Path]:
    """A code-running pickle under every name a cache file has had or has."""
    payload = pickle.dumps(_Planted(marker))
    digest = cache_key(grammar_text())
    names = [f"{CACHE_NAME}-{digest[:16]}.json", f"{CACHE_NAME}-{digest[:16]}.cache",
             f"grammar-{digest[:16]}-lark1.3.1-py3.11.cache"]
    import hashlib
    import lark
    old = hashlib.sha256(grammar_text().encode()).hexdigest()[:16]
    names.append(f"grammar-{old}-lark{lark.__version__}-py{sys.version_info[0]}.{sys.version_info[1]}.cache")
    paths = []
    for name in names:
        # lark's own cache format was a hash line, then pickles: it unpickled
        # before it compared the hash.
        (folder / name).write_bytes(payload if name.endswith(".json") else b"0\n" + payload)
        paths.append(folder / name)
    return paths


def test_a_planted_pickle_is_never_unpickled(cache_home):
    folder = cache_home / "contract-rules"
    folder.mkdir(mode=0o700)
    marker = cache_home / "code-ran"
    _plant(folder, marker)
    assert _parser.__wrapped__().parse(default_sources()[0].text, start="start")
    assert not marker.exists(), "a pickle in the cache folder was executed"
    # ... and the entry it displaced was rebuilt as JSON.
    header, body = entry(cache_home).read_bytes().split(b"\n", 1)
    assert json.loads(header)["format"] == cache.FORMAT
    json.loads(body)


def test_the_planted_pickle_would_run_if_unpickled(tmp_path):
    # The guard above is only meaningful if the payload is live.
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Planted(marker)))
    assert marker.exists()


def test_the_cache_holds_json_and_loads_the_same_parser(built, cache_home):
    # `built` built the parser and wrote the cache; its entry, read back:
    header, body = built.entry_bytes.split(b"\n", 1)
    assert json.loads(header)["key"] == cache_key(grammar_text())
    assert not body.startswith(b"\x80")  # not a pickle
    put_entry(cache_home, built.entry_bytes)
    loaded = _parser.__wrapped__()  # reads it back
    assert loaded is not built.parser
    assert entry(cache_home).read_bytes() == built.entry_bytes  # read, not rebuilt and rewritten
    for source in default_sources():
        assert loaded.parse(source.text, start="start") == built.parser.parse(source.text, start="start")
    _collector.tokens.clear()
    loaded.parse("# kept\n" + default_sources()[0].text, start="start")
    assert _collector.tokens and _collector.tokens[0].value == "# kept"  # comments still collected


def test_the_folder_and_the_entry_are_the_users_own(built):
    folder = built.home / "contract-rules"  # as the build left it
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    mode = stat.S_IMODE(entry(built.home).stat().st_mode)
    assert not mode & 0o077
    assert not list(folder.glob(".*.tmp"))  # the temporary file was moved into place


CORRUPTIONS = [
    b"not a parser", b"", b"\x80\x04K\x01.",  # garbage, empty, a pickle
    None,  # truncated
    "body",  # body changed under the header's digest
    "key",  # another grammar's entry under this name
]
# A rebuild after a refused entry is the same code whatever the corruption
# (about a second of CPU each): the fast tier rebuilds after two of them
# (garbage, a body changed under its digest), the slow tier after every one;
# every corruption is refused in both.
REBUILT = {b"not a parser", "body"}


def _corrupt(home: Path, original: bytes, corruption) -> None:
    """The entry `original` written under `home`, used whole, then corrupted."""
    path = put_entry(home, original)
    assert cache.load(CACHE_NAME, cache_key(grammar_text())) is not None  # whole, it is used
    header, body = original.split(b"\n", 1)
    if corruption is None:
        path.write_bytes(original[: len(original) // 2])
    elif corruption == "body":
        path.write_bytes(header + b"\n" + body.replace(b'"start"', b'"Start"', 1))
    elif corruption == "key":
        other = json.loads(header)
        other["key"] = "0" * 64
        path.write_bytes(json.dumps(other).encode() + b"\n" + body)
    else:
        path.write_bytes(corruption)
    assert cache.load(CACHE_NAME, cache_key(grammar_text())) is None


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_a_corrupt_or_foreign_entry_is_refused(built, cache_home, corruption):
    _corrupt(cache_home, built.entry_bytes, corruption)


@pytest.mark.parametrize("corruption", [c if c in REBUILT else pytest.param(c, marks=pytest.mark.slow)
                                        for c in CORRUPTIONS])
def test_a_corrupt_or_foreign_entry_only_costs_a_rebuild(built, cache_home, corruption):
    _corrupt(cache_home, built.entry_bytes, corruption)
    rebuilt = _parser.__wrapped__()
    text = default_sources()[0].text
    assert rebuilt.parse(text, start="start") == built.parser.parse(text, start="start")
    assert cache.load(CACHE_NAME, cache_key(grammar_text())) is not None  # written again


def test_well_formed_json_that_is_not_a_parser_only_costs_a_rebuild(cache_home):
    key = cache_key(grammar_text())
    assert cache.store(CACHE_NAME, key, {"data": {"rules": 1}, "memo": {"x": [1]}})
    assert _parser.__wrapped__().parse(default_sources()[0].text, start="start")
    assert cache.load(CACHE_NAME, key)["data"]["__type__"] == "Lark"  # replaced by a real one


# Every mode is refused in the fast tier; the parser is rebuilt beside two of
# them there (writable by all, by others), beside every one in the slow tier.
@pytest.mark.parametrize("mode, rebuild", [
    (0o777, True), (0o770, False), (0o720, False), (0o702, True),
    pytest.param(0o770, True, marks=pytest.mark.slow), pytest.param(0o720, True, marks=pytest.mark.slow)])
def test_a_cache_folder_writable_by_others_is_not_used(cache_home, mode, rebuild):
    folder = cache_home / "contract-rules"
    folder.mkdir()
    os.chmod(folder, mode)
    marker = cache_home / "code-ran"
    _plant(folder, marker)
    key = cache_key(grammar_text())
    # Even a valid entry in it is not read, and nothing is written there.
    os.chmod(folder, 0o700)
    assert cache.store(CACHE_NAME, key, {"data": {}, "memo": {}})
    os.chmod(folder, mode)
    before = sorted(p.name for p in folder.iterdir())
    assert cache.folder() is None and cache.load(CACHE_NAME, key) is None
    assert not cache.store(CACHE_NAME, key, {"data": {}, "memo": {}})
    if rebuild:
        assert _parser.__wrapped__().parse(default_sources()[0].text, start="start")
    assert sorted(p.name for p in folder.iterdir()) == before
    assert not marker.exists()


def test_a_symlinked_cache_folder_is_not_used(cache_home, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    os.chmod(elsewhere, 0o700)
    (cache_home / "contract-rules").symlink_to(elsewhere, target_is_directory=True)
    assert cache.folder() is None
    _parser.__wrapped__()
    assert not list(elsewhere.iterdir())


def test_an_entry_writable_by_others_or_a_symlink_is_not_read(built, cache_home):
    key = cache_key(grammar_text())
    path = put_entry(cache_home, built.entry_bytes)
    assert cache.load(CACHE_NAME, key) is not None
    os.chmod(path, 0o666)
    assert cache.load(CACHE_NAME, key) is None
    os.chmod(path, 0o600)
    real = path.with_name("real.json")
    path.rename(real)
    path.symlink_to(real)
    assert cache.load(CACHE_NAME, key) is None


def test_a_fifo_in_place_of_an_entry_does_not_block(cache_home):
    folder = cache_home / "contract-rules"
    folder.mkdir(mode=0o700)
    os.mkfifo(entry(cache_home))
    with time_limit(60):  # a blocking open would fail the test here, not hang it
        assert _parser.__wrapped__().parse(default_sources()[0].text, start="start")


def test_the_key_changes_with_the_grammar():
    grammar = grammar_text()
    assert cache_key(grammar) != cache_key(grammar + "\n// changed\n")
    assert len(cache_key(grammar)) == 64


def test_the_cache_can_be_turned_off(cache_home, monkeypatch):
    monkeypatch.setenv(cache.DISABLE, "1")
    _parser.__wrapped__()
    assert not (cache_home / "contract-rules").exists()
    assert cache.load(CACHE_NAME, cache_key(grammar_text())) is None


def test_the_json_encoding_gives_back_lark_data_exactly():
    from rules_engine.syntax.parser import _from_json, _to_json
    value = {"a": (1, (2, "x")), 3: [None, True, {"@": 4}], "\x00tuple": "a key like a tag",
             (1, 2): "tuple key", "s": []}
    text = json.dumps(_to_json(value))
    assert json.loads(text, object_hook=_from_json) == value
    from lark.grammar import Rule
    from lark.lexer import TerminalDef
    data, memo = _parser().memo_serialize([TerminalDef, Rule])
    data["options"].pop("lexer_callbacks")
    assert json.loads(json.dumps(_to_json(data)), object_hook=_from_json) == data
    assert json.loads(json.dumps(_to_json(memo)), object_hook=_from_json) == memo


def test_a_parser_json_cannot_hold_is_not_cached_and_still_works(cache_home, monkeypatch):
    from rules_engine.syntax import parser as parser_module
    real = parser_module._to_json

    def refuse(value):
        if isinstance(value, dict) and "__type__" in value and value["__type__"] == "Lark":
            raise TypeError("cannot cache a frozenset")
        return real(value)
    monkeypatch.setattr(parser_module, "_to_json", refuse)
    assert _parser.__wrapped__().parse(default_sources()[0].text, start="start")
    assert not entry(cache_home).exists()
