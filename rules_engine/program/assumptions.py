"""Assumptions: figures a user states for what the national layer lacks on a date.

A national parameter says where the contract has a figure that the library
does not (it was not found in the sources) with a dated line
`from 2025-04-01 to 2026-03-31 = unknown`. Results that read it are unknown,
unless the user states an assumption for it, without editing a rule file:

    contract-rules check examples/pcn-passing.yaml --assume qof_national_average_list_size=10349
    contract-rules check examples/pcn-passing.yaml --assumptions examples/assumptions/2025-26.yaml

Input: `--assume NAME=VALUE` arguments (`from_arguments`), an assumptions file
(`from_file`: YAML or JSON, a mapping of names to values, read through the
project's safe readers), or a scenario file's `assume:` mapping
(`from_document`). VALUE is written as the rule language writes a literal
(`10349`, `£225.49`, `80%`, `15 points`, `true`).
Output: `Assumptions`, a typed record the `Engine` carries into
`layers.select`, where an assumed value stands in for the parameter's
`= unknown` line on that date; every result and value that reads it is marked
`assumed` with the name and value (`marks.py`).

Diagnostics (each exits 2, at the NAME=VALUE or the file's line and column):
E-ASSUME-001 no national parameter of that name (did you mean, and the names
that may be assumed), E-ASSUME-002 a value of the wrong type or unit (what to
write), E-ASSUME-003 a figure the national layer has on the date (that is what
a local layer is for), E-ASSUME-004 not NAME=VALUE or not a literal,
E-ASSUME-005 one name given twice in one place, E-ASSUME-006 a parameter that
has no figure on the date and does not say the contract has one.

>>> assumed = from_arguments(["qof_national_average_list_size=10349"])
>>> [(a.name, a.text) for a in assumed]
[('qof_national_average_list_size', '10349')]
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related, did_you_mean, one_of
from rules_engine.static.forms import show_literal, unknown_figure_on, value_on
from rules_engine.io.arrangements import read_yaml_file, yaml_position
from rules_engine.static.typecheck import check_value
from rules_engine.base.source import SourceFile, Span

#: The name of the pseudo-file that holds the `--assume` arguments, one a line.
COMMAND_LINE = "--assume"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_WRITTEN = ("one literal, as a rule file writes it: a count `10349`, money `£225.49`, "
            "a share `80%`, points `15 points`, yes/no `true`")


@attrs.frozen
class Assumption:
    """One stated figure: `qof_national_average_list_size = 10349`."""

    name: str
    text: str  # the value as written
    value: Any  # its literal node (nodes.Number, Money, Percent, Quantity, ...)
    span: Span  # where it was written (the NAME=VALUE, or the file's key)
    value_span: Span

    @property
    def origin(self) -> str:
        """Where it was stated: `--assume` or the file's path."""
        return self.span.file

    def describe(self) -> str:
        return f"{self.name} = {self.text}"

    def as_json(self) -> dict:
        return {"name": self.name, "value": self.text, "source": self.origin}


@attrs.frozen
class Assumptions:
    """The assumptions of one run, with the texts they were written in (for
    showing a diagnostic's line)."""

    items: tuple[Assumption, ...] = ()
    sources: tuple[SourceFile, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self) -> Iterator[Assumption]:
        return iter(self.items)

    def get(self, name: str) -> Assumption | None:
        for item in self.items:
            if item.name == name:
                return item
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.items)

    def over(self, base: "Assumptions") -> "Assumptions":
        """These assumptions, and those of `base` they do not name (the
        command line over a file, a scenario's own over the command line's)."""
        mine = set(self.names)
        kept = tuple(item for item in base.items if item.name not in mine)
        sources = tuple(dict.fromkeys(base.sources + self.sources))
        return Assumptions(kept + self.items, sources)

    def invalid(self, diagnostics: Iterable[Diagnostic]) -> InvalidInput:
        return InvalidInput(diagnostics, sources=self.sources)


NONE = Assumptions()


# ------------------------------------------------------------------ reading

def _value(name: str, text: str, source: SourceFile, line: int, column: int,
           name_span: Span) -> tuple[Assumption | None, list[Diagnostic]]:
    """Parse VALUE (starting at `line`:`column` of `source`) as one literal."""
    # The value, placed where it stands in the source, so that positions are
    # the source's own.
    padded = SourceFile(source.path, "\n" * (line - 1) + " " * (column - 1) + text)
    value_span = padded.span(len(padded.text) - len(text), len(padded.text))
    value_span = attrs.evolve(value_span, end_column=max(value_span.end_column, value_span.column + 1))
    if not text.strip():
        return None, [Diagnostic("E-ASSUME-004", f"the assumption `{name}` has no value", name_span,
                                 hint=f"write NAME=VALUE, VALUE as {_WRITTEN}")]
    from rules_engine.syntax.lower import lower_value  # here, not at the top: start-up (lark; a warm command reads the checked library from the cache)
    from rules_engine.syntax.parser import parse_value  # here, not at the top: start-up (lark; a warm command reads the checked library from the cache)
    parsed = parse_value(padded)
    if parsed.tree is None:
        first = parsed.diagnostics[0]
        return None, [Diagnostic("E-ASSUME-004", f"`{text.strip()}` is not a value for `{name}`: "
                                 f"{first.message}", first.span or value_span,
                                 hint=f"write VALUE as {_WRITTEN}")]
    node, problems = lower_value(padded, parsed)
    if problems:
        return None, list(problems)
    return Assumption(name, text.strip(), node, name_span, value_span), []


def from_arguments(arguments: Sequence[str]) -> Assumptions:
    """`--assume NAME=VALUE` arguments; each is a line of the pseudo-file
    `--assume`, so that a diagnostic points into it with a caret."""
    if not arguments:
        return NONE
    source = SourceFile(COMMAND_LINE, "\n".join(a.replace("\n", " ") for a in arguments) + "\n")
    items: list[Assumption] = []
    problems: list[Diagnostic] = []
    for number, argument in enumerate(arguments, start=1):
        argument = argument.replace("\n", " ")
        whole = source.span_at(number, 1, max(1, len(argument)))
        name, equals, text = argument.partition("=")
        if not equals or not _NAME.match(name.strip()):
            problems.append(Diagnostic(
                "E-ASSUME-004", f"`{argument}` is not NAME=VALUE", whole,
                hint="write the parameter's name, `=`, and its value: "
                     "--assume qof_national_average_list_size=10349"))
            continue
        lead = len(name) - len(name.lstrip())
        name_span = source.span_at(number, 1 + lead, max(1, len(name.strip())))
        item, found = _value(name.strip(), text, source, number, len(name) + 2, name_span)
        problems += found
        if item is not None:
            items.append(item)
    return _checked(items, problems, source)


def _repeated(items: list[Assumption]) -> list[Diagnostic]:
    seen: dict[str, Assumption] = {}
    problems = []
    for item in items:
        first = seen.get(item.name)
        if first is not None:
            problems.append(Diagnostic(
                "E-ASSUME-005", f"`{item.name}` is assumed twice ({first.text} and {item.text})",
                item.span, related=(Related(first.span, "the first"),),
                hint="state each figure once"))
        else:
            seen[item.name] = item
    return problems


def from_file(path: str | Path) -> Assumptions:
    """An assumptions file: a YAML (or JSON) mapping of parameter names to
    values, read as every input is (regular file, UTF-8, within the limits)."""
    source, document = read_yaml_file(path, "E-ASSUME-004", what="assumptions file")
    return from_document(document, source, "assumptions file")


def from_document(document: Any, source: SourceFile, what: str = "assumptions file",
                  at: Span | None = None) -> Assumptions:
    """A mapping of names to values read from a YAML document (with line
    numbers), such as an assumptions file or a scenario's `assume:`."""
    if document is None:
        return Assumptions((), (source,))
    if not isinstance(document, dict):
        raise InvalidInput([Diagnostic(
            "E-ASSUME-004", f"the {what} is not a mapping of names to values",
            at or source.span_at(1, 1),
            hint="write one line per figure: `qof_national_average_list_size: 10349`")],
            sources=(source,))
    items: list[Assumption] = []
    problems: list[Diagnostic] = []
    lc = getattr(document, "lc", None)
    for key, raw in document.items():
        key_line, key_column = yaml_position(lc, key, "key")
        name_span = source.span_at(key_line, key_column, max(1, len(str(key))))
        if not isinstance(key, str) or not _NAME.match(key):
            problems.append(Diagnostic("E-ASSUME-004", f"`{key}` is not a parameter name", name_span,
                                       hint="a name such as `qof_national_average_list_size`"))
            continue
        text = _as_text(raw)
        line, column = yaml_position(lc, key, "value")
        if text is None:
            problems.append(Diagnostic(
                "E-ASSUME-004", f"the value of `{key}` is not a literal", source.span_at(line, column),
                hint=f"write {_WRITTEN}, in quotes if it has a `£` or `%`: \"£225.49\""))
            continue
        raw_line = source.line_text(line)
        if column - 1 < len(raw_line) and raw_line[column - 1] in "\"'":
            column += 1
        item, found = _value(key, text, source, line, column, name_span)
        problems += found
        if item is not None:
            items.append(item)
    return _checked(items, problems, source)


def _checked(items: list[Assumption], problems: list[Diagnostic], source: SourceFile) -> Assumptions:
    """The assumptions read from one source, or InvalidInput with every
    problem found in it (a name given twice among them)."""
    problems = problems + _repeated(items)
    assumptions = Assumptions(tuple(items), (source,))
    if problems:
        raise assumptions.invalid(problems)
    return assumptions


def _as_text(raw) -> str | None:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (int, str)):
        return str(raw)
    if isinstance(raw, float):
        return repr(raw)
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return None


# ----------------------------------------------------------------- checking

def assumable(library) -> dict[str, tuple[n.DatedValue, ...]]:
    """The national parameters that say the contract has a figure the library
    lacks, with their `= unknown` lines."""
    found: dict[str, tuple[n.DatedValue, ...]] = {}
    for name, forms in library.forms.items():
        for form in forms:
            term = form.term
            if form.layer.is_local or not isinstance(term, n.ParameterDecl):
                continue
            lines = tuple(d for d in term.dated_values if isinstance(d.value, n.UnknownFigure))
            if lines:
                found[name] = found.get(name, ()) + lines
    return found


def _assumable_list(library) -> str:
    shown = [f"{name} ({'; '.join(d.period.describe() for d in lines)})"
             for name, lines in sorted(assumable(library).items())]
    return "the figures that may be assumed: " + (", ".join(shown) if shown else "none")


def check_static(assumptions: Assumptions, checked) -> None:
    """Names and types, whatever the date: E-ASSUME-001, E-ASSUME-002."""
    library = checked.library
    national = {name for name, forms in library.forms.items()
                if any(isinstance(f.term, n.ParameterDecl) and not f.layer.is_local for f in forms)}
    problems: list[Diagnostic] = []
    for item in assumptions:
        if item.name not in national:
            kind = None
            forms = library.forms.get(item.name)
            if forms:
                kind = "a local term" if all(f.layer.is_local for f in forms) else \
                    f"a {type(forms[0].term).__name__.removesuffix('Decl').lower()}, not a parameter"
            message = f"no national parameter is called `{item.name}`" + (f" (it is {kind})" if kind else "")
            hints = [h for h in (did_you_mean(item.name, national),) if h]
            problems.append(Diagnostic("E-ASSUME-001", message, item.span,
                                       hint=" ".join(hints + [_assumable_list(library)])))
            continue
        declared = checked.term_types[item.name]
        wrong = check_value(checked, item.value, declared)
        if wrong:
            problems.append(Diagnostic(
                "E-ASSUME-002", f"`{item.name}` is {t.describe(declared)}, but `{item.text}` is {wrong}",
                item.value_span,
                related=_declared_at(library, item.name),
                hint=f"write {example_for(declared)}"))
    if problems:
        raise assumptions.invalid(problems)


def _declared_at(library, name: str) -> tuple[Related, ...]:
    forms = library.forms.get(name) or ()
    return tuple(Related(f.term.span, f"`{name}` is declared here") for f in forms[:1])


def example_for(type_: t.Type) -> str:
    """How to write a value of a type, for a hint."""
    if isinstance(type_, t.Quantity):
        unit = type_.unit
        if unit == t.DIMENSIONLESS:
            if type_.fraction:
                return "a share such as `80%` (or `0.8`)"
            return "a whole number such as `10349` (no unit)" if type_.integral else "a number such as `1.25`"
        if dict(unit.exponents).get("GBP") == 1:
            return "an amount such as `£225.49`"
        for word, (word_unit, scale) in t.UNIT_WORDS.items():
            if word_unit == unit and scale == 1 and word.endswith("s"):
                return f"an amount such as `15 {word}`"
        return str(unit)
    if isinstance(type_, t.Boolean):
        return "`true` or `false`"
    if isinstance(type_, t.Date):
        return "a date such as `2025-04-01`"
    if isinstance(type_, t.Text):
        return 'a text in double quotes, such as `"U12345"`'
    if isinstance(type_, t.Enum):
        return "one of " + ", ".join(f"`{m}`" for m in type_.members[:8])
    return t.describe(type_)


def in_force_problems(assumptions: Assumptions, library, forms_on: dict,
                      as_of: dt.date) -> list[Diagnostic]:
    """What is wrong with each assumption on one date (E-ASSUME-003, -006):
    `forms_on` gives the form of each assumed term chosen for the date and
    whether it is in force."""
    problems = []
    for item in assumptions:
        form, in_force = forms_on.get(item.name, (None, False))
        if form is None:
            continue  # a name check_static refused
        term = form.term
        if in_force and unknown_figure_on(term, as_of) is not None:
            continue
        national = value_on(term, as_of) if in_force else None
        if national is not None:
            problems.append(Diagnostic(
                "E-ASSUME-003", f"the national layer has `{item.name}` for {as_of} "
                f"({show_literal(national)}); an assumption only supplies a figure it lacks",
                item.span, related=(Related(national.span, "the national figure"),),
                hint="that is what a local layer is for: `vary " + item.name + " = ...` in the ICB's "
                     "layer, where the term's flexibility allows it"))
            continue
        open_dates = [d.period.describe() for d in assumable(library).get(item.name, ())]
        problems.append(Diagnostic(
            "E-ASSUME-006", f"`{item.name}` has no figure on {as_of}, and the national layer does not "
            "say the contract has one then (no `= unknown` line for the date)", item.span,
            related=_declared_at(library, item.name),
            hint=(f"`{item.name}` may be assumed {'; '.join(open_dates)}" if open_dates
                  else f"`{item.name}` is not open to assumption; " + _assumable_list(library))))
    return problems
