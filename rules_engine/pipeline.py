"""The pipeline, named once as data, and the `Engine` that runs it.

    text -> parse -> lower -> assemble (layers, flexibility) -> typecheck
         -> select (as_of, local layer) -> compile -> evaluate -> reports

`STAGES` lists the static stages; `run_until(stage, sources)` stops after any
of them (tests and `lint` use it). An `Engine` holds a checked library and
compiles one program per (date, local layer), once, however many
arrangements it evaluates.

>>> engine = Engine.load()                                   # the shipped library
>>> report = engine.check_files(["examples/pcn-passing.yaml"])  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Callable, Iterable, Iterator

import attrs

from . import limits
from .assumptions import NONE as NO_ASSUMPTIONS, Assumptions, check_static as check_assumptions
from .compile import CompiledProgram, compile_program
from .diagnostics import Diagnostic, InvalidInput
from .documents import population_lines
from .evaluate import Evaluator
from .inputs import display_source, name_of
from .layers import Program, local_layer_for, select, table_keys
from .library import Layer, Library, assemble, contract_year, read_sources, rule_files_in, shipped_rule_files
from .lower import lower
from .parser import parse
from .results import ArrangementResult, CheckReport, LayerRef
from .schema import (Arrangement, check_constraints, load_arrangement, parse_json_line,
                     without_keys_out_of_force)
from .source import SourceFile, Span
from .typecheck import Checked, check_library


@attrs.frozen
class Stage:
    name: str
    produces: str
    run: Callable


#: Parsing and lowering are pure functions of a file's name and text (and the
#: limits in force), so a process that loads the same library again (an
#: in-process caller, the test suite) reuses their results: most of the cost
#: of `Engine.load`. The trees and nodes are never changed after they are made.
#: Bounded: the least recently used files are forgotten.
_MEMO_FILES = 64


@functools.lru_cache(maxsize=_MEMO_FILES)
def _parse_one(source: SourceFile, in_force: limits.Limits):
    return parse(source)


@functools.lru_cache(maxsize=_MEMO_FILES)
def _lower_one(source: SourceFile, in_force: limits.Limits):
    return lower(source, _parse_one(source, in_force))


def _parse(sources):
    in_force = limits.current()
    parsed = [(s, _parse_one(s, in_force)) for s in sources]
    problems = [d for _, p in parsed for d in p.diagnostics]
    if problems:
        raise InvalidInput(problems)
    return parsed


def _lower(parsed):
    layers, problems = [], []
    in_force = limits.current()
    for source, tree in parsed:
        # the parse in `parsed` is the memo's (or equal to it: same file, same text)
        lowered = _lower_one(source, in_force)
        problems += lowered.diagnostics
        if lowered.layer is not None:
            layers.append(Layer(source.path, source, lowered.layer))
    if problems:
        raise InvalidInput(problems)
    return layers


def _assemble(layers, proposed=None):
    library, problems = assemble(layers, proposed)
    if problems:
        raise InvalidInput(problems)
    return library


#: The static stages, in order. Each takes the previous one's output.
STAGES: tuple[Stage, ...] = (
    Stage("parse", "[(SourceFile, Parsed)]", _parse),
    Stage("lower", "[Layer]", _lower),
    Stage("assemble", "Library", _assemble),
    Stage("typecheck", "Checked", check_library),
)


def run_until(stage: str, sources: Iterable[SourceFile]):
    """Run the static stages up to and including `stage`; raises InvalidInput."""
    names = [s.name for s in STAGES]
    if stage not in names:
        raise ValueError(f"unknown stage {stage!r}; stages: {', '.join(names)}")
    value = list(sources)
    for step in STAGES:
        value = step.run(value)
        if step.name == stage:
            return value
    return value


def default_sources() -> list[SourceFile]:
    return [SourceFile(name, text) for name, text in shipped_rule_files()]


def library_sources(rules: str | Path | None) -> list[SourceFile]:
    if rules is None:
        return default_sources()
    return read_sources(rule_files_in(Path(rules)))


class Engine:
    """A checked library, ready to evaluate arrangements."""

    def __init__(self, checked: Checked, proposed: Layer | None = None,
                 assumptions: Assumptions = NO_ASSUMPTIONS):
        self.checked = checked
        self.proposed = proposed
        # Figures the user states for what the national layer lacks (checked
        # here for names and types; on each date when a program is selected).
        check_assumptions(assumptions, checked)
        self.assumptions = assumptions
        self.superseded: tuple[tuple[str, str], ...] = ()
        self._selected: dict[tuple, Program] = {}  # (date, local layer) -> terms in force
        self._compiled: dict[tuple, tuple[CompiledProgram, Evaluator]] = {}  # (..., traced)

    @classmethod
    def load(cls, rules: str | Path | None = None, local: str | Path | None = None,
             extra_sources: Iterable[SourceFile] = (), without: str | Path | None = None,
             assumptions: Assumptions = NO_ASSUMPTIONS) -> "Engine":
        """Load a library (the shipped one by default) and an optional proposed
        local layer. `without` names a local layer file whose layer (by name)
        is left out: the baseline before that layer was agreed. `assumptions`
        state figures the national layer lacks (`rules_engine.assumptions`)."""
        sources = library_sources(rules) + list(extra_sources)
        proposed_source = read_sources([local])[0] if local is not None else None
        if proposed_source is not None:
            resolved = Path(proposed_source.path).resolve()
            sources = [s for s in sources if Path(s.path).resolve() != resolved] + [proposed_source]
        layers = run_until("lower", sources)  # each file parsed once
        dropped = set()
        if without is not None:
            dropped.add(_layer_name(read_sources([without])[0]))
        proposed = None
        if proposed_source is not None:
            proposed = next(l for l in layers if l.file == proposed_source.path)
            dropped.add(proposed.name)  # a proposed layer supersedes one of the same name
        superseded = tuple((l.name, l.file) for l in layers
                           if proposed is not None and l.name == proposed.name and l is not proposed)
        layers = [l for l in layers if l.name not in dropped or l is proposed]
        checked = check_library(_assemble(layers, proposed))
        engine = cls(checked, proposed, assumptions)
        engine.superseded = superseded  # shipped layers the proposed one replaces (by name)
        return engine

    @property
    def library(self) -> Library:
        return self.checked.library

    def program(self, as_of: dt.date, icb: str | None,
                traced: bool = False) -> tuple[CompiledProgram, Evaluator]:
        """The compiled program in force for an ICB on a date, once per engine.
        `traced` gives the unfolded compile that `explain` records a trace with
        (same results, every parameter and row read as it is used)."""
        local = local_layer_for(self.library, icb, as_of, self.proposed)
        key = (as_of, local.name if local else None, traced)
        if key not in self._compiled:
            compiled = compile_program(self.selected(as_of, icb), fold=not traced)
            self._compiled[key] = (compiled, Evaluator(compiled))
        return self._compiled[key]

    def as_of_for(self, arrangement: Arrangement, as_of: dt.date | None) -> dt.date:
        if as_of is not None:
            return as_of
        value = arrangement.facts.get("as_of")
        if isinstance(value, dt.date):
            return value
        where = _start_of(arrangement)
        raise InvalidInput([Diagnostic(
            "E-FACT-007", ("the arrangement" if where else arrangement.source) + " gives no `as_of` date",
            where,
            path="as_of", hint="add `as_of: 2025-06-01` to the arrangement, or pass --as-of")])

    def evaluate(self, arrangement: Arrangement, as_of: dt.date | None = None,
                 trace: list | None = None) -> ArrangementResult:
        day = self.as_of_for(arrangement, as_of)
        compiled, evaluator = self.program(day, _text(arrangement.facts.get("icb")), trace is not None)
        if self.library.schema.constraints:
            check_constraints(self.library.schema, arrangement,
                              lambda table: table_keys(compiled.program, table), day)
        return evaluator.run(arrangement, trace)

    def without_keys_out_of_force(self, arrangement: Arrangement,
                                  as_of: dt.date | None = None) -> Arrangement:
        """The arrangement as this engine's terms read it: map entries keyed by
        a row that is not in force here (one only a proposal adds) left out."""
        day = self.as_of_for(arrangement, as_of)
        compiled, _ = self.program(day, _text(arrangement.facts.get("icb")))
        return without_keys_out_of_force(self.library.schema, arrangement,
                                         lambda table: table_keys(compiled.program, table))

    def load_arrangement(self, path: str | Path, text: str | None = None) -> Arrangement:
        return load_arrangement(self.library.schema, path, text)

    def check(self, arrangements: Iterable[Arrangement], as_of: dt.date | None = None) -> CheckReport:
        """Every arrangement evaluated; the problems of all of them, if any, at once."""
        results, problems = [], []
        for arrangement in arrangements:
            try:
                results.append(self.evaluate(arrangement, as_of))
            except InvalidInput as error:
                problems += [d for d in error.diagnostics if d not in problems]
        if problems:
            raise InvalidInput(problems, self.assumptions.sources)
        return self.report(results, as_of)

    def check_files(self, paths: Iterable[str | Path], as_of: dt.date | None = None) -> CheckReport:
        return self.check(self.load_arrangements(paths), as_of)

    def load_arrangements(self, paths: Iterable[str | Path]) -> list[Arrangement]:
        """Every file read; the problems of all of them raised together."""
        problems: list[Diagnostic] = []
        arrangements = []
        for path in paths:
            try:
                arrangements.append(self.load_arrangement(path))
            except InvalidInput as error:
                problems += error.diagnostics
        if problems:
            raise InvalidInput(problems)
        return arrangements

    def population(self, path: str | Path, as_of: dt.date | None = None
                   ) -> Iterator[ArrangementResult | InvalidInput]:
        """Evaluate a JSON Lines population as it streams: one result, or the
        `InvalidInput` of a bad line (which names its line), per line."""
        schema = self.library.schema
        origin = name_of(path)
        for line in population_lines(path):
            try:
                if line.problem:
                    raise InvalidInput(line.problem)
                arrangement = parse_json_line(schema, line.text, origin, line.number)
                yield self.evaluate(arrangement, as_of)
            except InvalidInput as error:
                yield error

    def report(self, results: list[ArrangementResult], as_of: dt.date | None) -> CheckReport:
        names: list[str] = []
        for result in results:
            for name in result.layers:
                if name not in names:
                    names.append(name)
        layers = {l.name: l for l in self.library.layers}
        dates = {r.as_of for r in results}
        day = as_of or (next(iter(dates)) if len(dates) == 1 else None)

        def version(layer: Layer) -> str | None:
            if layer.is_local:
                return None
            explicit = getattr(layer.header, "version", None)
            return explicit or (contract_year(day) if day else None)
        refs = tuple(LayerRef(name, layers[name].file, version(layers[name]),
                              getattr(layers[name].header, "icb", None)) for name in names)
        return CheckReport(day, refs, tuple(results))

    def trace(self, arrangement: Arrangement, as_of: dt.date | None = None):
        events: list = []
        result = self.evaluate(arrangement, as_of, trace=events)
        return result, events

    def selected(self, as_of: dt.date, icb: str | None) -> Program:
        """The terms in force for an ICB on a date (selected once per engine)."""
        local = local_layer_for(self.library, icb, as_of, self.proposed)
        key = (as_of, local.name if local else None)
        if key not in self._selected:
            self._selected[key] = select(self.checked, as_of, local, self.assumptions)
        return self._selected[key]


def source_lookup(diagnostics, extra: Iterable[SourceFile] = ()) -> dict[str, SourceFile]:
    """The files diagnostics point into: `extra` texts (the `--assume`
    arguments), shipped rule files, or read from disk."""
    shipped = {s.path: s for s in default_sources()}
    sources: dict[str, SourceFile] = {s.path: s for s in extra}
    for diagnostic in diagnostics:
        spans = [diagnostic.span] + [r.span for r in diagnostic.related]
        for span in spans:
            if span is None or span.file in sources:
                continue
            if span.file in shipped:
                sources[span.file] = shipped[span.file]
            else:
                shown = display_source(span.file)
                if shown is not None:
                    sources[span.file] = shown
    return sources


def _layer_name(source: SourceFile) -> str | None:
    lowered = lower(source)
    return lowered.layer.name if lowered.layer is not None else None


def _start_of(arrangement: Arrangement) -> Span | None:
    """Where a problem with a whole arrangement is shown: its file's first line,
    or its line of a population."""
    if arrangement.raw_source is not None:
        return arrangement.raw_source.span_at(1, 1)
    if arrangement.line is not None:
        origin = arrangement.source.rsplit(":", 1)[0]
        return Span(origin, arrangement.line, 1, arrangement.line, 2)
    return None


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


