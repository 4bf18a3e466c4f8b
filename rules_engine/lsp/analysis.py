"""One analysis of the rule library as an editor holds it, for the language server.

Input: the open documents (path -> text) and the one asked about. Output:
`Analysis`: the diagnostics the command line gives for the library the
document belongs to (`lint` of that library: the same codes, spans, notes,
hints and warnings), and, whatever errors there are, what the static stages
could make of the text: the declarations that lowered (a half-typed
declaration is skipped, the others kept), the type checker's partial side
tables, and every occurrence of a name (its declaration and its uses) in
every file of the library.

The library a document belongs to: the folder above it holding `national/`
(a library laid out as `contracts/` is), else the shipped national layers
with the document beside them (as `lint FILE` reads a local layer).
Documents the editor holds open win over the files on disk.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable, Mapping

import attrs

from rules_engine.base.diagnostics import Diagnostic, InvalidInput
from rules_engine.base.source import SourceFile, Span
from rules_engine.queries.lint import QUICK_WARNINGS, lint_checked
from rules_engine.static.forms import Layer
from rules_engine.static.library import Library, assemble, rule_files_in
from rules_engine.static.load import default_sources, lowered
from rules_engine.static.typecheck import Checked, check_partial
from rules_engine.static import population_terms
from rules_engine.syntax import nodes as n
from rules_engine.syntax.walk import descendants


@attrs.frozen
class Occurrence:
    """A name in a file: a term, a requirement id, a fact, a member, a table's column."""

    span: Span  # the name itself
    name: str  # the term's name, the requirement's id, the fact's dotted path, the member
    kind: str  # term | fact | member | subject | value
    declares: bool  # its declaration, not a use
    node: object = None  # the node it belongs to (an expression, a declaration)


@attrs.frozen(eq=False)
class Analysis:
    path: str  # the document's path, as the library names it
    source: SourceFile
    sources: Mapping[str, SourceFile]  # every file of the library, by path
    diagnostics: tuple[Diagnostic, ...]  # the command line's, for every file
    layers: tuple[Layer, ...]  # what lowered, partial where a file has errors
    library: Library | None
    checked: Checked | None
    occurrences: tuple[Occurrence, ...]

    @property
    def layer(self) -> Layer | None:
        """The document's own layer (partial when it has errors)."""
        return next((l for l in self.layers if l.file == self.path), None)

    @property
    def day(self) -> dt.date:
        """The date the document speaks of: its layer's first day, else today."""
        layer = self.layer
        effective = getattr(layer.header, "effective", None) if layer is not None else None
        return effective.start if effective is not None else dt.date.today()

    def at(self, line: int, column: int) -> Occurrence | None:
        """The occurrence in the document under a 1-based line and column."""
        best = None
        for found in self.occurrences:
            span = found.span
            if span.file != self.path or not _contains(span, line, column):
                continue
            if best is None or span.end - span.start < best.span.end - best.span.start:
                best = found
        return best

    def declarations_of(self, name: str, kind: str) -> list[Occurrence]:
        return [o for o in self.occurrences if o.declares and o.name == name and o.kind == kind]

    def uses_of(self, name: str, kind: str) -> list[Occurrence]:
        return [o for o in self.occurrences if o.name == name and o.kind == kind]


def _contains(span: Span, line: int, column: int) -> bool:
    if (line, column) < (span.line, span.column):
        return False
    return (line, column) <= (span.end_line, span.end_column)


def library_of(path: str) -> Path | None:
    """The library folder a rule file belongs to (the folder holding
    `national/` above it), or None."""
    for folder in Path(path).resolve().parents:
        if (folder / "national").is_dir() and folder != Path(path).resolve().parent.parent.parent:
            return folder
        if (folder / "national").is_dir():
            return folder
    return None


def library_sources(path: str, open_texts: Mapping[str, str]) -> list[SourceFile]:
    """The files of the library `path` belongs to, the open documents' texts
    over the disk's, with `path` among them."""
    folder = library_of(path)
    resolved = Path(path).resolve()
    if folder is not None:
        files = [str(f) for f in rule_files_in(folder)]
        sources = []
        for file in files:
            if Path(file).resolve() == resolved:
                continue
            text = open_texts.get(file)
            if text is None:
                try:
                    text = Path(file).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
            sources.append(SourceFile(file, text))
    else:
        sources = [s for s in default_sources()
                   if s.path.startswith("contracts/national/") and Path(s.path).name != resolved.name]
    return sources + [SourceFile(path, open_texts[path])]


def analyse(path: str, open_texts: Mapping[str, str]) -> Analysis:
    """Analyse the library of the document at `path` (its text in `open_texts`)."""
    sources = library_sources(path, open_texts)
    by_path = {s.path: s for s in sources}
    lowered_files = [(s, lowered(s)) for s in sources]
    layers = tuple(Layer(s.path, s, low.partial) for s, low in lowered_files if low.partial is not None)
    # the command line's diagnostics: the first static stage with problems stops it
    problems = [d for _, low in lowered_files for d in low.diagnostics]
    library, checked = None, None
    try:
        library, assembly = assemble(list(layers))
    except (InvalidInput, ValueError, LookupError, TypeError, AttributeError):
        assembly = []
    if library is not None:
        try:
            checked, typing = check_partial(library)
        except (ValueError, LookupError, TypeError, AttributeError, RecursionError):
            typing = ()
        if not problems:
            problems = (list(assembly) or _stage(population_terms.check_names, library)
                        or list(typing) or (_stage(population_terms.check_types, checked)
                                            if checked is not None else []))
        if not problems and checked is not None:
            problems = list(lint_checked(checked, QUICK_WARNINGS))  # the solver's checks are for `lint`
    occurrences = tuple(_occurrences(layers, checked))
    return Analysis(path, by_path[path], by_path, tuple(sorted(problems, key=lambda d: d.sort_key)),
                    layers, library, checked, occurrences)


def _stage(check, value) -> list:
    """The problems a static stage after assembly finds, as the command line's (population terms)."""
    try:
        check(value)
    except InvalidInput as error:
        return list(error.diagnostics)
    return []


# ------------------------------------------------------------- occurrences

_DECLARED = {n.ParameterDecl: "parameter", n.TableDecl: "table", n.DefineDecl: "define"}


def name_span(source: SourceFile, span: Span, name: str) -> Span:
    """The span of `name` in the text of a declaration that starts at `span`
    (its first occurrence after the keyword), or the declaration's first line."""
    text = source.text
    at = text.find(name, span.start, max(span.end, span.start + 1))
    while at >= 0:
        before = text[at - 1] if at > 0 else " "
        after = text[at + len(name)] if at + len(name) < len(text) else " "
        if not (before.isalnum() or before in "_.") and not (after.isalnum() or after in "_"):
            return source.span(at, at + len(name))
        at = text.find(name, at + 1, span.end)
    return source.span(span.start, span.start)


#: The names and fields under each declaration of the last analysis, by the
#: declaration's identity (the entry holds the declaration, so the identity
#: is not reused while it is kept). A file that did not change keeps its
#: declaration objects from one analysis to the next (static.load keeps each
#: file's lowering), so a change walks only the declarations that changed.
_READS: dict[int, tuple[object, tuple]] = {}


def _occurrences(layers: Iterable[Layer], checked: Checked | None) -> Iterable[Occurrence]:
    names = checked.names if checked is not None else {}
    kept: dict[int, tuple[object, tuple]] = {}
    for layer in layers:
        source = layer.source
        for decl in layer.syntax.declarations:
            yield from _declared(source, decl)
            known = _READS.get(id(decl))
            reads = known[1] if known is not None and known[0] is decl else tuple(_expressions(decl))
            kept[id(decl)] = (decl, reads)
            for node in reads:
                yield from _used(source, node, names)
    _READS.clear()
    _READS.update(kept)


def _declared(source: SourceFile, decl) -> Iterable[Occurrence]:
    if isinstance(decl, (n.ParameterDecl, n.TableDecl, n.DefineDecl)):
        yield Occurrence(name_span(source, decl.span, decl.name), decl.name, "term", True, decl)
        if isinstance(decl, n.DefineDecl) and decl.report is not None:
            report = decl.report
            yield Occurrence(name_span(source, report.span, report.id), report.id, "value", True, decl)
    elif isinstance(decl, n.RequirementDecl):
        yield Occurrence(name_span(source, decl.span, decl.id), decl.id, "term", True, decl)
    elif isinstance(decl, n.AddRequirementDecl):
        rid = decl.requirement.id
        yield Occurrence(name_span(source, decl.span, rid), rid, "term", True, decl)
    elif isinstance(decl, n.ReplaceDecl):
        yield Occurrence(decl.id_span, decl.requirement.id, "term", False, decl)
    elif isinstance(decl, n.VaryDecl):
        yield Occurrence(decl.name_span, decl.name, "term", False, decl)
    elif isinstance(decl, n.WaiveDecl):
        yield Occurrence(decl.id_span, decl.id, "term", False, decl)
    elif isinstance(decl, (n.AddRowDecl, n.RetireDecl)):
        yield Occurrence(decl.table_span, decl.table, "term", False, decl)
    elif isinstance(decl, n.ReplaceValueDecl):
        yield Occurrence(decl.name_span, decl.name, "term", False, decl)
    elif isinstance(decl, n.AllowDecl) and decl.target is not None and decl.target_span is not None:
        yield Occurrence(decl.target_span, decl.target, "term", False, decl)
    elif isinstance(decl, n.EnumDecl):
        yield Occurrence(name_span(source, decl.span, decl.name), decl.name, "enum", True, decl)
        after = name_span(source, decl.span, decl.name)
        for member in decl.members:
            span = name_span(source, Span(decl.span.file, 0, 0, 0, 0, after.end, decl.span.end), member)
            yield Occurrence(span, member, "member", True, decl)
    elif isinstance(decl, n.FactDecl):
        yield Occurrence(decl.span if not decl.path else _joined(decl.path), decl.dotted, "fact", True, decl)
    elif isinstance(decl, n.SubjectDecl):
        yield Occurrence(name_span(source, decl.span, decl.name), decl.name, "subject", True, decl)


def _joined(segments) -> Span:
    first, last = segments[0].span, segments[-1].span
    return Span(first.file, first.line, first.column, last.end_line, last.end_column, first.start, last.end)


def _expressions(decl) -> Iterable:
    """Every name and field read under a declaration."""
    return (node for node in descendants(decl) if isinstance(node, (n.Name, n.Field)))


def _used(source: SourceFile, node, names) -> Iterable[Occurrence]:
    resolved = names.get(id(node))
    if isinstance(node, n.Name):
        if resolved is None:
            return
        if resolved.kind in ("param", "table", "define"):
            yield Occurrence(node.span, resolved.target, "term", False, node)
        elif resolved.kind == "member":
            yield Occurrence(node.span, node.name, "member", False, node)
        elif resolved.kind in ("binding", "fact"):
            yield Occurrence(node.span, node.name, "subject", False, node)
    elif isinstance(node, n.Field):
        span = node.span
        start = max(span.start, span.end - len(node.name))
        segment = source.span(start, span.end) if source.text[start:span.end] == node.name else span
        yield Occurrence(segment, fact_path(node), "fact", False, node)


def fact_path(node) -> str:
    """`pcn.enhanced_access.sundays`, as the schema names a fact (a list's
    elements and a map's values as `[]` and `{}`)."""
    parts = []
    while isinstance(node, (n.Field, n.Index)):
        if isinstance(node, n.Field):
            parts.append(node.name)
            node = node.record
        else:
            parts.append("[]")
            node = node.collection
    if isinstance(node, n.Name):
        parts.append(node.name)
    return ".".join(reversed(parts)).replace(".[]", "[]")
