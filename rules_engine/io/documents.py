"""Data documents read within the limits: arrangements, scenarios, population lines.

Input: the text of a YAML or JSON file (a `SourceFile`), or one line of a JSON
Lines population. Output: the parsed document (ruamel containers that know
their lines, or plain JSON values), or `InvalidInput` with a located
diagnostic. Nothing recursive runs on a document until its shape is known to
be within `limits.current()`:

- nesting deeper than `max_nesting_depth` (E-LIMIT-003) is found from the YAML
  parser's events, or for a JSON line by a scan of its brackets, before the
  document is built;
- YAML aliases are counted as they would be expanded, also from the events,
  so that an alias of an alias of an alias ("billion laughs") counts for every
  copy it stands for; more than `max_aliases` is E-LIMIT-006;
- dates and times are read as text (the YAML reader would otherwise build them
  itself and fail on `2025-02-30` or an hour of 25); the schema checks them
  where it knows the field;
- a JSON line with a key given twice is an error (E-FACT-006) with the key's
  column, as the same object in a YAML or JSON file is;
- a population line longer than `max_line_bytes` (E-LIMIT-002) is skipped
  without being read whole into memory; invalid UTF-8 names its line and
  column (E-INPUT-002, as in any other file).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import attrs

from rules_engine.base import limits
from rules_engine.base.diagnostics import Diagnostic, InvalidInput
from rules_engine.io.inputs import BOM, bad_utf8, name_of, open_input
from rules_engine.base.source import SourceFile, Span


# ------------------------------------------------------------------- YAML

def _reader_classes():
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.parser import RoundTripParser

    class TextDates(RoundTripConstructor):
        """Timestamps stay the text they were written as."""

    def timestamp_as_text(constructor, node):
        return constructor.construct_scalar(node)

    TextDates.add_constructor("tag:yaml.org,2002:timestamp", timestamp_as_text)

    class ShapeParser(RoundTripParser):
        """Each event, as the composer takes it, is shown to the reader's `_Shape`."""

        def get_event(self):
            event = super().get_event()
            self.loader.contract_rules_shape.see(event)
            return event

    return TextDates, ShapeParser


_CLASSES = None


def yaml_reader(shape: "_Shape | None" = None):
    """A round-trip YAML reader that rejects duplicate keys and keeps dates as
    text; with a `shape`, one that checks nesting and aliases as it parses."""
    global _CLASSES
    from ruamel.yaml import YAML
    if _CLASSES is None:
        _CLASSES = _reader_classes()
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Constructor = _CLASSES[0]
    if shape is not None:
        yaml.Parser = _CLASSES[1]
        yaml.contract_rules_shape = shape
    return yaml


@attrs.define
class _Open:
    """A mapping or list whose end the event scan has not reached yet."""

    anchor: str | None
    aliases: int = 0  # aliases inside, each counted as often as it is expanded
    height: int = 0  # levels of nesting below this one
    mapping: bool = False
    nodes: int = 0  # keys and values seen so far (in a mapping, even: a key comes next)


class _Shape:
    """Nesting and expanded aliases of a YAML document, event by event.

    The composer takes the events one at a time, before any value is built
    (aliases are expanded only when values are built), so a document that
    breaks a limit raises InvalidInput before anything depends on its shape."""

    def __init__(self, source: SourceFile, what: str, code: str = "E-FACT-006"):
        from ruamel.yaml import events
        self.events = events
        self.source, self.what, self.code = source, what, code
        limit = limits.current()
        self.depth_limit, self.alias_limit = limit.max_nesting_depth, limit.max_aliases
        self.stack: list[_Open] = [_Open(None)]  # the stream itself, below the document
        self.anchors: dict[str, tuple[int, int]] = {}  # anchor -> (height, expanded aliases)
        self.aliases = 0

    def see(self, event) -> None:
        events, stack = self.events, self.stack
        if isinstance(event, events.NodeEvent):
            parent = stack[-1]
            if parent.mapping and parent.nodes % 2 == 0 and (
                    isinstance(event, events.CollectionStartEvent)
                    or (isinstance(event, events.AliasEvent)
                        and self.anchors.get(event.anchor, (0, 0))[0] > 0)):
                raise InvalidInput([Diagnostic(
                    self.code, f"a key in the {self.what} is a mapping or a list",
                    _mark_span(self.source, event.start_mark),
                    hint="keys are plain names or codes, such as `list_size:`; "
                         "a `?` complex key is not part of the format")])
            parent.nodes += 1
        if isinstance(event, events.CollectionStartEvent):
            stack.append(_Open(event.anchor, mapping=isinstance(event, events.MappingStartEvent)))
            if len(stack) - 1 > self.depth_limit:
                raise InvalidInput([_too_deep(self.source, event.start_mark, self.what)])
        elif isinstance(event, events.CollectionEndEvent):
            done = stack.pop()
            parent = stack[-1]
            parent.aliases += done.aliases
            parent.height = max(parent.height, done.height + 1)
            if done.anchor is not None:
                self.anchors[done.anchor] = (done.height + 1, done.aliases)
        elif isinstance(event, events.AliasEvent):
            height, inside = self.anchors.get(event.anchor, (0, 0))
            parent = stack[-1]
            parent.aliases += 1 + inside
            parent.height = max(parent.height, height)
            self.aliases += 1 + inside
            if len(stack) - 1 + height > self.depth_limit:
                raise InvalidInput([_too_deep(self.source, event.start_mark, self.what, alias=True)])
            if self.aliases > self.alias_limit:
                raise InvalidInput([_too_many_aliases(self.source, event, self.aliases, self.what)])
        elif isinstance(event, events.ScalarEvent) and event.anchor is not None:
            self.anchors[event.anchor] = (0, 0)


def _mark_span(source: SourceFile, mark) -> Span:
    return source.span_at(mark.line + 1, mark.column + 1)


def _too_deep(source: SourceFile, mark, what: str, alias: bool = False) -> Diagnostic:
    limit = limits.BY_NAME["max_nesting_depth"]
    depth = limits.current().max_nesting_depth
    return Diagnostic(
        limit.code, f"{what} nests mappings and lists more than {depth:,} deep"
        + (" where this alias is expanded" if alias else ""), _mark_span(source, mark),
        hint=limits.describe(limit))


def _too_many_aliases(source: SourceFile, event, total: int, what: str) -> Diagnostic:
    limit = limits.BY_NAME["max_aliases"]
    allowed = limits.current().max_aliases
    return Diagnostic(
        limit.code, f"{what} uses more than {allowed:,} YAML aliases once expanded "
        f"(`*{event.anchor}` brings the count to {total:,})", _mark_span(source, event.start_mark),
        hint="write the values out, or use fewer aliases of aliases; " + limits.describe(limit))


#: The deepest Python stack a reader is given, whatever the nesting limit is
#: raised to (deeper could overflow the C stack); see `read_yaml`.
_MOST_FRAMES = 30_000


@contextlib.contextmanager
def _stack_room(levels: int) -> Iterator[None]:
    """Room on the Python stack for a reader that recurses a few frames per level.

    The shape has been checked, so `levels` is bounded by the nesting limit."""
    frame, used = sys._getframe(), 0
    while frame is not None:
        frame, used = frame.f_back, used + 1
    needed = min(used + 6 * levels + 200, _MOST_FRAMES)
    before = sys.getrecursionlimit()
    if needed > before:
        sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        if needed > before:
            sys.setrecursionlimit(before)


def read_yaml(source: SourceFile, what: str, code: str) -> Any:
    """A YAML (or JSON) document with line numbers; raises InvalidInput with
    `code` for text that is not YAML, or a limit's code for one it breaks."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError
    too_deep = _too_deep_in_c(source, what)
    if too_deep is not None:
        raise InvalidInput([too_deep])
    try:
        with _stack_room(limits.current().max_nesting_depth):
            return yaml_reader(_Shape(source, what, code)).load(io.StringIO(source.text))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        span = source.span_at(mark.line + 1, mark.column + 1) if mark else None
        raise InvalidInput([Diagnostic(code, f"cannot read the {what}: {error.problem}",
                                       span, hint="check indentation, colons and quotes")]) from None
    except ReaderError as error:  # a character YAML does not allow: placed where it is
        at = min(max(int(error.position), 0), len(source.text))
        shown = f"#x{error.character:04x}" if isinstance(error.character, int) else repr(error.character)
        raise InvalidInput([Diagnostic(
            code, f"cannot read the {what}: character {shown} is not allowed in YAML ({error.reason})",
            source.span(at, at + 1), hint="remove the control character, or write it as an escape "
            "inside a double-quoted string (\\x07)")]) from None
    except YAMLError as error:
        raise InvalidInput([Diagnostic(code, f"cannot read the {what}: {error}",
                                       source.span(0, 0))]) from None
    except (AssertionError, NotImplementedError):  # ruamel's reader fails its own check on a comment
        raise InvalidInput([Diagnostic(
            code, f"cannot read the {what}: the YAML reader cannot place one of its comments",
            _unplaced_comment(source), hint="move a comment that follows `|`, `>` or `:` to a line of its own"
        )]) from None
    except RecursionError:  # only when max_nesting_depth is raised past what a stack holds
        limit = limits.BY_NAME["max_nesting_depth"]
        raise InvalidInput([Diagnostic(
            limit.code, f"the {what} is nested too deep to read, even within the limit "
            f"`max_nesting_depth` as raised ({limits.current().max_nesting_depth:,})",
            source.span(0, 0), hint="lower `--limit max_nesting_depth`, or flatten the data")]) from None


def _too_deep_in_c(source: SourceFile, what: str) -> Diagnostic | None:
    """Nesting past `max_nesting_depth` found by the C parser's events, before
    the round-trip reader sees the text: that reader's scanner looks up to
    1,024 characters ahead at every flow level it opens, so a line of some
    thousands of `[` took it 2 s to refuse (libyaml: 2 ms). Only where the
    brackets alone could break the limit (block nesting costs the reader
    nothing extra, and `_Shape` finds it); the first collection opened too
    deep, placed as `_Shape` places it. None where the C parser is missing,
    finds the text within the limit, or stops on anything else (the
    round-trip reader then reads it and says what is wrong, as before)."""
    depth_limit = limits.current().max_nesting_depth
    text = source.text
    if text.count("[") + text.count("{") <= depth_limit:
        return None
    from ruamel.yaml import events  # here, not at the top: start-up (ruamel loads with the first YAML file)
    from ruamel.yaml.main import CParser  # here, not at the top: start-up (as above)
    if CParser is None:
        return None
    opened, closed = events.CollectionStartEvent, events.CollectionEndEvent
    parser, depth = CParser(io.StringIO(text)), 0
    try:
        while (event := parser.get_event()) is not None and not isinstance(event, events.StreamEndEvent):
            if isinstance(event, opened):
                depth += 1
                if depth > depth_limit:
                    return _too_deep(source, event.start_mark, what)
            elif isinstance(event, closed):
                depth -= 1
    except Exception:  # noqa: BLE001 - any stop of libyaml's is the round-trip reader's to name
        return None
    finally:
        parser.dispose()
    return None


#: A comment right after `|`, `>` or a key's colon, with nothing else on its
#: line: where ruamel's round-trip reader fails on some comments.
_AFTER_INDICATOR = re.compile(r"[|>:][-+0-9]*[ \t]+(#)", re.MULTILINE)


def _unplaced_comment(source: SourceFile) -> Span:
    """The comment ruamel's reader could not place: the first right after an
    indicator, else the file's start."""
    found = _AFTER_INDICATOR.search(source.text)
    return source.span(found.start(1), found.start(1) + 1) if found else source.span(0, 0)


#: What only the round-trip reader handles as `read_yaml` means it: an anchor,
#: an alias or a tag (`&`, `*`, `!`), a block scalar (`|`, `>`: libyaml
#: reads `|#` as one, ruamel refuses it), a directive (`%` opening a line), a
#: document end marker (`...` opening a line: libyaml reads `a\n...\n...\n` as
#: one document, ruamel's reader as two, which `read_yaml` refuses).
#: (ruamel's reader also fails on some valid comments, `a: #` over a value on
#: the next line: `read_yaml` refuses those, the C parser reads them.)
_ROUND_TRIP_ONLY = re.compile(r"[&*!|>]|^%|^\.\.\.", re.MULTILINE)


def _safe_reader():
    """ruamel's safe loader on its C parser (ruamel.yaml.clib), dates kept as
    text as `read_yaml` keeps them; None where the C parser is missing."""
    from ruamel.yaml import YAML  # here, not at the top: start-up (ruamel loads with the first YAML file)
    from ruamel.yaml.main import CParser  # here, not at the top: start-up (as above)
    if CParser is None:
        return None
    reader = YAML(typ="safe")
    if reader.Parser is not CParser:
        return None
    reader.allow_duplicate_keys = False
    global _SAFE_DATES
    if _SAFE_DATES is None:
        class TextDates(reader.Constructor):
            """Timestamps stay the text they were written as."""

        TextDates.add_constructor("tag:yaml.org,2002:timestamp",
                                  lambda constructor, node: constructor.construct_scalar(node))
        _SAFE_DATES = TextDates
    reader.Constructor = _SAFE_DATES
    return reader


_SAFE_DATES = None


def read_yaml_data(source: SourceFile, what: str, code: str) -> Any:
    """The document `read_yaml` reads, as plain values (dicts, lists, str,
    int, float, bool, None) without their lines, read by the C parser: some
    five times faster. Only text that cannot differ is read so: no anchor,
    alias, tag or directive, no character the YAML reader refuses, and
    nesting (bounded from the indentation and the flow brackets) within
    `max_nesting_depth`; anything else, and any text the C parser does not
    accept, is read by `read_yaml`, which places every error on its line.
    A caller that needs lines for a diagnostic reads the text again with
    `read_yaml` (`arrangements.place_problems`)."""
    text = source.text
    if not _plain_enough(text):
        return read_yaml(source, what, code)
    reader = _safe_reader()
    if reader is None:
        return read_yaml(source, what, code)
    try:
        document = reader.load(text)
    except Exception:  # noqa: BLE001 - any problem: the round-trip reader says where it is
        return read_yaml(source, what, code)
    return document if _plain_keys(document) else read_yaml(source, what, code)


#: The ASCII characters YAML refuses (ruamel's `Reader.NON_PRINTABLE`, for ASCII text).
_ASCII_NON_PRINTABLE = re.compile(r"[^\x09\x0A\x0D\x20-\x7E]")
#: Characters libyaml and ruamel read differently: line and paragraph
#: separators, NEL, and a byte order mark past the start.
_UNICODE_BREAKS = re.compile("[\x85\u2028\u2029\ufeff]")
#: Where a line's block collections can start: its indentation and the
#: `- ` and `? ` indicators after it (`- - x` nests two lists on one line).
_BLOCK_PREFIX = re.compile(r"[ \-?]*")


def _plain_enough(text: str) -> bool:
    """Whether the C parser's reading of `text` is sure to be `read_yaml`'s."""
    if _ROUND_TRIP_ONLY.search(text) or "\t" in text:
        return False
    if text.isascii():
        if _ASCII_NON_PRINTABLE.search(text):
            return False
    else:
        if _UNICODE_BREAKS.search(text):
            return False
        from ruamel.yaml.reader import Reader  # here, not at the top: start-up (ruamel loads with the first YAML file)
        if Reader.NON_PRINTABLE.search(text):  # compiled when first used (some 5 ms)
            return False
    # A block collection starts further right than its parent, except a list
    # at its key's column: at most two levels a column, plus one a bracket.
    widest = max((_BLOCK_PREFIX.match(line).end() for line in text.splitlines()), default=0)
    bound = 2 * (widest + 1) + text.count("[") + text.count("{")
    return bound <= limits.current().max_nesting_depth


def _plain_keys(document: Any) -> bool:
    """Whether every key is a scalar (`read_yaml` refuses a mapping or list
    key, which the safe loader would make a tuple). Without recursion."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if not all(key is None or isinstance(key, (str, int, float)) for key in value):
                return False
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return True


def preview(value: Any, width: int = 40) -> str:
    """A short text for a value in a message: one level of a mapping or list
    (nothing recursive, however deep the value), clipped to `width`."""
    if isinstance(value, dict):
        inner = ", ".join(f"{key}: {_shallow(item)}" for key, item in list(value.items())[:4])
        text = "{" + inner + (", ..." if len(value) > 4 else "") + "}"
    elif isinstance(value, (list, tuple)):
        inner = ", ".join(_shallow(item) for item in list(value)[:6])
        text = "[" + inner + (", ..." if len(value) > 6 else "") + "]"
    else:
        text = str(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def _shallow(value: Any) -> str:
    if isinstance(value, dict):
        return "{...}" if value else "{}"
    if isinstance(value, (list, tuple)):
        return "[...]" if value else "[]"
    text = str(value)
    return text if len(text) <= 20 else text[:17] + "..."


# ------------------------------------------------------------- JSON lines

#: A JSON string, or one bracket: what a depth scan has to tell apart.
_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
#: A JSON line's tokens, for finding a repeated key (only when there is one).
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')


class _RepeatedKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _no_repeats(pairs: list) -> dict:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return document


_DECODER = json.JSONDecoder(object_pairs_hook=_no_repeats)


def _depth_breach(text: str, limit: int) -> int | None:
    """The offset of the first bracket nested deeper than `limit`, or None.

    Counting the opening brackets is enough for almost every line; the exact
    scan (which skips strings) runs only when there are more than `limit`."""
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    for match in _BRACKETS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                return match.start()
        elif token in "]}":
            depth -= 1
    return None


def _repeated_key_offset(text: str, key: str) -> int:
    """Where the second `key` of one object starts (the scan behind the error)."""
    stack: list[set | None] = []  # a set of keys per open object, None per list
    previous = None
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "{[":
            stack.append(set() if token == "{" else None)
        elif token in "}]":
            if stack:
                stack.pop()
        elif token == ":" and previous is not None and stack and stack[-1] is not None:
            name = json.loads(previous.group())
            if name in stack[-1]:
                return previous.start()
            stack[-1].add(name)
        previous = match if token.startswith('"') else None
    return 0


def json_line(text: str, origin: str, line: int) -> Any:
    """One population line as a JSON value; raises InvalidInput naming the
    line and column of what is wrong."""
    depth = limits.current().max_nesting_depth
    offset = _depth_breach(text, depth)
    if offset is not None:
        limit = limits.BY_NAME["max_nesting_depth"]
        raise InvalidInput([Diagnostic(
            limit.code, f"line {line} nests objects and lists more than {depth:,} deep",
            _at(origin, line, offset + 1), hint=limits.describe(limit))])
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise InvalidInput([Diagnostic(
            "E-FACT-006", f"line {line} is not valid JSON: {error.msg}",
            _at(origin, line, error.colno),
            hint="each line of a population is one JSON object")]) from None
    except _RepeatedKey as repeated:
        column = _repeated_key_offset(text, repeated.key) + 1
        raise InvalidInput([Diagnostic(
            "E-FACT-006", f"line {line} gives the key `{repeated.key}` twice in one object",
            _at(origin, line, column, len(json.dumps(repeated.key))),
            hint="give each field once; a repeated key is rejected here as it is in a file")]) from None


def _at(origin: str, line: int, column: int, width: int = 1) -> Span:
    return Span(origin, line, column, line, column + width)


# ------------------------------------------------------ population lines

@attrs.frozen
class Line:
    """One non-blank line of a population: its number and its text, or the
    diagnostics that say why it cannot be read."""

    number: int
    text: str | None
    problem: tuple[Diagnostic, ...] = ()


def read_lines(handle: BinaryIO, origin: str) -> Iterator[Line]:
    """The non-blank lines of a binary stream, each at most `max_line_bytes`.

    A longer line is reported and skipped in pieces, never held whole; a line
    that is not UTF-8 is reported at its first bad byte."""
    limit = limits.current().max_line_bytes
    number = 0
    while True:
        raw = handle.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line
                raw = handle.readline(1 << 20)
            yield Line(number, None, (_too_long(origin, number, limit),))
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            yield Line(number, None, (bad_utf8(raw, origin, error, number),))
            continue
        if number == 1 and text.startswith(BOM):
            text = text[1:]
        if text.strip():
            yield Line(number, text)


def _too_long(origin: str, number: int, limit: int) -> Diagnostic:
    entry = limits.BY_NAME["max_line_bytes"]
    return Diagnostic(entry.code, f"line {number} is longer than {limit:,} bytes",
                      _at(origin, number, limit + 1), hint=limits.describe(entry))


def population_lines(path: str | Path) -> Iterator[Line]:
    """The lines of a population file (see `read_lines`). A file that is not a
    regular one, or cannot be opened, raises InvalidInput (`inputs.open_input`)
    here, at the call, not when the first line is asked for."""
    handle = open_input(path, "E-FACT-006")
    return _closing_lines(handle, name_of(path))


def _closing_lines(handle: BinaryIO, origin: str) -> Iterator[Line]:
    with handle:
        yield from read_lines(handle, origin)
