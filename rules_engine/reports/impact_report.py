"""The terminal summary of `impact`: the risk first, then what else changes.

Layout, for an ICB deciding on a proposed layer: what was compared (the
proposed layer, the population, the baseline: `before: national + qmm`), the
counts, then the outcome changes worst first (`22 PCNs would newly fail
des.ea.capacity`, naming the first few subjects and counting the rest, with
why the first fails), the values that change, and the changed arrangements.
Unchanged values are listed, and every changed arrangement, only with
`show_all`. Wrapped at `width` (80 by default) as `check`'s text is.

Input: the JSON summary of the run (`ImpactSummary.as_json()`) and the
changed arrangements (`ArrangementImpact`); the same data the JSON and HTML
reports are made from.
"""

from __future__ import annotations

from rules_engine.base.numbers import show_value
from rules_engine.reports.text_report import DEFAULT_WIDTH, _Writer

#: Subjects named per outcome change, and changed arrangements listed, without --all.
SHOWN_SUBJECTS = 5
SHOWN_ARRANGEMENTS = 10

#: How a subject kind is counted: `22 PCNs`, `1 practice`.
NOUNS = {"pcn": ("PCN", "PCNs"), "practice": ("practice", "practices")}


def _plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


def _kind(subject: str) -> str:
    return subject.split(":", 1)[0]


def subjects_noun(count: int, subjects: list[dict]) -> str:
    """`22 PCNs`, `3 practices`, `4 subjects` (kinds mixed or not named)."""
    kinds = {_kind(s["subject"]) for s in subjects}
    if len(kinds) == 1:
        kind = kinds.pop()
        noun, nouns = NOUNS.get(kind, (kind.replace("_", " "), kind.replace("_", " ") + "s"))
        return _plural(count, noun, nouns)
    return _plural(count, "subject")


def subject_text(entry: dict) -> str:
    """`U21001 (Marshgate and Brookworth PCN)`: the code without its kind, and the name."""
    code = entry["subject"].split(":", 1)[-1]
    return f"{code} ({entry['name']})" if entry.get("name") else code


def layers_text(counts: dict) -> str:
    """`national + qmm`, or with several: `national + qmm (20 arrangements), national (2)`."""
    if not counts:
        return "nothing checked"
    if len(counts) == 1:
        return next(iter(counts))
    parts = [f"{layers} ({_plural(n, 'arrangement') if i == 0 else f'{n:,}'})"
             for i, (layers, n) in enumerate(counts.items())]
    return ", ".join(parts)


def heading(summary: dict) -> list[str]:
    """What was compared: the proposal, the population and the baseline."""
    variation = summary.get("variation")
    layer = summary.get("layer")
    if layer:
        proposal = f"{layer} (ICB {summary.get('icb')}, {variation})" if variation else layer
    else:
        proposal = variation or "the proposed layer"
    population = summary.get("population")
    lines = [f"Impact of {proposal}" + (f" on {population}" if population else "")]
    if summary.get("layers_before") or summary.get("layers_after"):
        lines.append(f"before: {layers_text(summary.get('layers_before', {}))}; "
                     f"after: {layers_text(summary.get('layers_after', {}))}")
    if summary.get("assumed"):
        lines.append("assumed (figures the national layer lacks, stated for this run): " + "; ".join(
            f"{a['name']} = {a['value']} ({a['source']})" for a in summary["assumed"]))
    bad = summary["bad_lines"]
    lines.append(f"{_arrangements(summary['arrangements'])} checked, {summary['changed']:,} changed"
                 + (f"; {bad:,} bad line{'s' if bad != 1 else ''} skipped" if bad else ""))
    applied = applied_text(summary)
    if applied:
        lines.append(applied)
    return lines


def applied_text(summary: dict) -> str | None:
    """How many arrangements the proposed layer applied to (those of its ICB),
    and a warning when it applied to none (issue 18, item 11)."""
    if not summary.get("layer") or not summary.get("arrangements"):
        return None
    applied, layer, icb = summary.get("applied_to", 0), summary["layer"], summary.get("icb")
    if applied:
        return f"{layer} applied to {_arrangements(applied)} of {summary['arrangements']:,} (those in ICB {icb})"
    return (f"warning: {layer} is for ICB {icb} and no arrangement of the population is in {icb}: "
            "it applied to none, so nothing could change")


def outcome_change_head(change: dict) -> str:
    """`22 PCNs would newly fail des.ea.capacity (pass -> fail)`."""
    return (f"{subjects_noun(change['count'], change['subjects'])} {change['words']} {change['id']} "
            f"({change['transition']})")


def value_changed(data: dict) -> bool:
    """Whether a value moved in any arrangement (or became known or unknown)."""
    return bool(data.get("arrangements_changed")) or \
        data.get("unknown_before", 0) != data.get("unknown_after", 0)


def _population_side(result: dict | None) -> str:
    if result is None:
        return "not in force"
    return result["outcome"] + (" (provisional)" if result.get("provisional") else "")


def render(summary: dict, changed: list, width: int | None = None, show_all: bool = False) -> str:
    out = _Writer(width or DEFAULT_WIDTH, False)
    for line in heading(summary):
        out.add(line, hang="  ")
    for change in summary.get("outcome_changes", ()):
        out.blank()
        out.add(outcome_change_head(change), hang="  ")
        if change.get("title"):
            out.add(change["title"], indent="  ", hang="    ")
        named = change["subjects"] if show_all else change["subjects"][:SHOWN_SUBJECTS]
        more = change["count"] - len(named)
        text = ", ".join(subject_text(s) for s in named)
        if more:
            text += f", and {more:,} more"
        out.add(text, indent="  ", hang="    ")
        if change.get("why"):
            out.add(f"why, e.g. {change['why']}", indent="  ", hang="    ")
    for term in summary.get("population_terms", ()):
        out.blank()
        out.add(f"Population term {term['id']} (across {term['group']}): "
                + " -> ".join(_population_side(term[side]) for side in ("before", "after")), hang="  ")
        for side in ("before", "after"):
            if term[side] is not None:
                out.add(f"{side}: {term[side]['measure']} {term[side]['bound']}: {term[side]['why']}",
                        indent="  ", hang="    ")
    for budget in summary.get("budgets", ()):
        out.blank()
        out.add(f"Budget of {budget['table']} ({budget['column']}): {budget['text']}", hang="  ")
        out.add(budget["money"]["text"], indent="  ", hang="    ")
    values = summary.get("values", {})
    moved = {k: v for k, v in values.items() if value_changed(v)}
    shown = values if show_all else moved
    if shown:
        out.blank()
        out.add("Values:" if show_all else "Values that change:")
        for value_id, data in shown.items():
            out.add(f"{value_id}: {value_line(data)}{_assumed(data.get('assumed'))}", indent="  ",
                    hang="      ")
    unchanged = len(values) - len(moved)
    if unchanged and not show_all:
        if not moved:
            out.blank()
        out.add(f"{_plural(unchanged, 'value')} unchanged (--all lists them)")
    if changed:
        out.blank()
        listed = changed if show_all else changed[:SHOWN_ARRANGEMENTS]
        out.add("Changed arrangements:" if len(listed) == len(changed) else
                f"Changed arrangements (the first {len(listed):,} of {len(changed):,}; --all lists "
                "them all, --format json gives each):", hang="  ")
        for item in listed:
            name = item.name
            out.add(f"{item.id}{f' ({name})' if name else ''}, line {item.line}:", indent="  ", hang="    ")
            for change in item.changes:
                assumed = _assumed([a.as_json() for a in change.assumed]) if change.assumed else ""
                out.add(f"{change.id} {change.subject}: {_shown(change, 0)} -> {_shown(change, 1)}{assumed}",
                        indent="    ", hang="      ")
    return "\n".join(out.lines) + "\n"


def _assumed(assumed) -> str:
    """`  (assumed: qof_national_average_list_size = 10349)`, or nothing."""
    if not assumed:
        return ""
    return "  (assumed: " + ", ".join(f"{a['name']} = {a['value']}" for a in assumed) + ")"


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
        return (f"per subject {distribution_text(data.get('distribution_before'), unit, data.get('unknown_before', 0))}"
                f" -> {distribution_text(data.get('distribution_after'), unit, data.get('unknown_after', 0))}{changed}")
    before = total_text(data.get("total_before"), unit, data.get("unknown_before", 0))
    after = total_text(data.get("total_after"), unit, data.get("unknown_after", 0))
    change = data.get("total_change")
    if change is None:
        shown_change = "change unknown"
    else:
        sign = "" if str(change).startswith("-") else "+"
        shown_change = sign + show_value(change, unit)
    return f"{before} -> {after} ({shown_change}){changed}"


def _left_out(unknown: int) -> str:
    return f" ({unknown} unknown, left out)" if unknown else ""


def total_text(total, unit: str, unknown: int) -> str:
    if total is None:  # no subject's value known: all unknown, or none had the value
        return f"unknown (all {unknown} unknown)" if unknown else "absent"
    return show_value(total, unit) + _left_out(unknown)


def distribution_text(spread: dict | None, unit: str, unknown: int) -> str:
    if not spread:
        return f"unknown (all {unknown} unknown)" if unknown else "absent"
    return (f"min {show_value(spread['min'], unit)}, median {show_value(spread['median'], unit)}, "
            f"max {show_value(spread['max'], unit)}" + _left_out(unknown))


def _arrangements(count: int) -> str:
    return f"{count:,} arrangement{'s' if count != 1 else ''}"
