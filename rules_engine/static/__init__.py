"""The checked library: forms, literals and periods (`forms`), the fact schema,
assembly of layers (`library`), carrying forward, integrity, flexibility
(kinds, envelopes, budgets), dependencies, type checking, and the static
stages as data (`load`).

May import: base, io, syntax.
"""
