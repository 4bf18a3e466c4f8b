"""Shared fixtures, the `--update-golden` switch, the hypothesis profiles,
the session's own cache folder with the checked libraries kept in memory, and
the fast tier's CPU budget (tests/README.md)."""

from __future__ import annotations

import gc
import os
import resource
import shutil
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import settings

import rules_engine
from rules_engine.base import cache
from rules_engine.cli import main
from rules_engine.ir.periods import Periods
from rules_engine.run.engine import Engine
from rules_engine.static import checked_cache

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


# ------------------------------------------------------ the garbage collector

#: A test process keeps a large heap for its whole life (the shipped library,
#: the checked libraries kept in memory, parsed grammars, the collected items:
#: some 400,000 objects), and at Python's thresholds (700, 10, 10) the
#: collector ran some 4,800 times in a run of 600 tests (25 times over the
#: whole heap): 6.5 of 22.6 s of CPU. At (10,000, 10, 10), some 200 times (5),
#: 2 to 3.5 s: young collections find the same cycles, less often
#: (tests/README.md, the fast tier's budget).
#: At (40,000, 10, 10), in the fast tier's workers, two pairs against
#: (10,000, 10, 10): 3.3 to 3.5 s of CPU in the collector a worker against
#: 4.1 to 6.1 (some 260 young collections against 870; gen1 and full
#: collections cost less, young ones the same). A test that collects before
#: it measures (test_impact_memory's compiled program) paid a second more at
#: larger thresholds when it ran after other tests' garbage had built up;
#: the memory tests run first now (`_FIRST`): 1.05 against 1.07 s. The
#: memory tests' measures are unmoved (their tracemalloc peaks equal to a
#: few kB at either).
gc.set_threshold(40_000, 10, 10)


# -------------------------------------------------------- hypothesis profiles

#: `default` is the whole suite's: each property test's own count
#: (`examples(n)`) or hypothesis's 100. `fast` is the fast tier's (chosen by
#: `-m "not slow"` when no profile is named): a quarter of each count, at
#: least 2. `thorough` has ten times as many: `pytest --hypothesis-profile=thorough`.
#: No deadline in any: a shared, loaded machine must not turn a slow example
#: into a failure.
settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("fast", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
FAST_TIER = "not slow"


def examples(n: int) -> int:
    """`n` examples in the default profile, scaled with the loaded profile's
    count (a quarter of `n` under `fast`, ten times under `thorough`): for
    `@settings(max_examples=...)`."""
    scaled = n * settings().max_examples // 100
    return max(min(n, 2), scaled)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files from the current output (review the diff)")


# ------------------------------------- the session's cache, checked libraries kept

#: Set by the first process of a run (the controller, under xdist) to the
#: cache folder it made; its workers inherit it and share the folder.
SESSION_CACHE = "CONTRACT_RULES_TEST_CACHE_HOME"
#: Modules whose tests are about the cache between processes itself: never the memo.
_CACHE_TESTS = {"test_checked_cache", "test_cache"}
_checked: dict[tuple[str, str], tuple] = {}
_memo = {"on": False, "share": False, "where": ""}
_real_load, _real_store = checked_cache.load, checked_cache.store


def _kept(entry_key: str) -> tuple | None:
    """checked_cache.load, with each entry read once a process: a test that
    runs a command in this process (CliRunner, main, the API) loads a
    library the suite has loaded before; unpickling it again is 0.2 s of CPU
    each time. Only for the session's own cache folder, not for a test that
    sets another (or turns the cache off), and never in the cache's own tests."""
    if not (_memo["on"] and cache.enabled() and str(cache.location()) == _memo["where"]):
        return _real_load(entry_key)
    if entry_key not in _checked:
        found = _real_load(entry_key)
        if found is None:
            return None
        _checked[entry_key] = found
        _kept_libraries[id(found[0])] = found[0]
        _kept_periods[id(found[0].library)] = (found[0].library, None)
    return _checked[entry_key]


def _keep(entry_key: str, checked, proposed, superseded: tuple) -> bool:
    stored = _real_store(entry_key, checked, proposed, superseded)
    if stored and _memo["on"] and cache.enabled() and str(cache.location()) == _memo["where"]:
        _checked[entry_key] = (checked, proposed, superseded)
        _kept_libraries[id(checked)] = checked
        _kept_periods[id(checked.library)] = (checked.library, None)
    return stored


# --------------------------------- compiled programs shared among engines

#: Modules whose tests are about compiling itself (a backend's fallback under
#: a patched `compile`, the tiering from closures to generated code, a
#: compiled program's memory): there each engine compiles its own programs.
_COMPILE_TESTS = {"test_backends", "test_impact_memory"}
#: The compiled programs a test process keeps for other engines, the most
#: recently used: the repeats are a few programs (the national one and QMM's
#: of 2025/26's first quarter, each compiled by both backends), and each kept
#: program is a large, long-lived part of the heap for the collector to walk.
KEEP_PROGRAMS = 24
_kept_libraries: dict[int, object] = {}  # id -> a checked library kept in memory (`_checked`)
_programs: OrderedDict = OrderedDict()
_real_made = Engine._made


def _shared_made(engine, key: tuple, checked, backend, traced: bool):
    """Engine._made, with a program compiled once a process for every
    engine over the same checked library kept in memory (`_kept`), proposed
    layer and assumptions, by the same backend: a command run in process
    builds its own engine over the library an earlier test loaded, and
    compiled the same programs again (883 compiles in the fast tier, 555 of
    them distinct). Which program, and whether traced, is the engine's own
    key (period, local layer, traced); the engine still chooses when to
    compile (the tiering) and which backend, as without the share. Never
    for a program with a coverage recorder, which the engine compiles
    itself, nor in `_COMPILE_TESTS`."""
    library = engine.checked
    if not _memo["share"] or _kept_libraries.get(id(library)) is not library:
        return _real_made(engine, key, checked, backend, traced)
    shared = (id(library), id(engine.proposed), engine.assumptions, key, backend)
    found = _programs.get(shared)
    if found is not None and found[0] is engine.proposed:
        _programs.move_to_end(shared)
        return found[1]
    entry = _real_made(engine, key, checked, backend, traced)
    _programs[shared] = (engine.proposed, entry)
    if len(_programs) > KEEP_PROGRAMS:
        _programs.popitem(last=False)
    return entry


#: id -> (a kept checked library's library, its periods once worked out).
_kept_periods: dict[int, tuple] = {}
_real_periods, _periods_attribute = Periods.of_library, Periods.__dict__["of_library"]


def _shared_periods(cls, library) -> Periods:
    """Periods.of_library, kept for each library kept in memory: it keeps
    the last library's only, and the suite's engines alternate between a
    few (5 ms of walking the shipped library's syntax each time, some 700
    engines in the fast tier)."""
    kept = _kept_periods.get(id(library))
    if kept is None or kept[0] is not library:
        return _real_periods(library)
    if kept[1] is None:
        kept = _kept_periods[id(library)] = (library, _real_periods(library))
    return kept[1]


def _session_cache() -> None:
    """The run's own cache folder (XDG_CACHE_HOME), so that a run neither
    reads nor evicts the user's entries and runs alike on any machine."""
    if not os.environ.get(SESSION_CACHE):
        os.environ[SESSION_CACHE] = tempfile.mkdtemp(prefix="contract-rules-tests-")
        _memo["owner"] = True
    os.environ["XDG_CACHE_HOME"] = os.environ[SESSION_CACHE]
    _memo["where"] = str(cache.location())
    checked_cache.load, checked_cache.store = _kept, _keep
    Engine._made = _shared_made
    Periods.of_library = classmethod(_shared_periods)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """The heap frozen as the session ends, not collected: pytest's check for
    unraisable exceptions collects five times over as the process ends, and
    a full collection of a worker's heap at the end of the fast tier took 3
    s of CPU (its garbage freed, the whole heap walked), on the way to the
    run's end in each worker. Frozen, nothing is walked; what it gives up is
    the report of an exception raised by a finalizer of cyclic garbage still
    uncollected at the end (garbage collected during the run still reports
    its, at the test that collected it). Here, not at unconfigure: xdist
    interrupts a worker still busy after it reported the session finished."""
    gc.freeze()


def pytest_unconfigure(config):
    checked_cache.load, checked_cache.store = _real_load, _real_store
    Engine._made = _real_made
    Periods.of_library = _periods_attribute
    if _memo.pop("owner", False):
        shutil.rmtree(os.environ.pop(SESSION_CACHE), ignore_errors=True)


def pytest_configure(config):
    _session_cache()
    # The fast tier's example counts, unless a profile is named (the option or HYPOTHESIS_PROFILE).
    if (config.getoption("markexpr", "").strip() == FAST_TIER and not os.environ.get("HYPOTHESIS_PROFILE")
            and not config.getoption("hypothesis_profile", None)):
        settings.load_profile("fast")
    config.addinivalue_line("markers", "slow: takes seconds (real subprocesses, big inputs); "
                            "the fast tier is `pytest -m 'not slow'`")
    # The scenario plugin comes with the installed package (a pytest11 entry
    # point); register it here too when running from a bare checkout.
    if not config.pluginmanager.has_plugin("contract_rules_scenarios"):
        import rules_engine.testing.plugin as plugin
        config.pluginmanager.register(plugin, "contract_rules_scenarios")


# ----------------------------------------------------- the fast tier's budget

#: Modules whose tests collect garbage and trace allocations to measure
#: memory: run first, before other tests' garbage builds up in the process.
#: Later, at the collector's thresholds above, their full collections walked
#: it too (4 to 4.6 s of CPU in a worker for the summary folded and the
#: compiled program, over the budget; 2.9 and 3.3 s at Python's thresholds).
_FIRST = {"test_impact_memory"}


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: getattr(getattr(item, "module", None), "__name__", "").rsplit(".", 1)[-1]
               not in _FIRST)

#: CPU seconds (this process and the subprocesses it waited for, setup and
#: call together) a test not marked slow may take; tests/README.md.
FAST_TEST_CPU_SECONDS = float(os.environ.get("CONTRACT_RULES_TIER_BUDGET", "4.0"))
TIER_CHECK = os.environ.get("CONTRACT_RULES_TIER_CHECK", "") == "1"
_CPU_STASH = pytest.StashKey[float]()


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    module = getattr(item, "module", None)
    name = module.__name__.rsplit(".", 1)[-1] if module is not None else None
    _memo["on"] = name not in _CACHE_TESTS
    _memo["share"] = name not in _CACHE_TESTS and name not in _COMPILE_TESTS
    item.stash[_CPU_STASH] = _cpu_seconds()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when != "call" or _CPU_STASH not in item.stash:
        return report
    spent = _cpu_seconds() - item.stash[_CPU_STASH]
    report.user_properties.append(("cpu_seconds", round(spent, 3)))
    if (TIER_CHECK and report.passed and item.get_closest_marker("slow") is None
            and spent > FAST_TEST_CPU_SECONDS):
        report.outcome = "failed"
        report.longrepr = (f"{item.nodeid} took {spent:.2f} s of CPU (setup and call), over the fast "
                           f"tier's {FAST_TEST_CPU_SECONDS:g} s a test: make it quicker (share a "
                           f"fixture, run in-process) or mark it @pytest.mark.slow")
    return report


def pytest_terminal_summary(terminalreporter):
    if not TIER_CHECK:
        return
    spent = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) == "call":
                for name, value in report.user_properties:
                    if name == "cpu_seconds":
                        spent.append((value, report.nodeid))
    spent.sort(reverse=True)
    terminalreporter.write_sep("=", f"CPU seconds per test (setup and call), {len(spent)} tests, "
                                    f"{sum(s for s, _ in spent):.1f} s in all")
    for value, nodeid in spent[:int(os.environ.get("CONTRACT_RULES_TIER_SHOW", "25"))]:
        terminalreporter.write_line(f"{value:7.2f}  {nodeid}")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture(scope="session")
def engine():
    """The shipped library, loaded once."""
    return rules_engine.load()


@pytest.fixture(scope="session")
def fixture_engine():
    """The small frozen library under tests/golden/fixture."""
    return rules_engine.load(GOLDEN / "fixture")


@pytest.fixture
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    return ROOT


def check_golden(path: Path, actual: str, update: bool) -> None:
    if update or not path.exists():
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"golden file {path.name} was missing; written now, review and commit it")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path} (run pytest --update-golden to accept)"


# ------------------------------------------------ the command line, in process

@attrs.frozen
class Ran:
    """What a run of the command line gave, as `subprocess.run` names it."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def run_in_process(*args, cwd: Path | str = ROOT, env: dict | None = None, input: str | None = None) -> Ran:
    """`python -m rules_engine ARGS` run in this process, as the entry point
    runs it (`main`, then standard output flushed): the exit code, standard
    output and standard error apart, in `cwd` with `env` added to the
    environment and `input` on standard input. A subprocess costs a Python
    start and the imports (about half a second of CPU); keep one where the
    process is the point (tests/README.md)."""
    argv = [str(arg) for arg in args]
    before = os.getcwd()
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _):
        os.chdir(cwd)
        try:
            code = main(argv)
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os.chdir(before)
        return Ran(tuple(argv), code, out.getvalue().decode(runner.charset, "replace"),
                   err.getvalue().decode(runner.charset, "replace"))
