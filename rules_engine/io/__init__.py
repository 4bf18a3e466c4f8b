"""Reading and writing files: inputs (size limits, standard input, encodings),
documents (YAML and JSON with positions, JSON Lines), arrangements (a file or
a population line to typed facts: the validator of `facts`, the typed
decoders of `decoding`), outputs (a temporary file and a rename).

The arrangement reader takes the schema's root record type (`base.typesys`)
and builds its validator and decoders from it; the schema itself (which
builds them) is `static`'s. It imports `syntax` only for `slips` and
`value_slips`, the hints for the slips rule files and arrangements share (a
curly quote, a comma in a number, a 12-hour time).

May import: base, syntax.
"""
