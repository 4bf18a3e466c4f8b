"""The checked program (`checked.CheckedProgram`): a program in force for one
period, with its type and name side tables, the static values of the folding
pass (`fold`), the definitions in dependency order and one plan per fact path
(`plans`); the operations every backend shares (`operations`), and the
periods in which the terms in force do not change (`periods`).

May import: base, syntax, static, program.
"""
