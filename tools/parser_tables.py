"""The analysed grammar shipped with the package: grammar/rules.tables.json.

Building the LALR tables from grammar/rules.lark costs some 0.4 s of CPU,
which a first run (an empty cache) would otherwise pay before it parses a
line. The tables are JSON data (`syntax.parser.stored_form`: never a pickle),
with a key (`syntax.parser.shipped_key`: the grammar, lark's version and the
parser's options); the parser uses them only when the key matches, and
builds the grammar otherwise. Regenerate them whenever the grammar changes:

    python -m tools.parser_tables --write     # rewrite the file
    python -m tools.parser_tables --check     # exit 1 if it is out of date

(tests/test_parser_tables.py fails, naming the first command, when the file
is out of date.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from rules_engine.syntax.parser import SHIPPED_TABLES, build, grammar_text, shipped_key, stored_form

ROOT = Path(__file__).resolve().parent.parent
TABLES = ROOT / "grammar" / (SHIPPED_TABLES or "rules.tables.json")


def current_key() -> str:
    return shipped_key(grammar_text())


def written_key(path: Path = TABLES) -> str | None:
    """The key of the tables file (read without loading the tables), or None."""
    try:
        with open(path, encoding="utf-8") as handle:
            head = handle.read(200)
    except OSError:
        return None
    prefix = '{"key":"'
    return head[len(prefix):len(prefix) + 64] if head.startswith(prefix) else None


def tables_text() -> str:
    value = stored_form(build())
    if value is None:
        sys.exit("this lark's parser holds more than JSON can say: nothing written")
    return json.dumps({"key": current_key(), **value}, separators=(",", ":"), ensure_ascii=True) + "\n"


def write(path: Path = TABLES) -> None:
    """The tables, written through a temporary file and a rename."""
    descriptor, temporary = tempfile.mkstemp(prefix=".rules.tables-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(tables_text())
        os.chmod(temporary, 0o644)  # package data, read by everyone (mkstemp makes 0600)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="rewrite grammar/rules.tables.json")
    group.add_argument("--check", action="store_true", help="exit 1 if it is out of date")
    args = parser.parse_args(argv)
    if args.check:
        if written_key() != current_key():
            print(f"{TABLES.relative_to(ROOT)} is out of date: python -m tools.parser_tables --write",
                  file=sys.stderr)
            return 1
        return 0
    write()
    print(f"wrote {TABLES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
