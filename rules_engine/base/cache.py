"""The user's cache: plain JSON data in a folder only the user can write.

Input: a cache entry's name, a key (a digest of everything the entry was
made from) and, to store, a JSON-able value. Output: the value stored under
that name and key, or None. Nothing here can run code: an entry is JSON,
never a pickle, and it is used only when

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
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Callable

import platformdirs

FORMAT = "contract-rules-cache/1"
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


def load(name: str, key: str, object_hook: Callable[[dict], Any] | None = None) -> Any | None:
    """The value stored under `name` for `key`, or None (see the module
    docstring). `object_hook` is `json.loads`'s: it turns each decoded JSON
    object into another value (data only, such as a tuple)."""
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
        if (not newline or not isinstance(header, dict) or header.get("format") != FORMAT
                or header.get("key") != key
                or header.get("sha256") != hashlib.sha256(body).hexdigest()):
            return None
        return json.loads(body, object_hook=object_hook)
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError is a ValueError)
        return None


def store(name: str, key: str, value: Any) -> bool:
    """Write `value` (JSON-able) under `name` for `key`; False if it was not
    written (cache off, folder not trusted or not writable)."""
    base = folder(create=True)
    if base is None:
        return False
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    header = json.dumps({"format": FORMAT, "key": key,
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
