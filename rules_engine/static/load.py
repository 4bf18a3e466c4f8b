"""The static stages, named once as data, and the files they read.

    text -> parse -> lower -> assemble (layers, flexibility) -> typecheck

`STAGES` lists them; `run_until(stage, sources)` stops after any of them
(tests and `lint` use it). Parsing and lowering are memoised per file.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, Iterable

import attrs

from rules_engine.base import limits
from rules_engine.base.diagnostics import InvalidInput
from rules_engine.io.inputs import display_source
from rules_engine.static.forms import Layer
from rules_engine.static.library import assemble, read_sources, rule_files_in, shipped_rule_files
from rules_engine.base.source import SourceFile
from rules_engine.static.typecheck import check_library
from rules_engine.static import population_terms

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
    from rules_engine.syntax.parser import parse  # here, not at the top: start-up (lark; a warm command reads the checked library from the cache)
    return parse(source)


@functools.lru_cache(maxsize=_MEMO_FILES)
def _lower_one(source: SourceFile, in_force: limits.Limits):
    from rules_engine.syntax.lower import lower  # here, not at the top: start-up (lark; a warm command reads the checked library from the cache)
    return lower(source, _parse_one(source, in_force))


def lowered(source: SourceFile):
    """One file parsed and lowered (`lower.Lowered`, with what lowered despite
    errors), memoised as the stages' own."""
    return _lower_one(source, limits.current())


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


def assembled(layers, proposed=None):
    """The layers assembled into a library; raises InvalidInput with every problem found."""
    library, problems = assemble(layers, proposed)
    if problems:
        raise InvalidInput(problems)
    return library


#: The static stages, in order. Each takes the previous one's output.
STAGES: tuple[Stage, ...] = (
    Stage("parse", "[(SourceFile, Parsed)]", _parse),
    Stage("lower", "[Layer]", _lower),
    Stage("assemble", "Library", assembled),
    Stage("population names", "Library", population_terms.check_names),
    Stage("typecheck", "Checked", check_library),
    Stage("population types", "Checked", population_terms.check_types),
)


def check(library):
    """The stages after assembly, in one call: a library to a `Checked` (raises InvalidInput)."""
    return population_terms.check_types(check_library(population_terms.check_names(library)))


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


def layer_name(source: SourceFile) -> str | None:
    from rules_engine.syntax.lower import lower  # here, not at the top: start-up (lark; a warm command reads the checked library from the cache)
    lowered = lower(source)
    return lowered.layer.name if lowered.layer is not None else None
