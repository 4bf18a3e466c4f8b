"""The package's shape (docs/architecture.md): one package per stage, data
flowing one way, no import circle, no import inside a function hiding one.

Each stage package may import only the packages listed for it in `MAY_IMPORT`
(and itself); the top-level modules (the facade, the command line, the
population driver) may import anything. Any import counts, at the top of a
module or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "rules_engine"

#: What each stage package may import (besides itself), from the bottom up.
MAY_IMPORT: dict[str, set[str]] = {
    "base": set(),
    "io": {"base", "syntax"},
    "syntax": {"base"},
    "static": {"base", "io", "syntax"},
    "program": {"base", "io", "syntax", "static"},
    "ir": {"base", "syntax", "static", "program"},
    "analysis": {"base", "io", "syntax", "static", "program", "ir"},
    "backends": {"base", "syntax", "static", "program", "ir"},
    "run": {"base", "io", "syntax", "static", "program", "ir", "backends"},
    "queries": {"base", "io", "syntax", "static", "program", "ir", "analysis"},
    "reports": {"base", "syntax", "static", "program", "run", "queries"},
    "testing": {"base", "io", "syntax", "static", "program", "ir", "backends", "run", "queries", "reports"},
    "lsp": {"base", "io", "syntax", "static", "program", "queries"},
}
TOP_LEVEL = {"__init__", "__main__", "api", "cli", "cli_support", "population_run"}

#: No module may be longer than this many lines.
LIMIT = 600


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, me: str | None = None) -> list[tuple[str, int, bool, str]]:
    """(module imported, line, inside a function, the line's text) for every
    import of the package."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    me = me or _name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = []

    def visit(node, inside):
        for child in ast.iter_child_nodes(node):
            deeper = inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                if module.startswith("rules_engine"):
                    for alias in child.names:  # `from rules_engine.run import results` names a module
                        candidate = f"{module}.{alias.name}"
                        sub = ROOT.joinpath(*candidate.split("."))
                        target = candidate if sub.with_suffix(".py").exists() or sub.is_dir() else module
                        found.append((target, child.lineno, deeper, lines[child.end_lineno - 1]))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("rules_engine"):
                        found.append((alias.name, child.lineno, deeper, lines[child.end_lineno - 1]))
            visit(child, deeper)
    visit(ast.parse(text), False)
    return found


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_stage_package_says_what_it_is_for_and_may_import():
    for stage in MAY_IMPORT:
        init = PACKAGE / stage / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "May import" in doc, f"{init} has no docstring saying what it may import"
        allowed = set(doc.split("May import", 1)[1].split(".")[0].replace(",", " ").replace("and", " ")
                      .replace(":", " ").split()) - {"nothing", "only", "the", "leaves"}
        assert allowed == MAY_IMPORT[stage], f"{init}'s docstring and this test disagree"


def test_every_module_belongs_to_a_stage_or_the_top():
    for path in _modules():
        stage = _stage(_name(path))
        assert stage in MAY_IMPORT or stage in TOP_LEVEL, f"{path}: not in a stage package"


def test_data_flows_one_way():
    wrong = []
    for path in _modules():
        stage = _stage(_name(path))
        if stage in TOP_LEVEL:
            continue
        for module, line, _, _ in _imports(path):
            target = _stage(module)
            if target != stage and target not in MAY_IMPORT[stage]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {stage} imports {module}")
    assert wrong == []


def test_no_import_circle_between_modules():
    graph = {_name(p): {m for m, *_ in _imports(p)} for p in _modules()}
    names = set(graph)
    graph = {k: {m for m in v if m in names and m != k} for k, v in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2
    for node in sorted(graph):
        if node not in state and node != "rules_engine":
            visit(node)


def test_an_import_inside_a_function_says_why():
    """Lazy imports are for start-up only, each with a comment saying so."""
    silent = [f"{path.relative_to(ROOT)}:{line}" for path in _modules()
              for _, line, inside, text in _imports(path) if inside and "#" not in text]
    assert silent == []


def test_the_facade_imports_nothing_at_import_time():
    top = [m for m, _, inside, _ in _imports(PACKAGE / "__init__.py") if not inside]
    assert top == []


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_600_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= LIMIT, f"{path.relative_to(PACKAGE)}: {lines} lines"


def test_the_import_checker_sees_a_planted_back_arrow(tmp_path):
    """An import running back up, hidden in a function, is found (so the
    tests above can fail)."""
    fake = tmp_path / "nodes.py"
    fake.write_text("def f():\n    from ..run import results\n", encoding="utf-8")
    ((module, line, inside, _),) = _imports(fake, "rules_engine.syntax.nodes")
    assert (module, line, inside) == ("rules_engine.run.results", 2, True)
    assert _stage(module) not in MAY_IMPORT["syntax"]


def test_every_package_is_in_the_wheel():
    """pyproject.toml lists the packages the wheel holds: every folder of the
    package with an __init__.py is one of them (a package left out installs
    a command that cannot start)."""
    import tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in PACKAGE.rglob("__init__.py")}
    assert folders - listed == set()
