// Starts `contract-rules lsp` (the command and arguments from the settings)
// for .rules files, over stdio.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const settings = vscode.workspace.getConfiguration("contractRules");
  const command = settings.get("server.command", "contract-rules");
  const args = settings.get("server.args", ["lsp"]);
  const server = { command, args, transport: TransportKind.stdio };
  client = new LanguageClient(
    "contractRules",
    "contract-rules",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "contract-rules" },
                         { scheme: "untitled", language: "contract-rules" }],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.rules") },
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
