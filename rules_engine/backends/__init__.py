"""Backends turn a program in force into something that evaluates it: today
the closure compiler (`closures`).

May import: base, syntax, static, program.
"""
