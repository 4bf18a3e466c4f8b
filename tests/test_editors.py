"""The editor support shipped in editors/: the VS Code extension's TextMate
grammar knows every keyword of the language (the Lark grammar's words) and
highlights every shipped rule file, and its client starts `contract-rules lsp`."""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT
from rules_engine.syntax.parser import grammar_text

VSCODE = ROOT / "editors" / "vscode"
TEXTMATE = json.loads((VSCODE / "syntaxes" / "contract-rules.tmLanguage.json").read_text(encoding="utf-8"))
SHIPPED = sorted((ROOT / "contracts").glob("*/*.rules"))
KEYWORD_SCOPES = ("keyword.", "constant.language.")


def _lark_keywords() -> set[str]:
    """Every word the Lark grammar writes in quotes (and its EACH terminal)."""
    text = re.sub(r"//[^\n]*", "", grammar_text())
    return set(re.findall(r'"([a-z]+)"', text)) | {"each"}


def _rules(node=TEXTMATE) -> list[tuple[str, re.Pattern]]:
    """(scope, pattern) of the grammar's `match` rules, in the order TextMate tries them."""
    found = []
    for entry in node.get("patterns", []):
        if "include" in entry:
            found += _rules(TEXTMATE["repository"][entry["include"].lstrip("#")])
        elif "match" in entry:
            found.append((entry["name"], re.compile(entry["match"], re.MULTILINE)))
        elif "begin" in entry:
            found.append((entry["name"], re.compile(entry["begin"] + r'(?:\\.|[^"\\])*' + entry["end"])))
    if "match" in node:
        found.append((node["name"], re.compile(node["match"], re.MULTILINE)))
    if "begin" in node and "patterns" in node and not node.get("name", "").startswith("source"):
        found = [(node["name"], re.compile(node["begin"] + r'(?:\\.|[^"\\])*(?:' + node["end"] + ")"))]
    return found


RULES = _rules()


def scopes(line: str) -> list[tuple[str, str]]:
    """(text, scope) of each token of a line, as a TextMate engine scans it:
    at each point the rule matching earliest wins, the first listed on a tie."""
    out, at = [], 0
    while at < len(line):
        best = None
        for scope, pattern in RULES:
            match = pattern.search(line, at)
            if match and match.end() > match.start() and (best is None or match.start() < best[1].start()):
                best = (scope, match)
        if best is None:
            break
        scope, match = best
        out.append((match.group(0), scope))
        at = match.end()
    return out


def test_the_grammar_knows_every_keyword_of_the_language():
    for word in sorted(_lark_keywords()):
        tokens = dict(scopes(f"  x {word} y"))
        assert tokens.get(word, "").startswith(KEYWORD_SCOPES), f"`{word}` is not highlighted as a keyword"


def test_declarations_are_scoped_as_declarations():
    assert scopes("vary min_pcn_population = 25000")[0] == ("vary", "keyword.declaration.contract-rules")
    tokens = dict(scopes('  ref "§4.1" # the clause'))
    assert tokens['"§4.1"'].startswith("string.") and tokens["# the clause"].startswith("comment.")
    assert dict(scopes("  effective 2025-04-01 to 2026-03-31"))["2025-04-01"] == "constant.numeric.date.contract-rules"
    assert dict(scopes("  must x >= £1,234.50"))["£1,234.50"] == "constant.numeric.money.contract-rules"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_file_is_highlighted(path):
    """Every keyword in the file's code is scoped as one, and nothing but
    white space and punctuation is left without a scope."""
    keywords = _lark_keywords()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        tokens = scopes(line)
        for text, scope in tokens:
            if text in keywords and not scope.startswith(KEYWORD_SCOPES):
                # a keyword used as a name (a fact called `value`): only where the parser allows it
                assert scope.startswith(("variable.", "entity.", "string.", "comment.")), (number, text)
            if scope.startswith("variable.") and text in keywords:
                pytest.fail(f"{path.name}:{number}: keyword `{text}` is not highlighted")
        left = line
        for text, _ in tokens:
            left = left.replace(text, " ", 1)
        assert not re.sub(r"[\s(),.\[\]{}]", "", left), f"{path.name}:{number}: unscoped {left.strip()!r}"


def test_the_extension_starts_the_language_server():
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    (language,) = manifest["contributes"]["languages"]
    assert language["extensions"] == [".rules"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert (VSCODE / grammar["path"]).is_file() and grammar["scopeName"] == TEXTMATE["scopeName"]
    settings = manifest["contributes"]["configuration"]["properties"]
    assert settings["contractRules.server.command"]["default"] == "contract-rules"
    assert settings["contractRules.server.args"]["default"] == ["lsp"]
    script = (VSCODE / manifest["main"]).read_text(encoding="utf-8")
    assert 'settings.get("server.command"' in script and "TransportKind.stdio" in script


def test_the_editors_guide_names_the_command_for_each_editor():
    guide = (ROOT / "docs" / "editors.md").read_text(encoding="utf-8")
    for editor in ("VS Code", "Neovim", "Emacs"):
        assert f"## {editor}" in guide
    assert guide.count("contract-rules lsp") + guide.count('"contract-rules", "lsp"') >= 3
