"""The judge of a local layer's declarations, one method per kind of flexibility.

The records of a judgement (`Envelope`, `Verdict`, `Judgement`, `LocalTerm`,
`FlexKind`) and `Judge`: for each local declaration, the national term it
changes, who grants the change (the term's own clause, else the envelope's
`allow`), and what the grant bounds (a value's bounds, a kept way to pass, a
protected floor, a repeated row, a row to retire). The table of kinds and the
whole-layer checks are in `flexibility`; budgets and caps in `flex_budgets`;
the words in `flex_wording`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.static.slip_checks import quoted_literal
from rules_engine.base.diagnostics import Diagnostic, Related, did_you_mean
from rules_engine.base.source import Span
from rules_engine.static.flex_budgets import Budget, Cap, table_budgets
from rules_engine.static.flex_wording import (because_empty, because_missing, describe_bound, describe_permission,
                                              flex_note, provisional_note)
from rules_engine.static.forms import literal_value, row_key, row_period, show_literal

PERMITTED = "permitted"


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



#: The verdict each refusal gives.
VERDICTS = {
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
    "E-FLEX-011": "weakens a protected floor",
    "E-FLEX-013": "outside the envelope's bounds",
}


class Judge:
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
            notes.append(flex_note(form, self.envelope))
        if allow is not None:
            notes.append(Related(allow.span, f"envelope `{self.envelope.name}` allows "
                                             f"{describe_permission(allow)}"
                                             + provisional_note(allow)))
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
        verdict = VERDICTS.get(problems[0].code, "invalid") if problems else PERMITTED
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
            problems.append(because_missing(decl, what))
        elif isinstance(because, n.Because) and not because.reason.strip():
            problems.append(because_empty(because))
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
            quoted = quoted_literal(decl.value, bound)  # `"70 minutes"`: a text; no bound to suggest
            if quoted is not None:
                problems.append(Diagnostic("E-TYPE-010", f"`{decl.name}` is given the text \"{decl.value.value}"
                                           f"\" (in quotes), not a value it can take", decl.value.span,
                                           hint=f"write `{quoted}` without quotes: quotes make a text"))
            elif problem:
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
        if isinstance(permission, n.AllowDecl):
            problems.extend(self.protections(decl, form, permission))
        return self.verdict(decl, kind, requirement.id, form, decided_by, permission, problems)

    def protections(self, decl: n.ReplaceDecl, form, allow: n.AllowDecl) -> list[Diagnostic]:
        """E-FLEX-011 for each `protecting` floor the replacement no longer
        demands: some conjunct of its `must` must pass only on the floor (or a
        stronger one) or on a way to pass the national term already gives
        without it; its `unless` may only repeat such ways; and it may not add
        a `where` the national term lacks (which could exempt subjects)."""
        requirement, national = decl.requirement, form.term
        problems = []
        for protected in allow.protecting:
            floor = protected.condition
            exempt = [d for clause in (national.must, national.unless) for d in disjuncts(clause)
                      if not any(same_expr(c, floor) for c in conjuncts(d))]
            why = _weakens(requirement, national, floor, exempt, self.parameter_value)
            if why is None:
                continue
            anchor, said = why
            problems.append(Diagnostic(
                "E-FLEX-011", f"the replacement of `{requirement.id}` weakens a protected floor: {said}; "
                f"envelope `{self.envelope.name}` ({_clause_of(allow)}) lets it change the requirement "
                f"only if it still demands `{protected.text}`, the floor of {form.clause}",
                anchor, related=(flex_note(form, self.envelope),
                                 Related(protected.span, f"envelope `{self.envelope.name}` protects "
                                                         f"`{protected.text}`" + provisional_note(allow))),
                hint=f"demand `{protected.text}` (or a stronger floor) in every case the national "
                     f"term does: `must ({protected.text} or <a national exemption>) and ...`"))
        return problems

    def column_bounds(self, decl: n.AddRowDecl, form, allow: n.AllowDecl) -> list[Diagnostic]:
        """E-FLEX-013 for each cell of an added row outside the envelope's
        bound on its column (`allow add to qof_thresholds with lower between
        40% and 90%`): a local threshold no easier than the range allows."""
        columns = [c.name for c in form.term.columns]
        problems = []
        for bounded in allow.columns:
            if bounded.column not in columns:
                continue  # reported on the envelope (E-FLEX-008)
            position = columns.index(bounded.column)
            if position >= len(decl.row.cells):
                continue
            cell = decl.row.cells[position]
            problem = _out_of_bounds(cell, bounded.bound)
            if problem:
                shown = show_literal(cell) if _is_literal(cell) else "..."
                problems.append(Diagnostic(
                    "E-FLEX-013", f"`{bounded.column}` = {shown} in this row of `{decl.table}` is "
                    f"{problem}", cell.span,
                    related=(Related(bounded.span, f"envelope `{self.envelope.name}` ({_clause_of(allow)}) "
                                                   f"bounds `{bounded.column}` "
                                                   f"{describe_bound(bounded.bound)}"
                                                   + provisional_note(allow)),
                             Related(form.term.span, f"the national table `{decl.table}` "
                                                     f"({form.clause})")),
                    hint=f"give `{bounded.column}` a value {describe_bound(bounded.bound)}"))
        return problems

    def parameter_value(self, name: str):
        """The national value of a parameter in force on the date, if a literal (its node)."""
        forms = [f for f in self.forms.get(name, ()) if isinstance(f.term, n.ParameterDecl)]
        form = next((f for f in forms if f.in_force(self.day)), forms[-1] if forms else None)
        return form.term.value if form is not None and _is_literal(form.term.value) else None

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
            problems.append(because_missing(decl, f"`add requirement {requirement.id}`"))
        existing = self.forms.get(requirement.id)
        if existing:
            problems.append(Diagnostic(
                "E-LAYER-006", f"`{requirement.id}` is already a national requirement", decl.span,
                related=(flex_note(existing[-1], self.envelope),),
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
            if isinstance(permission, n.AllowDecl):
                problems.extend(self.column_bounds(decl, form, permission))
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
    def budgets(self, verdicts: list[Verdict]):
        return table_budgets(self, verdicts)


def disjuncts(expr):
    if isinstance(expr, n.Logic) and expr.operator == "or":
        yield from disjuncts(expr.left)
        yield from disjuncts(expr.right)
    elif expr is not None:
        yield expr


def conjuncts(expr):
    if isinstance(expr, n.Logic) and expr.operator == "and":
        yield from conjuncts(expr.left)
        yield from conjuncts(expr.right)
    elif expr is not None:
        yield expr


def same_expr(a, b) -> bool:
    """Two expressions written alike, wherever they are written."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same_expr(x, y) for x, y in zip(a, b))
    if attrs.has(type(a)):
        return all(same_expr(getattr(a, f.name), getattr(b, f.name))
                   for f in attrs.fields(type(a)) if f.name != "span")
    return a == b


#: For a floor `x >= y`, the comparisons of x as strict or stricter; for a ceiling, likewise.
_AS_STRICT = {">=": (">=", ">"), ">": (">",), "<=": ("<=", "<"), "<": ("<",)}


def _at_least_as_strict(condition, floor, value_of) -> bool:
    """`condition` passes only where `floor` does: the same condition, or the
    same comparison of the same thing against a bound as high (a floor) or as
    low (a ceiling); a bound is a literal or a parameter's national value."""
    if any(same_expr(part, floor) for part in conjuncts(condition)):
        return True  # the floor itself, or the floor `and` more
    if not (isinstance(condition, n.Compare) and isinstance(floor, n.Compare)
            and condition.operator in _AS_STRICT.get(floor.operator, ())
            and same_expr(condition.left, floor.left)):
        return False
    mine, theirs = _bound_value(condition.right, value_of), _bound_value(floor.right, value_of)
    try:
        return mine is not None and theirs is not None and (
            mine >= theirs if floor.operator in (">=", ">") else mine <= theirs)
    except TypeError:
        return False


def _bound_literal(expr, value_of):
    """A comparison's bound as a literal node: itself, or a parameter's national value."""
    if isinstance(expr, n.Name):
        return value_of(expr.name)
    return expr if _is_literal(expr) else None


def _bound_value(expr, value_of):
    literal = _bound_literal(expr, value_of)
    return literal_value(literal) if literal is not None else None


def _shown_bound(expr, value_of) -> str:
    literal = _bound_literal(expr, value_of)
    shown = show_literal(literal) if literal is not None else "not a plain value"
    return f"`{expr.name}`, {shown}" if isinstance(expr, n.Name) else shown


def _weakens(requirement, national, floor, exempt, value_of) -> tuple[Span, str] | None:
    """Where and how a replacement stops demanding `floor` (None: it demands
    it). `exempt`: the national term's other ways to pass."""
    exempted = lambda d: any(same_expr(d, e) for e in exempt)  # noqa: E731
    for conjunct in conjuncts(requirement.must):
        alternatives = list(disjuncts(conjunct))
        if any(_at_least_as_strict(d, floor, value_of) for d in alternatives) and all(
                _at_least_as_strict(d, floor, value_of) or exempted(d) for d in alternatives):
            break
    else:
        weaker = next((d for c in conjuncts(requirement.must) for d in disjuncts(c)
                       if isinstance(d, n.Compare) and isinstance(floor, n.Compare)
                       and same_expr(d.left, floor.left)), None)
        if weaker is not None and not _at_least_as_strict(weaker, floor, value_of):
            return weaker.span, (f"its `must` asks only {_shown_bound(weaker.right, value_of)}, "
                                 f"weaker than the protected {_shown_bound(floor.right, value_of)}")
        return (requirement.must or requirement).span, \
            "its `must` can pass where the protected floor fails and no national exemption applies"
    for d in disjuncts(requirement.unless):
        if not exempted(d):
            return d.span, "its `unless` exempts cases the national term does not"
    if requirement.where is not None and not (national.where is not None
                                              and same_expr(requirement.where, national.where)):
        return requirement.where.span, "its `where` can take subjects out of the floor"
    return None


def _clause_of(allow: n.AllowDecl) -> str:
    return allow.reference.text if allow.reference is not None else "no clause given"


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
               for d in disjuncts(clause))



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
        dated = isinstance(value, dt.date)
        if low is not None and value < low:
            return (f"before the earliest date allowed ({show_literal(bound.low)})" if dated else
                    f"below the lowest value allowed ({show_literal(bound.low)})")
        if high is not None and value > high:
            return (f"after the latest date allowed ({show_literal(bound.high)})" if dated else
                    f"above the highest value allowed ({show_literal(bound.high)})")
    except TypeError:
        return "not comparable with the bounds"
    return None

