"""Every command in README.md's shell blocks runs as written, on a fresh copy
of the repository's examples, contracts, scenarios and tools, and exits as the README
says: 0, or the `# exit N` its comment gives. Only the install and the whole
test suite are skipped, and they are listed here. They run one after another
in one folder (the tour's later commands read what earlier ones wrote): a
plain `contract-rules ...` through the command line's `main(argv)` in this
process (a process each would take minutes on a busy machine), anything else
(a redirection, `python -m ...`) in a real shell with the installed
`contract-rules` and `python` first on PATH. About 20 seconds: slow."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

#: The README's commands that are not run here, and why: installing the
#: package (the test runs the installed one) and the whole suite (this test is in it).
SKIPPED = {"pip install -e .": "installs the package",
           "pip install -e '.[test]'": "installs the package and the test tools",
           "pytest": "the whole suite, this test among it"}

#: What the tour reads, copied fresh for each run.
COPIED = ("examples", "contracts", "tests/scenarios", "tools")


def shell_commands(text: str) -> list[tuple[int, str, int]]:
    """(line number, command, expected exit) for each command of each ```sh block;
    a line's comment may say `# exit N`. `a && b` gives a and b."""
    found, in_block = [], False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_block = not in_block and stripped in ("```sh", "```bash", "```shell")
            continue
        if not in_block or not stripped or stripped.startswith("#"):
            continue
        command, comment = (re.split(r"\s+#", stripped, maxsplit=1) + [""])[:2]
        expected = re.match(r"\s*exit (\d+)", comment or "")
        for part in command.split(" && "):
            found.append((number, part.strip(), int(expected.group(1)) if expected else 0))
    return found


def test_the_parser_reads_commands_comments_and_exits():
    text = ("```sh\nfoo a  # exit 2: why\n# a comment alone\n\nbar b && baz   # fine\n```\n"
            "```python\nnot_a_command()\n```\n")
    assert shell_commands(text) == [(2, "foo a", 2), (5, "bar b", 0), (5, "baz", 0)]


def _in_process(command: str) -> tuple[int, str, str]:
    from rules_engine.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(shlex.split(command)[1:])
    return code, out.getvalue(), err.getvalue()


def _in_a_shell(command: str, folder: Path, env: dict) -> tuple[int, str, str]:
    done = subprocess.run(["bash", "-c", command], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr


def _plain(command: str) -> bool:
    """A `contract-rules` command with nothing for a shell to do."""
    return command.startswith("contract-rules ") and not re.search(r"[<>|;&$`*?()]", command)


@pytest.mark.slow
def test_every_readme_command_runs_as_written(tmp_path, monkeypatch):
    commands = shell_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    skipped = {command for _, command, _ in commands if command in SKIPPED}
    assert skipped == set(SKIPPED), "the README no longer has these skipped commands: update SKIPPED"
    for folder in COPIED:
        shutil.copytree(ROOT / folder, tmp_path / folder)
    binaries = Path(sys.executable).parent
    assert (binaries / "contract-rules").exists()
    env = {**os.environ, "PATH": f"{binaries}{os.pathsep}{os.environ.get('PATH', '')}", "COLUMNS": "80"}
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "80")
    ran = shelled = 0
    for number, command, expected in commands:
        if command in SKIPPED:
            continue
        if _plain(command):
            code, out, err = _in_process(command)
        else:
            code, out, err = _in_a_shell(command, tmp_path, env)
            shelled += 1
        where = f"README.md:{number}: `{command}`"
        assert "Traceback" not in err, f"{where}\n{err}"
        assert code == expected, (f"{where} exited {code}, the README says {expected}\n"
                                  f"--- stdout\n{out[-3000:]}\n--- stderr\n{err[-3000:]}")
        assert out or err or "-o " in command, f"{where} printed nothing"
        ran += 1
    assert ran >= 30 and shelled >= 2  # `check - < FILE` and the generator, at least
    # what the tour says it writes
    assert (tmp_path / "report.html").read_text().startswith("<!doctype html>")
    assert (tmp_path / "population.html").read_text().startswith("<!doctype html>")
    assert (tmp_path / "qxx_proposal.rules").exists() and (tmp_path / "qxx_proposal.yaml").exists()
