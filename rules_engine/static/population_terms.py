"""Population terms (`population NAME ... across icb|all ...`): their static
checks, and which are in force for a layer on a date.

A population term adds up a per-subject value (`total VALUE_ID`: a value a
definition reports) or counts the subjects with an outcome of a requirement
(`count REQUIREMENT_ID OUTCOME`) over the arrangements of an ICB or of a
whole run, and bounds it (`at most £60,000`). It is judged only over a
population (`check --population`, `impact`); `run.population_totals` folds it.

Diagnostics: E-POP-001 (a per-arrangement term reads a population term: a
single arrangement cannot know a total over many; `run.explain` gives it too
for `explain TERM --arrangement FILE`), E-POP-002 (the value or
requirement measured is not in the library the term's layer sees), E-POP-003
(an `across` other than `icb` or `all`, an unknown outcome, a bound of the
wrong type or unit for what is measured).

`in_force(library, layer_names, day)` is what a later stage reads: the
terms of the given layers in force on a day, with their layer. The static
analysis of a variation may read it too (the budgets a layer states over its
population), as data: nothing here evaluates.
"""

from __future__ import annotations

import datetime as dt

import attrs

from rules_engine.base import typesys as t
from rules_engine.base.diagnostics import Diagnostic, InvalidInput, Related, did_you_mean
from rules_engine.static.forms import Layer, effective_period, Form
from rules_engine.static.library import Library
from rules_engine.static.typecheck import check_value
from rules_engine.syntax import nodes as n

ACROSS = ("icb", "all")
OUTCOMES = ("pass", "fail", "unknown", "not_applicable")


@attrs.frozen
class InForce:
    """A population term in force, with the layer that states it."""

    term: n.PopulationDecl
    layer: Layer

    @property
    def key(self) -> tuple[str, str]:
        return (self.layer.name, self.term.name)


def terms_of(layer: Layer) -> tuple[n.PopulationDecl, ...]:
    return tuple(d for d in layer.syntax.declarations if isinstance(d, n.PopulationDecl))


def in_force(library: Library, layer_names, day: dt.date) -> tuple[InForce, ...]:
    """The population terms of the named layers in force on `day`, in layer order."""
    by_name = {layer.name: layer for layer in library.layers}
    found = []
    for name in layer_names:
        layer = by_name.get(name)
        if layer is None:
            continue
        for term in terms_of(layer):
            period = effective_period(Form(term, layer, term.effective))
            if period is None or period.contains(day):
                found.append(InForce(term, layer))
    return tuple(found)


def _visible(library: Library, layer: Layer):
    """The forms a layer's population term may measure: the national ones and its own."""
    for name, forms in library.forms.items():
        for form in forms:
            if not form.layer.is_local or form.layer is layer:
                yield name, form


def _reports(library: Library, layer: Layer) -> dict[str, n.DefineDecl]:
    reports = {}
    for _, form in _visible(library, layer):
        if isinstance(form.term, n.DefineDecl) and form.term.report is not None:
            reports.setdefault(form.term.report.id, form.term)
    return reports


def _requirements(library: Library, layer: Layer) -> set[str]:
    return {name for name, form in _visible(library, layer) if isinstance(form.term, n.RequirementDecl)}


def check_names(library: Library) -> Library:
    """Before type checking: E-POP-001, E-POP-002 and the words of E-POP-003."""
    problems: list[Diagnostic] = []
    terms = {term.name: (term, layer) for layer in library.layers for term in terms_of(layer)}
    for layer in library.layers:
        for term in terms_of(layer):
            problems += _check_term(library, layer, term)
    if terms:
        problems += _read_by_a_term(library, terms)
    if problems:
        raise InvalidInput(problems)
    return library


def _check_term(library: Library, layer: Layer, term: n.PopulationDecl) -> list[Diagnostic]:
    problems = []
    if term.across not in ACROSS:
        problems.append(Diagnostic(
            "E-POP-003", f"`across {term.across}`: a population term is across `icb` or `all`",
            term.across_span, hint="`across icb` adds up the arrangements of each ICB (of the "
            "layer's ICB, in a local layer); `across all` those of the whole run"))
    measure = term.measure
    if measure.kind == "total":
        reports = _reports(library, layer)
        if measure.term not in reports:
            problems.append(Diagnostic(
                "E-POP-002", f"`total {measure.term}`: no definition reports the value "
                f"`{measure.term}`", measure.term_span,
                hint=did_you_mean(measure.term, reports) or "a population term adds up a value a "
                "definition reports (`report ID` on a `define`), of a national contract or of this layer"))
    else:
        requirements = _requirements(library, layer)
        if measure.term not in requirements:
            problems.append(Diagnostic(
                "E-POP-002", f"`count {measure.term}`: there is no requirement `{measure.term}`",
                measure.term_span, hint=did_you_mean(measure.term, requirements) or
                "a population term counts the subjects with an outcome of a requirement of a "
                "national contract or of this layer"))
        if measure.outcome not in OUTCOMES:
            problems.append(Diagnostic(
                "E-POP-003", f"`{measure.outcome}` is not an outcome", measure.span,
                hint="count the subjects whose outcome is " + ", ".join(f"`{o}`" for o in OUTCOMES)))
    return problems


def _read_by_a_term(library: Library, terms: dict) -> list[Diagnostic]:
    """A per-arrangement term that names a population term: E-POP-001 at the
    name, with the population term's `across` clause."""
    declared = set(library.forms)
    problems = []
    for name, forms in library.forms.items():
        for form in forms:
            for clause, expr in _expressions(form.term):
                for node in n.walk(expr):
                    if isinstance(node, n.Name) and node.name in terms and node.name not in declared:
                        term, layer = terms[node.name]
                        problems.append(Diagnostic(
                            "E-POP-001", f"the `{clause}` of `{name}` reads `{node.name}`, a "
                            f"population term (`across {term.across}`): one arrangement cannot "
                            "know a total over many", node.span,
                            hint="a population term is judged over a population, by `check "
                            "--population FILE.jsonl` and `impact`, with its own result; read a "
                            "per-subject value here, or move the bound into the population term",
                            related=(Related(term.across_span, f"`{node.name}` is across "
                                             f"{term.across} here ({layer.name})"),)))
    return problems


def _expressions(term):
    """(clause, expression) of a term's expressions."""
    if isinstance(term, n.DefineDecl):
        yield "value", term.body
    elif isinstance(term, n.ParameterDecl):
        if term.value is not None:
            yield "value", term.value
    elif isinstance(term, n.RequirementDecl):
        for clause in ("where", "must", "unless"):
            expr = getattr(term, clause)
            if expr is not None:
                yield clause, expr


def check_types(checked):
    """After type checking (`typecheck.Checked`): the bound is of what is measured (E-POP-003)."""
    problems = []
    library = checked.library
    for layer in library.layers:
        for term in terms_of(layer):
            measure = term.measure
            if measure.kind == "total":
                define = _reports(library, layer).get(measure.term)
                if define is None:
                    continue
                measured = checked.term_types.get(define.name)
                what = f"the total of `{measure.term}`"
            else:
                measured, what = t.COUNT, f"the count of `{measure.term}` {measure.outcome}"
            if not isinstance(measured, (t.Quantity,)):
                problems.append(Diagnostic(
                    "E-POP-003", f"{what} is {t.describe(measured)}, which cannot be added up",
                    measure.span, hint="a population term adds up money, counts or other "
                    "quantities (minutes, points)"))
                continue
            for literal in (term.bound.low, term.bound.high):
                if literal is None:
                    continue
                wrong = check_value(checked, literal, measured)
                if wrong is not None:
                    problems.append(Diagnostic(
                        "E-POP-003", f"the bound should be {t.describe(measured)}, as {what} is; "
                        f"this is {wrong}", literal.span,
                        related=(Related(measure.span, "what the term measures"),)))
    if problems:
        raise InvalidInput(problems)
    return checked
