"""Source files and spans: where every node and diagnostic points.

Input: the text of a rule file or an arrangement and the name to show for it.
Output: `SourceFile` (text plus line index) and `Span` (file, 1-based line and
column of the first and last character, 0-based offsets) used by every later
stage. Nothing here can fail on user input.

>>> src = SourceFile("a.rules", "parameter x: count = 1\\n")
>>> span = src.span(10, 11)
>>> (span.line, span.column, span.end_column)
(1, 11, 12)
>>> print(src.excerpt(span))
   1 | parameter x: count = 1
     |           ^
"""

from __future__ import annotations

import bisect
import re

import attrs

from rules_engine.base.records import pickled_by_fields
from rules_engine.base.visible import visible


#: The most columns of a source line an excerpt shows. A longer line (a
#: population line is up to `max_line_bytes`, a megabyte) is cut around the
#: span, each cut end marked with `...`: the excerpt stays one screen line, not
#: a megabyte on the terminal.
EXCERPT_COLUMNS = 160
_CONTEXT = 40  # columns kept before the span when a line is cut
_CUT = "..."


def _clipped(before: str, marked: str, after: str) -> tuple[str, str, str]:
    """The parts of a shown line (before the span, the span, after it) cut to
    at most `EXCERPT_COLUMNS` columns in all: some context before the span,
    as much of the span as fits, and what follows, each cut marked."""
    if len(before) + len(marked) + len(after) <= EXCERPT_COLUMNS:
        return before, marked, after
    if len(before) > _CONTEXT:
        before = _CUT + before[len(before) - (_CONTEXT - len(_CUT)):]
    room = EXCERPT_COLUMNS - len(before)
    if len(marked) > room - len(_CUT):
        return before, marked[:room - len(_CUT)], _CUT
    room -= len(marked)
    if len(after) > room:
        after = after[:room - len(_CUT)] + _CUT
    return before, marked, after


@pickled_by_fields  # some 8,000 in the checked library's cache
@attrs.frozen
class Span:
    """A half-open range of characters in one file.

    `line`/`column` are 1-based and name the first character; `end_line`/
    `end_column` name the position just after the last character.
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0
    end: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@attrs.frozen
class SourceFile:
    """The text of one input file, with a line index for positions."""

    path: str
    text: str
    line_starts: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        starts, find = [0], self.text.find
        index = find("\n")
        while index >= 0:  # str.find, not a loop over characters: a large file costs little
            starts.append(index + 1)
            index = find("\n", index + 1)
        object.__setattr__(self, "line_starts", tuple(starts))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a 0-based character offset."""
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(self.line_starts, offset) - 1
        return line_index + 1, offset - self.line_starts[line_index] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(max(end, start))
        return Span(self.path, line, column, end_line, end_column, start, max(end, start))

    def span_at(self, line: int, column: int, width: int = 1) -> Span:
        """A span from a 1-based line and column (as YAML readers report),
        at most to the end of that line (a caret may stand just after it)."""
        line = max(1, min(line, len(self.line_starts)))
        width = max(1, min(width, len(self.line_text(line)) - column + 1))
        start = self.line_starts[line - 1] + column - 1
        return Span(self.path, line, column, line, column + width, start, start + width)

    def line_text(self, line: int) -> str:
        if not 1 <= line <= len(self.line_starts):
            return ""
        start = self.line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]

    def excerpt(self, span: Span) -> str:
        """The span's first line with a caret line under the span."""
        text = self.line_text(span.line).rstrip("\r").expandtabs(1)
        if span.end_line == span.line:
            width = max(1, span.end_column - span.column)
        else:  # to the end of the code on the first line, not over a trailing comment
            code = re.sub(r'\s*#[^"]*$', "", text)
            width = max(1, len(code) - span.column + 1)
        gutter = f"{span.line:>4} | "
        pad = " " * (len(gutter) - 2) + "| "
        # Control characters are shown as escapes: the caret moves with them.
        before = visible(text[:span.column - 1])
        marked = visible(text[span.column - 1:span.column - 1 + width])
        after = visible(text[span.column - 1 + width:])
        before, marked, after = _clipped(before, marked, after)
        return f"{gutter}{before}{marked}{after}\n{pad}{' ' * len(before)}{'^' * max(1, len(marked))}"
