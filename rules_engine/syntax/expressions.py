"""The typed syntax tree's expressions and types: frozen attrs classes, span first.

Part of the node set of `nodes` (which re-exports every name here, so later
stages import `nodes` alone): literals, names, fact paths, operators,
quantifiers, the written types, and the walks over an expression
(`children`, `walk`, `chain`). Nodes are immutable and compare by identity:
facts a later stage infers live in side tables keyed by node identity.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Union

import attrs

from rules_engine.base.records import fields_repr, pickled_by_fields
from rules_engine.base.source import Span



def node(cls: type) -> type:
    """A frozen node with identity equality (nodes are keys of side tables),
    pickled by its fields (`base.records`: the checked library's cache),
    shown by `base.records.fields_repr` (attrs' repr, not compiled per class)."""
    built = attrs.frozen(eq=False, repr=False)(cls)
    if "__repr__" not in cls.__dict__:
        built.__repr__ = fields_repr
    return pickled_by_fields(built)


# ------------------------------------------------------------------ expressions

@node
class Number:
    span: Span
    value: Decimal


@node
class Quantity:
    """A number with a unit word: `60 minutes`, `2 years`, `19 points`."""

    span: Span
    value: Decimal
    unit: str


@node
class Money:
    span: Span
    value: Decimal


@node
class Percent:
    """`4.75%`, held as the fraction 0.0475."""

    span: Span
    value: Decimal


@node
class DateLiteral:
    span: Span
    value: dt.date


@node
class TimeLiteral:
    span: Span
    minutes: int  # minutes after midnight


@node
class IntervalLiteral:
    span: Span
    start: int  # minutes after midnight
    end: int


@node
class Text:
    span: Span
    value: str


@node
class Boolean:
    span: Span
    value: bool


@node
class Name:
    span: Span
    name: str


@node
class Field:
    span: Span
    record: "Expr"
    name: str


@node
class Index:
    """`map[key]`, or a table look-up `table[key, key]`."""

    span: Span
    collection: "Expr"
    keys: tuple["Expr", ...]


@node
class Call:
    span: Span
    function: str
    arguments: tuple["Expr", ...]


@node
class SetLiteral:
    span: Span
    items: tuple["Expr", ...]


@node
class Negate:
    span: Span
    operand: "Expr"


@node
class Arithmetic:
    span: Span
    operator: str  # + - * /
    left: "Expr"
    right: "Expr"


@node
class Compare:
    span: Span
    operator: str  # = != < <= > >=
    left: "Expr"
    right: "Expr"


@node
class Logic:
    span: Span
    operator: str  # and, or
    left: "Expr"
    right: "Expr"


@node
class Not:
    span: Span
    operand: "Expr"


@node
class Membership:
    span: Span
    element: "Expr"
    collection: "Expr"
    negated: bool


@node
class Covers:
    """`interval covers interval`: the left times include all of the right."""

    span: Span
    times: "Expr"
    required: "Expr"


@node
class Within:
    """`time within interval` or `interval within interval`."""

    span: Span
    inner: "Expr"
    outer: "Expr"


@node
class Conditional:
    span: Span
    condition: "Expr"
    then: "Expr"
    otherwise: "Expr"


@node
class Quantified:
    """`every x in c: e`, `any ...`, `count ...` (how many hold), `sum ...`."""

    span: Span
    quantifier: str
    variable: str
    collection: "Expr"
    body: "Expr"


Literal = Union[Number, Quantity, Money, Percent, DateLiteral, TimeLiteral,
                IntervalLiteral, Text, Boolean]
Expr = Union[Literal, Name, Field, Index, Call, SetLiteral, Negate, Arithmetic,
             Compare, Logic, Not, Membership, Covers, Within, Conditional, Quantified]


# ------------------------------------------------------------------------ types

@node
class NamedType:
    """`count`, `money per patient`, `region` (an enumeration)."""

    span: Span
    name: str
    per: tuple[str, ...] = ()


@node
class ListType:
    span: Span
    element: "TypeExpr"


@node
class SetType:
    span: Span
    element: "TypeExpr"


TypeExpr = Union[NamedType, ListType, SetType]


#: Each expression node's fields of sub-expressions, in source order (`*`: a tuple).
_CHILDREN = {Field: ("record",), Index: ("collection", "*keys"), Call: ("*arguments",),
             SetLiteral: ("*items",), Negate: ("operand",), Not: ("operand",),
             Arithmetic: ("left", "right"), Compare: ("left", "right"), Logic: ("left", "right"),
             Membership: ("element", "collection"), Covers: ("times", "required"),
             Within: ("inner", "outer"), Conditional: ("condition", "then", "otherwise"),
             Quantified: ("collection", "body")}


def children(expr: Expr):
    """The sub-expressions of an expression, in source order."""
    for name in _CHILDREN.get(type(expr), ()):
        yield from getattr(expr, name[1:]) if name[0] == "*" else (getattr(expr, name),)


def walk(expr: Expr):
    """Every node of an expression, parents first, in source order (without
    recursion, so that a chain of any length can be walked)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(tuple(children(node))))


#: Operators that chain to the left at one level: `a + b - c`, `a * b / c`,
#: `a and b and c`, `a or b or c` (see `chain`).
CHAIN_FAMILIES = {"+": "+-", "-": "+-", "*": "*/", "/": "*/", "and": "and", "or": "or"}


def chain(expr: "Arithmetic | Logic") -> list:
    """The nodes down the left side of a left-associative chain, outermost
    first: for `a + b - c`, [(a + b) - c, a + b]. The last one's `left` is the
    chain's first operand. Later stages walk a chain in a loop, so a sum of a
    thousand terms costs one level of recursion, not a thousand.

    >>> s = Span("x", 1, 1, 1, 2)
    >>> sum_ = Arithmetic(s, "-", Arithmetic(s, "+", Name(s, "a"), Name(s, "b")), Name(s, "c"))
    >>> [node.operator for node in chain(sum_)]
    ['-', '+']
    """
    family = CHAIN_FAMILIES[expr.operator]
    spine = [expr]
    while True:
        left = spine[-1].left
        if type(left) is not type(expr) or CHAIN_FAMILIES[left.operator] != family:
            return spine
        spine.append(left)
