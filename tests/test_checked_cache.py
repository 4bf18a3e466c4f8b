"""static/checked_cache.py: the shipped library, checked once, kept between
runs in the user's cache; a warm load neither parses nor checks it, gives
the same results, and nothing planted in the cache can run."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys

import pytest

from rules_engine.base import cache, limits
from rules_engine.program import loaded
from rules_engine.reports.json_report import dumps
from rules_engine.run.engine import Engine
from rules_engine.run.results import report_json
from rules_engine.static import checked_cache
from rules_engine.static.load import default_sources

from conftest import ROOT

EXAMPLES = [ROOT / "examples" / name for name in ("pcn-passing.yaml", "pcn-failing.yaml",
                                                   "pcn-missing-facts.yaml", "pcn-rural-qmm.yaml")]
QMM = ROOT / "contracts" / "local" / "qmm.rules"


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(cache.DISABLE, raising=False)
    return tmp_path


def _report(engine) -> str:
    return dumps(report_json(engine.check(engine.load_arrangements(EXAMPLES), None)))


def _entries(home) -> list:
    return sorted((home / "contract-rules").glob(f"{checked_cache.NAME}-*.json"))


@pytest.mark.parametrize("local, without", [(None, None), (QMM, None), (None, QMM)],
                         ids=["shipped", "with a proposed layer", "impact's baseline"])
def test_a_warm_load_reads_the_cache_and_gives_the_same_results(cache_home, monkeypatch, local, without):
    cold = Engine.load(local=local, without=without)
    assert len(_entries(cache_home)) == 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loaded, "run_until", lambda *a, **k: pytest.fail("parsed again"))
        patch.setattr(loaded, "check", lambda *a, **k: pytest.fail("checked again"))
        warm = Engine.load(local=local, without=without)
    assert warm.checked is not cold.checked
    assert _report(warm) == _report(cold)
    assert (warm.proposed is None) == (local is None) and warm.superseded == cold.superseded
    assert warm.library.schema.decoder is not None  # the reader is rebuilt, not kept


def test_a_changed_source_or_limit_is_another_entry(cache_home):
    sources = default_sources()
    first = checked_cache.key(sources, None)
    changed = [sources[0].__class__(sources[0].path, sources[0].text + "\n# edited\n"), *sources[1:]]
    assert checked_cache.key(changed, None) != first
    assert checked_cache.key(sources, str(QMM)) != first
    assert checked_cache.key(sources, None, "qmm") != first
    with limits.overridden(max_nesting_depth=50):
        assert checked_cache.key(sources, None) != first


def test_a_corrupt_entry_costs_a_load_from_the_sources(cache_home):
    cold = Engine.load()
    (path,) = _entries(cache_home)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF  # the body no longer matches its digest
    path.write_bytes(bytes(data))
    again = Engine.load()
    assert _report(again) == _report(cold)
    assert path.read_bytes() != bytes(data)  # rewritten whole


class _Planted:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_forged_entry_that_would_run_code_is_refused(cache_home):
    """A pickle that calls os.system, with a header that verifies (this
    format, the right key, the digest of its body): the unpickler can name
    nothing but classes of plain data, so it refuses and the library loads
    from its sources."""
    Engine.load()
    (path,) = _entries(cache_home)
    marker = cache_home / "code-ran"
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    for payload in (_Planted(marker), {"x": _Planted(marker)}, [eval], print):
        body = pickle.dumps(payload)
        forged = {**header, "sha256": hashlib.sha256(body).hexdigest()}
        path.write_bytes(json.dumps(forged).encode() + b"\n" + body)
        assert checked_cache.load(forged["key"]) is None
        assert not marker.exists(), "a forged cache entry ran code"
    assert Engine.load().library.schema is not None and not marker.exists()  # from the sources


def test_the_unpickler_admits_only_plain_data_classes():
    assert checked_cache._allowed("rules_engine.syntax.nodes", "Name")
    assert checked_cache._allowed("decimal", "Decimal")
    assert not checked_cache._allowed("os", "system")
    assert not checked_cache._allowed("builtins", "eval")
    assert not checked_cache._allowed("rules_engine.cli", "main")  # a function of the package
    assert not checked_cache._allowed("rules_engine.run.engine", "Engine")  # not a record


def test_the_cache_can_be_turned_off(cache_home, monkeypatch):
    monkeypatch.setenv(cache.DISABLE, "1")
    Engine.load()
    assert not (cache_home / "contract-rules").exists() or not _entries(cache_home)


def test_only_the_latest_entries_are_kept(cache_home):
    for index in range(10):
        assert cache.store_objects("example", f"{index:016d}", {"n": index}, keep=3)
    kept = sorted((cache_home / "contract-rules").glob("example-*.json"))
    assert len(kept) == 3


def test_a_warm_command_in_a_new_process_neither_parses_nor_checks(cache_home):
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    env.pop(cache.DISABLE, None)
    args = ["check", "examples/pcn-passing.yaml", "--format", "json"]
    cold = subprocess.run([sys.executable, "-m", "rules_engine", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    # the same command, in a process where loading from the sources would fail
    script = ("import sys; import rules_engine.program.loaded as loaded; "
              "loaded.run_until = loaded.check = None; "
              "from rules_engine.cli import main; sys.exit(main(sys.argv[1:]))")
    warm = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout, cold.stderr)
    assert cold.returncode == 0 and json.loads(cold.stdout)["arrangements"]


def test_records_are_kept_as_calls_of_their_class_with_their_fields():
    # base/records.py: a span, a type, a node and a name's resolution pickle as
    # `cls(*fields)` (smaller, read faster than attrs' __setstate__ loop), and
    # the entry still names only classes the unpickler admits.
    from rules_engine.base import typesys as t
    from rules_engine.base.records import pickled_by_fields
    from rules_engine.base.source import Span
    from rules_engine.static.check_expressions import Resolved
    from rules_engine.syntax.nodes import Name
    import attrs
    span = Span("contracts/gms.rules", 3, 5, 3, 9, 40, 44)
    name = Name(span, "list_size")
    for record in (span, t.Quantity(t.GBP), name, Resolved("fact", "practice.list_size")):
        reduced = record.__reduce__()
        assert reduced[0] is type(record)
        assert reduced[1] == tuple(getattr(record, f.name) for f in attrs.fields(type(record)))
    kept = pickle.dumps((name, name, [span]), protocol=5)
    first, second, (again,) = cache._Restricted(kept, checked_cache._allowed).load()
    assert first is second and first.span == span and again == span  # identity within an entry kept

    @attrs.frozen
    class Derived:
        x: int
        y: int = attrs.field(init=False, default=0)
    assert pickled_by_fields(Derived) is Derived and "__reduce__" not in vars(Derived)  # not rebuilt by its fields

    @pickled_by_fields
    @attrs.frozen(slots=False)
    class Base:
        x: int

    @attrs.frozen(slots=False)
    class Sub(Base):
        y: int
    globals().update(Base=Base, Sub=Sub)  # picklable by name in this test
    Base.__qualname__, Sub.__qualname__ = "Base", "Sub"
    assert pickle.loads(pickle.dumps(Sub(1, 2))) == Sub(1, 2)  # a subclass keeps attrs' way


def test_every_node_is_shown_as_attrs_shows_it(engine):
    """`base.records.fields_repr` (one function, not a __repr__ compiled for
    each node and type class at start-up) gives attrs' own repr: every such
    class in the shipped library, against a twin class attrs makes with its repr."""
    import attrs
    from rules_engine.base.records import fields_repr
    found = {}
    for node in checked_cache._nodes(engine.library).values():
        if type(node).__repr__ is fields_repr:
            found.setdefault(type(node), node)
    assert len(found) > 40  # the syntax tree's classes and the types: the test can fail
    assert {"Name", "Record", "Quantity"} <= {cls.__name__ for cls in found}
    for cls, node in found.items():
        names = [field.name for field in attrs.fields(cls)]
        twin = attrs.frozen(eq=False)(type(cls.__name__, (), {"__annotations__": dict.fromkeys(names, "object"),
                                                             "__qualname__": cls.__qualname__}))
        assert repr(node) == repr(twin(*[getattr(node, name) for name in names])), cls


def test_fields_repr_honours_a_fields_own_repr():
    import attrs
    from rules_engine.base.records import fields_repr

    def made(repr_of_b, attrs_repr: bool):
        @attrs.frozen(repr=attrs_repr)
        class Point:
            a: int
            b: str = attrs.field(repr=repr_of_b)
            c: tuple = ()
        return Point

    for repr_of_b in (True, False, lambda value: f"<{value}>"):
        ours, theirs = made(repr_of_b, False), made(repr_of_b, True)
        ours.__repr__ = fields_repr
        assert repr(ours(1, "x", (2,))) == repr(theirs(1, "x", (2,)))
