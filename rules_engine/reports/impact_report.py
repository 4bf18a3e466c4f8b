"""The terminal summary of `impact`: what changes, per requirement and value."""

from __future__ import annotations


def render(summary: dict, changed: list) -> str:
    lines = [f"{summary['arrangements']} arrangements checked; {summary['changed']} change"
             + (f"; {summary['bad_lines']} bad lines skipped" if summary["bad_lines"] else "")]
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
                         f"{unit}{data['total_change']}{suffix}) in {data['arrangements_changed']} arrangements")
    if changed:
        lines.append("")
        lines.append("Changed arrangements:")
        for item in changed:
            lines.append(f"  {item.id} (line {item.line}):")
            for change in item.changes:
                lines.append(f"    {change.id} {change.subject}: {change.before} -> {change.after}")
    return "\n".join(lines) + "\n"
