"""The checked library kept between runs, so that a warm command neither
parses nor checks the shipped library again.

Input: the library's sources (their paths and texts), the proposed local
layer's path and the name of a layer left out (impact's baseline), or a `Checked` library with its proposed layer to keep.
Output: the `Checked` library, the proposed `Layer` and the superseded
layers, as loading them would give, or None.

The entry lives in the user's cache (`base/cache.py`: the user's own folder
and file, verified by its SHA-256 before use). Its key is a digest of
everything the result depends on: each source's path and text, the proposed
layer's path, the package's own code (every module and the grammar: a
changed checker never reads an old entry) and Python's version. It is a
pickle of plain data, read by an unpickler that can make only the classes of
the package that are attrs records or enumerations, `datetime.date`,
`decimal.Decimal` and `dict`, and rebuild a schema (`schema.rebuilt`):
never a function, so nothing in it can run code. The checker's side tables
keyed by the identity of a node are stored as (node, entry) pairs and keyed
again on load. Anything wrong costs a load from the sources, never an error.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import os
import sys
from pathlib import Path
from typing import Any, Iterable

import attrs

from rules_engine.base import cache, limits
from rules_engine.base.source import SourceFile
from rules_engine.static.typecheck import Checked

NAME = "checked-library"
_PACKAGE = Path(__file__).resolve().parent.parent
_PLAIN = {("datetime", "date"), ("decimal", "Decimal"), ("builtins", "dict"),
          ("rules_engine.static.schema", "rebuilt")}


@functools.cache
def _code_digest() -> str:
    """The package's modules and grammar, as one digest (read once a process).
    One `os.walk` and plain strings: a warm command pays for this every time."""
    digest = hashlib.sha256(sys.version.encode())
    top = str(_PACKAGE.parent)
    found = []
    for folder in (str(_PACKAGE), os.path.join(top, "grammar")):
        for root, folders, files in os.walk(folder):
            folders[:] = [f for f in folders if f != "__pycache__"]
            found += [os.path.join(root, f) for f in files if f.endswith((".py", ".lark"))
                      and (root == folder or folder == str(_PACKAGE))]
    for path in sorted(set(found)):
        with open(path, "rb") as handle:
            digest.update(path[len(top) + 1:].encode() + b"\0" + handle.read() + b"\0")
    return digest.hexdigest()


def key(sources: Iterable[SourceFile], proposed: str | None, left_out: str | None = None) -> str:
    """The entry's key: the code, the limits in force, the sources, the proposed
    layer's path and the name of the layer left out (`impact`'s baseline)."""
    digest = hashlib.sha256(_code_digest().encode() + repr(limits.current()).encode())
    for source in sources:
        digest.update(b"\0source\0" + source.path.encode() + b"\0" + source.text.encode())
    digest.update(b"\0proposed\0" + (proposed or "").encode() + b"\0without\0" + (left_out or "").encode())
    return digest.hexdigest()


def _allowed(module: str, name: str) -> bool:
    if (module, name) in _PLAIN:
        return True
    if not module.startswith("rules_engine."):
        return False
    loaded = sys.modules.get(module)  # a module of the package already imported: nothing new runs
    found = getattr(loaded, name, None)
    return isinstance(found, type) and (attrs.has(found) or issubclass(found, enum.Enum))


def load(entry_key: str) -> tuple[Checked, Any, tuple] | None:
    stored = cache.load_objects(NAME, entry_key, _allowed)
    if not (isinstance(stored, tuple) and len(stored) == 5 and isinstance(stored[0], Checked)):
        return None
    checked, types, names, proposed, superseded = stored
    checked = attrs.evolve(checked, types={id(node): value for node, value in types},
                           names={id(node): value for node, value in names})
    return checked, proposed, superseded


def store(entry_key: str, checked: Checked, proposed, superseded: tuple) -> bool:
    nodes = _nodes(checked.library)
    if not all(k in nodes for k in checked.types) or not all(k in nodes for k in checked.names):
        return False  # a table refers to something outside the library: not kept
    types = [(nodes[k], v) for k, v in checked.types.items()]
    names = [(nodes[k], v) for k, v in checked.names.items()]
    empty = attrs.evolve(checked, types={}, names={})
    return cache.store_objects(NAME, entry_key, (empty, types, names, proposed, superseded))


_LEAVES = (str, int, float, bool, type(None))


def _nodes(root: Any) -> dict[int, Any]:
    """Every attrs record reachable from `root`, by identity (no recursion).
    Each class's field names are looked up once (a cold run walks some
    50,000 records here)."""
    found: dict[int, Any] = {}
    seen: set[int] = set()
    names_of: dict[type, tuple[str, ...] | None] = {}
    stack = [root]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind in _LEAVES or id(value) in seen:
            continue
        seen.add(id(value))
        names = names_of.get(kind, ())
        if names == ():
            names = names_of[kind] = (tuple(f.name for f in attrs.fields(kind)) if attrs.has(kind) else None)
        if names is not None:
            found[id(value)] = value
            stack.extend([getattr(value, name) for name in names])
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend(value)
    return found
