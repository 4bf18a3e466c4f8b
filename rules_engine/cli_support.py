"""What every command of `contract-rules` shares: exit codes, the options
that several commands take, and how a report reaches its reader.

The writing rules, which the README states:
- `-o FILE` never names a file the command reads (an arrangement, a
  population, a rule file or folder, a scenario, an assumptions file; through
  a link or a hard link: compared by device and inode): E-WRITE-003, exit 2,
  nothing written.
- A regular file is replaced whole (a temporary file beside it, then a
  rename); a character device (`/dev/null`) or a pipe a process reads is
  written in place; anything else is refused (E-WRITE-001).
- Everything written, on a terminal, in a pipe or to `-o`, goes through
  `base.visible.visible`: a control character from input reaches no terminal
  as a command. A write error on standard output (a full disk, `ulimit -f`)
  is one line on stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import enum
import errno
import gc
import io
import os
import re
import sys
from pathlib import Path

import click

from rules_engine.base import limits
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related, render_all
from rules_engine.base.visible import visible
from rules_engine.reports import json_report
from rules_engine.static.load import source_lookup
from rules_engine.static.population_terms import in_force
from rules_engine.syntax import value_slips


class ExitCode(enum.IntEnum):
    OK = 0
    FAILURES = 1
    INVALID_INPUT = 2
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as a shell reports it
    BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader (`| head`) went away


class _Date(click.ParamType):
    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            problem = value_slips.date_problem(value)
            why = f" ({problem[0]})" if problem else ""
            self.fail(f"{value!r} is not a date{why}; write YYYY-MM-DD, e.g. 2025-06-01", param, ctx)


DATE = _Date()
FORMAT = click.Choice(["text", "json"])


def terminal_width() -> int:
    """The width to wrap text at: $COLUMNS when set, else the terminal's, else 80."""
    import shutil  # here, not at the top: start-up (only this path needs it)
    return shutil.get_terminal_size((80, 24)).columns


def use_color(output: Path | None) -> bool:
    """Colour only on a terminal, never into `-o`, and never when NO_COLOR is
    set to anything but the empty string (https://no-color.org)."""
    if os.environ.get("NO_COLOR", ""):
        return False
    return output is None and sys.stdout.isatty()


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def warn_about_replaced(engine) -> None:
    """Say which shipped layers a proposed one replaces: of its name, or of its
    ICB on the days they share (issue 18, item 7: never silently)."""
    proposed = engine.proposed
    for name, file in engine.superseded:
        warn(f"the proposed layer `{name}` ({proposed.file}) replaces the shipped layer of the same "
             f"name ({file})")
    for layer, days in engine.stands_in_for():
        warn(f"the proposed layer `{proposed.name}` ({proposed.file}) stands in for the shipped layer "
             f"`{layer.name}` ({layer.file}) of ICB {layer.header.icb.upper()} {days}: on those days "
             f"only the proposed layer applies to ICB {layer.header.icb.upper()}")


def warn_about_local(engine, icbs: set) -> None:
    """Say when a proposed layer replaces a shipped one, or applies to no arrangement given."""
    proposed = engine.proposed
    if proposed is None:
        return
    warn_about_replaced(engine)
    icb = getattr(proposed.header, "icb", None)
    if icb is not None and icb not in icbs:
        where = f"they are in {', '.join(sorted(icbs))}" if icbs else "they name no ICB"
        warn(f"the local layer `{proposed.name}` ({proposed.file}) is for ICB {icb}; no arrangement "
             f"given is in {icb} ({where}), so it applies to none")


def note_population_terms(engine, report) -> None:
    """Say which population terms a one-arrangement `check` leaves out: they
    are decided over the arrangements of an ICB or a run, never over one."""
    seen = {}
    for arrangement in report.arrangements:
        for found in in_force(engine.library, arrangement.layers, arrangement.as_of):
            seen.setdefault(found.key, found)
    for found in seen.values():
        warn(f"population term `{found.term.name}` ({found.layer.name}, {found.layer.file}) is decided "
             f"across {'the ICB' if found.term.across == 'icb' else 'the run'}, not for one arrangement: "
             f"not evaluated here; give the arrangements with --population FILE.jsonl (or run impact)")


def warn_all(messages) -> None:
    for message in messages:
        warn(message)


# ------------------------------------------------------------ terminal safety

#: The styles `click.style` writes for the reports' own labels (text_report.
#: STYLE): the only escape sequences a coloured report keeps.
_OWN_STYLES = re.compile(r"\x1b\[(?:0|1|3[0-7]|9[0-7])m")


def shown(text: str, color: bool = False) -> str:
    """`text` as it may reach a terminal: control characters visible, line
    ends and tabs kept, and, with `color`, the reports' own colour codes."""
    if not color or "\x1b" not in text:
        return visible(text, keep="\n\t")
    parts, last = [], 0
    for match in _OWN_STYLES.finditer(text):
        parts += [visible(text[last:match.start()], keep="\n\t"), match.group()]
        last = match.end()
    parts.append(visible(text[last:], keep="\n\t"))
    return "".join(parts)


class OutputError(OSError):
    """A write to standard output or standard error failed."""


class Shown:
    """A text stream that shows what is written to it through `shown` and
    turns a write error into OutputError (said once, in `main`)."""

    def __init__(self, stream, color: bool = False):
        self.unfiltered = stream
        self.color = color

    def write(self, text: str) -> int:
        try:
            buffer = getattr(self.unfiltered, "buffer", None)
            if isinstance(buffer, io.RawIOBase):  # unbuffered (python -u, PYTHONUNBUFFERED=1):
                self._write_all(buffer, shown(text, self.color))  # a short write must not lose the rest
                return len(text)
            return self.unfiltered.write(shown(text, self.color))
        except OSError as error:
            raise OutputError(error.errno, error.strerror) from None

    def _write_all(self, raw, text: str) -> None:
        self.unfiltered.flush()
        data = memoryview(text.encode(self.unfiltered.encoding or "utf-8", self.unfiltered.errors or "strict"))
        while data:
            written = raw.write(data)
            data = data[written or 0:]

    def flush(self) -> None:
        try:
            self.unfiltered.flush()
        except OSError as error:
            raise OutputError(error.errno, error.strerror) from None

    def __getattr__(self, name):  # isatty, fileno, encoding, ...
        return getattr(self.unfiltered, name)


def output_failed(error: OSError) -> int:
    """Standard output cannot be written: one line on stderr (none for a
    reader that went away), and the exit code."""
    try:  # the interpreter's last flush must not fail again
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.__stdout__.fileno())
    except (OSError, AttributeError, ValueError):
        pass
    if error.errno == errno.EPIPE:
        return ExitCode.BROKEN_PIPE
    try:
        sys.__stderr__.write(f"error: cannot write the report to standard output: "
                             f"{error.strerror or error}; nothing more was written\n")
        sys.__stderr__.flush()
    except (OSError, AttributeError, ValueError):
        pass
    return ExitCode.INVALID_INPUT


# ------------------------------------------------------------------- writing

def report_invalid(error: InvalidInput, output_format: str) -> int:
    if output_format == "json":
        click.echo(json_report.dumps(json_report.diagnostics_json(error.diagnostics)))
    else:
        click.echo(render_all(error.diagnostics, source_lookup(error.diagnostics, error.sources)),
                   err=True, nl=False)
    return ExitCode.INVALID_INPUT


def run_command(function, output_format: str = "text", output: Path | None = None) -> int:
    try:
        return function()
    except InvalidInput as error:
        if output_format == "html" and output is None:
            # A page redirected to a file says what was wrong, never nothing.
            from rules_engine.reports.html_report import render_error  # here, not at the top: start-up (only this path needs it)
            text = render_all(error.diagnostics, source_lookup(error.diagnostics, error.sources))
            click.echo(render_error(text), nl=False)
        return report_invalid(error, "json" if output_format == "json" else "text")


def guard_output(output: Path | None, *inputs) -> None:
    """E-WRITE-003 when `-o` names a file the command reads: nothing is written."""
    if output is None:
        return
    from rules_engine.io.outputs import inputs_among  # here, not at the top: start-up (only this path needs it)
    flat = [item for value in inputs
            for item in (value if isinstance(value, (list, tuple)) else [value])]
    same = inputs_among(output, flat)
    if same is not None:
        what = "" if str(same) == str(output) else f" (it is {same})"
        raise InvalidInput([Diagnostic(
            "E-WRITE-003", f"-o {output} names a file this command reads{what}: the report would "
                           f"replace it", None, path=str(output),
            related=(Related(None, f"{output} is unchanged; nothing was written"),),
            hint="give -o a new file name (a report never replaces an input)")])


def emit(text: str, output: Path | None, quiet: bool = False) -> None:
    """A report to stdout, or to `output` as a whole (temporary file, then a
    rename: a failed run leaves the old file as it was)."""
    if output is not None:
        from rules_engine.io.outputs import write_text  # here, not at the top: start-up (only this path needs it)
        try:
            write_text(output, shown(text))
        except OSError as error:
            raise InvalidInput([cannot_write(output, error)]) from None
    elif not quiet:
        click.echo(text, nl=False)


def cannot_write(path: Path, error: OSError) -> Diagnostic:
    """E-WRITE-001 for a report that `-o FILE` could not write: FILE is as it was."""
    from rules_engine.io.outputs import NotRegularFile  # here, not at the top: start-up (only this path needs it)
    regular = os.path.isfile(path)
    notes = (Related(None, f"{path} is unchanged"),) if regular else ()
    if isinstance(error, NotRegularFile):
        hint = "give -o a regular file, or a device or pipe that can be written (/dev/null)"
    elif error.errno == errno.ENAMETOOLONG:
        hint = "give -o a shorter name: at most 255 bytes a name, 4096 a path"
    elif error.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        hint = "free space on the disk, or raise the file-size limit (`ulimit -f`), and run again"
    else:
        hint = "give -o a file in a folder that exists and that you may write to"
    return Diagnostic("E-WRITE-001", f"cannot write {path}: {error.strerror or error}", None,
                      path=str(path), related=notes, hint=hint)


def streamed(function, output: Path | None, quiet: bool) -> int:
    """Run `function` (which prints its report on stdout as it goes, and returns
    the exit code) with stdout sent to `output` or, with `quiet`, nowhere.
    The file is replaced once the run ends (a temporary file, then a rename),
    and not at all if the input was invalid (exit 2) or the run failed."""
    import contextlib  # here, not at the top: start-up (only this path needs it)
    if output is None and not quiet:
        return function()
    if output is None:
        with open(os.devnull, "w", encoding="utf-8") as null, contextlib.redirect_stdout(null):
            return function()
    from rules_engine.io.outputs import Replacing  # here, not at the top: start-up (only this path needs it)
    try:
        pending = Replacing(output)
    except OSError as error:
        raise InvalidInput([cannot_write(output, error)]) from None
    try:
        with contextlib.redirect_stdout(Shown(pending.stream)):
            code = function()
        if code == ExitCode.INVALID_INPUT:
            pending.discard()
        else:
            pending.commit()
    except OSError as error:
        pending.discard()
        raise InvalidInput([cannot_write(output, error)]) from None
    except BaseException:
        pending.discard()
        raise
    return code


def exists(path: Path) -> Diagnostic:
    return Diagnostic("E-WRITE-002", f"{path} exists; `new` does not replace it", None, path=str(path),
                      hint="move or rename it, or choose another name (--name) or folder (--dir); "
                           "nothing was written")


# ------------------------------------------------------------------- options

def output_options(function):
    function = click.option("--quiet", "-q", is_flag=True,
                            help="Print no report; the exit code says the outcome.")(function)
    function = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                            help="Write the report to FILE (replaced whole, atomically; never a file "
                                 "the command reads).")(function)
    return function


def one_stdin(*inputs) -> None:
    """At most one input may be `-`: standard input can be read only once."""
    named = []
    for value in inputs:
        for item in (value if isinstance(value, (list, tuple)) else [value]):
            if item is not None and str(item) == "-":
                named.append(item)
    if len(named) > 1:
        raise click.UsageError("`-` (standard input) is given more than once; it can be read only once: "
                               "save all but one of these inputs to files")


class LimitSetting(click.ParamType):
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


def assume_options(function):
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


def coverage_options(function):
    """`test`'s rule coverage options (docs/coverage.md)."""
    function = click.option("--min-coverage", type=click.FloatRange(0, 100), metavar="P",
                            help="Fail (exit 1) when rule coverage is under P percent; implies "
                                 "--coverage.")(function)
    function = click.option("--coverage-format", type=click.Choice(["text", "json", "html"]),
                            help="The format of --coverage-report FILE (default: by its suffix, "
                                 ".json or .html, else text).")(function)
    function = click.option("--coverage-report", type=click.Path(dir_okay=False, path_type=Path),
                            metavar="FILE", help="Also write the whole coverage report to FILE; "
                                                 "implies --coverage.")(function)
    return click.option("--coverage", is_flag=True,
                        help="Measure rule coverage: which requirements, values and conditions the "
                             "scenarios ran, and which way (the report ends with it; with --format "
                             "json, under `coverage`).")(function)


def assumptions_of(assume, assumptions_file):
    """The run's assumptions: the file's, and the command line's over them."""
    from rules_engine.program.assumptions import NONE, from_arguments, from_file  # here, not at the top: start-up (only this path needs it)
    stated = from_file(assumptions_file) if assumptions_file is not None else NONE
    return from_arguments(assume).over(stated) if assume else stated


def _one_local(ctx, param, given: tuple[Path, ...]) -> Path | None:
    """The one proposed layer of `--local`. Given twice, the second never
    silently wins (issue 18, item 7): two layers for one ICB on shared days are
    E-LAYER-015 (exit 2), as the library says of two shipped ones; two for
    different ICBs are a usage error (a run proposes one layer)."""
    if len(given) <= 1:
        return given[0] if given else None
    from rules_engine.static.integrity import check_overlapping_layers  # here, not at the top: start-up (only this path needs it)
    from rules_engine.static.load import run_until  # here, not at the top: start-up (only this path needs it)
    from rules_engine.static.library import read_sources  # here, not at the top: start-up (only this path needs it)
    try:
        layers = run_until("lower", read_sources(given))
    except InvalidInput as error:
        sys.exit(report_invalid(error, "text"))
    clash = check_overlapping_layers([layer for layer in layers if layer.is_local])
    if clash:
        sys.exit(report_invalid(InvalidInput(clash), "text"))
    raise click.BadParameter(
        "give one proposed layer: " + ", ".join(
            f"{layer.file} is `{layer.name}`" + (f" for ICB {layer.header.icb.upper()}" if layer.is_local
                                                  else " (a national contract)") for layer in layers)
        + "; run once for each", ctx=ctx, param=param)


def rules_options(function):
    function = click.option("--rules", type=click.Path(exists=True, path_type=Path),
                            help="Load this rule library instead of the shipped one.")(function)
    function = click.option("--local", type=click.Path(exists=True, allow_dash=True, dir_okay=False, path_type=Path),
                            multiple=True, callback=_one_local,
                            help="Add a (proposed) local layer; it applies to its own ICB.")(function)
    return function


#: Whether this process runs one command and ends (`cli.entry_point`, the
#: `contract-rules` command), rather than `cli.main` called in a longer one.
_ONE_COMMAND = [False]


def one_command() -> None:
    """Say that this process runs one command and ends (see `kept`)."""
    _ONE_COMMAND[0] = True


def kept(engine):
    """In a process that runs one command, the engine and its library (and
    everything loaded so far) kept out of the garbage collector's walks for
    the rest of the process (`gc.freeze`): they live until the command ends,
    and a one-file check would otherwise spend a fifth of its time walking
    them again and again. A longer process (tests, the API) is left as it is."""
    if _ONE_COMMAND[0]:
        gc.freeze()
    return engine
