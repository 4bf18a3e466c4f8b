"""Load rule files into a `Library`: the national contracts and the local layers.

Input: rule-file paths (or the library shipped inside the package). Output:
`Library` with every form of every term, the fact schema and the local
layers' variations, checked against the national terms' flexibility.
Diagnostics: everything the parser and lowering report, plus E-LAYER-001..010
and E-LAYER-012 (layering rules, reported in the local file with a note at
the national term), E-LAYER-014..016 (a local layer's integrity, see
`integrity`), E-NAME-002 (a term declared twice in one layer) and the
schema's own.

Which form is in force on a date is decided later, by `layers.select`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Iterable, Union

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related, did_you_mean
from rules_engine.static.integrity import check_integrity
from rules_engine.io.inputs import read_source
from rules_engine.static.schema import Schema, build_schema
from rules_engine.base.source import SourceFile, Span
from rules_engine.static.forms import (Form, Layer, Term, contract_year, describe_flex, effective_period,
    literal_value, show_literal, term_name)
from rules_engine.static.carry import carry_forward
from rules_engine.static.flexibility import (Envelope, check_envelopes, envelope_on, judge_layer,
    judgement_days)

CONTRACTS_PACKAGE = "rules_engine.contracts"

@attrs.frozen(eq=False)
class Library:
    national: tuple[Layer, ...]
    local: tuple[Layer, ...]
    forms: dict[str, tuple[Form, ...]]  # national and local declarations, by term name
    schema: Schema
    enums: dict[str, t.Enum]
    envelopes: tuple = ()  # flexibility.Envelope, one per `national flexibility` layer
    carried: dict = attrs.field(factory=dict)  # layer name -> carry.Carry (a provisional period)

    def carried_on(self, day: dt.date) -> tuple:
        """The contracts in force on `day` only because a provisional period carries them."""
        return tuple(c for c in self.carried.values() if c.on(day))

    def envelope_on(self, day: dt.date):
        """The flexibility envelope in force on a date, or None."""
        return envelope_on(self.envelopes, day)

    @property
    def layers(self) -> tuple[Layer, ...]:
        return self.national + self.local

    @property
    def sources(self) -> dict[str, SourceFile]:
        return {layer.file: layer.source for layer in self.layers}

    def local_layer(self, name: str) -> Layer | None:
        return next((layer for layer in self.local if layer.name == name), None)

    @property
    def contracts(self) -> tuple[Layer, ...]:
        """National layers that hold terms (not only facts and enumerations)."""
        return tuple(l for l in self.national if any(
            isinstance(d, (n.ParameterDecl, n.TableDecl, n.DefineDecl, n.RequirementDecl))
            for d in l.syntax.declarations))

    def coverage(self) -> str:
        """The dates the contracts cover, for messages: '2023-04-01 to 2026-03-31'."""
        periods = [l.period for l in self.contracts]
        if not periods or None in periods:
            return "all dates" if periods else "no dates"
        start = min(p.start for p in periods)
        ends = [p.end for p in periods]
        return f"from {start}" if None in ends else f"{start} to {max(ends)}"


# ------------------------------------------------------------------- loading

RULE_SUFFIX = ".rules"

def shipped_rule_files() -> list[tuple[str, str]]:
    """(display name, text) of the national and local layers in the package."""
    root = resources.files(CONTRACTS_PACKAGE)
    found = []
    for folder in ("national", "local"):
        directory = root.joinpath(folder)
        if not directory.is_dir():
            continue
        for entry in sorted(directory.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".rules") and entry.is_file():
                found.append((f"contracts/{folder}/{entry.name}", entry.read_text(encoding="utf-8")))
    return found


def rule_files_in(directory: Path) -> list[Path]:
    """A library folder's rule files: national/ and local/, or the folder
    itself; a path that is not a folder is taken as one rule file (and read,
    or refused, by `read_sources`). Raises InvalidInput when a folder holds no
    `*.rules` file (E-INPUT-003) or a regular file is not named `*.rules`
    (E-INPUT-004): a check of nothing must not pass."""
    directory = Path(directory)
    if not directory.is_dir():
        if directory.is_file() and directory.suffix != RULE_SUFFIX:
            raise InvalidInput([Diagnostic(
                "E-INPUT-004", f"{directory} is not a rule file: rule files are named *{RULE_SUFFIX}",
                None, path=str(directory),
                hint=f"rename it to {directory.with_suffix(RULE_SUFFIX).name} if it holds rules")])
        return [directory]
    parts = [directory / "national", directory / "local"]
    if any(p.is_dir() for p in parts):
        folders = [p for p in parts if p.is_dir()]
    else:
        folders = [directory]
    found = [f for p in folders for f in sorted(p.glob("*" + RULE_SUFFIX))]
    if not found:
        looked = " and ".join(str(p) for p in folders)
        near = sorted(f.name for p in folders for f in p.iterdir() if ".rule" in f.name.lower())
        hint = (f"these look like rule files but are not named *{RULE_SUFFIX}: {', '.join(near[:5])}"
                if near else f"a library folder holds *{RULE_SUFFIX} files, or national/ and local/ "
                             f"folders of them")
        raise InvalidInput([Diagnostic(
            "E-INPUT-003", f"no rule files (*{RULE_SUFFIX}) in {looked}", None,
            path=str(directory), hint=hint)])
    return found


def rule_files_below(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, and every `*.rules` file below each folder named
    (recursively, in order); a folder with none is E-INPUT-003."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            found.append(path)
            continue
        below = sorted(path.rglob("*" + RULE_SUFFIX))
        if not below:
            raise InvalidInput([Diagnostic("E-INPUT-003", f"no rule files (*{RULE_SUFFIX}) in {path}", None,
                                           path=str(path), hint=f"give rule files, or a folder that holds "
                                                                f"*{RULE_SUFFIX} files")])
        found += below
    return found


def read_sources(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Each rule file's source, read by `inputs.read_source`; every file that
    cannot be read is reported (E-SYNTAX-009, E-INPUT-*, E-LIMIT-001)."""
    sources, problems = [], []
    for path in paths:
        try:
            sources.append(read_source(path, "E-SYNTAX-009"))
        except InvalidInput as error:
            problems += error.diagnostics
    if problems:
        raise InvalidInput(problems)
    return sources


def source_of(layer: str | Path | SourceFile) -> SourceFile:
    """A rule file's source: read from its path, or given already (a layer's
    text from the Python API, see `inputs.source_from_text`)."""
    return layer if isinstance(layer, SourceFile) else read_sources([layer])[0]


def assemble(layers: list[Layer], proposed: Layer | None = None) -> tuple[Library, list[Diagnostic]]:
    """The library of `layers`, and every problem found in assembling it. A
    `proposed` local layer stands in for its ICB's current one (so the two
    may be in force on the same dates)."""
    diagnostics: list[Diagnostic] = []
    layers, carried, problems = carry_forward(list(layers))
    diagnostics += problems
    seen: dict[str, Layer] = {}
    for layer in layers:
        if layer.name in seen:
            diagnostics.append(Diagnostic(
                "E-LAYER-012", f"two layers are named `{layer.name}`", layer.header.span,
                related=(Related(seen[layer.name].header.span, "the other one"),)))
        seen[layer.name] = layer
    national = tuple(l for l in layers if not l.is_local)
    local = tuple(l for l in layers if l.is_local)
    envelopes = tuple(Envelope(l) for l in national if l.header.is_envelope)

    forms: dict[str, list[Form]] = {}
    enum_decls, fact_decls, subject_decls = [], [], []
    for layer in layers:
        for decl in layer.syntax.declarations:
            if isinstance(decl, n.EnumDecl):
                enum_decls.append(decl)
            elif isinstance(decl, n.FactDecl):
                fact_decls.append(decl)
            elif isinstance(decl, n.SubjectDecl):
                subject_decls.append(decl)
            elif isinstance(decl, (n.ParameterDecl, n.TableDecl, n.DefineDecl, n.RequirementDecl)):
                forms.setdefault(term_name(decl), []).append(Form(decl, layer, decl.effective))
            elif isinstance(decl, n.AddRequirementDecl):
                forms.setdefault(decl.requirement.id, []).append(
                    Form(decl.requirement, layer, decl.requirement.effective))
    tables = {}
    for name, name_forms in forms.items():
        if isinstance(name_forms[0].term, n.TableDecl):
            tables[name] = name_forms[0].term
    schema, problems = build_schema(enum_decls, fact_decls, subject_decls, tables)
    diagnostics += problems
    for name, name_forms in forms.items():
        diagnostics += _check_forms(name, name_forms)
    national_forms = {name: tuple(f for f in fs if not f.layer.is_local) for name, fs in forms.items()}
    national_reports = {f.term.report.id: f.term.report for fs in national_forms.values() for f in fs
                        if isinstance(f.term, n.DefineDecl) and f.term.report is not None}
    diagnostics += check_integrity(layers, tables, national_reports, proposed)
    diagnostics += check_envelopes(envelopes, national_forms)
    for layer in local:
        diagnostics += check_local_layer(layer, national, national_forms, envelopes)
    library = Library(national, local, {k: tuple(v) for k, v in forms.items()}, schema, schema.enums,
                      envelopes, carried)
    return library, list(dict.fromkeys(diagnostics))  # one rule may be held in two stages (E-LAYER-005)



def _check_forms(name: str, forms: list[Form]) -> list[Diagnostic]:
    """Two forms of one term must never be in force on the same date."""
    diagnostics = []
    national = [f for f in forms if not f.layer.is_local]
    for index, form in enumerate(national):
        for other in national[:index]:
            if type(other.term) is not type(form.term):
                diagnostics.append(Diagnostic(
                    "E-NAME-002", f"`{name}` is declared as two different kinds of term",
                    form.term.span, related=(Related(other.term.span, "the other declaration"),)))
                continue
            mine, theirs = effective_period(form), effective_period(other)
            if mine is None or theirs is None or mine.overlaps(theirs):
                when = "always" if (mine is None or theirs is None) else (
                    f"from {max(mine.start, theirs.start)}")
                diagnostics.append(Diagnostic(
                    "E-LAYER-007", f"two forms of `{name}` are in force on the same dates ({when})",
                    form.term.span, related=(Related(other.term.span, "the other form"),),
                    hint="give each form an `effective FROM to TO` period that does not overlap"))
    for form in forms:
        if isinstance(form.term, n.ParameterDecl):
            values = form.term.dated_values
            for index, value in enumerate(values):
                for other in values[:index]:
                    if value.period.overlaps(other.period):
                        diagnostics.append(Diagnostic(
                            "E-LAYER-017", f"two values of `{name}` are in force on the same dates",
                            value.span, related=(Related(other.span, "the other value"),),
                            hint="dated values must not overlap: end one the day before the next"))
    return diagnostics


# ------------------------------------------------------ checking a local layer

def check_local_layer(layer: Layer, national: tuple[Layer, ...],
                      national_forms: dict[str, tuple[Form, ...]],
                      envelopes: tuple = (), as_of: dt.date | None = None) -> list[Diagnostic]:
    """The flexibility rules, reported in the local file: judged on `as_of`, or
    (for lint and loading) on each date its period meets a new envelope."""
    days = [as_of] if as_of is not None else judgement_days(layer, envelopes, dt.date.max)
    diagnostics: list[Diagnostic] = []
    seen: set[tuple] = set()
    for day in days:
        judgement = judge_layer(layer, national, national_forms, envelopes, day)
        for d in judgement.all_diagnostics:
            key = (d.code, d.span.start if d.span else None, d.message)
            if key not in seen:
                seen.add(key)
                diagnostics.append(d)
    return diagnostics
