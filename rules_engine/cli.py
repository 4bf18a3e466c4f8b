"""The `contract-rules` command: a thin click layer over the library API.

Each command parses its options, makes one call into the API, renders the
result and returns an exit code: 0 all pass / no errors, 1 a requirement or a
scenario fails, 2 the input is invalid (rule file, arrangement or scenario),
130 interrupted by Ctrl-C.
User errors are printed as diagnostics, never as a traceback.
"""

from __future__ import annotations

import datetime as dt
import enum
import sys
from pathlib import Path

import click

from rules_engine.base import limits
from rules_engine.syntax import slips
from rules_engine.base.version import version
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related, render_all
from rules_engine.run.engine import Engine
from rules_engine.run.results import report_json
from rules_engine.static.load import source_lookup
from rules_engine.reports import json_report, text_report
from rules_engine.base.values import Outcome


class ExitCode(enum.IntEnum):
    OK = 0
    FAILURES = 1
    INVALID_INPUT = 2
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as a shell reports it


class _Date(click.ParamType):
    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            problem = slips.date_problem(value)
            why = f" ({problem[0]})" if problem else ""
            self.fail(f"{value!r} is not a date{why}; write YYYY-MM-DD, e.g. 2025-06-01", param, ctx)


DATE = _Date()
FORMAT = click.Choice(["text", "json"])


def terminal_width() -> int:
    """The width to wrap text at: $COLUMNS when set, else the terminal's, else 80."""
    import shutil  # here, not at the top: start-up (only this path needs it)
    return shutil.get_terminal_size((80, 24)).columns


def report_invalid(error: InvalidInput, output_format: str) -> int:
    if output_format == "json":
        click.echo(json_report.dumps(json_report.diagnostics_json(error.diagnostics)))
    else:
        click.echo(render_all(error.diagnostics, source_lookup(error.diagnostics, error.sources)),
                   err=True, nl=False)
    return ExitCode.INVALID_INPUT


def _run(function, output_format: str = "text", output: Path | None = None) -> int:
    try:
        return function()
    except InvalidInput as error:
        if output_format == "html" and output is None:
            # A page redirected to a file says what was wrong, never nothing.
            from rules_engine.reports.html_report import render_error  # here, not at the top: start-up (only this path needs it)
            text = render_all(error.diagnostics, source_lookup(error.diagnostics, error.sources))
            click.echo(render_error(text), nl=False)
        return report_invalid(error, "json" if output_format == "json" else "text")


def emit(text: str, output: Path | None, quiet: bool = False) -> None:
    """A report to stdout, or to `output` as a whole (temporary file, then a
    rename: a failed run leaves the old file as it was)."""
    if output is not None:
        from rules_engine.io.outputs import write_text  # here, not at the top: start-up (only this path needs it)
        try:
            write_text(output, text)
        except OSError as error:
            raise InvalidInput([_cannot_write(output, error)]) from None
    elif not quiet:
        click.echo(text, nl=False)


def _cannot_write(path: Path, error: OSError) -> Diagnostic:
    """E-WRITE-001 for a report that `-o FILE` could not write: FILE is as it was."""
    notes = (Related(None, f"{path} is unchanged"),) if Path(path).exists() else ()
    return Diagnostic("E-WRITE-001", f"cannot write {path}: {error.strerror or error}", None,
                      path=str(path), related=notes,
                      hint="give -o a file in a folder that exists and that you may write to")


def _streamed(function, output: Path | None, quiet: bool) -> int:
    """Run `function` (which prints its report on stdout as it goes, and returns
    the exit code) with stdout sent to `output` or, with `quiet`, nowhere.
    The file is replaced once the run ends (a temporary file, then a rename),
    and not at all if the input was invalid (exit 2) or the run failed."""
    import contextlib  # here, not at the top: start-up (only this path needs it)
    import os  # here, not at the top: start-up (only this path needs it)
    if output is None and not quiet:
        return function()
    if output is None:
        with open(os.devnull, "w", encoding="utf-8") as null, contextlib.redirect_stdout(null):
            return function()
    from rules_engine.io.outputs import Replacing  # here, not at the top: start-up (only this path needs it)
    try:
        pending = Replacing(output)
    except OSError as error:
        raise InvalidInput([_cannot_write(output, error)]) from None
    try:
        with contextlib.redirect_stdout(pending.stream):
            code = function()
        if code == ExitCode.INVALID_INPUT:
            pending.discard()
        else:
            pending.commit()
    except OSError as error:
        pending.discard()
        raise InvalidInput([_cannot_write(output, error)]) from None
    except BaseException:
        pending.discard()
        raise
    return code


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def _output_options(function):
    function = click.option("--quiet", "-q", is_flag=True,
                            help="Print no report; the exit code says the outcome.")(function)
    function = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                            help="Write the report to FILE (replaced whole, atomically).")(function)
    return function


def _one_stdin(*inputs) -> None:
    """At most one input may be `-`: standard input can be read only once."""
    named = []
    for value in inputs:
        for item in (value if isinstance(value, (list, tuple)) else [value]):
            if item is not None and str(item) == "-":
                named.append(item)
    if len(named) > 1:
        raise click.UsageError("`-` (standard input) is given more than once; it can be read only once: "
                               "save all but one of these inputs to files")


def _warn_about_local(engine: Engine, icbs: set) -> None:
    """Say when a proposed layer replaces a shipped one, or applies to no arrangement given."""
    proposed = engine.proposed
    if proposed is None:
        return
    for name, file in getattr(engine, "superseded", ()):
        warn(f"the proposed layer `{name}` ({proposed.file}) replaces the shipped layer of the same "
             f"name ({file})")
    icb = getattr(proposed.header, "icb", None)
    if icb is not None and icb not in icbs:
        where = f"they are in {', '.join(sorted(icbs))}" if icbs else "they name no ICB"
        warn(f"the local layer `{proposed.name}` ({proposed.file}) is for ICB {icb}; no arrangement "
             f"given is in {icb} ({where}), so it applies to none")


class _LimitSetting(click.ParamType):
    """`NAME=VALUE` for one row of `limits.TABLE`."""

    name = "NAME=VALUE"

    def convert(self, value, param, ctx):
        if isinstance(value, dict):
            return value
        try:
            settings = limits.parse_settings(value)
        except limits.LimitSettingError as error:
            message = str(error)
            if "limits:" not in message:
                message += f"; limits: {', '.join(limits.BY_NAME)}"
            self.fail(message, param, ctx)
        if not settings:
            self.fail(f"`{value}` is not NAME=VALUE; limits: {', '.join(limits.BY_NAME)}", param, ctx)
        return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version(), "--version", prog_name="contract-rules")
@click.option("--limit", "limit_settings", type=_LimitSetting(), multiple=True, metavar="NAME=VALUE",
              help="Change an input limit for this run (repeatable), e.g. "
                   "--limit max_file_bytes=50000000; the limits are listed in docs/language.md.")
@click.pass_context
def cli(ctx, limit_settings) -> None:
    """Check GP practice and PCN arrangements against NHS England contract rules,
    national and local."""
    from rules_engine.io.inputs import forget_stdin  # here, not at the top: start-up (only this path needs it)
    forget_stdin()  # `-` reads this command's standard input
    merged: dict[str, int] = {}
    for settings in limit_settings:
        merged.update(settings)
    if merged:  # for this run only (and its --jobs workers), not for the process after it
        ctx.with_resource(limits.overridden(**merged))


def _assume_options(function):
    function = click.option("--assumptions", "assumptions_file",
                            type=click.Path(exists=True, dir_okay=False, path_type=Path),
                            help="A YAML or JSON file of assumed figures (NAME: VALUE), for what the "
                                 "national layer lacks on the date.")(function)
    function = click.option("--assume", "assume", multiple=True, metavar="NAME=VALUE",
                            help="Assume a figure the national layer lacks on the date, written as a "
                                 "rule file writes it (repeatable), e.g. "
                                 "--assume qof_national_average_list_size=10349; results that read "
                                 "it are marked assumed.")(function)
    return function


def _assumptions(assume, assumptions_file):
    """The run's assumptions: the file's, and the command line's over them."""
    from rules_engine.program.assumptions import NONE, from_arguments, from_file  # here, not at the top: start-up (only this path needs it)
    stated = from_file(assumptions_file) if assumptions_file is not None else NONE
    return from_arguments(assume).over(stated) if assume else stated


def _rules_options(function):
    function = click.option("--rules", type=click.Path(exists=True, path_type=Path),
                            help="Load this rule library instead of the shipped one.")(function)
    function = click.option("--local", type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path),
                            help="Add a (proposed) local layer; it applies to its own ICB.")(function)
    return function


@cli.command()
@click.argument("arrangements", nargs=-1, type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path))
@_rules_options
@click.option("--as-of", type=DATE, help="Take the terms in force on this date (overrides the arrangement's).")
@click.option("--population", type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path),
              help="Check every arrangement of a JSON Lines file, streaming.")
@click.option("--strict", is_flag=True, help="With --population: stop at the first bad line.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=1, show_default=True,
              help="With --population: worker processes (same output, same order).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@click.option("--all", "show_all", is_flag=True,
              help="Text: list passing and not-applicable results and every value too.")
@click.option("--fail-on", type=click.Choice(["fail", "unknown"]), default="fail", show_default=True,
              help="Exit 1 when a result fails, or (unknown) when one fails or is unknown.")
@_assume_options
@_output_options
def check(arrangements, rules, local, as_of, population, strict, jobs, output_format, show_all, fail_on,
          assume, assumptions_file, output, quiet):
    """Check arrangements (YAML or JSON) against the layers in force."""
    if not arrangements and population is None:
        raise click.UsageError("give arrangement files, or --population FILE.jsonl")
    _one_stdin(arrangements, population, local)
    if population is not None and arrangements:
        warn("arrangement files given beside --population are ignored: " + ", ".join(map(str, arrangements)))
    if population is None and (strict or jobs != 1):
        warn("--strict and --jobs apply to --population only; ignored")

    def run() -> int:
        assumptions = _assumptions(assume, assumptions_file)
        if population is not None:
            from rules_engine.population_run import EngineSpec, check_population, remember  # here, not at the top: start-up (only this path needs it)
            spec = EngineSpec(rules, local, assumptions=assumptions)
            engine = spec.load()  # rule-file errors surface here, once
            for name, file in engine.superseded:
                warn(f"the proposed layer `{name}` ({engine.proposed.file}) replaces the shipped "
                     f"layer of the same name ({file})")
            remember(spec, engine)
            return _streamed(lambda: check_population(spec, population, as_of, output_format, strict, jobs),
                             output, quiet)
        engine = Engine.load(rules, local, assumptions=assumptions)
        loaded = engine.load_arrangements(arrangements)
        _warn_about_local(engine, {a.facts["icb"] for a in loaded if isinstance(a.facts.get("icb"), str)})
        report = engine.check(loaded, as_of)
        if output_format == "json":
            text = json_report.dumps(report_json(report)) + "\n"
        elif output_format == "html":
            from rules_engine.reports.html_report import render_check  # here, not at the top: start-up (only this path needs it)
            text = render_check(report)
        else:
            text = text_report.render(report, terminal_width(), color=sys.stdout.isatty() and output is None,
                                      show_all=show_all)
        emit(text, output, quiet)
        if report.outcome is Outcome.FAIL:
            return ExitCode.FAILURES
        if fail_on == "unknown" and report.outcome is Outcome.UNKNOWN:
            return ExitCode.FAILURES
        return ExitCode.OK
    sys.exit(_run(run, output_format, output))



@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, allow_dash=True, path_type=Path))
@click.option("--format", "output_format", type=FORMAT, default="text", show_default=True)
@_output_options
def lint(paths, output_format, output, quiet):
    """Check rule files statically: syntax, names, types, units and layering.

    With no PATH, checks the shipped library. A folder is read as a library
    (its national/ and local/ files); `-` reads one rule file from standard
    input."""
    from rules_engine.queries.lint import lint_paths, render_lint  # here, not at the top: start-up (only this path needs it)
    _one_stdin(paths)
    def run() -> int:
        result = lint_paths(paths)
        if output_format == "json":
            text = json_report.dumps(result.as_json()) + "\n"
        else:
            text = render_lint(result)
        emit(text, output, quiet)
        return ExitCode.OK
    sys.exit(_run(run, output_format, output))


@cli.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "output_format", type=FORMAT, default="text", show_default=True)
@_assume_options
@_output_options
def test_command(paths, output_format, assume, assumptions_file, output, quiet):
    """Run scenario files (YAML): expected outcomes and values against actual.

    With no PATH, runs tests/scenarios. --assume and --assumptions apply to
    every scenario; a scenario's own `assume:` wins for the names it gives."""
    from rules_engine.testing.scenarios import collect_scenario_files, render_run, run_scenarios  # here, not at the top: start-up (only this path needs it)
    def run() -> int:
        assumptions = _assumptions(assume, assumptions_file)
        files = collect_scenario_files(paths or [Path("tests/scenarios")])
        outcome = run_scenarios(files, assumptions)
        if output_format == "json":
            text = json_report.dumps(outcome.as_json()) + "\n"
        else:
            text = render_run(outcome)
        emit(text, output, quiet)
        if outcome.invalid:
            return ExitCode.INVALID_INPUT
        return ExitCode.FAILURES if outcome.failed else ExitCode.OK
    sys.exit(_run(run, output_format, output))


@cli.command()
@click.argument("rule_id")
@click.option("--arrangement", "arrangement_path",
              type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path),
              help="Explain its result for this arrangement; without one, describe the term.")
@click.option("--subject", help="Which subject, e.g. practice:D82001 (default: every subject).")
@_rules_options
@click.option("--as-of", type=DATE, help="Without --arrangement: the date whose terms and flexibility "
              "are described (default: today).")
@click.option("--full", is_flag=True, help="Show every fact, parameter and definition read.")
@click.option("--format", "output_format", type=FORMAT, default="text", show_default=True)
@_assume_options
@_output_options
def explain(rule_id, arrangement_path, subject, rules, local, as_of, full, output_format, assume,
            assumptions_file, output, quiet):
    """Show why a requirement or value came out as it did: the trace.

    Without --arrangement, describe the term: what it requires, its clause,
    its provisional marks, what a local layer may change in it on the date
    (and who grants that), and which shipped local layers change it."""
    from rules_engine import api  # here, not at the top: start-up (only this path needs it)
    _one_stdin(arrangement_path, local)
    def run() -> int:
        engine = Engine.load(rules, local, assumptions=_assumptions(assume, assumptions_file))
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
    sys.exit(_run(run, output_format, output))


@cli.command()
@click.option("--flexible", is_flag=True, help="What a local layer may vary, waive, replace, retire or "
              "extend, with bounds, budgets, clauses and the envelope that grants it.")
@click.option("--rules", type=click.Path(exists=True, path_type=Path),
              help="Use this rule library instead of the shipped one.")
@click.option("--as-of", type=DATE, help="The date (default: today).")
@click.option("--format", "output_format", type=FORMAT, default="text", show_default=True)
@_output_options
def show(flexible, rules, as_of, output_format, output, quiet):
    """Show what the rule library allows (`--flexible`: local flexibility on a date)."""
    if not flexible:
        raise click.UsageError("say what to show: --flexible")
    from rules_engine.queries.powers import powers_on  # here, not at the top: start-up (only this path needs it)
    def run() -> int:
        powers = powers_on(Engine.load(rules).library, as_of or dt.date.today())
        if output_format == "json":
            emit(json_report.dumps(powers.to_dict()) + "\n", output, quiet)
        else:
            emit(powers.render(terminal_width()), output, quiet)
        return ExitCode.OK
    sys.exit(_run(run, output_format, output))


@cli.command("vary-check")
@click.argument("local", type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path))
@click.option("--rules", type=click.Path(exists=True, path_type=Path),
              help="Check against this library instead of the shipped one.")
@click.option("--as-of", type=DATE, help="Show national values on this date (default: the layer's start).")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@_output_options
def vary_check_command(local, rules, as_of, output_format, output, quiet):
    """Check a proposed local layer: is each variation permit"""
    from rules_engine.queries.variations import vary_check  # here, not at the top: start-up (only this path needs it)
    from rules_engine.reports import variations_report  # here, not at the top: start-up (only this path needs it)
    def run() -> int:
        result = vary_check(local, rules, as_of)
        if output_format == "json":
            text = json_report.dumps(result.as_json()) + "\n"
        elif output_format == "html":
            from rules_engine.reports.html_report import render_vary_check  # here, not at the top: start-up (only this path needs it)
            text = render_vary_check(result)
        else:
            text = variations_report.render(result, terminal_width(),
                                            color=sys.stdout.isatty() and output is None)
        emit(text, output, quiet)
        if not result.permitted:
            click.echo(render_all(result.diagnostics, source_lookup(result.diagnostics)), err=True, nl=False)
            return ExitCode.INVALID_INPUT
        return ExitCode.OK
    sys.exit(_run(run, output_format, output))


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
@_assume_options
@_output_options
def impact(population, variation, rules, as_of, strict, jobs, output_format, show_all, assume,
           assumptions_file, output, quiet):
    """What a proposed variation changes: outcomes and values, before and after.

    The baseline is the library without the proposed layer (with the ICB's
    current layer, if the proposal has another name)."""
    from rules_engine.population_run import EngineSpec, remember, run_impact  # here, not at the top: start-up (only this path needs it)
    _one_stdin(population, variation)
    def run() -> int:
        assumptions = _assumptions(assume, assumptions_file)  # the same for both sides
        baseline = EngineSpec(rules, without=variation, assumptions=assumptions)  # the library before this layer
        proposed = EngineSpec(rules, variation, assumptions=assumptions)
        remember(baseline, baseline.load())
        remember(proposed, proposed.load())
        return _streamed(lambda: run_impact(baseline, proposed, population, as_of, output_format, strict,
                                            jobs, show_all, terminal_width()), output, quiet)
    sys.exit(_run(run, output_format, output))


@cli.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True,
              help="Change nothing; list the files that are not formatted (exit 1 if any).")
def fmt(files, check_only):
    """Lay rule files out canonically, keeping every comment.

    Each file is replaced as a whole (a temporary file, then a rename), so a
    failed write leaves it as it was. `-` (alone) formats standard input to
    standard output."""
    from rules_engine.syntax.formatter import format_source  # here, not at the top: start-up (only this path needs it)
    from rules_engine.static.library import read_sources  # here, not at the top: start-up (only this path needs it)
    from rules_engine.io.outputs import write_text  # here, not at the top: start-up (only this path needs it)
    if any(str(f) == "-" for f in files) and len(files) > 1:
        raise click.UsageError("`-` formats standard input to standard output: give it alone")
    def run() -> int:
        sources = read_sources(files)
        if str(files[0]) == "-":
            formatted, diagnostics = format_source(sources[0])
            if diagnostics:
                raise InvalidInput(diagnostics)
            if check_only:
                if formatted != sources[0].text:
                    click.echo(f"would reformat {sources[0].path}")
                    return ExitCode.FAILURES
                return ExitCode.OK
            click.echo(formatted, nl=False)
            return ExitCode.OK
        problems, unformatted, written = [], [], []
        for index, source in enumerate(sources):
            formatted, diagnostics = format_source(source)
            if diagnostics:
                problems += diagnostics
                continue
            if formatted == source.text:
                continue
            unformatted.append(source.path)
            if check_only:
                click.echo(f"would reformat {source.path}")
                continue
            try:
                write_text(source.path, formatted)
            except OSError as error:
                raise InvalidInput(problems + [_write_failed(source.path, error, written,
                                                             [s.path for s in sources[index + 1:]])])
            written.append(source.path)
            click.echo(f"reformatted {source.path}")
        if problems:
            raise InvalidInput(problems)
        if check_only and unformatted:
            return ExitCode.FAILURES
        if not unformatted:
            click.echo(f"{len(sources)} file{'s' if len(sources) != 1 else ''} already formatted")
        return ExitCode.OK
    sys.exit(_run(run))


def _write_failed(path: str, error: OSError, written: list[str], left: list[str]) -> Diagnostic:
    """E-WRITE-001 for a file `fmt` could not replace: it is unchanged; which
    files were reformatted before it, and which were not reached."""
    notes = [f"{path} is unchanged"]
    if written:
        notes.append("reformatted before the error: " + ", ".join(written))
    if left:
        notes.append("not reached: " + ", ".join(left))
    return Diagnostic("E-WRITE-001", f"cannot write {path}: {error.strerror or error}", None, path=path,
                      related=tuple(Related(None, note) for note in notes),
                      hint="free space on the disk, or raise the file-size limit (`ulimit -f`), "
                           "and run fmt again")


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
            raise InvalidInput([_exists(path) for path in existing])
        written = []
        for path, file in targets:
            try:
                write_new(path, file.text)
            except FileExistsError:
                raise InvalidInput([_exists(path)]) from None
            except OSError as error:
                raise InvalidInput([_cannot_write(path, error)]) from None
            written.append(path)
        layer, scenarios = written
        click.echo(f"wrote {layer} (the local layer {scaffold.layer} for ICB {scaffold.icb}) and "
                   f"{scenarios} (its scenarios); next:\n"
                   f"  contract-rules lint {layer}\n"
                   f"  contract-rules vary-check {layer}\n"
                   f"  contract-rules test {scenarios}")
        return ExitCode.OK
    sys.exit(_run(run))


def _exists(path: Path) -> Diagnostic:
    return Diagnostic("E-WRITE-002", f"{path} exists; `new` does not replace it", None, path=str(path),
                      hint="move or rename it, or choose another name (--name) or folder (--dir); "
                           "nothing was written")


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
             "fails (or, with --fail-on unknown, one is unknown); 2 invalid input",
    "lint": "0 no errors; 2 errors (printed on stderr)",
    "test": "0 every case passes; 1 a case fails; 2 a scenario file is invalid, or there is none",
    "explain": "0 explained; 1 the result explained fails; 2 invalid input or an unknown id",
    "vary-check": "0 every variation is permitted; 2 one is refused (its diagnostic on stderr) or the "
                  "layer is invalid",
    "impact": "0 the run completed, whatever it changes; 2 invalid input (a bad line with --strict, "
              "or no line that could be read)",
    "fmt": "0 formatted, or nothing to do; 1 with --check, a file is not formatted; 2 invalid input, "
           "or a file that cannot be written",
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
    return ExitCode.OK


def entry_point() -> None:
    sys.exit(main())
