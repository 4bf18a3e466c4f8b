"""vary-check on each forbidden variation in contracts/local/invalid: exit 2
with its diagnostic (caret, note at the national term), as golden files; and
on each valid shipped local layer: exit 0."""


import pytest

from rules_engine.cli import main

from conftest import GOLDEN, ROOT, check_golden

INVALID = sorted((ROOT / "contracts" / "local" / "invalid").glob("*.rules"))
VALID = sorted((ROOT / "contracts" / "local").glob("*.rules"))


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
    assert "variations permitted" in capsys.readouterr().out
