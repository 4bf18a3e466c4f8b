"""Lowering of a flexibility envelope's permissions (`allow ...`): a mixin
of the lowering in `lower`, which supplies `span`, `token_span`, `decimal`,
`sort_clauses` and the source file (`file`).

Each `allow` becomes one `nodes.AllowDecl`: its kind (a row of
`static.flexibility.FLEXIBILITY_KINDS`), the national term, a bound, and the
permission's own clauses (`within budget`, `marking`, `opted in by`,
`keeping`, `protecting`, `with COLUMN BOUND`).
"""

from __future__ import annotations

from lark import Token, v_args

from rules_engine.syntax import nodes as n


class EnvelopeLowering:
    """The rule callbacks of `allow` declarations."""

    def keeping(self, children):
        return ("keeping", children[0])

    @v_args(meta=True)
    def protecting(self, meta, children):
        span = self.span(meta)
        text = " ".join(self.file.text[children[0].span.start:children[0].span.end].split())
        return ("protecting", n.Protected(span, children[0], text))

    @v_args(meta=True)
    def column_bound(self, meta, children):
        column, bound = children
        return ("columns", n.ColumnBound(self.span(meta), str(column), bound))

    def budget(self, children):
        return ("budget", str(children[0]))

    def marking(self, children):
        return ("marking", str(children[0]))

    def opted_in(self, children):
        return ("opted_in", children[0])

    def _permission(kind):  # noqa: N805 - builds rule callbacks
        def build(self, children):
            target = children[0] if children and isinstance(children[0], Token) else None
            repeated = ("protecting", "columns")  # clauses a permission may give more than once
            extra = dict(c for c in children if isinstance(c, tuple) and c[0] not in repeated)
            for key in repeated:
                extra[key] = tuple(c[1] for c in children if isinstance(c, tuple) and c[0] == key)
            bound = next((c for c in children if isinstance(c, n.Bound)), None)
            return (kind, target, bound, extra)
        return build

    allow_vary = _permission("vary")
    allow_waive = _permission("waive")
    allow_replace_requirement = _permission("replace requirement")
    allow_replace_value = _permission("replace value")
    allow_add_requirement = _permission("add requirement")
    allow_add_rows = _permission("add rows")
    allow_retire_rows = _permission("retire rows")

    @v_args(meta=True)
    def allow_cap_rows(self, meta, children):
        """`at most N rows in T`: a cap on the rows a table has in force (the
        national ones and those local layers add), held as an `at_most` bound."""
        count, table = children
        span = self.token_span(count)
        limit = n.Number(span, self.decimal(str(count).replace("_", ""), span))
        return ("cap rows", table, n.Bound(self.span(meta), "at_most", None, limit), {})

    @v_args(meta=True)
    def allow_decl(self, meta, children):
        (kind, target, bound, extra), *clauses = children
        found = self.sort_clauses("allow", clauses)
        notes = found.get("note") or []
        return n.AllowDecl(self.span(meta), kind, str(target) if target is not None else None,
                           self.token_span(target) if target is not None else None, bound,
                           extra.get("budget"), extra.get("marking"), extra.get("opted_in"),
                           extra.get("keeping"), found.get("ref"), found.get("provisional"),
                           notes[0] if notes else None, extra.get("protecting", ()),
                           extra.get("columns", ()))
