"""docs/python-api.md runs as written: each ```python block, in order and in
one namespace, prints exactly the ```text block that follows it."""

from __future__ import annotations

import contextlib
import io
import re

from conftest import ROOT

DOC = ROOT / "docs" / "python-api.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str | None]]:
    """(code, expected output or None) for each python block of the page."""
    found = [(m.group(1), m.group(2), m.start(), m.end()) for m in BLOCK.finditer(DOC.read_text("utf-8"))]
    text = DOC.read_text("utf-8")
    pairs = []
    for index, (language, body, _, end) in enumerate(found):
        if language != "python":
            continue
        following = found[index + 1] if index + 1 < len(found) else None
        expected = None
        if following is not None and following[0] == "text" and not text[end:following[2]].strip():
            expected = following[1]
        pairs.append((body, expected))
    return pairs


def test_the_page_has_examples_with_their_output():
    pairs = blocks()
    assert len(pairs) >= 8
    assert all(expected is not None for _, expected in pairs), "every python block is followed by its output"


def test_every_example_prints_what_the_page_shows(in_root):
    namespace: dict = {"__name__": "python_api_doc"}
    for number, (code, expected) in enumerate(blocks(), 1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{DOC.name} example {number}", "exec"), namespace)  # the doc's own code
        assert out.getvalue() == expected, f"example {number} of {DOC.name} printed:\n{out.getvalue()}"


def test_the_readme_links_the_page():
    assert "(docs/python-api.md)" in (ROOT / "README.md").read_text("utf-8")
