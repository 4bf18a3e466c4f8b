"""`fmt`: lay a rule file out canonically, keeping every comment.

Input: rule-file text. Output: the same text with canonical layout:
declarations start in the first column, their clauses (and table rows) are
indented two spaces, and a line that continues an expression keeps its
alignment, at least two spaces in from the line it continues;
trailing spaces and tabs go, runs of blank lines become one, and the file ends
with one newline. Comments stay on their lines, indented like the code they
precede (or, at the end of a line, kept where they are).

Only the white space at the ends of lines changes, and the language gives
white space no meaning, so formatting cannot change what a file says; a file
that does not parse is left alone (the parser's diagnostics say why).

>>> print(format_text('national contract x "X"\\nparameter a: count = 1\\n      ref "§1"\\n'), end="")
national contract x "X"
parameter a: count = 1
  ref "§1"
"""

from __future__ import annotations

import difflib
import re

from rules_engine.syntax.parser import DECLARATION_KEYWORDS, parse
from rules_engine.base.source import SourceFile

CLAUSE_KEYWORDS = ("ref", "for", "where", "must", "unless", "severity", "effective", "flexible",
                   "locked", "waivable", "replaceable", "extensible", "provisional", "because",
                   "report", "from", "required", "signed", "warn", "columns", "row", "note", "version",
                   "source", "extends", "rounded", "carries", "across", "total", "count", "at",
                   "between")
_WORD = re.compile(r"[A-Za-z_]+")


def _first_word(line: str) -> str:
    match = _WORD.match(line)
    return match.group(0) if match else ""


def _kind(code: str) -> str:
    """declaration, clause or continuation, by a line's first word."""
    word = _first_word(code)
    follows = code[len(word):len(word) + 1]
    if word in DECLARATION_KEYWORDS and follows in ("", " ", "#"):
        return "declaration"
    if word in CLAUSE_KEYWORDS and follows in ("", " ", "#"):
        return "clause"
    return "continuation"


def format_text(text: str) -> str:
    """The canonical layout of a rule file's text (which must parse)."""
    lines = [line.rstrip().expandtabs(2) for line in text.replace("\r\n", "\n").split("\n")]
    # The indentation of each code line; continuation lines keep their
    # alignment relative to the line they continue.
    indents: dict[int, int] = {}
    owner_shift = 0
    started = False
    for index, raw in enumerate(lines):
        code = raw.strip()
        if not code or code.startswith("#"):
            continue
        original = len(raw) - len(raw.lstrip())
        kind = _kind(code) if started else "declaration"
        started = True
        if kind == "declaration":
            indents[index] = 0
            owner_shift = -original
            owner_indent = 0
        elif kind == "clause":
            indents[index] = 2
            owner_shift = 2 - original
            owner_indent = 2
        elif code[0] in "})" and original + owner_shift <= owner_indent:
            indents[index] = owner_indent  # a closing bracket lines up with its opening line
        else:
            indents[index] = max(owner_indent + 2, original + owner_shift)
    out: list[str] = []
    next_indent = 0
    for index in range(len(lines) - 1, -1, -1):  # comments take the indent of the code below them
        code = lines[index].strip()
        if index in indents:
            next_indent = indents[index]
            out.append(" " * next_indent + code)
        elif code.startswith("#"):
            out.append(" " * next_indent + code)
        else:
            out.append("")
    out.reverse()
    collapsed: list[str] = []
    for line in out:
        if line == "" and (not collapsed or collapsed[-1] == ""):
            continue
        collapsed.append(line)
    return "\n".join(collapsed).strip("\n") + "\n" if collapsed else ""


def format_source(source: SourceFile) -> tuple[str, tuple]:
    """(formatted text, diagnostics): a file with syntax errors is not touched."""
    parsed = parse(source)
    if parsed.diagnostics:
        return source.text, parsed.diagnostics
    return format_text(source.text), ()


def unified_diff(path: str, before: str, after: str) -> str:
    """The change formatting makes, as `diff -u` shows it (`--- path`, `+++ path`)."""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=str(path), tofile=str(path))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in lines)
