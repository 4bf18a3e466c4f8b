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

A side may also be arithmetic over one such read and values known at run
time (`achievement - qof_thresholds[code].lower >= 10%`: `+ - * /`, a minus
sign, a built-in with an interval rule, `static.builtins`): its range is
worked out from the read's by interval arithmetic (`side_range`, each
built-in by its own interval rule), soundly (every value the side can take
lies in it). A construct with no interval rule leaves the comparison as it
was: unknown when the read is.

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

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from rules_engine.base import typesys as t
from rules_engine.base.values import Unknown
from rules_engine.static.builtins import BUILTINS
from rules_engine.syntax import nodes as n

INFINITY = Decimal("Infinity")
_ORDERED = ("<", "<=", ">", ">=", "=", "!=")


@attrs.frozen
class DeclaredRange:
    """The unknown-able side of a comparison (0 left, 1 right) and the range
    its value lies in (`high` may be infinite). When the side is arithmetic
    over the read rather than the read itself, `shape` says how (`side_range`)
    and `leaves` are its other operands, each read nothing ranged."""

    side: int
    low: Decimal
    high: Decimal
    shape: Any = None  # ("x",) the read, ("leaf", i), ("+", a, b), ("neg", a), ("call", name, (a, ...))
    leaves: tuple = ()


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
    (the right side first), or that is arithmetic over such reads, or None."""
    if type(node) is not n.Compare or node.operator not in _ORDERED:
        return None
    for side, operand in ((1, node.right), (0, node.left)):
        found = read_range(types, names, operand)
        if found is not None:
            return DeclaredRange(side, *found)
    for side, operand in ((1, node.right), (0, node.left)):
        found = _over_reads(types, names, operand)
        if found is not None:
            return DeclaredRange(side, *found)
    return None


def _ranged_reads(types: dict, names: dict, node) -> int:
    return sum(1 for inner in n.walk(node) if read_range(types, names, inner) is not None)


def _over_reads(types: dict, names: dict, side):
    """(low, high, shape, leaves) of a side that is arithmetic (`+ - * /`,
    a minus sign, a built-in with an interval rule) over reads of values
    with a declared range and other operands; None otherwise. Each read and
    each other operand is a leaf (its value at run time); a read left
    unknown stands for its range."""
    if type(side) not in (n.Arithmetic, n.Negate, n.Call) or _ranged_reads(types, names, side) == 0:
        return None
    leaves: list = []
    reads: list = []

    def shape_of(node):
        ranged = read_range(types, names, node)
        if ranged is not None:
            leaves.append(node)
            reads.append(ranged)
            return ("read", len(leaves) - 1) + ranged
        if _ranged_reads(types, names, node) == 0:
            leaves.append(node)
            return ("leaf", len(leaves) - 1)
        kind = type(node)
        if kind is n.Arithmetic and all(isinstance(types.get(id(o)), t.Quantity) for o in (node.left, node.right)):
            left, right = shape_of(node.left), shape_of(node.right)
            return None if left is None or right is None else (node.operator, left, right)
        if kind is n.Negate and isinstance(types.get(id(node.operand)), t.Quantity):
            inner = shape_of(node.operand)
            return None if inner is None else ("neg", inner)
        builtin = BUILTINS.get(node.function) if kind is n.Call else None
        if builtin is not None and builtin.interval is not None:
            args = tuple(shape_of(a) for a in node.arguments)
            return None if any(a is None for a in args) else ("call", node.function, args)
        return None  # a construct with no interval rule: the comparison stays unknown

    shape = shape_of(side)
    if shape is None:
        return None
    return reads[0] + (shape, tuple(leaves))


# -- the range of a side (`side_range`): interval arithmetic over Fractions,
# None an open end, with each built-in's own interval rule

def _sum(a, b):
    return None if a is None or b is None else a + b


def _times(a, b):
    """A product of two ends, an open end an infinite float (0 times it is 0)."""
    return Fraction(0) if a == 0 or b == 0 else a * b


def _product_range(x, y):
    ends = [_times(a, b) for a in (_open(x[0], -1), _open(x[1], 1)) for b in (_open(y[0], -1), _open(y[1], 1))]
    low, high = min(ends), max(ends)
    return (None if low == -math.inf else low), (None if high == math.inf else high)


def _open(end, sign: int):
    return sign * math.inf if end is None else end


def _range(shape, leaves) -> tuple:
    kind = shape[0]
    if kind in ("leaf", "read"):
        value = leaves[shape[1]]
        if type(value) is Unknown:  # a read left unknown: its declared range
            return Fraction(shape[2]), (None if shape[3] == INFINITY else Fraction(shape[3]))
        value = Fraction(value)
        return value, value
    if kind == "neg":
        low, high = _range(shape[1], leaves)
        return (None if high is None else -high), (None if low is None else -low)
    if kind == "call":
        return BUILTINS[shape[1]].interval(*[_range(a, leaves) for a in shape[2]])
    x, y = _range(shape[1], leaves), _range(shape[2], leaves)
    if kind == "+":
        return _sum(x[0], y[0]), _sum(x[1], y[1])
    if kind == "-":
        return _sum(x[0], None if y[1] is None else -y[1]), _sum(x[1], None if y[0] is None else -y[0])
    if kind == "*":
        return _product_range(x, y)
    # "/": over a divisor that cannot be 0
    low, high = y
    if low is None or high is None or low <= 0 <= high:
        return None, None
    return _product_range(x, (1 / high, 1 / low))


def side_range(shape, leaves) -> tuple[Any, Any] | None:
    """The range of a side `shape` (`DeclaredRange.shape`) over the values of
    its `leaves` (a read left unknown standing for its declared range):
    (low, high), an open end as -INFINITY or INFINITY; None when an operand
    other than a ranged read is unknown. Sound: every value the side can take
    lies in it."""
    if any(type(leaves[i]) is Unknown for i in _plain_leaves(shape)):
        return None
    found_low, found_high = _range(shape, leaves)
    return (-INFINITY if found_low is None else found_low), (INFINITY if found_high is None else found_high)


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




def _plain_leaves(shape):
    """The indexes of a shape's leaves that are not ranged reads."""
    kind = shape[0]
    if kind == "leaf":
        yield shape[1]
    elif kind == "read":
        return
    elif kind == "neg":
        yield from _plain_leaves(shape[1])
    elif kind == "call":
        for arg in shape[2]:
            yield from _plain_leaves(arg)
    else:
        yield from _plain_leaves(shape[1])
        yield from _plain_leaves(shape[2])

__all__ = ["DeclaredRange", "INFINITY", "declared_range", "read_range", "resolving", "side_range"]
