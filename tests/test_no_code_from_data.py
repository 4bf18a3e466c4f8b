"""No code from data: nothing read from a rule file, an arrangement, a
scenario, a population line or the cache reaches Python code execution.

Two halves. The package's source is scanned (by its syntax tree, not by
text search) for every way Python runs code it was given: eval, exec, the
built-in compile, __import__ and importlib.import_module of a computed name,
pickle, marshal, shelve and their kin, PyYAML, a ruamel loader that builds
Python objects, lark's pickling cache, os.system and shells. Then hostile
inputs that would run code under an unsafe reader are fed through every
reader, and a marker file they would create must not appear. (The cache's
planted pickle is tests/test_cache.py; multiprocessing pickles the tasks a
population run's parent sends its own workers, data the process wrote
itself, which is not input.)

One module may import pickle: base/cache.py, for the checked library the
user's own process wrote to the user's own folder, verified (owner, mode,
key, SHA-256) before it is read, and read only by an unpickler whose
`find_class` admits classes of plain data (test_checked_cache.py forges an
entry that would run code, with a header that verifies, and it does not run).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rules_engine.cli import cli

from conftest import ROOT

PACKAGE = ROOT / "rules_engine"
MODULES = sorted(PACKAGE.rglob("*.py"))

#: Modules whose import would let code run from data.
FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle",
                     "joblib", "yaml", "code", "codeop", "runpy", "pty"}
#: Built-ins that run or import code given as a value.
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint", "execfile"}
#: Loaders that build arbitrary Python objects.
UNSAFE_YAML = {"unsafe", "full", "base"}  # ruamel typ values beyond safe/rt/pure


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _name(func: ast.AST) -> str:
    """`a.b.c` for a call's function, as written."""
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    parts.append(func.id if isinstance(func, ast.Name) else "<expression>")
    return ".".join(reversed(parts))


def _findings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(ROOT)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"{where}:{node.lineno}: import {a.name}" for a in node.names
                      if a.name.split(".")[0] in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] in FORBIDDEN_MODULES:
            found.append(f"{where}:{node.lineno}: from {node.module} import ...")
    for call in _calls(tree):
        name = _name(call.func)
        last = name.rsplit(".", 1)[-1]
        if name in FORBIDDEN_CALLS or name in {f"builtins.{c}" for c in FORBIDDEN_CALLS}:
            found.append(f"{where}:{call.lineno}: {name}()")
        if last == "import_module" and not (call.args and isinstance(call.args[0], ast.Constant)):
            found.append(f"{where}:{call.lineno}: import_module of a computed name")
        if name in {"os.system", "os.popen", "os.execv", "os.execvp", "os.spawnl", "os.spawnv"}:
            found.append(f"{where}:{call.lineno}: {name}()")
        if last in {"run", "Popen", "call", "check_call", "check_output"} \
                and name.startswith("subprocess"):
            for keyword in call.keywords:
                if keyword.arg == "shell" and not (isinstance(keyword.value, ast.Constant)
                                                   and keyword.value.value is False):
                    found.append(f"{where}:{call.lineno}: {name}(shell=...)")
        if last == "YAML":
            for keyword in call.keywords:
                if keyword.arg == "typ" and not (isinstance(keyword.value, ast.Constant)
                                                 and keyword.value.value in ("safe", "rt")):
                    found.append(f"{where}:{call.lineno}: YAML(typ=...) other than safe or rt")
        if last == "Lark" and any(k.arg == "cache" for k in call.keywords):
            found.append(f"{where}:{call.lineno}: lark's cache= (it unpickles its file)")
        if last in {"load", "loads", "Unpickler"} and name.split(".")[0] in FORBIDDEN_MODULES:
            found.append(f"{where}:{call.lineno}: {name}()")
    return found


def test_the_scan_finds_what_it_looks_for(tmp_path):
    # The scan itself must be able to fail.
    bad = tmp_path / "bad.py"
    bad.write_text("import pickle\nfrom marshal import loads\nimport importlib\n"
                   "eval(x)\nexec(x)\ncompile(x, 'f', 'exec')\n__import__(name)\n"
                   "importlib.import_module(name)\nos.system(cmd)\nsubprocess.run(cmd, shell=True)\n"
                   "YAML(typ='unsafe')\nlark.Lark(g, cache=True)\npickle.loads(data)\n"
                   "Compiler(p).compile()\nre.compile(x)\n")  # the last two are fine
    found = [f.split(": ", 1)[1] for f in _findings_at(bad, tmp_path)]
    assert found == ["import pickle", "from marshal import ...", "eval()", "exec()", "compile()",
                     "__import__()", "import_module of a computed name", "os.system()",
                     "subprocess.run(shell=...)", "YAML(typ=...) other than safe or rt",
                     "lark's cache= (it unpickles its file)", "pickle.loads()"]


def _findings_at(path: Path, root: Path) -> list[str]:
    global ROOT
    saved, ROOT = ROOT, root
    try:
        return _findings(path)
    finally:
        ROOT = saved


#: The one audited exception (see the module docstring).
ALLOWED = {"rules_engine/base/cache.py: import pickle"}


def test_the_package_has_no_way_to_run_code_from_data():
    assert len(MODULES) > 20 and PACKAGE / "syntax" / "parser.py" in MODULES
    found = [finding for module in MODULES for finding in _findings(module)]
    assert [f for f in found if f.split(":")[0] + ":" + f.split(":", 2)[2] not in ALLOWED] == REVIEWED_COMPILES


#: The two reviewed compile()s, each of an `ast.Module` its module builds
#: itself, whose code objects become functions (nothing is exec'd): the
#: generated backend's (every name generated, every rule-file value a
#: constant; tests/test_backends.py plants hostile names and strings and
#: checks what the module can reach), and the typed decoder's walk (every
#: name generated, every field name of the schema a constant;
#: tests/test_decoding.py decodes hostile field names).
REVIEWED = {"rules_engine/backends/generated.py": "located(ast.Module(",
            "rules_engine/io/decoding.py": "located(ast.Module("}


def _reviewed_compile_line(where: str, built_as: str) -> int:
    path = ROOT / where
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [c for c in _calls(tree) if _name(c.func) == "compile"]
    assert len(calls) == 1, f"{where} compiles in exactly one place"
    (call,) = calls
    # compile(module, FILENAME, "exec") where `module` is the ast.Module built just before
    function = next(f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and call in ast.walk(f))
    (assigned,) = [a for a in function.body if isinstance(a, ast.Assign)
                   and isinstance(a.targets[0], ast.Name) and a.targets[0].id == call.args[0].id]
    built = ast.unparse(assigned.value)
    assert built.startswith(built_as), built
    if built_as.startswith("located"):
        # base/pyast.py's `located` (ast.fix_missing_locations, done faster)
        # only fills in line and column numbers: it calls nothing but list
        # methods (`pop` and `push` are the list's own, bound first)
        assert any(isinstance(node, ast.ImportFrom) and node.module == "rules_engine.base.pyast"
                   and "located" in {a.name for a in node.names} for node in tree.body), where
        pyast = ast.parse((PACKAGE / "base" / "pyast.py").read_text(encoding="utf-8"))
        located = next(f for f in pyast.body if isinstance(f, ast.FunctionDef) and f.name == "located")
        assert "pop, push, AST = (todo.pop, todo.append, ast.AST)" in ast.unparse(located)
        assert {_name(c.func) for c in _calls(located)} <= {"pop", "push", "isinstance", "type",
                                                            "state.get"}, ast.unparse(located)
    assert isinstance(call.args[2], ast.Constant) and call.args[2].value == "exec"
    names = {_name(c.func) for c in _calls(tree)}
    assert not names & {"exec", "eval"} and "types.FunctionType" in names
    return call.lineno


REVIEWED_COMPILES = [f"{where}:{_reviewed_compile_line(where, built_as)}: compile()"
                     for where, built_as in REVIEWED.items()]


def test_the_one_unpickler_names_only_what_its_caller_allows():
    """base/cache.py reads a pickle only through an Unpickler whose
    find_class asks its caller first, and never calls pickle.load(s)."""
    tree = ast.parse((PACKAGE / "base" / "cache.py").read_text(encoding="utf-8"))
    unpicklers = [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                  and any(_name(base) == "pickle.Unpickler" for base in node.bases)]
    assert len(unpicklers) == 1
    methods = {f.name: f for f in unpicklers[0].body if isinstance(f, ast.FunctionDef)}
    assert "allowed" in ast.unparse(methods["find_class"]).split("super()")[0]
    assert not [c for c in _calls(tree) if _name(c.func) in {"pickle.load", "pickle.loads"}]


def test_the_yaml_reader_of_every_input_is_a_safe_one():
    from ruamel.yaml.constructor import Constructor, SafeConstructor
    from rules_engine.io.documents import yaml_reader
    reader = yaml_reader()
    # ruamel's `Constructor` is the one that builds Python objects from
    # !!python tags; the safe and round-trip ones derive from SafeConstructor.
    assert issubclass(reader.Constructor, SafeConstructor)
    assert not issubclass(reader.Constructor, Constructor)
    # The C parser's reader of plain data (read_yaml_data) is a safe one too.
    from rules_engine.io.documents import _safe_reader
    plain = _safe_reader()
    if plain is not None:
        assert issubclass(plain.Constructor, SafeConstructor)
        assert not issubclass(plain.Constructor, Constructor)
    # Every YAML reader in the package is made by yaml_reader() or _safe_reader(), or is typ="safe".
    makers = []
    for module in MODULES:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        makers += [(module.name, _name(c.func)) for c in _calls(tree) if _name(c.func).endswith("YAML")]
    assert sorted(makers) == [("documents.py", "YAML"), ("documents.py", "YAML"), ("error_catalogue.py", "YAML")]


HOSTILE_YAML = [
    '!!python/object/apply:os.system ["touch {marker}"]',
    'as_of: 2025-06-01\npcn: !!python/object/apply:os.system ["touch {marker}"]\n',
    'as_of: !!python/object/new:os.system ["touch {marker}"]\n',
    'x: !!python/name:os.system\n',
    'x: !!python/module:os\n',
    'as_of: 2025-06-01\npcn: !!binary dG91Y2g=\n',
]


@pytest.mark.parametrize("text", HOSTILE_YAML)
def test_hostile_yaml_in_an_arrangement_runs_nothing(tmp_path, text):
    marker = tmp_path / "code-ran"
    arrangement = tmp_path / "a.yaml"
    arrangement.write_text(text.format(marker=marker))
    result = CliRunner().invoke(cli, ["check", str(arrangement)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert not marker.exists()


@pytest.mark.parametrize("text", HOSTILE_YAML[:3])
def test_hostile_yaml_in_a_scenario_runs_nothing(tmp_path, text):
    marker = tmp_path / "code-ran"
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: hostile\narrangement:\n  as_of: 2025-06-01\nexpect:\n"
                        "  outcome: pass\n" + "note: " + text.format(marker=marker).split("\n")[0]
                        + "\n")
    inline = tmp_path / "t.yaml"
    inline.write_text("name: hostile\narrangement: " + text.format(marker=marker).split("\n")[0]
                      + "\nexpect: {outcome: pass}\n")
    for path in (scenario, inline):
        result = CliRunner().invoke(cli, ["test", str(path)], catch_exceptions=False)
        assert result.exit_code in (0, 2), result.output  # a tagged `note` is only a note
    assert not marker.exists()


def test_hostile_population_lines_run_nothing(tmp_path):
    marker = tmp_path / "code-ran"
    population = tmp_path / "p.jsonl"
    lines = [json.dumps({"as_of": "2025-06-01", "__reduce__": ["os.system", f"touch {marker}"]}),
             json.dumps({"py/object": "os.system", "args": [f"touch {marker}"]}),
             f'!!python/object/apply:os.system ["touch {marker}"]']
    population.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["check", "--population", str(population), "--format", "json"],
                                catch_exceptions=False)  # an exception fails the test, as a traceback would
    assert result.exit_code in (0, 1, 2) and "Traceback" not in result.stderr
    assert not marker.exists()


def test_rule_file_text_is_never_run(tmp_path):
    # Python in the places a value or a name goes: parsed as rule text or
    # refused, never evaluated.
    marker = tmp_path / "code-ran"
    attempts = [
        f'parameter p: count = __import__("os").system("touch {marker}")\n',
        f'define d: count = eval("__import__(\'os\').system(\'touch {marker}\')")\n',
        f'parameter p "{{__import__(\'os\').system(\'touch {marker}\')}}": count = 1\n',
        f'requirement r.x "X"\n  for pcn\n  must exec("import os; os.system(\'touch {marker}\')")\n',
    ]
    for index, body in enumerate(attempts):
        path = tmp_path / f"n{index}.rules"
        path.write_text(f'national contract n{index} "N"\n' + body)
        result = CliRunner().invoke(cli, ["lint", str(path)], catch_exceptions=False)
        assert result.exit_code in (0, 2), result.output
    assert not marker.exists()
