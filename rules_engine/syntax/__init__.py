"""Text to frozen nodes: the parser (Lark is imported only here), lowering to
typed nodes with spans, the slips a writer makes, and the formatter.

May import: base.
"""
