"""What the language server answers, worked out from an `Analysis`: hover,
definitions and references, document symbols, formatting and code actions.
Completion is in `completion`. Each function returns lsprotocol records (or
None); none raises on a half-typed file.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic
from rules_engine.base.source import SourceFile, Span
from rules_engine.lsp.analysis import Analysis, Occurrence
from rules_engine.lsp.locations import lsp_range, uri_of
from rules_engine.program.loaded import LoadedLibrary
from rules_engine.queries.describe import describe_term
from rules_engine.static.forms import show_literal
from rules_engine.syntax import nodes as n
from rules_engine.syntax.formatter import format_source

SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}


# ------------------------------------------------------------- diagnostics

def to_lsp(diagnostic: Diagnostic, sources) -> lsp.Diagnostic:
    """A diagnostic as the command line reports it: its code, message, notes
    (as related information) and hint (after the message, as the command
    line prints it); its fixes ride along as data for code actions."""
    span = diagnostic.span
    message = diagnostic.message + (f"\nhint: {diagnostic.hint}" if diagnostic.hint else "")
    related = [lsp.DiagnosticRelatedInformation(lsp.Location(uri_of(r.span.file), lsp_range(r.span)),
                                                 r.message)
               for r in diagnostic.related if r.span is not None]
    notes = [r.message for r in diagnostic.related if r.span is None]
    if notes:
        message += "".join(f"\nnote: {note}" for note in notes)
    fixes = [{"title": f.title, "range": _range_json(f.span), "text": f.replacement}
             for f in getattr(diagnostic, "fixes", ())]
    return lsp.Diagnostic(range=lsp_range(span) if span is not None else _START, message=message,
                          severity=SEVERITY.get(diagnostic.severity, lsp.DiagnosticSeverity.Error),
                          code=diagnostic.code, source="contract-rules",
                          related_information=related or None, data={"fixes": fixes} if fixes else None)


_START = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))


def _range_json(span: Span) -> dict:
    r = lsp_range(span)
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


# ------------------------------------------------------------------- hover

def hover(analysis: Analysis, line: int, column: int) -> lsp.Hover | None:
    found = analysis.at(line, column)
    if found is None:
        return None
    text = None
    if found.kind == "term":
        text = _term_hover(analysis, found)
    elif found.kind == "fact":
        text = _fact_hover(analysis, found)
    elif found.kind == "member":
        text = _member_hover(analysis, found)
    elif found.kind == "subject":
        text = _subject_hover(analysis, found)
    elif found.kind == "value":
        text = _term_hover(analysis, found)
    if not text:
        return None
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text), lsp_range(found.span))


def _term_hover(analysis: Analysis, found: Occurrence) -> str | None:
    head = []
    decl = found.node
    if isinstance(decl, n.VaryDecl):
        head.append(f"**vary** `{decl.name}` = `{_text(analysis, decl.value)}` in the local layer "
                    f"`{analysis.layer.name if analysis.layer else '?'}`; the national term:")
    elif isinstance(decl, (n.WaiveDecl, n.ReplaceDecl, n.RetireDecl, n.AddRowDecl, n.ReplaceValueDecl)):
        word = {n.WaiveDecl: "waive", n.ReplaceDecl: "replace requirement", n.RetireDecl: "retire rows of",
                n.AddRowDecl: "add a row to", n.ReplaceValueDecl: "replace value"}[type(decl)]
        head.append(f"**{word}** `{found.name}` in the local layer "
                    f"`{analysis.layer.name if analysis.layer else '?'}`; the national term:")
    described = _described(analysis, found.name)
    if described is not None:
        return "\n\n".join(head + ["```text\n" + described.rstrip() + "\n```"])
    return "\n\n".join(head + [_from_nodes(analysis, found.name)]) if _forms(analysis, found.name) else None


def _described(analysis: Analysis, name: str) -> str | None:
    """`explain NAME` as the command line shows it on the document's date."""
    if analysis.checked is None:
        return None
    try:
        engine = LoadedLibrary(analysis.checked)
        return describe_term(engine, name, analysis.day).render(76)
    except Exception:  # noqa: BLE001 - a partial library may lack what describe reads: fall back
        return None


def _forms(analysis: Analysis, name: str):
    return analysis.library.forms.get(name, ()) if analysis.library is not None else ()


def _from_nodes(analysis: Analysis, name: str) -> str:
    """What the declarations say, when the library cannot be described (it has errors)."""
    out = []
    for form in _forms(analysis, name):
        term = form.term
        kind = {n.ParameterDecl: "parameter", n.TableDecl: "table", n.DefineDecl: "definition",
                n.RequirementDecl: "requirement"}.get(type(term), "term")
        title = getattr(term, "title", None)
        out.append(f"**{kind}** `{name}`" + (f": {title}" if title else ""))
        if getattr(term, "reference", None) is not None:
            out.append(f"clause: {form.layer.clause(term.reference)}")
        declared = analysis.checked.term_types.get(name) if analysis.checked is not None else None
        if declared is not None:
            out.append(f"type: {t.describe(declared)}")
        if isinstance(term, n.ParameterDecl):
            if term.value is not None:
                out.append(f"value: `{_text(analysis, term.value)}`")
            for dated in term.dated_values:
                out.append(f"from {dated.period.describe()}: `{_text(analysis, dated.value)}`")
        out.append(f"in force: {form.period_text}" if hasattr(form, "period_text") else
                   f"layer {form.layer.name} ({form.layer.file}:{term.span.line})")
        if getattr(term, "provisional", None) is not None:
            out.append(f"provisional: {term.provisional.reason}")
    return "\n\n".join(out)


def _fact_hover(analysis: Analysis, found: Occurrence) -> str | None:
    declared = _fact_decl(analysis, found.name)
    type_ = analysis.checked.types.get(id(found.node)) if analysis.checked is not None and \
        found.node is not None else None
    lines = [f"**fact** `{found.name}`"]
    if type_ is not None and not isinstance(type_, t.Error):
        lines.append(f"type: {t.describe(type_)}")
    if declared is not None:
        if isinstance(found.node, n.FactDecl) or type_ is None:
            lines.append(f"type: `{_text(analysis, declared.type)}`")
        lines.append("required" if declared.required else "optional: when absent, what reads it is unknown")
        if declared.note:
            lines.append(declared.note)
        lines.append(f"declared at {declared.span}")
    return "\n\n".join(lines) if len(lines) > 1 else None


def _fact_decl(analysis: Analysis, dotted: str):
    for layer in analysis.layers:
        for decl in layer.syntax.declarations:
            if isinstance(decl, n.FactDecl) and decl.dotted == dotted:
                return decl
    return None


def _member_hover(analysis: Analysis, found: Occurrence) -> str | None:
    for layer in analysis.layers:
        for decl in layer.syntax.declarations:
            if isinstance(decl, n.EnumDecl) and found.name in decl.members:
                return (f"`{found.name}`: a member of the enumeration `{decl.name}` "
                        f"({', '.join(decl.members)})")
    return None


def _subject_hover(analysis: Analysis, found: Occurrence) -> str | None:
    schema = analysis.library.schema if analysis.library is not None else None
    subject = schema.subjects.get(found.name) if schema is not None else None
    if subject is None:
        return f"`{found.name}`: a name bound by its declaration (`for`, or `every`/`any`/`count`/`sum`)"
    fields = ", ".join(name for name, _ in subject.record.fields)
    return (f"**subject** `{found.name}`: {'each ' if subject.each else ''}"
            f"`{'.'.join(subject.path)}`\n\nfacts: {fields}")


def _text(analysis: Analysis, node) -> str:
    span = getattr(node, "span", None)
    source = analysis.sources.get(span.file) if span is not None else None
    if source is None:
        return show_literal(node) if node is not None else "?"
    return " ".join(source.text[span.start:span.end].split())


# ------------------------------------------------- definitions, references

def definition(analysis: Analysis, line: int, column: int) -> list[lsp.Location]:
    found = analysis.at(line, column)
    if found is None:
        return []
    kind = "term" if found.kind == "value" else found.kind
    declared = analysis.declarations_of(found.name, kind)
    if kind == "term" and analysis.library is not None:
        national = [d for d in declared if _is_national(analysis, d.span.file)]
        declared = national or declared
    if kind == "subject" and not declared:
        return []
    return [lsp.Location(uri_of(d.span.file), lsp_range(d.span)) for d in declared]


def _is_national(analysis: Analysis, file: str) -> bool:
    return any(l.file == file and not l.is_local for l in analysis.layers)


def references(analysis: Analysis, line: int, column: int, include_declaration: bool) -> list[lsp.Location]:
    found = analysis.at(line, column)
    if found is None:
        return []
    return [lsp.Location(uri_of(o.span.file), lsp_range(o.span))
            for o in analysis.uses_of(found.name, found.kind)
            if include_declaration or not o.declares]


# ------------------------------------------------------------- symbols

_SYMBOL_KINDS = {n.ParameterDecl: lsp.SymbolKind.Constant, n.TableDecl: lsp.SymbolKind.Struct,
                 n.DefineDecl: lsp.SymbolKind.Function, n.RequirementDecl: lsp.SymbolKind.Event,
                 n.EnumDecl: lsp.SymbolKind.Enum, n.FactDecl: lsp.SymbolKind.Field,
                 n.SubjectDecl: lsp.SymbolKind.Class, n.VaryDecl: lsp.SymbolKind.Property,
                 n.WaiveDecl: lsp.SymbolKind.Property, n.ReplaceDecl: lsp.SymbolKind.Event,
                 n.AddRequirementDecl: lsp.SymbolKind.Event, n.AddRowDecl: lsp.SymbolKind.Property,
                 n.RetireDecl: lsp.SymbolKind.Property, n.ReplaceValueDecl: lsp.SymbolKind.Property,
                 n.AllowDecl: lsp.SymbolKind.Key}


def symbols(analysis: Analysis) -> list[lsp.DocumentSymbol]:
    layer = analysis.layer
    if layer is None:
        return []
    own = [o for o in analysis.occurrences if o.span.file == analysis.path and o.node is not None]
    out = []
    for decl in layer.syntax.declarations:
        label, detail = symbol_name(decl)
        named = next((o.span for o in own if o.node is decl), decl.span)
        out.append(lsp.DocumentSymbol(name=label, kind=_SYMBOL_KINDS.get(type(decl), lsp.SymbolKind.Object),
                                      range=lsp_range(decl.span), selection_range=lsp_range(named),
                                      detail=detail))
    return out


#: How the outline names each declaration, and what it calls it.
_SYMBOL_NAMES = {
    n.ParameterDecl: lambda d: (d.name, "parameter"), n.TableDecl: lambda d: (d.name, "table"),
    n.DefineDecl: lambda d: (d.name, "define"), n.EnumDecl: lambda d: (d.name, "enum"),
    n.SubjectDecl: lambda d: (d.name, "subject"), n.RequirementDecl: lambda d: (d.id, "requirement"),
    n.FactDecl: lambda d: (d.dotted, "fact"), n.VaryDecl: lambda d: (f"vary {d.name}", "vary"),
    n.WaiveDecl: lambda d: (f"waive {d.id}", "waive"),
    n.ReplaceDecl: lambda d: (f"replace requirement {d.requirement.id}", "replace"),
    n.AddRequirementDecl: lambda d: (d.requirement.id, "add requirement"),
    n.AddRowDecl: lambda d: (f"add to {d.table}", "add row"),
    n.RetireDecl: lambda d: (f"retire {d.table}", "retire"),
    n.ReplaceValueDecl: lambda d: (f"replace value {d.name}", "replace value"),
    n.AllowDecl: lambda d: (f"allow {d.kind}" + (f" {d.target}" if d.target else ""), "allow"),
    n.PopulationDecl: lambda d: (d.name, "population"),
}


def symbol_name(decl) -> tuple[str, str]:
    """(name, what it is) of a declaration, as the outline shows it."""
    name = _SYMBOL_NAMES.get(type(decl))
    return name(decl) if name is not None else (type(decl).__name__, "")


# ---------------------------------------------------- formatting, actions

def formatting(path: str, text: str) -> list[lsp.TextEdit] | None:
    """The whole document laid out by `fmt`; None when it does not parse
    (fmt formats nothing then, and the diagnostics say why)."""
    formatted, problems = format_source(SourceFile(path, text))
    if problems:
        return None
    if formatted == text:
        return []
    lines = text.split("\n")
    end = lsp.Position(len(lines) - 1, len(lines[-1]))
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), formatted)]


def code_actions(uri: str, diagnostics: list[lsp.Diagnostic]) -> list[lsp.CodeAction]:
    """The fixes the diagnostics carry (slips and lint warnings), as edits."""
    actions = []
    for diagnostic in diagnostics:
        data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
        for fix in data.get("fixes") or ():
            try:
                start, end = fix["range"]["start"], fix["range"]["end"]
                edit = lsp.TextEdit(lsp.Range(lsp.Position(int(start["line"]), int(start["character"])),
                                              lsp.Position(int(end["line"]), int(end["character"]))),
                                    str(fix["text"]))
            except (KeyError, TypeError, ValueError):
                continue
            actions.append(lsp.CodeAction(title=str(fix.get("title") or "fix"),
                                          kind=lsp.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                                          edit=lsp.WorkspaceEdit(changes={uri: [edit]}),
                                          is_preferred=True))
    return actions
