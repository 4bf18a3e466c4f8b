"""The program on a date: selection of the terms in force with provenance
(`layers`), assumptions, provisional marks, and `LoadedLibrary` (a checked
library ready to select programs).

May import: base, io, syntax, static.
"""
