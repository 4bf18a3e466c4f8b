"""`contract-rules lsp`: the language server, over standard input and output (pygls).

It keeps the text of every open document, analyses a document's library
when the document opens or changes (`analysis.analyse`), and publishes the
command line's diagnostics for each file of it that has any (clearing them
where they went away). Requests are answered from the latest analysis of
their document: hover, go to definition, find references, completion,
document symbols, formatting (`fmt`) and code actions (the fixes slips and
lint warnings carry). A request the server cannot answer (a half-typed file,
a position in a comment) gets an empty answer; an error in the server's own
code is logged to the client and answered empty, and the server goes on.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from rules_engine.base.version import version
from rules_engine.lsp import features
from rules_engine.lsp.analysis import Analysis, analyse
from rules_engine.lsp.completion import complete
from rules_engine.lsp.locations import path_of, uri_of

log = logging.getLogger(__name__)


class RulesServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("contract-rules", version(), text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
        self.texts: dict[str, str] = {}  # path -> the open document's text
        self.analyses: dict[str, Analysis] = {}  # path -> the analysis of its current text
        self.published: dict[str, set[str]] = {}  # path -> the files it published diagnostics for

    # -- documents -------------------------------------------------------------

    def path(self, uri: str) -> str:
        path = path_of(uri)
        return str(Path(path).resolve()) if uri.startswith("file:") else path

    def analysis(self, uri: str) -> Analysis | None:
        path = self.path(uri)
        if path not in self.texts:
            try:
                self.texts[path] = self.workspace.get_text_document(uri).source
            except Exception:  # noqa: BLE001 - a document the client never opened
                return None
        found = self.analyses.get(path)
        if found is None or found.source.text != self.texts[path]:
            found = self.analyses[path] = analyse(path, self.texts)
        return found

    def changed(self, uri: str, text: str) -> None:
        path = self.path(uri)
        self.texts[path] = text
        self.analyses.pop(path, None)
        analysis = self.analysis(uri)
        if analysis is not None:
            self.publish(path, analysis)

    def publish(self, path: str, analysis: Analysis) -> None:
        by_file: dict[str, list] = {path: []}
        for diagnostic in analysis.diagnostics:
            file = diagnostic.span.file if diagnostic.span is not None else path
            if file not in analysis.sources:
                file = path
            by_file.setdefault(file, []).append(features.to_lsp(diagnostic, analysis.sources))
        for file in self.published.get(path, set()) - set(by_file):
            by_file[file] = []  # cleared: its problems went away
        self.published[path] = {f for f, found in by_file.items() if found}
        for file, found in by_file.items():
            uri = uri_of(file) if file != path else _uri(path)
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=found))


def _uri(path: str) -> str:
    return Path(path).as_uri() if Path(path).is_absolute() else path


server = RulesServer()


def _safe(default):
    """A handler that answers `default` rather than fail on the server's own error."""
    def wrap(function):
        def handler(ls: RulesServer, params):
            try:
                return function(ls, params)
            except Exception:  # noqa: BLE001 - the server keeps serving; the client sees the log
                ls.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, traceback.format_exc()))
                return default
        handler.__name__ = function.__name__
        return handler
    return wrap


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
@_safe(None)
def did_open(ls: RulesServer, params: lsp.DidOpenTextDocumentParams):
    ls.changed(params.text_document.uri, params.text_document.text)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
@_safe(None)
def did_change(ls: RulesServer, params: lsp.DidChangeTextDocumentParams):
    ls.changed(params.text_document.uri, ls.workspace.get_text_document(params.text_document.uri).source)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
@_safe(None)
def did_save(ls: RulesServer, params: lsp.DidSaveTextDocumentParams):
    ls.changed(params.text_document.uri, ls.workspace.get_text_document(params.text_document.uri).source)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
@_safe(None)
def did_close(ls: RulesServer, params: lsp.DidCloseTextDocumentParams):
    path = ls.path(params.text_document.uri)
    ls.texts.pop(path, None)
    ls.analyses.pop(path, None)


def _at(ls: RulesServer, params):
    analysis = ls.analysis(params.text_document.uri)
    return analysis, params.position.line + 1, params.position.character + 1


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
@_safe(None)
def hover(ls: RulesServer, params: lsp.HoverParams):
    analysis, line, column = _at(ls, params)
    return features.hover(analysis, line, column) if analysis is not None else None


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
@_safe([])
def definition(ls: RulesServer, params: lsp.DefinitionParams):
    analysis, line, column = _at(ls, params)
    return features.definition(analysis, line, column) if analysis is not None else []


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
@_safe([])
def references(ls: RulesServer, params: lsp.ReferenceParams):
    analysis, line, column = _at(ls, params)
    if analysis is None:
        return []
    return features.references(analysis, line, column, params.context.include_declaration)


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[".", " "]))
@_safe([])
def completion(ls: RulesServer, params: lsp.CompletionParams):
    analysis, line, column = _at(ls, params)
    if analysis is None:
        return []
    return complete(analysis, analysis.source.text, line, column)


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
@_safe([])
def document_symbol(ls: RulesServer, params: lsp.DocumentSymbolParams):
    analysis = ls.analysis(params.text_document.uri)
    return features.symbols(analysis) if analysis is not None else []


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
@_safe(None)
def formatting(ls: RulesServer, params: lsp.DocumentFormattingParams):
    document = ls.workspace.get_text_document(params.text_document.uri)
    return features.formatting(ls.path(params.text_document.uri), document.source)


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
@_safe([])
def code_action(ls: RulesServer, params: lsp.CodeActionParams):
    return features.code_actions(params.text_document.uri, list(params.context.diagnostics))


def serve() -> None:
    """Serve one client over standard input and output until it exits."""
    logging.basicConfig(level=logging.WARNING)
    server.start_io()
