"""Rule coverage reports (`contract-rules test --coverage`): text and an HTML
page, both made from the coverage's JSON (`run.coverage.Coverage.as_json`),
so that each says what `--coverage-format json` says.

The text is a table per rule file and a total, then the points not covered,
each with its file, line and column (with `verbose`, every requirement's and
value's outcomes too). The page shows each rule file's source with its lines
shaded as coverage tools do: green where every point on the line is covered,
amber where some are, red where none is; each shaded line says which points
start on it and how they ran. Every string from a rule file is escaped
(jinja2 autoescapes the template); the page loads nothing from the network.
"""

from __future__ import annotations

from typing import Any

from rules_engine.base.visible import visible
from rules_engine.reports.html_report import render_template

#: The first gaps the text lists without `verbose`.
GAPS_SHOWN = 25


def _percent(figure: float | None) -> str:
    return "-" if figure is None else f"{figure:.1f}%"


def gaps(document: dict) -> list[tuple[str, str]]:
    """Each point not covered: (`FILE:LINE:COLUMN`, what was not reached)."""
    found = []
    for file in document["files"]:
        for kind in ("requirements", "values"):
            for item in file[kind]:
                if not item["ran"]:
                    what = "requirement" if kind == "requirements" else "value"
                    found.append((f"{file['file']}:{item['line']}", f"{what} {item['id']} never worked out in force"))
        for c in file["conditions"]:
            missing = [way for way in ("true", "false") if not c[way]]
            if missing:
                found.append((f"{file['file']}:{c['line']}:{c['column']}",
                              f"{c['role']} of {c['owner']} never {' nor '.join(missing)}: `{c['text']}` "
                              f"(true {c['true']}, false {c['false']}, unknown {c['unknown']})"))
    return found


def _counts(file: dict) -> tuple[str, str, str]:
    requirements = file["requirements"]
    values = file["values"]
    conditions = file["conditions"]
    ways = sum(bool(c["true"]) + bool(c["false"]) for c in conditions)
    return (f"{sum(i['ran'] for i in requirements)}/{len(requirements)}",
            f"{sum(i['ran'] for i in values)}/{len(values)}", f"{ways}/{2 * len(conditions)}")


def render_text(document: dict, verbose: bool = False) -> str:
    """The coverage as a table per file, the total and the gaps."""
    lines = [f"Rule coverage: {_percent(document['figure'])} ({document['covered']} of "
             f"{document['points']} points)",
             f"  ({document['definition']})"]
    width = max([len("file")] + [len(f["file"]) for f in document["files"]])
    lines.append(f"  {'file':<{width}}  requirements  values  condition ways  coverage")
    for file in document["files"]:
        requirements, values, ways = _counts(file)
        lines.append(f"  {file['file']:<{width}}  {requirements:>12}  {values:>6}  {ways:>14}  "
                     f"{_percent(file['figure']):>8}")
    lines.append(f"  {'total':<{width}}  {'':>12}  {'':>6}  {'':>14}  {_percent(document['figure']):>8}")
    found = gaps(document)
    if found:
        lines.append(f"Not covered ({len(found)}):")
        shown = found if verbose else found[:GAPS_SHOWN]
        lines += [f"  {where}  {what}" for where, what in shown]
        if len(shown) < len(found):
            lines.append(f"  ... {len(found) - len(shown)} more (-v lists them all)")
    if verbose:
        lines.append("Outcomes (pass, fail, unknown, not applicable, not in force; values: known, unknown):")
        for file in document["files"]:
            for item in file["requirements"] + file["values"]:
                counts = ", ".join(f"{k} {v}" for k, v in item["outcomes"].items())
                lines.append(f"  {file['file']}:{item['line']}  {item['id']}: {counts}")
    return visible("\n".join(lines) + "\n", keep="\n")


def _line_points(file: dict) -> dict[int, list[dict]]:
    """Each line's points: (covered ways, ways, what it says), by the line they start on."""
    by_line: dict[int, list[dict]] = {}
    for kind, label in (("requirements", "requirement"), ("values", "value")):
        for item in file[kind]:
            counts = ", ".join(f"{k} {v}" for k, v in item["outcomes"].items())
            by_line.setdefault(item["line"], []).append(
                {"covered": int(item["ran"]), "ways": 1, "says": f"{label} {item['id']}: {counts}"})
    for c in file["conditions"]:
        by_line.setdefault(c["line"], []).append(
            {"covered": bool(c["true"]) + bool(c["false"]), "ways": 2,
             "says": f"{c['role']} of {c['owner']}: true {c['true']}, false {c['false']}, unknown {c['unknown']}"})
    return by_line


def html_view(document: dict, sources: dict[str, str]) -> dict[str, Any]:
    """The page's data: the table, and each file's lines with their shading."""
    files = []
    for index, file in enumerate(document["files"]):
        requirements, values, ways = _counts(file)
        points = _line_points(file)
        lines = []
        for number, text in enumerate(sources.get(file["file"], "").split("\n"), start=1):
            here = points.get(number, [])
            covered, total = sum(p["covered"] for p in here), sum(p["ways"] for p in here)
            shade = "" if not here else "hit" if covered == total else "miss" if not covered else "part"
            lines.append({"number": number, "text": visible(text.rstrip("\r"), keep="\t"), "shade": shade,
                          "says": "; ".join(p["says"] for p in here)})
        files.append({"anchor": f"file-{index + 1}", "file": file["file"], "figure": _percent(file["figure"]),
                      "covered": file["covered"], "points": file["points"], "requirements_run": requirements,
                      "values_run": values, "ways": ways, "lines": lines})
    return {"figure": _percent(document["figure"]), "covered": document["covered"],
            "points": document["points"], "definition": document["definition"], "files": files,
            "gaps": gaps(document)}


def render_html(document: dict, sources: dict[str, str]) -> str:
    """One self-contained page: the table, the gaps, and each file's source shaded.
    `sources`: each file's text, by the name the document gives it."""
    return render_template("coverage.html.j2", **html_view(document, sources))
