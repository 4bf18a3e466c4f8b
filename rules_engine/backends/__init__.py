"""Backends turn a checked program (`ir.CheckedProgram`) into a runner that
evaluates it (`protocol`: the backend protocol): `closures` (with
`closure_facts` and `closure_runner`), the reference backend and the one
that traces for `explain`.

May import: base, syntax, static, program, ir.
"""
