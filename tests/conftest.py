"""Shared fixtures, the `--update-golden` switch, the hypothesis profiles and
the fast tier's CPU budget (tests/README.md)."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest
from hypothesis import settings

import rules_engine

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


# -------------------------------------------------------- hypothesis profiles

#: `default` is the fast tier's: each property test's own count (`examples(n)`)
#: or hypothesis's 100. `thorough` has ten times as many examples:
#: `pytest --hypothesis-profile=thorough`. No deadline in either: a shared,
#: loaded machine must not turn a slow example into a failure.
settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def examples(n: int) -> int:
    """`n` examples in the default profile, scaled with the loaded profile's
    count (ten times `n` under `thorough`): for `@settings(max_examples=...)`."""
    return max(1, n * settings().max_examples // 100)


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files from the current output (review the diff)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes seconds (real subprocesses, big inputs); "
                            "the fast tier is `pytest -m 'not slow'`")
    # The scenario plugin comes with the installed package (a pytest11 entry
    # point); register it here too when running from a bare checkout.
    if not config.pluginmanager.has_plugin("contract_rules_scenarios"):
        import rules_engine.testing.plugin as plugin
        config.pluginmanager.register(plugin, "contract_rules_scenarios")


# ----------------------------------------------------- the fast tier's budget

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
