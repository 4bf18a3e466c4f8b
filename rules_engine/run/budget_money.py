"""A proposal's budget of local rows, in pounds: what `impact` says of the
rows a local layer retires and adds within a conserved column (QOF points).

vary-check judges a budget in its column (`retires DM012, DM014 (15 points);
adds LDM001 (15 points): within budget`); the same points can cost more
money (a local indicator that is easier to achieve, a larger list). Over a
population, the money each row pays is a value per key (`qof.payment.DM012`,
one per subject) whose totals `ImpactSummary` already folds as the stream
goes: the retired rows' worth is what they paid before less what they pay
after (practices that do not opt in keep them), the added rows' cost what
they pay after less before, and the verdict sets one against the other,
with the total of the family (`qof.payment`) before, after and its change.
An unknown amount (a fact or a national figure missing) makes the verdict
unknown, with the count, never a figure that leaves it out silently.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from rules_engine.base.numbers import show_value


def _pounds(amount: Decimal) -> str:
    return show_value(amount.quantize(Decimal("0.01")), "GBP")


def _signed(amount: Decimal) -> str:
    return ("-" if amount < 0 else "+") + _pounds(abs(amount))


def money_verdict(budget, totals: dict, assumed: dict | None = None) -> dict:
    """The budget in pounds, from `ImpactSummary.value_totals` (value id ->
    [unit, before, after, arrangements changed, unknown before, unknown
    after, known before, known after]); `assumed` (value id -> the
    assumptions its changes read) marks a verdict that rests on them."""
    retired = [k for k, _ in budget.retired]
    added = [k for k, _ in budget.added]
    keys = set(retired) | set(added)
    families = Counter(value_id.rpartition(".")[0] for value_id, entry in totals.items()
                       if entry[0] == "GBP" and value_id.rpartition(".")[2] in keys)
    if not families:
        return {"verdict": "unknown", "text": f"no value in pounds per row of {budget.table} was "
                                              "evaluated: the budget cannot be put in pounds"}
    family = families.most_common(1)[0][0]

    def change(rows) -> tuple[Decimal, Decimal, Decimal, int]:
        before = after = Decimal(0)
        unknown = 0
        for key in rows:
            entry = totals.get(f"{family}.{key}")
            if entry is not None:
                before, after = before + entry[1], after + entry[2]
                unknown += entry[4] + entry[5]
        return before, after, after - before, unknown

    retired_before, retired_after, retired_change, retired_unknown = change(retired)
    added_before, added_after, added_change, added_unknown = change(added)
    worth, cost = -retired_change, added_change
    unknown = retired_unknown + added_unknown
    if unknown:
        verdict, words = "unknown", (f"unknown: {unknown:,} of the rows' amounts are unknown "
                                     "(facts or national figures missing)")
    elif cost <= worth:
        verdict, words = "within", "within what the retired rows were worth"
    else:
        verdict, words = "over", f"over what the retired rows were worth by {_pounds(cost - worth)}"
    data = {"value": family, "verdict": verdict,
            "retired_before": f"{retired_before:.2f}", "retired_after": f"{retired_after:.2f}",
            "retired_worth": f"{worth:.2f}", "added_before": f"{added_before:.2f}",
            "added_after": f"{added_after:.2f}", "added_cost": f"{cost:.2f}", "unknown": unknown}
    text = f"in pounds ({family}.KEY): " + (words if unknown else (
        f"the retired rows paid {_pounds(retired_before)} before and {_pounds(retired_after)} after "
        f"({_pounds(worth)} freed); the added rows pay {_pounds(added_after)} ({_pounds(cost)} "
        f"more): {words}"))
    total = totals.get(family)
    if total is not None and total[0] == "GBP":
        data.update(total_before=f"{total[1]:.2f}" if total[6] else None,
                    total_after=f"{total[2]:.2f}" if total[7] else None,
                    total_change=f"{total[2] - total[1]:.2f}" if total[6] and total[7] else None,
                    total_unknown_before=total[4], total_unknown_after=total[5])
        shown = (f"{_pounds(total[1])} -> {_pounds(total[2])} ({_signed(total[2] - total[1])})"
                 if total[6] and total[7] else "unknown")
        left_out = total[4] + total[5]
        text += f"; {family} in all: {shown}" + (
            f" ({left_out:,} unknown, left out)" if left_out and total[6] and total[7] else "")
    read = {a: None for value_id, found in (assumed or {}).items()
            if value_id == family or value_id.startswith(family + ".") for a in found}
    if read:
        data["assumed"] = [a.as_json() for a in read]
        text += " (assumed: " + ", ".join(f"{a.name} = {a.text}" for a in read) + ")"
    data["text"] = text
    return data
