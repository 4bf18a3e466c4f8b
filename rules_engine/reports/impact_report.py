"""The terminal summary of `impact`: what changes, per requirement and value."""

from __future__ import annotations


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
            unit = "£" if data["unit"] == "GBP" else ""
            suffix = "" if unit else f" {data['unit']}"
            lines.append(f"  {value_id}: {unit}{data['total_before']} -> {unit}{data['total_after']}"
                         f" ({'+' if not str(data['total_change']).startswith('-') else ''}"
                         f"{unit}{data['total_change']}{suffix}) in {_arrangements(data['arrangements_changed'])}"
                         + _unknown(data))
    if changed:
        lines.append("")
        lines.append("Changed arrangements:")
        for item in changed:
            lines.append(f"  {item.id} (line {item.line}):")
            for change in item.changes:
                lines.append(f"    {change.id} {change.subject}: {change.before} -> {change.after}")
    return "\n".join(lines) + "\n"


def _unknown(data: dict) -> str:
    """How many values the totals leave out because they are unknown."""
    before, after = data.get("unknown_before", 0), data.get("unknown_after", 0)
    if not before and not after:
        return ""
    if before == after:
        return f"; {before} unknown (not in the totals)"
    return f"; unknown: {before} before, {after} after (not in the totals)"


def _arrangements(count: int) -> str:
    return f"{count} arrangement{'s' if count != 1 else ''}"
