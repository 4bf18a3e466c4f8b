"""Reading arrangements: a file (YAML or JSON) or a population line, to typed facts.

Input: the schema (anything with the `validator` of `facts.py` and the
`decoder` of `decoding.py`, as `static.schema.Schema` has) and a file, a
text or a JSON line. Output: `Arrangement` (the facts, where they came
from); InvalidInput with every problem placed on its line and column (a
population row's column too) and named by its field path.

The typed decoder reads valid input; anything it does not accept goes to
the validator, which either accepts it too or explains what is wrong.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import attrs

from rules_engine.base.diagnostics import Diagnostic, InvalidInput
from rules_engine.base.source import SourceFile, Span
from rules_engine.base.values import FactRecord
from rules_engine.io.documents import json_line, read_yaml, read_yaml_data
from rules_engine.io.positions import json_position
from rules_engine.io.facts import FactProblem, Problems, show_parts
from rules_engine.io.inputs import name_of, read_text


@attrs.frozen
class Arrangement:
    """One arrangement's facts, where they came from, and its id."""

    facts: FactRecord
    source: str  # file name (and line, for a population row)
    raw_source: SourceFile | None = attrs.field(default=None, eq=False, repr=False)
    document: Any = attrs.field(default=None, eq=False, repr=False)
    line: int | None = None  # a population row's line
    text: str | None = attrs.field(default=None, eq=False, repr=False)  # and its text


def read_document(source: SourceFile) -> Any:
    """Parse YAML or JSON text, keeping line numbers, within the limits
    (`documents.read_yaml`); raises InvalidInput."""
    return read_yaml(source, "arrangement", "E-FACT-006")


def locate(document: Any, problem: FactProblem, source: SourceFile) -> Span:
    """The line and column of a field path in a ruamel document."""
    node, line, column, width = document, 1, 1, 1
    for index, part in enumerate(problem.path):
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        try:
            if isinstance(part, int):
                line, column = lc.item(part)
            else:
                last = index == len(problem.path) - 1
                line, column = lc.key(part) if (last and problem.at_key) else lc.value(part)
            line, column = line + 1, column + 1
            width = len(str(part)) if problem.at_key and index == len(problem.path) - 1 else 1
        except (KeyError, IndexError, TypeError, AttributeError):
            break
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if not problem.at_key:
        text = source.line_text(line)[column - 1:]
        token = re.match(r'"[^"]*"|\'[^\']*\'|[^\s#,}\]]+(?:[ \t]+[^\s#,}\]]+)*', text)
        width = len(token.group(0)) if token else 1
    return source.span_at(line, column, width)


def validate_document(schema, document: Any, source: SourceFile | None,
                      origin: str, line: int | None = None, text: str | None = None) -> FactRecord:
    """Typed facts from a parsed document: the typed decoder's, or the
    validator's; raises InvalidInput on any problem."""
    decoder = schema.document_decoder()
    if decoder is not None:
        facts = decoder.document(document)
        if facts is not None:
            return facts
    problems = Problems()
    facts = schema.validator(document, None, problems)
    if problems:
        raise InvalidInput(place_problems(problems, document, source, origin, line, text))
    return facts


def place_problems(problems, document, source: SourceFile | None, origin: str,
                   line: int | None = None, text: str | None = None) -> list[Diagnostic]:
    """Diagnostics for field-path problems, on their lines where there are lines
    (and for a population row, at the column of the field in its text)."""
    diagnostics = []
    if source is not None and problems and not hasattr(document, "lc"):
        document = read_document(source)  # read as plain data (`load_arrangement`): read again with its lines
    for problem in problems:
        if source is not None:
            span = locate(document, problem, source)
        elif line is not None:
            found = json_position(text, problem.path, problem.at_key) if text is not None else None
            column, width = found or (1, 1)
            span = Span(origin, line, column, line, column + width)
        else:
            span = None
        diagnostics.append(Diagnostic(problem.code, problem.message, span, hint=problem.hint,
                                      path=show_parts(problem.path) or "(top level)"))
    return diagnostics


def read_yaml_file(path: str | Path, code: str, text: str | None = None,
                   what: str = "arrangement") -> tuple[SourceFile, Any]:
    """A YAML or JSON file's source and document (with line numbers); a file
    that cannot be read or parsed raises InvalidInput with `code`."""
    path = str(path)
    if text is None:
        text = read_text(path, code)
        path = name_of(path)  # `<stdin>` for `-`
    source = SourceFile(path, text)
    return source, read_yaml(source, what, code)


def load_arrangement(schema, path: str | Path, text: str | None = None) -> Arrangement:
    """Read and check one arrangement file (YAML or JSON): read as plain data
    where that is sure to give the same document (`documents.read_yaml_data`),
    and again with its lines when a problem is to be placed on one."""
    path = str(path)
    if text is None:
        text = read_text(path, "E-FACT-006")
        path = name_of(path)  # `<stdin>` for `-`
    source = SourceFile(path, text)
    document = read_yaml_data(source, "arrangement", "E-FACT-006")
    facts = validate_document(schema, document, source, source.path)
    return Arrangement(facts, source.path, source, document)


def parse_json_line(schema, text: str, origin: str, line: int) -> Arrangement:
    """One population row; errors name the line, the column and the field path."""
    decoder = schema.decoder
    if decoder is not None:
        facts = decoder.json_text(text)
        if facts is not None:
            return Arrangement(facts, f"{origin}:{line}", None, None, line, text)
    document = json_line(text, origin, line)
    facts = validate_document(schema, document, None, origin, line, text)
    return Arrangement(facts, f"{origin}:{line}", None, document, line, text)

def yaml_position(lc, key, which: str) -> tuple[int, int]:
    """The 1-based line and column of a key (`which="key"`) or its value in a
    mapping read by `read_yaml_file` (its ruamel `lc`); 1, 1 when unknown."""
    if lc is None:
        return 1, 1
    try:
        line, column = lc.key(key) if which == "key" else lc.value(key)
    except (KeyError, TypeError, AttributeError):
        return 1, 1
    return line + 1, column + 1

