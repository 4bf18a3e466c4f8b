"""Fuzzing: no input, however broken, gets a traceback or a hang.

Generated rule programs (from the grammar itself) and mutations of every
shipped rule file, example arrangement, scenario file and population line go
through the command line's `main(argv)`. The property: the command succeeds
(exit 0, or 1 for failing requirements), or exits 2 with diagnostics that each
have a registered code and a span inside their file (or a field path). Any
exception escaping `main` fails the test, as a traceback would; an input that
takes longer than `fuzzing.TIME_LIMIT` seconds fails it as a hang.

The normal suite tries about seventy inputs, the same ones each run
(derandomised, so that a failure is the code's, not the draw's).
`CONTRACT_RULES_FUZZ=long pytest tests/test_fuzz.py --hypothesis-show-statistics`
tries more than 10,000 random ones (marked slow).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fuzzing import (ROOT, TIME_LIMIT, GrammarPrograms, assert_no_traceback, check_run, mutated, run_cli,
                     write_mutant)

LONG = os.environ.get("CONTRACT_RULES_FUZZ", "") == "long"

#: Inputs per test: (normal suite, long run). The long run's total is 10,500.
EXAMPLES = {
    "grammar": (14, 3000),
    "rules": (14, 2500),
    "arrangements": (16, 2200),
    "scenarios": (8, 1300),
    "population": (8, 1500),
}


def fuzz_settings(name: str):
    normal, long = EXAMPLES[name]
    # No shrinking: a mutant is shown as drawn (its labels say which file and
    # what text), and shrinking through the CLI would take minutes.
    return settings(max_examples=long if LONG else normal, derandomize=not LONG,
                    deadline=dt.timedelta(seconds=TIME_LIMIT * 1.5), database=None,
                    phases=(Phase.explicit, Phase.generate), print_blob=True, report_multiple_bugs=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


pytestmark = [pytest.mark.slow] if LONG else []

NATIONAL = sorted((ROOT / "contracts" / "national").glob("*.rules"))
LOCAL = sorted((ROOT / "contracts" / "local").glob("*.rules")) + \
    sorted((ROOT / "contracts" / "local" / "invalid").glob("*.rules"))
ARRANGEMENTS = sorted((ROOT / "examples").glob("*.yaml"))
SCENARIOS = sorted((ROOT / "tests" / "scenarios").rglob("*.yaml"))
POPULATION = ROOT / "examples" / "population-qmm.jsonl"
EXAMPLE = ROOT / "examples" / "pcn-passing.yaml"
QMM_EXAMPLE = ROOT / "examples" / "pcn-rural-qmm.yaml"


def _json_form(path: Path) -> str:
    """An example arrangement as JSON, for JSON's own kinds of breakage."""
    from ruamel.yaml import YAML
    document = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    return json.dumps(document, default=str, indent=1, ensure_ascii=False)


ARRANGEMENT_TEXTS = [(p.name, "yaml", p.read_text(encoding="utf-8")) for p in ARRANGEMENTS] + \
    [(p.with_suffix(".json").name, "json", _json_form(p)) for p in ARRANGEMENTS[:4]]


@pytest.fixture(scope="module")
def grammar_programs():
    return GrammarPrograms()


def workspace() -> Path:
    return Path(tempfile.mkdtemp(prefix="contract-rules-fuzz-"))


def national_library(folder: Path, replace: dict[str, str] | None = None) -> Path:
    """A library folder holding copies of the shipped national files."""
    (folder / "national").mkdir(parents=True, exist_ok=True)
    for path in NATIONAL:
        shutil.copy(path, folder / "national" / path.name)
    for name, text in (replace or {}).items():
        write_mutant(folder / "national" / name, text)
    return folder


# ------------------------------------------------------ generated programs

@given(data=st.data())
@fuzz_settings("grammar")
def test_programs_from_the_grammar(grammar_programs, data):
    program = data.draw(grammar_programs.strategy(), label="program")
    folder = workspace()
    try:
        local = program.startswith("local")
        if local:
            write_mutant(folder / "generated.rules", program)
            lint = run_cli(["lint", "--format", "json", "generated.rules"], folder)
        else:
            national_library(folder, {"generated.rules": program})
            lint = run_cli(["lint", "--format", "json", "."], folder)
        check_run(lint, folder, allowed=(0, 2))
        if lint.exit == 0:
            if local:
                argv = ["check", "--format", "json", "--local", "generated.rules", str(EXAMPLE)]
            else:
                argv = ["check", "--format", "json", "--rules", ".", str(EXAMPLE)]
            check_run(run_cli(argv, folder), folder, allowed=(0, 1, 2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def lints_clean(program: str) -> bool:
    folder = workspace()
    try:
        if program.startswith("local"):
            write_mutant(folder / "generated.rules", program)
            return run_cli(["lint", "generated.rules"], folder).exit == 0
        national_library(folder, {"generated.rules": program})
        return run_cli(["lint", "."], folder).exit == 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# national: every candidate is linted in a copy of the whole national library
# (12 s of CPU to find one); the fast tier finds a local one.
@pytest.mark.parametrize("header", ["local", pytest.param("national", marks=pytest.mark.slow)])
def test_the_grammar_walk_draws_programs_that_typecheck(grammar_programs, header):
    """The generator is not a toy: it draws programs that lint clean, of both
    kinds of layer with declarations, which then reach `check`."""
    from hypothesis import find
    # No shrinking: the first program found answers the question; shrinking
    # it linted some hundred more candidates (4.8 s of CPU against 0.6 s).
    found = find(grammar_programs.strategy(),
                 lambda text: text.startswith(header) and text.count("\n") >= 3 and lints_clean(text),
                 settings=settings(max_examples=600, derandomize=True, database=None, deadline=None,
                                   suppress_health_check=list(HealthCheck),
                                   phases=[Phase.explicit, Phase.reuse, Phase.generate]))
    assert found.startswith(header)


# ---------------------------------------------------------- mutated files

@given(data=st.data())
@fuzz_settings("rules")
def test_mutated_rule_files(data):
    path = data.draw(st.sampled_from(NATIONAL + LOCAL), label="file")
    text = data.draw(mutated(path.read_text(encoding="utf-8"), "rules"), label="mutant")
    folder = workspace()
    try:
        if path in NATIONAL:
            national_library(folder, {path.name: text})
            check_run(run_cli(["lint", "--format", "json", "."], folder), folder, allowed=(0, 2))
        else:
            write_mutant(folder / "proposal.rules", text)
            lint = run_cli(["lint", "--format", "json", "proposal.rules"], folder)
            check_run(lint, folder, allowed=(0, 2))
            if lint.exit == 0:
                argv = ["check", "--format", "json", "--local", "proposal.rules", str(QMM_EXAMPLE)]
                check_run(run_cli(argv, folder), folder, allowed=(0, 1, 2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@given(data=st.data())
@fuzz_settings("arrangements")
def test_mutated_arrangements(data):
    name, kind, original = data.draw(st.sampled_from(ARRANGEMENT_TEXTS), label="file")
    text = data.draw(mutated(original, kind), label="mutant")
    folder = workspace()
    try:
        write_mutant(folder / name, text)
        check_run(run_cli(["check", "--format", "json", name], folder), folder, allowed=(0, 1, 2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@given(data=st.data())
@fuzz_settings("scenarios")
def test_mutated_scenario_files(data):
    path = data.draw(st.sampled_from(SCENARIOS), label="file")
    text = data.draw(mutated(path.read_text(encoding="utf-8"), "yaml"), label="mutant")
    folder = workspace()
    try:
        # the scenario where it was, so that its relative paths still lead somewhere
        for shared in ("examples", "contracts"):
            (folder / shared).symlink_to(ROOT / shared)
        relative = path.relative_to(ROOT)
        write_mutant(folder / relative, text)
        run = run_cli(["test", "--format", "json", str(relative)], folder)
        check_run(run, folder, allowed=(0, 1, 2))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


POPULATION_LINES = [line for line in POPULATION.read_text(encoding="utf-8").split("\n") if line.strip()]


@given(data=st.data())
@fuzz_settings("population")
def test_mutated_population_lines(data):
    lines = list(POPULATION_LINES[:6])
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    lines[index] = data.draw(mutated(lines[index], "json"), label="mutant").replace("\n", " ")
    folder = workspace()
    try:
        write_mutant(folder / "population.jsonl", "\n".join(lines) + "\n")
        run = run_cli(["check", "--format", "json", "--population", "population.jsonl"], folder)
        assert_no_traceback(run)
        assert run.exit in (0, 1), f"a bad line stops the run (exit {run.exit}): {run.stderr}"
        out = [json.loads(line) for line in run.stdout.splitlines()]
        assert out and "summary" in out[-1], run.stdout
        summary = out[-1]["summary"]
        # every line is either checked or counted as bad and skipped
        given_lines = sum(1 for line in (folder / "population.jsonl").read_bytes().split(b"\n") if line.strip())
        assert summary["arrangements"] + summary["bad_lines"] == given_lines, (summary, run.stderr)
        assert len([line for line in out if "id" in line]) == summary["arrangements"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
