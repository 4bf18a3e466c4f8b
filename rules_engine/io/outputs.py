"""Writing files so that nothing is lost: a temporary file, then a rename.

Input: a path and the text to put there. Output: the file replaced as a
whole, with the mode it had; or an OSError, with the file as it was. The new
text goes to a temporary file in the same folder (so the rename cannot cross
file systems), is flushed to disk, takes the old file's permissions, and is
moved over the old file with `os.replace`, which is atomic: a reader, a
crash, a full disk or a file-size limit (`ulimit -f`) leaves either the old
file or the new one, never a truncated one. A symbolic link is followed: the
file it points to is replaced and the link kept.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "a.rules")
>>> _ = open(path, "w").write("old\\n")
>>> os.chmod(path, 0o640)
>>> write_text(path, "new\\n")
>>> open(path).read(), oct(os.stat(path).st_mode & 0o777)
('new\\n', '0o640')
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_text(path: str | Path, text: str) -> None:
    """Replace the file at `path` with `text` (UTF-8), atomically; raises
    OSError with the file unchanged and no temporary file left behind."""
    target = os.path.realpath(path)
    folder, name = os.path.split(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    # The temporary name is kept short: a file named near the longest name
    # allowed must still be writable.
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name[:64]}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


class Replacing:
    """A text stream whose content replaces a file when it is committed.

    For reports written as they are made (a population run's JSON lines):
    the text goes to a temporary file in the same folder; `commit()` flushes
    it to disk and moves it over the target with `os.replace`; `discard()`
    (or an exception in a `with` block) removes it and leaves the target as
    it was.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "report.jsonl")
    >>> with Replacing(path) as out:
    ...     _ = out.write("line 1\\n")
    ...     os.path.exists(path)
    False
    >>> open(path).read()
    'line 1\\n'
    """

    def __init__(self, path: str | Path):
        self.target = os.path.realpath(path)
        folder, name = os.path.split(self.target)
        try:
            self.mode = stat.S_IMODE(os.stat(self.target).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            self.mode = 0o666 & ~umask
        descriptor, self.temporary = tempfile.mkstemp(prefix=f".{name[:64]}.", suffix=".tmp", dir=folder)
        self.stream = os.fdopen(descriptor, "w", encoding="utf-8", newline="")
        self.done = False

    def write(self, text: str) -> int:
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def commit(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            os.fchmod(self.stream.fileno(), self.mode)
            self.stream.close()
            os.replace(self.temporary, self.target)
        except BaseException:
            self._remove()
            raise

    def discard(self) -> None:
        if not self.done:
            self.done = True
            self._remove()

    def _remove(self) -> None:
        try:
            self.stream.close()
        except OSError:
            pass
        try:
            os.unlink(self.temporary)
        except OSError:
            pass

    def __enter__(self) -> "Replacing":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write_new(path: str | Path, text: str) -> None:
    """Create the file at `path` with `text`, whole or not at all, and never
    over a file that exists: the text goes to a temporary file that is then
    linked to the name (`os.link` refuses an existing name, atomically), so a
    file made meanwhile is not replaced either. Raises FileExistsError, or
    OSError, with no file and no temporary file left behind."""
    folder, name = os.path.split(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name[:64]}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(handle.fileno(), 0o666 & ~umask)
        os.link(temporary, os.path.join(folder, name))
    finally:
        try:
            os.unlink(temporary)
        except OSError:
            pass
