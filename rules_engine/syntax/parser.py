"""Parse rule-file text into a Lark tree; syntax errors become diagnostics.

Input: a `SourceFile`. Output: `Parsed(tree, comments, diagnostics)`.
Diagnostics: E-SYNTAX-001 (unexpected token, with what would be valid),
E-SYNTAX-002 (unexpected character), E-SYNTAX-003 (the file, or a
declaration, ends before the declaration is complete); where the error is a
known authoring slip (`slips.py`), the message that says what to write
instead: E-SYNTAX-010 (`24,000`), -011 (a curly quote, an en dash, a
non-breaking space), -012 (`==`, `&&`), -013 (`min-pcn-population`), -014 (a
full stop after a clause), -015 (`01/04/2025`, `2025/26`).

This is the only module that loads the grammar. The analysed grammar (the
LALR tables, some 0.4 s of CPU to build) ships with the package as JSON data
(grammar/rules.tables.json, written by `python -m tools.parser_tables
--write`; used only when its key matches the grammar, lark's version and the
options), so that even a first run does not build it; failing that it is
built once and kept between runs in the user's cache (`cache.py`), as JSON
data too, never a pickle (lark's own `cache=` unpickles its file before
checking it). After a
syntax error the parser goes on: it splits the file at declarations that
start a line and parses each piece on its own (as a text of its own, so
recovery is linear in the file's size), so one run reports an error per
broken declaration, not only the first.

>>> from rules_engine.base.source import SourceFile
>>> parsed = parse(SourceFile("x.rules", 'national contract x "X"\\nparameter a: count = 1\\n'))
>>> parsed.diagnostics
()
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import re
import sys
import threading
from importlib import resources

import attrs
import lark
import lark.exceptions
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from rules_engine.base import cache
from rules_engine.syntax import slips
from rules_engine.base.diagnostics import Diagnostic, Fix
from rules_engine.base.source import SourceFile, Span

GRAMMAR_PACKAGE = "rules_engine.grammar"

#: Words that begin a declaration; after a syntax error, parsing resumes at the
#: next line that starts with one of them.
DECLARATION_KEYWORDS = ("national", "local", "enum", "fact", "subject", "parameter", "table",
                        "define", "requirement", "vary", "waive", "replace", "add", "retire",
                        "allow", "population")
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


#: How the parser is built; part of the cache key, so a change rebuilds.
LARK_OPTIONS = dict(parser="lalr", strict=True, propagate_positions=True, maybe_placeholders=False,
                    start=["start", "fragment", "assumed_value"])
CACHE_NAME = "grammar"
#: The analysed grammar shipped in the grammar package (None: not used).
SHIPPED_TABLES: str | None = "rules.tables.json"
_TUPLE, _PAIRS = "\x00tuple", "\x00pairs"  # JSON has no tuples and only text keys


def cache_key(grammar: str) -> str:
    """A digest of everything the analysed grammar depends on."""
    parts = [grammar, lark.__version__, "%d.%d" % sys.version_info[:2],
             repr(sorted(LARK_OPTIONS.items()))]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def shipped_key(grammar: str) -> str:
    """The key of the shipped tables: the grammar, lark's version and the
    options (not Python's version, so that one file serves every Python)."""
    parts = [grammar, lark.__version__, repr(sorted(LARK_OPTIONS.items()))]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _to_json(value):
    """Lark's serialised parser (dicts, lists, tuples, int keys, text, numbers)
    as JSON data that `_from_json` turns back exactly."""
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("\x00") for k in value):
            return {k: _to_json(v) for k, v in value.items()}
        return {_PAIRS: [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {_TUPLE: [_to_json(v) for v in value]}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _from_json(value: dict):
    """`json.loads`'s object hook undoing `_to_json`: called on each object,
    innermost first, so only the tagged ones need work."""
    if len(value) == 1:
        if _TUPLE in value:
            return tuple(value[_TUPLE])
        if _PAIRS in value:
            return {key if not isinstance(key, list) else tuple(key): item
                    for key, item in value[_PAIRS]}
    return value


def _runtime_options() -> dict:
    """The options lark takes when loading a saved parser (not saved with it)."""
    return {"propagate_positions": LARK_OPTIONS["propagate_positions"],
            "lexer_callbacks": {"COMMENT": _collector}}


def _load_cached(key: str) -> lark.Lark | None:
    """The parser from the user's cache, or None: a missing, foreign, corrupt
    or mismatched entry only costs a rebuild. No pickle is read: the entry is
    JSON (see `cache.py` for the checks on the folder and the file), and
    lark's loader makes only its own grammar classes from it."""
    return _from_stored(cache.load(CACHE_NAME, key, object_hook=_from_json))


def _load_shipped(grammar: str) -> lark.Lark | None:
    """The parser from the tables shipped with the package, or None when they
    are missing or not of this grammar, lark and options."""
    if SHIPPED_TABLES is None:
        return None
    try:
        text = resources.files(GRAMMAR_PACKAGE).joinpath(SHIPPED_TABLES).read_text(encoding="utf-8")
        stored = json.loads(text, object_hook=_from_json)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(stored, dict) or stored.pop("key", None) != shipped_key(grammar):
        return None
    return _from_stored(stored)


def _from_stored(stored) -> lark.Lark | None:
    """A parser from its stored form ({"data", "memo"}: `stored_form`), or None."""
    if not isinstance(stored, dict) or set(stored) != {"data", "memo"}:
        return None
    try:
        return lark.Lark._load_from_dict(stored["data"], stored["memo"], **_runtime_options())
    except (LookupError, TypeError, ValueError, AttributeError, AssertionError,
            RecursionError, re.error, lark.exceptions.LarkError):
        # A well-formed but wrong entry (another lark's layout, say): rebuild.
        return None


def stored_form(parser: lark.Lark) -> dict | None:
    """A built parser as JSON data ({"data", "memo"}), or None when lark's
    saved parser holds more than JSON can say."""
    from lark.grammar import Rule  # here, not at the top: start-up (only this path needs it)
    from lark.lark import _LOAD_ALLOWED_OPTIONS  # here, not at the top: start-up (only this path needs it)
    from lark.lexer import TerminalDef  # here, not at the top: start-up (only this path needs it)
    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LOAD_ALLOWED_OPTIONS}
    try:
        return {"data": _to_json(data), "memo": _to_json(memo)}
    except TypeError:
        return None


def build() -> lark.Lark:
    """The parser built from the grammar (the slow way)."""
    return lark.Lark(grammar_text(), **LARK_OPTIONS, lexer_callbacks={"COMMENT": _collector})


def _store_cached(key: str, parser: lark.Lark) -> None:
    value = stored_form(parser)
    if value is not None:  # else no cache
        cache.store(CACHE_NAME, key, value)


@functools.lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    """The LALR parser: from the tables shipped with the package when they
    are of this grammar, lark and options, else from the user's cache when a
    trusted entry for this grammar, lark and Python is there (either about 3
    times faster than building it), else built and stored."""
    grammar = grammar_text()
    shipped = _load_shipped(grammar)
    if shipped is not None:
        return shipped
    key = cache_key(grammar)
    if cache.enabled():
        loaded = _load_cached(key)
        if loaded is not None:
            return loaded
    parser = build()
    if cache.enabled():
        _store_cached(key, parser)
    return parser


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


def _diagnostic(source: SourceFile, error: UnexpectedInput, offset: int = 0,
                end: int | None = None) -> Diagnostic:
    """The diagnostic for a syntax error in the text from `offset` to `end`
    (a fragment parsed on its own: its positions count from `offset`)."""
    if isinstance(error, UnexpectedCharacters):
        start = error.pos_in_stream + offset
        slip = slips.character_slip(source.text, start)
        if slip is not None:
            return _from_slip(source, slip)
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
        last = end is None or not source.text[end:].strip()
        # the fragment's own text only: recovery stays linear however many errors
        stop = offset + len(source.text[offset:len(source.text) if end is None else end].rstrip())
        slip = slips.end_slip(source.text, stop)
        if slip is not None:
            return _from_slip(source, slip)
        span = source.span(max(0, stop - 1), stop)
        expected = describe_expected(error.expected)
        message = ("the file ends in the middle of a declaration" if last else
                   "the declaration ends before it is complete (the next line starts a new one)")
        return Diagnostic("E-SYNTAX-003", message, span,
                          hint=f"expected {expected}" if expected else None)
    assert isinstance(error, UnexpectedToken)
    token = error.token
    start = (token.start_pos if token.start_pos is not None else 0) + offset
    stop = token.end_pos + offset if token.end_pos is not None else start + 1
    slip = slips.token_slip(source.text, start, token.type, stop)
    if slip is not None:
        return _from_slip(source, slip)
    span = source.span(start, stop)
    expected = describe_expected(error.accepts or error.expected)
    hint = _hint_for(token, error.accepts or error.expected)
    message = f"unexpected {_token_text(token)}"
    return Diagnostic("E-SYNTAX-001", message, span,
                      hint=hint or (f"expected {expected}" if expected else None))


def _from_slip(source: SourceFile, slip: slips.Slip) -> Diagnostic:
    span = source.span(slip.start, slip.end)
    fixes = () if slip.fix is None else (
        Fix(span, slip.fix, f"write `{slip.fix}`" if slip.fix.strip() else "delete it"),)
    return Diagnostic(slip.code, slip.message, span, hint=slip.hint, fixes=fixes)


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


@contextlib.contextmanager
def _cyclic_collector_paused():
    """Lark builds a great many small objects without cycles (tokens, trees,
    their positions); the cyclic garbage collector would walk them again and
    again as they pile up, doubling the time of a 5 MB file. It is paused for
    one parse and restored after (nothing is lost: it collects any cycles
    then)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse(source: SourceFile) -> Parsed:
    """Parse one rule file; never raises on bad input. The work is linear in
    the file's size, with or without syntax errors."""
    with _lock, _cyclic_collector_paused():
        _collector.tokens = []
        try:
            tree = _parser().parse(source.text, start="start")
            comments = tuple(_comments(source, _collector.tokens))
            return Parsed(tree, (), comments, ())
        except UnexpectedInput:
            pass
        diagnostics: list[Diagnostic] = []
        fragments: list[lark.Tree] = []
        lines_before, counted_to = 0, 0
        for start, end in _fragments(source.text):
            # Each piece is parsed as a text of its own, so the work is linear
            # in the file; its positions are then moved to the file's. A piece
            # starts a line, so only offsets and line numbers move, not columns.
            lines_before += source.text.count("\n", counted_to, start)
            counted_to = start
            first_comment = len(_collector.tokens)
            try:
                fragment = _parser().parse(source.text[start:end], start="fragment")
                fragments.append(_shift_tree(fragment, start, lines_before))
            except UnexpectedInput as error:
                diagnostics.append(_diagnostic(source, error, start, end))
            for token in _collector.tokens[first_comment:]:
                _shift_token(token, start, lines_before)
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


def parse_value(source: SourceFile) -> Parsed:
    """Parse one literal (an assumed figure such as `10349`, `£225.49` or
    `80%`; `assumptions.py`); never raises on bad input."""
    with _lock, _cyclic_collector_paused():
        _collector.tokens = []
        try:
            return Parsed(_parser().parse(source.text, start="assumed_value"), (), (), ())
        except UnexpectedInput as error:
            return Parsed(None, (), (), (_diagnostic(source, error),))


def _shift_token(token: lark.Token, offset: int, lines: int) -> None:
    if token.start_pos is not None:
        token.start_pos += offset
    if token.end_pos is not None:
        token.end_pos += offset
    if token.line is not None:
        token.line += lines
    if token.end_line is not None:
        token.end_line += lines


def _shift_tree(tree: lark.Tree, offset: int, lines: int) -> lark.Tree:
    """Move a fragment's positions (tokens and node metadata) by `offset`
    characters and `lines` lines, in place; iterative, each node once."""
    if not offset and not lines:
        return tree
    seen: set[int] = set()
    for subtree in tree.iter_subtrees():
        meta = subtree.meta
        if getattr(meta, "start_pos", None) is not None and id(meta) not in seen:
            seen.add(id(meta))
            meta.start_pos += offset
            meta.end_pos += offset
            meta.line += lines
            meta.end_line += lines
        for child in subtree.children:
            if isinstance(child, lark.Token) and id(child) not in seen:
                seen.add(id(child))
                _shift_token(child, offset, lines)
    return tree


def _comments(source: SourceFile, tokens: list[lark.Token]):
    seen = set()
    for token in tokens:
        if token.start_pos in seen:
            continue
        seen.add(token.start_pos)
        yield source.span(token.start_pos, token.end_pos), str(token)
