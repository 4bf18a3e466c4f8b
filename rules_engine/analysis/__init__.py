"""Static analyses of checked programs (a variation's effect over ranges of
values, without an arrangement), reading `ir.CheckedProgram` and the
interval rules of `static.builtins.BUILTINS`.

May import: base, syntax, static, program, ir.
"""
