"""The language server (`contract-rules lsp`), driven over stdio by a real
LSP client (pygls's, in `lsp_client.py`): diagnostics as the command line
gives them, hover, definitions and references across files, completion,
symbols, formatting, code actions, and a server that keeps serving whatever
it is sent."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from conftest import ROOT
from lsp_client import Session, position_of
from rules_engine.cli import main

CONTRACTS = ROOT / "contracts"
QMM = CONTRACTS / "local" / "qmm.rules"
NETWORK = CONTRACTS / "national" / "network_des.rules"

PROPOSAL = """\
local layer qxx "Example ICB" for icb QXX
  extends network_des
  effective 2025-04-01 to 2026-03-31

vary min_pcn_population = 26000
  because "Rural geography"

add requirement qxx.ea.saturday "Saturday clinic"
  for pcn
  ref "local specification, para 2"
  must pcn.enhanced_access.saturdays
  because "Demand on Saturdays"
"""


@pytest.fixture(scope="module")
def session():
    started = Session(ROOT)
    yield started
    started.stop()


@pytest.fixture
def proposal(tmp_path):
    path = tmp_path / "qxx.rules"
    path.write_text(PROPOSAL, encoding="utf-8")
    return path


def _lint_json(path: Path, capsys) -> list[dict]:
    main(["lint", "--format", "json", str(path)])
    out = capsys.readouterr().out
    return json.loads(out)["diagnostics"]


def test_the_server_says_what_it_can_do(session):
    capabilities = session.initialized.capabilities
    assert capabilities.hover_provider and capabilities.definition_provider
    assert capabilities.references_provider and capabilities.document_symbol_provider
    assert capabilities.document_formatting_provider and capabilities.code_action_provider
    assert "." in capabilities.completion_provider.trigger_characters
    assert session.initialized.server_info.name == "contract-rules"


def test_diagnostics_as_the_command_line_gives_them(session, tmp_path, capsys):
    path = tmp_path / "qxx.rules"
    text = PROPOSAL.replace("26000", "19000")  # below the envelope's 20,000
    path.write_text(text, encoding="utf-8")
    uri = session.open(path)
    found = session.diagnostics[uri]
    main(["lint", "--format", "json", str(path)])
    expected = json.loads(capsys.readouterr().out)["diagnostics"]
    assert [d.code for d in found] == [e["code"] for e in expected] == ["E-LAYER-001"]
    first, want = found[0], expected[0]
    assert (first.range.start.line + 1, first.range.start.character + 1) == (
        want["span"]["line"], want["span"]["column"])
    assert first.severity == lsp.DiagnosticSeverity.Error and first.source == "contract-rules"
    assert want["message"] in first.message and want["hint"] in first.message
    # the note points at the national term, in the national file
    related = first.related_information
    assert related and related[0].location.uri.endswith("network_des.rules")
    # fixed as you type: the diagnostics go
    session.change(uri, PROPOSAL)
    assert session.diagnostics[uri] == []
    session.close(uri)


def test_hover_on_a_local_vary_shows_the_national_term_and_its_envelope(session, proposal):
    uri = session.open(proposal)
    line, character = position_of(PROPOSAL, "min_pcn_population", offset=3)
    found = session.hover(uri, line, character)
    text = found.contents.value
    assert "vary" in text and "26000" in text  # what this layer does
    assert "min_pcn_population: Minimum registered population of a PCN" in text  # title
    assert "§4.1.1" in text  # the clause
    assert "is: 30000" in text  # the national value in force
    assert "between 20000 and 30000" in text and "envelope todays_powers" in text
    assert "provisional" in text  # the 20,000 floor is a policy assumption
    assert (found.range.start.line, found.range.start.character) == (line, character - 3)


def test_go_to_definition_from_a_local_vary_reaches_the_national_term(session, proposal):
    uri = session.open(proposal)
    line, character = position_of(PROPOSAL, "min_pcn_population")
    (location,) = session.definition(uri, line, character)
    assert location.uri == NETWORK.resolve().as_uri()
    national = NETWORK.read_text(encoding="utf-8")
    want = position_of(national, "parameter min_pcn_population", offset=len("parameter "))
    assert (location.range.start.line, location.range.start.character) == want


def test_go_to_definition_from_a_use_and_find_references_across_files(session):
    text = NETWORK.read_text(encoding="utf-8")
    uri = session.open(NETWORK)
    line, character = position_of(text, ">= min_pcn_population", offset=4)
    (location,) = session.definition(uri, line, character)
    assert location.uri == uri
    assert location.range.start.line == position_of(text, "parameter min_pcn_population")[0]
    found = session.references(uri, line, character)
    files = {Path(l.uri).name for l in found}
    assert {"network_des.rules", "qmm.rules", "qhm.rules"} <= files  # the uses and the varies
    without = session.references(uri, line, character, declaration=False)
    assert len(without) == len(found) - 1


def test_completion_of_fact_paths_from_the_schema(session, proposal):
    text = PROPOSAL.replace("must pcn.enhanced_access.saturdays", "must pcn.enhanced_access.")
    uri = session.open(proposal, text)
    line, character = position_of(text, "pcn.enhanced_access.", offset=len("pcn.enhanced_access."))
    labels = {i.label for i in session.completion(uri, line, character)}
    assert {"saturdays", "sundays", "minutes_per_week"} <= labels
    line, character = position_of(text, "pcn.enhanced_access.", offset=len("pcn."))
    top = {i.label: i for i in session.completion(uri, line, character)}
    assert {"raw_list_size", "enhanced_access", "network_agreement_signed"} <= set(top)
    assert top["raw_list_size"].kind == lsp.CompletionItemKind.Field


def test_completion_after_vary_offers_only_what_the_envelope_lets_the_layer_vary(session, proposal):
    text = PROPOSAL.replace("vary min_pcn_population = 26000", "vary ")
    uri = session.open(proposal, text)
    line, character = position_of(text, "vary ", offset=5)
    items = {i.label: i for i in session.completion(uri, line, character)}
    assert "min_pcn_population" in items and "ea_minutes_per_1000" in items
    assert "between 20000 and 30000" in items["min_pcn_population"].detail
    assert "national value: 30000" in items["min_pcn_population"].documentation
    assert "arrs_reimbursement_maxima" not in items  # a table: rows are added, not varied
    assert all(i.kind == lsp.CompletionItemKind.Variable for i in items.values())


def test_completion_of_names_keywords_and_members(session, proposal):
    text = PROPOSAL + "\nadd requirement qxx.x \"X\"\n  for pcn\n  ref \"x\"\n  must m"
    uri = session.open(proposal, text)
    lines = text.split("\n")
    labels = {i.label for i in session.completion(uri, len(lines) - 1, len(lines[-1]))}
    assert {"min_pcn_population", "des.pcn.minimum-population", "and", "not", "size"} <= labels
    assert "pharmacist" in labels or any("member" in (i.detail or "") for i in
                                         session.completion(uri, len(lines) - 1, len(lines[-1])))


def test_a_half_typed_file_still_gets_hover_completion_and_symbols(session, proposal):
    text = PROPOSAL + "\nvary ea_minutes_per_1000 = \n"  # the last declaration is not finished
    uri = session.open(proposal, text)
    assert [d.code for d in session.diagnostics[uri]] == ["E-SYNTAX-003"]
    line, character = position_of(text, "min_pcn_population")
    assert "is: 30000" in session.hover(uri, line, character).contents.value
    names = [s.name for s in session.symbols(uri)]
    assert names == ["vary min_pcn_population", "qxx.ea.saturday"]
    line, character = position_of(text, "pcn.enhanced_access.", offset=len("pcn."))
    assert "raw_list_size" in {i.label for i in session.completion(uri, line, character)}


def test_document_symbols(session):
    uri = session.open(QMM)
    symbols = session.symbols(uri)
    assert [s.name for s in symbols] == ["vary min_pcn_population", "vary ea_minutes_per_1000",
                                         "qmm.ea.sunday"]
    text = QMM.read_text(encoding="utf-8")
    assert symbols[2].selection_range.start.line == position_of(text, "qmm.ea.sunday")[0]


def test_formatting_through_fmt(session, proposal):
    messy = PROPOSAL.replace("\n  because", "\n        because").replace("\n  for", "\n\tfor")
    uri = session.open(proposal, messy)
    (edit,) = session.formatting(uri)
    assert edit.new_text == PROPOSAL
    session.change(uri, messy + "vary =\n")
    assert session.formatting(uri) is None  # a file that does not parse formats nothing


def test_code_actions_are_edits_for_the_fixes_slips_and_lint_know(session, proposal):
    text = PROPOSAL.replace("must pcn.enhanced_access.saturdays",
                            "must pcn.enhanced_access.saturdays == true")
    uri = session.open(proposal, text)
    (slip,) = session.diagnostics[uri]
    assert slip.code == "E-SYNTAX-012"
    (action,) = session.code_actions(uri, [slip])
    (edit,) = action.edit.changes[uri]
    fixed = _apply(text, edit)
    assert "saturdays = true" in fixed
    session.change(uri, fixed)
    assert session.diagnostics[uri] == []
    unprefixed = PROPOSAL.replace("qxx.ea.saturday", "ea.saturday")
    session.change(uri, unprefixed)
    (warning,) = session.diagnostics[uri]
    assert warning.code == "W-ID-001" and warning.severity == lsp.DiagnosticSeverity.Warning
    (action,) = session.code_actions(uri, [warning])
    assert _apply(unprefixed, action.edit.changes[uri][0]) == PROPOSAL


def _apply(text: str, edit: lsp.TextEdit) -> str:
    lines = text.split("\n")
    def offset(position):
        return sum(len(l) + 1 for l in lines[:position.line]) + position.character
    return text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]


def test_it_keeps_serving_after_bad_input(session, tmp_path):
    path = tmp_path / "bad.rules"
    uri = session.open(path, "\x00\ufeff£££ national contract")
    assert session.diagnostics[uri]
    assert session.hover(uri, 0, 3) is None
    assert session.hover(uri, 999, 999) is None
    assert session.definition(uri, 50, 0) == []
    session.completion(uri, 0, 2)
    assert session.alive()


def _prefixes(text: str, count: int, rng: random.Random) -> list[str]:
    cuts = sorted(rng.sample(range(len(text) + 1), min(count, len(text) + 1)))
    return [text[:cut] for cut in cuts]


def _exercise(session, uri: str, text: str, rng: random.Random) -> None:
    session.change(uri, text)
    lines = text.split("\n") or [""]
    line = rng.randrange(len(lines))
    character = rng.randrange(len(lines[line]) + 1)
    session.hover(uri, line, character)
    session.completion(uri, line, character)
    session.definition(uri, line, character)
    session.formatting(uri)


SHIPPED = sorted((CONTRACTS / "national").glob("*.rules")) + sorted((CONTRACTS / "local").glob("*.rules"))


def test_every_shipped_file_sampled_prefixes_and_random_edits(session, tmp_path):
    """Prefixes of every shipped rule file (a few each) and random edits: the
    server answers every request and stays up. The slow tier tries them all."""
    rng = random.Random(19)
    for path in SHIPPED[::3]:  # a third of the files each run (the slow tier takes them all)
        copy = tmp_path / path.parent.name / path.name
        copy.parent.mkdir(exist_ok=True)
        text = path.read_text(encoding="utf-8")
        copy.write_text(text, encoding="utf-8")
        uri = session.open(copy)
        for prefix in _prefixes(text, 1, rng):
            _exercise(session, uri, prefix, rng)
        edited = list(text)
        for _ in range(2):
            at = rng.randrange(len(edited) + 1)
            edited[at:at + rng.randrange(4)] = rng.choice(["", "(", "vary ", "\"", "£", ".", "\n", "= =", "x"])
        _exercise(session, uri, "".join(edited), rng)
        session.close(uri)
    assert session.alive()
    assert not [m for m in session.logged if "Traceback" in m]


@pytest.mark.slow
def test_every_line_prefix_of_every_shipped_file(session, tmp_path):
    """Every line of every local layer, every seventh line of the national
    files (each cut a few characters before the line's end, too)."""
    rng = random.Random(1919)
    for path in SHIPPED:
        copy = tmp_path / path.parent.name / path.name
        copy.parent.mkdir(exist_ok=True)
        text = path.read_text(encoding="utf-8")
        copy.write_text(text, encoding="utf-8")
        uri = session.open(copy)
        ends = [i for i, c in enumerate(text) if c == "\n"][::1 if "local" in path.parts else 7]
        for end in ends:
            cut = end + rng.randrange(-3, 1) if end > 3 else end  # mid-line, too
            _exercise(session, uri, text[:cut], rng)
        session.close(uri)
    assert session.alive()
    assert not [m for m in session.logged if "Traceback" in m]
