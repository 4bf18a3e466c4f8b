"""A checked library ready to select programs on a date: the static half of an
engine, which the queries (describe, show, the catalogue) read and the run
stage's `Engine` extends with compiling and evaluating.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

from rules_engine.program.assumptions import (NONE as NO_ASSUMPTIONS, Assumptions,
    check_static as check_assumptions)
from rules_engine.base.diagnostics import Diagnostic, InvalidInput
from rules_engine.base.records import collector_paused
from rules_engine.static.forms import Layer
from rules_engine.program.layers import Program, local_layer_for, select
from rules_engine.static import checked_cache
from rules_engine.static.library import Library, source_of
from rules_engine.static.load import assembled, layer_name, check, library_sources, run_until
from rules_engine.static.integrity import stood_in_for
from rules_engine.io.arrangements import Arrangement, load_arrangement
from rules_engine.base.source import SourceFile, Span
from rules_engine.static.typecheck import Checked


class LoadedLibrary:
    """A checked library (the shipped one by default), an optional proposed
    local layer and the assumptions of the run."""
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

    @classmethod
    def load(cls, rules: str | Path | None = None, local: str | Path | SourceFile | None = None,
             extra_sources: Iterable[SourceFile] = (), without: str | Path | SourceFile | None = None,
             assumptions: Assumptions = NO_ASSUMPTIONS) -> "LoadedLibrary":
        """Load a library (the shipped one by default) and an optional proposed
        local layer. `without` names a local layer file whose layer (by name)
        is left out: the baseline before that layer was agreed. `assumptions`
        state figures the national layer lacks (`rules_engine.program.assumptions`)."""
        sources = library_sources(rules) + list(extra_sources)
        proposed_source = source_of(local) if local is not None else None
        if proposed_source is not None:
            resolved = Path(proposed_source.path).resolve()
            sources = [s for s in sources if Path(s.path).resolve() != resolved] + [proposed_source]
        left_out = layer_name(source_of(without)) if without is not None else None
        entry = None
        if rules is None and not extra_sources:
            # the shipped library (with a proposed layer, or one left out), kept between runs:
            # static/checked_cache.py
            entry = checked_cache.key(sources, proposed_source.path if proposed_source else None, left_out)
            kept = checked_cache.load(entry)
            if kept is not None:
                checked, proposed, superseded = kept
                engine = cls(checked, proposed, assumptions)
                engine.superseded = superseded
                return engine
        with collector_paused():  # some 7 % of a cold build
            return cls._built(sources, proposed_source, without, left_out, entry, assumptions)

    @classmethod
    def _built(cls, sources, proposed_source, without, left_out, entry, assumptions) -> "LoadedLibrary":
        """The library parsed and checked from its sources (and kept, with `entry`)."""
        layers = run_until("lower", sources)  # each file parsed once
        dropped = set()
        if without is not None:
            dropped.add(left_out)
            national = [l for l in layers if l.name in dropped and not l.is_local]
            if national:  # the baseline would lose a national contract
                raise InvalidInput([not_local(national[0])])
        proposed = None
        if proposed_source is not None:
            proposed = next(l for l in layers if l.file == proposed_source.path)
            if not proposed.is_local:
                raise InvalidInput([not_local(proposed)])
            dropped.add(proposed.name)  # a proposed layer supersedes one of the same name
        superseded = tuple((l.name, l.file) for l in layers
                           if proposed is not None and l.name == proposed.name and l is not proposed)
        layers = [l for l in layers if l.name not in dropped or l is proposed]
        checked = check(assembled(layers, proposed))
        if entry is not None:
            checked_cache.store(entry, checked, proposed, superseded)
        engine = cls(checked, proposed, assumptions)
        engine.superseded = superseded  # shipped layers the proposed one replaces (by name)
        return engine

    def stands_in_for(self) -> list[tuple[Layer, str]]:
        """The library's local layers of another name that the proposed one
        replaces for its ICB, with the days they share (`integrity.stood_in_for`)."""
        return stood_in_for(self.library.local, self.proposed) if self.proposed is not None else []

    @property
    def library(self) -> Library:
        return self.checked.library

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

    def load_arrangement(self, path: str | Path, text: str | None = None) -> Arrangement:
        return load_arrangement(self.library.schema, path, text)

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

    def selected(self, as_of: dt.date, icb: str | None) -> Program:
        """The terms in force for an ICB on a date (selected once per engine)."""
        local = local_layer_for(self.library, icb, as_of, self.proposed)
        key = (as_of, local.name if local else None)
        if key not in self._selected:
            self._selected[key] = select(self.checked, as_of, local, self.assumptions)
        return self._selected[key]




def not_local(layer: Layer) -> Diagnostic:
    """E-LAYER-020: a national contract given where a proposed local layer goes."""
    return Diagnostic(
        "E-LAYER-020", f"`{layer.name}` is a national contract, not a local layer: a proposed layer "
                       f"changes the national ones for one ICB", layer.header.span,
        hint="give a file that starts `local layer NAME \"TITLE\" for icb CODE extends CONTRACT`; "
             "a changed national file is checked with `lint` or loaded with --rules FOLDER")


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
