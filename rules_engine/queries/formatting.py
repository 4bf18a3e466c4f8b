"""`fmt`: rule files laid out canonically (`syntax.formatter`), as data the command line renders.

Input: paths (rule files, folders of them, walked recursively, or `-`).
Output: one `Formatted` per file (its text before and after, and the unified
diff); `write_formatted` replaces the changed files one by one (a temporary
file, then a rename) and says, when a write fails, which were reformatted
before it and which were not reached (E-WRITE-001). A file that does not
parse is formatted to nothing: its diagnostics are returned, the others go on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

import attrs

from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related
from rules_engine.io.outputs import write_text
from rules_engine.static.library import read_sources, rule_files_below
from rules_engine.syntax.formatter import format_source, unified_diff


@attrs.frozen
class Formatted:
    path: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def diff(self) -> str:
        return unified_diff(self.path, self.before, self.after)


def format_paths(paths: Iterable[str | Path]) -> tuple[list[Formatted], list[Diagnostic]]:
    """Every file formatted, and the diagnostics of those that do not parse."""
    results, problems = [], []
    for source in read_sources(rule_files_below(paths)):
        formatted, diagnostics = format_source(source)
        if diagnostics:
            problems += diagnostics
        else:
            results.append(Formatted(source.path, source.text, formatted))
    return results, problems


def write_formatted(changed: list[Formatted], problems: list[Diagnostic] = ()) -> Iterator[str]:
    """Replace each changed file, yielding its path once written; a failed
    write raises InvalidInput (with `problems`, the files that did not parse)."""
    written: list[str] = []
    for index, result in enumerate(changed):
        try:
            write_text(result.path, result.after)
        except OSError as error:
            raise InvalidInput(list(problems) + [_write_failed(
                result.path, error, written, [r.path for r in changed[index + 1:]])]) from None
        written.append(result.path)
        yield result.path


def _write_failed(path: str, error: OSError, written: list[str], left: list[str]) -> Diagnostic:
    """E-WRITE-001 for a file `fmt` could not replace: it is unchanged; which
    files were reformatted before the error, and which were not reached."""
    notes = [f"{path} is unchanged"]
    if written:
        notes.append("reformatted before the error: " + ", ".join(written))
    if left:
        notes.append("not reached: " + ", ".join(left))
    return Diagnostic("E-WRITE-001", f"cannot write {path}: {error.strerror or error}", None, path=path,
                      related=tuple(Related(None, note) for note in notes),
                      hint="free space on the disk, or raise the file-size limit (`ulimit -f`), "
                           "and run fmt again")
