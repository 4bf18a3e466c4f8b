"""The charts of the HTML reports, as SVG geometry (the templates draw it).

Input: counts (per requirement and outcome, per transition) and a payment's
changes counted into bins (`spill.bins`). Output: dicts of positions and
labels for macros.html.j2. Each chart is made twice (`both_widths`): for a
desktop and print (760 wide, labels beside the bars) and for a phone (360
wide, labels above the bars, fewer ticks), so that its text stays about
12 px at 390 px; the page shows one or the other by its width.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Iterable

from rules_engine.base.numbers import money
from rules_engine.base.spill import bins

#: Outcomes in the order a reader cares about them.
OUTCOMES = ("fail", "unknown", "pass", "not_applicable")
OUTCOME_LABELS = {"fail": "Fail", "unknown": "Unknown", "pass": "Pass", "not_applicable": "Not applicable",
                  "absent": "Absent"}


def outcome_label(outcome: str | None) -> str:
    return OUTCOME_LABELS.get(outcome or "absent", str(outcome))


_CHART_WIDTH = 760


def _label_width(labels: Iterable[str]) -> int:
    longest = max((len(l) for l in labels), default=8)
    return int(min(300, max(90, longest * 7.4 + 12)))


def _short(label: str, width: int) -> str:
    room = max(6, int((width - 10) / 7.4 + 0.5))
    return label if len(label) <= room else label[: room - 1] + "…"


#: The view box width of a chart drawn for a phone (at most 600 px wide): its
#: text stays about 12 px at 390 px, where the desktop chart would shrink to 6.
_NARROW_WIDTH = 360


def stacked_bars(rows: list[tuple[str, str, dict[str, int]]], categories: Iterable[str],
                 narrow: bool = False) -> dict:
    """One horizontal bar per row (label, link, {category: count}), segments
    per category; `narrow`, for a phone: each label above its bar, full width."""
    categories = list(categories)
    width = _NARROW_WIDTH if narrow else _CHART_WIDTH
    label_w = 0 if narrow else _label_width(r[0] for r in rows)
    bar_x, total_w = label_w, 48
    bar_w = width - label_w - total_w
    biggest = max((sum(counts.values()) for _, _, counts in rows), default=0) or 1
    row_h, gap, top = 22, 8, 4
    label_h = 18 if narrow else 0  # the label's own line, above the bar
    out = []
    for index, (label, link, counts) in enumerate(rows):
        y = top + index * (row_h + gap + label_h) + label_h
        x = float(bar_x)
        segments = []
        for category in categories:
            count = counts.get(category, 0)
            if not count:
                continue
            part = bar_w * count / biggest
            segments.append({"category": category, "label": outcome_label(category), "count": count,
                             "x": round(x, 2), "width": round(max(part, 1.5), 2),
                             "text_x": round(x + part / 2, 2), "show_count": part >= 22})
            x += part
        out.append({"label": label, "short": _short(label, width if narrow else label_w), "link": link, "y": y,
                    "text_y": y + row_h / 2 + 4.5, "label_y": y - 5 if narrow else y + row_h / 2 + 4.5,
                    "label_x": 0 if narrow else label_w - 8, "anchor": "start" if narrow else "end",
                    "height": row_h, "segments": segments,
                    "total": sum(counts.values()), "total_x": round(x + 6, 2)})
    height = top * 2 + len(rows) * (row_h + gap + label_h)
    return {"width": width, "height": height, "label_width": label_w, "rows": out, "narrow": narrow,
            "categories": [{"name": c, "label": outcome_label(c)} for c in categories]}


def both_widths(make, *args) -> dict | None:
    """A chart for a desktop or print, with the same drawn for a phone
    under "phone" (the page shows one or the other by its width)."""
    wide = make(*args)
    if wide is not None:
        wide["phone"] = make(*args, narrow=True)
    return wide


def _transition_class(transition: str) -> str:
    after = transition.split("->")[-1].strip()
    return after if after in OUTCOMES else "absent"


def grouped_bars(groups: list[tuple[str, str, dict[str, int]]], narrow: bool = False) -> dict:
    """Per requirement (a group) one bar per transition, 'fail -> pass': count;
    `narrow`, for a phone: each bar's label above it."""
    labels = [g[0] for g in groups] + [t for g in groups for t in g[2]]
    width = _NARROW_WIDTH if narrow else _CHART_WIDTH
    label_w = 0 if narrow else _label_width(labels)
    bar_w = width - label_w - 56
    biggest = max((c for g in groups for c in g[2].values()), default=0) or 1
    label_h = 16 if narrow else 0
    y, rows = 4, []
    for requirement, link, transitions in groups:
        rows.append({"kind": "group", "label": requirement, "short": _short(requirement, width), "link": link,
                     "y": y, "text_y": y + 15})
        y += 22
        for transition, count in transitions.items():
            y += label_h
            part = max(1.5, bar_w * count / biggest)
            before, _, after = transition.partition("->")
            rows.append({"kind": "bar", "label": f"{outcome_label(before.strip())} → {outcome_label(after.strip())}",
                         "transition": transition, "count": count, "y": y, "height": 18,
                         "text_y": y + 13.5, "label_y": y - 4 if narrow else y + 13.5,
                         "label_x": 0 if narrow else label_w - 8, "anchor": "start" if narrow else "end",
                         "x": label_w, "width": round(part, 2),
                         "count_x": round(label_w + part + 6, 2), "cls": _transition_class(transition),
                         "requirement": requirement})
            y += 24
        y += 6
    return {"width": width, "height": y + 4, "label_width": label_w, "rows": rows, "narrow": narrow}


def _compact_money(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if value >= 1_000_000:
        text = f"{value / 1_000_000:.2f}".rstrip("0").rstrip(".") + "m"
    elif value >= 1000:
        text = f"{value / 1000:.2f}".rstrip("0").rstrip(".") + "k"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".") if value != value.to_integral_value() else f"{value:.0f}"
    return f"{sign}£{text}"


def histogram(amounts: list[Decimal], narrow: bool = False) -> dict | None:
    """Bins of payment changes (one amount per arrangement) as vertical bars."""
    if not amounts:
        return None
    return histogram_of_bins(bins(amounts, min(amounts), max(amounts), len(amounts)), narrow)


def histogram_of_bins(counted: list[tuple[Decimal, Decimal, int]], narrow: bool = False) -> dict | None:
    """Bins (`spill.bins`: from, to, how many; folded as the run went) as vertical bars."""
    if not counted or not any(n for _, _, n in counted):
        return None
    edges = [(lo, hi) for lo, hi, _ in counted]
    counts = [n for _, _, n in counted]
    left, bottom, top, right = (44, 40, 16, 20) if narrow else (56, 40, 16, 36)
    width = _NARROW_WIDTH if narrow else _CHART_WIDTH
    plot_w, plot_h = width - left - right, 180
    biggest = max(counts)
    slot = plot_w / len(edges)
    bars = []
    for index, ((lo, hi), count) in enumerate(zip(edges, counts)):
        height = plot_h * count / biggest
        x = left + index * slot
        cls = "gain" if lo >= 0 and hi > 0 else "loss" if hi <= 0 else "mixed"
        if lo == hi:
            cls = "gain" if lo > 0 else "loss" if lo < 0 else "mixed"
            title = f"{count} arrangement{'s' if count != 1 else ''} changed by {money(lo, signed=True)}"
        else:
            title = (f"{count} arrangement{'s' if count != 1 else ''} changed by {money(lo, signed=True)}"
                     f" up to {money(hi, signed=True)}")
        bars.append({"x": round(x + 2, 2), "width": round(max(slot - 4, 2), 2),
                     "y": round(top + plot_h - height, 2), "height": round(height, 2), "count": count,
                     "count_x": round(x + slot / 2, 2), "count_y": round(top + plot_h - height - 4, 2),
                     "cls": cls, "title": title, "low": f"{lo:f}", "high": f"{hi:f}"})
    ticks = []
    every = max(1, math.ceil(len(edges) / (4 if narrow else 8)))
    if len(edges) == 1:
        ticks.append({"x": left + slot / 2, "label": _compact_money(edges[0][0])})
    else:
        for index in range(0, len(edges) + 1, every):
            value = edges[0][0] + (edges[0][1] - edges[0][0]) * index
            ticks.append({"x": round(left + index * slot, 2), "label": _compact_money(value)})
    return {"width": width, "narrow": narrow, "height": top + plot_h + bottom, "left": left, "top": top,
            "plot_w": plot_w, "plot_h": plot_h, "base_y": top + plot_h, "bars": bars, "ticks": ticks,
            "biggest": biggest, "count": sum(counts)}


__all__ = ["stacked_bars", "grouped_bars", "histogram", "histogram_of_bins", "both_widths", "outcome_label",
           "OUTCOMES", "OUTCOME_LABELS"]
