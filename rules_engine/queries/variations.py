"""`vary-check`: is each change in a proposed local layer permitted?

Input: a proposed local layer, the national library it extends and a date.
Output: `VaryCheck`, one `VariationVerdict` per variation (vary, waive,
replace, replace value, add requirement, add row, retire) rendered from the
typed verdicts of `flexibility.judge_layer`: the national term and its
clause, the national value on the date, what permitted or refused it (the
envelope in force, or the contract itself), the proposed value, the reason
given and the verdict with its diagnostics; and the budget verdict of each
table whose rows it retires or adds. The terms a layer declares for its own
use (facts, enumerations, parameters, tables, definitions) change no national
term: they are not variations, and are listed apart as `LocalDeclaration`s. A date past the national contracts is judged
against the latest national terms, and the result says so.
Problems that are not about flexibility (a syntax or type error) raise
`InvalidInput` as in every other stage.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs

from rules_engine.syntax import nodes as n
from rules_engine.base.diagnostics import Diagnostic, InvalidInput
from rules_engine.static.flexibility import VERDICTS, Budget, Verdict, describe_permission, judge_layer
from rules_engine.static.forms import value_on
from rules_engine.static.forms import Layer, describe_flex, show_literal
from rules_engine.static.library import assemble, source_of
from rules_engine.syntax.lower import lower
from rules_engine.static.load import check, library_sources, run_until
from rules_engine.program.layers import require_contract_on
from rules_engine.base.diagnostics import to_json
from rules_engine.analysis.bounds import DEFAULT_TIMEOUT_MS, read_bounds
from rules_engine.analysis.variation import VariationAnalysis, analyse

PERMITTED = "permitted"


@attrs.frozen
class VariationVerdict:
    kind: str  # vary | waive | replace | replace value | add requirement | add row | retire | redefine
    target: str
    line: int
    verdict: str
    clause: str | None
    national_value: str | None
    flexibility: str | None
    proposed: str | None
    because: str | None
    diagnostics: tuple[Diagnostic, ...] = ()
    decided_by: str = "none"  # envelope | contract | none
    permission: str | None = None  # the permission that allowed it, in words
    provisional: str | None = None  # the permission is a policy assumption: why

    @property
    def permitted(self) -> bool:
        return self.verdict == PERMITTED

    def as_json(self) -> dict:
        return {"kind": self.kind, "target": self.target, "line": self.line, "verdict": self.verdict,
                "clause": self.clause, "national_value": self.national_value,
                "flexibility": self.flexibility, "proposed": self.proposed, "because": self.because,
                "decided_by": self.decided_by, "permission": self.permission,
                "provisional": self.provisional,
                "diagnostics": [to_json(d) for d in self.diagnostics]}


@attrs.frozen
class LocalDeclaration:
    """A term the layer declares for its own use: listed, never judged as a variation."""

    kind: str  # fact | enumeration | parameter | table | definition
    name: str
    line: int
    title: str | None

    def as_json(self) -> dict:
        return attrs.asdict(self)


@attrs.frozen
class EnvelopeInForce:
    """The flexibility envelope a proposal was judged under."""

    name: str
    title: str
    period: str
    source: str | None

    def as_json(self) -> dict:
        return attrs.asdict(self)


@attrs.frozen
class VaryCheck:
    layer: str
    icb: str
    file: str
    as_of: dt.date
    extends: tuple[str, ...]
    verdicts: tuple[VariationVerdict, ...]
    other_diagnostics: tuple[Diagnostic, ...] = ()
    envelope: EnvelopeInForce | None = None
    budgets: tuple[Budget, ...] = ()
    terms_note: str | None = None  # when the national terms are not those in force on the date
    local_declarations: tuple[LocalDeclaration, ...] = ()
    caps: tuple = ()  # flexibility.Cap: each capped table the layer changes
    analysis: VariationAnalysis | None = None  # what the layer could change, and for whom
    analysis_note: str | None = None  # why there is no analysis, when there is none

    @property
    def permitted(self) -> bool:
        return all(v.permitted for v in self.verdicts) and not self.other_diagnostics

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(d for v in self.verdicts for d in v.diagnostics) + self.other_diagnostics

    def as_json(self) -> dict:
        return {"layer": self.layer, "icb": self.icb, "file": self.file,
                "as_of": self.as_of.isoformat(), "extends": list(self.extends),
                "envelope": self.envelope.as_json() if self.envelope else None,
                "terms_note": self.terms_note,
                "permitted": self.permitted, "variations": [v.as_json() for v in self.verdicts],
                "budgets": [b.as_json() for b in self.budgets],
                "local_declarations": [d.as_json() for d in self.local_declarations],
                "caps": [c.as_json() for c in self.caps],
                "analysis": self.analysis.as_json() if self.analysis is not None else None,
                "analysis_note": self.analysis_note,
                "diagnostics": [to_json(d) for d in self.other_diagnostics]}

    def to_dict(self) -> dict:
        """The JSON of `vary-check --format json` (the Python API's name for `as_json`)."""
        return self.as_json()


def vary_check(local: str | Path, rules: str | Path | None = None,
               as_of: dt.date | None = None, analysis: bool = True, bounds=None,
               timeout_ms: int = DEFAULT_TIMEOUT_MS) -> VaryCheck:
    """Judge a proposed local layer on `as_of` (default: its first day); with
    `analysis`, also what it could change and for whom (`analysis.analyse`,
    the facts held to the bounds file `bounds`, each solver question limited
    to `timeout_ms`)."""
    proposed = source_of(local)
    lowered = lower(proposed)
    if lowered.layer is None:
        raise InvalidInput(lowered.diagnostics)
    if not lowered.layer.is_local:
        raise InvalidInput([Diagnostic("E-SYNTAX-008", "vary-check takes a local layer, not a national "
                                       "contract", lowered.layer.header.span,
                                       hint='a local layer starts `local layer NAME "Title" for icb CODE`')])
    name = lowered.layer.name
    national = [l for l in run_until("lower", library_sources(rules)) if not l.is_local]
    local_layer = Layer(proposed.path, proposed, lowered.layer)
    layers = [l for l in national if l.name != name] + [local_layer]
    library, problems = assemble(layers)
    header = local_layer.header
    day = as_of or (header.effective.start if header.effective else _covered_day(library))
    require_contract_on(library, day)  # as `check` on that date
    mine = [d for d in problems if d.code.startswith(("E-LAYER", "E-FLEX")) and d.span is not None
            and d.span.file == proposed.path]
    others = [d for d in problems if d not in mine]
    if others:
        raise InvalidInput(others)
    # layer integrity (E-LAYER-014 and the like) is not a flexibility verdict: kept as it is
    integrity = tuple(d for d in mine if d.code not in VERDICTS and d.code != "E-LAYER-009")
    national_forms = {k: tuple(f for f in fs if not f.layer.is_local) for k, fs in library.forms.items()}
    judgement = judge_layer(local_layer, library.national, national_forms, library.envelopes, day)
    checked = None
    if not judgement.all_diagnostics and not integrity:
        checked = check(library)  # types and units of the proposed values; raises on errors
    found, note = None, None
    if not analysis:
        note = "not asked for"
    elif checked is None:
        note = "the layer has problems to put right first"
    elif not any(l.in_force(day) for l in library.contracts):
        note = f"no national contract is in force on {day}"
    elif not local_layer.in_force(day):
        note = f"the layer is not in force on {day}"
    else:
        stated = read_bounds(bounds, library.schema) if bounds is not None else None
        found = analyse(checked, local_layer, day, stated, timeout_ms, judgement.budgets)
    verdicts = tuple(_render(v, day) for v in judgement.verdicts)
    envelope = judgement.envelope
    shown = EnvelopeInForce(envelope.name, envelope.title,
                            envelope.period.describe() if envelope.period else "always",
                            envelope.layer.header.source) if envelope else None
    return VaryCheck(name, header.icb, proposed.path, day, header.extends, verdicts,
                     judgement.diagnostics + integrity, shown, judgement.budgets,
                     _terms_note(library, day),
                     tuple(LocalDeclaration(t.kind, t.name, t.declaration.span.line, t.title)
                           for t in judgement.local_terms), judgement.caps, found, note)


def _terms_note(library, day: dt.date) -> str | None:
    """Past (or before) the national contracts, or in a provisional period
    that carries them forward: which terms the verdicts read."""
    contracts = library.contracts
    carried = library.carried_on(day)
    if carried:
        names = ", ".join(c.layer for c in carried)
        carrier = carried[0]
        return (f"the national terms on {day} are provisional: {carrier.carrier} carries {names} "
                f"forward from {carrier.last_day} ({carrier.reason})")
    if not contracts or any(l.in_force(day) for l in contracts):
        return None
    return (f"no national contract is in force on {day}; judged against the latest national terms "
            f"({library.coverage()})")


def _covered_day(library) -> dt.date:
    """Today, or the last day the contracts cover if today is past them."""
    today = dt.date.today()
    ends = [l.period.end for l in library.contracts if l.period and l.period.end]
    if ends and len(ends) == len(library.contracts) and today > max(ends):
        return max(ends)
    return today


_KIND_SHOWN = {"replace requirement": "replace", "add rows": "add row", "retire rows": "retire"}


def _render(verdict: Verdict, day: dt.date) -> VariationVerdict:
    decl, form = verdict.declaration, verdict.national
    clause = form.layer.clause(form.term.reference, day) if form is not None else None
    national_value = None
    if isinstance(decl, (n.VaryDecl, n.ParameterDecl)) and isinstance(form.term if form else None,
                                                                    n.ParameterDecl):
        value = value_on(form.term, day)
        if value is None and form.term.dated_values:  # past the contract: its last value
            value = form.term.dated_values[-1].value
            if isinstance(value, n.UnknownFigure):
                value = None
        national_value = show_literal(value) if value is not None else "(none on that date)"
    elif isinstance(decl, (n.WaiveDecl, n.ReplaceDecl)) and form is not None:
        national_value = "in force"
    proposed = because = None
    if isinstance(decl, n.VaryDecl):
        proposed = show_literal(decl.value) if _literal(decl.value) else "(an expression)"
        because = decl.because
    elif isinstance(decl, n.ParameterDecl):  # a national parameter redefined
        proposed = show_literal(decl.value) if _literal(decl.value) else "(an expression)"
    elif isinstance(decl, n.WaiveDecl):
        scope = "for every subject" if decl.where is None else "for the subjects its `where` selects"
        proposed, because = f"waived {scope}", decl.because
    elif isinstance(decl, (n.ReplaceDecl, n.AddRequirementDecl)):
        proposed, because = decl.requirement.title, decl.requirement.because
    elif isinstance(decl, n.AddRowDecl):
        proposed = " | ".join(show_literal(c) if c is not None else "" for c in decl.row.cells)
        because = decl.because
    elif isinstance(decl, n.RetireDecl):
        proposed = "retires " + ", ".join(str(show_literal(k)) for k in decl.keys)
        because = decl.because
    elif isinstance(decl, n.ReplaceValueDecl):
        proposed, because = "a local formula", decl.because
    permission = verdict.permission
    if isinstance(permission, n.AllowDecl):
        allowed = f"envelope {verdict.envelope.name}: {describe_permission(permission)}"
        provisional = permission.provisional.reason if permission.provisional else None
    elif permission is not None:
        allowed, provisional = f"the contract itself: {describe_flex(permission)}", None
    else:
        allowed, provisional = None, None
    flexibility = form.describe_flexibility() if form is not None else None
    return VariationVerdict(
        _KIND_SHOWN.get(verdict.kind, verdict.kind), verdict.target, decl.span.line, verdict.verdict,
        clause, national_value, flexibility, proposed, because.reason if because else None,
        verdict.diagnostics, verdict.decided_by, allowed or verdict.authority(), provisional)


def _literal(expr) -> bool:
    return isinstance(expr, (n.Number, n.Quantity, n.Money, n.Percent, n.DateLiteral, n.Text,
                             n.Boolean))


__all__ = ["vary_check", "VaryCheck", "VariationVerdict", "LocalDeclaration", "VERDICTS", "describe_flex"]
