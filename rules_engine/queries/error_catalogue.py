"""The error catalogue: what each diagnostic code means, an example that
triggers it, and how to fix it.

Input: `rules_engine/errors/<CODE>.yaml`, one file per code in
`diagnostics.CODES`, shipped in the wheel:

    fix: |
      How to fix it, saying what would be valid.
    example:
      files:                        # written into an empty temporary folder
        proposal.rules: |
          local layer x "X" for icb QXX extends network_des
      run: [lint, proposal.rules]   # contract-rules arguments, run in that folder
      exit: 2                       # optional; 2 (invalid input) by default
      ulimit_f: 4                   # optional: run under `ulimit -f 4` (KiB), in a process of its own

Output: typed `Entry` records (`entry(code)`, `entries()`); `run_example`
runs an entry's example through the command line in a temporary folder and
returns what it printed, normalised so that it is the same on every machine;
`Section` is one code's part of docs/errors.md, rendered as Markdown for the
document or as plain text for `contract-rules explain-error CODE`.

A malformed entry is a bug in the package, not a user error: it raises
`CatalogueError`. docs/errors.md is written by the development command

    python -m tools.error_catalogue --write docs/errors.md

and a test fails when it is stale. Nothing here runs on the way to a check.

>>> entry("E-LAYER-002").meaning
'variation of a locked term'
>>> entry("E-LAYER-002").example.run[0]
'lint'
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import textwrap
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import attrs

from rules_engine.base.diagnostics import CODES, did_you_mean

PACKAGE = "rules_engine"
FOLDER = "errors"
DOCUMENT = "docs/errors.md"
WRITE_COMMAND = f"python -m tools.error_catalogue --write {DOCUMENT}"


class CatalogueError(ValueError):
    """An entry file that is missing or not in the catalogue's format."""


@attrs.frozen
class ExampleFile:
    """One file of an example, written into the example's folder.

    A lone surrogate in `text` ("\\udce9") stands for the one byte it escapes
    (0xE9), so that an example can hold bytes that are not UTF-8."""

    name: str
    text: str

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8", "surrogateescape")

    @property
    def shown(self) -> str:
        """The text for a reader: bytes that are not UTF-8 shown as `\\xE9`."""
        return _shown(self.text)

    @property
    def language(self) -> str:
        """The Markdown fence language for the file's kind."""
        suffix = PurePosixPath(self.name).suffix
        return {".rules": "text", ".yaml": "yaml", ".yml": "yaml", ".json": "json",
                ".jsonl": "json"}.get(suffix, "text")


@attrs.frozen
class Example:
    """Files and the `contract-rules` arguments that make the code appear."""

    files: tuple[ExampleFile, ...]
    run: tuple[str, ...]
    exit: int = 2
    ulimit_f: int | None = None  # a file-size limit in KiB, as `ulimit -f` (a failed write)

    @property
    def command(self) -> str:
        command = "contract-rules " + " ".join(_shell_word(a) for a in self.run)
        return f"(ulimit -f {self.ulimit_f}; {command})" if self.ulimit_f else command


@attrs.frozen
class Entry:
    """One code's catalogue entry."""

    code: str
    meaning: str
    fix: str
    example: Example


@attrs.frozen
class Captured:
    """What an example printed, with the temporary folder's path taken out."""

    exit: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """Everything printed, standard output first (diagnostics go to stderr)."""
        return self.stdout + self.stderr


@attrs.frozen
class Section:
    """One code's section of docs/errors.md."""

    entry: Entry
    captured: Captured

    def markdown(self) -> str:
        entry, example = self.entry, self.entry.example
        lines = [f"## {entry.code}", "", f"**{_sentence(entry.meaning)}**", ""]
        for file in example.files:
            lines += [f"`{file.name}`:", "", f"```{file.language}", file.shown.rstrip("\n"), "```", ""]
        lines += [f"{_where(example)} (exit {self.captured.exit}):", "",
                  "```sh", example.command, "```", "", "prints:", "",
                  "```text", self.captured.output.rstrip("\n"), "```", "",
                  f"**How to fix it.** {_paragraph(entry.fix)}", ""]
        return "\n".join(lines)

    def text(self) -> str:
        entry, example = self.entry, self.entry.example
        lines = [f"{entry.code}: {entry.meaning}", ""]
        for file in example.files:
            lines += [f"Example, {file.name}:", _indent(file.shown), ""]
        lines += [f"{_where(example)} (exit {self.captured.exit}):", _indent(example.command), "",
                  "It prints:", _indent(self.captured.output), "",
                  "How to fix it:", _indent(textwrap.fill(_paragraph(entry.fix), 92)), ""]
        return "\n".join(lines)


def _where(example: Example) -> str:
    if not example.files:
        return "Run"
    return "Run in the folder holding " + ("it" if len(example.files) == 1 else "them")


def _shown(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _paragraph(text: str) -> str:
    return " ".join(text.split())


def _indent(text: str) -> str:
    return "\n".join(("    " + line).rstrip() for line in text.rstrip("\n").split("\n"))


def _shell_word(word: str) -> str:
    safe = all(c.isalnum() or c in "-_./=:,@%+" for c in word) and word
    return word if safe else "'" + word.replace("'", "'\\''") + "'"


# ------------------------------------------------------------------ loading

def _folder():
    return resources.files(PACKAGE).joinpath(FOLDER)


def entry_codes() -> list[str]:
    """The codes that have an entry file, sorted."""
    folder = _folder()
    if not folder.is_dir():
        return []
    return sorted(e.name[:-len(".yaml")] for e in folder.iterdir() if e.name.endswith(".yaml"))


def entry(code: str) -> Entry:
    """The entry for one registered code; raises CatalogueError."""
    if code not in CODES:
        raise CatalogueError(f"{code} is not a registered diagnostic code")
    file = _folder().joinpath(f"{code}.yaml")
    if not file.is_file():
        raise CatalogueError(f"{code} has no entry: add rules_engine/{FOLDER}/{code}.yaml")
    return _parse_entry(code, file.read_text(encoding="utf-8"))


def entries() -> list[Entry]:
    """Every registered code's entry, in the order of `CODES`."""
    return [entry(code) for code in CODES]


def _parse_entry(code: str, text: str) -> Entry:
    from ruamel.yaml import YAML  # here, not at the top: start-up (only this path needs it)
    from ruamel.yaml.error import YAMLError  # here, not at the top: start-up (only this path needs it)

    where = f"rules_engine/{FOLDER}/{code}.yaml"
    try:
        document = YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        raise CatalogueError(f"{where} is not valid YAML: {error}") from None
    if not isinstance(document, dict) or set(document) - {"fix", "example"}:
        raise CatalogueError(f"{where} must be a mapping with `fix` and `example`")
    fix, example = document.get("fix"), document.get("example")
    if not isinstance(fix, str) or not fix.strip():
        raise CatalogueError(f"{where}: `fix` must say how to fix it")
    if not isinstance(example, dict) or set(example) - {"files", "run", "exit", "ulimit_f"}:
        raise CatalogueError(f"{where}: `example` must be a mapping with `files`, `run` and maybe "
                             f"`exit` and `ulimit_f`")
    files = example.get("files") or {}
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in files.items()):
        raise CatalogueError(f"{where}: `example.files` must map file names to their text")
    for name in files:
        parts = PurePosixPath(name).parts
        if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
            raise CatalogueError(f"{where}: `{name}` must be a relative path inside the example's folder")
    run = example.get("run")
    if not isinstance(run, list) or not run or not all(isinstance(a, str) for a in run):
        raise CatalogueError(f"{where}: `example.run` must be a list of contract-rules arguments")
    exit_code = example.get("exit", 2)
    if not isinstance(exit_code, int) or isinstance(exit_code, bool):
        raise CatalogueError(f"{where}: `example.exit` must be a whole number")
    ulimit_f = example.get("ulimit_f")
    if ulimit_f is not None and (not isinstance(ulimit_f, int) or isinstance(ulimit_f, bool)
                                 or ulimit_f < 1):
        raise CatalogueError(f"{where}: `example.ulimit_f` must be a whole number of KiB")
    return Entry(code, CODES[code], fix,
                 Example(tuple(ExampleFile(k, v) for k, v in files.items()), tuple(run), exit_code,
                         ulimit_f))


# ------------------------------------------------------------------ running

@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def _columns(width: int):
    """Text reports wrapped at `width` whatever terminal runs the catalogue."""
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def run_example(example: Example, main: Callable[[list[str]], int]) -> Captured:
    """Write the example's files into a fresh folder and run its command there,
    in this process, through the command line's `main(argv)` (passed in: the
    catalogue sits below the command line that shows it)."""
    with tempfile.TemporaryDirectory(prefix="contract-rules-example-") as folder:
        root = Path(folder)
        for file in example.files:
            target = root / file.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.data)
        if example.ulimit_f:
            code, out, err = _run_limited(example, root)
        else:
            stdout, stderr = io.StringIO(), io.StringIO()
            with _working_directory(root), _columns(80), contextlib.redirect_stdout(stdout), \
                    contextlib.redirect_stderr(stderr):
                code = main(list(example.run))
            out, err = stdout.getvalue(), stderr.getvalue()
        places = sorted({folder, str(root.resolve())}, key=len, reverse=True)
    return Captured(code, _normalise(out, places), _normalise(err, places))


def _run_limited(example: Example, root: Path) -> tuple[int, str, str]:
    """The example in a process of its own under a file-size limit (a limit
    set in this process would also stop this process's own writes)."""
    import resource  # here, not at the top: start-up (only this path needs it)
    import subprocess  # here, not at the top: start-up (only this path needs it)

    limit = example.ulimit_f * 1024

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    done = subprocess.run([sys.executable, "-m", "rules_engine", *example.run], cwd=root,
                          capture_output=True, text=True, timeout=300, preexec_fn=apply,
                          env={**os.environ, "COLUMNS": "80"})
    return done.returncode, done.stdout, done.stderr


def _normalise(text: str, places: list[str]) -> str:
    """The output as on any machine: the temporary folder's path taken out."""
    for place in places:
        text = text.replace(place + os.sep, "").replace(place, ".")
    return _shown(text)


def section(code: str, main: Callable[[list[str]], int]) -> Section:
    """One code's section, with its example run now through `main`."""
    found = entry(code)
    return Section(found, run_example(found.example, main))


# ------------------------------------------------------------ the document

INTRODUCTION = """\
# Error catalogue

Every diagnostic `contract-rules` prints has a stable code, shown as
`file:line:col: error[CODE]: message`. This page has one section per code:
what it means, a minimal example that makes it appear, the command, what that
command prints, and how to fix it. `contract-rules explain-error CODE` prints
the same section in the terminal.

Exit codes: 0 all pass, 1 a requirement fails, 2 the input is invalid.

<!-- Generated from rules_engine/base/diagnostics.py (CODES) and rules_engine/errors/*.yaml
     by `{command}`; do not edit by hand. -->

"""


def render_document(sections: list[Section], without_entry: list[str] = ()) -> str:
    """docs/errors.md: an index, one section per code, then the registered
    codes that have no entry yet (none, once the catalogue is complete)."""
    index = [f"- [{s.entry.code}](#{s.entry.code.lower()}): {s.entry.meaning}" for s in sections]
    body = "\n".join(s.markdown() for s in sections)
    text = INTRODUCTION.format(command=WRITE_COMMAND) + "\n".join(index) + "\n\n" + body
    if without_entry:
        text += "\n## Codes without an entry yet\n\n" + "".join(
            f"- {code}: {CODES[code]}\n" for code in without_entry)
    return text


def codes_without_entry() -> list[str]:
    have = set(entry_codes())
    return [code for code in CODES if code not in have]


def document(main: Callable[[list[str]], int]) -> str:
    """docs/errors.md as it should be now (runs every example through `main`)."""
    have = set(entry_codes())
    return render_document([section(code, main) for code in CODES if code in have], codes_without_entry())


def unknown_code_message(code: str) -> str:
    hint = did_you_mean(code.upper(), CODES)
    return f"no diagnostic code `{code}`" + (f"; {hint}" if hint else "; codes look like E-LAYER-002")
