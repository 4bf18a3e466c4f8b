"""The terminal report of `check`: failures first, each with why.

Layout, for a commissioner reading a terminal or an e-mail: one summary line
(results and values, unknown ones counted), then per arrangement its failing
and unknown results grouped by requirement, each with its title, clause,
subjects, the deciding condition with the values read and what would make it
pass; then the money. Passes and not-applicable results are listed only with
`show_all`. Lines are wrapped to `width` (80 by default), so the report fits
an 80- or 120-column terminal and a piped file alike.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter

from rules_engine.run.results import ArrangementResult, CheckReport, Result, ValueResult, assumed_text
from rules_engine.base.values import Outcome
from rules_engine.base.numbers import value_json
from rules_engine.base.numbers import show_value, plain

LABEL = {Outcome.FAIL: "FAIL", Outcome.UNKNOWN: "UNKNOWN", Outcome.PASS: "PASS",
         Outcome.NOT_APPLICABLE: "N/A"}
STYLE = {Outcome.PASS: "green", Outcome.FAIL: "red", Outcome.UNKNOWN: "yellow",
         Outcome.NOT_APPLICABLE: "bright_black"}
DEFAULT_WIDTH = 80


def value_text(value: ValueResult) -> str:
    """A value as a reader wants it: £231,742.50, 1,650 minutes, 564 points."""
    return show_value(value_json(value.value, value.type), value.unit)


class _Writer:
    def __init__(self, width: int, color: bool):
        self.width = max(40, width)
        self.color = color
        self.lines: list[str] = []

    def add(self, text: str, indent: str = "", hang: str | None = None) -> None:
        """`text` wrapped at the width; continuation lines indented by `hang`."""
        hang = indent + "  " if hang is None else hang
        wrapped = textwrap.wrap(text, self.width, initial_indent=indent, subsequent_indent=hang,
                                break_long_words=False, break_on_hyphens=False) or [indent]
        self.lines += wrapped

    def label(self, outcome: Outcome, text: str | None = None) -> str:
        text = text or LABEL[outcome]
        if not self.color:
            return text
        import click
        return click.style(text, fg=STYLE[outcome], bold=outcome is Outcome.FAIL)

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")


def counts_text(results, values) -> str:
    counts = Counter(r.outcome for r in results)
    unknown_values = sum(1 for v in values if v.value is None)
    text = (f"{counts[Outcome.FAIL]} failed, {counts[Outcome.UNKNOWN]} unknown, "
            f"{counts[Outcome.PASS]} passed, {counts[Outcome.NOT_APPLICABLE]} not applicable")
    if values:
        text += f"; {len(values)} value{'s' if len(values) != 1 else ''}, {unknown_values} unknown"
    return text


def summary_line(report: CheckReport) -> str:
    results = [r for a in report.arrangements for r in a.results]
    values = [v for a in report.arrangements for v in a.values]
    arrangements = len(report.arrangements)
    verdict = {Outcome.FAIL: "fails", Outcome.UNKNOWN: "unknown", Outcome.PASS: "passes"}[report.outcome]
    noun = f"{arrangements} arrangement{'s' if arrangements != 1 else ''}"
    if arrangements > 1:
        failing = sum(1 for a in report.arrangements if a.outcome is Outcome.FAIL)
        unknown = sum(1 for a in report.arrangements if a.outcome is Outcome.UNKNOWN)
        verdict = f"{failing} fail, {unknown} unknown"
    return f"{noun}: {verdict}; {counts_text(results, values)}"


def _detail(r: Result) -> list[str]:
    """What a failing or unknown result says besides its why."""
    out = []
    if r.flexibility in ("varied", "waived", "added"):
        text = f"{r.flexibility} by {r.layer}"
        if r.because:
            text += f": {r.because}"
        out.append(text)
        if r.national:
            out.append("national: " + ", ".join(f"{k} = {_plain(v)}" for k, v in r.national.items()))
    for warning in r.warnings:
        out.append(f"warning: {warning}")
    if r.provisional:
        out.append(f"provisional: {r.provisional}")
    if r.assumed:
        out.append(f"assumed: {assumed_text(r.assumed)}")
    if r.unneeded:
        out.append("decided without (every value it could take gives this outcome): " + "; ".join(r.unneeded))
    return out


def _plain(value) -> str:
    return plain(value_json(value))


def _group(results) -> dict[str, list[Result]]:
    groups: dict[str, list[Result]] = {}
    for r in results:
        groups.setdefault(r.id, []).append(r)
    return groups


def _requirement(out: _Writer, outcome: Outcome, results: list[Result], label: str | None = None) -> None:
    first = results[0]
    head = f"{out.label(outcome, label)} {first.id}"
    out.add(f"{head}  {first.title}" if first.title else head, hang="     ")
    out.add(first.clause, indent="     ")
    for r in results:
        why = r.why
        lines = why.lines() if why is not None else []
        if not lines and r.missing:
            lines = ["missing: " + ", ".join(r.missing)]
        lines += _detail(r)
        if not lines:
            out.add(r.subject, indent="  ")
            continue
        first_line, *rest = lines
        out.add(f"{r.subject}: {first_line.strip()}", indent="  ", hang="        ")
        for line in rest:
            depth = len(line) - len(line.lstrip())
            out.add(line.strip(), indent="    " + " " * depth, hang="        " + " " * depth)


def input_warning_text(warning) -> str:
    """An implausible or inconsistent fact (static/fact_checks.py), on one line."""
    where = f" (line {warning.span.line})" if warning.span is not None else ""
    return f"warning[{warning.code}] {warning.path}{where}: {warning.message}"


def arrangement_section(result: ArrangementResult, out: _Writer, show_all: bool = False) -> None:
    verdict = {Outcome.FAIL: "fails", Outcome.UNKNOWN: "unknown", Outcome.PASS: "passes"}.get(
        result.outcome, result.outcome.value)
    out.add(f"{result.id} ({result.source}) as of {result.as_of}: {out.label(result.outcome, verdict)}",
            hang="  ")
    out.add(counts_text(result.results, result.values), indent="  ")
    out.add("layers: " + ", ".join(result.layers), indent="  ")
    for warning in result.input_warnings:
        out.add(input_warning_text(warning), indent="  ", hang="    ")
    errors = [r for r in result.results if r.severity == "error"]
    warned = [r for r in result.results if r.severity != "error" and r.outcome in (Outcome.FAIL, Outcome.UNKNOWN)]
    for outcome in (Outcome.FAIL, Outcome.UNKNOWN):
        for group in _group(r for r in errors if r.outcome is outcome).values():
            out.blank()
            _requirement(out, outcome, group)
    for group in _group(warned).values():
        out.blank()
        _requirement(out, group[0].outcome, group, "WARNING")
    if show_all:
        passing = [r for r in errors if r.outcome in (Outcome.PASS, Outcome.NOT_APPLICABLE)]
        if passing:
            out.blank()
        for group in _group(passing).values():
            by_outcome = _group_by_outcome(group)
            for outcome, members in by_outcome.items():
                subjects = ", ".join(r.subject for r in members)
                reason = f" ({members[0].reason})" if members[0].reason else ""
                if members[0].assumed:
                    reason += f" (assumed: {assumed_text(members[0].assumed)})"
                out.add(f"{out.label(outcome)} {members[0].id}: {subjects}{reason}", hang="     ")
    else:
        for r in result.results:
            if r.outcome is Outcome.PASS and r.warnings and r.severity == "error":
                out.add(f"warning: {r.id} {r.subject}: " + "; ".join(r.warnings), indent="  ")
    _local_changes(result, out)
    _money(result, out, show_all)


def _local_changes(result: ArrangementResult, out: _Writer) -> None:
    """The results a local layer changed that pass or do not apply (a
    failing or unknown one says so under its requirement): `varied by qmm`,
    the reason and the national value replaced."""
    changed = [r for r in result.results if r.flexibility in ("varied", "waived", "added")
               and r.outcome in (Outcome.PASS, Outcome.NOT_APPLICABLE)]
    for group in _group(changed).values():
        first = group[0]
        out.blank()
        subjects = ", ".join(r.subject for r in group)
        out.add(f"{first.flexibility.upper()} {first.id} by {first.layer}: {subjects} "
                f"{LABEL[first.outcome].lower() if first.outcome is Outcome.NOT_APPLICABLE else 'passes'}",
                hang="     ")
        if first.because:
            out.add(f"because: {first.because}", indent="     ", hang="       ")
        if first.national:
            out.add("national: " + ", ".join(f"{k} = {_plain(v)}" for k, v in first.national.items()),
                    indent="     ", hang="       ")


def _group_by_outcome(results: list[Result]) -> dict[Outcome, list[Result]]:
    groups: dict[Outcome, list[Result]] = {}
    for r in results:
        groups.setdefault(r.outcome, []).append(r)
    return groups


def _money(result: ArrangementResult, out: _Writer, show_all: bool) -> None:
    shown = [v for v in result.values if show_all or v.unit == "GBP"]
    if not shown:
        return
    out.blank()
    heading = "Values" if show_all else "Money"
    known = [v for v in shown if v.value is not None]
    unknown = [v for v in shown if v.value is None]
    width = max((len(v.id) + len(v.subject) for v in known), default=0) + 2
    notes = _Footnotes()
    for index, v in enumerate(known):
        amount = value_text(v)
        varied = f"  ({v.flexibility} by {v.layer})" if v.flexibility in ("varied", "added") else ""
        marks = notes.marks(v)
        lead = heading.ljust(7) if index == 0 else " " * 7
        out.add(f"{lead}{(v.id + '  ' + v.subject).ljust(width)} {amount}{varied}{marks}", hang=" " * 9)
    for key, text in notes.lines():
        out.add(f"[{key}] {text}", indent="  ", hang=" " * (5 + len(key)))
    if not known:
        out.add(heading)
    if unknown and show_all:
        for v in unknown:
            assumed = f" (assumed: {assumed_text(v.assumed)})" if v.assumed else ""
            out.add(f"{v.id}  {v.subject}: unknown (missing: {', '.join(v.missing)}){assumed}",
                    indent="  ", hang="    ")
    elif unknown:
        count = len(dict.fromkeys(v.id for v in unknown))
        out.add(f"unknown: {count} more value{'s' if count != 1 else ''} (--all lists them, with what "
                f"each is missing)", indent="  ", hang="    ")


_REASON_START = re.compile(r"; (?=(?:definition|table|parameter|requirement) [A-Za-z_][\w.-]*: )")


def provisional_reasons(text: str | None) -> list[str]:
    """The reasons of a provisional mark, one per term (`table qof_indicators: ...`)."""
    return [part for part in _REASON_START.split(text)] if text else []


class _Footnotes:
    """Footnote markers for the money lines: `[a1]` an assumed figure, `[p1]` a
    provisional reason, each distinct one numbered once, listed under the section."""

    def __init__(self):
        self.assumed: dict[str, int] = {}
        self.provisional: dict[str, int] = {}
        self.unneeded: dict[str, int] = {}

    @staticmethod
    def _keys(prefix: str, numbers: list[int]) -> str:
        numbers = sorted(set(numbers))
        runs: list[list[int]] = []
        for number in numbers:
            if runs and number == runs[-1][-1] + 1:
                runs[-1].append(number)
            else:
                runs.append([number])
        return ",".join(f"{prefix}{r[0]}" if len(r) == 1 else f"{prefix}{r[0]}-{prefix}{r[-1]}"
                        for r in runs)

    def marks(self, value: ValueResult) -> str:
        text = ""
        if value.assumed:
            numbers = [self.assumed.setdefault(f"assumed {a.describe()}", len(self.assumed) + 1)
                       for a in value.assumed]
            text += f" [{self._keys('a', numbers)}]"
        if value.provisional:
            numbers = [self.provisional.setdefault(reason, len(self.provisional) + 1)
                       for reason in provisional_reasons(value.provisional)]
            text += f" [{self._keys('p', numbers)}]"
        if value.unneeded:
            numbers = [self.unneeded.setdefault(reason, len(self.unneeded) + 1) for reason in value.unneeded]
            text += f" [{self._keys('u', numbers)}]"
        return text

    def lines(self) -> list[tuple[str, str]]:
        return ([(f"a{n}", text) for text, n in self.assumed.items()]
                + [(f"p{n}", f"provisional: {text}") for text, n in self.provisional.items()]
                + [(f"u{n}", f"worked out without it (every value it could take gives this one): {text}")
                   for text, n in self.unneeded.items()])


def _assumptions_line(report: CheckReport, out: _Writer) -> None:
    """Every assumption any result read, once, before the results: the
    figures are the user's, not the contract's."""
    seen: dict = {}
    for arrangement in report.arrangements:
        for item in list(arrangement.results) + list(arrangement.values):
            for a in item.assumed:
                seen[a] = None
    if seen:
        out.add("assumed (figures the national layer lacks, stated for this run): "
                + assumed_text(tuple(seen)), hang="  ")


def render(report: CheckReport, width: int | None = None, color: bool = False,
           show_all: bool = False) -> str:
    """The report as text, wrapped at `width` columns (80 by default)."""
    out = _Writer(width or DEFAULT_WIDTH, color)
    if len(report.arrangements) != 1:  # one arrangement's heading is the summary
        out.add(summary_line(report))
    _assumptions_line(report, out)
    for arrangement in report.arrangements:
        out.blank()
        arrangement_section(arrangement, out, show_all)
    return "\n".join(out.lines) + "\n"
