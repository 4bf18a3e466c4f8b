"""vary-check on each forbidden variation in contracts/local/invalid: exit 2
with its diagnostic (caret, note at the national term), as golden files at
80 columns; and on each valid shipped local layer: exit 0 (two of them as
golden files too). The text fits 80 and 120 columns, verdict first."""


import pytest

from rules_engine.cli import main

from conftest import GOLDEN, ROOT, check_golden

INVALID = sorted((ROOT / "contracts" / "local" / "invalid").glob("*.rules"))
VALID = sorted((ROOT / "contracts" / "local").glob("*.rules"))


@pytest.fixture(autouse=True)
def eighty_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_forbidden_variation(path, capsys, in_root, update_golden):
    code = main(["vary-check", str(path.relative_to(ROOT))])
    captured = capsys.readouterr()
    assert code == 2
    assert ("error[E-LAYER-" in captured.err or "error[E-FLEX-" in captured.err) and "^" in captured.err
    check_golden(GOLDEN / "vary-check" / f"{path.stem}.expected",
                 f"exit {code}\n--- stdout\n{captured.out}--- stderr\n{captured.err}", update_golden)


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_shipped_local_layers_are_permitted(path, capsys, in_root):
    assert main(["vary-check", str(path.relative_to(ROOT))]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{out.split()[0]} (ICB ") and "): permitted; " in out.splitlines()[0]
    assert "REFUSED" not in out
    assert max(map(len, out.splitlines())) <= 80


SHOWN = ["qmm", "qsl-diabetes-outcomes"]


@pytest.mark.parametrize("stem", SHOWN)
def test_permitted_layer_golden(stem, capsys, in_root, update_golden):
    code = main(["vary-check", f"contracts/local/{stem}.rules"])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    check_golden(GOLDEN / "vary-check" / f"permitted-{stem}.expected",
                 f"exit {code}\n--- stdout\n{captured.out}", update_golden)


@pytest.mark.parametrize("columns", [80, 120])
def test_verdict_first_within_the_width(columns, monkeypatch, capsys, in_root):
    monkeypatch.setenv("COLUMNS", str(columns))
    code = main(["vary-check", "contracts/local/invalid/qof-replacement-over-budget.rules"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 2
    assert max(map(len, lines)) <= columns
    assert columns == 80 or any(len(line) > 80 for line in lines)
    summary = " ".join(line.strip() for line in lines[:lines.index("")])
    assert summary.startswith("qsl_over_budget (ICB QSL): refused; 2 of 3 variations permitted under "
                              "the envelope todays_powers; budget of qof_indicators (points): retires "
                              "DM012, DM014 (15 points); adds LDM001 (16 points): over budget by 1 point")
    refused = next(i for i, line in enumerate(lines) if line.startswith("REFUSED"))
    permitted = next(i for i, line in enumerate(lines) if line.startswith("permitted"))
    assert lines[refused] == "REFUSED line 10: add row qof_indicators (over budget)"
    assert refused < permitted  # the refused variation first, though line 7 comes before it


def test_budget_in_pounds_golden(capsys, in_root, update_golden):
    """The budget's largest increase in pounds (issue 20, item 3): the list
    size and prevalence from the stated bounds, the national average list
    size the library lacks for 2025/26 from the assumptions file, and the
    witness checked by the evaluator in points and in pounds."""
    code = main(["vary-check", "contracts/local/qsl-diabetes-outcomes.rules",
                 "--bounds", "tests/golden/vary-check/qsl-practices.bounds.yaml",
                 "--assumptions", "examples/assumptions/2025-26.yaml"])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    assert "largest increase for one practice £22,411.11 on qof.payment" in " ".join(captured.out.split())
    check_golden(GOLDEN / "vary-check" / "permitted-qsl-diabetes-outcomes-in-pounds.expected",
                 f"exit {code}\n--- stdout\n{captured.out}", update_golden)
