"""source.py: positions, spans and caret excerpts."""

from hypothesis import given, strategies as st

from rules_engine.base.source import EXCERPT_COLUMNS, SourceFile
from rules_engine.base.visible import visible


def test_positions_are_one_based_lines_and_columns():
    src = SourceFile("a.rules", "ab\ncd\n")
    assert src.position(0) == (1, 1)
    assert src.position(3) == (2, 1)
    assert src.position(4) == (2, 2)


def test_excerpt_underlines_the_span():
    src = SourceFile("a.rules", "parameter x: count = 1\n")
    assert src.excerpt(src.span(10, 11)) == "   1 | parameter x: count = 1\n     |           ^"


@given(st.text(max_size=200), st.integers(min_value=0, max_value=250))
def test_every_offset_maps_inside_the_file(text, offset):
    src = SourceFile("x", text)
    line, column = src.position(offset)
    assert 1 <= line <= text.count("\n") + 1
    assert column >= 1


@given(st.text(alphabet=st.sampled_from("ab\n\r\u2028\x85"), max_size=60))
def test_lines_start_after_each_newline_and_nowhere_else(text):
    # Only "\n" ends a line (not "\r", U+2028 or U+0085, which str.splitlines
    # would also break at); the index is made with str.find, not per character.
    assert SourceFile("x", text).line_starts == (0, *(i + 1 for i, c in enumerate(text) if c == "\n"))
    assert SourceFile("x", "").line_starts == (0,)
    assert SourceFile("x", "a\n").line_starts == (0, 2)


def test_a_span_from_a_line_and_column_stops_at_the_end_of_the_line():
    # Regression (found by tests/test_fuzz.py): a YAML complex key `? [a, b]`
    # is named by its Python spelling, `('a', 'b')`, longer than the text, and
    # the span and its caret ran past the end of the line.
    source = SourceFile("a.yaml", "? [complex, key]\n: value\n")
    span = source.span_at(1, 3, width=len("('complex', 'key')"))
    assert (span.line, span.column, span.end_line, span.end_column) == (1, 3, 1, 17)
    assert source.excerpt(span).endswith("  " + "^" * 14)
    at_end = source.span_at(1, 17)  # a caret just after the last character
    assert (at_end.column, at_end.end_column) == (17, 18)


def test_an_arrangement_with_a_complex_key_is_pointed_at_within_its_line(tmp_path):
    import contextlib
    import io
    import json

    from rules_engine.cli import main
    path = tmp_path / "pcn.yaml"
    path.write_text("? [complex, key]\n: value\nas_of: 2025-06-01\n", encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["check", "--format", "json", str(path)]) == 2
    (diagnostic,) = json.loads(out.getvalue())["diagnostics"]
    # a mapping or list as a key is refused at the key, from the parser's events
    assert diagnostic["code"] == "E-FACT-006"
    span = diagnostic["span"]
    assert (span["line"], span["column"], span["end_line"]) == (1, 3, 1)
    assert span["column"] < span["end_column"] <= len("? [complex, key]") + 1


def test_a_line_of_the_widest_shown_is_shown_whole():
    text = "x" * EXCERPT_COLUMNS
    src = SourceFile("a.rules", text + "\n")
    shown, caret = src.excerpt(src.span(EXCERPT_COLUMNS - 1, EXCERPT_COLUMNS)).split("\n")
    assert shown == "   1 | " + text and caret == "     | " + " " * (EXCERPT_COLUMNS - 1) + "^"


def test_a_long_line_is_cut_around_the_span_and_the_caret_stays_under_it():
    # A population line nested 5,000 deep on one line (E-LIMIT-003) was echoed whole.
    text = "[" * 5000 + "1" + "]" * 5000
    src = SourceFile("population.jsonl", text + "\n")
    shown, caret = src.excerpt(src.span(5000, 5001)).split("\n")
    assert len(shown) == len("   1 | ") + EXCERPT_COLUMNS
    assert shown.startswith("   1 | ...[[[") and shown.endswith("]]]...")
    assert shown[caret.index("^")] == "1" and caret.count("^") == 1


def test_a_long_span_is_cut_with_its_caret():
    text = "a" * 20 + "B" * 300 + "c" * 10
    src = SourceFile("a.rules", text + "\n")
    shown, caret = src.excerpt(src.span(20, 320)).split("\n")
    assert shown == "   1 | " + "a" * 20 + "B" * (EXCERPT_COLUMNS - 23) + "..."
    assert caret == "     | " + " " * 20 + "^" * (EXCERPT_COLUMNS - 23)


@given(st.text(alphabet=st.sampled_from("ab \t\x1b\u00e9"), min_size=1, max_size=600), st.data())
def test_an_excerpt_is_one_screen_line_and_points_at_the_span(text, data):
    start = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    end = data.draw(st.integers(min_value=start + 1, max_value=len(text)))
    src = SourceFile("x", text + "\n")
    shown, caret = src.excerpt(src.span(start, end)).split("\n")
    assert len(shown) <= len("   1 | ") + EXCERPT_COLUMNS
    column = caret.index("^")
    first = visible(text.expandtabs(1)[start])
    assert shown[column:column + len(first)] == first
