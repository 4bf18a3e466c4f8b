"""A definition the same for every arrangement of a program (`ir.fold`:
no facts, no date, no subject) is worked out once per program and kept; one
that reads a parameter with no value in force is not, because its unknown
names the arrangement's own date (`runtime.no_value`)."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from rules_engine.run.engine import Engine

from conftest import ROOT

EXTRA = """\
national contract doubled "A definition that reads parameters only"
  effective 2024-04-01 to 2026-03-31

define doubled_average: count = average_list * 2
  report pay.doubled "Twice the average list"
  ref "Annex D"

define doubled_point: money per point = point_value * 2
  report pay.doubled-point "Twice the point value"
  ref "Annex D"

requirement pay.large "The list is at least twice the average"
  for each practice
  ref "Annex D"
  must practice.list_size >= doubled_average
"""


def arrangement(engine, tmp_path, day: str):
    path = tmp_path / f"practice-{day}.yaml"
    path.write_text(f"as_of: {day}\npractices:\n  - ods_code: P1\n    list_size: 10000\n    points: 100\n")
    return engine.load_arrangement(path)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    folder = tmp_path_factory.mktemp("library")
    shutil.copytree(ROOT / "tests/golden/assumptions/library", folder, dirs_exist_ok=True)
    (folder / "national" / "doubled.rules").write_text(EXTRA)
    return folder


@pytest.mark.parametrize("backend", ["closures", "generated"])
def test_an_unknown_names_each_arrangements_own_date(library, tmp_path, monkeypatch, backend):
    monkeypatch.setenv("CONTRACT_RULES_BACKEND", backend)
    engine = Engine.load(library)
    for day in ("2025-06-01", "2025-09-15", "2026-01-31"):  # one program: the terms in force do not change
        result = engine.evaluate(arrangement(engine, tmp_path, day))
        doubled = result.value("pay.doubled")
        assert doubled.value is None
        assert doubled.missing == (f"parameter average_list (no value in force on {day})",)
        assert result.result("pay.large", "practice:P1").missing == doubled.missing
        # a definition over parameters with values is still worked out, and the same every time
        assert result.value("pay.doubled-point").value == Decimal("450.98")
