"""`explain RULE_ID` without an arrangement: a term described statically.

Input: an engine (a checked library), a requirement id, a reported value id
(`qof.points.DM012` or its pattern `qof.points.{code}`), or a parameter,
table or definition name, and a date. Output: `TermDescription`: its title,
subject kind, what it requires (its `where`, `must` and `unless` in the rule
file's own words), its clause, layer and source, its provisional marks (its
own and those it inherits from what it reads, as `marks.ProvisionalMarks`
gathers them), what a local layer may change in it on the date and who
grants that (`powers`), and the shipped local layers that change it or what
it reads, and how. Diagnostics: E-NAME-001 for an unknown id, with a
did-you-mean.

>>> from rules_engine.program.loaded import LoadedLibrary
>>> import datetime as dt
>>> about = describe_term(LoadedLibrary.load(), "des.pcn.minimum-population", dt.date(2025, 6, 1))
>>> about.requires
'pcn.raw_list_size >= min_pcn_population'
>>> [(u.layer, u.change) for u in about.local_layers][:1]
[('qhm', 'vary min_pcn_population = 24000')]
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, did_you_mean
from rules_engine.static.forms import Form, Layer, show_literal
from rules_engine.static.population_terms import terms_of
from rules_engine.program.loaded import LoadedLibrary
from rules_engine.queries.powers import (EnvelopeShown, Power, envelope_shown, national_form,
    powers_for_terms, terms_day)
from rules_engine.static.forms import literal_value
from rules_engine.program.layers import row_in_force
from rules_engine.program.marks import ProvisionalMarks
from rules_engine.queries.powers import render_power


@attrs.frozen
class LocalUse:
    """A shipped local layer's change to the term, or to something it reads."""

    layer: str
    icb: str
    file: str
    line: int
    period: str  # when the layer is in force
    in_force: bool  # on the date described
    kind: str  # vary | waive | replace requirement | replace value | add rows | retire rows
    target: str
    change: str  # in words: "vary min_pcn_population = 25000"
    because: str | None

    def as_json(self) -> dict:
        return {"layer": self.layer, "icb": self.icb, "where": f"{self.file}:{self.line}",
                "period": self.period, "in_force": self.in_force, "kind": self.kind,
                "target": self.target, "change": self.change, "because": self.because}


@attrs.frozen
class TermDescription:
    """One term, as the rule files declare it and as a local layer may change it."""

    id: str
    kind: str  # requirement | value | parameter | table | definition
    name: str  # the term's name (a value's definition; a requirement's id)
    title: str | None
    subject: str | None  # "each practice", "pcn", "each practice, each code in ..."
    as_of: dt.date
    clause: str | None
    layer: str
    file: str
    line: int
    source: str | None  # the layer's `source`
    period: str  # when the term is in force
    in_force: bool
    applies_where: str | None = None
    requires: str | None = None  # a requirement's `must`
    exempt_if: str | None = None
    warnings: tuple[str, ...] = ()
    value: str | None = None  # a parameter's value on the date, a definition's formula
    severity: str | None = None
    provisional: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()  # the parameters, tables and definitions it reads, at any depth
    envelope: EnvelopeShown | None = None
    powers: tuple[Power, ...] = ()
    local_layers: tuple[LocalUse, ...] = ()
    terms_note: str | None = None
    layer_is_local: bool = False
    rows: tuple[str, ...] = ()  # a keyed value's rows of the tables it reads: "qof_indicators DM012: ..."

    def as_json(self) -> dict:
        return {"id": self.id, "kind": self.kind, "name": self.name, "title": self.title,
                "subject": self.subject, "as_of": self.as_of.isoformat(), "clause": self.clause,
                "layer": self.layer, "where": f"{self.file}:{self.line}", "source": self.source,
                "period": self.period, "in_force": self.in_force, "applies_where": self.applies_where,
                "requires": self.requires, "exempt_if": self.exempt_if, "warnings": list(self.warnings),
                "value": self.value, "severity": self.severity, "provisional": list(self.provisional),
                "reads": list(self.reads),
                "envelope": self.envelope.as_json() if self.envelope else None,
                "flexibility": [p.as_json() for p in self.powers],
                "local_layers": [u.as_json() for u in self.local_layers],
                "terms_note": self.terms_note, "local_term": self.layer_is_local, "rows": list(self.rows)}

    to_dict = as_json

    def render(self, width: int = 80) -> str:
        out = _wrap(f"{self.id}: {self.title}" if self.title else self.id, width, "", "  ")
        said = self.kind + (f" for {self.subject}" if self.subject else "")
        if self.kind == "value" and self.name != self.id:
            said += f" (definition {self.name})"
        out += _wrap(f"{said}; {self.clause or 'no clause'}", width, "  ")
        out += _wrap(f"layer {self.layer} ({self.file}:{self.line})", width, "  ")
        if self.source:
            out += _wrap(f"source: {self.source}", width, "  ")
        out += _wrap(("in force " if self.in_force else f"not in force on {self.as_of}; in force ")
                     + self.period, width, "  ")
        if self.terms_note:
            out += _wrap(f"note: {self.terms_note}", width, "  ")
        out.append("")
        for label, text in (("applies where", self.applies_where), ("requires", self.requires),
                            ("exempt if", self.exempt_if), ("is", self.value)):
            if text:
                out += _wrap(f"{label}: {text}", width, "  ", "      ")
        for warning in self.warnings:
            out += _wrap(f"warns: {warning}", width, "  ", "      ")
        if self.severity and self.severity != "error":
            out.append(f"  severity: {self.severity}")
        if self.reads:
            out += _wrap("reads: " + ", ".join(self.reads), width, "  ", "      ")
        for row in self.rows:
            out += _wrap(f"row: {row}", width, "  ", "      ")
        if self.provisional:
            out.append("  provisional:")
            for reason in self.provisional:
                out += _wrap(reason, width, "    - ", "      ")
        out.append("")
        if self.envelope is not None:
            head = f"flexibility on {self.as_of} (envelope {self.envelope.name}, {self.envelope.period}):"
        else:
            head = f"flexibility on {self.as_of} (no flexibility envelope in force):"
        out += _wrap(head, width, "")
        if not self.powers and self.layer_is_local:
            out.append(f"  a term of the local layer {self.layer}'s own: no national flexibility applies")
        elif not self.powers:
            out.append("  locked: no local layer may change it or what it reads")
        for power in self.powers:
            out += render_power(power, width)
        out.append("")
        if self.local_layers:
            out.append("changed by shipped local layers:")
            for use in self.local_layers:
                when = "in force" if use.in_force else "not in force"
                out += _wrap(f"{use.layer} (ICB {use.icb}, {use.period}, {when} on {self.as_of}): "
                             f"{use.change}", width, "  ", "      ")
                if use.because:
                    out += _wrap(f"because: {use.because}", width, "      ", "        ")
                out.append(f"      {use.file}:{use.line}")
        else:
            out.append("changed by no shipped local layer")
        return "\n".join(out) + "\n"


def _wrap(text: str, width: int, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(text, max(width, 40), initial_indent=first,
                         subsequent_indent=rest if rest is not None else first + "  ",
                         break_on_hyphens=False, break_long_words=False) or [first.rstrip()]


# ---------------------------------------------------------------- finding

def _report_pattern(report_id: str) -> re.Pattern:
    """`qof.points.{code}` matches `qof.points.DM012` (the key in group `key`)."""
    parts = re.split(r"\{[A-Za-z_][A-Za-z0-9_]*\}", report_id)
    if len(parts) == 1:
        return re.compile(re.escape(report_id) + r"\Z")
    pattern = re.escape(parts[0])
    for index, part in enumerate(parts[1:]):
        pattern += ("(?P<key>[^.]+)" if index == 0 else "[^.]+") + re.escape(part)
    return re.compile(pattern + r"\Z")


def value_key(report_id: str, rule_id: str) -> str | None:
    """The key a value id gives its pattern: DM012 for qof.points.{code}."""
    matched = _report_pattern(report_id).match(rule_id)
    return matched.group("key") if matched and "key" in matched.groupdict() else None


def find_term(engine: LoadedLibrary, rule_id: str, day: dt.date) -> tuple[str, str, Form]:
    """(kind, term name, form) for an id; raises InvalidInput E-NAME-001."""
    library = engine.library
    candidates: list[str] = []
    found = None
    for name, forms in library.forms.items():
        term = forms[-1].term
        if isinstance(term, n.RequirementDecl):
            candidates.append(name)
            if name == rule_id:
                found = ("requirement", name)
        elif isinstance(term, n.DefineDecl):
            report = next((f.term.report for f in forms if f.term.report is not None), None)
            if report is not None:
                candidates.append(report.id)
                matched = _report_pattern(report.id).match(rule_id)
                if report.id == rule_id or matched:
                    found = found or ("value", name)
            candidates.append(name)
            if name == rule_id:
                found = found or ("definition", name)
        elif isinstance(term, (n.ParameterDecl, n.TableDecl)):
            candidates.append(name)
            if name == rule_id:
                found = found or ("parameter" if isinstance(term, n.ParameterDecl) else "table", name)
    population = next((t for layer in library.layers for t in terms_of(layer) if t.name == rule_id), None)
    if found is None and population is not None:
        raise InvalidInput([Diagnostic(
            "E-NAME-001", f"`{rule_id}` is a population term ({population.measure.kind} "
            f"{population.measure.term} across {population.across}), not a term of one arrangement",
            population.span, hint="`check --population FILE.jsonl` and `impact` judge it, with its own "
            "result, why and provenance; `explain` describes the terms of one arrangement")])
    if found is None:
        raise InvalidInput([Diagnostic(
            "E-NAME-001", f"no requirement, value, parameter or table `{rule_id}` in the rule library",
            None, path=rule_id,
            hint=did_you_mean(rule_id, candidates) or "give a requirement id (des.pcn.minimum-population), "
            "a value id (qof.points.DM012), or a parameter, table or definition name")])
    kind, name = found
    day_of_terms, _ = terms_day(library, day)
    form = national_form(library, name, day_of_terms)
    if form is None:  # a term of a local layer's own
        forms = library.forms[name]
        form = next((f for f in forms if f.in_force(day)), forms[-1])
    return kind, name, form


def describe_term(engine: LoadedLibrary, rule_id: str, as_of: dt.date | None = None) -> TermDescription:
    """A term described statically on `as_of` (default: today)."""
    day = as_of or dt.date.today()
    library = engine.library
    kind, name, form = find_term(engine, rule_id, day)
    day_of_terms, note = terms_day(library, day)
    term = form.term
    layer = form.layer
    text = _Text(library)
    reads = _reads(engine, form, day_of_terms)
    scope = getattr(term, "scope", None)
    fields: dict = {}
    if isinstance(term, n.RequirementDecl):
        fields.update(applies_where=text(term.where), requires=text(term.must), exempt_if=text(term.unless),
                      warnings=tuple(f"{w.message} (when {text(w.condition)})" for w in term.warnings),
                      severity=term.severity)
    elif isinstance(term, n.DefineDecl):
        fields["value"] = text(term.body)
    elif isinstance(term, n.ParameterDecl):
        fields["value"] = _parameter_value(term, day_of_terms)
    elif isinstance(term, n.TableDecl):
        fields["value"] = f"{len(term.rows)} rows, keyed by {', '.join(term.keys)}; columns " + \
            ", ".join(c.name for c in term.columns)
    title = getattr(term, "title", None)
    rows: tuple[str, ...] = ()
    if kind == "value" and term.report is not None:
        title = term.report.title or title
        key = value_key(term.report.id, rule_id) if rule_id != term.report.id else None
        if key is not None:
            rows = _rows_keyed(library, reads, key, day_of_terms, text)
            keys = _table_keys(library, reads, day_of_terms)
            if keys and key not in keys:  # qof.points.XX999: no table it reads has that row
                raise InvalidInput([Diagnostic(
                    "E-NAME-001", f"no value `{rule_id}`: `{key}` is not a key of "
                    + ", ".join(sorted({table for tables in keys.values() for table in tables})),
                    None, path=rule_id, hint=did_you_mean(key, keys) or f"`{term.report.id}` takes "
                    f"a key such as {sorted(keys)[0]}")])
    period = form.period or layer.own_period
    period_text = period.describe() if period else "always"
    carry = layer.carry
    if carry is not None and name not in carry.superseded and (
            period is None or period.end in (carry.period.end, carry.last_day)):
        if period is not None and period.end == carry.period.end:
            period_text = attrs.evolve(period, end=carry.last_day).describe()
        period_text += f"; carried forward to {carry.period.end} by {carry.carrier} (provisional)"
    return TermDescription(
        rule_id, kind, name, title, _subject(scope, text), day,
        layer.clause(term.reference, day_of_terms), layer.name, layer.file, term.span.line,
        layer.header.source, period_text, form.in_force(day_of_terms),
        provisional=_marks(engine, kind, name, form, day_of_terms), reads=reads,
        envelope=envelope_shown(library.envelope_on(day)),
        powers=tuple(powers_for_terms(library, (name, *reads), day)) if not layer.is_local else (),
        local_layers=tuple(_local_uses(library.local, name, reads, day)), terms_note=note,
        layer_is_local=layer.is_local, rows=rows, **fields)


def _expressions(term) -> list:
    """The expressions of a term's declaration."""
    if isinstance(term, n.RequirementDecl):
        found = [term.where, term.must, term.unless, *(w.condition for w in term.warnings)]
    elif isinstance(term, n.DefineDecl):
        found = [term.body]
    elif isinstance(term, n.ParameterDecl):
        found = [term.value, *(d.value for d in term.dated_values)]
    else:
        found = []
    scope = getattr(term, "scope", None)
    if scope is not None:
        found.append(scope.key_collection)
    return [e for e in found if e is not None]


def _reads(engine: LoadedLibrary, form: Form, day: dt.date) -> tuple[str, ...]:
    """The parameters, tables and definitions this form reads, at any depth,
    through the national forms of the definitions (not what a local layer's
    replacement reads)."""
    names = engine.checked.names
    library = engine.library
    seen: dict[str, None] = {}
    stack = [form]
    while stack:
        current = stack.pop()
        for expression in _expressions(current.term):
            for node in n.walk(expression):
                resolved = names.get(id(node)) if isinstance(node, n.Name) else None
                if resolved is None or resolved.kind not in ("param", "table", "define"):
                    continue
                if resolved.target in seen or resolved.target == form.name:
                    continue
                seen[resolved.target] = None
                if resolved.kind == "define":
                    inner = national_form(library, resolved.target, day) if not form.layer.is_local else None
                    inner = inner or next(iter(library.forms.get(resolved.target, ())), None)
                    if inner is not None:
                        stack.append(inner)
    return tuple(sorted(seen))


def _table_keys(library, reads, day: dt.date) -> dict[str, set[str]]:
    """The keys of the one-key national tables a value reads, on any date:
    key -> the tables that have it."""
    keys: dict[str, set[str]] = {}
    for name in reads:
        form = national_form(library, name, day)
        if form is None or not isinstance(form.term, n.TableDecl) or len(form.term.keys) != 1:
            continue
        position = [c.name for c in form.term.columns].index(form.term.keys[0])
        rows = [row for candidate in library.forms.get(name, ()) for row in candidate.term.rows]
        rows += [row for _, row in _added_rows(library, name)]
        for row in rows:
            if position < len(row.cells) and row.cells[position] is not None:
                keys.setdefault(str(literal_value(row.cells[position])), set()).add(name)
    return keys


def _added_rows(library, table: str) -> list[tuple[Layer, n.Row]]:
    """The rows local layers add to a table: (layer, row)."""
    return [(layer, decl.row) for layer in library.local for decl in layer.syntax.declarations
            if isinstance(decl, n.AddRowDecl) and decl.table == table]


def _rows_keyed(library, reads, key: str, day: dt.date, text) -> tuple[str, ...]:
    """The national rows in force on `day`, keyed by `key`, of the one-key
    tables a value reads, as the rule file writes them, column by column."""
    shown = []
    for name in reads:
        form = national_form(library, name, day)
        if form is None or not isinstance(form.term, n.TableDecl) or len(form.term.keys) != 1:
            continue
        table = form.term
        columns = tuple(c.name for c in table.columns)
        position = columns.index(table.keys[0])
        rows = [(None, row) for row in table.rows] + _added_rows(library, name)
        for layer, row in rows:
            if position < len(row.cells) and str(literal_value(row.cells[position])) == key \
                    and row_in_force(row, columns, day):
                cells = ", ".join(f"{c} {text(v)}" for c, v in zip(columns, row.cells)
                                  if v is not None and c != table.keys[0])
                added = f" (added by {layer.name})" if layer is not None else ""
                shown.append(f"{name} {key}{added}: {cells}")
    return tuple(shown)


class _Text:
    """An expression in the rule file's own words (as `why.Reasoner.text` shows it)."""

    def __init__(self, library):
        self.sources = library.sources

    def __call__(self, node) -> str | None:
        if node is None:
            return None
        span = node.span
        source = self.sources.get(span.file)
        if source is None or span.end <= span.start:
            return None
        return " ".join(source.text[span.start:span.end].split())


def _subject(scope: n.Scope | None, text: _Text) -> str | None:
    if scope is None:
        return None
    said = ("each " if scope.each else "") + scope.subject
    if scope.key_variable is not None:
        said += f", each {scope.key_variable} in {text(scope.key_collection)}"
    return said


def _parameter_value(term: n.ParameterDecl, day: dt.date) -> str | None:
    if term.value is not None:
        return show_literal(term.value) if _literal(term.value) else "(a formula)"
    shown = []
    for dated in term.dated_values:
        value = show_literal(dated.value) if _literal(dated.value) else "(a formula)"
        marker = "  <- on the date" if dated.period.contains(day) else ""
        shown.append(f"{value} {dated.period.describe()}{marker}")
    return "; ".join(shown) or None


def _literal(node) -> bool:
    return isinstance(node, (n.Number, n.Quantity, n.Money, n.Percent, n.DateLiteral, n.Text, n.Boolean))


def _marks(engine: LoadedLibrary, kind: str, name: str, form: Form, day: dt.date) -> tuple[str, ...]:
    """Its own provisional mark and those it inherits (marks.py), deduplicated."""
    own = (f"{'requirement' if kind == 'requirement' else kind} {name}: {form.term.provisional.reason}",) \
        if getattr(form.term, "provisional", None) else ()
    if form.layer.is_local:
        return own
    try:
        program = engine.selected(day, None)
    except InvalidInput:  # no contract on the date: only the term's own mark
        return own
    marks = ProvisionalMarks(program)
    if kind == "requirement":
        requirement = next((r for r in program.requirements if r.id == name), None)
        inherited = marks.requirement(requirement) if requirement is not None else ()
    elif kind in ("value", "definition"):
        inherited = marks.define(name)
    else:
        inherited = ()
    return tuple(dict.fromkeys(own + tuple(inherited)))


def _local_uses(layers: tuple[Layer, ...], name: str, reads: tuple[str, ...], day: dt.date) -> list[LocalUse]:
    """Each local layer's declaration that changes the term or something it reads."""
    targets = {name, *reads}
    uses = []
    for layer in layers:
        header = layer.header
        period = layer.period.describe() if layer.period else "always"
        text = _layer_text(layer)
        for decl in layer.syntax.declarations:
            found = _change(decl, targets, text)
            if found is None:
                continue
            kind, target, change = found
            because = getattr(decl, "because", None)
            if because is None and isinstance(decl, n.ReplaceDecl):
                because = decl.requirement.because
            uses.append(LocalUse(layer.name, header.icb, layer.file, decl.span.line, period,
                                 layer.in_force(day), kind, target, change,
                                 because.reason if because is not None else None))
    return uses


def _layer_text(layer: Layer):
    def text(node) -> str:
        span = node.span
        return " ".join(layer.source.text[span.start:span.end].split())
    return text


def _change(decl, targets: set[str], text) -> tuple[str, str, str] | None:
    if isinstance(decl, n.VaryDecl) and decl.name in targets:
        return "vary", decl.name, f"vary {decl.name} = {text(decl.value)}"
    if isinstance(decl, n.WaiveDecl) and decl.id in targets:
        scope = "for every subject" if decl.where is None else "for the subjects its `where` selects"
        return "waive", decl.id, f"waive {decl.id} {scope}"
    if isinstance(decl, n.ReplaceDecl) and decl.requirement.id in targets:
        must = text(decl.requirement.must) if decl.requirement.must is not None else "(no must)"
        return "replace requirement", decl.requirement.id, \
            f"replace requirement {decl.requirement.id}: must {must}"
    if isinstance(decl, n.ReplaceValueDecl) and decl.name in targets:
        return "replace value", decl.name, f"replace value {decl.name} = {text(decl.value)}"
    if isinstance(decl, n.AddRowDecl) and decl.table in targets:
        cells = " | ".join(text(c) if c is not None else "" for c in decl.row.cells)  # as written
        return "add rows", decl.table, f"add to {decl.table}: {cells}"
    if isinstance(decl, n.RetireDecl) and decl.table in targets:
        keys = ", ".join(str(show_literal(k)) for k in decl.keys)
        return "retire rows", decl.table, f"retire {keys} of {decl.table}"
    return None
