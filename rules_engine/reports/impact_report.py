"""The terminal summary of `impact`: what changes, per requirement and value."""

from __future__ import annotations

from .formatting import show_value


def render(summary: dict, changed: list) -> str:
    bad = summary["bad_lines"]
    lines = [f"{_arrangements(summary['arrangements'])} checked; {summary['changed']} change"
             + (f"; {bad} bad line{'s' if bad != 1 else ''} skipped" if bad else "")]
    if summary["transitions"]:
        lines.append("")
        lines.append("Outcome changes by requirement:")
        for rule, counts in summary["transitions"].items():
            lines.append(f"  {rule}: " + ", ".join(f"{k} x{v}" for k, v in counts.items()))
    if summary["values"]:
        lines.append("")
        lines.append("Values:")
        for value_id, data in summary["values"].items():
            lines.append(f"  {value_id}: {value_line(data)}")
    if changed:
        lines.append("")
        lines.append("Changed arrangements:")
        for item in changed:
            lines.append(f"  {item.id} (line {item.line}):")
            for change in item.changes:
                lines.append(f"    {change.id} {change.subject}: {_shown(change, 0)} -> {_shown(change, 1)}")
    return "\n".join(lines) + "\n"


def _shown(change, side: int) -> str:
    """One side of a change: `absent` where the result or value did not exist,
    an outcome as it is, a value in its unit (`£1,234.56`, `3.44 points`)."""
    if not change.present[side]:
        return "absent"
    value = (change.before, change.after)[side]
    return value if change.kind == "outcome" else show_value(value, change.unit)


def value_line(data: dict) -> str:
    """A value's figures before and after, each with what it leaves out: a total
    for money, counts and minutes; the distribution over subjects otherwise."""
    unit = data["unit"]
    changed = f" in {_arrangements(data['arrangements_changed'])}"
    if data.get("summary") == "distribution":
        return (f"per subject {_distribution(data.get('distribution_before'), unit, data.get('unknown_before', 0))}"
                f" -> {_distribution(data.get('distribution_after'), unit, data.get('unknown_after', 0))}{changed}")
    before = _total(data.get("total_before"), unit, data.get("unknown_before", 0))
    after = _total(data.get("total_after"), unit, data.get("unknown_after", 0))
    change = data.get("total_change")
    if change is None:
        shown_change = "change unknown"
    else:
        sign = "" if str(change).startswith("-") else "+"
        shown_change = sign + show_value(change, unit)
    return f"{before} -> {after} ({shown_change}){changed}"


def _left_out(unknown: int) -> str:
    return f" ({unknown} unknown, left out)" if unknown else ""


def _total(total, unit: str, unknown: int) -> str:
    if total is None:
        return "unknown" + (f" (all {unknown} unknown)" if unknown else "")
    return show_value(total, unit) + _left_out(unknown)


def _distribution(spread: dict | None, unit: str, unknown: int) -> str:
    if not spread:
        return "unknown" + (f" (all {unknown} unknown)" if unknown else "")
    return (f"min {show_value(spread['min'], unit)}, median {show_value(spread['median'], unit)}, "
            f"max {show_value(spread['max'], unit)}" + _left_out(unknown))


def _arrangements(count: int) -> str:
    return f"{count} arrangement{'s' if count != 1 else ''}"
