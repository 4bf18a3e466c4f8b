"""The flexibility rules: may a local layer make each of its variations?

Input: a local layer, the national layers' forms and the flexibility
envelopes (national layers `national flexibility NAME ...` of `allow`
permissions, each in force over its own dates). Output: `Judgement`, one
typed `Verdict` per local declaration (the declaration, the national term,
the permission that decided it and where it came from, the verdict and its
diagnostics), one `Budget` per table whose rows the layer retires or adds
under a conserved column, and the `LocalTerm`s the layer declares for its own
use (facts, enumerations, parameters, tables, definitions: not variations,
unless one is named as a national term, which is a refused `redefine`). Diagnostics: E-LAYER-001..006, 008..010, 013 and
E-FLEX-001..010, each in the local file with notes at the national term and at
the envelope clause, and a hint naming what would be allowed.

Who permits what, in order:
1. the national term's own clause (`flexible`, `waivable`, `replaceable`,
   `extensible`): flexibility the contract itself grants, which no envelope
   takes away;
2. otherwise the envelope in force on the date, when it has an `allow` for
   the declaration's kind and term (its bounds, budget and conditions apply);
3. otherwise the variation is refused.
`add requirement` names no national term: the envelope must allow it, except
in a library with no envelopes at all, where local requirements may be added.

One row of `FLEXIBILITY_KINDS` per kind of local declaration: the node it
governs, the national term kinds it applies to, the term-level clause that
grants it and its checker.

>>> [k.name for k in FLEXIBILITY_KINDS]  # doctest: +NORMALIZE_WHITESPACE
['vary', 'waive', 'replace requirement', 'replace value', 'add requirement',
 'add rows', 'retire rows', 'cap rows']
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic, Related, did_you_mean
from rules_engine.static.forms import literal_value, row_key, row_on, row_period, show_literal
from rules_engine.base.source import Span

PERMITTED = "permitted"


# ------------------------------------------------------------------ records

@attrs.frozen(eq=False)
class Envelope:
    """A flexibility envelope: a national layer of `allow` permissions."""

    layer: Any  # library.Layer

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def title(self) -> str:
        return self.layer.header.title

    @property
    def period(self) -> n.Period | None:
        return self.layer.period

    @property
    def permissions(self) -> tuple[n.AllowDecl, ...]:
        return tuple(d for d in self.layer.syntax.declarations if isinstance(d, n.AllowDecl))

    def allow(self, kind: str, target: str | None) -> n.AllowDecl | None:
        return next((p for p in self.permissions if p.kind == kind and p.target == target), None)

    def describe(self) -> str:
        when = f", {self.period.describe()}" if self.period else ""
        return f"{self.name} ({self.title}{when})"


@attrs.frozen
class Budget:
    """Rows a local layer retires and adds in one table, under a conserved column."""

    table: str
    column: str
    unit: str | None
    retired: tuple[tuple[str, Decimal], ...]  # (key, amount) of rows in force on the date
    added: tuple[tuple[str, Decimal], ...]
    span: Span  # the first retire or add declaration, where an over-budget error points

    @property
    def retired_total(self) -> Decimal:
        return sum((a for _, a in self.retired), Decimal(0))

    @property
    def added_total(self) -> Decimal:
        return sum((a for _, a in self.added), Decimal(0))

    @property
    def within(self) -> bool:
        return self.added_total <= self.retired_total

    def amount(self, value: Decimal) -> str:
        shown = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value}"
        if "." in shown and value == value.to_integral_value():
            shown = shown.split(".")[0]
        unit = self.unit[:-1] if self.unit and value == 1 and self.unit.endswith("s") else self.unit
        return f"{shown} {unit}" if unit else shown

    def describe(self) -> str:
        retired = ", ".join(k for k, _ in self.retired) or "nothing"
        added = ", ".join(k for k, _ in self.added) or "nothing"
        verdict = "within budget" if self.within else (
            f"over budget by {self.amount(self.added_total - self.retired_total)}")
        return (f"retires {retired} ({self.amount(self.retired_total)}); adds {added} "
                f"({self.amount(self.added_total)}): {verdict}")

    def as_json(self) -> dict:
        return {"table": self.table, "column": self.column, "unit": self.unit,
                "retired": [{"key": k, "amount": _number(a)} for k, a in self.retired],
                "added": [{"key": k, "amount": _number(a)} for k, a in self.added],
                "retired_total": _number(self.retired_total), "added_total": _number(self.added_total),
                "within": self.within, "text": self.describe()}


@attrs.frozen
class Cap:
    """The rows a capped table has in force on a date, before and after a
    local layer's retired and added rows, against the envelope's cap."""

    table: str
    cap: int
    national: int  # national rows in force on the date
    retired: int  # of those, the rows the layer retires
    added: int  # rows the layer adds in force on the date
    span: Span  # the envelope's permission

    @property
    def after(self) -> int:
        return self.national - self.retired + self.added

    @property
    def within(self) -> bool:
        """Within the cap, or at least not taken further past it by the layer."""
        return self.after <= self.cap or self.after <= self.national

    def describe(self) -> str:
        verdict = "within the cap" if self.after <= self.cap else (
            f"over the cap by {self.after - self.cap}" + (
                "" if self.added > self.retired else ", though the layer adds no more than it retires"))
        return (f"{self.national} national rows, retires {self.retired}, adds {self.added}: "
                f"{self.after} of at most {self.cap}: {verdict}")

    def as_json(self) -> dict:
        return {"table": self.table, "cap": self.cap, "national": self.national,
                "retired": self.retired, "added": self.added, "after": self.after,
                "within": self.within, "text": self.describe()}


@attrs.frozen(eq=False)
class Verdict:
    """Whether one local declaration is permitted, and what decided it."""

    declaration: Any  # a local declaration node
    kind: str  # a FLEXIBILITY_KINDS name, or `redefine` for a local term named as a national one
    target: str
    national: Any  # library.Form of the national term, or None
    decided_by: str  # envelope | contract | none
    envelope: Envelope | None  # the envelope in force (whether or not it decided)
    permission: Any  # the n.AllowDecl or n.Flexibility that permitted it, or None
    verdict: str
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def permitted(self) -> bool:
        return self.verdict == PERMITTED

    def authority(self) -> str | None:
        """Who permitted or refused it, in words (None for a redefined national term)."""
        if self.kind == "redefine":
            return None
        if self.decided_by == "envelope" and self.envelope is not None:
            return f"envelope {self.envelope.name}"
        if self.decided_by == "contract" and self.national is not None:
            return f"the contract itself ({self.national.clause})"
        if self.envelope is not None:
            return f"refused: envelope {self.envelope.name} has no permission"
        return "no envelope in force"


@attrs.frozen(eq=False)
class Judgement:
    """A local layer judged under one envelope (or none) on one date."""

    layer: Any  # library.Layer
    day: dt.date
    envelope: Envelope | None
    verdicts: tuple[Verdict, ...]
    budgets: tuple[Budget, ...]
    diagnostics: tuple[Diagnostic, ...]  # not tied to one declaration (extends, a budget)
    local_terms: tuple["LocalTerm", ...] = ()  # the layer's own terms: not variations
    caps: tuple[Cap, ...] = ()  # each capped table the layer adds rows to or retires rows from

    @property
    def all_diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(d for v in self.verdicts for d in v.diagnostics) + self.diagnostics


@attrs.frozen(eq=False)
class LocalTerm:
    """A term a local layer declares for its own requirements (a fact, an
    enumeration, a parameter, a table, a definition): not a variation, as it
    changes no national term."""

    declaration: Any  # the node
    kind: str  # fact | enumeration | parameter | table | definition
    name: str
    title: str | None


@attrs.frozen
class FlexKind:
    """One kind of local flexibility: a row of the table below."""

    name: str
    declaration: type | None  # the local declaration it governs (None: a check of the whole layer)
    term_kinds: tuple[type, ...]  # the national terms it applies to (() for none)
    contract_clause: str | None  # the term-level clause that grants it
    checker: Callable
    #: what the declaration does to its national term, as an error about an
    #: unknown term ends: "there is no national requirement `x` to waive"
    does: str = ""


# ------------------------------------------------------------ the checker

class _Judge:
    def __init__(self, layer, national_forms: dict, national: tuple, envelope: Envelope | None,
                 envelopes_exist: bool, day: dt.date):
        self.layer = layer
        self.forms = national_forms
        self.envelope = envelope
        self.envelopes_exist = envelopes_exist
        self.day = day
        contracts = {l.name: l for l in national if not l.header.is_envelope}
        self.extended = set(layer.header.extends) & set(contracts)

    # -- helpers -------------------------------------------------------------

    def national_form(self, name: str, span: Span, kind: FlexKind, what: str,
                      problems: list[Diagnostic]):
        kinds = kind.term_kinds
        candidates = [f for f in self.forms.get(name, ()) if isinstance(f.term, kinds)]
        if not candidates:
            names = [k for k, fs in self.forms.items() if any(isinstance(f.term, kinds) for f in fs)]
            problems.append(Diagnostic(
                "E-LAYER-004", f"there is no national {what} `{name}` {kind.does}", span,
                hint=did_you_mean(name, names)))
            return None
        in_scope = [f for f in candidates if f.layer.name in self.extended]
        if not in_scope:
            problems.append(Diagnostic(
                "E-LAYER-004", f"`{name}` belongs to `{candidates[0].layer.name}`, which this layer "
                f"does not extend", span, related=(Related(candidates[0].term.span, "declared here"),),
                hint=f"add `{candidates[0].layer.name}` to the `extends` list"))
            return None
        in_force = [f for f in in_scope if f.in_force(self.day)]
        return (in_force or in_scope)[-1]  # past the contracts' end: the latest national terms

    def grant(self, kind: FlexKind, form) -> tuple[str, Any]:
        """(decided_by, permission): the term's own clause, else the envelope's `allow`."""
        target = form.name if form is not None else None
        if form is not None and kind.contract_clause is not None:
            clause = next((f for f in form.flexibility if f.kind == kind.contract_clause), None)
            if clause is not None:
                return "contract", clause
        if self.envelope is not None:
            allow = self.envelope.allow(kind.name, target)
            if allow is not None:
                return "envelope", allow
        return "none", None

    def notes(self, form, allow: n.AllowDecl | None = None) -> tuple[Related, ...]:
        notes = []
        if form is not None:
            notes.append(_flex_note(form, self.envelope))
        if allow is not None:
            notes.append(Related(allow.span, f"envelope `{self.envelope.name}` allows "
                                             f"{describe_permission(allow)}"
                                             + _provisional(allow)))
        elif self.envelope is not None:
            notes.append(Related(self.envelope.layer.header.span,
                                 f"the envelope in force on {self.day}, `{self.envelope.name}`, "
                                 f"has no such permission"))
        return tuple(notes)

    def refuse_hint(self, kind: FlexKind, fallback: str) -> str:
        if self.envelope is None:
            if not self.envelopes_exist:
                return fallback.replace(", or an envelope allows,", "")
            return f"{fallback}; no flexibility envelope is in force on {self.day}"
        allowed = [describe_permission(p) for p in self.envelope.permissions if p.kind == kind.name]
        also = (f"; besides, a term the contract marks `{kind.contract_clause}`"
                if kind.contract_clause else "")
        if allowed:
            return f"the envelope `{self.envelope.name}` allows only " + "; ".join(allowed) + also
        return f"{fallback}; `{self.envelope.name}` allows no `{kind.name}`"

    def verdict(self, decl, kind: FlexKind, target: str, form, decided_by: str, permission,
                problems: list[Diagnostic]) -> Verdict:
        verdict = _VERDICTS.get(problems[0].code, "invalid") if problems else PERMITTED
        return Verdict(decl, kind.name, target, form, decided_by, self.envelope, permission,
                       verdict, tuple(problems))

    # -- one checker per kind ------------------------------------------------

    def judge(self, kind: FlexKind, decl, because, what: str, name: str, span: Span, term: str,
              code: str, refusal: str, fallback: str) -> tuple[list[Diagnostic], Any, str, Any]:
        """What every checker asks first: a reason given, the national term
        found, and who grants the change (the contract, the envelope, or
        nobody: then `code` with `refusal`). Returns (problems, form,
        decided_by, permission); a checker goes on only with a permission."""
        problems: list[Diagnostic] = []
        if because is None:
            problems.append(_because_missing(decl, what))
        form = self.national_form(name, span, kind, term, problems)
        decided_by, permission = ("none", None)
        if form is not None:
            decided_by, permission = self.grant(kind, form)
            if permission is None:
                problems.append(Diagnostic(code, refusal, decl.span, related=self.notes(form),
                                           hint=self.refuse_hint(kind, fallback)))
        return problems, form, decided_by, permission

    def vary(self, kind: FlexKind, decl: n.VaryDecl) -> Verdict:
        problems, form, decided_by, permission = self.judge(
            kind, decl, decl.because, f"`vary {decl.name}`", decl.name, decl.name_span, "parameter",
            "E-LAYER-002", f"`{decl.name}` is locked: a local layer cannot vary it",
            "only terms the national layer marks `flexible`, or an envelope allows, may be varied")
        if permission is not None:
            allow = permission if isinstance(permission, n.AllowDecl) else None
            bound = permission.bound
            problem = _out_of_bounds(decl.value, bound)
            if problem:
                shown = show_literal(decl.value) if _is_literal(decl.value) else "..."
                problems.append(Diagnostic(
                    "E-LAYER-001", f"`{decl.name}` = {shown} is {problem}", decl.value.span,
                    related=self.notes(form, allow),
                    hint=f"choose a value {describe_bound(bound)}"))
        return self.verdict(decl, kind, decl.name, form, decided_by, permission, problems)

    def waive(self, kind: FlexKind, decl: n.WaiveDecl) -> Verdict:
        problems, form, decided_by, permission = self.judge(
            kind, decl, decl.because, f"`waive {decl.id}`", decl.id, decl.id_span, "requirement",
            "E-LAYER-003", f"`{decl.id}` is not waivable",
            "only requirements the national layer marks `waivable`, or an envelope allows, may be waived")
        return self.verdict(decl, kind, decl.id, form, decided_by, permission, problems)

    def replace_requirement(self, kind: FlexKind, decl: n.ReplaceDecl) -> Verdict:
        requirement = decl.requirement
        problems, form, decided_by, permission = self.judge(
            kind, decl, requirement.because, f"`replace requirement {requirement.id}`",
            requirement.id, decl.id_span, "requirement", "E-LAYER-008",
            f"`{requirement.id}` is not replaceable",
            "vary its flexible parameters instead, or waive it if it is waivable")
        if isinstance(permission, n.AllowDecl) and permission.keeping is not None:
            kept = ".".join(permission.keeping)
            if not _keeps(requirement, permission.keeping):
                problems.append(Diagnostic(
                    "E-FLEX-006", f"the replacement of `{requirement.id}` drops `{kept}`: "
                    f"the envelope lets it change the requirement, never remove that way to pass",
                    decl.span, related=self.notes(form, permission),
                    hint=f"keep `{kept}` as an alternative of the `must` condition "
                         f"(`must ... or {kept}`) or as an alternative of `unless`"))
        return self.verdict(decl, kind, requirement.id, form, decided_by, permission, problems)

    def replace_value(self, kind: FlexKind, decl: n.ReplaceValueDecl) -> Verdict:
        problems, form, decided_by, permission = self.judge(
            kind, decl, decl.because, f"`replace value {decl.name}`", decl.name, decl.name_span,
            "definition", "E-FLEX-005", f"`{decl.name}` is not a value a local layer may replace",
            "only definitions an envelope names in `allow replace value` may be replaced")
        return self.verdict(decl, kind, decl.name, form, decided_by, permission, problems)

    def add_requirement(self, kind: FlexKind, decl: n.AddRequirementDecl) -> Verdict:
        requirement = decl.requirement
        problems: list[Diagnostic] = []
        if requirement.because is None:
            problems.append(_because_missing(decl, f"`add requirement {requirement.id}`"))
        existing = self.forms.get(requirement.id)
        if existing:
            problems.append(Diagnostic(
                "E-LAYER-006", f"`{requirement.id}` is already a national requirement", decl.span,
                related=(_flex_note(existing[-1], self.envelope),),
                hint="give the local requirement its own id, e.g. prefixed with the ICB"))
        decided_by, permission = "none", None
        if self.envelope is not None:
            permission = self.envelope.allow(kind.name, None)
            decided_by = "envelope" if permission is not None else "none"
        if permission is None and not self.envelopes_exist:
            decided_by = "contract"  # a library without envelopes: local requirements may be added
        elif permission is None:
            where = (f"the envelope in force on {self.day}, `{self.envelope.name}`, does not allow "
                     "local requirements" if self.envelope else
                     f"no flexibility envelope is in force on {self.day}")
            problems.append(Diagnostic(
                "E-FLEX-007", f"a local requirement cannot be added: {where}", decl.span,
                related=self.notes(None),
                hint="date the layer within an envelope that has `allow add requirement`"))
        return self.verdict(decl, kind, requirement.id, existing[-1] if existing else None,
                            decided_by, permission, problems)

    def add_rows(self, kind: FlexKind, decl: n.AddRowDecl) -> Verdict:
        problems, form, decided_by, permission = self.judge(
            kind, decl, decl.because, f"`add to {decl.table}`", decl.table, decl.table_span, "table",
            "E-LAYER-010", f"the table `{decl.table}` is not extensible",
            "only tables the national layer marks `extensible`, or an envelope allows, take local rows")
        if permission is not None:
            clash = _clashing_row(form.term, decl.row)
            if clash is not None:
                problems.append(Diagnostic(
                    "E-LAYER-013", f"this row repeats the national row for "
                    f"{', '.join(map(str, row_key(form.term, decl.row)))} in `{decl.table}`",
                    decl.row.span, related=(Related(clash.span, "the national row"),),
                    hint="an ICB adds rows the national table does not have; it cannot "
                         "override a national row (retire it, where an envelope allows)"))
        return self.verdict(decl, kind, decl.table, form, decided_by, permission, problems)

    def retire_rows(self, kind: FlexKind, decl: n.RetireDecl) -> Verdict:
        problems, form, decided_by, permission = self.judge(
            kind, decl, decl.because, f"`retire {decl.table}`", decl.table, decl.table_span, "table",
            "E-FLEX-004", f"rows of `{decl.table}` may not be retired by a local layer",
            "only tables an envelope names in `allow retire rows of` may lose rows")
        if permission is not None:
            table = form.term
            national_keys = {row_key(table, r)[0] for r in table.rows}
            for key in decl.keys:
                value = literal_value(key)
                if value not in national_keys:
                    problems.append(Diagnostic(
                        "E-FLEX-003", f"`{decl.table}` has no national row `{value}` to retire",
                        key.span, related=(Related(table.span, f"the national table "
                                                               f"`{decl.table}`"),),
                        hint=did_you_mean(str(value), [str(k) for k in national_keys])
                        or "retire a key the national table has"))
        return self.verdict(decl, kind, decl.table, form, decided_by, permission, problems)

    # -- budgets ---------------------------------------------------------------

    def budgets(self, verdicts: list[Verdict]) -> tuple[list[Budget], list[Diagnostic]]:
        """Per table with a budget column: the retired rows' amounts bound the added rows'."""
        tables: dict[str, list[Verdict]] = {}
        for v in verdicts:
            if v.kind in ("retire rows", "add rows") and v.permitted and isinstance(v.permission, n.AllowDecl) \
                    and v.permission.budget is not None:
                tables.setdefault(v.target, []).append(v)
        budgets, problems = [], []
        for table_name, group in tables.items():
            form = group[0].national
            table: n.TableDecl = form.term
            column = group[0].permission.budget
            columns = [c.name for c in table.columns]
            if column not in columns:
                continue  # reported on the envelope (E-FLEX-008)
            position = columns.index(column)
            unit = _unit_of(table.columns[position])
            retired, added = [], []
            for v in group:
                decl = v.declaration
                if isinstance(decl, n.RetireDecl):
                    for key in decl.keys:
                        value = literal_value(key)
                        for row in table.rows:
                            if row_key(table, row)[0] == value and row_on(table, row, self.day):
                                retired.append((str(value), _cell_amount(row, position)))
                elif isinstance(decl, n.AddRowDecl) and row_on(table, decl.row, self.day):
                    added.append((str(row_key(table, decl.row)[0]), _cell_amount(decl.row, position)))
            first = group[0].declaration
            budget = Budget(table_name, column, unit, tuple(retired), tuple(added), first.span)
            budgets.append(budget)
            if not budget.within:
                over = [v for v in group if isinstance(v.declaration, n.AddRowDecl)]
                anchor = over[-1].declaration if over else first
                allow = group[0].permission
                problems.append(Diagnostic(
                    "E-FLEX-002", f"over budget in `{table_name}`: {budget.describe()}",
                    anchor.span, related=(
                        Related(table.span, f"`{table_name}` conserves `{column}`: the rows a local "
                                            f"layer adds may not exceed the rows it retires"),
                        Related(allow.span, f"envelope `{self.envelope.name}` allows "
                                            f"{describe_permission(allow)}")),
                    hint=f"retire rows worth {budget.amount(budget.added_total - budget.retired_total)} "
                         f"more, or add rows worth at most {budget.amount(budget.retired_total)} "
                         f"in all"))
        return budgets, problems


def _check_cap_rows(judge, kind, verdicts):
    """Each `allow at most N rows in T` of the envelope in force: the rows T has
    on the date once the layer's permitted retirements and additions apply. A
    layer that takes T past the cap (to more rows than both the cap and the
    national table) is refused at its last added row (E-FLEX-009)."""
    envelope = judge.envelope
    if envelope is None:
        return [], []
    caps, problems = [], []
    for allow in envelope.permissions:
        if allow.kind != kind.name:
            continue
        mine = [v for v in verdicts if v.target == allow.target and v.permitted
                and v.kind in ("add rows", "retire rows")]
        if not mine:
            continue
        form = mine[0].national
        table: n.TableDecl = form.term
        national = [r for r in table.rows if row_on(table, r, judge.day)]
        national_keys = {row_key(table, r)[0] for r in national}
        retired = {literal_value(k) for v in mine if isinstance(v.declaration, n.RetireDecl)
                   for k in v.declaration.keys} & national_keys
        added = [v for v in mine if isinstance(v.declaration, n.AddRowDecl)
                 and row_on(table, v.declaration.row, judge.day)]
        limit = int(literal_value(allow.bound.high))
        cap = Cap(allow.target, limit, len(national), len(retired), len(added), allow.span)
        caps.append(cap)
        if not cap.within:
            anchor = added[-1].declaration
            problems.append(Diagnostic(
                "E-FLEX-009", f"over the cap on `{allow.target}`: {cap.describe()}", anchor.span,
                related=(Related(table.span, f"the national table `{allow.target}`"),
                         Related(allow.span, f"envelope `{envelope.name}` allows "
                                             f"{describe_permission(allow)}" + _provisional(allow))),
                hint=f"retire {cap.after - max(cap.cap, cap.national)} more rows of "
                     f"`{allow.target}` or add that many fewer: at most {cap.cap} rows in all"))
    return caps, problems


def _check_vary(judge, kind, decl): return judge.vary(kind, decl)
def _check_waive(judge, kind, decl): return judge.waive(kind, decl)
def _check_replace_requirement(judge, kind, decl): return judge.replace_requirement(kind, decl)
def _check_replace_value(judge, kind, decl): return judge.replace_value(kind, decl)
def _check_add_requirement(judge, kind, decl): return judge.add_requirement(kind, decl)
def _check_add_rows(judge, kind, decl): return judge.add_rows(kind, decl)
def _check_retire_rows(judge, kind, decl): return judge.retire_rows(kind, decl)


#: The kinds of local flexibility. `add rows` also serves caps: an ICB cap is
#: a row added to a cap table (`arrs_caps`) that an envelope opens.
FLEXIBILITY_KINDS: tuple[FlexKind, ...] = (
    FlexKind("vary", n.VaryDecl, (n.ParameterDecl,), "flexible", _check_vary, does="to vary"),
    FlexKind("waive", n.WaiveDecl, (n.RequirementDecl,), "waivable", _check_waive, does="to waive"),
    FlexKind("replace requirement", n.ReplaceDecl, (n.RequirementDecl,), "replaceable",
             _check_replace_requirement, does="to replace"),
    FlexKind("replace value", n.ReplaceValueDecl, (n.DefineDecl,), None, _check_replace_value,
             does="to replace"),
    FlexKind("add requirement", n.AddRequirementDecl, (), None, _check_add_requirement),
    FlexKind("add rows", n.AddRowDecl, (n.TableDecl,), "extensible", _check_add_rows,
             does="to add rows to"),
    FlexKind("retire rows", n.RetireDecl, (n.TableDecl,), None, _check_retire_rows,
             does="to retire rows of"),
    # a cap on the rows of a table (the Hewitt Review's fewer national
    # indicators): no declaration of its own, it checks the layer's rows
    FlexKind("cap rows", None, (n.TableDecl,), None, _check_cap_rows, does="to cap rows of"),
)
_BY_DECLARATION = {k.declaration: k for k in FLEXIBILITY_KINDS if k.declaration is not None}
_BY_NAME = {k.name: k for k in FLEXIBILITY_KINDS}

#: The verdict each refusal gives.
_VERDICTS = {
    "E-LAYER-001": "out of bounds",
    "E-LAYER-002": "not flexible",
    "E-LAYER-003": "not waivable",
    "E-LAYER-004": "unknown term",
    "E-LAYER-005": "reason missing",
    "E-LAYER-006": "redefines a national term",
    "E-LAYER-008": "not replaceable",
    "E-LAYER-010": "not extensible",
    "E-LAYER-013": "repeats a national row",
    "E-FLEX-002": "over budget",
    "E-FLEX-003": "no such row",
    "E-FLEX-004": "rows not retirable",
    "E-FLEX-005": "not replaceable",
    "E-FLEX-006": "drops a kept condition",
    "E-FLEX-007": "not allowed by the envelope",
    "E-FLEX-009": "over the cap",
}
VERDICTS = _VERDICTS


def judge_layer(layer, national: tuple, national_forms: dict, envelopes: tuple[Envelope, ...],
                day: dt.date) -> Judgement:
    """Judge every declaration of a local layer under the envelope in force on `day`."""
    envelope = envelope_on(envelopes, day)
    judge = _Judge(layer, national_forms, national, envelope, bool(envelopes), day)
    header = layer.header
    contracts = {l.name: l for l in national if not l.header.is_envelope}
    problems: list[Diagnostic] = []
    for name in header.extends:
        if name not in contracts:
            problems.append(Diagnostic(
                "E-LAYER-009", f"`{name}` is not a national contract in the library",
                header.span, hint=did_you_mean(name, contracts) or
                f"national contracts: {', '.join(sorted(contracts))}"))
    verdicts: list[Verdict] = []
    local_terms: list[LocalTerm] = []
    for decl in layer.syntax.declarations:
        kind = _BY_DECLARATION.get(type(decl))
        if kind is not None:
            verdicts.append(kind.checker(judge, kind, decl))
        elif isinstance(decl, (n.ParameterDecl, n.TableDecl, n.DefineDecl)):
            redefinition = _redefinition(judge, decl)
            if redefinition is not None:
                verdicts.append(redefinition)
            else:
                local_terms.append(_local_term(decl))
        elif isinstance(decl, (n.FactDecl, n.EnumDecl)):
            local_terms.append(_local_term(decl))
    budgets, over = judge.budgets(verdicts)
    caps, over_cap = _BY_NAME["cap rows"].checker(judge, _BY_NAME["cap rows"], verdicts)
    for diagnostic in over + over_cap:  # a budget or cap error belongs to the declaration it points at
        for index, v in enumerate(verdicts):
            if v.declaration.span is diagnostic.span:
                verdicts[index] = attrs.evolve(v, verdict=_VERDICTS[diagnostic.code],
                                               diagnostics=v.diagnostics + (diagnostic,))
    return Judgement(layer, day, envelope, tuple(verdicts), tuple(budgets), tuple(problems),
                     tuple(local_terms), tuple(caps))


def _redefinition(judge: _Judge, decl) -> Verdict | None:
    """A local parameter, table or definition named as a national term: an
    attempted change of that term, refused (None for a term of its own)."""
    existing = judge.forms.get(decl.name)
    if not existing:
        return None
    form = existing[-1]
    hint = (f"vary it instead: `vary {decl.name} = VALUE because \"...\"`"
            if any(f.kind == "flexible" for f in form.flexibility)
            or (judge.envelope and judge.envelope.allow("vary", decl.name))
            else "a local layer cannot redefine a national term")
    problem = Diagnostic(
        "E-LAYER-006", f"`{decl.name}` is a national term; a local layer cannot redefine it",
        decl.span, related=(_flex_note(form, judge.envelope),), hint=hint)
    return Verdict(decl, "redefine", decl.name, form, "none", judge.envelope, None,
                   _VERDICTS["E-LAYER-006"], (problem,))


_LOCAL_TERM_KINDS = {n.FactDecl: "fact", n.EnumDecl: "enumeration", n.ParameterDecl: "parameter",
                     n.TableDecl: "table", n.DefineDecl: "definition"}


def _local_term(decl) -> LocalTerm:
    name = decl.dotted if isinstance(decl, n.FactDecl) else decl.name
    title = decl.note if isinstance(decl, n.FactDecl) else getattr(decl, "title", None)
    return LocalTerm(decl, _LOCAL_TERM_KINDS[type(decl)], name, title)


def envelope_on(envelopes: tuple[Envelope, ...], day: dt.date) -> Envelope | None:
    return next((e for e in envelopes if e.period is None or e.period.contains(day)), None)


def judgement_days(layer, envelopes: tuple[Envelope, ...], fallback: dt.date) -> list[dt.date]:
    """The dates a layer is judged on for `lint`: the first day of each envelope
    (or gap between envelopes) its period meets; for a layer without dates, the
    first day of each envelope."""
    period = layer.period
    if period is None:
        return [e.period.start if e.period else fallback for e in envelopes] or [fallback]
    days = [period.start]
    for envelope in envelopes:
        p = envelope.period
        if p is None:
            continue
        if p.start > period.start and period.contains(p.start):
            days.append(p.start)
        if p.end is not None and period.contains(p.end + dt.timedelta(days=1)):
            days.append(p.end + dt.timedelta(days=1))
    return sorted(set(days))


def check_envelopes(envelopes: tuple[Envelope, ...], national_forms: dict) -> list[Diagnostic]:
    """Envelopes must not overlap, and each permission must name a national term of its kind."""
    problems: list[Diagnostic] = []
    for index, envelope in enumerate(envelopes):
        for other in envelopes[:index]:
            a, b = envelope.period, other.period
            if a is None or b is None or a.overlaps(b):
                problems.append(Diagnostic(
                    "E-FLEX-001", f"two flexibility envelopes, `{other.name}` and `{envelope.name}`, "
                    "are in force on the same dates", envelope.layer.header.span,
                    related=(Related(other.layer.header.span, "the other envelope"),),
                    hint="give each envelope an `effective FROM to TO` period that does not overlap"))
        for allow in envelope.permissions:
            kind = _BY_NAME[allow.kind]
            if allow.target is None:
                continue
            forms = [f for f in national_forms.get(allow.target, ())
                     if isinstance(f.term, kind.term_kinds)]
            if not forms:
                names = [k for k, fs in national_forms.items()
                         if any(isinstance(f.term, kind.term_kinds) for f in fs)]
                problems.append(Diagnostic(
                    "E-FLEX-008", f"`allow {allow.kind} {allow.target}`: there is no national "
                    f"{_term_word(kind)} `{allow.target}`", allow.target_span,
                    hint=did_you_mean(allow.target, names)))
                continue
            term = forms[-1].term
            if allow.kind == "cap rows" and envelope.period is not None:
                day = envelope.period.start
                form = next((f for f in forms if f.in_force(day)), forms[-1])
                count = sum(1 for r in form.term.rows if row_on(form.term, r, day))
                limit = literal_value(allow.bound.high)
                if count > limit:
                    problems.append(Diagnostic(
                        "E-FLEX-010", f"`{allow.target}` has {count} national rows in force on {day}, "
                        f"more than the envelope's cap of {show_literal(allow.bound.high)}",
                        allow.span, related=(Related(form.term.span, f"the national table "
                                                                    f"`{allow.target}`"),),
                        hint=f"cap it at {count} or more, or retire national rows of "
                             f"`{allow.target}` before {day}"))
            if isinstance(term, n.TableDecl):
                columns = {c.name: c for c in term.columns}
                for clause, column in (("within budget", allow.budget), ("marking", allow.marking)):
                    if column is not None and column not in columns:
                        problems.append(Diagnostic(
                            "E-FLEX-008", f"`{clause} {column}`: `{allow.target}` has no column "
                            f"`{column}`", allow.span, hint=did_you_mean(column, columns)))
                if len(term.keys) != 1 and allow.kind == "retire rows":
                    problems.append(Diagnostic(
                        "E-FLEX-008", f"`{allow.target}` has {len(term.keys)} key columns; rows are "
                        "retired by one key", allow.span,
                        hint="retire rows of a table keyed by one column"))
    return problems


# ----------------------------------------------------------------- helpers

#: What a permission lets a local layer do, by kind: (as a noun phrase, "adding
#: rows to T", for the envelope that decided a variation; as a verb, "add rows
#: to T", for the list of powers); any other kind is its name and target.
_PERMISSION_VERBS = {
    "retire rows": ("retiring rows of {target}", "retire rows of {target}"),
    "add rows": ("adding rows to {target}", "add rows to {target}"),
    "add requirement": ("adding local requirements", "add local requirements"),
    "cap rows": ("at most {cap} rows in {target}", "keep at most {cap} rows in {target}"),
}


def describe_permission(allow: n.AllowDecl, *, as_verb: bool = False) -> str:
    """A permission in words: "retiring rows of qof_indicators within the
    budget of their `points`, for the subjects opted in by `...`" (or, with
    `as_verb`, "retire rows of ..."): vary-check, the catalogue and `show`."""
    words = _PERMISSION_VERBS.get(allow.kind)
    cap = show_literal(allow.bound.high) if allow.kind == "cap rows" else None
    if words is not None:
        text = words[as_verb].format(target=allow.target or "", cap=cap)
    else:
        text = f"{allow.kind} {allow.target}" if allow.target else allow.kind
    if allow.bound is not None and cap is None:
        text += f" {describe_bound(allow.bound)}"
    if allow.marking is not None:
        text += f" (kept, marked `{allow.marking}`)"
    if allow.budget is not None:
        text += f" within the budget of their `{allow.budget}`"
    if allow.opted_in is not None:
        text += f", for the subjects opted in by `{'.'.join(allow.opted_in)}`"
    if allow.keeping is not None:
        text += f", keeping `{'.'.join(allow.keeping)}` as a way to pass"
    return text


def _provisional(allow: n.AllowDecl) -> str:
    return f" (provisional: {allow.provisional.reason})" if allow.provisional else ""


def describe_bound(bound: n.Bound | None) -> str:
    if bound is None:
        return "(any value)"
    if bound.kind == "between":
        return f"between {show_literal(bound.low)} and {show_literal(bound.high)}"
    if bound.kind == "at_least":
        return f"at least {show_literal(bound.low)}"
    return f"at most {show_literal(bound.high)}"


def _term_word(kind: FlexKind) -> str:
    return {n.ParameterDecl: "parameter", n.RequirementDecl: "requirement", n.TableDecl: "table",
            n.DefineDecl: "definition"}.get(kind.term_kinds[0], "term") if kind.term_kinds else "term"


def _flex_note(form, envelope: Envelope | None) -> Related:
    own = form.describe_flexibility()
    if own == "locked":
        return Related(form.term.span, f"`{form.name}` ({form.clause}): the contract itself "
                                       "allows no local change")
    return Related(form.term.span, f"`{form.name}` is {own} ({form.clause})")


def _because_missing(decl, what: str) -> Diagnostic:
    return Diagnostic("E-LAYER-005", f"{what} gives no reason", decl.span,
                      hint='every variation says why: add `because "..."`')


def _disjuncts(expr):
    if isinstance(expr, n.Logic) and expr.operator == "or":
        yield from _disjuncts(expr.left)
        yield from _disjuncts(expr.right)
    elif expr is not None:
        yield expr


def _path_of(expr) -> tuple[str, ...] | None:
    parts = []
    while isinstance(expr, n.Field):
        parts.append(expr.name)
        expr = expr.record
    if isinstance(expr, n.Name):
        return (expr.name, *reversed(parts))
    return None


def _keeps(requirement: n.RequirementDecl, kept: tuple[str, ...]) -> bool:
    """The replacement still passes (or does not apply) whenever `kept` holds:
    `kept` is one of the alternatives of its `must` or of its `unless`."""
    return any(_path_of(d) == kept for clause in (requirement.must, requirement.unless)
               for d in _disjuncts(clause))


def _cell_amount(row: n.Row, position: int) -> Decimal:
    value = literal_value(row.cells[position]) if position < len(row.cells) else None
    return value if isinstance(value, Decimal) else Decimal(0)


def _unit_of(column: n.Column) -> str | None:
    type_ = column.type
    if isinstance(type_, n.NamedType) and type_.name in t.UNIT_WORDS:
        return type_.name
    return None


def _clashing_row(table: n.TableDecl, added: n.Row) -> n.Row | None:
    """A national row with the same key in force on some of the same dates."""
    key, (start, end) = row_key(table, added), row_period(table, added)
    for row in table.rows:
        other_start, other_end = row_period(table, row)
        if row_key(table, row) == key and start <= other_end and other_start <= end:
            return row
    return None


def _is_literal(expr) -> bool:
    return isinstance(expr, (n.Number, n.Quantity, n.Money, n.Percent, n.DateLiteral, n.Text,
                             n.Boolean))


def _out_of_bounds(value_expr, bound: n.Bound | None) -> str | None:
    if bound is None:
        return None
    if not _is_literal(value_expr):
        return "not a plain value: a variation gives a number, an amount or a date"
    value = literal_value(value_expr)
    low = literal_value(bound.low) if bound.low is not None else None
    high = literal_value(bound.high) if bound.high is not None else None
    try:
        if low is not None and value < low:
            return f"below the lowest value allowed ({show_literal(bound.low)})"
        if high is not None and value > high:
            return f"above the highest value allowed ({show_literal(bound.high)})"
    except TypeError:
        return "not comparable with the bounds"
    return None


def _number(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)
