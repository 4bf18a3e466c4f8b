"""Unknown only where it changes the answer: the comparisons of a checked
program whose one side reads a value with a declared range, so that an
unknown there need not make the comparison unknown.

A comparison `achievement >= qof_thresholds[code].upper` reads a table's
fraction column: whatever row the library may come to hold, `upper` lies
from 0 to 1. At 100 % achievement the comparison holds for every value in
that range, so the row the library lacks does not change the answer. This
pass finds, once per program, each comparison one of whose sides is a
direct read of such a value:

- a column of a table row (`table[key].column`) of a fraction type (0 to 1,
  as a rule file's rows and an arrangement's facts are held);
- a parameter of a fraction type (one with no value in force on the date);
- a fact path of a fraction type (0 to 1) or a count (a whole number from 0),
  as the arrangement reader holds them.

At run time (`backends.runtime.settle`), when that side is unknown and the
other known, the comparison is decided if it comes out the same at both
ends of the range (the order comparisons are monotone in the unknown side, so
the two ends decide every value between); `=` is decided false, and `!=`
true, when the known side lies outside the range. The result names what it
did not need (`unneeded`), and `resolving` lists the definitions and
requirements that may read such a comparison, so that a backend tracks the
names only where they can arise.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from rules_engine.base import typesys as t
from rules_engine.syntax import nodes as n

INFINITY = Decimal("Infinity")
_ORDERED = ("<", "<=", ">", ">=", "=", "!=")


@attrs.frozen
class DeclaredRange:
    """The unknown-able side of a comparison (0 left, 1 right) and the range
    its value lies in (`high` may be infinite)."""

    side: int
    low: Decimal
    high: Decimal


def _range_of(type_: Any, allow_count: bool) -> tuple[Decimal, Decimal] | None:
    if not isinstance(type_, t.Quantity):
        return None
    if type_.fraction:
        return Decimal(0), Decimal(1)
    if allow_count and type_.integral and type_.unit == t.DIMENSIONLESS:
        return Decimal(0), INFINITY
    return None


def _root(node) -> Any:
    while type(node) in (n.Field, n.Index):
        node = node.record if type(node) is n.Field else node.collection
    return node


def read_range(types: dict, names: dict, node) -> tuple[Decimal, Decimal] | None:
    """The declared range of a direct read (None: not a direct read of a value
    with a range)."""
    type_ = types.get(id(node))
    kind = type(node)
    if kind is n.Name:
        resolved = names.get(id(node))
        return _range_of(type_, False) if getattr(resolved, "kind", None) == "param" else None
    if kind is not n.Field:
        return None
    record = node.record
    if type(record) is n.Index and isinstance(types.get(id(record.collection)), t.Table):
        return _range_of(type_, False)  # a table row's column
    root = _root(node)
    if type(root) is not n.Name or getattr(names.get(id(root)), "kind", None) not in ("fact", "binding"):
        return None
    if isinstance(types.get(id(root)), t.Table):
        return None
    return _range_of(type_, True)  # a fact path, as the reader holds it


def declared_range(types: dict, names: dict, node) -> DeclaredRange | None:
    """For a comparison: its side that reads a value with a declared range
    (the right side first), or None."""
    if type(node) is not n.Compare or node.operator not in _ORDERED:
        return None
    for side, operand in ((1, node.right), (0, node.left)):
        found = read_range(types, names, operand)
        if found is not None:
            return DeclaredRange(side, *found)
    return None


def resolving(program, types: dict, names: dict) -> frozenset[str]:
    """The definitions (by name) and requirements (by id) whose value may
    rest on a comparison decided over a declared range: those holding one,
    and every one that reads them."""
    direct: set[str] = set()
    for name, define in program.defines.items():
        bodies = [define.term.body] + ([define.replaced_by.value] if define.replaced_by is not None else [])
        if any(declared_range(types, names, node) is not None for body in bodies for node in n.walk(body)):
            direct.add(name)
    dependencies = program.checked.dependencies
    found = set(direct)
    changed = True
    while changed:
        changed = False
        for name in program.defines:
            if name not in found and any(d in found for d in dependencies.get(name, ())):
                found.add(name)
                changed = True
    for requirement in program.requirements:
        term = requirement.term
        conditions = [term.where, term.must, term.unless] + [w.condition for w in term.warnings] + [
            w.where for w in requirement.waivers]
        for condition in conditions:
            if condition is None:
                continue
            if any(type(node) is n.Name and node.name in found or declared_range(types, names, node) is not None
                   for node in n.walk(condition)):
                found.add(requirement.id)
                break
    return frozenset(found)


__all__ = ["DeclaredRange", "INFINITY", "declared_range", "read_range", "resolving"]
