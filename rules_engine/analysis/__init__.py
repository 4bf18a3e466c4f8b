"""Static analysis of a variation over the checked programs: the cone (what a
local layer could change), whether a requirement can flip and for whom, with
a witness arrangement for every yes.

May import: base, io, syntax, static, program, ir.
"""
