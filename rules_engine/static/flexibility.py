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

from __future__ import annotations

import datetime as dt

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base.diagnostics import Diagnostic, Related, did_you_mean
from rules_engine.static.flex_budgets import Budget, Cap, check_cap_rows
from rules_engine.static.flex_judge import (PERMITTED, VERDICTS, Envelope, FlexKind, Judge, Judgement,
                                            LocalTerm, Verdict, conjuncts, disjuncts, same_expr)
from rules_engine.static.flex_wording import describe_bound, describe_permission, flex_note, term_word
from rules_engine.static.forms import literal_value, row_live, row_on, show_literal

__all__ = ["FLEXIBILITY_KINDS", "PERMITTED", "VERDICTS", "Budget", "Cap", "Envelope", "FlexKind",
           "Judgement", "LocalTerm", "Verdict", "check_envelopes", "describe_bound",
           "describe_permission", "envelope_on", "judge_layer", "judgement_days"]


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
    FlexKind("cap rows", None, (n.TableDecl,), None, check_cap_rows, does="to cap rows of"),
)
_BY_DECLARATION = {k.declaration: k for k in FLEXIBILITY_KINDS if k.declaration is not None}
_BY_NAME = {k.name: k for k in FLEXIBILITY_KINDS}


def judge_layer(layer, national: tuple, national_forms: dict, envelopes: tuple[Envelope, ...],
                day: dt.date) -> Judgement:
    """Judge every declaration of a local layer under the envelope in force on `day`."""
    envelope = envelope_on(envelopes, day)
    judge = Judge(layer, national_forms, national, envelope, bool(envelopes), day)
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
                verdicts[index] = attrs.evolve(v, verdict=VERDICTS[diagnostic.code],
                                               diagnostics=v.diagnostics + (diagnostic,))
    return Judgement(layer, day, envelope, tuple(verdicts), tuple(budgets), tuple(problems),
                     tuple(local_terms), tuple(caps))


def _redefinition(judge: Judge, decl) -> Verdict | None:
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
        decl.span, related=(flex_note(form, judge.envelope),), hint=hint)
    return Verdict(decl, "redefine", decl.name, form, "none", judge.envelope, None,
                   VERDICTS["E-LAYER-006"], (problem,))


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
                    f"{term_word(kind)} `{allow.target}`", allow.target_span,
                    hint=did_you_mean(allow.target, names)))
                continue
            term = forms[-1].term
            for protected in allow.protecting:
                if isinstance(term, n.RequirementDecl) and not any(
                        same_expr(protected.condition, c) for d in disjuncts(term.must)
                        for c in conjuncts(d)):
                    problems.append(Diagnostic(
                        "E-FLEX-012", f"`protecting {protected.text}`: `{allow.target}` does not "
                        "demand that condition, so there is no floor to protect", protected.span,
                        related=(Related(term.span, f"the national requirement `{allow.target}`"),),
                        hint="protect one of the alternatives of the national requirement's "
                             "`must`, written as it is there"))
            if allow.kind == "cap rows" and envelope.period is not None:
                day = envelope.period.start
                form = next((f for f in forms if f.in_force(day)), forms[-1])
                count = sum(1 for r in form.term.rows if row_on(form.term, r, day) and row_live(form.term, r))
                limit = literal_value(allow.bound.high)
                if count > limit:
                    problems.append(Diagnostic(
                        "E-FLEX-010", f"`{allow.target}` has {count} live national rows in force on {day}, "
                        f"more than the envelope's cap of {show_literal(allow.bound.high)}",
                        allow.span, related=(Related(form.term.span, f"the national table "
                                                                    f"`{allow.target}`"),),
                        hint=f"cap it at {count} or more, or retire national rows of "
                             f"`{allow.target}` before {day}"))
            if isinstance(term, n.TableDecl):
                columns = {c.name: c for c in term.columns}
                named = [("within budget", allow.budget), ("marking", allow.marking)]
                for clause, column in named + [("with", b.column) for b in allow.columns]:
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


