"""source.py: positions, spans and caret excerpts."""

from hypothesis import given, strategies as st

from rules_engine.source import SourceFile


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
