"""The run-time helpers both backends share, and the only names a generated
module can reach (`HELPERS`).

`Env` is what an evaluation reads (the facts, the names bound to the
subject, the date, the memo of definitions, the trace); the readers of fact
paths, table rows and table membership are made here once, so that the
closure backend and the generated one read facts and rows alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from rules_engine.backends.protocol import TraceEvent
from rules_engine.base.values import (FactRecord, Outcome, Unknown, kleene_and, kleene_not, kleene_or,
    merge_two, merge_unknown, missing_unknown, unknown_because)
from rules_engine.ir import operations as ops
from rules_engine.ir.plans import FIELD
from rules_engine.ir.ranged import side_range


class Env:
    """What an evaluation reads: the facts, the bound names, the date, memo and trace."""

    __slots__ = ("root", "as_of", "bindings", "memo", "trace", "local_rows", "unneeded")

    def __init__(self, root: FactRecord, as_of: dt.date, trace: list | None = None):
        self.root = root
        self.as_of = as_of
        self.bindings: dict[str, Any] = {}
        self.memo: dict[tuple, Any] = {}
        self.trace = trace
        self.local_rows = False  # whether a row a local layer added was read
        # The unknowns comparisons decided without (`settle`), in the order met:
        # a log, so that a definition remembers what it added by where it began.
        self.unneeded: list[str] = []


class _Missing:
    """What an inline step of a fact path finds when nothing is there; a
    step from it finds nothing again (generated code reads a path by `get`
    after `get`, and the careful walk names what is missing)."""

    __slots__ = ()

    def get(self, key, default=None):
        return self

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def opted_in(path: tuple[str, ...]) -> Callable[[Any], bool]:
    """Whether the subject bound to `path[0]` says yes at `path[1:]`
    (`practice.qof.local_scheme`). Opting in is a positive act: a subject not
    bound here (a value for no practice), a missing fact or `false` keeps the
    national rows."""
    subject, fields = path[0], path[1:]

    def says_yes(env) -> bool:
        value = env.bindings.get(subject) if env is not None else None
        for name in fields:
            if not isinstance(value, dict):
                return False
            value = value.get(name)
        return value is True
    return says_yes


def walk(value, steps: tuple, key_of: Callable[[int, Any], Any], trace: list | None = None):
    """A fact path step by step from `value`: names what is missing (the
    field of a missing record is missing too) and records each read in
    `trace`. A field step is its name; another step's key is `key_of(kind, step)`."""
    for kind, step in steps:
        if kind == FIELD:
            if type(value) is Unknown:
                value = ops.deeper(value, step)
                continue
            found = value.get(step, MISSING)
            if found is MISSING:
                found = missing_unknown(frozenset((f"{value.path}.{step}" if isinstance(value, FactRecord)
                                                   else step,)))
            if trace is not None and isinstance(value, FactRecord):
                trace.append(TraceEvent("fact", f"{value.path}.{step}", found))
            value = found
            continue
        key = key_of(kind, step)
        if type(key) is Unknown:
            value = merge_unknown(value, key)
            continue
        if type(value) is Unknown:
            value = ops.deeper(value, key)
            continue
        found = value.get(key, MISSING)
        if found is MISSING:
            found = missing_unknown(frozenset((f"{value.path}.{key}",)))
        if trace is not None:
            trace.append(TraceEvent("fact", f"{value.path}.{key}", found))
        value = found
    return value


def _given(kind, key):
    return key


def lookup_fields(value, names: tuple):
    """A path of field names read by dict lookups alone: the value, or MISSING
    when a step finds nothing (the caller then takes the careful walk)."""
    try:
        for name in names:
            value = value.get(name, MISSING)
            if value is MISSING:
                return MISSING
        return value
    except AttributeError:  # a list item given as null, a bound Unknown
        return MISSING


def fields(value, names: tuple):
    """A path of field names from a bound record: dict lookups on the common
    path, the careful walk when a step finds nothing."""
    found = lookup_fields(value, names)
    if found is not MISSING:
        return found
    return walk(value, tuple((FIELD, name) for name in names), _given)


def path(value, steps: tuple):
    """A path whose steps' keys are known (`(kind, key)` each) and whose
    inline dict lookups found nothing (generated code reads a path that is
    there by those alone): the careful walk, which names what is missing."""
    return walk(value, steps, _given)


def row_lookup(table: str, rows: dict, national_rows: dict | None, opted, local: str | None, span):
    """`table[key, ...]` for a key already worked out: the row in force (a
    dict of its cells), or an unknown naming the key and the date (made once
    per key and date: an unknown is a value); reading a row the local layer
    gave says so (`env.local_rows`)."""
    no_rows: dict[tuple, Unknown] = {}

    def look(env, key: tuple):
        chosen = (rows if opted(env) else national_rows) if opted is not None else rows
        row = chosen.get(key)
        if row is None:
            if opted is not None and chosen is rows and key in national_rows:
                env.local_rows = True  # a row retired for this subject, which opted in
            row = no_rows.get((key, env.as_of))
            if row is None:
                shown = ", ".join(str(k) for k in key)
                row = no_rows[(key, env.as_of)] = unknown_because(
                    "no-row", f"table {table} has no row for ({shown}) on {env.as_of}", span)
        elif row["_layer"] == local:
            env.local_rows = True
        if env.trace is not None:
            env.trace.append(TraceEvent("table", f"{table}[{', '.join(map(str, key))}]", row,
                                        {"layer": row.get("_layer") if isinstance(row, dict) else None}))
        return row
    return look


def table_member(local_keys: frozenset, removed: frozenset, opted, negated: bool):
    """`x in table` where a local layer added (or, for those that opt in,
    retired) rows: reading one of them is a local change read."""
    def member(env, a, c):
        if type(a) is Unknown:
            return a
        if (a in local_keys or a in removed) and (opted is None or opted(env)):
            env.local_rows = True
        return (a not in c) if negated else (a in c)
    return member


def no_value(name: str, span) -> Callable[[Any], Unknown]:
    """A parameter with no value in force on the arrangement's date: its
    reader, which makes the unknown once per date (an unknown is a value)."""
    made: dict[dt.date, Unknown] = {}

    def read(env) -> Unknown:
        value = made.get(env.as_of)
        if value is None:
            value = made[env.as_of] = unknown_because(
                "no-value", f"parameter {name} (no value in force on {env.as_of})", span)
        if env.trace is not None:
            env.trace.append(TraceEvent("parameter", name, value, {"layer": None}))
        return value
    return read


def settle(env, a, b, holds, side: int, low, high, shape=None, leaves=()):
    """`a op b` (`holds`) where side `side` (0 left, 1 right) reads a value
    declared to lie from `low` to `high` (`ir.ranged`), or is arithmetic
    (`shape`) over such reads and other operands (`leaves`, their values):
    when that side is unknown and the other known, the outcome if every
    value in the side's range gives the same one (the unknown it did not
    need goes in `env.unneeded`), else the unknown."""
    known, unknown = (b, a) if side == 0 else (a, b)
    if type(known) is Unknown or type(unknown) is not Unknown:
        return merge_unknown(a, b)
    if shape is not None:
        found = side_range(shape, leaves)
        if found is None:
            return unknown  # an operand other than a ranged read is unknown
        low, high = found
    if side == 0:
        at_low, at_high = holds(low, known), holds(high, known)
    else:
        at_low, at_high = holds(known, low), holds(known, high)
    inside = low <= known <= high
    if holds is ops.COMPARE["="] or holds is ops.COMPARE["!="]:
        if inside:
            return unknown
        decided = holds is ops.COMPARE["!="]
    elif at_low is at_high:
        decided = at_low
    else:
        return unknown
    env.unneeded.extend(unknown.lacking())
    return decided


def tracked(env, key, compute):
    """A memoised definition that may rest on a settled comparison: its value,
    with what it did not need remembered beside it and added to `env.unneeded`
    each time it is read (the closure backend's; generated code does this inline)."""
    memo = env.memo
    saved = memo.get(("unneeded", key))
    if saved is not None:
        if saved:
            env.unneeded.extend(saved)
        return compute(env)
    log = env.unneeded
    start = len(log)
    value = compute(env)
    memo[("unneeded", key)] = tuple(log[start:])
    return value


def unneeded(env) -> tuple[str, ...]:
    """What a result did not need, sorted (and the log emptied for the next)."""
    log = env.unneeded
    if not log:
        return ()
    env.unneeded = []
    return tuple(sorted(set(log)))


def lacking(*values) -> tuple[str, ...]:
    """What unknown values lack together, sorted, as results name it."""
    if len(values) == 1:  # one value (a `where`): its own list, already sorted
        return values[0].lacking() if type(values[0]) is Unknown else ()
    missing: set[str] = set()
    for value in values:
        if type(value) is Unknown:
            missing.update(value.lacking())
    return tuple(sorted(missing))


def fact(env, name: str):
    """A fact at the arrangement's root."""
    value = env.root.get(name, MISSING)
    if value is MISSING:
        value = missing_unknown(frozenset((name,)))
    if env.trace is not None:
        env.trace.append(TraceEvent("fact", name, value))
    return value


def item_missing(items, index: int) -> Unknown:
    """A list item given as null: unknown, named by its path."""
    return missing_unknown(frozenset((f"{getattr(items, 'path', '')}[{index}]",)))


#: Every name a generated module can reach: these helpers, the operations of
#: `ir.operations`, and a few harmless built-ins. Nothing else (no
#: `__import__`, `open`, `eval`, `getattr`: `__builtins__` is empty).
HELPERS: dict[str, Any] = {
    "U": Unknown, "MISSING": MISSING, "FR": FactRecord, "merge": merge_unknown, "merge2": merge_two, "kand": kleene_and, "kor": kleene_or,
    "knot": kleene_not, "combine": ops.combine, "settle": settle, "tracked": tracked, "unneeded": unneeded,
    "fields": fields, "path": path, "fact": fact,
    "lacking": lacking, "item_missing": item_missing,
    "because": unknown_because, "PASS": Outcome.PASS, "FAIL": Outcome.FAIL, "UNKNOWN": Outcome.UNKNOWN,
    "NA": Outcome.NOT_APPLICABLE, "type": type, "id": id, "enumerate": enumerate,
    "frozenset": frozenset, "tuple": tuple, "list": list, "sorted": sorted, "str": str,
    "isinstance": isinstance, "set": set, "dict": dict, "len": len,
}
