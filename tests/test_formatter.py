"""formatter.py: canonical layout, idempotent, meaning and comments kept."""

import attrs
import pytest
from hypothesis import given, settings, strategies as st

from rules_engine.cli import main
from rules_engine.syntax.formatter import format_text
from rules_engine.syntax.lower import lower
from rules_engine.static.load import default_sources
from rules_engine.base.source import SourceFile

from conftest import examples

SOURCES = [s for s in default_sources()]


def shape(value):
    """A node tree without positions, to compare what two texts mean."""
    if isinstance(value, (list, tuple)):
        return tuple(shape(v) for v in value)
    if attrs.has(type(value)):
        return (type(value).__name__,) + tuple(
            shape(getattr(value, f.name)) for f in attrs.fields(type(value))
            if f.name not in ("span", "name_span", "id_span", "table_span", "comments"))
    return value


def meaning(text):
    result = lower(SourceFile("x.rules", text))
    assert result.diagnostics == ()
    return shape(result.layer)


def comments(text):
    return [c.text for c in lower(SourceFile("x.rules", text)).layer.comments]


def test_shipped_files_keep_meaning_and_comments():
    for source in SOURCES:
        formatted = format_text(source.text)
        assert meaning(formatted) == meaning(source.text), source.path
        assert comments(formatted) == comments(source.text), source.path
        assert format_text(formatted) == formatted, source.path


WHITESPACE = st.sampled_from(["", " ", "  ", "\t", "      "])


@pytest.mark.slow  # 80 whole-file parses (about 17 s of CPU); the fast tier keeps the shipped-file test above
@settings(max_examples=examples(80), deadline=None)
@given(st.data())
def test_any_indentation_formats_to_the_same_meaning(data):
    source = next(s for s in SOURCES if s.path.endswith("network_des.rules"))
    lines = source.text.split("\n")
    mangled = "\n".join(data.draw(WHITESPACE) + line.strip() + data.draw(WHITESPACE)
                        + ("\n" if data.draw(st.booleans()) and data.draw(st.booleans()) else "")
                        for line in lines)
    formatted = format_text(mangled)
    assert meaning(formatted) == meaning(source.text)
    assert comments(formatted) == comments(source.text)
    assert format_text(formatted) == formatted


def test_check_mode_and_rewriting(tmp_path, capsys):
    path = tmp_path / "a.rules"
    path.write_text('national contract x "X"\nparameter a: count = 1\n        ref "§1"   \n')
    assert main(["fmt", "--check", str(path)]) == 1
    assert "would reformat" in capsys.readouterr().out
    assert main(["fmt", str(path)]) == 0
    assert path.read_text() == 'national contract x "X"\nparameter a: count = 1\n  ref "§1"\n'
    assert main(["fmt", "--check", str(path)]) == 0


def test_a_file_with_syntax_errors_is_left_alone(tmp_path, capsys):
    path = tmp_path / "bad.rules"
    text = 'national contract x "X"\n   parameter a count = 1\n'
    path.write_text(text)
    assert main(["fmt", str(path)]) == 2
    assert path.read_text() == text
    assert "E-SYNTAX-001" in capsys.readouterr().err
