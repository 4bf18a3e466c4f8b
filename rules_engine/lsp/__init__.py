"""The language server (`contract-rules lsp`, pygls): `analysis` (a document's
library analysed as the static stages can, errors or not: the command line's
diagnostics, the partial nodes and side tables, every name's occurrences),
`features` (hover, definitions, references, symbols, formatting, code
actions), `completion`, `locations` (URIs and ranges), `server` (the protocol).

May import: base, io, syntax, static, program, queries.
"""
