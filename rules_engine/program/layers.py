"""Decide which form of every term is in force on a date: the `Program`.

Input: a checked library, an `as_of` date and the local layer that applies (if
any). Output: `Program`, the effective terms with their provenance: for each
parameter its value on the date and where it came from (the national value a
variation replaced, and why), for each table its rows in force, for each
requirement its effective form, whether it is in force, waivers and status.
Diagnostics: E-LAYER-011 (no national contract in force on the date),
E-LAYER-015 (two local layers for one ICB in force on the date; `lint`
reports it first, see `integrity`).

This is the only module that decides what is in force when.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related
from rules_engine.static.integrity import same_icb
from rules_engine.static.forms import Form, Layer, describe_flex, literal_value, unknown_figure_on, value_on
from rules_engine.static.library import Library
from rules_engine.static.typecheck import Checked, transitive
from rules_engine.program.assumptions import in_force_problems


@attrs.frozen
class Provenance:
    """Where a term's effective form came from, for the results."""

    layer: str
    flexibility: str  # locked | flexible-unused | varied | waived | added
    because: str | None = None
    national: dict[str, Any] = attrs.field(factory=dict)
    # When a term is varied only by rows a local layer added or marked, or by
    # changes only for the subjects that opt in: its provenance for a subject
    # whose evaluation read none of them (a practice that stayed on national
    # QOF keeps national provenance).
    without_local_rows: "Provenance | None" = None


@attrs.frozen(eq=False)
class ParameterInForce:
    name: str
    form: Form
    type: t.Type
    value: Any  # an expression node, or None when no value is in force
    varied_by: n.VaryDecl | None
    layer: str
    # The user's assumption (`assumptions.Assumption`) that stands in for the
    # parameter's `= unknown` line on the date, if any.
    assumed: Any = None


@attrs.frozen(eq=False)
class TableInForce:
    name: str
    form: Form
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[n.Row, str], ...]  # (row, layer name) in force
    # When a local layer retires or adds rows only for the subjects that opt in
    # (the envelope's `opted in by PATH`): that fact path, and the rows the
    # other subjects keep (the national rows in force).
    opted_in: tuple[str, ...] | None = None
    national_rows: tuple[tuple[n.Row, str], ...] = ()
    # Keys of national rows in force that a local layer retired (removed, not
    # marked): still valid input (a claim in a retired ARRS role is a fact),
    # read as not in the table.
    retired_keys: frozenset = frozenset()


@attrs.frozen(eq=False)
class RequirementInForce:
    id: str
    form: Form
    term: n.RequirementDecl
    in_force: bool
    periods: str  # when its forms are in force, for the "not in force" reason
    waivers: tuple[n.WaiveDecl, ...]
    provenance: Provenance
    waiver_provenance: Provenance | None
    clause: str
    provisional: str | None


@attrs.frozen(eq=False)
class DefineInForce:
    name: str
    form: Form
    term: n.DefineDecl
    provenance: Provenance
    clause: str
    in_force: bool = True  # outside its `effective` period a value is not reported
    # A local `replace value`: its body, for every subject or (with the
    # envelope's `opted in by PATH`) for those that opt in.
    replaced_by: n.ReplaceValueDecl | None = None
    opted_in: tuple[str, ...] | None = None


@attrs.frozen(eq=False)
class Program:
    as_of: dt.date
    checked: Checked
    national: tuple[Layer, ...]
    local: Layer | None
    parameters: dict[str, ParameterInForce]
    tables: dict[str, TableInForce]
    defines: dict[str, DefineInForce]
    requirements: tuple[RequirementInForce, ...]
    key_cache: dict = attrs.field(factory=dict)

    @property
    def library(self) -> Library:
        return self.checked.library

    @property
    def layers(self) -> tuple[Layer, ...]:
        return self.national + ((self.local,) if self.local else ())


def local_layer_for(library: Library, icb: str | None, as_of: dt.date,
                    proposed: Layer | None = None) -> Layer | None:
    """The local layer that applies to an ICB on a date (a proposed one wins)."""
    if proposed is not None and (icb is None or same_icb(proposed.header.icb, icb)):
        return proposed  # a proposed layer stands in for its ICB's current one
    if icb is None:
        return None
    candidates = [l for l in library.local if same_icb(l.header.icb, icb) and l.in_force(as_of)
                  and l is not proposed]
    if len(candidates) > 1:
        raise InvalidInput([Diagnostic(
            "E-LAYER-015", f"two local layers for ICB {icb} are in force on {as_of}",
            candidates[1].header.span, related=(Related(candidates[0].header.span, "the other layer"),),
            hint="give the layers effective periods that do not overlap")])
    return candidates[0] if candidates else None


def _pick(forms: tuple[Form, ...], as_of: dt.date, layers: set[str]) -> tuple[Form | None, bool]:
    """The form in force, or (when only its dates exclude it) the nearest, not in force."""
    usable = [f for f in forms if f.layer.name in layers]
    for form in usable:
        if form.in_force(as_of):
            return form, True
    if usable:
        latest = max(usable, key=lambda f: f.period.start if f.period else dt.date.min)
        return latest, False
    return None, False


def row_in_force(row: n.Row, columns: tuple[str, ...], as_of: dt.date) -> bool:
    cells = dict(zip(columns, row.cells))
    start = cells.get("from")
    end = cells.get("to")
    if isinstance(start, n.DateLiteral) and as_of < start.value:
        return False
    if isinstance(end, n.DateLiteral) and as_of > end.value:
        return False
    return True


def require_contract_on(library, as_of) -> None:
    """E-LAYER-011 when no national contract of `library` is in force on
    `as_of`: `check`, `explain` and `vary-check` refuse such a date alike."""
    if not any(l.in_force(as_of) for l in library.contracts):
        raise InvalidInput([Diagnostic(
            "E-LAYER-011", f"no national contract in the library is in force on {as_of}", None,
            hint=f"the library covers {library.coverage()}; choose a date in that range with --as-of",
            path="as_of")])


def select(checked: Checked, as_of: dt.date, local: Layer | None = None,
           assumptions=None) -> Program:
    """The terms in force on a date. `assumptions` (`assumptions.Assumptions`)
    supply figures the national layer declares `= unknown` on the date; one
    for a figure it has, or does not say exists, is InvalidInput
    (E-ASSUME-003, E-ASSUME-006)."""
    library = checked.library
    national = tuple(l for l in library.national if l.in_force(as_of))
    require_contract_on(library, as_of)
    if local is not None and not local.in_force(as_of):
        local = None
    names = {l.name for l in national} | ({local.name} if local else set())

    varies: dict[str, n.VaryDecl] = {}
    waives: dict[str, list[n.WaiveDecl]] = {}
    replaces: dict[str, n.ReplaceDecl] = {}
    added_rows: dict[str, list[n.AddRowDecl]] = {}
    retired: dict[str, list[n.RetireDecl]] = {}
    replaced_values: dict[str, n.ReplaceValueDecl] = {}
    if local is not None:
        for decl in local.syntax.declarations:
            if isinstance(decl, n.VaryDecl):
                varies[decl.name] = decl
            elif isinstance(decl, n.WaiveDecl):
                waives.setdefault(decl.id, []).append(decl)
            elif isinstance(decl, n.ReplaceDecl):
                replaces[decl.requirement.id] = decl
            elif isinstance(decl, n.AddRowDecl):
                added_rows.setdefault(decl.table, []).append(decl)
            elif isinstance(decl, n.RetireDecl):
                retired.setdefault(decl.table, []).append(decl)
            elif isinstance(decl, n.ReplaceValueDecl):
                replaced_values[decl.name] = decl

    if assumptions:
        picked = {name: _pick(library.forms[name], as_of, names) for name in assumptions.names
                  if name in library.forms}
        problems = in_force_problems(assumptions, library, picked, as_of)
        if problems:
            raise assumptions.invalid(problems)

    envelope = library.envelope_on(as_of)
    envelope_targets = {p.target for p in envelope.permissions} if envelope is not None else set()
    parameters: dict[str, ParameterInForce] = {}
    tables: dict[str, TableInForce] = {}
    defines: dict[str, DefineInForce] = {}
    requirements: list[RequirementInForce] = []
    national_values: dict[str, Any] = {}
    chosen = {name: _pick(forms, as_of, names) for name, forms in library.forms.items()}
    # Parameters and tables first: the provenance of what reads them depends on them.
    for name, (form, in_force) in chosen.items():
        if form is None:
            continue
        term = form.term
        if isinstance(term, n.ParameterDecl):
            value = value_on(term, as_of) if in_force else None
            vary = varies.get(name)
            if vary is not None:
                national_values[name] = value
            assumed = assumptions.get(name) if assumptions else None
            if assumed is not None and (vary is not None or not in_force
                                        or unknown_figure_on(term, as_of) is None):
                assumed = None  # refused below, or (a local value in force) not read
            parameters[name] = ParameterInForce(
                name, form, checked.term_types[name],
                vary.value if vary else assumed.value if assumed else value, vary,
                local.name if vary else form.layer.name, assumed)
        elif isinstance(term, n.TableDecl):
            columns = tuple(c.name for c in term.columns)
            national_rows = [(row, form.layer.name) for row in term.rows
                             if row_in_force(row, columns, as_of)]
            rows = _retire(national_rows, term, columns, retired.get(name, ()), local,
                           _permission(envelope, "retire rows", name))
            extra = tuple(added_rows.get(name, ()))
            rows += [(add.row, local.name) for add in extra if row_in_force(add.row, columns, as_of)]
            opted_in = None
            if retired.get(name) or extra:
                # rows added under the contract's own `extensible` are for every subject
                adds = None if form.allows("extensible") else _permission(envelope, "add rows", name)
                opted_in = next((p.opted_in for p in (_permission(envelope, "retire rows", name), adds)
                                 if p is not None and p.opted_in is not None
                                 and (p.kind == "add rows" or retired.get(name))), None)
            tables[name] = TableInForce(name, form, term.keys, columns, tuple(rows), opted_in,
                                        tuple(national_rows) if opted_in else (),
                                        _removed_keys(term, columns, national_rows, rows)
                                        if retired.get(name) else frozenset())

    def opt_in_of_replacement(name: str):
        allow = _permission(envelope, "replace value", name)
        return allow.opted_in if allow is not None else None

    def status(term_name: str, form: Form) -> Provenance:
        """Provenance from the term itself and everything it reads. A change
        every subject sees (a varied parameter, a value replaced for every
        subject, rows removed for every subject) makes the term varied for
        all; rows a local layer adds or marks, and changes only for the
        subjects that opt in, make it varied for a subject whose evaluation
        read them (`without_local_rows` is its provenance for the others)."""
        deps = transitive(checked, term_name) | {term_name}
        varied = {d: national_values[d] for d in sorted(deps) if d in varies}
        rows_added = [d for d in sorted(deps) if d in added_rows or d in retired]
        values_replaced = [d for d in sorted(deps) if d in replaced_values and d != term_name]
        flexible = any(f.kind != "locked" for d in deps for f in _flex_of(library, d, form, as_of, names)) \
            or bool(deps & envelope_targets)
        national = Provenance(form.layer.name, "flexible-unused" if flexible else "locked")
        if varied or rows_added or values_replaced:
            reasons = [varies[d].because.reason for d in varied if varies[d].because]
            reasons += [a.because.reason for d in rows_added for a in added_rows.get(d, ()) if a.because]
            reasons += [r.because.reason for d in rows_added for r in retired.get(d, ()) if r.because]
            reasons += [replaced_values[d].because.reason for d in values_replaced
                        if replaced_values[d].because]
            everyone = bool(varied) or any(opt_in_of_replacement(d) is None for d in values_replaced) \
                or any(_removed_for_everyone(tables.get(d), _permission(envelope, "retire rows", d))
                       for d in rows_added if d in retired)
            return Provenance(local.name, "varied", "; ".join(dict.fromkeys(reasons)) or None,
                              {k: _literal_json(v) for k, v in varied.items()},
                              None if everyone else national)
        return national

    for name, (form, in_force) in chosen.items():
        if form is None:
            continue
        term = form.term
        if isinstance(term, n.DefineDecl):
            replacement = replaced_values.get(name)
            provenance = status(name, form)
            opted_in = None
            if replacement is not None:
                opted_in = opt_in_of_replacement(name)
                reasons = [replacement.because.reason] if replacement.because else []
                if provenance.flexibility == "varied" and provenance.because:
                    reasons.append(provenance.because)
                # replaced only for the subjects that opt in: the others keep
                # the national body, and its provenance
                fallback = None
                if opted_in is not None:
                    fallback = provenance if provenance.flexibility != "varied" \
                        else provenance.without_local_rows
                provenance = Provenance(local.name, "varied", "; ".join(reasons) or None,
                                        provenance.national, fallback)
            defines[name] = DefineInForce(name, form, term, provenance,
                                          form.layer.clause(term.reference, as_of), in_force,
                                          replacement, opted_in)
        elif isinstance(term, n.RequirementDecl):
            replaced = replaces.get(name)
            waivers = tuple(waives.get(name, ()))
            if form.layer.is_local:
                provenance = Provenance(form.layer.name, "added",
                                        term.because.reason if term.because else None)
            elif replaced is not None:
                term = replaced.requirement
                provenance = Provenance(local.name, "varied",
                                        term.because.reason if term.because else None)
            else:
                provenance = status(name, form)
            waiver_provenance = None
            if waivers:
                waiver_provenance = Provenance(local.name, "waived", "; ".join(
                    w.because.reason for w in waivers if w.because) or None)
            requirements.append(RequirementInForce(
                name, form, term, in_force, _periods(library.forms[name], names), waivers, provenance, waiver_provenance,
                form.layer.clause(term.reference, as_of),
                term.provisional.reason if term.provisional else None))
    return Program(as_of, checked, national, local, parameters, tables, defines, tuple(requirements))


def _permission(envelope, kind: str, target: str):
    return envelope.allow(kind, target) if envelope is not None else None


def _removed_for_everyone(table: TableInForce | None, allow) -> bool:
    """Retired rows that every subject loses: removed (no `marking` column
    keeps them, marked) from a table whose change is not only for the
    subjects that opt in."""
    if table is None or table.opted_in is not None:
        return False
    return allow is None or allow.marking is None or allow.marking not in table.columns


def _retire(rows: list, table: n.TableDecl, columns: tuple[str, ...], retirements, local,
            allow) -> list:
    """The rows in force less those a local layer retires: removed, or (when the
    envelope's permission names a `marking` column) kept with that column true."""
    if not retirements:
        return list(rows)
    keys = {literal_value(k) for decl in retirements for k in decl.keys}
    position = columns.index(table.keys[0])
    marking = allow.marking if allow is not None else None
    kept = []
    for row, layer in rows:
        if literal_value(row.cells[position]) not in keys:
            kept.append((row, layer))
        elif marking is not None and marking in columns:
            at = columns.index(marking)
            cells = list(row.cells)
            cells[at] = n.Boolean(row.cells[at].span if row.cells[at] is not None else row.span, True)
            kept.append((attrs.evolve(row, cells=tuple(cells)), local.name))
    return kept


def _removed_keys(table: n.TableDecl, columns: tuple[str, ...], before: list, after: list) -> frozenset:
    """The keys of the rows in `before` that `after` no longer has (one-key tables)."""
    if len(table.keys) != 1:
        return frozenset()
    position = columns.index(table.keys[0])
    keys = lambda rows: {literal_value(row.cells[position]) for row, _ in rows}  # noqa: E731
    return frozenset(keys(before) - keys(after))


def _periods(forms, layers: set[str]) -> str:
    """`2024-10-01 to 2025-03-31; from 2025-04-01`: when a term's forms apply."""
    shown = []
    for form in forms:
        if form.layer.name not in layers:
            continue
        period = form.period or form.layer.period
        shown.append(period.describe() if period else "always")
    return "; ".join(shown) or "on other dates"


def _flex_of(library: Library, name: str, form: Form, as_of, names) -> tuple[n.Flexibility, ...]:
    forms = library.forms.get(name)
    if not forms:
        return ()
    chosen, _ = _pick(forms, as_of, names)
    return chosen.flexibility if chosen is not None else ()


def _literal_json(node) -> Any:
    """A literal node as a JSON value (the national value a variation replaced)."""
    if node is None:
        return None
    if isinstance(node, n.Money):
        return f"{node.value:.2f}"
    if isinstance(node, n.Quantity):
        return _number(node.value * t.UNIT_WORDS.get(node.unit, (None, 1))[1])
    if isinstance(node, (n.Number, n.Percent)):
        return _number(node.value)
    if isinstance(node, (n.Text, n.Boolean)):
        return node.value
    if isinstance(node, n.DateLiteral):
        return node.value.isoformat()
    return None


def _number(value):
    return int(value) if value == value.to_integral_value() else float(value)


__all__ = ["Program", "Provenance", "select", "local_layer_for", "describe_flex"]


def retired_keys(program: Program, name: str) -> frozenset:
    """The keys of a table's national rows that the program's local layer retired."""
    table = program.tables.get(name)
    return table.retired_keys if table is not None else frozenset()


def table_keys(program: Program, name: str, national: bool = False) -> frozenset:
    """The keys of a one-key table in force in a program (cached per program);
    with `national`, those of the rows that subjects not opted in keep."""
    cache = program.key_cache
    if (name, national) not in cache:
        table = program.tables.get(name)
        keys: frozenset = frozenset()
        if table is not None and len(table.keys) == 1:
            position = table.columns.index(table.keys[0])
            rows = table.national_rows if national and table.opted_in else table.rows
            keys = frozenset(literal_value(row.cells[position]) for row, _ in rows)
        cache[(name, national)] = keys
    return cache[(name, national)]
