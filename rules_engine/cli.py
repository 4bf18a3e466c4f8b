"""The `contract-rules` command: a thin click layer over the library API.

Each command parses its options, makes one call into the API, renders the
result and returns an exit code: 0 all pass / no errors, 1 a requirement or a
scenario fails, 2 the input is invalid (rule file, arrangement or scenario),
130 interrupted by Ctrl-C.
User errors are printed as diagnostics, never as a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import sys
from pathlib import Path

import click

from rules_engine.backends.choice import ENVIRONMENT as BACKEND_ENVIRONMENT, problem as backend_problem
from rules_engine.base import limits
from rules_engine.base.diagnostics import InvalidInput, render_all
from rules_engine.cli_support import (DATE, FORMAT, ExitCode, LimitSetting, OutputError, Shown,
                                      assume_options, assumptions_of, cannot_write, coverage_options, emit, exists,
                                      guard_output, kept, one_command, one_stdin, output_failed, output_options,
                                      rules_options, run_command, streamed, terminal_width,
                                      use_color, warn, warn_all, note_population_terms,
                                      warn_about_local, warn_about_replaced)
from rules_engine.run.engine import Engine
from rules_engine.static.library import CONTRACTS_PACKAGE
from rules_engine.run.results import report_json
from rules_engine.static.load import source_lookup
from rules_engine.reports import json_report, text_report
from rules_engine.base.values import Outcome


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "--version", package_name="contract-rules", prog_name="contract-rules")
@click.option("--limit", "limit_settings", type=LimitSetting(), multiple=True, metavar="NAME=VALUE",
              help="Change an input limit for this run (repeatable), e.g. "
                   "--limit max_file_bytes=50000000; the limits are listed in docs/language.md.")
@click.pass_context
def cli(ctx, limit_settings) -> None:
    """Check GP practice and PCN arrangements against NHS England contract rules,
    national and local."""
    from rules_engine.io.inputs import forget_stdin  # here, not at the top: start-up (only this path needs it)
    forget_stdin()  # `-` reads this command's standard input
    wrong = backend_problem(os.environ.get(BACKEND_ENVIRONMENT))
    if wrong is not None:
        raise click.UsageError(wrong)
    merged: dict[str, int] = {}
    for settings in limit_settings:
        merged.update(settings)
    if merged:  # for this run only (and its --jobs workers), not for the process after it
        ctx.with_resource(limits.overridden(**merged))
    ctx.with_resource(_shown_streams())


@contextlib.contextmanager
def _shown_streams():
    """Standard output and error through `cli_support.shown` for this run:
    control characters from input made visible, write errors said once."""
    before = sys.stdout, sys.stderr
    sys.stdout = Shown(sys.stdout, color=use_color(None))
    sys.stderr = Shown(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = before


def _library(rules: Path | None) -> Path:
    """The rule library a command reads: --rules, or the shipped one."""
    from importlib import resources  # here, not at the top: start-up (only this path needs it)
    return rules if rules is not None else Path(str(resources.files(CONTRACTS_PACKAGE)))


@cli.command()
@click.argument("arrangements", nargs=-1, type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path))
@rules_options
@click.option("--as-of", type=DATE, help="Take the terms in force on this date (overrides the arrangement's).")
@click.option("--population", type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path),
              help="Check every arrangement of a JSON Lines file, streaming.")
@click.option("--strict", is_flag=True, help="With --population: stop at the first bad line.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="With --population: worker processes (same output, same order).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@click.option("--line", "line_form", type=click.Choice(["lean", "full"]), default="lean", show_default=True,
              help="With --population --format json: each term's text once a run (lean) or on every line.")
@click.option("--all", "show_all", is_flag=True,
              help="Text: list passing and not-applicable results and every value too.")
@click.option("--fail-on", type=click.Choice(["fail", "unknown"]), default="fail", show_default=True,
              help="Exit 1 when a result fails, or (unknown) when one fails or is unknown.")
@assume_options
@output_options
def check(arrangements, rules, local, as_of, population, strict, jobs, output_format, line_form, show_all,
          fail_on, assume, assumptions_file, output, quiet):
    """Check arrangements (YAML or JSON) against the layers in force."""
    if not arrangements and population is None:
        raise click.UsageError("give arrangement files, or --population FILE.jsonl")
    one_stdin(arrangements, population, local)
    if population is not None and arrangements:
        warn("arrangement files given beside --population are ignored: " + ", ".join(map(str, arrangements)))
    if population is None and (strict or jobs != 1 or line_form != "lean"):
        warn("--strict, --jobs and --line apply to --population only; ignored")

    def run() -> int:
        guard_output(output, arrangements, population, local, assumptions_file, _library(rules))
        assumptions = assumptions_of(assume, assumptions_file)
        if population is not None:
            from rules_engine.population_run import EngineSpec, check_population, remember  # here, not at the top: start-up (only this path needs it)
            spec = EngineSpec(rules, local, assumptions=assumptions)
            engine = kept(spec.load())  # rule-file errors surface here, once
            if engine.proposed is not None:
                warn_about_replaced(engine)
            remember(spec, engine)
            code = streamed(lambda: check_population(spec, population, as_of, output_format, strict, jobs,
                                                     line_form), output, quiet)
            return warn_all(engine.notes) or code
        engine = kept(Engine.load(rules, local, assumptions=assumptions))
        loaded = engine.load_arrangements(arrangements)
        warn_about_local(engine, {a.facts["icb"] for a in loaded if isinstance(a.facts.get("icb"), str)})
        report = engine.check(loaded, as_of)
        note_population_terms(engine, report)
        warn_all(engine.notes)
        if output_format == "json":
            text = json_report.dumps(report_json(report)) + "\n"
        elif output_format == "html":
            from rules_engine.reports.html_report import render_check  # here, not at the top: start-up (only this path needs it)
            text = render_check(report)
        else:
            text = text_report.render(report, terminal_width(), color=use_color(output),
                                      show_all=show_all)
        emit(text, output, quiet)
        if report.outcome is Outcome.FAIL:
            return ExitCode.FAILURES
        if fail_on == "unknown" and report.outcome is Outcome.UNKNOWN:
            return ExitCode.FAILURES
        return ExitCode.OK
    sys.exit(run_command(run, output_format, output))



@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif"]), default="text",
              show_default=True, help="sarif: SARIF 2.1.0, for code-scanning annotations in CI.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on any warning.")
@click.option("--verbose", "-v", is_flag=True, help="Also list the provisional terms of the national files a named file is checked against.")
@output_options
def lint(paths, output_format, strict, verbose, output, quiet):
    """Check rule files statically: syntax, names, types, units and layering,
    then the lint warnings (W-* codes, docs/errors.md).

    With no PATH, checks the shipped library. A folder is read as a library
    (its national/ and local/ files); `-` reads one rule file from standard
    input. Warnings and notes are about the files named."""
    from rules_engine.queries.lint import lint_paths, render_lint  # here, not at the top: start-up (only this path needs it)
    from rules_engine.reports.sarif import sarif_text  # here, not at the top: start-up (only this path needs it)
    one_stdin(paths)
    def run() -> int:
        guard_output(output, paths or [_library(None)])
        try:
            result = lint_paths(paths)
        except InvalidInput as error:
            if output_format != "sarif":
                raise
            emit(sarif_text(error.diagnostics), output, quiet)
            return ExitCode.INVALID_INPUT
        if output_format == "json":
            text = json_report.dumps(result.as_json()) + "\n"
        elif output_format == "sarif":
            text = sarif_text(result.warnings)
        else:
            text = render_lint(result, verbose)
        emit(text, output, quiet)
        return ExitCode.FAILURES if strict and result.warnings else ExitCode.OK
    sys.exit(run_command(run, "json" if output_format == "sarif" else output_format, output))


@cli.command("lsp")
def lsp_command():
    """Serve the Language Server Protocol over stdin and stdout, for editors (docs/editors.md)."""
    from rules_engine.lsp.server import serve  # here, not at the top: start-up (only this path needs it)
    serve()


@cli.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=FORMAT, default="text", show_default=True)
@click.option("-k", "patterns", multiple=True, metavar="PATTERN",
              help="Run only the cases whose FILE::NAME holds PATTERN (any case; repeatable: any of them).")
@click.option("--verbose", "-v", is_flag=True, help="List every case, the passing ones too.")
@click.option("--junit-xml", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the run as JUnit XML to FILE (for CI).")
@coverage_options
@assume_options
@output_options
def test_command(paths, output_format, patterns, verbose, junit_xml, coverage, coverage_report, coverage_format,
                 min_coverage, assume, assumptions_file, output, quiet):
    """Run scenario files (YAML): expected outcomes and values against actual.

    With no PATH, runs the folders `[tool.contract-rules] scenarios` names in
    pyproject.toml (default tests/scenarios); its `assumptions` is the default
    of --assumptions. --assume and --assumptions apply to every scenario; a
    scenario's own `assume:` wins for the names it gives."""
    from rules_engine.testing.config import find_settings  # here, not at the top: start-up (only this path needs it)
    from rules_engine.testing.scenarios import collect_scenario_files, render_run, run_scenarios  # here, not at the top: start-up (only this path needs it)
    from rules_engine.testing import coverage_output  # here, not at the top: start-up (only this path needs it)
    def run() -> int:
        settings = find_settings()
        assumptions_file_ = assumptions_file or settings.assumptions
        for written in (output, junit_xml, coverage_report):
            guard_output(written, paths or settings.scenarios, assumptions_file_)
        if coverage_format and coverage_report is None:
            raise click.UsageError("--coverage-format is the format of --coverage-report FILE: give the FILE")
        assumptions = assumptions_of(assume, assumptions_file_)
        recorder = coverage_output.Recorder() if coverage or coverage_report or min_coverage is not None else None
        outcome = run_scenarios(collect_scenario_files(paths or settings.scenarios), assumptions,
                                patterns=patterns, recorder=recorder)
        if junit_xml is not None:
            from rules_engine.testing.junit import write_junit  # here, not at the top: start-up (only this path needs it)
            write_junit(junit_xml, outcome)
        measured = recorder.coverage() if recorder is not None else None
        document = {**outcome.as_json(), **({"coverage": measured.as_json()} if measured else {})}
        text = json_report.dumps(document) + "\n" if output_format == "json" else render_run(outcome, verbose) + (
            coverage_output.rendered(measured, "text", verbose) if measured else "")
        emit(text, output, quiet)
        if coverage_report is not None:
            emit(coverage_output.rendered(measured, coverage_output.format_for(coverage_report, coverage_format),
                                          verbose), coverage_report)
        if outcome.invalid:
            return ExitCode.INVALID_INPUT
        short = coverage_output.shortfall(measured, min_coverage) if measured else None
        if short:
            click.echo(f"error: {short}", err=True)
        return ExitCode.FAILURES if outcome.failed or short else ExitCode.OK
    sys.exit(run_command(run, output_format, output))


@cli.command()
@click.argument("rule_id")
@click.option("--arrangement", "arrangement_path",
              type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path),
              help="Explain its result for this arrangement; without one, describe the term.")
@click.option("--subject", help="Which subject, e.g. practice:D82001 (default: every subject).")
@rules_options
@click.option("--as-of", type=DATE, help="Without --arrangement: the date whose terms and flexibility "
              "are described (default: today).")
@click.option("--full", is_flag=True, help="Show every fact, parameter and definition read.")
@click.option("--format", "output_format", type=FORMAT, default="text", show_default=True)
@assume_options
@output_options
def explain(rule_id, arrangement_path, subject, rules, local, as_of, full, output_format, assume,
            assumptions_file, output, quiet):
    """Show why a requirement or value came out as it did: the trace.

    Without --arrangement, describe the term: what it requires, its clause,
    its provisional marks, what a local layer may change in it on the date
    (and who grants that), and which shipped local layers change it."""
    from rules_engine import api  # here, not at the top: start-up (only this path needs it)
    one_stdin(arrangement_path, local)
    def run() -> int:
        guard_output(output, arrangement_path, local, assumptions_file, _library(rules))
        engine = Engine.load(rules, local, assumptions=assumptions_of(assume, assumptions_file))
        if arrangement_path is None:
            for flag, given in (("--subject", subject), ("--full", full)):
                if given:
                    warn(f"{flag} applies with --arrangement only; ignored")
            about = api.explain(rule_id, engine=engine, as_of=as_of)
            if output_format == "json":
                emit(json_report.dumps(about.to_dict()) + "\n", output, quiet)
            else:
                emit(about.render(terminal_width()), output, quiet)
            return ExitCode.OK
        explanations = api.explain(rule_id, arrangement_path, subject=subject, engine=engine, as_of=as_of)
        if output_format == "json":
            emit(json_report.dumps(explanations.to_dict(full)) + "\n", output, quiet)
        else:
            emit(explanations.to_text(full), output, quiet)
        return ExitCode.FAILURES if any(e.outcome == "fail" for e in explanations) else ExitCode.OK
    sys.exit(run_command(run, output_format, output))


@cli.command()
@click.option("--flexible", is_flag=True, help="What a local layer may vary, waive, replace, retire or "
              "extend, with bounds, budgets, clauses and the envelope that grants it.")
@click.option("--rules", type=click.Path(exists=True, path_type=Path),
              help="Use this rule library instead of the shipped one.")
@click.option("--as-of", type=DATE, help="The date (default: today).")
@click.option("--format", "output_format", type=FORMAT, default="text", show_default=True)
@output_options
def show(flexible, rules, as_of, output_format, output, quiet):
    """Show what the rule library allows (`--flexible`: local flexibility on a date)."""
    if not flexible:
        raise click.UsageError("say what to show: --flexible")
    from rules_engine.queries.powers import powers_on  # here, not at the top: start-up (only this path needs it)
    def run() -> int:
        guard_output(output, _library(rules))
        powers = powers_on(Engine.load(rules).library, as_of or dt.date.today())
        if output_format == "json":
            emit(json_report.dumps(powers.to_dict()) + "\n", output, quiet)
        else:
            emit(powers.render(terminal_width()), output, quiet)
        return ExitCode.OK
    sys.exit(run_command(run, output_format, output))


@cli.command("vary-check")
@click.argument("local", type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path))
@click.option("--rules", type=click.Path(exists=True, path_type=Path), help="Check against this library, not the shipped one.")
@click.option("--as-of", type=DATE, help="Show national values on this date (default: the layer's start).")
@click.option("--analysis/--no-analysis", default=True, help="What it could change, for whom (default: on).")
@click.option("--bounds", type=click.Path(exists=True, dir_okay=False), help="The facts' bounds (YAML).")
@click.option("--timeout", "timeout_ms", type=click.IntRange(1, 600_000), help="Per solver question, ms (2000).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@assume_options
@output_options
def vary_check_command(local, rules, as_of, analysis, bounds, timeout_ms, output_format, assume, assumptions_file,
                       output, quiet):
    """Check a proposed local layer: is each variation permitted, what could it change, for whom"""
    from rules_engine.api import vary_check  # here, not at the top: start-up (only this path needs it)
    from rules_engine.reports import variations_report  # here, not at the top: start-up (only this path needs it)
    def run() -> int:
        guard_output(output, local, _library(rules), bounds, assumptions_file)
        result = vary_check(local, rules=rules, as_of=as_of, analysis=analysis, bounds=bounds, timeout_ms=timeout_ms,
                            assume=assumptions_of(assume, assumptions_file))
        if output_format == "json":
            text = json_report.dumps(result.as_json()) + "\n"
        elif output_format == "html":
            from rules_engine.reports.html_report import render_vary_check  # here, not at the top: start-up (only this path needs it)
            text = render_vary_check(result)
        else:
            text = variations_report.render(result, terminal_width(), color=use_color(output))
        emit(text, output, quiet)
        if not result.permitted:
            click.echo(render_all(result.diagnostics, source_lookup(result.diagnostics)), err=True, nl=False)
            return ExitCode.INVALID_INPUT
        return ExitCode.OK
    sys.exit(run_command(run, output_format, output))


@cli.command()
@click.option("--population", required=True, type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path),
              help="Arrangements, one JSON object per line.")
@click.option("--variation", required=True, type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path),
              help="The proposed local layer.")
@click.option("--rules", type=click.Path(exists=True, path_type=Path))
@click.option("--as-of", type=DATE)
@click.option("--strict", is_flag=True, help="Stop at the first bad line (exit 2).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (same output, same order).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@click.option("--all", "show_all", is_flag=True,
              help="Text and HTML: list the unchanged values and every changed arrangement too.")
@assume_options
@output_options
def impact(population, variation, rules, as_of, strict, jobs, output_format, show_all, assume,
           assumptions_file, output, quiet):
    """What a proposed variation changes: outcomes and values, before and after.

    The baseline is the library without the proposed layer (with the ICB's
    current layer, if the proposal has another name)."""
    from rules_engine.population_run import EngineSpec, remember, run_impact  # here, not at the top: start-up (only this path needs it)
    one_stdin(population, variation)
    def run() -> int:
        guard_output(output, population, variation, assumptions_file, _library(rules))
        assumptions = assumptions_of(assume, assumptions_file)  # the same for both sides
        baseline = EngineSpec(rules, without=variation, assumptions=assumptions)  # the library before this layer
        proposed = EngineSpec(rules, variation, assumptions=assumptions)
        remember(proposed, proposed.load())  # first: a bad --variation is shown in its own file
        remember(baseline, baseline.load())
        return streamed(lambda: run_impact(baseline, proposed, population, as_of, output_format, strict,
                                            jobs, show_all, terminal_width()), output, quiet)
    sys.exit(run_command(run, output_format, output))


@cli.command("diff")
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@click.option("--as-of", type=DATE, help="Compare on this date (default: the layer's start, else today).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@output_options
def diff_command(old, new, as_of, output_format, output, quiet):
    """Are two rule files (or library folders) equivalent on every arrangement on a date?"""
    from rules_engine.api import diff  # here, not at the top: start-up (only this path needs it)
    from rules_engine.analysis.arrangement_yaml import yaml_lines  # here, not at the top: start-up (only this path needs it)
    def run() -> int:
        guard_output(output, old, new)
        result = diff(old, new, as_of=as_of)
        if output_format == "json":
            emit(json_report.dumps(result.as_json()) + "\n", output, quiet)
        else:
            first = result.first
            lines = [f"{old} and {new} on {result.as_of}: " + (
                f"equivalent on every arrangement ({result.compared} requirements and values compared)"
                if first is None else f"differ: {first.describe()}")]
            lines += [f"  {d.describe()}" for d in result.differences if d is not first]
            if first is not None and first.witness is not None:
                lines += ["witness, an arrangement:"] + ["  " + line for line in yaml_lines(first.witness)]
                if first.checked:
                    lines.append(first.checked)
            emit("\n".join(lines) + "\n", output, quiet)
        return ExitCode.OK if result.equivalent else ExitCode.FAILURES
    sys.exit(run_command(run, output_format, output))


@cli.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; list the files that are not formatted (exit 1 if any).")
@click.option("--diff", "show_diff", is_flag=True,
              help="Change nothing; print the change as a unified diff (exit 1 if any).")
def fmt(files, check_only, show_diff):
    """Lay rule files (and folders of them) out canonically, keeping every comment.

    Each file is replaced as a whole (a temporary file, then a rename), so a
    failed write leaves it as it was. `-` (alone) formats standard input to
    standard output."""
    from rules_engine.queries.formatting import format_paths, write_formatted  # here, not at the top: start-up (only this path needs it)
    if any(str(f) == "-" for f in files) and len(files) > 1:
        raise click.UsageError("`-` formats standard input to standard output: give it alone")
    def run() -> int:
        results, problems = format_paths(files)
        if str(files[0]) == "-" and not problems and not (check_only or show_diff):
            click.echo(results[0].after, nl=False)
            return ExitCode.OK
        changed = [r for r in results if r.changed]
        for result in changed if (check_only or show_diff) else ():
            click.echo(result.diff if show_diff else f"would reformat {result.path}", nl=not show_diff)
        if not (check_only or show_diff):
            for path in write_formatted(changed, problems):
                click.echo(f"reformatted {path}")
        if problems:
            raise InvalidInput(problems)
        if (check_only or show_diff) and changed:
            return ExitCode.FAILURES
        if not changed and not show_diff:
            click.echo(f"{len(results)} file{'s' if len(results) != 1 else ''} already formatted")
        return ExitCode.OK
    sys.exit(run_command(run))


@cli.group()
def new() -> None:
    """Start a new file from a template (`new layer --icb CODE`)."""


@new.command("layer")
@click.option("--icb", required=True, help="The ICB's code, as a rule file writes it: e.g. QMM.")
@click.option("--name", help="The layer's name (default: CODE_proposal, in lower case).")
@click.option("--extends", "extends", multiple=True, default=("network_des",), show_default=True,
              help="A national contract the layer changes (repeatable).")
@click.option("--as-of", type=DATE, help="A day in the contract year the layer is for (default: today).")
@click.option("--dir", "folder", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".",
              help="The folder to write the two files in (default: here).")
def new_layer(icb, name, extends, as_of, folder):
    """Write a commented local layer for an ICB, NAME.rules, and a scenario
    file for it, NAME.yaml, that pass `lint` and `test` as written.

    A file that exists is never replaced (E-WRITE-002: nothing is written)."""
    from rules_engine.io.outputs import write_new  # here, not at the top: start-up (only this path needs it)
    from rules_engine.queries.scaffold import default_day, in_force_on, layer_scaffold  # here, not at the top: start-up (only this path needs it)

    def run() -> int:
        library = Engine.load().library
        day = as_of or default_day(library)
        if not in_force_on(library, day):
            raise click.BadParameter(f"no national contract is in force on {day}; the library covers "
                                     f"{library.coverage()}", param_hint="--as-of")
        unknown = [name for name in extends if name not in {l.name for l in library.contracts}]
        if unknown:
            raise click.BadParameter(f"`{unknown[0]}` is not a national contract; the contracts are "
                                     + ", ".join(l.name for l in library.contracts), param_hint="--extends")
        try:
            scaffold = layer_scaffold(icb, name, tuple(extends), day)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--icb" if "ICB" in str(error) else "--name")
        targets = [(folder / f.name, f) for f in scaffold.files]
        existing = [path for path, _ in targets if path.exists() or path.is_symlink()]
        if existing:
            raise InvalidInput([exists(path) for path in existing])
        written = []
        for path, file in targets:
            try:
                write_new(path, file.text)
            except FileExistsError:
                raise InvalidInput([exists(path)]) from None
            except OSError as error:
                raise InvalidInput([cannot_write(path, error)]) from None
            written.append(path)
        layer, scenarios = written
        click.echo(f"wrote {layer} (the local layer {scaffold.layer} for ICB {scaffold.icb}) and "
                   f"{scenarios} (its scenarios); next:\n"
                   f"  contract-rules lint {layer}\n"
                   f"  contract-rules vary-check {layer}\n"
                   f"  contract-rules test {scenarios}")
        return ExitCode.OK
    sys.exit(run_command(run))


@cli.command("explain-error")
@click.argument("code")
def explain_error(code):
    """What a diagnostic code means, an example that shows it, and how to fix it."""
    from rules_engine.base.diagnostics import CODES  # here, not at the top: start-up (only this path needs it)
    from rules_engine.queries.error_catalogue import entry_codes, section, unknown_code_message  # here, not at the top: start-up (only this path needs it)
    code = code.strip().upper()
    if code not in CODES:
        click.echo(f"error: {unknown_code_message(code)}", err=True)
        sys.exit(ExitCode.INVALID_INPUT)
    if code not in entry_codes():
        click.echo(f"{code}: {CODES[code]}\n\nThe error catalogue has no entry for it yet.")
    else:
        click.echo(section(code, main).text(), nl=False)
    sys.exit(ExitCode.OK)


#: What each command's exit code means: shown in its --help, and the README's
#: table says the same (tests/test_cli_conventions.py compares them).
EXIT_CODES = {
    "check": "0 no requirement fails (unknown results too, unless --fail-on unknown); 1 a requirement "
             "fails (or, with --fail-on unknown, one is unknown), or with --population a population "
             "term fails; 2 invalid input",
    "lint": "0 no errors (warnings too, unless --strict); 1 with --strict, a warning; 2 errors (printed "
            "on stderr; with --format sarif, in the log)",
    "lsp": "0 the client asked the server to exit",
    "test": "0 every case passes; 1 a case fails; 2 a scenario file is invalid, or there is none",
    "explain": "0 explained; 1 the result explained fails; 2 invalid input or an unknown id",
    "vary-check": "0 every variation is permitted; 2 one is refused (its diagnostic on stderr) or the "
                  "layer is invalid",
    "diff": "0 equivalent on every arrangement on the date; 1 a requirement or value differs (or is undecided); "
            "2 invalid input",
    "impact": "0 the run completed, whatever it changes; 2 invalid input (a bad line with --strict, "
              "or no line that could be read)",
    "fmt": "0 formatted, or nothing to do; 1 with --check or --diff, a file is not formatted; 2 invalid "
           "input, or a file that cannot be written",
    "show": "0 shown; 2 invalid input",
    "new layer": "0 both files written; 2 a file exists (nothing is written) or an option is invalid",
    "explain-error": "0 explained; 2 an unknown code",
}
EVERY_COMMAND = "also 2 for a usage error (an unknown option, a bad value), and 130 when interrupted (Ctrl-C)"


def _exit_codes_in_help() -> None:
    """Each command's --help ends with its exit codes."""
    commands = [(name, command) for name, command in cli.commands.items() if name != "new"]
    commands += [(f"new {name}", command) for name, command in new.commands.items()]
    for name, command in commands:  # a command missing from the table fails a test, not the import
        own = EXIT_CODES.get(name)
        command.epilog = f"Exit codes: {own}; {EVERY_COMMAND}." if own else f"Exit codes: {EVERY_COMMAND}."
    cli.epilog = ("Exit codes: 0 all pass, no errors; 1 a failure (a requirement, a scenario, an "
                  "unformatted file; with --fail-on unknown an unknown result); 2 invalid input or "
                  "usage; 130 interrupted (Ctrl-C). Each command's --help says which it uses.")


_exit_codes_in_help()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code instead of exiting."""
    try:
        cli.main(args=argv, prog_name="contract-rules", standalone_mode=False)
    except SystemExit as stop:
        return int(stop.code or 0)
    except click.exceptions.Abort as stop:
        if isinstance(stop.__cause__, KeyboardInterrupt):
            click.echo("interrupted", err=True)
            return ExitCode.INTERRUPTED
        click.echo("Aborted.", err=True)
        return 1
    except KeyboardInterrupt:  # between click's own handlers
        click.echo("interrupted", err=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as error:
        error.show()
        return ExitCode.INVALID_INPUT
    except OutputError as error:
        return output_failed(error)
    return ExitCode.OK


def entry_point() -> None:
    one_command()  # this process runs one command and ends
    code = main()
    try:
        sys.stdout.flush()
    except OSError as error:  # the last of the report could not be written
        code = output_failed(error)
    gc.freeze()  # no walk of the heap by the collection at shutdown (docs/architecture.md, start-up)
    sys.exit(code)
