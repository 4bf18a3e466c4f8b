"""Development tools, outside the wheel: the synthetic population generator and
the writers of the generated documents (docs/national-library.md, docs/errors.md)."""
