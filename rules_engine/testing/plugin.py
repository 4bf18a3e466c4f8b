"""A pytest plugin: scenario files are collected as tests.

Which files: the `*.yaml` files below the folders pyproject.toml names in
`[tool.contract-rules] scenarios` (`testing.config`); without that table,
those below a folder named `scenarios` (as before the setting). Its
`assumptions` apply to every case, under each case's own `assume:`. A
malformed table stops the run with its located error (E-CONFIG-001).

Each case of a scenario file becomes one test item named after the case; a
failure shows what was expected against what the engine gave. Registered as a
`pytest11` entry point, so an installed package brings it along.
"""

from __future__ import annotations

import pytest

from rules_engine.base.diagnostics import InvalidInput, render_all
from rules_engine.program.assumptions import NONE, from_file
from rules_engine.static.load import source_lookup
from rules_engine.testing.config import Settings, find_settings
from rules_engine.testing.scenarios import Case, EngineCache, read_cases, run_case

_cache = EngineCache()
_SETTINGS = pytest.StashKey[Settings]()
_ASSUMED = pytest.StashKey[object]()


def pytest_configure(config):
    try:
        settings = find_settings(config.rootpath)
        config.stash[_ASSUMED] = from_file(settings.assumptions) if settings.assumptions else NONE
    except InvalidInput as error:
        raise pytest.UsageError("[tool.contract-rules] in pyproject.toml:\n" + render_all(
            error.diagnostics, source_lookup(error.diagnostics))) from None
    config.stash[_SETTINGS] = settings


def _is_scenario(config, file_path) -> bool:
    settings = config.stash.get(_SETTINGS, None)
    if settings is None or not settings.configured:
        return "scenarios" in file_path.parts
    return any(file_path == folder or folder in file_path.parents for folder in settings.scenarios)


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".yaml" and _is_scenario(parent.config, file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self):
        try:
            cases = read_cases(self.path)
        except InvalidInput as error:
            yield InvalidScenarioItem.from_parent(self, name=self.path.name, error=error)
            return
        for case in cases:
            yield ScenarioItem.from_parent(self, name=case.name, case=case)


class ScenarioFailure(Exception):
    pass


class ScenarioItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self):
        outcome = run_case(self.case, _cache, self.config.stash.get(_ASSUMED, NONE))
        if outcome.diagnostics:
            raise ScenarioFailure(render_all(outcome.diagnostics, {
                **source_lookup(outcome.diagnostics), self.case.file: self.case.source}))
        if outcome.failures:
            raise ScenarioFailure("\n".join(outcome.failures))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioFailure):
            return f"scenario {self.case.name!r} ({self.case.file}:{self.case.span.line}):\n" \
                   f"{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.case.span.line - 1, f"scenario: {self.case.name}"


class InvalidScenarioItem(pytest.Item):
    def __init__(self, *, error: InvalidInput, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self):
        raise ScenarioFailure(render_all(self.error.diagnostics, source_lookup(self.error.diagnostics)))

    def repr_failure(self, excinfo):
        return f"invalid scenario file {self.path}:\n{excinfo.value}"

    def reportinfo(self):
        return self.path, 0, f"scenario file: {self.path.name}"
