"""`fmt` by the conventions of black and ruff: golden layouts (comments in
awkward places), `--diff`, folders (recursive), and every shipped rule file
already formatted (CI runs `contract-rules fmt --check contracts/`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import GOLDEN, ROOT, check_golden
from rules_engine.base.source import SourceFile
from rules_engine.cli import main
from rules_engine.syntax.formatter import format_source, format_text
from rules_engine.syntax.lower import lower

LAYOUTS = sorted((GOLDEN / "fmt").glob("*.rules"))


def _comments(text: str) -> list[str]:
    return [c.text for c in lower(SourceFile("x.rules", text)).layer.comments]


@pytest.mark.parametrize("path", LAYOUTS, ids=lambda p: p.stem)
def test_layout_golden(path, update_golden):
    text = path.read_bytes().decode("utf-8")
    formatted, problems = format_source(SourceFile(str(path), text))
    assert problems == ()
    check_golden(path.with_name(path.name + ".expected"), formatted, update_golden)
    assert format_text(formatted) == formatted  # idempotent
    assert _comments(formatted) == _comments(text)  # every comment kept, in order


def test_at_least_fifteen_layouts():
    assert len(LAYOUTS) >= 15


def test_every_shipped_file_is_formatted(capsys):
    assert main(["fmt", "--check", str(ROOT / "contracts")]) == 0, capsys.readouterr().out


def test_ci_checks_the_formatting():
    assert "contract-rules fmt --check contracts/" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _messy(tmp_path: Path) -> tuple[Path, Path, str]:
    folder = tmp_path / "lib"
    (folder / "local" / "deeper").mkdir(parents=True)
    messy = 'national contract x "X"\nparameter a: count = 1\n        ref "§1"\n'
    one = folder / "one.rules"
    two = folder / "local" / "deeper" / "two.rules"
    one.write_text(messy, encoding="utf-8")
    two.write_text('national contract y "Y"\n', encoding="utf-8")
    (folder / "notes.txt").write_text("not a rule file", encoding="utf-8")
    return one, two, messy


def test_diff_changes_nothing_and_shows_the_change(tmp_path, capsys):
    one, two, messy = _messy(tmp_path)
    assert main(["fmt", "--diff", str(tmp_path / "lib")]) == 1
    out = capsys.readouterr().out
    assert one.read_text(encoding="utf-8") == messy
    assert f"--- {one}\n+++ {one}\n" in out
    assert '-        ref "§1"\n+  ref "§1"\n' in out
    assert str(two) not in out  # formatted already
    assert main(["fmt", "--diff", str(two)]) == 0 and capsys.readouterr().out == ""


def test_folders_are_walked_recursively(tmp_path, capsys):
    one, two, _ = _messy(tmp_path)
    two.write_text('national contract y "Y"\n   parameter b: count = 2\n', encoding="utf-8")
    assert main(["fmt", "--check", str(tmp_path / "lib")]) == 1
    out = capsys.readouterr().out
    assert f"would reformat {one}" in out and f"would reformat {two}" in out
    assert main(["fmt", str(tmp_path / "lib")]) == 0
    assert two.read_text(encoding="utf-8") == 'national contract y "Y"\nparameter b: count = 2\n'
    assert main(["fmt", "--check", str(tmp_path / "lib")]) == 0


def test_a_folder_without_rule_files_is_an_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["fmt", str(tmp_path / "empty")]) == 2
    assert "E-INPUT-003" in capsys.readouterr().err


def test_diff_of_standard_input(monkeypatch, capsys):
    import io
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(
        b'national contract x "X"\n   parameter a: count = 1\n')))
    assert main(["fmt", "--diff", "-"]) == 1
    assert "+parameter a: count = 1" in capsys.readouterr().out
