"""Questions about the library that need no arrangement: describe a term,
the powers of a local layer on a date (`show --flexible`), lint, vary-check,
the scaffold of a new layer, the error catalogue.

May import: base, io, syntax, static, program, ir, analysis.
"""
