"""The project's settings for scenarios: the `[tool.contract-rules]` table of pyproject.toml.

    [tool.contract-rules]
    scenarios = ["tests/scenarios", "ops/scenarios"]   # folders the pytest plugin collects
                                                        # (and `contract-rules test` runs without PATH)
    assumptions = "examples/assumptions/2025-26.yaml"  # the default of --assumptions

Paths are relative to the pyproject.toml. `find_settings` looks for the file
in the folder given and the folders above it; no file, or no table, gives
the defaults (`tests/scenarios`, no assumptions). A table that is not valid
TOML, an unknown key or a value of the wrong kind is E-CONFIG-001 at its line
and column, with what would be valid.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import attrs

from rules_engine.base.diagnostics import Diagnostic, InvalidInput, did_you_mean
from rules_engine.base.source import SourceFile

TABLE = "contract-rules"
KEYS = {"scenarios": "a list of folders (or files) of scenario files, relative to pyproject.toml",
        "assumptions": "a file of assumed figures (YAML or JSON), relative to pyproject.toml"}
DEFAULT_SCENARIOS = ("tests/scenarios",)


@attrs.frozen
class Settings:
    root: Path  # the folder of the pyproject.toml (or the one searched from)
    scenarios: tuple[Path, ...]
    assumptions: Path | None = None
    file: Path | None = None  # the pyproject.toml read, if any
    configured: bool = False  # whether it has a [tool.contract-rules] table


def find_settings(start: str | Path = ".") -> Settings:
    """The settings of the project `start` is in; raises InvalidInput (E-CONFIG-001)."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return read_settings(candidate)
    return Settings(start, tuple(start / p for p in DEFAULT_SCENARIOS))


def read_settings(path: Path) -> Settings:
    root = path.parent
    defaults = Settings(root, tuple(root / p for p in DEFAULT_SCENARIOS), file=path)
    text = path.read_text(encoding="utf-8", errors="replace")
    source = SourceFile(str(path), text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        last = len(text.rstrip("\n").split("\n"))  # "at end of document": the last line
        line, column = (int(found.group(1)), int(found.group(2))) if found else (last + 1, 1)
        raise InvalidInput([_problem(source, line, column, f"pyproject.toml is not valid TOML: "
                                     f"{str(error).split(' (at')[0]}",
                                     "fix the TOML; the table is `[tool.contract-rules]`")]) from None
    table = data.get("tool", {}).get(TABLE)
    if table is None:
        return defaults
    if not isinstance(table, dict):
        raise InvalidInput([_at_key(source, TABLE, f"`tool.{TABLE}` must be a table",
                                    "write it as `[tool.contract-rules]` with keys under it")])
    problems = []
    for key in table:
        if key not in KEYS:
            near = did_you_mean(key, KEYS)
            problems.append(_at_key(source, key, f"unknown key `{key}` in [tool.{TABLE}]",
                                    (near + " " if near else "") + "keys: " + "; ".join(
                                        f"`{k}`: {v}" for k, v in KEYS.items())))
    scenarios = table.get("scenarios", list(DEFAULT_SCENARIOS))
    if isinstance(scenarios, str):
        scenarios = [scenarios]
    if not isinstance(scenarios, list) or not all(isinstance(s, str) and s for s in scenarios):
        problems.append(_at_key(source, "scenarios", "`scenarios` must be a list of folder names",
                                'write `scenarios = ["tests/scenarios"]`'))
    assumptions = table.get("assumptions")
    if assumptions is not None and not (isinstance(assumptions, str) and assumptions):
        problems.append(_at_key(source, "assumptions", "`assumptions` must be a file name",
                                'write `assumptions = "examples/assumptions/2025-26.yaml"`'))
    elif assumptions is not None and not (root / assumptions).is_file():
        problems.append(_at_key(source, "assumptions", f"`assumptions`: {assumptions} is not a file",
                                "name a YAML or JSON file of assumed figures, relative to pyproject.toml"))
    if problems:
        raise InvalidInput(problems)
    return Settings(root, tuple(root / s for s in scenarios),
                    root / assumptions if assumptions else None, path, True)


def _at_key(source: SourceFile, key: str, message: str, hint: str) -> Diagnostic:
    """A problem at the line of `key =` inside the table (or the table's header)."""
    lines = source.text.split("\n")
    inside, header = False, 1
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("["):
            inside = stripped.replace(" ", "") in (f"[tool.{TABLE}]", f'[tool."{TABLE}"]')
            header = number if inside else header
            continue
        if inside and re.match(rf'"?{re.escape(key)}"?\s*=', stripped):
            return _problem(source, number, line.index(stripped[0]) + 1, message, hint, len(key))
    return _problem(source, header, 1, message, hint)


def _problem(source: SourceFile, line: int, column: int, message: str, hint: str, width: int = 1) -> Diagnostic:
    return Diagnostic("E-CONFIG-001", message, source.span_at(line, column, width), hint=hint)
