"""Lint warnings from the analysis (issue 20, item 6; analysis/conditions.py,
queries/lint_analysis.py): a condition the facts' declared types decide, a
waiver that leaves its requirement unreachable, a replacement that changes
nothing. The catalogue examples and their goldens are in test_lint_codes.py;
here the boundaries: what is not judged, a verdict that must hold on every
contract year, JSON and SARIF, and the language server's quick rows."""

from __future__ import annotations

import json

import pytest

from rules_engine.cli import main
from rules_engine.queries.lint import QUICK_WARNINGS, WARNINGS

HEAD = '''national contract access "Access standards"
  effective 2024-04-01 to 2026-03-31
subject practice is each practices keyed by ods_code
fact practices[].ods_code: text required
fact practices[].list_size: count
fact practices[].online_share: fraction
fact practices[].opened: date
'''


def _lint(tmp_path, capsys, body: str, *extra: str) -> list[dict]:
    path = tmp_path / "access.rules"
    path.write_text(HEAD + body, encoding="utf-8")
    assert main(["lint", "--format", "json", str(path), *extra]) == 0
    return [d for d in json.loads(capsys.readouterr().out)["diagnostics"]]


def _requirement(where: str | None = None, must: str = "practice.online_share >= 25%",
                 unless: str | None = None) -> str:
    lines = ['requirement access.online "Some appointments can be booked online"', "  for each practice",
             '  ref "Access standard 2.1"']
    lines += [f"  where {where}"] if where else []
    lines += [f"  must {must}"]
    lines += [f"  unless {unless}"] if unless else []
    return "\n".join(lines) + "\n"


def test_boundaries_of_a_fraction_and_a_count(tmp_path, capsys):
    codes = lambda **kw: [d["code"] for d in _lint(tmp_path, capsys, _requirement(**kw))]  # noqa: E731
    assert codes(must="practice.online_share > 100%") == ["W-COND-001"]
    assert codes(must="practice.online_share >= 100%") == []  # 100 % is a fraction: it can hold
    assert codes(must="practice.online_share <= 100%") == ["W-COND-002"]
    assert codes(where="practice.list_size < 0") == ["W-COND-001"]
    assert codes(where="practice.list_size < 1") == []  # 0 is a count
    assert codes(where="practice.list_size > 5 and practice.list_size < 3") == ["W-COND-001"]
    assert codes(unless="practice.list_size >= 0") == ["W-COND-002"]
    assert codes(must="practice.online_share >= 25%") == []


def test_what_is_not_judged(tmp_path, capsys):
    """A date decides a condition reading `as_of`; a condition of parameters
    alone is a switch an ICB may vary; neither is the schema's doing."""
    body = 'parameter online_on "Online booking expected": bool = true\n  ref "2.0"\n' + _requirement(
        where="online_on", must="as_of >= 2020-01-01 and practice.online_share >= 25%")
    assert _lint(tmp_path, capsys, body) == []
    body = _requirement(where="practice.opened <= as_of")
    assert _lint(tmp_path, capsys, body) == []


def test_a_verdict_must_hold_on_every_contract_year(tmp_path, capsys):
    """A floor that rules the condition out in one year only is no finding."""
    body = ('parameter floor "Most share": fraction\n  ref "2.2"\n'
            '  from 2024-04-01 to 2025-03-31 = 50%\n  from 2025-04-01 to 2026-03-31 = 100%\n'
            + _requirement(must="practice.online_share > floor"))
    assert _lint(tmp_path, capsys, body) == []
    body = body.replace("= 50%", "= 100%")
    (found,) = _lint(tmp_path, capsys, body)
    assert found["code"] == "W-COND-001" and "2024-04-01, 2025-04-01" in found["message"]


def test_sarif_carries_them(tmp_path, capsys):
    path = tmp_path / "access.rules"
    path.write_text(HEAD + _requirement(must="practice.online_share > 100%"), encoding="utf-8")
    assert main(["lint", "--format", "sarif", str(path)]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    (result,) = run["results"]
    assert (result["ruleId"], result["level"]) == ("W-COND-001", "warning")
    assert main(["lint", "--strict", str(path)]) == 1


def test_the_language_server_runs_the_quick_rows_only():
    quick = {row.code for row in QUICK_WARNINGS}
    assert {"W-COND-001", "W-COND-002", "W-WAIVE-001", "W-VARY-002"} <= {row.code for row in WARNINGS} - quick
    assert "W-MONEY-001" in quick


def _checked_example(code: str, extra: dict[str, str] | None = None):
    from rules_engine.base.source import SourceFile
    from rules_engine.queries import error_catalogue as catalogue
    from rules_engine.static.load import run_until

    files = {file.name: file.data.decode("utf-8") for file in catalogue.entry(code).example.files}
    files.update(extra or {})
    return run_until("population types", [SourceFile(name, text) for name, text in files.items()])


@pytest.mark.parametrize("code", ["W-COND-001", "W-COND-002", "W-WAIVE-001", "W-VARY-002", "two local layers"])
def test_the_named_files_findings_are_the_whole_librarys_in_them(code):
    """`lint FILE` puts only FILE's conditions to the solver: what it finds
    is what judging the whole library finds in FILE, for each file and for
    each pair (a national file and a local layer, two local layers)."""
    from itertools import combinations

    from rules_engine.analysis.conditions import findings

    extra, several = None, code == "two local layers"
    if several:  # a waiver each, and a national condition decided by the schema
        code, extra = "W-WAIVE-001", {"qzz.rules": (
            'local layer qzz "Another ICB" for icb QZZ\n  extends ea\n  effective 2025-04-01 to 2026-03-31\n\n'
            'waive ea.saturdays where not (pcn.raw_list_size < 0)\n  because "Every PCN, as it happens"\n'),
            "ea2.rules": ('national contract ea2 "More access"\n  effective 2025-04-01 to 2026-03-31\n\n'
                          'requirement ea2.listed "A PCN has a list"\n  for pcn\n  ref "§8.2"\n'
                          '  must pcn.raw_list_size >= 0\n')}
    checked = _checked_example(code, extra)
    whole = findings(checked)
    files = [layer.file for layer in checked.library.layers]
    assert whole and (not several or len({f.span.file for f in whole}) == 3)
    for chosen in [(file,) for file in files] + list(combinations(files, 2)):
        assert findings(checked, chosen) == tuple(f for f in whole if f.span.file in chosen), chosen
    assert findings(checked, ()) == ()
