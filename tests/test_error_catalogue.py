"""The error catalogue: every diagnostic code has an entry whose example,
run through the command line, exits as it says and prints the code; the
generated docs/errors.md is up to date; `explain-error` prints a code's
section."""

from __future__ import annotations

import functools

import pytest

from rules_engine.queries import error_catalogue as catalogue
from rules_engine.cli import main
from rules_engine.base.diagnostics import CODES

from conftest import ROOT
from rules_engine.cli import main as cli_main

ENTRY_CODES = catalogue.entry_codes()


@functools.lru_cache(maxsize=None)
def entry(code: str) -> catalogue.Entry:
    """Each entry is read once per test session (an Entry is frozen attrs)."""
    return catalogue.entry(code)


@functools.lru_cache(maxsize=None)
def captured(code: str) -> catalogue.Captured:
    """Each example is run once per test session (the document reuses it)."""
    return catalogue.run_example(entry(code).example, cli_main)


def test_every_code_has_an_entry():
    missing = [c for c in CODES if c not in ENTRY_CODES]
    assert not missing, (f"no catalogue entry for {', '.join(missing)}: add rules_engine/errors/<CODE>.yaml "
                         "(the format is in rules_engine/queries/error_catalogue.py)")


def test_no_entry_for_a_code_that_does_not_exist():
    stray = [c for c in ENTRY_CODES if c not in CODES]
    assert not stray, f"entries for codes not in diagnostics.CODES: {', '.join(stray)}"


def test_entries_are_typed_records():
    entries = [entry(code) for code in ENTRY_CODES]
    assert len(entries) == len(CODES)
    for record in entries:
        assert record.meaning == CODES[record.code]
        assert record.fix.strip() and record.example.run
        assert all(isinstance(f, catalogue.ExampleFile) for f in record.example.files)


@pytest.mark.parametrize("code", ENTRY_CODES)
def test_example_exits_as_stated_and_prints_its_code(code):
    record = entry(code)
    result = captured(code)
    assert "Traceback" not in result.output
    assert result.exit == record.example.exit, (
        f"`{record.example.command}` exited {result.exit}, the entry says {record.example.exit}:\n{result.output}")
    assert f"[{code}]" in result.output, f"`{record.example.command}` did not print [{code}]:\n{result.output}"


def test_docs_errors_md_is_not_stale():
    have = set(ENTRY_CODES)
    sections = [catalogue.Section(entry(c), captured(c)) for c in CODES if c in have]
    expected = catalogue.render_document(sections, catalogue.codes_without_entry())
    path = ROOT / catalogue.DOCUMENT
    actual = path.read_text(encoding="utf-8") if path.exists() else ""
    assert actual == expected, f"{catalogue.DOCUMENT} is stale: run `{catalogue.WRITE_COMMAND}` and commit it"


def test_the_document_has_one_section_per_code_with_an_entry():
    text = (ROOT / catalogue.DOCUMENT).read_text(encoding="utf-8")
    for code in CODES:
        heading = f"\n## {code}\n"
        assert text.count(heading) == (1 if code in ENTRY_CODES else 0), code


def test_readme_and_language_reference_link_the_catalogue():
    assert "(docs/errors.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(errors.md)" in (ROOT / "docs" / "language.md").read_text(encoding="utf-8")


def test_explain_error_prints_the_section(capsys):
    assert main(["explain-error", "E-LAYER-001"]) == 0
    out = capsys.readouterr().out
    assert out == catalogue.Section(entry("E-LAYER-001"), captured("E-LAYER-001")).text()
    assert out.startswith("E-LAYER-001: variation outside the bounds the national term allows\n")
    assert "error[E-LAYER-001]" in out and "How to fix it:" in out
    assert "contract-rules lint network_des.rules proposal.rules" in out


def test_explain_error_takes_lower_case(capsys):
    assert main(["explain-error", "e-syntax-002"]) == 0
    assert capsys.readouterr().out.startswith("E-SYNTAX-002: unexpected character\n")


@pytest.mark.parametrize("code, suggestion", [("E-LAYR-001", "E-LAYER-001"), ("E-SYNTAX-99", "E-SYNTAX-009"),
                                              ("E-NAME-0001", "E-NAME-001")])
def test_explain_error_of_an_unknown_code_exits_2_with_did_you_mean(code, suggestion, capsys):
    assert main(["explain-error", code]) == 2
    captured_ = capsys.readouterr()
    assert f"no diagnostic code `{code}`" in captured_.err
    assert f"`{suggestion}`" in captured_.err
    assert "Traceback" not in captured_.err


def test_explain_error_of_nonsense_says_what_a_code_looks_like(capsys):
    assert main(["explain-error", "banana"]) == 2
    assert "codes look like E-LAYER-002" in capsys.readouterr().err


@pytest.mark.parametrize("text, complaint", [
    ("- a list\n", "must be a mapping"),
    ("fix: x\nexample: {run: [lint]}\ncolour: red\n", "must be a mapping"),
    ("fix: ''\nexample: {run: [lint]}\n", "`fix`"),
    ("fix: x\nexample: {files: {a.rules: 3}, run: [lint]}\n", "`example.files`"),
    ("fix: x\nexample: {files: {../a.rules: x}, run: [lint]}\n", "inside the example's folder"),
    ("fix: x\nexample: {files: {/tmp/a.rules: x}, run: [lint]}\n", "inside the example's folder"),
    ("fix: x\nexample: {run: lint}\n", "`example.run`"),
    ("fix: x\nexample: {run: [lint], exit: true}\n", "`example.exit`"),
    ("fix: [unclosed\n", "not valid YAML"),
])
def test_a_malformed_entry_is_refused(text, complaint):
    with pytest.raises(catalogue.CatalogueError, match=complaint.replace("[", r"\[")):
        catalogue._parse_entry("E-SYNTAX-001", text)


def test_an_unregistered_code_has_no_entry():
    with pytest.raises(catalogue.CatalogueError, match="not a registered"):
        catalogue.entry("E-NOPE-001")


def test_the_temporary_folder_is_taken_out_of_the_output():
    example = catalogue.Example((), ("check", "--rules", "missing-folder", "pcn.yaml"))
    result = catalogue.run_example(example, cli_main)
    assert "contract-rules-example-" not in result.output and "/tmp" not in result.output


def test_an_example_file_can_hold_bytes_that_are_not_utf8():
    file = catalogue.ExampleFile("a.rules", "caf\udce9\n")
    assert file.data == b"caf\xe9\n"
    assert file.shown == "caf\\xe9\n"
