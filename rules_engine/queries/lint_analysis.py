"""`lint` warnings from the analysis of variations (issue 20, item 6): the
conditions the facts' declared types decide, a waiver that leaves its
requirement unreachable, a replacement that changes nothing.

Input: the checked library. Output: warning `Diagnostic`s, one row of
`lint.WARNINGS` per code (W-COND-001, W-COND-002, W-WAIVE-001, W-VARY-002),
from `analysis.conditions.findings` (worked out once per checked library,
whichever row asks first).
"""

from __future__ import annotations

from typing import Iterator

from rules_engine.analysis.conditions import Finding, findings
from rules_engine.base.diagnostics import Diagnostic
from rules_engine.static.lint_checks import warning
from rules_engine.static.typecheck import Checked

_LAST: list = []  # [(checked, files, findings)]: the last library's findings, shared by the rows


def _found(checked: Checked, files: set[str] | None = None) -> tuple[Finding, ...]:
    """The findings in `files` (None: all; with files, only their conditions
    are put to the solver), worked out once for the rows that ask in turn."""
    if _LAST and _LAST[0][0] is checked and (_LAST[0][1] is None or _LAST[0][1] == files):
        return _LAST[0][2]
    result = findings(checked, files)
    _LAST[:] = [(checked, None if files is None else frozenset(files), result)]
    return result


def _text(checked: Checked, finding: Finding) -> str:
    source = checked.library.sources.get(finding.span.file)
    if source is None:
        return "the condition"
    shown = " ".join(source.text[finding.span.start:finding.span.end].split())
    return f"`{shown if len(shown) <= 70 else shown[:67] + '...'}`"


def _days(finding: Finding) -> str:
    days = sorted(set(finding.days))
    return ", ".join(day.isoformat() for day in days[:4]) + (" ..." if len(days) > 4 else "")


_HINTS = {
    "never": "no arrangement can make it hold, given the facts' declared types (a count is a whole number "
             "from 0, a fraction from 0 to 1): check the comparison, its figure and the fact's unit",
    "always": "every arrangement that gives the facts it reads makes it hold, given their declared types: "
              "drop it, or check the comparison and its figure",
}


def conditions(checked: Checked, kind: str, code: str, files: set[str] | None = None) -> Iterator[Diagnostic]:
    for finding in _found(checked, files):
        if finding.kind != kind:
            continue
        words = "can never hold" if kind == "never" else "always holds"
        yield warning(code, f"the `{finding.clause}` of {finding.term} {words}: {_text(checked, finding)} "
                            f"(judged on {_days(finding)})", finding.span, hint=_HINTS[kind])


def unreachable(checked: Checked, files: set[str] | None = None) -> Iterator[Diagnostic]:
    for finding in _found(checked, files):
        if finding.kind == "unreachable":
            yield warning("W-WAIVE-001", f"the waiver of {finding.term} holds whenever {finding.term} applies: "
                                         f"{_text(checked, finding)} leaves it never checked "
                                         f"(judged on {_days(finding)})", finding.span,
                          hint=f"to waive it for everyone write `waive {finding.term}` without `where`; "
                               "otherwise narrow the condition to the subjects it is for")


def unchanged(checked: Checked, files: set[str] | None = None) -> Iterator[Diagnostic]:
    for finding in _found(checked, files):
        if finding.kind == "no change":
            yield warning("W-VARY-002", f"`replace requirement {finding.term}` decides every arrangement as the "
                                        f"national term does on {_days(finding)}: no arrangement newly fails or "
                                        "newly passes it", finding.span,
                          hint="remove the replacement, or check that it says what the ICB agreed")


__all__ = ["conditions", "unchanged", "unreachable"]
