"""No output of any command shows a Python internal: `None`, `frozenset`,
`Unknown(...)`, `Decimal(...)`, on every example."""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest

from rules_engine.cli import main

from conftest import ROOT

REPRS = re.compile(r"\bNone\b|frozenset|Unknown\(|Decimal\(")
EXAMPLES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").glob("*.yaml"))
LOCAL = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "contracts" / "local").glob("*.rules"))


def _run(*args: str, stdout_only: bool = False) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main(list(args))
    return out.getvalue() if stdout_only else out.getvalue() + err.getvalue()


def _clean(args, text: str) -> None:
    found = REPRS.search(text)
    assert found is None, f"{' '.join(args)}: ...{text[max(0, found.start() - 100):found.end() + 20]}..."


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES)
def test_check_and_explain_show_no_python_reprs(example, in_root):
    for args in (["check", example], ["check", example, "--all"], ["check", example, "--format", "html"]):
        _clean(args, _run(*args))
    document = json.loads(_run("check", example, "--format", "json", stdout_only=True))
    _clean(["check", example, "--format", "json"], _run("check", example, "--format", "json"))
    # every id of the failing example; elsewhere what did not pass, and the money
    ids = sorted({r["id"] for a in document["arrangements"] for r in a["results"] + a["values"]
                  if example.endswith("pcn-failing.yaml") or r.get("outcome") in ("fail", "unknown")
                  or r.get("unit") == "GBP"})
    assert ids
    for rule_id in ids:
        args = ["explain", rule_id, "--arrangement", example]
        _clean(args, _run(*args))


@pytest.mark.slow
def test_the_other_commands_show_no_python_reprs(in_root):
    runs = [["lint"], ["test", "tests/scenarios"],
            ["impact", "--population", "examples/population-qmm.jsonl", "--variation", "contracts/local/qmm.rules"],
            ["check", "--population", "examples/population-qmm.jsonl"],
            ["check", "--population", "examples/population-qmm.jsonl", "--format", "html"]]
    runs += [["vary-check", path] for path in LOCAL]
    runs += [["vary-check", path, "--format", "html"] for path in LOCAL]
    for args in runs:
        _clean(args, _run(*args))


@pytest.mark.slow
def test_static_explain_and_show_flexible_show_no_python_reprs(in_root, engine):
    """`explain RULE_ID` without an arrangement, for every requirement and
    reported value of the library, and `show --flexible`, on both envelopes."""
    from rules_engine.syntax import nodes as n
    ids = sorted({name if isinstance(forms[-1].term, n.RequirementDecl) else forms[-1].term.report.id
                  for name, forms in engine.library.forms.items()
                  if isinstance(forms[-1].term, n.RequirementDecl)
                  or (isinstance(forms[-1].term, n.DefineDecl) and forms[-1].term.report is not None)})
    assert len(ids) > 50
    for day in ("2025-06-01", "2026-06-01"):
        for output_format in ("text", "json"):
            args = ["show", "--flexible", "--as-of", day, "--format", output_format]
            _clean(args, _run(*args))
        for rule_id in ids:
            args = ["explain", rule_id, "--as-of", day]
            _clean(args, _run(*args))
