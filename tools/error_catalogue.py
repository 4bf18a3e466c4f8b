"""Writes docs/errors.md from the error catalogue (a development command,
outside the wheel): every entry's example run through the command line.

    python -m tools.error_catalogue --write docs/errors.md
    python -m tools.error_catalogue --check docs/errors.md   # exit 1 if stale
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rules_engine.cli import main as cli_main
from rules_engine.queries.error_catalogue import CODES, WRITE_COMMAND, codes_without_entry, document


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    """`--write PATH` writes the document; `--check PATH` exits 1 if it is stale."""
    parser = argparse.ArgumentParser(prog="python -m tools.error_catalogue")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", metavar="PATH", type=Path)
    group.add_argument("--check", metavar="PATH", type=Path)
    options = parser.parse_args(argv)
    text = document(cli_main)
    if options.write is not None:
        _write(options.write, text)
        missing = codes_without_entry()
        print(f"wrote {options.write}: {len(CODES) - len(missing)} codes with an entry, {len(missing)} without")
        return 0
    current = options.check.read_text(encoding="utf-8") if options.check.exists() else ""
    if current != text:
        print(f"{options.check} is stale; run `{WRITE_COMMAND}`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
