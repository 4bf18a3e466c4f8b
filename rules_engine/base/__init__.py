"""The leaves every stage may use: source files and spans, diagnostics, limits,
recursion depth, types and units (`typesys`), values and `Unknown`, the one
spelling of numbers and money (`numbers`), the data cache, the version, and
sequences kept small in memory with the rest on disk (`spill`).

May import: nothing.
"""
