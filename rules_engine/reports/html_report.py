"""HTML reports for check (of files or a population), vary-check and impact:
one self-contained file each.

Each function returns one HTML document as text. The figures come from the
public JSON of the same command (`report_json`, `VaryCheck.as_json`,
`ImpactSummary.as_json` and `ArrangementImpact.as_json`), so a page shows
exactly what `--format json` says. Nothing is fetched when the page is
viewed: the CSS, the table sorter (JS) and the charts (SVG) are inline, and a
Content-Security-Policy forbids any network request.

Layout, for a commissioner reading it: the verdict and the counts first, then
the charts, then sortable tables, then one anchored card per result with its
clause, layer, flexibility status, the local reason and national value when
varied, the missing facts when unknown, and why it failed: the deciding
condition with the values read and what would make it pass, the conditions
and operands folded beneath. No report asks its reader to run a command.

The templates are in templates/ (jinja2, autoescaped); this module turns the
JSON into plain view data (formatted numbers, chart geometry, anchors).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Iterable

from jinja2 import Environment, PackageLoader, StrictUndefined

from rules_engine.base.version import version
from rules_engine.base.spill import Mapped
from rules_engine.reports.icbs import icb_name
from rules_engine.run.results import report_json
from rules_engine.reports.charts import (  # noqa: F401 (histogram: for tests and callers)
    OUTCOME_LABELS, OUTCOMES, both_widths, grouped_bars, histogram, histogram_of_bins, outcome_label, stacked_bars,
    _transition_class)

FLEXIBILITY_LABELS = {"locked": "Locked (national)", "flexible-unused": "Flexible, not varied",
                      "varied": "Varied locally", "waived": "Waived locally", "added": "Added locally"}
#: At most this many changed-arrangement rows in an impact page (the JSON has them all).
MAX_CHANGE_ROWS = 5000
_SHIPPED_ROOT = "contracts"


# ---------------------------------------------------------------- formatting

# Money, points, shares and counts are formatted in one place (base/numbers.py);
# the names stay here for the modules that import them from this one.
from rules_engine.base.numbers import decimal as _decimal, money, number, plain as _plain, show_value  # noqa: E402,F401
from rules_engine.base.numbers import money_exact
from rules_engine.reports.impact_report import layers_text, outcome_change_head, subject_text, value_changed, distribution_text, total_text


def _sort_key(value: Any) -> str:
    amount = _decimal(value)
    return "" if amount is None else f"{amount:f}"


# ---------------------------------------------------------------- anchors

_KEEP = re.compile(r"[A-Za-z0-9.:/@-]")


def _escape_part(text: str) -> str:
    """Injective: kept characters stay, every other one becomes _XX (UTF-8 hex)."""
    return "".join(c if _KEEP.fullmatch(c) else "".join(f"_{b:02x}" for b in c.encode("utf-8"))
                   for c in str(text))


def anchor(kind: str, *parts: str) -> str:
    """The element id of a result card: anchor('result', 'U2', 'des.ea.capacity', 'pcn:U2')
    -> 'result-U2__des.ea.capacity__pcn:U2'. Distinct inputs give distinct ids."""
    return f"{kind}-" + "__".join(_escape_part(p) for p in parts)


class _Anchors:
    """Hands out anchors, numbering a repeat (two arrangements with one id)."""

    def __init__(self) -> None:
        self.seen: Counter = Counter()

    def __call__(self, kind: str, *parts: str) -> str:
        base = anchor(kind, *parts)
        self.seen[base] += 1
        return base if self.seen[base] == 1 else f"{base}~{self.seen[base]}"


# ---------------------------------------------------------------- templates

@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("rules_engine.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(money=money, number=number, outcome_label=outcome_label, plain=_plain,
                       show_value=show_value, sort_key=_sort_key)
    env.globals.update(FLEXIBILITY_LABELS=FLEXIBILITY_LABELS, OUTCOMES=OUTCOMES, version=version())
    return env


def _render(template: str, **data: Any) -> str:
    return _environment().get_template(template).render(**data)


#: The one renderer of the templates, for the other report modules (coverage_report).
render_template = _render


# ---------------------------------------------------------------- check

def check_view(document: dict) -> dict:
    """The view data of a check page, from the results JSON."""
    anchors = _Anchors()
    arrangements = []
    result_rows = []
    value_rows = []
    by_requirement: dict[str, Counter] = {}
    titles: dict[str, str] = {}
    first_anchor: dict[str, str] = {}
    first_failing: dict[str, str] = {}
    failing: Counter = Counter()
    missing: Counter = Counter()
    missing_where: dict[str, str] = {}
    local_terms: list[dict] = []
    payments: dict[str, dict] = {}
    for arrangement in document.get("arrangements", []):
        arr_id = arrangement["id"]
        section = anchors("arrangement", arr_id)
        results = []
        for result in arrangement.get("results", []):
            rule, subject, outcome = result["id"], result["subject"], result["outcome"]
            card = anchors("result", arr_id, rule, subject)
            row = {"warnings": [], "reason": None, "provisional": None, "assumed": [], "because": None,
                   "did_not_need": [],
                   "national": {},
                   "missing": [], "title": None, "why": None, **result, "anchor": card, "arrangement": arr_id,
                   "arrangement_anchor": section, "rank": OUTCOMES.index(outcome) if outcome in OUTCOMES else 9,
                   "warning": result.get("severity") == "warning"}
            results.append(row)
            result_rows.append(row)
            by_requirement.setdefault(rule, Counter())[outcome] += 1
            titles.setdefault(rule, result.get("title") or "")
            first_anchor.setdefault(rule, card)
            if outcome == "fail":
                failing[rule] += 1
                first_failing.setdefault(rule, card)
            for path in result.get("missing", []):
                missing[path] += 1
                missing_where.setdefault(path, card)
            if result.get("flexibility") in ("varied", "waived", "added"):
                local_terms.append(row)
        values = []
        for value in arrangement.get("values", []):
            row = {"missing": [], "flexibility": None, "layer": None, "because": None, "national": {},
                   "provisional": None, "assumed": [], "did_not_need": [], **value,
                   "anchor": anchors("value", arr_id, value["id"], value["subject"]),
                   "arrangement": arr_id, "arrangement_anchor": section, "shown": money(value.get("value")) if value.get("unit") == "GBP" else _plain(value.get("value")),
                   "sort": _sort_key(value.get("value"))}
            values.append(row)
            value_rows.append(row)
            if value.get("unit") == "GBP":
                entry = payments.setdefault(value["id"], {"id": value["id"], "total": Decimal(0), "known": 0,
                                                          "unknown": 0, "anchor": row["anchor"]})
                amount = _decimal(value.get("value"))
                if amount is None:
                    entry["unknown"] += 1
                else:
                    entry["total"] += amount
                    entry["known"] += 1
        counts = Counter(r["outcome"] for r in results)
        arrangements.append({**arrangement, "anchor": section, "values": values, "counts": counts,
                             # the cards: failures first, then unknown, pass, not applicable
                             "results": sorted(results, key=lambda r: r["rank"])})
    arrangement_counts = Counter(a["outcome"] for a in arrangements)
    result_counts = Counter(r["outcome"] for r in result_rows)
    verdict = ("fail" if arrangement_counts["fail"] else "unknown" if arrangement_counts["unknown"]
               else "pass")
    # The chart: first the requirements some subject fails or cannot decide;
    # those every subject passes (or that do not apply) in a second, folded.
    open_rows = [(rule, "#" + first_anchor[rule], dict(counts)) for rule, counts in by_requirement.items()
                 if counts["fail"] or counts["unknown"]]
    settled_rows = [(rule, "#" + first_anchor[rule], dict(counts)) for rule, counts in by_requirement.items()
                    if not (counts["fail"] or counts["unknown"])]
    chart = both_widths(stacked_bars, open_rows, OUTCOMES) if open_rows else None
    settled_chart = both_widths(stacked_bars, settled_rows, OUTCOMES) if settled_rows else None
    for entry in payments.values():
        entry["total_text"] = money(_money_total(entry["total"])) if entry["known"] else "unknown"
        entry["sort"] = f"{entry['total']:f}"
    return {
        "document": document,
        "as_of": document.get("as_of"),
        "layers": [{"name": None, "version": None, "icb": None, "file": None, **l}
                   for l in document.get("layers", [])],
        "arrangements": arrangements,
        "chart": chart, "settled_chart": settled_chart,
        "results": result_rows,
        "values": value_rows,
        "verdict": verdict,
        "arrangement_counts": arrangement_counts,
        "result_counts": result_counts,
        "failing": [{"id": rule, "count": count, "title": titles.get(rule, ""), "anchor": first_failing[rule]}
                    for rule, count in failing.most_common()],
        "missing": [{"path": path, "count": count, "anchor": missing_where[path]}
                    for path, count in missing.most_common()],
        "local_terms": local_terms,
        "payments": list(payments.values()),
    }


def _money_total(total: Decimal) -> str:
    return money_exact(total)


def render_error(text: str) -> str:
    """A page for invalid input: the diagnostics as text, so that a page
    redirected to a file says what was wrong instead of being empty."""
    return _render("error.html.j2", text=text)


def render_check(report) -> str:
    return _render("check.html.j2", **check_view(report_json(report)))


# ---------------------------------------------------------------- vary-check

def vary_check_view(document: dict) -> dict:
    anchors = _Anchors()
    rows = []
    for variation in document.get("variations", []):
        row = {**variation, "anchor": anchors("variation", str(variation.get("line")), variation["target"]),
               "permitted": variation.get("verdict") == "permitted"}
        rows.append(row)
    verdicts = Counter(r["verdict"] for r in rows)
    refused = [r for r in rows if not r["permitted"]]
    ordered = ["permitted"] + sorted(v for v in verdicts if v != "permitted")
    return {"document": document, "variations": rows, "verdicts": [(v, verdicts[v]) for v in ordered
                                                                    if verdicts[v]],
            "refused": refused, "permitted": bool(document.get("permitted")),
            "allowed": len(rows) - len(refused), "kinds": Counter(r["kind"] for r in rows),
            "diagnostics": document.get("diagnostics", [])}


def render_vary_check(result) -> str:
    return _render("vary_check.html.j2", **vary_check_view(result.as_json()))


# ---------------------------------------------------------------- impact

def impact_view(summary: dict, changed: list[dict], show_all: bool = False) -> dict:
    """The page's data: what `impact_report` shows as text (the baseline, the
    outcome changes worst first with their subjects named, the values that
    change, unchanged ones only with `show_all`), and the charts and tables."""
    anchors = _Anchors()
    population = summary.get("population")
    variation = summary.get("variation")
    values = summary.get("values", {})
    money_ids = {k for k, v in values.items() if v.get("unit") == "GBP"}
    transitions = summary.get("transitions", {})
    transition_rows = []
    totals: Counter = Counter()
    requirement_anchor = {}
    for rule, counts in transitions.items():
        requirement_anchor[rule] = anchors("requirement", rule)
        for transition, count in counts.items():
            transition_rows.append({"id": rule, "transition": transition, "count": count,
                                    "label": " → ".join(outcome_label(p.strip()) for p in transition.split("->")),
                                    "anchor": requirement_anchor[rule], "cls": _transition_class(transition)})
            totals[transition] += count
    chart = both_widths(grouped_bars, [(rule, "#" + requirement_anchor[rule], counts)
                                       for rule, counts in transitions.items()]) if transitions else None
    value_rows = []
    for value_id, data in values.items():
        money_value = data.get("unit") == "GBP"
        show = (lambda v, signed=False: money(v, signed)) if money_value else \
            (lambda v, signed=False, unit=data.get("unit"): ("+" if signed and (_decimal(v) or 0) > 0 else "")
             + show_value(v, unit))
        if data.get("summary") == "distribution":  # shares and points: no sum, the spread
            before_text = distribution_text(data.get("distribution_before"), data.get("unit"),
                                        data.get("unknown_before", 0))
            after_text = distribution_text(data.get("distribution_after"), data.get("unit"),
                                       data.get("unknown_after", 0))
            change_text = "(per subject: no total)"
        else:
            before_text = total_text(data.get("total_before"), data.get("unit"), data.get("unknown_before", 0))
            after_text = total_text(data.get("total_after"), data.get("unit"), data.get("unknown_after", 0))
            change_text = show(data.get("total_change"), True) if data.get("total_change") is not None \
                else "unknown"
        value_rows.append({"id": value_id, "unit": data.get("unit"), "money": money_value,
                           "before": before_text, "after": after_text,
                           "change": change_text,
                           "before_sort": _sort_key(data.get("total_before")),
                           "after_sort": _sort_key(data.get("total_after")),
                           "change_sort": _sort_key(data.get("total_change")),
                           "direction": _direction(data.get("total_change")),
                           "arrangements_changed": data.get("arrangements_changed", 0),
                           "unknown_before": data.get("unknown_before", 0),
                           "unknown_after": data.get("unknown_after", 0),
                           "anchor": anchors("payment", value_id), "changed": value_changed(data)})
    every_value_row = value_rows  # the payments card counts the unchanged ones too
    value_rows = [row for row in value_rows if show_all or row["changed"]]
    unchanged_values = sum(1 for row in every_value_row if not row["changed"])
    histograms = []
    for value_id in sorted(money_ids):
        data = values[value_id]
        chart_data = both_widths(histogram_of_bins, [(Decimal(b["from"]), Decimal(b["to"]), b["count"])
                                                     for b in data.get("histogram", [])])
        if chart_data:
            histograms.append({"id": value_id, "chart": chart_data, "total_change": money(
                data.get("total_change"), True), "unchanged": summary.get("arrangements", 0) - chart_data["count"]})
    # No chart of all payments together: payments overlap (qof.payment holds its
    # indicators' payments; qof.year-end-balance is read from it), a sum counts money twice.
    change_rows = []
    arrangement_rows = []
    shown = 0
    all_changes = sum(len(item.get("changes", [])) for item in changed)
    for item in changed:
        if shown >= MAX_CHANGE_ROWS:
            break  # the page stays small; the JSON has every change
        arr_anchor = anchors("arrangement", item["id"])
        moved = [c for c in item.get("changes", []) if c["id"] in money_ids]
        net = sum(((_decimal(c.get("after")) or Decimal(0)) - (_decimal(c.get("before")) or Decimal(0))
                   for c in moved), Decimal(0))
        arrangement_rows.append({"id": item["id"], "line": item.get("line"), "anchor": arr_anchor,
                                 "changes": len(item.get("changes", [])),
                                 "net": money(net, True) if moved else "",
                                 "net_sort": f"{net:f}" if moved else ""})
        for change in item.get("changes", []):
            if shown >= MAX_CHANGE_ROWS:
                break
            shown += 1
            is_value = change["id"] in values or (change["id"] not in transitions and not (
                change.get("before") in OUTCOMES + (None,) and change.get("after") in OUTCOMES + (None,)))
            unit = values.get(change["id"], {}).get("unit")
            if is_value:
                before, after = show_value(change.get("before"), unit), show_value(change.get("after"), unit)
            else:
                before, after = outcome_label(change.get("before")), outcome_label(change.get("after"))
            change_rows.append({
                **change, "arrangement": item["id"], "line": item.get("line"), "arrangement_anchor": arr_anchor,
                "anchor": anchors("change", item["id"], change["id"], change["subject"]),
                "kind": "value" if is_value else "outcome", "before_text": before, "after_text": after,
                "before_sort": _sort_key(change.get("before")) if is_value else str(change.get("before")),
                "after_sort": _sort_key(change.get("after")) if is_value else str(change.get("after")),
                "cls": "" if is_value else _transition_class(f"{change.get('before')} -> {change.get('after')}"),
                "why_before": change.get("why_before"), "why_after": change.get("why_after"),
            })
    outcome_changes = [{**change, "head": outcome_change_head(change),
                        "named": [subject_text(s) for s in change.get("subjects", [])],
                        "more": change["count"] - len(change.get("subjects", [])),
                        "anchor": requirement_anchor.get(change["id"], ""),
                        "cls": _transition_class(change["transition"])}
                       for change in summary.get("outcome_changes", [])]
    return {"summary": summary, "population": population, "variation": variation,
            "before": layers_text(summary.get("layers_before", {})),
            "after": layers_text(summary.get("layers_after", {})),
            "outcome_changes": outcome_changes, "unchanged_values": unchanged_values,
            "every_value_row": every_value_row,
            "show_all": show_all,
            "transition_rows": transition_rows, "transition_totals": totals.most_common(),
            "requirement_anchor": requirement_anchor, "chart": chart, "value_rows": value_rows,
            "histograms": histograms, "arrangement_rows": arrangement_rows, "change_rows": change_rows,
            "all_changes": all_changes, "truncated": all_changes > len(change_rows),
            "all_arrangements": len(changed),
            "unchanged": summary.get("arrangements", 0) - summary.get("changed", 0)}


def _direction(value: Any) -> str:
    amount = _decimal(value)
    return "" if amount is None or amount == 0 else "up" if amount > 0 else "down"


def render_impact(summary: dict, changed, show_all: bool = False) -> str:
    items = Mapped(changed, lambda c: c.as_json() if hasattr(c, "as_json") else c)  # one at a time: may be on disk
    return _render("impact.html.j2", **impact_view(summary, items, show_all))


# ---------------------------------------------------------------- population check

#: Requirements drawn in the population chart (the table lists them all).
MAX_CHART_REQUIREMENTS = 30


def population_check_view(summary: dict, rows: list[tuple],
                          terms: dict[str, tuple] | None = None, by_icb: Counter | None = None) -> dict:
    """`summary` is the JSON summary of `check --population`; `rows` are the
    arrangements that do not pass: (id, line, outcome, failing ids, unknown ids,
    {requirement id: why}, ICB, name); `terms` the title and clause of each
    requirement they miss; `by_icb` counts every arrangement by (ICB, outcome)."""
    terms = terms or {}
    anchors = _Anchors()
    population = summary.get("population")
    failing, unknown = summary.get("failing_requirements", {}), summary.get("unknown_requirements", {})
    requirement_rows = []
    for rule in dict.fromkeys([*failing, *unknown]):
        title, clause = terms.get(rule, (None, None))
        requirement_rows.append({"id": rule, "anchor": anchors("requirement", rule), "title": title,
                                 "clause": clause, "fail": failing.get(rule, 0),
                                 "unknown": unknown.get(rule, 0)})
    requirement_rows.sort(key=lambda r: (-r["fail"], -r["unknown"], r["id"]))
    requirement_anchor = {r["id"]: r["anchor"] for r in requirement_rows}
    chart = both_widths(stacked_bars, [(r["id"], "#" + r["anchor"], {"fail": r["fail"], "unknown": r["unknown"]})
                                       for r in requirement_rows[:MAX_CHART_REQUIREMENTS]],
                        ("fail", "unknown")) if requirement_rows else None
    arrangement_rows = []
    for arrangement_id, line, outcome, failing_ids, unknown_ids, whys, *place in rows[:MAX_CHANGE_ROWS]:
        icb, name = (place + [None, None])[:2]
        row_whys = [(rule, whys[rule]) for rule in (*failing_ids, *unknown_ids) if rule in whys]
        arrangement_rows.append({
            "id": arrangement_id, "line": line, "outcome": outcome, "icb": icb or "", "name": name or "",
            "anchor": anchors("arrangement", arrangement_id, str(line)),
            "failing": [(rule, requirement_anchor.get(rule, "")) for rule in failing_ids],
            "unknown": [(rule, requirement_anchor.get(rule, "")) for rule in unknown_ids],
            "whys": row_whys,
            # what the search box matches: lower case, as data (an attribute, escaped)
            "search": " ".join([arrangement_id, name or "", icb or "", *failing_ids, *unknown_ids,
                                *(text for _, text in row_whys)]).lower()})
    icb_rows = _icb_rows(by_icb or Counter())
    icbs = sorted({r["icb"] for r in arrangement_rows} | {r["icb"] for r in icb_rows if r["fail"] or r["unknown"]})
    outcomes = summary.get("outcomes", {})
    return {"summary": summary, "population": population, "outcomes": outcomes,
            "outcome_counts": [(o, outcomes.get(o, 0)) for o in OUTCOMES if o != "not_applicable"],
            "requirement_rows": requirement_rows, "chart": chart,
            "chart_cut": max(len(requirement_rows) - MAX_CHART_REQUIREMENTS, 0),
            "arrangement_rows": arrangement_rows, "all_rows": len(rows),
            "icb_rows": icb_rows, "icbs": icbs, "icb_names": {icb: icb_name(icb) for icb in icbs},
            "truncated": len(rows) > len(arrangement_rows)}


def _icb_rows(by_icb: Counter) -> list[dict]:
    """Per ICB (as the arrangements give it; "" for none): how many were
    checked, fail, are unknown and pass, most failing first."""
    table: dict[str, Counter] = {}
    for (icb, outcome), count in by_icb.items():
        table.setdefault(icb or "", Counter())[outcome] += count
    rows = [{"icb": icb, "name": icb_name(icb), "checked": sum(c.values()), "fail": c["fail"], "unknown": c["unknown"],
             "pass": c["pass"], "share": f"{100 * c['fail'] / sum(c.values()):.0f}%"}
            for icb, c in table.items()]
    return sorted(rows, key=lambda r: (-r["fail"], -r["unknown"], r["icb"]))


def render_population_check(summary: dict, rows: list[tuple],
                            terms: dict[str, tuple] | None = None, by_icb: Counter | None = None) -> str:
    return _render("population.html.j2", **population_check_view(summary, rows, terms, by_icb))


__all__ = ["render_error", "render_check", "render_vary_check", "render_impact", "render_population_check", "anchor",
           "money", "number"]
