"""Evaluation: results (data, and their JSON records), the evaluation loop,
why, explain, impact, and the `Engine` (a loaded library that compiles and
evaluates).

May import: base, io, syntax, static, program, ir, backends.
"""
