"""A language client for the tests: the real server (`contract-rules lsp`) in
a subprocess, driven over stdio by pygls's client, with a synchronous face.

Notifications are handled by the server in the order sent, and it publishes
a document's diagnostics while handling its didOpen or didChange, so a
request sent after a change is answered after those diagnostics arrive.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient


class Session:
    """One server process and the client talking to it."""

    def __init__(self, root: Path):
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("contract-rules-tests", "1")
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self.logged: list[str] = []
        self.versions: dict[str, int] = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: lsp.PublishDiagnosticsParams):
            self.diagnostics[params.uri] = list(params.diagnostics)

        @self.client.feature(lsp.WINDOW_LOG_MESSAGE)
        def logged(params: lsp.LogMessageParams):
            self.logged.append(params.message)

        self.run(self.client.start_io(sys.executable, "-m", "rules_engine", "lsp"))
        self.initialized = self.run(self.client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=root.as_uri(), process_id=None)))
        self.client.initialized(lsp.InitializedParams())

    def run(self, coroutine, timeout: float = 60):
        return self.loop.run_until_complete(asyncio.wait_for(coroutine, timeout))

    # -- documents -------------------------------------------------------------

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        self.versions[uri] = 1
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(
            uri=uri, language_id="contract-rules", version=1,
            text=path.read_text(encoding="utf-8") if text is None else text)))
        self.symbols(uri)  # answered after the didOpen's diagnostics
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            [lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        self.symbols(uri)

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))

    # -- requests --------------------------------------------------------------

    def hover(self, uri: str, line: int, character: int):
        return self.run(self.client.text_document_hover_async(lsp.HoverParams(
            lsp.TextDocumentIdentifier(uri), lsp.Position(line, character))))

    def definition(self, uri: str, line: int, character: int):
        return self.run(self.client.text_document_definition_async(lsp.DefinitionParams(
            lsp.TextDocumentIdentifier(uri), lsp.Position(line, character))))

    def references(self, uri: str, line: int, character: int, declaration: bool = True):
        return self.run(self.client.text_document_references_async(lsp.ReferenceParams(
            context=lsp.ReferenceContext(include_declaration=declaration),
            text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(line, character))))

    def completion(self, uri: str, line: int, character: int) -> list[str]:
        found = self.run(self.client.text_document_completion_async(lsp.CompletionParams(
            lsp.TextDocumentIdentifier(uri), lsp.Position(line, character))))
        items = found.items if isinstance(found, lsp.CompletionList) else (found or [])
        return items

    def symbols(self, uri: str):
        return self.run(self.client.text_document_document_symbol_async(lsp.DocumentSymbolParams(
            lsp.TextDocumentIdentifier(uri))))

    def formatting(self, uri: str):
        return self.run(self.client.text_document_formatting_async(lsp.DocumentFormattingParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            options=lsp.FormattingOptions(tab_size=2, insert_spaces=True))))

    def code_actions(self, uri: str, diagnostics: list[lsp.Diagnostic]):
        where = diagnostics[0].range if diagnostics else lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        return self.run(self.client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri), range=where,
            context=lsp.CodeActionContext(diagnostics=diagnostics))))

    def alive(self) -> bool:
        """The server still answers (and has not exited)."""
        return self.client._server.returncode is None and self.symbols("file:///nowhere.rules") is not None

    def stop(self) -> None:
        try:
            self.run(self.client.shutdown_async(None), timeout=10)
            self.client.exit(None)
            self.run(self.client.stop(), timeout=10)
        finally:
            self.loop.close()


def position_of(text: str, needle: str, occurrence: int = 0, offset: int = 0) -> tuple[int, int]:
    """The 0-based (line, character) of `needle`'s `occurrence`-th appearance, plus `offset`."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    return line, at - (text.rfind("\n", 0, at) + 1)
