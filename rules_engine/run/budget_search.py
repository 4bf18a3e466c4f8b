"""A budget's questions asked of the real evaluator (issue 20, item 3): the
largest increase one subject can gain from a layer's retired and added rows,
with its witness, and from what achievement each added key earns its whole
amount.

Input: the engine with the proposed layer, the questions of
`analysis.budgets` (duck-typed: this package reads no analysis module) and
the date. Output: each question with its `answer` (`analysis.budgets`'
`BudgetAnswer`, made by the `make_answer` given). Every figure is the
evaluator's: an arrangement is built per key and candidate achievement and
run under the national terms alone (an ICB with no local layer) and under
the layer; the witness is the subject with every key at its best candidate,
run once more, so the increase reported is one the evaluator gave.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable

import attrs

from rules_engine.base.diagnostics import InvalidInput
from rules_engine.base.numbers import number_json
from rules_engine.io.arrangements import Arrangement, validate_document
from rules_engine.run.budget_pounds import put, search_money
from rules_engine.run.engine import Engine
from rules_engine.run.witness import no_layer_icb


def _arrangement(question, as_of: dt.date, icb: str, levels: dict[str, Decimal], national: bool) -> dict:
    """One subject with each key at its level (keys the national table lacks
    left out under the national terms)."""
    subject = question.subject
    record: dict[str, Any] = {}
    here = record
    for step in question.map_path[:-1]:
        here = here.setdefault(step, {})
    here[question.map_path[-1]] = {key: {question.field: number_json(level)} for key, level in levels.items()
                                   if not (national and key in _added(question))}
    if question.opt_in is not None:
        here = record
        for step in question.opt_in[:-1]:
            here = here.setdefault(step, {})
        here[question.opt_in[-1]] = True
    return {"as_of": as_of.isoformat(), "icb": icb, "_subject": subject, "_record": record}


def _added(question) -> set[str]:
    return {p.key for p in question.probes if p.added}


class _Runner:
    """Runs arrangements of one subject kind and reads the measured values."""

    def __init__(self, engine: Engine, question, as_of: dt.date, icb: str):
        self.engine, self.question, self.as_of, self.icb = engine, question, as_of, icb
        self.national_icb = no_layer_icb(engine)
        spec = engine.library.schema.subjects[question.subject]
        self.spec = spec

    def facts(self, levels: dict[str, Decimal], national: bool, extra: dict | None = None) -> dict:
        built = _arrangement(self.question, self.as_of, self.national_icb if national else self.icb, levels, national)
        record = built.pop("_record")
        built.pop("_subject")
        spec = self.spec
        if spec.keyed_by:
            record = {spec.keyed_by: f"{spec.name.upper()[:3]}001", **record}
        where: Any = built
        for step in spec.path[:-1]:
            where = where.setdefault(step, {})
        where[spec.path[-1]] = [record] if spec.each else record
        for dotted, value in (extra or {}).items():  # the money's figures (run.budget_pounds)
            put(built, dotted, number_json(Decimal(value)))
        return built

    def values(self, levels: dict[str, Decimal], national: bool, extra: dict | None = None) -> dict[str, Any]:
        facts = self.facts(levels, national, extra)
        arrangement = Arrangement(validate_document(self.engine.library.schema, dict(facts), None, "<witness>"),
                                  "<witness>", None, dict(facts))
        result = self.engine.evaluate(arrangement)
        prefix = f"{self.question.subject}:"
        return {v.id: v for v in result.values if v.subject.startswith(prefix)}

    def measured(self, values: dict) -> tuple[str, Any] | None:
        """The subject's reported value in the budget's unit that is not per key (qof.points-total)."""
        unit = self.question.unit
        keys = {p.key for p in self.question.probes}
        for vid, value in values.items():
            if value.unit == unit and not any(vid.endswith("." + k) for k in keys):
                return vid, value
        return None


def _money_id(after: dict, keys: set[str], in_cone: tuple[str, ...]) -> str | None:
    """The subject's reported money in the cone that is not per key (`qof.payment`)."""
    return next((vid for vid, value in after.items() if value.unit == "GBP" and vid in in_cone
                 and not any(vid.endswith("." + k) for k in keys)), None)


def _money(before: dict, after: dict, keys: set[str], in_cone: tuple[str, ...]) -> str:
    """The change of the subject's reported money in the cone that is not per
    key (`qof.payment`), or why it is unknown."""
    for vid, value in after.items():
        if value.unit != "GBP" or vid not in in_cone or any(vid.endswith("." + k) for k in keys):
            continue
        old = before.get(vid)
        if value.value is None or old is None or old.value is None:
            lacking = sorted(set(value.missing) | set(old.missing if old is not None else ()))
            return f"{vid} unknown on the witness (lacking: {'; '.join(lacking[:3])})"
        change = value.value - old.value
        sign = "+" if change >= 0 else "-"
        return f"{vid}: {sign}£{abs(change):,.2f} (£{old.value:,.2f} under the national terms, £{value.value:,.2f} " \
               f"under the layer)"
    return "no reported money of the subject in the cone"


def _percent(level: Decimal) -> str:
    shown = f"{level * 100:f}"
    return (shown.rstrip("0").rstrip(".") if "." in shown else shown) + " %"


def search(engine: Engine, question, as_of: dt.date, icb: str, make_answer: Callable, bounds=None) -> Any:
    """The question with its answer (see the module); `bounds`, the facts'
    stated bounds (`analysis.bounds.Bounds`), from which the money's figures
    are filled (`run.budget_pounds`)."""
    runner = _Runner(engine, question, as_of, icb)
    try:
        best: dict[str, Decimal] = {}
        reach, anywhere = [], []
        for probe in question.probes:
            scores = []
            full_from = None
            for level in probe.candidates:
                after = runner.values({probe.key: level}, national=False)
                before = runner.values({probe.key: level}, national=True)
                a, b = runner.measured(after), runner.measured(before)
                if a is None or b is None or a[1].value is None or b[1].value is None:
                    continue
                scores.append((a[1].value - b[1].value, level))
                if probe.added and full_from is None and a[1].value - b[1].value >= probe.amount:
                    full_from = level
            if scores:
                best[probe.key] = max(scores, key=lambda s: (s[0], -s[1]))[1]
            if probe.added:
                if full_from is None:
                    reach.append(f"{probe.key}: its whole {probe.amount} {question.unit} at no achievement tried")
                else:
                    reach.append(f"{probe.key}: its whole {probe.amount} {question.unit} from "
                                 f"{_percent(full_from)} achievement")
                    if full_from == 0:
                        anywhere.append(probe.key)
        if not best:
            return attrs.evolve(question, answer=make_answer(None, None, None, None, None, None, tuple(reach),
                                                             tuple(anywhere), "the evaluator gave no known value "
                                                             "for any arrangement tried"))
        after = runner.values(best, national=False)
        before = runner.values(best, national=True)
        a, b = runner.measured(after), runner.measured(before)
        witness = runner.facts(best, national=False)
        if a is None or b is None or a[1].value is None or b[1].value is None:
            return attrs.evolve(question, answer=make_answer(None, a[0] if a else None, witness, None, None, None,
                                                             tuple(reach), tuple(anywhere),
                                                             "the measured value is unknown on the witness"))
        increase = a[1].value - b[1].value
        checked = (f"checked by the evaluator: {a[0]} {number_json(b[1].value)} under the national terms, "
                   f"{number_json(a[1].value)} under the layer")
        keys = {p.key for p in question.probes}
        money = _money(before, after, keys, question.in_cone)
        money_id = _money_id(after, keys, question.in_cone)
        in_pounds = None
        if money_id is not None:
            full = dict(best, **{p.key: Decimal(1) for p in question.probes if not p.added})
            in_pounds = search_money(runner, best, full, money_id, bounds)
        return attrs.evolve(question, answer=make_answer(increase, a[0], witness, checked, money,
                                                         increase > question.budget, tuple(reach), tuple(anywhere),
                                                         None, pounds=in_pounds))
    except InvalidInput as error:
        return attrs.evolve(question, answer=make_answer(None, None, None, None, None, None, (), (),
                                                         f"the evaluator could not read an arrangement tried: "
                                                         f"{error.diagnostics[0].message}"))


__all__ = ["search"]
