"""Parse rule-file text into a Lark tree; syntax errors become diagnostics.

Input: a `SourceFile`. Output: `Parsed(tree, comments, diagnostics)`.
Diagnostics: E-SYNTAX-001 (unexpected token, with what would be valid),
E-SYNTAX-002 (unexpected character), E-SYNTAX-003 (unexpected end of file).

This is the only module that loads the grammar. After a syntax error the
parser goes on: it splits the file at declarations that start a line and
parses each piece on its own, so one run reports an error per broken
declaration, not only the first.

>>> from rules_engine.source import SourceFile
>>> parsed = parse(SourceFile("x.rules", 'national contract x "X"\\nparameter a: count = 1\\n'))
>>> parsed.diagnostics
()
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
import threading
from importlib import resources

import attrs
import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .diagnostics import Diagnostic
from .source import SourceFile, Span

GRAMMAR_PACKAGE = "rules_engine.grammar"

#: Words that begin a declaration; after a syntax error, parsing resumes at the
#: next line that starts with one of them.
DECLARATION_KEYWORDS = ("national", "local", "enum", "fact", "subject", "parameter", "table",
                        "define", "requirement", "vary", "waive", "replace", "add")
_RESUME = re.compile(r"^(?:%s)\b" % "|".join(DECLARATION_KEYWORDS), re.MULTILINE)

#: How the parser's token names read in an error message.
TOKEN_DESCRIPTIONS = {
    "NAME": "a name", "RULE_ID": "a rule id such as `des.pcn.minimum-population`",
    "STRING": 'a quoted text such as "§4.1"', "NUMBER": "a number", "MONEY": "an amount such as £1,234.56",
    "PERCENT": "a percentage such as 4.75%", "DATE": "a date such as 2025-04-01",
    "TIME": "a time such as 08:00", "INTERVAL": "a time interval such as 08:00-18:30",
    "$END": "the end of the file", "EACH": "`each`",
}


@attrs.frozen
class Parsed:
    tree: lark.Tree | None
    fragments: tuple[lark.Tree, ...]  # what did parse, when the whole file did not
    comments: tuple[tuple[Span, str], ...]
    diagnostics: tuple[Diagnostic, ...]


class _CommentCollector:
    """Lexer callback target; the list is swapped per parse under a lock."""

    def __init__(self) -> None:
        self.tokens: list[lark.Token] = []

    def __call__(self, token: lark.Token) -> lark.Token:
        self.tokens.append(token)
        return token


_collector = _CommentCollector()
_lock = threading.Lock()


def grammar_text() -> str:
    return resources.files(GRAMMAR_PACKAGE).joinpath("rules.lark").read_text(encoding="utf-8")


def parser_cache_file(grammar: str) -> str | False:
    """Where Lark keeps the analysed grammar between runs (about 2-3 times
    faster to load than to build), in the user's cache folder; False (no
    cache) when `CONTRACT_RULES_NO_CACHE` is set or the folder cannot be made.
    Lark checks the grammar's hash in the file and rebuilds when it differs,
    and a file it cannot read or write only costs the build."""
    if os.environ.get("CONTRACT_RULES_NO_CACHE"):
        return False
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "contract-rules")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return False
    digest = hashlib.sha256(grammar.encode("utf-8")).hexdigest()[:16]
    python = "%d.%d" % sys.version_info[:2]
    return os.path.join(folder, f"grammar-{digest}-lark{lark.__version__}-py{python}.cache")


@functools.lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    grammar = grammar_text()
    return lark.Lark(grammar, parser="lalr", strict=True, propagate_positions=True,
                     maybe_placeholders=False, start=["start", "fragment"],
                     lexer_callbacks={"COMMENT": _collector}, cache=parser_cache_file(grammar))


def describe_expected(expected: set[str] | frozenset[str]) -> str:
    parser = _parser()
    words = set()
    for name in expected:
        if name in TOKEN_DESCRIPTIONS:
            words.add(TOKEN_DESCRIPTIONS[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            continue
        if pattern.type == "str":
            words.add(f"`{pattern.value}`")
    ordered = sorted(words, key=lambda w: (not w.startswith("`"), w))
    if len(ordered) > 14:
        ordered = ordered[:14] + ["..."]
    return ", ".join(ordered)


def _token_text(token: lark.Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    return f"`{token.value}`"


def _diagnostic(source: SourceFile, error: UnexpectedInput) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        start = error.pos_in_stream
        span = source.span(start, start + 1)
        char = source.text[start] if start < len(source.text) else ""
        hint = None
        if char == "'":
            hint = 'texts are written in double quotes: "like this"'
        elif char == "$":
            hint = "amounts of money are written in pounds: £1,234.56"
        return Diagnostic("E-SYNTAX-002", f"unexpected character `{char}`", span, hint=hint)
    if isinstance(error, UnexpectedEOF) or (
            isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        end = len(source.text.rstrip())
        span = source.span(max(0, end - 1), end)
        expected = describe_expected(error.expected)
        return Diagnostic("E-SYNTAX-003", "the file ends in the middle of a declaration", span,
                          hint=f"expected {expected}" if expected else None)
    assert isinstance(error, UnexpectedToken)
    token = error.token
    start = token.start_pos if token.start_pos is not None else 0
    span = source.span(start, token.end_pos if token.end_pos is not None else start + 1)
    expected = describe_expected(error.accepts or error.expected)
    hint = _hint_for(token, error.accepts or error.expected)
    message = f"unexpected {_token_text(token)}"
    return Diagnostic("E-SYNTAX-001", message, span,
                      hint=hint or (f"expected {expected}" if expected else None))


def _hint_for(token: lark.Token, expected) -> str | None:
    if token.type in ("EQUAL", "LESSTHAN", "MORETHAN", "__ANON_0", "__ANON_1", "__ANON_2") \
            and "AND" in expected and "EQUAL" not in expected:
        return "comparisons cannot be chained; join them with `and`, or put one side in brackets"
    if token.type == "NAME" and token.value in ("True", "False"):
        return "yes/no values are written `true` and `false`"
    return None


def _fragments(text: str) -> list[tuple[int, int]]:
    """Offsets of the pieces that start at a declaration keyword."""
    starts = [m.start() for m in _RESUME.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    ends = starts[1:] + [len(text)]
    return list(zip(starts, ends))


def parse(source: SourceFile) -> Parsed:
    """Parse one rule file; never raises on bad input."""
    with _lock:
        _collector.tokens = []
        try:
            tree = _parser().parse(source.text, start="start")
            comments = tuple(_comments(source, _collector.tokens))
            return Parsed(tree, (), comments, ())
        except UnexpectedInput:
            pass
        diagnostics: list[Diagnostic] = []
        fragments: list[lark.Tree] = []
        for start, end in _fragments(source.text):
            # Pad with blank lines and spaces so positions stay those of the file.
            prefix = source.text[:start]
            padded = re.sub(r"[^\n]", " ", prefix) + source.text[start:end]
            try:
                fragments.append(_parser().parse(padded, start="fragment"))
            except UnexpectedInput as error:
                diagnostics.append(_diagnostic(source, error))
        if not diagnostics:
            # Every piece parsed alone but not the whole: the header is missing
            # or out of place.
            diagnostics.append(Diagnostic(
                "E-SYNTAX-006", "a rule file must begin with its header",
                source.span(0, min(len(source.text), 1)),
                hint='start with `national contract NAME "Title"` or '
                     '`local layer NAME "Title" for icb CODE extends NAME`'))
        comments = tuple(_comments(source, _collector.tokens))
        return Parsed(None, tuple(fragments), comments, tuple(diagnostics))


def _comments(source: SourceFile, tokens: list[lark.Token]):
    seen = set()
    for token in tokens:
        if token.start_pos in seen:
            continue
        seen.add(token.start_pos)
        yield source.span(token.start_pos, token.end_pos), str(token)
