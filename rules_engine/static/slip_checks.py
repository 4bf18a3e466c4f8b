"""The type checker's checks for authoring slips (a mixin of its checker).

Each check looks at an expression the checker is about to refuse and, when
it is a known slip, reports the error that says what to write instead of the
general one: a literal in quotes (`"70 minutes"`, E-TYPE-010), a date, time
or interval written as a document writes it, which reads as arithmetic or a
number (`01/04/2025`, `08.00`, `08:00 - 18:30`; E-SYNTAX-015), a hyphenated
name that reads as a subtraction (`min-pcn-population`; E-SYNTAX-013). The
texts come from `slips.py`; `write_literal` gives the hint for a unit
mismatch against a literal (`write `2000 minutes``).
"""

from __future__ import annotations

import re

from rules_engine.syntax import nodes as n
from rules_engine.syntax import slips
from rules_engine.syntax import value_slips
from rules_engine.base import typesys as t
from rules_engine.base.source import Span


class SlipChecks:
    """Mixed into `typecheck._Checker`, which provides `error`, `sources`
    (the text under a span) and `known` (whether a bare name means
    something in a scope)."""

    def quoted(self, expr, expected: t.Type, message: str) -> bool:
        """A literal in quotes where that literal is expected (`"70 minutes"`):
        E-TYPE-010, with the literal to write. True when reported."""
        if not isinstance(expr, n.Text) or isinstance(expected, (t.Text, t.Error, t.Enum)):
            return False
        literal = value_slips.unquoted(expr.value)
        if literal is None:
            return False
        self.error("E-TYPE-010", message, expr.span,
                   hint=f"write `{literal}` without quotes: quotes make a text")
        return True

    def written_otherwise(self, expr, expected: t.Type) -> bool:
        """A date, time or interval written another way, which reads as
        arithmetic (`01/04/2025` divides, `2025-4-1` subtracts, `08:00 - 18:30`
        is a time minus a time) or as a number (`08.00`, `8am`): E-SYNTAX-015
        with the literal to write. True when reported."""
        if not isinstance(expected, (t.Date, t.TimeOfDay, t.Interval)):
            return False
        source = self.sources.get(expr.span.file)
        if source is None or not isinstance(expr, (n.Arithmetic, n.Number, n.Quantity)):
            return False
        text = source.text[expr.span.start:expr.span.end]
        if isinstance(expected, t.Interval):
            spaced = re.fullmatch(r"(\d{1,2}:\d{2})\s+-\s+(\d{1,2}:\d{2})", text)
            if spaced is None:
                return False
            slip = slips.Slip("E-SYNTAX-015", "an interval is written without spaces around its "
                              "hyphen: with them it reads as one time minus another", 0, len(text),
                              hint=f"write `{spaced.group(1)}-{spaced.group(2)}`")
        else:
            slip = (slips.other_date if isinstance(expected, t.Date) else slips.other_time)(text, 0)
            if slip is None or (slip.start, slip.end) != (0, len(text)):
                return False
        self.error(slip.code, slip.message, expr.span, hint=slip.hint)
        return True

    def hyphenated(self, spine: list, scope) -> bool:
        """`min-pcn-population` (or `pcn.raw-list-size`) reads as a
        subtraction; when its words touch the hyphens and some are no names,
        it was meant as one name (E-SYNTAX-013, one error, not one per word).
        True when reported."""
        if any(node.operator != "-" for node in spine):
            return False
        operands = [spine[-1].left] + [node.right for node in reversed(spine)]
        first, rest = operands[0], operands[1:]
        path = dotted(first)
        if path is None or not all(isinstance(o, n.Name) for o in rest):
            return False
        if any(a.span.end + 1 != b.span.start or a.span.end_line != b.span.line
               for a, b in zip(operands, rest)):
            return False  # spaces around a hyphen: a subtraction
        words = ([first] if isinstance(first, n.Name) else []) + rest
        if all(self.known(o.name, scope) for o in words):
            return False
        word = "-".join([path] + [o.name for o in rest])
        fixed = word.replace("-", "_")
        last = rest[-1].span
        span = Span(first.span.file, first.span.line, first.span.column, last.end_line,
                    last.end_column, first.span.start, last.end)
        slip = slips.hyphenated_name(word, span.start, span.end,
                                     known=fixed if self.known(fixed, scope) else None)
        self.error(slip.code, slip.message, span, hint=slip.hint)
        return True



def dotted(expr) -> str | None:
    """`pcn.raw` for a name or a chain of fields on a name; None otherwise."""
    parts = []
    while isinstance(expr, n.Field):
        parts.append(expr.name)
        expr = expr.record
    if not isinstance(expr, n.Name):
        return None
    return ".".join([expr.name] + parts[::-1])


def write_literal(expr, expected: t.Type) -> str | None:
    """`write `2000 minutes``: the literal `expr` written to be of the
    expected type's unit, when `expr` is a literal and the unit has a literal
    form (money, minutes, points, days, months, or none at all)."""
    if not isinstance(expected, t.Quantity) or isinstance(expr, n.Percent):
        return None
    if not isinstance(expr, (n.Number, n.Quantity, n.Money)):
        return None
    raised = [(d, e) for d, e in expected.unit.exponents if e > 0]
    if not raised:
        if isinstance(expr, n.Number):
            return None  # already a plain number: the other side is no literal
        dimension = None
    elif len(raised) == 1 and raised[0][1] == 1 and isinstance(expr, n.Number):
        dimension = raised[0][0]  # a plain number given its unit; never one unit for another
    else:
        return None
    literal = value_slips.with_unit(expr.value, dimension)
    return f"write `{literal}`" if literal else None



def literal_fix(expr, left: t.Type, right: t.Type) -> tuple[Span, str | None]:
    """For `left OP right` with units that do not match: the span of a
    literal side that could be written in the other side's unit and the hint
    that writes it, else the whole expression and None."""
    for side, other in ((expr.right, left), (expr.left, right)):
        fix = write_literal(side, other)
        if fix:
            return side.span, fix
    return expr.span, None


def quoted_literal(value_expr, bound: n.Bound | None) -> str | None:
    """`70 minutes` for a variation's `"70 minutes"` where the bounds are no
    texts (E-TYPE-010 rather than a bound the text cannot be compared with)."""
    limits = [b for b in (bound.low, bound.high) if b is not None] if bound is not None else []
    if isinstance(value_expr, n.Text) and limits and not any(isinstance(b, n.Text) for b in limits):
        return value_slips.unquoted(value_expr.value) or value_expr.value
    return None
