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

from . import nodes as n
from . import typesys as t
from .diagnostics import Diagnostic, InvalidInput, Related, did_you_mean
from .integrity import check_integrity
from .inputs import read_source
from .schema import Schema, build_schema
from .source import SourceFile, Span

CONTRACTS_PACKAGE = "rules_engine.contracts"

Term = Union[n.ParameterDecl, n.TableDecl, n.DefineDecl, n.RequirementDecl]


@attrs.frozen(eq=False)
class Layer:
    """One loaded rule file."""

    file: str
    source: SourceFile
    syntax: n.LayerFile
    carry: object = None  # carry.Carry: carried into a later, provisional period

    @property
    def name(self) -> str:
        return self.syntax.name

    @property
    def header(self) -> n.Header:
        return self.syntax.header

    @property
    def is_local(self) -> bool:
        return self.syntax.is_local

    @property
    def period(self) -> n.Period | None:
        """When the layer is in force: its own period and, for a contract a
        provisional period carries forward, that period too."""
        own = self.syntax.header.effective
        if self.carry is not None and own is not None:
            return attrs.evolve(own, end=self.carry.period.end)
        return own

    @property
    def own_period(self) -> n.Period | None:
        """The period its header gives (without a provisional carrying period)."""
        return self.syntax.header.effective

    def describe_period(self) -> str:
        own = self.own_period
        text = own.describe() if own is not None else "always"
        if self.carry is not None:
            text += (f"; carried forward to {self.carry.period.end} by {self.carry.carrier} "
                     f"(provisional)")
        return text

    def in_force(self, day: dt.date) -> bool:
        return self.period is None or self.period.contains(day)

    def clause(self, reference: n.Reference | None, as_of: dt.date | None = None) -> str:
        """`Network Contract DES 2025/26 §4.1.1`: title, version (or the
        contract year of `as_of`) and the term's reference."""
        header = self.header
        if self.is_local and reference is not None:
            return reference.text
        base = header.title
        if isinstance(header, n.NationalHeader) and header.version:
            base += f" {header.version}"
        elif as_of is not None and not self.is_local:
            base += f" {contract_year(as_of)}"
        return f"{base} {reference.text}" if reference else base


def contract_year(day: dt.date) -> str:
    """Contract years run 1 April to 31 March: 2025-06-01 -> '2025/26'."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


@attrs.frozen(eq=False)
class Form:
    """One declaration of a term in one layer, in force over `period`."""

    term: Term
    layer: Layer
    period: n.Period | None  # None: whenever its layer is in force

    @property
    def name(self) -> str:
        return term_name(self.term)

    def in_force(self, day: dt.date) -> bool:
        return self.layer.in_force(day) and (self.period is None or self.period.contains(day))

    @property
    def flexibility(self) -> tuple[n.Flexibility, ...]:
        return getattr(self.term, "flexibility", ())

    def allows(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.flexibility)

    def describe_flexibility(self) -> str:
        flex = [f for f in self.flexibility if f.kind != "locked"]
        if not flex:
            return "locked"
        return ", ".join(describe_flex(f) for f in flex)

    @property
    def clause(self) -> str:
        return self.layer.clause(self.term.reference)


def term_name(term) -> str:
    return term.id if isinstance(term, n.RequirementDecl) else term.name


def literal_value(literal) -> Decimal | str | dt.date | bool | None:
    """The value of a literal node (the bounds and values of `vary`)."""
    if isinstance(literal, (n.Number, n.Money, n.Percent)):
        return literal.value
    if isinstance(literal, n.Quantity):
        unit = t.UNIT_WORDS.get(literal.unit)
        return literal.value * unit[1] if unit else literal.value
    if isinstance(literal, (n.DateLiteral, n.Text, n.Boolean)):
        return literal.value
    if isinstance(literal, n.Name):
        return literal.name
    return None


def show_literal(literal) -> str:
    value = literal_value(literal)
    if isinstance(literal, n.Money):
        return f"£{value:,}"
    if isinstance(literal, n.Percent):
        return f"{value * 100}%"
    if isinstance(literal, n.Quantity):
        return f"{literal.value} {literal.unit}"
    if isinstance(literal, n.Boolean):
        return "true" if value else "false"  # as a rule file writes it
    return str(value)


def describe_flex(flex: n.Flexibility) -> str:
    if flex.kind != "flexible" or flex.bound is None:
        return {"flexible": "flexible (any value)", "waivable": "waivable with a reason",
                "replaceable": "replaceable", "extensible": "an ICB may add rows"}.get(flex.kind, flex.kind)
    bound = flex.bound
    if bound.kind == "between":
        return f"flexible between {show_literal(bound.low)} and {show_literal(bound.high)}"
    if bound.kind == "at_least":
        return f"flexible at least {show_literal(bound.low)}"
    return f"flexible at most {show_literal(bound.high)}"


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
        from .flexibility import envelope_on
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


def assemble(layers: list[Layer], proposed: Layer | None = None) -> tuple[Library, list[Diagnostic]]:
    """The library of `layers`, and every problem found in assembling it. A
    `proposed` local layer stands in for its ICB's current one (so the two
    may be in force on the same dates)."""
    diagnostics: list[Diagnostic] = []
    from .carry import carry_forward
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
    from .flexibility import Envelope, check_envelopes
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
    return library, diagnostics


def effective_period(form: Form) -> n.Period | None:
    """The period a form is in force: its own within its layer's."""
    layer_period = form.layer.period
    if form.period is None:
        return layer_period
    if layer_period is None:
        return form.period
    start = max(form.period.start, layer_period.start)
    ends = [e for e in (form.period.end, layer_period.end) if e is not None]
    return n.Period(form.period.span, start, min(ends) if ends else None)


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
    from .flexibility import judge_layer, judgement_days
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
