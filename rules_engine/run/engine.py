"""The `Engine`: a checked library that compiles one program per (period in
which the terms in force do not change, local layer), once, with a backend,
and evaluates arrangements with it.

>>> engine = Engine.load()                                   # the shipped library
>>> report = engine.check_files(["examples/pcn-passing.yaml"])  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable, Iterator

from rules_engine.backends.closure_runner import CLOSURES
from rules_engine.backends.protocol import Runner, Tracer
from rules_engine.ir.checked import check_program
from rules_engine.ir.periods import Periods
from rules_engine.base.diagnostics import InvalidInput
from rules_engine.io.documents import population_lines
from rules_engine.run.evaluate import Evaluator
from rules_engine.static.forms import Layer, contract_year
from rules_engine.io.inputs import name_of
from rules_engine.program.layers import local_layer_for, retired_keys, table_keys
from rules_engine.program.loaded import LoadedLibrary, _text
from rules_engine.run.results import ArrangementResult, CheckReport, LayerRef
from rules_engine.io.arrangements import Arrangement, parse_json_line
from rules_engine.static.schema import check_constraints, without_keys_out_of_force


class Engine(LoadedLibrary):
    """A checked library, ready to evaluate arrangements."""

    _compiled: dict
    _periods: Periods | None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._compiled = {}  # (period, local layer, traced) -> (Runner, Evaluator)
        self._periods = None
        self.backend = CLOSURES

    @property
    def periods(self) -> Periods:
        """The periods in which the library's terms in force do not change."""
        if self._periods is None:
            self._periods = Periods.of_library(self.library)
        return self._periods

    def program(self, as_of: dt.date, icb: str | None,
                traced: bool = False) -> tuple[Runner, Evaluator]:
        """The program in force for an ICB on a date, compiled once per period
        (and local layer) by this engine's backend. `traced` gives the closure
        backend's unfolded compile that `explain` records a trace with (same
        results, every parameter and row read as it is used)."""
        local = local_layer_for(self.library, icb, as_of, self.proposed)
        period = self.periods.of(as_of)
        key = (period, local.name if local else None, traced)
        if key not in self._compiled:
            checked = check_program(self.selected(as_of, icb), period)
            runner = (CLOSURES if traced else self.backend).compile(checked, traced)
            self._compiled[key] = (runner, Evaluator(runner))
        return self._compiled[key]

    def evaluate(self, arrangement: Arrangement, as_of: dt.date | None = None,
                 tracer: Tracer | None = None) -> ArrangementResult:
        """Every result and value of one arrangement; with a `tracer` (`explain`),
        through the closure backend's traced compile, the results it chooses."""
        day = self.as_of_for(arrangement, as_of)
        runner, evaluator = self.program(day, _text(arrangement.facts.get("icb")), tracer is not None)
        if self.library.schema.constraints:
            check_constraints(self.library.schema, arrangement,
                              lambda table: table_keys(runner.checked.program, table), day,
                              lambda table: retired_keys(runner.checked.program, table))
        return evaluator.run(arrangement, day, tracer)

    def without_keys_out_of_force(self, arrangement: Arrangement,
                                  as_of: dt.date | None = None) -> Arrangement:
        """The arrangement as this engine's terms read it: map entries keyed by
        a row that is not in force here (one only a proposal adds) left out."""
        day = self.as_of_for(arrangement, as_of)
        runner, _ = self.program(day, _text(arrangement.facts.get("icb")))
        return without_keys_out_of_force(self.library.schema, arrangement,
                                         lambda table: table_keys(runner.checked.program, table))

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

    def trace(self, arrangement: Arrangement, as_of: dt.date | None = None) -> tuple[ArrangementResult, list]:
        """Every result through the traced compile, and every read it made."""
        events: list = []
        return self.evaluate(arrangement, as_of, EveryResult(events)), events


class EveryResult:
    """A tracer that chooses every result and records all their reads in one list."""

    def __init__(self, events: list):
        self.events = events

    def begin(self, kind: str, name: str, instance, key) -> list:
        return self.events
