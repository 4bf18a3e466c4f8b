"""Both backends give byte-identical JSON: the closure backend (the reference)
and the generated one, on every example, scenario and shipped population, on
mutated populations and on hypothesis-generated arrangements; a hostile rule
file's names and strings stay data in the generated module, which can reach
nothing but the run-time helpers; CONTRACT_RULES_BACKEND chooses."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from rules_engine.backends import choice, generated
from rules_engine.backends.closure_runner import CLOSURES
from rules_engine.backends.generated import FILENAME, GENERATED, GeneratedRunner, module_name
from rules_engine.backends.runtime import HELPERS
from rules_engine.base.diagnostics import InvalidInput
from rules_engine.base.source import SourceFile
from rules_engine.cli import cli
from rules_engine.io.arrangements import parse_json_line
from rules_engine.reports.json_report import dumps
from rules_engine.run.engine import Engine
from rules_engine.run.results import arrangement_json
from rules_engine.static.load import library_sources, run_until
from rules_engine.testing.scenarios import EngineCache, _arrangement, _relative, _scenario_date, read_cases
from tools.population import ICB_CODES, generate

from conftest import GOLDEN, examples


def _pair(engine_factory):
    reference, generated = engine_factory(), engine_factory()
    reference.backend, generated.backend = CLOSURES, GENERATED
    return reference, generated


@pytest.fixture(scope="module")
def engines():
    return _pair(Engine.load)


def _json(engine, arrangement, as_of=None) -> str:
    try:
        return dumps(arrangement_json(engine.evaluate(arrangement, as_of)))
    except InvalidInput as error:
        return "invalid: " + ", ".join(f"{d.code} {d.message}" for d in error.diagnostics)


def _why(engine, arrangement) -> list:
    """Every failing or unknown result's `why`, as its JSON (the generated
    runner answers `why` with its own values)."""
    result = engine.evaluate(arrangement)
    return [r.why.as_json() for r in result.results if r.why is not None]


def _same(engines, arrangement, as_of=None) -> str:
    reference, generated = engines
    expected = _json(reference, arrangement, as_of)
    assert _json(generated, arrangement, as_of) == expected, arrangement.source
    return expected


EXAMPLES = sorted(p.name for p in (Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


def test_the_examples_give_every_outcome(engines, in_root):
    """The examples the next test runs under both backends pass, fail and
    are unknown between them (so that `alike` covers each outcome)."""
    assert len(EXAMPLES) >= 15
    outcomes = {engines[0].check_files([Path("examples") / name]).outcome.value for name in EXAMPLES}
    assert outcomes >= {"pass", "fail", "unknown"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_alike(engines, in_root, name):
    """One test an example (each a few hundred results, both backends, and
    the why of each), so that no one test holds the fast tier up."""
    arrangement = engines[0].load_arrangement(Path("examples") / name)
    _same(engines, arrangement)
    assert _why(engines[1], arrangement) == _why(engines[0], arrangement), name


#: The fast tier's share of a long shipped population: its first and last
#: lines and every SAMPLE_STEP-th between (the whole of the short ones).
SAMPLE_STEP = 25


@pytest.mark.parametrize("every", [pytest.param(False, id="sample"),
                                   pytest.param(True, id="every", marks=pytest.mark.slow)])
def test_every_shipped_population_line_alike(engines, in_root, every):
    """Every line of every shipped population (slow); the fast tier takes
    every line of the short ones, and the first, the last and every 25th of
    the real 2022/23 England (1,267 lines: every ICB's date and contract)."""
    reference = engines[0]
    lines = 0
    for path in sorted(Path("examples").glob("*.jsonl")):
        texts = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(texts, 1):
            if every or len(texts) <= 2 * SAMPLE_STEP or number in (1, len(texts)) or number % SAMPLE_STEP == 0:
                _same(engines, parse_json_line(reference.library.schema, line, str(path), number))
                lines += 1
    assert lines >= (1297 if every else 80)


def _mutations(facts: dict, rng: random.Random, count: int):
    """Copies of an arrangement with a fact removed, set to null, or given
    a value of another shape (a string for a number, a list for a record)."""
    paths = []

    def visit(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                paths.append(path + (key,))
                visit(item, path + (key,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                paths.append(path + (index,))
                visit(item, path + (index,))
    visit(facts, ())
    for path in rng.sample(paths, min(count, len(paths))):
        if path[0] in ("as_of", "icb"):
            continue
        for kind in ("remove", "null", "mangle"):
            mutated = copy.deepcopy(facts)
            parent = mutated
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            if kind == "remove":
                del parent[last]
            elif kind == "null":
                parent[last] = None
            else:
                parent[last] = "not a number" if not isinstance(parent[last], str) else 12345
            yield mutated


@pytest.mark.slow
def test_mutated_populations_alike(engines, in_root):
    """Facts removed, nulled, mangled: the same results or the same errors."""
    rng = random.Random(7)
    schema = engines[0].library.schema
    lines = Path("examples/population-qmm.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    lines += [json.dumps(a, default=str) for a in generate(scale=0.01, seed=5)][:3]
    seen = {"invalid": 0, "valid": 0}
    for number, line in enumerate(lines, 1):
        for mutated in _mutations(json.loads(line), rng, 40):
            try:
                arrangement = parse_json_line(schema, json.dumps(mutated), "mutated", number)
            except InvalidInput:
                seen["invalid"] += 1
                continue
            seen["valid"] += 1
            _same(engines, arrangement)
    assert seen["valid"] > 100 and seen["invalid"] > 10


@settings(max_examples=examples(15))
@given(seed=st.integers(0, 10_000), day=st.dates(min_value=dt.date(2024, 5, 1),
                                                  max_value=dt.date(2026, 2, 28)).filter(
    lambda day: (day.month, day.day) != (4, 1)))  # the generator needs a day of the year before as_of
def test_generated_arrangements_alike(engines, seed, day):
    schema = engines[0].library.schema
    icb = ICB_CODES[seed % len(ICB_CODES)]
    arrangement = next(iter(generate(scale=0.01, seed=seed, as_of=day.isoformat(), icb=icb)))
    _same(engines, parse_json_line(schema, json.dumps(arrangement, default=str), "generated", 1))


@pytest.mark.slow
def test_every_scenario_alike(in_root):
    """Every case of every scenario file, through both backends."""
    caches = {CLOSURES: EngineCache(), GENERATED: EngineCache()}
    cases = [case for path in sorted(Path("tests/scenarios").rglob("*.yaml")) for case in read_cases(path)]
    assert len(cases) > 100
    compared = 0
    for case in cases:
        outputs = []
        for backend, cache in caches.items():
            data = case.data
            try:
                rules = _relative(case, data["rules"]) if data.get("rules") else None
                local = _relative(case, data["local"]) if data.get("local") else None
                engine = cache.get(rules, local, case.assumptions)
                engine.backend = backend
                engine._compiled.clear()
                arrangement = _arrangement(case, engine)
                as_of = _scenario_date(data["as_of"]) if data.get("as_of") is not None else None
                outputs.append(_json(engine, arrangement, as_of))
            except InvalidInput as error:
                outputs.append(sorted(d.code for d in error.diagnostics))
        assert outputs[0] == outputs[1], f"{case.file}: {case.name}"
        compared += 1
    assert compared == len(cases)


# -- hostile rule files ---------------------------------------------------------

HOSTILE = '''national contract extra "E \\"quoted\\" \\n __import__('os').system('touch HACKED') \\"\\"\\""
parameter __import__ "x'); import os; os.system('touch HACKED'); ('": count = 3
parameter K "K": count = 1
parameter E "\\"\\"\\"": count = 2
table t1 by d0 "t1 \\" ' \\n"
  columns d0: text | B: number
  row "__import__('os').system('touch HACKED')" | 5
  row "\\"\\"\\" + exec('x')" | 7
define U for pcn: number = t1["__import__('os').system('touch HACKED')"].B + K + E
  report x.u "\\\\ \\" '''
HOSTILE += '''\\"\\"\\" title"
define MISSING for pcn: bool = pcn.code = "'); exec('x') #" or pcn.code = "\\"\\"\\""
  report x.m "m"
requirement x.hostile "exec('touch HACKED')"
  for pcn
  must U > __import__ and not MISSING
  warn "__import__('os').system('touch HACKED') \\n \\"\\"\\"" when pcn.code = "U1"
'''


def _hostile_engines():
    sources = library_sources(GOLDEN / "fixture") + [SourceFile("hostile.rules", HOSTILE)]
    checked = run_until("typecheck", sources)
    return _pair(lambda: Engine(checked))


def test_hostile_rule_files_stay_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engines = _hostile_engines()
    for code in ("U1", "'); exec('x') #", '"""'):
        arrangement = engines[0].load_arrangement(
            "a.yaml", "as_of: 2025-06-01\npcn:\n  code: " + json.dumps(code) + "\n")
        output = json.loads(_same(engines, arrangement))
        values = {v["id"]: v for v in output["values"]}
        assert values["x.u"]["value"] == 8  # 5 + 1 + 2, read through the hostile names
        assert values["x.m"]["value"] is (code != "U1")
        hostile = next(r for r in output["results"] if r["id"] == "x.hostile")
        assert hostile["title"] == "exec('touch HACKED')"
    assert not (tmp_path / "HACKED").exists()
    runner = engines[1].program(dt.date(2025, 6, 1), None)[0]
    assert isinstance(runner, GeneratedRunner)
    strings = {node.value for node in ast.walk(runner.tree) if isinstance(node, ast.Constant)
               and isinstance(node.value, str)}
    assert "'); exec('x') #" in strings and '"""' in strings  # as constants, never as code
    # definitions named like the helpers (U, MISSING) are strings their values are remembered by
    assert {"U", "MISSING"} <= strings
    names = {node.id for node in ast.walk(runner.tree) if isinstance(node, ast.Name)}
    assert "__import__" not in names and "K" in names


def _generated_trees(runner: GeneratedRunner) -> list[ast.AST]:
    """The module as compiled (built again: the runner lets its tree go), with
    the expression functions `why` compiled since."""
    return [runner.tree]


def _reach(runner: GeneratedRunner):
    """The names and attributes the generated functions use."""
    loads, attributes = set(), set()
    for tree in _generated_trees(runner):
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                loads.add(node.id)
            elif isinstance(node, ast.Attribute):
                attributes.add(node.attr)
            assert not isinstance(node, (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Lambda,
                                         ast.ClassDef, ast.With, ast.Try, ast.Raise, ast.Await, ast.Yield))
    return loads, attributes


@pytest.mark.parametrize("which", ["hostile", "shipped"])
def test_the_generated_module_reaches_only_the_runtime_helpers(which, engines, in_root):
    if which == "hostile":
        engine = _hostile_engines()[1]
        day = dt.date(2025, 6, 1)
        engine.evaluate(engine.load_arrangement("a.yaml", "as_of: 2025-06-01\npcn:\n  code: U1\n"))
        runner = engine.program(day, None)[0]
    else:
        arrangement = engines[1].load_arrangement("examples/pcn-failing.yaml")
        runner = engines[1].program(arrangement.facts["as_of"], "QWE")[0]
        engines[1].evaluate(arrangement).results[0]  # noqa: B018 (why compiles expressions on use)
        for result in engines[1].evaluate(arrangement).results:
            if result.why is not None:
                result.why.render()
    loads, attributes = _reach(runner)
    functions = runner.tree.body
    assert runner.builder.module.functions == []  # compiled, then let go
    generated = {f.name for f in functions}
    arguments = {a.arg for f in functions for a in f.args.args}
    locals_ = {node.id for f in functions for node in ast.walk(f)
               if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
    assert loads <= set(HELPERS) | {"K"} | generated | arguments | locals_
    assert attributes <= {"bindings", "memo", "local_rows", "unneeded", "as_of", "get", "append", "pop",
                          "extend"}
    fixed = {"decisions", "values", "instances", "E", "B", "M", "I", "D", "V", "k", "lk", "o", "v", "out", "keys",
             "key", "L", "n", "A"}
    assert all(re.fullmatch(r"[tdreks][0-9]+i?", name) or name in fixed for name in generated | locals_ | arguments)
    assert runner.namespace["__builtins__"] == {}
    assert set(runner.namespace) <= set(HELPERS) | {"K", "__builtins__"} | generated
    forbidden = {"eval", "exec", "compile", "open", "__import__", "getattr", "setattr", "globals", "vars"}
    assert not forbidden & set(HELPERS)
    compiled = [function for function in runner.namespace.values()
                if getattr(function, "__code__", None) is not None
                and function.__code__.co_filename.startswith(FILENAME)]
    assert {function.__name__ for function in compiled} == generated
    for function in compiled:
        assert function.__globals__ is runner.namespace
        # each module its own file name, so that a profile tells programs apart
        assert function.__code__.co_filename == module_name(runner.checked)
    if which == "shipped":
        day = arrangement.facts["as_of"]
        national = engines[1].program(day, None)[0]
        local = engines[1].program(day, "QMM")[0]
        assert module_name(national.checked) == f"<generated national {national.checked.period[0]}>"
        assert module_name(local.checked) == f"<generated {local.checked.local_layer} {local.checked.period[0]}>"
        assert local.checked.local_layer is not None
    # line numbers are the rule files' own
    lines = {getattr(node, "lineno", None) for f in functions for node in f.body}
    assert max(line for line in lines if line) > 10


# -- choosing -------------------------------------------------------------------

def test_the_environment_chooses_the_backend(monkeypatch, in_root):
    monkeypatch.delenv(choice.ENVIRONMENT, raising=False)
    assert Engine.load().backend is GENERATED
    monkeypatch.setenv(choice.ENVIRONMENT, "closures")
    assert Engine.load().backend is CLOSURES
    result = CliRunner().invoke(cli, ["check", "examples/pcn-passing.yaml", "--format", "json"])
    assert result.exit_code == 0
    monkeypatch.setenv(choice.ENVIRONMENT, "generated")
    again = CliRunner().invoke(cli, ["check", "examples/pcn-passing.yaml", "--format", "json"])
    assert again.output == result.output


@pytest.mark.parametrize("value", ["fast", "", "Closures", "generated\n"])
def test_an_unknown_backend_is_exit_2_naming_the_choices(monkeypatch, value, in_root):
    monkeypatch.setenv(choice.ENVIRONMENT, value)
    result = CliRunner().invoke(cli, ["check", "examples/pcn-passing.yaml"])
    assert result.exit_code == 2
    assert "CONTRACT_RULES_BACKEND=" in result.output and "closures, generated" in result.output
    assert "Traceback" not in result.output and "\n\n\n" not in result.output
    with pytest.raises(choice.BackendChoiceError):
        Engine.load()


def test_explain_traces_through_the_closure_backend(monkeypatch, in_root):
    """explain shows the same trace whichever backend checks."""
    outputs = []
    for value in ("generated", "closures"):
        monkeypatch.setenv(choice.ENVIRONMENT, value)
        result = CliRunner().invoke(cli, ["explain", "des.ea.capacity", "--arrangement",
                                          "examples/pcn-failing.yaml", "--full"])
        assert result.exit_code == 1, result.output  # the requirement fails
        outputs.append(result.output)
    assert outputs[0] == outputs[1] and "parameter" in outputs[0] and "why:" in outputs[0]
    monkeypatch.setenv(choice.ENVIRONMENT, "generated")
    engine = Engine.load()
    arrangement = engine.load_arrangement("examples/pcn-failing.yaml")
    traced, _ = engine.program(arrangement.facts["as_of"], "QWE", traced=True)
    checking, _ = engine.program(arrangement.facts["as_of"], "QWE")
    assert traced.__class__.__name__ == "ClosureRunner" and isinstance(checking, GeneratedRunner)


def test_unchosen_a_program_runs_through_the_closures_first_then_generated_code(monkeypatch, in_root):
    """With no backend chosen, a program's first TIER_UP arrangements run through
    the closures (no module compiled for a one-file check); the next is compiled
    to generated code, and the results stay the same across the switch."""
    monkeypatch.delenv(choice.ENVIRONMENT, raising=False)
    engine = Engine.load()
    assert engine.tier_up == choice.TIER_UP and engine.backend is GENERATED
    arrangement = engine.load_arrangement("examples/pcn-failing.yaml")
    day = arrangement.facts["as_of"]
    outputs, runners = [], []
    for _ in range(choice.TIER_UP + 1):
        result = engine.evaluate(arrangement)
        outputs.append(dumps(arrangement_json(result)) + repr([r.why.as_json() for r in result.results if r.why]))
        [(runner, _)] = engine._compiled.values()
        runners.append(runner)
    assert all(r.__class__.__name__ == "ClosureRunner" for r in runners[:choice.TIER_UP])
    assert isinstance(runners[choice.TIER_UP], GeneratedRunner)
    assert len(set(outputs)) == 1 and '"outcome": "fail"' in outputs[0]
    # a chosen backend runs from the first arrangement
    monkeypatch.setenv(choice.ENVIRONMENT, "generated")
    chosen = Engine.load()
    assert chosen.tier_up is None
    assert isinstance(chosen.program(day, "QWE")[0], GeneratedRunner)
    # and setting one on an engine turns the tiering off
    monkeypatch.delenv(choice.ENVIRONMENT)
    engine = Engine.load()
    engine.backend = CLOSURES
    assert engine.tier_up is None


def test_a_program_of_a_minority_of_the_arrangements_tiers_up_later(monkeypatch, in_root):
    """Unchosen, a program compiles after TIER_UP arrangements when it has
    checked most of them so far (a population's main program), after
    TIER_UP_MINORITY otherwise (an ICB layer's program serving its share),
    where compiling pays by itself."""
    import datetime as dt
    monkeypatch.delenv(choice.ENVIRONMENT, raising=False)
    engine = Engine.load()
    day = dt.date(2025, 6, 1)
    kinds = []
    for _ in range(choice.TIER_UP + 4):  # the national program: all the arrangements so far
        kinds.append(type(engine.program(day, "QGH")[0]).__name__)
    assert kinds[:choice.TIER_UP] == ["ClosureRunner"] * choice.TIER_UP
    assert set(kinds[choice.TIER_UP:]) == {"GeneratedRunner"}
    local = []
    for _ in range(choice.TIER_UP_MINORITY + 1):  # one QMM arrangement (a local layer) to two national ones
        engine.program(day, "QGH"), engine.program(day, "QWE")
        local.append(type(engine.program(day, "QMM")[0]).__name__)
    assert local[:choice.TIER_UP_MINORITY] == ["ClosureRunner"] * choice.TIER_UP_MINORITY
    assert local[choice.TIER_UP_MINORITY] == "GeneratedRunner"


def test_a_module_cpython_cannot_compile_falls_back_to_the_closures(monkeypatch, engines, in_root):
    """A program whose generated module CPython's compiler gives up on (a very
    deeply nested expression: RecursionError) runs through the closures, with
    a note, and the same results."""
    def too_deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded during compilation")
    monkeypatch.setattr(generated, "compile", too_deep, raising=False)
    engine = Engine.load()
    engine.backend = GENERATED
    arrangement = engine.load_arrangement("examples/pcn-failing.yaml")
    runner = engine.program(arrangement.facts["as_of"], "QWE")[0]
    assert runner.__class__.__name__ == "ClosureRunner"
    assert "RecursionError" in runner.note and "closure backend" in runner.note
    assert _json(engine, arrangement) == _json(engines[0], arrangement)
    assert engine.notes == [runner.note]
    # the command line says so, once, on standard error
    monkeypatch.setenv(choice.ENVIRONMENT, "generated")
    result = CliRunner().invoke(cli, ["check", "examples/pcn-failing.yaml", "--format", "json"])
    assert result.exit_code == 1 and result.stderr.count("warning: the generated backend could not compile") == 1
    assert json.loads(result.stdout)["arrangements"][0]["outcome"] == "fail"
    monkeypatch.undo()
    assert isinstance(GENERATED.compile(runner.checked), GeneratedRunner)
