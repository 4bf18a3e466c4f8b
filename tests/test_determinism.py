"""Determinism (issue 9, build item 4): text, JSON and HTML outputs are
byte-identical across processes, PYTHONHASHSEED values (0, 1, random) and
--jobs settings.

Each process below runs every command of `COMMANDS` through `main`, in its
own interpreter with its own hash seed; the outputs and exit codes of all of
them must equal the first's, byte for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.yaml"))
POPULATION = "examples/population-qmm.jsonl"
LOCAL = "contracts/local/qmm.rules"
FORMATS = ("text", "json", "html")


def commands(jobs: str) -> dict[str, list[str]]:
    found = {}
    for output in FORMATS:
        found[f"check-examples.{output}"] = ["check", *EXAMPLES, "--format", output]
        found[f"check-population.{output}"] = ["check", "--population", POPULATION, "--jobs", jobs,
                                               "--format", output]
        found[f"impact.{output}"] = ["impact", "--population", POPULATION, "--variation", LOCAL,
                                     "--jobs", jobs, "--format", output]
        found[f"vary-check.{output}"] = ["vary-check", LOCAL, "--format", output]
    return found


#: Runs `main` for each command with stdout and stderr captured, in one process.
DRIVER = """
import contextlib, io, json, sys
from rules_engine.cli import main
commands, folder = json.loads(sys.argv[1]), sys.argv[2]
codes = {}
for name, argv in commands.items():
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        codes[name] = main(argv)
    with open(f"{folder}/{name}", "w", encoding="utf-8") as handle:
        handle.write(out.getvalue() + "\\n--- stderr ---\\n" + err.getvalue())
with open(f"{folder}/exit-codes.json", "w") as handle:
    json.dump(codes, handle, sort_keys=True)
"""


def _outputs(tmp_path: Path, seed: str, jobs: str) -> dict[str, bytes]:
    folder = tmp_path / f"seed-{seed}-jobs-{jobs}"
    folder.mkdir()
    environment = {**os.environ, "PYTHONHASHSEED": seed, "COLUMNS": "100"}
    subprocess.run([sys.executable, "-c", DRIVER, json.dumps(commands(jobs)), str(folder)],
                   cwd=ROOT, env=environment, check=True, timeout=600)
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.mark.slow
def test_outputs_are_byte_identical_across_hash_seeds_and_jobs(tmp_path):
    runs = [("0", "1"), ("1", "2"), ("random", "2"), ("random", "1")]
    first = _outputs(tmp_path, *runs[0])
    assert len(first) == len(commands("1")) + 1
    codes = json.loads(first["exit-codes.json"])
    assert codes["check-population.json"] == 1 and codes["vary-check.json"] in (0, 2)
    for name in ("check-population.json", "impact.json"):
        *rows, summary = first[name].decode().split("\n--- stderr ---\n")[0].splitlines()
        assert json.loads(summary)["summary"]["arrangements"] == 22  # the whole file was run
    for seed, jobs in runs[1:]:
        other = _outputs(tmp_path, seed, jobs)
        different = [name for name in first if other.get(name) != first[name]]
        assert not different, f"PYTHONHASHSEED={seed} --jobs {jobs} differs in {different}"
