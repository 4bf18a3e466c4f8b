"""`check --population`: evaluate a JSON Lines population as it streams.

Input: an engine and a JSON Lines file (one arrangement per line). Output: with
`--format json`, one results object per line (JSON Lines), then one
`{"summary": ...}` line; with text, a summary. A bad line is reported on
stderr with its line number and field path, counted and skipped; `--strict`
makes it fatal (exit 2). Memory stays flat: nothing is kept per arrangement
but counters.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from pathlib import Path

import click

from .diagnostics import InvalidInput, render_all
from .pipeline import Engine, source_lookup
from .reports.json_report import arrangement_json, dumps
from .values import Outcome


def check_population(engine: Engine, path: Path, as_of: dt.date | None, output_format: str,
                     strict: bool) -> int:
    outcomes: Counter = Counter()
    failing: Counter = Counter()
    bad_lines = 0
    write = sys.stdout.write
    for item in engine.population(path, as_of):
        if isinstance(item, InvalidInput):
            bad_lines += 1
            click.echo(render_all(item.diagnostics, source_lookup(item.diagnostics)), err=True, nl=False)
            if strict:
                return 2
            continue
        outcomes[item.outcome.value] += 1
        for result in item.results:
            if result.outcome is Outcome.FAIL:
                failing[result.id] += 1
        if output_format == "json":
            write(dumps(arrangement_json(item), compact=True) + "\n")
    summary = {"arrangements": sum(outcomes.values()), "outcomes": dict(sorted(outcomes.items())),
               "failing_requirements": dict(failing.most_common()), "bad_lines": bad_lines}
    if output_format == "json":
        write(dumps({"summary": summary}, compact=True) + "\n")
    else:
        click.echo(f"{summary['arrangements']} arrangements: " + ", ".join(
            f"{count} {outcome}" for outcome, count in summary["outcomes"].items())
            + (f"; {bad_lines} bad line{'s' if bad_lines != 1 else ''} skipped" if bad_lines else ""))
        for rule_id, count in failing.most_common():
            click.echo(f"  {rule_id}: {count} failing")
    return 1 if outcomes.get("fail") else 0


def run_impact(baseline: Engine, proposed: Engine, population: Path, as_of: dt.date | None,
               output_format: str, strict: bool) -> int:
    from .impact import ImpactSummary, impact
    summary = ImpactSummary()
    changed = []
    for item in impact(baseline, proposed, population, as_of, summary):
        if isinstance(item, InvalidInput):
            click.echo(render_all(item.diagnostics, source_lookup(item.diagnostics)), err=True, nl=False)
            if strict:
                return 2
            continue
        if output_format == "json":
            sys.stdout.write(dumps(item.as_json(), compact=True) + "\n")
        else:
            changed.append(item)
    data = summary.as_json()
    if output_format == "json":
        sys.stdout.write(dumps({"summary": data}, compact=True) + "\n")
    elif output_format == "html":
        from .reports.html_report import render_impact
        click.echo(render_impact(data, changed), nl=False)
    else:
        from .reports.impact_report import render
        click.echo(render(data, changed), nl=False)
    return 0
