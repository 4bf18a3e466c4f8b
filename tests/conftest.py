"""Shared fixtures and the `--update-golden` switch."""

from __future__ import annotations

from pathlib import Path

import pytest

import rules_engine

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files from the current output (review the diff)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes seconds (real subprocesses, big inputs); "
                            "the fast tier is `pytest -m 'not slow'`")
    # The scenario plugin comes with the installed package (a pytest11 entry
    # point); register it here too when running from a bare checkout.
    if not config.pluginmanager.has_plugin("contract_rules_scenarios"):
        import rules_engine.scenarios_plugin as plugin
        config.pluginmanager.register(plugin, "contract_rules_scenarios")


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
