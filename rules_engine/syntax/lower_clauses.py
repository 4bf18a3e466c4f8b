"""Lowering of clauses: a mixin of the lowering in `lower`, which supplies
`span`, `text`, `error`, `date_value` and the source file (`file`).

The grammar accepts a declaration's clauses in any order; each lowers to a
`Clause` (its kind, span and value), and `sort_clauses` sorts them into the
declaration's fields, reporting a clause the declaration does not take
(E-SYNTAX-004) or one given twice (E-SYNTAX-005). `_ALLOWED` is the one
table of which clauses each declaration accepts.
"""

from __future__ import annotations

import attrs
from lark import Token, v_args

from rules_engine.base.source import Span
from rules_engine.syntax import nodes as n
from rules_engine.syntax.lower_expressions import NOT_A_DATE


@attrs.frozen
class Clause:
    """A clause before it is sorted into its declaration's fields."""

    kind: str
    span: Span
    value: object


_FLEX_KINDS = ("locked", "flexible", "waivable", "replaceable", "extensible")

#: Which clauses each declaration accepts, and which it may repeat.
_ALLOWED = {
    "enum": {"ref", "provisional", "note"},
    "fact": {"required", "signed", "note", "ref"},
    "parameter": {"ref", "locked", "flexible", "provisional", "dated_value", "effective", "note"},
    "table": {"ref", "locked", "extensible", "provisional", "row_provisional", "columns", "row",
              "effective", "note"},
    "define": {"ref", "report", "provisional", "effective", "note", "rounded"},
    "requirement": {"for", "where", "must", "unless", "severity", "ref", "locked", "waivable",
                    "replaceable", "provisional", "effective", "warn", "note"},
    "local requirement": {"for", "where", "must", "unless", "severity", "ref", "provisional",
                          "effective", "warn", "note", "because"},
    "vary": {"because", "note"},
    "waive": {"for", "where", "because", "note"},
    "add row": {"because", "note"},
    "retire": {"because", "note"},
    "replace value": {"because", "note"},
    "allow": {"ref", "provisional", "note"},
    "population": {"ref", "provisional", "effective", "because", "note"},
}
_REPEATABLE = {"dated_value", "row", "warn", "note", "row_provisional"}
#: `rounded to WORD [MODE]`: the decimal places each word keeps, and the modes.
_ROUNDING_PLACES = {"penny": 2, "pence": 2, "pound": 0, "pounds": 0}
_ROUNDING_MODES = {"half up": "half_up", "half even": "half_even", "down": "down"}


class ClauseLowering:
    """The rule callbacks of clauses, bounds, columns and rows, and the sorting of clauses."""

    def sort_clauses(self, kind: str, clauses) -> dict:
        """Clauses by kind (repeatable kinds as lists); reports misplaced ones."""
        allowed = _ALLOWED[kind]
        found: dict[str, object] = {}
        flexibility: list[n.Flexibility] = []
        for clause in clauses:
            if clause.kind not in allowed:
                self.error("E-SYNTAX-004", f"a {kind} cannot have a `{clause.kind}` clause",
                           clause.span, hint=f"a {kind} takes: " + ", ".join(
                               f"`{k}`" for k in sorted(allowed)))
                continue
            if clause.kind in _FLEX_KINDS:
                if any(f.kind == clause.kind for f in flexibility):
                    self.error("E-SYNTAX-005", f"`{clause.kind}` is given twice", clause.span)
                flexibility.append(clause.value)
                continue
            if clause.kind in _REPEATABLE:
                found.setdefault(clause.kind, []).append(clause.value)
            elif clause.kind in found:
                self.error("E-SYNTAX-005", f"the `{clause.kind}` clause is given twice", clause.span)
            else:
                found[clause.kind] = clause.value
        if any(f.kind == "locked" for f in flexibility) and len(flexibility) > 1:
            self.error("E-SYNTAX-005", "a term cannot be both `locked` and flexible",
                       flexibility[0].span)
        found["flexibility"] = tuple(flexibility)
        return found
    # -- clauses -------------------------------------------------------------

    @v_args(meta=True)
    def period(self, meta, children):
        start = self.date_value(children[0])
        end = self.date_value(children[1]) if len(children) > 1 else None
        span = self.span(meta)
        if end is not None and end < start and NOT_A_DATE not in (start, end):  # reported once
            self.error("E-SYNTAX-007", f"the period ends ({end}) before it starts ({start})", span)
        return n.Period(span, start, end)

    def name_list(self, children):
        return tuple(str(c) for c in children)

    @v_args(meta=True)
    def scope(self, meta, children):
        each = bool(children) and isinstance(children[0], Token) and children[0].type == "EACH"
        rest = [c for c in children if not (isinstance(c, Token) and c.type == "EACH")]
        subject = str(rest[0])
        key_variable = str(rest[1]) if len(rest) > 1 else None
        key_collection = rest[2] if len(rest) > 2 else None
        return n.Scope(self.span(meta), subject, each, key_variable, key_collection)

    def _clause(kind, build=lambda self, span, children: children[0] if children else None):  # noqa: N805
        @v_args(meta=True)
        def make(self, meta, children):
            span = self.span(meta)
            return Clause(kind, span, build(self, span, children))
        return make

    ref_clause = _clause("ref", lambda self, span, c: n.Reference(span, self.text(c[0])))
    for_clause = _clause("for")
    where_clause = _clause("where")
    must_clause = _clause("must")
    unless_clause = _clause("unless")
    severity_clause = _clause("severity", lambda self, span, c: (str(c[0]), span))
    effective_clause = _clause("effective")
    flexible_clause = _clause("flexible", lambda self, span, c: n.Flexibility(
        span, "flexible", c[0] if c else None))
    locked_clause = _clause("locked", lambda self, span, c: n.Flexibility(span, "locked"))
    waivable_clause = _clause("waivable", lambda self, span, c: n.Flexibility(span, "waivable"))
    replaceable_clause = _clause("replaceable", lambda self, span, c: n.Flexibility(span, "replaceable"))
    extensible_clause = _clause("extensible", lambda self, span, c: n.Flexibility(span, "extensible"))
    provisional_clause = _clause("provisional", lambda self, span, c: n.Provisional(
        span, self.text(c[0]) if c else "not confirmed by the sources"))
    row_provisional_clause = _clause("row_provisional", lambda self, span, c: n.RowProvisional(
        span, self.text(c[0]), next((x for x in c[1:] if isinstance(x, tuple)), ()),
        next((x for x in c[1:] if isinstance(x, n.Period)), None)))

    def row_keys(self, children):
        return tuple(children)

    def row_key(self, children):
        token = children[0]
        return self.text(token) if token.type == "STRING" else str(token)

    because_clause = _clause("because", lambda self, span, c: n.Because(span, self.text(c[0])))
    report_clause = _clause("report", lambda self, span, c: n.Report(
        span, str(c[0]), self.text(c[1]) if len(c) > 1 else None))
    def assumed_value(self, children):
        return children[0]

    dated_value_clause = _clause("dated_value", lambda self, span, c: n.DatedValue(span, c[0], c[1]))
    # `from DATE to DATE = unknown`: the contract has a figure the library lacks
    dated_unknown_clause = _clause("dated_value", lambda self, span, c: n.DatedValue(
        span, c[0], n.UnknownFigure(span)))
    required_clause = _clause("required", lambda self, span, c: True)
    signed_clause = _clause("signed", lambda self, span, c: span)
    warn_clause = _clause("warn", lambda self, span, c: n.Warning_(span, self.text(c[0]), c[1]))
    columns_clause = _clause("columns", lambda self, span, c: tuple(c))
    row_clause = _clause("row")
    note_clause = _clause("note", lambda self, span, c: self.text(c[0]))

    @v_args(meta=True)
    def rounded_clause(self, meta, children):
        span = self.span(meta)
        place, *mode_words = (str(c) for c in children)
        places = _ROUNDING_PLACES.get(place)
        mode = _ROUNDING_MODES.get(" ".join(mode_words) if mode_words else "half up")
        if places is None or mode is None:
            self.error("E-SYNTAX-030", "unknown rounding `rounded to " + " ".join(
                [place, *mode_words]) + "`", span,
                hint="say `rounded to penny` or `rounded to pound`, optionally followed by "
                     "`half up` (the default), `half even` or `down`")
            places, mode = 2, "half_up"
        return Clause("rounded", span, n.Rounding(span, places, mode))

    @v_args(meta=True)
    def between(self, meta, children):
        return n.Bound(self.span(meta), "between", children[0], children[1])

    @v_args(meta=True)
    def at_least(self, meta, children):
        return n.Bound(self.span(meta), "at_least", children[0], None)

    @v_args(meta=True)
    def at_most(self, meta, children):
        return n.Bound(self.span(meta), "at_most", None, children[0])

    @v_args(meta=True)
    def typed_column(self, meta, children):
        return n.Column(self.span(meta), str(children[0]), children[1])

    @v_args(meta=True)
    def from_column(self, meta, children):  # the dated rows' columns
        return n.Column(self.span(meta), "from", None)
    to_column = v_args(meta=True)(lambda self, meta, children: n.Column(self.span(meta), "to", None))

    @v_args(meta=True)
    def row(self, meta, children):
        return n.Row(self.span(meta), tuple(children))

    def cell(self, children):
        return children[0] if children else None

    @v_args(meta=True)
    def name_cell(self, meta, children):
        return n.Name(self.span(meta), str(children[0]))
