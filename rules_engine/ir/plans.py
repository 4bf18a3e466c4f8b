"""Fact-path plans: the steps to read a fact, one plan per path expression.

`practice.qof.indicators[code].numerator` is a chain of fields and keys over
a bound name; every backend (and an analysis) reads facts by the same plan, so
they agree on what is read, in what order, and what a missing step is called.
A step is a field name (`FIELD`), a key read from a bound name (`KEY_BOUND`),
or a key worked out by an expression (`KEY`, its node); a key known when
compiling (folded) is a field.
"""

from __future__ import annotations

from typing import Any

import attrs

from rules_engine.base import typesys as t
from rules_engine.base.values import Unknown
from rules_engine.ir.fold import NOT_STATIC, Folder, Known
from rules_engine.syntax import nodes as n

FIELD, KEY_BOUND, KEY = range(3)  # the kinds of step


@attrs.frozen
class FactPlan:
    """How to read one path: where it starts and its steps, in order."""

    bound: str | None  # the bound name it starts at (a subject, a loop variable) ...
    start: Any  # ... or else the expression node it starts at (a table row, a definition)
    steps: tuple[tuple[int, Any], ...]

    @property
    def fields_only(self) -> bool:
        """A bound record and names: the commonest path of all."""
        return self.bound is not None and all(kind == FIELD for kind, _ in self.steps)


def binding_name(folder: Folder, node, known: Known = ()) -> str | None:
    """The name, when a node reads a bound name not known when compiling."""
    if isinstance(node, n.Name):
        resolved = folder.names.get(id(node))
        if resolved is not None and resolved.kind == "binding" and resolved.target not in dict(known):
            return resolved.target
    return None


def plan_of(folder: Folder, node, known: Known = ()) -> FactPlan:
    """The plan of a `Field` or `Index` (not of a table) and what it stands on."""
    steps: list[tuple[int, Any]] = []
    base = node
    types = folder.types
    while True:
        if isinstance(base, n.Field):
            steps.append((FIELD, base.name))
            base = base.record
        elif isinstance(base, n.Index) and not isinstance(types[id(base.collection)], t.Table):
            key_node = base.keys[0]
            bound = binding_name(folder, key_node, known)
            if bound is not None:
                steps.append((KEY_BOUND, bound))
            else:
                value = folder.value(key_node, known)
                known_key = value is not NOT_STATIC and type(value) is not Unknown
                steps.append((FIELD, value) if known_key else (KEY, key_node))
            base = base.collection
        else:
            break
    steps.reverse()
    bound = binding_name(folder, base, known)
    return FactPlan(bound, None if bound is not None else base, tuple(steps))
