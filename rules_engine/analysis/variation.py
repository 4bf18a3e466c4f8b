"""The analysis of one proposed local layer on a date: its cone and, for each
requirement in the cone, whether it can flip and for whom.

Input: the checked library with the layer, the layer and the date (and the
bounds a user states, and the time limit of one solver question). Output:
`VariationAnalysis`, plain data for vary-check's reports. The baseline is the
national terms alone on the date.
"""

from __future__ import annotations

import datetime as dt

import attrs

from rules_engine.analysis.cone import Cone, cone
from rules_engine.analysis.bounds import DEFAULT_TIMEOUT_MS, Bounds
from rules_engine.analysis.budgets import BudgetQuestion, budget_questions
from rules_engine.analysis.flip import FlipAnalysis, FlipVerdict
from rules_engine.analysis.population import PopulationQuestion, population_questions
from rules_engine.ir.checked import check_program
from rules_engine.program.layers import select
from rules_engine.static.forms import Layer
from rules_engine.static.typecheck import Checked


@attrs.frozen
class VariationAnalysis:
    as_of: dt.date
    cone: Cone
    flips: tuple[FlipVerdict, ...]
    timeout_ms: int
    bounds: str | None = None  # the bounds file the facts were held to, if any
    budgets: tuple[BudgetQuestion, ...] = ()  # each declared budget's question (answered by run.budget_search)
    checked: Checked | None = attrs.field(default=None, eq=False, repr=False)  # the library analysed
    layer: Layer | None = attrs.field(default=None, eq=False, repr=False)  # the layer, as proposed
    stated: Bounds | None = attrs.field(default=None, eq=False, repr=False)  # the bounds file, as read
    populations: tuple[PopulationQuestion, ...] = ()  # each population term whose total the cone reaches

    def as_json(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "baseline": "the national terms alone",
                "timeout_ms": self.timeout_ms, "bounds": self.bounds,
                "cone": self.cone.as_json(), "flips": [f.as_json() for f in self.flips],
                "budgets": [b.as_json() for b in self.budgets],
                "populations": [p.as_json() for p in self.populations]}

    def with_checks(self, checks: dict) -> "VariationAnalysis":
        """The same analysis with what the evaluator said of each witness
        (`checks`: (requirement, direction) -> words)."""
        flips = tuple(attrs.evolve(f, questions=tuple(
            attrs.evolve(q, checked=checks.get((f.requirement, q.direction), q.checked))
            for q in f.questions)) for f in self.flips)
        return attrs.evolve(self, flips=flips)


def analyse(checked: Checked, layer: Layer, as_of: dt.date, bounds: Bounds | None = None,
            timeout_ms: int = DEFAULT_TIMEOUT_MS, budgets=()) -> VariationAnalysis:
    """The cone and the flip verdicts of `layer` on `as_of` (a date on which a
    national contract is in force), and the questions of its `budgets`
    (`flex_budgets.Budget`s the layer's declarations fall under)."""
    baseline = select(checked, as_of, None)
    proposed = select(checked, as_of, layer)
    found = cone(baseline, proposed)
    old, new = check_program(baseline), check_program(proposed)
    flips = FlipAnalysis(old, new, as_of, layer.header.icb, bounds, timeout_ms)
    verdicts = tuple(flips.requirement(a.id) for a in found.requirements)
    values = tuple(v.id for v in found.values)
    return VariationAnalysis(as_of, found, verdicts, timeout_ms,
                             bounds.path if bounds is not None else None,
                             budget_questions(baseline, proposed, budgets, as_of, values), checked, layer, bounds,
                             population_questions(old, new, layer, as_of, values, bounds, timeout_ms))


__all__ = ["VariationAnalysis", "analyse"]
