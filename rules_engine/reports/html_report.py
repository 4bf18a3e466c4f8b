"""HTML reports for check, vary-check and impact (self-contained files).

Placeholder entry points with their final signatures; the templates are being
written (see the HTML report work). Each returns one HTML document as text.
"""

from __future__ import annotations

import html

from .json_report import dumps, report_json


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{html.escape(title)}</title>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n")


def render_check(report) -> str:
    return _page("contract-rules check", f"<pre>{html.escape(dumps(report_json(report)))}</pre>")


def render_vary_check(result) -> str:
    return _page("contract-rules vary-check", f"<pre>{html.escape(dumps(result.as_json()))}</pre>")


def render_impact(summary: dict, changed: list) -> str:
    data = {"summary": summary, "changed": [c.as_json() for c in changed]}
    return _page("contract-rules impact", f"<pre>{html.escape(dumps(data))}</pre>")
