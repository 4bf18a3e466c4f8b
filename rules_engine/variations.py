"""`vary-check`: is each change in a proposed local layer permitted?

Input: a proposed local layer and the national library it extends. Output:
`VaryCheck`, one `VariationVerdict` per variation (vary, waive, replace,
add requirement, add row): the national term and its clause, the national
value on the date, its flexibility and bounds, the proposed value, the reason
given and a verdict. The layering diagnostics (E-LAYER-*) that decide a
verdict are kept with it, so the command can print them with their carets.
Problems that are not about flexibility (a syntax or type error) raise
`InvalidInput` as in every other stage.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs

from . import nodes as n
from .diagnostics import Diagnostic, InvalidInput
from .layers import value_on
from .library import Form, Layer, assemble, describe_flex, read_sources, show_literal
from .lower import lower
from .pipeline import library_sources, run_until
from .typecheck import check_library

#: The verdict each layering error gives.
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
}
PERMITTED = "permitted"


@attrs.frozen
class VariationVerdict:
    kind: str  # vary | waive | replace | add requirement | add row | declare
    target: str
    line: int
    verdict: str
    clause: str | None
    national_value: str | None
    flexibility: str | None
    proposed: str | None
    because: str | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def permitted(self) -> bool:
        return self.verdict == PERMITTED

    def as_json(self) -> dict:
        from .diagnostics import to_json
        return {"kind": self.kind, "target": self.target, "line": self.line, "verdict": self.verdict,
                "clause": self.clause, "national_value": self.national_value,
                "flexibility": self.flexibility, "proposed": self.proposed, "because": self.because,
                "diagnostics": [to_json(d) for d in self.diagnostics]}


@attrs.frozen
class VaryCheck:
    layer: str
    icb: str
    file: str
    as_of: dt.date
    extends: tuple[str, ...]
    verdicts: tuple[VariationVerdict, ...]
    other_diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def permitted(self) -> bool:
        return all(v.permitted for v in self.verdicts) and not self.other_diagnostics

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(d for v in self.verdicts for d in v.diagnostics) + self.other_diagnostics

    def as_json(self) -> dict:
        from .diagnostics import to_json
        return {"layer": self.layer, "icb": self.icb, "file": self.file,
                "as_of": self.as_of.isoformat(), "extends": list(self.extends),
                "permitted": self.permitted, "variations": [v.as_json() for v in self.verdicts],
                "diagnostics": [to_json(d) for d in self.other_diagnostics]}


def _inside(diagnostic: Diagnostic, decl) -> bool:
    span = diagnostic.span
    return (span is not None and span.file == decl.span.file
            and decl.span.start <= span.start <= decl.span.end)


def _national(forms: tuple[Form, ...], name: str, kinds) -> Form | None:
    candidates = [f for f in forms if isinstance(f.term, kinds) and not f.layer.is_local]
    return candidates[-1] if candidates else None


def vary_check(local: str | Path, rules: str | Path | None = None,
               as_of: dt.date | None = None) -> VaryCheck:
    proposed = read_sources([local])[0]
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
    layering = [d for d in problems if d.code.startswith("E-LAYER") and d.span is not None
                and d.span.file == proposed.path]
    others = [d for d in problems if d not in layering]
    if others:
        raise InvalidInput(others)
    if not layering:
        check_library(library)  # types and units of the proposed values; raises on errors
    forms = library.forms
    verdicts = []
    claimed: set[int] = set()
    for decl in local_layer.syntax.declarations:
        mine = [d for d in layering if _inside(d, decl)]
        claimed.update(id(d) for d in mine)
        verdicts.append(_verdict(decl, mine, forms, day))
    leftover = tuple(d for d in layering if id(d) not in claimed)
    return VaryCheck(name, header.icb, proposed.path, day, header.extends, tuple(verdicts), leftover)


def _covered_day(library) -> dt.date:
    """Today, or the last day the contracts cover if today is past them."""
    today = dt.date.today()
    ends = [l.period.end for l in library.contracts if l.period and l.period.end]
    if ends and len(ends) == len(library.contracts) and today > max(ends):
        return max(ends)
    return today


def _verdict(decl, diagnostics: list[Diagnostic], forms, day: dt.date) -> VariationVerdict:
    verdict = VERDICTS.get(diagnostics[0].code, "invalid") if diagnostics else PERMITTED
    because = None
    if isinstance(decl, n.VaryDecl):
        form = _national(forms.get(decl.name, ()), decl.name, (n.ParameterDecl,))
        national = None
        if form is not None:
            value = value_on(form.term, day)
            national = show_literal(value) if value is not None else "(none on that date)"
        return VariationVerdict(
            "vary", decl.name, decl.span.line, verdict, form.layer.clause(form.term.reference, day)
            if form else None, national, form.describe_flexibility() if form else None,
            show_literal(decl.value) if _literal(decl.value) else "(an expression)",
            decl.because.reason if decl.because else None, tuple(diagnostics))
    if isinstance(decl, n.WaiveDecl):
        form = _national(forms.get(decl.id, ()), decl.id, (n.RequirementDecl,))
        scope = "for every subject" if decl.where is None else "for the subjects its `where` selects"
        return VariationVerdict(
            "waive", decl.id, decl.span.line, verdict,
            form.layer.clause(form.term.reference, day) if form else None, "in force",
            form.describe_flexibility() if form else None, f"waived {scope}",
            decl.because.reason if decl.because else None, tuple(diagnostics))
    if isinstance(decl, (n.ReplaceDecl, n.AddRequirementDecl)):
        requirement = decl.requirement
        kind = "replace" if isinstance(decl, n.ReplaceDecl) else "add requirement"
        form = _national(forms.get(requirement.id, ()), requirement.id, (n.RequirementDecl,))
        return VariationVerdict(
            kind, requirement.id, decl.span.line, verdict,
            form.layer.clause(form.term.reference, day) if form else None,
            "in force" if form else None, form.describe_flexibility() if form else None,
            requirement.title, requirement.because.reason if requirement.because else None,
            tuple(diagnostics))
    if isinstance(decl, n.AddRowDecl):
        form = _national(forms.get(decl.table, ()), decl.table, (n.TableDecl,))
        cells = " | ".join(show_literal(c) if c is not None else "" for c in decl.row.cells)
        return VariationVerdict(
            "add row", decl.table, decl.span.line, verdict,
            form.layer.clause(form.term.reference, day) if form else None, None,
            form.describe_flexibility() if form else None, cells,
            decl.because.reason if decl.because else None, tuple(diagnostics))
    name = getattr(decl, "name", getattr(decl, "id", "?"))
    return VariationVerdict("declare", str(name), decl.span.line, verdict, None, None, None, None,
                            because, tuple(diagnostics))


def _literal(expr) -> bool:
    return isinstance(expr, (n.Number, n.Quantity, n.Money, n.Percent, n.DateLiteral, n.Text,
                             n.Boolean))


__all__ = ["vary_check", "VaryCheck", "VariationVerdict", "VERDICTS", "describe_flex"]
