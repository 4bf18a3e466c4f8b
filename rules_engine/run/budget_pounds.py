"""A budget's increase in pounds (issue 20, item 3): the largest change of the
subject's reported money in the cone (`qof.payment`) on the budget's
witness, with the figures the money needs and the points do not.

The points a layer's rows earn read only the keyed facts (`achievement`);
the money reads more: a national figure the library may lack (the average
list size of 2025/26: an assumption the user states, `--assume`), and facts
of the subject (its list size, the prevalence of each register). Each such
fact the evaluator names as missing on the witness is filled from its range:
the bounds a user states (`--bounds`) or, where the type closes a side (a
fraction from 0 to 1, a count from 0), the type's. The money is a product
of those figures, each side monotone in each one, so its largest increase
over the box of ranges is at a corner: every corner is run, under the
national terms alone and under the layer, and the largest increase is the
evaluator's. The witness is the points' witness with that corner's figures.

The retired rows' worth in pounds at each corner (what the national terms
pay for them at full achievement) is the budget in pounds: the layer can
exceed it when, at some corner, the increase is larger.

Input: the points search's runner and witness levels (`run.budget_search`),
the stated `Bounds` (duck-typed: `ranges`, by schema path). The
assumptions of the run are the engine's; the answer names those the money
read. Output: `MoneyAnswer`.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from rules_engine.base import typesys as t
from rules_engine.base.numbers import money as pounds, number_json

#: At most this many corners are run (2 ** 6: a list size and five registers' figures).
MOST_CORNERS = 64

_STEP = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


@attrs.frozen
class MoneyAnswer:
    value: str | None  # the reported money measured (qof.payment)
    largest_increase: Decimal | None  # pounds and pence, the evaluator's
    budget: Decimal | None  # the retired rows' worth in pounds at that corner
    exceeded: bool | None  # some corner pays more than the retired rows' worth
    rests_on: tuple[str, ...] = ()  # the assumptions and stated bounds it reads
    filled: tuple[str, ...] = ()  # each figure filled on the witness, and from what
    lacking: tuple[str, ...] = ()  # when unknown: each figure lacking, and how to supply it
    checked: str | None = None  # the evaluator's payment on the witness under each program
    witness: dict | None = None

    def as_json(self) -> dict:
        return {"value": self.value,
                "largest_increase": str(self.largest_increase) if self.largest_increase is not None else None,
                "budget": str(self.budget) if self.budget is not None else None, "exceeded": self.exceeded,
                "rests_on": list(self.rests_on), "filled": list(self.filled), "lacking": list(self.lacking),
                "checked": self.checked}


def fact_type(schema, dotted: str) -> tuple[str, t.Type] | None:
    """The schema path (`practices[].qof.prevalence{}.national`) and type of
    a missing fact as results name it (`practices[0].qof.prevalence.DM.national`)."""
    here: t.Type | None = schema.root
    path = ""
    for name, indexes in _STEP.findall(dotted):
        if isinstance(here, t.MapOf):
            path += "{}"
            here = here.value
        elif isinstance(here, t.Record):
            here = here.field(name)
            path += ("." if path else "") + name
        else:
            return None
        for _ in re.findall(r"\[\d+\]", indexes):
            if not isinstance(here, t.ListOf):
                return None
            here, path = here.element, path + "[]"
    return (path, here) if here is not None else None


def put(facts: dict, dotted: str, value: Any) -> None:
    """Set a fact at its place (`practices[0].list_size`) in an arrangement's facts."""
    steps = [(name, [int(i) for i in re.findall(r"\d+", indexes)]) for name, indexes in _STEP.findall(dotted)]
    here: Any = facts
    for number, (name, indexes) in enumerate(steps):
        last = number == len(steps) - 1
        if last and not indexes:
            here[name] = value
            return
        here = here.setdefault(name, [] if indexes else {})
        for i, index in enumerate(indexes):
            while len(here) <= index:
                here.append({})
            if last and i == len(indexes) - 1:
                here[index] = value
                return
            here = here[index]


def _ends(path: str, type_: t.Type, bounds) -> tuple[tuple[Any, ...] | None, str]:
    """The values of a fact's range the corners take (its two ends), and
    where they come from; None when a side is open (stated nowhere and not
    closed by the type)."""
    stated = bounds.ranges.get(path, (None, None)) if bounds is not None else (None, None)
    low, high = stated
    origin = []
    if low is not None or high is not None:
        origin.append(f"stated in {bounds.path}")
    if low is None:
        low = Fraction(0)  # every quantity an arrangement gives is at least 0 (unless `signed`)
        if getattr(type_, "signed", False):
            return None, "open below"
    if high is None:
        if not type_.fraction:
            return None, "no upper bound"
        high = Fraction(1)
        origin.append("a fraction's range")
    values = sorted({low, high})
    shown = tuple(int(v) if type_.integral else Decimal(v.numerator) / v.denominator for v in values)
    if type_.integral and any(Fraction(int(v)) != v for v in values):
        shown = tuple(sorted({int(low) + (low.denominator != 1), int(high)}))
    return shown, ", ".join(origin) or "the type's range"


def _bound_hint(path: str, type_: t.Type) -> str:
    example = "{at_least: 1500, at_most: 40000}" if type_.integral else "{at_least: 0.02, at_most: 0.12}"
    return f"state `{path}: {example}` in a --bounds FILE"


def missing_figures(values: list, money_id: str) -> list[str]:
    """What the evaluator names as missing for the money, under either program."""
    found: list[str] = []
    for value_set in values:
        value = value_set.get(money_id)
        if value is not None and value.value is None:
            found += [m for m in value.missing if m not in found]
    return found


def search_money(runner, best: dict, full: dict, money_id: str, bounds) -> MoneyAnswer:
    """The largest increase of `money_id` over the corners of the figures it
    lacks on the witness `best` (`full`: the retired keys at full achievement,
    for the budget in pounds)."""
    schema = runner.engine.library.schema
    filled: dict[str, tuple] = {}  # dotted -> (schema path, corner values, origin)
    lacking: list[str] = []
    for _ in range(4):  # a figure filled may let the evaluator name the next one
        extra = {d: ends[1][-1] for d, ends in filled.items()}  # the upper ends: no division by 0
        seen = [runner.values(best, national=False, extra=extra), runner.values(best, national=True, extra=extra),
                runner.values(full, national=True, extra=extra)]
        missing = missing_figures(seen, money_id)
        new = False
        for item in missing:
            if item.startswith("parameter "):
                name = item.split()[1]
                text = f"{item}: state it with --assume {name}=VALUE (or in an --assumptions FILE)"
                if text not in lacking:
                    lacking.append(text)
                continue
            found = fact_type(schema, item)
            if found is None or not isinstance(found[1], t.Quantity):
                text = f"{item}: not a number the search can fill" if found is not None else item
                if text not in lacking:
                    lacking.append(text)
                continue
            path, type_ = found
            ends, origin = _ends(path, type_, bounds)
            if ends is None:
                text = f"{item} ({origin}): {_bound_hint(path, type_)}"
                if text not in lacking:
                    lacking.append(text)
            elif item not in filled:
                filled[item] = (path, ends, origin)
                new = True
        if not new:
            break
    shown_filled = tuple(f"{d} from {' to '.join(str(number_json(Decimal(v))) for v in f[1])} ({f[2]})"
                         for d, f in filled.items())
    if lacking:
        return MoneyAnswer(money_id, None, None, None, (), shown_filled, tuple(lacking))
    dotted = list(filled)
    corners = list(itertools.product(*[filled[d][1] for d in dotted]))
    if len(corners) > MOST_CORNERS:
        return MoneyAnswer(money_id, None, None, None, (), shown_filled,
                           (f"{len(dotted)} figures to fill ({len(corners)} corners, more than {MOST_CORNERS}): "
                            "state single values for some in a --bounds FILE (at_least equal to at_most)",))
    best_answer = None
    exceeded = False
    assumed: set[tuple[str, str]] = set()
    for corner in corners:
        extra = dict(zip(dotted, corner))
        after = runner.values(best, national=False, extra=extra).get(money_id)
        before = runner.values(best, national=True, extra=extra).get(money_id)
        top = runner.values(full, national=True, extra=extra).get(money_id)
        if any(v is None or v.value is None for v in (after, before, top)):
            unknown = next(v for v in (after, before, top) if v is None or v.value is None)
            at = ", ".join(f"{d} = {number_json(Decimal(v))}" for d, v in extra.items())
            why = "; ".join(unknown.missing[:3]) if unknown is not None and unknown.missing else "unknown"
            unstated = [(filled[d][0], fact_type(schema, d)[1]) for d in dotted if "stated" not in filled[d][2]]
            hint = "; ".join(_bound_hint(path, type_) for path, type_ in dict(unstated).items()) or \
                "narrow the ranges in the --bounds FILE"
            return MoneyAnswer(money_id, None, None, None, (), shown_filled,
                               (f"{money_id} is unknown at {at} ({why}): {hint}",))
        increase, worth = after.value - before.value, top.value - before.value
        exceeded = exceeded or increase > worth
        if best_answer is None or increase > best_answer[0]:
            best_answer = (increase, worth, extra, before.value, after.value)
        for value in (after, before, top):  # the assumed figures the money read
            assumed.update((a.describe(), a.origin) for a in value.assumed)
    increase, worth, extra, old, new = best_answer
    rests_on = tuple(f"assumed {text} ({origin})" for text, origin in sorted(assumed))
    witness = runner.facts(best, national=False)
    for d, v in extra.items():
        put(witness, d, number_json(Decimal(v)))
    stated = (f"stated bounds in {bounds.path}",) if bounds is not None and any(
        "stated" in f[2] for f in filled.values()) else ()
    checked = (f"checked by the evaluator: {money_id} {pounds(old)} under the national terms, {pounds(new)} "
               f"under the layer")
    return MoneyAnswer(money_id, increase, worth, exceeded, rests_on + stated, shown_filled, (), checked, witness)


__all__ = ["MoneyAnswer", "search_money", "put", "fact_type", "MOST_CORNERS"]
