"""Text to frozen nodes: the parser (Lark is imported only here), lowering to
typed nodes with spans (`nodes`, its expressions in `expressions`; `lower`
with its mixins `lower_expressions`, `lower_clauses`, `lower_envelopes`), the
slips a writer makes (`slips` as the parser meets them, `value_slips` in
values), and the formatter.

May import: base.
"""
