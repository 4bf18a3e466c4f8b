"""Reading and writing files: inputs (size limits, standard input, encodings),
documents (YAML and JSON with positions, JSON Lines), outputs (a temporary file
and a rename).

May import: base.
"""
