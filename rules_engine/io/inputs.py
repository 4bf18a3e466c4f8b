"""Reading input files: the one way every reader opens a file.

Input: a path and the diagnostic code its reader uses for "cannot be read"
(E-SYNTAX-009 for rule files, E-FACT-006 for arrangements, E-SCENARIO-001 for
scenario files). Output: the file's text (`read_text`, for whole files) or an
open binary handle (`open_input`, for population files read line by line).

The same rules for every input, so that no file can hang, exhaust memory or
be read differently by two commands:

- only a regular file is read: a FIFO, a device (`/dev/zero`), a socket or a
  folder is refused before it is opened (E-INPUT-001), and the file is opened
  with O_NONBLOCK so that one swapped in after the check cannot block either;
- a whole file is read only up to `limits.current().max_file_bytes`
  (E-LIMIT-001): at most one byte more than the limit is ever read;
- the text is UTF-8; a leading byte-order mark is dropped (editors on Windows
  write one); an invalid byte is reported at its line and column (E-INPUT-002),
  with the line shown as far as it can be decoded;
- a file that cannot be opened (missing, no permission) gets the reader's code;
- the path `-` is standard input, read under the same limits and named
  `<stdin>` in diagnostics. A whole file read from it is kept for the run, so
  a second reader (the baseline and the proposal of `impact`) and a
  diagnostic's caret see the same text; a population is streamed from it.

>>> import tempfile, os
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "a.yaml")
>>> _ = open(path, "wb").write(b"\\xef\\xbb\\xbfas_of: 2025-06-01\\n")
>>> read_text(path, "E-FACT-006")
'as_of: 2025-06-01\\n'
>>> _ = open(path, "wb").write(b"name: caf\\xe9\\n")
>>> try:
...     read_text(path, "E-FACT-006")
... except InvalidInput as error:
...     print(error.diagnostics[0].code, error.diagnostics[0].span)
E-INPUT-002 ...a.yaml:1:10
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows: no FIFOs to block on, and no O_NONBLOCK to clear
    fcntl = None

#: O_NONBLOCK where the system has it (POSIX): a FIFO swapped in cannot block.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0) if fcntl is not None else 0

from rules_engine.base import limits
from rules_engine.base.diagnostics import Diagnostic, InvalidInput
from rules_engine.base.source import SourceFile, Span

BOM = "\ufeff"

#: The path that means standard input, and its name in diagnostics.
STDIN = "-"
STDIN_NAME = "<stdin>"

_stdin_bytes: bytes | None = None  # standard input, once read whole


def forget_stdin() -> None:
    """Start a run afresh: standard input not yet read (the CLI calls this
    once per command, so that one process can run several)."""
    global _stdin_bytes
    _stdin_bytes = None


def is_stdin(path: str | Path) -> bool:
    return str(path) == STDIN


def name_of(path: str | Path) -> str:
    """How a diagnostic names an input: the path as given, `<stdin>` for `-`."""
    return STDIN_NAME if is_stdin(path) else str(path)


def _stdin_buffer() -> BinaryIO:
    import sys
    stream = sys.stdin
    if stream is None:
        raise InvalidInput([Diagnostic("E-INPUT-001", "standard input is closed; `-` has nothing to read",
                                       None, path=STDIN_NAME, hint="give a file's path instead of `-`")])
    if stream.isatty():
        import click
        click.echo("reading from standard input (end it with Ctrl-D)", err=True)
    return getattr(stream, "buffer", stream)


def _read_stdin(limit: int) -> bytes:
    """Standard input, whole, at most `limit` + 1 bytes of it; kept for the run."""
    global _stdin_bytes
    if _stdin_bytes is None:
        _stdin_bytes = _stdin_buffer().read(limit + 1)
    return _stdin_bytes


class _Borrowed(io.BufferedIOBase):
    """Standard input's binary stream, which closing leaves open."""

    def __init__(self, stream):
        self.stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def read1(self, size: int = -1) -> bytes:
        return self.stream.read1(size) if hasattr(self.stream, "read1") else self.stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self.stream.readline(size)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(path: str, mode: int) -> InvalidInput:
    return InvalidInput([Diagnostic(
        "E-INPUT-001", f"{path} is {_kind(mode)}, not a regular file", None, path=path,
        hint="give the path of an ordinary file; to read from a pipe or a device, "
             "save its output to a file first")])


def _cannot_open(path: str, code: str, error: OSError) -> InvalidInput:
    reason = error.strerror or str(error)
    return InvalidInput([Diagnostic(code, f"cannot read {path}: {reason}", None, path=path)])


def open_input(path: str | Path, code: str) -> BinaryIO:
    """An open binary handle on a regular file; raises InvalidInput.

    The file is checked with `os.stat` before it is opened and with
    `os.fstat` after (it may have been swapped), and opened non-blocking, so
    neither a FIFO nor a device is ever read from. `-` is standard input,
    streamed (or, if it has been read whole already, that text again)."""
    path = str(path)
    if is_stdin(path):
        if _stdin_bytes is not None:
            return io.BytesIO(_stdin_bytes)
        return _Borrowed(_stdin_buffer())
    try:
        before = os.stat(path)
    except OSError as error:
        raise _cannot_open(path, code, error) from None
    if not stat.S_ISREG(before.st_mode):
        raise _not_regular(path, before.st_mode)
    try:
        descriptor = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        raise _cannot_open(path, code, error) from None
    try:
        after = os.fstat(descriptor)
        if not stat.S_ISREG(after.st_mode):
            raise _not_regular(path, after.st_mode)
        if _NONBLOCK:
            flags = fcntl.fcntl(descriptor, fcntl.F_GETFL)
            fcntl.fcntl(descriptor, fcntl.F_SETFL, flags & ~_NONBLOCK)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def open_text(path: str | Path, code: str) -> io.TextIOWrapper:
    """`open_input` as UTF-8 text lines, a leading byte-order mark dropped."""
    return io.TextIOWrapper(open_input(path, code), encoding="utf-8-sig")


def read_bytes(path: str | Path, code: str) -> bytes:
    """The bytes of a regular file within the size limit; raises InvalidInput."""
    path = str(path)
    limit = limits.current().max_file_bytes
    if is_stdin(path):
        path = STDIN_NAME
        try:
            data = _read_stdin(limit)
        except OSError as error:
            raise _cannot_open(path, code, error) from None
    else:
        with open_input(path, code) as handle:
            try:
                data = handle.read(limit + 1)
            except OSError as error:
                raise _cannot_open(path, code, error) from None
    if len(data) > limit:
        raise _too_large(path, limit)
    return data


def _too_large(path: str, limit: int) -> InvalidInput:
    rule = limits.BY_NAME["max_file_bytes"]
    return InvalidInput([Diagnostic(
        rule.code, f"{path} is larger than {limit:,} bytes; it was not read", None, path=path,
        hint=limits.describe(rule, limit))])


def source_from_text(text: str, name: str) -> SourceFile:
    """A text given in memory (a layer written in a notebook cell) as a
    `SourceFile` named `name`, under the rules a file's text is read by: the
    size limit (E-LIMIT-001), a leading byte-order mark dropped."""
    limit = limits.current().max_file_bytes
    if len(text.encode("utf-8", "surrogatepass")) > limit:
        raise _too_large(name, limit)
    return SourceFile(name, text[1:] if text.startswith(BOM) else text)


def decode(data: bytes, path: str, first_line: int = 1) -> str:
    """UTF-8 text without a leading byte-order mark; an invalid byte raises
    InvalidInput (E-INPUT-002) at its line and column. `first_line` is the
    line number of the first byte (for one line of a population file)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput([bad_utf8(data, path, error, first_line)]) from None
    return text[1:] if text.startswith(BOM) else text


def bad_utf8(data: bytes, path: str, error: UnicodeDecodeError, first_line: int = 1) -> Diagnostic:
    """The diagnostic for the first invalid byte: its line and column, counted
    in characters as an editor shows them (a byte-order mark takes none)."""
    good = data[:error.start].decode("utf-8")
    if first_line == 1 and good.startswith(BOM):
        good = good[1:]
    line_start = good.rfind("\n") + 1
    line = first_line + good.count("\n")
    column = len(good) - line_start + 1
    # Offsets as in `display_source`'s text, where the bad byte is U+FFFD.
    span = Span(path, line, column, line, column + 1, len(good), len(good) + 1)
    return Diagnostic(
        "E-INPUT-002", f"invalid UTF-8: byte 0x{data[error.start]:02x} cannot start or continue "
                       f"a character here", span,
        hint="save the file as UTF-8 (not Latin-1 or Windows-1252); in an editor, "
             "re-type the character under the caret")


def read_text(path: str | Path, code: str) -> str:
    """The text of a regular UTF-8 file within the size limit; raises InvalidInput."""
    path = str(path)
    return decode(read_bytes(path, code), name_of(path))


def read_source(path: str | Path, code: str) -> SourceFile:
    """`read_text` as a `SourceFile` named by the path as given (`<stdin>` for `-`)."""
    return SourceFile(name_of(path), read_text(path, code))


def display_source(path: str | Path) -> SourceFile | None:
    """A file's text for showing a diagnostic's line: decoded as `read_text`
    does, but with invalid bytes replaced (so the line of an E-INPUT-002 can be
    shown); None if it is not a regular file within the size limit. Standard
    input (`<stdin>`) is shown from the text read from it, if any."""
    path = str(path)
    if path == STDIN_NAME:
        if _stdin_bytes is None:
            return None
        text = _stdin_bytes.decode("utf-8", errors="replace")
        return SourceFile(path, text[1:] if text.startswith(BOM) else text)
    try:
        data = read_bytes(path, "E-SYNTAX-009")
    except InvalidInput:
        return None
    text = data.decode("utf-8", errors="replace")
    return SourceFile(path, text[1:] if text.startswith(BOM) else text)
