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

import errno
import glob
import os
import signal
import stat
import tempfile
from pathlib import Path

#: A temporary file's name: hidden, beside its target, and saying which
#: process made it (`.report.txt.cr-4242-a1b2c3.tmp`). A run killed before it
#: could remove its temporary (kill -9, a power cut) leaves it; the next run
#: that writes the same target removes those whose process is gone.
_TEMPORARY = ".{name}.cr-{pid}-"
_SUFFIX = ".tmp"


class NotRegularFile(OSError):
    """A target that exists and is neither a regular file nor a stream that
    can be written in place (a folder, a socket, a block device)."""


def inputs_among(target: str | Path, inputs) -> Path | None:
    """The first of `inputs` that `target` is (after following links: the
    same device and inode), or None; a folder among `inputs` counts for
    every file under it. `-` (standard input) and missing paths are skipped."""
    try:
        mine = os.stat(target)
    except (OSError, ValueError):
        return None  # a file that is not there yet is no input
    if not stat.S_ISREG(mine.st_mode):
        return None
    identity = (mine.st_dev, mine.st_ino)
    for path in inputs:
        if path is None or str(path) == "-":
            continue
        try:
            theirs = os.stat(path)
        except (OSError, ValueError):
            continue
        if (theirs.st_dev, theirs.st_ino) == identity:
            return Path(path)
        if stat.S_ISDIR(theirs.st_mode):
            for folder, _, names in os.walk(path):
                for name in names:
                    inner = os.path.join(folder, name)
                    try:
                        found = os.stat(inner)
                    except OSError:
                        continue
                    if (found.st_dev, found.st_ino) == identity:
                        return Path(inner)
    return None


def _in_place(path: str | Path) -> int | None:
    """A descriptor open for writing when `path` is a character device
    (/dev/null, /dev/full, a terminal) or a named pipe that a process reads:
    such a target is written in place, never replaced by a rename. None for a
    regular file or a name not yet there; NotRegularFile for anything else,
    and for a pipe that no process reads (writing to it would wait forever)."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    mode = found.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISCHR(mode):
        return os.open(path, os.O_WRONLY | os.O_APPEND)
    if stat.S_ISFIFO(mode):
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as error:
            if error.errno == errno.ENXIO:
                raise NotRegularFile(errno.ENXIO, "it is a named pipe that no process reads") from None
            raise
        os.set_blocking(descriptor, True)
        return descriptor
    kind = "a folder" if stat.S_ISDIR(mode) else "a socket" if stat.S_ISSOCK(mode) else \
        "a block device" if stat.S_ISBLK(mode) else "not a regular file"
    raise NotRegularFile(errno.EINVAL, f"it is {kind}, not a regular file")


def _mode_of(target: str) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _temporary(target: str) -> tuple[int, str]:
    """A new temporary file beside `target` (its descriptor and name), after
    removing the temporaries that killed runs left for the same target."""
    folder, name = os.path.split(target)
    prefix = _TEMPORARY.format(name=name[:64], pid="")[:-1]  # `.NAME.cr-`, then the pid
    for stale in glob.glob(os.path.join(glob.escape(folder), glob.escape(prefix) + "*" + _SUFFIX)):
        pid = os.path.basename(stale)[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            try:
                os.unlink(stale)
            except OSError:
                pass
    return tempfile.mkstemp(prefix=_TEMPORARY.format(name=name[:64], pid=os.getpid()),
                            suffix=_SUFFIX, dir=folder)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if not hasattr(signal, "SIGKILL"):
        # No POSIX signals (Windows): os.kill(pid, 0) would end that process
        # there, not probe it. Its temporary is kept (it is named, not lost).
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _set_mode(descriptor: int, mode: int) -> None:
    """Give the new file the old one's permissions where the system has POSIX
    modes to give (Windows has no `os.fchmod`: a new file takes its folder's
    access list, as the old one did)."""
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, mode)


def write_text(path: str | Path, text: str) -> None:
    """Replace the file at `path` with `text` (UTF-8), atomically; raises
    OSError with the file unchanged and no temporary file left behind. A
    character device or a read pipe is written in place (`-o /dev/null`)."""
    descriptor = _in_place(path)
    if descriptor is not None:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape"))
        return
    target = os.path.realpath(path)
    mode = _mode_of(target)
    # The temporary name is kept short: a file named near the longest name
    # allowed must still be writable.
    descriptor, temporary = _temporary(target)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogateescape"))
            handle.flush()
            os.fsync(handle.fileno())
            _set_mode(handle.fileno(), mode)
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
        self.done = False
        descriptor = _in_place(path)
        if descriptor is not None:  # a device or a pipe: written as the text comes
            self.target = self.temporary = None
            self.stream = os.fdopen(descriptor, "w", encoding="utf-8", newline="")
            return
        self.target = os.path.realpath(path)
        self.mode = _mode_of(self.target)
        descriptor, self.temporary = _temporary(self.target)
        self.stream = os.fdopen(descriptor, "w", encoding="utf-8", newline="")

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
        if self.temporary is None:
            self.stream.close()
            return
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            _set_mode(self.stream.fileno(), self.mode)
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
        if self.temporary is None:
            return
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
    descriptor, temporary = _temporary(os.path.abspath(path))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
            umask = os.umask(0)
            os.umask(umask)
            _set_mode(handle.fileno(), 0o666 & ~umask)
        os.link(temporary, os.path.join(folder, name))
    finally:
        try:
            os.unlink(temporary)
        except OSError:
            pass
