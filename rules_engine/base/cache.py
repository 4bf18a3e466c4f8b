"""The user's cache: data in a folder only the user can write.

Input: a cache entry's name, a key (a digest of everything the entry was
made from) and, to store, a JSON-able value. Output: the value stored under
that name and key, or None. Nothing here can run code: an entry is JSON (or,
for the checked library, a pickle read by an unpickler that can make only
classes of plain data, below), and it is used only when

- the folder (the user's cache folder as `platformdirs` names it on each
  system: `$XDG_CACHE_HOME/contract-rules`, default `~/.cache/contract-rules`,
  on Linux; `~/Library/Caches/contract-rules` on macOS;
  `%LOCALAPPDATA%\\contract-rules\\Cache` on Windows) is a real folder (not
  a symbolic link); on POSIX it is also owned by the user and not writable by
  group or others: it is created with mode 0700, and one found otherwise is
  not used at all (the caller rebuilds);
- the file is a regular file (not a link) within `MAX_ENTRY_BYTES`; on POSIX
  also owned by the user and not writable by others.

Where the system has no user ids and POSIX modes (Windows: `os.getuid` is
missing), the owner and mode checks are left to the system: the folder is
in the user's own profile, which the system's access lists keep private.
Which checks apply is decided by what the `os` module offers (`POSIX_OWNERS`),
not by the system's name, so that CI on Linux can run the other branch with
those calls taken away (tools/posixless).
- its header names this format and the same key, and the SHA-256 of its body
  matches.

One kind of entry is not JSON: the checked library (`store_objects`,
`load_objects`), a pickle written by the user's own process, verified as
above, and read by an unpickler that can make only the classes of plain data
its caller allows (never a function: nothing in it can run code).

Anything else (missing, unreadable, truncated, corrupt, foreign, another key)
is treated as absent: it costs a rebuild, never an error. Entries are written
to a temporary file in the folder and moved into place with `os.replace`, so
a reader never sees half a file. `CONTRACT_RULES_NO_CACHE=1` turns the cache
off. The same rules hold for any later cache: use `load` and `store`.

>>> import os, tempfile
>>> saved = os.environ.get("XDG_CACHE_HOME")
>>> os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp()
>>> store("example", "k1", {"rows": (1, 2)})
True
>>> load("example", "k1")
{'rows': [1, 2]}
>>> load("example", "k2") is None
True
>>> _ = os.environ.pop("XDG_CACHE_HOME") if saved is None else os.environ.update(XDG_CACHE_HOME=saved)
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import stat
import tempfile
from pathlib import Path
from typing import Any, Callable

import platformdirs

from rules_engine.base.records import collector_paused

FORMAT = "contract-rules-cache/1"
OBJECTS_FORMAT = "contract-rules-objects/1"  # `store_objects`: a pickle only `load_objects` reads
FOLDER_NAME = "contract-rules"
MAX_ENTRY_BYTES = 64 * 1024 * 1024
DISABLE = "CONTRACT_RULES_NO_CACHE"


def enabled() -> bool:
    return not os.environ.get(DISABLE)


#: Whether files have POSIX owners and modes to check (not on Windows).
POSIX_OWNERS = hasattr(os, "getuid")
#: Open flags that exist only on some systems (0 where they do not).
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


def location() -> Path:
    """Where the cache folder is on this system (it may not exist yet): the
    one place that names it, for every cache."""
    return Path(platformdirs.user_cache_dir(FOLDER_NAME, appauthor=False))


def _trusted(info: os.stat_result, folder: bool) -> bool:
    """A real folder or regular file (never a link); on POSIX also owned by
    this user and writable by nobody else."""
    kind = stat.S_ISDIR if folder else stat.S_ISREG
    if not kind(info.st_mode):
        return False
    if not POSIX_OWNERS:
        return True
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def folder(create: bool = True) -> Path | None:
    """The checked cache folder, created (mode 0700) if `create`; None when
    the cache is off or the folder is not the user's own."""
    if not enabled():
        return None
    path = location()
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if not create:
            return None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(path, 0o700)
            info = os.lstat(path)
        except OSError:
            return None
    except OSError:
        return None
    return path if _trusted(info, folder=True) else None


def entry_path(name: str, key: str) -> Path | None:
    base = folder(create=False)
    return base / f"{name}-{key[:16]}.json" if base is not None else None


def _read(name: str, key: str, form: str) -> bytes | None:
    """The verified body of an entry (see the module docstring), or None."""
    base = folder(create=False)
    if base is None:
        return None
    path = base / f"{name}-{key[:16]}.json"
    try:
        if not hasattr(os, "O_NOFOLLOW") and not stat.S_ISREG(os.lstat(path).st_mode):
            return None  # no O_NOFOLLOW (Windows): a link is refused before it is opened
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "rb") as handle:
            if not _trusted(os.fstat(handle.fileno()), folder=False):
                return None
            data = handle.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_ENTRY_BYTES:
        return None
    header_bytes, newline, body = data.partition(b"\n")
    try:
        header = json.loads(header_bytes)
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError is a ValueError)
        return None
    if (not newline or not isinstance(header, dict) or header.get("format") != form
            or header.get("key") != key or header.get("sha256") != hashlib.sha256(body).hexdigest()):
        return None
    return body


def load(name: str, key: str, object_hook: Callable[[dict], Any] | None = None) -> Any | None:
    """The value stored under `name` for `key`, or None (see the module
    docstring). `object_hook` is `json.loads`'s: it turns each decoded JSON
    object into another value (data only, such as a tuple)."""
    body = _read(name, key, FORMAT)
    if body is None:
        return None
    try:
        return json.loads(body, object_hook=object_hook)
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError is a ValueError)
        return None


class _Restricted(pickle.Unpickler):
    """An unpickler that can name only what `allowed(module, name)` admits:
    a pickle that names anything else (os.system, builtins.eval, a function of
    the package) is refused before it is called."""

    def __init__(self, data: bytes, allowed: Callable[[str, str], bool]):
        super().__init__(io.BytesIO(data))
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if not self.allowed(module, name):
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a cache entry")
        return super().find_class(module, name)


def load_objects(name: str, key: str, allowed: Callable[[str, str], bool]) -> Any | None:
    """Objects stored by `store_objects` under `name` for `key`, or None. The
    entry is verified as a JSON entry is (the user's own folder and file, this
    format, the same key, the SHA-256 of its body) before it is unpickled,
    and then only by an unpickler that can make what `allowed(module,
    name)` admits (classes of plain data), so that even an entry forged by
    hand cannot call anything else."""
    body = _read(name, key, OBJECTS_FORMAT)
    if body is None:
        return None
    try:
        with collector_paused():  # the checked library loads in about half the time
            return _Restricted(body, allowed).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError,
            IndexError, KeyError, RecursionError, MemoryError):
        return None


def store(name: str, key: str, value: Any) -> bool:
    """Write `value` (JSON-able) under `name` for `key`; False if it was not
    written (cache off, folder not trusted or not writable)."""
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return _write(name, key, body, FORMAT)


def store_objects(name: str, key: str, value: Any, keep: int = 8) -> bool:
    """Pickle `value` under `name` for `key`, for `load_objects`; False if it
    was not written (or cannot be pickled: the caller rebuilds next time).
    Only the `keep` latest entries of `name` stay: the folder does not grow
    with every variant of a library."""
    try:
        body = pickle.dumps(value, protocol=5)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
        return False
    if not _write(name, key, body, OBJECTS_FORMAT):
        return False
    base = folder(create=False)
    try:
        entries = sorted(base.glob(f"{name}-*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[keep:]:
            old.unlink()
    except OSError:
        pass  # an entry another process removed first
    return True


def _write(name: str, key: str, body: bytes, form: str) -> bool:
    base = folder(create=True)
    if base is None:
        return False
    header = json.dumps({"format": form, "key": key,
                         "sha256": hashlib.sha256(body).hexdigest()}).encode("ascii")
    target = base / f"{name}-{key[:16]}.json"
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=base)
    except OSError:
        return False
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(header + b"\n" + body)
        os.replace(temporary, target)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        return False
    return True
