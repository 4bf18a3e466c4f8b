"""Places as the editor names them: file URIs and 0-based line/character ranges.

Spans are 1-based lines and columns counted in characters (code points);
the protocol counts UTF-16 units, which agree for every character of the
Basic Multilingual Plane (`£`, `§`, curly quotes): a rule file's code is
plain ASCII and `£`, so only a comment or a text holding an emoji counts
differently, and then only after it on its line.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp

from rules_engine.base.source import Span
from rules_engine.static.library import CONTRACTS_PACKAGE

_SHIPPED = "contracts/"


def lsp_range(span: Span) -> lsp.Range:
    return lsp.Range(lsp.Position(max(0, span.line - 1), max(0, span.column - 1)),
                     lsp.Position(max(0, span.end_line - 1), max(0, span.end_column - 1)))


def file_of(path: str) -> Path:
    """The file on disk a library path names: a shipped layer's display name
    (`contracts/national/gms.rules`) is the package's own file."""
    if path.startswith(_SHIPPED) and not Path(path).is_absolute() and not Path(path).exists():
        shipped = resources.files(CONTRACTS_PACKAGE).joinpath(path[len(_SHIPPED):])
        return Path(str(shipped))
    return Path(path).resolve()


def uri_of(path: str) -> str:
    return file_of(path).as_uri()


def path_of(uri: str) -> str:
    """The path of a `file:` URI (any other URI is kept as a name)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return uri
    return str(Path(unquote(parsed.path)))
