"""Completion for the language server, from the text before the cursor and
an `Analysis`:

- after `vary` (and `waive`, `replace requirement`, `replace value`,
  `add to`, `retire`) in a local layer: only the national terms the envelope
  in force on the layer's first day lets a local layer change that way
  (`queries.powers`), each with its bounds and national value;
- after `NAME.`: the facts of that record (`pcn.` gives the PCN's facts, from
  the schema; a quantifier's variable over a list gives its element's);
- anywhere else: the words of the language, the library's parameters,
  tables, definitions and requirement ids, enumeration members, subjects and
  built-in functions.
"""

from __future__ import annotations

import re

from lsprotocol import types as lsp

from rules_engine.base import typesys as t
from rules_engine.lsp.analysis import Analysis
from rules_engine.queries.powers import powers_on
from rules_engine.static.builtins import BUILTINS
from rules_engine.syntax import nodes as n
from rules_engine.syntax.formatter import CLAUSE_KEYWORDS
from rules_engine.syntax.parser import DECLARATION_KEYWORDS

#: The words an expression may use.
EXPRESSION_KEYWORDS = ("and", "or", "not", "in", "if", "then", "else", "every", "any", "count", "sum",
                       "covers", "within", "true", "false", "each", "between", "at", "least", "most",
                       "per", "list", "set", "of", "to", "by", "keyed", "numbered", "is", "with",
                       "reason", "half", "up", "even", "down", "penny", "pound", "unknown", "contract",
                       "layer", "icb", "extends", "flexibility", "requirement", "value", "rows",
                       "budget", "marking", "opted", "keeping", "when", "forward")

#: The local declaration each opening words start, and the flexibility kind that allows it.
_CHANGES = ((re.compile(r"^\s*vary\s+(\w*)$"), "vary"),
            (re.compile(r"^\s*waive\s+([\w.{}-]*)$"), "waive"),
            (re.compile(r"^\s*replace\s+requirement\s+([\w.{}-]*)$"), "replace requirement"),
            (re.compile(r"^\s*replace\s+value\s+(\w*)$"), "replace value"),
            (re.compile(r"^\s*add\s+to\s+(\w*)$"), "add rows"),
            (re.compile(r"^\s*retire\s+(\w*)$"), "retire rows"))
_DOTTED = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.(\w*)$")
_WORD = re.compile(r"[\w.-]*$")

_TERM_KINDS = {n.ParameterDecl: lsp.CompletionItemKind.Constant, n.TableDecl: lsp.CompletionItemKind.Struct,
               n.DefineDecl: lsp.CompletionItemKind.Function, n.RequirementDecl: lsp.CompletionItemKind.Event}


def complete(analysis: Analysis, text: str, line: int, column: int) -> list[lsp.CompletionItem]:
    """Completion items at a 1-based line and column of the document's text."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return []
    before = lines[line - 1][:max(0, column - 1)]
    if "#" in before and before.count('"') % 2 == 0 and before.index("#") >= before.rfind('"'):
        return []  # in a comment
    for pattern, kind in _CHANGES:
        if pattern.match(before):
            return _changes(analysis, kind)
    dotted = _DOTTED.search(before)
    if dotted is not None:
        return _fields(analysis, text, line, dotted.group(1))
    return _words(analysis, before)


def _changes(analysis: Analysis, kind: str) -> list[lsp.CompletionItem]:
    """The national terms a local layer may change this way on the layer's first day."""
    if analysis.library is None:
        return []
    try:
        powers = powers_on(analysis.library, analysis.day)
    except Exception:  # noqa: BLE001 - a library with errors may lack what powers read: offer none
        return []
    items = []
    for group in powers.contracts:
        for power in group.powers:
            if power.kind != kind or power.target is None:
                continue
            notes = [power.allows]
            if power.national_value is not None:
                notes.append(f"national value: {power.national_value}")
            notes.append(f"granted by {power.grantor}")
            if power.provisional:
                notes.append(f"provisional: {power.provisional}")
            items.append(lsp.CompletionItem(label=power.target, kind=lsp.CompletionItemKind.Variable,
                                            detail=power.allows,
                                            documentation="\n".join(notes)))
    return items


def _fields(analysis: Analysis, text: str, line: int, path: str) -> list[lsp.CompletionItem]:
    record = _record_at(analysis, text, line, path.split("."))
    if not isinstance(record, t.Record):
        return []
    return [lsp.CompletionItem(label=name, kind=lsp.CompletionItemKind.Field, detail=t.describe(type_))
            for name, type_ in record.fields]


def _record_at(analysis: Analysis, text: str, line: int, parts: list[str], depth: int = 0):
    """The type a dotted path names: from a subject, or from the variable of
    a quantifier (`every c in pcn.arrs_claims: c.`) written before it."""
    schema = analysis.library.schema if analysis.library is not None else None
    if schema is None or depth > 4:
        return None
    head, rest = parts[0], parts[1:]
    subject = schema.subjects.get(head)
    if subject is not None:
        current = subject.record
    else:
        earlier = "\n".join(text.split("\n")[max(0, line - 30):line])
        bound = None
        for match in re.finditer(r"\b(?:every|any|count|sum|each)\s+(\w+)\s+in\s+([\w.]+)", earlier):
            if match.group(1) == head:
                bound = match.group(2)
        if bound is None:
            return None
        collection = _record_at(analysis, text, line, bound.split("."), depth + 1)
        current = collection.element if isinstance(collection, (t.ListOf, t.SetOf)) else None
        if current is None:
            return None
    for part in rest:
        if not isinstance(current, t.Record):
            return None
        current = current.field(part)
    return current


def _words(analysis: Analysis, before: str) -> list[lsp.CompletionItem]:
    items: dict[str, lsp.CompletionItem] = {}
    at_start = not before[:len(before) - len(_WORD.search(before).group(0))].strip()
    keywords = (DECLARATION_KEYWORDS if at_start and not before.startswith((" ", "\t")) else ()) + \
        (CLAUSE_KEYWORDS if at_start else ()) + EXPRESSION_KEYWORDS
    for word in keywords:
        items.setdefault(word, lsp.CompletionItem(label=word, kind=lsp.CompletionItemKind.Keyword))
    library = analysis.library
    if library is not None:
        for name, forms in library.forms.items():
            term = forms[0].term
            title = getattr(term, "title", None)
            items[name] = lsp.CompletionItem(label=name, kind=_TERM_KINDS.get(type(term)),
                                             detail=title or type(term).__name__.replace("Decl", "").lower())
        for enum in library.enums.values():
            for member in enum.members:
                items.setdefault(member, lsp.CompletionItem(label=member,
                                                            kind=lsp.CompletionItemKind.EnumMember,
                                                            detail=f"member of {enum.name}"))
        for subject in library.schema.subjects.values():
            items.setdefault(subject.name, lsp.CompletionItem(
                label=subject.name, kind=lsp.CompletionItemKind.Class,
                detail=("each " if subject.each else "") + ".".join(subject.path)))
    for function in BUILTINS:
        items.setdefault(function, lsp.CompletionItem(label=function, kind=lsp.CompletionItemKind.Function,
                                                      detail="built-in function"))
    return list(items.values())
