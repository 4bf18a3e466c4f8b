"""The installed package's version: a leaf, so that any stage may name it."""

from __future__ import annotations


def version() -> str:
    """The installed package's version ("0+unknown" when run from a bare checkout)."""
    from importlib import metadata  # here, not at the top: start-up (it costs more than a bare start)
    try:
        return metadata.version("contract-rules")
    except metadata.PackageNotFoundError:
        return "0+unknown"
